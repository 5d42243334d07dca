//! MQTT connection settings shared by the agent and the collector: URL, credentials, TLS.
//!
//! `mqtt://host:port` is plain TCP (default port 1883), `mqtts://host:port` is TLS (default
//! port 8883) verified against `ca_file` (default: the system bundle
//! `/etc/ssl/certs/ca-certificates.crt`). Passwords come from `password_file` (preferred) or
//! `password`, and are held in a [`Secret`] that never prints.

use coverage_shared::secret::Secret;
use rumqttc::v5::MqttOptions;
use rumqttc::{TlsConfiguration, Transport};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;
use thiserror::Error;

/// The CA bundle used for `mqtts://` when no `ca_file` is given.
pub const SYSTEM_CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// `[mqtt]` in the agent and collector configs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MqttConfig {
    /// Broker URL: `mqtt://host:1883` or `mqtts://host:8883`.
    pub url: String,
    /// User name; for an agent it must equal the site id (the broker's ACL relies on it).
    #[serde(default)]
    pub username: Option<String>,
    /// Password inline (prefer `password_file`).
    #[serde(default)]
    pub password: Option<Secret>,
    /// File whose first line is the password.
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// CA certificate (PEM) that signed the broker's certificate, for `mqtts://`.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Client id; must be stable and unique per process (persistent sessions use it).
    #[serde(default)]
    pub client_id: Option<String>,
    /// Keep-alive interval.
    #[serde(default = "default_keep_alive", with = "humantime_serde")]
    pub keep_alive: Duration,
}

fn default_keep_alive() -> Duration {
    Duration::from_secs(30)
}

/// Why MQTT settings cannot be used.
#[derive(Debug, Error)]
pub enum MqttConfigError {
    /// The URL does not parse or has the wrong scheme.
    #[error("mqtt.url {url:?}: {what}")]
    Url {
        /// The URL given.
        url: String,
        /// What is wrong.
        what: String,
    },
    /// A file named in the config cannot be read.
    #[error("mqtt.{key} {path}: {source}")]
    File {
        /// The config key (`password_file`, `ca_file`).
        key: &'static str,
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// Host, port and whether to use TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Host name or address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// TLS (`mqtts://`).
    pub tls: bool,
}

/// Parses `mqtt://host[:port]` or `mqtts://host[:port]`.
pub fn parse_url(url: &str) -> Result<Endpoint, MqttConfigError> {
    let err = |what: String| MqttConfigError::Url {
        url: url.to_owned(),
        what,
    };
    let u = url::Url::parse(url).map_err(|e| err(e.to_string()))?;
    let tls = match u.scheme() {
        "mqtt" | "tcp" => false,
        "mqtts" | "ssl" => true,
        other => return Err(err(format!("scheme {other:?} is not mqtt or mqtts"))),
    };
    let host = u.host_str().ok_or_else(|| err("no host".into()))?;
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let port = u.port().unwrap_or(if tls { 8883 } else { 1883 });
    Ok(Endpoint { host, port, tls })
}

impl MqttConfig {
    /// The password: from `password_file` (relative paths against `base`) or `password`.
    pub fn password(&self, base: &Path) -> Result<Option<Secret>, MqttConfigError> {
        match &self.password_file {
            Some(p) => {
                let path = base.join(p);
                let text =
                    std::fs::read_to_string(&path).map_err(|source| MqttConfigError::File {
                        key: "password_file",
                        path,
                        source,
                    })?;
                Ok(Some(Secret::from_file_contents(&text)))
            }
            None => Ok(self.password.clone()),
        }
    }

    /// MQTT 5 options for this config; relative file paths resolve against `base` (the config
    /// file's directory).
    pub fn options(
        &self,
        default_client_id: &str,
        base: &Path,
    ) -> Result<MqttOptions, MqttConfigError> {
        let ep = parse_url(&self.url)?;
        let id = self
            .client_id
            .clone()
            .unwrap_or_else(|| default_client_id.to_owned());
        let mut o = MqttOptions::new(id, ep.host, ep.port);
        o.set_keep_alive(self.keep_alive);
        if let Some(user) = &self.username {
            let pw = self
                .password(base)?
                .map(|s| s.expose().to_owned())
                .unwrap_or_default();
            o.set_credentials(user.clone(), pw);
        }
        if ep.tls {
            let path = self
                .ca_file
                .as_ref()
                .map_or_else(|| PathBuf::from(SYSTEM_CA_BUNDLE), |p| base.join(p));
            let ca = std::fs::read(&path).map_err(|source| MqttConfigError::File {
                key: "ca_file",
                path,
                source,
            })?;
            o.set_transport(Transport::tls_with_config(TlsConfiguration::Simple {
                ca,
                alpn: None,
                client_auth: None,
            }));
        }
        Ok(o)
    }
}

/// What one poll of rumqttc's event loop gives, with the loop handed back.
type PollOutput = (
    rumqttc::v5::EventLoop,
    Result<rumqttc::v5::Event, rumqttc::v5::ConnectionError>,
);

/// rumqttc's event loop behind a cancel-safe [`Poller::next`], for `tokio::select!` loops.
///
/// `EventLoop::poll` is not cancel-safe while it connects: dropped half-way (because another
/// branch of a `select!` fired: a tick, a wake-up, an ack), the TCP or TLS connection it was
/// opening is closed and the next poll starts again from nothing. On a slow link, where a TLS
/// handshake takes longer than the one-second tick, such a client would never connect; on
/// loopback the broker logs a connection closed before its CONNECT for each one. The poller
/// keeps the unfinished poll and resumes it, so no select branch can abort a connection.
pub struct Poller {
    pending: std::pin::Pin<Box<dyn std::future::Future<Output = PollOutput> + Send>>,
}

impl Poller {
    /// Takes the event loop over; it is first polled by the first [`Poller::next`].
    pub fn new(eventloop: rumqttc::v5::EventLoop) -> Poller {
        Poller {
            pending: Self::poll(eventloop),
        }
    }

    fn poll(
        mut eventloop: rumqttc::v5::EventLoop,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = PollOutput> + Send>> {
        Box::pin(async move {
            let event = eventloop.poll().await;
            (eventloop, event)
        })
    }

    /// The next event. Cancel-safe: a call dropped before it returns loses nothing, the next
    /// call resumes the same poll. After it returns, nothing runs until it is called again (an
    /// error's backoff is the caller's to wait).
    pub async fn next(&mut self) -> Result<rumqttc::v5::Event, rumqttc::v5::ConnectionError> {
        let (eventloop, event) = (&mut self.pending).await;
        self.pending = Self::poll(eventloop);
        event
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_schemes_and_default_ports() {
        assert_eq!(
            parse_url("mqtt://127.0.0.1").unwrap(),
            Endpoint {
                host: "127.0.0.1".into(),
                port: 1883,
                tls: false
            }
        );
        assert_eq!(parse_url("mqtts://broker.example:9999").unwrap().port, 9999);
        assert!(parse_url("mqtts://broker.example").unwrap().tls);
        assert_eq!(parse_url("mqtt://[::1]:1884").unwrap().host, "::1");
        let err = parse_url("http://x").unwrap_err().to_string();
        assert!(err.contains("mqtt.url") && err.contains("http"), "{err}");
        assert!(parse_url("not a url").is_err());
    }

    #[test]
    fn password_file_is_read_relative_to_the_config() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pw"), "s3cret\n").unwrap();
        let cfg: MqttConfig =
            toml::from_str("url = \"mqtt://localhost\"\nusername = \"s1\"\npassword_file = \"pw\"")
                .unwrap();
        assert_eq!(
            cfg.password(dir.path()).unwrap().unwrap().expose(),
            "s3cret"
        );
        let missing: MqttConfig =
            toml::from_str("url = \"mqtt://localhost\"\npassword_file = \"nope\"").unwrap();
        let err = missing.password(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("mqtt.password_file") && err.contains("nope"),
            "{err}"
        );
    }
}

//! The `broker` check: connect with the agent's MQTT options (a client id of its own, so a
//! running agent's session is not taken over), publish one QoS 1 heartbeat of the check's own
//! run (`check-<random>`, seq 1) and wait for its PUBACK. Connection refusals, credentials,
//! TLS failures and ACL refusals (PUBACK 135) each get their own fix.
//!
//! [`broker_check`] turns a [`BrokerOutcome`] into the line without I/O; [`check_broker`] does
//! the session.

use super::report::{Check, error_chain};
use crate::clock::ClockWatch;
use crate::config::AgentConfig;
use crate::header::reading_header;
use chrono::Utc;
use coverage_net::mqtt::{Endpoint, MqttConfigError, SYSTEM_CA_BUNDLE, parse_url};
use coverage_shared::topic::reading_topic;
use coverage_shared::wire::{Body, Heartbeat, ModemInfo, Reading};
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::{ConnectReturnCode, DisconnectReasonCode, Packet, PubAckReason};
use rumqttc::v5::{AsyncClient, ConnectionError, Event, MqttOptions, StateError};
use std::path::PathBuf;
use std::time::Duration;

/// What connecting and publishing the test heartbeat led to.
#[derive(Debug)]
pub enum BrokerOutcome {
    /// The broker answered the heartbeat's PUBLISH with this PUBACK reason.
    Acked(PubAckReason),
    /// The broker closed the session with a DISCONNECT before acknowledging.
    Disconnected(DisconnectReasonCode),
    /// The connection failed.
    Failed {
        /// Whether the CONNACK had been received.
        connected: bool,
        /// rumqttc's error.
        error: ConnectionError,
    },
    /// Nothing conclusive before the deadline.
    TimedOut {
        /// Whether the CONNACK had been received.
        connected: bool,
        /// How long was waited.
        after: Duration,
    },
}

/// What the broker line needs to say about the configuration.
#[derive(Debug, Clone)]
pub struct BrokerContext {
    /// The configured URL.
    pub url: String,
    /// Host, port, TLS.
    pub endpoint: Endpoint,
    /// `mqtt.username`.
    pub username: Option<String>,
    /// Where the password comes from, for messages (`mqtt.password_file` resolved).
    pub password_file: Option<PathBuf>,
    /// The CA bundle used for TLS.
    pub ca_file: PathBuf,
    /// The heartbeat's topic.
    pub topic: String,
    /// Whether a password is configured (inline or file).
    pub has_password: bool,
}

impl BrokerContext {
    fn from_config(cfg: &AgentConfig) -> Result<BrokerContext, MqttConfigError> {
        let endpoint = parse_url(&cfg.mqtt.url)?;
        Ok(BrokerContext {
            url: cfg.mqtt.url.clone(),
            endpoint,
            username: cfg.mqtt.username.clone(),
            password_file: cfg.mqtt.password_file.as_ref().map(|p| cfg.base.join(p)),
            ca_file: cfg
                .mqtt
                .ca_file
                .as_ref()
                .map_or_else(|| PathBuf::from(SYSTEM_CA_BUNDLE), |p| cfg.base.join(p)),
            topic: reading_topic(&cfg.site.id, coverage_shared::wire::Kind::Heartbeat),
            has_password: cfg.mqtt.password.is_some() || cfg.mqtt.password_file.is_some(),
        })
    }

    fn host_port(&self) -> String {
        if self.endpoint.host.contains(':') {
            format!("[{}]:{}", self.endpoint.host, self.endpoint.port)
        } else {
            format!("{}:{}", self.endpoint.host, self.endpoint.port)
        }
    }

    fn user(&self) -> String {
        self.username
            .as_deref()
            .map_or_else(|| "anonymous".to_owned(), |u| format!("user {u}"))
    }

    fn password_place(&self) -> String {
        self.password_file.as_ref().map_or_else(
            || "mqtt.password".to_owned(),
            |p| format!("{} (first line)", p.display()),
        )
    }

    fn is_loopback(&self) -> bool {
        let h = self.endpoint.host.as_str();
        h == "localhost"
            || h.parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }
}

/// The `broker` line for the outcome of a connect-and-publish.
pub fn broker_check(outcome: &BrokerOutcome, ctx: &BrokerContext) -> Check {
    let name = "broker";
    let at = format!("{} as {}", ctx.url, ctx.user());
    match outcome {
        BrokerOutcome::Acked(
            reason @ (PubAckReason::Success | PubAckReason::NoMatchingSubscribers),
        ) => {
            let note = if *reason == PubAckReason::NoMatchingSubscribers {
                " (no subscriber yet: no collector session on this broker)"
            } else {
                ""
            };
            let detail = format!(
                "connected to {at}; test heartbeat on {} accepted{note}",
                ctx.topic
            );
            if !ctx.endpoint.tls && ctx.has_password && !ctx.is_loopback() {
                return Check::warn(
                    name,
                    format!("{detail}; the password travels in clear text"),
                    "use mqtts:// (port 8883) so the password and readings are encrypted",
                );
            }
            Check::pass(name, detail)
        }
        BrokerOutcome::Acked(PubAckReason::NotAuthorized) => Check::fail(
            name,
            format!(
                "connected to {at}, but the broker refused the heartbeat on {} (not authorised)",
                ctx.topic
            ),
            "broker refused: check the ACL and that mqtt.username equals site.id (the ACL needs \
             `pattern write coverage/v1/%u/#`)",
        ),
        BrokerOutcome::Acked(other) => Check::fail(
            name,
            format!(
                "connected to {at}, but the broker refused the heartbeat on {}: {other:?}",
                ctx.topic
            ),
            match other {
                PubAckReason::QuotaExceeded => {
                    "the broker's quota for this client is exhausted: ask its operator"
                }
                _ => "look in the broker's log for why it refused the publish",
            },
        ),
        BrokerOutcome::Disconnected(code) => Check::fail(
            name,
            format!("{at}: the broker closed the connection ({code:?})"),
            match code {
                DisconnectReasonCode::NotAuthorized => {
                    "broker refused: check the ACL and that mqtt.username equals site.id"
                }
                DisconnectReasonCode::SessionTakenOver => {
                    "another client uses the same client id: set a unique mqtt.client_id"
                }
                _ => "look in the broker's log for why it closed the connection",
            },
        ),
        BrokerOutcome::TimedOut { connected, after } => {
            if *connected {
                Check::fail(
                    name,
                    format!("connected to {at}, but no acknowledgement within {after:?}"),
                    "the broker is overloaded or drops the publish: look in its log",
                )
            } else {
                Check::fail(
                    name,
                    format!("no answer from {} within {after:?}", ctx.host_port()),
                    format!(
                        "check the route and any firewall to the broker (`nc -vz {} {}`), and \
                         the host and port in mqtt.url",
                        ctx.endpoint.host, ctx.endpoint.port
                    ),
                )
            }
        }
        BrokerOutcome::Failed { error, .. } => connection_failure(error, ctx),
    }
}

fn connection_failure(error: &ConnectionError, ctx: &BrokerContext) -> Check {
    let name = "broker";
    let text = error_chain(error);
    let code = match error {
        ConnectionError::ConnectionRefused(code)
        | ConnectionError::MqttState(StateError::ConnFail { reason: code }) => Some(*code),
        _ => None,
    };
    if let Some(code) = code {
        let detail = format!(
            "{} refused the connection as {}: {code:?}",
            ctx.host_port(),
            ctx.user()
        );
        let fix = match (code, &ctx.username) {
            (ConnectReturnCode::BadUserNamePassword | ConnectReturnCode::NotAuthorized, None) => {
                "the broker does not accept anonymous clients: set mqtt.username = site.id and \
                 mqtt.password_file"
                    .to_owned()
            }
            (ConnectReturnCode::BadUserNamePassword, Some(u)) => format!(
                "bad credentials: put this site's password on the first line of {}; on the \
                 broker, `mosquitto_passwd <password file> {u}` sets it",
                ctx.password_place()
            ),
            // mosquitto answers this for an unknown user and for a wrong password alike.
            (ConnectReturnCode::NotAuthorized, Some(u)) => format!(
                "the broker refused user {u}'s credentials: check that {} holds this site's \
                 password, and that the broker's password file has user {u} \
                 (`mosquitto_passwd <password file> {u}`)",
                ctx.password_place()
            ),
            (ConnectReturnCode::ClientIdentifierNotValid | ConnectReturnCode::BadClientId, _) => {
                "the broker rejects the client id: set mqtt.client_id".to_owned()
            }
            (ConnectReturnCode::Banned, _) => {
                "the broker banned this client: ask the broker's operator".to_owned()
            }
            (
                ConnectReturnCode::ServerUnavailable
                | ConnectReturnCode::ServerBusy
                | ConnectReturnCode::ConnectionRateExceeded,
                _,
            ) => "the broker is busy or unavailable: try again later; the agent keeps readings \
                  in its spool meanwhile"
                .to_owned(),
            (
                ConnectReturnCode::UnsupportedProtocolVersion
                | ConnectReturnCode::RefusedProtocolVersion,
                _,
            ) => "the broker does not speak MQTT 5: use mosquitto 2 or another MQTT 5 broker"
                .to_owned(),
            _ => "look in the broker's log for why it refused the connection".to_owned(),
        };
        return Check::fail(name, detail, fix);
    }
    let lower = text.to_ascii_lowercase();
    let tls_words = [
        "certificate",
        "unknownissuer",
        "tls",
        "handshake",
        "notvalidforname",
        "invalidcontenttype",
        "corrupt message",
    ];
    if ctx.endpoint.tls && tls_words.iter().any(|w| lower.contains(w)) {
        let ca = ctx.ca_file.display();
        let fix = if lower.contains("unknownissuer") || lower.contains("unknown ca") {
            format!(
                "the broker's certificate is not signed by a CA in {ca}: set mqtt.ca_file to \
                 the CA certificate (PEM) that signed it"
            )
        } else if lower.contains("notvalidforname") {
            format!(
                "the certificate is not valid for {}: put the host name the certificate names \
                 in mqtt.url",
                ctx.endpoint.host
            )
        } else if lower.contains("expired") || lower.contains("notvalidyet") {
            "the certificate is expired or not yet valid: renew it on the broker, or, if this \
             box's clock is wrong (see the clock line), fix the clock first"
                .to_owned()
        } else if lower.contains("no valid ca") {
            format!("{ca} holds no usable PEM certificate: point mqtt.ca_file at the CA's PEM")
        } else if lower.contains("invalidcontenttype") || lower.contains("corrupt message") {
            "this port does not speak TLS: use mqtt:// for it, or the broker's TLS port \
             (usually 8883)"
                .to_owned()
        } else {
            format!(
                "the TLS handshake failed: check mqtt.ca_file ({ca}) and that the port in \
                 mqtt.url is the broker's TLS port"
            )
        };
        return Check::fail(
            name,
            format!("TLS with {} failed: {text}", ctx.host_port()),
            fix,
        );
    }
    let io_kind = match error {
        ConnectionError::Io(e) | ConnectionError::MqttState(StateError::Io(e)) => Some(e.kind()),
        _ => None,
    };
    use std::io::ErrorKind as K;
    let fix = if io_kind == Some(K::ConnectionRefused) {
        format!(
            "nothing accepts connections on {}: check the host and port in mqtt.url (1883 for \
             mqtt://, 8883 for mqtts://) and that the broker runs",
            ctx.host_port()
        )
    } else if lower.contains("lookup")
        || lower.contains("name or service")
        || lower.contains("resolution")
    {
        format!(
            "{} does not resolve: check the name in mqtt.url and the DNS server in \
             /etc/resolv.conf",
            ctx.endpoint.host
        )
    } else if matches!(
        io_kind,
        Some(K::HostUnreachable | K::NetworkUnreachable | K::TimedOut)
    ) || matches!(error, ConnectionError::Timeout(_))
    {
        format!(
            "no route to the broker: check this box's network and any firewall (`ip route get \
             {}`)",
            ctx.endpoint.host
        )
    } else if matches!(
        io_kind,
        Some(K::UnexpectedEof | K::ConnectionReset | K::ConnectionAborted)
    ) || matches!(
        error,
        ConnectionError::MqttState(StateError::ConnectionAborted)
    ) {
        if ctx.endpoint.tls {
            "the broker closed the connection: check the port is its TLS port and whether it \
             requires a client certificate"
                .to_owned()
        } else {
            "the broker closed the connection before answering: if this port expects TLS, use \
             mqtts://; otherwise look in the broker's log"
                .to_owned()
        }
    } else {
        "look in the broker's log, and check mqtt.url".to_owned()
    };
    Check::fail(
        name,
        format!("cannot connect to {}: {text}", ctx.host_port()),
        fix,
    )
}

/// A heartbeat of the check's own run, seq 1 (module docs).
fn test_heartbeat(cfg: &AgentConfig, clock: &ClockWatch) -> Reading {
    let run: String = (0..8)
        .map(|_| format!("{:02x}", rand::random::<u8>()))
        .collect();
    Reading {
        header: reading_header(
            &cfg.site,
            format!("check-{run}"),
            1,
            Utc::now(),
            clock.synced(),
        ),
        body: Body::Heartbeat(Heartbeat {
            uptime_s: 0,
            interval_s: Some(cfg.schedule.heartbeat_interval.as_secs().max(1)),
            spool_depth: 0,
            spool_dropped: 0,
            clock_sync_age_s: clock.age_s(),
            modems: cfg
                .modems
                .iter()
                .map(|m| ModemInfo {
                    name: m.name().to_owned(),
                    ..ModemInfo::default()
                })
                .collect(),
        }),
    }
}

/// Connects with the agent's MQTT options (but a client id of its own), publishes one QoS 1
/// heartbeat and waits for its PUBACK.
async fn broker_session(
    opts: MqttOptions,
    topic: String,
    payload: Vec<u8>,
    connected: &mut bool,
) -> BrokerOutcome {
    let (client, mut eventloop) = AsyncClient::new(opts, 10);
    if let Err(e) = client
        .publish(topic, QoS::AtLeastOnce, false, payload)
        .await
    {
        return BrokerOutcome::Failed {
            connected: false,
            error: ConnectionError::Io(std::io::Error::other(e.to_string())),
        };
    }
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => *connected = true,
            Ok(Event::Incoming(Packet::PubAck(ack))) => {
                let _ = client.try_disconnect();
                let _ = tokio::time::timeout(Duration::from_millis(500), eventloop.poll()).await;
                return BrokerOutcome::Acked(ack.reason);
            }
            Ok(Event::Incoming(Packet::Disconnect(d))) => {
                return BrokerOutcome::Disconnected(d.reason_code);
            }
            Ok(_) => {}
            Err(error) => {
                return BrokerOutcome::Failed {
                    connected: *connected,
                    error,
                };
            }
        }
    }
}

pub(super) async fn check_broker(cfg: &AgentConfig, clock: &ClockWatch, limit: Duration) -> Check {
    let ctx = match BrokerContext::from_config(cfg) {
        Ok(c) => c,
        Err(e) => return Check::fail("broker", e.to_string(), "correct mqtt.url"),
    };
    // The agent's options, but never its client id: a second session with the same id would
    // throw the running agent off the broker.
    let mut mqtt = cfg.mqtt.clone();
    mqtt.client_id = None;
    let suffix: u32 = rand::random();
    let mut opts = match mqtt.options(&format!("check-{}-{suffix:08x}", cfg.site.id), &cfg.base) {
        Ok(o) => o,
        Err(e) => {
            let fix = match &e {
                MqttConfigError::File {
                    key: "password_file",
                    path,
                    ..
                } => format!(
                    "create {} with this site's MQTT password on its first line, readable by \
                     the agent's user only",
                    path.display()
                ),
                MqttConfigError::File { path, .. } => format!(
                    "put the CA certificate (PEM) that signed the broker's certificate at {}, \
                     or point mqtt.ca_file at it",
                    path.display()
                ),
                MqttConfigError::Url { .. } => "correct mqtt.url".to_owned(),
            };
            return Check::fail("broker", e.to_string(), fix);
        }
    };
    opts.set_clean_start(true);
    opts.set_connection_timeout(limit.as_secs().max(1));
    let payload = test_heartbeat(cfg, clock).to_json().into_bytes();
    let mut connected = false;
    let outcome = match tokio::time::timeout(
        limit,
        broker_session(opts, ctx.topic.clone(), payload, &mut connected),
    )
    .await
    {
        Ok(o) => o,
        Err(_) => BrokerOutcome::TimedOut {
            connected,
            after: limit,
        },
    };
    broker_check(&outcome, &ctx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Status;

    fn broker_ctx(url: &str, user: Option<&str>) -> BrokerContext {
        BrokerContext {
            url: url.to_owned(),
            endpoint: parse_url(url).unwrap(),
            username: user.map(str::to_owned),
            password_file: user.map(|_| PathBuf::from("/etc/coverage-agent/mqtt-password")),
            ca_file: PathBuf::from(SYSTEM_CA_BUNDLE),
            topic: "coverage/v1/s1/heartbeat".into(),
            has_password: user.is_some(),
        }
    }

    #[test]
    fn broker_acks() {
        let ctx = broker_ctx("mqtt://127.0.0.1:1883", Some("s1"));
        for reason in [PubAckReason::Success, PubAckReason::NoMatchingSubscribers] {
            let c = broker_check(&BrokerOutcome::Acked(reason), &ctx);
            assert_eq!(c.status, Status::Pass, "{reason:?}");
        }
        let c = broker_check(&BrokerOutcome::Acked(PubAckReason::NotAuthorized), &ctx);
        assert_eq!(c.status, Status::Fail);
        assert!(
            c.fix
                .unwrap()
                .starts_with("broker refused: check the ACL and that mqtt.username equals site.id")
        );
        let remote = broker_ctx("mqtt://broker.example:1883", Some("s1"));
        let c = broker_check(&BrokerOutcome::Acked(PubAckReason::Success), &remote);
        assert_eq!(
            c.status,
            Status::Warn,
            "clear-text password to a remote broker"
        );
    }

    #[test]
    fn broker_connection_failures_have_their_own_fixes() {
        let ctx = broker_ctx("mqtt://127.0.0.1:1883", Some("s1"));
        let fail = |error| {
            broker_check(
                &BrokerOutcome::Failed {
                    connected: false,
                    error,
                },
                &ctx,
            )
        };
        let c = fail(ConnectionError::ConnectionRefused(
            ConnectReturnCode::BadUserNamePassword,
        ));
        assert!(c.fix.unwrap().contains("mqtt-password (first line)"));
        let c = fail(ConnectionError::ConnectionRefused(
            ConnectReturnCode::NotAuthorized,
        ));
        assert!(c.fix.unwrap().contains("refused user s1's credentials"));
        let c = fail(ConnectionError::Io(std::io::Error::from(
            std::io::ErrorKind::ConnectionRefused,
        )));
        assert!(
            c.fix
                .unwrap()
                .contains("nothing accepts connections on 127.0.0.1:1883")
        );
        let anon = broker_ctx("mqtt://127.0.0.1:1883", None);
        let c = broker_check(
            &BrokerOutcome::Failed {
                connected: false,
                error: ConnectionError::ConnectionRefused(ConnectReturnCode::NotAuthorized),
            },
            &anon,
        );
        assert!(c.fix.unwrap().contains("anonymous"));
        let tls = broker_ctx("mqtts://broker.example", Some("s1"));
        let c = broker_check(
            &BrokerOutcome::Failed {
                connected: false,
                error: ConnectionError::Io(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "invalid peer certificate: UnknownIssuer",
                )),
            },
            &tls,
        );
        assert!(
            c.detail.starts_with("TLS with broker.example:8883 failed"),
            "{c:?}"
        );
        assert!(c.fix.unwrap().contains("mqtt.ca_file"));
        let c = broker_check(
            &BrokerOutcome::TimedOut {
                connected: false,
                after: Duration::from_secs(20),
            },
            &tls,
        );
        assert!(c.fix.unwrap().contains("nc -vz broker.example 8883"));
    }
}

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
use coverage_shared::text::agent::text;
use coverage_shared::text::{Lang, fill};
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
    /// The language of the line.
    pub lang: Lang,
}

impl BrokerContext {
    /// What the broker line needs from `cfg`, worded in `lang`.
    pub fn from_config(cfg: &AgentConfig, lang: Lang) -> Result<BrokerContext, MqttConfigError> {
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
            lang,
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
        let t = text(self.lang);
        self.username.as_deref().map_or_else(
            || t.broker_anonymous.to_owned(),
            |u| fill(t.broker_user, &[("user", &u)]),
        )
    }

    fn password_place(&self) -> String {
        self.password_file.as_ref().map_or_else(
            || "mqtt.password".to_owned(),
            |p| {
                fill(
                    text(self.lang).broker_password_first_line,
                    &[("file", &p.display())],
                )
            },
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
    let t = text(ctx.lang);
    let name = "broker";
    let at = fill(t.broker_at, &[("url", &ctx.url), ("user", &ctx.user())]);
    let at_topic = [("at", &at as &dyn std::fmt::Display), ("topic", &ctx.topic)];
    match outcome {
        BrokerOutcome::Acked(
            reason @ (PubAckReason::Success | PubAckReason::NoMatchingSubscribers),
        ) => {
            let note = if *reason == PubAckReason::NoMatchingSubscribers {
                t.broker_no_subscriber
            } else {
                ""
            };
            let detail = fill(
                t.broker_accepted,
                &[("at", &at), ("topic", &ctx.topic), ("note", &note)],
            );
            if !ctx.endpoint.tls && ctx.has_password && !ctx.is_loopback() {
                return Check::warn(
                    name,
                    format!("{detail}{}", t.broker_clear_text),
                    t.broker_clear_text_fix,
                );
            }
            Check::pass(name, detail)
        }
        BrokerOutcome::Acked(PubAckReason::NotAuthorized) => Check::fail(
            name,
            fill(t.broker_acl_refused, &at_topic),
            t.broker_acl_fix,
        ),
        BrokerOutcome::Acked(other) => Check::fail(
            name,
            fill(
                t.broker_publish_refused,
                &[
                    ("at", &at),
                    ("topic", &ctx.topic),
                    ("reason", &format!("{other:?}")),
                ],
            ),
            match other {
                PubAckReason::QuotaExceeded => t.broker_quota_fix,
                _ => t.broker_log_publish_fix,
            },
        ),
        BrokerOutcome::Disconnected(code) => Check::fail(
            name,
            fill(
                t.broker_closed,
                &[("at", &at), ("code", &format!("{code:?}"))],
            ),
            match code {
                DisconnectReasonCode::NotAuthorized => t.broker_closed_acl_fix,
                DisconnectReasonCode::SessionTakenOver => t.broker_taken_over_fix,
                _ => t.broker_log_close_fix,
            },
        ),
        BrokerOutcome::TimedOut { connected, after } => {
            let after = humantime::format_duration(*after);
            if *connected {
                Check::fail(
                    name,
                    fill(t.broker_no_ack, &[("at", &at), ("after", &after)]),
                    t.broker_no_ack_fix,
                )
            } else {
                Check::fail(
                    name,
                    fill(
                        t.broker_silent,
                        &[("host", &ctx.host_port()), ("after", &after)],
                    ),
                    fill(
                        t.broker_silent_fix,
                        &[("host", &ctx.endpoint.host), ("port", &ctx.endpoint.port)],
                    ),
                )
            }
        }
        BrokerOutcome::Failed { error, .. } => connection_failure(error, ctx),
    }
}

/// Whether the broker refused this client's credentials or identity (a CONNACK with a
/// refusal code): retrying changes nothing until someone fixes the config or the broker.
pub fn refused_by_broker(error: &ConnectionError) -> bool {
    matches!(
        error,
        ConnectionError::ConnectionRefused(_)
            | ConnectionError::MqttState(StateError::ConnFail { .. })
    )
}

fn connection_failure(error: &ConnectionError, ctx: &BrokerContext) -> Check {
    let t = text(ctx.lang);
    let name = "broker";
    let text = error_chain(error);
    let code = match error {
        ConnectionError::ConnectionRefused(code)
        | ConnectionError::MqttState(StateError::ConnFail { reason: code }) => Some(*code),
        _ => None,
    };
    let host = ctx.host_port();
    if let Some(code) = code {
        let detail = fill(
            t.broker_refused_conn,
            &[
                ("host", &host),
                ("user", &ctx.user()),
                ("code", &format!("{code:?}")),
            ],
        );
        let fix = match (code, &ctx.username) {
            (ConnectReturnCode::BadUserNamePassword | ConnectReturnCode::NotAuthorized, None) => {
                t.broker_anonymous_fix.to_owned()
            }
            (ConnectReturnCode::BadUserNamePassword, Some(u)) => fill(
                t.broker_bad_password_fix,
                &[("place", &ctx.password_place()), ("user", u)],
            ),
            // mosquitto answers this for an unknown user and for a wrong password alike.
            (ConnectReturnCode::NotAuthorized, Some(u)) => fill(
                t.broker_not_authorized_fix,
                &[("place", &ctx.password_place()), ("user", u)],
            ),
            (ConnectReturnCode::ClientIdentifierNotValid | ConnectReturnCode::BadClientId, _) => {
                t.broker_client_id_fix.to_owned()
            }
            (ConnectReturnCode::Banned, _) => t.broker_banned_fix.to_owned(),
            (
                ConnectReturnCode::ServerUnavailable
                | ConnectReturnCode::ServerBusy
                | ConnectReturnCode::ConnectionRateExceeded,
                _,
            ) => t.broker_busy_fix.to_owned(),
            (
                ConnectReturnCode::UnsupportedProtocolVersion
                | ConnectReturnCode::RefusedProtocolVersion,
                _,
            ) => t.broker_protocol_fix.to_owned(),
            _ => t.broker_log_refused_fix.to_owned(),
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
            fill(t.broker_tls_issuer_fix, &[("ca", &ca)])
        } else if lower.contains("notvalidforname") {
            fill(t.broker_tls_name_fix, &[("host", &ctx.endpoint.host)])
        } else if lower.contains("expired") || lower.contains("notvalidyet") {
            t.broker_tls_expired_fix.to_owned()
        } else if lower.contains("no valid ca") {
            fill(t.broker_tls_no_ca_fix, &[("ca", &ca)])
        } else if lower.contains("invalidcontenttype") || lower.contains("corrupt message") {
            t.broker_tls_plain_port_fix.to_owned()
        } else {
            fill(t.broker_tls_other_fix, &[("ca", &ca)])
        };
        return Check::fail(
            name,
            fill(t.broker_tls_failed, &[("host", &host), ("error", &text)]),
            fix,
        );
    }
    let io_kind = match error {
        ConnectionError::Io(e) | ConnectionError::MqttState(StateError::Io(e)) => Some(e.kind()),
        _ => None,
    };
    use std::io::ErrorKind as K;
    let fix = if io_kind == Some(K::ConnectionRefused) {
        fill(t.broker_nothing_listens_fix, &[("host", &host)])
    } else if lower.contains("lookup")
        || lower.contains("name or service")
        || lower.contains("resolution")
    {
        fill(t.broker_resolve_fix, &[("host", &ctx.endpoint.host)])
    } else if matches!(
        io_kind,
        Some(K::HostUnreachable | K::NetworkUnreachable | K::TimedOut)
    ) || matches!(error, ConnectionError::Timeout(_))
    {
        fill(t.broker_no_route_fix, &[("host", &ctx.endpoint.host)])
    } else if matches!(
        io_kind,
        Some(K::UnexpectedEof | K::ConnectionReset | K::ConnectionAborted)
    ) || matches!(
        error,
        ConnectionError::MqttState(StateError::ConnectionAborted)
    ) {
        if ctx.endpoint.tls {
            t.broker_closed_tls_fix.to_owned()
        } else {
            t.broker_closed_plain_fix.to_owned()
        }
    } else {
        t.broker_other_fix.to_owned()
    };
    Check::fail(
        name,
        fill(
            t.broker_cannot_connect,
            &[("host", &host), ("error", &text)],
        ),
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
            seq_ranges: Vec::new(),
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

pub(super) async fn check_broker(
    cfg: &AgentConfig,
    clock: &ClockWatch,
    limit: Duration,
    lang: Lang,
) -> Check {
    let t = text(lang);
    let ctx = match BrokerContext::from_config(cfg, lang) {
        Ok(c) => c,
        Err(e) => return Check::fail("broker", e.to_string(), t.broker_url_fix),
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
                } => fill(t.broker_password_file_fix, &[("file", &path.display())]),
                MqttConfigError::File { path, .. } => {
                    fill(t.broker_ca_file_fix, &[("file", &path.display())])
                }
                MqttConfigError::Url { .. } => t.broker_url_fix.to_owned(),
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
            lang: Lang::En,
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

//! The broker checks: one MQTT 5 session with the collector's credentials (but a client id of
//! its own, so the running collector's session is not taken over) that
//!
//! 1. connects (TCP, TLS, CONNACK: the credentials),
//! 2. subscribes to the readings filter at QoS 0 and reads the SUBACK reason (`0x87` when the
//!    broker refuses the filter at subscribe time). Always the plain filter, never `$share/...`:
//!    a member of the shared group would take readings away from the running collectors
//!    (mosquitto checks a shared subscription against the topic without its prefix, so the
//!    right is the same);
//! 3. publishes one QoS 1 resend request for the probe site [`PROBE_SITE`] (`from` > `to`, so an
//!    agent would ignore it; collectors ignore resend topics), reads the PUBACK, and waits for
//!    the request to come back through the subscription (it matches `coverage/v1/+/+`).
//!
//! What each answer proves, as seen with mosquitto 2.0.11: it grants a wildcard filter with
//! SUBACK 0x00 even to a user that may read almost none of it (its read ACL applies to each
//! message delivered), and answers a denied QoS 1 publish from an MQTT 5 client with PUBACK
//! 0x87, then closes the connection (rumqttc reports the close; the PUBACK is lost with it).
//! So the echo is the proof of both rights: delivered back, the broker let this user publish
//! resend requests and read through the filter. Without it the lines say what is known: a
//! granted SUBACK is a warning (not proven), a PUBACK success passes with the caveat that a
//! broker may acknowledge a publish its ACL dropped.
//!
//! [`broker_checks`] turns a [`BrokerOutcome`] into lines without I/O; [`check_broker`] runs the
//! session, each step under its own timeout.

use super::report::{Check, error_chain};
use crate::config::Config;
use coverage_net::mqtt::{Endpoint, MqttConfigError, Poller, SYSTEM_CA_BUNDLE, parse_url};
use coverage_shared::text::server::text;
use coverage_shared::text::{Lang, fill};
use coverage_shared::topic::resend_topic;
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::{
    ConnectReturnCode, DisconnectReasonCode, Packet, PubAckReason, SubscribeReasonCode,
};
use rumqttc::v5::{AsyncClient, ConnectionError, Event, StateError};
use std::path::PathBuf;
use std::time::Duration;

/// The site id the resend probe is addressed to: no agent has it.
pub const PROBE_SITE: &str = "collector-check";

/// How one step of the session ended.
#[derive(Debug)]
pub enum Step<T> {
    /// The broker answered.
    Answered(T),
    /// The connection failed (refused CONNACK, TCP, TLS).
    Failed(ConnectionError),
    /// The broker sent a DISCONNECT.
    Closed(DisconnectReasonCode),
    /// Nothing within this time.
    TimedOut(Duration),
    /// Not tried: an earlier step failed.
    NotTried,
}

/// The three steps of the session.
#[derive(Debug)]
pub struct BrokerOutcome {
    /// CONNACK.
    pub connect: Step<ConnectReturnCode>,
    /// SUBACK for the readings filter.
    pub subscribe: Step<SubscribeReasonCode>,
    /// PUBACK for the resend request.
    pub resend: Step<PubAckReason>,
    /// Whether the resend request came back through the subscription.
    pub echoed: bool,
    /// How long the echo was waited for.
    pub waited: Duration,
}

/// What the lines need to say about the configuration.
#[derive(Debug, Clone)]
pub struct BrokerContext {
    /// `mqtt.url`.
    pub url: String,
    /// Host, port, TLS.
    pub endpoint: Endpoint,
    /// `mqtt.username`.
    pub username: Option<String>,
    /// `mqtt.password_file`, resolved.
    pub password_file: Option<PathBuf>,
    /// The CA bundle for TLS.
    pub ca_file: PathBuf,
    /// The filter subscribed to (without a `$share` prefix).
    pub filter: String,
    /// The resend request's topic.
    pub topic: String,
    /// The language of the lines.
    pub lang: Lang,
}

impl BrokerContext {
    /// What the lines need from `cfg`.
    pub fn from_config(cfg: &Config, lang: Lang) -> Result<BrokerContext, MqttConfigError> {
        Ok(BrokerContext {
            url: cfg.mqtt.url.clone(),
            endpoint: parse_url(&cfg.mqtt.url)?,
            username: cfg.mqtt.username.clone(),
            password_file: cfg.mqtt.password_file.as_ref().map(|p| cfg.base.join(p)),
            ca_file: cfg
                .mqtt
                .ca_file
                .as_ref()
                .map_or_else(|| PathBuf::from(SYSTEM_CA_BUNDLE), |p| cfg.base.join(p)),
            filter: coverage_shared::topic::READINGS_FILTER.to_owned(),
            topic: resend_topic(PROBE_SITE),
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
        self.username
            .as_deref()
            .map_or_else(|| t.anonymous.to_owned(), |u| fill(t.user, &[("user", &u)]))
    }

    fn user_name(&self) -> &str {
        self.username.as_deref().unwrap_or("<mqtt.username>")
    }

    fn password_place(&self) -> String {
        self.password_file
            .as_ref()
            .map_or_else(|| "mqtt.password".to_owned(), |p| p.display().to_string())
    }
}

/// MQTT 5's reason code byte for a SUBACK entry (`0x00`-`0x02` granted, `0x87` not authorised).
pub fn suback_code(r: SubscribeReasonCode) -> u8 {
    match r {
        SubscribeReasonCode::Success(QoS::AtMostOnce) => 0x00,
        SubscribeReasonCode::Success(QoS::AtLeastOnce) => 0x01,
        SubscribeReasonCode::Success(QoS::ExactlyOnce) => 0x02,
        SubscribeReasonCode::Failure | SubscribeReasonCode::Unspecified => 0x80,
        SubscribeReasonCode::ImplementationSpecific => 0x83,
        SubscribeReasonCode::NotAuthorized => 0x87,
        SubscribeReasonCode::TopicFilterInvalid => 0x8F,
        SubscribeReasonCode::PkidInUse => 0x91,
        SubscribeReasonCode::QuotaExceeded => 0x97,
        SubscribeReasonCode::SharedSubscriptionsNotSupported => 0x9E,
        SubscribeReasonCode::SubscriptionIdNotSupported => 0xA1,
        SubscribeReasonCode::WildcardSubscriptionsNotSupported => 0xA2,
    }
}

fn reason_text(r: SubscribeReasonCode) -> String {
    format!("0x{:02X} {r:?}", suback_code(r))
}

/// The broker lines for a session's outcome: the connection, then (once connected) the
/// subscription and the resend request.
pub fn broker_checks(outcome: &BrokerOutcome, ctx: &BrokerContext) -> Vec<Check> {
    let t = text(ctx.lang);
    let mut lines = Vec::new();
    match &outcome.connect {
        Step::Answered(code) => lines.push(Check::pass(
            t.check_broker,
            fill(
                t.broker_connected,
                &[
                    ("url", &ctx.url as &dyn std::fmt::Display),
                    ("user", &ctx.user()),
                    ("code", &format!("{code:?}")),
                ],
            ),
        )),
        Step::Failed(e) => {
            lines.push(connection_failure(e, ctx));
            return lines;
        }
        other => {
            lines.push(unanswered(t.check_broker, "CONNACK", other, ctx));
            return lines;
        }
    }
    let user = ctx.user_name();
    let waited = humantime::format_duration(outcome.waited).to_string();
    let resend_acked = matches!(
        outcome.resend,
        Step::Answered(PubAckReason::Success | PubAckReason::NoMatchingSubscribers)
    );
    lines.push(match &outcome.subscribe {
        Step::Answered(r @ SubscribeReasonCode::Success(_)) if outcome.echoed => Check::pass(
            t.check_subscribe,
            fill(
                t.subscribe_granted,
                &[("filter", &ctx.filter), ("code", &reason_text(*r))],
            ),
        ),
        Step::Answered(r @ SubscribeReasonCode::Success(_)) => Check::warn(
            t.check_subscribe,
            fill(
                if resend_acked {
                    t.subscribe_unproven
                } else {
                    t.subscribe_untested
                },
                &[
                    ("filter", &ctx.filter),
                    ("code", &reason_text(*r)),
                    ("topic", &ctx.topic),
                    ("after", &waited),
                ],
            ),
            fill(t.subscribe_refused_fix, &[("user", &user)]),
        ),
        Step::Answered(r) => Check::fail(
            t.check_subscribe,
            fill(
                t.subscribe_refused,
                &[("filter", &ctx.filter), ("code", &reason_text(*r))],
            ),
            fill(t.subscribe_refused_fix, &[("user", &user)]),
        ),
        other => unanswered(t.check_subscribe, "SUBACK", other, ctx),
    });
    lines.push(match &outcome.resend {
        Step::Answered(r) if resend_acked => Check::pass(
            t.check_resend,
            fill(
                if outcome.echoed {
                    t.resend_delivered
                } else {
                    t.resend_acked
                },
                &[("topic", &ctx.topic), ("reason", &format!("{r:?}"))],
            ),
        ),
        Step::Answered(r) => Check::fail(
            t.check_resend,
            fill(
                t.resend_refused,
                &[("topic", &ctx.topic), ("reason", &format!("{r:?}"))],
            ),
            fill(t.resend_refused_fix, &[("user", &user)]),
        ),
        // mosquitto closes the connection of an MQTT 5 client whose publish its ACL denied.
        Step::Failed(_) | Step::Closed(_) => Check::fail(
            t.check_resend,
            fill(t.resend_closed, &[("topic", &ctx.topic)]),
            fill(t.resend_refused_fix, &[("user", &user)]),
        ),
        other => unanswered(t.check_resend, "PUBACK", other, ctx),
    });
    lines
}

/// A step without an answer: closed, timed out, failed mid-session or not tried.
fn unanswered<T>(name: &str, packet: &str, step: &Step<T>, ctx: &BrokerContext) -> Check {
    let t = text(ctx.lang);
    match step {
        Step::Closed(code) => Check::fail(
            name,
            fill(
                t.broker_closed,
                &[("step", &packet), ("code", &format!("{code:?}"))],
            ),
            t.broker_closed_fix,
        ),
        Step::TimedOut(after) if packet == "CONNACK" => Check::fail(
            name,
            fill(
                t.broker_silent,
                &[
                    ("host", &ctx.host_port()),
                    ("after", &humantime::format_duration(*after).to_string()),
                ],
            ),
            fill(
                t.broker_silent_fix,
                &[
                    ("host", &ctx.endpoint.host as &dyn std::fmt::Display),
                    ("port", &ctx.endpoint.port),
                ],
            ),
        ),
        Step::TimedOut(after) => Check::fail(
            name,
            fill(
                t.no_answer,
                &[
                    ("packet", &packet),
                    (
                        "after",
                        &humantime::format_duration(*after).to_string().as_str(),
                    ),
                ],
            ),
            t.no_answer_fix,
        ),
        Step::Failed(e) => Check {
            name: name.to_owned(),
            ..connection_failure(e, ctx)
        },
        Step::NotTried | Step::Answered(_) => Check::fail(name, t.not_tried, t.broker_other_fix),
    }
}

fn connection_failure(error: &ConnectionError, ctx: &BrokerContext) -> Check {
    let t = text(ctx.lang);
    let name = t.check_broker;
    let host = ctx.host_port();
    let code = match error {
        ConnectionError::ConnectionRefused(code)
        | ConnectionError::MqttState(StateError::ConnFail { reason: code }) => Some(*code),
        _ => None,
    };
    if let Some(code) = code {
        let detail = fill(
            t.broker_refused,
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
            (
                ConnectReturnCode::BadUserNamePassword | ConnectReturnCode::NotAuthorized,
                Some(u),
            ) => fill(
                t.broker_credentials_fix,
                &[("user", u), ("place", &ctx.password_place())],
            ),
            _ => t.broker_refused_fix.to_owned(),
        };
        return Check::fail(name, detail, fix);
    }
    let text_ = error_chain(error);
    let lower = text_.to_ascii_lowercase();
    let tls_words = [
        "certificate",
        "unknownissuer",
        "tls",
        "handshake",
        "notvalidforname",
    ];
    if ctx.endpoint.tls && tls_words.iter().any(|w| lower.contains(w)) {
        return Check::fail(
            name,
            fill(t.broker_tls_failed, &[("host", &host), ("error", &text_)]),
            fill(t.broker_tls_fix, &[("ca", &ctx.ca_file.display())]),
        );
    }
    let refused = matches!(
        error,
        ConnectionError::Io(e) | ConnectionError::MqttState(StateError::Io(e))
            if e.kind() == std::io::ErrorKind::ConnectionRefused
    );
    Check::fail(
        name,
        fill(
            t.broker_cannot_connect,
            &[("host", &host), ("error", &text_)],
        ),
        if refused {
            fill(t.broker_nothing_listens_fix, &[("host", &host)])
        } else {
            t.broker_other_fix.to_owned()
        },
    )
}

/// Polls until `pick` finds the awaited packet, the session ends, or `limit` passes.
async fn wait<T>(
    poller: &mut Poller,
    limit: Duration,
    pick: impl Fn(&Packet) -> Option<T>,
) -> Step<T> {
    let steps = async {
        loop {
            match poller.next().await {
                Ok(Event::Incoming(Packet::Disconnect(d))) => return Step::Closed(d.reason_code),
                Ok(Event::Incoming(p)) => {
                    if let Some(v) = pick(&p) {
                        return Step::Answered(v);
                    }
                }
                Ok(Event::Outgoing(_)) => {}
                Err(e) => return Step::Failed(e),
            }
        }
    };
    tokio::time::timeout(limit, steps)
        .await
        .unwrap_or(Step::TimedOut(limit))
}

/// The resend request's payload: the agents' `{run, from, to}` with `from` > `to`, which an
/// agent ignores; the run carries `nonce`, so the echo is this check's own.
fn probe_payload(nonce: u32) -> Vec<u8> {
    format!(r#"{{"run":"collector-check-{nonce:08x}","from":1,"to":0}}"#).into_bytes()
}

/// Waits for the PUBACK of the resend request and for the request itself to come back through
/// the subscription, both within `limit`.
async fn echo(
    poller: &mut Poller,
    limit: Duration,
    topic: &[u8],
    payload: &[u8],
) -> (Step<PubAckReason>, bool) {
    let mut ack = Step::TimedOut(limit);
    let mut echoed = false;
    let deadline = tokio::time::Instant::now() + limit;
    while !(echoed && matches!(ack, Step::Answered(_))) {
        let Ok(event) = tokio::time::timeout_at(deadline, poller.next()).await else {
            break;
        };
        match event {
            Ok(Event::Incoming(Packet::PubAck(a))) => ack = Step::Answered(a.reason),
            Ok(Event::Incoming(Packet::Publish(p))) => {
                echoed |= p.topic.as_ref() == topic && p.payload.as_ref() == payload;
            }
            Ok(Event::Incoming(Packet::Disconnect(d))) => {
                return (Step::Closed(d.reason_code), echoed);
            }
            Ok(_) => {}
            Err(e) => return (Step::Failed(e), echoed),
        }
    }
    (ack, echoed)
}

/// Runs the session; each step waits at most `limit`.
pub async fn check_broker(cfg: &Config, limit: Duration, lang: Lang) -> Vec<Check> {
    let t = text(lang);
    let ctx = match BrokerContext::from_config(cfg, lang) {
        Ok(c) => c,
        Err(e) => {
            return vec![Check::fail(
                t.check_broker,
                e.to_string(),
                t.broker_other_fix,
            )];
        }
    };
    // The collector's options, never its client id: a second session with the same id would
    // throw the running collector off the broker.
    let mut mqtt = cfg.mqtt.clone();
    mqtt.client_id = None;
    let id = format!("coverage-collector-check-{:08x}", rand::random::<u32>());
    let mut opts = match mqtt.options(&id, &cfg.base) {
        Ok(o) => o,
        Err(e) => {
            let fix = match &e {
                MqttConfigError::File { key, path, .. } => fill(
                    t.broker_file_fix,
                    &[
                        ("key", &format!("mqtt.{key}") as &dyn std::fmt::Display),
                        ("file", &path.display()),
                    ],
                ),
                MqttConfigError::Url { .. } => t.broker_other_fix.to_owned(),
            };
            return vec![Check::fail(t.check_broker, e.to_string(), fix)];
        }
    };
    opts.set_clean_start(true);
    opts.set_connection_timeout(limit.as_secs().max(1));
    opts.set_max_packet_size(Some(256 * 1024));
    let (client, eventloop) = AsyncClient::new(opts, 10);
    let mut poller = Poller::new(eventloop);
    let mut outcome = BrokerOutcome {
        connect: wait(&mut poller, limit, |p| match p {
            Packet::ConnAck(a) => Some(a.code),
            _ => None,
        })
        .await,
        subscribe: Step::NotTried,
        resend: Step::NotTried,
        echoed: false,
        waited: limit,
    };
    if !matches!(outcome.connect, Step::Answered(_)) {
        return broker_checks(&outcome, &ctx);
    }
    if client
        .subscribe(ctx.filter.clone(), QoS::AtMostOnce)
        .await
        .is_ok()
    {
        outcome.subscribe = wait(&mut poller, limit, |p| match p {
            Packet::SubAck(s) => s.return_codes.first().copied(),
            _ => None,
        })
        .await;
    }
    let mut alive = !matches!(outcome.subscribe, Step::Failed(_) | Step::Closed(_));
    let payload = probe_payload(rand::random());
    if alive
        && client
            .publish(ctx.topic.clone(), QoS::AtLeastOnce, false, payload.clone())
            .await
            .is_ok()
    {
        let topic = ctx.topic.as_bytes();
        let (resend, echoed) = echo(&mut poller, limit, topic, &payload).await;
        alive = !matches!(resend, Step::Failed(_) | Step::Closed(_));
        outcome.resend = resend;
        outcome.echoed = echoed;
    }
    if alive {
        let _ = client.try_disconnect();
        let _ = tokio::time::timeout(Duration::from_millis(500), poller.next()).await;
    }
    broker_checks(&outcome, &ctx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Status;

    fn ctx(user: Option<&str>) -> BrokerContext {
        BrokerContext {
            url: "mqtt://127.0.0.1:1883".into(),
            endpoint: parse_url("mqtt://127.0.0.1:1883").unwrap(),
            username: user.map(str::to_owned),
            password_file: user.map(|_| PathBuf::from("/etc/coverage/collector-pw")),
            ca_file: PathBuf::from(SYSTEM_CA_BUNDLE),
            filter: "coverage/v1/+/+".into(),
            topic: resend_topic(PROBE_SITE),
            lang: Lang::En,
        }
    }

    fn outcome(subscribe: Step<SubscribeReasonCode>, resend: Step<PubAckReason>) -> BrokerOutcome {
        BrokerOutcome {
            connect: Step::Answered(ConnectReturnCode::Success),
            subscribe,
            resend,
            echoed: true,
            waited: Duration::from_secs(5),
        }
    }

    #[test]
    fn all_granted_says_what_the_puback_proves() {
        let lines = broker_checks(
            &outcome(
                Step::Answered(SubscribeReasonCode::Success(QoS::AtMostOnce)),
                Step::Answered(PubAckReason::Success),
            ),
            &ctx(Some("collector")),
        );
        assert_eq!(lines.len(), 3);
        assert!(lines.iter().all(|c| c.status == Status::Pass), "{lines:#?}");
        assert!(lines[0].detail.contains("as user collector"), "{lines:#?}");
        assert!(lines[1].detail.contains("SUBACK 0x00"), "{lines:#?}");
        assert!(lines[2].detail.contains("delivered back"), "{lines:#?}");
        assert!(
            lines[2]
                .detail
                .contains("coverage/v1/collector-check/resend")
        );
        let mut unproven = outcome(
            Step::Answered(SubscribeReasonCode::Success(QoS::AtMostOnce)),
            Step::Answered(PubAckReason::Success),
        );
        unproven.echoed = false;
        let lines = broker_checks(&unproven, &ctx(Some("collector")));
        assert_eq!(lines[1].status, Status::Warn, "a grant alone proves little");
        assert_eq!(lines[2].status, Status::Pass);
        assert!(
            lines[2]
                .detail
                .contains("does not say whether its ACL allowed it"),
            "{lines:#?}"
        );
        let closed = outcome(
            Step::Answered(SubscribeReasonCode::Success(QoS::AtMostOnce)),
            Step::Failed(ConnectionError::MqttState(StateError::ConnectionAborted)),
        );
        let lines = broker_checks(&closed, &ctx(Some("collector")));
        assert_eq!(lines[2].status, Status::Fail, "{lines:#?}");
        assert!(
            lines[2].detail.contains("closed the connection"),
            "{lines:#?}"
        );
    }

    #[test]
    fn acl_refusals_name_the_rule_to_add() {
        let lines = broker_checks(
            &outcome(
                Step::Answered(SubscribeReasonCode::NotAuthorized),
                Step::Answered(PubAckReason::NotAuthorized),
            ),
            &ctx(Some("collector")),
        );
        assert_eq!(lines[1].status, Status::Fail);
        assert!(lines[1].detail.contains("SUBACK 0x87"), "{lines:#?}");
        assert!(
            lines[1]
                .fix
                .as_ref()
                .unwrap()
                .contains("topic read coverage/v1/#")
        );
        assert_eq!(lines[2].status, Status::Fail);
        assert!(
            lines[2]
                .fix
                .as_ref()
                .unwrap()
                .contains("topic write coverage/v1/+/resend")
        );
    }

    #[test]
    fn refused_credentials_and_closed_ports_have_their_fixes() {
        let refused = BrokerOutcome {
            connect: Step::Failed(ConnectionError::ConnectionRefused(
                ConnectReturnCode::NotAuthorized,
            )),
            subscribe: Step::NotTried,
            resend: Step::NotTried,
            echoed: false,
            waited: Duration::from_secs(5),
        };
        let lines = broker_checks(&refused, &ctx(Some("collector")));
        assert_eq!(lines.len(), 1, "nothing else is tried");
        assert_eq!(lines[0].status, Status::Fail);
        assert_eq!(
            lines[0].detail,
            "127.0.0.1:1883 refused the connection as user collector: CONNACK NotAuthorized"
        );
        let fix = lines[0].fix.as_ref().unwrap();
        assert!(fix.contains("/etc/coverage/collector-pw"), "{fix}");
        assert!(fix.contains("mosquitto_passwd"), "{fix}");
        let anon = broker_checks(&refused, &ctx(None));
        assert!(anon[0].fix.as_ref().unwrap().contains("anonymous"));
        let closed = BrokerOutcome {
            connect: Step::Failed(ConnectionError::Io(std::io::Error::from(
                std::io::ErrorKind::ConnectionRefused,
            ))),
            subscribe: Step::NotTried,
            resend: Step::NotTried,
            echoed: false,
            waited: Duration::from_secs(5),
        };
        let lines = broker_checks(&closed, &ctx(Some("collector")));
        assert!(
            lines[0]
                .fix
                .as_ref()
                .unwrap()
                .contains("nothing accepts connections on 127.0.0.1:1883")
        );
    }

    #[test]
    fn suback_codes_are_mqtt5s() {
        assert_eq!(suback_code(SubscribeReasonCode::NotAuthorized), 0x87);
        assert_eq!(
            suback_code(SubscribeReasonCode::Success(QoS::AtLeastOnce)),
            0x01
        );
    }
}

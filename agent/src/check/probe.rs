//! The `probe` checks: one round of each configured probe with the agent's own code
//! (`probe::run_round`), bounded by the round's own span; ✘ when nothing came back (with the
//! likely fix from the error), `!` on partial loss, and `!` when a TCP round's answers were
//! refusals: the host answered, but nothing listens on the port, so "5/5 replies" would claim a
//! service that is not there.

use super::report::Check;
use crate::probe::{self, ProbeConfig, Target};
use coverage_shared::text::agent::{AgentText, text};
use coverage_shared::text::{Lang, fill};
use coverage_shared::wire::Latency;
use std::time::Duration;

/// `icmp 10.6.0.1 via eth0 (fibre)`.
pub(crate) fn probe_what(t: &AgentText, cfg: &ProbeConfig) -> String {
    let via = cfg
        .interface()
        .map(|i| fill(t.probe_via, &[("iface", &i)]))
        .unwrap_or_default();
    fill(
        t.probe_what,
        &[
            ("method", &cfg.method().as_str()),
            ("target", &cfg.target_text()),
            ("via", &via),
            ("link", &cfg.link().as_str()),
        ],
    )
}

/// How a round's answers read: `5/5 replies`, or for TCP rounds that were all refused
/// `refused (host reachable, port closed), 5/5` (the words `measure` prints too).
pub fn round_counts(round: &Latency, lang: Lang) -> String {
    let t = text(lang);
    let counts = [
        ("received", &round.received as &dyn std::fmt::Display),
        ("sent", &round.sent),
    ];
    match round.refused {
        Some(r) if r > 0 && r == round.received => fill(t.probe_refused, &counts),
        Some(r) if r > 0 => format!(
            "{}{}",
            fill(t.probe_replies, &counts),
            fill(t.probe_some_refused, &[("refused", &r)])
        ),
        _ => fill(t.probe_replies, &counts),
    }
}

/// The `probe` line for one round: received/sent and p50; ✘ when nothing came back, `!` on
/// partial loss or refusals.
pub fn probe_check(cfg: &ProbeConfig, round: &Latency, lang: Lang) -> Check {
    let t = text(lang);
    let name = format!("probe {}", cfg.name());
    let what = probe_what(t, cfg);
    let counts = round_counts(round, lang);
    if round.received == 0 {
        let error = round
            .error
            .clone()
            .unwrap_or_else(|| t.probe_no_answer.to_owned());
        return Check::fail(
            name,
            format!("{what}: {counts}: {error}"),
            probe_fix(t, cfg, round.error.as_deref()),
        );
    }
    let p50 = round
        .rtt_ms
        .as_ref()
        .map(|r| {
            fill(
                t.probe_p50,
                &[(
                    "ms",
                    &coverage_shared::text::format::decimal(lang, r.p50, 1),
                )],
            )
        })
        .unwrap_or_default();
    let detail = format!("{what}: {counts}{p50}");
    if round.refused.is_some_and(|r| r > 0) {
        let port = match cfg.target() {
            Target::HostPort(_, p) => p.to_string(),
            _ => "?".to_owned(),
        };
        return Check::warn(name, detail, fill(t.probe_refused_fix, &[("port", &port)]));
    }
    if round.received < round.sent {
        return Check::warn(name, detail, t.probe_loss_fix);
    }
    Check::pass(name, detail)
}

/// The likely fix for a round in which nothing came back.
fn probe_fix(t: &AgentText, cfg: &ProbeConfig, error: Option<&str>) -> String {
    let iface = cfg.interface().unwrap_or("?");
    let target = cfg.target().host();
    let e = error.unwrap_or("").to_ascii_lowercase();
    if e.contains("ping_group_range") || e.contains("icmp socket") {
        t.probe_fix_icmp.to_owned()
    } else if e.contains("does not exist") {
        fill(t.probe_fix_no_iface, &[("iface", &iface)])
    } else if e.contains("is down") {
        fill(t.probe_fix_iface_down, &[("iface", &iface)])
    } else if e.contains("cannot bind") {
        t.probe_fix_bind.to_owned()
    } else if e.contains("unreachable") {
        fill(t.probe_fix_unreachable, &[("target", &target)])
    } else if e.contains("resolve") || e.contains("no ipv") {
        t.probe_fix_resolve.to_owned()
    } else {
        fill(
            t.probe_fix_silent,
            &[("target", &target), ("method", &cfg.method().as_str())],
        )
    }
}

pub(super) async fn check_probe(cfg: &ProbeConfig, limit: Duration, lang: Lang) -> Check {
    let t = text(lang);
    // A round needs its own span whatever --timeout says, plus time for name resolution.
    let limit = limit.max(cfg.round_span() + Duration::from_secs(5));
    match tokio::time::timeout(limit, probe::run_round(cfg)).await {
        Ok(round) => probe_check(cfg, &round, lang),
        Err(_) => Check::fail(
            format!("probe {}", cfg.name()),
            fill(
                t.probe_hangs,
                &[
                    ("method", &cfg.method().as_str()),
                    ("target", &cfg.target_text()),
                    ("limit", &humantime::format_duration(limit)),
                ],
            ),
            t.probe_hangs_fix,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Status;
    use coverage_shared::wire::{Link, Method, RttStats};

    fn probe_cfg(interface: Option<&str>) -> ProbeConfig {
        let mut raw = probe::RawProbeConfig::new("dc-ping", Method::Icmp, "10.6.0.1", Link::Fibre);
        raw.interface = interface.map(str::to_owned);
        ProbeConfig::try_from(raw).unwrap()
    }

    fn round(received: u32, error: Option<&str>) -> Latency {
        Latency {
            target: "10.6.0.1".into(),
            method: Method::Icmp,
            link: Link::Fibre,
            interface: Some("eth0".into()),
            sent: 10,
            received,
            dup: 0,
            rtt_ms: (received > 0).then_some(RttStats {
                min: 1.0,
                p50: 3.25,
                mean: 3.0,
                p95: 5.0,
                max: 6.0,
                stddev: 1.0,
            }),
            jitter_ms: None,
            rtts_ms: vec![],
            refused: None,
            error: error.map(str::to_owned),
        }
    }

    fn probe_check_en(cfg: &ProbeConfig, round: &Latency) -> Check {
        probe_check(cfg, round, Lang::En)
    }

    #[test]
    fn refused_tcp_rounds_say_so_instead_of_claiming_replies() {
        let raw = probe::RawProbeConfig::new("dc-tcp", Method::Tcp, "10.6.0.1:443", Link::Fibre);
        let cfg = ProbeConfig::try_from(raw).unwrap();
        let mut r = round(5, None);
        r.method = Method::Tcp;
        r.sent = 5;
        r.refused = Some(5);
        let c = probe_check(&cfg, &r, Lang::En);
        assert_eq!(c.status, Status::Warn, "{c:?}");
        assert!(
            c.detail
                .contains("refused (host reachable, port closed), 5/5"),
            "{c:?}"
        );
        assert!(!c.detail.contains("replies"), "{c:?}");
        assert!(c.fix.unwrap().contains("port 443"));
        let vi = probe_check(&cfg, &r, Lang::Vi);
        assert!(
            vi.detail
                .contains("bị từ chối (máy chủ có phản hồi, cổng đóng), 5/5"),
            "{vi:?}"
        );
        r.refused = Some(2);
        assert!(round_counts(&r, Lang::En).ends_with("5/5 replies, 2 refused (port closed)"));
        r.refused = Some(0);
        assert_eq!(probe_check(&cfg, &r, Lang::En).status, Status::Pass);
    }

    #[test]
    fn probe_lines() {
        let cfg = probe_cfg(Some("eth0"));
        let c = probe_check_en(&cfg, &round(10, None));
        assert_eq!(c.status, Status::Pass);
        assert_eq!(
            c.detail,
            "icmp 10.6.0.1 via eth0 (fibre): 10/10 replies, p50 3.2 ms"
        );
        assert_eq!(probe_check_en(&cfg, &round(7, None)).status, Status::Warn);
        let c = probe_check_en(&cfg, &round(0, Some("interface eth0 does not exist")));
        assert_eq!(c.status, Status::Fail);
        assert!(
            c.detail
                .ends_with("0/10 replies: interface eth0 does not exist")
        );
        assert!(c.fix.unwrap().contains("ip -br link"));
        let c = probe_check_en(
            &cfg,
            &round(
                0,
                Some(
                    "cannot open an ICMP socket (permission denied): ... net.ipv4.ping_group_range ...",
                ),
            ),
        );
        assert!(c.fix.unwrap().contains("CAP_NET_RAW"));
        let c = probe_check_en(&probe_cfg(None), &round(0, None));
        assert!(c.detail.ends_with("0/10 replies: no answer"), "{c:?}");
        assert!(c.fix.unwrap().contains("ip route get 10.6.0.1"));
    }
}

//! The `probe` checks: one round of each configured probe with the agent's own code
//! (`probe::run_round`), bounded by the round's own span; ✘ when nothing came back (with the
//! likely fix from the error), `!` on partial loss.

use super::report::Check;
use crate::probe::{self, ProbeConfig};
use coverage_shared::wire::Latency;
use std::time::Duration;

/// The `probe` line for one round: received/sent and p50; ✘ when nothing came back, `!` on
/// partial loss.
pub fn probe_check(cfg: &ProbeConfig, round: &Latency) -> Check {
    let name = format!("probe {}", cfg.name());
    let via = cfg
        .interface()
        .map(|i| format!(" via {i}"))
        .unwrap_or_default();
    let what = format!(
        "{} {}{via} ({})",
        cfg.method().as_str(),
        cfg.target_text(),
        cfg.link().as_str()
    );
    let counts = format!("{}/{} replies", round.received, round.sent);
    if round.received == 0 {
        let error = round
            .error
            .clone()
            .unwrap_or_else(|| "no answer".to_owned());
        return Check::fail(
            name,
            format!("{what}: {counts}: {error}"),
            probe_fix(cfg, round.error.as_deref()),
        );
    }
    let p50 = round
        .rtt_ms
        .as_ref()
        .map(|r| format!(", p50 {:.1} ms", r.p50))
        .unwrap_or_default();
    let detail = format!("{what}: {counts}{p50}");
    if round.received < round.sent {
        return Check::warn(
            name,
            detail,
            "some probes were lost; if loss persists, check the link (cable, ONT, radio) and \
             whether the target rate-limits replies",
        );
    }
    Check::pass(name, detail)
}

/// The likely fix for a round in which nothing came back.
fn probe_fix(cfg: &ProbeConfig, error: Option<&str>) -> String {
    let iface = cfg.interface().unwrap_or("the interface");
    let e = error.unwrap_or("").to_ascii_lowercase();
    if e.contains("ping_group_range") || e.contains("icmp socket") {
        "allow ICMP: `sysctl -w net.ipv4.ping_group_range=\"0 2147483647\"` (persist it in \
         /etc/sysctl.d), or give the agent CAP_NET_RAW (the systemd unit's \
         AmbientCapabilities=CAP_NET_RAW, or `setcap cap_net_raw+ep` on the binary)"
            .to_owned()
    } else if e.contains("does not exist") {
        format!(
            "there is no interface {iface}: `ip -br link` lists them; set the probe's \
             `interface` to the right one"
        )
    } else if e.contains("is down") {
        format!(
            "{iface} is down: check the cable and the ONT/router it plugs into, then \
             `ip link set {iface} up`"
        )
    } else if e.contains("cannot bind") {
        "binding to an interface needs CAP_NET_RAW on kernels before 5.7: run check with sudo; \
         the systemd unit grants it to the agent"
            .to_owned()
    } else if e.contains("unreachable") {
        let target = cfg.target().host();
        format!(
            "the network says {target} is unreachable: check the link's gateway and route \
             (`ip route get {target}`), and the target address"
        )
    } else if e.contains("resolve") || e.contains("no ipv") {
        "the target's name does not resolve: check the name, and the DNS server in \
         /etc/resolv.conf"
            .to_owned()
    } else {
        let target = cfg.target().host();
        format!(
            "no answer from {target}: check the target address, the route (`ip route get \
             {target}`), and that it answers {} (firewalls often drop ICMP)",
            cfg.method().as_str()
        )
    }
}

pub(super) async fn check_probe(cfg: &ProbeConfig, limit: Duration) -> Check {
    // A round needs its own span whatever --timeout says, plus time for name resolution.
    let limit = limit.max(cfg.round_span() + Duration::from_secs(5));
    match tokio::time::timeout(limit, probe::run_round(cfg)).await {
        Ok(round) => probe_check(cfg, &round),
        Err(_) => Check::fail(
            format!("probe {}", cfg.name()),
            format!(
                "{} {}: the round did not finish within {limit:?}",
                cfg.method().as_str(),
                cfg.target_text()
            ),
            "name resolution or the network stack hangs: check /etc/resolv.conf and the link",
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
            error: error.map(str::to_owned),
        }
    }

    #[test]
    fn probe_lines() {
        let cfg = probe_cfg(Some("eth0"));
        let c = probe_check(&cfg, &round(10, None));
        assert_eq!(c.status, Status::Pass);
        assert_eq!(
            c.detail,
            "icmp 10.6.0.1 via eth0 (fibre): 10/10 replies, p50 3.2 ms"
        );
        assert_eq!(probe_check(&cfg, &round(7, None)).status, Status::Warn);
        let c = probe_check(&cfg, &round(0, Some("interface eth0 does not exist")));
        assert_eq!(c.status, Status::Fail);
        assert!(
            c.detail
                .ends_with("0/10 replies: interface eth0 does not exist")
        );
        assert!(c.fix.unwrap().contains("ip -br link"));
        let c = probe_check(
            &cfg,
            &round(
                0,
                Some(
                    "cannot open an ICMP socket (permission denied): ... net.ipv4.ping_group_range ...",
                ),
            ),
        );
        assert!(c.fix.unwrap().contains("CAP_NET_RAW"));
        let c = probe_check(&probe_cfg(None), &round(0, None));
        assert!(c.detail.ends_with("0/10 replies: no answer"), "{c:?}");
        assert!(c.fix.unwrap().contains("ip route get 10.6.0.1"));
    }
}

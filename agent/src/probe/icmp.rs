//! ICMP echo rounds (ping), IPv4 and IPv6.
//!
//! **Socket.** surge-ping 0.9's [`surge_ping::AsyncSocket`] opens the socket: an unprivileged
//! ping socket (`SOCK_DGRAM`/`IPPROTO_ICMP`, allowed by `net.ipv4.ping_group_range`) first,
//! then a raw socket (needs CAP_NET_RAW), and binds it to the interface (its `Config::interface`
//! is SO_BINDTODEVICE). If neither socket type is allowed, the round's error says how to fix it
//! (`sysctl -w net.ipv4.ping_group_range="0 2147483647"` or `setcap cap_net_raw+ep`; the sysctl
//! lives under `ipv4` but governs ICMPv6 ping sockets too). One socket per round: a round is a
//! few packets a minute, and a fresh socket cannot hear a previous round's stragglers.
//!
//! **Why not surge-ping's `Pinger`.** It forgets a sequence number once the first reply is in,
//! so duplicates are invisible, and it cannot tell a late reply from none. We keep its socket
//! code and run our own send/receive loop over it, with the matching state in [`EchoTracker`]
//! (pure, unit-tested, no sockets), as rumqttc keeps protocol state apart from I/O.
//!
//! **Matching.** A reply is ours when it comes from the target, carries one of this round's
//! sequence numbers (a random base per round, so numbers never repeat between rounds) and, on a
//! raw socket, our random identifier. On a Linux ping socket the kernel rewrites the identifier
//! to the socket's "port" and delivers only that socket's replies, so the identifier is not
//! compared there (iputils `is_ours()` and surge-ping do the same). Then:
//! - first reply within `timeout` of its send → that probe's RTT;
//! - first reply after `timeout` → the probe stays lost (ping's `-W` semantics);
//! - any further reply for an answered probe → `dup` (iputils `(DUP!)`);
//! - an ICMP error quoting our request (unreachable, time exceeded; raw sockets only) → lost,
//!   and the round's `error` names the message and the router that sent it.
//!
//! The round ends when every probe is answered or failed, or `timeout` after the last send.
//! Probes go out every `spacing` whatever the replies do, like `ping -i`.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use socket2::Type;
use surge_ping::{AsyncSocket, ICMP};
use tokio::time::{Instant, sleep_until};

use super::Outcome;
use super::config::ProbeConfig;
use super::net::{ProbeError, bind_error};

/// Payload bytes per echo request, as `ping` sends by default (64-byte ICMP packets).
const PAYLOAD_LEN: usize = 56;

/// Runs one ICMP round to `ip`.
pub(crate) async fn round(cfg: &ProbeConfig, ip: IpAddr) -> Result<Outcome, ProbeError> {
    let count = cfg.count() as usize;
    let socket = open(ip, cfg.interface())?;
    let raw = socket.get_type() == Type::RAW;
    let ident: u16 = rand::random();
    let base_seq: u16 = rand::random();
    let target = SocketAddr::new(ip, 0);
    let payload = [0x5au8; PAYLOAD_LEN];

    let mut tracker = EchoTracker::new(count, cfg.timeout());
    let mut errors = RoundErrors::default();
    let mut buf = vec![0u8; 2048];
    let start = Instant::now();
    let mut next = 0usize;
    loop {
        if next == count && tracker.all_settled() {
            break;
        }
        let next_send = start + cfg.spacing() * next as u32;
        // Until the last probe is out, the round cannot end.
        let end = tracker
            .last_send()
            .filter(|_| next == count)
            .map_or(next_send + cfg.timeout(), |t| t + cfg.timeout());
        tokio::select! {
            biased;
            _ = sleep_until(next_send), if next < count => {
                let seq = base_seq.wrapping_add(next as u16);
                let mut packet = echo_request(ip.is_ipv6(), ident, seq, &payload);
                let sent_at = Instant::now();
                match socket.send_to(&mut packet, &target).await {
                    Ok(_) => tracker.on_send(next, sent_at),
                    Err(e) => {
                        tracker.on_failure(next);
                        errors.note(next, format!("send failed: {e}"));
                    }
                }
                next += 1;
            }
            received = socket.recv_from(&mut buf) => {
                let at = Instant::now();
                match received {
                    Ok((n, from)) => {
                        let Some(msg) = parse(&buf[..n], ip.is_ipv6(), raw && ip.is_ipv4()) else {
                            continue;
                        };
                        if raw && msg.ident() != ident {
                            continue; // another process's ping on the shared raw stream
                        }
                        let idx = msg.seq().wrapping_sub(base_seq) as usize;
                        if idx >= count {
                            continue;
                        }
                        match msg {
                            Icmp::EchoReply { .. } if from.ip() == ip => {
                                tracker.on_reply(idx, at);
                            }
                            Icmp::EchoReply { .. } => {}
                            Icmp::Error { kind, quoted_dst, .. } if quoted_dst == ip => {
                                if tracker.on_failure(idx) {
                                    errors.note(idx, format!("{kind} from {}", from.ip()));
                                }
                            }
                            Icmp::Error { .. } => {}
                        }
                    }
                    // A ping socket reports an ICMP error as a socket error, without saying
                    // which probe it was about.
                    Err(e) => errors.note_round(format!("receive failed: {e}")),
                }
            }
            _ = sleep_until(end), if next == count => break,
        }
    }
    let (rtts, dup) = tracker.finish();
    Ok(Outcome {
        rtts,
        dup,
        error: errors.into_message(),
        refused: None,
    })
}

fn open(ip: IpAddr, interface: Option<&str>) -> Result<AsyncSocket, ProbeError> {
    let mut config =
        surge_ping::Config::builder().kind(if ip.is_ipv6() { ICMP::V6 } else { ICMP::V4 });
    if let Some(i) = interface {
        config = config.interface(i);
    }
    AsyncSocket::new(&config.build()).map_err(|e| {
        if e.raw_os_error() == Some(19)
            && let Some(i) = interface
        {
            return bind_error(i, e); // ENODEV from SO_BINDTODEVICE
        }
        // EACCES from the ping socket or EPERM from the raw one; surge-ping rewraps the
        // former with advice of its own (which names `net.ipv6.ping_group_range` for IPv6, a
        // sysctl that does not exist), so the kind, not the errno, is what survives.
        if e.kind() == std::io::ErrorKind::PermissionDenied {
            ProbeError::IcmpNotPermitted { source: e }
        } else {
            ProbeError::Io {
                what: "cannot open an ICMP socket",
                source: e,
            }
        }
    })
}

/// Errors seen during a round, kept short: the first one, and how many probes had one.
#[derive(Default)]
struct RoundErrors {
    first: Option<String>,
    probes: usize,
}

impl RoundErrors {
    fn note(&mut self, idx: usize, msg: String) {
        self.probes += 1;
        self.first
            .get_or_insert(format!("probe {}: {msg}", idx + 1));
    }
    fn note_round(&mut self, msg: String) {
        self.first.get_or_insert(msg);
    }
    fn into_message(self) -> Option<String> {
        self.first.map(|f| match self.probes {
            0 | 1 => f,
            n => format!("{n} probes failed; first: {f}"),
        })
    }
}

/// Per-round matching state: which probe was sent when, answered when, and how often.
#[derive(Debug)]
pub(crate) struct EchoTracker {
    timeout: Duration,
    sent: Vec<Option<Instant>>,
    rtt: Vec<Option<Duration>>,
    settled: Vec<bool>,
    dup: u32,
    last_send: Option<Instant>,
}

/// What a reply meant to the tracker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReplyClass {
    /// The probe's first reply, in time: its RTT is recorded.
    Answer,
    /// Another reply for an answered probe.
    Duplicate,
    /// The first reply came after the timeout: the probe stays lost.
    Late,
    /// For a probe not sent, or already given up on (failed or late).
    Ignored,
}

impl EchoTracker {
    pub(crate) fn new(count: usize, timeout: Duration) -> EchoTracker {
        EchoTracker {
            timeout,
            sent: vec![None; count],
            rtt: vec![None; count],
            settled: vec![false; count],
            dup: 0,
            last_send: None,
        }
    }

    pub(crate) fn on_send(&mut self, idx: usize, at: Instant) {
        self.sent[idx] = Some(at);
        self.last_send = Some(at);
    }

    /// The probe is lost for a known reason. Returns whether this changed anything.
    pub(crate) fn on_failure(&mut self, idx: usize) -> bool {
        let changed = !self.settled[idx];
        self.settled[idx] = true;
        changed
    }

    pub(crate) fn on_reply(&mut self, idx: usize, at: Instant) -> ReplyClass {
        let Some(sent) = self.sent[idx] else {
            return ReplyClass::Ignored;
        };
        if self.rtt[idx].is_some() {
            self.dup += 1;
            return ReplyClass::Duplicate;
        }
        if self.settled[idx] {
            return ReplyClass::Ignored;
        }
        self.settled[idx] = true;
        let rtt = at.saturating_duration_since(sent);
        if rtt > self.timeout {
            return ReplyClass::Late;
        }
        self.rtt[idx] = Some(rtt);
        ReplyClass::Answer
    }

    /// Every probe is answered or given up on (send failure, ICMP error, late reply).
    pub(crate) fn all_settled(&self) -> bool {
        self.settled.iter().all(|s| *s)
    }

    pub(crate) fn last_send(&self) -> Option<Instant> {
        self.last_send
    }

    pub(crate) fn finish(self) -> (Vec<Option<Duration>>, u32) {
        (self.rtt, self.dup)
    }
}

/// An ICMP echo request: type 8 (ICMPv4) or 128 (ICMPv6), code 0, identifier, sequence,
/// payload. The IPv4 checksum is computed here (RFC 792; a ping socket recomputes it anyway);
/// for ICMPv6 the kernel always fills it in (RFC 3542 §3.1).
pub(crate) fn echo_request(v6: bool, ident: u16, seq: u16, payload: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(8 + payload.len());
    p.extend_from_slice(&[if v6 { 128 } else { 8 }, 0, 0, 0]);
    p.extend_from_slice(&ident.to_be_bytes());
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(payload);
    if !v6 {
        let sum = checksum(&p);
        p[2..4].copy_from_slice(&sum.to_be_bytes());
    }
    p
}

/// The Internet checksum (RFC 1071).
pub(crate) fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = data
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An ICMP message that concerns an echo request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Icmp {
    /// Echo reply.
    EchoReply {
        /// Identifier.
        ident: u16,
        /// Sequence number.
        seq: u16,
    },
    /// An error quoting one of our echo requests.
    Error {
        /// What happened, in words.
        kind: &'static str,
        /// Destination of the quoted request.
        quoted_dst: IpAddr,
        /// Identifier of the quoted request.
        ident: u16,
        /// Sequence of the quoted request.
        seq: u16,
    },
}

impl Icmp {
    fn ident(&self) -> u16 {
        match self {
            Icmp::EchoReply { ident, .. } | Icmp::Error { ident, .. } => *ident,
        }
    }
    fn seq(&self) -> u16 {
        match self {
            Icmp::EchoReply { seq, .. } | Icmp::Error { seq, .. } => *seq,
        }
    }
}

/// Parses what an ICMP socket delivered. `with_ip_header`: an IPv4 raw socket delivers the IP
/// header too; ping sockets and IPv6 raw sockets deliver the ICMP message alone. Anything that
/// is not an echo reply or an error about an echo request (our own requests on loopback, other
/// ICMP traffic on a raw socket) is `None`.
pub(crate) fn parse(buf: &[u8], v6: bool, with_ip_header: bool) -> Option<Icmp> {
    let icmp = if with_ip_header {
        if buf.first()? >> 4 != 4 {
            return None;
        }
        buf.get(usize::from(buf[0] & 0x0f) * 4..)?
    } else {
        buf
    };
    let (ty, code) = (*icmp.first()?, *icmp.get(1)?);
    let be16 = |b: &[u8], at: usize| Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]));
    let (reply, request) = if v6 { (129, 128) } else { (0, 8) };
    if ty == reply && code == 0 {
        return Some(Icmp::EchoReply {
            ident: be16(icmp, 4)?,
            seq: be16(icmp, 6)?,
        });
    }
    let kind = match (v6, ty) {
        (false, 3) | (true, 1) => "destination unreachable",
        (false, 11) | (true, 3) => "time exceeded",
        (true, 2) => "packet too big",
        _ => return None,
    };
    // The error quotes the offending packet's IP header and the first 8 bytes after it.
    let quoted = icmp.get(8..)?;
    let (quoted_dst, echo) = if v6 {
        if quoted.get(6) != Some(&58) {
            return None; // not ICMPv6 directly after the base header
        }
        let dst: [u8; 16] = quoted.get(24..40)?.try_into().ok()?;
        (IpAddr::from(dst), quoted.get(40..)?)
    } else {
        let ihl = usize::from(quoted.first()? & 0x0f) * 4;
        if quoted.get(9) != Some(&1) || ihl < 20 {
            return None; // not ICMP
        }
        let dst: [u8; 4] = quoted.get(16..20)?.try_into().ok()?;
        (IpAddr::from(dst), quoted.get(ihl..)?)
    };
    if *echo.first()? != request {
        return None;
    }
    Some(Icmp::Error {
        kind,
        quoted_dst,
        ident: be16(echo, 4)?,
        seq: be16(echo, 6)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_requests_are_well_formed() {
        let p = echo_request(false, 0x1234, 0xabcd, &[1, 2, 3]);
        assert_eq!(&p[..2], &[8, 0]);
        assert_eq!(&p[4..8], &[0x12, 0x34, 0xab, 0xcd]);
        assert_eq!(
            checksum(&p),
            0,
            "a packet with its checksum in place sums to zero"
        );
        let p6 = echo_request(true, 1, 2, &[]);
        assert_eq!(p6, vec![128, 0, 0, 0, 0, 1, 0, 2]);
    }

    #[test]
    fn checksum_matches_rfc1071_example() {
        // RFC 1071 §3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2 (before complement).
        assert_eq!(
            checksum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]),
            !0xddf2
        );
    }

    fn ipv4_header(proto: u8, src: [u8; 4], dst: [u8; 4]) -> Vec<u8> {
        let mut h = vec![0x45, 0, 0, 84, 0, 0, 0x40, 0, 64, proto, 0, 0];
        h.extend_from_slice(&src);
        h.extend_from_slice(&dst);
        h
    }

    #[test]
    fn replies_parse_from_raw_and_ping_sockets() {
        let mut reply = echo_request(false, 7, 42, &[0; 56]);
        reply[0] = 0;
        // Ping socket: ICMP only.
        assert_eq!(
            parse(&reply, false, false),
            Some(Icmp::EchoReply { ident: 7, seq: 42 })
        );
        // Raw IPv4 socket: IP header first.
        let mut raw = ipv4_header(1, [127, 0, 0, 1], [127, 0, 0, 1]);
        raw.extend_from_slice(&reply);
        assert_eq!(
            parse(&raw, false, true),
            Some(Icmp::EchoReply { ident: 7, seq: 42 })
        );
        // Our own request, seen by a raw socket on loopback: not a reply.
        let mut own = ipv4_header(1, [127, 0, 0, 1], [127, 0, 0, 1]);
        own.extend_from_slice(&echo_request(false, 7, 42, &[]));
        assert_eq!(parse(&own, false, true), None);
        // ICMPv6 reply.
        let mut r6 = echo_request(true, 9, 3, &[0; 8]);
        r6[0] = 129;
        assert_eq!(
            parse(&r6, true, false),
            Some(Icmp::EchoReply { ident: 9, seq: 3 })
        );
        // Truncated garbage never panics.
        for n in 0..r6.len() {
            let _ = parse(&r6[..n], true, false);
            let _ = parse(&raw[..n.min(raw.len())], false, true);
        }
    }

    #[test]
    fn errors_quote_the_request_they_are_about() {
        // Destination unreachable (host), from a router 192.0.2.254, about our request to
        // 198.51.100.7 with ident 7, seq 42.
        let mut err = vec![3, 1, 0, 0, 0, 0, 0, 0];
        err.extend(ipv4_header(1, [192, 0, 2, 1], [198, 51, 100, 7]));
        err.extend(&echo_request(false, 7, 42, &[])[..8]);
        assert_eq!(
            parse(&err, false, false),
            Some(Icmp::Error {
                kind: "destination unreachable",
                quoted_dst: "198.51.100.7".parse().unwrap(),
                ident: 7,
                seq: 42
            })
        );
        // ICMPv6 time exceeded quoting a 40-byte IPv6 header + echo request.
        let mut e6 = vec![3, 0, 0, 0, 0, 0, 0, 0];
        let mut ip6 = vec![0x60, 0, 0, 0, 0, 16, 58, 64];
        ip6.extend_from_slice(
            &"2001:db8::1"
                .parse::<std::net::Ipv6Addr>()
                .unwrap()
                .octets(),
        );
        ip6.extend_from_slice(
            &"2001:db8::2"
                .parse::<std::net::Ipv6Addr>()
                .unwrap()
                .octets(),
        );
        e6.extend(ip6);
        e6.extend(echo_request(true, 5, 6, &[]));
        assert_eq!(
            parse(&e6, true, false),
            Some(Icmp::Error {
                kind: "time exceeded",
                quoted_dst: "2001:db8::2".parse().unwrap(),
                ident: 5,
                seq: 6
            })
        );
    }

    #[test]
    fn tracker_counts_duplicates_and_drops_late_replies() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut t = EchoTracker::new(4, ms(100));
        for i in 0..4 {
            t.on_send(i, t0 + ms(10) * i as u32);
        }
        // Probe 1 answered before probe 0 (out of order): RTTs stay per probe.
        assert_eq!(t.on_reply(1, t0 + ms(15)), ReplyClass::Answer);
        assert_eq!(t.on_reply(0, t0 + ms(20)), ReplyClass::Answer);
        assert_eq!(t.on_reply(0, t0 + ms(21)), ReplyClass::Duplicate);
        assert_eq!(t.on_reply(0, t0 + ms(500)), ReplyClass::Duplicate);
        // Probe 2's reply comes after its timeout: lost, and stays lost.
        assert_eq!(t.on_reply(2, t0 + ms(20) + ms(101)), ReplyClass::Late);
        assert_eq!(t.on_reply(2, t0 + ms(20) + ms(102)), ReplyClass::Ignored);
        assert!(!t.all_settled());
        // Probe 3: an ICMP error.
        assert!(t.on_failure(3));
        assert_eq!(t.on_reply(3, t0 + ms(40)), ReplyClass::Ignored);
        assert!(t.all_settled());
        let (rtts, dup) = t.finish();
        assert_eq!(rtts, vec![Some(ms(20)), Some(ms(5)), None, None]);
        assert_eq!(dup, 2);
    }

    #[test]
    fn replies_to_unsent_probes_are_ignored() {
        let mut t = EchoTracker::new(2, Duration::from_secs(1));
        assert_eq!(t.on_reply(1, Instant::now()), ReplyClass::Ignored);
        assert_eq!(t.finish().1, 0);
    }
}

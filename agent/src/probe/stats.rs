//! Statistics of one probe round, computed from the per-probe RTT list alone.
//!
//! Input: every probe's RTT in **send order**, `None` for a lost probe (the wire's `rtts_ms`),
//! plus the number of duplicate replies. Output: [`RoundStats`]. The function is pure, so the
//! collector (or anyone holding a reading) can recompute every figure from `rtts_ms`.
//!
//! Conventions, with the tool each one follows (see `shared/reference/latency.md`):
//!
//! - **sent** = number of probes (`rtts.len()`); **received** = probes with an RTT, duplicates
//!   excluded; **loss** = `100 · (sent − received) / sent` as a float, not truncated
//!   (iputils `ping` prints the same value with `%g`: `16.6667%`; `fping` truncates to an
//!   integer, `20%`; SmokePing stores the lost *count*).
//! - **min / max / mean** over the received RTTs, duplicate replies excluded. iputils lets a
//!   duplicate's RTT into `min`, `max`, `avg` and `mdev` (it divides by `received +
//!   duplicates`; seen in `testdata/ping-c20-loss-dup-b.txt`, where a duplicate is the max), but a
//!   duplicate is the network answering the same probe twice, not a second sample of the path,
//!   and `rtts_ms` (one RTT per probe, like RIPE Atlas' `result[]`) has no room for it. With no
//!   duplicates our mean equals iputils' `avg` and fping's `avg` (tested on real captures).
//! - **stddev** is the *population* standard deviation `sqrt(Σ(t − mean)² / n)`, which is what
//!   iputils calls `mdev` (`sqrt(Σt²/n − (Σt/n)²)`, ping/ping_common.c); we use the two-pass
//!   form, which is the same number without the cancellation error of the one-pass form.
//!   One received probe gives 0.
//! - **p50 and p95** use linear interpolation between closest ranks, Hyndman & Fan type 7 (the
//!   default of R's `quantile`, NumPy's `percentile` and Excel's `PERCENTILE.INC`): with the
//!   values sorted, `h = (n − 1)·q`, result `x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋])`. So p50 of
//!   an even count is the **mean of the two middle values** (also what InfluxQL `MEDIAN()` and
//!   Python's `statistics.median` return); SmokePing instead takes the *upper* median
//!   (`times[int(n/2)]`, lib/Smokeping/probes/base.pm). The two agree for odd counts, and the
//!   tests show both on fping captures. Nearest-rank p95 was rejected: with the usual 10 probes
//!   it is always the maximum, so it would say nothing the max does not.
//! - **jitter** is RFC 3550 §6.4.1 / A.8 interarrival jitter: `J += (|D| − J) / 16`, `J₀ = 0`,
//!   over consecutive *received* probes in send order. For probes sent at a fixed spacing,
//!   `D(i−1,i) = (R_i − R_{i−1}) − (S_i − S_{i−1})` reduces to `RTT_i − RTT_{i−1}`; a lost probe
//!   is skipped, as RTP skips a lost packet (the next packet is compared with the last one
//!   received). RFC 3550 walks packets in *arrival* order; we walk them in send order so that
//!   the value is a function of `rtts_ms` and can be recomputed; the two differ only when replies
//!   overtake each other. `None` with fewer than two received probes. Because of the 1/16 gain
//!   the value starts low on short rounds (two probes 1 ms apart give 0.0625 ms), which is the
//!   standard's behaviour and why we chose it over a home-made estimator: it is comparable with
//!   RTP/WebRTC figures. Speed-test "jitter" (the mean `|ΔRTT|`, IPDV in RFC 5481 terms, as
//!   VNNIC i-Speed reports it) is given as well, in [`RoundStats::mean_abs_delta_ms`].
//! - An RTT that is negative, NaN or infinite cannot be a measurement and counts as lost.

use coverage_shared::wire::RttStats;

/// Everything computed about one round.
#[derive(Debug, Clone, PartialEq)]
pub struct RoundStats {
    /// Probes sent (the length of the RTT list).
    pub sent: u32,
    /// Probes answered, duplicates excluded.
    pub received: u32,
    /// Duplicate replies (a probe answered more than once), as counted by the probe.
    pub dup: u32,
    /// `100 · (sent − received) / sent`; `None` when nothing was sent.
    pub loss_pct: Option<f64>,
    /// RTT statistics in milliseconds; `None` when nothing came back.
    pub rtt: Option<RttStats>,
    /// RFC 3550 interarrival jitter in milliseconds; `None` below two received probes.
    pub jitter_ms: Option<f64>,
    /// Mean absolute difference of consecutive received RTTs (IPDV, "speed-test jitter"), ms;
    /// `None` below two received probes.
    pub mean_abs_delta_ms: Option<f64>,
}

/// Computes the statistics of a round from its RTT list (send order, `None` = lost) and the
/// number of duplicate replies.
pub fn round_stats(rtts_ms: &[Option<f64>], dup: u32) -> RoundStats {
    let received: Vec<f64> = rtts_ms.iter().filter_map(|r| valid(*r)).collect();
    let sent = u32::try_from(rtts_ms.len()).unwrap_or(u32::MAX);
    let n_received = u32::try_from(received.len()).unwrap_or(u32::MAX);
    let loss_pct = (sent > 0).then(|| f64::from(sent - n_received) * 100.0 / f64::from(sent));
    RoundStats {
        sent,
        received: n_received,
        dup,
        loss_pct,
        rtt: rtt_stats(&received),
        jitter_ms: rfc3550_jitter(rtts_ms),
        mean_abs_delta_ms: mean_abs_delta(rtts_ms),
    }
}

/// min / p50 / mean / p95 / max / population stddev of the received RTTs (any order).
pub fn rtt_stats(received_ms: &[f64]) -> Option<RttStats> {
    let mut sorted: Vec<f64> = received_ms
        .iter()
        .copied()
        .filter_map(|r| valid(Some(r)))
        .collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len() as f64;
    let mean = sorted.iter().sum::<f64>() / n;
    let variance = sorted.iter().map(|t| (t - mean).powi(2)).sum::<f64>() / n;
    Some(RttStats {
        min: sorted[0],
        p50: quantile_sorted(&sorted, 0.5),
        mean,
        p95: quantile_sorted(&sorted, 0.95),
        max: sorted[sorted.len() - 1],
        stddev: variance.sqrt(),
    })
}

/// The `q`-quantile (0 ≤ q ≤ 1) of ascending `sorted` values by linear interpolation between
/// closest ranks (Hyndman & Fan type 7, NumPy's default). `NaN` for an empty slice.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let h = (n - 1) as f64 * q.clamp(0.0, 1.0);
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
        }
    }
}

/// RFC 3550 interarrival jitter over consecutive received probes in send order (module docs).
pub fn rfc3550_jitter(rtts_ms: &[Option<f64>]) -> Option<f64> {
    let mut pairs = consecutive_received(rtts_ms).peekable();
    pairs.peek()?;
    Some(pairs.fold(0.0, |j, (a, b)| j + ((b - a).abs() - j) / 16.0))
}

/// Mean of `|RTT_i − RTT_{i−1}|` over consecutive received probes in send order.
pub fn mean_abs_delta(rtts_ms: &[Option<f64>]) -> Option<f64> {
    let (sum, n) = consecutive_received(rtts_ms)
        .fold((0.0, 0u32), |(s, n), (a, b)| (s + (b - a).abs(), n + 1));
    (n > 0).then(|| sum / f64::from(n))
}

/// Pairs of consecutive received RTTs (lost probes skipped).
fn consecutive_received(rtts_ms: &[Option<f64>]) -> impl Iterator<Item = (f64, f64)> + '_ {
    let mut received = rtts_ms.iter().filter_map(|r| valid(*r));
    let mut prev = received.next();
    received.map(move |cur| {
        let pair = (prev.unwrap_or(cur), cur);
        prev = Some(cur);
        pair
    })
}

/// An RTT that can be a measurement.
fn valid(rtt: Option<f64>) -> Option<f64> {
    rtt.filter(|r| r.is_finite() && *r >= 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[track_caller]
    fn assert_close(a: f64, b: f64, tol: f64, what: &str) {
        assert!(close(a, b, tol), "{what}: {a} vs {b} (tolerance {tol})");
    }

    // ---- worked examples ----

    #[test]
    fn quantiles_follow_type_7() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        // numpy.percentile(range(1, 11), [50, 95]) == [5.5, 9.55]
        assert_close(quantile_sorted(&v, 0.5), 5.5, 1e-12, "p50");
        assert_close(quantile_sorted(&v, 0.95), 9.55, 1e-12, "p95");
        // Odd count: the middle value.
        assert_close(quantile_sorted(&v[..9], 0.5), 5.0, 1e-12, "odd p50");
        // Two values: the wire format's own example, p95 of [1, 2] = 1.95.
        assert_close(
            quantile_sorted(&[1.0, 2.0], 0.95),
            1.95,
            1e-12,
            "p95 of two",
        );
        assert!(quantile_sorted(&[], 0.5).is_nan());
    }

    #[test]
    fn jitter_is_rfc3550_over_received_pairs() {
        // Hand-computed: J = 0 + (10 − 0)/16 = 0.625; J += (5 − 0.625)/16 → 0.8984375;
        // J += (0 − 0.8984375)/16 → 0.84228515625. The lost probe is skipped.
        let rtts = [Some(10.0), Some(20.0), None, Some(15.0), Some(15.0)];
        assert_close(rfc3550_jitter(&rtts).unwrap(), 0.842_285_156_25, 1e-12, "J");
        // mean |Δ| = (10 + 5 + 0) / 3
        assert_close(mean_abs_delta(&rtts).unwrap(), 5.0, 1e-12, "IPDV");
        // The wire format's example: [1, null, 2] → 1/16.
        assert_eq!(rfc3550_jitter(&[Some(1.0), None, Some(2.0)]), Some(0.0625));
    }

    #[test]
    fn nothing_received_is_total_loss_with_null_statistics() {
        let s = round_stats(&[None; 10], 0);
        assert_eq!((s.sent, s.received, s.dup), (10, 0, 0));
        assert_eq!(s.loss_pct, Some(100.0));
        assert_eq!(s.rtt, None);
        assert_eq!(s.jitter_ms, None);
        assert_eq!(s.mean_abs_delta_ms, None);
    }

    #[test]
    fn nothing_sent_has_no_loss_figure() {
        let s = round_stats(&[], 0);
        assert_eq!((s.sent, s.received, s.loss_pct), (0, 0, None));
    }

    #[test]
    fn one_received_has_zero_stddev_and_no_jitter() {
        let s = round_stats(&[None, Some(12.5), None], 0);
        let r = s.rtt.unwrap();
        assert_eq!(
            (r.min, r.p50, r.mean, r.p95, r.max),
            (12.5, 12.5, 12.5, 12.5, 12.5)
        );
        assert_eq!(r.stddev, 0.0);
        assert_eq!(s.jitter_ms, None);
        assert_close(s.loss_pct.unwrap(), 200.0 / 3.0, 1e-12, "loss");
    }

    #[test]
    fn duplicates_are_counted_but_never_received_or_averaged() {
        let s = round_stats(&[Some(1.0), Some(3.0)], 4);
        assert_eq!((s.sent, s.received, s.dup), (2, 2, 4));
        assert_eq!(s.loss_pct, Some(0.0));
        assert_eq!(s.rtt.unwrap().mean, 2.0);
    }

    #[test]
    fn out_of_order_replies_do_not_change_the_statistics() {
        // Probe 2's reply overtook probe 1's: RTTs are still kept per probe, in send order,
        // so the statistics depend only on which probe had which RTT.
        let in_order = round_stats(&[Some(5.0), Some(1.0), Some(3.0)], 0);
        assert_eq!(in_order.rtt.unwrap().p50, 3.0);
        assert_close(
            in_order.jitter_ms.unwrap(),
            4.0 / 16.0 + (2.0 - 0.25) / 16.0,
            1e-12,
            "J",
        );
        // Order-free figures do not depend on the list order at all.
        let shuffled = round_stats(&[Some(3.0), Some(5.0), Some(1.0)], 0);
        let (a, b) = (in_order.rtt.unwrap(), shuffled.rtt.unwrap());
        assert_eq!(
            (a.min, a.p50, a.mean, a.max, a.stddev),
            (b.min, b.p50, b.mean, b.max, b.stddev)
        );
    }

    #[test]
    fn sub_millisecond_rtts_keep_microsecond_precision() {
        let s = round_stats(&[Some(0.008), Some(0.024), Some(0.015)], 0);
        let r = s.rtt.unwrap();
        assert_close(r.min, 0.008, 1e-12, "min");
        assert_close(r.p50, 0.015, 1e-12, "p50");
        assert_close(r.mean, 0.047 / 3.0, 1e-12, "mean");
        assert!(r.stddev > 0.0 && r.stddev < 0.01);
    }

    #[test]
    fn impossible_rtts_count_as_lost() {
        let s = round_stats(
            &[Some(f64::NAN), Some(-1.0), Some(f64::INFINITY), Some(2.0)],
            0,
        );
        assert_eq!((s.sent, s.received), (4, 1));
        assert_eq!(s.rtt.unwrap().max, 2.0);
    }

    // ---- real captures (testdata/README.md) ----

    /// One iputils `ping` run: per-probe RTTs (first reply per sequence), every reply's RTT
    /// (duplicates included) and the tool's own summary.
    struct Ping {
        rtts: Vec<Option<f64>>,
        all_replies: Vec<f64>,
        dup: u32,
        transmitted: u32,
        received: u32,
        dups_reported: u32,
        loss_pct: f64,
        min: f64,
        avg: f64,
        max: f64,
        mdev: f64,
    }

    fn field<'a>(line: &'a str, key: &str) -> &'a str {
        let start = line.find(key).unwrap_or_else(|| panic!("{key} in {line}")) + key.len();
        line[start..].split_whitespace().next().unwrap()
    }

    fn parse_ping(text: &str) -> Ping {
        let summary = text
            .lines()
            .find(|l| l.contains("packets transmitted"))
            .unwrap();
        let transmitted: u32 = summary.split_whitespace().next().unwrap().parse().unwrap();
        let received: u32 = field(summary, "transmitted, ").parse().unwrap();
        let dups_reported = summary
            .find('+')
            .map(|i| {
                summary[i + 1..]
                    .split_whitespace()
                    .next()
                    .unwrap()
                    .parse()
                    .unwrap()
            })
            .unwrap_or(0);
        let loss_word = summary
            .split(", ")
            .find(|p| p.ends_with("packet loss"))
            .unwrap();
        let loss_pct: f64 = loss_word.trim_end_matches("% packet loss").parse().unwrap();
        let rtt_line = text.lines().find(|l| l.starts_with("rtt ")).unwrap();
        let nums: Vec<f64> = field(rtt_line, "= ")
            .split('/')
            .map(|x| x.parse().unwrap())
            .collect();
        let mut rtts = vec![None; transmitted as usize];
        let (mut all_replies, mut dup) = (Vec::new(), 0);
        for line in text.lines().filter(|l| l.contains("icmp_seq=")) {
            let seq: usize = field(line, "icmp_seq=").parse().unwrap();
            let t: f64 = field(line, "time=").parse().unwrap();
            all_replies.push(t);
            if line.contains("(DUP!)") {
                dup += 1;
            } else {
                assert!(rtts[seq - 1].replace(t).is_none(), "{line}");
            }
        }
        Ping {
            rtts,
            all_replies,
            dup,
            transmitted,
            received,
            dups_reported,
            loss_pct,
            min: nums[0],
            avg: nums[1],
            max: nums[2],
            mdev: nums[3],
        }
    }

    const PINGS: [(&str, &str); 5] = [
        (
            "ping-c10-127.0.0.1.txt",
            include_str!("testdata/ping-c10-127.0.0.1.txt"),
        ),
        (
            "ping-c7-ipv6-loopback.txt",
            include_str!("testdata/ping-c7-ipv6-loopback.txt"),
        ),
        (
            "ping6-c12-loss.txt",
            include_str!("testdata/ping6-c12-loss.txt"),
        ),
        (
            "ping-c20-loss-dup.txt",
            include_str!("testdata/ping-c20-loss-dup.txt"),
        ),
        (
            "ping-c20-loss-dup-b.txt",
            include_str!("testdata/ping-c20-loss-dup-b.txt"),
        ),
    ];

    /// iputils prints 3 decimals of values it computes in integer microseconds.
    const IPUTILS_TOL: f64 = 0.0015;

    #[test]
    fn counts_loss_min_max_match_iputils_ping() {
        for (name, text) in PINGS {
            let p = parse_ping(text);
            let s = round_stats(&p.rtts, p.dup);
            assert_eq!(s.sent, p.transmitted, "{name}");
            assert_eq!(s.received, p.received, "{name}");
            assert_eq!(s.dup, p.dups_reported, "{name}");
            // `%g` keeps 6 significant digits: 16.6667.
            assert_close(s.loss_pct.unwrap(), p.loss_pct, 1e-4, name);
            if p.dup == 0 {
                let r = s.rtt.unwrap();
                assert_close(r.min, p.min, 1e-9, name);
                assert_close(r.max, p.max, 1e-9, name);
            }
        }
    }

    #[test]
    fn mean_and_stddev_match_iputils_avg_and_mdev_without_duplicates() {
        for (name, text) in PINGS {
            let p = parse_ping(text);
            if p.dup > 0 {
                continue;
            }
            let r = round_stats(&p.rtts, 0).rtt.unwrap();
            assert_close(r.mean, p.avg, IPUTILS_TOL, name);
            assert_close(r.stddev, p.mdev, IPUTILS_TOL, name);
        }
    }

    #[test]
    fn iputils_averages_duplicates_in_and_we_do_not() {
        let mut seen_dups = false;
        for (name, text) in PINGS {
            let p = parse_ping(text);
            if p.dup == 0 {
                continue;
            }
            seen_dups = true;
            // iputils: min, max, avg and mdev over every reply, duplicates included.
            let theirs = rtt_stats(&p.all_replies).unwrap();
            assert_close(theirs.min, p.min, 1e-9, name);
            assert_close(theirs.max, p.max, 1e-9, name);
            assert_close(theirs.mean, p.avg, IPUTILS_TOL, name);
            assert_close(theirs.stddev, p.mdev, IPUTILS_TOL, name);
            // Ours: one RTT per probe.
            let ours = round_stats(&p.rtts, p.dup).rtt.unwrap();
            let firsts: Vec<f64> = p.rtts.iter().flatten().copied().collect();
            assert_close(
                ours.mean,
                firsts.iter().sum::<f64>() / firsts.len() as f64,
                1e-12,
                name,
            );
        }
        assert!(seen_dups, "the captures include duplicate replies");
    }

    /// `fping -C N -q` (stderr): `host : t1 t2 - t4 ...`, `-` for a lost probe.
    fn parse_fping_c(text: &str) -> Vec<(String, Vec<Option<f64>>)> {
        text.lines()
            .filter(|l| l.contains(" : ") && !l.contains("duplicate for"))
            .map(|l| {
                let (host, rest) = l.split_once(" : ").unwrap();
                let rtts = rest
                    .split_whitespace()
                    .map(|t| (t != "-").then(|| t.parse().unwrap()))
                    .collect();
                (host.trim().to_string(), rtts)
            })
            .collect()
    }

    /// SmokePing's median (lib/Smokeping/probes/base.pm): the upper median of the sorted RTTs.
    fn smokeping_median(rtts: &[Option<f64>]) -> f64 {
        let mut v: Vec<f64> = rtts.iter().flatten().copied().collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    }

    #[test]
    fn p50_agrees_with_smokeping_for_odd_counts_and_is_the_mean_of_the_middle_pair_for_even() {
        let captures = [
            include_str!("testdata/fping-C20-q-127.0.0.1.txt"),
            include_str!("testdata/fping-C6-ipv6.txt"),
            include_str!("testdata/fping-C20-q-loss.txt"),
        ];
        let (mut odd, mut even) = (0, 0);
        for (host, rtts) in captures.iter().flat_map(|t| parse_fping_c(t)) {
            let s = round_stats(&rtts, 0);
            let p50 = s.rtt.unwrap().p50;
            let mut v: Vec<f64> = rtts.iter().flatten().copied().collect();
            v.sort_by(f64::total_cmp);
            let n = v.len();
            // SmokePing's loss is the count of lost pings.
            assert_eq!(
                s.sent - s.received,
                rtts.iter().filter(|r| r.is_none()).count() as u32
            );
            if n % 2 == 1 {
                odd += 1;
                assert_close(p50, smokeping_median(&rtts), 1e-12, &host);
            } else {
                even += 1;
                assert_close(p50, (v[n / 2 - 1] + v[n / 2]) / 2.0, 1e-12, &host);
                assert!(p50 <= smokeping_median(&rtts), "{host}");
            }
        }
        assert!(
            odd > 0 && even > 0,
            "both parities are exercised ({odd} odd, {even} even)"
        );
    }

    /// `fping -c N` (stdout lines + stderr summary).
    #[test]
    fn loss_and_avg_match_fping_summary() {
        for (stdout, stderr) in [
            (
                include_str!("testdata/fping-c5.stdout.txt"),
                include_str!("testdata/fping-c5.stderr.txt"),
            ),
            (
                include_str!("testdata/fping-c10-loss-dup.stdout.txt"),
                include_str!("testdata/fping-c10-loss-dup.stderr.txt"),
            ),
        ] {
            let rtts: Vec<Option<f64>> = stdout
                .lines()
                .filter(|l| l.contains("], ") && !l.contains("duplicate for"))
                .map(|l| (!l.contains("timed out")).then(|| field(l, "bytes, ").parse().unwrap()))
                .collect();
            let summary = stderr
                .lines()
                .find(|l| l.contains("xmt/rcv/%loss"))
                .unwrap();
            let counts: Vec<&str> = field(summary, "%loss = ")
                .trim_end_matches(',')
                .split('/')
                .collect();
            let (xmt, rcv): (u32, u32) = (counts[0].parse().unwrap(), counts[1].parse().unwrap());
            let loss_int: u32 = counts[2].trim_end_matches('%').parse().unwrap();
            let mma: Vec<f64> = field(summary, "min/avg/max = ")
                .split('/')
                .map(|x| x.parse().unwrap())
                .collect();
            let s = round_stats(&rtts, 0);
            assert_eq!((s.sent, s.received), (xmt, rcv), "{summary}");
            // fping truncates the loss to an integer; we keep the fraction.
            assert_eq!(s.loss_pct.unwrap().trunc() as u32, loss_int, "{summary}");
            let r = s.rtt.unwrap();
            assert_close(r.min, mma[0], 1e-9, summary);
            assert_close(r.mean, mma[1], 0.0006, summary);
            assert_close(r.max, mma[2], 1e-9, summary);
        }
    }
}

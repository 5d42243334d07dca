//! The zero-setup demo end to end: embedded broker, simulated agents with real spools and
//! MQTT 5 publishers, the collector writing the archive, and the audit of the archive. The
//! verdicts must follow from the simulation plan (weak, dead and thin sites; communes without a
//! site; a district without fibre), and nothing may be lost on the way.

use coverage_audit::{ClaimVerdict, FibreVerdict, MobileVerdict};
use coverage_collector::demo::{DemoArgs, run_demo};
use coverage_shared::boundary::BoundaryRegistry;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_delivers_every_reading_and_audits_the_plan() {
    let out = tempfile::tempdir().unwrap();
    let args = DemoArgs {
        duration: Duration::from_secs(3),
        from: "2025-06-01T00:00:00+07:00".parse().unwrap(),
        days: 2,
        out: out.path().to_owned(),
        influx_url: None,
        broker_url: None,
        max_sites: Some(24),
        seed: 1,
        serve: false,
        listen: None,
        verbose: false,
    };
    let outcome = run_demo(&args).await.unwrap();
    assert!(outcome.serving.is_none());

    // Nothing lost, nothing rejected, and the archive holds every point once.
    assert!(outcome.readings > 10_000, "{}", outcome.readings);
    assert_eq!(outcome.points_written, outcome.readings);
    assert_eq!(outcome.rejected, 0);
    let archive = std::fs::read_to_string(outcome.archive.as_ref().unwrap()).unwrap();
    assert_eq!(archive.lines().count() as u64, outcome.readings);
    for p in &outcome.reports {
        assert!(
            std::fs::metadata(p).unwrap().len() > 1000,
            "{}",
            p.display()
        );
    }

    let r = &outcome.report;
    assert_eq!(r.boundary_set, "bac-kan-2020");
    assert_eq!(r.communes.len(), 108);
    let registry = BoundaryRegistry::embedded().unwrap();
    let set = registry.get("bac-kan-2020").unwrap();
    let verdict = |i: usize| {
        let code = &set.communes()[i].code;
        r.communes.iter().find(|c| &c.code == code).unwrap()
    };
    // The plan (see demo.rs): commune 0 strong, 3 weak, 5 without a site, 7 installed late,
    // 11 dead; beyond the first 24 sites nothing was simulated.
    assert_eq!(verdict(0).mobile, MobileVerdict::Covered);
    assert_eq!(verdict(3).mobile, MobileVerdict::NotCovered);
    assert_eq!(verdict(5).mobile, MobileVerdict::NoSite);
    assert_eq!(verdict(7).mobile, MobileVerdict::InsufficientData);
    assert_eq!(verdict(11).mobile, MobileVerdict::NotCovered);
    assert_eq!(verdict(100).mobile, MobileVerdict::NoSite);
    assert!(verdict(0).counted >= 300, "{}", verdict(0).counted);

    // Fibre: districts 058 and 061 have a healthy fibre site, 060 has none.
    let district = |code: &str| r.districts.iter().find(|d| d.code == code).unwrap();
    assert_eq!(district("058").fibre, FibreVerdict::Connected);
    assert_eq!(district("060").fibre, FibreVerdict::NoSite);
    assert_eq!(district("061").fibre, FibreVerdict::Connected);

    let claim = |c: &str| r.claims.iter().find(|x| x.claim == c).unwrap();
    assert_eq!(claim("mobile:communes:100").verdict, ClaimVerdict::Refuted);
    // Two of eight districts shown connected, none shown down: the rest is unknown.
    let fibre = claim("fibre:districts:100");
    assert_eq!(fibre.verdict, ClaimVerdict::Unproven);
    assert_eq!((fibre.lower, fibre.upper), (25.0, 100.0));
    assert!(claim("mobile:communes:100").lower <= claim("mobile:communes:100").upper);

    // The coordinator ran on the simulated clock: every hour and both days computed, and the
    // last day's trailing verdict of each commune is the audit's verdict of the same period
    // (nothing was measured before it).
    assert!(
        outcome.rollup_windows >= 48 + 2,
        "{}",
        outcome.rollup_windows
    );
    let rollups = std::fs::read_to_string(outcome.rollups.as_ref().unwrap()).unwrap();
    let mut last: std::collections::BTreeMap<String, (i64, String)> = Default::default();
    for line in rollups.lines() {
        let Some(rest) = line.strip_prefix("commune_coverage,") else {
            continue;
        };
        // Tags end at the first space that is not escaped (names hold `\ `).
        let end = rest
            .char_indices()
            .find(|&(i, c)| c == ' ' && !rest[..i].ends_with('\\'))
            .unwrap()
            .0;
        let (tags, rest) = (&rest[..end], &rest[end + 1..]);
        let wanted = [",window=1d", ",service=mobile", ",operator=any"];
        if !wanted.iter().all(|w| tags.contains(w)) {
            continue;
        }
        let commune = tags
            .split(',')
            .find_map(|t| t.strip_prefix("commune="))
            .unwrap()
            .to_owned();
        let (fields, ts) = rest.rsplit_once(' ').unwrap();
        let verdict = fields
            .split(',')
            .find_map(|f| f.strip_prefix("period_verdict="))
            .unwrap()
            .trim_matches('"')
            .to_owned();
        let ts: i64 = ts.parse().unwrap();
        let e = last.entry(commune).or_insert((ts, verdict.clone()));
        if ts >= e.0 {
            *e = (ts, verdict);
        }
    }
    assert_eq!(last.len(), 108, "every commune has a daily point");
    for c in &r.communes {
        let audit = serde_json::to_value(c.mobile).unwrap();
        assert_eq!(
            Some(last[&c.code].1.as_str()),
            audit.as_str(),
            "commune {} ({})",
            c.code,
            c.name
        );
    }
}

/// A newcomer's first run: only the demo's own progress and the summary, no `ERROR` or `WARN`
/// from any daemon or from the embedded broker (whose routing logs every disconnect at ERROR).
#[test]
fn the_demo_binary_prints_only_its_progress_and_the_summary() {
    let out = tempfile::tempdir().unwrap();
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_coverage-collector"))
        .args(["demo", "--duration", "2s", "--max-sites", "8", "--out"])
        .arg(out.path())
        .env_remove("COVERAGE_LOG")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    for line in stdout.lines().chain(stderr.lines()) {
        assert!(
            !line.contains("ERROR") && !line.contains("WARN"),
            "a clean demo run logged: {line}"
        );
    }
    // The demo's four progress lines (not a terminal: no bar), then the summary on stdout.
    assert!(stderr.lines().count() <= 6, "{stderr}");
    assert!(stderr.lines().all(|l| l.starts_with("demo: ")), "{stderr}");
    assert!(stdout.contains("mobile:communes:100"), "{stdout}");
}

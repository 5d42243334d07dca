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
        verbose: false,
    };
    let outcome = run_demo(&args).await.unwrap();

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

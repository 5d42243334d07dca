//! The audit end to end from a line-protocol archive: CLI arguments, verdicts, claims, flags,
//! the JSON shape of issue 2, the renderers, determinism, and the errors a user can make.

mod audit_common;

use audit_common::*;
use chrono::{TimeZone, Utc};
use clap::Parser;
use coverage_audit::{
    AuditArgs, AuditError, ClaimVerdict, FibreVerdict, Format, MobileVerdict, Report, render,
    run_audit, write_report,
};
use coverage_shared::boundary::BoundaryRegistry;
use coverage_shared::text::Lang;
use serde_json::Value;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    audit: AuditArgs,
}

fn registry() -> BoundaryRegistry {
    BoundaryRegistry::from_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/boundaries")).unwrap()
}

/// Writes the data set to an archive in `dir` and returns its path.
fn archive(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("coverage.lp");
    let mut l = lines(&dataset());
    l.insert(3, "# a comment line".into());
    l.insert(7, "garbage that is not line protocol".into());
    write_archive(&path, &l);
    path
}

/// Renders `r` in `f`, in English, on its set from the repository's boundaries.
fn rendered(r: &Report, f: Format) -> String {
    let reg = registry();
    render(r, f, reg.get(&r.boundary_set).unwrap(), Lang::En)
}

fn cli(argv: &[&str]) -> AuditArgs {
    Cli::try_parse_from(std::iter::once("audit").chain(argv.iter().copied()))
        .unwrap()
        .audit
}

async fn audit(argv: &[&str]) -> Result<Report, AuditError> {
    run_audit(&cli(argv), None, &audit_config(), &registry()).await
}

fn commune<'a>(r: &'a Report, code: &str) -> &'a coverage_audit::report::CommuneReport {
    r.communes.iter().find(|c| c.code == code).unwrap()
}

#[tokio::test]
async fn archive_audit_of_the_2020_set() {
    let dir = tempfile::tempdir().unwrap();
    let path = archive(dir.path());
    let p = path.to_str().unwrap();
    let argv = [
        "--from",
        "2024-03-04T07:00:00+07:00",
        "--to",
        "2024-03-06T00:00:00Z",
        "--archive",
        p,
        "--claim",
        "mobile:communes:100",
        "--claim",
        "fibre:districts:100",
        "--claim",
        "fibre:districts:12.5",
        "--claim",
        "fibre:districts:100@district=058",
        "--claim",
        "mobile:districts:100",
        "--claim",
        "mobile:communes:100:operator=452-04@district=058",
        "--claim",
        "mobile:communes:0.9",
    ];
    let r = audit(&argv).await.unwrap();
    assert_eq!(r.boundary_set, "bac-kan-2020");
    assert_eq!(
        (r.from.as_str(), r.to.as_str()),
        ("2024-03-04T00:00:00Z", "2024-03-06T00:00:00Z")
    );
    assert_eq!(r.communes.len(), 108);
    assert_eq!(r.districts.len(), 8);
    assert_eq!(r.operators, ["452-01", "452-02", "452-04"]);

    // Mobile: per operator at bk-cov, and the `any` operator's decision.
    let c = commune(&r, "01834");
    assert_eq!(c.mobile, MobileVerdict::Covered);
    assert_eq!(c.mobile_by_operator["452-04"], MobileVerdict::Covered);
    assert_eq!(
        c.mobile_by_operator["452-02"],
        MobileVerdict::NotCovered,
        "weak GSM"
    );
    assert_eq!(
        c.mobile_by_operator["452-01"],
        MobileVerdict::NotCovered,
        "roaming not counted"
    );
    assert_eq!(c.usable_share, Some(1.0));
    let d = c.decided_by.as_ref().unwrap();
    assert_eq!((d.operator.as_str(), d.site.as_str()), ("452-04", "bk-cov"));
    assert_eq!(c.sites, ["bk-cov"]);
    let c = commune(&r, "01837");
    assert_eq!(c.mobile, MobileVerdict::NotCovered);
    assert!(c.usable_share.unwrap() < 0.95);
    assert_eq!(
        c.mobile_by_operator["452-01"],
        MobileVerdict::NoSite,
        "a site without that SIM is no evidence about it"
    );
    assert_eq!(
        commune(&r, "01840").mobile,
        MobileVerdict::InsufficientData,
        "six hours only"
    );
    assert_eq!(commune(&r, "01840").usable_share, None);
    // bk-reg: registry position (01846) wins over its readings (01849); bk-fibreonly is a site
    // of 01846 without signal samples.
    let c = commune(&r, "01846");
    assert_eq!(c.sites, ["bk-fibreonly", "bk-reg"]);
    assert_eq!(c.mobile_sites, ["bk-reg"]);
    assert_eq!(c.mobile, MobileVerdict::Covered);
    assert_eq!(commune(&r, "01849").mobile, MobileVerdict::NoSite);
    assert_eq!(commune(&r, "01849").sites.len(), 0);

    // Fibre.
    assert_eq!(commune(&r, "01834").fibre, FibreVerdict::Connected);
    assert_eq!(commune(&r, "01837").fibre, FibreVerdict::NotConnected);
    assert_eq!(commune(&r, "01837").fibre_windows.up, 43);
    assert_eq!(commune(&r, "01840").fibre, FibreVerdict::InsufficientData);
    assert_eq!(commune(&r, "01840").fibre_windows.known, 0);
    let d058 = r.districts.iter().find(|d| d.code == "058").unwrap();
    assert_eq!(d058.fibre, FibreVerdict::Connected);
    assert_eq!(d058.mobile, MobileVerdict::NotCovered);
    assert_eq!(d058.communes, 8);
    assert!(d058.mobile_covered >= 2);
    assert!(
        r.districts
            .iter()
            .filter(|d| d.code != "058")
            .all(|d| d.fibre == FibreVerdict::NoSite)
    );

    // Claims, with bounds in percent.
    let verdicts: Vec<ClaimVerdict> = r.claims.iter().map(|c| c.verdict).collect();
    use ClaimVerdict::*;
    assert_eq!(
        verdicts,
        [
            Refuted, Unproven, Verified, Verified, Refuted, Refuted, Verified
        ]
    );
    let f = &r.claims[1];
    assert_eq!(
        (f.shown, f.unknown, f.total, f.lower, f.upper),
        (1, 7, 8, 12.5, 100.0)
    );
    assert!(r.claims[5].not_shown_areas.contains(&"01837".to_owned()));

    // Flags: outside, configured elsewhere; never moved.
    let flagged: Vec<(&str, Vec<String>)> = r
        .flagged_sites
        .iter()
        .map(|f| {
            (
                f.site.as_str(),
                f.flags
                    .iter()
                    .map(|x| {
                        serde_json::to_value(x)
                            .unwrap()
                            .as_str()
                            .unwrap()
                            .to_owned()
                    })
                    .collect(),
            )
        })
        .collect();
    let out = flagged.iter().find(|(s, _)| *s == "bk-out").unwrap();
    assert!(out.1.contains(&"outside".to_owned()), "{flagged:?}");
    let reg = flagged.iter().find(|(s, _)| *s == "bk-reg").unwrap();
    assert!(
        reg.1.contains(&"configured_elsewhere".to_owned()),
        "{flagged:?}"
    );
    let out_site = r.sites.iter().find(|s| s.id == "bk-out").unwrap();
    assert_eq!(out_site.commune, None);
    assert!(out_site.nearest_commune.is_some());
    assert_eq!(
        r.sites
            .iter()
            .find(|s| s.id == "bk-reg")
            .unwrap()
            .position_source,
        "registry"
    );
    assert_eq!(
        r.sites
            .iter()
            .find(|s| s.id == "bk-cov")
            .unwrap()
            .position_source,
        "readings"
    );
    // Confidence on hourly blocks.
    let cov = &r.sites.iter().find(|s| s.id == "bk-cov").unwrap().mobile;
    let viettel = cov.iter().find(|o| o.operator == "452-04").unwrap();
    assert_eq!(
        (
            viettel.hourly_blocks,
            viettel.distinct_hours,
            viettel.counted
        ),
        (48, 24, 576)
    );
    let [lo, hi] = viettel.share_interval_95.unwrap();
    assert!(lo > 0.9 && lo < 1.0 && hi > 0.9999, "{lo} {hi}");
    // Excluded samples are counted by reason at bk-mix.
    let mix = commune(&r, "01843");
    assert!(
        mix.excluded.reg_denied > 0
            && mix.excluded.clock_not_synced > 0
            && mix.excluded.no_deciding_value > 0
            && mix.excluded.unrecognised > 0
    );
    assert_eq!(mix.samples, mix.counted + mix.excluded.total());

    // The JSON shape issue 2 asks for.
    let v: Value = serde_json::from_str(&rendered(&r, Format::Json)).unwrap();
    for key in [
        "boundary_set",
        "from",
        "to",
        "thresholds",
        "communes",
        "districts",
        "claims",
        "province",
        "flagged_sites",
        "confidence",
        "provenance",
    ] {
        assert!(v.get(key).is_some(), "{key}");
    }
    for key in [
        "code",
        "name",
        "district",
        "sites",
        "samples",
        "usable_share",
        "mobile",
        "fibre",
        "mobile_by_operator",
    ] {
        assert!(v["communes"][0].get(key).is_some(), "communes[].{key}");
    }
    for key in ["code", "name", "communes", "mobile_covered", "fibre"] {
        assert!(v["districts"][0].get(key).is_some(), "districts[].{key}");
    }
    for key in ["claim", "verdict", "lower", "upper"] {
        assert!(v["claims"][0].get(key).is_some(), "claims[].{key}");
    }
    assert_eq!(v["communes"][0]["mobile"], "covered");
    assert_eq!(v["claims"][0]["verdict"], "refuted");
    assert_eq!(v["thresholds"]["min_usable_share_pct"], 95);
    assert_eq!(
        v["provenance"]["boundary_sha256"],
        "850bb3073a68a3273389c4b867568c51337c710431b656f21f001e380f6a5d91"
    );
    assert_eq!(v["provenance"]["source"]["kind"], "archive");
    assert_eq!(v["provenance"]["source"]["files"][0]["unparsed_lines"], 1);
    assert!(
        v["provenance"]["source"]["equivalent_queries"][0]
            .as_str()
            .unwrap()
            .starts_with("SELECT count(seq) AS samples")
    );
    assert!(
        v["provenance"]["threshold_sources"]
            .as_str()
            .unwrap()
            .contains("QCVN 81")
    );

    // Same inputs, byte-identical outputs.
    let again = audit(&argv).await.unwrap();
    for f in [Format::Json, Format::Md, Format::Csv] {
        assert_eq!(rendered(&r, f), rendered(&again, f));
    }

    // Markdown and CSV.
    let md = rendered(&r, Format::Md);
    for needle in [
        "# Coverage audit: bac-kan-2020",
        "| `mobile:communes:100` | **refuted** |",
        "## Districts",
        "## Communes",
        "## Flagged sites",
        "## Provenance",
        "850bb3073a68",
        "Wilson",
    ] {
        assert!(md.contains(needle), "markdown lacks {needle}");
    }
    let csv = rendered(&r, Format::Csv);
    let mut rows = csv.lines();
    let header = rows.next().unwrap();
    assert!(
        header.starts_with("boundary_set,code,name,district,"),
        "{header}"
    );
    assert!(header.contains("mobile_452-04"));
    assert_eq!(rows.count(), 108);
    assert!(csv.contains("bac-kan-2020,01834,Phường Nguyễn Thị Minh Khai,058,"));

    let text = coverage_audit::render::summary(&r);
    assert!(
        text.contains("claim mobile:communes:100: refuted (lower 1.85 %, upper"),
        "{text}"
    );
    assert!(
        text.starts_with("Audit of bac-kan-2020 from 2024-03-04T00:00:00Z"),
        "{text}"
    );

    // --out writes the file.
    let out = dir.path().join("report.md");
    let mut args = cli(&argv);
    args.format = Format::Md;
    args.out = Some(out.clone());
    write_report(&args, &r, &registry()).unwrap();
    assert_eq!(std::fs::read_to_string(&out).unwrap(), md);
}

#[tokio::test]
async fn the_same_data_on_the_2025_set() {
    let dir = tempfile::tempdir().unwrap();
    let path = archive(dir.path());
    let p = path.to_str().unwrap();
    let r = audit(&[
        "--set",
        "thai-nguyen-2025",
        "--from",
        "2024-03-04T00:00:00Z",
        "--to",
        "2024-03-06T00:00:00Z",
        "--archive",
        p,
        "--claim",
        "mobile:communes:100@former=06",
        "--claim",
        "fibre:communes:5@former=06",
    ])
    .await
    .unwrap();
    assert_eq!(r.boundary_set, "thai-nguyen-2025");
    assert_eq!(r.communes.len(), 92);
    assert!(r.districts.is_empty());
    assert_eq!(r.claims[0].total, 37);
    // 01834, 01840 and 01846 of 2020 are 01840 Đức Xuân in 2025.
    let c = commune(&r, "01840");
    assert_eq!(c.sites, ["bk-cov", "bk-fibreonly", "bk-reg", "bk-thin"]);
    assert_eq!(c.mobile, MobileVerdict::Covered);
    assert_eq!(c.district, None);
    assert_eq!(c.former_province.as_deref(), Some("Bắc Kạn"));
    // Configured for 2020 commune 01834, which is 01840 in 2025: not flagged on this set.
    let reg = r.sites.iter().find(|s| s.id == "bk-reg").unwrap();
    assert!(
        reg.flags
            .iter()
            .all(|f| serde_json::to_value(f).unwrap() != "configured_elsewhere"),
        "{:?}",
        reg.flags
    );
    // 2025 unit 01843 holds bk-weak (Viettel only, not covered) and bk-mix (three operators,
    // none covered): bk-weak is no evidence about the other two, so every operator measured
    // there is not covered, and so is the commune.
    assert_eq!(commune(&r, "01843").mobile, MobileVerdict::NotCovered);
    // One of the 37 former Bắc Kạn communes shown without coverage: 100 % cannot hold.
    assert_eq!(r.claims[0].verdict, ClaimVerdict::Refuted);
    assert_eq!(r.claims[0].not_shown_areas, ["01843"]);
}

#[tokio::test]
async fn user_errors_are_clear() {
    let dir = tempfile::tempdir().unwrap();
    let path = archive(dir.path());
    let p = path.to_str().unwrap();
    let err = |r: Result<Report, AuditError>| r.unwrap_err().to_string();

    let e = err(audit(&[
        "--set",
        "thai-nguyen-2025",
        "--from",
        "2025-08-01T00:00:00Z",
        "--to",
        "2025-08-02T00:00:00Z",
        "--archive",
        p,
        "--claim",
        "fibre:districts:100",
    ])
    .await);
    assert!(
        e.contains("LEVEL") && e.contains("no district level"),
        "{e}"
    );
    let e = err(audit(&[
        "--from",
        "2025-06-01T00:00:00Z",
        "--to",
        "2025-07-15T00:00:00Z",
        "--archive",
        p,
    ])
    .await);
    assert!(
        e.contains("--set") && e.contains("bac-kan-2020") && e.contains("thai-nguyen-2025"),
        "{e}"
    );
    let e = err(audit(&[
        "--from",
        "2024-03-06T00:00:00Z",
        "--to",
        "2024-03-04T00:00:00Z",
        "--archive",
        p,
    ])
    .await);
    assert!(e.contains("not before"), "{e}");
    let e = err(audit(&[
        "--from",
        "2024-03-04T00:00:00Z",
        "--to",
        "2024-03-06T00:00:00Z",
    ])
    .await);
    assert!(e.contains("no data source"), "{e}");
    let e = err(audit(&[
        "--from",
        "2024-03-04T00:00:00Z",
        "--to",
        "2024-03-06T00:00:00Z",
        "--archive",
        p,
        "--claim",
        "mobile:communes:1000",
    ])
    .await);
    assert!(e.contains("PERCENT") && e.contains("1000"), "{e}");
    let e = err(audit(&[
        "--from",
        "2024-03-04T00:00:00Z",
        "--to",
        "2024-03-06T00:00:00Z",
        "--archive",
        "/nonexistent/a.lp",
    ])
    .await);
    assert!(e.contains("/nonexistent/a.lp"), "{e}");
    let bad = Cli::try_parse_from([
        "audit",
        "--from",
        "yesterday",
        "--to",
        "2024-03-06T00:00:00Z",
    ]);
    assert!(bad.is_err_and(|e| e.to_string().contains("RFC 3339")));
    let mut cfg = audit_config();
    cfg.fibre.max_rtt_ms = -1.0;
    let args = cli(&[
        "--from",
        "2024-03-04T00:00:00Z",
        "--to",
        "2024-03-06T00:00:00Z",
        "--archive",
        p,
    ]);
    let e = run_audit(&args, None, &cfg, &registry())
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("audit.fibre.max_rtt_ms"), "{e}");
    // The period is read in UTC whatever the offset written.
    let args = cli(&[
        "--from",
        "2024-03-04T07:00:00+07:00",
        "--to",
        "2024-03-04T08:00:00+07:00",
        "--archive",
        p,
    ]);
    assert_eq!(
        args.from,
        Utc.with_ymd_and_hms(2024, 3, 4, 0, 0, 0).unwrap()
    );
}

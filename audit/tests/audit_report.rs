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

/// Renders `r` in `f`, in its own language, on its set from the repository's boundaries.
fn rendered(r: &Report, f: Format) -> String {
    let reg = registry();
    render(r, f, reg.get(&r.boundary_set).unwrap(), r.lang)
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
        "mobile:communes:100:operator=Viettel@district=058",
        "--claim",
        "mobile:communes:0.9",
        "--lang",
        "en",
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
    assert_eq!(
        r.claims[5].operator.as_deref(),
        Some("452-04"),
        "operator=Viettel resolves to its MCC-MNC"
    );

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
        // Title block: times in the audit's time zone, the provisional thresholds.
        "# Coverage audit report: bac-kan-2020, 2024-03-04 07:00 (UTC+07:00) to 2024-03-06 07:00 (UTC+07:00)",
        "- Time zone: Vietnam time (UTC+07:00, Asia/Ho_Chi_Minh)",
        "| `mobile:communes:100` | **refuted** |",
        // The claim in words, and the areas that decide it by name and code.
        "### `mobile:communes:100`",
        "Refuted: 2 communes were measured without coverage, so at most 98.15\u{a0}% can be covered, below the claimed 100\u{a0}%.",
        "- Not shown (2): ",
        "Phường Sông Cầu (01837)",
        "- Unknown, too little data (",
        "Latency shows that a place is reachable, not how fast its connection is.",
        "Operator: Viettel (452-04)",
        "## Districts",
        "## Communes",
        "| VinaPhone (452-02) |",
        // Each commune's verdicts with the reasons.
        "## Why each commune has its verdict",
        "### Phường Nguyễn Thị Minh Khai (01834): covered",
        "- any operator: Viettel (452-04): site bk-cov: 100.0\u{a0}% of ",
        "- VinaPhone (452-02): **not covered**: site bk-cov: ",
        "below 95\u{a0}%",
        "samples in 6 distinct hours (12 needed)",
        "samples excluded: registration denied ",
        "## Flagged sites",
        "from the commune's edge",
        "## Thresholds and their sources",
        "Signal thresholds are this installation's defaults, not the levels of QCVN 81:2019 §1.4.5; set them in `audit.policy.thresholds` and `audit.policy.by_placement`.",
        "usable share at least 95\u{a0}%: QCVN 81:2019 §2.1.1 (radio network availability)",
        "at least 300 counted samples: VNNIC (i-Speed)",
        "Operator names: ITU-T E.212",
        "## Provenance",
        "850bb3073a68",
        "Wilson",
    ] {
        assert!(md.contains(needle), "markdown lacks {needle}\n{md}");
    }
    assert!(md.contains("**Provisional thresholds (defaults).**"));
    let csv = rendered(&r, Format::Csv);
    let mut rows = csv.lines();
    let header = rows.next().unwrap();
    assert!(
        header.starts_with("boundary_set,code,name,district,"),
        "{header}"
    );
    assert!(header.contains("mobile_452-04"));
    assert!(header.contains(",reason,excluded,"));
    assert!(header.contains("reason_452-04"));
    assert_eq!(rows.count(), 108);
    assert!(csv.contains("bac-kan-2020,01834,Phường Nguyễn Thị Minh Khai,058,"));
    assert!(csv.contains(",not covered,"), "verdicts are words");

    // JSON carries the sentences in the language.
    assert_eq!(v["lang"], "en");
    assert_eq!(v["provisional_thresholds"], true);
    assert!(
        v["claims"][0]["explanation"]
            .as_str()
            .unwrap()
            .starts_with("Refuted: 2 communes")
    );
    assert_eq!(v["claims"][0]["deciding"]["not_shown"][0]["code"], "01837");
    assert!(v["communes"][0]["reasons"]["any"].is_array());

    let text = coverage_audit::render::summary(&r);
    assert!(
        text.contains("Claim mobile:communes:100: refuted (Lower bound 1.85\u{a0}%, Upper bound"),
        "{text}"
    );
    assert!(
        text.starts_with(
            "Audit of bac-kan-2020, 2024-03-04 07:00 (UTC+07:00) to 2024-03-06 07:00 (UTC+07:00)"
        ),
        "{text}"
    );
    assert!(
        text.contains("    Refuted: 2 communes were measured"),
        "{text}"
    );

    // The same report in Vietnamese: every word of every format.
    let mut vi_argv = argv.to_vec();
    let n = vi_argv.len();
    vi_argv[n - 1] = "vi";
    let vi = audit(&vi_argv).await.unwrap();
    assert_eq!(
        vi.claims,
        {
            let mut en = r.claims.clone();
            for (e, v) in en.iter_mut().zip(&vi.claims) {
                e.explanation = v.explanation.clone();
            }
            en
        },
        "verdicts and areas do not depend on the language"
    );
    let md = rendered(&vi, Format::Md);
    for needle in [
        "# Báo cáo đánh giá vùng phủ sóng: bac-kan-2020, từ 04/03/2024 07:00 (UTC+07:00) đến 06/03/2024 07:00 (UTC+07:00)",
        "**Ngưỡng tạm thời (mặc định).**",
        "- Múi giờ: giờ Việt Nam (UTC+07:00, Asia/Ho_Chi_Minh)",
        "| `mobile:communes:100` | **Bị bác bỏ** |",
        "Bị bác bỏ: 2 xã được đo là không có phủ sóng, nên tối đa 98,15\u{a0}% có thể được phủ sóng, thấp hơn mức công bố 100\u{a0}%.",
        "Phường Sông Cầu (01837)",
        "## Chỉ tiêu công bố",
        "## Lý do kết luận của từng xã",
        "### Phường Nguyễn Thị Minh Khai (01834): Đạt (có phủ sóng)",
        "- mọi nhà mạng: Viettel (452-04): điểm đo bk-cov: 100,0\u{a0}% của ",
        "chưa đủ số giờ đo khác nhau, mẫu đo trong 6 giờ (cần 12)",
        "mẫu đo bị loại: bị từ chối đăng ký mạng ",
        "Độ trễ cho thấy điểm đo kết nối được, không cho biết tốc độ tải dữ liệu.",
        "tỷ lệ mẫu đạt ngưỡng từ 95\u{a0}%: QCVN 81:2019 mục 2.1.1",
        "## Thông tin truy xuất nguồn gốc",
        "khoảng tin cậy 95% Wilson",
    ] {
        assert!(md.contains(needle), "vi markdown lacks {needle}\n{md}");
    }
    // No English word outside identifiers, cited sources and SQL.
    for english in [
        "Refuted",
        "| covered |",
        "Reason",
        "samples usable",
        "Provenance",
        "Threshold sources",
        "Definitions",
        "no site",
        "flagged",
    ] {
        assert!(!md.contains(english), "vi markdown has {english}");
    }
    let csv = rendered(&vi, Format::Csv);
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .starts_with("boundary_set,code,name,"),
        "identifiers stay"
    );
    assert!(csv.contains(",Không đạt,"), "{csv}");
    let v: Value = serde_json::from_str(&rendered(&vi, Format::Json)).unwrap();
    assert_eq!(v["lang"], "vi");
    assert_eq!(
        v["claims"][0]["verdict"], "refuted",
        "JSON values that are identifiers stay"
    );
    assert!(
        v["claims"][0]["explanation"]
            .as_str()
            .unwrap()
            .starts_with("Bị bác bỏ: 2 xã")
    );
    let text = coverage_audit::render::summary(&vi);
    assert!(
        text.starts_with("Đánh giá bac-kan-2020, từ 04/03/2024 07:00 (UTC+07:00)"),
        "{text}"
    );
    assert!(
        text.contains("Chỉ tiêu công bố mobile:communes:100: Bị bác bỏ (Cận dưới 1,85\u{a0}%"),
        "{text}"
    );

    // --out writes the file.
    let out = dir.path().join("report.md");
    let mut args = cli(&argv);
    args.format = Format::Md;
    args.out = Some(out.clone());
    write_report(&args, &r, &registry()).unwrap();
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        rendered(&r, Format::Md)
    );
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
    let bad = Cli::try_parse_from([
        "audit",
        "--from",
        "2024-03-04T00:00:00Z",
        "--to",
        "2024-03-06T00:00:00Z",
        "--lang",
        "fr",
    ]);
    assert!(
        bad.is_err_and(|e| e.to_string().contains("`fr`") && e.to_string().contains("--lang vi"))
    );
    let e = err(audit(&[
        "--from",
        "2024-03-04T00:00:00Z",
        "--to",
        "2024-03-06T00:00:00Z",
        "--archive",
        p,
        "--claim",
        "mobile:communes:100:operator=Beeline",
    ])
    .await);
    assert!(
        e.contains("operator") && e.contains("Viettel (452-04)"),
        "{e}"
    );
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
        args.period(0).unwrap().0,
        Utc.with_ymd_and_hms(2024, 3, 4, 0, 0, 0).unwrap()
    );
    // A date alone is local midnight (+07:00 by default); a month runs to the next.
    let args = cli(&["--from", "2024-03-04", "--to", "2024-03-05", "--archive", p]);
    assert_eq!(
        args.period(7).unwrap(),
        (
            Utc.with_ymd_and_hms(2024, 3, 3, 17, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2024, 3, 4, 17, 0, 0).unwrap()
        )
    );
    let args = cli(&["--month", "2024-03", "--archive", p]);
    assert_eq!(
        args.period(7).unwrap().1,
        Utc.with_ymd_and_hms(2024, 3, 31, 17, 0, 0).unwrap()
    );
    // A period without any reading is an error naming the period and what the store holds.
    let args = cli(&["--month", "2023-01", "--archive", p]);
    let e = run_audit(&args, None, &cfg_default(), &registry())
        .await
        .unwrap_err();
    assert!(
        matches!(e, coverage_audit::AuditError::EmptyPeriod { .. }),
        "{e}"
    );
    let e = e.to_string();
    assert!(
        e.contains("2023-01-01T00:00:00+07:00")
            && e.contains("2023-02-01T00:00:00+07:00")
            && e.contains("the store holds readings from 2024-03-0"),
        "{e}"
    );
}

fn cfg_default() -> coverage_audit::AuditConfig {
    coverage_audit::AuditConfig::default()
}

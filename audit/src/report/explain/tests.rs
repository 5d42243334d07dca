//! Each rule at its edges, on reports built from small hand-made aggregates over the real
//! 2020 set, with the sentences checked in English and in Vietnamese.

use chrono::{TimeZone, Utc};
use coverage_shared::site::SiteEntry;
use coverage_shared::text::{EN, VI};

use super::*;
use crate::claim::Claim;
use crate::report::{ReportInputs, build_report};
use crate::source::SourceInfo;
use crate::source::{Aggregates, FieldCounts, HOUR_MS, MobileKey, MobileRow, SitePosition};
use crate::test_registry as registry;

/// Inside bac-kan-2020 commune 01834, 92 m from its edge (`deploy/collector.example.toml`).
const IN_01834: (f64, f64) = (22.162534, 105.844234);
const VIETTEL: &str = "452-04";

/// `hours` rows of `per_hour` samples (`usable` of them usable) at `site` for `operator`.
fn rows(site: &str, operator: &str, hours: i64, per_hour: u64, usable: u64) -> Vec<MobileRow> {
    (0..hours)
        .map(|h| MobileRow {
            key: MobileKey {
                site: site.to_owned(),
                operator: operator.to_owned(),
                tech: "lte".to_owned(),
                reg: "home".to_owned(),
                placement: "indoor".to_owned(),
                hour: h * HOUR_MS,
            },
            all: FieldCounts {
                samples: per_hour,
                rsrp_dbm: per_hour,
                usable,
                ..FieldCounts::default()
            },
            unsynced: FieldCounts::default(),
        })
        .collect()
}

fn report(mobile: Vec<MobileRow>, cfg: &AuditConfig, claims: &[&str]) -> Report {
    let r = registry();
    let set = r.get("bac-kan-2020").unwrap();
    let mut sites: Vec<&str> = mobile.iter().map(|m| m.key.site.as_str()).collect();
    sites.dedup();
    let aggregates = Aggregates {
        throughput: Vec::new(),
        positions: sites
            .iter()
            .map(|s| SitePosition {
                site: (*s).to_owned(),
                lat: IN_01834.0,
                lon: IN_01834.1,
                ts_ms: 0,
            })
            .collect(),
        mobile,
        fibre: Vec::new(),
    };
    let claims: Vec<Claim> = claims.iter().map(|c| Claim::parse(c).unwrap()).collect();
    build_report(ReportInputs {
        set,
        registry: &r,
        cfg,
        from: Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap(),
        to: Utc.with_ymd_and_hms(2025, 1, 2, 0, 0, 0).unwrap(),
        claims: &claims,
        aggregates: &aggregates,
        source: SourceInfo::Archive {
            files: Vec::new(),
            equivalent_queries: Vec::new(),
        },
    })
    .unwrap()
}

fn commune<'r>(r: &'r Report, code: &str) -> &'r CommuneReport {
    r.communes.iter().find(|c| c.code == code).unwrap()
}

fn op_sentences(r: &Report, code: &str, cat: &Catalogue) -> Vec<String> {
    commune_operator_reasons(r, commune(r, code), VIETTEL)
        .iter()
        .map(|x| sentence(x, cat))
        .collect()
}

#[test]
fn exactly_at_the_threshold_covers_and_one_sample_less_does_not() {
    let cfg = AuditConfig::default();
    // 12 hours x 25 = 300 samples, 285 usable = exactly 95 %.
    let mut at = rows("s", VIETTEL, 12, 25, 24);
    at[0].all.usable = 21;
    let r = report(at, &cfg, &[]);
    assert_eq!(commune(&r, "01834").mobile, MobileVerdict::Covered);
    let en = op_sentences(&r, "01834", &EN);
    assert!(
        en[0].starts_with(
            "site s: 95.0\u{a0}% of 300 samples usable (95\u{a0}% interval 69–99\u{a0}%)"
        ),
        "{en:?}"
    );
    assert!(en[0].ends_with("), at least 95\u{a0}%"), "{en:?}");
    let mut below = rows("s", VIETTEL, 12, 25, 24);
    below[0].all.usable = 20;
    let r = report(below, &cfg, &[]);
    assert_eq!(commune(&r, "01834").mobile, MobileVerdict::NotCovered);
    let reasons = commune_operator_reasons(&r, commune(&r, "01834"), VIETTEL);
    let Reason::BelowThreshold { figures, .. } = &reasons[0] else {
        panic!("{reasons:?}");
    };
    let site = r.sites.iter().find(|s| s.id == "s").unwrap();
    assert_eq!(figures.interval, site.mobile[0].share_interval_95);
    let vi = op_sentences(&r, "01834", &VI);
    assert!(
        vi[0].contains("94,7\u{a0}% của 300 mẫu đo đạt ngưỡng"),
        "{vi:?}"
    );
    assert!(vi[0].contains("khoảng tin cậy 95% "), "{vi:?}");
    assert!(vi[0].ends_with("thấp hơn 95\u{a0}%"), "{vi:?}");
}

#[test]
fn too_few_samples_and_too_few_hours_are_each_stated() {
    let cfg = AuditConfig::default();
    // 299 samples in 13 hours: one short of 300.
    let mut few = rows("s", VIETTEL, 13, 23, 23);
    few[0].all.samples = 23 - 1;
    few[0].all.rsrp_dbm = 22;
    few[0].all.usable = 22;
    let r = report(few, &cfg, &[]);
    assert_eq!(
        op_sentences(&r, "01834", &EN),
        vec!["site s: only 298 counted samples (300 needed)"]
    );
    // 11 hours of 40: enough samples, one hour short.
    let r = report(rows("s", VIETTEL, 11, 40, 40), &cfg, &[]);
    assert_eq!(
        op_sentences(&r, "01834", &EN),
        vec!["site s: samples in 11 distinct hours (12 needed)"]
    );
    assert_eq!(
        op_sentences(&r, "01834", &VI),
        vec!["điểm đo s: chưa đủ số giờ đo khác nhau, mẫu đo trong 11 giờ (cần 12)"]
    );
    // Both short.
    let r = report(rows("s", VIETTEL, 2, 10, 10), &cfg, &[]);
    let reasons = commune_operator_reasons(&r, commune(&r, "01834"), VIETTEL);
    assert!(matches!(
        reasons.as_slice(),
        [
            Reason::TooFewSamples {
                counted: 20,
                min: 300,
                ..
            },
            Reason::TooFewHours {
                hours: 2,
                min: 12,
                ..
            }
        ]
    ));
    assert_eq!(commune(&r, "01834").mobile, MobileVerdict::InsufficientData);
}

#[test]
fn nothing_counted_when_every_sample_is_excluded() {
    let cfg = AuditConfig::default();
    let mut unsynced = rows("s", VIETTEL, 3, 10, 10);
    for row in &mut unsynced {
        row.unsynced = row.all;
    }
    let r = report(unsynced, &cfg, &[]);
    assert_eq!(
        op_sentences(&r, "01834", &EN),
        vec!["site s: none of its 30 samples could be counted"]
    );
    let c = commune(&r, "01834");
    assert_eq!(
        c.reasons.excluded.as_deref(),
        Some("30 samples excluded: clock not synchronised 30")
    );
    assert_eq!(
        excluded_sentence(&c.excluded, &VI).as_deref(),
        Some("30 mẫu đo bị loại: đồng hồ chưa đồng bộ 30")
    );
    assert_eq!(excluded_sentence(&ExcludedCounts::default(), &EN), None);
}

#[test]
fn no_site_silent_registry_site_and_the_near_edge_flag() {
    let mut cfg = AuditConfig::default();
    cfg.sites.push(SiteEntry {
        id: "quiet".to_owned(),
        lat: IN_01834.0,
        lon: IN_01834.1,
        commune: None,
        operators: vec![VIETTEL.to_owned()],
        contracted_down_mbps: None,
        contracted_up_mbps: None,
        retired: None,
    });
    let r = report(Vec::new(), &cfg, &[]);
    // A commune without any site.
    let other = commune(&r, "01837");
    assert_eq!(other.mobile, MobileVerdict::NoSite);
    assert_eq!(other.reasons.any, vec!["no site"]);
    assert_eq!(commune_reasons(&r, other, &VI).any, vec!["chưa có điểm đo"]);
    // The registry site sent nothing; it is 92 m from the commune's edge.
    let c = commune(&r, "01834");
    assert_eq!(c.mobile, MobileVerdict::InsufficientData);
    assert_eq!(
        c.reasons.by_operator[VIETTEL],
        vec![
            "site quiet is in the registry and sent nothing in the period",
            "site quiet flagged: 92\u{a0}m from the commune's edge",
        ]
    );
    assert_eq!(
        c.reasons.any[0],
        "Viettel (452-04): site quiet is in the registry and sent nothing in the period"
    );
    let vi = commune_reasons(&r, c, &VI);
    assert_eq!(
        vi.any[1],
        "điểm đo quiet cần kiểm tra: cách ranh giới xã 92\u{a0}m"
    );
}

#[test]
fn an_operator_without_a_site_of_its_own_and_the_any_verdict_decided_by_another() {
    let cfg = AuditConfig::default();
    let mut rows_ = rows("s", VIETTEL, 12, 25, 25);
    rows_.extend(rows("t", "452-02", 1, 5, 5));
    let r = report(rows_, &cfg, &[]);
    let c = commune(&r, "01834");
    assert_eq!(c.mobile, MobileVerdict::Covered);
    // The any verdict names only the covering site and operator.
    let any = commune_any_reasons(&r, c);
    assert_eq!(any.len(), 1, "{any:?}");
    assert_eq!(any[0].0.as_deref(), Some(VIETTEL));
    assert!(c.reasons.any[0].starts_with("Viettel (452-04): site s: 100.0\u{a0}% of 300"));
    assert_eq!(
        c.reasons.by_operator["452-02"][0],
        "site t: only 5 counted samples (300 needed)"
    );
    // A commune with sites, none of them with this operator's SIM.
    let empty = CommuneReport {
        sites_by_operator: Default::default(),
        ..c.clone()
    };
    assert_eq!(
        commune_operator_reasons(&r, &empty, VIETTEL),
        vec![Reason::NoSiteForOperator]
    );
    assert_eq!(
        sentence(&Reason::NoSiteForOperator, &VI),
        "chưa có điểm đo dùng SIM của nhà mạng này"
    );
}

#[test]
fn claims_explain_their_verdict_and_name_the_deciding_areas() {
    let cfg = AuditConfig::default();
    // 01834: Viettel below the threshold, VinaPhone with too little data.
    let mut data = rows("s", VIETTEL, 12, 25, 20);
    data.extend(rows("s", "452-02", 2, 5, 5));
    let r = report(
        data,
        &cfg,
        &[
            "mobile:communes:100:operator=452-04",
            "mobile:communes:100",
            "mobile:communes:0",
            "fibre:districts:100",
        ],
    );
    let refuted = &r.claims[0];
    assert_eq!(refuted.verdict, ClaimVerdict::Refuted);
    assert_eq!(
        refuted.explanation,
        "Refuted: 1 commune was measured without coverage, so at most 99.07\u{a0}% can be covered, below the claimed 100\u{a0}%."
    );
    let minh_khai = NamedArea {
        code: "01834".into(),
        name: "Phường Nguyễn Thị Minh Khai".into(),
    };
    assert_eq!(refuted.deciding.not_shown, vec![minh_khai.clone()]);
    assert_eq!(refuted.deciding.no_site.len(), 107);
    assert!(refuted.deciding.insufficient_data.is_empty());
    // For any operator, 01834 is insufficient_data (VinaPhone is not measured enough).
    let unproven = &r.claims[1];
    assert_eq!(unproven.verdict, ClaimVerdict::Unproven);
    assert_eq!(unproven.deciding.insufficient_data, vec![minh_khai]);
    assert_eq!(
        unproven.explanation,
        "Unproven: 0 of 108 communes are shown covered (0.00\u{a0}%) and 108 lack evidence (107 without a site, 1 with too little data), so between 0.00\u{a0}% and 100.00\u{a0}% may be covered: the claimed 100\u{a0}% is neither shown nor ruled out."
    );
    assert_eq!(
        r.claims[2].explanation,
        "Verified: 0 of 108 communes are shown covered (0.00\u{a0}%), at least the claimed 0\u{a0}%."
    );
    let fibre = &r.claims[3];
    assert!(
        fibre
            .explanation
            .ends_with("Latency shows that a place is reachable, not how fast its connection is."),
        "{}",
        fibre.explanation
    );
    let vi = localised(r.clone(), Lang::Vi);
    assert_eq!(vi.lang, Lang::Vi);
    assert_eq!(
        vi.claims[0].explanation,
        "Bị bác bỏ: 1 xã được đo là không có phủ sóng, nên tối đa 99,07\u{a0}% có thể được phủ sóng, thấp hơn mức công bố 100\u{a0}%."
    );
    assert!(
        vi.claims[3]
            .explanation
            .ends_with("không cho biết tốc độ tải dữ liệu."),
        "{}",
        vi.claims[3].explanation
    );
}

#[test]
fn times_are_local_with_their_offset_and_defaults_are_provisional() {
    assert_eq!(
        local_time("2024-12-31T17:00:00Z", 7, Lang::En),
        "2025-01-01 00:00 (UTC+07:00)"
    );
    assert_eq!(
        local_time("2024-12-31T17:00:30Z", 7, Lang::Vi),
        "01/01/2025 00:00:30 (UTC+07:00)"
    );
    assert_eq!(
        local_time("2025-01-01T00:00:00Z", -3, Lang::En),
        "2024-12-31 21:00 (UTC-03:00)"
    );
    assert_eq!(local_time("not a time", 7, Lang::En), "not a time");
    assert_eq!(
        time_zone(7, &EN),
        "Vietnam time (UTC+07:00, Asia/Ho_Chi_Minh)"
    );
    assert_eq!(time_zone(0, &VI), "UTC+00:00");

    let mut cfg = AuditConfig::default();
    let r = report(Vec::new(), &cfg, &[]);
    assert!(r.provisional_thresholds);
    assert_eq!(
        r.words.provisional.as_deref(),
        Some("Provisional thresholds (defaults)")
    );
    assert!(r.words.thresholds_note.contains("QCVN 81:2019 §1.4.5"));
    assert_eq!(
        r.words.from, "2025-01-01 07:00 (UTC+07:00)",
        "the period starts at 00:00 UTC"
    );
    assert_eq!(
        r.words.threshold_sources,
        vec![
            "usable share at least 95\u{a0}%: QCVN 81:2019 §2.1.1 (radio network availability)",
            "at least 300 counted samples: VNNIC (i-Speed)",
            "samples in at least 12 distinct local hours of the day: this project's rule (docs/design.md)",
        ]
    );
    cfg.policy.thresholds.lte_rsrp_dbm -= 1.0;
    cfg.min_samples = 200;
    let r = report(Vec::new(), &cfg, &[]);
    assert!(!r.provisional_thresholds);
    assert_eq!(r.words.provisional, None);
    assert_eq!(
        r.words.threshold_sources[1],
        "at least 200 counted samples: set in this installation's configuration"
    );
    let vi = localised(r, Lang::Vi);
    assert_eq!(vi.words.from, "01/01/2025 07:00 (UTC+07:00)");
    assert!(
        vi.words
            .title
            .starts_with("Báo cáo đánh giá vùng phủ sóng: bac-kan-2020, từ 01/01/2025")
    );
    assert!(vi.definitions[0].starts_with("Mẫu đo"));
}

//! Unit tests of the HTML page on the real boundary sets: structure, one path per commune,
//! escaping, languages, size, determinism. (The page in a real browser: `tests/html_chromium.rs`.)

use super::*;
use crate::claim::Claim;
use crate::config::AuditConfig;
use crate::report::{ReportInputs, build_report};
use crate::source::{Aggregates, SitePosition};
use crate::test_registry;

/// Inside bac-kan-2020 commune 01834.
const IN_01834: (f64, f64) = (22.162534, 105.844234);

/// A report of `set` with no samples, one site reporting a position in 01834, and two claims;
/// then hand-set verdicts: 01834 covered, 01837 not covered, 01840 insufficient data.
pub(crate) fn report(set_name: &str) -> Report {
    let registry = test_registry();
    let set = registry.get(set_name).unwrap();
    let cfg = AuditConfig::default();
    let agg = Aggregates {
        mobile: vec![],
        fibre: vec![],
        throughput: vec![],
        positions: vec![SitePosition {
            site: "bk-cov".into(),
            lat: IN_01834.0,
            lon: IN_01834.1,
            ts_ms: 0,
        }],
    };
    let claims = [
        Claim::parse("mobile:communes:100").unwrap(),
        Claim::parse("mobile:communes:0.9").unwrap(),
    ];
    let t = |h: i64| chrono::DateTime::from_timestamp(h * 3600, 0).unwrap();
    let mut r = build_report(ReportInputs {
        set,
        registry: &registry,
        cfg: &cfg,
        from: t(0),
        to: t(24),
        claims: &claims,
        aggregates: &agg,
        source: SourceInfo::Archive {
            files: vec![],
            equivalent_queries: vec![],
        },
    })
    .unwrap();
    r.operators = vec!["452-04".into()];
    let n = r.communes.len();
    for (i, v) in [
        MobileVerdict::Covered,
        MobileVerdict::NotCovered,
        MobileVerdict::InsufficientData,
    ]
    .into_iter()
    .enumerate()
    .filter(|(i, _)| *i < n)
    {
        r.communes[i].mobile = v;
        r.communes[i].mobile_by_operator.insert("452-04".into(), v);
    }
    r.communes[0].fibre = FibreVerdict::Connected;
    explain::localised(r, Lang::En)
}

fn t_en() -> &'static Catalogue {
    text::catalogue(Lang::En)
}

fn count(hay: &str, needle: &str) -> usize {
    hay.matches(needle).count()
}

#[test]
fn one_path_per_commune_and_no_external_reference() {
    let registry = test_registry();
    for (name, communes) in [("bac-kan-2020", 108), ("thai-nguyen-2025", 92)] {
        let set = registry.get(name).unwrap();
        let r = report(name);
        let page = render(&r, set, Lang::En);
        assert_eq!(count(&page, "<path"), communes, "{name}");
        assert_eq!(count(&page, "<path class=\"c v-"), communes, "{name}");
        for attribute in ["src=", "href=", "url(", "@import"] {
            assert_eq!(count(&page, attribute), 0, "{name}: {attribute}");
        }
        assert!(
            !page.contains("http://") && !page.contains("https://"),
            "{name}"
        );
        // The districts of 2020 are outlined; the 2025 set has none.
        assert_eq!(
            page.contains("<polygon class=\"d\""),
            set.has_districts(),
            "{name}"
        );
        assert!(page.len() < 1_500_000, "{name}: {} bytes", page.len());
        assert!(page.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
        assert!(page.ends_with("</html>\n"));
    }
}

#[test]
fn communes_carry_their_verdicts_for_the_map_and_the_table() {
    let registry = test_registry();
    let set = registry.get("bac-kan-2020").unwrap();
    let r = report("bac-kan-2020");
    let page = render(&r, set, Lang::En);
    let first = &r.communes[0];
    let path = format!(
        "<path class=\"c v-covered\" data-code=\"{}\" data-any=\"covered\" data-op0=\"covered\" data-fibre=\"connected\"",
        first.code
    );
    assert!(page.contains(&path), "{path}");
    assert!(page.contains(&format!("<title>{} ({})\n", first.name, first.code)));
    assert!(page.contains("<option value=\"op0\">Mobile, Viettel (452-04)</option>"));
    // The table: one row per commune, the verdict as a class.
    assert_eq!(
        count(&page, "<tr><td>"),
        r.communes.len() + r.claims.len() + r.flagged_sites.len()
    );
    assert!(page.contains("<td class=\"v v-not_covered\">not covered</td>"));
    // The site dot, and claims with their bounds.
    assert_eq!(
        count(&page, "<circle class=\"s"),
        1 + 2,
        "one site and two legend dots"
    );
    assert!(page.contains("<code>mobile:communes:100</code>"));
    // No samples: every commune could still be covered, so both claims are unproven.
    assert!(page.contains("<span class=\"badge k-unproven\">unproven</span>"));
    // Each claim's sentence, and each commune's reasons.
    for c in &r.claims {
        assert!(!c.explanation.is_empty());
        assert!(
            page.contains(&*html_escape::encode_text(&c.explanation)),
            "{}",
            c.explanation
        );
    }
    let no_site = r
        .communes
        .iter()
        .find(|c| c.code == r.communes[50].code)
        .unwrap();
    assert_eq!(no_site.reasons.any, [t_en().report.reason_no_site]);
    assert!(page.contains("<td class=\"reason\">no site</td>"));
}

#[test]
fn data_is_escaped() {
    let registry = test_registry();
    let set = registry.get("bac-kan-2020").unwrap();
    let mut r = report("bac-kan-2020");
    let evil = "<script>alert(\"x\")</script>&";
    r.communes[0].sites = vec![evil.into()];
    r.sites[0].id = evil.into();
    r.claims[0].claim = evil.into();
    let page = render(&r, set, Lang::En);
    assert_eq!(count(&page, "<script>"), 1, "only the page's own script");
    assert!(page.contains("&lt;script&gt;alert(\"x\")&lt;/script&gt;&amp;"));
}

#[test]
fn every_word_follows_the_language() {
    let registry = test_registry();
    let set = registry.get("bac-kan-2020").unwrap();
    let r = report("bac-kan-2020");
    let vi = render(&r, set, Lang::Vi);
    assert!(vi.starts_with("<!DOCTYPE html>\n<html lang=\"vi\">"));
    for needle in [
        "<h2>Bản đồ</h2>",
        "<h3>Chú giải</h3>",
        "Chỉ tiêu công bố",
        "Chưa đủ căn cứ",
        "Đạt (có phủ sóng)",
        "Chưa có điểm đo",
        "Ranh giới huyện",
        // Bounds with a decimal comma.
        "100,00\u{a0}%",
    ] {
        assert!(vi.contains(needle), "vi lacks {needle}");
    }
    let en = render(&r, set, Lang::En);
    assert!(en.contains("100.00\u{a0}%") && !en.contains("Bản đồ"));
    // Same inputs, same bytes.
    assert_eq!(en, render(&r, set, Lang::En));
}

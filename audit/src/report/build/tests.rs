//! Unit tests of each stage of the report build, on small hand-built aggregates and the real
//! boundary sets.

use super::*;
use crate::source::{FibreRow, FieldCounts, MobileKey, MobileRow, SitePosition};
use crate::test_registry as registry;
use coverage_shared::site::SiteEntry;
use coverage_shared::wire::CommuneRef;

/// Inside bac-kan-2020 commune 01834, 92 m from its edge (`deploy/collector.example.toml`).
const IN_01834: (f64, f64) = (22.162534, 105.844234);

fn aggregates(
    mobile: Vec<MobileRow>,
    fibre: Vec<FibreRow>,
    positions: &[(&str, f64, f64)],
) -> Aggregates {
    Aggregates {
        mobile,
        fibre,
        throughput: Vec::new(),
        positions: positions
            .iter()
            .map(|(site, lat, lon)| SitePosition {
                site: (*site).to_owned(),
                lat: *lat,
                lon: *lon,
                ts_ms: 0,
            })
            .collect(),
    }
}

fn mobile_row(site: &str, operator: &str, hour: i64, samples: u64) -> MobileRow {
    MobileRow {
        key: MobileKey {
            site: site.to_owned(),
            operator: operator.to_owned(),
            tech: "lte".to_owned(),
            reg: "home".to_owned(),
            placement: "indoor".to_owned(),
            hour,
        },
        all: FieldCounts {
            samples,
            rsrp_dbm: samples,
            usable: samples / 2,
            ..FieldCounts::default()
        },
        unsynced: FieldCounts::default(),
    }
}

fn fibre_row(site: &str, hour: i64) -> FibreRow {
    FibreRow {
        site: site.to_owned(),
        hour,
        rounds: 4,
        sent: 40,
        received: 40,
        rtt_p50_median_ms: Some(5.0),
    }
}

#[test]
fn mobile_stats_group_by_site_and_operator_and_name_the_unknown_operator() {
    let cfg = AuditConfig::default();
    let rows = vec![
        mobile_row("s1", "", 0, 10),
        mobile_row("s1", "452-04", 0, 6),
        mobile_row("s1", "452-04", HOUR, 4),
        mobile_row("", "452-04", 0, 99),
    ];
    let stats = mobile_stats(&aggregates(rows.clone(), vec![], &[]), &cfg);
    let keys: Vec<(&str, &str)> = stats
        .keys()
        .map(|(s, o)| (s.as_str(), o.as_str()))
        .collect();
    assert_eq!(keys, vec![("s1", "452-04"), ("s1", UNKNOWN_OPERATOR)]);
    let viettel = &stats[&("s1".to_owned(), "452-04".to_owned())];
    let expected =
        row_classes(&rows[1], &cfg.policy).samples() + row_classes(&rows[2], &cfg.policy).samples();
    assert_eq!(viettel.classes.samples(), expected);
    assert_eq!(
        viettel.hours.keys().copied().collect::<Vec<_>>(),
        vec![0, HOUR]
    );
    let unknown = &stats[&("s1".to_owned(), UNKNOWN_OPERATOR.to_owned())];
    assert_eq!(
        unknown.classes.samples(),
        row_classes(&rows[0], &cfg.policy).samples()
    );
}

const HOUR: i64 = crate::source::HOUR_MS;

#[test]
fn fibre_windows_are_per_site_and_skip_rows_without_a_site() {
    let cfg = AuditConfig::default();
    let agg = aggregates(
        vec![],
        vec![fibre_row("f1", 0), fibre_row("f1", HOUR), fibre_row("", 0)],
        &[],
    );
    let windows = fibre_windows(&agg, &cfg);
    assert_eq!(windows.keys().copied().collect::<Vec<_>>(), vec!["f1"]);
    assert_eq!(
        windows["f1"],
        site_windows([&agg.fibre[0], &agg.fibre[1]].into_iter(), &cfg.fibre)
    );
}

#[test]
fn place_sites_places_and_flags_every_known_site() {
    let registry = registry();
    let set = registry.get("bac-kan-2020").unwrap();
    let mut cfg = AuditConfig::default();
    cfg.sites.push(SiteEntry {
        id: "listed".to_owned(),
        lat: IN_01834.0,
        lon: IN_01834.1,
        commune: Some(CommuneRef {
            set: "bac-kan-2020".to_owned(),
            code: "01834".to_owned(),
        }),
        operators: Vec::new(),
        contracted_down_mbps: None,
        contracted_up_mbps: None,
        retired: None,
    });
    let agg = aggregates(
        vec![mobile_row("no-pos", "452-04", 0, 1)],
        vec![],
        &[("reported", IN_01834.0, IN_01834.1), ("far", 0.0, 0.0)],
    );
    let stats = mobile_stats(&agg, &cfg);
    let mobile_sites: BTreeSet<&str> = stats.keys().map(|(s, _)| s.as_str()).collect();
    let windows = fibre_windows(&agg, &cfg);
    let placed = place_sites(&agg, &cfg, &mobile_sites, &windows, set, &registry);
    assert_eq!(
        placed.keys().copied().collect::<Vec<_>>(),
        vec!["far", "listed", "no-pos", "reported"]
    );
    let reported = &placed["reported"];
    assert_eq!(reported.source, "readings");
    assert_eq!(reported.commune.map(|c| c.code.as_str()), Some("01834"));
    assert_eq!(reported.flags, vec![SiteFlag::NearEdge]);
    let listed = &placed["listed"];
    assert_eq!(listed.source, "registry");
    assert!(
        listed.flags.contains(&SiteFlag::NoData),
        "{:?}",
        listed.flags
    );
    assert!(!listed.flags.contains(&SiteFlag::ConfiguredElsewhere));
    assert!(listed.flags.is_sorted());
    assert_eq!(placed["far"].flags, vec![SiteFlag::Outside]);
    assert!(placed["far"].commune.is_none());
    assert_eq!(placed["no-pos"].flags, vec![SiteFlag::NoPosition]);

    let by_commune = sites_by_commune(&placed);
    assert_eq!(by_commune.len(), 1);
    assert_eq!(by_commune["01834"], vec!["listed", "reported"]);
}

/// The communes of an audit with no data at all (every one `no_site`), to hand-edit.
fn empty_communes(registry: &BoundaryRegistry, cfg: &AuditConfig) -> Vec<CommuneReport> {
    let set = registry.get("bac-kan-2020").unwrap();
    let agg = aggregates(vec![], vec![], &[]);
    let t = |h: i64| chrono::DateTime::from_timestamp(h * 3600, 0).unwrap();
    build_report(ReportInputs {
        set,
        registry,
        cfg,
        from: t(0),
        to: t(24),
        claims: &[],
        aggregates: &agg,
        source: SourceInfo::Archive {
            files: vec![],
            equivalent_queries: vec![],
        },
    })
    .unwrap()
    .communes
}

#[test]
fn districts_follow_their_communes_and_claims_count_the_named_areas() {
    let registry = registry();
    let set = registry.get("bac-kan-2020").unwrap();
    let cfg = AuditConfig::default();
    let mut communes = empty_communes(&registry, &cfg);
    // District 058 (8 communes): all covered but one not covered.
    let d058 = set
        .districts()
        .iter()
        .find(|d| d.district.code == "058")
        .unwrap();
    for c in communes.iter_mut() {
        if d058.communes.contains(&c.code) {
            c.mobile = MobileVerdict::Covered;
        }
    }
    let first = d058.communes[0].clone();
    communes
        .iter_mut()
        .find(|c| c.code == first)
        .unwrap()
        .mobile = MobileVerdict::NotCovered;
    let index: BTreeMap<&str, &CommuneReport> =
        communes.iter().map(|c| (c.code.as_str(), c)).collect();

    let districts = district_reports(set, &index, &BTreeMap::new(), &BTreeMap::new(), 24, &cfg);
    assert_eq!(districts.len(), set.districts().len());
    let d = districts.iter().find(|d| d.code == "058").unwrap();
    assert_eq!(d.communes, d058.communes.len() as u64);
    assert_eq!(d.mobile_covered, d.communes - 1);
    assert_eq!(d.mobile, MobileVerdict::NotCovered);
    assert_eq!(d.fibre, FibreVerdict::NoSite);

    let claims: Vec<Claim> = ["mobile:communes:100@district=058", "mobile:communes:0"]
        .iter()
        .map(|c| Claim::parse(c).unwrap())
        .collect();
    let district_index: BTreeMap<&str, &DistrictReport> =
        districts.iter().map(|d| (d.code.as_str(), d)).collect();
    let reports = claim_reports(&claims, set, &registry, &index, &district_index).unwrap();
    assert_eq!(reports.len(), 2);
    let (r, all) = (&reports[0], &reports[1]);
    assert_eq!(r.total, d.communes);
    assert_eq!((r.shown, r.not_shown, r.unknown), (d.communes - 1, 1, 0));
    assert_eq!(r.not_shown_areas, vec![first]);
    assert_eq!(r.verdict, crate::claim::ClaimVerdict::Refuted);
    assert_eq!(all.total, communes.len() as u64);
    assert_eq!(all.verdict, crate::claim::ClaimVerdict::Verified);
}

/// `hours` hours of `per_hour` LTE samples at `site` for `operator`, all usable.
fn usable_hours(site: &str, operator: &str, hours: i64, per_hour: u64) -> Vec<MobileRow> {
    (0..hours)
        .map(|h| {
            let mut r = mobile_row(site, operator, h * HOUR, per_hour);
            r.all.usable = per_hour;
            r
        })
        .collect()
}

#[test]
fn communes_take_their_sites_verdicts_and_name_who_decided() {
    let registry = registry();
    let set = registry.get("bac-kan-2020").unwrap();
    let cfg = AuditConfig::default();
    // One site in 01834: 12 hours of 30 usable samples (360 counted) for 452-04, and fibre
    // rounds in every hour of the day.
    let agg = aggregates(
        usable_hours("s1", "452-04", 12, 30),
        (0..24).map(|h| fibre_row("s1", h * HOUR)).collect(),
        &[("s1", IN_01834.0, IN_01834.1)],
    );
    let ev = Evidence::gather(&agg, &cfg, [], 24);
    let placed = place_sites(&agg, &cfg, &ev.mobile_sites, &ev.windows, set, &registry);
    let communes = commune_reports(set, &sites_by_commune(&placed), &ev);
    assert_eq!(communes.len(), set.communes().len());
    let c = communes.iter().find(|c| c.code == "01834").unwrap();
    assert_eq!(c.sites, vec!["s1"]);
    assert_eq!(c.mobile_sites, vec!["s1"]);
    assert_eq!(c.fibre_sites, vec!["s1"]);
    assert_eq!((c.samples, c.counted, c.usable), (360, 360, 360));
    assert_eq!(c.mobile, MobileVerdict::Covered);
    assert_eq!(c.mobile_by_operator["452-04"], MobileVerdict::Covered);
    assert_eq!(c.usable_share, Some(1.0));
    let by = c.decided_by.as_ref().unwrap();
    assert_eq!((by.operator.as_str(), by.site.as_str()), ("452-04", "s1"));
    assert_eq!(c.fibre, FibreVerdict::Connected);
    // Every other commune has no site, for either service.
    let other = communes.iter().find(|c| c.code != "01834").unwrap();
    assert!(other.sites.is_empty());
    assert_eq!(other.mobile, MobileVerdict::NoSite);
    assert_eq!(other.fibre, FibreVerdict::NoSite);
    assert!(other.decided_by.is_none());
}

#[test]
fn a_commune_with_too_few_hours_has_insufficient_data() {
    let registry = registry();
    let set = registry.get("bac-kan-2020").unwrap();
    let cfg = AuditConfig::default();
    // 400 usable samples, but in 8 distinct hours (12 needed).
    let agg = aggregates(
        usable_hours("s1", "452-04", 8, 50),
        vec![],
        &[("s1", IN_01834.0, IN_01834.1)],
    );
    let ev = Evidence::gather(&agg, &cfg, [], 24);
    let placed = place_sites(&agg, &cfg, &ev.mobile_sites, &ev.windows, set, &registry);
    let communes = commune_reports(set, &sites_by_commune(&placed), &ev);
    let c = communes.iter().find(|c| c.code == "01834").unwrap();
    assert_eq!(c.mobile, MobileVerdict::InsufficientData);
    assert!(c.decided_by.is_none() && c.usable_share.is_none());
    assert_eq!(c.fibre, FibreVerdict::NoSite);
}

#[test]
fn site_reports_carry_each_operator_and_list_the_flagged_sites() {
    let registry = registry();
    let set = registry.get("bac-kan-2020").unwrap();
    let cfg = AuditConfig::default();
    let mut rows = usable_hours("s1", "452-04", 12, 30);
    rows.push(mobile_row("s1", "452-02", 0, 10));
    let agg = aggregates(
        rows,
        vec![fibre_row("s1", 0)],
        &[("s1", IN_01834.0, IN_01834.1), ("far", 0.0, 0.0)],
    );
    let ev = Evidence::gather(&agg, &cfg, [], 24);
    let placed = place_sites(&agg, &cfg, &ev.mobile_sites, &ev.windows, set, &registry);
    let (sites, flagged) = site_reports(&placed, &ev);
    assert_eq!(
        sites.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
        vec!["far", "s1"]
    );
    let s1 = &sites[1];
    assert_eq!(s1.commune.as_deref(), Some("01834"));
    assert_eq!(
        s1.mobile
            .iter()
            .map(|m| m.operator.as_str())
            .collect::<Vec<_>>(),
        vec!["452-02", "452-04"]
    );
    let (mobi, viettel) = (&s1.mobile[0], &s1.mobile[1]);
    assert_eq!(mobi.verdict, MobileVerdict::InsufficientData);
    assert_eq!(viettel.verdict, MobileVerdict::Covered);
    assert_eq!((viettel.counted, viettel.distinct_hours), (360, 12));
    assert_eq!(viettel.hourly_blocks, 12);
    let interval = viettel.share_interval_95.unwrap();
    assert!(interval[0] < 1.0 && interval[1] == 1.0, "{interval:?}");
    let fibre = s1.fibre.as_ref().unwrap();
    assert_eq!((fibre.windows.total, fibre.windows.known), (24, 1));
    assert!(sites[0].mobile.is_empty() && sites[0].fibre.is_none());
    // Both are flagged: s1 lies 92 m from its commune's edge, "far" outside every commune.
    let names: Vec<(&str, &[SiteFlag])> = flagged
        .iter()
        .map(|f| (f.site.as_str(), f.flags.as_slice()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("far", &[SiteFlag::Outside][..]),
            ("s1", &[SiteFlag::NearEdge][..])
        ]
    );
}

#[test]
fn the_province_tallies_communes_districts_and_sites() {
    let registry = registry();
    let set = registry.get("bac-kan-2020").unwrap();
    let cfg = AuditConfig::default();
    let mut communes = empty_communes(&registry, &cfg);
    communes[0].mobile = MobileVerdict::Covered;
    communes[0].mobile_by_operator = [("452-04".to_owned(), MobileVerdict::Covered)].into();
    communes[1].mobile = MobileVerdict::NotCovered;
    communes[2].fibre = FibreVerdict::Connected;
    communes[0].samples = 7;
    communes[1].counted = 5;
    let index: BTreeMap<&str, &CommuneReport> =
        communes.iter().map(|c| (c.code.as_str(), c)).collect();
    let districts = district_reports(set, &index, &BTreeMap::new(), &BTreeMap::new(), 24, &cfg);
    let operators: BTreeSet<String> = ["452-04".to_owned(), "452-01".to_owned()].into();
    let p = province_summary(set, &communes, &districts, &[], &[], &operators);
    assert_eq!(p.communes, 108);
    assert_eq!(p.districts, 8);
    assert_eq!(
        (p.mobile.covered, p.mobile.not_covered, p.mobile.no_site),
        (1, 1, 106)
    );
    assert_eq!(p.mobile_by_operator["452-04"].covered, 1);
    assert_eq!(p.mobile_by_operator["452-01"], MobileTally::default());
    assert_eq!(p.fibre_communes.connected, 1);
    assert_eq!(
        p.mobile_districts.no_site + p.mobile_districts.not_covered,
        8
    );
    assert_eq!((p.samples, p.counted), (7, 5));
    assert_eq!((p.sites, p.sites_placed, p.sites_flagged), (0, 0, 0));
    assert_eq!(p.provinces.len(), 1);
}

/// Below-threshold hours: `usable` of `per_hour` samples usable in each of `hours` hours.
fn weak_hours(
    site: &str,
    operator: &str,
    hours: i64,
    per_hour: u64,
    usable: u64,
) -> Vec<MobileRow> {
    (0..hours)
        .map(|h| {
            let mut r = mobile_row(site, operator, h * HOUR, per_hour);
            r.all.usable = usable;
            r
        })
        .collect()
}

/// A second point inside 01834 (a few metres from the first).
const IN_01834_B: (f64, f64) = (22.1626, 105.8443);

#[test]
fn a_site_with_another_operators_sim_is_no_evidence_for_this_one() {
    let registry = registry();
    let set = registry.get("bac-kan-2020").unwrap();
    let cfg = AuditConfig::default();
    // A VinaPhone site and a MobiFone site in 01834, both measured enough and both below 95 %.
    let mut rows = weak_hours("vina", "452-02", 12, 30, 20);
    rows.extend(weak_hours("mobi", "452-01", 12, 30, 25));
    let agg = aggregates(
        rows,
        vec![],
        &[
            ("vina", IN_01834.0, IN_01834.1),
            ("mobi", IN_01834_B.0, IN_01834_B.1),
        ],
    );
    let ev = Evidence::gather(&agg, &cfg, ["452-04".to_owned()], 24);
    let placed = place_sites(&agg, &cfg, &ev.mobile_sites, &ev.windows, set, &registry);
    let communes = commune_reports(set, &sites_by_commune(&placed), &ev);
    let c = communes.iter().find(|c| c.code == "01834").unwrap();
    assert_eq!(c.mobile_by_operator["452-02"], MobileVerdict::NotCovered);
    assert_eq!(c.mobile_by_operator["452-01"], MobileVerdict::NotCovered);
    assert_eq!(
        c.mobile_by_operator["452-04"],
        MobileVerdict::NoSite,
        "no site carries a Viettel SIM"
    );
    assert_eq!(c.sites_by_operator["452-02"], ["vina"]);
    assert!(c.sites_by_operator["452-04"].is_empty());
    assert_eq!(
        c.mobile,
        MobileVerdict::NotCovered,
        "every operator measured there is not covered; the unmeasured one takes no part"
    );
    // The best not-covered share decided: MobiFone's 25/30.
    assert_eq!(c.decided_by.as_ref().unwrap().site, "mobi");
}

#[test]
fn a_silent_registry_site_keeps_its_commune_and_operators_from_no_site() {
    let registry = registry();
    let set = registry.get("bac-kan-2020").unwrap();
    let mut cfg = AuditConfig::default();
    let mut entry = SiteEntry::at("quiet", IN_01834.0, IN_01834.1);
    entry.operators = vec!["452-04".to_owned()];
    cfg.sites.push(entry);
    let agg = aggregates(vec![], vec![], &[]);
    let ev = Evidence::gather(&agg, &cfg, [], 24);
    assert!(
        ev.operators.contains("452-04"),
        "registry operators are audited"
    );
    let placed = place_sites(&agg, &cfg, &ev.mobile_sites, &ev.windows, set, &registry);
    assert!(placed["quiet"].flags.contains(&SiteFlag::NoData));
    let communes = commune_reports(set, &sites_by_commune(&placed), &ev);
    let c = communes.iter().find(|c| c.code == "01834").unwrap();
    assert_eq!(c.mobile, MobileVerdict::InsufficientData);
    assert_eq!(
        c.mobile_by_operator["452-04"],
        MobileVerdict::InsufficientData
    );
    assert_eq!(c.sites_by_operator["452-04"], ["quiet"]);
    // Without the registry entry the same commune has no site.
    let bare = AuditConfig::default();
    let ev = Evidence::gather(&agg, &bare, [], 24);
    let placed = place_sites(&agg, &bare, &ev.mobile_sites, &ev.windows, set, &registry);
    let communes = commune_reports(set, &sites_by_commune(&placed), &ev);
    let c = communes.iter().find(|c| c.code == "01834").unwrap();
    assert_eq!(c.mobile, MobileVerdict::NoSite);
}

#[test]
fn fibre_speed_of_communes_districts_and_claims() {
    use crate::source::ThroughputRow;
    use crate::speed::SpeedVerdict;
    let registry = registry();
    let set = registry.get("bac-kan-2020").unwrap();
    let mut cfg = AuditConfig::default();
    let mut fast = SiteEntry::at("fast", IN_01834.0, IN_01834.1);
    fast.contracted_down_mbps = Some(100.0);
    fast.contracted_up_mbps = Some(50.0);
    cfg.sites.push(fast);
    let t = |site: &str, d: &str, n, mean| ThroughputRow {
        site: site.to_owned(),
        direction: d.to_owned(),
        transfers: n,
        samples: n,
        mean_mbps: Some(mean),
    };
    let mut agg = aggregates(vec![], vec![], &[]);
    agg.throughput = vec![t("fast", "down", 30, 81.0), t("fast", "up", 30, 40.0)];
    let ev = Evidence::gather(&agg, &cfg, [], 24);
    let placed = place_sites(&agg, &cfg, &ev.mobile_sites, &ev.windows, set, &registry);
    assert!(
        !placed["fast"].flags.contains(&SiteFlag::NoData),
        "throughput is data"
    );
    let communes = commune_reports(set, &sites_by_commune(&placed), &ev);
    let c = communes.iter().find(|c| c.code == "01834").unwrap();
    assert_eq!(
        (c.speed, c.speed_sites.clone()),
        (SpeedVerdict::Fast, vec!["fast".to_owned()])
    );
    assert_eq!(
        communes.iter().find(|c| c.code != "01834").unwrap().speed,
        SpeedVerdict::NoSite
    );
    let index: BTreeMap<&str, &CommuneReport> =
        communes.iter().map(|c| (c.code.as_str(), c)).collect();
    let districts = district_reports(set, &index, &ev.windows, &ev.speeds, 24, &cfg);
    let d = districts
        .iter()
        .find(|d| d.speed_sites == ["fast"])
        .unwrap();
    assert_eq!(d.speed, SpeedVerdict::Fast);
    assert_eq!(
        districts
            .iter()
            .filter(|d| d.speed == SpeedVerdict::NoSite)
            .count(),
        7
    );
    let district_index: BTreeMap<&str, &DistrictReport> =
        districts.iter().map(|d| (d.code.as_str(), d)).collect();
    let claims = vec![
        Claim::parse("fibre_speed:districts:100").unwrap(),
        Claim::parse("fibre_speed:districts:12.5").unwrap(),
    ];
    let reports = claim_reports(&claims, set, &registry, &index, &district_index).unwrap();
    assert_eq!(reports[0].verdict, crate::ClaimVerdict::Unproven);
    assert_eq!((reports[0].shown, reports[0].unknown), (1, 7));
    assert_eq!(reports[1].verdict, crate::ClaimVerdict::Verified);
    // Up below 0.8 x 50: the site, and so its commune and district, is slow.
    agg.throughput[1].mean_mbps = Some(39.9);
    let ev = Evidence::gather(&agg, &cfg, [], 24);
    assert_eq!(ev.speeds["fast"].verdict, SpeedVerdict::Slow);
}

#[test]
fn a_registry_fibre_site_without_operators_is_no_mobile_site() {
    let registry = registry();
    let set = registry.get("bac-kan-2020").unwrap();
    let mut cfg = AuditConfig::default();
    cfg.sites
        .push(SiteEntry::at("dc-link", IN_01834.0, IN_01834.1));
    // It sends fibre rounds only: its commune has no mobile site.
    let agg = aggregates(
        vec![],
        (0..24).map(|h| fibre_row("dc-link", h * HOUR)).collect(),
        &[],
    );
    let ev = Evidence::gather(&agg, &cfg, [], 24);
    let placed = place_sites(&agg, &cfg, &ev.mobile_sites, &ev.windows, set, &registry);
    let communes = commune_reports(set, &sites_by_commune(&placed), &ev);
    let c = communes.iter().find(|c| c.code == "01834").unwrap();
    assert_eq!(c.mobile, MobileVerdict::NoSite);
    assert_eq!(c.fibre, FibreVerdict::Connected);
    // The same site silent in the period could be either: it keeps the commune from no_site.
    let silent = aggregates(vec![], vec![], &[]);
    let ev = Evidence::gather(&silent, &cfg, [], 24);
    let placed = place_sites(&silent, &cfg, &ev.mobile_sites, &ev.windows, set, &registry);
    let communes = commune_reports(set, &sites_by_commune(&placed), &ev);
    let c = communes.iter().find(|c| c.code == "01834").unwrap();
    assert_eq!(c.mobile, MobileVerdict::InsufficientData);
}

#[test]
fn a_site_retired_before_the_period_is_not_one_of_its_sites() {
    let registry = registry();
    let t = |h: i64| chrono::DateTime::from_timestamp(h * 3600, 0).unwrap();
    let mut cfg = AuditConfig::default();
    let mut entry = SiteEntry::at("old", IN_01834.0, IN_01834.1);
    entry.operators = vec!["452-04".to_owned()];
    // Retired before the period (t(0)..t(24)): the commune has no site.
    entry.retired = Some(t(-1));
    cfg.sites.push(entry.clone());
    let c = empty_communes(&registry, &cfg);
    let c = c.iter().find(|c| c.code == "01834").unwrap();
    assert_eq!(c.mobile, MobileVerdict::NoSite, "retired before the period");
    // Retired during the period: it was a site of that period (it sent nothing).
    entry.retired = Some(t(12));
    cfg.sites = vec![entry];
    let c = empty_communes(&registry, &cfg);
    let c = c.iter().find(|c| c.code == "01834").unwrap();
    assert_eq!(
        c.mobile,
        MobileVerdict::InsufficientData,
        "retired mid-period"
    );
}

//! The audit report: every commune of the set, district rollups, the province, the claims, the
//! sites (placed on the audited set by the audit itself) and the provenance.
//!
//! [`build_report`] is pure: aggregates, configuration and boundaries in, [`Report`] out.
//! Invariants:
//!
//! - **Deterministic**: every list is sorted (communes and districts by code, sites and
//!   operators by id; claims in the order given), maps are `BTreeMap`s, shares are rounded to
//!   4 decimals and distances to centimetres, and nothing depends on the wall clock, so the same
//!   inputs give byte-identical output.
//! - **Placement**: a site's position is its registry position when it is listed in
//!   `[[sites]]`, else the last `pos` it reported in the period. A site outside every commune
//!   counts for no commune; one near an edge or away from its configured commune counts where it
//!   is and is flagged, never moved.
//! - **Mobile sites** of a commune are its sites with at least one `signal` sample in the period;
//!   **fibre sites** those with at least one fibre round to the target.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, SecondsFormat, Utc};
use coverage_shared::boundary::{BoundaryRegistry, BoundarySet, Commune};
use coverage_shared::signal::{THRESHOLD_SOURCES, UsablePolicy};
use serde::Serialize;

use crate::AuditError;
use crate::claim::{AreaOutcome, Claim, ClaimVerdict, Level, Scope, Service, judge};
use crate::config::{AuditConfig, ConfiguredCommune, FibreConfig, Pct};
use crate::fibre::{
    FibreVerdict, SiteWindows, WindowCounts, area_verdict, area_windows, period_windows,
    site_windows,
};
use crate::source::{Aggregates, SourceInfo};
use crate::verdict::{
    ClassCounts, ExcludedCounts, MobileCriteria, MobileVerdict, SiteOperatorStats, Z95,
    commune_any_verdict, commune_operator_verdict, district_mobile_verdict, round4, row_classes,
    share, site_verdict, wilson,
};

/// The software version printed in provenance.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The git commit printed in provenance (`COVERAGE_GIT_COMMIT` at build time, else `unknown`).
pub const GIT_COMMIT: &str = match option_env!("COVERAGE_GIT_COMMIT") {
    Some(c) => c,
    None => "unknown",
};

/// The label of samples whose `operator` tag is missing.
const UNKNOWN_OPERATOR: &str = "unknown";

/// The complete audit report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The boundary set audited (`bac-kan-2020`).
    pub boundary_set: String,
    /// Period start, RFC 3339 UTC (inclusive).
    pub from: String,
    /// Period end, RFC 3339 UTC (exclusive).
    pub to: String,
    /// Every number the verdicts used, with sources.
    pub thresholds: ThresholdsReport,
    /// Province summary.
    pub province: ProvinceSummary,
    /// Every commune of the set, in code order.
    pub communes: Vec<CommuneReport>,
    /// District rollups, in code order (empty for a set without districts).
    pub districts: Vec<DistrictReport>,
    /// Each claim, in the order given.
    pub claims: Vec<ClaimReport>,
    /// Operators seen in the period (and named in claims), sorted.
    pub operators: Vec<String>,
    /// Every site seen in the period or listed in the registry, by id.
    pub sites: Vec<SiteReport>,
    /// Sites that need a look, by id.
    pub flagged_sites: Vec<FlaggedSite>,
    /// How uncertain the shares are, and how that was computed.
    pub confidence: ConfidenceNote,
    /// What the words and bounds mean.
    pub definitions: Vec<String>,
    /// Where the report comes from.
    pub provenance: Provenance,
}

/// The thresholds used, with their sources.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThresholdsReport {
    /// Usable-sample policy.
    pub policy: UsablePolicy,
    /// Minimum usable share of a covered site, %.
    pub min_usable_share_pct: Pct,
    /// Minimum counted samples.
    pub min_samples: u64,
    /// Minimum distinct local hours of the day.
    pub min_distinct_hours: u32,
    /// Local time offset, hours.
    pub timezone_offset_hours: i32,
    /// Edge distance that flags a site, m.
    pub edge_flag_m: f64,
    /// Fibre settings.
    pub fibre: FibreConfig,
    /// Where the defaults come from.
    pub sources: &'static str,
}

/// Counts of communes (or districts) by mobile verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct MobileTally {
    /// `covered`.
    pub covered: u64,
    /// `not_covered`.
    pub not_covered: u64,
    /// `insufficient_data`.
    pub insufficient_data: u64,
    /// `no_site`.
    pub no_site: u64,
}

impl MobileTally {
    fn add(&mut self, v: MobileVerdict) {
        match v {
            MobileVerdict::Covered => self.covered += 1,
            MobileVerdict::NotCovered => self.not_covered += 1,
            MobileVerdict::InsufficientData => self.insufficient_data += 1,
            MobileVerdict::NoSite => self.no_site += 1,
        }
    }
}

/// Counts of areas by fibre verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FibreTally {
    /// `connected`.
    pub connected: u64,
    /// `not_connected`.
    pub not_connected: u64,
    /// `insufficient_data`.
    pub insufficient_data: u64,
    /// `no_site`.
    pub no_site: u64,
}

impl FibreTally {
    fn add(&mut self, v: FibreVerdict) {
        match v {
            FibreVerdict::Connected => self.connected += 1,
            FibreVerdict::NotConnected => self.not_connected += 1,
            FibreVerdict::InsufficientData => self.insufficient_data += 1,
            FibreVerdict::NoSite => self.no_site += 1,
        }
    }
}

/// The province (or provinces) of the set, summed up.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProvinceSummary {
    /// Province codes and names of the set's communes.
    pub provinces: BTreeMap<String, String>,
    /// Communes in the set.
    pub communes: u64,
    /// Communes by mobile verdict (`any` operator).
    pub mobile: MobileTally,
    /// Communes by mobile verdict, per operator.
    pub mobile_by_operator: BTreeMap<String, MobileTally>,
    /// Communes by fibre verdict.
    pub fibre_communes: FibreTally,
    /// Districts in the set (0 without a district level).
    pub districts: u64,
    /// Districts by mobile verdict (every commune covered).
    pub mobile_districts: MobileTally,
    /// Districts by fibre verdict.
    pub fibre_districts: FibreTally,
    /// Sites in the report.
    pub sites: u64,
    /// Sites inside a commune of the set.
    pub sites_placed: u64,
    /// Flagged sites.
    pub sites_flagged: u64,
    /// Signal samples in the period at placed sites.
    pub samples: u64,
    /// Counted (usable + unusable) samples at placed sites.
    pub counted: u64,
}

/// The operator and site whose share decided a verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecidedBy {
    /// Operator `MCC-MNC`.
    pub operator: String,
    /// Site id.
    pub site: String,
}

/// One commune.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommuneReport {
    /// GSO code (meaningful with the set only).
    pub code: String,
    /// Official name.
    pub name: String,
    /// District code (`null` in a set without districts).
    pub district: Option<String>,
    /// District name.
    pub district_name: Option<String>,
    /// 2025 set: the province before the merger.
    pub former_province: Option<String>,
    /// Every site placed in the commune.
    pub sites: Vec<String>,
    /// Sites with signal samples.
    pub mobile_sites: Vec<String>,
    /// Sites with fibre rounds.
    pub fibre_sites: Vec<String>,
    /// Signal samples at its sites, all operators, excluded ones included.
    pub samples: u64,
    /// Counted samples (usable + unusable).
    pub counted: u64,
    /// Usable samples.
    pub usable: u64,
    /// Excluded samples by reason.
    pub excluded: ExcludedCounts,
    /// Usable share of the operator and site that decided `mobile` (`null` when no share did).
    pub usable_share: Option<f64>,
    /// Which operator and site that was.
    pub decided_by: Option<DecidedBy>,
    /// Mobile verdict, `any` operator.
    pub mobile: MobileVerdict,
    /// Mobile verdict per operator.
    pub mobile_by_operator: BTreeMap<String, MobileVerdict>,
    /// Usable share behind each operator's verdict.
    pub usable_share_by_operator: BTreeMap<String, Option<f64>>,
    /// Fibre verdict (informative in the 2020 set, where districts are the fibre level).
    pub fibre: FibreVerdict,
    /// Fibre windows of the commune.
    pub fibre_windows: WindowCounts,
}

/// One district.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DistrictReport {
    /// GSO code.
    pub code: String,
    /// Official name.
    pub name: String,
    /// Communes in the district.
    pub communes: u64,
    /// Communes covered (`any` operator).
    pub mobile_covered: u64,
    /// Communes by mobile verdict.
    pub mobile_communes: MobileTally,
    /// District mobile verdict: covered when every commune is.
    pub mobile: MobileVerdict,
    /// District fibre verdict.
    pub fibre: FibreVerdict,
    /// Fibre windows of the district.
    pub fibre_windows: WindowCounts,
    /// Fibre sites of the district.
    pub fibre_sites: Vec<String>,
    /// Communes connected by fibre (informative).
    pub fibre_connected_communes: u64,
}

/// One claim's verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClaimReport {
    /// The claim as written.
    pub claim: String,
    /// `verified`, `refuted` or `unproven`.
    pub verdict: ClaimVerdict,
    /// Lower bound: shown / all areas in scope, percent (2 decimals).
    pub lower: f64,
    /// Upper bound: (shown + unknown) / all, percent (2 decimals).
    pub upper: f64,
    /// The claimed percentage.
    pub target_pct: Pct,
    /// Mobile or fibre.
    pub service: Service,
    /// Communes or districts.
    pub level: Level,
    /// Operator judged (`null`: the `any` operator).
    pub operator: Option<String>,
    /// Scope.
    pub scope: Option<Scope>,
    /// Areas in scope.
    pub total: u64,
    /// Areas covered / connected.
    pub shown: u64,
    /// Areas not covered / not connected.
    pub not_shown: u64,
    /// Areas with insufficient data or no site.
    pub unknown: u64,
    /// Codes of the areas not shown.
    pub not_shown_areas: Vec<String>,
    /// Codes of the unknown areas.
    pub unknown_areas: Vec<String>,
}

/// Why a site is flagged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SiteFlag {
    /// Its position is outside every commune of the set.
    Outside,
    /// Its position is within `edge_flag_m` of a commune edge: placement uncertain.
    NearEdge,
    /// It is in another commune than configured.
    ConfiguredElsewhere,
    /// No position: neither in the registry nor in its readings.
    NoPosition,
    /// Listed in the registry, but sent nothing in the period.
    NoData,
}

/// One site and operator.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SiteOperatorReport {
    /// Operator `MCC-MNC`.
    pub operator: String,
    /// Signal samples, excluded included.
    pub samples: u64,
    /// Usable samples.
    pub usable: u64,
    /// Unusable samples.
    pub unusable: u64,
    /// usable + unusable.
    pub counted: u64,
    /// Excluded samples by reason.
    pub excluded: ExcludedCounts,
    /// Distinct local hours of the day with counted samples.
    pub distinct_hours: u32,
    /// Hourly blocks with counted samples (the interval's n).
    pub hourly_blocks: u64,
    /// usable / counted.
    pub usable_share: Option<f64>,
    /// 95 % Wilson interval of the share on hourly blocks.
    pub share_interval_95: Option<[f64; 2]>,
    /// Site verdict.
    pub verdict: MobileVerdict,
}

/// A site's fibre windows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SiteFibreReport {
    /// Window counts.
    pub windows: WindowCounts,
    /// The verdict the site alone would give its area.
    pub verdict: FibreVerdict,
}

/// One site.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SiteReport {
    /// Site id.
    pub id: String,
    /// Latitude used.
    pub lat: Option<f64>,
    /// Longitude used.
    pub lon: Option<f64>,
    /// `registry`, `readings` or `none`.
    pub position_source: &'static str,
    /// Commune it is in (code in the audited set).
    pub commune: Option<String>,
    /// That commune's name.
    pub commune_name: Option<String>,
    /// That commune's district.
    pub district: Option<String>,
    /// Outside every commune: the nearest one.
    pub nearest_commune: Option<String>,
    /// Distance to the nearest commune edge, m (centimetres).
    pub edge_distance_m: Option<f64>,
    /// The commune it was installed for, from the registry.
    pub configured_commune: Option<ConfiguredCommune>,
    /// Flags, sorted.
    pub flags: Vec<SiteFlag>,
    /// Mobile, per operator.
    pub mobile: Vec<SiteOperatorReport>,
    /// Fibre, when it has fibre rounds.
    pub fibre: Option<SiteFibreReport>,
}

/// A flagged site, with the reason in words.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlaggedSite {
    /// Site id.
    pub site: String,
    /// Flags.
    pub flags: Vec<SiteFlag>,
    /// What was found.
    pub detail: String,
}

/// How the confidence intervals were computed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConfidenceNote {
    /// Method name.
    pub method: &'static str,
    /// z of the two-sided interval.
    pub z: f64,
    /// Explanation.
    pub note: &'static str,
}

/// Period as printed in provenance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodInfo {
    /// Start (inclusive).
    pub from: String,
    /// End (exclusive).
    pub to: String,
    /// 1 h windows in the period.
    pub windows: u64,
}

/// Where the report comes from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Provenance {
    /// Program name.
    pub software: &'static str,
    /// Its version.
    pub version: &'static str,
    /// Its git commit (`unknown` when not built from a checkout).
    pub git_commit: &'static str,
    /// Boundary set audited.
    pub boundary_set: String,
    /// Its GeoJSON file.
    pub boundary_file: String,
    /// SHA-256 of that file.
    pub boundary_sha256: String,
    /// The period.
    pub period: PeriodInfo,
    /// Sources of the thresholds.
    pub threshold_sources: &'static str,
    /// The data source and the queries run.
    pub source: SourceInfo,
}

/// The confidence note printed in every report.
pub const CONFIDENCE_NOTE: &str = "Samples a minute apart are not independent, so intervals are \
computed on hourly blocks: each site and operator's usable share gets a 95 % Wilson score \
interval with n = the number of hours (UTC hour buckets) with counted samples, not the number of \
samples. A commune's share is that of the site and operator that decided its verdict.";

/// What the report's words mean (printed in every report).
pub fn definitions() -> Vec<String> {
    [
        "A sample is usable, unusable or excluded as DESIGN.md 'Mobile sample classes' defines; counted = usable + unusable.",
        "Site and operator: covered when usable/counted >= min_usable_share_pct with >= min_samples counted samples in >= min_distinct_hours distinct local hours of the day; not_covered when that evidence exists and the share is below; insufficient_data otherwise.",
        "Commune, per operator: covered if any of its mobile sites is covered; else insufficient_data if any site has insufficient data (a site without samples of that operator counts as insufficient); else not_covered; no_site without mobile sites.",
        "Commune, any operator: covered if any operator covers it; not_covered if every operator measured there is not_covered; no_site without mobile sites; else insufficient_data. usable_share is that of the operator and site that decided it.",
        "District, mobile (used by mobile:districts claims): covered when every commune of it is covered; not_covered when any commune is not_covered; no_site when no commune has a site; else insufficient_data.",
        "Fibre window (1 h, per site): unknown with fewer than min_rounds rounds; up when loss <= max_loss_pct and the median of the rounds' rtt_p50_ms <= max_rtt_ms. An area's window is up if any of its sites is up, down if none is up and one is known.",
        "Fibre area: connected when up/known >= min_up_pct and known >= min_known_pct of the period's windows; not_connected when enough are known and fewer are up; insufficient_data when too few are known; no_site without fibre sites. Districts are the fibre level of bac-kan-2020, communes of thai-nguyen-2025; commune fibre in bac-kan-2020 is informative.",
        "Claims: lower = areas shown / all areas in scope, upper = (shown + insufficient_data + no_site) / all, both in percent; verified when lower >= the claimed percent, refuted when upper < it, else unproven (compared in integers).",
        "Sites are placed on the audited set by the audit itself (registry position first, else the last reported position); flagged sites are not moved.",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect()
}

/// What [`build_report`] needs.
#[derive(Debug)]
pub struct ReportInputs<'a> {
    /// The set audited.
    pub set: &'a BoundarySet,
    /// All sets (2020 -> 2025 mapping, province names).
    pub registry: &'a BoundaryRegistry,
    /// Thresholds and the site registry.
    pub cfg: &'a AuditConfig,
    /// Period start.
    pub from: DateTime<Utc>,
    /// Period end (exclusive).
    pub to: DateTime<Utc>,
    /// Claims to judge (already parsed).
    pub claims: &'a [Claim],
    /// The aggregates of the period.
    pub aggregates: &'a Aggregates,
    /// Where they came from.
    pub source: SourceInfo,
}

/// Where a site was placed.
struct Placed<'a> {
    lat: Option<f64>,
    lon: Option<f64>,
    source: &'static str,
    commune: Option<&'a Commune>,
    nearest: Option<&'a Commune>,
    edge_distance_m: Option<f64>,
    flags: Vec<SiteFlag>,
    detail: Vec<String>,
}

fn round_cm(m: f64) -> Option<f64> {
    m.is_finite().then(|| (m * 100.0).round() / 100.0)
}

fn pct2(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        ((part as f64 / whole as f64) * 10_000.0).round() / 100.0
    }
}

/// Whether share a/b is strictly greater than c/d (exact).
fn share_gt(a: (u64, u64), b: (u64, u64)) -> bool {
    u128::from(a.0) * u128::from(b.1) > u128::from(b.0) * u128::from(a.1)
}

/// The best (highest share) of candidate (operator, site, usable, counted); ties keep the first.
fn best<'s>(
    candidates: impl IntoIterator<Item = (&'s str, &'s str, u64, u64)>,
) -> Option<(&'s str, &'s str, u64, u64)> {
    let mut out: Option<(&str, &str, u64, u64)> = None;
    for c in candidates {
        match out {
            Some(b) if !share_gt((c.2, c.3), (b.2, b.3)) => {}
            _ => out = Some(c),
        }
    }
    out
}

/// Whether a site configured in `conf` but located in `located` (audited `set`) is elsewhere;
/// `Err(detail)` when the configured commune cannot be compared.
fn configured_elsewhere(
    conf: &ConfiguredCommune,
    located: Option<&Commune>,
    set: &BoundarySet,
    registry: &BoundaryRegistry,
) -> Result<bool, String> {
    let located_code = located.map(|c| c.code.as_str());
    if conf.set == set.name() {
        if set.commune(&conf.code).is_none() {
            return Err(format!(
                "configured commune {} is not in set {}",
                conf.code, conf.set
            ));
        }
        return Ok(located_code != Some(conf.code.as_str()));
    }
    let conf_set = registry.get(&conf.set).map_err(|e| e.to_string())?;
    if conf_set.commune(&conf.code).is_none() {
        return Err(format!(
            "configured commune {} is not in set {}",
            conf.code, conf.set
        ));
    }
    registry
        .matches_configured(conf, set.name(), located_code)
        .map(|matches| !matches)
        .ok_or_else(|| format!("set {} is not in the registry", set.name()))
}

fn place<'a>(
    id: &str,
    cfg: &AuditConfig,
    positions: &BTreeMap<&str, (f64, f64)>,
    set: &'a BoundarySet,
    registry: &BoundaryRegistry,
) -> Placed<'a> {
    let entry = cfg.site(id);
    let (pos, source) = match (entry, positions.get(id)) {
        (Some(e), _) => (Some((e.lat, e.lon)), "registry"),
        (None, Some(p)) => (Some(*p), "readings"),
        (None, None) => (None, "none"),
    };
    let mut placed = Placed {
        lat: pos.map(|p| p.0),
        lon: pos.map(|p| p.1),
        source,
        commune: None,
        nearest: None,
        edge_distance_m: None,
        flags: Vec::new(),
        detail: Vec::new(),
    };
    let Some((lat, lon)) = pos else {
        placed.flags.push(SiteFlag::NoPosition);
        placed
            .detail
            .push("no position in the registry or in its readings".into());
        return placed;
    };
    let loc = set.locate(lat, lon);
    placed.commune = loc.commune;
    placed.nearest = loc.nearest;
    placed.edge_distance_m = round_cm(loc.edge_distance_m);
    let distance = placed
        .edge_distance_m
        .map_or_else(|| "unknown".to_owned(), |d| format!("{d} m"));
    match loc.commune {
        None => {
            placed.flags.push(SiteFlag::Outside);
            placed.detail.push(match loc.nearest {
                Some(n) => format!(
                    "outside every commune of {}; nearest {} {} at {distance}",
                    set.name(),
                    n.code,
                    n.name
                ),
                None => format!("outside every commune of {}", set.name()),
            });
        }
        Some(c) if loc.near_edge(cfg.edge_flag_m) => {
            placed.flags.push(SiteFlag::NearEdge);
            placed.detail.push(format!(
                "in {} {}, {distance} from its edge (flag within {} m)",
                c.code, c.name, cfg.edge_flag_m
            ));
        }
        Some(_) => {}
    }
    if let Some(conf) = entry.and_then(|e| e.commune.as_ref()) {
        match configured_elsewhere(conf, loc.commune, set, registry) {
            Ok(false) => {}
            Ok(true) => {
                placed.flags.push(SiteFlag::ConfiguredElsewhere);
                placed.detail.push(format!(
                    "configured for {} {}, located in {}",
                    conf.set,
                    conf.code,
                    loc.commune.map_or("no commune", |c| c.code.as_str())
                ));
            }
            Err(problem) => {
                placed.flags.push(SiteFlag::ConfiguredElsewhere);
                placed.detail.push(problem);
            }
        }
    }
    placed
}

/// Builds the report (pure).
pub fn build_report(input: ReportInputs<'_>) -> Result<Report, AuditError> {
    let ReportInputs {
        set,
        registry,
        cfg,
        from,
        to,
        claims,
        aggregates,
        source,
    } = input;
    let criteria = MobileCriteria::from(cfg);
    let offset = cfg.timezone_offset_hours;
    let op_label = |op: &str| {
        if op.is_empty() {
            UNKNOWN_OPERATOR.to_owned()
        } else {
            op.to_owned()
        }
    };

    // Mobile statistics per site and operator.
    let mut stats: BTreeMap<(String, String), SiteOperatorStats> = BTreeMap::new();
    for row in &aggregates.mobile {
        if row.key.site.is_empty() {
            continue;
        }
        let classes = row_classes(row, &cfg.policy);
        stats
            .entry((row.key.site.clone(), op_label(&row.key.operator)))
            .or_default()
            .add(row.key.hour, &classes);
    }
    let site_op_verdict = |s: &SiteOperatorStats| {
        site_verdict(
            s.classes.usable,
            s.classes.counted(),
            s.distinct_hours(offset),
            &criteria,
        )
    };
    let mut operators: BTreeSet<String> = stats.keys().map(|(_, op)| op.clone()).collect();
    operators.extend(claims.iter().filter_map(|c| c.operator.clone()));

    // Fibre windows per site.
    let mut fibre_rows: BTreeMap<&str, Vec<&crate::source::FibreRow>> = BTreeMap::new();
    for row in &aggregates.fibre {
        if !row.site.is_empty() {
            fibre_rows.entry(row.site.as_str()).or_default().push(row);
        }
    }
    let windows: BTreeMap<&str, SiteWindows> = fibre_rows
        .iter()
        .map(|(site, rows)| (*site, site_windows(rows.iter().copied(), &cfg.fibre)))
        .collect();
    let total_windows = period_windows(from.timestamp_millis(), to.timestamp_millis());

    // Sites and their placement.
    let positions: BTreeMap<&str, (f64, f64)> = aggregates
        .positions
        .iter()
        .map(|p| (p.site.as_str(), (p.lat, p.lon)))
        .collect();
    let mobile_sites: BTreeSet<&str> = stats.keys().map(|(s, _)| s.as_str()).collect();
    let mut all_sites: BTreeSet<&str> = mobile_sites.clone();
    all_sites.extend(windows.keys().copied());
    all_sites.extend(positions.keys().copied().filter(|s| !s.is_empty()));
    all_sites.extend(cfg.sites.iter().map(|s| s.id.as_str()));
    let mut placed: BTreeMap<&str, Placed<'_>> = BTreeMap::new();
    for &id in &all_sites {
        let mut p = place(id, cfg, &positions, set, registry);
        let has_data =
            mobile_sites.contains(id) || windows.contains_key(id) || positions.contains_key(id);
        if !has_data {
            p.flags.push(SiteFlag::NoData);
            p.detail
                .push("listed in the registry, sent nothing in the period".into());
        }
        p.flags.sort();
        placed.insert(id, p);
    }
    let mut sites_by_commune: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (&id, p) in &placed {
        if let Some(c) = p.commune {
            sites_by_commune
                .entry(c.code.as_str())
                .or_default()
                .push(id);
        }
    }

    // Communes.
    let mut communes = Vec::new();
    for c in set.communes() {
        let sites: Vec<&str> = sites_by_commune
            .get(c.code.as_str())
            .cloned()
            .unwrap_or_default();
        let msites: Vec<&str> = sites
            .iter()
            .copied()
            .filter(|s| mobile_sites.contains(s))
            .collect();
        let fsites: Vec<&str> = sites
            .iter()
            .copied()
            .filter(|s| windows.contains_key(s))
            .collect();
        let mut classes = ClassCounts::default();
        for s in &msites {
            for ((_, _), st) in stats
                .range((s.to_string(), String::new())..)
                .take_while(|((site, _), _)| site == s)
            {
                classes.add(&st.classes);
            }
        }
        let mut by_op = BTreeMap::new();
        let mut share_by_op = BTreeMap::new();
        let mut decided_by_op: BTreeMap<&str, (&str, u64, u64)> = BTreeMap::new();
        let mut measured: Vec<(&str, MobileVerdict)> = Vec::new();
        for op in &operators {
            let per_site: Vec<(&str, Option<&SiteOperatorStats>)> = msites
                .iter()
                .map(|s| (*s, stats.get(&(s.to_string(), op.clone()))))
                .collect();
            let verdicts: Vec<MobileVerdict> = per_site
                .iter()
                .map(|(_, st)| st.map_or(MobileVerdict::InsufficientData, site_op_verdict))
                .collect();
            let v = commune_operator_verdict(&verdicts);
            // The site that decided: the best covered one, or the best of all when none covers.
            let decided = match v {
                MobileVerdict::Covered | MobileVerdict::NotCovered => best(
                    per_site
                        .iter()
                        .zip(&verdicts)
                        .filter(|(_, sv)| {
                            v != MobileVerdict::Covered || **sv == MobileVerdict::Covered
                        })
                        .filter_map(|((s, st), _)| {
                            st.map(|st| (op.as_str(), *s, st.classes.usable, st.classes.counted()))
                        }),
                ),
                _ => None,
            };
            share_by_op.insert(op.clone(), decided.and_then(|d| share(d.2, d.3)));
            if let Some(d) = decided {
                decided_by_op.insert(op.as_str(), (d.1, d.2, d.3));
            }
            if per_site
                .iter()
                .any(|(_, st)| st.is_some_and(|st| st.classes.samples() > 0))
            {
                measured.push((op.as_str(), v));
            }
            by_op.insert(op.clone(), v);
        }
        let measured_verdicts: Vec<MobileVerdict> = measured.iter().map(|(_, v)| *v).collect();
        let mobile = commune_any_verdict(!msites.is_empty(), &measured_verdicts);
        let decided = match mobile {
            MobileVerdict::Covered | MobileVerdict::NotCovered => best(
                measured
                    .iter()
                    .filter(|(_, v)| *v == mobile)
                    .filter_map(|(op, _)| decided_by_op.get(op).map(|d| (*op, d.0, d.1, d.2))),
            ),
            _ => None,
        };
        let site_windows: Vec<&SiteWindows> =
            fsites.iter().filter_map(|s| windows.get(s)).collect();
        let fibre_windows = area_windows(&site_windows, total_windows);
        communes.push(CommuneReport {
            code: c.code.clone(),
            name: c.name.clone(),
            district: c.district.as_ref().map(|d| d.code.clone()),
            district_name: c.district.as_ref().map(|d| d.name.clone()),
            former_province: c.former_province.clone(),
            sites: sites.iter().map(|s| s.to_string()).collect(),
            mobile_sites: msites.iter().map(|s| s.to_string()).collect(),
            fibre_sites: fsites.iter().map(|s| s.to_string()).collect(),
            samples: classes.samples(),
            counted: classes.counted(),
            usable: classes.usable,
            excluded: classes.excluded,
            usable_share: decided.and_then(|d| share(d.2, d.3)),
            decided_by: decided.map(|d| DecidedBy {
                operator: d.0.to_owned(),
                site: d.1.to_owned(),
            }),
            mobile,
            mobile_by_operator: by_op,
            usable_share_by_operator: share_by_op,
            fibre: area_verdict(!fsites.is_empty(), fibre_windows, &cfg.fibre),
            fibre_windows,
        });
    }
    let commune_index: BTreeMap<&str, &CommuneReport> =
        communes.iter().map(|c| (c.code.as_str(), c)).collect();

    // Districts.
    let mut districts = Vec::new();
    for d in set.districts() {
        let members: Vec<&CommuneReport> = d
            .communes
            .iter()
            .filter_map(|code| commune_index.get(code.as_str()).copied())
            .collect();
        let mut tally = MobileTally::default();
        for c in &members {
            tally.add(c.mobile);
        }
        let verdicts: Vec<MobileVerdict> = members.iter().map(|c| c.mobile).collect();
        let fsites: Vec<&str> = members
            .iter()
            .flat_map(|c| c.fibre_sites.iter().map(String::as_str))
            .collect();
        let site_windows: Vec<&SiteWindows> =
            fsites.iter().filter_map(|s| windows.get(s)).collect();
        let fibre_windows = area_windows(&site_windows, total_windows);
        let mut fibre_sites: Vec<String> = fsites.iter().map(|s| s.to_string()).collect();
        fibre_sites.sort();
        districts.push(DistrictReport {
            code: d.district.code.clone(),
            name: d.district.name.clone(),
            communes: members.len() as u64,
            mobile_covered: tally.covered,
            mobile_communes: tally,
            mobile: district_mobile_verdict(&verdicts),
            fibre: area_verdict(!fsites.is_empty(), fibre_windows, &cfg.fibre),
            fibre_windows,
            fibre_sites,
            fibre_connected_communes: members
                .iter()
                .filter(|c| c.fibre == FibreVerdict::Connected)
                .count() as u64,
        });
    }
    let district_index: BTreeMap<&str, &DistrictReport> =
        districts.iter().map(|d| (d.code.as_str(), d)).collect();

    // Claims.
    let mut claim_reports = Vec::new();
    for claim in claims {
        let codes = claim.areas(set, registry)?;
        let mobile_of = |c: &CommuneReport| match &claim.operator {
            Some(op) => c
                .mobile_by_operator
                .get(op)
                .copied()
                .unwrap_or(MobileVerdict::NoSite),
            None => c.mobile,
        };
        let mobile_outcome = |v: MobileVerdict| match v {
            MobileVerdict::Covered => AreaOutcome::Shown,
            MobileVerdict::NotCovered => AreaOutcome::NotShown,
            _ => AreaOutcome::Unknown,
        };
        let fibre_outcome = |v: FibreVerdict| match v {
            FibreVerdict::Connected => AreaOutcome::Shown,
            FibreVerdict::NotConnected => AreaOutcome::NotShown,
            _ => AreaOutcome::Unknown,
        };
        let mut outcomes: Vec<(String, AreaOutcome)> = Vec::new();
        for code in &codes {
            let outcome = match (claim.level, claim.service) {
                (Level::Communes, service) => {
                    let c = commune_index
                        .get(code.as_str())
                        .ok_or_else(|| missing(claim, code))?;
                    match service {
                        Service::Mobile => mobile_outcome(mobile_of(c)),
                        Service::Fibre => fibre_outcome(c.fibre),
                    }
                }
                (Level::Districts, Service::Fibre) => {
                    let d = district_index
                        .get(code.as_str())
                        .ok_or_else(|| missing(claim, code))?;
                    fibre_outcome(d.fibre)
                }
                (Level::Districts, Service::Mobile) => {
                    let d = set
                        .districts()
                        .iter()
                        .find(|d| &d.district.code == code)
                        .ok_or_else(|| missing(claim, code))?;
                    let verdicts: Vec<MobileVerdict> = d
                        .communes
                        .iter()
                        .filter_map(|c| commune_index.get(c.as_str()).map(|c| mobile_of(c)))
                        .collect();
                    mobile_outcome(district_mobile_verdict(&verdicts))
                }
            };
            outcomes.push((code.clone(), outcome));
        }
        let count = |o: AreaOutcome| outcomes.iter().filter(|(_, x)| *x == o).count() as u64;
        let (shown, not_shown, unknown) = (
            count(AreaOutcome::Shown),
            count(AreaOutcome::NotShown),
            count(AreaOutcome::Unknown),
        );
        let total = outcomes.len() as u64;
        let codes_of = |o: AreaOutcome| {
            outcomes
                .iter()
                .filter(|(_, x)| *x == o)
                .map(|(c, _)| c.clone())
                .collect::<Vec<_>>()
        };
        claim_reports.push(ClaimReport {
            claim: claim.text.clone(),
            verdict: judge(shown, unknown, total, claim.percent),
            lower: pct2(shown, total),
            upper: pct2(shown + unknown, total),
            target_pct: claim.percent,
            service: claim.service,
            level: claim.level,
            operator: claim.operator.clone(),
            scope: claim.scope.clone(),
            total,
            shown,
            not_shown,
            unknown,
            not_shown_areas: codes_of(AreaOutcome::NotShown),
            unknown_areas: codes_of(AreaOutcome::Unknown),
        });
    }

    // Sites.
    let mut site_reports = Vec::new();
    let mut flagged = Vec::new();
    for (&id, p) in &placed {
        let mobile: Vec<SiteOperatorReport> = stats
            .range((id.to_owned(), String::new())..)
            .take_while(|((site, _), _)| site == id)
            .map(|((_, op), st)| {
                let counted = st.classes.counted();
                let interval = (counted > 0)
                    .then(|| wilson(st.classes.usable as f64 / counted as f64, st.blocks(), Z95))
                    .flatten()
                    .map(|(lo, hi)| [round4(lo), round4(hi)]);
                SiteOperatorReport {
                    operator: op.clone(),
                    samples: st.classes.samples(),
                    usable: st.classes.usable,
                    unusable: st.classes.unusable,
                    counted,
                    excluded: st.classes.excluded,
                    distinct_hours: st.distinct_hours(offset),
                    hourly_blocks: st.blocks(),
                    usable_share: share(st.classes.usable, counted),
                    share_interval_95: interval,
                    verdict: site_op_verdict(st),
                }
            })
            .collect();
        let fibre = windows.get(id).map(|w| {
            let counts = area_windows(&[w], total_windows);
            SiteFibreReport {
                windows: counts,
                verdict: area_verdict(true, counts, &cfg.fibre),
            }
        });
        if !p.flags.is_empty() {
            flagged.push(FlaggedSite {
                site: id.to_owned(),
                flags: p.flags.clone(),
                detail: p.detail.join("; "),
            });
        }
        site_reports.push(SiteReport {
            id: id.to_owned(),
            lat: p.lat,
            lon: p.lon,
            position_source: p.source,
            commune: p.commune.map(|c| c.code.clone()),
            commune_name: p.commune.map(|c| c.name.clone()),
            district: p
                .commune
                .and_then(|c| c.district.as_ref().map(|d| d.code.clone())),
            nearest_commune: p.nearest.map(|c| c.code.clone()),
            edge_distance_m: p.edge_distance_m,
            configured_commune: cfg.site(id).and_then(|e| e.commune.clone()),
            flags: p.flags.clone(),
            mobile,
            fibre,
        });
    }

    // Province.
    let mut province = ProvinceSummary {
        provinces: set
            .communes()
            .iter()
            .map(|c| (c.province.code.clone(), c.province.name.clone()))
            .collect(),
        communes: communes.len() as u64,
        mobile: MobileTally::default(),
        mobile_by_operator: operators
            .iter()
            .map(|o| (o.clone(), MobileTally::default()))
            .collect(),
        fibre_communes: FibreTally::default(),
        districts: districts.len() as u64,
        mobile_districts: MobileTally::default(),
        fibre_districts: FibreTally::default(),
        sites: site_reports.len() as u64,
        sites_placed: site_reports.iter().filter(|s| s.commune.is_some()).count() as u64,
        sites_flagged: flagged.len() as u64,
        samples: communes.iter().map(|c| c.samples).sum(),
        counted: communes.iter().map(|c| c.counted).sum(),
    };
    for c in &communes {
        province.mobile.add(c.mobile);
        province.fibre_communes.add(c.fibre);
        for (op, v) in &c.mobile_by_operator {
            if let Some(t) = province.mobile_by_operator.get_mut(op) {
                t.add(*v);
            }
        }
    }
    for d in &districts {
        province.mobile_districts.add(d.mobile);
        province.fibre_districts.add(d.fibre);
    }

    let from_s = from.to_rfc3339_opts(SecondsFormat::AutoSi, true);
    let to_s = to.to_rfc3339_opts(SecondsFormat::AutoSi, true);
    Ok(Report {
        boundary_set: set.name().to_owned(),
        from: from_s.clone(),
        to: to_s.clone(),
        thresholds: ThresholdsReport {
            policy: cfg.policy.clone(),
            min_usable_share_pct: cfg.min_usable_share_pct,
            min_samples: cfg.min_samples,
            min_distinct_hours: cfg.min_distinct_hours,
            timezone_offset_hours: cfg.timezone_offset_hours,
            edge_flag_m: cfg.edge_flag_m,
            fibre: cfg.fibre.clone(),
            sources: THRESHOLD_SOURCES,
        },
        province,
        communes,
        districts,
        claims: claim_reports,
        operators: operators.into_iter().collect(),
        sites: site_reports,
        flagged_sites: flagged,
        confidence: ConfidenceNote {
            method: "wilson_score_on_hourly_blocks",
            z: Z95,
            note: CONFIDENCE_NOTE,
        },
        definitions: definitions(),
        provenance: Provenance {
            software: "coverage-collector",
            version: VERSION,
            git_commit: GIT_COMMIT,
            boundary_set: set.name().to_owned(),
            boundary_file: set.info().file.to_string(),
            boundary_sha256: set.sha256().to_owned(),
            period: PeriodInfo {
                from: from_s,
                to: to_s,
                windows: total_windows,
            },
            threshold_sources: THRESHOLD_SOURCES,
            source,
        },
    })
}

fn missing(claim: &Claim, code: &str) -> AuditError {
    AuditError::Claim(crate::claim::ClaimError {
        claim: claim.text.clone(),
        part: "SCOPE".into(),
        problem: format!("area {code} is not in the report"),
    })
}

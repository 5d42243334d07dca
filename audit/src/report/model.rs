//! The report's types: what a [`Report`] holds, as serialised to JSON (field order is output
//! order), plus the fixed texts every report prints (definitions, the confidence note).
//!
//! Plain data: no logic beyond tallying verdicts. Invariant: every map is a `BTreeMap` and
//! every list is filled in sorted order by [`super::build`], so serialising is deterministic.

use std::collections::BTreeMap;

use coverage_shared::signal::UsablePolicy;
use coverage_shared::text::Lang;
use serde::Serialize;

use crate::claim::{ClaimVerdict, Level, Scope, Service};
use crate::config::{ConfiguredCommune, FibreConfig, Pct};
use crate::fibre::{FibreVerdict, WindowCounts};
use crate::source::SourceInfo;
use crate::verdict::{ExcludedCounts, MobileVerdict};

/// The software version printed in provenance.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The git commit printed in provenance (`COVERAGE_GIT_COMMIT` at build time, else `unknown`).
pub const GIT_COMMIT: &str = match option_env!("COVERAGE_GIT_COMMIT") {
    Some(c) => c,
    None => "unknown",
};

/// The label of samples whose `operator` tag is missing.
pub(crate) const UNKNOWN_OPERATOR: &str = "unknown";

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
    /// The language of every sentence, label and verdict word the report carries.
    pub lang: Lang,
    /// Whether the signal thresholds are this installation's defaults (not the levels of QCVN
    /// 81:2019 section 1.4.5): the report's verdicts are then provisional.
    pub provisional_thresholds: bool,
    /// The report's sentences in `lang`: title, period and times in the audit's time zone,
    /// threshold sources ([`super::explain`]).
    pub words: ReportWords,
}

/// The report-wide sentences, in the report's language (filled by
/// [`super::explain::localised`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ReportWords {
    /// Title line: the title, the set and the period in local time.
    pub title: String,
    /// `Provisional thresholds (defaults)` when the thresholds are; `null` otherwise.
    pub provisional: Option<String>,
    /// The audit's time zone with its offset (`UTC+07:00`, with `Asia/Ho_Chi_Minh` at +7).
    pub time_zone: String,
    /// Period start in local time with its offset.
    pub from: String,
    /// Period end (exclusive) in local time with its offset.
    pub to: String,
    /// The period in words (`2025-11-01 00:00 (UTC+07:00) to ...`).
    pub period: String,
    /// Whether the signal thresholds are defaults or configured, in one sentence.
    pub thresholds_note: String,
    /// Each deciding number with its source (QCVN 81:2019 section 2.1.1, VNNIC...).
    pub threshold_sources: Vec<String>,
    /// Where the operator names come from.
    pub operators_source: String,
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
    pub(crate) fn add(&mut self, v: MobileVerdict) {
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
    pub(crate) fn add(&mut self, v: FibreVerdict) {
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
    /// The commune's sites for each operator: those that carry its SIM (a sample of it in the
    /// period, or the operator named for the site in the registry), in site id order.
    pub sites_by_operator: BTreeMap<String, Vec<String>>,
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
    /// Why the commune has its verdicts, in the report's language.
    pub reasons: CommuneReasons,
}

/// Why a commune has its verdicts, sentence by sentence in the report's language (filled by
/// [`super::explain::localised`] from the rules of [`super::explain`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CommuneReasons {
    /// Behind the `any`-operator verdict; each sentence starts with the operator's label when
    /// it is about one operator.
    pub any: Vec<String>,
    /// Behind each operator's verdict, by `MCC-MNC`.
    pub by_operator: BTreeMap<String, Vec<String>>,
    /// The excluded samples with their reasons (`null` when none was excluded).
    pub excluded: Option<String>,
}

/// An area named in a report: its code and official name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NamedArea {
    /// GSO code.
    pub code: String,
    /// Official name (never translated).
    pub name: String,
}

/// The areas that decide a claim, by name and code.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DecidingAreas {
    /// Areas not covered / not connected.
    pub not_shown: Vec<NamedArea>,
    /// Unknown areas without a site.
    pub no_site: Vec<NamedArea>,
    /// Unknown areas with a site and too little data.
    pub insufficient_data: Vec<NamedArea>,
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
    /// The verdict in one sentence, in the report's language.
    pub explanation: String,
    /// The areas not shown and the unknown ones, by name and code.
    pub deciding: DecidingAreas,
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
    /// The operators the registry names for it (`operators = [...]`).
    pub registry_operators: Vec<String>,
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

//! Building a [`Report`] from aggregates (pure): place the sites on the audited set, then the
//! communes, districts, claims, sites and the province, in that order.
//!
//! Invariant: nothing here reads the clock, the environment or a file; the same inputs give
//! the same report.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, SecondsFormat, Utc};
use coverage_shared::boundary::{BoundaryRegistry, BoundarySet, Commune};
use coverage_shared::signal::THRESHOLD_SOURCES;
use coverage_shared::text::Lang;

use super::model::*;
use crate::AuditError;
use crate::claim::{AreaOutcome, Claim, Level, Service, judge};
use crate::config::{AuditConfig, ConfiguredCommune};
use crate::fibre::{
    FibreVerdict, SiteWindows, area_verdict, area_windows, period_windows, site_windows,
};
use crate::source::{Aggregates, SourceInfo};
use crate::speed::{SiteSpeed, SpeedVerdict, area_speed_verdict, site_speed};
use crate::verdict::{
    ClassCounts, MobileCriteria, MobileVerdict, SiteOperatorStats, Z95, commune_any_verdict,
    commune_operator_verdict, district_mobile_verdict, round4, row_classes, share, site_verdict,
    wilson,
};

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

/// Stage 1, mobile: statistics per (site, operator) from the hourly rows; a missing operator
/// tag is [`UNKNOWN_OPERATOR`], rows without a site are left out.
fn mobile_stats(
    aggregates: &Aggregates,
    cfg: &AuditConfig,
) -> BTreeMap<(String, String), SiteOperatorStats> {
    let op_label = |op: &str| {
        if op.is_empty() {
            UNKNOWN_OPERATOR.to_owned()
        } else {
            op.to_owned()
        }
    };
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
    stats
}

/// Stage 1, fibre: the hour windows of every site with fibre rounds (rows without a site are
/// left out).
fn fibre_windows<'a>(
    aggregates: &'a Aggregates,
    cfg: &AuditConfig,
) -> BTreeMap<&'a str, SiteWindows> {
    let mut fibre_rows: BTreeMap<&str, Vec<&crate::source::FibreRow>> = BTreeMap::new();
    for row in &aggregates.fibre {
        if !row.site.is_empty() {
            fibre_rows.entry(row.site.as_str()).or_default().push(row);
        }
    }
    fibre_rows
        .iter()
        .map(|(site, rows)| (*site, site_windows(rows.iter().copied(), &cfg.fibre)))
        .collect()
}

/// Stage 1, fibre speed: each site with fibre throughput readings or a contracted speed.
fn site_speeds<'a>(
    aggregates: &'a Aggregates,
    cfg: &'a AuditConfig,
) -> BTreeMap<&'a str, SiteSpeed> {
    let mut rows: BTreeMap<&str, Vec<&crate::source::ThroughputRow>> = BTreeMap::new();
    for row in &aggregates.throughput {
        if !row.site.is_empty() {
            rows.entry(row.site.as_str()).or_default().push(row);
        }
    }
    let mut sites: BTreeSet<&str> = rows.keys().copied().collect();
    sites.extend(cfg.sites.iter().map(|s| s.id.as_str()));
    sites
        .into_iter()
        .filter_map(|id| {
            let r = rows.get(id).map_or(&[][..], Vec::as_slice);
            site_speed(r, cfg.site(id), &cfg.fibre_speed).map(|s| (id, s))
        })
        .collect()
}

/// Stage 2: every site (with mobile samples, fibre rounds, a reported position, or listed in
/// the registry) placed on `set`, flagged, with its flags sorted.
fn place_sites<'a>(
    aggregates: &'a Aggregates,
    cfg: &'a AuditConfig,
    mobile_sites: &BTreeSet<&'a str>,
    windows: &BTreeMap<&'a str, SiteWindows>,
    set: &'a BoundarySet,
    registry: &BoundaryRegistry,
) -> BTreeMap<&'a str, Placed<'a>> {
    let positions: BTreeMap<&str, (f64, f64)> = aggregates
        .positions
        .iter()
        .map(|p| (p.site.as_str(), (p.lat, p.lon)))
        .collect();
    let mut all_sites: BTreeSet<&str> = mobile_sites.clone();
    all_sites.extend(windows.keys().copied());
    let throughput_sites: BTreeSet<&str> = aggregates
        .throughput
        .iter()
        .map(|t| t.site.as_str())
        .filter(|s| !s.is_empty())
        .collect();
    all_sites.extend(throughput_sites.iter().copied());
    all_sites.extend(positions.keys().copied().filter(|s| !s.is_empty()));
    all_sites.extend(cfg.sites.iter().map(|s| s.id.as_str()));
    let mut placed: BTreeMap<&str, Placed<'_>> = BTreeMap::new();
    for &id in &all_sites {
        let mut p = place(id, cfg, &positions, set, registry);
        let has_data = mobile_sites.contains(id)
            || windows.contains_key(id)
            || positions.contains_key(id)
            || throughput_sites.contains(id);
        if !has_data {
            p.flags.push(SiteFlag::NoData);
            p.detail
                .push("listed in the registry, sent nothing in the period".into());
        }
        p.flags.sort();
        placed.insert(id, p);
    }
    placed
}

/// The placed sites of each commune (by code), in site id order.
fn sites_by_commune<'a>(placed: &BTreeMap<&'a str, Placed<'a>>) -> BTreeMap<&'a str, Vec<&'a str>> {
    let mut sites_by_commune: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (&id, p) in placed {
        if let Some(c) = p.commune {
            sites_by_commune
                .entry(c.code.as_str())
                .or_default()
                .push(id);
        }
    }
    sites_by_commune
}

/// Stage 4: every district of `set` from its communes' reports (mobile: every commune
/// covered; fibre: the windows of its communes' fibre sites). Empty for a set without
/// districts.
fn district_reports(
    set: &BoundarySet,
    commune_index: &BTreeMap<&str, &CommuneReport>,
    windows: &BTreeMap<&str, SiteWindows>,
    speeds: &BTreeMap<&str, SiteSpeed>,
    total_windows: u64,
    cfg: &AuditConfig,
) -> Vec<DistrictReport> {
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
        let mut speed_sites: Vec<String> = members
            .iter()
            .flat_map(|c| c.speed_sites.iter().cloned())
            .collect();
        speed_sites.sort();
        let speed_verdicts: Vec<SpeedVerdict> = speed_sites
            .iter()
            .filter_map(|s| speeds.get(s.as_str()).map(|v| v.verdict))
            .collect();
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
            speed: area_speed_verdict(&speed_verdicts),
            speed_sites,
        });
    }
    districts
}

/// Stage 5: each claim judged on the areas it names, in the order given; an error when a
/// claim names an area the reports lack.
fn claim_reports(
    claims: &[Claim],
    set: &BoundarySet,
    registry: &BoundaryRegistry,
    commune_index: &BTreeMap<&str, &CommuneReport>,
    district_index: &BTreeMap<&str, &DistrictReport>,
) -> Result<Vec<ClaimReport>, AuditError> {
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
        let speed_outcome = |v: SpeedVerdict| match v {
            SpeedVerdict::Fast => AreaOutcome::Shown,
            SpeedVerdict::Slow => AreaOutcome::NotShown,
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
                        Service::FibreSpeed => speed_outcome(c.speed),
                    }
                }
                (Level::Districts, Service::Fibre) => {
                    let d = district_index
                        .get(code.as_str())
                        .ok_or_else(|| missing(claim, code))?;
                    fibre_outcome(d.fibre)
                }
                (Level::Districts, Service::FibreSpeed) => {
                    let d = district_index
                        .get(code.as_str())
                        .ok_or_else(|| missing(claim, code))?;
                    speed_outcome(d.speed)
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
            explanation: String::new(),
            deciding: DecidingAreas::default(),
        });
    }
    Ok(claim_reports)
}

/// What the commune, site and province stages read: the thresholds, the per-(site, operator)
/// statistics, the fibre windows per site and the period's window count.
struct Evidence<'a> {
    /// Thresholds, the policy and the site registry.
    cfg: &'a AuditConfig,
    /// The site verdict's criteria (from `cfg`).
    criteria: MobileCriteria,
    /// Statistics per (site, operator) ([`mobile_stats`]).
    stats: BTreeMap<(String, String), SiteOperatorStats>,
    /// Every operator measured or named by a claim.
    operators: BTreeSet<String>,
    /// Sites with mobile samples (the sites of `stats`).
    mobile_sites: BTreeSet<&'a str>,
    /// Fibre windows per site ([`fibre_windows`]).
    windows: BTreeMap<&'a str, SiteWindows>,
    /// Hour windows in the period.
    total_windows: u64,
    /// Fibre speed per speed site ([`site_speeds`]).
    speeds: BTreeMap<&'a str, SiteSpeed>,
    /// Sites with fibre throughput readings.
    throughput_sites: BTreeSet<&'a str>,
}

impl<'a> Evidence<'a> {
    /// Stage 1: the statistics and windows of `aggregates` under `cfg`; the operators are
    /// those measured plus `claimed` (operators that claims name).
    fn gather(
        aggregates: &'a Aggregates,
        cfg: &'a AuditConfig,
        claimed: impl IntoIterator<Item = String>,
        total_windows: u64,
    ) -> Self {
        let stats = mobile_stats(aggregates, cfg);
        let mut operators: BTreeSet<String> = stats.keys().map(|(_, op)| op.clone()).collect();
        operators.extend(claimed);
        operators.extend(cfg.sites.iter().flat_map(|s| s.operators.iter().cloned()));
        // The same sites as `stats` (it leaves out only rows without a site), borrowed from
        // the aggregates so the set can live beside the map.
        let mobile_sites = aggregates
            .mobile
            .iter()
            .filter(|r| !r.key.site.is_empty())
            .map(|r| r.key.site.as_str())
            .collect();
        Evidence {
            cfg,
            criteria: MobileCriteria::from(cfg),
            stats,
            operators,
            mobile_sites,
            windows: fibre_windows(aggregates, cfg),
            total_windows,
            speeds: site_speeds(aggregates, cfg),
            throughput_sites: aggregates
                .throughput
                .iter()
                .map(|t| t.site.as_str())
                .filter(|s| !s.is_empty())
                .collect(),
        }
    }
}

impl Evidence<'_> {
    /// Whether the registry names `op` for `site`.
    fn registry_names(&self, site: &str, op: &str) -> bool {
        self.cfg
            .site(site)
            .is_some_and(|e| e.operators.iter().any(|o| o == op))
    }

    /// Whether `site` is a registry site that counts as a mobile site without a counted sample
    /// in the period: it names operators, or it sent nothing at all. A registry site that
    /// names no operator and sends only fibre readings is a fibre site, not a silent mobile one.
    fn registry_silent(&self, site: &str) -> bool {
        let Some(entry) = self.cfg.site(site) else {
            return false;
        };
        let fibre_only = self.windows.contains_key(site) || self.throughput_sites.contains(site);
        self.site_stats(site)
            .all(|(_, st)| st.classes.counted() == 0)
            && (!entry.operators.is_empty() || !fibre_only)
    }

    /// The verdict of one site for one operator.
    fn site_op_verdict(&self, s: &SiteOperatorStats) -> MobileVerdict {
        site_verdict(
            s.classes.usable,
            s.classes.counted(),
            s.distinct_hours(self.cfg.timezone_offset_hours),
            &self.criteria,
        )
    }

    /// The statistics of `site`, per operator, in operator order.
    fn site_stats<'s>(
        &'s self,
        site: &'s str,
    ) -> impl Iterator<Item = (&'s String, &'s SiteOperatorStats)> + 's {
        self.stats
            .range((site.to_owned(), String::new())..)
            .take_while(move |((s, _), _)| s == site)
            .map(|((_, op), st)| (op, st))
    }
}

/// Stage 3: every commune of `set` with its sites, its verdict per operator and for `any`
/// (with the operator and site that decided), and its fibre windows and verdict.
fn commune_reports(
    set: &BoundarySet,
    sites_by_commune: &BTreeMap<&str, Vec<&str>>,
    ev: &Evidence<'_>,
) -> Vec<CommuneReport> {
    let (stats, operators, mobile_sites, windows, total_windows, cfg) = (
        &ev.stats,
        &ev.operators,
        &ev.mobile_sites,
        &ev.windows,
        ev.total_windows,
        ev.cfg,
    );
    let site_op_verdict = |s: &SiteOperatorStats| ev.site_op_verdict(s);
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
            for (_, st) in ev.site_stats(s) {
                classes.add(&st.classes);
            }
        }
        let mut by_op = BTreeMap::new();
        let mut share_by_op = BTreeMap::new();
        let mut sites_by_op = BTreeMap::new();
        let mut decided_by_op: BTreeMap<&str, (&str, u64, u64)> = BTreeMap::new();
        let mut measured: Vec<(&str, MobileVerdict)> = Vec::new();
        for op in operators {
            // The commune's sites for this operator: those that carry its SIM.
            let per_site: Vec<(&str, Option<&SiteOperatorStats>)> = sites
                .iter()
                .map(|s| (*s, stats.get(&(s.to_string(), op.clone()))))
                .filter(|(s, st)| st.is_some() || ev.registry_names(s, op))
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
            if !per_site.is_empty() {
                measured.push((op.as_str(), v));
            }
            sites_by_op.insert(
                op.clone(),
                per_site
                    .iter()
                    .map(|(s, _)| s.to_string())
                    .collect::<Vec<_>>(),
            );
            by_op.insert(op.clone(), v);
        }
        let measured_verdicts: Vec<MobileVerdict> = measured.iter().map(|(_, v)| *v).collect();
        // A registry site that sent no counted sample is a site with insufficient data, not an
        // absent one.
        let has_sites = !msites.is_empty() || sites.iter().any(|s| ev.registry_silent(s));
        let mobile = commune_any_verdict(has_sites, &measured_verdicts);
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
        let speed_sites: Vec<&str> = sites
            .iter()
            .copied()
            .filter(|s| ev.speeds.contains_key(s))
            .collect();
        let speed_verdicts: Vec<SpeedVerdict> = speed_sites
            .iter()
            .filter_map(|s| ev.speeds.get(s).map(|v| v.verdict))
            .collect();
        communes.push(CommuneReport {
            code: c.code.clone(),
            name: c.name.clone(),
            district: c.district.as_ref().map(|d| d.code.clone()),
            district_name: c.district.as_ref().map(|d| d.name.clone()),
            former_province: c.former_province.clone(),
            sites: sites.iter().map(|s| s.to_string()).collect(),
            mobile_sites: msites.iter().map(|s| s.to_string()).collect(),
            fibre_sites: fsites.iter().map(|s| s.to_string()).collect(),
            sites_by_operator: sites_by_op,
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
            speed: area_speed_verdict(&speed_verdicts),
            speed_sites: speed_sites.iter().map(|s| s.to_string()).collect(),
            reasons: CommuneReasons::default(),
        });
    }
    communes
}

/// Stage 6: one report per placed site (its operators' statistics and verdicts, its fibre
/// windows), and the flagged sites with what is wrong.
fn site_reports(
    placed: &BTreeMap<&str, Placed<'_>>,
    ev: &Evidence<'_>,
) -> (Vec<SiteReport>, Vec<FlaggedSite>) {
    let (windows, total_windows, cfg, offset) = (
        &ev.windows,
        ev.total_windows,
        ev.cfg,
        ev.cfg.timezone_offset_hours,
    );
    let mut site_reports = Vec::new();
    let mut flagged = Vec::new();
    for (&id, p) in placed {
        let mobile: Vec<SiteOperatorReport> = ev
            .site_stats(id)
            .map(|(op, st)| {
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
                    verdict: ev.site_op_verdict(st),
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
            registry_operators: cfg
                .site(id)
                .map(|e| e.operators.clone())
                .unwrap_or_default(),
            flags: p.flags.clone(),
            mobile,
            fibre,
            speed: ev.speeds.get(id).copied(),
        });
    }

    (site_reports, flagged)
}

/// Stage 7: the province's tallies of communes and districts per verdict, and its counts of
/// sites and samples.
fn province_summary(
    set: &BoundarySet,
    communes: &[CommuneReport],
    districts: &[DistrictReport],
    site_reports: &[SiteReport],
    flagged: &[FlaggedSite],
    operators: &BTreeSet<String>,
) -> ProvinceSummary {
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
        speed_communes: SpeedTally::default(),
        speed_districts: SpeedTally::default(),
        sites: site_reports.len() as u64,
        sites_placed: site_reports.iter().filter(|s| s.commune.is_some()).count() as u64,
        sites_flagged: flagged.len() as u64,
        samples: communes.iter().map(|c| c.samples).sum(),
        counted: communes.iter().map(|c| c.counted).sum(),
    };
    for c in communes {
        province.mobile.add(c.mobile);
        province.fibre_communes.add(c.fibre);
        province.speed_communes.add(c.speed);
        for (op, v) in &c.mobile_by_operator {
            if let Some(t) = province.mobile_by_operator.get_mut(op) {
                t.add(*v);
            }
        }
    }
    for d in districts {
        province.mobile_districts.add(d.mobile);
        province.fibre_districts.add(d.fibre);
        province.speed_districts.add(d.speed);
    }

    province
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
    // A site retired before the period starts is not one of its sites (it is still placed if
    // it sent anything in the period).
    let in_service: AuditConfig;
    let cfg = if cfg.sites.iter().all(|s| s.in_service_from(from)) {
        cfg
    } else {
        in_service = AuditConfig {
            sites: cfg
                .sites
                .iter()
                .filter(|s| s.in_service_from(from))
                .cloned()
                .collect(),
            ..cfg.clone()
        };
        &in_service
    };
    let total_windows = period_windows(from.timestamp_millis(), to.timestamp_millis());
    let evidence = Evidence::gather(
        aggregates,
        cfg,
        claims.iter().filter_map(|c| c.operator.clone()),
        total_windows,
    );
    let placed = place_sites(
        aggregates,
        cfg,
        &evidence.mobile_sites,
        &evidence.windows,
        set,
        registry,
    );
    let sites_by_commune = sites_by_commune(&placed);
    let communes = commune_reports(set, &sites_by_commune, &evidence);
    let commune_index: BTreeMap<&str, &CommuneReport> =
        communes.iter().map(|c| (c.code.as_str(), c)).collect();

    let districts = district_reports(
        set,
        &commune_index,
        &evidence.windows,
        &evidence.speeds,
        total_windows,
        cfg,
    );
    let district_index: BTreeMap<&str, &DistrictReport> =
        districts.iter().map(|d| (d.code.as_str(), d)).collect();

    let claim_reports = claim_reports(claims, set, registry, &commune_index, &district_index)?;

    let (site_reports, flagged) = site_reports(&placed, &evidence);
    let province = province_summary(
        set,
        &communes,
        &districts,
        &site_reports,
        &flagged,
        &evidence.operators,
    );
    let from_s = from.to_rfc3339_opts(SecondsFormat::AutoSi, true);
    let to_s = to.to_rfc3339_opts(SecondsFormat::AutoSi, true);
    // The sentences are filled in English here; `explain::localised` renders them again in
    // the language asked for.
    Ok(super::explain::localised(
        Report {
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
                fibre_speed: cfg.fibre_speed.clone(),
                sources: THRESHOLD_SOURCES,
            },
            province,
            communes,
            districts,
            claims: claim_reports,
            operators: evidence.operators.iter().cloned().collect(),
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
                registry: cfg.registry.clone(),
                period: PeriodInfo {
                    from: from_s,
                    to: to_s,
                    windows: total_windows,
                },
                threshold_sources: THRESHOLD_SOURCES,
                source,
            },
            lang: Lang::En,
            provisional_thresholds: false,
            words: ReportWords::default(),
        },
        Lang::En,
    ))
}

fn missing(claim: &Claim, code: &str) -> AuditError {
    AuditError::Claim(crate::claim::ClaimError {
        claim: claim.text.clone(),
        part: "SCOPE".into(),
        problem: format!("area {code} is not in the report"),
    })
}

#[cfg(test)]
mod tests;

//! Geographic rollups (docs/operations.md): the points of each closed window, computed with
//! the audit's own [`build_report`] on the window cut out of one span's hourly aggregates, so
//! a rollup can never disagree with an audit of the same window.
//!
//! Pure: [`window_points`] reads no clock, store or file. The coordinator (collector crate)
//! decides which windows to compute ([`affected_days`]), fetches one span
//! ([`crate::AggregateSource::fetch_hourly`] over [`span_of`]), and writes the points as lines.
//!
//! What each point holds, from the window's report:
//!
//! - commune, per operator: that operator's verdict; `counted`, `usable` and `sites` summed
//!   over the commune's sites carrying the operator; `usable_share = usable / counted`;
//! - commune, `any`: the `any` verdict, with the figures of the operator that decided it (the
//!   report's `decided_by`), or of every operator together when none decided;
//! - fibre (`any` only): the area's fibre verdict and windows;
//! - district and province: their areas counted per verdict (communes; for fibre in a set with
//!   districts, districts), the figures summed; districts carry their own verdict, provinces
//!   none;
//! - `1d` points also: the verdict of the trailing period of `period_days` ending with that
//!   day, from the report of that period (what `audit --from D-(n-1) --to D+1` gives), and for
//!   districts and provinces the bounds a claim over their areas would get.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use coverage_shared::boundary::{BoundaryRegistry, BoundarySet};
use coverage_shared::schema::derived;

use crate::config::AuditConfig;
use crate::fibre::{FibreVerdict, WindowCounts};
use crate::report::{CommuneReport, DistrictReport, SiteReport};
use crate::report::{Report, ReportInputs, build_report};
use crate::source::hourly::HourlyAggregates;
use crate::source::{HOUR_MS, SourceInfo};
use crate::verdict::{MobileVerdict, district_mobile_verdict, share};
use crate::{AuditError, choose_set, period};

/// `1h` or `1d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WindowKind {
    /// One hour.
    Hour,
    /// One local day.
    Day,
}

impl WindowKind {
    /// The `window` tag.
    pub fn as_str(self) -> &'static str {
        match self {
            WindowKind::Hour => derived::window::HOUR,
            WindowKind::Day => derived::window::DAY,
        }
    }
}

/// One window: `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Window {
    /// Hour or day.
    pub kind: WindowKind,
    /// Start (inclusive).
    pub from: DateTime<Utc>,
    /// End (exclusive).
    pub to: DateTime<Utc>,
}

impl Window {
    /// The hour starting at `start_ms` (floored to the hour).
    pub fn hour(start_ms: i64) -> Window {
        let start = crate::source::hour_of(start_ms);
        Window {
            kind: WindowKind::Hour,
            from: ms(start),
            to: ms(start + HOUR_MS),
        }
    }

    /// The local day `date` of the zone `offset_hours` from UTC.
    pub fn day(date: NaiveDate, offset_hours: i32) -> Window {
        Window {
            kind: WindowKind::Day,
            from: period::local_midnight(date, offset_hours),
            to: period::local_midnight(date + Duration::days(1), offset_hours),
        }
    }

    /// The trailing period of `days` days ending with this window's end.
    pub fn trailing(&self, days: u32) -> (DateTime<Utc>, DateTime<Utc>) {
        (self.to - Duration::days(i64::from(days)), self.to)
    }
}

fn ms(t: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(t).unwrap_or_default()
}

/// The local date (zone `offset_hours`) an instant falls in.
pub fn local_date(t: DateTime<Utc>, offset_hours: i32) -> NaiveDate {
    (t + Duration::hours(i64::from(offset_hours))).date_naive()
}

/// The days whose `1d` points a change in hour `hour_ms` touches: its own local day and the
/// `period_days - 1` after it (their trailing periods include it), those closed by `closed`
/// (a day is closed when its end is at or before `closed`).
pub fn affected_days(
    hour_ms: i64,
    period_days: u32,
    offset_hours: i32,
    closed: DateTime<Utc>,
) -> Vec<NaiveDate> {
    let first = local_date(ms(hour_ms), offset_hours);
    (0..i64::from(period_days.max(1)))
        .map(|n| first + Duration::days(n))
        .filter(|d| Window::day(*d, offset_hours).to <= closed)
        .collect()
}

/// The span one fetch must cover to compute `windows` (days with their trailing periods).
pub fn span_of(windows: &[Window], period_days: u32) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    windows
        .iter()
        .map(|w| match w.kind {
            WindowKind::Hour => (w.from, w.to),
            WindowKind::Day => {
                let (from, to) = w.trailing(period_days);
                (from.min(w.from), to)
            }
        })
        .reduce(|a, b| (a.0.min(b.0), a.1.max(b.1)))
}

/// Which level of area a point is about (its measurement).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AreaLevel {
    /// `commune_coverage`.
    Commune,
    /// `district_coverage`.
    District,
    /// `province_coverage`.
    Province,
}

impl AreaLevel {
    /// The measurement.
    pub fn measurement(self) -> &'static str {
        match self {
            AreaLevel::Commune => derived::COMMUNE_COVERAGE,
            AreaLevel::District => derived::DISTRICT_COVERAGE,
            AreaLevel::Province => derived::PROVINCE_COVERAGE,
        }
    }
}

/// Areas per verdict (`covered` counts connected areas for fibre).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Covered / connected.
    pub covered: u64,
    /// Not covered / not connected.
    pub not_covered: u64,
    /// Insufficient data.
    pub insufficient_data: u64,
    /// No site.
    pub no_site: u64,
}

impl Tally {
    fn mobile(verdicts: impl IntoIterator<Item = MobileVerdict>) -> Tally {
        let mut t = Tally::default();
        for v in verdicts {
            match v {
                MobileVerdict::Covered => t.covered += 1,
                MobileVerdict::NotCovered => t.not_covered += 1,
                MobileVerdict::InsufficientData => t.insufficient_data += 1,
                MobileVerdict::NoSite => t.no_site += 1,
            }
        }
        t
    }

    fn fibre(verdicts: impl IntoIterator<Item = FibreVerdict>) -> Tally {
        let mut t = Tally::default();
        for v in verdicts {
            match v {
                FibreVerdict::Connected => t.covered += 1,
                FibreVerdict::NotConnected => t.not_covered += 1,
                FibreVerdict::InsufficientData => t.insufficient_data += 1,
                FibreVerdict::NoSite => t.no_site += 1,
            }
        }
        t
    }

    /// All areas counted.
    pub fn areas(&self) -> u64 {
        self.covered + self.not_covered + self.insufficient_data + self.no_site
    }

    /// The bounds of a claim over these areas, percent with 2 decimals (as the claim report
    /// computes them): `(covered / areas, (covered + unknown) / areas)`.
    pub fn bounds_pct(&self) -> Option<(f64, f64)> {
        let areas = self.areas();
        let pct = |part: u64| ((part as f64 / areas as f64) * 10_000.0).round() / 100.0;
        (areas > 0).then(|| {
            (
                pct(self.covered),
                pct(self.covered + self.insufficient_data + self.no_site),
            )
        })
    }
}

/// The figures of one area, operator and window.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    /// The area's own verdict word; `None` for provinces.
    pub verdict: Option<&'static str>,
    /// Counted samples (mobile).
    pub counted: Option<u64>,
    /// Usable samples (mobile).
    pub usable: Option<u64>,
    /// usable / counted (4 decimals); `None` when nothing was counted.
    pub usable_share: Option<f64>,
    /// Sites counted.
    pub sites: u64,
    /// Fibre windows.
    pub windows: Option<WindowCounts>,
    /// District and province points: their areas per verdict.
    pub tally: Option<Tally>,
}

/// The trailing period's figures of a `1d` point.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PeriodFigures {
    /// Its length in days.
    pub days: u32,
    /// Its verdict (communes, districts).
    pub verdict: Option<&'static str>,
    /// Its usable share as the audit reports it (communes, mobile).
    pub usable_share: Option<f64>,
    /// Areas per verdict (districts, provinces).
    pub tally: Option<Tally>,
}

/// One point of `commune_coverage`, `district_coverage` or `province_coverage`.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaPoint {
    /// Its measurement.
    pub level: AreaLevel,
    /// The window.
    pub window: Window,
    /// Boundary set.
    pub set: String,
    /// `mobile` or `fibre`.
    pub service: &'static str,
    /// `MCC-MNC` or `any`.
    pub operator: String,
    /// Province code and name.
    pub province: (String, String),
    /// District code and name (district and commune points of sets with districts).
    pub district: Option<(String, String)>,
    /// Commune code and name (commune points).
    pub commune: Option<(String, String)>,
    /// The window's figures.
    pub figures: Figures,
    /// `1d` only: the trailing period's.
    pub period: Option<PeriodFigures>,
}

/// What every window of a computation shares.
#[derive(Debug, Clone, Copy)]
pub struct RollupInputs<'a> {
    /// All boundary sets.
    pub registry: &'a BoundaryRegistry,
    /// The audit's configuration (thresholds, registry, time zone).
    pub cfg: &'a AuditConfig,
    /// The trailing period of `1d` points, days.
    pub period_days: u32,
}

fn report_of(
    inputs: &RollupInputs<'_>,
    set: &BoundarySet,
    hourly: &HourlyAggregates,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Report, AuditError> {
    if from < hourly.from || to > hourly.to {
        return Err(AuditError::Period(format!(
            "the window {from} to {to} is not inside the fetched span {} to {}",
            hourly.from, hourly.to
        )));
    }
    build_report(ReportInputs {
        set,
        registry: inputs.registry,
        cfg: inputs.cfg,
        from,
        to,
        claims: &[],
        aggregates: &hourly.window(from, to),
        source: SourceInfo::Archive {
            files: Vec::new(),
            equivalent_queries: Vec::new(),
        },
    })
}

/// The points of `window`, from `hourly` (which must cover the window and, for a day, its
/// trailing period). The set is the one in force over the window; a day's trailing period is
/// audited on the same set (as `audit --set`).
pub fn window_points(
    inputs: &RollupInputs<'_>,
    hourly: &HourlyAggregates,
    window: Window,
) -> Result<Vec<AreaPoint>, AuditError> {
    let offset = inputs.cfg.timezone_offset_hours;
    let set = choose_set(inputs.registry, None, window.from, window.to, offset)?;
    let report = report_of(inputs, set, hourly, window.from, window.to)?;
    let trailing = match window.kind {
        WindowKind::Hour => None,
        WindowKind::Day => {
            let (from, to) = window.trailing(inputs.period_days);
            Some(report_of(inputs, set, hourly, from, to)?)
        }
    };
    Ok(points(
        set,
        window,
        &report,
        trailing.as_ref(),
        inputs.period_days,
    ))
}

/// The figures of one commune and operator (`None` = `any`) in `report`.
fn commune_mobile(
    c: &CommuneReport,
    op: Option<&str>,
    sites: &BTreeMap<&str, &SiteReport>,
) -> Figures {
    let sums = |op: &str| {
        let ids = c.sites_by_operator.get(op).map_or(&[][..], Vec::as_slice);
        let (mut counted, mut usable) = (0, 0);
        for id in ids {
            if let Some(s) = sites.get(id.as_str()) {
                for m in s.mobile.iter().filter(|m| m.operator == op) {
                    counted += m.counted;
                    usable += m.usable;
                }
            }
        }
        (counted, usable, ids.len() as u64)
    };
    let (verdict, (counted, usable, n)) = match op {
        Some(op) => (
            c.mobile_by_operator
                .get(op)
                .copied()
                .unwrap_or(MobileVerdict::NoSite),
            sums(op),
        ),
        None => (
            c.mobile,
            match &c.decided_by {
                Some(d) => sums(&d.operator),
                None => (c.counted, c.usable, c.mobile_sites.len() as u64),
            },
        ),
    };
    Figures {
        verdict: Some(verdict.as_str()),
        counted: Some(counted),
        usable: Some(usable),
        usable_share: share(usable, counted),
        sites: n,
        windows: None,
        tally: None,
    }
}

fn mobile_verdict_of(c: &CommuneReport, op: Option<&str>) -> MobileVerdict {
    match op {
        Some(op) => c
            .mobile_by_operator
            .get(op)
            .copied()
            .unwrap_or(MobileVerdict::NoSite),
        None => c.mobile,
    }
}

/// Sums of commune figures, with their verdicts counted.
fn summed(figures: &[Figures], tally: Tally, verdict: Option<&'static str>) -> Figures {
    let counted: u64 = figures.iter().filter_map(|f| f.counted).sum();
    let usable: u64 = figures.iter().filter_map(|f| f.usable).sum();
    Figures {
        verdict,
        counted: Some(counted),
        usable: Some(usable),
        usable_share: share(usable, counted),
        sites: figures.iter().map(|f| f.sites).sum(),
        windows: None,
        tally: Some(tally),
    }
}

/// Maps a window's report (and, for a day, its trailing period's) to points.
pub fn points(
    set: &BoundarySet,
    window: Window,
    report: &Report,
    trailing: Option<&Report>,
    period_days: u32,
) -> Vec<AreaPoint> {
    use derived::service::{FIBRE, MOBILE};
    let sites: BTreeMap<&str, &SiteReport> =
        report.sites.iter().map(|s| (s.id.as_str(), s)).collect();
    let t_communes: BTreeMap<&str, &CommuneReport> = trailing
        .map(|t| t.communes.iter().map(|c| (c.code.as_str(), c)).collect())
        .unwrap_or_default();
    let t_districts: BTreeMap<&str, &DistrictReport> = trailing
        .map(|t| t.districts.iter().map(|d| (d.code.as_str(), d)).collect())
        .unwrap_or_default();
    let mut operators: BTreeSet<&str> = report.operators.iter().map(String::as_str).collect();
    if let Some(t) = trailing {
        operators.extend(t.operators.iter().map(String::as_str));
    }
    // `None` is the `any` operator.
    let ops: Vec<Option<&str>> = std::iter::once(None)
        .chain(operators.iter().map(|o| Some(*o)))
        .collect();
    let op_tag = |op: Option<&str>| op.unwrap_or(derived::ANY_OPERATOR).to_owned();
    let period = |verdict: Option<&'static str>, usable_share, tally| {
        trailing.map(|_| PeriodFigures {
            days: period_days,
            verdict,
            usable_share,
            tally,
        })
    };
    let mut out = Vec::new();
    let commune_of = |code: &str| set.commune(code);
    let base = |level, service, op: Option<&str>| AreaPoint {
        level,
        window,
        set: set.name().to_owned(),
        service,
        operator: op_tag(op),
        province: (String::new(), String::new()),
        district: None,
        commune: None,
        figures: Figures::default(),
        period: None,
    };

    // Communes.
    let mut by_commune: BTreeMap<(&str, Option<&str>), Figures> = BTreeMap::new();
    for c in &report.communes {
        let Some(b) = commune_of(&c.code) else {
            continue;
        };
        let place = |mut p: AreaPoint| {
            p.province = (b.province.code.clone(), b.province.name.clone());
            p.district = b
                .district
                .as_ref()
                .map(|d| (d.code.clone(), d.name.clone()));
            p.commune = Some((c.code.clone(), c.name.clone()));
            p
        };
        let tc = t_communes.get(c.code.as_str());
        for &op in &ops {
            let figures = commune_mobile(c, op, &sites);
            by_commune.insert((c.code.as_str(), op), figures.clone());
            let mut p = place(base(AreaLevel::Commune, MOBILE, op));
            p.figures = figures;
            p.period = period(
                tc.map(|t| mobile_verdict_of(t, op).as_str()),
                tc.and_then(|t| match op {
                    Some(op) => t.usable_share_by_operator.get(op).copied().flatten(),
                    None => t.usable_share,
                }),
                None,
            );
            out.push(p);
        }
        let mut p = place(base(AreaLevel::Commune, FIBRE, None));
        p.figures = Figures {
            verdict: Some(c.fibre.as_str()),
            sites: c.fibre_sites.len() as u64,
            windows: Some(c.fibre_windows),
            ..Figures::default()
        };
        p.period = period(tc.map(|t| t.fibre.as_str()), None, None);
        out.push(p);
    }

    // Districts.
    for d in set.districts() {
        let Some(first) = d.communes.first().and_then(|c| commune_of(c)) else {
            continue;
        };
        let province = (first.province.code.clone(), first.province.name.clone());
        let members: Vec<&CommuneReport> = report
            .communes
            .iter()
            .filter(|c| d.communes.contains(&c.code))
            .collect();
        let t_members: Vec<&CommuneReport> = d
            .communes
            .iter()
            .filter_map(|c| t_communes.get(c.as_str()).copied())
            .collect();
        let place = |mut p: AreaPoint| {
            p.province = province.clone();
            p.district = Some((d.district.code.clone(), d.district.name.clone()));
            p
        };
        for &op in &ops {
            let verdicts: Vec<MobileVerdict> =
                members.iter().map(|c| mobile_verdict_of(c, op)).collect();
            let figures: Vec<Figures> = members
                .iter()
                .filter_map(|c| by_commune.get(&(c.code.as_str(), op)).cloned())
                .collect();
            let mut p = place(base(AreaLevel::District, MOBILE, op));
            p.figures = summed(
                &figures,
                Tally::mobile(verdicts.iter().copied()),
                Some(district_mobile_verdict(&verdicts).as_str()),
            );
            let t_verdicts: Vec<MobileVerdict> =
                t_members.iter().map(|c| mobile_verdict_of(c, op)).collect();
            p.period = period(
                Some(district_mobile_verdict(&t_verdicts).as_str()),
                None,
                Some(Tally::mobile(t_verdicts)),
            );
            out.push(p);
        }
        if let Some(dr) = report.districts.iter().find(|x| x.code == d.district.code) {
            let mut p = place(base(AreaLevel::District, FIBRE, None));
            p.figures = Figures {
                verdict: Some(dr.fibre.as_str()),
                sites: dr.fibre_sites.len() as u64,
                windows: Some(dr.fibre_windows),
                tally: Some(Tally::fibre([dr.fibre])),
                ..Figures::default()
            };
            let td = t_districts.get(d.district.code.as_str());
            p.period = period(
                td.map(|t| t.fibre.as_str()),
                None,
                td.map(|t| Tally::fibre([t.fibre])),
            );
            out.push(p);
        }
    }

    // Provinces.
    let provinces: BTreeMap<&str, &str> = set
        .communes()
        .iter()
        .map(|c| (c.province.code.as_str(), c.province.name.as_str()))
        .collect();
    for (code, name) in provinces {
        let in_province =
            |c: &&CommuneReport| commune_of(&c.code).is_some_and(|b| b.province.code == code);
        let members: Vec<&CommuneReport> = report.communes.iter().filter(in_province).collect();
        let t_members: Vec<&CommuneReport> = trailing
            .map(|t| t.communes.iter().filter(in_province).collect())
            .unwrap_or_default();
        let place = |mut p: AreaPoint| {
            p.province = (code.to_owned(), name.to_owned());
            p
        };
        for &op in &ops {
            let figures: Vec<Figures> = members
                .iter()
                .filter_map(|c| by_commune.get(&(c.code.as_str(), op)).cloned())
                .collect();
            let mut p = place(base(AreaLevel::Province, MOBILE, op));
            p.figures = summed(
                &figures,
                Tally::mobile(members.iter().map(|c| mobile_verdict_of(c, op))),
                None,
            );
            p.period = period(
                None,
                None,
                Some(Tally::mobile(
                    t_members.iter().map(|c| mobile_verdict_of(c, op)),
                )),
            );
            out.push(p);
        }
        // Fibre: districts are the fibre level of a set with districts, communes otherwise.
        let district_codes: BTreeSet<&str> = members
            .iter()
            .filter_map(|c| c.district.as_deref())
            .collect();
        let (tally, t_tally) = if set.districts().is_empty() {
            (
                Tally::fibre(members.iter().map(|c| c.fibre)),
                Tally::fibre(t_members.iter().map(|c| c.fibre)),
            )
        } else {
            let of = |r: &Report| {
                Tally::fibre(
                    r.districts
                        .iter()
                        .filter(|d| district_codes.contains(d.code.as_str()))
                        .map(|d| d.fibre),
                )
            };
            (of(report), trailing.map(of).unwrap_or_default())
        };
        let mut p = place(base(AreaLevel::Province, FIBRE, None));
        p.figures = Figures {
            sites: members.iter().map(|c| c.fibre_sites.len() as u64).sum(),
            tally: Some(tally),
            ..Figures::default()
        };
        p.period = period(None, None, Some(t_tally));
        out.push(p);
    }
    out
}

#[cfg(test)]
mod tests;

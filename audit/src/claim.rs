//! Coverage claims: `SERVICE:LEVEL:PERCENT[:operator=NAME|MCC-MNC][@SCOPE]`, parsed, checked against
//! a boundary set, and judged with bounds.
//!
//! - `SERVICE` is `mobile` or `fibre`; `LEVEL` is `communes` or `districts`; `PERCENT` is 0..=100
//!   with at most three decimals (`100`, `99.5`); `operator=MCC-MNC` or `operator=NAME` (mobile
//!   only; `Viettel`, `VinaPhone`..., resolved to MCC-MNC by `coverage_shared::text::operators`)
//!   judges one operator's verdicts instead of the `any` operator's; `SCOPE` is `former=PP` (communes that
//!   were in province `PP` before the 2025 merger, e.g. `former=06` = the 37 communes of
//!   `thai-nguyen-2025` that were Bắc Kạn; on a set without mergers, its communes in province
//!   `PP`) or `district=DDD` (one district of a set with districts).
//! - A claim at a level the set lacks (`districts` on `thai-nguyen-2025`), a district scope on
//!   such a set, or a scope that selects nothing is an error naming the bad part.
//! - **Mobile at district level** means: a district is covered when every one of its communes
//!   is covered (`super::verdict::district_mobile_verdict`), not covered when any commune is
//!   not covered, unknown otherwise.
//! - **Bounds** ([`judge`]): lower = covered / all areas in scope, upper = (covered +
//!   insufficient_data + no_site) / all; `verified` when lower >= PERCENT, `refuted` when upper <
//!   PERCENT, else `unproven`, all compared in integers (`covered x 100 >= PERCENT x total`).

use std::fmt;

use coverage_shared::boundary::{BoundaryRegistry, BoundarySet, Commune};
use coverage_shared::text::operators;
use serde::Serialize;

use crate::config::{Pct, is_operator_id};

/// What a claim is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    /// Mobile coverage.
    Mobile,
    /// Fibre connection.
    Fibre,
}

/// Which areas a claim counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Communes (xã, phường, thị trấn).
    Communes,
    /// Districts (2020 set only).
    Districts,
}

/// A part of the set a claim is restricted to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Communes that were in this province (GSO code) before the 2025 merger.
    Former(String),
    /// One district (GSO code).
    District(String),
}

/// A parsed claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Claim {
    /// The claim as written.
    pub text: String,
    /// Mobile or fibre.
    pub service: Service,
    /// Communes or districts.
    pub level: Level,
    /// The claimed share of areas.
    pub percent: Pct,
    /// One operator (`MCC-MNC`, also when the claim names it), mobile only.
    pub operator: Option<String>,
    /// Restriction to part of the set.
    pub scope: Option<Scope>,
}

/// A claim that cannot be parsed or does not fit the audited set; names the bad part.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("claim `{claim}`: {part}: {problem}")]
pub struct ClaimError {
    /// The claim as written.
    pub claim: String,
    /// The part at fault (`SERVICE`, `LEVEL`, `PERCENT`, `operator`, `SCOPE`).
    pub part: String,
    /// What is wrong with it.
    pub problem: String,
}

impl Claim {
    /// Parses `SERVICE:LEVEL:PERCENT[:operator=NAME|MCC-MNC][@SCOPE]`.
    pub fn parse(text: &str) -> Result<Claim, ClaimError> {
        let err = |part: &str, problem: String| ClaimError {
            claim: text.to_owned(),
            part: part.to_owned(),
            problem,
        };
        let (body, scope) = match text.split_once('@') {
            Some((b, s)) => (b, Some(s)),
            None => (text, None),
        };
        let parts: Vec<&str> = body.split(':').collect();
        if !(3..=4).contains(&parts.len()) {
            return Err(err(
                "claim",
                "expected SERVICE:LEVEL:PERCENT[:operator=NAME|MCC-MNC][@SCOPE], e.g. mobile:communes:100:operator=Viettel"
                    .into(),
            ));
        }
        let service = match parts[0] {
            "mobile" => Service::Mobile,
            "fibre" => Service::Fibre,
            other => {
                return Err(err(
                    "SERVICE",
                    format!("`{other}` is not a service; expected `mobile` or `fibre`"),
                ));
            }
        };
        let level = match parts[1] {
            "communes" => Level::Communes,
            "districts" => Level::Districts,
            other => {
                return Err(err(
                    "LEVEL",
                    format!("`{other}` is not a level; expected `communes` or `districts`"),
                ));
            }
        };
        let percent = Pct::parse(parts[2]).ok_or_else(|| {
            err(
                "PERCENT",
                format!(
                    "`{}` is not a percentage from 0 to 100 with at most three decimals",
                    parts[2]
                ),
            )
        })?;
        let operator = match parts.get(3) {
            None => None,
            Some(part) => {
                let Some(op) = part.strip_prefix("operator=") else {
                    return Err(err(
                        "operator",
                        format!("`{part}` is not `operator=NAME` or `operator=MCC-MNC`"),
                    ));
                };
                let op = resolve_operator(op).map_err(|problem| err("operator", problem))?;
                if service == Service::Fibre {
                    return Err(err(
                        "operator",
                        "fibre claims have no operator; drop `:operator=...`".into(),
                    ));
                }
                Some(op)
            }
        };
        let scope = match scope {
            None => None,
            Some(s) => {
                let (key, code) = s.split_once('=').ok_or_else(|| {
                    err(
                        "SCOPE",
                        format!("`{s}` is not `former=PP` or `district=DDD`"),
                    )
                })?;
                if code.is_empty() || !code.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(err("SCOPE", format!("`{code}` is not a GSO code (digits)")));
                }
                match key {
                    "former" => Some(Scope::Former(code.to_owned())),
                    "district" => Some(Scope::District(code.to_owned())),
                    other => {
                        return Err(err(
                            "SCOPE",
                            format!("`{other}` is not a scope; expected `former` or `district`"),
                        ));
                    }
                }
            }
        };
        Ok(Claim {
            text: text.to_owned(),
            service,
            level,
            percent,
            operator,
            scope,
        })
    }

    fn error(&self, part: &str, problem: String) -> ClaimError {
        ClaimError {
            claim: self.text.clone(),
            part: part.to_owned(),
            problem,
        }
    }

    /// The codes of the areas in scope on `set`: commune codes or district codes, in code order.
    /// Errors when the set lacks the level or the scope, or the scope selects nothing.
    pub fn areas(
        &self,
        set: &BoundarySet,
        registry: &BoundaryRegistry,
    ) -> Result<Vec<String>, ClaimError> {
        if self.level == Level::Districts && !set.has_districts() {
            return Err(self.error(
                "LEVEL",
                format!(
                    "set {} has no district level; claim at `communes` level instead",
                    set.name()
                ),
            ));
        }
        let communes: Vec<&Commune> = match &self.scope {
            None => set.communes().iter().collect(),
            Some(Scope::District(code)) => {
                if !set.has_districts() {
                    return Err(self.error(
                        "SCOPE",
                        format!("set {} has no districts to scope to", set.name()),
                    ));
                }
                set.communes()
                    .iter()
                    .filter(|c| c.district.as_ref().is_some_and(|d| &d.code == code))
                    .collect()
            }
            Some(Scope::Former(code)) => {
                let name = province_name(registry, code);
                set.communes()
                    .iter()
                    .filter(|c| match &c.former_province {
                        Some(former) => name.as_deref() == Some(former.as_str()),
                        None => &c.province.code == code,
                    })
                    .collect()
            }
        };
        let mut codes: Vec<String> = match self.level {
            Level::Communes => communes.iter().map(|c| c.code.clone()).collect(),
            Level::Districts => communes
                .iter()
                .filter_map(|c| c.district.as_ref().map(|d| d.code.clone()))
                .collect(),
        };
        codes.sort();
        codes.dedup();
        if codes.is_empty() {
            return Err(self.error(
                "SCOPE",
                format!(
                    "selects no {} of set {}",
                    level_word(self.level),
                    set.name()
                ),
            ));
        }
        Ok(codes)
    }
}

/// The `MCC-MNC` of a claim's operator, given by name (`Viettel`, ASCII case-insensitive, from
/// `coverage_shared::text::operators`) or by code (`452-04`, any well-formed code); otherwise
/// a problem listing the known names.
fn resolve_operator(op: &str) -> Result<String, String> {
    if let Some(id) = operators::resolve(op) {
        return Ok(id.to_owned());
    }
    if is_operator_id(op) {
        return Ok(op.to_owned());
    }
    let known: Vec<String> = operators::OPERATORS
        .iter()
        .map(|o| format!("{} ({})", o.name, o.id))
        .collect();
    Err(format!(
        "`{op}` is neither a known operator name nor an MCC-MNC such as 452-04; known operators: {}",
        known.join(", ")
    ))
}

fn level_word(level: Level) -> &'static str {
    match level {
        Level::Communes => "communes",
        Level::Districts => "districts",
    }
}

/// The short name of province `code` (`06` -> `Bắc Kạn`) from any set of the registry, as
/// written in the 2025 set's `former_province`.
fn province_name(registry: &BoundaryRegistry, code: &str) -> Option<String> {
    registry
        .sets()
        .iter()
        .flat_map(|s| s.communes().iter())
        .find(|c| c.province.code == code)
        .map(|c| {
            let n = c.province.name.as_str();
            n.strip_prefix("Tỉnh ")
                .or_else(|| n.strip_prefix("Thành phố "))
                .unwrap_or(n)
                .to_owned()
        })
}

impl fmt::Display for Claim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A claim's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimVerdict {
    /// Even the lower bound reaches the claimed share.
    Verified,
    /// Even the upper bound falls short of it.
    Refuted,
    /// The unknown areas decide.
    Unproven,
}

impl ClaimVerdict {
    /// The word used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimVerdict::Verified => "verified",
            ClaimVerdict::Refuted => "refuted",
            ClaimVerdict::Unproven => "unproven",
        }
    }
}

/// How one area counts for a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AreaOutcome {
    /// Covered / connected.
    Shown,
    /// Not covered / not connected.
    NotShown,
    /// Insufficient data or no site.
    Unknown,
}

/// Judges a claim of `percent` from the number of areas shown, unknown and in total.
pub fn judge(shown: u64, unknown: u64, total: u64, percent: Pct) -> ClaimVerdict {
    let hits = |n: u64| u128::from(n) * 100_000 >= u128::from(percent.milli()) * u128::from(total);
    if hits(shown) {
        ClaimVerdict::Verified
    } else if !hits(shown + unknown) {
        ClaimVerdict::Refuted
    } else {
        ClaimVerdict::Unproven
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_registry as registry;

    #[test]
    fn parses_the_documented_forms() {
        let c = Claim::parse("mobile:communes:100").unwrap();
        assert_eq!(
            (c.service, c.level, c.percent, c.operator, c.scope),
            (
                Service::Mobile,
                Level::Communes,
                Pct::whole(100),
                None,
                None
            )
        );
        let c = Claim::parse("fibre:districts:100").unwrap();
        assert_eq!((c.service, c.level), (Service::Fibre, Level::Districts));
        let c = Claim::parse("mobile:communes:99.5:operator=452-04").unwrap();
        assert_eq!(c.operator.as_deref(), Some("452-04"));
        assert_eq!(c.percent.milli(), 99_500);
        let c = Claim::parse("mobile:communes:100@former=06").unwrap();
        assert_eq!(c.scope, Some(Scope::Former("06".into())));
        let c = Claim::parse("mobile:communes:100:operator=Viettel").unwrap();
        assert_eq!(c.operator.as_deref(), Some("452-04"));
        assert_eq!(c.text, "mobile:communes:100:operator=Viettel");
        let c = Claim::parse("mobile:communes:100:operator=vinaphone@former=06").unwrap();
        assert_eq!(c.operator.as_deref(), Some("452-02"));
        // A well-formed code outside the name table is still an operator.
        let c = Claim::parse("mobile:communes:100:operator=452-99").unwrap();
        assert_eq!(c.operator.as_deref(), Some("452-99"));
        let c = Claim::parse("mobile:communes:90:operator=452-01@district=061").unwrap();
        assert_eq!(c.scope, Some(Scope::District("061".into())));
    }

    #[test]
    fn errors_name_the_bad_part() {
        for (text, part) in [
            ("mobile", "claim"),
            ("mobile:communes:100:operator=452-04:x", "claim"),
            ("voice:communes:100", "SERVICE"),
            ("mobile:villages:100", "LEVEL"),
            ("mobile:communes:101", "PERCENT"),
            ("mobile:communes:abc", "PERCENT"),
            ("mobile:communes:100:op=452-04", "operator"),
            ("mobile:communes:100:operator=45204", "operator"),
            ("fibre:communes:100:operator=452-04", "operator"),
            ("mobile:communes:100@province=06", "SCOPE"),
            ("mobile:communes:100@former", "SCOPE"),
            ("mobile:communes:100@former=x6", "SCOPE"),
        ] {
            let e = Claim::parse(text).unwrap_err();
            assert_eq!(e.part, part, "{text}: {e}");
            assert!(e.to_string().contains(text), "{e}");
        }
        let e = Claim::parse("mobile:communes:100:operator=Beeline").unwrap_err();
        assert_eq!(e.part, "operator");
        for name in [
            "`Beeline`",
            "Viettel (452-04)",
            "VinaPhone (452-02)",
            "MobiFone (452-01)",
        ] {
            assert!(e.problem.contains(name), "{e}");
        }
    }

    #[test]
    fn scopes_on_the_sets() {
        let r = registry();
        let old = r.get("bac-kan-2020").unwrap();
        let new = r.get("thai-nguyen-2025").unwrap();
        let areas = |claim: &str, set| Claim::parse(claim).unwrap().areas(set, &r);
        assert_eq!(areas("mobile:communes:100", old).unwrap().len(), 108);
        assert_eq!(areas("mobile:communes:100", new).unwrap().len(), 92);
        assert_eq!(
            areas("mobile:communes:100@former=06", new).unwrap().len(),
            37
        );
        assert_eq!(
            areas("mobile:communes:100@former=19", new).unwrap().len(),
            55
        );
        assert_eq!(
            areas("mobile:communes:100@former=06", old).unwrap().len(),
            108
        );
        assert_eq!(areas("fibre:districts:100", old).unwrap().len(), 8);
        assert_eq!(
            areas("mobile:communes:100@district=061", old)
                .unwrap()
                .len(),
            15
        );
        assert_eq!(
            areas("fibre:districts:100@district=061", old).unwrap(),
            vec!["061"]
        );
        let e = areas("fibre:districts:100", new).unwrap_err();
        assert_eq!(e.part, "LEVEL");
        assert!(e.problem.contains("no district level"), "{e}");
        assert_eq!(
            areas("mobile:communes:100@district=061", new)
                .unwrap_err()
                .part,
            "SCOPE"
        );
        assert_eq!(
            areas("mobile:communes:100@district=999", old)
                .unwrap_err()
                .part,
            "SCOPE"
        );
        assert_eq!(
            areas("mobile:communes:100@former=01", new)
                .unwrap_err()
                .part,
            "SCOPE"
        );
    }

    #[test]
    fn bounds_in_integers() {
        use ClaimVerdict::*;
        let p100 = Pct::whole(100);
        assert_eq!(judge(108, 0, 108, p100), Verified);
        assert_eq!(judge(107, 1, 108, p100), Unproven);
        assert_eq!(judge(107, 0, 108, p100), Refuted);
        let p90 = Pct::whole(90);
        // 90 % of 108 is 97.2: 98 shown needed.
        assert_eq!(judge(98, 0, 108, p90), Verified);
        assert_eq!(judge(97, 0, 108, p90), Refuted);
        assert_eq!(judge(97, 1, 108, p90), Unproven);
        assert_eq!(judge(90, 0, 100, p90), Verified);
        assert_eq!(judge(0, 0, 10, Pct::whole(0)), Verified);
    }
}

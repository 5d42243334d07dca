//! The site registry: each site's surveyed position, the commune it was installed for, the
//! operators whose SIMs it carries and its contracted fibre speeds, read from its own file
//! (`sites.toml`, named in the collector config by `[registry] file`).
//!
//! One definition for the collector (its enrich stage places readings with it) and the audit
//! (which places every site itself, and whose report carries the file's SHA-256). Invariants of
//! a [`SiteRegistry`], checked by [`SiteRegistry::parse`]: ids are valid wire-format site ids
//! and unique; positions are valid WGS84; operators are `MCC-MNC` (a name from
//! [`crate::text::operators`] is accepted and stored as its code), without repeats; contracted
//! speeds are finite and positive. `commune`, when given, is only checked against the located
//! commune, never used to move the site.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::ConfigError;
use crate::geo::LatLon;
use crate::text::operators;
use crate::topic::validate_site;
use crate::wire::CommuneRef;

/// One site of the registry (`[[sites]]` in `sites.toml`).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SiteEntry {
    /// Site id (the agent's MQTT user name).
    pub id: String,
    /// Surveyed latitude, WGS84.
    pub lat: f64,
    /// Surveyed longitude, WGS84.
    pub lon: f64,
    /// The commune the site was installed for (checked, never used to move the site).
    #[serde(default)]
    pub commune: Option<CommuneRef>,
    /// The operators (`MCC-MNC`) whose SIMs the site's modems carry, one per SIM: the site
    /// counts for each of them even in a period it sent nothing.
    #[serde(default)]
    pub operators: Vec<String>,
    /// Contracted download speed of the site's fibre line, Mbit/s (QCVN 34:2022's Vd).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contracted_down_mbps: Option<f64>,
    /// Contracted upload speed, Mbit/s (Vu).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contracted_up_mbps: Option<f64>,
    /// When the site was retired (`coverage-collector site retire`), RFC 3339: an end date,
    /// never a deletion, so audits of earlier periods stay reproducible. A period that starts
    /// at or after it does not count the site as a site without data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retired: Option<chrono::DateTime<chrono::Utc>>,
}

impl SiteEntry {
    /// A site at a position, with nothing else known.
    pub fn at(id: &str, lat: f64, lon: f64) -> SiteEntry {
        SiteEntry {
            id: id.to_owned(),
            lat,
            lon,
            commune: None,
            operators: Vec::new(),
            contracted_down_mbps: None,
            contracted_up_mbps: None,
            retired: None,
        }
    }

    /// Whether the site was still in service at some time in the period starting at `from`.
    pub fn in_service_from(&self, from: chrono::DateTime<chrono::Utc>) -> bool {
        self.retired.is_none_or(|r| r > from)
    }
}

/// Whether `s` is an operator id `MCC-MNC` (`452-04`: three digits, a dash, two or three).
pub fn is_operator_id(s: &str) -> bool {
    match s.split_once('-') {
        Some((mcc, mnc)) => {
            mcc.len() == 3
                && (2..=3).contains(&mnc.len())
                && mcc.bytes().chain(mnc.bytes()).all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegistry {
    #[serde(default)]
    sites: Vec<SiteEntry>,
}

/// A validated site registry and the file it came from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SiteRegistry {
    /// The sites, in file order.
    pub sites: Vec<SiteEntry>,
    /// The file (`None` for a registry built in code).
    pub file: Option<PathBuf>,
    /// SHA-256 of the file's bytes, lower-case hex (empty without a file).
    pub sha256: String,
}

impl SiteRegistry {
    /// Reads and validates `path`.
    pub fn load(path: &Path) -> Result<SiteRegistry, ConfigError> {
        let bytes = std::fs::read(path).map_err(|source| ConfigError::Read {
            file: path.to_owned(),
            source,
        })?;
        let text = String::from_utf8(bytes).map_err(|e| ConfigError::Parse {
            file: path.to_owned(),
            message: format!("not UTF-8: {e}"),
            hint: None,
        })?;
        SiteRegistry::parse(&text, path)
    }

    /// Validates `text` as if read from `path` (see the module doc for what is checked); errors
    /// name the file and the key (`sites[3].operators[1]`).
    pub fn parse(text: &str, path: &Path) -> Result<SiteRegistry, ConfigError> {
        let raw: RawRegistry = toml::from_str(text).map_err(|e| ConfigError::toml(path, &e))?;
        let mut sites = raw.sites;
        validate(&mut sites).map_err(|(key, message)| ConfigError::Invalid {
            file: path.to_owned(),
            key,
            message,
        })?;
        Ok(SiteRegistry {
            sites,
            file: Some(path.to_owned()),
            sha256: hex::encode(Sha256::digest(text.as_bytes())),
        })
    }

    /// A registry of `sites` built in code (validated the same way); the error is the key and
    /// the problem.
    pub fn from_sites(mut sites: Vec<SiteEntry>) -> Result<SiteRegistry, (String, String)> {
        validate(&mut sites)?;
        Ok(SiteRegistry {
            sites,
            file: None,
            sha256: String::new(),
        })
    }
}

/// Checks every entry and puts operator names into `MCC-MNC` form.
fn validate(sites: &mut [SiteEntry]) -> Result<(), (String, String)> {
    let mut seen = std::collections::HashSet::new();
    for (i, s) in sites.iter_mut().enumerate() {
        let key = |k: &str| format!("sites[{i}]{k}");
        validate_site(&s.id).map_err(|e| (key(".id"), e.to_string()))?;
        if !seen.insert(s.id.clone()) {
            return Err((key(".id"), format!("{:?} is listed twice", s.id)));
        }
        LatLon::new(s.lat, s.lon).map_err(|e| (key(""), e.to_string()))?;
        for (j, op) in s.operators.iter_mut().enumerate() {
            let id = if is_operator_id(op) {
                op.clone()
            } else {
                match operators::resolve(op) {
                    Some(id) => id.to_owned(),
                    None => {
                        let known: Vec<&str> =
                            operators::OPERATORS.iter().map(|o| o.name).collect();
                        return Err((
                            key(&format!(".operators[{j}]")),
                            format!(
                                "`{op}` is neither MCC-MNC (452-04) nor a known operator ({})",
                                known.join(", ")
                            ),
                        ));
                    }
                }
            };
            *op = id;
        }
        let mut ops = s.operators.clone();
        ops.sort();
        if let Some(w) = ops.windows(2).find(|w| w[0] == w[1]) {
            return Err((key(".operators"), format!("{} is named twice", w[0])));
        }
        for (name, v) in [
            ("contracted_down_mbps", s.contracted_down_mbps),
            ("contracted_up_mbps", s.contracted_up_mbps),
        ] {
            if let Some(v) = v
                && !(v.is_finite() && v > 0.0)
            {
                return Err((
                    key(&format!(".{name}")),
                    format!("{v} is not a speed in Mbit/s above 0"),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<SiteRegistry, String> {
        SiteRegistry::parse(text, Path::new("/etc/coverage/sites.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn a_full_registry_parses_with_its_hash() {
        let text = "[[sites]]\nid = \"bk-01834-a\"\nlat = 22.16\nlon = 105.84\n\
                    commune = { set = \"bac-kan-2020\", code = \"01834\" }\n\
                    operators = [\"452-04\", \"VinaPhone\"]\n\
                    contracted_down_mbps = 100\ncontracted_up_mbps = 50.5\n";
        let r = parse(text).unwrap();
        assert_eq!(r.sites.len(), 1);
        let s = &r.sites[0];
        assert_eq!(s.operators, ["452-04", "452-02"], "names become codes");
        assert_eq!(s.contracted_up_mbps, Some(50.5));
        assert_eq!(
            r.sha256,
            hex::encode(Sha256::digest(text.as_bytes())),
            "the hash of the bytes read"
        );
        assert_eq!(parse("").unwrap().sites.len(), 0);
    }

    #[test]
    fn bad_entries_are_named() {
        let one = |extra: &str| format!("[[sites]]\nid = \"s1\"\nlat = 22.1\nlon = 105.8\n{extra}");
        let cases = [
            (
                one("operators = [\"452-04\", \"Beeline\"]"),
                "sites[0].operators[1]",
            ),
            (
                one("operators = [\"452-04\", \"Viettel\"]"),
                "sites[0].operators",
            ),
            (
                one("contracted_down_mbps = 0"),
                "sites[0].contracted_down_mbps",
            ),
            (
                one("contracted_up_mbps = -5"),
                "sites[0].contracted_up_mbps",
            ),
            (one("colour = \"red\""), "unknown field `colour`"),
            (format!("{}{}", one(""), one("")), "sites[1].id"),
            (
                "[[sites]]\nid = \"a b\"\nlat = 1.0\nlon = 2.0\n".into(),
                "sites[0].id",
            ),
            (
                "[[sites]]\nid = \"s\"\nlat = 91.0\nlon = 2.0\n".into(),
                "sites[0]",
            ),
        ];
        for (text, key) in cases {
            let err = parse(&text).unwrap_err();
            assert!(
                err.contains(key) && err.contains("sites.toml"),
                "{key}: {err}"
            );
        }
    }

    #[test]
    fn a_retired_site_keeps_its_entry_with_an_end_date() {
        let r = parse(
            "[[sites]]\nid = \"s1\"\nlat = 22.1\nlon = 105.8\nretired = \"2026-12-03T07:00:00Z\"\n",
        )
        .unwrap();
        let end = r.sites[0].retired.unwrap();
        assert_eq!(end.to_rfc3339(), "2026-12-03T07:00:00+00:00");
        assert!(r.sites[0].in_service_from(end - chrono::Duration::hours(1)));
        assert!(!r.sites[0].in_service_from(end));
        let err = parse("[[sites]]\nid = \"s1\"\nlat = 22.1\nlon = 105.8\nretired = \"soon\"\n")
            .unwrap_err();
        assert!(err.contains("retired"), "{err}");
    }

    #[test]
    fn operator_ids() {
        assert!(is_operator_id("452-04"));
        assert!(is_operator_id("310-260"));
        assert!(!is_operator_id("45204"));
        assert!(!is_operator_id("452-4"));
        assert!(!is_operator_id("Viettel"));
    }
}

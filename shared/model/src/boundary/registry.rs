//! The boundary sets this project knows, the set in force on a date, and the 2020→2025 code
//! mapping, loaded together so that the mapping is checked against both sets once, at load.

use std::path::Path;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

use super::{BoundaryError, BoundarySet, SetInfo};
use crate::wire::CommuneRef;

/// File name of the 2020→2025 mapping table in a boundary directory.
pub const MAPPING_2020_TO_2025_FILE: &str = "bac-kan-2020-to-2025.csv";

/// Offset of Vietnamese legal time (Asia/Ho_Chi_Minh, UTC+7, no daylight saving since 1975):
/// a resolution "in force from 2025-07-01" is in force from midnight there.
const VIETNAM_LEGAL_TIME: FixedOffset = match FixedOffset::east_opt(7 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+7 is a valid offset"),
};

/// The boundary sets (`bac-kan-2020`, `thai-nguyen-2025`) and the mapping between their codes.
///
/// Build it once ([`Self::from_dir`], [`Self::parse`] or, with the `embedded` feature,
/// `Self::embedded`) and share it (`Arc`): it is `Send + Sync` and every query takes `&self`.
#[derive(Debug)]
pub struct BoundaryRegistry {
    /// In [`SetInfo::KNOWN`] order, which is also validity order.
    sets: Vec<BoundarySet>,
    /// (2020 code, 2025 code), sorted by the 2020 code.
    map_2020_to_2025: Vec<(String, String)>,
}

impl BoundaryRegistry {
    /// Builds the registry from the bytes of the two GeoJSON files and the mapping CSV. No I/O.
    ///
    /// Besides parsing, checks that the mapping covers every 2020 commune exactly once, names only
    /// codes that exist in their sets, and agrees with the sets' own `code_2025` and `codes_2020`
    /// properties.
    pub fn parse(
        bac_kan_2020_geojson: &[u8],
        thai_nguyen_2025_geojson: &[u8],
        mapping_csv: &[u8],
    ) -> Result<Self, BoundaryError> {
        let old = BoundarySet::from_geojson(SetInfo::BAC_KAN_2020, bac_kan_2020_geojson)?;
        let new = BoundarySet::from_geojson(SetInfo::THAI_NGUYEN_2025, thai_nguyen_2025_geojson)?;
        let map_2020_to_2025 = parse_mapping(mapping_csv, &old, &new)?;
        Ok(Self {
            sets: vec![old, new],
            map_2020_to_2025,
        })
    }

    /// Reads the files of a boundary directory (such as the repository's `data/boundaries`) by
    /// their names ([`SetInfo::file`], [`MAPPING_2020_TO_2025_FILE`]) and builds the registry.
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Self, BoundaryError> {
        let dir = dir.as_ref();
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read(&path).map_err(|source| BoundaryError::Io { path, source })
        };
        Self::parse(
            &read(&SetInfo::BAC_KAN_2020.file)?,
            &read(&SetInfo::THAI_NGUYEN_2025.file)?,
            &read(MAPPING_2020_TO_2025_FILE)?,
        )
    }

    /// Builds the registry from the files of `data/boundaries`, compiled into the binary.
    #[cfg(feature = "embedded")]
    pub fn embedded() -> Result<Self, BoundaryError> {
        Self::parse(
            include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../data/boundaries/bac-kan-communes-2020.geojson"
            )),
            include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../data/boundaries/thai-nguyen-communes-2025.geojson"
            )),
            include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../data/boundaries/bac-kan-2020-to-2025.csv"
            )),
        )
    }

    /// All sets, oldest first.
    pub fn sets(&self) -> &[BoundarySet] {
        &self.sets
    }

    /// The set called `name`; the error lists the names that exist.
    pub fn get(&self, name: &str) -> Result<&BoundarySet, BoundaryError> {
        self.sets
            .iter()
            .find(|set| set.name() == name)
            .ok_or_else(|| BoundaryError::UnknownSet {
                name: name.to_owned(),
                known: self
                    .sets
                    .iter()
                    .map(BoundarySet::name)
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// The set in force on a calendar date (Vietnamese legal date), `None` before 2020-02-01.
    pub fn in_force_on(&self, date: NaiveDate) -> Option<&BoundarySet> {
        self.sets.iter().find(|set| set.info().is_valid_on(date))
    }

    /// The set in force at an instant: the one valid on that instant's date in Vietnam (UTC+7),
    /// so 2025-06-30T17:00:00Z, midnight of 1 July in Vietnam, is already in the 2025 set.
    pub fn in_force_at(&self, ts: DateTime<Utc>) -> Option<&BoundarySet> {
        self.in_force_on(ts.with_timezone(&VIETNAM_LEGAL_TIME).date_naive())
    }

    /// The `thai-nguyen-2025` code of the unit a `bac-kan-2020` commune was merged into
    /// (`None` for a code that is not a 2020 commune). Every 2020 commune maps whole to one unit.
    pub fn map_2020_to_2025(&self, code_2020: &str) -> Option<&str> {
        self.map_2020_to_2025
            .binary_search_by(|(old, _)| old.as_str().cmp(code_2020))
            .ok()
            .map(|i| self.map_2020_to_2025[i].1.as_str())
    }

    /// Whether the commune a site was configured for, `configured` (set and code), is the one it
    /// is located in: `located`, a commune code of the set named `located_set` (`None` when the
    /// site is in no commune of it), comparing across sets through the 2020→2025 mapping.
    ///
    /// `None` when the comparison cannot be made: `configured` or `located_set` names an unknown
    /// set, or the configured code is not a commune of its set.
    pub fn matches_configured(
        &self,
        configured: &CommuneRef,
        located_set: &str,
        located: Option<&str>,
    ) -> Option<bool> {
        let conf_set = self.get(&configured.set).ok()?;
        let loc_set = self.get(located_set).ok()?;
        conf_set.commune(&configured.code)?;
        if conf_set.name() == loc_set.name() {
            return Some(located == Some(configured.code.as_str()));
        }
        Some(
            match (
                conf_set.info().valid_from < loc_set.info().valid_from,
                located,
            ) {
                // Configured on the older set: map its code forward.
                (true, located) => self.map_2020_to_2025(&configured.code) == located,
                // Configured on the newer set: map the located old code forward.
                (false, Some(code)) => {
                    self.map_2020_to_2025(code) == Some(configured.code.as_str())
                }
                (false, None) => false,
            },
        )
    }
}

/// Reads the mapping CSV (columns `old_code`, `new_code` by name) and checks it against the sets.
fn parse_mapping(
    csv_bytes: &[u8],
    old: &BoundarySet,
    new: &BoundarySet,
) -> Result<Vec<(String, String)>, BoundaryError> {
    let file = MAPPING_2020_TO_2025_FILE;
    let csv_err = |source| BoundaryError::Csv {
        file: file.to_owned(),
        source,
    };
    let problem = |line: u64, problem: String| BoundaryError::Mapping {
        file: file.to_owned(),
        line,
        problem,
    };
    let mut reader = csv::Reader::from_reader(csv_bytes);
    let headers = reader.headers().map_err(csv_err)?.clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| problem(1, format!("no column `{name}`")))
    };
    let (old_col, new_col) = (column("old_code")?, column("new_code")?);

    let mut pairs: Vec<(String, String, u64)> = Vec::new();
    for (row, record) in (0u64..).zip(reader.records()) {
        let record = record.map_err(csv_err)?;
        // No field of this table spans lines, so data row `n` (from 0) is line `n + 2`.
        let line = row + 2;
        let old_code = record.get(old_col).unwrap_or("").trim();
        let new_code = record.get(new_col).unwrap_or("").trim();
        let Some(commune) = old.commune(old_code) else {
            return Err(problem(
                line,
                format!("old_code `{old_code}` is not a commune of {}", old.name()),
            ));
        };
        let Some(unit) = new.commune(new_code) else {
            return Err(problem(
                line,
                format!("new_code `{new_code}` is not a commune of {}", new.name()),
            ));
        };
        if commune.code_2025.as_deref().is_some_and(|c| c != new_code) {
            return Err(problem(
                line,
                format!(
                    "maps {old_code} to {new_code}, but {} says code_2025 = {}",
                    old.info().file,
                    commune.code_2025.as_deref().unwrap_or_default()
                ),
            ));
        }
        if !unit.codes_2020.is_empty() && !unit.codes_2020.iter().any(|c| c == old_code) {
            return Err(problem(
                line,
                format!(
                    "maps {old_code} to {new_code}, but {} lists codes_2020 = {} for {new_code}",
                    new.info().file,
                    unit.codes_2020.join(",")
                ),
            ));
        }
        pairs.push((old_code.to_owned(), new_code.to_owned(), line));
    }
    pairs.sort();
    if let Some(w) = pairs.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(problem(
            w[1].2,
            format!("old_code {} is mapped twice (also line {})", w[1].0, w[0].2),
        ));
    }
    if let Some(missing) = old
        .communes()
        .iter()
        .find(|c| pairs.binary_search_by(|p| p.0.cmp(&c.code)).is_err())
    {
        return Err(problem(
            0,
            format!("no row for {} commune {}", old.name(), missing.code),
        ));
    }
    Ok(pairs.into_iter().map(|(o, n, _)| (o, n)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> BoundaryRegistry {
        BoundaryRegistry::from_dir(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../data/boundaries"
        ))
        .expect("data/boundaries loads")
    }

    fn commune(set: &str, code: &str) -> CommuneRef {
        CommuneRef {
            set: set.to_owned(),
            code: code.to_owned(),
        }
    }

    #[test]
    fn matches_configured_within_and_across_sets() {
        let r = registry();
        let (old, new) = ("bac-kan-2020", "thai-nguyen-2025");
        // 01834 (2020) was merged whole into 01840 (2025); 01837 into 01843.
        assert_eq!(r.map_2020_to_2025("01834"), Some("01840"));
        // Same set: the code itself.
        let c = commune(old, "01834");
        assert_eq!(r.matches_configured(&c, old, Some("01834")), Some(true));
        assert_eq!(r.matches_configured(&c, old, Some("01837")), Some(false));
        assert_eq!(r.matches_configured(&c, old, None), Some(false));
        // Configured on 2020, located on 2025: the 2020 code mapped forward.
        assert_eq!(r.matches_configured(&c, new, Some("01840")), Some(true));
        assert_eq!(r.matches_configured(&c, new, Some("01843")), Some(false));
        assert_eq!(r.matches_configured(&c, new, None), Some(false));
        // Configured on 2025, located on 2020: the located code mapped forward.
        let c = commune(new, "01840");
        assert_eq!(r.matches_configured(&c, old, Some("01834")), Some(true));
        assert_eq!(r.matches_configured(&c, old, Some("01837")), Some(false));
        assert_eq!(r.matches_configured(&c, old, None), Some(false));
        assert_eq!(r.matches_configured(&c, new, Some("01840")), Some(true));
    }

    #[test]
    fn matches_configured_cannot_compare_unknown_sets_or_codes() {
        let r = registry();
        let old = "bac-kan-2020";
        assert_eq!(
            r.matches_configured(&commune("nope", "01834"), old, Some("01834")),
            None
        );
        assert_eq!(
            r.matches_configured(&commune(old, "99999"), old, Some("01834")),
            None
        );
        assert_eq!(
            r.matches_configured(&commune(old, "01834"), "nope", Some("01834")),
            None
        );
    }
}

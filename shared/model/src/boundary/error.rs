//! Errors of loading boundary sets: one enum, each variant naming the file, the set, the feature
//! and what is wrong with it, so a broken boundary file can be fixed from the message alone.

use std::fmt;
use std::path::PathBuf;

/// Where in a GeoJSON file a problem was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureAt {
    /// The boundary set being built (`bac-kan-2020`).
    pub set: String,
    /// The file the set is read from (`bac-kan-communes-2020.geojson`).
    pub file: String,
    /// Zero-based index of the feature in the collection's `features` array.
    pub index: usize,
    /// The feature's commune code, when it could be read: people search files by code, not index.
    pub code: Option<String>,
}

impl fmt::Display for FeatureAt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (set {}), feature {}",
            self.file, self.set, self.index
        )?;
        if let Some(code) = &self.code {
            write!(f, " (commune {code})")?;
        }
        Ok(())
    }
}

/// Why a boundary set, the 2020→2025 mapping or a registry could not be built or queried.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BoundaryError {
    /// A boundary file could not be read (only [`super::BoundaryRegistry::from_dir`] reads files).
    #[error("cannot read boundary file {}", path.display())]
    Io {
        /// The file that was read.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The bytes are not a GeoJSON `FeatureCollection` (bad JSON, wrong `type`, bad positions).
    #[error("{file} (set {set}): not a GeoJSON FeatureCollection")]
    Json {
        /// The set being built.
        set: String,
        /// The file it comes from.
        file: String,
        /// The parser's message, with line and column.
        source: serde_json::Error,
    },
    /// The collection has no features: a set without communes places nothing.
    #[error("{file} (set {set}): no features")]
    Empty {
        /// The set being built.
        set: String,
        /// The file it comes from.
        file: String,
    },
    /// A feature lacks a property the set needs.
    #[error("{at}: missing property `{property}`")]
    MissingProperty {
        /// The feature.
        at: FeatureAt,
        /// The property's name.
        property: &'static str,
    },
    /// A property is present but unusable (wrong JSON type, empty, contradicting the set).
    #[error("{at}: property `{property}` {problem}")]
    BadProperty {
        /// The feature.
        at: FeatureAt,
        /// The property's name.
        property: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// A feature has no geometry (`"geometry": null`).
    #[error("{at}: no geometry")]
    MissingGeometry {
        /// The feature.
        at: FeatureAt,
    },
    /// A feature's geometry is not an area.
    #[error("{at}: geometry is a {found}, expected a Polygon or MultiPolygon")]
    NotPolygon {
        /// The feature.
        at: FeatureAt,
        /// The GeoJSON type found (`Point`, `LineString`, ...).
        found: &'static str,
    },
    /// A polygon that cannot be used for lookup (empty, too few positions, coordinates out of range).
    #[error("{at}: invalid geometry: {problem}")]
    BadGeometry {
        /// The feature.
        at: FeatureAt,
        /// What is wrong with it.
        problem: String,
    },
    /// Two features carry the same commune code: lookups by code would be ambiguous.
    #[error("{at}: commune code appears twice (also feature {first})")]
    DuplicateCode {
        /// The later feature.
        at: FeatureAt,
        /// Index of the earlier feature with the same code.
        first: usize,
    },
    /// The mapping CSV is not valid CSV.
    #[error("{file}: not valid CSV")]
    Csv {
        /// The mapping file.
        file: String,
        /// The CSV reader's message, with the position.
        source: csv::Error,
    },
    /// The mapping CSV is valid CSV but disagrees with itself or with the boundary sets.
    #[error("{file}: line {line}: {problem}")]
    Mapping {
        /// The mapping file.
        file: String,
        /// One-based line number (1 is the header; 0 when the problem is the whole file).
        line: u64,
        /// What is wrong.
        problem: String,
    },
    /// A set name that the registry does not hold.
    #[error("unknown boundary set `{name}`; known sets: {known}")]
    UnknownSet {
        /// The name asked for.
        name: String,
        /// The names the registry holds, comma-separated.
        known: String,
    },
}

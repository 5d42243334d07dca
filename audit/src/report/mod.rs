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

mod build;
pub mod explain;
mod model;

pub use build::{ReportInputs, build_report};
pub use model::*;

//! The site registry's entry: a site's surveyed position and the commune it was installed for.
//!
//! One definition for the collector's `[[sites]]` (its enrich stage places readings with it)
//! and the audit (which places every site itself). Invariant: `commune`, when given, is only
//! checked against the located commune, never used to move the site.

use serde::{Deserialize, Serialize};

use crate::wire::CommuneRef;

/// One site of the registry (`[[sites]]` in the collector config).
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
}

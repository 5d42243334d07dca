//! `GET /api/v1/sets` (the boundary sets) and `GET /api/v1/sites` (the coordinator's latest
//! site statuses, `?status=` to filter).

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use serde::Serialize;

use super::{ApiError, ApiState, Params};
use crate::coordinator::status::{SiteStatus, Status};

/// One boundary set as `/api/v1/sets` lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SetSummary {
    /// Name (`bac-kan-2020`).
    pub name: String,
    /// First day in force.
    pub valid_from: String,
    /// Last day in force (`null`: still in force).
    pub valid_until: Option<String>,
    /// Communes in the set.
    pub communes: usize,
    /// Districts (0 for a set without a district level).
    pub districts: usize,
    /// Whether the set is in force today (UTC date).
    pub in_force: bool,
}

/// `GET /api/v1/sets`.
pub async fn sets(
    State(s): State<ApiState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<serde_json::Value>, ApiError> {
    Params::parse(raw.as_deref(), &[])?;
    let today = chrono::Utc::now().date_naive();
    let sets: Vec<SetSummary> = s
        .boundaries
        .sets()
        .iter()
        .map(|set| {
            let info = set.info();
            SetSummary {
                name: set.name().to_owned(),
                valid_from: info.valid_from.to_string(),
                valid_until: info.valid_until.map(|d| d.to_string()),
                communes: set.communes().len(),
                districts: set.districts().len(),
                in_force: info.is_valid_on(today),
            }
        })
        .collect();
    Ok(Json(serde_json::json!({ "sets": sets })))
}

/// The `/api/v1/sites` answer.
#[derive(Debug, Clone, Serialize)]
pub struct SitesAnswer {
    /// The pass the statuses come from (the coordinator's clock), RFC 3339.
    pub at: String,
    /// Sites per status, over every site (not only the filtered ones).
    pub counts: std::collections::BTreeMap<&'static str, usize>,
    /// The sites, by id.
    pub sites: Vec<SiteStatus>,
}

/// `GET /api/v1/sites?status=alive|stale|silent|unregistered`.
pub async fn sites(
    State(s): State<ApiState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<SitesAnswer>, ApiError> {
    let params = Params::parse(raw.as_deref(), &["status"])?;
    let wanted = match params.one("status")? {
        None => None,
        Some(v) => Some(Status::parse(v).ok_or_else(|| {
            ApiError::bad(
                "status",
                format!("`{v}` is not a status: alive, stale, silent or unregistered"),
            )
        })?),
    };
    let board = s.board.as_ref().ok_or_else(|| {
        ApiError::status(
            StatusCode::SERVICE_UNAVAILABLE,
            "site status is computed by the coordinator; this instance is not it \
             ([coordinator] enabled = false): ask the coordinator's /api/v1/sites",
        )
    })?;
    let Some(snapshot) = board.latest() else {
        let mut e = ApiError::status(
            StatusCode::SERVICE_UNAVAILABLE,
            "the coordinator has not finished its first site status pass yet",
        );
        e.retry_after = Some(5);
        return Err(e);
    };
    let mut counts: std::collections::BTreeMap<&'static str, usize> =
        Status::ALL.iter().map(|st| (st.as_str(), 0)).collect();
    for site in &snapshot.sites {
        *counts.entry(site.status.as_str()).or_default() += 1;
    }
    let sites = snapshot
        .sites
        .into_iter()
        .filter(|site| wanted.is_none_or(|w| site.status == w))
        .collect();
    Ok(Json(SitesAnswer {
        at: snapshot.at,
        counts,
        sites,
    }))
}

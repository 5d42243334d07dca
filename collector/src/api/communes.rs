//! `GET /api/v1/communes?set=&window=&service=&operator=`: the latest `commune_coverage`
//! point (docs/operations.md) of every commune, service and operator of a set, from the
//! `rollups` retention policy.
//!
//! On InfluxDB: `SELECT * FROM "rollups"."commune_coverage" WHERE set/window(/service/operator)
//! GROUP BY commune, service, operator ORDER BY time DESC LIMIT 1`, so each point comes whole
//! from one window (`last(*)` would pick every field from its own newest point, mixing a day's
//! verdict with an older day's share when a field is absent). No time bound: the latest point
//! whatever its age (the demo's rollups lie in its simulated past); each point carries its
//! `time`. In archive mode (the demo) the coordinator's `rollups.lp` is read with the audit's
//! archive parser, newest point per key. Every tag and field of the point is passed through,
//! with the names of the contract.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use chrono::{DateTime, SecondsFormat, Utc};
use coverage_audit::source::archive::archive_point;
use coverage_audit::source::influxql::quote;
use coverage_shared::schema::{derived, rp, tag};
use influxdb_line_protocol::FieldValue;
use serde_json::{Map, Value};

use super::{ApiError, ApiState, Params};
use crate::coordinator::store::{Series, Store};

/// The windows a commune point can have.
pub const WINDOWS: [&str; 2] = ["1d", "1h"];

/// What to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommuneQuery {
    /// Boundary set.
    pub set: String,
    /// `1d` or `1h`.
    pub window: String,
    /// `mobile` or `fibre`; `None`: both.
    pub service: Option<String>,
    /// `MCC-MNC` or `any`; `None`: every one.
    pub operator: Option<String>,
}

impl CommuneQuery {
    /// The InfluxQL statement (module doc).
    pub fn statement(&self) -> String {
        let mut filter = format!(
            "\"{}\" = {} AND \"{}\" = {}",
            tag::SET,
            quote(&self.set),
            derived::tag::WINDOW,
            quote(&self.window)
        );
        if let Some(s) = &self.service {
            filter.push_str(&format!(
                " AND \"{}\" = {}",
                derived::tag::SERVICE,
                quote(s)
            ));
        }
        if let Some(o) = &self.operator {
            filter.push_str(&format!(" AND \"{}\" = {}", tag::OPERATOR, quote(o)));
        }
        format!(
            "SELECT * FROM \"{}\".\"{}\" WHERE {filter} GROUP BY \"{}\", \"{}\", \"{}\" \
             ORDER BY time DESC LIMIT 1",
            rp::ROLLUPS,
            derived::COMMUNE_COVERAGE,
            tag::COMMUNE,
            derived::tag::SERVICE,
            tag::OPERATOR
        )
    }

    fn matches(&self, tag_of: impl Fn(&str) -> Option<String>) -> bool {
        let is = |k: &str, want: &str| tag_of(k).as_deref() == Some(want);
        is(tag::SET, &self.set)
            && is(derived::tag::WINDOW, &self.window)
            && self
                .service
                .as_deref()
                .is_none_or(|s| is(derived::tag::SERVICE, s))
            && self
                .operator
                .as_deref()
                .is_none_or(|o| is(tag::OPERATOR, o))
    }
}

fn rfc3339(ms: i64) -> Value {
    DateTime::<Utc>::from_timestamp_millis(ms).map_or(Value::Null, |t| {
        Value::String(t.to_rfc3339_opts(SecondsFormat::Secs, true))
    })
}

/// Key of a point: (commune, service, operator).
type Key = (String, String, String);

fn key_of(point: &Map<String, Value>) -> Key {
    let s = |k: &str| {
        point
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    (s(tag::COMMUNE), s(derived::tag::SERVICE), s(tag::OPERATOR))
}

/// The points of an InfluxQL answer to [`CommuneQuery::statement`], one per series.
pub fn points_of(series: &[Series]) -> Vec<Map<String, Value>> {
    let mut out = Vec::new();
    for s in series {
        let Some(row) = s.values.first() else {
            continue;
        };
        let mut point: Map<String, Value> = s
            .tags
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        for (name, cell) in s.columns.iter().zip(row) {
            if cell.is_null() {
                continue;
            }
            let value = if name == "time" {
                cell.as_i64().map_or(Value::Null, rfc3339)
            } else {
                cell.clone()
            };
            point.insert(name.clone(), value);
        }
        out.push(point);
    }
    out.sort_by_key(key_of);
    out
}

fn field_json(v: &FieldValue<'_>) -> Value {
    match v {
        FieldValue::I64(i) => Value::from(*i),
        FieldValue::U64(u) => Value::from(*u),
        FieldValue::F64(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        FieldValue::String(s) => Value::String(s.to_string()),
        FieldValue::Boolean(b) => Value::Bool(*b),
    }
}

/// The newest matching `commune_coverage` point per key in line-protocol `text` (a later line
/// with the same time overwrites, as a rewrite does in InfluxDB).
pub fn points_in_lines(text: &str, q: &CommuneQuery) -> Vec<Map<String, Value>> {
    let mut newest: BTreeMap<Key, (i64, Map<String, Value>)> = BTreeMap::new();
    for line in text.lines() {
        let Some((p, ts)) = archive_point(line) else {
            continue;
        };
        if p.series.measurement.as_str() != derived::COMMUNE_COVERAGE
            || !q.matches(|k| p.tag_value(k).map(|v| v.to_string()))
        {
            continue;
        }
        let mut point = Map::new();
        point.insert("time".into(), rfc3339(ts));
        for (k, v) in p.series.tag_set.iter().flatten() {
            point.insert(k.to_string(), Value::String(v.to_string()));
        }
        for (k, v) in &p.field_set {
            point.insert(k.to_string(), field_json(v));
        }
        let key = key_of(&point);
        match newest.get(&key) {
            Some((t, _)) if *t > ts => {}
            _ => {
                newest.insert(key, (ts, point));
            }
        }
    }
    newest.into_values().map(|(_, p)| p).collect()
}

/// `GET /api/v1/communes`.
pub async fn communes(
    State(s): State<ApiState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let params = Params::parse(raw.as_deref(), &["set", "window", "service", "operator"])?;
    let set = match params.one("set")? {
        Some(name) => s.boundaries.get(name).map_err(|_| {
            let known: Vec<&str> = s.boundaries.sets().iter().map(|b| b.name()).collect();
            ApiError::bad(
                "set",
                format!("unknown set `{name}`; known: {}", known.join(", ")),
            )
        })?,
        None => s
            .boundaries
            .in_force_at(Utc::now())
            .ok_or_else(|| ApiError::bad("set", "no set is in force today: name one"))?,
    };
    let window = params.one("window")?.unwrap_or("1d");
    if !WINDOWS.contains(&window) {
        return Err(ApiError::bad(
            "window",
            format!("`{window}` is not a window: 1d (a local day) or 1h"),
        ));
    }
    let service = params.one("service")?;
    if let Some(sv) = service
        && !["mobile", "fibre"].contains(&sv)
    {
        return Err(ApiError::bad(
            "service",
            format!("`{sv}` is not a service: mobile or fibre"),
        ));
    }
    let operator = params.one("operator")?;
    if let Some(op) = operator
        && op != "any"
        && !coverage_shared::site::is_operator_id(op)
    {
        return Err(ApiError::bad(
            "operator",
            format!("`{op}` is neither MCC-MNC (452-04) nor any"),
        ));
    }
    let q = CommuneQuery {
        set: set.name().to_owned(),
        window: window.to_owned(),
        service: service.map(str::to_owned),
        operator: operator.map(str::to_owned),
    };
    let points = match &s.store {
        Some(Store::Influx(influx)) => {
            let series = influx
                .query(&q.statement())
                .await
                .map_err(|e| ApiError::store(&e))?;
            points_of(&series)
        }
        Some(Store::Archive(archive)) => {
            let path = archive.rollups.clone();
            let q2 = q.clone();
            tokio::task::spawn_blocking(move || match std::fs::read_to_string(&path) {
                Ok(text) => Ok(points_in_lines(&text, &q2)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
                Err(e) => Err(e),
            })
            .await
            .map_err(|e| ApiError::store(&e))?
            .map_err(|e| ApiError::store(&e))?
        }
        None => {
            return Err(ApiError::status(
                StatusCode::SERVICE_UNAVAILABLE,
                "no store is configured",
            ));
        }
    };
    Ok(Json(serde_json::json!({
        "set": q.set,
        "window": q.window,
        "points": points,
    })))
}

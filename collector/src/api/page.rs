//! `GET /?set=&lang=`: the live map. One self-contained page: the audit report's SVG map of the
//! set (`coverage_audit::render::html::map::blank_svg`, the same drawing as the report's, not a
//! second one), its legend and style sheet, a site table, and a script (`page/live.js`) that
//! fetches `/api/v1/communes` (the latest daily rollup: `period_verdict`, mobile, `any`) and
//! `/api/v1/sites` every [`REFRESH_S`] seconds, colours the communes, and draws the sites by
//! status. No external resource (no CDN, no font, no image); every word comes from the
//! catalogue (`coverage_shared::text`, tables `live`, `report`, `html`) in Vietnamese or
//! English (`?lang=`, else `Accept-Language`).

use std::fmt::Write as _;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use coverage_audit::render::html::{self as report_html, map};
use coverage_audit::{FibreVerdict, MobileVerdict};
use coverage_shared::text::{self, Lang};
use html_escape::{encode_double_quoted_attribute as attr, encode_text as esc};

use super::audit::language;
use super::{ApiError, ApiState, Params};
use crate::coordinator::status::Status;

/// Seconds between two refreshes of the page's data.
pub const REFRESH_S: u32 = 30;

/// The page's own style rules (after the report's style sheet).
const LIVE_CSS: &str = include_str!("page/live.css");
/// The page's script.
const LIVE_JS: &str = include_str!("page/live.js");

/// The status word of `s`.
pub fn status_label(t: &text::Catalogue, s: Status) -> &'static str {
    match s {
        Status::Alive => t.live.status_alive,
        Status::Stale => t.live.status_stale,
        Status::Silent => t.live.status_silent,
        Status::Unregistered => t.live.status_unregistered,
    }
}

/// JSON for a `<script type="application/json">`: `</` cannot close the element.
fn script_json(v: &serde_json::Value) -> String {
    v.to_string().replace("</", "<\\/")
}

/// The page for `set` in `lang` (pure: the same set and language give the same bytes).
pub fn render(set: &coverage_shared::boundary::BoundarySet, lang: Lang) -> String {
    let t = text::catalogue(lang);
    let l = t.live;
    let mut o = String::with_capacity(600 * 1024);
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>\n{}{LIVE_CSS}</style>\n</head>\n<body>\n",
        lang.code(),
        esc(l.title),
        report_html::STYLE
    );
    let other = match lang {
        Lang::En => Lang::Vi,
        Lang::Vi => Lang::En,
    };
    let _ = writeln!(
        o,
        "<header>\n<p class=\"lang\"><a href=\"?set={}&amp;lang={}\" lang=\"{}\">{}</a></p>\n\
         <h1>{}</h1>\n<p class=\"sub\">{}</p>\n</header>",
        attr(set.name()),
        other.code(),
        other.code(),
        esc(l.other_language),
        esc(l.title),
        esc(&text::fill(l.map_caption, &[("set", &set.name())]))
    );
    let _ = writeln!(
        o,
        "<section id=\"map-section\">\n<h2>{}</h2>\n<div class=\"map-wrap\">\n<figure>{}</figure>",
        esc(t.html.map),
        map::blank_svg(set, t)
    );
    report_html::legend(&mut o, set, t);
    let _ = writeln!(
        o,
        "<aside class=\"legend\">\n<h3>{}</h3>\n<ul>",
        esc(l.legend_status)
    );
    for s in Status::ALL {
        let _ = writeln!(
            o,
            "<li><span class=\"st-dot st-{}\"></span>{}</li>",
            s.as_str(),
            esc(status_label(t, s))
        );
    }
    o.push_str("</ul>\n</aside>\n</div>\n<p id=\"live-state\" class=\"note\"></p>\n</section>\n");
    let _ = writeln!(
        o,
        "<section id=\"sites-section\">\n<h2>{}</h2>\n<p id=\"counts\"></p>\n<table id=\"sites\">\n\
         <thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>\n\
         <tbody></tbody>\n</table>\n</section>",
        esc(l.sites),
        esc(l.col_site),
        esc(l.col_status),
        esc(l.col_commune),
        esc(l.col_last_seen),
        esc(l.col_agent),
        esc(l.col_spool),
        esc(l.col_clock)
    );
    let mut verdicts = serde_json::Map::new();
    for v in [
        MobileVerdict::Covered,
        MobileVerdict::NotCovered,
        MobileVerdict::InsufficientData,
        MobileVerdict::NoSite,
    ] {
        verdicts.insert(v.as_str().into(), report_html::mobile_label(t, v).into());
    }
    for v in [FibreVerdict::Connected, FibreVerdict::NotConnected] {
        verdicts.insert(v.as_str().into(), report_html::fibre_label(t, v).into());
    }
    let status: serde_json::Map<String, serde_json::Value> = Status::ALL
        .into_iter()
        .map(|s| (s.as_str().to_owned(), status_label(t, s).into()))
        .collect();
    let config = serde_json::json!({
        "set": set.name(),
        "lang": lang.code(),
        "refresh_s": REFRESH_S,
        "projection": map::Projection::fit(set).params(),
        "words": {
            "verdicts": verdicts,
            "status": status,
            "updated": l.updated,
            "refresh_note": l.refresh_note,
            "minutes_ago": l.minutes_ago,
            "seconds_ago": l.seconds_ago,
            "never": l.never,
            "clock_synced": l.clock_synced,
            "clock_not_synced": l.clock_not_synced,
            "no_rollups": l.no_rollups,
            "fetch_failed": l.fetch_failed,
            "counts": l.counts,
        },
    });
    let _ = write!(
        o,
        "<script type=\"application/json\" id=\"live-config\">{}</script>\n<script>\n{LIVE_JS}</script>\n</body>\n</html>\n",
        script_json(&config)
    );
    o
}

/// `GET /`.
pub async fn page(
    State(s): State<ApiState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let params = Params::parse(raw.as_deref(), &["set", "lang"])?;
    let lang = language(params.one("lang")?, &headers)?;
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
            .in_force_at(chrono::Utc::now())
            .or_else(|| s.boundaries.sets().last())
            .ok_or_else(|| ApiError::bad("set", "no boundary set is loaded"))?,
    };
    let mut resp = render(set, lang).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    // Nothing but this page's own inline style and script, and fetches to this origin.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; \
             connect-src 'self'; img-src 'self' data:",
        ),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept-Language"));
    Ok(resp)
}

//! The API on a real loopback listener, over HTTP: parameters, the token, the answers built
//! from a status board and an archive store, and what never leaves (secrets).

use std::sync::Arc;

use coverage_shared::boundary::BoundaryRegistry;
use coverage_shared::secret::Secret;
use serde_json::Value;

use super::audit::AuditRunner;
use super::*;
use crate::coordinator::status::{SiteStatus, Status, StatusBoard, StatusSnapshot};
use crate::coordinator::store::{ArchiveStore, Store};

const TOKEN: &str = "s3cret-token-0123456789";

struct Server {
    base: String,
    _dir: tempfile::TempDir,
    state: ApiState,
}

fn site(id: &str, status: Status) -> SiteStatus {
    SiteStatus {
        site: id.into(),
        status,
        registered: status != Status::Unregistered,
        set: Some("bac-kan-2020".into()),
        province: Some("06".into()),
        district: Some("058".into()),
        commune: Some("01834".into()),
        commune_name: Some("Phường Nguyễn Thị Minh Khai".into()),
        lat: Some(22.162534),
        lon: Some(105.844234),
        last_reading: None,
        last_reading_age_s: Some(12.0),
        last_heartbeat: None,
        last_heartbeat_age_s: None,
        agent: Some("0.1.0".into()),
        uptime_s: None,
        interval_s: Some(60),
        spool_depth: Some(0),
        spool_dropped: Some(0),
        clock_synced: Some(true),
        clock_sync_age_s: None,
        completeness: None,
    }
}

async fn start(token: Option<&str>, rollups: &str) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("coverage.lp");
    std::fs::write(dir.path().join("rollups.lp"), rollups).unwrap();
    let board = StatusBoard::default();
    board.publish(StatusSnapshot {
        at: "2025-11-01T07:00:00Z".into(),
        sites: vec![
            site("a", Status::Alive),
            site("b", Status::Silent),
            site("x", Status::Unregistered),
        ],
    });
    let state = ApiState {
        metrics: Arc::new(crate::metrics::Metrics::new()),
        token: token.map(Secret::from_file_contents),
        boundaries: Arc::new(BoundaryRegistry::embedded().unwrap()),
        board: Some(board),
        store: Some(Store::Archive(ArchiveStore::new(&archive))),
        audits: Arc::new(AuditRunner::new(
            coverage_audit::AuditConfig::default(),
            None,
            vec![archive],
            ApiConfig::default(),
        )),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = router(state.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Server {
        base,
        _dir: dir,
        state,
    }
}

fn client() -> reqwest::Client {
    coverage_net::tls::ensure_crypto_provider();
    reqwest::Client::new()
}

async fn get(url: &str, token: Option<&str>) -> (u16, String) {
    let client = client();
    let mut req = client.get(url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// One `commune_coverage` point of the contract (docs/operations.md).
fn commune_line(commune: &str, operator: &str, verdict: &str, day: i64) -> String {
    format!(
        "commune_coverage,set=bac-kan-2020,window=1d,service=mobile,operator={operator},province=06,\
         commune={commune},commune_name=X\\ {commune} verdict=\"insufficient_data\",\
         period_verdict=\"{verdict}\",counted=10i,usable=9i,period_usable_share=0.9 {}\n",
        day * 86_400_000
    )
}

#[tokio::test]
async fn bad_parameters_get_400_naming_the_parameter() {
    let s = start(None, "").await;
    for (path, parameter) in [
        ("/api/v1/communes?set=nope", "set"),
        ("/api/v1/communes?window=2h", "window"),
        ("/api/v1/communes?service=tv", "service"),
        ("/api/v1/communes?operator=Viettel", "operator"),
        ("/api/v1/communes?colour=red", "colour"),
        ("/api/v1/sites?status=dead", "status"),
        ("/api/v1/sites?status=alive&status=silent", "status"),
        ("/api/v1/audit?to=2025-11-02", "from"),
        ("/api/v1/audit?from=2025-11-01", "to"),
        ("/api/v1/audit?from=yesterday&to=2025-11-02", "from"),
        ("/api/v1/audit?from=2025-11-02&to=2025-11-01", "to"),
        ("/api/v1/audit?from=2025-01-01&to=2025-11-01", "to"),
        (
            "/api/v1/audit?from=2025-11-01&to=2025-11-02&claim=mobile:parishes:100",
            "claim",
        ),
        (
            "/api/v1/audit?from=2025-11-01&to=2025-11-02&format=pdf",
            "format",
        ),
        (
            "/api/v1/audit?from=2025-11-01&to=2025-11-02&lang=fr",
            "lang",
        ),
        (
            "/api/v1/audit?from=2025-11-01&to=2025-11-02&set=atlantis",
            "set",
        ),
        ("/?lang=de", "lang"),
    ] {
        let (status, body) = get(&format!("{}{path}", s.base), None).await;
        assert_eq!(status, 400, "{path}: {body}");
        let v = json(&body);
        assert_eq!(v["error"]["parameter"], parameter, "{path}: {body}");
        assert!(
            v["error"]["problem"]
                .as_str()
                .is_some_and(|p| !p.is_empty()),
            "{path}: {body}"
        );
    }
    let (status, body) = get(&format!("{}/api/v2/nothing", s.base), None).await;
    assert_eq!(status, 404);
    assert!(json(&body)["error"]["problem"].is_string());
}

#[tokio::test]
async fn with_a_token_the_api_and_metrics_need_it_and_never_show_it() {
    let s = start(
        Some(TOKEN),
        &commune_line("01834", "any", "covered", 20_000),
    )
    .await;
    for path in [
        "/api/v1/sets",
        "/api/v1/sites",
        "/api/v1/communes?set=bac-kan-2020",
        "/api/v1/audit?from=2025-11-01&to=2025-11-02",
        "/metrics",
    ] {
        let url = format!("{}{path}", s.base);
        let (status, body) = get(&url, None).await;
        assert_eq!(status, 401, "{path}: {body}");
        assert_eq!(
            get(&url, Some("wrong-token-0123456789")).await.0,
            401,
            "{path}"
        );
        let (status, body) = get(&url, Some(TOKEN)).await;
        assert_ne!(status, 401, "{path}: {body}");
        assert!(!body.contains(TOKEN), "{path} shows the token");
    }
    // The page and the health check stay open, and show no token either.
    for path in ["/", "/health", "/?lang=vi"] {
        let (status, body) = get(&format!("{}{path}", s.base), None).await;
        assert!(status == 200 || status == 503, "{path}: {status}");
        assert!(!body.contains(TOKEN), "{path}");
    }
    // Whatever the answer, the dead-letter file is not reachable.
    for path in [
        "/dead-letter.jsonl",
        "/api/v1/dead-letter",
        "/api/v1/../dead-letter.jsonl",
    ] {
        let (status, body) = get(&format!("{}{path}", s.base), Some(TOKEN)).await;
        assert_eq!(status, 404, "{path}: {body}");
    }
}

#[tokio::test]
async fn sites_and_sets_come_from_the_board_and_the_boundaries() {
    let s = start(None, "").await;
    let (status, body) = get(&format!("{}/api/v1/sites", s.base), None).await;
    assert_eq!(status, 200, "{body}");
    let v = json(&body);
    assert_eq!(v["at"], "2025-11-01T07:00:00Z");
    assert_eq!(v["sites"].as_array().unwrap().len(), 3);
    assert_eq!(v["counts"]["alive"], 1);
    assert_eq!(v["counts"]["stale"], 0);
    assert_eq!(v["sites"][0]["commune_name"], "Phường Nguyễn Thị Minh Khai");
    let (_, body) = get(&format!("{}/api/v1/sites?status=silent", s.base), None).await;
    let v = json(&body);
    let ids: Vec<&str> = v["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["site"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["b"]);
    assert_eq!(v["counts"]["alive"], 1, "counts are over every site");

    let (status, body) = get(&format!("{}/api/v1/sets", s.base), None).await;
    assert_eq!(status, 200);
    let v = json(&body);
    let bk = &v["sets"][0];
    assert_eq!(bk["name"], "bac-kan-2020");
    assert_eq!(bk["communes"], 108);
    assert_eq!(bk["districts"], 8);
    assert_eq!(bk["valid_until"], "2025-06-30");
    assert_eq!(v["sets"][1]["districts"], 0);

    // An instance that is not the coordinator says so.
    let mut state = s.state.clone();
    state.board = None;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router(state)).await });
    let (status, body) = get(&format!("{base}/api/v1/sites"), None).await;
    assert_eq!(status, 503);
    assert!(body.contains("coordinator"), "{body}");
}

#[tokio::test]
async fn communes_are_the_newest_daily_point_per_commune_and_operator() {
    let mut lines = String::new();
    lines.push_str(&commune_line("01834", "any", "not_covered", 20_000));
    lines.push_str(&commune_line("01834", "any", "covered", 20_001));
    lines.push_str(&commune_line("01834", "452-04", "covered", 20_001));
    lines.push_str(&commune_line("01837", "any", "insufficient_data", 20_000));
    // Another window and another set are not listed.
    lines.push_str(
        &commune_line("01840", "any", "covered", 20_002).replace("window=1d", "window=1h"),
    );
    lines.push_str(
        &commune_line("01840", "any", "covered", 20_002)
            .replace("bac-kan-2020", "thai-nguyen-2025"),
    );
    let s = start(None, &lines).await;
    let (status, body) = get(
        &format!("{}/api/v1/communes?set=bac-kan-2020&operator=any", s.base),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let v = json(&body);
    let points = v["points"].as_array().unwrap();
    assert_eq!(points.len(), 2, "{body}");
    assert_eq!(points[0]["commune"], "01834");
    assert_eq!(points[0]["period_verdict"], "covered", "the newest day");
    assert_eq!(points[0]["time"], "2024-10-05T00:00:00Z");
    assert_eq!(points[0]["commune_name"], "X 01834");
    assert_eq!(points[0]["counted"], 10);
    assert_eq!(points[1]["commune"], "01837");
    let (_, body) = get(
        &format!("{}/api/v1/communes?set=bac-kan-2020", s.base),
        None,
    )
    .await;
    assert_eq!(json(&body)["points"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn one_audit_at_a_time() {
    let s = start(None, "").await;
    let held = s.state.audits.hold();
    assert!(held.is_some());
    let (status, body) = get(
        &format!("{}/api/v1/audit?from=2025-11-01&to=2025-11-02", s.base),
        None,
    )
    .await;
    assert_eq!(status, 429, "{body}");
    drop(held);
    // Free again: this one runs (and finds an empty archive: 404 naming the period).
    let (status, body) = get(
        &format!("{}/api/v1/audit?from=2025-11-01&to=2025-11-02", s.base),
        None,
    )
    .await;
    assert_ne!(status, 429, "{body}");
}

#[tokio::test]
async fn the_page_speaks_the_readers_language_and_draws_every_commune() {
    let s = start(None, "").await;
    let resp = client()
        .get(format!("{}/?set=bac-kan-2020", s.base))
        .header("Accept-Language", "fr-FR, vi;q=0.8, en;q=0.5")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    let page = resp.text().await.unwrap();
    assert!(page.contains("<html lang=\"vi\">"));
    assert!(page.contains(coverage_shared::text::live::VI.title));
    assert_eq!(page.matches("<path ").count(), 108);
    for needle in ["http://", "https://", "src=\""] {
        let outside: Vec<&str> = page
            .match_indices(needle)
            .map(|(i, _)| &page[i..(i + 40).min(page.len())])
            .filter(|s| !s.starts_with("http://www.w3.org/2000/svg"))
            .collect();
        assert!(outside.is_empty(), "{needle}: {outside:?}");
    }
    let (_, en) = get(&format!("{}/?lang=en", s.base), None).await;
    assert!(en.contains("<html lang=\"en\">"));
    assert!(en.contains(coverage_shared::text::live::EN.title));
}

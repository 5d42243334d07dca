//! The audit against a real InfluxDB 1.6.7 (`influxd`, started here on free loopback ports):
//! the InfluxQL aggregates equal a brute-force count of the same points, equal the archive
//! source's rows, and give identical verdicts and reports.

mod audit_common;

use audit_common::*;
use chrono::{TimeZone, Utc};
use coverage_audit::QueryEndpoint;
use coverage_audit::source::influxql::{InfluxQlSource, Queries};
use coverage_audit::source::{AggregateQuery, AggregateSource};
use coverage_audit::{
    ArchiveSource, AuditArgs, AuditError, ClaimVerdict, FibreVerdict, Format, MobileVerdict,
    render, run_audit,
};
use coverage_shared::boundary::BoundaryRegistry;
use coverage_shared::secret::Secret;
use coverage_shared::text::Lang;

fn registry() -> BoundaryRegistry {
    BoundaryRegistry::from_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/boundaries")).unwrap()
}

fn influx_config(url: &str, db: &str) -> QueryEndpoint {
    QueryEndpoint::new(url, db)
}

fn query(from_ms: i64, to_ms: i64) -> AggregateQuery {
    AggregateQuery {
        from: Utc.timestamp_millis_opt(from_ms).unwrap(),
        to: Utc.timestamp_millis_opt(to_ms).unwrap(),
        policy: policy(),
        fibre_target: Some(TARGET.to_owned()),
    }
}

fn args(archives: Vec<std::path::PathBuf>, claims: &[&str]) -> AuditArgs {
    AuditArgs {
        set: None,
        from: Some(Utc.timestamp_millis_opt(T0).unwrap().into()),
        to: Some(Utc.timestamp_millis_opt(T0 + HOURS * H).unwrap().into()),
        month: None,
        format: Format::Json,
        claims: claims.iter().map(|c| c.to_string()).collect(),
        archives,
        out: None,
        lang: coverage_audit::Lang::En,
    }
}

/// The report as JSON without provenance (which names the source).
fn without_provenance(report: &coverage_audit::Report) -> serde_json::Value {
    let mut v = serde_json::to_value(report).unwrap();
    v.as_object_mut().unwrap().remove("provenance");
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn influxql_aggregates_match_brute_force_and_the_archive() {
    let server = Influxd::start();
    coverage_net::tls::ensure_crypto_provider();
    let client = reqwest::Client::new();
    server.exec(&client, "CREATE DATABASE audit").await;
    let ds = dataset();
    let lines = lines(&ds);
    server.write(&client, "audit", &lines).await;
    // Delivered twice: points are idempotent in InfluxDB...
    server.write(&client, "audit", &lines[..500]).await;
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive.lp");
    // ... and the archive source counts a repeated identity once too.
    let mut archived = lines.clone();
    archived.extend_from_slice(&lines[..500]);
    write_archive(&archive, &archived);

    let influx = InfluxQlSource::new(&influx_config(&server.url, "audit")).unwrap();
    let files = ArchiveSource::new(vec![archive.clone()]);

    // The whole period, and one that starts and ends inside an hour.
    for (from, to) in [(T0, T0 + HOURS * H), (T0 + H / 2 + 17, T0 + 30 * H - 1234)] {
        let q = query(from, to);
        let (from_db, info) = influx.fetch(&q).await.unwrap();
        let (from_file, file_info) = files.fetch(&q).await.unwrap();
        let brute = brute_force(&ds, &q);
        assert!(!brute.mobile.is_empty() && !brute.fibre.is_empty() && brute.throughput.len() == 3);
        assert_eq!(from_db.mobile.len(), brute.mobile.len(), "mobile rows");
        for (a, b) in from_db.mobile.iter().zip(&brute.mobile) {
            assert_eq!(a, b, "InfluxQL row vs brute force");
        }
        assert_eq!(from_db.fibre.len(), brute.fibre.len(), "fibre rows");
        for (a, b) in from_db.fibre.iter().zip(&brute.fibre) {
            assert_eq!(a, b, "InfluxQL fibre row vs brute force");
        }
        assert_eq!(
            from_db.throughput, brute.throughput,
            "fibre throughput per site and direction"
        );
        assert_eq!(from_db.positions, brute.positions, "positions");
        assert_eq!(from_file, from_db, "archive rows vs InfluxQL rows");
        // Tiny chunks split series across chunks: same rows.
        let (chunked, _) = influx.clone().with_chunk_size(7).fetch(&q).await.unwrap();
        assert_eq!(chunked, from_db, "rows with chunk_size 7");
        match (info, file_info) {
            (
                coverage_audit::SourceInfo::Influxql { queries, .. },
                coverage_audit::SourceInfo::Archive {
                    files,
                    equivalent_queries,
                },
            ) => {
                assert_eq!(queries, equivalent_queries);
                assert_eq!(queries, Queries::build(&q).all());
                let repeated_in_period = lines[..500]
                    .iter()
                    .filter(|l| {
                        let ts: i64 = l.rsplit(' ').next().unwrap().parse().unwrap();
                        ts >= from && ts < to
                    })
                    .count() as u64;
                assert_eq!(files[0].duplicate_points, repeated_in_period);
                assert_eq!(files[0].unparsed_lines, 0);
            }
            other => panic!("unexpected sources {other:?}"),
        }
    }

    // Only hours with points come back (fill(none)): bk-thin measured 6 hours.
    let q = query(T0, T0 + HOURS * H);
    let (rows, _) = influx.fetch(&q).await.unwrap();
    let thin: Vec<_> = rows
        .mobile
        .iter()
        .filter(|r| r.key.site == "bk-thin")
        .collect();
    assert_eq!(thin.len(), 6);
    // Without fill(none) InfluxDB 1.6 returns every hour of the range with count 0: that is
    // why the audit asks for fill(none).
    let series = influx
        .query(
            "SELECT count(seq) FROM signal WHERE time >= '2024-03-04T00:00:00Z' AND time < '2024-03-06T00:00:00Z' AND site = 'bk-thin' GROUP BY time(1h)",
        )
        .await
        .unwrap();
    assert_eq!(series[0].values.len(), 48);
    assert_eq!(
        series[0]
            .values
            .iter()
            .filter(|v| v[1] == coverage_audit::source::influxql::Cell::UInt(0))
            .count(),
        42
    );

    // Same verdicts and the same report from both sources.
    let cfg = audit_config();
    let boundaries = registry();
    let set = boundaries.get("bac-kan-2020").unwrap();
    let claims = [
        "mobile:communes:100",
        "fibre:districts:100@district=058",
        "mobile:communes:1:operator=452-04",
    ];
    let icfg = influx_config(&server.url, "audit");
    let from_db = run_audit(&args(vec![], &claims), Some(&icfg), &cfg, &boundaries)
        .await
        .unwrap();
    let from_file = run_audit(
        &args(vec![archive.clone()], &claims),
        None,
        &cfg,
        &boundaries,
    )
    .await
    .unwrap();
    assert_eq!(without_provenance(&from_db), without_provenance(&from_file));
    assert!(
        from_db
            .communes
            .iter()
            .any(|c| c.mobile == MobileVerdict::Covered)
    );
    let c01834 = from_db.communes.iter().find(|c| c.code == "01834").unwrap();
    assert_eq!(c01834.mobile, MobileVerdict::Covered);
    let c01837 = from_db.communes.iter().find(|c| c.code == "01837").unwrap();
    assert_eq!(c01837.mobile, MobileVerdict::NotCovered);
    assert_eq!(c01837.fibre, FibreVerdict::NotConnected);
    assert_eq!(from_db.claims[0].verdict, ClaimVerdict::Refuted);
    assert_eq!(from_db.claims[1].verdict, ClaimVerdict::Verified);
    assert_eq!(from_db.claims[2].verdict, ClaimVerdict::Verified);
    // Rendered the same way twice: byte-identical.
    assert_eq!(
        render(&from_db, Format::Json, set, Lang::En),
        render(&from_db, Format::Json, set, Lang::En)
    );
    let again = run_audit(&args(vec![], &claims), Some(&icfg), &cfg, &boundaries)
        .await
        .unwrap();
    assert_eq!(
        render(&again, Format::Md, set, Lang::En),
        render(&from_db, Format::Md, set, Lang::En)
    );
    assert_eq!(
        render(&again, Format::Csv, set, Lang::En),
        render(&from_db, Format::Csv, set, Lang::En)
    );

    // A database that does not exist is an error that quotes the statement.
    let missing = InfluxQlSource::new(&influx_config(&server.url, "nope")).unwrap();
    let err = missing.fetch(&q).await.unwrap_err();
    assert!(matches!(err, AuditError::InfluxQuery { .. }), "{err:?}");
    assert!(err.to_string().contains("database not found"), "{err}");

    // A server that is not there is an HTTP error naming the URL.
    let gone = format!("http://127.0.0.1:{}", free_port());
    let err = InfluxQlSource::new(&influx_config(&gone, "audit"))
        .unwrap()
        .fetch(&q)
        .await
        .unwrap_err();
    assert!(matches!(err, AuditError::Http { .. }), "{err:?}");
    assert!(err.to_string().contains(&gone), "{err}");
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn influxql_with_v1_user_and_password() {
    let server = Influxd::start_with(true);
    coverage_net::tls::ensure_crypto_provider();
    let client = reqwest::Client::new();
    // The first user may be created without credentials.
    server
        .exec(
            &client,
            "CREATE USER auditor WITH PASSWORD 's3cret' WITH ALL PRIVILEGES",
        )
        .await;
    let me = Some(("auditor", "s3cret"));
    server.exec_as(&client, "CREATE DATABASE audit", me).await;
    let ds = dataset();
    server.write_as(&client, "audit", &lines(&ds), me).await;
    let q = query(T0, T0 + HOURS * H);

    let with = |password: &str| -> QueryEndpoint {
        QueryEndpoint {
            username: Some("auditor".to_owned()),
            secret: Some(Secret::new(password)),
            ..QueryEndpoint::new(server.url.as_str(), "audit")
        }
    };
    let (rows, _) = InfluxQlSource::new(&with("s3cret"))
        .unwrap()
        .fetch(&q)
        .await
        .unwrap();
    assert_eq!(rows, brute_force(&ds, &q));

    let source = InfluxQlSource::new(&with("wrong")).unwrap();
    assert!(
        !format!("{source:?}").contains("wrong"),
        "credentials are redacted"
    );
    let err = source.fetch(&q).await.unwrap_err();
    assert!(
        matches!(err, AuditError::InfluxStatus { status: 401, .. }),
        "{err:?}"
    );
    assert!(!err.to_string().contains("wrong"));
    // Without credentials at all.
    let err = InfluxQlSource::new(&influx_config(&server.url, "audit"))
        .unwrap()
        .fetch(&q)
        .await
        .unwrap_err();
    assert!(
        matches!(err, AuditError::InfluxStatus { status: 401, .. }),
        "{err:?}"
    );
}

/// A site that moves: where its measurements disagree within an hour, the point's own time
/// decides (what the audit's `last()` query does), so windows cut from hourly aggregates must
/// place it as an audit of that window does.
fn moving_site_lines() -> Vec<String> {
    let line = |m: &str, ts: i64, pos: (f64, f64), seq: i64| match m {
        "signal" => format!(
            "signal,site=bk-move,operator=452-04,tech=lte,reg=home seq={seq}i,rsrp_dbm=-80,pos_lat={},pos_lon={},clock_synced=true {ts}",
            pos.0, pos.1
        ),
        _ => format!(
            "heartbeat,site=bk-move,run=r1 seq={seq}i,uptime_s=5i,spool_depth=0i,spool_dropped=0i,pos_lat={},pos_lon={},agent=\"0.1.0\" {ts}",
            pos.0, pos.1
        ),
    };
    let mut out = Vec::new();
    for hour in 0..10 {
        out.push(line("signal", T0 + hour * H + 60_000, P01834, 1000 + hour));
    }
    // Hour 10: heartbeat at :10 in 01837, signal at :50 in 01834: the signal is later.
    out.push(line("heartbeat", T0 + 10 * H + 600_000, P01837, 2000));
    out.push(line("signal", T0 + 10 * H + 3_000_000, P01834, 2001));
    // Hour 11: signal at :05 in 01834, heartbeat at :50 in 01840: the heartbeat is later.
    out.push(line("signal", T0 + 11 * H + 300_000, P01834, 2002));
    out.push(line("heartbeat", T0 + 11 * H + 3_000_000, P01840, 2003));
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn windows_cut_from_hourly_aggregates_equal_the_audits_fetch() {
    use coverage_audit::source::Aggregates;
    let server = Influxd::start();
    coverage_net::tls::ensure_crypto_provider();
    let client = reqwest::Client::new();
    server.exec(&client, "CREATE DATABASE audit").await;
    let mut lines = lines(&dataset());
    lines.extend(moving_site_lines());
    server.write(&client, "audit", &lines).await;
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive.lp");
    write_archive(&archive, &lines);
    let influx = InfluxQlSource::new(&influx_config(&server.url, "audit")).unwrap();
    let files = ArchiveSource::new(vec![archive]);

    let span = query(T0, T0 + HOURS * H);
    let (db_hourly, _) = influx.fetch_hourly(&span).await.unwrap();
    let (file_hourly, _) = files.fetch_hourly(&span).await.unwrap();
    // What placement reads of a position: site and coordinates (InfluxDB answers `last()`
    // per hour with the hour's start, so the time is not compared from it).
    let placed = |a: &Aggregates| -> Vec<(String, f64, f64)> {
        a.positions
            .iter()
            .map(|p| (p.site.clone(), p.lat, p.lon))
            .collect()
    };
    let cfg = audit_config();
    let boundaries = registry();
    let set = boundaries.get("bac-kan-2020").unwrap();
    let report = |a: &Aggregates, from: i64, to: i64| {
        let r = coverage_audit::build_report(coverage_audit::ReportInputs {
            set,
            registry: &boundaries,
            cfg: &cfg,
            from: Utc.timestamp_millis_opt(from).unwrap(),
            to: Utc.timestamp_millis_opt(to).unwrap(),
            claims: &[],
            aggregates: a,
            source: coverage_audit::SourceInfo::Archive {
                files: vec![],
                equivalent_queries: vec![],
            },
        })
        .unwrap();
        without_provenance(&r)
    };
    let mut moved = Vec::new();
    for (from, to) in [
        (0, 10),
        (0, 11),
        (0, 12),
        (10, 11),
        (11, 12),
        (3, 4),
        (0, 24),
        (24, 48),
        (0, HOURS),
    ] {
        let (from, to) = (T0 + from * H, T0 + to * H);
        let q = query(from, to);
        let (audit_db, _) = influx.fetch(&q).await.unwrap();
        let (audit_file, _) = files.fetch(&q).await.unwrap();
        let cut_db = db_hourly.window(q.from, q.to);
        let cut_file = file_hourly.window(q.from, q.to);
        assert_eq!(cut_file.mobile, audit_file.mobile, "archive mobile rows");
        assert_eq!(cut_file.fibre, audit_file.fibre, "archive fibre rows");
        assert_eq!(
            cut_file.throughput, audit_file.throughput,
            "archive throughput"
        );
        assert_eq!(
            cut_file.positions, audit_file.positions,
            "archive positions"
        );
        assert_eq!(cut_db.mobile, audit_db.mobile, "InfluxDB mobile rows");
        assert_eq!(cut_db.fibre, audit_db.fibre, "InfluxDB fibre rows");
        assert_eq!(
            cut_db.throughput, audit_db.throughput,
            "InfluxDB throughput"
        );
        assert_eq!(placed(&cut_db), placed(&audit_db), "InfluxDB positions");
        assert_eq!(
            placed(&cut_db),
            placed(&audit_file),
            "InfluxDB vs archive positions"
        );
        assert_eq!(
            report(&cut_db, from, to),
            report(&audit_db, from, to),
            "the report of a cut window is the audit's"
        );
        let mover = audit_db.positions.iter().find(|p| p.site == "bk-move");
        moved.push(mover.map(|p| (p.lat, p.lon)));
    }
    // The moving site is where the latest point of each window says.
    assert_eq!(moved[0], Some(P01834));
    assert_eq!(moved[1], Some(P01834), "hour 10: the signal at :50 wins");
    assert_eq!(moved[2], Some(P01840), "hour 11: the heartbeat at :50 wins");
    assert_eq!(moved[3], Some(P01834));
    assert_eq!(moved[4], Some(P01840));
}

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

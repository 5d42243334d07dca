//! Self-tests of the test harness: every real server starts on loopback, answers, and stops
//! without leaving a process behind; the process helpers time out and kill what they started.
//! The cross-daemon end-to-end tests build on what these prove.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use coverage_e2e::{
    Daemon, Influxd, Mosquitto, MosquittoOptions, TestCa, VictoriaMetrics, cargo_bin, free_port,
    poll_until, require_binary, run_with_timeout, wait_until, wait_until_async,
};
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::{Packet, PubAckReason, SubscribeReasonCode};
use rumqttc::v5::{AsyncClient, ConnectionError, Event, EventLoop, MqttOptions};
use rumqttc::{TlsConfiguration, Transport};
use tokio::sync::mpsc;

/// Upper bound for any single MQTT exchange on loopback.
const MQTT_TIMEOUT: Duration = Duration::from_secs(10);

/// How an MQTT test client connects.
#[derive(Clone, Default)]
struct Client<'a> {
    host: &'a str,
    port: u16,
    user: Option<(&'a str, &'a str)>,
    ca_pem: Option<&'a str>,
    /// Persistent session: clean_start false and a session expiry.
    persistent: bool,
}

/// An MQTT 5 client whose event loop runs in a task, forwarding every event (and the error that
/// ends it) to a channel.
struct Mqtt {
    client: AsyncClient,
    events: mpsc::UnboundedReceiver<Result<Event, ConnectionError>>,
}

impl Client<'_> {
    fn connect(&self, id: &str) -> Mqtt {
        let mut options = MqttOptions::new(id, self.host, self.port);
        options.set_keep_alive(Duration::from_secs(30));
        if let Some((user, password)) = self.user {
            options.set_credentials(user, password);
        }
        if let Some(ca) = self.ca_pem {
            options.set_transport(Transport::tls_with_config(TlsConfiguration::Simple {
                ca: ca.as_bytes().to_vec(),
                alpn: None,
                client_auth: None,
            }));
        }
        if self.persistent {
            options
                .set_clean_start(false)
                .set_session_expiry_interval(Some(3600));
        }
        let (client, eventloop) = AsyncClient::new(options, 100);
        Mqtt {
            client,
            events: forward_events(eventloop),
        }
    }
}

fn forward_events(
    mut eventloop: EventLoop,
) -> mpsc::UnboundedReceiver<Result<Event, ConnectionError>> {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        // Like a real client, keep polling after an error: rumqttc reconnects, and events it
        // had buffered before the error (a PUBACK read just before the broker closed the
        // socket) come out after the reconnection. Ends when the receiver is dropped.
        loop {
            let event = eventloop.poll().await;
            let failed = event.is_err();
            if tx.send(event).is_err() {
                break;
            }
            if failed {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    });
    rx
}

impl Mqtt {
    /// Waits for the first event `pick` maps to `Some`; a connection error fails the wait.
    async fn expect<T>(&mut self, what: &str, pick: impl FnMut(&Event) -> Option<T>) -> Result<T> {
        self.expect_with(what, false, pick).await
    }

    /// Like [`expect`](Self::expect), optionally waiting through connection errors (and the
    /// reconnections that follow them).
    async fn expect_with<T>(
        &mut self,
        what: &str,
        tolerate_errors: bool,
        mut pick: impl FnMut(&Event) -> Option<T>,
    ) -> Result<T> {
        let deadline = tokio::time::Instant::now() + MQTT_TIMEOUT;
        loop {
            let event = tokio::time::timeout_at(deadline, self.events.recv())
                .await
                .with_context(|| format!("timed out waiting for {what}"))?
                .with_context(|| format!("event loop ended while waiting for {what}"))?;
            match event {
                Ok(event) => {
                    if let Some(value) = pick(&event) {
                        return Ok(value);
                    }
                }
                Err(_) if tolerate_errors => {}
                Err(e) => {
                    return Err(e)
                        .with_context(|| format!("connection error while waiting for {what}"));
                }
            }
        }
    }

    /// Waits for the connection to be accepted; returns `session_present`.
    async fn connected(&mut self) -> Result<bool> {
        self.expect("CONNACK", |e| match e {
            Event::Incoming(Packet::ConnAck(ack)) => Some(ack.session_present),
            _ => None,
        })
        .await
    }

    /// Waits for the error that ends the connection.
    async fn connection_error(&mut self) -> Result<ConnectionError> {
        let deadline = tokio::time::Instant::now() + MQTT_TIMEOUT;
        loop {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Err(_) => bail!("no connection error within {MQTT_TIMEOUT:?}"),
                Ok(None) => bail!("event loop ended without an error"),
                Ok(Some(Err(e))) => return Ok(e),
                Ok(Some(Ok(_))) => {}
            }
        }
    }

    async fn subscribe(&mut self, filter: &str) -> Result<()> {
        self.client.subscribe(filter, QoS::AtLeastOnce).await?;
        let codes = self
            .expect("SUBACK", |e| match e {
                Event::Incoming(Packet::SubAck(ack)) => Some(ack.return_codes.clone()),
                _ => None,
            })
            .await?;
        ensure!(
            codes == [SubscribeReasonCode::Success(QoS::AtLeastOnce)],
            "subscription to {filter} refused: {codes:?}"
        );
        Ok(())
    }

    /// Publishes at QoS 1 and returns the PUBACK's reason.
    async fn publish(&mut self, topic: &str, payload: &str) -> Result<PubAckReason> {
        self.publish_with(topic, payload, false).await
    }

    /// Publishes at QoS 1 and returns the PUBACK's reason, optionally waiting through a
    /// disconnection: mosquitto 2.0.11 closes an MQTT 5 connection right after the PUBACK 135
    /// of a publish its ACL denied ("Bad socket read/write"), and rumqttc may report the closed
    /// socket before the PUBACK it had already read.
    async fn publish_with(
        &mut self,
        topic: &str,
        payload: &str,
        tolerate_errors: bool,
    ) -> Result<PubAckReason> {
        self.client
            .publish(topic, QoS::AtLeastOnce, false, payload.as_bytes().to_vec())
            .await?;
        self.expect_with(
            &format!("PUBACK for {topic}"),
            tolerate_errors,
            |e| match e {
                Event::Incoming(Packet::PubAck(ack)) => Some(ack.reason),
                _ => None,
            },
        )
        .await
    }

    /// Waits for a message; returns topic and payload.
    async fn receive(&mut self) -> Result<(String, String)> {
        self.expect("PUBLISH", |e| match e {
            Event::Incoming(Packet::Publish(p)) => Some((
                String::from_utf8_lossy(&p.topic).into_owned(),
                String::from_utf8_lossy(&p.payload).into_owned(),
            )),
            _ => None,
        })
        .await
    }

    async fn disconnect(mut self) -> Result<()> {
        self.client.disconnect().await?;
        // Let the event loop send DISCONNECT before the client is dropped.
        let _ = tokio::time::timeout(Duration::from_secs(2), async {
            while let Some(Ok(_)) = self.events.recv().await {}
        })
        .await;
        Ok(())
    }
}

fn process_gone(pid: u32) -> bool {
    // A zombie (reaped by nobody) counts as gone: it runs no code and holds no socket.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
    }
}

fn port_open(port: u16) -> bool {
    std::net::TcpStream::connect_timeout(
        &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_millis(300),
    )
    .is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mosquitto_round_trips_qos1_and_stops_on_drop() -> Result<()> {
    let broker = Mosquitto::start(MosquittoOptions::default())?;
    let pid = broker.pid().context("broker has no pid")?;
    let client = Client {
        host: broker.host(),
        port: broker.port(),
        ..Client::default()
    };

    let mut sub = client.connect("harness-sub");
    sub.connected().await?;
    sub.subscribe("coverage/v1/+/+").await?;
    let mut publisher = client.connect("harness-pub");
    publisher.connected().await?;
    let reason = publisher
        .publish("coverage/v1/site-1/signal", r#"{"v":1}"#)
        .await?;
    assert_eq!(reason, PubAckReason::Success);
    assert_eq!(
        sub.receive().await?,
        ("coverage/v1/site-1/signal".into(), r#"{"v":1}"#.into())
    );

    let port = broker.port();
    drop(broker);
    assert!(
        process_gone(pid),
        "mosquitto (pid {pid}) still runs after drop"
    );
    assert!(
        !port_open(port),
        "port {port} still accepts connections after drop"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mosquitto_acl_confines_agents_to_their_site() -> Result<()> {
    let broker = Mosquitto::start(
        MosquittoOptions::default()
            .with_agent("site-a", "pw-a")
            .with_agent("site-b", "pw-b")
            .with_collector("collector", "pw-c"),
    )?;
    let at = |user| Client {
        host: broker.host(),
        port: broker.port(),
        user,
        ..Client::default()
    };

    let mut collector = at(Some(("collector", "pw-c"))).connect("collector");
    collector.connected().await?;
    collector.subscribe("coverage/v1/+/+").await?;
    // Another site's topic: refused, and MQTT 5 says so in the PUBACK (135). mosquitto 2.0.11
    // then drops the connection, so this uses a connection of its own.
    let mut forger = at(Some(("site-a", "pw-a"))).connect("site-a-forger");
    forger.connected().await?;
    let reason = forger
        .publish_with("coverage/v1/site-b/signal", "forged", true)
        .await?;
    assert_eq!(
        reason,
        PubAckReason::NotAuthorized,
        "log:\n{}",
        broker.log()
    );
    drop(forger);

    let mut agent = at(Some(("site-a", "pw-a"))).connect("site-a");
    agent.connected().await?;
    // Its own topic: accepted and delivered to the collector.
    assert_eq!(
        agent.publish("coverage/v1/site-a/signal", "own").await?,
        PubAckReason::Success
    );
    assert_eq!(
        collector.receive().await?,
        ("coverage/v1/site-a/signal".into(), "own".into())
    );

    // Resend requests: the collector may write them, the agent may read its own.
    agent.subscribe("coverage/v1/site-a/resend").await?;
    let reason = collector
        .publish("coverage/v1/site-a/resend", "from=5")
        .await?;
    assert_eq!(reason, PubAckReason::Success);
    assert_eq!(
        agent.receive().await?,
        ("coverage/v1/site-a/resend".into(), "from=5".into())
    );

    // A shared subscription (several collectors) passes the same ACL.
    let mut shared = at(Some(("collector", "pw-c"))).connect("collector-shared");
    shared.connected().await?;
    shared
        .subscribe("$share/collectors/coverage/v1/+/+")
        .await?;
    assert_eq!(
        agent
            .publish("coverage/v1/site-a/latency", "shared")
            .await?,
        PubAckReason::Success
    );
    assert_eq!(
        shared.receive().await?,
        ("coverage/v1/site-a/latency".into(), "shared".into())
    );

    // Wrong password and anonymous clients are refused.
    let mut intruder = at(Some(("site-a", "wrong"))).connect("intruder");
    let err = intruder.connection_error().await?;
    assert!(
        matches!(err, ConnectionError::ConnectionRefused(_)),
        "got {err:?}"
    );
    let mut anonymous = at(None).connect("anonymous");
    let err = anonymous.connection_error().await?;
    assert!(
        matches!(err, ConnectionError::ConnectionRefused(_)),
        "got {err:?}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mosquitto_tls_listener_trusts_the_generated_ca() -> Result<()> {
    let broker = Mosquitto::start(
        MosquittoOptions::default()
            .with_agent("site-a", "pw")
            .with_tls(),
    )?;
    let tls_port = broker.tls_port().context("no TLS port")?;
    let ca = broker.ca_pem().context("no CA")?;
    assert!(
        broker
            .tls_url()
            .is_some_and(|u| u.starts_with("mqtts://localhost:"))
    );

    for host in ["localhost", "127.0.0.1"] {
        let client = Client {
            host,
            port: tls_port,
            user: Some(("site-a", "pw")),
            ca_pem: Some(ca),
            ..Client::default()
        };
        let mut agent = client.connect(&format!("site-a-{host}"));
        agent
            .connected()
            .await
            .with_context(|| format!("TLS to {host}"))?;
        let reason = agent.publish("coverage/v1/site-a/heartbeat", "{}").await?;
        assert!(matches!(
            reason,
            PubAckReason::Success | PubAckReason::NoMatchingSubscribers
        ));
        agent.disconnect().await?;
    }

    // A client that trusts another CA is turned away.
    let other = tempfile::tempdir()?;
    let other_ca = TestCa::generate(other.path())?;
    let client = Client {
        host: "localhost",
        port: tls_port,
        user: Some(("site-a", "pw")),
        ca_pem: Some(other_ca.ca_pem()),
        ..Client::default()
    };
    let err = client.connect("site-a-wrong-ca").connection_error().await?;
    assert!(matches!(err, ConnectionError::Tls(_)), "got {err:?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mosquitto_restarts_on_the_same_port_with_persisted_sessions() -> Result<()> {
    let mut broker = Mosquitto::start(MosquittoOptions::default().with_persistence())?;
    let port = broker.port();
    let durable = Client {
        host: broker.host(),
        port,
        persistent: true,
        ..Client::default()
    };
    let plain = Client {
        host: broker.host(),
        port,
        ..Client::default()
    };

    // A persistent session subscribes, then goes away.
    let mut sub = durable.connect("collector-1");
    assert!(!sub.connected().await?, "a first connection has no session");
    sub.subscribe("coverage/v1/+/+").await?;
    sub.disconnect().await?;

    // A message is queued for it, then the broker goes down cleanly (saving its store).
    let mut publisher = plain.connect("site-a");
    publisher.connected().await?;
    assert_eq!(
        publisher
            .publish("coverage/v1/site-a/signal", "queued")
            .await?,
        PubAckReason::Success
    );
    publisher.disconnect().await?;
    broker.stop()?;
    assert!(!broker.is_running());
    assert!(
        !port_open(port),
        "port {port} still open while the broker is down"
    );
    let mut refused = plain.connect("while-down");
    assert!(matches!(
        refused.connection_error().await?,
        ConnectionError::Io(_)
    ));

    // Back on the same port: the session and its queued message survived.
    broker.restart()?;
    assert_eq!(broker.port(), port);
    let mut sub = durable.connect("collector-1");
    assert!(
        sub.connected().await?,
        "session not restored; log:\n{}",
        broker.log()
    );
    assert_eq!(
        sub.receive().await?,
        ("coverage/v1/site-a/signal".into(), "queued".into())
    );
    assert!(
        broker
            .log()
            .matches("--- harness: starting mosquitto")
            .count()
            == 2
    );
    Ok(())
}

#[test]
fn a_server_that_fails_to_start_reports_its_log() {
    let err = Mosquitto::start(MosquittoOptions::default().with_config_line("no_such_option 1"))
        .expect_err("mosquitto accepted an unknown option");
    let message = format!("{err:#}");
    assert!(message.contains("exited"), "{message}");
    assert!(
        message.contains("no_such_option"),
        "the log tail is missing: {message}"
    );
}

#[test]
fn influxd_writes_queries_and_restarts() -> Result<()> {
    let mut influx = Influxd::start()?;
    let pid = influx.pid().context("no pid")?;
    assert!(influx.url().starts_with("http://127.0.0.1:"));
    influx.create_db("probe")?;
    influx.write_lp_with_precision(
        "probe",
        "temp,site=a value=21.5,n=1i 1795670000\n\
         temp,site=a value=22.5,n=2i 1795670060\n\
         temp,site=b value=23.5,n=3i 1795670120\n",
        "s",
    )?;
    let rows = influx.query_rows("probe", "SELECT value, n, site FROM temp ORDER BY time")?;
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert_eq!(rows[0]["value"], 21.5);
    assert_eq!(rows[2]["site"], "b");
    assert_eq!(rows[1]["time"], "2026-11-26T05:14:20Z");
    let grouped =
        influx.query_epoch("probe", "SELECT count(value) FROM temp GROUP BY site", "s")?;
    assert_eq!(
        grouped["results"][0]["series"].as_array().map(Vec::len),
        Some(2),
        "{grouped}"
    );

    // The errors of DESIGN.md come back as errors.
    let missing = influx
        .write_lp("nodb", "temp value=1")
        .expect_err("wrote to a missing db");
    assert!(format!("{missing:#}").contains("404"), "{missing:#}");
    let bad = influx
        .query("probe", "SELECT FROM")
        .expect_err("bad InfluxQL accepted");
    assert!(
        format!("{bad:#}").contains("error parsing query"),
        "{bad:#}"
    );

    // Down and up again on the same port, data kept.
    let port = influx.port();
    influx.stop()?;
    assert!(!port_open(port));
    influx.restart()?;
    assert_eq!(influx.port(), port);
    assert_eq!(influx.query_rows("probe", "SELECT * FROM temp")?.len(), 3);

    let new_pid = influx.pid().context("no pid")?;
    drop(influx);
    assert!(
        process_gone(pid) && process_gone(new_pid),
        "influxd still runs after drop"
    );
    assert!(!port_open(port));
    Ok(())
}

#[test]
fn victoria_metrics_takes_v2_writes_and_exports_them() -> Result<()> {
    let vm = VictoriaMetrics::start()?;
    let pid = vm.pid().context("no pid")?;
    let now_ms = chrono::Utc::now().timestamp_millis();
    let lines: String = (0..3)
        .map(|i| {
            format!(
                "temp,site=a value={}.5 {}\n",
                20 + i,
                now_ms - 60_000 + i * 1000
            )
        })
        .collect();
    vm.write_lp_v2(&lines, "ms")?;
    vm.force_flush()?;
    let series = poll_until(Duration::from_secs(10), || {
        vm.export(r#"{__name__="temp_value"}"#)
            .ok()
            .filter(|s| !s.is_empty())
    })?;
    assert_eq!(series.len(), 1, "{series:?}");
    assert_eq!(series[0]["metric"]["site"], "a");
    assert!(
        series[0]["metric"].get("db").is_none(),
        "the v2 API has no db label"
    );
    assert_eq!(series[0]["values"], serde_json::json!([20.5, 21.5, 22.5]));
    assert_eq!(series[0]["timestamps"][0], now_ms - 60_000);
    assert!(!vm.query("temp_value")?.is_empty());

    let port = vm.port();
    drop(vm);
    assert!(process_gone(pid), "victoria-metrics still runs after drop");
    assert!(!port_open(port));
    Ok(())
}

#[test]
fn run_with_timeout_captures_output_and_kills_the_group() -> Result<()> {
    let out = run_with_timeout(
        Command::new("sh").args(["-c", "echo out; echo err >&2; exit 3"]),
        Duration::from_secs(10),
    )?;
    assert_eq!(
        (out.stdout.as_str(), out.stderr.as_str()),
        ("out\n", "err\n")
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(!out.success() && out.ensure_success().is_err());

    // A child that outlives its timeout is killed with its own children (which hold the pipes:
    // without the group kill this would hang).
    let started = Instant::now();
    let out = run_with_timeout(
        Command::new("sh").args(["-c", "echo started; sleep 30 & sleep 30"]),
        Duration::from_millis(300),
    )?;
    assert!(out.timed_out, "{out:?}");
    assert_eq!(out.stdout, "started\n");
    assert!(started.elapsed() < Duration::from_secs(10));
    Ok(())
}

#[test]
fn daemon_stops_its_whole_process_group() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let pidfile = dir.path().join("child.pid");
    let mut command = Command::new("sh");
    command.arg("-c").arg(format!(
        "echo hello; sleep 60 & echo $! > {}; wait",
        pidfile.display()
    ));
    let mut daemon = Daemon::spawn("sleeper", command, dir.path().join("sleeper.log"))?;
    let leader = daemon.pid().context("no pid")?;
    let child: u32 = poll_until(Duration::from_secs(5), || {
        std::fs::read_to_string(&pidfile).ok()?.trim().parse().ok()
    })?;
    daemon.wait_for_log("hello", Duration::from_secs(5))?;
    assert!(daemon.is_running());
    assert!(daemon.wait_exit(Duration::from_millis(100)).is_none());
    drop(daemon);
    assert!(process_gone(leader), "leader {leader} survived");
    wait_until(Duration::from_secs(5), || process_gone(child))
        .with_context(|| format!("background child {child} survived its group"))?;
    Ok(())
}

/// Set in the child run of [`children_die_with_the_test_process`].
const ORPHAN_PIDFILE_VAR: &str = "COVERAGE_E2E_ORPHAN_PIDFILE";

#[test]
fn children_die_with_the_test_process() -> Result<()> {
    if let Some(pidfile) = std::env::var_os(ORPHAN_PIDFILE_VAR) {
        // Child run: start a daemon, then die without running any Drop.
        let dir = tempfile::tempdir()?;
        let mut command = Command::new("sleep");
        command.arg("300");
        let daemon = Daemon::spawn("orphan", command, dir.path().join("orphan.log"))?;
        let pid = daemon.pid().context("no pid")?;
        // The tie is made by `setpriv` (prctl PR_SET_PDEATHSIG) before it execs the command;
        // a parent that dies before that instant leaves the child untied. Wait for the exec.
        wait_until(Duration::from_secs(5), || {
            std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "sleep")
        })
        .context("the orphan never became `sleep`")?;
        std::fs::write(&pidfile, pid.to_string())?;
        std::process::exit(0);
    }
    let dir = tempfile::tempdir()?;
    let pidfile = dir.path().join("orphan.pid");
    let out = run_with_timeout(
        Command::new(std::env::current_exe()?)
            .args([
                "--exact",
                "children_die_with_the_test_process",
                "--test-threads=1",
            ])
            .env(ORPHAN_PIDFILE_VAR, &pidfile),
        Duration::from_secs(60),
    )?;
    out.ensure_success()?;
    let pid: u32 = std::fs::read_to_string(&pidfile)?.trim().parse()?;
    wait_until(Duration::from_secs(5), || process_gone(pid))
        .with_context(|| format!("daemon {pid} outlived the test process that started it"))
}

#[test]
fn a_daemon_outlives_the_thread_that_started_it() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let log = dir.path().join("sleeper.log");
    let mut daemon = std::thread::spawn(move || {
        let mut command = Command::new("sleep");
        command.arg("300");
        Daemon::spawn("sleeper", command, log)
    })
    .join()
    .expect("spawning thread panicked")?;
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        daemon.is_running(),
        "the daemon died with the thread that started it"
    );
    daemon.stop()?;
    assert!(!daemon.is_running());
    Ok(())
}

#[test]
fn wait_helpers_are_bounded() {
    let started = Instant::now();
    let err = wait_until(Duration::from_millis(200), || false).expect_err("never true");
    assert!(err.to_string().contains("200ms"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(2));
    let mut n = 0;
    assert_eq!(
        poll_until(Duration::from_secs(5), || {
            n += 1;
            (n == 3).then_some(n)
        })
        .ok(),
        Some(3)
    );
}

#[tokio::test(flavor = "current_thread")]
async fn async_wait_lets_the_runtime_run() -> Result<()> {
    let (tx, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let _ = tx.send(true);
    });
    wait_until_async(Duration::from_secs(5), || {
        let value = *rx.borrow();
        async move { value }
    })
    .await
}

#[test]
fn free_ports_are_not_handed_out_twice() -> Result<()> {
    let ports: Vec<u16> = (0..50).map(|_| free_port()).collect::<Result<_>>()?;
    let mut unique = ports.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), ports.len());
    Ok(())
}

#[test]
fn a_missing_binary_names_its_package() -> Result<()> {
    let err = require_binary("no-such-server-binary").expect_err("found a missing binary");
    assert!(
        err.to_string().contains("apt-get install -y mosquitto"),
        "{err}"
    );
    for server in [
        "mosquitto",
        "mosquitto_passwd",
        "influxd",
        "victoria-metrics",
        "openssl",
    ] {
        require_binary(server)?;
    }
    Ok(())
}

#[test]
fn cargo_bin_builds_the_daemons() -> Result<()> {
    for name in ["coverage-agent", "coverage-collector"] {
        let path = cargo_bin(name)?;
        assert!(Path::new(&path).is_file(), "{}", path.display());
        let out = run_with_timeout(Command::new(&path).arg("--help"), Duration::from_secs(60))?;
        // Only that it runs: what its CLI prints is the daemons' own tests' business.
        out.ensure_success()
            .with_context(|| format!("{name} --help"))?;
    }
    assert!(cargo_bin("no-such-binary").is_err());
    Ok(())
}

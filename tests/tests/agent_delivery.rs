//! End-to-end delivery of the agent (issue 3, "Crash-safe spool"; DESIGN.md, "Delivery
//! guarantees"): a real `coverage-agent` process publishing to a real mosquitto, watched by an
//! MQTT 5 subscriber (QoS 1, persistent session) that records every reading it receives, and the
//! agent's spool read back from disk with [`Spool::open`].
//!
//! - **kill -9** at many random points, then a final drain: nothing on disk is corrupt, every
//!   reading that reached the spool was received at least once, duplicates are byte-identical
//!   copies of one `(site, run, seq)`, no reading was published before it was spooled, `run`
//!   never changes and seqs are never reused (each lifetime numbers a block of its own, without
//!   holes: only the batch being written when killed can be missing).
//! - **broker down**: readings pile up in the spool while mosquitto is stopped and all arrive,
//!   within a bound, once it is back on the same port.
//! - **ACL refusal**: PUBACK 135 (not authorised) is not a delivery: readings stay in the spool
//!   (also across an agent restart), the agent logs at ERROR, keeps running and does not storm
//!   the broker with reconnections; once the ACL is fixed, everything arrives.
//! - **resend**: a collector's request on `coverage/v1/{site}/resend` republishes exactly the
//!   readings asked for, and a request for another run is ignored; a request for more readings
//!   than rumqttc's request channel holds (500, spooled before the agent starts) gets them all.
//!
//! "Every reading on disk" is read from a copy of the spool directory while the agent runs (the
//! agent holds the spool's lock) and from the spool itself once the agent has stopped. The final
//! check of each test runs a quiet agent (no modem, no probe, one heartbeat an hour) on the same
//! state directory until everything on disk has arrived, so the spool stops growing before it is
//! compared with what was received.
//!
//! The kill points come from a seed printed by the test; set `AGENT_DELIVERY_SEED` to replay one.

use std::collections::{BTreeMap, BTreeSet};
use std::net::TcpListener;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use coverage_agent::spool::{Record, Recovery, Spool, SpoolConfig};
use coverage_agent::state::SEQ_BLOCK;
use coverage_e2e::{Daemon, Mosquitto, MosquittoOptions, cargo_bin, poll_until, temp_dir};
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::Packet;
use rumqttc::v5::{AsyncClient, Event, MqttOptions};
use serde_json::Value;
use tempfile::TempDir;

/// How many times the kill test kills the agent.
const KILLS: usize = 25;
/// Range of the agent's life before each kill, milliseconds.
const LIFE_MS: (u64, u64) = (300, 2500);
/// Bound for anything that needs the agent to connect and publish what it has.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(60);
/// Bound for a process to start, log a line, or the subscriber to connect.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// Signal number of SIGKILL.
const SIGKILL: i32 = 9;
/// Interval between two looks at a copy of the spool (each look copies files and fsyncs).
const SNAPSHOT_POLL: Duration = Duration::from_millis(300);

// ---- what the subscriber saw ----

/// One message received on a reading topic.
#[derive(Debug, Clone)]
struct Msg {
    topic: String,
    payload: Vec<u8>,
    site: String,
    run: String,
    seq: u64,
    kind: String,
    /// `spool_depth` of a heartbeat.
    spool_depth: Option<u64>,
}

impl Msg {
    fn parse(topic: String, payload: Vec<u8>) -> Result<Msg> {
        let v: Value = serde_json::from_slice(&payload)
            .with_context(|| format!("payload on {topic} is not JSON"))?;
        let text = |k: &str| {
            v[k].as_str()
                .map(str::to_owned)
                .with_context(|| format!("reading on {topic} has no string {k:?}: {v}"))
        };
        Ok(Msg {
            site: text("site")?,
            run: text("run")?,
            kind: text("kind")?,
            seq: v["seq"]
                .as_u64()
                .with_context(|| format!("reading on {topic} has no seq: {v}"))?,
            spool_depth: v["spool_depth"].as_u64(),
            topic,
            payload,
        })
    }
}

#[derive(Debug, Default)]
struct Seen {
    msgs: Vec<Msg>,
    /// Payloads that are not readings (a test failure, reported by the checks).
    bad: Vec<String>,
    subscribed: usize,
}

/// A collector-like MQTT 5 client: QoS 1, persistent session (subscribed again whenever the
/// broker has lost the session), recording every message on `coverage/v1/+/+` except resend
/// requests. Its event loop runs on a runtime of its own, so the tests stay blocking.
struct Subscriber {
    runtime: tokio::runtime::Runtime,
    client: AsyncClient,
    seen: Arc<Mutex<Seen>>,
}

impl Subscriber {
    fn start(broker: &Mosquitto, user: Option<(&str, &str)>) -> Result<Subscriber> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .context("starting the subscriber's runtime")?;
        let mut options = MqttOptions::new("e2e-delivery-collector", broker.host(), broker.port());
        options
            .set_keep_alive(Duration::from_secs(30))
            .set_clean_start(false)
            .set_session_expiry_interval(Some(3600));
        if let Some((name, password)) = user {
            options.set_credentials(name, password);
        }
        let (client, mut eventloop) = AsyncClient::new(options, 100);
        let seen = Arc::new(Mutex::new(Seen::default()));
        let (task_client, task_seen) = (client.clone(), seen.clone());
        runtime.spawn(async move {
            loop {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                        if !ack.session_present {
                            let _ = task_client.try_subscribe("coverage/v1/+/+", QoS::AtLeastOnce);
                        }
                    }
                    Ok(Event::Incoming(Packet::SubAck(_))) => {
                        task_seen.lock().unwrap().subscribed += 1;
                    }
                    Ok(Event::Incoming(Packet::Publish(p))) => {
                        let topic = String::from_utf8_lossy(&p.topic).into_owned();
                        if topic.ends_with("/resend") {
                            continue;
                        }
                        let payload = p.payload.to_vec();
                        let mut seen = task_seen.lock().unwrap();
                        match Msg::parse(topic, payload) {
                            Ok(m) => seen.msgs.push(m),
                            Err(e) => seen.bad.push(format!("{e:#}")),
                        }
                    }
                    Ok(_) => {}
                    // The broker is down or restarting: rumqttc reconnects on the next poll.
                    Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
                }
            }
        });
        let sub = Subscriber {
            runtime,
            client,
            seen,
        };
        poll_until(START_TIMEOUT, || {
            (sub.seen.lock().unwrap().subscribed > 0).then_some(())
        })
        .context("the subscriber did not get its SUBACK")?;
        Ok(sub)
    }

    fn msgs(&self) -> Vec<Msg> {
        self.seen.lock().unwrap().msgs.clone()
    }

    /// Distinct seqs received.
    fn seqs(&self) -> BTreeSet<u64> {
        self.seen
            .lock()
            .unwrap()
            .msgs
            .iter()
            .map(|m| m.seq)
            .collect()
    }

    /// How many copies of each seq arrived.
    fn counts(&self) -> BTreeMap<u64, usize> {
        let mut counts = BTreeMap::new();
        for m in &self.seen.lock().unwrap().msgs {
            *counts.entry(m.seq).or_default() += 1;
        }
        counts
    }

    fn publish(&self, topic: &str, payload: &str) -> Result<()> {
        self.runtime
            .block_on(self.client.publish(
                topic,
                QoS::AtLeastOnce,
                false,
                payload.as_bytes().to_vec(),
            ))
            .with_context(|| format!("publishing on {topic}"))
    }
}

// ---- the agent under test ----

/// How the agent reaches the broker.
#[derive(Clone)]
struct Broker {
    url: String,
    /// User name (= site id) and password.
    user: Option<(String, String)>,
}

/// One agent's directory: configs, password file, state directory (run, seq, spool), log.
struct Agent {
    site: String,
    broker: Broker,
    dir: TempDir,
    /// A loopback TCP listener for the agent's TCP probe; accepts and drops connections.
    probe_port: u16,
}

impl Agent {
    fn new(site: &str, broker: Broker) -> Result<Agent> {
        let dir = temp_dir("agent-delivery")?;
        let listener = TcpListener::bind("127.0.0.1:0").context("binding the probe target")?;
        let probe_port = listener.local_addr()?.port();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                drop(stream);
            }
        });
        Ok(Agent {
            site: site.into(),
            broker,
            dir,
            probe_port,
        })
    }

    fn state_dir(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    fn spool_dir(&self) -> PathBuf {
        self.state_dir().join("spool")
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("agent.log")
    }

    fn log(&self) -> String {
        strip_ansi(&std::fs::read_to_string(self.log_path()).unwrap_or_default())
    }

    /// The run id on disk.
    fn run_id(&self) -> Result<String> {
        Ok(std::fs::read_to_string(self.state_dir().join("run"))
            .context("reading the agent's run file")?
            .trim()
            .to_owned())
    }

    /// The first seq the next agent lifetime will use.
    fn next_seq(&self) -> u64 {
        std::fs::read_to_string(self.state_dir().join("seq"))
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(1)
    }

    /// Writes `{name}.toml`: `busy` measures every second (a simulated modem, a TCP probe,
    /// heartbeats); otherwise the agent only delivers its spool (one heartbeat an hour).
    fn config(&self, name: &str, busy: bool) -> Result<PathBuf> {
        let mut c = format!(
            "state_dir = \"state\"\n\n[site]\nid = \"{}\"\nlat = 22.147\nlon = 105.834\n\
             placement = \"indoor\"\n\n[mqtt]\nurl = \"{}\"\nkeep_alive = \"5s\"\n",
            self.site, self.broker.url
        );
        if let Some((user, password)) = &self.broker.user {
            std::fs::write(
                self.dir.path().join("mqtt-password"),
                format!("{password}\n"),
            )?;
            c.push_str(&format!(
                "username = \"{user}\"\npassword_file = \"mqtt-password\"\n"
            ));
        }
        if busy {
            c.push_str(&format!(
                "\n[schedule]\nsignal_interval = \"1s\"\nheartbeat_interval = \"1s\"\n\n\
                 [[modems]]\ndriver = \"simulated\"\nname = \"sim0\"\nseed = 1\n\n\
                 [[probes]]\nname = \"loop-tcp\"\nmethod = \"tcp\"\ntarget = \"127.0.0.1:{}\"\n\
                 link = \"other\"\ncount = 1\ntimeout = \"500ms\"\ninterval = \"1s\"\n",
                self.probe_port
            ));
        } else {
            c.push_str("\n[schedule]\nsignal_interval = \"1h\"\nheartbeat_interval = \"1h\"\n");
        }
        let path = self.dir.path().join(format!("{name}.toml"));
        std::fs::write(&path, c).with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }

    fn command(&self, config: &Path) -> Result<Command> {
        let mut cmd = Command::new(cargo_bin("coverage-agent")?);
        cmd.arg("run")
            .arg("--config")
            .arg(config)
            .env("COVERAGE_LOG", "info")
            .env("NO_COLOR", "1");
        Ok(cmd)
    }

    /// Starts the agent measuring every second.
    fn spawn_busy(&self) -> Result<Daemon> {
        let config = self.config("busy", true)?;
        Daemon::spawn("coverage-agent", self.command(&config)?, self.log_path())
    }

    /// Copies the spool directory (the agent may be running and holds its lock) and opens the
    /// copy: what is on disk now.
    fn snapshot(&self) -> Result<OnDisk> {
        let copy = tempfile::tempdir().context("creating a temp dir for a spool copy")?;
        let from = self.spool_dir();
        let mut names: Vec<String> = match std::fs::read_dir(&from) {
            Ok(entries) => entries
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|n| n.ends_with(".seg"))
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e).context("listing the spool"),
        };
        names.sort();
        // The ack state first: the segments it describes only grow after it was written, so
        // none of its offsets points past the bytes copied.
        names.insert(0, "acks".into());
        for name in names {
            match std::fs::copy(from.join(&name), copy.path().join(&name)) {
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e).with_context(|| format!("copying spool file {name}")),
            }
        }
        OnDisk::open(copy.path())
    }

    /// Opens the agent's spool itself (the agent must have stopped).
    fn open_spool(&self) -> Result<OnDisk> {
        OnDisk::open(&self.spool_dir())
    }

    /// The final step of every test: runs a quiet agent on the same state directory until
    /// everything on disk has reached `sub` (and its own heartbeat too), stops it with SIGTERM,
    /// then opens the spool and checks it against what was received.
    fn drain_and_check(&self, sub: &Subscriber) -> Result<Delivery> {
        let first_seq = self.next_seq();
        let config = self.config("drain", false)?;
        let mut agent = Daemon::spawn("coverage-agent", self.command(&config)?, self.log_path())?;
        let started = Instant::now();
        wait_delivered(self, sub, Some(first_seq), DELIVERY_TIMEOUT, &mut agent)
            .context("the draining agent did not deliver its spool")?;
        let drained_in = started.elapsed();
        let status = agent.stop()?.context("the draining agent had no status")?;
        ensure!(
            status.success(),
            "the draining agent exited with {status} on SIGTERM; log:\n{}",
            tail(&self.log(), 40)
        );
        let on_disk = self.open_spool()?;
        let report = check_delivery(self, &on_disk, &sub.msgs())?;
        eprintln!(
            "{}: drained in {drained_in:.1?}; {} readings on disk, {} received ({} duplicates), \
             recovery on the last open: {:?}",
            self.site,
            on_disk.records.len(),
            report.received,
            report.duplicates,
            on_disk.recovery
        );
        Ok(report)
    }
}

/// What a spool held when opened.
struct OnDisk {
    records: Vec<Record>,
    unsent: u64,
    recovery: Recovery,
}

impl OnDisk {
    fn open(dir: &Path) -> Result<OnDisk> {
        let mut spool = Spool::open(dir, SpoolConfig::default())
            .with_context(|| format!("opening the spool in {}", dir.display()))?;
        let records = spool.resend(0, u64::MAX).context("reading the spool")?;
        Ok(OnDisk {
            unsent: spool.depth(),
            recovery: spool.recovery().clone(),
            records,
        })
    }

    fn seqs(&self) -> BTreeSet<u64> {
        self.records.iter().map(|r| r.seq).collect()
    }
}

/// Polls until every reading on disk has been received (and, with `min_seq`, at least one
/// reading numbered from there: the running lifetime's first heartbeat). Fails early when the
/// agent exits.
fn wait_delivered(
    agent: &Agent,
    sub: &Subscriber,
    min_seq: Option<u64>,
    timeout: Duration,
    daemon: &mut Daemon,
) -> Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = daemon.exit_status() {
            bail!(
                "the agent exited ({status}); log tail:\n{}",
                tail(&agent.log(), 40)
            );
        }
        let received = sub.seqs();
        let on_disk = agent.snapshot()?;
        let missing: BTreeSet<u64> = on_disk.seqs().difference(&received).copied().collect();
        let fresh = min_seq.is_none_or(|s| received.range(s..).next().is_some());
        if missing.is_empty() && fresh && !on_disk.records.is_empty() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            bail!(
                "after {timeout:?}, {} readings on disk not received (first: {:?}); \
                 new lifetime seen: {fresh}; agent log tail:\n{}",
                missing.len(),
                missing.iter().take(10).collect::<Vec<_>>(),
                tail(&agent.log(), 40)
            );
        }
        std::thread::sleep(SNAPSHOT_POLL);
    }
}

/// The outcome of [`check_delivery`].
#[derive(Debug)]
struct Delivery {
    /// Messages received.
    received: usize,
    /// Messages beyond the first copy of their seq.
    duplicates: usize,
}

/// Checks what the subscriber received against the stopped agent's spool.
fn check_delivery(agent: &Agent, on_disk: &OnDisk, msgs: &[Msg]) -> Result<Delivery> {
    let r = &on_disk.recovery;
    ensure!(
        r.corrupt_regions == 0 && r.out_of_order == 0 && r.unreadable_segments.is_empty(),
        "the spool is damaged after a clean stop: {r:?}"
    );
    ensure!(
        r.torn_tails == 0,
        "a torn tail after a clean stop (SIGTERM): {r:?}"
    );
    ensure!(
        r.ack_entries_ignored == 0,
        "ack state that does not fit its segments: {r:?}"
    );
    ensure!(!on_disk.records.is_empty(), "the spool is empty");

    // On disk: strictly increasing seqs in file order, each on its own site's topic.
    for w in on_disk.records.windows(2) {
        ensure!(
            w[0].seq < w[1].seq,
            "spool records out of order: seq {} then {}",
            w[0].seq,
            w[1].seq
        );
    }
    let run = agent.run_id()?;
    let by_seq: BTreeMap<u64, &Record> = on_disk.records.iter().map(|r| (r.seq, r)).collect();

    // Received: readings of this site and run only, each one on disk (so it was spooled before
    // it was published), byte for byte; duplicates therefore share (site, run, seq) and bytes.
    let mut counts: BTreeMap<u64, usize> = BTreeMap::new();
    for m in msgs {
        ensure!(
            m.site == agent.site,
            "a reading from site {:?} on {}",
            m.site,
            m.topic
        );
        ensure!(
            m.run == run,
            "seq {} has run {:?}, the state directory's run is {run:?}",
            m.seq,
            m.run
        );
        ensure!(
            m.topic == format!("coverage/v1/{}/{}", m.site, m.kind),
            "seq {} of kind {} arrived on {}",
            m.seq,
            m.kind,
            m.topic
        );
        let Some(rec) = by_seq.get(&m.seq) else {
            bail!(
                "seq {} was received but is not in the spool (published before it was \
                 spooled, or the spool lost it); spool holds {:?}..={:?}",
                m.seq,
                on_disk.records.first().map(|r| r.seq),
                on_disk.records.last().map(|r| r.seq)
            );
        };
        ensure!(
            rec.topic == m.topic && rec.payload == m.payload,
            "seq {} received as {} {:?}, spooled as {} {:?}",
            m.seq,
            m.topic,
            String::from_utf8_lossy(&m.payload),
            rec.topic,
            String::from_utf8_lossy(&rec.payload)
        );
        *counts.entry(m.seq).or_default() += 1;
    }
    // Every reading on disk arrived at least once.
    let missing: Vec<u64> = by_seq
        .keys()
        .filter(|s| !counts.contains_key(s))
        .copied()
        .collect();
    ensure!(
        missing.is_empty(),
        "{} readings in the spool never arrived: {:?}",
        missing.len(),
        &missing[..missing.len().min(20)]
    );
    Ok(Delivery {
        received: msgs.len(),
        duplicates: msgs.len() - counts.len(),
    })
}

/// Each agent lifetime reserves a block of [`SEQ_BLOCK`] seqs before its first reading and
/// numbers its readings from the block's start, one by one. So the seqs on disk, grouped by
/// block, must each start at the block's start and have no hole: a reading written and then
/// lost would leave one; only the batch being written when the agent was killed may be missing,
/// at the end of its block.
fn check_blocks(on_disk: &OnDisk, first_block_start: u64) -> Result<usize> {
    let mut blocks: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    for r in &on_disk.records {
        ensure!(r.seq >= first_block_start, "seq {} below 1", r.seq);
        blocks
            .entry((r.seq - first_block_start) / SEQ_BLOCK)
            .or_default()
            .push(r.seq);
    }
    for (block, seqs) in &blocks {
        let start = first_block_start + block * SEQ_BLOCK;
        let expected: Vec<u64> = (start..start + seqs.len() as u64).collect();
        ensure!(
            *seqs == expected,
            "lifetime {block}: seqs {seqs:?} do not run from {start} without holes"
        );
    }
    Ok(blocks.len())
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Lines of `log` that contain `needle`.
fn count_lines(log: &str, needle: &str) -> usize {
    log.lines().filter(|l| l.contains(needle)).count()
}

/// Spool damage the agent logged while recovering: none is expected from kill -9 (the kernel
/// keeps what was written), except a torn tail per kill in theory.
fn check_recovery_logs(log: &str, kills: usize) -> Result<()> {
    for needle in [
        "Damaged spool record skipped",
        "Out-of-order spool record skipped",
        "Unreadable spool segment",
        "Spool ack state is damaged",
        "does not fit its segment",
        "became unreadable before delivery",
        "Cannot write the spool",
        "panicked",
    ] {
        let n = count_lines(log, needle);
        ensure!(
            n == 0,
            "the agent logged {needle:?} {n} times; matching lines:\n{}",
            log.lines()
                .filter(|l| l.contains(needle))
                .take(10)
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    let torn = count_lines(log, "Cut a torn tail");
    ensure!(torn <= kills, "{torn} torn tails after {kills} kills");
    Ok(())
}

/// A small deterministic generator for the kill points (xorshift64*).
struct Rng(u64);

impl Rng {
    fn from_env_or_clock() -> Rng {
        let seed = std::env::var("AGENT_DELIVERY_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_nanos() as u64)
            })
            .max(1);
        eprintln!("kill points: AGENT_DELIVERY_SEED={seed}");
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn range(&mut self, (lo, hi): (u64, u64)) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

fn anonymous(broker: &Mosquitto) -> Broker {
    Broker {
        url: broker.url(),
        user: None,
    }
}

// ---- the tests ----

#[test]
fn kill_9_at_random_points_loses_nothing_that_reached_the_spool() -> Result<()> {
    let started = Instant::now();
    let broker = Mosquitto::start(MosquittoOptions::default())?;
    let sub = Subscriber::start(&broker, None)?;
    let agent = Agent::new("e2e-kill", anonymous(&broker))?;
    let mut rng = Rng::from_env_or_clock();

    let mut daemon = agent.spawn_busy()?;
    for i in 0..KILLS {
        if i > 0 {
            daemon.restart()?;
        }
        std::thread::sleep(Duration::from_millis(rng.range(LIFE_MS)));
        let status = daemon.kill()?.context("the agent had no exit status")?;
        ensure!(
            status.signal() == Some(SIGKILL),
            "kill {i}: the agent had exited by itself ({status}) before SIGKILL; log tail:\n{}",
            tail(&agent.log(), 40)
        );
    }
    let before_drain = agent.snapshot()?;
    eprintln!(
        "after {KILLS} kills: {} readings on disk, {} unsent, {} received; recovery {:?}",
        before_drain.records.len(),
        before_drain.unsent,
        sub.msgs().len(),
        before_drain.recovery
    );
    ensure!(
        before_drain.records.len() >= KILLS / 2,
        "only {} readings reached the spool in {KILLS} lifetimes",
        before_drain.records.len()
    );

    let report = agent.drain_and_check(&sub)?;
    let on_disk = agent.open_spool()?;
    let lifetimes = check_blocks(&on_disk, 1)?;
    ensure!(
        (2..=KILLS + 1).contains(&lifetimes),
        "{lifetimes} seq blocks for {} agent lifetimes",
        KILLS + 1
    );
    check_recovery_logs(&agent.log(), KILLS)?;
    // A kill resends what was acknowledged since the last commit (about a second of readings)
    // plus what was in flight (at most the publisher's window).
    let bound = KILLS * coverage_agent::publish::WINDOW;
    ensure!(
        report.duplicates <= bound,
        "{} duplicates after {KILLS} kills (bound {bound})",
        report.duplicates
    );
    let bad = sub.seen.lock().unwrap().bad.clone();
    ensure!(bad.is_empty(), "messages that are not readings: {bad:?}");
    eprintln!(
        "kill -9 x{KILLS}: {lifetimes} lifetimes wrote readings, {} duplicates, {:.1?}",
        report.duplicates,
        started.elapsed()
    );
    Ok(())
}

#[test]
fn readings_pile_up_while_the_broker_is_down_and_all_arrive() -> Result<()> {
    let started = Instant::now();
    // Persistence keeps the subscriber's session (and what is queued for it) across the stop.
    let mut broker = Mosquitto::start(MosquittoOptions::default().with_persistence())?;
    let sub = Subscriber::start(&broker, None)?;
    let agent = Agent::new("e2e-broker-down", anonymous(&broker))?;
    let mut daemon = agent.spawn_busy()?;
    poll_until(START_TIMEOUT, || (sub.seqs().len() >= 3).then_some(()))
        .context("no readings from the agent")?;

    broker.stop()?;
    let down_at = Instant::now();
    // Readings pile up in the spool: at least ~8 s worth of them (three a second).
    let piled = poll_until(START_TIMEOUT, || {
        let s = agent.snapshot().ok()?;
        (s.unsent >= 24).then_some(s)
    })
    .context("readings did not pile up in the spool while the broker was down")?;
    ensure!(
        daemon.is_running(),
        "the agent died while the broker was down"
    );
    let down_for = down_at.elapsed();
    broker.restart()?;
    let back_at = Instant::now();

    // Everything that piled up arrives within the bound: the agent's reconnection backoff
    // (doubling from 0.5 s, at most 32 s) plus delivery.
    let piled_seqs = piled.seqs();
    poll_until(DELIVERY_TIMEOUT, || {
        let received = sub.seqs();
        piled_seqs.is_subset(&received).then_some(())
    })
    .with_context(|| {
        format!(
            "readings spooled while the broker was down did not arrive; agent log:\n{}",
            tail(&agent.log(), 30)
        )
    })?;
    let caught_up = back_at.elapsed();
    // The heartbeats measured during the outage said so too.
    let max_depth = sub
        .msgs()
        .iter()
        .filter_map(|m| m.spool_depth)
        .max()
        .unwrap_or(0);
    ensure!(
        max_depth >= 10,
        "no heartbeat reported the readings piling up (max spool_depth {max_depth})"
    );
    daemon.stop()?;

    let report = agent.drain_and_check(&sub)?;
    let on_disk = agent.open_spool()?;
    ensure!(
        check_blocks(&on_disk, 1)? == 2,
        "two agent lifetimes (busy, then draining) expected"
    );
    check_recovery_logs(&agent.log(), 0)?;
    eprintln!(
        "broker down {down_for:.1?}: {} readings piled up (max heartbeat spool_depth \
         {max_depth}), all received {caught_up:.1?} after the restart; {} duplicates; {:.1?}",
        piled.unsent,
        report.duplicates,
        started.elapsed()
    );
    Ok(())
}

#[test]
fn readings_refused_by_the_acl_stay_spooled_until_it_is_fixed() -> Result<()> {
    let started = Instant::now();
    let site = "e2e-acl";
    let mut broker = Mosquitto::start(
        // Persistence keeps the subscriber's session across the broker restarts below.
        MosquittoOptions::default()
            .with_persistence()
            .with_agent(site, "agent-pw")
            .with_collector("collector", "collector-pw"),
    )?;
    let acl_path = broker.acl_path().context("the broker has no ACL file")?;
    let right_acl = std::fs::read_to_string(&acl_path)?;
    ensure!(
        right_acl.contains("pattern write coverage/v1/%u/#"),
        "unexpected ACL:\n{right_acl}"
    );
    // An ACL that lets the agent log in but write nothing of its own site's readings.
    let wrong_acl = right_acl.replace(
        "pattern write coverage/v1/%u/#",
        "pattern write coverage/v1/%u/nothing-here",
    );
    std::fs::write(&acl_path, &wrong_acl)?;
    broker.restart()?;

    let sub = Subscriber::start(&broker, Some(("collector", "collector-pw")))?;
    let agent = Agent::new(
        site,
        Broker {
            url: broker.url(),
            user: Some((site.into(), "agent-pw".into())),
        },
    )?;

    // 1. Refused: logged at ERROR, no delivery, the agent runs on without a reconnection storm.
    let mut daemon = agent.spawn_busy()?;
    daemon
        .wait_for_log("Broker refused a reading", START_TIMEOUT)
        .context("the agent never reported the refusal")?;
    let refused_at = Instant::now();
    let refusal_line = agent
        .log()
        .lines()
        .find(|l| l.contains("Broker refused a reading"))
        .map(str::to_owned)
        .unwrap_or_default();
    ensure!(
        refusal_line.contains("ERROR"),
        "the refusal is not logged at ERROR: {refusal_line}"
    );
    ensure!(
        refusal_line.contains("NotAuthorized"),
        "the refusal does not say why: {refusal_line}"
    );
    // Watch a few seconds: mosquitto closes the connection after each refusal, so an agent
    // that retried at once would reconnect and be refused again every half second.
    let piled = poll_until(START_TIMEOUT, || {
        let s = agent.snapshot().ok()?;
        (s.unsent >= 15).then_some(s)
    })?;
    ensure!(daemon.is_running(), "the agent exited after a refusal");
    let log = agent.log();
    let watched = refused_at.elapsed();
    let after_refusal = &log[log.find("Broker refused a reading").unwrap_or(0)..];
    let connects = count_lines(after_refusal, "Connected to the broker.");
    let refusals = count_lines(after_refusal, "Broker refused a reading");
    ensure!(
        connects <= 2 && refusals <= 2,
        "{connects} connections and {refusals} refusals within {watched:.1?} of the first \
         refusal: the agent retries refused readings without pausing; log tail:\n{}",
        tail(&log, 30)
    );
    let received = sub.msgs();
    ensure!(
        received.is_empty(),
        "{} readings got through a refusing ACL",
        received.len()
    );

    // 2. Stopped while refused: everything is still unsent in the spool on disk.
    daemon.stop()?;
    let on_disk = agent.open_spool()?;
    ensure!(
        on_disk.unsent == on_disk.records.len() as u64 && on_disk.unsent >= piled.unsent,
        "refused readings were acknowledged in the spool: {} unsent of {} on disk",
        on_disk.unsent,
        on_disk.records.len()
    );
    let refused_unsent = on_disk.unsent;
    drop(on_disk);

    // 3. Still refused after a restart; then the ACL is fixed and the broker restarted while the
    //    agent runs: everything arrives (after the agent's refusal pause).
    daemon.restart()?;
    daemon
        .wait_for_log("Broker refused a reading", START_TIMEOUT)
        .context("the restarted agent was not refused")?;
    // Every refusal rumqttc saw reached the agent, even one read just before mosquitto closed
    // the connection (rumqttc yields that PUBACK after the error reporting the close).
    let log = agent.log();
    let seen_by_rumqttc = count_lines(&log, "reason: NotAuthorized");
    let reported = count_lines(&log, "Broker refused a reading");
    ensure!(
        seen_by_rumqttc == 0 || seen_by_rumqttc == reported,
        "rumqttc received {seen_by_rumqttc} PUBACKs NotAuthorized, the agent reported \
         {reported}; log:\n{}",
        tail(&log, 40)
    );
    std::fs::write(&acl_path, &right_acl)?;
    broker.restart()?;
    let fixed_at = Instant::now();
    let first_seq_after = on_disk_max(&agent)?;
    wait_delivered(
        &agent,
        &sub,
        Some(first_seq_after + 1),
        DELIVERY_TIMEOUT + coverage_agent::publish::REFUSAL_PAUSE,
        &mut daemon,
    )
    .context("readings did not arrive after the ACL was fixed")?;
    let delivered_after = fixed_at.elapsed();
    daemon.stop()?;

    let report = agent.drain_and_check(&sub)?;
    check_recovery_logs(&agent.log(), 0)?;
    eprintln!(
        "ACL refusal: {refused_unsent} readings refused and kept; delivered {delivered_after:.1?} \
         after the fix; {} duplicates; {:.1?}",
        report.duplicates,
        started.elapsed()
    );
    Ok(())
}

/// The highest seq on disk now.
fn on_disk_max(agent: &Agent) -> Result<u64> {
    Ok(agent.snapshot()?.records.last().map_or(0, |r| r.seq))
}

#[test]
fn a_resend_request_republishes_the_readings_asked_for() -> Result<()> {
    let started = Instant::now();
    let broker = Mosquitto::start(MosquittoOptions::default())?;
    let sub = Subscriber::start(&broker, None)?;
    let agent = Agent::new("e2e-resend", anonymous(&broker))?;
    let mut daemon = agent.spawn_busy()?;
    let first: Vec<u64> = poll_until(START_TIMEOUT, || {
        let seqs = sub.seqs();
        (seqs.len() >= 6).then(|| seqs.into_iter().collect())
    })
    .context("no readings from the agent")?;
    let run = agent.run_id()?;
    let topic = format!("coverage/v1/{}/resend", agent.site);
    let (from, to) = (first[1], first[3]);
    let before = sub.counts();
    ensure!(
        (from..=to).all(|s| before.get(&s) == Some(&1)),
        "duplicates before any resend: {before:?}"
    );

    // Another run's request is ignored.
    sub.publish(
        &topic,
        &format!(r#"{{"run":"not-{run}","from":{from},"to":{to}}}"#),
    )?;
    daemon.wait_for_log("Ignoring a resend request for another run", START_TIMEOUT)?;

    sub.publish(
        &topic,
        &format!(r#"{{"run":"{run}","from":{from},"to":{to}}}"#),
    )?;
    poll_until(START_TIMEOUT, || {
        let counts = sub.counts();
        (from..=to)
            .all(|s| counts.get(&s) == Some(&2))
            .then_some(())
    })
    .with_context(|| {
        format!(
            "seqs {from}..={to} were not republished; counts {:?}; log tail:\n{}",
            sub.counts(),
            tail(&agent.log(), 20)
        )
    })?;
    // Exactly the readings asked for came twice; nothing else did.
    let counts = sub.counts();
    let extra: Vec<(u64, usize)> = counts
        .iter()
        .filter(|&(s, &n)| n != if (from..=to).contains(s) { 2 } else { 1 })
        .map(|(&s, &n)| (s, n))
        .collect();
    ensure!(
        extra.is_empty(),
        "copies other than the requested resend: {extra:?}"
    );
    daemon.stop()?;

    let report = agent.drain_and_check(&sub)?;
    eprintln!(
        "resend {from}..={to}: republished byte for byte; {} received in all; {:.1?}",
        report.received,
        started.elapsed()
    );
    Ok(())
}

#[test]
fn a_resend_request_for_many_readings_republishes_them_all() -> Result<()> {
    const SPOOLED: u64 = 500;
    let started = Instant::now();
    let broker = Mosquitto::start(MosquittoOptions::default())?;
    let sub = Subscriber::start(&broker, None)?;
    let agent = Agent::new("e2e-resend-many", anonymous(&broker))?;

    // A state directory as an agent that recorded 500 readings would have left it: its run, its
    // seq reservation, and the readings in the spool.
    let run = "0123456789abcdef";
    std::fs::create_dir_all(agent.state_dir())?;
    std::fs::write(agent.state_dir().join("run"), format!("{run}\n"))?;
    std::fs::write(
        agent.state_dir().join("seq"),
        format!("{}\n", SEQ_BLOCK + 1),
    )?;
    let mut spool = Spool::open(agent.spool_dir(), SpoolConfig::default())?;
    let records: Vec<Record> = (1..=SPOOLED)
        .map(|seq| Record {
            seq,
            topic: format!("coverage/v1/{}/heartbeat", agent.site),
            payload: format!(
                r#"{{"v":1,"site":"{}","run":"{run}","seq":{seq},"kind":"heartbeat","pad":"{}"}}"#,
                agent.site,
                "x".repeat(300)
            )
            .into_bytes(),
        })
        .collect();
    spool.append_batch(&records)?;
    spool.close()?;

    let mut daemon = agent.spawn_busy()?;
    poll_until(DELIVERY_TIMEOUT, || {
        let seqs = sub.seqs();
        (1..=SPOOLED).all(|s| seqs.contains(&s)).then_some(())
    })
    .context("the spooled readings were not delivered")?;
    let topic = format!("coverage/v1/{}/resend", agent.site);
    sub.publish(
        &topic,
        &format!(r#"{{"run":"{run}","from":1,"to":{SPOOLED}}}"#),
    )?;
    poll_until(DELIVERY_TIMEOUT, || {
        let counts = sub.counts();
        (1..=SPOOLED)
            .all(|s| counts.get(&s).is_some_and(|&n| n >= 2))
            .then_some(())
    })
    .with_context(|| {
        let counts = sub.counts();
        let again = (1..=SPOOLED)
            .filter(|s| counts.get(s).is_some_and(|&n| n >= 2))
            .count();
        format!(
            "only {again} of {SPOOLED} readings were republished; log tail:\n{}",
            tail(&agent.log(), 20)
        )
    })?;
    let log = agent.log();
    ensure!(
        count_lines(&log, "Cannot queue a publish") == 0,
        "publishes were refused by rumqttc's request channel; log tail:\n{}",
        tail(&log, 20)
    );
    daemon.stop()?;

    let report = agent.drain_and_check(&sub)?;
    eprintln!(
        "resend of {SPOOLED} readings: all republished; {} received in all; {:.1?}",
        report.received,
        started.elapsed()
    );
    Ok(())
}

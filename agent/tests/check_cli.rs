//! The real `coverage-agent` binary's `check` and `init` against real servers on loopback: a
//! mosquitto 2 (Debian package) started here on a free port (anonymous, or with a password file
//! and the per-site ACL, or TLS with a throw-away CA made with `openssl`), a TCP listener for
//! the TCP probe, and the simulated modem. Nothing leaves 127.0.0.1.
//!
//! mosquitto started as root switches to user `mosquitto`, which cannot read root's 0600 files
//! in a 0700 temp dir: as root the config says `user root` (as the e2e harness does).

use std::io::Write as _;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use coverage_agent::config::AgentConfig;

const BIN: &str = env!("CARGO_BIN_EXE_coverage-agent");
const SITE: &str = "tn-01840-a";
/// 870 m inside Phường Đức Xuân, thai-nguyen-2025 01840.
const LAT: f64 = 22.162534;
const LON: f64 = 105.844234;

fn boundaries() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/boundaries")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

/// A mosquitto of this test, killed on drop.
struct Broker {
    child: Option<Child>,
    port: u16,
    dir: tempfile::TempDir,
}

impl Broker {
    /// Starts mosquitto with `extra` config lines on a free loopback port, in a new directory.
    fn start(extra: &str) -> Broker {
        Broker::start_in(tempfile::tempdir().unwrap(), extra, false)
    }

    /// Starts mosquitto in `dir` with `extra` config lines (`{dir}` is replaced by the
    /// directory) and one listener on a free loopback port; with `tls`, the listener uses
    /// `ca.crt`, `server.crt` and `server.key` of `dir`.
    fn start_in(dir: tempfile::TempDir, extra: &str, tls: bool) -> Broker {
        let port = free_port();
        let mut conf = String::new();
        if is_root() {
            conf.push_str("user root\n");
        }
        conf.push_str("log_dest stderr\npersistence false\nper_listener_settings false\n");
        conf.push_str(&extra.replace("{dir}", &dir.path().display().to_string()));
        conf.push_str(&format!("\nlistener {port} 127.0.0.1\n"));
        if tls {
            let d = dir.path().display();
            conf.push_str(&format!(
                "cafile {d}/ca.crt\ncertfile {d}/server.crt\nkeyfile {d}/server.key\n"
            ));
        }
        let path = dir.path().join("mosquitto.conf");
        std::fs::write(&path, conf).unwrap();
        let log = std::fs::File::create(dir.path().join("mosquitto.log")).unwrap();
        let child = Command::new("mosquitto")
            .arg("-c")
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("mosquitto (Debian package `mosquitto`) must be installed");
        let mut b = Broker {
            child: Some(child),
            port,
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(status) = b.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("mosquitto exited ({status}): {}", b.log());
            }
            assert!(
                Instant::now() < deadline,
                "mosquitto not ready: {}",
                b.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        b
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("mosquitto.log")).unwrap_or_default()
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.stop();
    }
}

/// What a test site's config contains besides the site, the modem and the TCP probe.
struct Site {
    dir: tempfile::TempDir,
    broker_url: String,
    mqtt_extra: String,
    extra: String,
    tcp_port: u16,
}

impl Site {
    fn new(broker_url: String, tcp_port: u16) -> Site {
        Site {
            dir: tempfile::tempdir().unwrap(),
            broker_url,
            mqtt_extra: String::new(),
            extra: String::new(),
            tcp_port,
        }
    }

    fn write(&self) -> PathBuf {
        let text = format!(
            r#"state_dir = "state"
boundaries_dir = "{boundaries}"

[site]
id = "{SITE}"
lat = {LAT}
lon = {LON}
placement = "indoor"
commune = {{ set = "thai-nguyen-2025", code = "01840" }}

[mqtt]
url = "{url}"
{mqtt_extra}

[[modems]]
driver = "simulated"
name = "sim0"
seed = 7
preset = "strong"

[[probes]]
name = "loop-tcp"
method = "tcp"
target = "127.0.0.1:{tcp}"
link = "fibre"
count = 2
spacing = "100ms"
timeout = "1s"
{extra}"#,
            url = self.broker_url,
            mqtt_extra = self.mqtt_extra,
            boundaries = boundaries().display(),
            tcp = self.tcp_port,
            extra = self.extra,
        );
        let path = self.dir.path().join("agent.toml");
        std::fs::write(&path, text).unwrap();
        path
    }
}

fn check(config: &Path, args: &[&str]) -> Output {
    let out = Command::new(BIN)
        .arg("check")
        .arg("--config")
        .arg(config)
        .args(["--timeout", "10s"])
        .args(args)
        // English unless a test asks for Vietnamese with --lang.
        .env_remove("LANG")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    eprintln!(
        "--- check {}\n{}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The check lines (`✔ name  detail`), with the fix line that follows each, if any.
fn lines(out: &Output) -> Vec<(String, Option<String>)> {
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    let mut v: Vec<(String, Option<String>)> = Vec::new();
    for l in text.lines() {
        if l.starts_with(['✔', '!', '✘']) {
            v.push((l.to_owned(), None));
        } else if let Some(fix) = l.trim_start().strip_prefix("fix: ") {
            v.last_mut().unwrap().1 = Some(fix.to_owned());
        }
    }
    v
}

fn line<'a>(lines: &'a [(String, Option<String>)], name: &str) -> &'a (String, Option<String>) {
    lines
        .iter()
        .find(|(l, _)| l[l.char_indices().nth(2).unwrap().0..].starts_with(name))
        .unwrap_or_else(|| panic!("no `{name}` line in {lines:#?}"))
}

#[test]
fn every_line_passes_against_a_real_broker_and_the_heartbeat_is_valid() {
    let broker = Broker::start("allow_anonymous true\n");
    let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
    let site = Site::new(
        format!("mqtt://127.0.0.1:{}", broker.port),
        tcp.local_addr().unwrap().port(),
    );
    let config = site.write();

    // Listen for the test heartbeat as a collector would.
    let mut opts = rumqttc::v5::MqttOptions::new("test-collector", "127.0.0.1", broker.port);
    opts.set_keep_alive(Duration::from_secs(30));
    let (client, mut connection) = rumqttc::v5::Client::new(opts, 10);
    client
        .subscribe(
            "coverage/v1/+/heartbeat",
            rumqttc::v5::mqttbytes::QoS::AtLeastOnce,
        )
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for event in connection.iter() {
            match event {
                Ok(rumqttc::v5::Event::Incoming(rumqttc::v5::mqttbytes::v5::Packet::SubAck(_))) => {
                    let _ = tx.send(None);
                }
                Ok(rumqttc::v5::Event::Incoming(rumqttc::v5::mqttbytes::v5::Packet::Publish(
                    p,
                ))) => {
                    let topic = String::from_utf8_lossy(&p.topic).into_owned();
                    let _ = tx.send(Some((topic, p.payload.to_vec())));
                    return;
                }
                Ok(_) => {}
                Err(_) => return,
            }
        }
    });
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(10)).unwrap(),
        None,
        "subscribed"
    );

    let out = check(&config, &[]);
    assert_eq!(out.status.code(), Some(0));
    let lines = lines(&out);
    let names: Vec<&str> = [
        "config",
        "state",
        "modem sim0",
        "signal sim0",
        "network sim0",
        "probe loop-tcp",
        "broker",
        "clock",
        "commune",
    ]
    .to_vec();
    assert_eq!(lines.len(), names.len(), "{lines:#?}");
    for name in names {
        let (l, fix) = line(&lines, name);
        if name == "clock" {
            assert!(!l.starts_with('✘'), "{l}");
        } else {
            assert!(l.starts_with('✔'), "{l} / {fix:?}");
            assert!(fix.is_none());
        }
    }
    assert!(
        line(&lines, "probe loop-tcp")
            .0
            .contains("2/2 replies, p50")
    );
    assert!(line(&lines, "commune").0.contains("Phường Đức Xuân"));
    assert!(
        line(&lines, "signal sim0")
            .0
            .contains("usable for the audit")
    );

    // The heartbeat is a valid wire-format reading of its own run, seq 1.
    let (topic, payload) = rx.recv_timeout(Duration::from_secs(10)).unwrap().unwrap();
    assert_eq!(topic, format!("coverage/v1/{SITE}/heartbeat"));
    let valid = coverage_shared::validate::decode(&topic, &payload, chrono::Utc::now())
        .unwrap_or_else(|e| panic!("{e:?}: {}", String::from_utf8_lossy(&payload)));
    assert!(valid.reading.header.run.starts_with("check-"), "{valid:?}");
    assert_eq!(valid.reading.header.seq, 1);

    // --json: one object, ok.
    let out = check(&config, &["--json"]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["checks"].as_array().unwrap().len(), 9);
    assert!(
        v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["status"] == "pass" || c["name"] == "clock")
    );
    drop(tcp);
}

#[test]
fn a_stopped_broker_and_a_dead_probe_fail_with_fixes_and_the_rest_still_runs() {
    let mut broker = Broker::start("allow_anonymous true\n");
    broker.stop();
    let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut site = Site::new(
        format!("mqtt://127.0.0.1:{}", broker.port),
        tcp.local_addr().unwrap().port(),
    );
    // A refused TCP connect counts as a reply; an ICMP probe bound to a missing interface is
    // 100% loss with an error.
    site.extra = r#"
[[modems]]
driver = "at"
name = "q"
port = "/dev/ttyNOSUCHPORT"

[[probes]]
name = "loop-icmp"
method = "icmp"
target = "127.0.0.1"
link = "fibre"
interface = "nonexistent0"
count = 2
spacing = "100ms"
timeout = "1s"
"#
    .into();
    let config = site.write();
    let out = check(&config, &[]);
    assert_eq!(out.status.code(), Some(1));
    let lines = lines(&out);
    let (l, fix) = line(&lines, "broker");
    assert!(l.starts_with('✘'), "{l}");
    assert!(
        fix.as_deref()
            .unwrap()
            .contains("nothing accepts connections"),
        "{fix:?}"
    );
    let (l, fix) = line(&lines, "probe loop-icmp");
    assert!(l.starts_with('✘') && l.contains("0/2 replies"), "{l}");
    assert!(l.contains("nonexistent0 does not exist"), "{l}");
    assert!(fix.as_deref().unwrap().contains("ip -br link"), "{fix:?}");
    let (l, fix) = line(&lines, "modem q ");
    assert!(
        l.starts_with('✘') && l.contains("/dev/ttyNOSUCHPORT"),
        "{l}"
    );
    assert!(
        fix.as_deref().unwrap().contains("ls /dev/ttyUSB*"),
        "{fix:?}"
    );
    // Independent checks still ran and passed.
    for name in ["modem sim0", "probe loop-tcp", "commune", "state"] {
        assert!(line(&lines, name).0.starts_with('✔'), "{name}");
    }
    let v: serde_json::Value = serde_json::from_slice(&check(&config, &["--json"]).stdout).unwrap();
    assert_eq!(v["ok"], false);
    let broker_json = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "broker")
        .unwrap();
    assert_eq!(broker_json["status"], "fail");
    assert!(broker_json["fix"].is_string());
    drop(tcp);
}

fn passwd(dir: &Path, user: &str, password: &str) {
    let status = Command::new("mosquitto_passwd")
        .args(["-c", "-b"])
        .arg(dir.join("passwd"))
        .args([user, password])
        .stdin(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn acl_refusal_and_bad_password_have_their_own_fixes() {
    // The password file and the ACL must exist before the broker starts.
    let pre = tempfile::tempdir().unwrap();
    passwd(pre.path(), SITE, "right");
    // An ACL without the heartbeat: the publish is refused with PUBACK 135.
    std::fs::write(
        pre.path().join("acl"),
        "pattern write coverage/v1/%u/signal\n",
    )
    .unwrap();
    let broker = Broker::start_in(
        pre,
        "allow_anonymous false\npassword_file {dir}/passwd\nacl_file {dir}/acl\n",
        false,
    );
    let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut site = Site::new(
        format!("mqtt://127.0.0.1:{}", broker.port),
        tcp.local_addr().unwrap().port(),
    );
    site.mqtt_extra = format!("username = \"{SITE}\"\npassword_file = \"mqtt-password\"\n");
    let config = site.write();

    std::fs::write(site.dir.path().join("mqtt-password"), "right\n").unwrap();
    let out = check(&config, &[]);
    assert_eq!(out.status.code(), Some(1));
    let lines1 = lines(&out);
    let (l, fix) = line(&lines1, "broker");
    assert!(l.starts_with('✘') && l.contains("not authorised"), "{l}");
    assert!(
        fix.as_deref()
            .unwrap()
            .starts_with("broker refused: check the ACL and that mqtt.username equals site.id"),
        "{fix:?}"
    );

    std::fs::write(site.dir.path().join("mqtt-password"), "wrong\n").unwrap();
    let out = check(&config, &[]);
    assert_eq!(out.status.code(), Some(1));
    let lines2 = lines(&out);
    let (l, fix) = line(&lines2, "broker");
    assert!(l.starts_with('✘'), "{l}");
    let fix = fix.as_deref().unwrap();
    assert!(
        fix.contains("bad credentials") || fix.contains("refused user"),
        "{fix}"
    );
    assert!(fix.contains("mqtt-password (first line)"), "{fix}");

    std::fs::remove_file(site.dir.path().join("mqtt-password")).unwrap();
    let out = check(&config, &[]);
    let lines3 = lines(&out);
    let (l, fix) = line(&lines3, "broker");
    assert!(
        l.starts_with('✘') && l.contains("mqtt.password_file"),
        "{l}"
    );
    assert!(fix.as_deref().unwrap().contains("first line"), "{fix:?}");
    drop(tcp);
}

/// A CA and a server certificate for `localhost`, made with the openssl CLI.
fn make_certs(dir: &Path, name: &str) {
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\n\
         keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    let ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    for step in [
        format!(
            "req -x509 {ec} -days 30 -keyout ca.key -out ca.crt -subj /CN={name} \
             -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign"
        ),
        format!("req -new {ec} -keyout server.key -out server.csr -subj /CN=localhost"),
        "x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 \
         -out server.crt -extfile server.ext"
            .to_owned(),
    ] {
        let out = Command::new("openssl")
            .args(step.split_whitespace())
            .current_dir(dir)
            .stdin(Stdio::null())
            .output()
            .expect("openssl must be installed");
        assert!(
            out.status.success(),
            "openssl {step}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn tls_with_an_unknown_ca_says_which_ca_file_to_set() {
    let certs = tempfile::tempdir().unwrap();
    make_certs(certs.path(), "coverage-check-test-ca");
    let broker = Broker::start_in(certs, "allow_anonymous true\n", true);
    let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut site = Site::new(
        format!("mqtts://localhost:{}", broker.port),
        tcp.local_addr().unwrap().port(),
    );
    // A CA that did not sign the broker's certificate.
    let other = tempfile::tempdir().unwrap();
    make_certs(other.path(), "some-other-ca");
    site.mqtt_extra = format!("ca_file = \"{}/ca.crt\"\n", other.path().display());
    let config = site.write();
    let out = check(&config, &[]);
    assert_eq!(out.status.code(), Some(1));
    let lines1 = lines(&out);
    let (l, fix) = line(&lines1, "broker");
    assert!(l.starts_with('✘') && l.contains("TLS"), "{l}");
    assert!(
        fix.as_deref().unwrap().contains("set mqtt.ca_file"),
        "{fix:?}"
    );

    // With the right CA it passes.
    site.mqtt_extra = format!("ca_file = \"{}/ca.crt\"\n", broker.dir.path().display());
    let config = site.write();
    let out = check(&config, &[]);
    let lines2 = lines(&out);
    assert!(line(&lines2, "broker").0.starts_with('✔'), "{lines2:#?}");
    drop(tcp);
}

#[test]
fn init_writes_a_config_that_loads_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("etc/agent.toml");
    let flags = |out: &Path| -> Vec<String> {
        [
            "init",
            "--site",
            SITE,
            "--lat",
            "22.162534",
            "--lon",
            "105.844234",
            "--commune",
            "thai-nguyen-2025:01840",
            "--broker",
            "mqtts://broker.example.invalid:8883",
            "--credentials-file",
            "mqtt-password",
            "--modem",
            "at:/dev/ttyUSB2:quectel",
            "--fibre-interface",
            "eth0",
            "--target",
            "10.6.0.1",
            "--out",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain([out.display().to_string()])
        .collect()
    };
    let run = |args: &[String]| {
        Command::new(BIN)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let out = run(&flags(&out_path));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("Put the MQTT password"), "{said}");
    assert!(said.contains("coverage-agent check --config"), "{said}");
    let cfg = AgentConfig::load(&out_path).unwrap();
    assert_eq!(cfg.site.id, SITE);
    assert_eq!(cfg.mqtt.username.as_deref(), Some(SITE));
    assert_eq!(cfg.modems.len(), 1);
    let text = std::fs::read_to_string(&out_path).unwrap();
    assert!(
        !text.lines().any(|l| l.starts_with("password =")),
        "no password in the config"
    );

    // No overwrite without --force; the file is unchanged.
    let mut again = flags(&out_path);
    again[2] = "tn-01840-b".into();
    let out = run(&again);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("exists") && err.contains("--force"), "{err}");
    assert_eq!(std::fs::read_to_string(&out_path).unwrap(), text);
    again.push("--force".into());
    assert!(run(&again).status.success());
    assert_eq!(AgentConfig::load(&out_path).unwrap().site.id, "tn-01840-b");

    // A missing flag, and standard input is not a terminal: the error names the flag.
    let mut missing = flags(&dir.path().join("other.toml"));
    let i = missing.iter().position(|a| a == "--target").unwrap();
    missing.drain(i..i + 2);
    let out = run(&missing);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--target is required"), "{err}");
    assert!(!dir.path().join("other.toml").exists());

    // A bad value names its flag.
    let mut bad = flags(&dir.path().join("other.toml"));
    let i = bad.iter().position(|a| a == "--lat").unwrap();
    bad[i + 1] = "-95".into();
    let out = run(&bad);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--lat: -95 is not a latitude"), "{err}");
}

#[test]
fn init_then_check_passes_on_loopback() {
    let broker = Broker::start("allow_anonymous true\n");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agent.toml");
    let out = Command::new(BIN)
        .args([
            "init",
            "--site",
            SITE,
            "--lat",
            "22.162534",
            "--lon",
            "105.844234",
        ])
        .args(["--commune", "thai-nguyen-2025:01840"])
        .arg("--broker")
        .arg(format!("mqtt://127.0.0.1:{}", broker.port))
        .args([
            "--credentials-file",
            "mqtt-password",
            "--modem",
            "simulated:strong",
        ])
        .args(["--fibre-interface", "lo", "--target", "127.0.0.1", "--out"])
        .arg(&path)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The broker is anonymous; any password will do, but the file must exist.
    let mut f = std::fs::File::create(dir.path().join("mqtt-password")).unwrap();
    writeln!(f, "unused").unwrap();
    // State and boundaries in the test's directory.
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "# state_dir = \"/var/lib/coverage-agent\"",
        &format!(
            "state_dir = \"state\"\nboundaries_dir = \"{}\"",
            boundaries().display()
        ),
    );
    // Those keys sit after [mqtt] in the example: move them to the top of the file.
    let (head, rest) = text.split_once("\n[site]").unwrap();
    let moved: String = rest
        .lines()
        .filter(|l| l.starts_with("state_dir") || l.starts_with("boundaries_dir"))
        .map(|l| format!("{l}\n"))
        .collect();
    let rest: String = rest
        .lines()
        .filter(|l| !(l.starts_with("state_dir") || l.starts_with("boundaries_dir")))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&path, format!("{head}\n{moved}[site]{rest}")).unwrap();

    let out = check(&path, &[]);
    let lines = lines(&out);
    for name in ["config", "state", "modem sim0", "broker", "commune"] {
        assert!(line(&lines, name).0.starts_with('✔'), "{name}: {lines:#?}");
    }
    // The example's TCP probe goes to port 443, where nothing listens on loopback: the host
    // answers with RST, which is said as such (a warning), not as replies of a service.
    let (tcp, _) = line(&lines, "probe dc-tcp");
    assert!(
        tcp.starts_with('✔')
            || (tcp.starts_with('!') && tcp.contains("refused (host reachable, port closed), 5/5")),
        "{tcp}"
    );
    // ICMP to 127.0.0.1 over lo needs a ping socket or CAP_NET_RAW.
    let (icmp, _) = line(&lines, "probe dc-ping");
    assert!(
        icmp.starts_with('✔') || icmp.contains("ping_group_range"),
        "{icmp}"
    );
}

#[test]
fn a_refused_tcp_probe_says_the_port_is_closed_in_check_and_measure() {
    let broker = Broker::start("allow_anonymous true\n");
    // A port nobody listens on: the kernel answers every SYN with RST.
    let closed = free_port();
    let site = Site::new(format!("mqtt://127.0.0.1:{}", broker.port), closed);
    let config = site.write();
    let out = check(&config, &[]);
    let lines = lines(&out);
    let (l, fix) = line(&lines, "probe loop-tcp");
    assert!(
        l.starts_with('!'),
        "a refusal is not a service answering: {l}"
    );
    assert!(
        l.contains("refused (host reachable, port closed), 2/2"),
        "{l}"
    );
    assert!(!l.contains("replies"), "{l}");
    assert!(
        fix.as_deref()
            .unwrap_or_default()
            .contains(&format!("port {closed}")),
        "{fix:?}"
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "a warning does not fail the site"
    );

    let vi = check(&config, &["--lang", "vi"]);
    let text = String::from_utf8_lossy(&vi.stdout);
    assert!(
        text.contains("bị từ chối (máy chủ có phản hồi, cổng đóng), 2/2"),
        "{text}"
    );
    assert!(text.contains("cách sửa: "), "{text}");

    let measured = Command::new(BIN)
        .args(["measure", "--config"])
        .arg(&config)
        .env("COVERAGE_LOG", "error")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(measured.status.success(), "{measured:?}");
    let stderr = String::from_utf8_lossy(&measured.stderr);
    assert!(
        stderr.contains(&format!(
            "tcp 127.0.0.1:{closed}: refused (host reachable, port closed), 2/2"
        )),
        "{stderr}"
    );
    let latency: serde_json::Value = String::from_utf8_lossy(&measured.stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["kind"] == "latency")
        .expect("a latency reading");
    assert_eq!(
        latency["received"], 2,
        "still counted as answers: {latency}"
    );
    assert_eq!(latency["refused"], 2, "{latency}");
}

#[test]
fn no_command_panics_on_a_closed_pipe() {
    let site = Site::new("mqtt://127.0.0.1:9".into(), free_port());
    let config = site.write();
    let capture = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/modem/quectel-qeng-lte-tdd-manual.txt"),
    )
    .unwrap();
    let commands: [(&[&str], Option<&str>); 4] = [
        (&["check-config", "--config"], None),
        (&["decode"], Some(&capture)),
        (&["decode", "--json"], Some(&capture)),
        (&["check", "--timeout", "2s", "--config"], None),
    ];
    for (args, input) in commands {
        let mut cmd = Command::new(BIN);
        cmd.args(args);
        if args.last() == Some(&"--config") {
            cmd.arg(&config);
        }
        let mut child = cmd
            .env("COVERAGE_LOG", "error")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The reader is gone before the command writes a byte (`| head -0`).
        drop(child.stdout.take());
        let mut stdin = child.stdin.take().unwrap();
        if let Some(text) = input {
            let _ = stdin.write_all(text.as_bytes());
        }
        drop(stdin);
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_ne!(out.status.code(), Some(101), "{args:?}: {stderr}");
    }
}

#[test]
fn check_config_prints_a_summary_and_config_errors_name_the_nearest_key() {
    let site = Site::new("mqtt://127.0.0.1:1883".into(), free_port());
    let config = site.write();
    let out = Command::new(BIN)
        .args(["check-config", "--config"])
        .arg(&config)
        .env_remove("LANG")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.lines().next().unwrap().ends_with("agent.toml: valid"),
        "{text}"
    );
    assert!(text.contains("  site:") && text.contains(SITE), "{text}");
    assert!(!text.contains("AgentConfig {"), "not a Debug dump: {text}");

    let bad = std::fs::read_to_string(&config)
        .unwrap()
        .replacen("lat = ", "latt = ", 1);
    std::fs::write(&config, bad).unwrap();
    let out = check(&config, &[]);
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("✘ config"), "{text}");
    let quoted = lines
        .iter()
        .position(|l| l.ends_with(&format!("latt = {LAT}")))
        .unwrap_or_else(|| panic!("the parser's quoted line is kept: {text}"));
    let caret = lines[quoted + 1];
    assert_eq!(
        caret.find('^'),
        lines[quoted].find("latt"),
        "the caret is under the key: {text}"
    );
    assert!(
        text.contains("unknown key `latt`; did you mean `lat`?"),
        "{text}"
    );
    let run = Command::new(BIN)
        .args(["run", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("did you mean `lat`?"),
        "{run:?}"
    );
}

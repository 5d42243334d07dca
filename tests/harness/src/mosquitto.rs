//! A real mosquitto 2 broker (Debian package `mosquitto`) for one test.
//!
//! The broker gets a temporary directory (config, password file, ACL, certificates, persistence
//! store, log) and free loopback ports. Its config is the production one of DESIGN.md, cut to
//! loopback: `max_queued_messages 0` and `max_inflight_messages 100` so a slow QoS 1 subscriber
//! loses nothing, optional persistence with `autosave_interval`, and, with users, a password file
//! and the per-site ACL:
//!
//! ```text
//! pattern write coverage/v1/%u/#          # an agent publishes only as its own site
//! pattern read  coverage/v1/%u/resend     # and receives resend requests for its site
//! user <collector>
//! topic read  coverage/v1/#               # a collector reads every site
//! topic write coverage/v1/+/resend        # and asks any site to resend
//! ```
//!
//! Privileges: started as root, mosquitto 2.0.11 switches to user `mosquitto` and then cannot
//! open root-owned 0600 files in a 0700 temp dir ("Unable to open pwfile"). Tested here:
//! `user root` in the config keeps it root, so nothing needs chown; the line is only written when
//! the harness runs as root (otherwise mosquitto does not switch users at all).
//!
//! Readiness: the broker is ready when its log says "running" (every listener bound) and a TCP
//! connect to each port succeeds, within [`READY_TIMEOUT`].

use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use tempfile::TempDir;

use crate::binaries::require_binary;
use crate::ports::{free_port, says_addr_in_use};
use crate::process::{Daemon, run_with_timeout, temp_dir};
use crate::tls::TestCa;

/// How long the broker may take to bind its listeners.
pub const READY_TIMEOUT: Duration = Duration::from_secs(15);

/// How many times a start is tried on new ports when a port was taken meanwhile.
const START_ATTEMPTS: usize = 5;

/// A user in the broker's password file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MqttUser {
    /// User name; for an agent, its site id.
    pub name: String,
    /// Password.
    pub password: String,
}

/// How to start a [`Mosquitto`]. The default is an anonymous plain listener without
/// persistence.
#[derive(Debug, Clone)]
pub struct MosquittoOptions {
    /// Agent users (user name = site id). Any user turns on the password file and the ACL and
    /// turns off anonymous access.
    pub agents: Vec<MqttUser>,
    /// Collector users: read every site's readings, write resend requests.
    pub collectors: Vec<MqttUser>,
    /// Also open a TLS listener with a generated CA ([`Mosquitto::tls_port`],
    /// [`Mosquitto::ca_pem`]).
    pub tls: bool,
    /// Keep sessions and queued messages on disk across [`Mosquitto::restart`].
    pub persistence: bool,
    /// Seconds between saves of the persistence store (besides the save at a clean stop).
    pub autosave_interval: Duration,
    /// Log everything (`log_type all`), e.g. to see "Denied PUBLISH" lines. Slower.
    pub debug_log: bool,
    /// Further lines appended to the generated config.
    pub extra_config: Vec<String>,
}

impl Default for MosquittoOptions {
    fn default() -> Self {
        MosquittoOptions {
            agents: Vec::new(),
            collectors: Vec::new(),
            tls: false,
            persistence: false,
            // DESIGN.md's production value.
            autosave_interval: Duration::from_secs(60),
            debug_log: false,
            extra_config: Vec::new(),
        }
    }
}

impl MosquittoOptions {
    /// Adds an agent user (name = site id).
    pub fn with_agent(mut self, site: &str, password: &str) -> Self {
        self.agents.push(MqttUser {
            name: site.into(),
            password: password.into(),
        });
        self
    }

    /// Adds a collector user.
    pub fn with_collector(mut self, name: &str, password: &str) -> Self {
        self.collectors.push(MqttUser {
            name: name.into(),
            password: password.into(),
        });
        self
    }

    /// Opens a TLS listener too.
    pub fn with_tls(mut self) -> Self {
        self.tls = true;
        self
    }

    /// Turns persistence on.
    pub fn with_persistence(mut self) -> Self {
        self.persistence = true;
        self
    }

    /// Sets the autosave interval (and turns persistence on). Rounded up to whole seconds.
    pub fn with_autosave_interval(mut self, interval: Duration) -> Self {
        self.persistence = true;
        self.autosave_interval = interval;
        self
    }

    /// Logs everything.
    pub fn with_debug_log(mut self) -> Self {
        self.debug_log = true;
        self
    }

    /// Appends a raw config line.
    pub fn with_config_line(mut self, line: &str) -> Self {
        self.extra_config.push(line.into());
        self
    }

    fn auth(&self) -> bool {
        !self.agents.is_empty() || !self.collectors.is_empty()
    }
}

/// A running mosquitto, stopped (and its directory removed) on `Drop`.
#[derive(Debug)]
pub struct Mosquitto {
    /// Declared before `dir` so the process stops before its files go.
    daemon: Daemon,
    port: u16,
    tls_port: Option<u16>,
    tls: Option<TestCa>,
    dir: TempDir,
}

impl Mosquitto {
    /// Starts a broker with `options` on free loopback ports and waits until it accepts
    /// connections.
    pub fn start(options: MosquittoOptions) -> Result<Self> {
        let binary = require_binary("mosquitto")?;
        let dir = temp_dir("mosquitto")?;
        let tls = if options.tls {
            let certs = dir.path().join("certs");
            std::fs::create_dir(&certs).context("creating the certs dir")?;
            Some(TestCa::generate(&certs)?)
        } else {
            None
        };
        if options.auth() {
            write_passwords(dir.path(), &options)?;
            std::fs::write(dir.path().join("acl"), acl(&options)).context("writing the ACL")?;
        }
        if options.persistence {
            std::fs::create_dir(dir.path().join("data")).context("creating the data dir")?;
        }

        let mut attempt = 0;
        loop {
            attempt += 1;
            let port = free_port()?;
            let tls_port = tls.as_ref().map(|_| free_port()).transpose()?;
            let conf = dir.path().join("mosquitto.conf");
            std::fs::write(
                &conf,
                config(dir.path(), &options, port, tls_port, tls.as_ref()),
            )
            .context("writing mosquitto.conf")?;
            let mut command = Command::new(&binary);
            command.arg("-c").arg(&conf);
            let mut daemon = Daemon::spawn("mosquitto", command, dir.path().join("mosquitto.log"))?;
            match wait_ready(&mut daemon, port, tls_port) {
                Ok(()) => {
                    return Ok(Mosquitto {
                        daemon,
                        port,
                        tls_port,
                        tls,
                        dir,
                    });
                }
                Err(_) if attempt < START_ATTEMPTS && says_addr_in_use(&daemon.run_log()) => {
                    continue;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Host to connect to: `127.0.0.1`.
    pub fn host(&self) -> &'static str {
        crate::LOOPBACK
    }

    /// Port of the plain MQTT listener.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Port of the TLS listener, when [`MosquittoOptions::tls`] is set. Its certificate is
    /// valid for `localhost` and `127.0.0.1`.
    pub fn tls_port(&self) -> Option<u16> {
        self.tls_port
    }

    /// `mqtt://127.0.0.1:{port}`.
    pub fn url(&self) -> String {
        format!("mqtt://{}:{}", crate::LOOPBACK, self.port)
    }

    /// `mqtts://localhost:{tls_port}`, when TLS is on.
    pub fn tls_url(&self) -> Option<String> {
        self.tls_port.map(|p| format!("mqtts://localhost:{p}"))
    }

    /// PEM of the CA that signed the TLS listener's certificate, when TLS is on.
    pub fn ca_pem(&self) -> Option<&str> {
        self.tls.as_ref().map(TestCa::ca_pem)
    }

    /// Path of that CA certificate, when TLS is on (for configs that take a file).
    pub fn ca_path(&self) -> Option<&Path> {
        self.tls.as_ref().map(|t| t.ca_cert.as_path())
    }

    /// The broker's temp dir (config, log, `data/` store); also a handy place for test files.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The ACL file, when the broker has users. It is read when the broker starts: rewrite it
    /// and [`restart`](Self::restart) to change what users may do (e.g. an ACL that refuses an
    /// agent, then the right one).
    pub fn acl_path(&self) -> Option<std::path::PathBuf> {
        let path = self.dir.path().join("acl");
        path.is_file().then_some(path)
    }

    crate::process::forward_to_daemon!();

    /// Starts the broker again on the same ports with the same config and store, stopping it
    /// first if it runs; waits until it is ready. Retries for a few seconds while the old
    /// socket still holds a port.
    pub fn restart(&mut self) -> Result<()> {
        self.daemon
            .restart_until_ready(|daemon| wait_ready(daemon, self.port, self.tls_port))
    }
}

fn wait_ready(daemon: &mut Daemon, port: u16, tls_port: Option<u16>) -> Result<()> {
    let ports: Vec<u16> = std::iter::once(port).chain(tls_port).collect();
    let what = format!("listening on 127.0.0.1 port(s) {ports:?}");
    // "running" is logged once every listener is bound; a connect alone could reach another
    // process that took the port.
    daemon.wait_ready(READY_TIMEOUT, &what, |d| {
        d.run_log().contains(" running") && ports.iter().all(|p| connects(*p))
    })
}

fn connects(port: u16) -> bool {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_ok()
}

fn write_passwords(dir: &Path, options: &MosquittoOptions) -> Result<()> {
    let passwd_bin = require_binary("mosquitto_passwd")?;
    let file = dir.join("passwd");
    for (i, user) in options.agents.iter().chain(&options.collectors).enumerate() {
        if user.name.contains(':') || user.name.is_empty() {
            bail!("MQTT user name {:?} is empty or contains ':'", user.name);
        }
        let mut command = Command::new(&passwd_bin);
        if i == 0 {
            command.arg("-c");
        }
        command
            .arg("-b")
            .arg(&file)
            .arg(&user.name)
            .arg(&user.password);
        run_with_timeout(&mut command, Duration::from_secs(30))?
            .ensure_success()
            .with_context(|| format!("mosquitto_passwd for user {}", user.name))?;
    }
    Ok(())
}

fn acl(options: &MosquittoOptions) -> String {
    let mut acl = String::from(
        "# Generated by coverage-harness: the production ACL of DESIGN.md.\n\
         pattern write coverage/v1/%u/#\n\
         pattern read coverage/v1/%u/resend\n",
    );
    for collector in &options.collectors {
        let _ = write!(
            acl,
            "\nuser {}\ntopic read coverage/v1/#\ntopic write coverage/v1/+/resend\n",
            collector.name
        );
    }
    acl
}

fn config(
    dir: &Path,
    options: &MosquittoOptions,
    port: u16,
    tls_port: Option<u16>,
    tls: Option<&TestCa>,
) -> String {
    let mut c = String::from("# Generated by coverage-harness.\n");
    if rustix::process::geteuid().is_root() {
        c.push_str("user root\n");
    }
    c.push_str("log_dest stderr\nlog_timestamp true\nconnection_messages true\n");
    if options.debug_log {
        c.push_str("log_type all\n");
    } else {
        c.push_str("log_type error\nlog_type warning\nlog_type notice\nlog_type information\n");
    }
    if options.persistence {
        let secs = options.autosave_interval.as_secs_f64().ceil().max(1.0) as u64;
        let _ = write!(
            c,
            "persistence true\npersistence_location {}/\nautosave_interval {secs}\n",
            dir.join("data").display()
        );
    } else {
        c.push_str("persistence false\n");
    }
    c.push_str("max_queued_messages 0\nmax_inflight_messages 100\nper_listener_settings false\n");
    if options.auth() {
        let _ = write!(
            c,
            "allow_anonymous false\npassword_file {}\nacl_file {}\n",
            dir.join("passwd").display(),
            dir.join("acl").display()
        );
    } else {
        c.push_str("allow_anonymous true\n");
    }
    let _ = writeln!(c, "\nlistener {port} {}", crate::LOOPBACK);
    if let (Some(tls_port), Some(tls)) = (tls_port, tls) {
        let _ = write!(
            c,
            "\nlistener {tls_port} {}\ncafile {}\ncertfile {}\nkeyfile {}\n",
            crate::LOOPBACK,
            tls.ca_cert.display(),
            tls.server_cert.display(),
            tls.server_key.display()
        );
    }
    if !options.extra_config.is_empty() {
        c.push('\n');
        for line in &options.extra_config {
            c.push_str(line);
            c.push('\n');
        }
    }
    c
}

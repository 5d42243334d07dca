//! Child processes that never outlive their test.
//!
//! - [`Daemon`]: a long-running process (a server, an agent, a collector) in its own process
//!   group, its stdout and stderr appended to a log file. `Drop` stops it: SIGTERM to the group,
//!   up to [`STOP_GRACE`] to exit, then SIGKILL, and the leader is always reaped.
//! - [`run_with_timeout`]: runs a command to completion with captured output, killing its
//!   process group when it overruns.
//!
//! Signals go to the process group (the leader's pid), and only while the leader has not been
//! reaped, so the group id cannot have been reused by an unrelated process.
//!
//! A process group of its own also shields a child from the terminal's Ctrl-C, and `Drop` does
//! not run when the test process is killed. So every child is also tied to the life of the test
//! process: it is started through `setpriv --pdeathsig TERM` (util-linux, essential on Debian),
//! which makes the kernel send it SIGTERM when the thread that forked it dies. That thread is a
//! dedicated spawner thread that lives as long as the process, so a child is neither killed when
//! the test thread (or a tokio blocking thread) that asked for it ends, nor left behind when the
//! test process dies. A child that changes its user id loses the tie (mosquitto is kept root
//! for that reason too). Without `setpriv` children are started directly, untied.
//! The tie is made when `setpriv` runs, just before it execs the command: a test process that
//! dies within that first instant after a spawn leaves the child untied.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use rustix::process::{Pid, Signal, kill_process_group};

/// How long a stopped process gets between SIGTERM and SIGKILL.
pub const STOP_GRACE: Duration = Duration::from_secs(10);

/// How many log lines an error message quotes.
pub(crate) const LOG_TAIL_LINES: usize = 40;

/// Interval between polls of a child's state.
const POLL: Duration = Duration::from_millis(10);

/// Environment variable that keeps the servers' temp dirs (logs, configs, data) after the test,
/// for a post-mortem: `COVERAGE_E2E_KEEP_DIRS=1 cargo test ...`.
pub const KEEP_DIRS_VAR: &str = "COVERAGE_E2E_KEEP_DIRS";

/// Creates a temp dir `/tmp/coverage-e2e-{label}-XXXXXX`, removed on drop unless
/// [`KEEP_DIRS_VAR`] is set (then its path is printed to the test's output).
pub fn temp_dir(label: &str) -> Result<tempfile::TempDir> {
    let mut dir = tempfile::Builder::new()
        .prefix(&format!("coverage-e2e-{label}-"))
        .tempdir()
        .with_context(|| format!("creating a temp dir for {label}"))?;
    if std::env::var_os(KEEP_DIRS_VAR).is_some() {
        dir.disable_cleanup(true);
        eprintln!("harness: keeping {}", dir.path().display());
    }
    Ok(dir)
}

/// A long-running child process in its own process group, logging to a file, stopped on `Drop`.
///
/// The same command can be started again with [`Daemon::restart`] (a broker that goes down and
/// comes back); the log file is appended to, with a marker line before every start.
#[derive(Debug)]
pub struct Daemon {
    /// Name used in log markers and error messages.
    name: String,
    /// Kept to start the same process again.
    command: Command,
    /// Where stdout and stderr go, appended across restarts.
    log_path: PathBuf,
    /// The running (or exited but not yet reaped) process; `None` once reaped.
    child: Option<Child>,
    /// How the last run ended, once reaped.
    last_status: Option<ExitStatus>,
    /// Length of the log file when the current run started, so errors quote only this run.
    run_offset: u64,
}

impl Daemon {
    /// `coverage-collector run --config {config}` in `dir` (`COVERAGE_LOG=info`, its log in
    /// `{name}.log`), once it has connected to the broker.
    pub fn collector(dir: &Path, name: &str, config: &str) -> Result<Daemon> {
        let mut cmd = Command::new(crate::cargo_bin("coverage-collector")?);
        cmd.args(["run", "--config", config])
            .current_dir(dir)
            .env("COVERAGE_LOG", "info");
        let mut d = Daemon::spawn(name, cmd, dir.join(format!("{name}.log")))?;
        d.wait_for_log("Connected to the broker", Duration::from_secs(60))?;
        Ok(d)
    }

    /// Starts `command` in a new process group with stdin from /dev/null and stdout and stderr
    /// appended to `log_path`. Program, arguments, environment changes and working directory
    /// are taken from `command` (its stdio, `env_clear` and other settings are not).
    pub fn spawn(
        name: impl Into<String>,
        command: Command,
        log_path: impl Into<PathBuf>,
    ) -> Result<Self> {
        let mut daemon = Daemon {
            name: name.into(),
            command,
            log_path: log_path.into(),
            child: None,
            last_status: None,
            run_offset: 0,
        };
        daemon.spawn_child()?;
        Ok(daemon)
    }

    fn spawn_child(&mut self) -> Result<()> {
        let mut log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .with_context(|| format!("opening log file {}", self.log_path.display()))?;
        writeln!(
            log,
            "--- harness: starting {}: {:?}",
            self.name, self.command
        )
        .context("writing the log marker")?;
        self.run_offset = log.metadata().map(|m| m.len()).unwrap_or(0);
        let stdout = log.try_clone().context("duplicating the log file handle")?;
        let child = spawn_tied(&self.command, stdout.into(), log.into())
            .with_context(|| format!("spawning {}: {:?}", self.name, self.command))?;
        self.child = Some(child);
        self.last_status = None;
        Ok(())
    }

    /// The name given at spawn.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The process id (also the process group id) while the process has not been reaped.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The process's resident set size (`VmRSS` of `/proc/{pid}/status`), KiB; `None` when it
    /// does not run.
    pub fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()?)).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    }

    /// Path of the log file.
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// The whole log, every run included (lossy UTF-8).
    pub fn log(&self) -> String {
        read_lossy(&self.log_path, 0)
    }

    /// The log of the current (or last) run only.
    pub fn run_log(&self) -> String {
        read_lossy(&self.log_path, self.run_offset)
    }

    /// The last `n` lines of the current run's log.
    pub fn log_tail(&self, n: usize) -> String {
        tail(&self.run_log(), n)
    }

    /// Waits until this run's log contains `needle`; an error quoting the log tail after
    /// `timeout` or when the process exits first.
    pub fn wait_for_log(&mut self, needle: &str, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            // Checked before and after the exit check: a line written just before exiting counts.
            let exited = self.exit_status();
            if self.run_log().contains(needle) {
                return Ok(());
            }
            if let Some(status) = exited {
                bail!(
                    "{} exited ({status}) without logging {needle:?}; log tail:\n{}",
                    self.name,
                    self.log_tail(LOG_TAIL_LINES)
                );
            }
            if Instant::now() >= deadline {
                bail!(
                    "{} did not log {needle:?} within {timeout:?}; log tail:\n{}",
                    self.name,
                    self.log_tail(LOG_TAIL_LINES)
                );
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether the process is still running (reaps it if it has exited).
    pub fn is_running(&mut self) -> bool {
        self.exit_status().is_none() && self.child.is_some()
    }

    /// How the process ended, if it has; `None` while it runs or when it was never started.
    pub fn exit_status(&mut self) -> Option<ExitStatus> {
        if let Some(child) = &mut self.child {
            match child.try_wait() {
                Ok(Some(status)) => {
                    self.child = None;
                    self.last_status = Some(status);
                }
                Ok(None) => return None,
                // ECHILD cannot happen for our own unreaped child; treat as still running.
                Err(_) => return None,
            }
        }
        self.last_status
    }

    /// Waits up to `timeout` for the process to exit by itself; `None` if it is still running.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.exit_status() {
                return Some(status);
            }
            if self.child.is_none() || Instant::now() >= deadline {
                return None;
            }
            thread::sleep(POLL);
        }
    }

    /// Stops the process gracefully: SIGTERM to its group, up to [`STOP_GRACE`] to exit, then
    /// SIGKILL. Returns how it ended (`None` if it had been reaped before).
    pub fn stop(&mut self) -> Result<Option<ExitStatus>> {
        self.stop_with(Signal::TERM, STOP_GRACE)
    }

    /// Kills the process group at once with SIGKILL (a crash, a power cut) and reaps the leader.
    pub fn kill(&mut self) -> Result<Option<ExitStatus>> {
        self.stop_with(Signal::KILL, STOP_GRACE)
    }

    fn stop_with(&mut self, signal: Signal, grace: Duration) -> Result<Option<ExitStatus>> {
        if self.exit_status().is_some() || self.child.is_none() {
            return Ok(self.last_status);
        }
        self.signal_group(signal)?;
        if let Some(status) = self.wait_exit(grace) {
            return Ok(Some(status));
        }
        self.signal_group(Signal::KILL)?;
        match self.wait_exit(grace) {
            Some(status) => Ok(Some(status)),
            None => bail!(
                "{} (pid {:?}) is still running {grace:?} after SIGKILL",
                self.name,
                self.pid()
            ),
        }
    }

    /// Sends `signal` to the process group, only while the leader is unreaped.
    fn signal_group(&mut self, signal: Signal) -> Result<()> {
        let Some(child) = &self.child else {
            return Ok(());
        };
        let pid = Pid::from_child(child);
        match kill_process_group(pid, signal) {
            // ESRCH: the group is already gone (a zombie leader is still a member, so this is
            // rare); nothing left to signal.
            Ok(()) | Err(rustix::io::Errno::SRCH) => Ok(()),
            Err(e) => {
                Err(e).with_context(|| format!("signalling {} (pgid {})", self.name, child.id()))
            }
        }
    }

    /// Stops the process if it runs, then starts the same command again.
    pub fn restart(&mut self) -> Result<()> {
        self.stop()?;
        self.spawn_child()
    }

    /// [`restart`](Self::restart), then `ready` (a server's readiness check). While the old
    /// socket still holds a port (the log says "address already in use"), tries again every
    /// 250 ms, up to 20 times.
    pub(crate) fn restart_until_ready(
        &mut self,
        mut ready: impl FnMut(&mut Daemon) -> Result<()>,
    ) -> Result<()> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.restart()?;
            match ready(self) {
                Ok(()) => return Ok(()),
                Err(_) if attempt < 20 && crate::ports::says_addr_in_use(&self.run_log()) => {
                    thread::sleep(Duration::from_millis(250));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Polls `ready` (given the daemon, e.g. to read its log) until it returns true, failing
    /// early if the process exits and after `timeout`. Errors quote the tail of this run's log.
    pub(crate) fn wait_ready(
        &mut self,
        timeout: Duration,
        what: &str,
        mut ready: impl FnMut(&Daemon) -> bool,
    ) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.exit_status() {
                bail!(
                    "{} exited ({status}) before it was ready ({what}); log tail ({}):\n{}",
                    self.name,
                    self.log_path.display(),
                    self.log_tail(LOG_TAIL_LINES)
                );
            }
            if ready(self) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                bail!(
                    "{} was not ready ({what}) within {timeout:?}; log tail ({}):\n{}",
                    self.name,
                    self.log_path.display(),
                    self.log_tail(LOG_TAIL_LINES)
                );
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Err(e) = self.stop() {
            eprintln!("harness: could not stop {}: {e:#}", self.name);
        }
    }
}

fn read_lossy(path: &Path, offset: u64) -> String {
    use std::io::{Seek, SeekFrom};
    let mut bytes = Vec::new();
    if let Ok(mut file) = File::open(path) {
        let _ = file.seek(SeekFrom::Start(offset));
        let _ = file.read_to_end(&mut bytes);
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The last `n` lines of `text`.
pub(crate) fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// What a command run by [`run_with_timeout`] did.
#[derive(Debug, Clone)]
pub struct ProcessOutput {
    /// Exit status (after SIGKILL when it timed out).
    pub status: ExitStatus,
    /// Whether it overran its timeout and was killed.
    pub timed_out: bool,
    /// Captured stdout (lossy UTF-8).
    pub stdout: String,
    /// Captured stderr (lossy UTF-8).
    pub stderr: String,
    /// Wall-clock run time.
    pub elapsed: Duration,
}

impl ProcessOutput {
    /// Exited by itself with status 0.
    pub fn success(&self) -> bool {
        !self.timed_out && self.status.success()
    }

    /// "exit status: 1", or "killed after 5s timeout".
    pub fn describe_status(&self) -> String {
        if self.timed_out {
            format!("killed after its {:?} timeout", self.elapsed)
        } else {
            self.status.to_string()
        }
    }

    /// Returns `self` when [`success`](Self::success), else an error quoting the status and the
    /// ends of stdout and stderr.
    pub fn ensure_success(&self) -> Result<&Self> {
        if self.success() {
            return Ok(self);
        }
        bail!(
            "command failed ({}); stdout tail:\n{}\nstderr tail:\n{}",
            self.describe_status(),
            tail(&self.stdout, LOG_TAIL_LINES),
            tail(&self.stderr, LOG_TAIL_LINES)
        )
    }
}

/// Runs `command` to completion in its own process group with stdin from /dev/null, capturing
/// stdout and stderr (settings taken from `command` as in [`Daemon::spawn`]). When it runs longer than `timeout` its group is killed and the result has
/// `timed_out` set; that is not an `Err` (use [`ProcessOutput::ensure_success`]).
pub fn run_with_timeout(command: &mut Command, timeout: Duration) -> Result<ProcessOutput> {
    let started = Instant::now();
    let mut child = spawn_tied(command, Stdio::piped(), Stdio::piped())
        .with_context(|| format!("spawning {command:?}"))?;
    let stdout = reader_thread(child.stdout.take());
    let stderr = reader_thread(child.stderr.take());
    let mut timed_out = false;
    let status = loop {
        if let Some(status) = child.try_wait().context("waiting for the child")? {
            break status;
        }
        if started.elapsed() >= timeout {
            timed_out = true;
            // The leader is unreaped, so the group id is still ours.
            let _ = kill_process_group(Pid::from_child(&child), Signal::KILL);
            break child.wait().context("reaping the killed child")?;
        }
        thread::sleep(POLL);
    };
    let elapsed = started.elapsed();
    Ok(ProcessOutput {
        status,
        timed_out,
        stdout: join_reader(stdout),
        stderr: join_reader(stderr),
        elapsed,
    })
}

fn reader_thread(pipe: Option<impl Read + Send + 'static>) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        bytes
    })
}

fn join_reader(handle: thread::JoinHandle<Vec<u8>>) -> String {
    String::from_utf8_lossy(&handle.join().unwrap_or_default()).into_owned()
}

/// Starts a copy of `command` (program, arguments, environment changes, working directory) in
/// a new process group, stdin from /dev/null, tied to the life of this process (module docs).
fn spawn_tied(command: &Command, stdout: Stdio, stderr: Stdio) -> std::io::Result<Child> {
    let mut copy = match setpriv() {
        Some(setpriv) => {
            let mut c = Command::new(setpriv);
            c.args(["--pdeathsig", "TERM", "--"])
                .arg(command.get_program());
            c
        }
        None => Command::new(command.get_program()),
    };
    copy.args(command.get_args());
    for (key, value) in command.get_envs() {
        match value {
            Some(value) => copy.env(key, value),
            None => copy.env_remove(key),
        };
    }
    if let Some(dir) = command.get_current_dir() {
        copy.current_dir(dir);
    }
    copy.process_group(0)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr);
    spawner().spawn(copy)
}

fn setpriv() -> Option<&'static Path> {
    static SETPRIV: OnceLock<Option<PathBuf>> = OnceLock::new();
    SETPRIV
        .get_or_init(|| crate::binaries::require_binary("setpriv").ok())
        .as_deref()
}

/// A request to the spawner thread: the command, and where to send the child.
type SpawnRequest = (Command, mpsc::Sender<std::io::Result<Child>>);

/// The thread that forks every child, so a child's parent-death signal fires only when the test
/// process ends. It lives as long as the process: the sender in the static is never dropped.
struct Spawner(mpsc::Sender<SpawnRequest>);

impl Spawner {
    fn spawn(&self, command: Command) -> std::io::Result<Child> {
        let gone = || std::io::Error::other("the harness spawner thread is gone");
        let (reply, answer) = mpsc::channel();
        self.0.send((command, reply)).map_err(|_| gone())?;
        answer.recv().map_err(|_| gone())?
    }
}

fn spawner() -> &'static Spawner {
    static SPAWNER: OnceLock<Spawner> = OnceLock::new();
    SPAWNER.get_or_init(|| {
        let (requests, incoming) = mpsc::channel::<SpawnRequest>();
        thread::Builder::new()
            .name("harness-spawner".into())
            .spawn(move || {
                for (mut command, reply) in incoming {
                    let _ = reply.send(command.spawn());
                }
            })
            .expect("starting the harness spawner thread");
        Spawner(requests)
    })
}

/// The lifecycle methods every server wrapper forwards to its `daemon: Daemon` field: `log`,
/// `pid`, `is_running`, `stop` (SIGTERM; ports and data stay for `restart`) and `kill`
/// (SIGKILL, as in a crash).
macro_rules! forward_to_daemon {
    () => {
        /// The whole log, every run included.
        pub fn log(&self) -> String {
            self.daemon.log()
        }

        /// Process id while the server runs (to check from outside that it is gone).
        pub fn pid(&self) -> Option<u32> {
            self.daemon.pid()
        }

        /// Whether the server process is running.
        pub fn is_running(&mut self) -> bool {
            self.daemon.is_running()
        }

        /// Stops the server cleanly (SIGTERM, then SIGKILL after the grace period); its ports
        /// and data stay for `restart`.
        pub fn stop(&mut self) -> anyhow::Result<()> {
            self.daemon.stop().map(|_| ())
        }

        /// Kills the server with SIGKILL: no final save, as in a crash.
        pub fn kill(&mut self) -> anyhow::Result<()> {
            self.daemon.kill().map(|_| ())
        }
    };
}
pub(crate) use forward_to_daemon;

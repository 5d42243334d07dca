//! The AT-command driver: [`AtModem`] sends commands over an [`AtTransport`] (a serial port in
//! production, [`SerialTransport`]) and hands the replies to the pure parsers.
//!
//! Protocol handling (V.250 / TS 27.007):
//!
//! - A command is written as `AT...\r`; its reply is every line up to a final result code:
//!   `OK` (success), `ERROR`, `+CME ERROR: <n>`, `+CMS ERROR: <n>` (failure). Numeric result
//!   codes (`0`, `4`, with `ATV0`) are understood too.
//! - The echo of the command (when `ATE1`) is skipped, as are blank lines.
//! - Unsolicited result codes can arrive in the middle of a reply: only lines with the prefix
//!   the command answers with (or, for commands answered by a bare line such as `+CIMI`, lines
//!   without a prefix) are kept; others are logged at debug level and dropped.
//! - Each command has a deadline; after a timeout the next command first drains what is left
//!   of the late reply so it is not mistaken for its own.
//!
//! What one sample sends: `+CGREG?`, `+CEREG?`, `+C5GREG?` (commands a modem refuses are not
//! sent again), `+COPS?`, `+CSQ`, `+CESQ`, the vendor's serving-cell command, and `+CIMI` until
//! it answered. Once per session, before the first sample: `ATE0`, `AT+CMEE=1`,
//! `AT+COPS=3,2` (numeric operator), and `<n>=2` on the registration commands so their replies
//! carry the cell ids.

use std::collections::BTreeSet;
use std::io;
use std::time::Duration;

use coverage_shared::wire::ModemInfo;
use futures::future::BoxFuture;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::config::Vendor;
use super::fields::{is_echo, is_final_error, is_final_ok, split_prefix};
use super::gpp;
use super::observe::Observation;
use super::{ModemError, ModemSample};

/// A line-oriented link to a modem's AT port: the seam tests replace with captured bytes.
pub trait AtTransport: Send {
    /// Writes one command line; the transport appends the `\r` terminator.
    fn send_line<'a>(&'a mut self, line: &'a str) -> BoxFuture<'a, io::Result<()>>;
    /// Reads the next non-empty line (without its terminator); `None` at end of stream.
    fn read_line(&mut self) -> BoxFuture<'_, io::Result<Option<String>>>;
}

/// Splits a byte stream into lines at CR or LF, dropping empty lines.
#[derive(Debug, Default)]
pub struct LineBuffer {
    buf: Vec<u8>,
}

impl LineBuffer {
    /// Appends received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete non-empty line, if any (invalid UTF-8 is replaced, not fatal).
    pub fn next_line(&mut self) -> Option<String> {
        loop {
            let pos = self.buf.iter().position(|b| *b == b'\r' || *b == b'\n')?;
            let line: Vec<u8> = self.buf.drain(..=pos).collect();
            let text = String::from_utf8_lossy(&line[..line.len() - 1])
                .trim()
                .to_string();
            if !text.is_empty() {
                return Some(text);
            }
        }
    }

    /// What is left that has no terminator yet.
    pub fn rest(&mut self) -> Option<String> {
        if self.buf.is_empty() {
            return None;
        }
        let text = String::from_utf8_lossy(&self.buf).trim().to_string();
        self.buf.clear();
        (!text.is_empty()).then_some(text)
    }
}

/// A serial port through `tokio-serial`.
pub struct SerialTransport {
    port: tokio_serial::SerialStream,
    lines: LineBuffer,
}

impl std::fmt::Debug for SerialTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SerialTransport").finish_non_exhaustive()
    }
}

impl SerialTransport {
    /// Opens `path` at `baud` (8N1, no flow control).
    pub fn open(path: &str, baud: u32) -> Result<Self, ModemError> {
        use tokio_serial::SerialPortBuilderExt;
        let port = tokio_serial::new(path, baud)
            .timeout(Duration::from_millis(100))
            .open_native_async()
            .map_err(|e| ModemError::Port {
                port: path.to_string(),
                source: io::Error::other(e),
            })?;
        Ok(SerialTransport {
            port,
            lines: LineBuffer::default(),
        })
    }
}

impl AtTransport for SerialTransport {
    fn send_line<'a>(&'a mut self, line: &'a str) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async move {
            self.port.write_all(line.as_bytes()).await?;
            self.port.write_all(b"\r").await?;
            self.port.flush().await
        })
    }

    fn read_line(&mut self) -> BoxFuture<'_, io::Result<Option<String>>> {
        Box::pin(async move {
            let mut chunk = [0u8; 256];
            loop {
                if let Some(l) = self.lines.next_line() {
                    return Ok(Some(l));
                }
                let n = self.port.read(&mut chunk).await?;
                if n == 0 {
                    return Ok(self.lines.rest());
                }
                self.lines.push(&chunk[..n]);
            }
        })
    }
}

/// How a command's answer lines are recognised among URCs.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// Lines with this prefix.
    Prefix(&'static str),
    /// Lines without a prefix (or with one of the identifier prefixes).
    Bare,
    /// The `!GSTATUS:` line and the unprefixed lines after it.
    Block(&'static str),
    /// Nothing but the final result code.
    Nothing,
}

fn expect_for(cmd: &str) -> Expect {
    let c = cmd.to_ascii_uppercase();
    if c.starts_with("AT!GSTATUS") {
        return Expect::Block("!GSTATUS");
    }
    let Some(rest) = c.strip_prefix("AT") else {
        return Expect::Nothing;
    };
    for p in [
        "+CSQ", "+CESQ", "+CREG", "+CGREG", "+CEREG", "+C5GREG", "+COPS", "+QENG", "^HCSQ",
        "+CPSI", "+CPIN", "+QCCID", "^ICCID", "+QCSQ",
    ] {
        if let Some(after) = rest.strip_prefix(p) {
            // Read and execute forms answer with the prefix; a set command only with OK.
            return if after.is_empty() || after == "?" || after.starts_with("=\"") {
                Expect::Prefix(p)
            } else {
                Expect::Nothing
            };
        }
    }
    if [
        "AT+CIMI",
        "AT+CGSN",
        "AT+CCID",
        "AT+ICCID",
        "AT+CICCID",
        "AT+CGMM",
        "AT+CGMI",
        "AT+GSN",
        "AT+GMM",
    ]
    .iter()
    .any(|p| c.starts_with(p))
    {
        return Expect::Bare;
    }
    Expect::Nothing
}

fn wanted(expect: Expect, line: &str, in_block: &mut bool) -> bool {
    let prefix = split_prefix(line).map(|(p, _)| p);
    match expect {
        Expect::Prefix(p) => prefix.as_deref() == Some(p),
        Expect::Bare => match prefix.as_deref() {
            None => true,
            Some(p) => matches!(
                p,
                "+CIMI" | "+CGSN" | "+GSN" | "+CCID" | "+ICCID" | "+CGMM" | "+CGMI"
            ),
        },
        Expect::Block(p) => {
            if prefix.as_deref() == Some(p) {
                *in_block = true;
                true
            } else {
                *in_block && prefix.is_none()
            }
        }
        Expect::Nothing => false,
    }
}

/// A modem driven with AT commands.
pub struct AtModem {
    name: String,
    port: String,
    vendor: Vendor,
    timeout: Duration,
    transport: Box<dyn AtTransport>,
    initialised: bool,
    desynced: bool,
    refused: BTreeSet<String>,
    imsi: Option<String>,
    model: Option<String>,
    imei: Option<String>,
}

impl std::fmt::Debug for AtModem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AtModem")
            .field("name", &self.name)
            .field("port", &self.port)
            .field("vendor", &self.vendor)
            .finish_non_exhaustive()
    }
}

impl AtModem {
    /// A driver named `name` for the modem behind `transport`; `port` names it in errors.
    pub fn new(
        name: impl Into<String>,
        port: impl Into<String>,
        vendor: Vendor,
        timeout: Duration,
        transport: Box<dyn AtTransport>,
    ) -> Self {
        AtModem {
            name: name.into(),
            port: port.into(),
            vendor,
            timeout,
            transport,
            initialised: false,
            desynced: false,
            refused: BTreeSet::new(),
            imsi: None,
            model: None,
            imei: None,
        }
    }

    /// The configured name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Sends `cmd` and returns its answer lines (echo, URCs and the final `OK` removed).
    /// `ERROR`/`+CME ERROR` is [`ModemError::At`]; no final result code within the timeout is
    /// [`ModemError::Timeout`] carrying what was received.
    pub async fn command(&mut self, cmd: &str) -> Result<Vec<String>, ModemError> {
        if self.desynced {
            // Swallow the tail of a reply that came after its command timed out.
            while let Ok(Ok(Some(l))) =
                tokio::time::timeout(Duration::from_millis(200), self.transport.read_line()).await
            {
                tracing::debug!(modem = %self.name, line = %l, "Dropped a late reply line.");
            }
            self.desynced = false;
        }
        self.transport
            .send_line(cmd)
            .await
            .map_err(|source| ModemError::Io {
                port: self.port.clone(),
                command: cmd.to_string(),
                source,
            })?;
        let expect = expect_for(cmd);
        let deadline = tokio::time::Instant::now() + self.timeout;
        let mut answer = Vec::new();
        let mut seen = Vec::new();
        let mut in_block = false;
        loop {
            let line = match tokio::time::timeout_at(deadline, self.transport.read_line()).await {
                Err(_) => {
                    self.desynced = true;
                    return Err(ModemError::Timeout {
                        command: cmd.to_string(),
                        port: self.port.clone(),
                        after: self.timeout,
                        partial: seen.join("\n"),
                    });
                }
                Ok(Err(source)) => {
                    return Err(ModemError::Io {
                        port: self.port.clone(),
                        command: cmd.to_string(),
                        source,
                    });
                }
                Ok(Ok(None)) => {
                    return Err(ModemError::Io {
                        port: self.port.clone(),
                        command: cmd.to_string(),
                        source: io::Error::new(io::ErrorKind::UnexpectedEof, "port closed"),
                    });
                }
                Ok(Ok(Some(l))) => l,
            };
            seen.push(line.clone());
            if is_final_ok(&line) {
                return Ok(answer);
            }
            if is_final_error(&line) {
                return Err(ModemError::At {
                    command: cmd.to_string(),
                    port: self.port.clone(),
                    reply: line,
                });
            }
            if is_echo(&line) {
                // The echo of this (or a previous) command, with echo on.
                continue;
            }
            if wanted(expect, &line, &mut in_block) {
                answer.push(line);
            } else {
                tracing::debug!(modem = %self.name, command = %cmd, line = %line, "Ignored an unsolicited line.");
            }
        }
    }

    /// Sends a command whose failure is not fatal: a refused command (`ERROR`) is remembered
    /// and not sent again; a timeout or I/O error is returned.
    async fn optional(&mut self, cmd: &str) -> Result<Option<Vec<String>>, ModemError> {
        if self.refused.contains(cmd) {
            return Ok(None);
        }
        match self.command(cmd).await {
            Ok(lines) => Ok(Some(lines)),
            Err(ModemError::At { reply, .. }) => {
                tracing::debug!(modem = %self.name, command = %cmd, reply = %reply, "Command refused; not sending it again.");
                self.refused.insert(cmd.to_string());
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    async fn init(&mut self) -> Result<(), ModemError> {
        for cmd in [
            "ATE0",
            "AT+CMEE=1",
            "AT+COPS=3,2",
            "AT+CREG=2",
            "AT+CGREG=2",
            "AT+CEREG=2",
            "AT+C5GREG=2",
        ] {
            self.optional(cmd).await?;
        }
        self.initialised = true;
        Ok(())
    }

    /// Takes one sample.
    pub async fn sample(&mut self) -> Result<ModemSample, ModemError> {
        if !self.initialised {
            self.init().await?;
        }
        let mut obs = Observation::new();
        let mut commands = vec![
            "AT+CREG?",
            "AT+CGREG?",
            "AT+CEREG?",
            "AT+C5GREG?",
            "AT+COPS?",
            "AT+CSQ",
            "AT+CESQ",
        ];
        if let Some(c) = self.vendor.serving_cell_command() {
            commands.push(c);
        }
        for cmd in commands {
            if let Some(lines) = self.optional(cmd).await? {
                obs.feed_at(&lines.join("\n"));
            }
        }
        if self.imsi.is_none()
            && let Some(lines) = self.optional("AT+CIMI").await?
        {
            self.imsi = gpp::parse_imsi(&lines.join("\n"));
        }
        if let Some(imsi) = &self.imsi {
            obs.imsi(imsi);
        }
        Ok(ModemSample::from_interpreted(obs.finish()))
    }

    /// Model, IMEI, ICCID and SIM state; what cannot be read is left out.
    pub async fn info(&mut self) -> ModemInfo {
        if self.model.is_none()
            && let Ok(Some(l)) = self.optional("AT+CGMM").await
        {
            self.model = gpp::parse_text(&l.join("\n"), "+CGMM");
        }
        if self.imei.is_none()
            && let Ok(Some(l)) = self.optional("AT+CGSN").await
        {
            self.imei = gpp::parse_imei(&l.join("\n"));
        }
        let mut iccid = None;
        let iccid_cmds: &[&str] = match self.vendor {
            Vendor::Quectel => &["AT+QCCID", "AT+CCID"],
            Vendor::Huawei => &["AT^ICCID?", "AT+CCID"],
            Vendor::Simcom => &["AT+CICCID", "AT+CCID"],
            _ => &["AT+CCID", "AT+ICCID"],
        };
        for cmd in iccid_cmds {
            if let Ok(Some(l)) = self.optional(cmd).await
                && let Some(i) = gpp::parse_iccid(&l.join("\n"))
            {
                iccid = Some(i);
                break;
            }
        }
        let sim_state = match self.command("AT+CPIN?").await {
            Ok(l) => gpp::parse_sim_state(&l.join("\n")),
            Err(ModemError::At { reply, .. }) => gpp::parse_sim_state(&reply),
            Err(_) => None,
        };
        ModemInfo {
            name: self.name.clone(),
            model: self.model.clone(),
            imei: self.imei.clone(),
            iccid,
            sim_state,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_buffer_splits_cr_lf_and_keeps_partial() {
        let mut b = LineBuffer::default();
        b.push(b"\r\n+CSQ: 31,99\r\n\r\nOK\r\n+CE");
        assert_eq!(b.next_line().as_deref(), Some("+CSQ: 31,99"));
        assert_eq!(b.next_line().as_deref(), Some("OK"));
        assert_eq!(b.next_line(), None);
        b.push(b"REG: 1\n");
        assert_eq!(b.next_line().as_deref(), Some("+CEREG: 1"));
        b.push(&[0xff, b'x']);
        assert_eq!(b.rest().as_deref(), Some("\u{fffd}x"));
    }

    #[test]
    fn expectations() {
        assert!(matches!(expect_for("AT+CSQ"), Expect::Prefix("+CSQ")));
        assert!(matches!(expect_for("AT+CEREG?"), Expect::Prefix("+CEREG")));
        assert!(matches!(
            expect_for("AT+QENG=\"servingcell\""),
            Expect::Prefix("+QENG")
        ));
        assert!(matches!(expect_for("AT+CEREG=2"), Expect::Nothing));
        assert!(matches!(expect_for("AT+CIMI"), Expect::Bare));
        assert!(matches!(
            expect_for("AT!GSTATUS?"),
            Expect::Block("!GSTATUS")
        ));
        assert!(matches!(expect_for("AT^HCSQ?"), Expect::Prefix("^HCSQ")));
    }
}

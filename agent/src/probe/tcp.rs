//! TCP connect rounds: each probe opens a new connection and times the handshake.
//!
//! The socket is made with socket2 (so it can be bound to the interface with SO_BINDTODEVICE
//! before connecting) and handed to tokio's `TcpSocket`. The RTT is from `connect()` to its
//! completion: one SYN → SYN-ACK exchange, i.e. one network round trip plus the peer's kernel
//! time. The connection is closed at once (a normal FIN; nothing is sent).
//!
//! **A refused connection (RST) counts as an answer**, with the time the RST took: a TCP round
//! asks whether the *host* is reachable over this link, and an RST can only come back over a
//! working path. So a round to a closed port on a live host shows 0 % loss; the reading's
//! `refused` says how many of the answers were refusals, so nobody reads "5/5" as "the service
//! is up". Use the `http` or `dns` method to ask whether a *service* answers. Host or network
//! unreachable, and silence, are loss.

use std::io::ErrorKind;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use socket2::{Protocol, Type};
use tokio::net::TcpSocket;
use tokio::time::Instant;

use super::config::{ProbeConfig, Target};
use super::net::{ProbeError, socket_for};
use super::{Outcome, ProbeResult, paced};

/// Runs one TCP round to `ip` at the configured port.
pub(crate) async fn round(cfg: &ProbeConfig, ip: IpAddr) -> Outcome {
    let port = match cfg.target() {
        Target::HostPort(_, p) => *p,
        _ => 0, // unreachable: validation gives TCP targets a port
    };
    let addr = SocketAddr::new(ip, port);
    let interface = cfg.interface();
    let count = cfg.count() as usize;
    // Which probes were answered by a refusal; only those also answered in time count.
    let refusals: Vec<AtomicBool> = (0..count).map(|_| AtomicBool::new(false)).collect();
    let results = paced(count, cfg.spacing(), cfg.timeout(), |i| {
        let refusals = &refusals;
        async move {
            let (rtt, answer) = connect_once(addr, interface).await?;
            if answer == Answer::Refused {
                refusals[i].store(true, Ordering::Relaxed);
            }
            Ok(rtt)
        }
    })
    .await;
    let refused = results
        .iter()
        .zip(&refusals)
        .filter(|(r, f)| matches!(r, ProbeResult::Answered(_)) && f.load(Ordering::Relaxed))
        .count() as u32;
    let mut outcome = Outcome::from_probes(results);
    outcome.refused = Some(refused);
    outcome
}

/// How the host answered a connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// SYN-ACK: the port is open.
    Accepted,
    /// RST: the host is reachable, the port closed.
    Refused,
}

/// One connect; `Ok` for SYN-ACK or RST, with the time it took and which it was.
pub async fn connect_once(
    addr: SocketAddr,
    interface: Option<&str>,
) -> Result<(Duration, Answer), ProbeError> {
    let socket = socket_for(&addr, Type::STREAM, Protocol::TCP, interface)?;
    let std_stream: std::net::TcpStream = socket.into();
    let socket = TcpSocket::from_std_stream(std_stream);
    let start = Instant::now();
    match socket.connect(addr).await {
        Ok(stream) => {
            let rtt = start.elapsed();
            drop(stream);
            Ok((rtt, Answer::Accepted))
        }
        Err(e) if e.kind() == ErrorKind::ConnectionRefused => {
            Ok((start.elapsed(), Answer::Refused))
        }
        Err(source) => Err(ProbeError::Io {
            what: "connect failed",
            source,
        }),
    }
}

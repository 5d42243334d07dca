//! TCP connect rounds: each probe opens a new connection and times the handshake.
//!
//! The socket is made with socket2 (so it can be bound to the interface with SO_BINDTODEVICE
//! before connecting) and handed to tokio's `TcpSocket`. The RTT is from `connect()` to its
//! completion: one SYN → SYN-ACK exchange, i.e. one network round trip plus the peer's kernel
//! time. The connection is closed at once (a normal FIN; nothing is sent).
//!
//! **A refused connection (RST) counts as an answer**, with the time the RST took: a TCP round
//! asks whether the *host* is reachable over this link, and an RST can only come back over a
//! working path. So a round to a closed port on a live host shows 0 % loss. Use the `http` or
//! `dns` method to ask whether a *service* answers. Host or network unreachable, and silence,
//! are loss.

use std::io::ErrorKind;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use socket2::{Protocol, Type};
use tokio::net::TcpSocket;
use tokio::time::Instant;

use super::config::{ProbeConfig, Target};
use super::net::{ProbeError, socket_for};
use super::{Outcome, paced};

/// Runs one TCP round to `ip` at the configured port.
pub(crate) async fn round(cfg: &ProbeConfig, ip: IpAddr) -> Outcome {
    let port = match cfg.target() {
        Target::HostPort(_, p) => *p,
        _ => 0, // unreachable: validation gives TCP targets a port
    };
    let addr = SocketAddr::new(ip, port);
    let interface = cfg.interface();
    let results = paced(
        cfg.count() as usize,
        cfg.spacing(),
        cfg.timeout(),
        |_| async move { connect_once(addr, interface).await },
    )
    .await;
    Outcome::from_probes(results)
}

/// One connect; `Ok(rtt)` for SYN-ACK or RST.
pub async fn connect_once(
    addr: SocketAddr,
    interface: Option<&str>,
) -> Result<Duration, ProbeError> {
    let socket = socket_for(&addr, Type::STREAM, Protocol::TCP, interface)?;
    let std_stream: std::net::TcpStream = socket.into();
    let socket = TcpSocket::from_std_stream(std_stream);
    let start = Instant::now();
    match socket.connect(addr).await {
        Ok(stream) => {
            let rtt = start.elapsed();
            drop(stream);
            Ok(rtt)
        }
        Err(e) if e.kind() == ErrorKind::ConnectionRefused => Ok(start.elapsed()),
        Err(source) => Err(ProbeError::Io {
            what: "connect failed",
            source,
        }),
    }
}

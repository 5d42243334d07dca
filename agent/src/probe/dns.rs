//! DNS rounds: each probe sends one query over UDP and times the response.
//!
//! The query is built and the response parsed with `hickory-proto` (the DNS wire format only:
//! no resolver, no DNSSEC, default features off, to keep the agent small). Each probe uses a
//! new UDP socket, bound to the interface and connected to the server, with a random source
//! port and a random 16-bit id, as a stub resolver does (RFC 5452); so answers to another
//! probe or round cannot be mistaken for this one's. A response counts when it carries our id,
//! the QR bit and our question (or no question, as some error responses do), **whatever its
//! rcode**: NXDOMAIN and SERVFAIL come from a live server. Recursion is requested. An ICMP
//! port unreachable (nothing listens) is loss with an error; garbage is ignored until the
//! timeout. Default question: `. NS`, which a recursive resolver answers from cache, so the
//! RTT is the path to the resolver rather than the resolver's upstream.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, OpCode, Query};
use hickory_proto::rr::{Name, RecordType};
use socket2::{Protocol, SockAddr, Type};
use tokio::net::UdpSocket;
use tokio::time::Instant;

use super::config::{DnsQuestion, ProbeConfig, Target};
use super::net::{ProbeError, socket_for};
use super::{Outcome, paced};

/// Runs one DNS round against the server at `ip`.
pub(crate) async fn round(cfg: &ProbeConfig, ip: IpAddr) -> Outcome {
    let port = match cfg.target() {
        Target::HostPort(_, p) => *p,
        _ => 53,
    };
    let server = SocketAddr::new(ip, port);
    let question = cfg.dns.clone().unwrap_or(DnsQuestion {
        name: Name::root(),
        rtype: RecordType::NS,
    });
    let interface = cfg.interface();
    let q = &question;
    let results = paced(
        cfg.count() as usize,
        cfg.spacing(),
        cfg.timeout(),
        |_| async move { query_once(server, interface, &q.name, q.rtype).await },
    )
    .await;
    Outcome::from_probes(results)
}

/// Sends one query and waits (unbounded: the caller times out) for its response.
pub async fn query_once(
    server: SocketAddr,
    interface: Option<&str>,
    name: &Name,
    rtype: RecordType,
) -> Result<Duration, ProbeError> {
    let io = |what: &'static str| move |source| ProbeError::Io { what, source };
    let socket = socket_for(&server, Type::DGRAM, Protocol::UDP, interface)?;
    let local = SocketAddr::new(
        if server.is_ipv4() {
            IpAddr::from([0u8; 4])
        } else {
            IpAddr::from([0u16; 8])
        },
        0,
    );
    socket
        .bind(&SockAddr::from(local))
        .map_err(io("cannot bind a UDP socket"))?;
    let std_socket: std::net::UdpSocket = socket.into();
    let udp = UdpSocket::from_std(std_socket).map_err(io("cannot register a UDP socket"))?;
    udp.connect(server)
        .await
        .map_err(io("cannot connect a UDP socket"))?;

    let id: u16 = rand::random();
    let mut query = Message::new(id, MessageType::Query, OpCode::Query);
    query.metadata.recursion_desired = true;
    query.add_query(Query::query(name.clone(), rtype));
    let bytes = query
        .to_vec()
        .map_err(|e| ProbeError::Other(format!("cannot encode the DNS query: {e}")))?;

    let start = Instant::now();
    udp.send(&bytes).await.map_err(io("send failed"))?;
    let mut buf = vec![0u8; 4096];
    loop {
        let n = match udp.recv(&mut buf).await {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                return Err(ProbeError::Other(format!(
                    "no DNS server at {server} (port unreachable)"
                )));
            }
            Err(e) => return Err(io("receive failed")(e)),
        };
        let at = start.elapsed();
        if is_response_to(&buf[..n], id, name, rtype) {
            return Ok(at);
        }
    }
}

/// Whether `packet` is the response to our query (module docs).
pub(crate) fn is_response_to(packet: &[u8], id: u16, name: &Name, rtype: RecordType) -> bool {
    let Ok(msg) = Message::from_vec(packet) else {
        return false;
    };
    msg.metadata.id == id
        && msg.metadata.message_type == MessageType::Response
        && msg
            .queries
            .first()
            .is_none_or(|q| q.query_type == rtype && q.name == *name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::op::ResponseCode;

    fn response(id: u16, name: &str, rtype: RecordType, rcode: ResponseCode) -> Vec<u8> {
        let mut m = Message::error_msg(id, OpCode::Query, rcode);
        m.add_query(Query::query(Name::from_ascii(name).unwrap(), rtype));
        m.to_vec().unwrap()
    }

    #[test]
    fn any_rcode_answers_but_the_id_and_question_must_match() {
        let name = Name::from_ascii("example.vn.").unwrap();
        let ok = response(7, "example.vn.", RecordType::A, ResponseCode::NXDomain);
        assert!(is_response_to(&ok, 7, &name, RecordType::A));
        assert!(!is_response_to(&ok, 8, &name, RecordType::A), "wrong id");
        assert!(
            !is_response_to(&ok, 7, &name, RecordType::AAAA),
            "wrong type"
        );
        let other = response(7, "other.vn.", RecordType::A, ResponseCode::NoError);
        assert!(
            !is_response_to(&other, 7, &name, RecordType::A),
            "wrong name"
        );
        let bare = Message::error_msg(7, OpCode::Query, ResponseCode::FormErr)
            .to_vec()
            .unwrap();
        assert!(
            is_response_to(&bare, 7, &name, RecordType::A),
            "no question section"
        );
        let mut query = Message::new(7, MessageType::Query, OpCode::Query);
        query.add_query(Query::query(name.clone(), RecordType::A));
        assert!(
            !is_response_to(&query.to_vec().unwrap(), 7, &name, RecordType::A),
            "a query"
        );
        assert!(!is_response_to(b"\x00\x07garbage", 7, &name, RecordType::A));
    }
}

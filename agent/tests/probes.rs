//! Integration tests of `coverage_agent::probe` against real sockets on loopback only
//! (127.0.0.1 and ::1): a TCP listener, an HTTP server (axum), a UDP DNS responder (built with
//! hickory-proto) and ICMP echo to the loopback addresses, all started here. The tests that
//! need loss, duplicates or a down interface run a child copy of this binary in a network
//! namespace they create (`unshare -n -m`, nftables inside it); they are skipped, saying so,
//! where `unshare` or `nft` is missing or not permitted.
//!
//! ICMP needs a ping socket (`net.ipv4.ping_group_range`) or CAP_NET_RAW (root falls back to a
//! raw socket); without either, the ICMP tests check the error message and stop.

use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use coverage_agent::measure::Measurement;
use coverage_agent::probe::{
    ProbeConfig, RawProbeConfig, RawThroughputConfig, ThroughputConfig, run_round, run_throughput,
    spawn_probes,
};
use coverage_shared::wire::{Body, Direction, Latency, Link, Method};
use hickory_proto::op::{Message, MessageType, OpCode};
use hickory_proto::rr::{RData, Record, rdata::A};
use tokio::net::{TcpListener, UdpSocket};
use tokio_util::sync::CancellationToken;

fn probe(method: Method, target: &str, count: u32, timeout_ms: u64) -> RawProbeConfig {
    let mut raw = RawProbeConfig::new("test", method, target, Link::Fibre);
    raw.count = Some(count);
    raw.spacing = Some(Duration::from_millis(20));
    raw.timeout = Some(Duration::from_millis(timeout_ms));
    raw
}

fn cfg(raw: RawProbeConfig) -> ProbeConfig {
    ProbeConfig::try_from(raw).expect("valid probe")
}

fn bound(mut raw: RawProbeConfig, interface: &str) -> RawProbeConfig {
    raw.interface = Some(interface.to_string());
    raw
}

/// A round where every probe came back, with sane RTTs.
#[track_caller]
fn assert_all_answered(l: &Latency, timeout_ms: f64) {
    assert_eq!(l.received, l.sent, "{l:?}");
    assert_eq!(l.rtts_ms.len(), l.sent as usize);
    assert!(l.error.is_none(), "{l:?}");
    let r = l.rtt_ms.expect("statistics");
    assert!(
        r.min > 0.0 && r.min <= r.p50 && r.p50 <= r.p95 && r.p95 <= r.max,
        "{r:?}"
    );
    assert!(
        r.mean >= r.min && r.mean <= r.max && r.stddev >= 0.0,
        "{r:?}"
    );
    assert!(r.max < timeout_ms, "{r:?}");
    for rtt in &l.rtts_ms {
        let v = rtt.expect("every probe answered");
        assert!(v > 0.0 && v < timeout_ms, "{v}");
    }
    if l.sent > 1 {
        assert!(l.jitter_ms.is_some());
    }
}

/// A round where nothing came back.
#[track_caller]
fn assert_all_lost(l: &Latency) {
    assert_eq!(l.received, 0, "{l:?}");
    assert!(l.rtts_ms.iter().all(Option::is_none), "{l:?}");
    assert_eq!(l.rtt_ms, None);
    assert_eq!(l.jitter_ms, None);
}

fn has_ipv6_loopback() -> bool {
    std::fs::read_to_string("/proc/net/if_inet6")
        .map(|s| {
            s.lines()
                .any(|l| l.starts_with("00000000000000000000000000000001"))
        })
        .unwrap_or(false)
}

/// `true` when ICMP sockets cannot be opened here (and the error says how to fix that).
fn icmp_unavailable(l: &Latency) -> bool {
    match &l.error {
        Some(e) if e.contains("ping_group_range") => {
            assert!(e.contains("setcap cap_net_raw+ep"), "{e}");
            eprintln!("skipped: no ICMP socket allowed here ({e})");
            true
        }
        _ => false,
    }
}

// ---------------------------------------------------------------- ICMP

#[tokio::test]
async fn icmp_round_to_loopback_v4_and_v6() {
    let l = run_round(&cfg(probe(Method::Icmp, "127.0.0.1", 5, 1000))).await;
    if icmp_unavailable(&l) {
        return;
    }
    assert_eq!(
        (l.method, l.link, l.sent, l.dup),
        (Method::Icmp, Link::Fibre, 5, 0)
    );
    assert_eq!(l.target, "127.0.0.1");
    assert_all_answered(&l, 1000.0);
    if has_ipv6_loopback() {
        let l6 = run_round(&cfg(probe(Method::Icmp, "::1", 5, 1000))).await;
        assert_all_answered(&l6, 1000.0);
    } else {
        eprintln!("skipped IPv6: no ::1 here");
    }
}

#[tokio::test]
async fn icmp_bound_to_lo_works_and_to_a_missing_interface_is_total_loss() {
    let l = run_round(&cfg(bound(probe(Method::Icmp, "127.0.0.1", 3, 1000), "lo"))).await;
    if icmp_unavailable(&l) {
        return;
    }
    assert_eq!(l.interface.as_deref(), Some("lo"));
    assert_all_answered(&l, 1000.0);

    let l = run_round(&cfg(bound(
        probe(Method::Icmp, "127.0.0.1", 3, 1000),
        "nosuch0",
    )))
    .await;
    assert_eq!(l.sent, 3);
    assert_all_lost(&l);
    let e = l.error.expect("error");
    assert!(e.contains("nosuch0"), "{e}");
}

// ---------------------------------------------------------------- TCP

async fn tcp_server(addr: &str) -> SocketAddr {
    let listener = TcpListener::bind(addr).await.unwrap();
    let local = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((conn, _)) = listener.accept().await {
            drop(conn);
        }
    });
    local
}

#[tokio::test]
async fn tcp_round_to_a_listening_port_v4_and_v6() {
    let addr = tcp_server("127.0.0.1:0").await;
    let l = run_round(&cfg(probe(Method::Tcp, &addr.to_string(), 5, 1000))).await;
    assert_eq!((l.method, l.sent, l.dup), (Method::Tcp, 5, 0));
    assert_all_answered(&l, 1000.0);
    if has_ipv6_loopback() {
        let addr6 = tcp_server("[::1]:0").await;
        let l6 = run_round(&cfg(probe(Method::Tcp, &addr6.to_string(), 5, 1000))).await;
        assert_all_answered(&l6, 1000.0);
    }
}

#[tokio::test]
async fn tcp_refused_counts_as_an_answer() {
    // A port nobody listens on: the kernel answers the SYN with RST.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let l = run_round(&cfg(probe(
        Method::Tcp,
        &format!("127.0.0.1:{port}"),
        3,
        1000,
    )))
    .await;
    assert_all_answered(&l, 1000.0);
    assert_eq!(l.refused, Some(3), "every answer was a refusal: {l:?}");
}

#[tokio::test]
async fn tcp_accepted_connections_are_not_refusals() {
    let addr = tcp_server("127.0.0.1:0").await;
    let l = run_round(&cfg(probe(Method::Tcp, &addr.to_string(), 3, 1000))).await;
    assert_all_answered(&l, 1000.0);
    assert_eq!(l.refused, Some(0), "{l:?}");
    let dns = run_round(&cfg(probe(Method::Dns, &addr.to_string(), 1, 200))).await;
    assert_eq!(dns.refused, None, "only TCP rounds count refusals");
}

#[tokio::test]
async fn tcp_black_hole_is_loss() {
    // A listener with a full accept queue: Linux drops further SYNs silently.
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket
        .bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into())
        .unwrap();
    socket.listen(0).unwrap();
    let addr = socket.local_addr().unwrap().as_socket().unwrap();
    let _filler = std::net::TcpStream::connect(addr).unwrap();
    let l = run_round(&cfg(probe(Method::Tcp, &addr.to_string(), 3, 300))).await;
    assert_eq!(l.sent, 3);
    assert_all_lost(&l);
    assert_eq!(l.error, None, "silence is loss, not an error: {l:?}");
    drop(socket);
}

#[tokio::test]
async fn tcp_bound_to_lo_works_and_to_a_missing_interface_is_total_loss() {
    let addr = tcp_server("127.0.0.1:0").await;
    let l = run_round(&cfg(bound(
        probe(Method::Tcp, &addr.to_string(), 3, 1000),
        "lo",
    )))
    .await;
    assert_all_answered(&l, 1000.0);
    let l = run_round(&cfg(bound(
        probe(Method::Tcp, &addr.to_string(), 3, 1000),
        "nosuch0",
    )))
    .await;
    assert_all_lost(&l);
    assert_eq!(l.error.as_deref(), Some("interface nosuch0 does not exist"));
}

// ---------------------------------------------------------------- HTTP

async fn http_server(addr: &str) -> SocketAddr {
    use axum::Router;
    use axum::body::Body as AxumBody;
    use axum::http::StatusCode;
    use axum::routing::{get, post};
    use futures::StreamExt;

    let app = Router::new()
        .route("/", get(|| async { "ok" }))
        .route("/missing", get(|| async { StatusCode::NOT_FOUND }))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                "late"
            }),
        )
        .route(
            "/big",
            get(|| async {
                // 4 MB in 64 KiB chunks.
                let chunks = futures::stream::iter(
                    (0..64).map(|_| Ok::<_, std::io::Error>(vec![7u8; 65536])),
                );
                AxumBody::from_stream(chunks)
            }),
        )
        .route(
            "/up",
            post(|body: AxumBody| async move {
                let mut stream = body.into_data_stream();
                let mut n = 0usize;
                while let Some(Ok(chunk)) = stream.next().await {
                    n += chunk.len();
                }
                n.to_string()
            }),
        );
    let listener = TcpListener::bind(addr).await.unwrap();
    let local = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    local
}

#[tokio::test]
async fn http_round_times_first_byte_and_any_status_answers() {
    let addr = http_server("127.0.0.1:0").await;
    let url = format!("http://{addr}/");
    let l = run_round(&cfg(probe(Method::Http, &url, 3, 2000))).await;
    assert_eq!((l.method, l.target.as_str()), (Method::Http, url.as_str()));
    assert_all_answered(&l, 2000.0);

    let l = run_round(&cfg(probe(
        Method::Http,
        &format!("http://{addr}/missing"),
        2,
        2000,
    )))
    .await;
    assert_all_answered(&l, 2000.0);

    // A host name, resolved once per round and pinned.
    let l = run_round(&cfg(probe(
        Method::Http,
        &format!("http://localhost:{}/", addr.port()),
        2,
        2000,
    )))
    .await;
    if l.received == 0 {
        // localhost may resolve to ::1 first where the server is not listening.
        let mut raw = probe(
            Method::Http,
            &format!("http://localhost:{}/", addr.port()),
            2,
            2000,
        );
        raw.family = Some(coverage_agent::probe::Family::Ipv4);
        assert_all_answered(&run_round(&cfg(raw)).await, 2000.0);
    } else {
        assert_all_answered(&l, 2000.0);
    }

    if has_ipv6_loopback() {
        let addr6 = http_server("[::1]:0").await;
        let l6 = run_round(&cfg(probe(
            Method::Http,
            &format!("http://{addr6}/"),
            2,
            2000,
        )))
        .await;
        assert_all_answered(&l6, 2000.0);
    }
}

#[tokio::test]
async fn http_silence_and_refusal_are_loss() {
    let addr = http_server("127.0.0.1:0").await;
    let l = run_round(&cfg(probe(
        Method::Http,
        &format!("http://{addr}/slow"),
        2,
        300,
    )))
    .await;
    assert_all_lost(&l);
    assert_eq!(l.error, None, "{l:?}");

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let l = run_round(&cfg(probe(
        Method::Http,
        &format!("http://127.0.0.1:{port}/"),
        2,
        1000,
    )))
    .await;
    assert_all_lost(&l);
    let e = l.error.expect("a refused connection is explained");
    assert!(e.to_lowercase().contains("refused"), "{e}");
}

#[tokio::test]
async fn http_bound_to_lo_works_and_to_a_missing_interface_is_total_loss() {
    let addr = http_server("127.0.0.1:0").await;
    let url = format!("http://{addr}/");
    let l = run_round(&cfg(bound(probe(Method::Http, &url, 2, 2000), "lo"))).await;
    assert_all_answered(&l, 2000.0);
    let l = run_round(&cfg(bound(probe(Method::Http, &url, 2, 2000), "nosuch0"))).await;
    assert_all_lost(&l);
    assert!(l.error.unwrap().contains("nosuch0"));
}

// ---------------------------------------------------------------- DNS

/// Answers every query with `A 127.0.0.1`, NOERROR.
async fn dns_server(addr: &str) -> SocketAddr {
    let socket = UdpSocket::bind(addr).await.unwrap();
    let local = socket.local_addr().unwrap();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 4096];
        while let Ok((n, peer)) = socket.recv_from(&mut buf).await {
            let Ok(query) = Message::from_vec(&buf[..n]) else {
                continue;
            };
            let mut response =
                Message::new(query.metadata.id, MessageType::Response, OpCode::Query);
            response.metadata.recursion_available = true;
            for q in &query.queries {
                response.add_query(q.clone());
                response.add_answer(Record::from_rdata(
                    q.name.clone(),
                    60,
                    RData::A(A::new(127, 0, 0, 1)),
                ));
            }
            let _ = socket.send_to(&response.to_vec().unwrap(), peer).await;
        }
    });
    local
}

#[tokio::test]
async fn dns_round_to_a_responder_v4_and_v6() {
    let addr = dns_server("127.0.0.1:0").await;
    let mut raw = probe(Method::Dns, &addr.to_string(), 5, 1000);
    raw.query = Some("commune.example".into());
    raw.query_type = Some("a".into());
    let l = run_round(&cfg(raw)).await;
    assert_eq!(l.method, Method::Dns);
    assert_all_answered(&l, 1000.0);
    // The default question (. NS).
    let l = run_round(&cfg(probe(Method::Dns, &addr.to_string(), 2, 1000))).await;
    assert_all_answered(&l, 1000.0);
    if has_ipv6_loopback() {
        let addr6 = dns_server("[::1]:0").await;
        let l6 = run_round(&cfg(probe(Method::Dns, &addr6.to_string(), 3, 1000))).await;
        assert_all_answered(&l6, 1000.0);
    }
}

#[tokio::test]
async fn dns_silence_and_closed_port_are_loss() {
    // Bound but never read: queries vanish.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let l = run_round(&cfg(probe(
        Method::Dns,
        &silent.local_addr().unwrap().to_string(),
        2,
        300,
    )))
    .await;
    assert_all_lost(&l);
    assert_eq!(l.error, None);
    drop(silent);

    let port = std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let l = run_round(&cfg(probe(
        Method::Dns,
        &format!("127.0.0.1:{port}"),
        2,
        1000,
    )))
    .await;
    assert_all_lost(&l);
    assert!(l.error.unwrap().contains("port unreachable"));
}

#[tokio::test]
async fn dns_bound_to_lo_works_and_to_a_missing_interface_is_total_loss() {
    let addr = dns_server("127.0.0.1:0").await;
    let l = run_round(&cfg(bound(
        probe(Method::Dns, &addr.to_string(), 2, 1000),
        "lo",
    )))
    .await;
    assert_all_answered(&l, 1000.0);
    let l = run_round(&cfg(bound(
        probe(Method::Dns, &addr.to_string(), 2, 1000),
        "nosuch0",
    )))
    .await;
    assert_all_lost(&l);
    assert!(l.error.unwrap().contains("nosuch0"));
}

// ---------------------------------------------------------------- throughput

fn transfer(url: &str, direction: Direction, max_bytes: u64) -> ThroughputConfig {
    let mut raw = RawThroughputConfig::new("t", url, Link::Fibre);
    raw.direction = Some(direction);
    raw.max_bytes = Some(max_bytes);
    raw.max_duration = Some(Duration::from_secs(5));
    ThroughputConfig::try_from(raw).unwrap()
}

#[tokio::test]
async fn throughput_download_and_upload_are_bounded_by_bytes() {
    let addr = http_server("127.0.0.1:0").await;
    let down = run_throughput(&transfer(
        &format!("http://{addr}/big"),
        Direction::Down,
        1_000_000,
    ))
    .await;
    assert_eq!(down.error, None, "{down:?}");
    assert_eq!(down.bytes, 1_000_000);
    assert!(
        down.duration_ms > 0.0 && down.mbps.unwrap() > 1.0,
        "{down:?}"
    );

    // The whole body when it is smaller than the bound.
    let all = run_throughput(&transfer(
        &format!("http://{addr}/big"),
        Direction::Down,
        100_000_000,
    ))
    .await;
    assert_eq!(all.bytes, 64 * 65536, "{all:?}");

    let up = run_throughput(&transfer(
        &format!("http://{addr}/up"),
        Direction::Up,
        500_000,
    ))
    .await;
    assert_eq!(up.error, None, "{up:?}");
    assert_eq!((up.bytes, up.direction), (500_000, Direction::Up));
    assert!(up.mbps.unwrap() > 1.0, "{up:?}");

    let missing = run_throughput(&transfer(
        &format!("http://{addr}/missing"),
        Direction::Down,
        1000,
    ))
    .await;
    assert_eq!(missing.mbps, None);
    assert!(missing.error.unwrap().contains("404"));

    let mut raw = RawThroughputConfig::new("t", &format!("http://{addr}/big"), Link::Fibre);
    raw.interface = Some("nosuch0".into());
    let cut = run_throughput(&ThroughputConfig::try_from(raw).unwrap()).await;
    assert_eq!((cut.bytes, cut.mbps), (0, None));
    assert!(cut.error.unwrap().contains("nosuch0"));
}

// ---------------------------------------------------------------- scheduling

#[tokio::test]
async fn spawned_probes_run_on_their_own_schedules_and_stop_on_shutdown() {
    let tcp = tcp_server("127.0.0.1:0").await;
    let web = http_server("127.0.0.1:0").await;
    let mut fast = probe(Method::Tcp, &tcp.to_string(), 1, 200);
    fast.name = "fast".into();
    fast.interval = Some(Duration::from_secs(1));
    fast.jitter = Some(Duration::from_millis(100));
    // A probe that always times out must not hold the other one back.
    let mut slow = probe(Method::Http, &format!("http://{web}/slow"), 1, 700);
    slow.name = "slow".into();
    slow.interval = Some(Duration::from_secs(1));
    slow.jitter = Some(Duration::ZERO);
    let mut xfer = RawThroughputConfig::new("off", &format!("http://{web}/big"), Link::Fibre);
    xfer.interval = Some(Duration::from_secs(1));
    xfer.max_duration = Some(Duration::from_millis(200));
    xfer.jitter = Some(Duration::ZERO);
    let disabled = ThroughputConfig::try_from(xfer).unwrap();

    let (tx, mut rx) = tokio::sync::mpsc::channel::<Measurement>(64);
    let shutdown = CancellationToken::new();
    let started = chrono::Utc::now();
    let handles = spawn_probes(
        vec![cfg(fast), cfg(slow)],
        vec![disabled],
        tx,
        shutdown.clone(),
    );
    assert_eq!(handles.len(), 2, "a disabled transfer gets no task");
    tokio::time::sleep(Duration::from_millis(3300)).await;
    shutdown.cancel();
    for h in handles {
        tokio::time::timeout(Duration::from_secs(2), h)
            .await
            .expect("stops promptly")
            .unwrap();
    }
    let mut fast_rounds = 0;
    while let Ok(m) = rx.try_recv() {
        assert!(
            m.ts >= started && m.ts <= chrono::Utc::now(),
            "ts is the round start"
        );
        let Body::Latency(l) = m.body else {
            panic!("latency only")
        };
        if l.method == Method::Tcp {
            fast_rounds += 1;
            assert_eq!(l.received, 1);
        } else {
            assert_eq!(l.received, 0);
        }
    }
    // Rounds at phase + {0,1,2,3} s with phase < 1 s: at least 3 in 3.3 s.
    assert!(fast_rounds >= 3, "{fast_rounds}");
}

// ---------------------------------------------------------------- network namespaces

/// Runs `case` in a child copy of this test binary inside a new network + mount namespace,
/// after `setup` (shell) ran there. `false` when namespaces are not available here.
fn in_netns(case: &str, setup: &str) -> bool {
    in_netns_as(case, setup, false)
}

/// [`in_netns`], the child running as `nobody` (no capabilities) when `unprivileged`.
fn in_netns_as(case: &str, setup: &str, unprivileged: bool) -> bool {
    let ok = |cmd: &str| {
        Command::new("sh")
            .args(["-c", cmd])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    };
    if !ok("unshare -n -m true") {
        eprintln!("skipped {case}: cannot create network namespaces here");
        return false;
    }
    if setup.contains("nft") && !ok("command -v nft") {
        eprintln!("skipped {case}: nft (nftables) is not installed");
        return false;
    }
    let exe = std::env::current_exe().unwrap();
    if unprivileged && !ok("command -v setpriv") {
        eprintln!("skipped {case}: setpriv is not installed");
        return false;
    }
    let drop_privileges = if unprivileged {
        "setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all"
    } else {
        ""
    };
    let script = format!(
        "set -e; mount -t sysfs sysfs /sys; {setup}; exec {drop_privileges} \"$0\" --ignored --exact netns_child --nocapture --test-threads=1"
    );
    let out = Command::new("unshare")
        .args(["-n", "-m", "sh", "-c", &script])
        .arg(&exe)
        .env("PROBE_NETNS_CASE", case)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "child {case} failed:\n{text}");
    assert!(text.contains("1 passed"), "the child ran:\n{text}");
    eprintln!("child {case}:\n{text}");
    true
}

/// The child side of [`in_netns`]; does nothing unless started by it.
#[tokio::test]
#[ignore = "runs only inside a namespace made by in_netns"]
async fn netns_child() {
    let Ok(case) = std::env::var("PROBE_NETNS_CASE") else {
        return;
    };
    match case.as_str() {
        "lo-down" => {
            // A fresh namespace's loopback is down.
            for method in [Method::Icmp, Method::Tcp, Method::Dns] {
                let target = if method == Method::Icmp {
                    "127.0.0.1"
                } else {
                    "127.0.0.1:53"
                };
                let l = run_round(&cfg(bound(probe(method, target, 4, 300), "lo"))).await;
                assert_eq!(l.sent, 4);
                assert_all_lost(&l);
                assert_eq!(
                    l.error.as_deref(),
                    Some("interface lo is down (administratively down)")
                );
            }
            // Unbound, the same round fails at the socket: still a reading, still loss.
            let l = run_round(&cfg(probe(Method::Tcp, "127.0.0.1:9", 2, 300))).await;
            assert_all_lost(&l);
            assert!(l.error.is_some(), "{l:?}");
        }
        "no-icmp" => {
            for target in ["127.0.0.1", "::1"] {
                let l = run_round(&cfg(probe(Method::Icmp, target, 2, 300))).await;
                assert_all_lost(&l);
                let e = l.error.expect("an error explains the loss");
                assert!(
                    e.contains("sysctl -w net.ipv4.ping_group_range=\"0 2147483647\""),
                    "{e}"
                );
                assert!(e.contains("setcap cap_net_raw+ep"), "{e}");
            }
        }
        "dgram" => {
            // Unprivileged: only a ping socket can work, so success proves the DGRAM path.
            let l = run_round(&cfg(probe(Method::Icmp, "127.0.0.1", 5, 1000))).await;
            assert_all_answered(&l, 1000.0);
            if has_ipv6_loopback() {
                let l6 = run_round(&cfg(probe(Method::Icmp, "::1", 5, 1000))).await;
                assert_all_answered(&l6, 1000.0);
            }
            let l = run_round(&cfg(bound(probe(Method::Icmp, "127.0.0.1", 2, 1000), "lo"))).await;
            assert_all_answered(&l, 1000.0);
        }
        "loss-dup" => {
            let l = run_round(&cfg(probe(Method::Icmp, "127.0.0.1", 60, 500))).await;
            if icmp_unavailable(&l) {
                return;
            }
            eprintln!("netns loss-dup round: {l:?}");
            assert_eq!(l.sent, 60);
            assert!(l.received > 0 && l.received < 60, "some lost: {l:?}");
            assert!(l.dup > 0, "some duplicated: {l:?}");
            let answered = l.rtts_ms.iter().filter(|r| r.is_some()).count() as u32;
            assert_eq!(answered, l.received, "duplicates never count as received");
        }
        other => panic!("unknown case {other}"),
    }
}

#[test]
fn a_down_interface_is_total_loss_naming_it() {
    in_netns("lo-down", "true");
}

#[test]
fn icmp_without_permission_explains_both_fixes() {
    // A fresh namespace has the kernel default ping_group_range "1 0"; nobody has no
    // CAP_NET_RAW: neither socket type can be opened.
    in_netns_as("no-icmp", "true", true);
}

#[test]
fn icmp_uses_unprivileged_ping_sockets_when_allowed() {
    let setup = "ip link set lo up; sysctl -q -w net.ipv4.ping_group_range='0 2147483647'";
    in_netns_as("dgram", setup, true);
}

const LOSS_DUP_RULES: &str = "ip link set lo up; \
    nft add table netdev t; \
    nft add chain netdev t c '{ type filter hook ingress device lo priority 0; }'; \
    nft add rule netdev t c icmp type echo-reply numgen random mod 10 '<' 3 dup to lo; \
    nft add table inet f; \
    nft add chain inet f in '{ type filter hook input priority 0; }'; \
    nft add rule inet f in icmp type echo-reply numgen random mod 10 '<' 3 drop";

#[test]
fn icmp_counts_real_loss_and_duplicates_on_a_ping_socket() {
    let setup = format!("{LOSS_DUP_RULES}; sysctl -q -w net.ipv4.ping_group_range='0 2147483647'");
    in_netns_as("loss-dup", &setup, true);
}

#[test]
fn icmp_counts_real_loss_and_duplicates() {
    // About 30 % of echo replies dropped and 30 % duplicated (dup to lo re-enters ingress).
    in_netns("loss-dup", LOSS_DUP_RULES);
}

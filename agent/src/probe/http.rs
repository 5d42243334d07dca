//! HTTP(S) rounds with reqwest (rustls): each probe is one GET on a new connection, timed to
//! the response headers.
//!
//! **What is measured.** reqwest exposes no per-phase timings (no hook between DNS, connect,
//! TLS and the request), so a probe's RTT is **time to first byte**: from the request to the
//! arrival of the response headers, which includes the TCP handshake, the TLS handshake for
//! `https` and the server's think time. It is comparable with curl's `time_starttransfer`
//! minus `time_namelookup`. Name resolution is done once per round by the probe
//! ([`super::net::resolve`]) and pinned in the client (`ClientBuilder::resolve`), so it is not
//! in the RTT: a slow resolver must not look like a slow link (the `dns` method measures
//! resolvers). Separate connect and TLS figures would need our own connector; the wire format
//! has no field for them either.
//!
//! Every probe uses a fresh connection (`pool_max_idle_per_host(0)`), so each one measures the
//! path and the handshakes, not an idle keep-alive connection. **Any status counts** as an
//! answer (404 and 503 come from a live server); redirects are not followed; the body is not
//! read. The client is bound to the interface with `ClientBuilder::interface` (SO_BINDTODEVICE
//! on Linux) and ignores proxy settings.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::time::Instant;

use super::config::{ProbeConfig, Target};
use super::net::ProbeError;
use super::{Outcome, paced};

/// Runs one HTTP round; `ip` is the target host's address, resolved by the caller.
pub(crate) async fn round(cfg: &ProbeConfig, ip: IpAddr) -> Result<Outcome, ProbeError> {
    let Target::Url(url) = cfg.target() else {
        return Err(ProbeError::Other("an http probe needs a URL".into()));
    };
    // reqwest's own timeout is a backstop; the round's per-probe timeout decides.
    let client = client(
        url,
        ip,
        cfg.interface(),
        cfg.timeout() + Duration::from_secs(1),
    )?;
    let results = paced(cfg.count() as usize, cfg.spacing(), cfg.timeout(), |_| {
        let request = client.get(url.clone());
        async move {
            let start = Instant::now();
            let response = request
                .send()
                .await
                .map_err(|e| ProbeError::Other(error_chain(&e)))?;
            let rtt = start.elapsed();
            drop(response);
            Ok(rtt)
        }
    })
    .await;
    Ok(Outcome::from_probes(results))
}

/// A client for a round: no connection reuse, no proxy, no redirects, the host name pinned
/// to `ip`, bound to `interface`.
///
/// Clients are kept per (host, address, interface, timeout): building one loads the system's
/// root certificates, which every round would otherwise pay for in CPU and resident memory.
/// Connections are still new for every probe (`pool_max_idle_per_host(0)`), so each RTT
/// includes the connect and the TLS handshake as it should.
pub(crate) fn client(
    url: &reqwest::Url,
    ip: IpAddr,
    interface: Option<&str>,
    timeout: Duration,
) -> Result<reqwest::Client, ProbeError> {
    type Key = (Option<String>, IpAddr, Option<String>, Duration);
    static CLIENTS: std::sync::Mutex<Vec<(Key, reqwest::Client)>> =
        std::sync::Mutex::new(Vec::new());
    let key: Key = (
        url.host_str().map(str::to_owned),
        ip,
        interface.map(str::to_owned),
        timeout,
    );
    let mut cache = CLIENTS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((_, c)) = cache.iter().find(|(k, _)| *k == key) {
        return Ok(c.clone());
    }
    let c = build_client(url, ip, interface, timeout)?;
    // A handful of probes, each with few addresses: a small bound is plenty.
    if cache.len() >= 32 {
        cache.remove(0);
    }
    cache.push((key, c.clone()));
    Ok(c)
}

fn build_client(
    url: &reqwest::Url,
    ip: IpAddr,
    interface: Option<&str>,
    timeout: Duration,
) -> Result<reqwest::Client, ProbeError> {
    coverage_net::tls::ensure_crypto_provider();
    let mut b = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(timeout)
        .timeout(timeout)
        .user_agent(concat!("coverage-agent/", env!("CARGO_PKG_VERSION")));
    if let Some(i) = interface {
        b = b.interface(i);
    }
    if let Some(host) = url
        .host_str()
        .filter(|h| h.parse::<IpAddr>().is_err() && !h.starts_with('['))
    {
        b = b.resolve(host, SocketAddr::new(ip, 0));
    }
    b.build().map_err(|e| {
        ProbeError::Other(format!("cannot build the HTTP client: {}", error_chain(&e)))
    })
}

/// An error and its causes, `outer: inner: root` (reqwest's own message omits the cause).
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let text = c.to_string();
        if !s.contains(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        cur = c.source();
    }
    s
}

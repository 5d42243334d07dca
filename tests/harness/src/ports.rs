//! Free loopback ports.
//!
//! A port is found by binding `127.0.0.1:0` and dropping the socket, so another process may take
//! it before the server binds it: the servers' `start` functions pick new ports and try again
//! when the server reports "address already in use". Within one test process a port is never
//! handed out twice.

use std::collections::HashSet;
use std::net::{Ipv4Addr, TcpListener};
use std::sync::Mutex;

use anyhow::{Context, Result, bail};

/// Returns a TCP port on 127.0.0.1 that was free a moment ago and that this process has not
/// handed out before.
pub fn free_port() -> Result<u16> {
    static HANDED_OUT: Mutex<Option<HashSet<u16>>> = Mutex::new(None);
    for _ in 0..100 {
        let listener =
            TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("binding 127.0.0.1:0")?;
        let port = listener
            .local_addr()
            .context("reading the bound port")?
            .port();
        drop(listener);
        let mut handed_out = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
        if handed_out.get_or_insert_with(HashSet::new).insert(port) {
            return Ok(port);
        }
    }
    bail!("no unused loopback port after 100 tries")
}

/// Whether a server's log says that it could not bind its port.
pub(crate) fn says_addr_in_use(log: &str) -> bool {
    let log = log.to_ascii_lowercase();
    log.contains("address already in use") || log.contains("addrinuse")
}

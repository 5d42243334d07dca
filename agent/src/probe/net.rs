//! Socket plumbing shared by the probes: interface state, SO_BINDTODEVICE, name resolution,
//! and the round-level error type whose text becomes a reading's `error`.
//!
//! **Interface state.** Before a bound round the interface is looked up in
//! `/sys/class/net/<name>/` (the kernel's own view, no privileges needed): a missing interface,
//! one that is administratively down (`flags` without `IFF_UP`) or one without a working lower
//! layer (`operstate` `down`, `lowerlayerdown`, `notpresent`, `dormant`) makes the round 100 %
//! loss at once, with an `error` naming the interface. Nothing is sent in that case: a fibre
//! cut (the ONT port loses carrier) is reported as such instead of as ten timeouts. `operstate`
//! `unknown` counts as up: `lo`, tunnels and many virtual devices never report anything else.
//! sysfs shows the network namespace it was mounted in; the agent runs in the host namespace,
//! and the tests that use a private namespace mount their own sysfs.
//!
//! **Binding.** `SO_BINDTODEVICE` (socket2 `bind_device`) pins a socket to the interface, so a
//! dead fibre cannot be hidden by the default route moving to the modem. `ENODEV` from it means
//! the interface vanished between the check and the bind; `EPERM` means the kernel is older
//! than 5.7 and wants CAP_NET_RAW for it.
//!
//! **Names** are resolved with the system resolver (`getaddrinfo` via tokio), once per round,
//! not bound to the interface (libc offers no way to). Fibre probes should name IP addresses.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};

use super::config::Family;

/// Why a whole round could not be measured (every probe counts as lost), or why one probe
/// failed. The `Display` text is what goes into a reading's `error`.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// The bound interface does not exist.
    #[error("interface {interface} does not exist")]
    InterfaceMissing {
        /// Interface name.
        interface: String,
    },
    /// The bound interface exists but cannot carry traffic.
    #[error("interface {interface} is down ({state})")]
    InterfaceDown {
        /// Interface name.
        interface: String,
        /// What the kernel says (`administratively down`, `operstate lowerlayerdown`, ...).
        state: String,
    },
    /// `SO_BINDTODEVICE` failed.
    #[error("cannot bind to interface {interface}: {source}{hint}")]
    Bind {
        /// Interface name.
        interface: String,
        /// The OS error.
        source: io::Error,
        /// Extra advice for EPERM.
        hint: &'static str,
    },
    /// The target's name did not resolve.
    #[error("cannot resolve {host}: {reason}")]
    Resolve {
        /// Host name.
        host: String,
        /// Resolver error or `timed out`.
        reason: String,
    },
    /// The name resolved, but not to the family asked for.
    #[error("{host} has no {family} address")]
    NoAddress {
        /// Host name.
        host: String,
        /// `IPv4` or `IPv6`.
        family: &'static str,
    },
    /// Neither an unprivileged ping socket nor a raw socket may be opened.
    #[error(
        "cannot open an ICMP socket (permission denied): unprivileged ping sockets are disabled and raw \
         sockets need CAP_NET_RAW; either run `sysctl -w net.ipv4.ping_group_range=\"0 2147483647\"` (persist it in \
         /etc/sysctl.d; the setting covers IPv6 too) or `setcap cap_net_raw+ep` on the agent binary"
    )]
    IcmpNotPermitted {
        /// The OS error (not displayed: the message above says all the operator needs).
        source: io::Error,
    },
    /// Any other socket or protocol failure.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The OS error.
        source: io::Error,
    },
    /// A protocol-level failure described in words (HTTP client errors, bad DNS answers).
    #[error("{0}")]
    Other(String),
}

/// Checks that `name` exists and is up (module docs); `Ok` when sysfs cannot tell.
pub fn check_interface(name: &str) -> Result<(), ProbeError> {
    check_interface_in(Path::new("/sys/class/net"), name)
}

/// [`check_interface`] against another sysfs root (tests).
pub(crate) fn check_interface_in(root: &Path, name: &str) -> Result<(), ProbeError> {
    if !root.is_dir() {
        return Ok(()); // no sysfs: let the bind decide
    }
    let dir = root.join(name);
    if !dir.exists() {
        return Err(ProbeError::InterfaceMissing {
            interface: name.to_string(),
        });
    }
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).ok();
    match interface_state(read("flags").as_deref(), read("operstate").as_deref()) {
        Ok(()) => Ok(()),
        Err(state) => Err(ProbeError::InterfaceDown {
            interface: name.to_string(),
            state,
        }),
    }
}

/// Decides from sysfs `flags` (hex) and `operstate` whether an interface can carry traffic.
pub(crate) fn interface_state(flags: Option<&str>, operstate: Option<&str>) -> Result<(), String> {
    const IFF_UP: u32 = 0x1;
    if let Some(flags) = flags
        .map(str::trim)
        .and_then(|f| u32::from_str_radix(f.trim_start_matches("0x"), 16).ok())
        && flags & IFF_UP == 0
    {
        return Err("administratively down".into());
    }
    match operstate.map(str::trim) {
        Some(s @ ("down" | "lowerlayerdown" | "notpresent" | "dormant")) => {
            Err(format!("operstate {s}, no carrier"))
        }
        _ => Ok(()),
    }
}

/// Binds `socket` to `interface` with SO_BINDTODEVICE, mapping errors to [`ProbeError`].
pub fn bind_device(socket: &Socket, interface: &str) -> Result<(), ProbeError> {
    socket
        .bind_device(Some(interface.as_bytes()))
        .map_err(|e| bind_error(interface, e))
}

/// Maps an error from SO_BINDTODEVICE.
pub(crate) fn bind_error(interface: &str, e: io::Error) -> ProbeError {
    match e.raw_os_error() {
        Some(19) => ProbeError::InterfaceMissing {
            interface: interface.to_string(),
        }, // ENODEV
        Some(1) => ProbeError::Bind {
            interface: interface.to_string(),
            source: e,
            hint: " (kernels before 5.7 need CAP_NET_RAW for SO_BINDTODEVICE)",
        },
        _ => ProbeError::Bind {
            interface: interface.to_string(),
            source: e,
            hint: "",
        },
    }
}

/// A non-blocking socket of the right family, bound to `interface` when given.
pub(crate) fn socket_for(
    addr: &SocketAddr,
    ty: Type,
    proto: Protocol,
    interface: Option<&str>,
) -> Result<Socket, ProbeError> {
    let socket = Socket::new(Domain::for_address(*addr), ty, Some(proto)).map_err(|source| {
        ProbeError::Io {
            what: "cannot open a socket",
            source,
        }
    })?;
    if let Some(i) = interface {
        bind_device(&socket, i)?;
    }
    socket
        .set_nonblocking(true)
        .map_err(|source| ProbeError::Io {
            what: "cannot make a socket non-blocking",
            source,
        })?;
    Ok(socket)
}

/// Resolves `host` (an IP literal is used as is) to one address of `family`, or the resolver's
/// first answer. Bounded by `timeout`.
pub async fn resolve(
    host: &str,
    family: Option<Family>,
    timeout: Duration,
) -> Result<IpAddr, ProbeError> {
    let no_address = || ProbeError::NoAddress {
        host: host.to_string(),
        family: family.map_or("IP", Family::as_str),
    };
    if let Ok(ip) = host.parse::<IpAddr>() {
        return if family.is_none_or(|f| f.matches(ip)) {
            Ok(ip)
        } else {
            Err(no_address())
        };
    }
    let addrs = tokio::time::timeout(timeout, tokio::net::lookup_host((host, 0)))
        .await
        .map_err(|_| ProbeError::Resolve {
            host: host.to_string(),
            reason: "timed out".into(),
        })?
        .map_err(|e| ProbeError::Resolve {
            host: host.to_string(),
            reason: e.to_string(),
        })?;
    addrs
        .map(|a| a.ip())
        .find(|ip| family.is_none_or(|f| f.matches(*ip)))
        .ok_or_else(no_address)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interface_state_reads_flags_and_operstate() {
        assert!(interface_state(Some("0x9\n"), Some("unknown\n")).is_ok()); // lo
        assert!(interface_state(Some("0x1003"), Some("up")).is_ok());
        assert!(interface_state(None, None).is_ok());
        assert_eq!(
            interface_state(Some("0x1002"), Some("down")).unwrap_err(),
            "administratively down"
        );
        assert_eq!(
            interface_state(Some("0x1003"), Some("lowerlayerdown")).unwrap_err(),
            "operstate lowerlayerdown, no carrier"
        );
        assert!(interface_state(Some("0x8"), Some("down")).is_err()); // lo in a fresh netns
    }

    #[test]
    fn missing_and_down_interfaces_are_named() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("eth1")).unwrap();
        std::fs::write(root.path().join("eth1/flags"), "0x1003\n").unwrap();
        std::fs::write(root.path().join("eth1/operstate"), "down\n").unwrap();
        let e = check_interface_in(root.path(), "eth1")
            .unwrap_err()
            .to_string();
        assert_eq!(e, "interface eth1 is down (operstate down, no carrier)");
        let e = check_interface_in(root.path(), "eth9")
            .unwrap_err()
            .to_string();
        assert_eq!(e, "interface eth9 does not exist");
        // No sysfs at all: cannot tell, the bind decides.
        assert!(check_interface_in(&root.path().join("nope"), "eth9").is_ok());
    }

    #[test]
    fn the_icmp_permission_error_names_both_fixes() {
        let e = ProbeError::IcmpNotPermitted {
            source: io::Error::from_raw_os_error(1),
        }
        .to_string();
        assert!(
            e.contains("sysctl -w net.ipv4.ping_group_range=\"0 2147483647\""),
            "{e}"
        );
        assert!(e.contains("setcap cap_net_raw+ep"), "{e}");
    }

    #[tokio::test]
    async fn literals_resolve_without_the_resolver_and_respect_the_family() {
        let t = Duration::from_secs(1);
        assert_eq!(
            resolve("::1", None, t).await.unwrap(),
            "::1".parse::<IpAddr>().unwrap()
        );
        assert!(matches!(
            resolve("127.0.0.1", Some(Family::Ipv6), t).await,
            Err(ProbeError::NoAddress { .. })
        ));
        let ip = resolve("localhost", Some(Family::Ipv4), t).await.unwrap();
        assert!(ip.is_loopback());
    }
}

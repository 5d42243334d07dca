//! A throwaway certificate authority and server certificate for TLS listeners, made with the
//! `openssl` CLI (package `openssl`).
//!
//! ECDSA P-256 keys (fast to generate, accepted by mosquitto's OpenSSL and by rustls). The server
//! certificate's SAN covers `localhost` and `127.0.0.1`, so clients may use either host name.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result};

use crate::binaries::require_binary;
use crate::process::run_with_timeout;

/// A self-signed CA and a server certificate it signed, as PEM files in a directory.
#[derive(Debug, Clone)]
pub struct TestCa {
    /// The CA certificate (PEM): what clients trust.
    pub ca_cert: PathBuf,
    /// The server certificate (PEM), SAN `DNS:localhost, IP:127.0.0.1`.
    pub server_cert: PathBuf,
    /// The server's private key (PEM, unencrypted).
    pub server_key: PathBuf,
    /// The CA certificate's PEM text.
    ca_pem: String,
}

impl TestCa {
    /// Generates the CA, the server key and the certificate into `dir` (`ca.crt`, `ca.key`,
    /// `server.crt`, `server.key`).
    pub fn generate(dir: &Path) -> Result<Self> {
        let openssl = require_binary("openssl")?;
        let ext = dir.join("server.ext");
        std::fs::write(
            &ext,
            "subjectAltName=DNS:localhost,IP:127.0.0.1\n\
             basicConstraints=critical,CA:FALSE\n\
             keyUsage=critical,digitalSignature\n\
             extendedKeyUsage=serverAuth\n",
        )
        .context("writing the certificate extensions")?;
        // Arguments contain no spaces, so each step is written as one line.
        let ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
        let steps = [
            format!(
                "req -x509 {ec} -days 3650 -keyout ca.key -out ca.crt -subj /CN=coverage-e2e-ca \
                 -addext basicConstraints=critical,CA:TRUE \
                 -addext keyUsage=critical,keyCertSign,cRLSign"
            ),
            format!("req -new {ec} -keyout server.key -out server.csr -subj /CN=localhost"),
            "x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 825 \
             -out server.crt -extfile server.ext"
                .to_owned(),
        ];
        for step in steps {
            let args: Vec<&str> = step.split_whitespace().collect();
            run_with_timeout(
                Command::new(&openssl).args(&args).current_dir(dir),
                Duration::from_secs(30),
            )?
            .ensure_success()
            .with_context(|| format!("openssl {}", args.join(" ")))?;
        }
        let ca_cert = dir.join("ca.crt");
        let ca_pem = std::fs::read_to_string(&ca_cert).context("reading the CA certificate")?;
        Ok(TestCa {
            ca_cert,
            server_cert: dir.join("server.crt"),
            server_key: dir.join("server.key"),
            ca_pem,
        })
    }

    /// The CA certificate as PEM text (for `rumqttc::TlsConfiguration::Simple { ca, .. }`).
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }
}

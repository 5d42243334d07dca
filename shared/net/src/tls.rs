//! The one TLS crypto provider of both daemons: rustls with *ring*.
//!
//! One provider keeps the agent small (aws-lc, reqwest's default, costs about 1.4 MiB of code
//! and resident memory; see `bench/README.md`). rumqttc picks the only provider compiled in by
//! itself; reqwest (built with `rustls-no-provider`) needs the process default installed before
//! a client is built, which [`ensure_crypto_provider`] does, idempotently, wherever we build one.

/// Installs ring as the process-wide rustls provider unless one is installed already.
pub fn ensure_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Err means another thread installed one first: equally fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn installs_once_and_reqwest_builds_a_client() {
        super::ensure_crypto_provider();
        super::ensure_crypto_provider();
        assert!(rustls::crypto::CryptoProvider::get_default().is_some());
        assert!(reqwest::Client::builder().build().is_ok());
    }
}

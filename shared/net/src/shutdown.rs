//! The shutdown future both binaries pass to their library's `run(config, shutdown)`
//! (mini-redis style: the library never installs signal handlers itself).

/// Completes on Ctrl-C (SIGINT) or SIGTERM, whichever comes first. If the SIGTERM handler
/// cannot be installed, Ctrl-C alone ends it.
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

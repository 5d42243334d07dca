//! Bounded polling: wait for a condition, never forever.

use std::future::Future;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};

/// Interval between two polls.
const POLL: Duration = Duration::from_millis(50);

/// Polls `condition` every 50 ms until it returns true; an error after `timeout`.
///
/// Blocks the thread: inside a current-thread tokio runtime, when the condition depends on tasks
/// of that runtime, use [`wait_until_async`].
pub fn wait_until(timeout: Duration, mut condition: impl FnMut() -> bool) -> Result<()> {
    poll_until(timeout, || condition().then_some(())).map(|_| ())
}

/// Polls `probe` every 50 ms until it returns `Some(value)`, and returns the value; an error
/// after `timeout`. Handy for "wait until the query returns the rows, then check them".
pub fn poll_until<T>(timeout: Duration, mut probe: impl FnMut() -> Option<T>) -> Result<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = probe() {
            return Ok(value);
        }
        if Instant::now() >= deadline {
            bail!("condition not met within {timeout:?}");
        }
        thread::sleep(POLL);
    }
}

/// Async [`wait_until`]: awaits `condition()` every 50 ms (with `tokio::time::sleep` between
/// polls) until it yields true; an error after `timeout`.
pub async fn wait_until_async<F, Fut>(timeout: Duration, mut condition: F) -> Result<()>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if condition().await {
            return Ok(());
        }
        if Instant::now() >= deadline {
            bail!("condition not met within {timeout:?}");
        }
        tokio::time::sleep(POLL).await;
    }
}

//! One backoff for every retry loop of both daemons (reconnecting to the broker, retrying a
//! store that is down, retrying a spool write), and the one log throttle they share.
//!
//! - [`Backoff`]: delays `initial`, doubling per failed attempt, capped at `max`, optionally
//!   jittered (a uniform factor in 0.5..=1, so a fleet that lost its broker at once does not
//!   come back at once). It counts attempts since the last [`Backoff::reset`].
//! - [`log_throttle`]: a retry loop logs attempt 0 and every power of two (1, 2, 4, 8, …), so
//!   an outage of hours writes a dozen lines, not thousands.
//! - [`ConnectionBackoff`]: a [`Backoff`] for a connection, reset only when the connection
//!   proves healthy (a delivery on it, or staying up for `healthy_after`), not by a mere
//!   CONNACK: a broker that accepts and drops at once is retried ever more slowly.
//!
//! Pure state: time comes in as arguments, so the behaviour is unit-tested without sleeping.

use std::time::{Duration, Instant};

/// `true` for the attempts a retry loop logs: the first (0) and every power of two.
pub fn log_throttle(attempt: u32) -> bool {
    attempt == 0 || attempt.is_power_of_two()
}

/// Exponential backoff from `initial` to `max`, optionally jittered.
#[derive(Debug, Clone)]
pub struct Backoff {
    /// Delay of the first retry.
    initial: Duration,
    /// Longest delay.
    max: Duration,
    /// Multiply each delay by a uniform factor in 0.5..=1 (spreads a fleet's retries).
    jitter: bool,
    /// Failed attempts since the last reset.
    attempt: u32,
}

impl Backoff {
    /// Delays `initial`, `2 initial`, `4 initial`, … up to `max`, without jitter.
    pub const fn new(initial: Duration, max: Duration) -> Self {
        Self {
            initial,
            max,
            jitter: false,
            attempt: 0,
        }
    }

    /// The same delays, each multiplied by a uniform random factor in 0.5..=1.
    pub fn jittered(mut self) -> Self {
        self.jitter = true;
        self
    }

    /// The delay before the next attempt; counts one more failed attempt.
    pub fn next_delay(&mut self) -> Duration {
        let base = self
            .initial
            .saturating_mul(1u32 << self.attempt.min(20))
            .min(self.max);
        self.attempt = self.attempt.saturating_add(1);
        if self.jitter {
            use rand::Rng;
            base.mul_f64(rand::rng().random_range(0.5..=1.0))
        } else {
            base
        }
    }

    /// Failed attempts since the last reset.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// Whether the failure about to be counted should be logged ([`log_throttle`] of
    /// [`Backoff::attempt`]).
    pub fn should_log(&self) -> bool {
        log_throttle(self.attempt)
    }

    /// The operation succeeded: the next failure starts again from `initial`.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

/// Reconnection delays for a long-lived connection: a [`Backoff`] that a CONNACK alone does not
/// reset; a delivery on the connection, or the connection staying up for `healthy_after`, does.
#[derive(Debug, Clone)]
pub struct ConnectionBackoff {
    /// The delays.
    backoff: Backoff,
    /// How long a connection must stay up to count as healthy without a delivery (an idle
    /// client has nothing to deliver).
    healthy_after: Duration,
    /// When the current connection was accepted.
    connected_at: Option<Instant>,
}

impl ConnectionBackoff {
    /// Delays from `backoff`; a connection up for `healthy_after` resets them.
    pub const fn new(backoff: Backoff, healthy_after: Duration) -> Self {
        Self {
            backoff,
            healthy_after,
            connected_at: None,
        }
    }

    /// The server accepted the connection (CONNACK).
    pub fn connected(&mut self, now: Instant) {
        self.connected_at = Some(now);
    }

    /// The server acknowledged something: the connection works.
    pub fn delivered(&mut self) {
        self.backoff.reset();
    }

    /// Periodic check: a connection up for `healthy_after` is healthy.
    pub fn tick(&mut self, now: Instant) {
        if self
            .connected_at
            .is_some_and(|t| now.saturating_duration_since(t) >= self.healthy_after)
        {
            self.backoff.reset();
        }
    }

    /// The connection was lost, or connecting failed: how long to wait before the next attempt.
    pub fn failed(&mut self) -> Duration {
        self.connected_at = None;
        self.backoff.next_delay()
    }

    /// Lost or failed connections since the last healthy one.
    pub fn failures(&self) -> u32 {
        self.backoff.attempt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn doubles_up_to_the_cap_and_resets() {
        let mut b = Backoff::new(500 * MS, Duration::from_secs(32));
        let delays: Vec<_> = (0..9).map(|_| b.next_delay().as_millis()).collect();
        assert_eq!(
            delays,
            [500, 1000, 2000, 4000, 8000, 16000, 32000, 32000, 32000]
        );
        assert_eq!(b.attempt(), 9);
        b.reset();
        assert_eq!(b.next_delay(), 500 * MS);
        // Saturates instead of overflowing after very many attempts.
        for _ in 0..100 {
            b.next_delay();
        }
        assert_eq!(b.next_delay(), Duration::from_secs(32));
    }

    #[test]
    fn jitter_stays_between_half_and_the_full_delay() {
        let mut b = Backoff::new(250 * MS, Duration::from_secs(8)).jittered();
        for attempt in 0..12u32 {
            let full = (250 * MS)
                .saturating_mul(1 << attempt)
                .min(Duration::from_secs(8));
            let d = b.next_delay();
            assert!(
                d >= full / 2 && d <= full,
                "attempt {attempt}: {d:?} vs {full:?}"
            );
        }
    }

    #[test]
    fn logs_the_first_attempt_and_powers_of_two() {
        let logged: Vec<u32> = (0..20).filter(|&a| log_throttle(a)).collect();
        assert_eq!(logged, [0, 1, 2, 4, 8, 16]);
        let mut b = Backoff::new(MS, MS);
        let mut seen = Vec::new();
        for _ in 0..10 {
            seen.push(b.should_log());
            b.next_delay();
        }
        assert_eq!(
            seen,
            [
                true, true, true, false, true, false, false, false, true, false
            ]
        );
    }

    #[test]
    fn a_connack_alone_does_not_reset_a_connection_backoff() {
        let t0 = Instant::now();
        let mut b = ConnectionBackoff::new(
            Backoff::new(500 * MS, Duration::from_secs(32)),
            Duration::from_secs(30),
        );
        assert_eq!(b.failed(), 500 * MS);
        b.connected(t0);
        assert_eq!(b.failed(), 1000 * MS, "accepted then dropped: slower");
        b.connected(t0);
        b.tick(t0 + Duration::from_secs(29));
        assert_eq!(b.failures(), 2);
        b.tick(t0 + Duration::from_secs(30));
        assert_eq!(b.failures(), 0, "up for healthy_after: healthy");
        assert_eq!(b.failed(), 500 * MS);
        b.failed();
        b.delivered();
        assert_eq!(b.failures(), 0, "a delivery proves the connection");
        // A tick after a failure (no connection) does not reset.
        b.failed();
        b.tick(t0 + Duration::from_secs(3600));
        assert_eq!(b.failures(), 1);
    }
}

//! Progress of a long audit on a terminal: which query runs and how many rows came back, or how
//! much of an archive has been read. Drawn on standard error only when it is a terminal
//! (indicatif hides itself otherwise), so reports, pipes and CI logs get nothing.
//!
//! Invariant: progress never changes a report; it only observes.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A handle that draws progress, or does nothing.
#[derive(Debug, Clone)]
pub struct Progress {
    bar: ProgressBar,
}

impl Default for Progress {
    fn default() -> Self {
        Progress::hidden()
    }
}

impl Progress {
    /// Progress on standard error, drawn only when it is a terminal.
    pub fn on_terminal() -> Progress {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {elapsed:>4} {msg} {human_pos}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Progress { bar }
    }

    /// Progress that draws nothing.
    pub fn hidden() -> Progress {
        Progress {
            bar: ProgressBar::hidden(),
        }
    }

    /// A step whose units are counted (`query 3/7: rows`).
    pub fn step(&self, message: String) {
        self.bar.set_position(0);
        self.bar.set_length(0);
        self.bar.set_message(message);
    }

    /// A step with a known total of bytes (an archive file).
    pub fn bytes(&self, message: String, total: u64) {
        self.bar.set_style(
            ProgressStyle::with_template(
                "{bar:30} {elapsed:>4} {msg} {binary_bytes}/{binary_total_bytes}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        self.bar.set_position(0);
        self.bar.set_length(total);
        self.bar.set_message(message);
    }

    /// `n` more units done.
    pub fn inc(&self, n: u64) {
        self.bar.inc(n);
    }

    /// Units done so far in this step.
    pub fn position(&self) -> u64 {
        self.bar.position()
    }

    /// Removes the line.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_progress_still_counts() {
        let p = Progress::hidden();
        p.step("query 1/7".into());
        p.inc(5);
        p.inc(2);
        assert_eq!(p.position(), 7);
        p.bytes("archive a.lp".into(), 100);
        assert_eq!(p.position(), 0);
        p.finish();
    }
}

//! Progress of a run: a bar (biological time done, wall time, real-time factor) on a terminal,
//! plain lines at every tenth of the run otherwise (logs, CI).

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::time::Instant;

/// Progress of one run of `steps` steps of `dt` ms.
pub struct Progress {
    bar: Option<ProgressBar>,
    steps: u64,
    dt: f64,
    t0: Instant,
    next_line: u64,
}

impl Progress {
    /// A bar on stderr when it is a terminal, plain lines on stdout otherwise.
    pub fn new(steps: u64, dt: f64) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(steps);
            bar.set_style(
                ProgressStyle::with_template("  {bar:30} {msg}").unwrap_or_else(|_| ProgressStyle::default_bar()).progress_chars("█▌ "),
            );
            bar
        });
        Self { bar, steps, dt, t0: Instant::now(), next_line: steps / 10 }
    }

    fn message(&self, done: u64) -> String {
        let bio = done as f64 * self.dt;
        let wall = self.t0.elapsed().as_secs_f64();
        let rtf = if bio > 0.0 { wall / (bio / 1000.0) } else { 0.0 };
        format!("{bio:.0} of {:.0} ms biological, {wall:.1} s wall, real-time factor {rtf:.2}", self.steps as f64 * self.dt)
    }

    /// `done` steps are done.
    pub fn update(&mut self, done: u64) {
        match &self.bar {
            Some(bar) => {
                bar.set_position(done);
                bar.set_message(self.message(done));
            }
            None => {
                if done >= self.next_line && done < self.steps {
                    println!("  {}", self.message(done));
                    self.next_line = done + (self.steps / 10).max(1);
                }
            }
        }
    }

    /// The run is over.
    pub fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}

/// A spinner with the elapsed time while something of unknown length runs (building a large
/// network: connectivity drawn, CSR assembled, buffers uploaded), on stderr when it is a
/// terminal; one plain line on stdout otherwise.
pub struct Spinner {
    bar: Option<ProgressBar>,
}

impl Spinner {
    /// Start showing `what` (e.g. "building the network").
    pub fn new(what: &str) -> Self {
        let bar = if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("  {spinner} {msg} ({elapsed})").unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.set_message(what.to_string());
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            Some(bar)
        } else {
            println!("  {what}…");
            None
        };
        Self { bar }
    }

    /// Done: the spinner is cleared.
    pub fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}

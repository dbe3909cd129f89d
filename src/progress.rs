//! Progress bars on stderr, shown only when stderr is a terminal.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use tokio::sync::Notify;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Set by the first Ctrl-C: writes stop after the batches in flight.
static STOP: AtomicBool = AtomicBool::new(false);

/// Wakes whoever waits in [`stopped`].
fn stop_notice() -> &'static Notify {
    static NOTICE: OnceLock<Notify> = OnceLock::new();
    NOTICE.get_or_init(Notify::new)
}

/// What the first Ctrl-C says, when a command does something else than
/// finishing its batches (the query command stops its queries).
static INTERRUPT_NOTE: OnceLock<&'static str> = OnceLock::new();

/// Sets what the first Ctrl-C prints.
pub fn set_interrupt_note(note: &'static str) {
    let _ = INTERRUPT_NOTE.set(note);
}

/// What the first Ctrl-C prints.
pub fn interrupt_note() -> &'static str {
    INTERRUPT_NOTE.get().copied().unwrap_or(
        "interrupted: finishing the requests in flight; press Ctrl-C again to quit at once",
    )
}

/// Asks every write in progress to stop after its batches in flight.
pub fn request_stop() {
    STOP.store(true, Ordering::SeqCst);
    stop_notice().notify_waiters();
}

/// Resolves once Ctrl-C was pressed.
pub async fn stopped() {
    loop {
        let notified = stop_notice().notified();
        if stop_requested() {
            return;
        }
        notified.await;
    }
}

/// True once Ctrl-C was pressed.
pub fn stop_requested() -> bool {
    STOP.load(Ordering::SeqCst)
}

/// A progress display for walks and batched writes. It clears itself
/// when dropped, so every way out of a command (an error, a prompt, the
/// report) leaves a clean terminal.
pub struct TerminalProgress {
    bar: ProgressBar,
    /// A run over several tables: the bar counts tables, and the tables'
    /// own steps (which run at once) are not shown.
    tables: bool,
}

impl TerminalProgress {
    /// A bar on stderr, hidden when stderr is not a terminal or `quiet`.
    pub fn new(quiet: bool) -> Self {
        Self::with_mode(quiet, false)
    }

    /// A bar that counts the tables of a run over several.
    pub fn for_tables(quiet: bool) -> Self {
        Self::with_mode(quiet, true)
    }

    /// `done` of `total` tables are finished.
    pub fn tables_done(&self, done: u64, total: u64) {
        self.bar.set_message(format!("{done}/{total} tables done"));
    }

    fn with_mode(quiet: bool, tables: bool) -> Self {
        let target = if quiet || !std::io::stderr().is_terminal() {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        };
        let bar = ProgressBar::with_draw_target(None, target);
        bar.set_style(ProgressStyle::with_template("{spinner} {msg}").expect("valid template"));
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Self { bar, tables }
    }

    /// Removes the bar from the screen.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Drop for TerminalProgress {
    fn drop(&mut self) {
        self.finish();
    }
}

impl glutil::progress::Progress for TerminalProgress {
    fn walk(&self, listed: u64, queued: u64, found: u64) {
        if self.tables {
            return;
        }
        self.bar.set_message(format!(
            "listing S3: {listed}/{queued} folders, {found} partitions found"
        ));
    }

    fn should_stop(&self) -> bool {
        stop_requested()
    }

    fn step(&self, description: &str) {
        if !self.tables {
            self.bar.set_message(description.to_string());
        }
    }

    fn applied(&self, done: u64, total: u64) {
        if self.tables {
            return;
        }
        if self.bar.length() != Some(total) {
            self.bar.set_length(total);
            self.bar.set_style(
                ProgressStyle::with_template("{bar:40} {pos}/{len} {msg} ({eta})")
                    .expect("valid template"),
            );
            self.bar.set_message("partitions");
        }
        self.bar.set_position(done);
    }
}

//! Progress reports from long operations. The library never prints; the
//! binaries turn these calls into progress bars.

/// Receives progress from walks and batched writes. Every method has a
/// no-op default.
pub trait Progress: Send + Sync {
    /// The S3 walk listed `listed` of the `queued` folders it knows of so
    /// far and found `found` partitions.
    fn walk(&self, listed: u64, queued: u64, found: u64) {
        let _ = (listed, queued, found);
    }

    /// A new step began, described for people (`checking the catalog`).
    fn step(&self, description: &str) {
        let _ = description;
    }

    /// Asked before each batch of a write is sent: true stops the write
    /// after the batches already in flight (Ctrl-C), leaving the rest not
    /// attempted.
    fn should_stop(&self) -> bool {
        false
    }

    /// A batched write finished `done` of `total` items.
    fn applied(&self, done: u64, total: u64) {
        let _ = (done, total);
    }
}

/// Progress that goes nowhere.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {}

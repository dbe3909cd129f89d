//! The batching routine every catalog write goes through: batches of the
//! size AWS allows, several in flight, per-entry errors sorted into done,
//! already done, retried (transient) and failed, and a stop between batches
//! for Ctrl-C.

use crate::model::values::Values;
use std::collections::BTreeMap;
use std::time::Duration;

use futures::stream::{self, StreamExt};

use crate::model::outcome::{Failure, Outcome};
use crate::progress::Progress;

/// Rounds of retrying UnprocessedKeys and transient per-entry errors before
/// they count as failures.
pub(crate) const ENTRY_RETRY_ROUNDS: u32 = 8;

/// Per-entry error codes that mean "try again", not "this is wrong".
const TRANSIENT_CODES: &[&str] = &[
    "ThrottlingException",
    "InternalServiceException",
    "OperationTimeoutException",
    "ConcurrentModificationException",
];

/// How one kind of write is batched.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BatchRule {
    /// Items per request: AWS's limit for the operation.
    pub size: usize,
    /// The per-entry error code that means the write was already done.
    pub already_done: Option<&'static str>,
}

/// Writes `items` in batches as `rule` says, `concurrency` requests in
/// flight. `key_of` names an item the way per-entry errors name it; `send`
/// makes one request and returns its per-entry errors, or the request's own
/// error as text. A request that fails outright fails only its own batch.
pub(crate) async fn write_in_batches<'a, T, K, F, Fut>(
    items: &'a [T],
    key_of: K,
    rule: BatchRule,
    concurrency: usize,
    progress: &dyn Progress,
    send: F,
) -> Outcome
where
    K: Fn(&T) -> Values + Copy,
    F: Fn(Vec<&'a T>) -> Fut + Copy,
    Fut: std::future::Future<Output = Result<Vec<Failure>, String>>,
{
    let total = items.len() as u64;
    let mut outcome = Outcome::default();
    let mut done = 0;
    // Checked as each batch is about to start, so a stop lets the batches in
    // flight finish and sends no more.
    let mut batches = stream::iter(items.chunks(rule.size.max(1)))
        .take_while(|_| futures::future::ready(!progress.should_stop()))
        .map(|chunk| write_batch(chunk.iter().collect(), key_of, rule.already_done, send))
        .buffer_unordered(concurrency.max(1));
    while let Some(batch) = batches.next().await {
        done += batch.applied + batch.already_done + batch.failed.len() as u64;
        outcome.add(batch);
        progress.applied(done, total);
    }
    outcome
        .failed
        .sort_by(|a, b| (&a.values, &a.name).cmp(&(&b.values, &b.name)));
    outcome.not_attempted = total - done;
    outcome
}

async fn write_batch<'a, T, K, F, Fut>(
    mut pending: Vec<&'a T>,
    key_of: K,
    already_done: Option<&'static str>,
    send: F,
) -> Outcome
where
    K: Fn(&T) -> Values + Copy,
    F: Fn(Vec<&'a T>) -> Fut + Copy,
    Fut: std::future::Future<Output = Result<Vec<Failure>, String>>,
{
    let mut outcome = Outcome::default();
    for round in 0..=ENTRY_RETRY_ROUNDS {
        if round > 0 {
            tokio::time::sleep(backoff(round)).await;
        }
        let errors =
            match send(pending.clone()).await {
                Ok(errors) => errors,
                Err(message) => {
                    outcome.failed.extend(pending.iter().map(|p| {
                        Failure::partition(key_of(p).to_vec(), "RequestFailed", &message)
                    }));
                    return outcome;
                }
            };
        let by_key: BTreeMap<Values, &Failure> = errors
            .iter()
            .map(|e| (Values::from(e.values.as_slice()), e))
            .collect();
        let last_round = round == ENTRY_RETRY_ROUNDS;
        let mut retry = Vec::new();
        for item in pending {
            match by_key.get(&key_of(item)) {
                None => outcome.applied += 1,
                Some(e) if Some(e.code.as_str()) == already_done => outcome.already_done += 1,
                Some(e) if !last_round && TRANSIENT_CODES.contains(&e.code.as_str()) => {
                    retry.push(item)
                }
                Some(e) => outcome.failed.push((*e).clone()),
            }
        }
        if retry.is_empty() {
            break;
        }
        pending = retry;
    }
    outcome
}

/// Exponential backoff with full jitter for per-entry retries (the SDK
/// already backs off whole requests).
pub(crate) fn backoff(round: u32) -> Duration {
    let cap_ms = (50u64 << round.min(7)).min(5_000);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    Duration::from_millis(u64::from(nanos) % cap_ms + 1)
}

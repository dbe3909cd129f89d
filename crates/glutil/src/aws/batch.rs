//! The batching routine every catalog write goes through: batches of the
//! size AWS allows, several in flight, per-entry errors sorted into done,
//! already done, retried (transient) and failed, and a stop between batches
//! for Ctrl-C.
//!
//! A whole request can fail too. One whose error may pass (throttling, a
//! 5xx, a timeout, `ConcurrentModificationException`,
//! `OperationTimeoutException`) is sent again after a pause, up to
//! `--max-attempts` rounds. One whose error dooms every later batch of the
//! same write (refused credentials, AccessDenied, the table gone, a quota
//! used up) stops the write: the batches in flight finish, no further batch
//! is sent, and the outcome says why ([`Outcome::stopped`]). Any other
//! failed request fails its own batch only.

use crate::model::values::Values;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use futures::stream::{self, StreamExt};

use crate::aws::failure::{jitter, kind_of, AwsFailure, FailureKind, Rounds};
use crate::model::outcome::{Failure, Outcome, StopReason, Stopped};
use crate::progress::Progress;

/// How one kind of write is batched.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BatchRule {
    /// The API operation, for messages.
    pub operation: &'static str,
    /// Items per request: AWS's limit for the operation.
    pub size: usize,
    /// The per-entry error code that means the write was already done.
    pub already_done: Option<&'static str>,
}

/// The first doomed request of a write, shared by its batches.
#[derive(Default)]
struct Stop(Mutex<Option<Stopped>>);

impl Stop {
    fn is_set(&self) -> bool {
        self.0.lock().map(|s| s.is_some()).unwrap_or(true)
    }

    fn set(&self, stopped: Stopped) {
        if let Ok(mut slot) = self.0.lock() {
            slot.get_or_insert(stopped);
        }
    }

    fn take(&self) -> Option<Stopped> {
        self.0.lock().ok().and_then(|mut s| s.take())
    }
}

/// Why a failure stops the write, if it does.
fn stop_reason(kind: FailureKind) -> Option<StopReason> {
    match kind {
        FailureKind::Credentials => Some(StopReason::Credentials),
        FailureKind::AccessDenied => Some(StopReason::AccessDenied),
        FailureKind::NotFound => Some(StopReason::NotFound),
        FailureKind::Quota => Some(StopReason::Quota),
        FailureKind::Retryable | FailureKind::Other => None,
    }
}

/// Writes `items` in batches as `rule` says, `concurrency` requests in
/// flight, each request in up to `rounds.max` rounds. `key_of` names an
/// item the way per-entry errors name it; `send` makes one request and
/// returns its per-entry errors, or the request's own failure.
pub(crate) async fn write_in_batches<'a, T, K, F, Fut>(
    items: &'a [T],
    key_of: K,
    rule: BatchRule,
    concurrency: usize,
    rounds: Rounds,
    progress: &dyn Progress,
    send: F,
) -> Outcome
where
    K: Fn(&T) -> Values + Copy,
    F: Fn(Vec<&'a T>) -> Fut + Copy,
    Fut: std::future::Future<Output = Result<Vec<Failure>, AwsFailure>>,
{
    let total = items.len() as u64;
    let mut outcome = Outcome::default();
    let mut done = 0;
    let stop = Stop::default();
    let batch = Batch {
        key_of,
        rule,
        rounds,
        progress,
        stop: &stop,
        send,
    };
    // Checked as each batch is about to start, so a stop lets the batches in
    // flight finish and sends no more.
    let mut batches = stream::iter(items.chunks(rule.size.max(1)))
        .take_while(|_| futures::future::ready(!progress.should_stop() && !stop.is_set()))
        .map(|chunk| batch.write(chunk.iter().collect()))
        .buffer_unordered(concurrency.max(1));
    while let Some(written) = batches.next().await {
        done += written.applied + written.already_done + written.failed.len() as u64;
        outcome.add(written);
        progress.applied(done, total);
    }
    drop(batches);
    outcome
        .failed
        .sort_by(|a, b| (&a.values, &a.name).cmp(&(&b.values, &b.name)));
    outcome.not_attempted = total - done;
    outcome.stopped = stop.take();
    outcome
}

/// What every batch of one write shares.
struct Batch<'s, K, F> {
    key_of: K,
    rule: BatchRule,
    rounds: Rounds,
    progress: &'s dyn Progress,
    stop: &'s Stop,
    send: F,
}

impl<K, F> Batch<'_, K, F> {
    /// True when no more rounds may start: Ctrl-C, or another batch was
    /// doomed. What is still pending then counts as not attempted.
    fn stopping(&self) -> bool {
        self.progress.should_stop() || self.stop.is_set()
    }

    /// Sends one batch: entries that fail with transient codes go again,
    /// and so does the whole request when it fails with an error that may
    /// pass, each up to `rounds.max` times.
    async fn write<'a, T, Fut>(&self, mut pending: Vec<&'a T>) -> Outcome
    where
        K: Fn(&T) -> Values + Copy,
        F: Fn(Vec<&'a T>) -> Fut + Copy,
        Fut: std::future::Future<Output = Result<Vec<Failure>, AwsFailure>>,
    {
        let mut outcome = Outcome::default();
        let (mut entry_round, mut request_round, mut attempts) = (0u32, 1u32, 0u32);
        loop {
            let errors = match (self.send)(pending.clone()).await {
                Ok(errors) => errors,
                Err(failure) => {
                    attempts += failure.attempts;
                    if failure.is_retryable() && request_round < self.rounds.max {
                        request_round += 1;
                        tokio::time::sleep(Rounds::pause(request_round)).await;
                        if self.stopping() {
                            return outcome;
                        }
                        continue;
                    }
                    self.request_failed(&failure, attempts, &pending, &mut outcome);
                    return outcome;
                }
            };
            let by_key: BTreeMap<Values, &Failure> = errors
                .iter()
                .map(|e| (Values::from(e.values.as_slice()), e))
                .collect();
            let last_round = entry_round + 1 >= self.rounds.max;
            let mut retry = Vec::new();
            for item in pending {
                match by_key.get(&(self.key_of)(item)) {
                    None => outcome.applied += 1,
                    Some(e) if Some(e.code.as_str()) == self.rule.already_done => {
                        outcome.already_done += 1
                    }
                    Some(e) => {
                        let kind = kind_of(Some(&e.code), None);
                        if kind == FailureKind::Retryable && !last_round {
                            retry.push(item);
                            continue;
                        }
                        if kind == FailureKind::Quota {
                            self.stop.set(Stopped {
                                reason: StopReason::Quota,
                                operation: self.rule.operation.to_string(),
                                code: e.code.clone(),
                                message: e.message.clone(),
                            });
                        }
                        outcome.failed.push((*e).clone());
                    }
                }
            }
            if retry.is_empty() {
                return outcome;
            }
            entry_round += 1;
            tokio::time::sleep(backoff(entry_round)).await;
            if self.stopping() {
                return outcome;
            }
            pending = retry;
        }
    }

    /// A request that failed for good: its entries fail with AWS's reason,
    /// and an error that dooms the rest stops the write.
    fn request_failed<T>(
        &self,
        failure: &AwsFailure,
        attempts: u32,
        pending: &[&T],
        outcome: &mut Outcome,
    ) where
        K: Fn(&T) -> Values + Copy,
    {
        let operation = self.rule.operation;
        let message = if attempts > 1 {
            format!(
                "{} ({operation}, {attempts} attempts)",
                failure.message_text()
            )
        } else {
            format!("{} ({operation})", failure.message_text())
        };
        if let Some(reason) = stop_reason(failure.kind) {
            self.stop.set(Stopped {
                reason,
                operation: operation.to_string(),
                code: failure.code_text(),
                message: failure.message_text(),
            });
        }
        let code = failure.code_text();
        outcome.failed.extend(
            pending
                .iter()
                .map(|p| Failure::partition((self.key_of)(p).to_vec(), &code, &message)),
        );
    }
}

/// Exponential backoff with full jitter for per-entry retries (the SDK
/// already backs off whole requests).
pub(crate) fn backoff(round: u32) -> Duration {
    let cap_ms = (50u64 << round.min(7)).min(5_000);
    Duration::from_millis(jitter(cap_ms) + 1)
}

//! Reading the SDK's errors into [`AwsFailure`]s (AWS's code and message
//! for people; the SDK's own account, with response headers, kept for
//! `--debug` only), and glutil's rounds of retries.
//!
//! Two layers retry. The SDK retries each request (`--max-attempts`
//! attempts, backoff with jitter, and no retry quota: see
//! `aws::client`). Above it, glutil sends again a request whose every
//! attempt failed with an error that may pass (throttling, 5xx, timeouts,
//! `ConcurrentModificationException`, `OperationTimeoutException`), after a
//! longer pause, up to `--max-attempts` rounds ([`Rounds`]): a throttling
//! storm that outlasts one request's retries does not fail the run.

use std::time::Duration;

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

pub use crate::failure::{kind_of, AwsFailure, FailureKind};
use crate::failure::{THROTTLING_CODES, TRANSIENT_CODES};

/// Reads an SDK error. `attempts_per_round` is what the SDK was allowed
/// (it uses them all on the errors it retries itself).
pub fn from_sdk<E>(err: &SdkError<E, Response>, attempts_per_round: u32) -> AwsFailure
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let detail = DisplayErrorContext(err).to_string();
    let answer = err.raw_response();
    let status = answer.map(|r| r.status().as_u16());
    let bucket_region = answer
        .and_then(|r| r.headers().get("x-amz-bucket-region"))
        .map(str::to_string);
    let (code, message) = match err {
        SdkError::ServiceError(service) => modeled(service.err(), err.code(), err.message()),
        _ => (None, None),
    };
    let no_answer = match err {
        SdkError::TimeoutError(_) => Some("no answer within the attempt timeout".to_string()),
        SdkError::DispatchFailure(failure) if failure.is_timeout() => {
            Some("no answer within the attempt timeout".to_string())
        }
        SdkError::DispatchFailure(failure) if failure.is_io() => {
            Some(format!("the connection failed ({})", innermost(err)))
        }
        SdkError::DispatchFailure(_) | SdkError::ConstructionFailure(_) => Some(innermost(err)),
        SdkError::ResponseError(_) => {
            Some(format!("the answer could not be read ({})", innermost(err)))
        }
        _ => None,
    };
    let kind = if refers_to_credentials(err) {
        FailureKind::Credentials
    } else {
        match err {
            SdkError::TimeoutError(_) | SdkError::ResponseError(_) => FailureKind::Retryable,
            SdkError::DispatchFailure(f) if f.is_timeout() || f.is_io() => FailureKind::Retryable,
            SdkError::ServiceError(_) => kind_of(code.as_deref(), status),
            _ => FailureKind::Other,
        }
    };
    let sdk_retried = match err {
        SdkError::ServiceError(_) => {
            let is = |codes: &[&str]| code.as_deref().is_some_and(|c| codes.contains(&c));
            is(THROTTLING_CODES)
                || is(TRANSIENT_CODES)
                || status.is_some_and(|s| matches!(s, 500 | 502 | 503 | 504))
        }
        _ => kind == FailureKind::Retryable,
    };
    AwsFailure {
        code,
        message,
        status,
        kind,
        attempts: if sdk_retried { attempts_per_round } else { 1 },
        bucket_region,
        no_answer,
        detail,
    }
}

/// The code and message of a service error: from its metadata, or else
/// from how the error shows itself (`InvalidInputException: bad batch`).
fn modeled(
    error: &dyn std::error::Error,
    code: Option<&str>,
    message: Option<&str>,
) -> (Option<String>, Option<String>) {
    let (mut code, mut message) = (code.map(str::to_string), message.map(str::to_string));
    let shown = error.to_string();
    if let Some((name, text)) = shown.split_once(": ") {
        if !name.contains(' ') {
            code.get_or_insert_with(|| name.to_string());
            message.get_or_insert_with(|| text.to_string());
        }
    }
    if message.is_none() && !shown.is_empty() && Some(shown.as_str()) != code.as_deref() {
        message = Some(shown);
    }
    (code, message)
}

/// The innermost cause of an error, which names what really happened.
pub(crate) fn innermost(err: &(dyn std::error::Error + 'static)) -> String {
    let mut last = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        last = cause.to_string();
        source = cause.source();
    }
    last
}

/// True when a credentials provider failed somewhere in the chain (no
/// credentials, an SSO token that expired mid-run).
fn refers_to_credentials(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut source = err.source();
    while let Some(cause) = source {
        if cause
            .downcast_ref::<aws_credential_types::provider::error::CredentialsError>()
            .is_some()
        {
            return true;
        }
        source = cause.source();
    }
    false
}

/// glutil's own rounds above the SDK's attempts: how many, and the pause
/// before each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rounds {
    /// Rounds at most, the first included (`--max-attempts`).
    pub max: u32,
    /// Attempts the SDK makes in each round (`--max-attempts`).
    pub attempts_per_round: u32,
}

impl Default for Rounds {
    fn default() -> Self {
        Self {
            max: crate::aws::client::DEFAULT_MAX_ATTEMPTS,
            attempts_per_round: crate::aws::client::DEFAULT_MAX_ATTEMPTS,
        }
    }
}

impl Rounds {
    /// Rounds for a given `--max-attempts`.
    pub fn new(max_attempts: u32) -> Self {
        Self {
            max: max_attempts.max(1),
            attempts_per_round: max_attempts.max(1),
        }
    }

    /// The pause before round `round` (2, 3, ...): doubling from about a
    /// second to at most 20 s, each a random 50% to 100% of its step so
    /// that many requests throttled together do not come back together.
    pub fn pause(round: u32) -> Duration {
        let step_ms = (1_000u64 << round.saturating_sub(2).min(5)).min(20_000);
        let half = step_ms / 2;
        Duration::from_millis(half + jitter(half + 1))
    }

    /// Sends `request` until it succeeds, fails with an error that will
    /// not pass, or has failed `max` rounds. A failure carries the
    /// attempts made in all.
    pub async fn run<T, F, Fut>(&self, mut request: F) -> Result<T, AwsFailure>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, AwsFailure>>,
    {
        let mut attempts = 0;
        for round in 1..=self.max {
            if round > 1 {
                tokio::time::sleep(Self::pause(round)).await;
            }
            match request().await {
                Ok(value) => return Ok(value),
                Err(mut failure) => {
                    attempts += failure.attempts;
                    if !failure.is_retryable() || round == self.max {
                        failure.attempts = attempts;
                        return Err(failure);
                    }
                }
            }
        }
        unreachable!("the last round returns")
    }
}

/// A number in `0..bound` from the clock's nanoseconds, mixed: enough to
/// spread retries apart, with no dependency for randomness.
pub(crate) fn jitter(bound: u64) -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static STATE: AtomicU64 = AtomicU64::new(0x9E37_79B9_7F4A_7C15);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mut x = STATE.fetch_add(nanos | 1, Ordering::Relaxed) ^ nanos;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    x % bound.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_grow_to_20_seconds_with_jitter() {
        for round in 2..12 {
            let pause = Rounds::pause(round);
            let step = (1_000u64 << (round - 2).min(5)).min(20_000);
            assert!(pause.as_millis() as u64 >= step / 2, "{round}: {pause:?}");
            assert!(pause.as_millis() as u64 <= step, "{round}: {pause:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn rounds_go_on_while_the_error_may_pass_and_count_every_attempt() {
        let rounds = Rounds::new(4);
        let mut calls = 0;
        let result: Result<(), AwsFailure> = rounds
            .run(|| {
                calls += 1;
                let mut f = AwsFailure::local(FailureKind::Retryable, "ThrottlingException", "x");
                f.attempts = 4;
                async move { Err(f) }
            })
            .await;
        assert_eq!(calls, 4);
        assert_eq!(result.unwrap_err().attempts, 16);

        let mut calls = 0;
        let denied: Result<(), AwsFailure> = rounds
            .run(|| {
                calls += 1;
                async {
                    Err(AwsFailure::local(
                        FailureKind::AccessDenied,
                        "AccessDeniedException",
                        "no",
                    ))
                }
            })
            .await;
        assert_eq!(calls, 1, "an error that will not pass is not sent again");
        assert_eq!(denied.unwrap_err().attempts, 1);

        let mut calls = 0;
        let ok = rounds
            .run(|| {
                calls += 1;
                let n = calls;
                async move {
                    if n < 3 {
                        Err(AwsFailure::local(FailureKind::Retryable, "SlowDown", "x"))
                    } else {
                        Ok(n)
                    }
                }
            })
            .await;
        assert_eq!(ok, Ok(3));
    }
}

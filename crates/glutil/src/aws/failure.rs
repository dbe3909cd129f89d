//! What went wrong in an AWS request, in AWS's own words (service,
//! operation, error code, message), and what it means for the run: try
//! again, stop, or report and go on. The SDK's own account of an error (its
//! debug text, with response headers) is kept for `--debug` only.
//!
//! Two layers retry. The SDK retries each request (`--max-attempts`
//! attempts, backoff with jitter, and no retry quota: see
//! `aws::client`). Above it, glutil sends again a request whose every
//! attempt failed with an error that may pass (throttling, 5xx, timeouts,
//! `ConcurrentModificationException`, `OperationTimeoutException`), after a
//! longer pause, up to `--max-attempts` rounds ([`Rounds`]): a throttling
//! storm that outlasts one request's retries does not fail the run.

use std::fmt;
use std::time::Duration;

use aws_runtime::retries::classifiers::{THROTTLING_ERRORS, TRANSIENT_ERRORS};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// What a failure means for the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// Throttling, a 5xx, a timeout, a concurrent change: it may pass, so
    /// the request is sent again.
    Retryable,
    /// AWS refused the credentials (expired, invalid, unsigned): every
    /// further request would fail too, so the run stops (exit 2).
    Credentials,
    /// Not allowed by IAM or a bucket policy: further writes of the same
    /// kind would fail too, so a table's writes stop.
    AccessDenied,
    /// The table, database, bucket or object does not exist (any more).
    NotFound,
    /// An account quota is used up (`ResourceNumberLimitExceededException`).
    Quota,
    /// Anything else: this request fails alone.
    Other,
}

/// Error codes, besides the SDK's throttling and transient ones, that may
/// pass when asked again.
const RETRYABLE_CODES: &[&str] = &[
    "ConcurrentModificationException",
    "OperationTimeoutException",
    "InternalServiceException",
    "InternalError",
    "InternalFailure",
    "ServiceUnavailable",
    "ServiceUnavailableException",
];

/// Codes that mean the credentials themselves were refused.
const CREDENTIAL_CODES: &[&str] = &[
    "ExpiredTokenException",
    "ExpiredToken",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "InvalidAccessKeyId",
    "InvalidToken",
    "TokenRefreshRequired",
    "MissingAuthenticationTokenException",
    "IncompleteSignatureException",
    "AuthFailure",
];

const ACCESS_DENIED_CODES: &[&str] = &["AccessDeniedException", "AccessDenied"];

const NOT_FOUND_CODES: &[&str] = &[
    "EntityNotFoundException",
    "NoSuchBucket",
    "NoSuchKey",
    "NotFound",
];

const QUOTA_CODES: &[&str] = &["ResourceNumberLimitExceededException"];

/// S3's answers for a bucket asked in the wrong Region.
const WRONG_REGION_CODES: &[&str] = &[
    "PermanentRedirect",
    "IllegalLocationConstraintException",
    "AuthorizationHeaderMalformed",
];

/// The kind of failure an AWS error code (or HTTP status) means.
pub fn kind_of(code: Option<&str>, status: Option<u16>) -> FailureKind {
    let is = |codes: &[&str]| code.is_some_and(|c| codes.contains(&c));
    if is(CREDENTIAL_CODES) {
        FailureKind::Credentials
    } else if is(THROTTLING_ERRORS) || is(TRANSIENT_ERRORS) || is(RETRYABLE_CODES) {
        FailureKind::Retryable
    } else if is(ACCESS_DENIED_CODES) {
        FailureKind::AccessDenied
    } else if is(NOT_FOUND_CODES) {
        FailureKind::NotFound
    } else if is(QUOTA_CODES) {
        FailureKind::Quota
    } else if status.is_some_and(|s| (500..=599).contains(&s)) {
        FailureKind::Retryable
    } else if code.is_none() && status == Some(403) {
        // A HEAD has no body to carry a code.
        FailureKind::AccessDenied
    } else if code.is_none() && status == Some(404) {
        FailureKind::NotFound
    } else {
        FailureKind::Other
    }
}

/// One failed AWS request, as people read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsFailure {
    /// AWS's error code (`ThrottlingException`), when the answer had one.
    pub code: Option<String>,
    /// AWS's message.
    pub message: Option<String>,
    /// The HTTP status, when an answer came.
    pub status: Option<u16>,
    /// What it means for the run.
    pub kind: FailureKind,
    /// Attempts made in all, when more than one.
    pub attempts: u32,
    /// The Region S3 says the bucket lives in (`x-amz-bucket-region`).
    pub bucket_region: Option<String>,
    /// What went wrong without an answer (a timeout, a connection).
    pub no_answer: Option<String>,
    /// The SDK's own account, for `--debug`.
    pub detail: String,
}

impl AwsFailure {
    /// Reads an SDK error. `attempts_per_round` is what the SDK was allowed
    /// (it uses them all on the errors it retries itself).
    pub fn from_sdk<E>(err: &SdkError<E, Response>, attempts_per_round: u32) -> Self
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
                SdkError::DispatchFailure(f) if f.is_timeout() || f.is_io() => {
                    FailureKind::Retryable
                }
                SdkError::ServiceError(_) => kind_of(code.as_deref(), status),
                _ => FailureKind::Other,
            }
        };
        let sdk_retried = match err {
            SdkError::ServiceError(_) => {
                let is = |codes: &[&str]| code.as_deref().is_some_and(|c| codes.contains(&c));
                is(THROTTLING_ERRORS)
                    || is(TRANSIENT_ERRORS)
                    || status.is_some_and(|s| matches!(s, 500 | 502 | 503 | 504))
            }
            _ => kind == FailureKind::Retryable,
        };
        Self {
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

    /// A failure made up here, not answered by AWS.
    pub fn local(kind: FailureKind, code: &str, message: impl Into<String>) -> Self {
        Self {
            code: Some(code.to_string()),
            message: Some(message.into()),
            status: None,
            kind,
            attempts: 1,
            bucket_region: None,
            no_answer: None,
            detail: String::new(),
        }
    }

    /// True when the same request may succeed later.
    pub fn is_retryable(&self) -> bool {
        self.kind == FailureKind::Retryable
    }

    /// S3 says the bucket lives in another Region.
    pub fn is_wrong_region(&self) -> bool {
        self.status == Some(301)
            || self
                .code
                .as_deref()
                .is_some_and(|c| WRONG_REGION_CODES.contains(&c))
    }

    /// The error code, or what stands for one (`HTTP 503`, `Timeout`).
    pub fn code_text(&self) -> String {
        match (&self.code, self.status, &self.no_answer) {
            (Some(code), _, _) => code.clone(),
            (None, _, Some(_)) => "NoAnswer".to_string(),
            (None, Some(status), None) => format!("HTTP {status}"),
            (None, None, None) => "Unknown".to_string(),
        }
    }

    /// The message, or what stands for one.
    pub fn message_text(&self) -> String {
        match (&self.message, &self.no_answer) {
            (Some(message), _) if !message.is_empty() => message.clone(),
            (_, Some(what)) => what.clone(),
            _ => match self.status {
                Some(301) => "the bucket is in another Region".to_string(),
                Some(403) => "access denied".to_string(),
                Some(404) => "not found".to_string(),
                Some(status) => format!("HTTP {status}"),
                None => "no details".to_string(),
            },
        }
    }

    /// ` after N attempts`, when there was more than one.
    pub fn after(&self) -> String {
        if self.attempts > 1 {
            format!(" after {} attempts", self.attempts)
        } else {
            String::new()
        }
    }
}

impl fmt::Display for AwsFailure {
    /// `ThrottlingException: Rate exceeded`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.code, &self.no_answer) {
            (None, Some(what)) => f.write_str(what),
            _ => write!(f, "{}: {}", self.code_text(), self.message_text()),
        }
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
    fn codes_sort_into_kinds() {
        let kind = |code: &str| kind_of(Some(code), Some(400));
        for code in [
            "ThrottlingException",
            "SlowDown",
            "TooManyRequestsException",
            "ConcurrentModificationException",
            "OperationTimeoutException",
            "InternalServiceException",
            "RequestTimeout",
        ] {
            assert_eq!(kind(code), FailureKind::Retryable, "{code}");
        }
        for code in [
            "ExpiredTokenException",
            "ExpiredToken",
            "InvalidClientTokenId",
            "UnrecognizedClientException",
            "SignatureDoesNotMatch",
            "InvalidAccessKeyId",
        ] {
            assert_eq!(kind(code), FailureKind::Credentials, "{code}");
        }
        assert_eq!(kind("AccessDeniedException"), FailureKind::AccessDenied);
        assert_eq!(kind("AccessDenied"), FailureKind::AccessDenied);
        assert_eq!(kind("EntityNotFoundException"), FailureKind::NotFound);
        assert_eq!(
            kind("ResourceNumberLimitExceededException"),
            FailureKind::Quota
        );
        assert_eq!(kind("InvalidInputException"), FailureKind::Other);
        assert_eq!(kind_of(None, Some(503)), FailureKind::Retryable);
        assert_eq!(kind_of(Some("Weird"), Some(500)), FailureKind::Retryable);
        assert_eq!(kind_of(None, Some(403)), FailureKind::AccessDenied);
    }

    #[test]
    fn a_failure_reads_as_code_and_message_with_its_attempts() {
        let mut failure = AwsFailure::local(
            FailureKind::Retryable,
            "ThrottlingException",
            "Rate exceeded",
        );
        failure.attempts = 10;
        assert_eq!(failure.to_string(), "ThrottlingException: Rate exceeded");
        assert_eq!(failure.after(), " after 10 attempts");
        failure.attempts = 1;
        assert_eq!(failure.after(), "");
    }

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

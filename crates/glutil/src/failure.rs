//! What went wrong in an AWS request, in AWS's own words (error code,
//! message, HTTP status, attempts), and what it means for the run: try
//! again, stop, or report and go on. Plain data: `aws::failure` reads the
//! SDK's errors into it, and decides the retries.

use std::fmt;

/// Throttling codes, as the AWS SDKs list them.
pub const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
];

/// Transient codes, as the AWS SDKs list them.
pub const TRANSIENT_CODES: &[&str] = &["RequestTimeout", "RequestTimeoutException"];

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
    } else if is(THROTTLING_CODES) || is(TRANSIENT_CODES) || is(RETRYABLE_CODES) {
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
}

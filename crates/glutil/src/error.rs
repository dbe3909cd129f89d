//! The library's errors. An AWS error is kept as an [`AwsFailure`]: AWS's
//! code and message for people, the SDK's own text for `--debug`.

use crate::failure::AwsFailure;

/// A boxed error from the AWS SDK.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong in the library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The database does not exist in the catalog.
    #[error("database `{database}` was not found in the Glue Data Catalog; check the name, the region and the catalog id")]
    DatabaseNotFound {
        /// The database asked for.
        database: String,
    },
    /// The database exists but the table does not.
    #[error("table `{table}` was not found in database `{database}`; check the name (Glue lower-cases table names)")]
    TableNotFound {
        /// The database searched.
        database: String,
        /// The table asked for.
        table: String,
    },
    /// The table is a view or keeps its partitions outside Glue (Iceberg,
    /// Delta Lake, Hudi, governed): no job of glutil's.
    #[error("{table} is {kind}")]
    OtherFormat {
        /// `database.table`.
        table: String,
        /// The kind and why glutil leaves it alone.
        kind: String,
    },
    /// The table is fine but cannot be used for this job.
    #[error("table `{table}`: {problem}")]
    UnusableTable {
        /// `database.table`.
        table: String,
        /// What is wrong with it and what to do.
        problem: String,
    },
    /// The table's location is not an S3 folder.
    #[error("table {table} has location `{location}`, {problem}; glutil works on tables whose data is in S3 (s3://bucket/prefix/)")]
    NotS3Location {
        /// `database.table`.
        table: String,
        /// The location as stored.
        location: String,
        /// What is wrong with it, in words.
        problem: String,
    },
    /// The bucket of the table location does not exist.
    #[error("bucket `{bucket}` does not exist (it holds the location of table `{table}`); fix the table's location or create the bucket")]
    BucketNotFound {
        /// The bucket.
        bucket: String,
        /// `database.table`.
        table: String,
    },
    /// A bucket that an S3 listing named does not exist. The steps that
    /// know which table the bucket belongs to turn this into
    /// [`Error::BucketNotFound`] or into "no data".
    #[error("bucket `{bucket}` does not exist")]
    NoSuchBucket {
        /// The bucket.
        bucket: String,
    },
    /// An option or argument is not acceptable.
    #[error("{0}")]
    InvalidInput(String),
    /// The SDK could not be configured (profile, region, endpoint).
    #[error("AWS configuration: {0}")]
    Config(String),
    /// An S3 request failed (after its retries, when it may have passed).
    #[error("S3 {operation} on s3://{bucket}/{prefix} failed{}: {failure}", failure.after())]
    S3 {
        /// The S3 operation.
        operation: &'static str,
        /// The bucket.
        bucket: String,
        /// The key or key prefix.
        prefix: String,
        /// What AWS answered.
        failure: Box<AwsFailure>,
    },
    /// A Glue request failed (after its retries, when it may have passed).
    #[error("Glue {operation} on {target} failed{}: {failure}", failure.after())]
    Glue {
        /// The Glue operation.
        operation: &'static str,
        /// `database` or `database.table`.
        target: String,
        /// What AWS answered.
        failure: Box<AwsFailure>,
    },
    /// An Athena request failed (after its retries, when it may have
    /// passed).
    #[error("Athena {operation}{} failed{}: {failure}", target_part(target), failure.after())]
    Athena {
        /// The Athena operation.
        operation: &'static str,
        /// The query execution id, or what was sent.
        target: String,
        /// What AWS answered.
        failure: Box<AwsFailure>,
    },
    /// AWS refused the credentials (expired, invalid): every request would
    /// fail, so the run stops. Nothing more was sent.
    #[error("AWS refused the credentials on {service} {operation} ({failure})")]
    Credentials {
        /// `Glue`, `S3`, `Athena`.
        service: &'static str,
        /// The operation refused.
        operation: &'static str,
        /// What AWS answered.
        failure: Box<AwsFailure>,
    },
    /// No source of credentials had any (environment, profile, SSO, the
    /// instance or container role).
    #[error("no AWS credentials were found: pass --profile NAME (or set AWS_PROFILE) for a profile in ~/.aws/config, run `aws sso login` or `aws configure`, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")]
    NoCredentials {
        /// What each source said, for `--debug`.
        detail: String,
    },
    /// Athena refused a request as invalid (an unknown query execution id,
    /// a statement it cannot parse, an unknown workgroup).
    #[error("Athena {operation}{} was refused: {message}", target_part(target))]
    AthenaRejected {
        /// The Athena operation.
        operation: &'static str,
        /// The query execution id, or what was sent.
        target: String,
        /// Athena's reason.
        message: String,
    },
    /// Someone else changed a table between glutil's read and its update
    /// (Glue refused the update for its `VersionId`); nothing was written.
    #[error("table {table} was changed by someone else after glutil read it (version {version}), so it was not updated")]
    TableChanged {
        /// `database.table`.
        table: String,
        /// The version glutil read.
        version: String,
    },
    /// A data file that should be Parquet cannot be read (a truncated or
    /// corrupt footer). Nothing was changed.
    #[error("{file}: {problem}; nothing was changed")]
    CorruptFile {
        /// The file's URL.
        file: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A backup file cannot be read as one.
    #[error("backup file `{path}`{}: {problem}", line_part(*.line))]
    BadBackup {
        /// The file.
        path: String,
        /// The line (1-based), or 0 for the file as a whole.
        line: usize,
        /// What is wrong.
        problem: String,
    },
    /// A backup could not be written; nothing was changed.
    #[error("could not write the backup file `{path}`, so nothing was changed")]
    BackupWrite {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

fn target_part(target: &str) -> String {
    if target.is_empty() {
        String::new()
    } else {
        format!(" on `{target}`")
    }
}

fn line_part(line: usize) -> String {
    if line == 0 {
        String::new()
    } else {
        format!(", line {line}")
    }
}

impl Error {
    /// True for errors in what the user asked for (names, options, table
    /// definitions), as opposed to AWS failing: the binaries exit with 2 for
    /// these and 1 for the rest.
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            Error::DatabaseNotFound { .. }
                | Error::TableNotFound { .. }
                | Error::UnusableTable { .. }
                | Error::OtherFormat { .. }
                | Error::NotS3Location { .. }
                | Error::BucketNotFound { .. }
                | Error::NoSuchBucket { .. }
                | Error::InvalidInput(_)
                | Error::Config(_)
                | Error::BadBackup { .. }
                | Error::AthenaRejected { .. }
                | Error::Credentials { .. }
                | Error::NoCredentials { .. }
        )
    }

    /// True for a GET of an archived object that is not restored (S3
    /// answers `InvalidObjectState`).
    pub fn is_archived_object(&self) -> bool {
        matches!(self, Error::S3 { failure, .. } if failure.code.as_deref() == Some("InvalidObjectState"))
    }

    /// The AWS failure behind this error, if it is one.
    pub fn failure(&self) -> Option<&AwsFailure> {
        match self {
            Error::S3 { failure, .. }
            | Error::Glue { failure, .. }
            | Error::Athena { failure, .. }
            | Error::Credentials { failure, .. } => Some(failure),
            _ => None,
        }
    }

    /// What only `--debug` shows: the SDK's own account of the failure.
    pub fn debug_detail(&self) -> Option<&str> {
        match self {
            Error::NoCredentials { detail } => Some(detail.as_str()),
            other => other.failure().map(|f| f.detail.as_str()),
        }
        .filter(|d| !d.is_empty())
    }

    /// A Glue request's failure as the error a caller sees: refused
    /// credentials stop everything, the rest names the operation.
    pub fn glue(operation: &'static str, target: impl Into<String>, failure: AwsFailure) -> Self {
        if failure.kind == crate::failure::FailureKind::Credentials {
            return Error::Credentials {
                service: "Glue",
                operation,
                failure: Box::new(failure),
            };
        }
        Error::Glue {
            operation,
            target: target.into(),
            failure: Box::new(failure),
        }
    }

    /// An S3 request's failure as the error a caller sees.
    pub fn s3(
        operation: &'static str,
        bucket: impl Into<String>,
        prefix: impl Into<String>,
        failure: AwsFailure,
    ) -> Self {
        if failure.kind == crate::failure::FailureKind::Credentials {
            return Error::Credentials {
                service: "S3",
                operation,
                failure: Box::new(failure),
            };
        }
        Error::S3 {
            operation,
            bucket: bucket.into(),
            prefix: prefix.into(),
            failure: Box::new(failure),
        }
    }

    /// An Athena request's failure as the error a caller sees.
    pub fn athena(operation: &'static str, target: impl Into<String>, failure: AwsFailure) -> Self {
        if failure.kind == crate::failure::FailureKind::Credentials {
            return Error::Credentials {
                service: "Athena",
                operation,
                failure: Box::new(failure),
            };
        }
        Error::Athena {
            operation,
            target: target.into(),
            failure: Box::new(failure),
        }
    }
}

impl Error {
    /// A table without partition keys, for the commands that work on
    /// partitions: every command says it the same way.
    pub fn no_partition_keys(table: &str) -> Self {
        Error::UnusableTable {
            table: table.to_string(),
            problem: "it has no partition keys, so there are no partitions to find".to_string(),
        }
    }
}

/// An error with all its sources, joined with ": ".
pub fn full_message(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

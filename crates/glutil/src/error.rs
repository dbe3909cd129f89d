//! The library's errors. AWS errors are kept as the source so callers can
//! print the whole chain.

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
    /// The table is fine but cannot be used for this job.
    #[error("table `{table}`: {problem}")]
    UnusableTable {
        /// `database.table`.
        table: String,
        /// What is wrong with it and what to do.
        problem: String,
    },
    /// The table's location is not an S3 folder.
    #[error("table `{table}` has location `{location}`, which is not an S3 location (s3://bucket/prefix)")]
    NotS3Location {
        /// `database.table`.
        table: String,
        /// The location as stored.
        location: String,
        /// Why it was rejected.
        #[source]
        source: BoxError,
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
    /// An S3 request failed after its retries.
    #[error("S3 {operation} on s3://{bucket}/{prefix} failed")]
    S3 {
        /// The S3 operation.
        operation: &'static str,
        /// The bucket.
        bucket: String,
        /// The key prefix.
        prefix: String,
        /// The SDK error.
        #[source]
        source: BoxError,
    },
    /// A Glue request failed after its retries.
    #[error("Glue {operation} on `{target}` failed")]
    Glue {
        /// The Glue operation.
        operation: &'static str,
        /// `database` or `database.table`.
        target: String,
        /// The SDK error.
        #[source]
        source: BoxError,
    },
    /// An Athena request failed after its retries.
    #[error("Athena {operation}{} failed", target_part(target))]
    Athena {
        /// The Athena operation.
        operation: &'static str,
        /// The query execution id, or what was sent.
        target: String,
        /// The SDK error.
        #[source]
        source: BoxError,
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
                | Error::NotS3Location { .. }
                | Error::BucketNotFound { .. }
                | Error::NoSuchBucket { .. }
                | Error::InvalidInput(_)
                | Error::Config(_)
                | Error::BadBackup { .. }
                | Error::AthenaRejected { .. }
        )
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

//! What every command starts with and ends with: where to report, the AWS
//! clients, the catalog and a progress bar; then the request counts.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use glutil::apply::Writes;
use glutil::aws::{Aws, AwsOptions, Catalog, Notes};
use glutil::model::outcome::Outcome;

use crate::args::{AwsArgs, RunArgs};
use crate::output::Output;
use crate::progress::TerminalProgress;

/// One command's connection to AWS and to the terminal. Dropping it clears
/// the progress bar.
pub struct Session {
    /// Where and how to report.
    pub output: Output,
    /// Glue and S3 clients.
    pub aws: Aws,
    /// The catalog through those clients.
    pub catalog: Catalog,
    /// The progress bar (hidden off a terminal).
    pub progress: TerminalProgress,
    /// Requests in flight at once, per stage.
    pub concurrency: usize,
    /// The backup file this run wrote, once written: a table planned again
    /// after a concurrent change adds its re-read image here.
    pub backup_file: OnceLock<PathBuf>,
}

impl Session {
    /// Connects to AWS as the arguments say; with `-v`, says how.
    pub async fn start(aws: &AwsArgs, run: &RunArgs) -> anyhow::Result<Self> {
        Self::open(aws.options(), run, TerminalProgress::new(run.quiet)).await
    }

    /// A session for a run over several tables: `--concurrency` caps the
    /// requests in flight across all of them, and the bar counts tables.
    pub async fn start_shared(aws: &AwsArgs, run: &RunArgs) -> anyhow::Result<Self> {
        let options = AwsOptions {
            max_in_flight: Some(run.concurrency as usize),
            ..aws.options()
        };
        Self::open(options, run, TerminalProgress::for_tables(run.quiet)).await
    }

    async fn open(
        options: AwsOptions,
        run: &RunArgs,
        progress: TerminalProgress,
    ) -> anyhow::Result<Self> {
        let output = Output::new(run);
        let options = AwsOptions {
            notes: (run.verbose > 0).then(verbose_notes),
            ..options
        };
        let aws = Aws::connect(&options).await?;
        output.verbose(format_args!(
            "region {}, endpoint {}, {} attempts per request, concurrency {}",
            aws.settings.region,
            aws.settings
                .endpoint_url
                .as_deref()
                .unwrap_or("AWS default"),
            aws.settings.max_attempts,
            run.concurrency
        ));
        let catalog = aws.catalog();
        Ok(Self {
            output,
            aws,
            catalog,
            progress,
            concurrency: run.concurrency as usize,
            backup_file: OnceLock::new(),
        })
    }

    /// Appends an entry to this run's backup (written before the first
    /// write), synced: a table read again after a concurrent change.
    pub fn record(&self, entry: &glutil::backup::Entry) -> glutil::Result<()> {
        match self.backup_file.get() {
            Some(path) => glutil::backup::append_to_backup(path, entry),
            None => Ok(()),
        }
    }

    /// Sends a plan's writes with this session's catalog, concurrency and
    /// progress bar.
    pub async fn write(&self, writes: Writes<'_>) -> Outcome {
        writes
            .apply(&self.catalog, self.concurrency, &self.progress)
            .await
    }

    /// Clears the progress bar and returns the requests sent so far,
    /// printing them with `-v`.
    pub fn finish(&self) -> BTreeMap<String, u64> {
        self.progress.finish();
        let requests = self.aws.requests.snapshot();
        self.output.request_counts(&requests);
        requests
    }
}

/// Notes from the library (a bucket in another Region) on stderr, as `-v`
/// lines.
pub fn verbose_notes() -> Notes {
    Notes(Arc::new(|note| eprintln!("{note}")))
}

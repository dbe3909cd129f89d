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

/// Where this run's credentials come from, as `--profile` said, or the
/// environment.
static CREDENTIAL_SOURCE: OnceLock<Option<String>> = OnceLock::new();

/// Remembers `--profile`, for the hint when AWS refuses the credentials.
pub fn remember_credential_source(profile: Option<&str>) {
    let _ = CREDENTIAL_SOURCE.set(profile.map(str::to_string));
}

/// Which credentials AWS refused and how to refresh them, in words.
pub fn credentials_hint() -> String {
    let flag = CREDENTIAL_SOURCE.get().cloned().flatten();
    let env_profile = std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty());
    let keys_in_env = std::env::var_os("AWS_ACCESS_KEY_ID").is_some();
    match (flag, env_profile) {
        (Some(profile), _) => format!(
            "they came from profile `{profile}` (--profile): run `aws sso login --profile {profile}` if it uses SSO, or renew its keys with `aws configure --profile {profile}`, then run again"
        ),
        (None, _) if keys_in_env => "they came from the environment (AWS_ACCESS_KEY_ID): set fresh AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (or unset them to use a profile), then run again".to_string(),
        (None, Some(profile)) => format!(
            "they came from profile `{profile}` (AWS_PROFILE): run `aws sso login --profile {profile}` if it uses SSO, or renew its keys with `aws configure --profile {profile}`, then run again"
        ),
        (None, None) => "they came from the default chain (the default profile, SSO, or the instance or container role): run `aws sso login` or `aws configure`, or pass --profile, then run again".to_string(),
    }
}

//! Arguments every binary shares.

use std::path::PathBuf;
use std::time::Duration;

use glutil::aws::debug::RequestLog;
use glutil::aws::AwsOptions;

/// How to reach AWS.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "AWS")]
pub struct AwsArgs {
    /// Named profile from the AWS config files (default: AWS_PROFILE).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// AWS Region (default: AWS_REGION or the profile's region).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Endpoint for Glue and S3, e.g. a local moto server (default:
    /// AWS_ENDPOINT_URL). S3 then uses path-style addressing.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Glue catalog id (account id) when the catalog is not your account's.
    #[arg(long, value_name = "ID")]
    pub catalog_id: Option<String>,
    /// Attempts per AWS request, with exponential backoff and jitter
    /// between them; a request still throttled after them is sent again,
    /// up to N times, after a longer pause [default: AWS_MAX_ATTEMPTS or
    /// the profile's max_attempts, else 10].
    #[arg(long, value_name = "N", allow_negative_numbers = true,
          value_parser = whole_number(1, 100))]
    pub max_attempts: Option<u32>,
    /// How long one attempt may wait for its whole answer before it is
    /// abandoned and retried like a throttle, e.g. 30s, 2m.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    pub attempt_timeout: Duration,
    /// `requester`: for Requester Pays buckets, every S3 request says the
    /// caller pays (x-amz-request-payer: requester).
    #[arg(long, value_enum, value_name = "PAYER", hide_possible_values = true)]
    pub request_payer: Option<RequestPayer>,
    /// One stderr line per AWS request attempt: service, operation, table
    /// or S3 folder, HTTP status and error code, attempt, milliseconds
    /// (never credentials).
    #[arg(long)]
    pub debug: bool,
}

/// Who pays for requests to a Requester Pays bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RequestPayer {
    /// The caller (x-amz-request-payer: requester).
    Requester,
}

impl AwsArgs {
    /// The library's view of these options. `--debug` also turns on the
    /// SDK's own account of a failure in error messages.
    pub fn options(&self) -> AwsOptions {
        crate::set_debug(self.debug);
        crate::credentials::remember_credential_source(self.profile.as_deref());
        AwsOptions {
            profile: self.profile.clone(),
            region: self.region.clone(),
            endpoint_url: self.endpoint_url.clone(),
            max_attempts: self.max_attempts,
            attempt_timeout: Some(self.attempt_timeout),
            request_payer: self.request_payer.is_some(),
            catalog_id: self.catalog_id.clone(),
            log: self
                .debug
                .then(|| RequestLog(std::sync::Arc::new(|record| eprintln!("debug: {record}")))),
            notes: None,
            max_in_flight: None,
        }
    }
}

/// An age for deciding what is old enough to remove: `30d`, `12h`, `2w`.
/// A bare number is refused, since `30` could mean seconds or days, and a
/// wrong guess removes what should have been kept.
pub fn parse_age(text: &str) -> Result<Duration, String> {
    let trimmed = text.trim();
    if !trimmed.is_empty() && trimmed.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return Err(format!(
            "`{trimmed}` has no unit: write {trimmed}d for days, {trimmed}h for hours or {trimmed}w for weeks"
        ));
    }
    parse_duration(trimmed)
}

/// `90s`, `1500ms`, `15m`, `2h`, `30d`, `2w`; a bare number is seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration like 90s, 15m or 2h"))?;
    let seconds = match unit.trim() {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        "d" => value * 86_400.0,
        "w" => value * 604_800.0,
        other => return Err(format!("unknown unit `{other}`: use ms, s, m, h, d or w")),
    };
    if seconds <= 0.0 || !seconds.is_finite() {
        return Err("a duration must be more than zero".to_string());
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// Output format on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// For people.
    Text,
    /// One JSON document, for scripts.
    Json,
}

/// How a run behaves and reports.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Output")]
pub struct RunArgs {
    /// Requests in flight at once, per stage (S3 listings, Glue batches);
    /// over several tables, the total for the whole run.
    #[arg(long, value_name = "N", default_value_t = 32, help_heading = "AWS",
          allow_negative_numbers = true, value_parser = whole_number(1, 1024))]
    pub concurrency: u32,
    /// Output format on stdout.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
    /// More detail: settings and request counts on stderr, and every
    /// partition changed (not only in dry runs) on stdout.
    #[arg(short, long, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,
    /// Only the summary: no per-partition lines, no progress bar.
    #[arg(short, long)]
    pub quiet: bool,
}

/// The table a command works on.
#[derive(Debug, Clone, clap::Args)]
pub struct TableArgs {
    /// Glue database name.
    #[arg(value_name = "DATABASE", value_parser = catalog_name)]
    pub database: String,
    /// Table name in that database.
    #[arg(value_name = "TABLE", value_parser = catalog_name)]
    pub table: String,
}

/// The tables a command works on: one or more named tables, every table of
/// the database, or the tables whose names match a pattern.
#[derive(Debug, Clone, clap::Args)]
pub struct TablesArgs {
    /// Glue database name.
    #[arg(value_name = "DATABASE", value_parser = catalog_name)]
    pub database: String,
    /// Tables in that database. Several tables run concurrently under one
    /// request budget (--concurrency is the total), with one summary each
    /// and totals.
    #[arg(value_name = "TABLE", value_parser = catalog_name,
          required_unless_present_any = ["all_tables", "globs"])]
    pub names: Vec<String>,
    /// Every table of the database (views are skipped).
    #[arg(long, conflicts_with_all = ["names", "globs"], help_heading = "Tables")]
    pub all_tables: bool,
    /// The tables whose names match GLOB: `*` any run of characters, `?`
    /// one character (quote it from the shell); repeat for more. Views are
    /// skipped.
    #[arg(long = "tables", value_name = "GLOB", help_heading = "Tables")]
    pub globs: Vec<String>,
}

/// The usage line of a command over tables: by name, all, or by pattern.
pub fn tables_usage(command: &str) -> String {
    format!(
        "{command} [OPTIONS] <DATABASE> <TABLE>...\n       {command} [OPTIONS] <DATABASE> --all-tables\n       {command} [OPTIONS] <DATABASE> --tables <GLOB>..."
    )
}

/// A whole number from `min` to `max`, with a message in words when it is
/// not one.
pub fn whole_number(
    min: u32,
    max: u32,
) -> impl Fn(&str) -> Result<u32, String> + Clone + Send + Sync + 'static {
    move |text: &str| {
        text.trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| format!("`{text}` is not a whole number from {min} to {max}"))
    }
}

impl TablesArgs {
    /// The one table of a run that names exactly one table and no pattern:
    /// such a run reports as a single-table command always has.
    pub fn single(&self) -> Option<TableArgs> {
        match self.names.as_slice() {
            [name] if !self.all_tables && self.globs.is_empty() => Some(TableArgs {
                database: self.database.clone(),
                table: name.clone(),
            }),
            _ => None,
        }
    }
}

/// Arguments every command that changes one or more tables takes.
#[derive(Debug, Clone, clap::Args)]
pub struct TablesWriteArgs {
    /// The tables to change.
    #[command(flatten)]
    pub tables: TablesArgs,
    /// Print what would change; change nothing.
    #[arg(long, help_heading = "Safety")]
    pub dry_run: bool,
    /// Backup, AWS and run options.
    #[command(flatten)]
    pub write: WriteArgs,
}

/// An S3 folder argument (`s3://bucket/prefix/`).
pub fn s3_folder(text: &str) -> Result<glutil::model::S3Location, String> {
    glutil::model::S3Location::parse(text)
        .map_err(|e| format!("not an S3 folder (s3://bucket/prefix/): {e}"))
}

/// The current hour as `gaps` and `projection` count slots (hours since
/// the epoch, UTC).
pub fn now_slot() -> glutil::plan::gaps::Slot {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64 / 3600)
        .unwrap_or(0)
}

/// A database or table name: not empty, no control characters (Glue would
/// reject it after a round trip, with a less helpful message).
pub fn catalog_name(name: &str) -> Result<String, String> {
    if name.trim().is_empty() {
        Err("must not be empty".to_string())
    } else if name.chars().any(char::is_control) {
        Err("must not contain control characters".to_string())
    } else {
        Ok(name.to_string())
    }
}

/// The options every command that writes takes, after its own: where the
/// backup goes, how to reach AWS, concurrency and output.
#[derive(Debug, Clone, clap::Args)]
pub struct WriteArgs {
    /// Where the backup goes.
    #[command(flatten)]
    pub backup: BackupArgs,
    /// How to reach AWS.
    #[command(flatten)]
    pub aws: AwsArgs,
    /// Concurrency and output.
    #[command(flatten)]
    pub run: RunArgs,
}

/// Arguments every command that changes one table takes.
#[derive(Debug, Clone, clap::Args)]
pub struct TableWriteArgs {
    /// The table to change.
    #[command(flatten)]
    pub table: TableArgs,
    /// Print what would change; change nothing.
    #[arg(long, help_heading = "Safety")]
    pub dry_run: bool,
    /// Backup, AWS and run options.
    #[command(flatten)]
    pub write: WriteArgs,
}

/// Where a command that writes keeps its backup.
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Safety")]
pub struct BackupArgs {
    /// Backup file of what this run changes [default: a new file in
    /// $XDG_STATE_HOME/glutil/backups/].
    ///
    /// Before changing the catalog, everything about to change is written
    /// here (JSON Lines) and synced; `restore PATH` undoes the run. Without
    /// XDG_STATE_HOME the default folder is ~/.local/state/glutil/backups/,
    /// and the name holds the command, the table and the time. A run over
    /// several tables writes one file. An existing file is never
    /// overwritten.
    #[arg(long, value_name = "PATH")]
    pub backup: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_age_needs_a_unit() {
        assert_eq!(parse_age("30d").unwrap(), Duration::from_secs(30 * 86_400));
        assert_eq!(parse_age("12h").unwrap(), Duration::from_secs(12 * 3600));
        assert_eq!(parse_age("2w").unwrap(), Duration::from_secs(14 * 86_400));
        let bare = parse_age("30").unwrap_err();
        assert!(bare.contains("has no unit: write 30d for days"), "{bare}");
        assert!(parse_age("ten days").is_err());
        // Timeouts keep taking bare seconds.
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
    }

    #[test]
    fn whole_numbers_say_their_range_in_words() {
        let parse = whole_number(1, 100);
        assert_eq!(parse("7"), Ok(7));
        assert_eq!(
            parse("-1").unwrap_err(),
            "`-1` is not a whole number from 1 to 100"
        );
        assert!(parse("101").is_err());
    }
}

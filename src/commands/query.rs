//! `query SQL | --file FILE | --id ID`: run Athena statements, wait for
//! them politely, print every page of their results as they arrive, and
//! stop what this run started on a timeout or Ctrl-C.

use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use glutil::aws::s3::S3Clients;
use glutil::aws::{Athena, Aws, QueryContext};
use glutil::model::athena::{
    estimated_cost_usd, parse_describe, parse_partition_row, QueryState, QueryStatus, ResultColumn,
    ResultRow, ResultShape, RowBatch,
};
use glutil::model::sql::{split_statements, without_leading_comments};
use glutil::read::query::{wait, ReadVia, Results, Via, Waited};
use tokio::sync::{oneshot, Semaphore};
use tokio::task::JoinHandle;

use crate::args::{parse_duration, AwsArgs};
use crate::commands::params::{plan, read_param_file, Params, Planned};
use crate::progress::{request_stop, set_interrupt_note, stop_requested, stopped};
use crate::results::{Heading, Printer, ResultFormat};
use crate::{Command, EXIT_FAILURE, EXIT_OK};

/// Runs Athena queries and prints their results.
///
/// Starts each statement, waits for it (polls back off from about 200 ms
/// to about 5 s), and prints its results as they arrive (a result larger
/// than one page streams from Athena's CSV result file in S3, see --via;
/// `?` placeholders take --param values): the header row Athena sends for
/// a SELECT is not data, a cell without a
/// value is NULL (never the empty string), JSON values are typed by column
/// type, DESCRIBE becomes name, type, comment and partition_key, and SHOW
/// PARTITIONS one column per key. A stats line per statement (state, data
/// scanned, engine and queue time, estimated cost at $5 per TB scanned,
/// 10 MB minimum) goes to stderr. A timeout or Ctrl-C stops the queries
/// this run started (StopQueryExecution): none is left running.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "query", version, after_help = crate::help::query())]
pub struct Query {
    /// The SQL to run; several statements separated by `;` run as a script.
    #[arg(value_name = "SQL", required_unless_present_any = ["file", "id"],
          conflicts_with_all = ["file", "id"])]
    pub sql: Option<String>,
    /// Runs each `;`-separated statement of this file (`-` for stdin);
    /// results are printed in file order, and a failure does not stop the
    /// rest.
    #[arg(long, value_name = "FILE", conflicts_with = "id")]
    pub file: Option<PathBuf>,
    /// Prints the results of an earlier query execution; runs nothing.
    #[arg(long, value_name = "QUERY_EXECUTION_ID", value_parser = execution_id)]
    pub id: Option<String>,
    /// The database that unqualified table names refer to.
    #[arg(long, value_name = "NAME")]
    pub database: Option<String>,
    /// Where and how statements run and results are read.
    #[command(flatten)]
    pub athena: AthenaArgs,
    /// Statements of a script running at once; they start in file order
    /// and their results print in file order. Keep 1 for scripts whose
    /// statements depend on each other.
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = crate::args::whole_number(1, 64))]
    pub parallel: u32,
    /// Print at most N rows per statement, and read no more pages.
    #[arg(long, value_name = "N", allow_negative_numbers = true,
          value_parser = crate::args::whole_number(1, u32::MAX))]
    pub max_rows: Option<u32>,
    /// Output format on stdout.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = ResultFormat::Table)]
    pub output: ResultFormat,
    /// No stats lines on stderr.
    #[arg(short, long)]
    pub quiet: bool,
    /// Request counts on stderr at the end.
    #[arg(short, long, conflicts_with = "quiet")]
    pub verbose: bool,
    /// `--param` and `--param-raw`, in order.
    #[command(flatten)]
    pub params: Params,
    /// Runs the statement once per row of this CSV file (`-` for stdin),
    /// each row's values bound to its `?` placeholders as string literals
    /// (after any --param/--param-raw values); up to --parallel at once,
    /// results in row order.
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with = "id",
        help_heading = "Parameters"
    )]
    pub param_file: Option<PathBuf>,
    /// How to reach AWS.
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// Athena's options, shared by `query` and `gaps --rows`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct AthenaArgs {
    /// The data catalog [Athena's default: AwsDataCatalog].
    #[arg(long, value_name = "NAME", help_heading = "Athena")]
    pub catalog: Option<String>,
    /// The workgroup [Athena's default: primary].
    #[arg(long, value_name = "NAME", help_heading = "Athena")]
    pub workgroup: Option<String>,
    /// Where Athena writes results, when the workgroup does not say.
    #[arg(long, value_name = "S3_URL", value_parser = s3_url, help_heading = "Athena")]
    pub output_location: Option<String>,
    /// Stop a statement (StopQueryExecution) that has not finished after
    /// this long, e.g. 90s, 15m, 2h [default: wait as long as Athena runs
    /// it].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, help_heading = "Athena")]
    pub timeout: Option<Duration>,
    /// How results are read: `auto`, `results` (GetQueryResults only) or
    /// `file` (the CSV result file only).
    ///
    /// `auto` takes the first page from GetQueryResults and, when there is more, streams the rest from the
    /// CSV result file in S3 (falling back to GetQueryResults, with a
    /// note, when the file cannot be read); `results` pages GetQueryResults
    /// only; `file` reads every row from the file (GetQueryResults once,
    /// for the column types: when IAM refuses it, every value is text) and
    /// fails when it cannot.
    #[arg(long, value_enum, value_name = "HOW", default_value_t = ViaArg::Auto, help_heading = "Athena")]
    pub via: ViaArg,
}

impl AthenaArgs {
    /// True when any was given (other than defaults).
    pub fn any_given(&self) -> bool {
        self.catalog.is_some()
            || self.workgroup.is_some()
            || self.output_location.is_some()
            || self.timeout.is_some()
            || self.via != ViaArg::Auto
    }

    /// Where statements run, for `database`.
    pub fn context(&self, database: Option<String>) -> QueryContext {
        QueryContext {
            database,
            catalog: self.catalog.clone(),
            workgroup: self.workgroup.clone(),
            output_location: self.output_location.clone(),
        }
    }
}

/// How `query` reads results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ViaArg {
    /// The result file when there is more than one page, else
    /// GetQueryResults.
    #[default]
    Auto,
    /// GetQueryResults only.
    Results,
    /// The result file only.
    File,
}

impl ViaArg {
    /// The library's reading mode.
    pub fn via(self) -> Via {
        match self {
            ViaArg::Auto => Via::Auto,
            ViaArg::Results => Via::Results,
            ViaArg::File => Via::File,
        }
    }
}

/// What reads a finished statement's results.
#[derive(Clone)]
struct Reader {
    athena: Athena,
    s3: S3Clients,
    via: Via,
}

fn s3_url(text: &str) -> Result<String, String> {
    match text.strip_prefix("s3://") {
        Some(rest) if !rest.is_empty() && !rest.starts_with('/') => Ok(text.to_string()),
        _ => Err("an S3 URL is s3://bucket/prefix/".to_string()),
    }
}

/// Athena's query execution ids are UUIDs.
fn execution_id(text: &str) -> Result<String, String> {
    let groups: Vec<&str> = text.split('-').collect();
    let lengths: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    let hex = groups
        .iter()
        .all(|g| g.chars().all(|c| c.is_ascii_hexdigit()));
    if lengths == [8, 4, 4, 4, 12] && hex {
        Ok(text.to_string())
    } else {
        Err("a query execution id is a UUID like 0b9e3f1c-5a2d-4c41-9d1e-8f0a6b7c2d3e".to_string())
    }
}

impl Command for Query {
    async fn run(self) -> anyhow::Result<u8> {
        set_interrupt_note(
            "interrupted: stopping the queries this run started; press Ctrl-C again to quit at once (leaving them running)",
        );
        let statements = self.planned()?;
        let aws = Aws::connect(&self.aws.options()).await?;
        let reader = Reader {
            athena: aws.athena(),
            s3: aws.s3(),
            via: self.athena.via.via(),
        };
        let out = io::BufWriter::with_capacity(1 << 16, io::stdout().lock());
        let mut printer = Printer::new(self.output, out, statements.len().max(1));
        let code = match &self.id {
            Some(id) => self.fetch(&reader, id, &mut printer).await?,
            None => self.run_script(&reader, &statements, &mut printer).await?,
        };
        printer.finish()?;
        if self.verbose {
            let counts: Vec<String> = aws
                .requests
                .snapshot()
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            eprintln!("requests: {}", counts.join(" "));
        }
        Ok(code)
    }
}

impl Query {
    /// The runs: each statement with its parameters (once per row of
    /// --param-file). Everything is checked before anything starts.
    fn planned(&self) -> anyhow::Result<Vec<Planned>> {
        let statements = self.statements()?;
        let rows = match &self.param_file {
            Some(path) => Some(read_param_file(path).map_err(glutil::Error::InvalidInput)?),
            None => None,
        };
        if self.id.is_some() {
            return Ok(Vec::new());
        }
        Ok(
            plan(&statements, &self.params, rows.as_deref())
                .map_err(glutil::Error::InvalidInput)?,
        )
    }

    /// The statements to run: the SQL argument or the file, split on `;`.
    fn statements(&self) -> anyhow::Result<Vec<String>> {
        let (script, source) = match (&self.sql, &self.file) {
            (Some(sql), _) => (sql.clone(), "the SQL argument".to_string()),
            (None, Some(path)) if path.as_os_str() == "-" => {
                (io::read_to_string(io::stdin())?, "stdin".to_string())
            }
            (None, Some(path)) => (
                std::fs::read_to_string(path).map_err(|e| {
                    glutil::Error::InvalidInput(format!(
                        "--file `{}` cannot be read: {e}",
                        path.display()
                    ))
                })?,
                format!("`{}`", path.display()),
            ),
            (None, None) => return Ok(Vec::new()),
        };
        let statements = split_statements(&script)
            .map_err(|e| glutil::Error::InvalidInput(format!("{source}: {e}")))?;
        if statements.is_empty() {
            return Err(glutil::Error::InvalidInput(format!(
                "{source} holds no SQL statement (only comments or white space)"
            ))
            .into());
        }
        Ok(statements)
    }

    fn context(&self) -> QueryContext {
        self.athena.context(self.database.clone())
    }

    /// Starts the statements, `--parallel` at once, and prints each one's
    /// results in order as soon as it (and those before it) finished.
    async fn run_script<W: Write>(
        &self,
        reader: &Reader,
        statements: &[Planned],
        printer: &mut Printer<W>,
    ) -> anyhow::Result<u8> {
        let permits = Arc::new(Semaphore::new(self.parallel as usize));
        // Statements start in file order: each waits for the one before it
        // to have started (or failed to) before it takes a permit.
        let mut previous: Option<oneshot::Receiver<()>> = None;
        let runs: Vec<JoinHandle<Ran>> = statements
            .iter()
            .map(|planned| {
                let (athena, permits) = (reader.athena.clone(), permits.clone());
                let (planned, context, timeout) =
                    (planned.clone(), self.context(), self.athena.timeout);
                let (started, next) = oneshot::channel();
                let before = previous.replace(next);
                tokio::spawn(async move {
                    if let Some(before) = before {
                        let _ = before.await;
                    }
                    let Ok(_permit) = permits.acquire_owned().await else {
                        return Ran::NotStarted;
                    };
                    run_one(&athena, &planned, &context, timeout, started).await
                })
            })
            .collect();
        let mut code = EXIT_OK;
        let mut runs = runs.into_iter().enumerate();
        while let Some((i, run)) = runs.next() {
            let ran = run.await.unwrap_or(Ran::NotStarted);
            let place = (i + 1, statements.len());
            let planned = &statements[i];
            match self
                .show(
                    reader,
                    &planned.sql,
                    &planned.parameters,
                    place,
                    ran,
                    printer,
                )
                .await
            {
                Ok(outcome) => code = code.max(outcome),
                Err(err) => {
                    // Output failed (a closed pipe) or results could not be
                    // read: stop what still runs before giving up.
                    request_stop();
                    for (_, rest) in runs {
                        let _ = rest.await;
                    }
                    return Err(err);
                }
            }
        }
        Ok(code)
    }

    /// `--id`: waits for an earlier execution if it still runs (it is not
    /// stopped on a timeout or Ctrl-C: this run did not start it), then
    /// prints its results.
    async fn fetch<W: Write>(
        &self,
        reader: &Reader,
        id: &str,
        printer: &mut Printer<W>,
    ) -> anyhow::Result<u8> {
        let deadline = self.athena.timeout.map(|t| Instant::now() + t);
        let mut polls = 0;
        let waited = tokio::select! {
            waited = wait(&reader.athena, id, deadline, &mut polls) => waited?,
            () = stopped() => return Ok(EXIT_OK),
        };
        let ran = match waited {
            Waited::Finished(status) => Ran::Finished(status),
            Waited::TimedOut(status) => Ran::StillRunning(status),
        };
        let (sql, parameters) = match &ran {
            Ran::Finished(s) | Ran::StillRunning(s) => (s.query.clone(), s.parameters.clone()),
            _ => (String::new(), Vec::new()),
        };
        self.show(reader, &sql, &parameters, (1, 1), ran, printer)
            .await
    }

    /// Prints one statement's results (or its failure) and its stats line;
    /// returns its exit code.
    async fn show<W: Write>(
        &self,
        reader: &Reader,
        sql: &str,
        parameters: &[String],
        (number, of): (usize, usize),
        ran: Ran,
        printer: &mut Printer<W>,
    ) -> anyhow::Result<u8> {
        let label = if of > 1 {
            format!("statement {number}/{of}")
        } else {
            "query".to_string()
        };
        let status = match ran {
            Ran::Finished(status) if status.state == QueryState::Succeeded => status,
            other => {
                let (id, state, message) = other.failure(self.athena.timeout);
                let heading = Heading {
                    number,
                    of,
                    id: id.as_deref(),
                    sql,
                    parameters,
                    state,
                    statement_type: None,
                };
                printer.failed(&heading, &message)?;
                if !stop_requested() {
                    eprintln!("error: {label}{}: {message}", id_part(id.as_deref()));
                }
                return Ok(EXIT_FAILURE);
            }
        };
        let heading = Heading {
            number,
            of,
            id: Some(&status.id),
            sql,
            parameters,
            state: status.state.as_str(),
            statement_type: status.statement_type.as_deref(),
        };
        let shown = print_results(
            reader,
            &status,
            sql,
            self.max_rows.map(u64::from),
            &heading,
            printer,
        )
        .await?;
        if !self.quiet {
            eprintln!("{label} {}: {}", status.id, stats_line(&status, &shown));
        }
        Ok(EXIT_OK)
    }
}

fn id_part(id: Option<&str>) -> String {
    id.map(|id| format!(" {id}")).unwrap_or_default()
}

/// How one statement's run ended.
enum Ran {
    /// Not started: Ctrl-C came first.
    NotStarted,
    /// StartQueryExecution (or a later request) failed.
    Error(Option<String>, glutil::Error),
    /// It reached a final state.
    Finished(QueryStatus),
    /// It outlived --timeout and was stopped.
    TimedOut(QueryStatus, Option<glutil::Error>),
    /// `--id`: it outlived --timeout and was left alone.
    StillRunning(QueryStatus),
    /// Ctrl-C: it was stopped.
    Stopped(String),
}

impl Ran {
    /// The id, the state to report and the message of a run that has no
    /// results.
    fn failure(self, timeout: Option<Duration>) -> (Option<String>, &'static str, String) {
        let after = timeout.map(|t| format!("{t:?}")).unwrap_or_default();
        match self {
            Ran::NotStarted => (None, "NOT_STARTED", "not started: interrupted".into()),
            Ran::Error(id, err) => (id, "ERROR", glutil::error::full_message(&err)),
            Ran::Stopped(id) => (Some(id), "CANCELLED", "stopped by Ctrl-C".into()),
            Ran::Finished(status) => {
                let reason = status
                    .reason
                    .clone()
                    .unwrap_or_else(|| "no reason given".into());
                let state = status.state.as_str();
                (Some(status.id), state, format!("{state}: {reason}"))
            }
            Ran::TimedOut(status, stop_error) => {
                let stopped = match stop_error {
                    None => "stopped it (StopQueryExecution)".to_string(),
                    Some(err) => format!(
                        "stopping it failed, so it may still run: {}",
                        glutil::error::full_message(&err)
                    ),
                };
                let message = format!(
                    "still {} after --timeout {after}; {stopped}",
                    status.state.as_str()
                );
                (Some(status.id), "TIMED_OUT", message)
            }
            Ran::StillRunning(status) => {
                let message = format!(
                    "still {} after --timeout {after}; left running, since this run did not start it",
                    status.state.as_str()
                );
                (Some(status.id), "TIMED_OUT", message)
            }
        }
    }
}

/// Runs one statement to its end as `query` does (stopped on a timeout or
/// Ctrl-C, none left running) and reads its whole result: the status and
/// rows of a statement that SUCCEEDED, else an error saying how it ended.
/// Notes (a result file it could not read) go to stderr.
pub(crate) async fn run_and_read(
    aws: &Aws,
    planned: &Planned,
    context: &QueryContext,
    timeout: Option<Duration>,
) -> anyhow::Result<(QueryStatus, Vec<ResultRow>, ReadVia)> {
    let athena = aws.athena();
    let (started, _) = oneshot::channel();
    let status = match run_one(&athena, planned, context, timeout, started).await {
        Ran::Finished(status) if status.state == QueryState::Succeeded => status,
        other => {
            let (id, _, message) = other.failure(timeout);
            anyhow::bail!("Athena query{}: {message}", id_part(id.as_deref()));
        }
    };
    let mut results = Results::reading(&athena, Some(aws.s3()), &status, None, Via::Auto);
    let mut rows = Vec::new();
    while let Some(page) = next_rows(&mut results).await? {
        rows.extend(page.to_rows());
    }
    let via = results.read_via();
    Ok((status, rows, via))
}

/// Starts one statement and waits for it; stops it on a timeout, on
/// Ctrl-C, or when waiting fails.
async fn run_one(
    athena: &Athena,
    planned: &Planned,
    context: &QueryContext,
    timeout: Option<Duration>,
    started: oneshot::Sender<()>,
) -> Ran {
    if stop_requested() {
        return Ran::NotStarted;
    }
    let sql = without_leading_comments(&planned.sql);
    let start = athena.start(sql, &planned.parameters, context).await;
    // The next statement may start now.
    drop(started);
    let id = match start {
        Ok(id) => id,
        Err(err) => return Ran::Error(None, err),
    };
    let deadline = timeout.map(|t| Instant::now() + t);
    let mut polls = 0;
    let waited = tokio::select! {
        waited = wait(athena, &id, deadline, &mut polls), if !stop_requested() => waited,
        () = stopped() => {
            // Stopping is best effort: the process is on its way out.
            let _ = athena.stop(&id).await;
            return Ran::Stopped(id);
        }
    };
    match waited {
        Ok(Waited::Finished(status)) => Ran::Finished(status),
        Ok(Waited::TimedOut(status)) => {
            let stop_error = athena.stop(&id).await.err();
            Ran::TimedOut(status, stop_error)
        }
        Err(err) => {
            let _ = athena.stop(&id).await;
            Ran::Error(Some(id), err)
        }
    }
}

/// What was printed of a result, and how it was read.
struct Shown {
    rows: u64,
    truncated: bool,
    via: ReadVia,
}

/// Streams a SUCCEEDED query's results to the printer; DESCRIBE and SHOW
/// PARTITIONS are read whole (they are small) and parsed first.
async fn print_results<W: Write>(
    reader: &Reader,
    status: &QueryStatus,
    sql: &str,
    max_rows: Option<u64>,
    heading: &Heading<'_>,
    printer: &mut Printer<W>,
) -> anyhow::Result<Shown> {
    let shape = ResultShape::of(sql, status.statement_type.as_deref());
    let mut results = Results::reading(
        &reader.athena,
        Some(reader.s3.clone()),
        status,
        max_rows,
        reader.via,
    );
    if shape != ResultShape::Rows {
        let mut rows = Vec::new();
        while let Some(page) = next_rows(&mut results).await? {
            rows.extend(page.to_rows());
        }
        let (columns, rows) = reshape(shape, &rows);
        printer.begin(heading, &columns)?;
        printer.rows(&columns, &RowBatch::from_rows(&rows))?;
        let via = results.read_via();
        printer.end(results.truncated(), Some(stats_json(status, &via)))?;
        let shown = rows.len() as u64;
        return Ok(Shown {
            rows: shown,
            truncated: results.truncated(),
            via,
        });
    }
    let mut begun = false;
    let mut shown = 0;
    while let Some(page) = next_rows(&mut results).await? {
        if stop_requested() {
            break;
        }
        if !begun {
            printer.begin(heading, results.columns())?;
            begun = true;
        }
        printer.rows(results.columns(), &page)?;
        shown += page.len() as u64;
    }
    if !begun {
        printer.begin(heading, results.columns())?;
    }
    let via = results.read_via();
    printer.end(results.truncated(), Some(stats_json(status, &via)))?;
    Ok(Shown {
        rows: shown,
        truncated: results.truncated(),
        via,
    })
}

/// The next rows of a result; what the reader has to say (a result file
/// it could not read) goes to stderr as it happens.
async fn next_rows(results: &mut Results) -> anyhow::Result<Option<RowBatch>> {
    let rows = results.next_rows().await;
    for note in results.take_notes() {
        eprintln!("note: {note}");
    }
    Ok(rows?)
}

/// DESCRIBE rows as name, type, comment and partition_key; SHOW
/// PARTITIONS rows as one column per key.
fn reshape(shape: ResultShape, rows: &[ResultRow]) -> (Vec<ResultColumn>, Vec<ResultRow>) {
    let column = |name: &str, type_name: &str| ResultColumn {
        name: name.to_string(),
        type_name: type_name.to_string(),
        precision: None,
        scale: None,
    };
    // A row is one tab-packed value; cells split by a test double are
    // joined back.
    let lines: Vec<String> = rows
        .iter()
        .map(|row| {
            let cells: Vec<&str> = row.iter().map(|c| c.as_deref().unwrap_or("")).collect();
            cells.join("\t")
        })
        .collect();
    match shape {
        ResultShape::Describe => {
            let columns = ["name", "type", "comment"]
                .map(|n| column(n, "varchar"))
                .to_vec();
            let mut columns = columns;
            columns.push(column("partition_key", "boolean"));
            let rows = parse_describe(lines.iter().map(String::as_str))
                .into_iter()
                .map(|c| {
                    vec![
                        Some(c.name),
                        Some(c.type_name),
                        c.comment,
                        Some(c.partition_key.to_string()),
                    ]
                })
                .collect();
            (columns, rows)
        }
        _ => partitions_table(&lines, &column),
    }
}

fn partitions_table(
    lines: &[String],
    column: &dyn Fn(&str, &str) -> ResultColumn,
) -> (Vec<ResultColumn>, Vec<ResultRow>) {
    let parsed: Vec<Vec<(String, String)>> = lines.iter().map(|l| parse_partition_row(l)).collect();
    let mut keys: Vec<String> = Vec::new();
    for (key, _) in parsed.iter().flatten() {
        if !keys.contains(key) {
            keys.push(key.clone());
        }
    }
    let rows = parsed
        .iter()
        .map(|pairs| {
            keys.iter()
                .map(|k| {
                    pairs
                        .iter()
                        .find(|(key, _)| key == k)
                        .map(|(_, v)| v.clone())
                })
                .collect()
        })
        .collect();
    let columns = keys.iter().map(|k| column(k, "varchar")).collect();
    (columns, rows)
}

/// A statement's statistics, for JSON.
#[derive(serde::Serialize)]
struct StatsJson<'a> {
    data_scanned_bytes: u64,
    engine_execution_ms: u64,
    queue_ms: u64,
    estimated_cost_usd: f64,
    output_location: Option<&'a str>,
    /// `file` when the result file gave rows, else `results`.
    read_via: &'static str,
    result_file_gets: u32,
    result_file_bytes: u64,
}

fn stats_json(status: &QueryStatus, via: &ReadVia) -> String {
    let stats = StatsJson {
        data_scanned_bytes: status.bytes_scanned,
        engine_execution_ms: status.engine_ms,
        queue_ms: status.queue_ms,
        estimated_cost_usd: estimated_cost_usd(status.bytes_scanned),
        output_location: status.output_location.as_deref(),
        read_via: if via.file { "file" } else { "results" },
        result_file_gets: via.gets,
        result_file_bytes: via.bytes,
    };
    serde_json::to_string(&stats).unwrap_or_default()
}

/// The cost line of a statement whose `rows` rows were read `via`.
pub(crate) fn cost_line(status: &QueryStatus, rows: u64, via: ReadVia) -> String {
    stats_line(
        status,
        &Shown {
            rows,
            truncated: false,
            via,
        },
    )
}

fn stats_line(status: &QueryStatus, shown: &Shown) -> String {
    let more = if shown.truncated {
        " (more not read: --max-rows)"
    } else {
        ""
    };
    let file = if shown.via.file {
        format!(
            " (from the result file, {} in {} GET{})",
            human_bytes(shown.via.bytes),
            shown.via.gets,
            if shown.via.gets == 1 { "" } else { "s" }
        )
    } else {
        String::new()
    };
    format!(
        "{}, {} row{}{file}{more}, {} scanned, engine {:.3} s, queue {:.3} s, est. cost ${:.6}",
        status.state.as_str(),
        shown.rows,
        if shown.rows == 1 { "" } else { "s" },
        human_bytes(status.bytes_scanned),
        status.engine_ms as f64 / 1000.0,
        status.queue_ms as f64 / 1000.0,
        estimated_cost_usd(status.bytes_scanned),
    )
}

/// Bytes in binary units, as AWS bills data.
fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_a_unit() {
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(
            parse_duration("1500ms").unwrap(),
            Duration::from_millis(1500)
        );
        assert_eq!(parse_duration("15m").unwrap(), Duration::from_secs(900));
        assert_eq!(parse_duration("2h").unwrap(), Duration::from_secs(7200));
        assert_eq!(parse_duration("0.5s").unwrap(), Duration::from_millis(500));
        assert!(parse_duration("0").is_err());
        assert!(parse_duration("ten").is_err());
        assert_eq!(
            parse_duration("30d").unwrap(),
            Duration::from_secs(30 * 86_400)
        );
        assert!(parse_duration("5y").unwrap_err().contains("unknown unit"));
    }

    #[test]
    fn show_partitions_become_one_column_per_key() {
        let rows = vec![
            vec![Some("year=2024/month=01".to_string())],
            vec![Some("year=2024/month=02".to_string())],
        ];
        let (columns, rows) = reshape(ResultShape::Partitions, &rows);
        let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["year", "month"]);
        assert_eq!(rows[1], [Some("2024".into()), Some("02".into())]);
    }

    #[test]
    fn bytes_read_in_binary_units() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(3 << 20), "3.0 MiB");
        assert_eq!(human_bytes(1536), "1.5 KiB");
    }
}

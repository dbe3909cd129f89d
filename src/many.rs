//! Runs over several tables: `partitioner DB a b c`, `--all-tables`,
//! `--tables 'events_*'`. Each table goes through the same steps as a
//! single-table run (its [`Job`]); what differs is around them:
//!
//! - tables run concurrently, up to eight at once, under one cap on the
//!   requests in flight (`--concurrency` is the total for the run);
//! - one backup file covers the run: each table's entries are appended and
//!   synced before that table's writes are sent;
//! - a table that fails is reported and the others go on (exit 1);
//! - the report is one summary per table, in name order as they finish,
//!   then the totals; JSON is one document with a `tables` array, `totals`,
//!   the backup and the requests.
//!
//! A run that names exactly one table (and no pattern) is a single-table
//! run and reports exactly as one always has.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

use futures::StreamExt;
use glutil::backup::{BackupWriter, Entries, Header};
use glutil::model::table::name_matches;

use crate::args::{BackupArgs, TableArgs, TablesArgs};
use crate::driver::{self, Job, Options};
use crate::output::{Output, Report, Row, Run, Text, View};
use crate::session::Session;
use crate::{EXIT_FAILURE, EXIT_FOUND, EXIT_OK};

/// Tables in progress at once, at most: each holds its listings and plan in
/// memory, so the cap bounds memory as the request budget bounds load.
const MAX_TABLES_AT_ONCE: usize = 8;

/// Runs `job_for(table)` on every table `selection` names.
pub async fn run_tables<J: Job>(
    selection: &TablesArgs,
    options: Options<'_>,
    job_for: impl Fn(TableArgs) -> J,
) -> anyhow::Result<u8> {
    if let Some(table) = selection.single() {
        return driver::run(&job_for(table), options).await;
    }
    // A `--backup PATH` that exists is refused before anything runs, as in
    // a single-table run, not once per table.
    let given = options.backup.and_then(|b| b.backup.as_deref());
    if let Some(path) = given.filter(|_| !options.dry_run) {
        glutil::backup::refuse_existing(path)?;
    }
    let session = Session::start_shared(options.aws, options.run).await?;
    let chosen = choose_tables(&session, selection).await?;
    let table = |name: &str| TableArgs {
        database: selection.database.clone(),
        table: name.to_string(),
    };
    let command = job_for(table("")).name();
    let jobs: Vec<(TableArgs, J)> = chosen
        .names
        .iter()
        .map(|name| (table(name), job_for(table(name))))
        .collect();
    let backup = RunBackup::new(&session, options.backup, command, &selection.database);
    let mut report = ManyReport::start(&session.output, command, selection, options.dry_run)?;
    report.skipped(&chosen.skipped)?;
    let at_once = (session.concurrency / 4).clamp(1, MAX_TABLES_AT_ONCE);
    let mut finished = futures::stream::iter(&jobs)
        .map(|(table, job)| one_table(table, job, &session, &backup, options))
        .buffered(at_once);
    let mut done = 0;
    let mut printed = Ok(());
    while let Some(table) = finished.next().await {
        done += 1;
        session.progress.tables_done(done, jobs.len() as u64);
        if printed.is_ok() {
            printed = report.table(table);
            if printed.is_err() {
                // stdout is gone (a closed pipe): start no more tables, and
                // let the writes in flight finish their batches rather than
                // dropping them mid-write.
                crate::progress::request_stop();
            }
        }
    }
    drop(finished);
    let backup = backup.finish()?;
    let requests = session.finish();
    printed?;
    report.end(backup, options.backup.is_some(), &requests)
}

/// The tables a selection names, and the ones a pattern matched that are
/// not tables of partitions (views, Iceberg, Delta, Hudi, governed, no
/// partition keys), each with the reason it is left out.
struct Chosen {
    names: Vec<String>,
    skipped: Vec<Skipped>,
}

/// A table a pattern matched and the run leaves out.
#[derive(Debug, Clone, serde::Serialize)]
struct Skipped {
    /// `database.table`.
    table: String,
    /// Why, in a few words.
    reason: String,
    /// A view (also listed under `skipped_views`).
    #[serde(skip)]
    view: bool,
}

/// Fails, naming the first of `names` that is not among the database's
/// tables (`listed`): for commands that take the named tables together.
pub fn check_named<'a>(
    database: &str,
    names: &[String],
    listed: impl Iterator<Item = &'a str> + Clone,
) -> Result<(), glutil::Error> {
    match names
        .iter()
        .find(|n| !listed.clone().any(|t| t == n.as_str()))
    {
        Some(missing) => Err(glutil::Error::TableNotFound {
            database: database.to_string(),
            table: missing.clone(),
        }),
        None => Ok(()),
    }
}

/// Resolves names and patterns against the catalog. An unknown database,
/// or a pattern that matches nothing, is bad usage (exit 2); a named table
/// that does not exist fails on its own, like any table.
async fn choose_tables(session: &Session, selection: &TablesArgs) -> anyhow::Result<Chosen> {
    let database = &selection.database;
    let mut names: BTreeSet<String> = selection.names.iter().cloned().collect();
    let mut skipped = Vec::new();
    if !selection.all_tables && selection.globs.is_empty() {
        session.catalog.check_database(database).await?;
        return Ok(Chosen {
            names: names.into_iter().collect(),
            skipped,
        });
    }
    let tables = session.catalog.tables(database).await?;
    if let Some(glob) = selection
        .globs
        .iter()
        .find(|glob| !tables.iter().any(|t| name_matches(glob, &t.name)))
    {
        return Err(glutil::Error::InvalidInput(format!(
            "--tables '{glob}' matches no table in database {database}"
        ))
        .into());
    }
    let picked =
        |name: &str| selection.all_tables || selection.globs.iter().any(|g| name_matches(g, name));
    // A table named explicitly runs (and fails) as in a single-table run;
    // only what a pattern matched is left out.
    for table in tables.into_iter().filter(|t| picked(&t.name)) {
        match table.skip_reason() {
            Some(reason) if !names.contains(&table.name) => skipped.push(Skipped {
                table: format!("{database}.{}", table.name),
                reason,
                view: table.is_view(),
            }),
            Some(_) => {}
            None => {
                names.insert(table.name);
            }
        }
    }
    Ok(Chosen {
        names: names.into_iter().collect(),
        skipped,
    })
}

/// How one table of the run ended.
enum Done {
    /// Planned (and applied, in a real run) and reported.
    Reported {
        report: Box<Report>,
        counts: Vec<(&'static str, u64)>,
    },
    /// Failed: the table was not changed, or (when its writes had begun)
    /// the error says how far it got.
    Failed(anyhow::Error),
    /// Ctrl-C came before it started.
    NotStarted,
}

/// One table's steps: plan, then (in a real run that changes something)
/// append its backup entries and apply.
async fn one_table<'t, J: Job>(
    table: &'t TableArgs,
    job: &J,
    session: &Session,
    backup: &RunBackup<'_>,
    options: Options<'_>,
) -> (&'t TableArgs, Done) {
    if crate::progress::stop_requested() || crate::credentials_refused() {
        return (table, Done::NotStarted);
    }
    let done = match table_steps(job, session, backup, options).await {
        Ok((report, counts)) => Done::Reported {
            report: Box::new(report),
            counts,
        },
        Err(err) => {
            // Refused credentials are noted at once: no further table
            // starts.
            let _ = crate::error_text(&err);
            Done::Failed(err)
        }
    };
    (table, done)
}

async fn table_steps<J: Job>(
    job: &J,
    session: &Session,
    backup: &RunBackup<'_>,
    options: Options<'_>,
) -> anyhow::Result<(Report, Vec<(&'static str, u64)>)> {
    let plan = job.plan(session).await?;
    let writes = options.backup.is_some();
    let mut outcome = J::Outcome::default();
    if writes && !options.dry_run && job.changes_anything(&plan) {
        job.confirm(&plan, session)?;
        let (entries, _) = job.backup(&plan, session).await?;
        backup.append(entries)?;
        outcome = job.apply(&plan, session).await;
    }
    let run = Run {
        dry_run: options.dry_run,
        backup: None,
        outcome,
        requests: BTreeMap::new(),
        writes,
        json: session.output.format == crate::args::OutputFormat::Json,
        one_of_many: true,
        warnings: job.warnings(&plan),
    };
    let report = job.report(&plan, &run)?;
    let counts = job.counts(&plan, &run);
    Ok((report, counts))
}

/// The run's one backup file, created when the first table has something
/// to change.
struct RunBackup<'a> {
    args: Option<&'a BackupArgs>,
    command: &'static str,
    database: String,
    header: Header,
    output: &'a Output,
    writer: Mutex<Option<BackupWriter>>,
}

impl<'a> RunBackup<'a> {
    fn new(
        session: &'a Session,
        args: Option<&'a BackupArgs>,
        command: &'static str,
        database: &str,
    ) -> Self {
        Self {
            args,
            command,
            database: database.to_string(),
            header: crate::backup::header(session, command),
            output: &session.output,
            writer: Mutex::new(None),
        }
    }

    /// Appends a table's entries and syncs them to disk; the table's writes
    /// may start when this returns.
    fn append(&self, entries: Entries<'_>) -> anyhow::Result<()> {
        let mut entries = entries.peekable();
        let Some(args) = self.args.filter(|_| entries.peek().is_some()) else {
            return Ok(());
        };
        let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        if writer.is_none() {
            let path = crate::backup::path_for(args, self.command, &self.database)?;
            *writer = Some(BackupWriter::create(&path, &self.header)?);
        }
        if let Some(writer) = writer.as_mut() {
            for entry in entries {
                writer.record(&entry)?;
            }
            writer.sync()?;
        }
        Ok(())
    }

    /// Seals the file, if the run wrote one, and returns its path.
    fn finish(self) -> anyhow::Result<Option<PathBuf>> {
        let writer = self.writer.into_inner().unwrap_or_else(|e| e.into_inner());
        let Some(writer) = writer else {
            return Ok(None);
        };
        Ok(Some(crate::backup::announce(self.output, writer.seal()?)))
    }
}

/// The report of a run over several tables, written as tables finish.
struct ManyReport<'a> {
    output: &'a Output,
    json: bool,
    command: &'static str,
    database: String,
    dry_run: bool,
    tables: u64,
    failed: Vec<String>,
    not_started: u64,
    skipped: Vec<Skipped>,
    counts: Vec<(&'static str, u64)>,
    exits: BTreeSet<u8>,
}

impl<'a> ManyReport<'a> {
    fn start(
        output: &'a Output,
        command: &'static str,
        selection: &TablesArgs,
        dry_run: bool,
    ) -> std::io::Result<Self> {
        let report = Self {
            output,
            json: output.format == crate::args::OutputFormat::Json,
            command,
            database: selection.database.clone(),
            dry_run,
            tables: 0,
            failed: Vec::new(),
            not_started: 0,
            skipped: Vec::new(),
            counts: Vec::new(),
            exits: BTreeSet::new(),
        };
        if report.json {
            // A struct, not a map: every document starts with `command`
            // and `dry_run`, in that order.
            #[derive(serde::Serialize)]
            struct Head<'h> {
                command: &'h str,
                dry_run: bool,
                database: &'h str,
            }
            let head = serde_json::to_string_pretty(&Head {
                command,
                dry_run,
                database: &report.database,
            })?;
            // The head without its closing brace (its last character, as
            // the pretty printer ends a map); the tables follow.
            let open = head[..head.len() - 1].trim_end();
            write_out(format_args!("{open},\n  \"tables\": ["))?;
        }
        Ok(report)
    }

    /// What a pattern matched and the run leaves out, each with why.
    fn skipped(&mut self, skipped: &[Skipped]) -> std::io::Result<()> {
        self.skipped = skipped.to_vec();
        if !self.json && !self.output.quiet {
            for skip in skipped {
                write_out(format_args!("skipped {}: {}\n", skip.table, skip.reason))?;
            }
        }
        Ok(())
    }

    fn table(&mut self, (table, done): (&TableArgs, Done)) -> std::io::Result<()> {
        self.tables += 1;
        let name = format!("{}.{}", table.database, table.table);
        let element = match done {
            Done::Reported { report, counts } => {
                self.add(&counts);
                self.exits.insert(report.exit);
                if matches!(report.view, View::Json(_)) {
                    report.print_warnings();
                }
                match report.view {
                    View::Json(json) => json,
                    View::Text(_) => {
                        self.output.print(&report)?;
                        return write_out(format_args!("\n"));
                    }
                }
            }
            Done::Failed(err) => {
                self.failed.push(name);
                let error = crate::error_text(&err);
                let text = format!("failed\n  error: {error}");
                match self.unreported(table, &text, ("error", error.into()))? {
                    Some(element) => element,
                    None => return Ok(()),
                }
            }
            Done::NotStarted => {
                self.not_started += 1;
                let text = if crate::credentials_refused() {
                    "not started (AWS refused the credentials)"
                } else {
                    "not started (interrupted)"
                };
                match self.unreported(table, text, ("not_started", true.into()))? {
                    Some(element) => element,
                    None => return Ok(()),
                }
            }
        };
        let comma = if self.tables > 1 { "," } else { "" };
        write_out(format_args!(
            "{comma}\n    {}",
            element.replace('\n', "\n    ")
        ))
    }

    /// A table without a report of its own (it failed, or never started):
    /// in text, `command db.table: TEXT` is written and `None` returned; in
    /// JSON, its element (`database`, `table` and `field`) is returned.
    fn unreported(
        &self,
        table: &TableArgs,
        text: &str,
        (key, value): (&str, serde_json::Value),
    ) -> std::io::Result<Option<String>> {
        if !self.json {
            let (command, database, name) = (self.command, &table.database, &table.table);
            write_out(format_args!("{command} {database}.{name}: {text}\n\n"))?;
            return Ok(None);
        }
        let mut element = serde_json::Map::new();
        element.insert("database".into(), table.database.clone().into());
        element.insert("table".into(), table.table.clone().into());
        element.insert(key.into(), value);
        Ok(Some(serde_json::to_string_pretty(&element)?))
    }

    /// Adds a table's counts to the totals, in the order they first came.
    fn add(&mut self, counts: &[(&'static str, u64)]) {
        for &(name, value) in counts {
            match self.counts.iter_mut().find(|(n, _)| *n == name) {
                Some((_, total)) => *total += value,
                None => self.counts.push((name, value)),
            }
        }
    }

    /// Exit 1 when a table failed or a write failed; else 3 when a table
    /// found what `--fail-if-any` asks about; else 0.
    fn exit(&self) -> u8 {
        if !self.failed.is_empty() || self.exits.contains(&EXIT_FAILURE) {
            EXIT_FAILURE
        } else if self.exits.contains(&EXIT_FOUND) {
            EXIT_FOUND
        } else {
            EXIT_OK
        }
    }

    /// The totals, the backup and the requests; returns the exit code.
    fn end(
        self,
        backup: Option<PathBuf>,
        writes: bool,
        requests: &BTreeMap<String, u64>,
    ) -> anyhow::Result<u8> {
        let ran = self.tables;
        if self.json {
            let mut totals = serde_json::Map::new();
            totals.insert("tables".into(), ran.into());
            totals.insert("failed_tables".into(), self.failed.len().into());
            totals.insert("not_started".into(), self.not_started.into());
            totals.insert("skipped".into(), self.skipped.len().into());
            for (name, value) in &self.counts {
                totals.insert((*name).into(), (*value).into());
            }
            let mut tail = serde_json::Map::new();
            tail.insert("failed_tables".into(), self.failed.clone().into());
            tail.insert("skipped".into(), serde_json::to_value(&self.skipped)?);
            let views: Vec<&str> = self
                .skipped
                .iter()
                .filter(|s| s.view)
                .map(|s| s.table.as_str())
                .collect();
            tail.insert("skipped_views".into(), views.into());
            tail.insert("totals".into(), totals.into());
            if writes {
                tail.insert("backup".into(), serde_json::to_value(&backup)?);
            }
            tail.insert("requests".into(), serde_json::to_value(requests)?);
            let tail = serde_json::to_string_pretty(&tail)?;
            // The tail's fields (without the map's opening brace, its
            // first character) continue the document the head opened.
            let fields = &tail[1..];
            write_out(format_args!("\n  ],{fields}\n"))?;
        } else {
            self.totals_text(ran, backup)?;
        }
        if !self.failed.is_empty() {
            eprintln!(
                "warning: {} of {} tables failed: {}",
                self.failed.len(),
                ran,
                self.failed.join(", ")
            );
        }
        Ok(self.exit())
    }

    fn totals_text(&self, ran: u64, backup: Option<PathBuf>) -> std::io::Result<()> {
        let mode = if self.dry_run { " (dry run)" } else { "" };
        let mut rows = vec![
            Row::shown("tables", ran),
            Row::field(
                "failed tables",
                (!self.failed.is_empty())
                    .then(|| format!("{} ({})", self.failed.len(), self.failed.join(", "))),
            ),
            Row::field(
                "not started",
                (self.not_started > 0).then(|| format!("{} (interrupted)", self.not_started)),
            ),
            Row::field(
                "skipped",
                (!self.skipped.is_empty()).then_some(self.skipped.len()),
            ),
        ];
        rows.extend(
            self.counts
                .iter()
                .map(|(name, value)| Row::shown(&name.replace('_', " "), value)),
        );
        rows.push(Row::field(
            "backup",
            backup.map(|p| p.display().to_string()),
        ));
        let text = Text {
            title: format!("{} {}: totals{mode}", self.command, self.database),
            rows,
            ..Text::default()
        };
        let mut out = std::io::stdout().lock();
        text.write(&mut out, self.output)?;
        out.flush()
    }
}

fn write_out(text: std::fmt::Arguments) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_fmt(text)?;
    out.flush()
}

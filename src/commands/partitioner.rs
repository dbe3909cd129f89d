//! `partitioner DATABASE TABLE`: create the partitions S3 holds and the
//! catalog lacks.

use std::io::Write;

use anyhow::Context;
use glutil::partitioner::{PartitionerOptions, PartitionerReport};
use glutil::scope::Date;

use crate::args::{AwsArgs, OutputFormat, RunArgs, TableArgs};
use crate::backup::BackupArgs;
use crate::output::{values_text, write_failures, write_not_attempted, Output};
use crate::session::Session;
use crate::{exit_status, Command};

/// Creates the partitions S3 holds and the catalog lacks.
///
/// Finds partition folders in S3 under the table's location and creates the
/// partitions the Glue Data Catalog lacks.
///
/// Folders may be Hive style (`year=2019/`) or flat (`2019/`), mixed; each
/// level maps to one partition key. A partition exists when its folder holds
/// data. Folders that decode to the same values are reported as conflicts
/// and not created.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "partitioner", version, after_help = crate::EXIT_CODES_HELP)]
pub struct Args {
    /// The table to partition.
    #[command(flatten)]
    pub table: TableArgs,
    /// Print what would be created; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Only look at today and the N days before it. The partition keys
    /// (after any --prefix values) must start with year, month, day.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub limit_days: Option<u32>,
    /// Fixed value for the next leading partition key; repeat for more
    /// keys (e.g. --prefix us-east-1 for a table keyed region/year/...).
    #[arg(long = "prefix", value_name = "VALUE")]
    pub prefix: Vec<String>,
    /// Where the backup goes (it lists the partitions created, so that
    /// `restore` can remove them).
    #[command(flatten)]
    pub backup: BackupArgs,
    /// How to reach AWS.
    #[command(flatten)]
    pub aws: AwsArgs,
    /// Concurrency and output.
    #[command(flatten)]
    pub run: RunArgs,
}

/// The JSON document: the report and the requests it took.
#[derive(serde::Serialize)]
struct JsonReport<'a> {
    #[serde(flatten)]
    report: &'a PartitionerReport,
    backup: Option<&'a std::path::Path>,
    requests: std::collections::BTreeMap<String, u64>,
}

impl Command for Args {
    async fn run(self) -> anyhow::Result<u8> {
        let session = Session::start(&self.aws, &self.run).await?;
        let options = PartitionerOptions {
            prefix: self.prefix.clone(),
            limit_days: self.limit_days,
            today: Date::today_utc(),
            concurrency: self.run.concurrency as usize,
            dry_run: self.dry_run,
        };
        let planned = glutil::partitioner::plan(
            &session.aws,
            &self.table.database,
            &self.table.table,
            &options,
            &session.progress,
        )
        .await;
        let (table, mut report) = match planned {
            Ok(planned) => planned,
            Err(err) => {
                session.progress.finish();
                return Err(err.into());
            }
        };
        let mut backup = None;
        if !report.dry_run {
            let entries = glutil::partitioner::backup_entries(&table, &report);
            backup = crate::backup::write(
                &session,
                &self.backup,
                "partitioner",
                &table.qualified_name(),
                &entries,
            )
            .inspect_err(|_| session.progress.finish())?;
            glutil::partitioner::apply(
                &session.aws,
                &table,
                &mut report,
                options.concurrency,
                &session.progress,
            )
            .await;
        }
        let requests = session.finish();
        let output = &session.output;

        match output.format {
            OutputFormat::Json => output.write_json(&JsonReport {
                report: &report,
                backup: backup.as_deref(),
                requests,
            }),
            OutputFormat::Text => write_text(&report, backup.as_deref(), output),
        }
        .context("writing the report to stdout")?;
        if !report.conflicts.is_empty() {
            eprintln!(
                "warning: {} partition value set(s) are claimed by more than one folder and were not created; see the conflicts above",
                report.conflicts.len()
            );
        }
        Ok(exit_status(report.has_failures()))
    }
}

fn write_text(
    report: &PartitionerReport,
    backup: Option<&std::path::Path>,
    output: &Output,
) -> std::io::Result<()> {
    let mut out = Output::stdout();
    let verb = if report.dry_run {
        "would create"
    } else {
        "create"
    };
    // A dry run lists its whole plan; a real run lists what it created only
    // with -v, so a big first run does not bury its summary.
    let list_plan = report.dry_run || output.verbose > 0;
    if !output.quiet {
        if list_plan {
            for p in &report.to_create {
                writeln!(out, "{verb} {} {}", values_text(&p.values), p.location)?;
            }
        }
        for c in &report.conflicts {
            let locations: Vec<String> = c.locations.iter().map(|l| l.to_string()).collect();
            writeln!(
                out,
                "conflict {} found in {}",
                values_text(&c.values),
                locations.join(" and ")
            )?;
        }
        write_failures(&mut out, &report.failed)?;
    }
    let mode = if report.dry_run { " (dry run)" } else { "" };
    writeln!(
        out,
        "partitioner {}.{} at {}{mode}",
        report.database, report.table, report.location
    )?;
    writeln!(out, "  found:           {}", report.found)?;
    writeln!(
        out,
        "  already present: {}",
        report.already_present + report.already_existed
    )?;
    if report.dry_run {
        writeln!(out, "  would create:    {}", report.to_create.len())?;
    } else {
        writeln!(out, "  created:         {}", report.created)?;
    }
    writeln!(out, "  conflicts:       {}", report.conflicts.len())?;
    writeln!(out, "  failed:          {}", report.failed.len())?;
    write_not_attempted(&mut out, report.not_attempted)?;
    if report.empty_folders > 0 {
        writeln!(
            out,
            "  empty folders:   {} (matching folders without data; not partitions)",
            report.empty_folders
        )?;
    }
    if let Some(line) = crate::backup::summary_line(backup, 17) {
        writeln!(out, "{line}")?;
    }
    out.flush()
}

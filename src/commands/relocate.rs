//! `relocate DATABASE [TABLE...] --from s3://old/ --to s3://new/`: after a
//! copy to a new bucket or prefix, point the tables and their partitions at
//! it, in one step, backed up.

use std::collections::HashSet;

use glutil::apply::update_table_checked;
use glutil::aws::Detail;
use glutil::backup::{Entries, Entry};
use glutil::model::outcome::{Failure, Outcome};
use glutil::model::{PartitionImage, S3Location, Table, TableImage};
use glutil::plan::relocate::{plan_relocation, relocated_table, Relocation};
use glutil::read::{discover, WalkOptions};
use serde::Serialize;

use crate::args::TablesWriteArgs;
use crate::driver::{Job, OnTable, Options};
use crate::many;
use crate::output::{count_rows, failure_lines, stop_rows, values_text, Report, Run, Text};
use crate::session::Session;
use crate::Command;

/// Points tables and their partitions at the folder their data was copied
/// to.
///
/// For each table, rewrites StorageDescriptor.Location of the table and of
/// every partition whose location starts with --from, replacing that
/// folder with --to; nothing else changes. Partitions elsewhere are left
/// alone and listed. A backup is written first; one restore puts every
/// location back.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "relocate", version, override_usage = crate::args::tables_usage("relocate"), after_help = crate::help::relocate())]
pub struct Relocate {
    /// Shared arguments.
    #[command(flatten)]
    pub args: TablesWriteArgs,
    /// The folder the data was copied from (s3://bucket/prefix/).
    #[arg(long, value_name = "S3_FOLDER", value_parser = crate::args::s3_folder)]
    pub from: S3Location,
    /// The folder it was copied to.
    #[arg(long, value_name = "S3_FOLDER", value_parser = crate::args::s3_folder)]
    pub to: S3Location,
    /// Before writing, walk the new location and refuse (exit 2) when a
    /// partition's new folder holds no data: the copy is incomplete.
    #[arg(long, help_heading = "Safety")]
    pub verify: bool,
    /// With --verify: write even when some new folders hold no data.
    #[arg(long, help_heading = "Safety", requires = "verify")]
    pub force: bool,
}

impl Command for Relocate {
    async fn run(self) -> anyhow::Result<u8> {
        if self.from.to_string() == self.to.to_string() {
            return Err(glutil::Error::InvalidInput(format!(
                "--from and --to are the same folder ({})",
                self.from
            ))
            .into());
        }
        let job = |table| OnTable { args: &self, table };
        many::run_tables(&self.args.tables, Options::for_tables(&self.args), job).await
    }
}

/// One table's relocation.
pub struct Plan {
    table: Table,
    image: TableImage,
    relocation: Relocation,
    examined: u64,
}

impl OnTable<'_, Relocate> {
    /// Partitions whose new folder holds no data, from one walk of the
    /// table's new location.
    async fn incomplete(
        &self,
        session: &Session,
        table: &Table,
        relocation: &Relocation,
    ) -> anyhow::Result<Vec<String>> {
        let root = relocation
            .table
            .as_ref()
            .and_then(|(_, new)| S3Location::parse(new).ok())
            .unwrap_or_else(|| self.to.clone());
        let moved = Table {
            location: root,
            ..table.clone()
        };
        let walk = WalkOptions {
            concurrency: session.concurrency,
            scope: glutil::model::scope::WalkScope::everything(),
            page_size: None,
        };
        let bucket = session.aws.bucket(moved.location.bucket());
        let found = match discover(&bucket, &moved, &walk, &session.progress).await {
            Err(glutil::Error::BucketNotFound { bucket, .. }) => {
                return Err(glutil::Error::InvalidInput(format!(
                    "--to {}: bucket `{bucket}` does not exist, so --verify finds no copy there; nothing was changed",
                    self.to
                ))
                .into());
            }
            found => found?,
        };
        let with_data: HashSet<String> = found
            .partitions
            .iter()
            .map(|p| p.location.to_string())
            .collect();
        Ok(relocation
            .partitions
            .iter()
            .filter_map(|(_, after)| after.location())
            .filter(|l| S3Location::parse(l).map_or(true, |l| !with_data.contains(&l.to_string())))
            .map(str::to_string)
            .collect())
    }
}

impl Job for OnTable<'_, Relocate> {
    fn name(&self) -> &'static str {
        "relocate"
    }
    type Plan = Plan;
    type Outcome = Outcome;

    async fn plan(&self, session: &Session) -> anyhow::Result<Plan> {
        let (db, name) = (&self.table.database, &self.table.table);
        let (table, image) = session.catalog.table_and_image(db, name).await?;
        let partitions = session
            .catalog
            .all_partitions(&table, Detail::Whole)
            .await?;
        let relocation = plan_relocation(&image, &partitions, &self.from, &self.to);
        if self.verify && !relocation.partitions.is_empty() {
            let empty = self.incomplete(session, &table, &relocation).await?;
            if !empty.is_empty() && !self.force {
                let shown: Vec<&str> = empty.iter().take(10).map(String::as_str).collect();
                return Err(glutil::Error::InvalidInput(format!(
                    "{} of {} {} no data, so the copy looks incomplete: {}{}; nothing was changed (--force writes anyway)",
                    if empty.len() == 1 { "1 new folder".to_string() } else { format!("{} new folders", empty.len()) },
                    table.qualified_name(),
                    if empty.len() == 1 { "holds" } else { "hold" },
                    shown.join(", "),
                    if empty.len() > 10 { ", ..." } else { "" }
                ))
                .into());
            }
        }
        Ok(Plan {
            examined: partitions.len() as u64,
            table,
            image,
            relocation,
        })
    }

    fn changes_anything(&self, plan: &Plan) -> bool {
        plan.relocation.table.is_some() || !plan.relocation.partitions.is_empty()
    }

    async fn backup<'p>(
        &self,
        plan: &'p Plan,
        _: &Session,
    ) -> anyhow::Result<(Entries<'p>, String)> {
        let table = plan.relocation.table.as_ref().map(|_| Entry::UpdateTable {
            database: self.table.database.clone(),
            table: plan.image.clone(),
        });
        let partitions = plan
            .relocation
            .partitions
            .iter()
            .map(|(before, _)| Entry::update_partition(&plan.table, before));
        Ok((
            Box::new(table.into_iter().chain(partitions)),
            plan.table.qualified_name(),
        ))
    }

    async fn apply(&self, plan: &Plan, session: &Session) -> Outcome {
        if let Some(wanted) = plan
            .relocation
            .table
            .as_ref()
            .and_then(|_| relocated_table(&plan.image, &self.from, &self.to))
        {
            let replan = |fresh: &TableImage| Ok(relocated_table(fresh, &self.from, &self.to));
            let record = |fresh: &TableImage| {
                session.record(&Entry::RereadTable {
                    database: self.table.database.clone(),
                    table: fresh.clone(),
                })
            };
            let written = update_table_checked(
                &session.catalog,
                &self.table.database,
                &plan.image,
                &wanted,
                replan,
                record,
            )
            .await;
            if let Err(err) = written {
                return Outcome {
                    failed: vec![Failure {
                        values: Vec::new(),
                        name: Some(plan.table.qualified_name()),
                        code: "UpdateTable".into(),
                        message: glutil::error::full_message(&err),
                    }],
                    not_attempted: plan.relocation.partitions.len() as u64,
                    ..Outcome::default()
                };
            }
        }
        let after: Vec<PartitionImage> = plan
            .relocation
            .partitions
            .iter()
            .map(|(_, a)| a.clone())
            .collect();
        session
            .write(glutil::apply::Writes::UpdatePartitions(
                plan.table.id(),
                &after,
            ))
            .await
    }

    fn counts(&self, plan: &Plan, run: &Run<Outcome>) -> Vec<(&'static str, u64)> {
        let mut counts = vec![
            ("examined", plan.examined),
            ("to_update", plan.relocation.partitions.len() as u64),
            ("left_alone", plan.relocation.elsewhere.len() as u64),
        ];
        counts.extend(crate::output::update_counts(run));
        counts
    }

    fn report(&self, plan: &Plan, run: &Run<Outcome>) -> std::io::Result<Report> {
        report(self, plan, run)
    }
}

/// The JSON report.
#[derive(Serialize)]
struct Body<'a> {
    command: &'static str,
    dry_run: bool,
    database: &'a str,
    table: &'a str,
    from: String,
    to: String,
    table_location: Option<&'a (String, String)>,
    examined: u64,
    to_update: u64,
    left_alone: Vec<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    updated: Option<u64>,
    failed: &'a [Failure],
}

fn report(job: &OnTable<'_, Relocate>, plan: &Plan, run: &Run<Outcome>) -> std::io::Result<Report> {
    let r = &plan.relocation;
    let body = Body {
        command: "relocate",
        dry_run: run.dry_run,
        database: &plan.table.database,
        table: &plan.table.name,
        from: job.from.to_string(),
        to: job.to.to_string(),
        table_location: r.table.as_ref(),
        examined: plan.examined,
        to_update: r.partitions.len() as u64,
        left_alone: r
            .elsewhere
            .iter()
            .map(|(v, l)| serde_json::json!({"values": v, "location": l}))
            .collect(),
        updated: (!run.dry_run).then_some(run.outcome.applied),
        failed: &run.outcome.failed,
    };
    let verb = if run.dry_run {
        "would update"
    } else {
        "update"
    };
    let mut always: Vec<String> = r
        .table
        .iter()
        .map(|(old, new)| {
            format!(
                "{verb} table {} {old} -> {new}",
                plan.table.qualified_name()
            )
        })
        .collect();
    always.extend(r.elsewhere.iter().map(|(v, l)| {
        format!(
            "left alone {} {} (not under --from)",
            values_text(v),
            l.as_deref().unwrap_or("(no location)")
        )
    }));
    always.extend(failure_lines(&run.outcome.failed));
    let planned = r
        .partitions
        .iter()
        .map(|(b, a)| {
            format!(
                "{verb} {} {} -> {}",
                values_text(&b.values),
                b.location().unwrap_or_default(),
                a.location().unwrap_or_default()
            )
        })
        .collect();
    let mut rows = count_rows(&job.counts(plan, run));
    rows.extend(stop_rows(
        run.outcome.not_attempted,
        run.outcome.stopped.as_ref(),
    ));
    let text = || Text {
        planned,
        always,
        title: format!("relocate {}{}", plan.table.qualified_name(), run.mode()),
        rows,
        ..Text::default()
    };
    Report::of_writes(&body, text, run)
}

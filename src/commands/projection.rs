//! `projection DATABASE TABLE`: switch a table to Athena partition
//! projection, with properties inferred from its partitions and checked
//! against every partition and folder before anything is written.

use std::collections::BTreeMap;

use glutil::apply::update_table_checked;
use glutil::aws::Detail;
use glutil::backup::{Entries, Entry};
use glutil::model::partition::stored_s3_location;
use glutil::model::scope::WalkScope;
use glutil::model::{S3Location, Table, TableImage};
use glutil::plan::gaps::{parse_bound, Every, Slot};
use glutil::plan::projection::{plan_projection, Place, ProjectionPlan, Until};
use glutil::progress::Progress;
use glutil::read::{discover, WalkOptions};
use serde::Serialize;

use crate::args::{TableArgs, WriteArgs};
use crate::driver::{self, Job, Options};
use crate::output::{changed_by_others_line, Report, Row, Run, Text};
use crate::session::Session;
use crate::Command;

/// Switches a table to Athena partition projection, checked first.
///
/// Walks the table's folders and reads its partitions, as the partitioner
/// does, infers a projection for each partition key (integer, date, enum
/// or injected) and a storage.location.template when the folders are not
/// key=value under the table location, then checks that every partition
/// and folder lies where Athena would look for it. Any that would be
/// hidden from Athena stop the run (exit 2) unless --force. The table is
/// backed up first; catalog partitions are left alone (other engines still
/// read them). --disable turns projection off again.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "projection", version, after_help = crate::help::projection())]
pub struct Projection {
    /// The table.
    #[command(flatten)]
    pub table: TableArgs,
    /// Print the inferred properties and the check; change nothing.
    #[arg(long, help_heading = "Safety")]
    pub dry_run: bool,
    /// Write even when partitions would be hidden from Athena.
    #[arg(long, help_heading = "Safety")]
    pub force: bool,
    /// Turn projection off (projection.enabled = false); the other
    /// projection properties stay, for a later switch back.
    #[arg(long, conflicts_with_all = ["until", "force"])]
    pub disable: bool,
    /// Where date ranges end: `now` (NOW: new data is covered without
    /// another run), a time (2025-12-31, 2025-12-31T23) or +DURATION from
    /// now (+30d, +12h) [default: the last value found].
    #[arg(long, value_name = "WHEN")]
    pub until: Option<String>,
    /// Backup, AWS and run options.
    #[command(flatten)]
    pub write: WriteArgs,
}

impl Command for Projection {
    async fn run(self) -> anyhow::Result<u8> {
        self.until_bound(crate::args::now_slot())?;
        driver::run(&self, Options::new(&self.write, self.dry_run)).await
    }
}

impl Projection {
    fn until_bound(&self, now: Slot) -> anyhow::Result<Until> {
        let Some(text) = self.until.as_deref().map(str::trim) else {
            return Ok(Until::Found);
        };
        if text.eq_ignore_ascii_case("now") {
            return Ok(Until::Now);
        }
        if let Some(ahead) = text.strip_prefix('+') {
            let duration = crate::args::parse_age(ahead)
                .map_err(|e| glutil::Error::InvalidInput(format!("--until {text}: {e}")))?;
            return Ok(Until::At(now + duration.as_secs() as i64 / 3600));
        }
        parse_bound(text, Every::Hour, now)
            .map(Until::At)
            .map_err(|e| glutil::Error::InvalidInput(format!("--until: {e}")).into())
    }

    fn qualified(&self) -> String {
        format!("{}.{}", self.table.database, self.table.table)
    }
}

/// What the run would write.
pub struct Plan {
    table: Table,
    /// The table as read, for the backup and the versioned update.
    read: TableImage,
    /// The table with its new parameters.
    wanted: TableImage,
    /// Parameters set (new or changed values) and removed.
    set: BTreeMap<String, String>,
    removed: Vec<String>,
    /// The inferred projection and its check (not for --disable).
    projection: Option<ProjectionPlan>,
}

impl Plan {
    fn refused(&self, force: bool) -> bool {
        !force
            && self
                .projection
                .as_ref()
                .is_some_and(|p| !p.mismatched.is_empty())
    }
}

/// What the write did.
#[derive(Debug, Default)]
pub struct Done {
    updated: bool,
    error: Option<String>,
    changed_by_others: Option<Vec<String>>,
}

/// The table's parameters with every `projection.*` key (and the
/// template) replaced by `new`; with `new` empty, only
/// `projection.enabled = false` is set.
fn with_parameters(
    table: &TableImage,
    new: &BTreeMap<String, String>,
    disable: bool,
) -> TableImage {
    let mut parameters = table.parameters.clone().unwrap_or_default();
    let ours = |k: &str| {
        let k = k.to_ascii_lowercase();
        if disable {
            k == "projection.enabled"
        } else {
            k.starts_with("projection.") || k == "storage.location.template"
        }
    };
    parameters.retain(|k, _| !ours(k));
    if disable {
        parameters.insert("projection.enabled".into(), "false".into());
    } else {
        parameters.extend(new.clone());
    }
    TableImage {
        parameters: Some(parameters),
        ..table.clone()
    }
}

/// What differs between two parameter maps: set (new values) and removed.
fn parameter_changes(
    before: &TableImage,
    after: &TableImage,
) -> (BTreeMap<String, String>, Vec<String>) {
    let empty = BTreeMap::new();
    let old = before.parameters.as_ref().unwrap_or(&empty);
    let new = after.parameters.as_ref().unwrap_or(&empty);
    let set = new
        .iter()
        .filter(|(k, v)| old.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let removed = old
        .keys()
        .filter(|k| !new.contains_key(*k))
        .cloned()
        .collect();
    (set, removed)
}

impl Projection {
    /// Every folder with data and every catalog partition, inferred from
    /// and checked against.
    async fn infer(&self, session: &Session, table: &Table) -> anyhow::Result<ProjectionPlan> {
        let walk = WalkOptions {
            concurrency: session.concurrency,
            scope: WalkScope::everything(),
            page_size: None,
        };
        session.progress.step("walking the table's folders");
        let bucket = session.aws.bucket(table.location.bucket());
        let found = discover(&bucket, table, &walk, &session.progress).await?;
        session.progress.step("reading the catalog's partitions");
        let stored = session
            .catalog
            .all_partitions(table, Detail::Locations)
            .await?;
        let stored: Vec<(Vec<String>, S3Location)> = stored
            .into_iter()
            .filter_map(|p| Some((p.values.clone(), stored_s3_location(p.location())?)))
            .collect();
        let mut places: Vec<Place<'_>> = found
            .partitions
            .iter()
            .map(|p| Place {
                values: p.values.to_vec(),
                location: &p.location,
                source: "folder",
            })
            .collect();
        places.extend(stored.iter().map(|(values, location)| Place {
            values: values.clone(),
            location,
            source: "catalog",
        }));
        let keys: Vec<String> = table
            .partition_keys
            .iter()
            .map(|k| k.name.clone())
            .collect();
        let now = crate::args::now_slot();
        plan_projection(&table.location, &keys, &places, self.until_bound(now)?, now).map_err(
            |problem| {
                glutil::Error::UnusableTable {
                    table: table.qualified_name(),
                    problem,
                }
                .into()
            },
        )
    }
}

impl Job for Projection {
    fn name(&self) -> &'static str {
        "projection"
    }
    type Plan = Plan;
    type Outcome = Done;

    async fn plan(&self, session: &Session) -> anyhow::Result<Plan> {
        let (database, name) = (&self.table.database, &self.table.table);
        let (table, read) = session.catalog.table_and_image(database, name).await?;
        table.check_partitioned()?;
        let projection = match self.disable {
            true => None,
            false => Some(self.infer(session, &table).await?),
        };
        let new = projection
            .as_ref()
            .map(|p| p.parameters.clone())
            .unwrap_or_default();
        let wanted = with_parameters(&read, &new, self.disable);
        let (set, removed) = parameter_changes(&read, &wanted);
        Ok(Plan {
            table,
            read,
            wanted,
            set,
            removed,
            projection,
        })
    }

    fn changes_anything(&self, plan: &Plan) -> bool {
        !plan.refused(self.force) && (!plan.set.is_empty() || !plan.removed.is_empty())
    }

    async fn backup<'p>(
        &self,
        plan: &'p Plan,
        _: &Session,
    ) -> anyhow::Result<(Entries<'p>, String)> {
        let entry = Entry::UpdateTable {
            database: self.table.database.clone(),
            table: plan.read.clone(),
        };
        Ok((Box::new(std::iter::once(entry)), self.qualified()))
    }

    async fn apply(&self, plan: &Plan, session: &Session) -> Done {
        let new = plan
            .projection
            .as_ref()
            .map(|p| p.parameters.clone())
            .unwrap_or_default();
        let replan = |fresh: &TableImage| {
            let again = with_parameters(fresh, &new, self.disable);
            Ok((again != *fresh).then_some(again))
        };
        let record = |fresh: &TableImage| {
            session.record(&Entry::RereadTable {
                database: self.table.database.clone(),
                table: fresh.clone(),
            })
        };
        let database = &self.table.database;
        match update_table_checked(
            &session.catalog,
            database,
            &plan.read,
            &plan.wanted,
            replan,
            record,
        )
        .await
        {
            Ok(update) => Done {
                updated: update.written,
                error: None,
                changed_by_others: update.changed_by_others,
            },
            Err(err) => Done {
                updated: false,
                error: Some(glutil::error::full_message(&err)),
                changed_by_others: None,
            },
        }
    }

    fn warnings(&self, plan: &Plan) -> Vec<String> {
        plan.projection
            .iter()
            .flat_map(|p| p.notes.clone())
            .collect()
    }

    fn report(&self, plan: &Plan, run: &Run<Done>) -> std::io::Result<Report> {
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
    action: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    projection: Option<&'a ProjectionPlan>,
    set: &'a BTreeMap<String, String>,
    removed: &'a [String],
    refused: bool,
    to_update: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    updated: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    changed_by_others: Option<&'a [String]>,
}

fn report(job: &Projection, plan: &Plan, run: &Run<Done>) -> std::io::Result<Report> {
    let refused = plan.refused(job.force);
    let to_update = u64::from(!refused && (!plan.set.is_empty() || !plan.removed.is_empty()));
    let body = Body {
        command: "projection",
        dry_run: run.dry_run,
        database: &plan.table.database,
        table: &plan.table.name,
        action: if job.disable { "disable" } else { "enable" },
        projection: plan.projection.as_ref(),
        set: &plan.set,
        removed: &plan.removed,
        refused,
        to_update,
        updated: (!run.dry_run).then_some(u64::from(run.outcome.updated)),
        error: run.outcome.error.as_deref(),
        changed_by_others: run.outcome.changed_by_others.as_deref(),
    };
    let text = || Text {
        always: text_lines(plan, run),
        title: format!("projection {}{}", plan.table.qualified_name(), run.mode()),
        rows: text_rows(plan, run, to_update),
        min_width: 17,
        ..Text::default()
    };
    let mut report = Report::new(&body, text, run)?;
    if let Some(changed) = &run.outcome.changed_by_others {
        report.warnings.push(changed_by_others_line(
            &plan.table.qualified_name(),
            changed,
        ));
    }
    if refused {
        let n = plan.projection.as_ref().map_or(0, |p| p.mismatched.len());
        report.error = Some(format!(
            "{n} {} not where the projection would look for {}, so Athena would stop seeing that data; nothing was written. Move {}, or pass --force to switch anyway",
            if n == 1 { "partition or folder is" } else { "partitions or folders are" },
            if n == 1 { "it" } else { "them" },
            if n == 1 { "it" } else { "them" },
        ));
        return Ok(report.exit(crate::EXIT_BAD_INPUT));
    }
    let failed = run.outcome.error.is_some();
    Ok(report.exit(crate::exit_status(failed)))
}

fn text_lines(plan: &Plan, run: &Run<Done>) -> Vec<String> {
    let verb = if run.dry_run { "would set" } else { "set" };
    let mut lines: Vec<String> = plan
        .set
        .iter()
        .map(|(k, v)| format!("{verb} {k} = {v}"))
        .collect();
    let verb = if run.dry_run {
        "would remove"
    } else {
        "remove"
    };
    lines.extend(plan.removed.iter().map(|k| format!("{verb} {k}")));
    if let Some(projection) = &plan.projection {
        lines.extend(projection.mismatched.iter().take(20).map(|m| {
            format!(
                "hidden from Athena [{}] ({}) {}: Athena would read {}",
                m.values.join(", "),
                m.source,
                m.location,
                m.expected
            )
        }));
        if projection.mismatched.len() > 20 {
            lines.push(format!(
                "... and {} more (--output json lists them all)",
                projection.mismatched.len() - 20
            ));
        }
    }
    if let Some(error) = &run.outcome.error {
        lines.push(format!("failed: {error}"));
    }
    lines
}

fn text_rows(plan: &Plan, run: &Run<Done>, to_update: u64) -> Vec<Row> {
    let mut rows = Vec::new();
    if let Some(p) = &plan.projection {
        for key in &p.keys {
            rows.push(Row::shown(
                &format!("key {}", key.key),
                format!("{} ({} values found)", key.describe(), key.distinct_values),
            ));
        }
        rows.push(Row::shown(
            "template",
            p.template
                .as_deref()
                .unwrap_or("none (key=value folders under the table location)"),
        ));
        rows.push(Row::shown("checked", p.checked));
        rows.push(Row::shown("mismatched", p.mismatched.len()));
        let count =
            |n: Option<u64>| n.map_or("unbounded (injected keys)".to_string(), |n| n.to_string());
        rows.push(Row::shown("projected slots", count(p.projected_slots)));
        rows.push(Row::shown("empty slots", count(p.empty_slots)));
    }
    rows.push(Row::shown("to update", to_update));
    rows.push(Row::field(
        "updated",
        run.written(u64::from(run.outcome.updated)),
    ));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use glutil::model::kind::parameter;

    fn image(params: &[(&str, &str)]) -> TableImage {
        TableImage {
            name: "t".into(),
            parameters: Some(
                params
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            ..TableImage::default()
        }
    }

    #[test]
    fn old_projection_properties_are_replaced_and_others_kept() {
        let before = image(&[
            ("classification", "parquet"),
            ("Projection.Enabled", "false"),
            ("projection.old.type", "injected"),
            ("storage.location.template", "s3://b/old/${old}/"),
        ]);
        let new = BTreeMap::from([
            ("projection.enabled".to_string(), "true".to_string()),
            ("projection.dt.type".to_string(), "date".to_string()),
        ]);
        let after = with_parameters(&before, &new, false);
        let p = after.parameters.as_ref().unwrap();
        assert_eq!(p.len(), 3, "{p:?}");
        assert_eq!(p["classification"], "parquet");
        assert_eq!(parameter(p, "projection.enabled"), Some("true"));
        let (set, removed) = parameter_changes(&before, &after);
        assert_eq!(set.len(), 2);
        assert_eq!(removed.len(), 3);
        let off = with_parameters(&after, &BTreeMap::new(), true);
        let p = off.parameters.as_ref().unwrap();
        assert_eq!(p["projection.enabled"], "false");
        assert_eq!(p["projection.dt.type"], "date");
    }
}

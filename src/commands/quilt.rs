//! `quilt-tables BUCKET --database D`: the Glue tables and views that make
//! a bucket's Quilt package metadata queryable in Athena, written straight
//! into the catalog (no DDL to paste).

use glutil::apply::{update_table_checked, Writes};
use glutil::backup::{Entries, Entry, TableImage};
use glutil::model::outcome::{Failure, Outcome, Stopped};
use glutil::model::quilt::{differences, quilt_tables};
use glutil::model::S3Location;
use glutil::read::snapshot::{folder_presence, Presence};

use crate::args::WriteArgs;
use crate::driver::{self, Job, Options};
use crate::output::{
    changed_by_others_line, count_rows, failure_lines, stop_rows, Report, Run, Text,
};
use crate::session::Session;
use crate::Command;

/// Defines the Athena tables and views over a bucket's Quilt packages.
///
/// Writes four objects into the database: `<bucket>_quilt_manifests` (every
/// manifest line, JSON), `<bucket>_quilt_packages` (every pointer file's top
/// hash), and the views `<bucket>_quilt_packages_view` (user, name, hash,
/// timestamp, message, meta) and `<bucket>_quilt_objects_view` (one row per
/// file of each package revision). Views are stored the way Athena stores
/// them, so Athena and Trino query them with no DDL run. A rerun changes
/// nothing; an object that differs is shown and updated (backup first);
/// --drop removes the four (backup first). Nothing else in the database is
/// touched.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "quilt-tables", version, after_help = crate::help::quilt_tables())]
pub struct QuiltTables {
    /// The Quilt bucket (`my-bucket` or `s3://my-bucket`).
    #[arg(value_name = "BUCKET", value_parser = bucket_name)]
    pub bucket: String,
    /// The Glue database to write the tables and views into (it must exist).
    #[arg(long, value_name = "DATABASE", value_parser = crate::args::catalog_name)]
    pub database: String,
    /// Print what would change; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Remove the four objects instead (those that exist).
    #[arg(long)]
    pub drop: bool,
    /// Backup, AWS and run options.
    #[command(flatten)]
    pub write: WriteArgs,
}

/// A bucket name, given bare or as `s3://name[/]`: 3 to 63 lower-case
/// letters, digits, dots and dashes.
fn bucket_name(text: &str) -> Result<String, String> {
    let name = text.trim();
    let name = name.strip_prefix("s3://").unwrap_or(name);
    let name = name.strip_suffix('/').unwrap_or(name);
    let valid = (3..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
    if valid {
        Ok(name.to_string())
    } else {
        Err(format!(
            "`{text}` is not an S3 bucket name (3 to 63 lower-case letters, digits, dots and dashes)"
        ))
    }
}

impl Command for QuiltTables {
    async fn run(self) -> anyhow::Result<u8> {
        driver::run(&self, Options::new(&self.write, self.dry_run)).await
    }
}

/// What happens to one of the four objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// It does not exist: created.
    Create,
    /// It exists and differs: updated.
    Update,
    /// It exists as wanted.
    Unchanged,
    /// `--drop`, and it exists: deleted.
    Drop,
    /// `--drop`, and it does not exist.
    Absent,
}

/// One of the four objects: what is wanted, what is there, and what to do.
#[derive(Debug, serde::Serialize)]
pub struct Object {
    name: String,
    kind: &'static str,
    action: Action,
    /// What differs, for an update.
    differs: Vec<&'static str>,
    #[serde(skip)]
    wanted: TableImage,
    #[serde(skip)]
    existing: Option<TableImage>,
}

/// The plan: the four objects in order, tables before views.
pub struct Plan {
    objects: Vec<Object>,
}

impl QuiltTables {
    /// Updates one object only as it was read; if someone changed it
    /// since, it is compared again as it is now. True when written.
    async fn update(
        &self,
        object: &Object,
        session: &Session,
        outcome: &mut Outcome,
    ) -> glutil::Result<bool> {
        let Some(existing) = &object.existing else {
            return Ok(false);
        };
        let replan = |fresh: &TableImage| {
            Ok((!differences(fresh, &object.wanted).is_empty()).then(|| object.wanted.clone()))
        };
        let record = |fresh: &TableImage| {
            session.record(&Entry::RereadTable {
                database: self.database.clone(),
                table: fresh.clone(),
            })
        };
        let update = update_table_checked(
            &session.catalog,
            &self.database,
            existing,
            &object.wanted,
            replan,
            record,
        )
        .await?;
        if let Some(changed) = update.changed_by_others {
            outcome
                .changed_by_others
                .push((self.qualified(&object.name), changed));
        }
        Ok(update.written)
    }

    fn qualified(&self, name: &str) -> String {
        format!("{}.{name}", self.database)
    }

    fn changes<'p>(&self, plan: &'p Plan) -> impl Iterator<Item = &'p Object> + 'p {
        plan.objects
            .iter()
            .filter(|o| matches!(o.action, Action::Create | Action::Update | Action::Drop))
    }
}

impl Job for QuiltTables {
    fn name(&self) -> &'static str {
        "quilt-tables"
    }
    type Plan = Plan;
    type Outcome = Outcome;

    async fn plan(&self, session: &Session) -> anyhow::Result<Plan> {
        session.catalog.check_database(&self.database).await?;
        if !self.drop {
            let quilt = S3Location::new(self.bucket.as_str(), ".quilt/");
            let problem = match folder_presence(&session.aws, &quilt).await? {
                Presence::Data => None,
                Presence::NoBucket => Some(format!("bucket {} does not exist", self.bucket)),
                Presence::NoData => Some(format!(
                    "bucket {} has no .quilt/ folder: it holds no Quilt packages",
                    self.bucket
                )),
            };
            if let Some(problem) = problem {
                return Err(glutil::Error::InvalidInput(problem).into());
            }
        }
        let mut objects = Vec::new();
        for wanted in quilt_tables(&self.bucket, &self.database) {
            let existing = session
                .catalog
                .table_definition(&self.database, &wanted.name)
                .await?;
            let differs = existing
                .as_ref()
                .map(|e| differences(e, &wanted))
                .unwrap_or_default();
            let action = match (&existing, self.drop) {
                (Some(_), true) => Action::Drop,
                (None, true) => Action::Absent,
                (None, false) => Action::Create,
                (Some(_), false) if differs.is_empty() => Action::Unchanged,
                (Some(_), false) => Action::Update,
            };
            let kind = match wanted.table_type.as_deref() {
                Some("VIRTUAL_VIEW") => "view",
                _ => "table",
            };
            objects.push(Object {
                name: wanted.name.clone(),
                kind,
                action,
                differs,
                wanted,
                existing,
            });
        }
        Ok(Plan { objects })
    }

    fn changes_anything(&self, plan: &Plan) -> bool {
        self.changes(plan).next().is_some()
    }

    async fn backup<'p>(
        &self,
        plan: &'p Plan,
        _: &Session,
    ) -> anyhow::Result<(Entries<'p>, String)> {
        let database = self.database.clone();
        let entries = self.changes(plan).flat_map(move |o| {
            let database = database.clone();
            match (o.action, &o.existing) {
                (Action::Create, _) => vec![Entry::CreateTable {
                    database,
                    table: o.wanted.clone(),
                }],
                (Action::Update, Some(before)) => vec![Entry::UpdateTable {
                    database,
                    table: before.clone(),
                }],
                (Action::Drop, Some(before)) => Entry::delete_table(&database, before, &[]),
                _ => Vec::new(),
            }
        });
        Ok((Box::new(entries), self.database.clone()))
    }

    async fn apply(&self, plan: &Plan, session: &Session) -> Outcome {
        let mut outcome = Outcome::default();
        for object in self.changes(plan) {
            let written = match object.action {
                Action::Create => session
                    .catalog
                    .create_table(&self.database, &object.wanted)
                    .await
                    .map(|()| true),
                Action::Update => self.update(object, session, &mut outcome).await,
                _ => continue,
            };
            match written {
                Ok(true) => outcome.applied += 1,
                Ok(false) => {}
                Err(err) => {
                    let code = err.failure().map_or("Error".to_string(), |f| f.code_text());
                    outcome
                        .failed
                        .push(Failure::table(&object.name, code, err.to_string()))
                }
            }
        }
        // Views first, then the tables they read.
        let drops: Vec<String> = plan
            .objects
            .iter()
            .rev()
            .filter(|o| o.action == Action::Drop)
            .map(|o| o.name.clone())
            .collect();
        if !drops.is_empty() {
            let dropped = session
                .write(Writes::DeleteTables(self.database.clone(), &drops))
                .await;
            outcome.applied += dropped.applied;
            outcome.already_done += dropped.already_done;
            outcome.failed.extend(dropped.failed);
            outcome.not_attempted += dropped.not_attempted;
            outcome.stopped = outcome.stopped.or(dropped.stopped);
        }
        outcome
    }

    fn counts(&self, plan: &Plan, run: &Run<Outcome>) -> Vec<(&'static str, u64)> {
        let count = |a: Action| plan.objects.iter().filter(|o| o.action == a).count() as u64;
        let mut counts = vec![
            ("to_create", count(Action::Create)),
            ("to_update", count(Action::Update)),
            ("unchanged", count(Action::Unchanged)),
            ("to_delete", count(Action::Drop)),
        ];
        if !run.dry_run {
            // What was asked and did not fail (a re-planned update that found
            // nothing left to change is not counted).
            let failed = |o: &Object| {
                run.outcome
                    .failed
                    .iter()
                    .any(|f| f.name.as_deref() == Some(o.name.as_str()))
            };
            let done = |a: Action| {
                plan.objects
                    .iter()
                    .filter(|o| o.action == a && !failed(o))
                    .count() as u64
            };
            // `applied` counts creates, written updates and drops.
            let (created, deleted) = (done(Action::Create), done(Action::Drop));
            let updated = run.outcome.applied.saturating_sub(created + deleted);
            counts.extend([
                ("created", created),
                ("updated", updated),
                ("deleted", deleted),
                ("failed", run.outcome.failed.len() as u64),
            ]);
        }
        counts
    }

    fn report(&self, plan: &Plan, run: &Run<Outcome>) -> std::io::Result<Report> {
        let outcome = &run.outcome;
        let counts = self.counts(plan, run);
        let body = Body {
            command: "quilt-tables",
            dry_run: run.dry_run,
            bucket: &self.bucket,
            database: &self.database,
            drop: self.drop,
            objects: &plan.objects,
            applied: outcome.applied,
            failed: &outcome.failed,
            stopped: outcome.stopped.as_ref(),
            changed_by_others: &outcome.changed_by_others,
        };
        let text = || {
            let mut rows = count_rows(&counts);
            rows.extend(stop_rows(outcome.not_attempted, outcome.stopped.as_ref()));
            let mut always: Vec<String> = plan.objects.iter().map(|o| self.line(o, run)).collect();
            always.extend(
                outcome
                    .changed_by_others
                    .iter()
                    .map(|(table, changed)| changed_by_others_line(table, changed)),
            );
            always.extend(failure_lines(&outcome.failed));
            Text {
                always,
                title: format!(
                    "quilt-tables s3://{}/ in {}{}",
                    self.bucket,
                    self.database,
                    run.mode()
                ),
                rows,
                ..Text::default()
            }
        };
        Report::of_writes(&body, text, run)
    }
}

impl QuiltTables {
    /// `create view db.b_quilt_packages_view`, `update table ... (columns)`.
    fn line(&self, object: &Object, run: &Run<Outcome>) -> String {
        let would = if run.dry_run { "would " } else { "" };
        let name = self.qualified(&object.name);
        let kind = object.kind;
        match object.action {
            Action::Create => format!("{would}create {kind} {name}"),
            Action::Update => format!(
                "{would}update {kind} {name} (differs: {})",
                object.differs.join(", ")
            ),
            Action::Unchanged => format!("unchanged {kind} {name}"),
            Action::Drop => format!("{would}drop {kind} {name}"),
            Action::Absent => format!("absent {kind} {name}"),
        }
    }
}

/// The JSON document.
#[derive(serde::Serialize)]
struct Body<'a> {
    command: &'static str,
    dry_run: bool,
    bucket: &'a str,
    database: &'a str,
    drop: bool,
    objects: &'a [Object],
    applied: u64,
    failed: &'a [Failure],
    #[serde(skip_serializing_if = "Option::is_none")]
    stopped: Option<&'a Stopped>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    changed_by_others: &'a [(String, Vec<String>)],
}

#[cfg(test)]
mod tests {
    use super::bucket_name;

    #[test]
    fn buckets_are_given_bare_or_as_urls() {
        assert_eq!(bucket_name("my-bucket").unwrap(), "my-bucket");
        assert_eq!(bucket_name("s3://my.bucket/").unwrap(), "my.bucket");
        assert!(bucket_name("My_Bucket").is_err());
        assert!(bucket_name("s3://ab").is_err());
    }
}

//! `create-table DATABASE TABLE s3://bucket/prefix/`: define a table from
//! its Parquet files, as a Glue crawler would, and register its partitions.

use std::collections::{BTreeMap, HashSet};

use glutil::apply::{update_table_checked, Writes};
use glutil::backup::{Entries, Entry};
use glutil::model::outcome::Outcome;
use glutil::model::partition::DiscoveredPartition;
use glutil::model::scope::WalkScope;
use glutil::model::values::Values;
use glutil::model::{PartitionImage, PartitionKey, S3Location, Table, TableImage, TableName};
use glutil::plan::create::plan_creates;
use glutil::plan::schema::{
    athena_ddl, crawler_table, merge, update_columns, ColumnChanges, KeyColumn,
};
use glutil::progress::Progress;
use glutil::read::files::{file_layout, list_all, read_footers, FileLayout, Footers};
use glutil::read::{discover, WalkOptions};

use crate::args::{catalog_name, WriteArgs};
use crate::driver::{self, Job, Options};
use crate::output::{changed_by_others_line, count_rows, stop_rows, Report, Row, Run, Text};
use crate::session::Session;
use crate::Command;

/// Defines a table from its Parquet files, as a Glue crawler would.
///
/// Reads the Parquet footers under LOCATION (one ranged GET each; by
/// default one file per partition folder), merges their schemas, writes
/// the table as a crawler writes a Parquet table, and creates its
/// partitions. Hive folders (`year=2024/`) name the partition keys; flat
/// ones take --partition-keys (or get `partition_0`, `partition_1`, ... as
/// a crawler names them). A backup is written first.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "create-table", version, after_help = crate::help::create_table())]
pub struct CreateTable {
    /// Glue database name.
    #[arg(value_name = "DATABASE", value_parser = catalog_name)]
    pub database: String,
    /// The table to create.
    #[arg(value_name = "TABLE", value_parser = catalog_name)]
    pub table: String,
    /// The folder that holds the files, e.g. s3://bucket/prefix/.
    #[arg(value_name = "LOCATION", value_parser = crate::args::s3_folder)]
    pub location: S3Location,
    /// Partition keys, one per folder level, with an optional Glue type
    /// (default string): `year,month,day` or `dt:date`.
    #[arg(long, value_name = "NAME[:TYPE],...", value_delimiter = ',', value_parser = key_column)]
    pub partition_keys: Vec<KeyColumn>,
    /// Read every file's footer, not one per partition folder.
    #[arg(long)]
    pub all_files: bool,
    /// Update an existing table: append the files' new columns and widen
    /// types; columns absent from the files are kept.
    #[arg(long)]
    pub update: bool,
    /// Print the table (as Athena DDL) and the partitions; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Backup, AWS and run options.
    #[command(flatten)]
    pub write: WriteArgs,
}

fn key_column(text: &str) -> Result<KeyColumn, String> {
    let (name, type_name) = text.split_once(':').unwrap_or((text, "string"));
    let name = name.trim().to_lowercase();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!("`{text}`: a key name is letters, digits and _"));
    }
    let type_name = glutil::model::schema::ColumnType::parse(type_name)?.to_string();
    Ok((name, type_name))
}

impl Command for CreateTable {
    async fn run(self) -> anyhow::Result<u8> {
        let options = Options::new(&self.write, self.dry_run);
        driver::run(&self, options).await
    }
}

/// What `create-table` read and will write.
pub struct Plan {
    /// The table as it will be.
    table: TableImage,
    /// The table as it is, for `--update`.
    existing: Option<TableImage>,
    /// What `--update` changes in its columns.
    changes: Option<ColumnChanges>,
    /// Partitions found in S3.
    found: u64,
    /// Partitions to create.
    partitions: Vec<PartitionImage>,
    /// Their folders, for the report.
    to_create: Vec<DiscoveredPartition>,
    /// How the folders were read.
    layout: FileLayout,
    /// Footers read.
    footers: Footers,
    /// A note about keys named `partition_N`.
    note: Option<String>,
    /// The files' merged schema, to plan `--update` again if the table
    /// changes under it.
    merged: glutil::plan::schema::MergedSchema,
}

/// What `create-table` did.
#[derive(Debug, Default)]
pub struct Done {
    /// The table write failed: why.
    table_error: Option<String>,
    /// Someone else changed the table after it was read: what they
    /// changed (the update was planned again on the table as it is now).
    changed_by_others: Option<Vec<String>>,
    /// The partition writes.
    partitions: Outcome,
}

impl Job for CreateTable {
    fn name(&self) -> &'static str {
        "create-table"
    }
    type Plan = Plan;
    type Outcome = Done;

    async fn plan(&self, session: &Session) -> anyhow::Result<Plan> {
        let existing = session
            .catalog
            .table_definition(&self.database, &self.table)
            .await?;
        if existing.is_some() && !self.update {
            return Err(glutil::Error::InvalidInput(format!(
                "table `{}.{}` already exists; pass --update to add the files' new columns and widen types",
                self.database, self.table
            ))
            .into());
        }
        if let Some(why) = existing
            .as_ref()
            .and_then(|t| glutil::model::TableKind::of(t).refusal())
        {
            return Err(glutil::Error::OtherFormat {
                table: format!("{}.{}", self.database, self.table),
                kind: why.to_string(),
            }
            .into());
        }
        self.check_location(existing.as_ref())?;
        let bucket = session.aws.bucket(self.location.bucket());
        session.progress.step("listing the files");
        let objects = list_all(&bucket, &self.location).await?;
        let layout = file_layout(&self.location, objects).map_err(glutil::Error::InvalidInput)?;
        if layout.folders.is_empty() {
            let skipped: u64 = layout.skipped.values().sum();
            let why: Vec<String> = layout
                .skipped
                .iter()
                .map(|(why, n)| format!("{n} {why}"))
                .collect();
            let problem = if skipped == 0 {
                format!("no data files under {}: it holds no objects", self.location)
            } else {
                format!(
                    "no Parquet data files under {}: all {skipped} objects there were skipped ({}); point at the folder that holds the Parquet files",
                    self.location,
                    why.join(", ")
                )
            };
            return Err(glutil::Error::InvalidInput(problem).into());
        }
        let (keys, note) = self.keys(&layout)?;
        let (footers, merged) = self.read_schema(session, &layout).await?;
        let fresh = crawler_table(&self.table, &self.location, &merged, &keys);
        let (table, changes) = match &existing {
            None => (fresh, None),
            Some(existing) => {
                let (table, changes) = updated(existing, &merged)?;
                (table, Some(changes))
            }
        };
        let (found, to_create, partitions) =
            self.partitions(session, &table, existing.is_some()).await?;
        Ok(Plan {
            table,
            existing,
            changes,
            found,
            partitions,
            to_create,
            layout,
            footers,
            note,
            merged,
        })
    }

    fn warnings(&self, plan: &Plan) -> Vec<String> {
        let projected = plan.existing.as_ref().map(glutil::model::TableKind::of)
            == Some(glutil::model::TableKind::Hive { projection: true });
        projected
            .then(|| {
                glutil::model::kind::projection_warning(&format!(
                    "{}.{}",
                    self.database, self.table
                ))
            })
            .into_iter()
            .collect()
    }

    fn changes_anything(&self, plan: &Plan) -> bool {
        plan.existing.is_none()
            || plan.changes.as_ref().is_some_and(|c| !c.is_empty())
            || !plan.partitions.is_empty()
    }

    async fn backup<'p>(
        &self,
        plan: &'p Plan,
        _: &Session,
    ) -> anyhow::Result<(Entries<'p>, String)> {
        let database = self.database.clone();
        let entries = match (&plan.existing, &plan.changes) {
            (None, _) => vec![Entry::CreateTable {
                database,
                table: plan.table.clone(),
            }],
            (Some(existing), Some(changes)) if !changes.is_empty() => vec![Entry::UpdateTable {
                database,
                table: existing.clone(),
            }],
            _ => Vec::new(),
        };
        let id = glutil::model::TableId::new(&self.database, &self.table);
        let target = id.qualified();
        let partitions = plan
            .partitions
            .iter()
            .map(move |p| Entry::create_partition(&id, p));
        Ok((Box::new(entries.into_iter().chain(partitions)), target))
    }

    async fn apply(&self, plan: &Plan, session: &Session) -> Done {
        let catalog = &session.catalog;
        let mut changed_by_others = None;
        let written = match (&plan.existing, &plan.changes) {
            (None, _) => catalog.create_table(&self.database, &plan.table).await,
            (Some(existing), Some(changes)) if !changes.is_empty() => {
                // The files' columns merged into the table as it is now.
                let replan = |fresh: &TableImage| {
                    let (table, changes) = updated(fresh, &plan.merged)
                        .map_err(|e| glutil::Error::InvalidInput(format!("{e:#}")))?;
                    Ok((!changes.is_empty()).then_some(table))
                };
                let record = |fresh: &TableImage| {
                    session.record(&Entry::RereadTable {
                        database: self.database.clone(),
                        table: fresh.clone(),
                    })
                };
                let update = update_table_checked(
                    catalog,
                    &self.database,
                    existing,
                    &plan.table,
                    replan,
                    record,
                )
                .await;
                update.map(|u| changed_by_others = u.changed_by_others)
            }
            _ => Ok(()),
        };
        if let Err(err) = written {
            return Done {
                table_error: Some(err.to_string()),
                changed_by_others,
                ..Done::default()
            };
        }
        let id = glutil::model::TableId::new(&self.database, &self.table);
        Done {
            table_error: None,
            changed_by_others,
            partitions: session
                .write(Writes::CreatePartitions(id, &plan.partitions))
                .await,
        }
    }

    fn report(&self, plan: &Plan, run: &Run<Done>) -> std::io::Result<Report> {
        let body = self.body(plan, run);
        let mut report = Report::new(&body, || self.text(plan, run), run)?;
        report.warning = plan.note.clone();
        let failed = run.outcome.table_error.is_some() || !run.outcome.partitions.failed.is_empty();
        let partitions = &run.outcome.partitions;
        Ok(report
            .exit(crate::exit_status(failed))
            .stopped(partitions.stopped.as_ref(), partitions.not_attempted))
    }
}

/// An existing table with the files' columns merged in; everything else as
/// it was.
fn updated(
    existing: &TableImage,
    merged: &glutil::plan::schema::MergedSchema,
) -> anyhow::Result<(TableImage, ColumnChanges)> {
    let storage = existing.storage_descriptor.clone().unwrap_or_default();
    let columns: Vec<(String, String)> = storage
        .columns
        .iter()
        .flatten()
        .map(|c| {
            (
                c.name.clone(),
                c.type_name.clone().unwrap_or_else(|| "string".into()),
            )
        })
        .collect();
    let changes = update_columns(&columns, merged).map_err(glutil::Error::InvalidInput)?;
    let mut table = existing.clone();
    let mut new_storage = storage;
    new_storage.columns = Some(
        changes
            .columns
            .iter()
            .map(|(name, type_name)| glutil::model::definition::ColumnImage {
                name: name.clone(),
                type_name: Some(type_name.clone()),
                comment: None,
                parameters: None,
            })
            .collect(),
    );
    table.storage_descriptor = Some(new_storage);
    Ok((table, changes))
}

impl CreateTable {
    /// Reads the sampled footers and merges their schemas.
    async fn read_schema(
        &self,
        session: &Session,
        layout: &FileLayout,
    ) -> anyhow::Result<(Footers, glutil::plan::schema::MergedSchema)> {
        let bucket = session.aws.bucket(self.location.bucket());
        let sample = layout.sample(self.all_files);
        session
            .progress
            .step(&format!("reading {} footers", sample.len()));
        let footers = read_footers(&bucket, &sample, session.concurrency).await?;
        if footers.schemas.is_empty() && !footers.archived.is_empty() {
            let shown: Vec<String> = footers
                .archived
                .iter()
                .take(5)
                .map(|(url, class)| format!("{url} ({class})"))
                .collect();
            let more = footers.archived.len().saturating_sub(shown.len());
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            let problem = format!(
                "no readable Parquet file under {}: {} archived file(s) cannot be read until restored: {}{more}; restore some (S3 RestoreObject) or point at a readable copy",
                self.location,
                footers.archived.len(),
                shown.join(", ")
            );
            return Err(glutil::Error::InvalidInput(problem).into());
        }
        if footers.schemas.is_empty() {
            let problem = format!("no Parquet files under {}", self.location);
            return Err(glutil::Error::InvalidInput(problem).into());
        }
        let merged =
            merge(&footers.schemas).map_err(|c| glutil::Error::InvalidInput(c.to_string()))?;
        Ok((footers, merged))
    }

    /// `--update` reads the files at the table's own location: another
    /// folder is a mistake worth stopping for.
    fn check_location(&self, existing: Option<&TableImage>) -> anyhow::Result<()> {
        let stored = existing
            .and_then(|t| t.storage_descriptor.as_ref())
            .and_then(|sd| sd.location.as_deref());
        match stored.map(S3Location::parse) {
            Some(Ok(location)) if location != self.location => Err(glutil::Error::InvalidInput(format!(
                "table `{}.{}` is at {location}, not {}; --update reads the files at the table's location",
                self.database, self.table, self.location
            ))
            .into()),
            _ => Ok(()),
        }
    }

    /// The partition keys: Hive folder names, else --partition-keys, else
    /// `partition_N` with a note saying how to name them.
    fn keys(&self, layout: &FileLayout) -> anyhow::Result<(Vec<KeyColumn>, Option<String>)> {
        let given = &self.partition_keys;
        if !given.is_empty() && given.len() != layout.levels.len() {
            return Err(glutil::Error::InvalidInput(format!(
                "--partition-keys names {} keys, but the files sit {} folder levels below {}",
                given.len(),
                layout.levels.len(),
                self.location
            ))
            .into());
        }
        let mut keys = Vec::new();
        let mut unnamed = false;
        for (level, hive) in layout.levels.iter().enumerate() {
            let key = match (hive, given.get(level)) {
                (Some(name), Some((given_name, _))) if name != given_name => {
                    return Err(glutil::Error::InvalidInput(format!(
                        "folder level {} is Hive style `{name}=`, but --partition-keys calls it `{given_name}`",
                        level + 1
                    ))
                    .into())
                }
                (_, Some(given)) => given.clone(),
                (Some(name), None) => (name.clone(), "string".to_string()),
                (None, None) => {
                    unnamed = true;
                    (format!("partition_{level}"), "string".to_string())
                }
            };
            keys.push(key);
        }
        let note = unnamed.then(|| {
            let names: Vec<&str> = keys.iter().map(|(n, _)| n.as_str()).collect();
            format!(
                "flat folders carry no key names, so the keys are {} as a crawler names them; name them with --partition-keys (e.g. --partition-keys {})",
                names.join(", "),
                example_keys(keys.len())
            )
        });
        Ok((keys, note))
    }

    /// The partitions the table's folders hold and the catalog lacks,
    /// found by the partitioner's own walk.
    async fn partitions(
        &self,
        session: &Session,
        table: &TableImage,
        exists: bool,
    ) -> anyhow::Result<(u64, Vec<DiscoveredPartition>, Vec<PartitionImage>)> {
        let keys: Vec<PartitionKey> = table
            .partition_keys
            .iter()
            .flatten()
            .map(|c| PartitionKey::new(&c.name, c.type_name.as_deref().unwrap_or("string")))
            .collect();
        if keys.is_empty() {
            return Ok((0, Vec::new(), Vec::new()));
        }
        let model = Table {
            database: self.database.clone(),
            name: self.table.clone(),
            location: self.location.clone(),
            partition_keys: keys,
            storage_descriptor: table.storage_descriptor.clone().unwrap_or_default(),
            projected: glutil::model::TableKind::of(table)
                == glutil::model::TableKind::Hive { projection: true },
        };
        let walk = WalkOptions {
            concurrency: session.concurrency,
            scope: WalkScope::everything(),
            page_size: None,
        };
        let bucket = session.aws.bucket(self.location.bucket());
        let discovery = discover(&bucket, &model, &walk, &session.progress).await?;
        let in_catalog: HashSet<Values> = if exists {
            let present = session
                .catalog
                .all_partitions(&model, glutil::aws::Detail::Locations)
                .await?;
            present
                .into_iter()
                .map(|p| Values::from(p.values))
                .collect()
        } else {
            HashSet::new()
        };
        let plan = plan_creates(&discovery.partitions, &in_catalog);
        let definitions = plan
            .to_create
            .iter()
            .map(|p| p.definition(&model))
            .collect();
        Ok((
            discovery.partitions.len() as u64,
            plan.to_create,
            definitions,
        ))
    }

    fn body<'a>(&'a self, plan: &'a Plan, run: &'a Run<Done>) -> Body<'a> {
        let outcome = &run.outcome;
        Body {
            command: "create-table",
            dry_run: run.dry_run,
            database: &self.database,
            table: &self.table,
            location: &self.location,
            exists: plan.existing.is_some(),
            table_input: table_input(&plan.table),
            added_columns: plan
                .changes
                .as_ref()
                .map(|c| c.added.clone())
                .unwrap_or_default(),
            widened_columns: plan
                .changes
                .as_ref()
                .map(|c| c.widened.clone())
                .unwrap_or_default(),
            kept_columns: plan
                .changes
                .as_ref()
                .map(|c| c.kept.clone())
                .unwrap_or_default(),
            files: Files {
                with_data: plan.layout.folders.values().map(|f| f.len() as u64).sum(),
                footers_read: plan.footers.schemas.len() as u64,
                requests: plan.footers.requests,
                bytes_read: plan.footers.bytes_read,
                skipped: &plan.layout.skipped,
                not_parquet: plan
                    .footers
                    .not_parquet
                    .iter()
                    .map(|(url, why)| NotParquet {
                        file: url,
                        reason: why,
                    })
                    .collect(),
                archived: plan
                    .footers
                    .archived
                    .iter()
                    .map(|(url, class)| Archived {
                        file: url,
                        storage_class: class,
                    })
                    .collect(),
            },
            found: plan.found,
            to_create: &plan.to_create,
            created: outcome.partitions.applied,
            already_existed: outcome.partitions.already_done,
            failed: &outcome.partitions.failed,
            not_attempted: outcome.partitions.not_attempted,
            stopped: outcome.partitions.stopped.as_ref(),
            table_error: outcome.table_error.as_deref(),
            changed_by_others: outcome.changed_by_others.as_deref(),
        }
    }

    fn text(&self, plan: &Plan, run: &Run<Done>) -> Text {
        let mut planned = Vec::new();
        if plan.existing.is_none() || plan.changes.as_ref().is_some_and(|c| !c.is_empty()) {
            planned.extend(
                athena_ddl(&self.database, &plan.table)
                    .lines()
                    .map(String::from),
            );
        }
        let would = if run.dry_run { "would " } else { "" };
        let mut always = change_lines(plan.changes.as_ref(), would);
        always.extend(
            plan.footers
                .not_parquet
                .iter()
                .map(|(url, why)| format!("skipped {url}: {why}")),
        );
        always.extend(plan.footers.archived.iter().map(|(url, class)| {
            format!(
                "skipped {url}: archived ({class}), not restored; read another file of its folder"
            )
        }));
        if let Some(changed) = &run.outcome.changed_by_others {
            always.push(changed_by_others_line(
                &format!("{}.{}", self.database, self.table),
                changed,
            ));
        }
        if let Some(error) = &run.outcome.table_error {
            always.push(format!("failed table {}: {error}", self.table));
        }
        always.extend(crate::output::failure_lines(&run.outcome.partitions.failed));
        if plan.existing.is_some()
            && !run.dry_run
            && plan.changes.as_ref().is_some_and(|c| !c.is_empty())
        {
            always.push(format!(
                "existing partitions keep their old columns: run `update-storage {} {}` to copy the new schema into them",
                self.database, self.table
            ));
        }
        Text {
            planned,
            always,
            title: format!(
                "create-table {}.{} at {}{}",
                self.database,
                self.table,
                self.location,
                run.mode()
            ),
            rows: rows(plan, run),
            ..Text::default()
        }
    }
}

/// What `--update` does to the columns, one line each.
fn change_lines(changes: Option<&ColumnChanges>, would: &str) -> Vec<String> {
    let Some(changes) = changes else {
        return Vec::new();
    };
    let mut lines: Vec<String> = changes
        .added
        .iter()
        .map(|c| format!("{would}add column {c}"))
        .collect();
    lines.extend(
        changes
            .widened
            .iter()
            .map(|(c, from, to)| format!("{would}widen column {c} from {from} to {to}")),
    );
    lines.extend(
        changes
            .kept
            .iter()
            .map(|c| format!("keep column {c} (not in the files)")),
    );
    lines
}

/// Key names to suggest for `levels` flat folder levels: the usual time
/// keys when they fit, else numbered ones.
fn example_keys(levels: usize) -> String {
    const TIME: [&str; 4] = ["year", "month", "day", "hour"];
    match levels {
        1 => "dt".to_string(),
        2..=4 => TIME[..levels].join(","),
        _ => (1..=levels)
            .map(|n| format!("key{n}"))
            .collect::<Vec<_>>()
            .join(","),
    }
}

/// The summary rows about the files read.
fn file_rows(plan: &Plan) -> Vec<Row> {
    let files: usize = plan.layout.folders.values().map(Vec::len).sum();
    let footers = plan.footers.schemas.len();
    let mut rows = vec![
        Row::shown("data files", files),
        Row::shown(
            "footers read",
            format!("{footers} ({} bytes)", plan.footers.bytes_read),
        ),
    ];
    rows.extend(
        plan.layout
            .skipped
            .iter()
            .map(|(why, n)| Row::Detail(format!("skipped, {why}"), n.to_string())),
    );
    rows
}

fn rows(plan: &Plan, run: &Run<Done>) -> Vec<Row> {
    let table = match (&plan.existing, &plan.changes, run.dry_run) {
        (None, _, true) => "to create",
        (None, _, false) => "created",
        (Some(_), Some(c), true) if !c.is_empty() => "to update",
        (Some(_), Some(c), false) if !c.is_empty() => "updated",
        _ => "unchanged",
    };
    let columns = plan
        .table
        .storage_descriptor
        .as_ref()
        .and_then(|sd| sd.columns.as_ref())
        .map_or(0, Vec::len);
    let keys: Vec<&str> = plan
        .table
        .partition_keys
        .iter()
        .flatten()
        .map(|k| k.name.as_str())
        .collect();
    let mut rows = vec![
        Row::shown("table", table),
        Row::shown("columns", columns),
        Row::shown(
            "partition keys",
            if keys.is_empty() {
                "none".to_string()
            } else {
                keys.join(", ")
            },
        ),
    ];
    rows.extend(file_rows(plan));
    let written = &run.outcome.partitions;
    let mut counts = vec![
        ("found", plan.found),
        ("to_create", plan.to_create.len() as u64),
    ];
    if !run.dry_run {
        let failed = written.failed.len() + usize::from(run.outcome.table_error.is_some());
        counts.extend([
            ("created", written.applied),
            ("already_existed", written.already_done),
            ("failed", failed as u64),
        ]);
    }
    rows.extend(count_rows(&counts));
    rows.extend(stop_rows(written.not_attempted, written.stopped.as_ref()));
    rows
}

/// The table as Glue's `TableInput` JSON (`aws glue create-table
/// --table-input` takes it): PascalCase field names, none of the fields
/// Glue sets itself, parameter maps as they are.
fn table_input(table: &TableImage) -> serde_json::Value {
    let input = TableImage {
        database_name: None,
        create_time: None,
        update_time: None,
        created_by: None,
        is_registered_with_lake_formation: false,
        catalog_id: None,
        version_id: None,
        ..table.clone()
    };
    pascal_case(serde_json::to_value(input).unwrap_or_default(), false)
}

/// Renames object keys from snake_case to PascalCase, except inside maps
/// of user data (parameters).
fn pascal_case(value: serde_json::Value, user_map: bool) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => serde_json::Value::Object(
            map.into_iter()
                .map(|(key, v)| {
                    let is_map = key == "parameters" || key.ends_with("_maps");
                    let key = if user_map {
                        key
                    } else {
                        key.split('_')
                            .map(|w| {
                                let mut c = w.chars();
                                c.next()
                                    .map(|f| f.to_uppercase().chain(c).collect::<String>())
                                    .unwrap_or_default()
                            })
                            .collect()
                    };
                    (key, pascal_case(v, is_map))
                })
                .collect(),
        ),
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.into_iter().map(|v| pascal_case(v, false)).collect())
        }
        other => other,
    }
}

/// The `create-table` JSON document.
#[derive(serde::Serialize)]
struct Body<'a> {
    command: &'static str,
    dry_run: bool,
    database: &'a str,
    table: &'a str,
    location: &'a S3Location,
    exists: bool,
    table_input: serde_json::Value,
    added_columns: Vec<String>,
    widened_columns: Vec<(String, String, String)>,
    kept_columns: Vec<String>,
    files: Files<'a>,
    found: u64,
    to_create: &'a [DiscoveredPartition],
    created: u64,
    already_existed: u64,
    failed: &'a [glutil::model::outcome::Failure],
    not_attempted: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    stopped: Option<&'a glutil::model::outcome::Stopped>,
    table_error: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    changed_by_others: Option<&'a [String]>,
}

#[derive(serde::Serialize)]
struct Files<'a> {
    with_data: u64,
    footers_read: u64,
    requests: u64,
    bytes_read: u64,
    skipped: &'a BTreeMap<String, u64>,
    not_parquet: Vec<NotParquet<'a>>,
    archived: Vec<Archived<'a>>,
}

/// An archived file passed over for another of its folder.
#[derive(serde::Serialize)]
struct Archived<'a> {
    file: &'a str,
    storage_class: &'a str,
}

#[derive(serde::Serialize)]
struct NotParquet<'a> {
    file: &'a str,
    reason: &'a str,
}

//! `glutil databases` and `glutil tables DATABASE`: the inventory a
//! migration runbook starts with. Read-only.

use std::io::Write;

use futures::stream::{self, StreamExt, TryStreamExt};
use glutil::model::kind::{format_of, parameter};
use glutil::model::table::name_matches;
use glutil::model::{TableId, TableImage, TableKind};
use serde::Serialize;

use crate::args::{catalog_name, AwsArgs, OutputFormat, RunArgs};
use crate::output::aligned;
use crate::session::Session;
use crate::{Command, EXIT_OK};

/// Lists the catalog's databases: name, location, description, tables.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "databases", version, after_help = crate::help::databases())]
pub struct Databases {
    /// How to reach AWS.
    #[command(flatten)]
    pub aws: AwsArgs,
    /// Concurrency and output.
    #[command(flatten)]
    pub run: RunArgs,
}

/// One database in the report.
#[derive(Serialize)]
struct DatabaseRow {
    name: String,
    location_uri: Option<String>,
    description: Option<String>,
    tables: usize,
}

impl Command for Databases {
    async fn run(self) -> anyhow::Result<u8> {
        let session = Session::start(&self.aws, &self.run).await?;
        let databases = session.catalog.databases().await?;
        let rows: Vec<DatabaseRow> = stream::iter(databases)
            .map(|d| {
                let catalog = &session.catalog;
                async move {
                    let tables = catalog.tables(&d.name).await?.len();
                    Ok::<_, glutil::Error>(DatabaseRow {
                        name: d.name,
                        location_uri: d.location_uri,
                        description: d.description,
                        tables,
                    })
                }
            })
            .buffered(session.concurrency.max(1))
            .try_collect()
            .await?;
        let text = || {
            let cells: Vec<Vec<String>> = rows
                .iter()
                .map(|d| {
                    vec![
                        d.name.clone(),
                        d.tables.to_string(),
                        d.location_uri.clone().unwrap_or_else(|| "-".into()),
                        d.description.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            aligned(&["DATABASE", "TABLES", "LOCATION", "DESCRIPTION"], &cells)
        };
        let json = DatabasesDoc {
            command: "databases",
            dry_run: false,
            databases: &rows,
        };
        print(&session, text, &json)?;
        Ok(EXIT_OK)
    }
}

/// Lists a database's tables: kind, format, location, partition keys,
/// partition count, projection, last update.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "tables", version, after_help = crate::help::tables())]
pub struct Tables {
    /// Glue database name.
    #[arg(value_name = "DATABASE", value_parser = catalog_name)]
    pub database: String,
    /// Only these tables [default: every table].
    #[arg(value_name = "TABLE", value_parser = catalog_name)]
    pub names: Vec<String>,
    /// Only tables whose names match this shell-style pattern (repeatable).
    #[arg(long = "tables", value_name = "GLOB")]
    pub globs: Vec<String>,
    /// Do not count partitions (one GetTables only).
    #[arg(long)]
    pub no_count: bool,
    /// How to reach AWS.
    #[command(flatten)]
    pub aws: AwsArgs,
    /// Concurrency and output.
    #[command(flatten)]
    pub run: RunArgs,
}

/// One table in the report.
#[derive(Serialize)]
struct TableRow {
    name: String,
    kind: &'static str,
    format: &'static str,
    location: Option<String>,
    partition_keys: Vec<String>,
    partitions: Option<usize>,
    projection: bool,
    updated: Option<String>,
}

fn kind_word(kind: TableKind) -> &'static str {
    match kind {
        TableKind::Hive { .. } => "external",
        other => other.name(),
    }
}

impl Tables {
    fn picked(&self, name: &str) -> bool {
        (self.names.is_empty() && self.globs.is_empty())
            || self.names.iter().any(|n| n == name)
            || self.globs.iter().any(|g| name_matches(g, name))
    }

    async fn row(&self, session: &Session, table: TableImage) -> anyhow::Result<TableRow> {
        let kind = TableKind::of(&table);
        let keys: Vec<String> = table
            .partition_keys
            .iter()
            .flatten()
            .map(|k| k.name.clone())
            .collect();
        let countable =
            !self.no_count && !keys.is_empty() && matches!(kind, TableKind::Hive { .. });
        let partitions = match countable {
            true => Some(
                session
                    .catalog
                    .all_stored(&TableId::new(&self.database, &table.name))
                    .await?
                    .len(),
            ),
            false => None,
        };
        let empty = Default::default();
        let params = table.parameters.as_ref().unwrap_or(&empty);
        Ok(TableRow {
            kind: kind_word(kind),
            format: format_of(&table),
            location: table
                .storage_descriptor
                .as_ref()
                .and_then(|sd| sd.location.clone()),
            partition_keys: keys,
            partitions,
            projection: parameter(params, "projection.enabled")
                .is_some_and(|v| v.eq_ignore_ascii_case("true")),
            updated: table.update_time.map(|t| t.to_seconds_text()),
            name: table.name,
        })
    }
}

impl Command for Tables {
    async fn run(self) -> anyhow::Result<u8> {
        let session = Session::start(&self.aws, &self.run).await?;
        let images = session.catalog.table_images(&self.database).await?;
        if let Some(missing) = self
            .names
            .iter()
            .find(|n| !images.iter().any(|t| &t.name == *n))
        {
            return Err(glutil::Error::TableNotFound {
                database: self.database.clone(),
                table: missing.clone(),
            }
            .into());
        }
        let picked: Vec<TableImage> = images
            .into_iter()
            .filter(|t| self.picked(&t.name))
            .collect();
        let rows: Vec<TableRow> = stream::iter(picked)
            .map(|t| self.row(&session, t))
            .buffered(session.concurrency.max(1))
            .try_collect()
            .await?;
        let text = || {
            let cells: Vec<Vec<String>> = rows.iter().map(text_cells).collect();
            aligned(
                &[
                    "TABLE",
                    "KIND",
                    "FORMAT",
                    "PARTITIONS",
                    "KEYS",
                    "PROJECTION",
                    "UPDATED",
                    "LOCATION",
                ],
                &cells,
            )
        };
        let json = TablesDoc {
            command: "tables",
            dry_run: false,
            database: &self.database,
            tables: &rows,
        };
        print(&session, text, &json)?;
        Ok(EXIT_OK)
    }
}

fn text_cells(t: &TableRow) -> Vec<String> {
    vec![
        t.name.clone(),
        t.kind.to_string(),
        t.format.to_string(),
        t.partitions.map_or("-".into(), |n| n.to_string()),
        if t.partition_keys.is_empty() {
            "-".into()
        } else {
            t.partition_keys.join(",")
        },
        if t.projection {
            "on".into()
        } else {
            "off".into()
        },
        t.updated.clone().unwrap_or_else(|| "-".into()),
        t.location.clone().unwrap_or_else(|| "-".into()),
    ]
}

/// The `databases` JSON report: the command and `dry_run` first.
#[derive(Serialize)]
struct DatabasesDoc<'a> {
    command: &'static str,
    dry_run: bool,
    databases: &'a [DatabaseRow],
}

/// The `tables` JSON report.
#[derive(Serialize)]
struct TablesDoc<'a> {
    command: &'static str,
    dry_run: bool,
    database: &'a str,
    tables: &'a [TableRow],
}

/// The report as text or JSON, whichever `--output` asked for.
fn print(
    session: &Session,
    text: impl FnOnce() -> String,
    json: &impl Serialize,
) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match session.output.format {
        OutputFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(json)?)?,
        OutputFormat::Text => write!(out, "{}", text())?,
    }
    out.flush()
}

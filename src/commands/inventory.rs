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
        crate::many::check_named(
            &self.database,
            &self.names,
            images.iter().map(|t| t.name.as_str()),
        )?;
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

/// Describes one table: columns, partition keys, storage, parameters,
/// partitions (count, first and last, the layout their locations show);
/// with --audit, how many list-missing and delete-bad would name.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "describe", version, after_help = crate::help::describe())]
pub struct Describe {
    /// The table.
    #[command(flatten)]
    pub table: crate::args::TableArgs,
    /// Also walk the table's folders and count what list-missing and
    /// delete-bad would name.
    #[arg(long)]
    pub audit: bool,
    /// How to reach AWS.
    #[command(flatten)]
    pub aws: AwsArgs,
    /// Concurrency and output.
    #[command(flatten)]
    pub run: RunArgs,
}

/// What the partitions' locations show.
#[derive(Serialize, Default)]
struct LayoutSeen {
    /// `hive`, `flat`, `mixed` or `none`.
    style: &'static str,
    hive: usize,
    flat: usize,
    /// Locations not under the table location (or not in S3).
    outside: usize,
}

/// The `describe` JSON report.
#[derive(Serialize)]
struct DescribeDoc<'a> {
    command: &'static str,
    dry_run: bool,
    database: &'a str,
    table: &'a str,
    kind: &'static str,
    format: &'static str,
    columns: Vec<[String; 3]>,
    partition_keys: Vec<[String; 2]>,
    storage: serde_json::Value,
    parameters: std::collections::BTreeMap<String, String>,
    partitions: Option<usize>,
    first_partition: Option<Vec<String>>,
    last_partition: Option<Vec<String>>,
    layout: Option<LayoutSeen>,
    #[serde(skip_serializing_if = "Option::is_none")]
    missing: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bad: Option<usize>,
}

fn layout_seen(
    table: &glutil::model::Table,
    stored: &[glutil::model::StoredPartition],
) -> LayoutSeen {
    let mut seen = LayoutSeen::default();
    for p in stored {
        let Some(location) = p.s3_location().filter(|l| l.is_under(&table.location)) else {
            seen.outside += 1;
            continue;
        };
        let relative = &location.prefix()[table.location.prefix().len()..];
        if relative
            .split('/')
            .filter(|s| !s.is_empty())
            .all(|s| s.contains('='))
        {
            seen.hive += 1;
        } else {
            seen.flat += 1;
        }
    }
    seen.style = match (seen.hive, seen.flat) {
        (0, 0) if seen.outside > 0 => "outside",
        (0, 0) => "none",
        (_, 0) => "hive",
        (0, _) => "flat",
        _ => "mixed",
    };
    seen
}

impl Describe {
    /// The audit's counts: (missing, bad), from one walk.
    async fn audit_counts(&self, session: &Session) -> anyhow::Result<(usize, usize)> {
        use glutil::plan::audit::Audit;
        use glutil::read::snapshot::{data_presence, read_locations};
        let (aws, concurrency, progress) = (&session.aws, session.concurrency, &session.progress);
        let (db, name) = (&self.table.database, &self.table.table);
        let snapshot = read_locations(aws, db, name, concurrency, progress).await?;
        let presence = data_presence(aws, &snapshot, concurrency, progress).await?;
        let audit = Audit::new(snapshot.partitions, snapshot.discovery, presence);
        Ok((audit.missing().len(), audit.bad().len()))
    }
}

impl Command for Describe {
    async fn run(self) -> anyhow::Result<u8> {
        let session = Session::start(&self.aws, &self.run).await?;
        let (db, name) = (&self.table.database, &self.table.table);
        let image = session.catalog.existing_table(db, name).await?;
        let kind = TableKind::of(&image);
        let hive = matches!(kind, TableKind::Hive { .. })
            && image.partition_keys.as_ref().is_some_and(|k| !k.is_empty());
        let (mut partitions, mut first, mut last, mut layout) = (None, None, None, None);
        if hive {
            let table = glutil::aws::glue::usable_table(db, image.clone())?;
            let mut stored = session.catalog.all_stored(&table).await?;
            stored.sort_by(|a, b| a.values.cmp(&b.values));
            partitions = Some(stored.len());
            first = stored.first().map(|p| p.values.to_vec());
            last = stored.last().map(|p| p.values.to_vec());
            layout = Some(layout_seen(&table, &stored));
        }
        let (missing, bad) = match self.audit && hive {
            true => self
                .audit_counts(&session)
                .await
                .map(|(m, b)| (Some(m), Some(b)))?,
            false => (None, None),
        };
        let sd = image.storage_descriptor.clone().unwrap_or_default();
        let doc = DescribeDoc {
            command: "describe",
            dry_run: false,
            database: db,
            table: name,
            kind: kind_word(kind),
            format: format_of(&image),
            columns: sd
                .columns
                .iter()
                .flatten()
                .map(|c| {
                    [
                        c.name.clone(),
                        c.type_name.clone().unwrap_or_default(),
                        c.comment.clone().unwrap_or_default(),
                    ]
                })
                .collect(),
            partition_keys: image
                .partition_keys
                .iter()
                .flatten()
                .map(|c| [c.name.clone(), c.type_name.clone().unwrap_or_default()])
                .collect(),
            storage: serde_json::json!({
                "location": sd.location,
                "input_format": sd.input_format,
                "output_format": sd.output_format,
                "serde": sd.serde_info.as_ref().and_then(|s| s.serialization_library.clone()),
                "serde_parameters": sd.serde_info.as_ref().and_then(|s| s.parameters.clone()).unwrap_or_default(),
                "compressed": sd.compressed,
            }),
            parameters: image.parameters.clone().unwrap_or_default(),
            partitions,
            first_partition: first,
            last_partition: last,
            layout,
            missing,
            bad,
        };
        print(&session, || describe_text(&doc), &doc)?;
        Ok(EXIT_OK)
    }
}

fn describe_text(d: &DescribeDoc<'_>) -> String {
    let mut out = format!(
        "{}.{}: {} table, {}\n",
        d.database, d.table, d.kind, d.format
    );
    out.push_str("\ncolumns:\n");
    let cols: Vec<Vec<String>> = d.columns.iter().map(|c| c.to_vec()).collect();
    out.push_str(&indent(&aligned(&["NAME", "TYPE", "COMMENT"], &cols)));
    if !d.partition_keys.is_empty() {
        out.push_str("\npartition keys:\n");
        let keys: Vec<Vec<String>> = d.partition_keys.iter().map(|k| k.to_vec()).collect();
        out.push_str(&indent(&aligned(&["NAME", "TYPE"], &keys)));
    }
    out.push_str("\nstorage:\n");
    for key in [
        "location",
        "input_format",
        "output_format",
        "serde",
        "compressed",
    ] {
        let value = &d.storage[key];
        let text = value
            .as_str()
            .map_or_else(|| value.to_string(), str::to_string);
        out.push_str(&format!("  {key}: {text}\n"));
    }
    if let Some(params) = d.storage["serde_parameters"]
        .as_object()
        .filter(|p| !p.is_empty())
    {
        for (k, v) in params {
            out.push_str(&format!("    {k} = {}\n", v.as_str().unwrap_or_default()));
        }
    }
    if !d.parameters.is_empty() {
        out.push_str("\nparameters:\n");
        for (k, v) in &d.parameters {
            out.push_str(&format!("  {k} = {v}\n"));
        }
    }
    if let Some(n) = d.partitions {
        out.push_str(&format!("\npartitions: {n}\n"));
        let values = |v: &Option<Vec<String>>| {
            v.as_ref()
                .map_or("-".to_string(), |v| format!("[{}]", v.join(", ")))
        };
        out.push_str(&format!(
            "  first: {}\n  last:  {}\n",
            values(&d.first_partition),
            values(&d.last_partition)
        ));
        if let Some(l) = &d.layout {
            out.push_str(&format!(
                "  layout: {} ({} hive, {} flat, {} outside the table location)\n",
                l.style, l.hive, l.flat, l.outside
            ));
        }
    }
    if let (Some(m), Some(b)) = (d.missing, d.bad) {
        out.push_str(&format!(
            "  missing (list-missing): {m}\n  bad (delete-bad): {b}\n"
        ));
    }
    out
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}\n")).collect()
}

//! `gaps DATABASE TABLE --rows --time-column COL [--group-by COL...]`: the
//! (group, slot) pairs with fewer rows than `--min-rows`, counted by one
//! Athena query, and whether those slots also lack partitions.

use std::collections::BTreeSet;

use glutil::aws::glue::usable_table;
use glutil::aws::Detail;
use glutil::model::athena::{estimated_cost_usd, QueryStatus};
use glutil::model::{PartitionImage, S3Location, Table};
use glutil::plan::gaps::{find_gaps, slot_rfc3339, slot_text, Every, Slot, TimeKeys};
use glutil::plan::row_gaps::{column_type, find_row_gaps, partition_filter, RowCount, RowGaps};
use glutil::progress::Progress;
use glutil::read::snapshot::folders_with_data_by_parent;

use crate::args::TableArgs;
use crate::commands::gaps::{shell_word, slot_folders, EveryArg, GapsArgs};
use crate::commands::params::Planned;
use crate::commands::query::{cost_line, run_and_read};
use crate::output::{Report, Row, Run, Text};
use crate::session::Session;
use crate::{EXIT_FOUND, EXIT_OK};

/// What `gaps --rows` found for one table.
pub struct RowsFound {
    pub(crate) table: Table,
    count: RowCount,
    min_rows: u64,
    sql: String,
    status: QueryStatus,
    found: RowGaps,
    /// Per gap: whether its slot has a partition (`None`: the table has no
    /// time partition keys), and whether the slot's folder holds data.
    partitions: Vec<(Option<bool>, bool)>,
}

/// The time keys of a table, when its partition keys after the `--prefix`
/// values name a time; `None` otherwise (the rows are still counted).
fn time_keys(
    args: &GapsArgs,
    table: &Table,
    values: &[&[String]],
) -> anyhow::Result<Option<TimeKeys>> {
    if table.partition_keys.len() <= args.prefix.len() {
        return Ok(None);
    }
    let every = args.every.map_or(Every::Day, EveryArg::every);
    match TimeKeys::detect(
        &table.partition_keys,
        args.prefix.len(),
        args.value_format.as_deref(),
        values,
        every,
    ) {
        Ok(keys) => Ok(Some(keys)),
        // --value-format or --every that do not fit are the user's to fix.
        Err(err) if args.value_format.is_some() || args.every.is_some() => {
            Err(anyhow::Error::new(err))
        }
        Err(_) => Ok(None),
    }
}

/// The window: --since and --until, else what the catalog's time keys
/// hold; a table without them needs --since (and --until defaults to the
/// last whole slot before now).
fn window(
    args: &GapsArgs,
    keys: Option<&TimeKeys>,
    every: Every,
    values: &[&[String]],
) -> anyhow::Result<(Slot, Slot)> {
    let (since, until) = args.bounds(every)?;
    if let Some(keys) = keys {
        let gaps = find_gaps(keys, every, values, since, until)?;
        return Ok((gaps.since, gaps.until));
    }
    let Some(since) = since else {
        return Err(glutil::Error::InvalidInput(
            "--rows on a table without time partition keys needs --since (and --until, else the last whole slot before now)".to_string(),
        )
        .into());
    };
    let step = match every {
        Every::Hour => 1,
        Every::Day => 24,
    };
    let now = crate::args::now_slot();
    let until = until.unwrap_or(now - now.rem_euclid(step) - step);
    if since > until {
        return Err(glutil::Error::InvalidInput(format!(
            "--since {} is after --until {}",
            slot_text(since, every),
            slot_text(until, every)
        ))
        .into());
    }
    Ok((since, until))
}

/// The table to count rows of. Any table Athena can query will do: a
/// view, an Iceberg, Delta or Hudi table has its rows counted with no
/// partition checks (its partitions are not in Glue), and so has a table
/// with partition projection (Athena ignores the Glue partitions).
async fn row_table(session: &Session, id: &TableArgs) -> anyhow::Result<(Table, bool)> {
    let image = session
        .catalog
        .existing_table(&id.database, &id.table)
        .await?;
    let bare = Table {
        database: id.database.clone(),
        name: image.name.clone(),
        location: S3Location::new(String::new(), ""),
        partition_keys: image
            .partition_keys
            .iter()
            .flatten()
            .map(|k| glutil::model::PartitionKey {
                name: k.name.clone(),
                type_name: k.type_name.clone().unwrap_or_else(|| "string".to_string()),
            })
            .collect(),
        storage_descriptor: image.storage_descriptor.clone().unwrap_or_default(),
        projected: false,
    };
    Ok(match usable_table(&id.database, image) {
        Ok(table) => {
            let checked = !table.projected;
            (table, checked)
        }
        Err(_) => (bare, false),
    })
}

/// Counts the rows, finds the gaps, and checks their slots' partitions.
pub async fn plan_rows(
    args: &GapsArgs,
    id: &TableArgs,
    session: &Session,
) -> anyhow::Result<RowsFound> {
    let (table, in_glue) = row_table(session, id).await?;
    let time_column = args.time_column.clone().unwrap_or_default();
    let time_type = column_type(&table, &time_column, "--time-column")?;
    for group in &args.group_by {
        column_type(&table, group, "--group-by")?;
    }
    let partitions = if table.partition_keys.is_empty() || !in_glue {
        Vec::new()
    } else {
        session.progress.step("reading the catalog's partitions");
        session
            .catalog
            .all_partitions(&table, Detail::Locations)
            .await?
    };
    let branch: Vec<_> = partitions
        .iter()
        .filter(|p| p.values.starts_with(&args.prefix))
        .collect();
    let values: Vec<&[String]> = branch.iter().map(|p| p.values.as_slice()).collect();
    let keys = if in_glue {
        time_keys(args, &table, &values)?
    } else {
        None
    };
    let every = match (args.every, &keys) {
        (Some(every), _) => every.every(),
        (None, Some(keys)) if keys.hourly() => Every::Hour,
        _ => Every::Day,
    };
    let (since, until) = window(args, keys.as_ref(), every, &values)?;
    let count = RowCount {
        time_column,
        time_type,
        group_by: args.group_by.clone(),
        every,
        since,
        until,
    };
    let names: Vec<String> = table
        .partition_keys
        .iter()
        .map(|k| k.name.clone())
        .collect();
    let filter = keys
        .as_ref()
        .map(|k| partition_filter(&names, &args.prefix, k, every, since, until));
    let sql = count.sql(&table, filter.as_deref());
    let (status, rows) = run_count(args, &table, &sql, session).await?;
    let min_rows = u64::from(args.min_rows.unwrap_or(1));
    let found = find_row_gaps(&count, &rows, min_rows)?;
    let partitions = match &keys {
        Some(keys) => slot_partitions(args, &table, keys, &count, &found, &branch, session).await?,
        None => vec![(None, false); found.gaps.len()],
    };
    Ok(RowsFound {
        table,
        count,
        min_rows,
        sql,
        status,
        found,
        partitions,
    })
}

/// Runs the count query (its SQL and cost line under `-v`) and reads its
/// rows.
async fn run_count(
    args: &GapsArgs,
    table: &Table,
    sql: &str,
    session: &Session,
) -> anyhow::Result<(QueryStatus, Vec<glutil::model::athena::ResultRow>)> {
    let verbose = args.run.verbose > 0 && !args.run.quiet;
    if verbose {
        eprintln!("{}: counting rows:\n{sql}", table.qualified_name());
    }
    session.progress.step("counting rows with Athena");
    let planned = Planned {
        sql: sql.to_string(),
        parameters: Vec::new(),
    };
    let context = args.athena.context(Some(table.database.clone()));
    let (status, rows, via) =
        run_and_read(&session.aws, &planned, &context, args.athena.timeout).await?;
    if verbose {
        eprintln!(
            "query {}: {}",
            status.id,
            cost_line(&status, rows.len() as u64, via)
        );
    }
    Ok((status, rows))
}

/// For each gap: whether its slot has a partition, and, when not, whether
/// the folder it would have holds data (the partitioner adds those).
async fn slot_partitions(
    args: &GapsArgs,
    table: &Table,
    keys: &TimeKeys,
    count: &RowCount,
    found: &RowGaps,
    branch: &[&PartitionImage],
    session: &Session,
) -> anyhow::Result<Vec<(Option<bool>, bool)>> {
    let held: BTreeSet<Slot> = branch
        .iter()
        .filter_map(|p| keys.slot(&p.values, count.every))
        .collect();
    let unheld: Vec<Slot> = found
        .gaps
        .iter()
        .map(|g| g.slot)
        .filter(|s| !held.contains(s))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let (folders, _) = slot_folders(table, &args.prefix, keys, count.every, branch, &unheld);
    let folders: Vec<S3Location> = folders.into_iter().map(|(_, folder)| folder).collect();
    let data = folders_with_data_by_parent(
        &session.aws,
        &folders,
        session.concurrency,
        &session.progress,
    )
    .await?;
    Ok(found
        .gaps
        .iter()
        .map(|g| match unheld.binary_search(&g.slot) {
            Ok(i) => (Some(false), data[i]),
            Err(_) => (Some(true), false),
        })
        .collect())
}

impl RowsFound {
    /// The summary counts, in the output vocabulary.
    pub fn counts(&self) -> Vec<(&'static str, u64)> {
        let without = self
            .partitions
            .iter()
            .filter(|(p, _)| *p == Some(false))
            .count() as u64;
        let with_data = self.partitions.iter().filter(|(_, d)| *d).count() as u64;
        let mut counts = vec![
            ("slots", self.count.slots().count() as u64),
            ("groups", self.found.groups.len() as u64),
            ("rows_counted", self.found.rows),
            ("gaps", self.found.gaps.len() as u64),
        ];
        if self.partitions.iter().any(|(p, _)| p.is_some()) {
            counts.push(("gaps_without_partition", without));
            counts.push(("gaps_without_partition_with_data", with_data));
        }
        counts
    }

    /// What to run next: the partition repair when gap slots lack
    /// partitions whose folders hold data; otherwise the data is missing
    /// upstream.
    fn next_step(&self, args: &GapsArgs) -> Option<String> {
        if self.found.gaps.is_empty() {
            return None;
        }
        let repairable = self
            .partitions
            .iter()
            .filter(|(p, d)| *p == Some(false) && *d)
            .count();
        let upstream = self.found.gaps.len() - repairable;
        if repairable == 0 {
            return Some("data missing upstream: the slots have their partitions (or no data in S3); look at what writes the table".to_string());
        }
        let mut words = vec![
            "partitioner".to_string(),
            shell_word(&self.table.database),
            shell_word(&self.table.name),
        ];
        for value in &args.prefix {
            words.push("--prefix".to_string());
            words.push(shell_word(value));
        }
        let rest = if upstream > 0 {
            format!("; the other {upstream} are data missing upstream")
        } else {
            String::new()
        };
        Some(format!(
            "repair: {}   (adds the partitions of {repairable} gap{} whose data is in S3; try --dry-run first, then gaps --rows again){rest}",
            words.join(" "),
            if repairable == 1 { "" } else { "s" }
        ))
    }

    fn group_text(&self, group: &[Option<String>]) -> String {
        if group.is_empty() {
            return "(all rows)".to_string();
        }
        group
            .iter()
            .map(|v| v.as_deref().unwrap_or("NULL").to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The report: text or JSON.
    pub fn report(&self, args: &GapsArgs, run: &Run<()>) -> std::io::Result<Report> {
        let next = self.next_step(args);
        let body = self.body(next.as_deref());
        let counts = self.counts();
        let text = || self.text(&counts, next.as_deref());
        let exit = if args.fail_if_any && !self.found.gaps.is_empty() {
            EXIT_FOUND
        } else {
            EXIT_OK
        };
        let mut report = Report::new(&body, text, run)?.exit(exit);
        if self.found.groups.is_empty() {
            report.warning = Some(format!(
                "no row of {} falls in the window: there is no group to check",
                self.table.qualified_name()
            ));
        }
        Ok(report)
    }

    fn text(&self, counts: &[(&'static str, u64)], next: Option<&str>) -> Text {
        let every = self.count.every;
        let unit = match every {
            Every::Hour => "hour",
            Every::Day => "day",
        };
        let by = if self.count.group_by.is_empty() {
            String::new()
        } else {
            format!(" by {}", self.count.group_by.join(", "))
        };
        let mut rows = crate::output::count_rows(counts);
        rows.push(Row::Note(next.unwrap_or("no gaps").to_string()));
        let lines = self
            .found
            .gaps
            .iter()
            .zip(&self.partitions)
            .map(|(gap, (partition, data))| {
                let state = match partition {
                    None => String::new(),
                    Some(true) => "  partition present".to_string(),
                    Some(false) if *data => "  no partition, data in S3".to_string(),
                    Some(false) => "  no partition, no data".to_string(),
                };
                format!(
                    "gap {}  {}  {} row{}{state}",
                    self.group_text(&gap.group),
                    slot_text(gap.slot, every),
                    gap.rows,
                    if gap.rows == 1 { "" } else { "s" }
                )
            })
            .collect();
        // -v: the count query's result, as read.
        let planned = self
            .found
            .counts
            .iter()
            .map(|c| {
                format!(
                    "count {}  {}  {}",
                    self.group_text(&c.group),
                    slot_text(c.slot, every),
                    c.rows
                )
            })
            .collect();
        Text {
            planned,
            always: lines,
            title: format!(
                "gaps {} rows{by} every {unit}, fewer than {} row{}, {} .. {} UTC",
                self.table.qualified_name(),
                self.min_rows,
                if self.min_rows == 1 { "" } else { "s" },
                slot_text(self.count.since, every),
                slot_text(self.count.until, every)
            ),
            rows,
            ..Text::default()
        }
    }

    fn body<'a>(&'a self, next: Option<&'a str>) -> RowsBody<'a> {
        let gaps = self
            .found
            .gaps
            .iter()
            .zip(&self.partitions)
            .map(|(gap, (partition, data))| GapJson {
                group: self
                    .count
                    .group_by
                    .iter()
                    .cloned()
                    .zip(gap.group.iter().cloned())
                    .map(|(k, v)| {
                        (
                            k,
                            v.map_or(serde_json::Value::Null, serde_json::Value::String),
                        )
                    })
                    .collect(),
                values: gap.group.clone(),
                slot: slot_rfc3339(gap.slot),
                rows: gap.rows,
                partition: *partition,
                has_data: (*partition == Some(false)).then_some(*data),
            })
            .collect();
        RowsBody {
            command: "gaps",
            dry_run: false,
            mode: "rows",
            database: &self.table.database,
            table: &self.table.name,
            every: self.count.every,
            since: slot_rfc3339(self.count.since),
            until: slot_rfc3339(self.count.until),
            time_column: &self.count.time_column,
            group_by: &self.count.group_by,
            min_rows: self.min_rows,
            slots: self.count.slots().count(),
            groups: self.found.groups.len(),
            rows_counted: self.found.rows,
            gap_count: self.found.gaps.len(),
            gaps,
            next,
            sql: &self.sql,
            query_execution_id: &self.status.id,
            data_scanned_bytes: self.status.bytes_scanned,
            estimated_cost_usd: estimated_cost_usd(self.status.bytes_scanned),
        }
    }
}

/// One gap in JSON.
#[derive(serde::Serialize)]
struct GapJson {
    /// `--group-by` column → value (null for NULL).
    group: serde_json::Map<String, serde_json::Value>,
    /// The same values as a list, in `--group-by` order.
    values: Vec<Option<String>>,
    slot: String,
    rows: u64,
    /// Whether the slot has a partition (null: no time partition keys).
    partition: Option<bool>,
    /// For a slot without a partition: whether its folder holds data.
    has_data: Option<bool>,
}

/// The `gaps --rows` JSON document.
#[derive(serde::Serialize)]
struct RowsBody<'a> {
    command: &'static str,
    dry_run: bool,
    mode: &'static str,
    database: &'a str,
    table: &'a str,
    every: Every,
    since: String,
    until: String,
    time_column: &'a str,
    group_by: &'a [String],
    min_rows: u64,
    slots: usize,
    groups: usize,
    rows_counted: u64,
    #[serde(rename = "gap_count")]
    gap_count: usize,
    gaps: Vec<GapJson>,
    next: Option<&'a str>,
    sql: &'a str,
    query_execution_id: &'a str,
    data_scanned_bytes: u64,
    estimated_cost_usd: f64,
}

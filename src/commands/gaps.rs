//! `gaps DATABASE TABLE --every hour|day`: the time slots of a table keyed
//! by time that have no partition, and which of them hold data in S3.

use glutil::aws::Detail;
use glutil::backup::Entries;
use glutil::model::partition::stored_s3_location;
use glutil::model::{PartitionImage, S3Location, Table};
use glutil::plan::gaps::{
    find_gaps, parse_bound, slot_rfc3339, slot_text, Every, FolderStyle, Gaps, Slot, TimeKeys,
};
use glutil::progress::Progress;
use glutil::read::snapshot::folders_with_data_by_parent;

use crate::args::{AwsArgs, RunArgs, TablesArgs};
use crate::commands::gaps_rows::{plan_rows, RowsFound};
use crate::driver::{Job, OnTable, Options};
use crate::many;
use crate::output::{count_rows, Report, Row, Run, Text};
use crate::session::Session;
use crate::{Command, EXIT_FOUND, EXIT_OK};

/// Lists the hours or days that have no partition in the catalog.
///
/// For tables keyed by time: year, month, day [, hour] keys, or one key
/// such as `dt` whose values follow --value-format (guessed among common
/// formats when not given). Every slot from --since to --until (both
/// inclusive, UTC; by default the first and last the catalog holds) that
/// has no partition is listed, split into those whose S3 folder holds data
/// (the partitioner adds them) and those without (nothing was written).
/// Reads the catalog once and lists S3 only for the missing slots (a day
/// with no data at all in one listing). Never
/// writes; the text ends with the command that repairs what can be
/// repaired.
///
/// With --rows: gaps in the rows. One Athena query counts the rows per
/// --group-by group and slot of --time-column in the window (the time
/// partition keys also narrow the scan to the window's partitions), and
/// every (group, slot) with fewer than --min-rows rows is listed, with
/// whether its slot has a partition: the text ends with the partition
/// repair, or says the data is missing upstream.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "gaps", version, override_usage = crate::args::tables_usage("gaps"), after_help = crate::help::gaps())]
pub struct GapsArgs {
    /// The tables to check.
    #[command(flatten)]
    pub tables: TablesArgs,
    /// The length of a slot [default: per table, from its keys: hour when
    /// it has an `hour` key or an hourly value format, else day].
    #[arg(long, value_enum, value_name = "UNIT")]
    pub every: Option<EveryArg>,
    /// First slot to check, inclusive: 2024-02-29, 2024-02-29T05,
    /// 2024-02-29T05:00:00Z or `now` (UTC) [default: the first in the
    /// catalog].
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Last slot to check, inclusive, like --since [default: the last in
    /// the catalog; `now` also finds a writer that stopped].
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// The format of a single time key's values: %Y, %m, %d, %H (and %M,
    /// %S as 00), e.g. '%Y-%m-%d-%H'.
    #[arg(long, value_name = "FORMAT")]
    pub value_format: Option<String>,
    /// Fixed value for the next leading partition key, for tables keyed by
    /// something else before time (region/year/...); repeat for more.
    #[arg(long = "prefix", value_name = "VALUE")]
    pub prefix: Vec<String>,
    /// Exit with 3 when any slot has no partition (with --rows: when any
    /// group and slot has too few rows), for checks in CI.
    #[arg(long)]
    pub fail_if_any: bool,
    /// Gaps in the rows rather than the partitions: one Athena query counts
    /// the rows per --group-by group and slot of --time-column in the
    /// window, and every (group, slot) with fewer than --min-rows rows is
    /// listed, slots where a group has no row at all included. Groups come
    /// from the rows seen in the window.
    #[arg(long, requires = "time_column", help_heading = "Rows")]
    pub rows: bool,
    /// With --rows: the column that says when a row happened (timestamp;
    /// date, `2024-02-29 05:00:00` strings and Unix seconds are converted).
    #[arg(long, value_name = "COLUMN", requires = "rows", help_heading = "Rows")]
    pub time_column: Option<String>,
    /// With --rows: a column whose values make a group (repeat for more).
    #[arg(
        long = "group-by",
        value_name = "COLUMN",
        requires = "rows",
        help_heading = "Rows"
    )]
    pub group_by: Vec<String>,
    /// With --rows: a (group, slot) with fewer rows than this is a gap
    /// [default: 1].
    #[arg(long, value_name = "N", requires = "rows", help_heading = "Rows",
          value_parser = crate::args::whole_number(1, u32::MAX))]
    pub min_rows: Option<u32>,
    /// With --rows: where and how the count query runs.
    #[command(flatten)]
    pub athena: crate::commands::query::AthenaArgs,
    /// How to reach AWS.
    #[command(flatten)]
    pub aws: AwsArgs,
    /// Concurrency and output.
    #[command(flatten)]
    pub run: RunArgs,
}

/// `--every`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EveryArg {
    /// One slot per hour.
    Hour,
    /// One slot per day.
    Day,
}

impl EveryArg {
    /// The library's slot length.
    pub fn every(self) -> Every {
        match self {
            EveryArg::Hour => Every::Hour,
            EveryArg::Day => Every::Day,
        }
    }
}

impl Command for GapsArgs {
    async fn run(self) -> anyhow::Result<u8> {
        // Bad bounds are bad usage, refused before any table is read (as
        // hours when the slot length is each table's own).
        self.bounds(self.every.map_or(Every::Hour, EveryArg::every))?;
        if !self.rows && self.athena.any_given() {
            return Err(glutil::Error::InvalidInput(
                "--catalog, --workgroup, --output-location, --timeout and --via are for --rows (the count query); partition gaps run no query".to_string(),
            )
            .into());
        }
        let options = Options::read_only(&self.aws, &self.run, false);
        many::run_tables(&self.tables, options, |table| OnTable {
            args: &self,
            table,
        })
        .await
    }
}

/// A missing slot and what its folder holds.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Missing {
    /// The slot's start, RFC 3339.
    pub slot: String,
    /// The partition values it would have.
    pub values: Vec<String>,
    /// The folder its data would be in.
    pub location: S3Location,
    /// Whether that folder holds data.
    pub has_data: bool,
    #[serde(skip)]
    at: Slot,
}

/// What `gaps` found: gaps in the partitions, or (`--rows`) in the rows.
pub enum Found {
    /// Slots without partitions.
    Partitions(Box<PartitionGaps>),
    /// (group, slot) pairs with too few rows.
    Rows(Box<RowsFound>),
}

impl Found {
    fn table(&self) -> &Table {
        match self {
            Found::Partitions(found) => &found.table,
            Found::Rows(found) => &found.table,
        }
    }
}

/// What partition `gaps` found.
pub struct PartitionGaps {
    table: Table,
    gaps: Gaps,
    missing: Vec<Missing>,
    /// Where missing slots were looked for, and whether a partition under
    /// the table's location showed it.
    style: FolderStyle,
}

impl GapsArgs {
    /// --since and --until as slots of `every`.
    pub(crate) fn bounds(&self, every: Every) -> anyhow::Result<(Option<Slot>, Option<Slot>)> {
        let now = crate::args::now_slot();
        let read = |text: &Option<String>, flag: &str| -> anyhow::Result<Option<Slot>> {
            text.as_deref()
                .map(|t| parse_bound(t, every, now))
                .transpose()
                .map_err(|e| anyhow::Error::new(e).context(format!("--{flag}")))
        };
        Ok((read(&self.since, "since")?, read(&self.until, "until")?))
    }
}

/// Where the partitions of `slots` would be: each slot's values (the
/// `prefix` ones, then the time keys') and folder, in the style of the
/// partitions of `branch` under the table's location whose values name a
/// time (the style, returned too, says where it came from).
pub(crate) fn slot_folders(
    table: &Table,
    prefix: &[String],
    keys: &TimeKeys,
    every: Every,
    branch: &[&PartitionImage],
    slots: &[Slot],
) -> (Vec<(Vec<String>, S3Location)>, FolderStyle) {
    let names: Vec<String> = table
        .partition_keys
        .iter()
        .map(|k| k.name.clone())
        .collect();
    let samples: Vec<(&[String], S3Location)> = branch
        .iter()
        .filter_map(|p| {
            let location = stored_s3_location(p.location())?;
            keys.slot(&p.values, every)?;
            Some((p.values.as_slice(), location))
        })
        .collect();
    let style = FolderStyle::learn(
        &table.location,
        &names,
        samples.iter().map(|(v, l)| (*v, l)),
    );
    let folders = slots
        .iter()
        .map(|&slot| {
            let mut values = prefix.to_vec();
            values.resize(names.len(), String::new());
            for (i, value) in keys.values(slot) {
                values[i] = value;
            }
            let location = style.folder(&names, &values);
            (values, location)
        })
        .collect();
    (folders, style)
}

impl Job for OnTable<'_, GapsArgs> {
    fn name(&self) -> &'static str {
        "gaps"
    }
    type Plan = Found;
    type Outcome = ();

    async fn plan(&self, session: &Session) -> anyhow::Result<Found> {
        if self.rows {
            let found = plan_rows(self.args, &self.table, session).await?;
            return Ok(Found::Rows(Box::new(found)));
        }
        let table = session
            .catalog
            .table(&self.table.database, &self.table.table)
            .await?;
        let fixed = self.prefix.len();
        if table.partition_keys.len() <= fixed {
            let name = table.qualified_name();
            return Err(if fixed == 0 {
                glutil::Error::no_partition_keys(&name)
            } else {
                glutil::Error::InvalidInput(format!(
                    "{fixed} --prefix values given but table `{name}` has {} partition keys",
                    table.partition_keys.len()
                ))
            }
            .into());
        }
        session.progress.step("reading the catalog's partitions");
        let partitions = session
            .catalog
            .all_partitions(&table, Detail::Locations)
            .await?;
        let branch: Vec<_> = partitions
            .iter()
            .filter(|p| p.values.starts_with(&self.prefix))
            .collect();
        let values: Vec<&[String]> = branch.iter().map(|p| p.values.as_slice()).collect();
        let keys = TimeKeys::detect(
            &table.partition_keys,
            fixed,
            self.value_format.as_deref(),
            &values,
            self.every.map_or(Every::Day, EveryArg::every),
        )?;
        let every = match self.every {
            Some(every) => every.every(),
            None if keys.hourly() => Every::Hour,
            None => Every::Day,
        };
        let (since, until) = self.bounds(every)?;
        let gaps = find_gaps(&keys, every, &values, since, until)?;
        let (folders, style) =
            slot_folders(&table, &self.prefix, &keys, every, &branch, &gaps.missing);
        let mut missing: Vec<Missing> = gaps
            .missing
            .iter()
            .zip(folders)
            .map(|(&at, (values, location))| Missing {
                slot: slot_rfc3339(at),
                location,
                values,
                has_data: false,
                at,
            })
            .collect();
        let folders: Vec<S3Location> = missing.iter().map(|m| m.location.clone()).collect();
        let data = folders_with_data_by_parent(
            &session.aws,
            &folders,
            session.concurrency,
            &session.progress,
        )
        .await?;
        for (m, has_data) in missing.iter_mut().zip(data) {
            m.has_data = has_data;
        }
        Ok(Found::Partitions(Box::new(PartitionGaps {
            table,
            gaps,
            missing,
            style,
        })))
    }

    fn warnings(&self, plan: &Self::Plan) -> Vec<String> {
        crate::driver::table_warnings(plan.table())
    }

    fn changes_anything(&self, _: &Found) -> bool {
        false
    }

    async fn backup<'p>(&self, _: &'p Found, _: &Session) -> anyhow::Result<(Entries<'p>, String)> {
        Ok((Box::new(std::iter::empty()), String::new()))
    }

    async fn apply(&self, _: &Found, _: &Session) {}

    fn counts(&self, found: &Found, _: &Run<()>) -> Vec<(&'static str, u64)> {
        let found = match found {
            Found::Partitions(found) => found,
            Found::Rows(found) => return found.counts(),
        };
        let with_data = found.missing.iter().filter(|m| m.has_data).count() as u64;
        let mut counts = vec![
            ("slots", found.gaps.slots() as u64),
            ("present", found.gaps.present as u64),
            ("missing", found.missing.len() as u64),
            ("missing_with_data", with_data),
            (
                "missing_without_data",
                found.missing.len() as u64 - with_data,
            ),
        ];
        // Only when there are some: most tables have neither.
        for (name, n) in [
            ("unreadable_values", found.gaps.unreadable),
            ("out_of_range", found.gaps.outside),
        ] {
            if n > 0 {
                counts.push((name, n as u64));
            }
        }
        counts
    }

    fn report(&self, plan: &Found, run: &Run<()>) -> std::io::Result<Report> {
        let found = match plan {
            Found::Partitions(found) => found,
            Found::Rows(found) => return found.report(self.args, run),
        };
        let with_data = found.missing.iter().filter(|m| m.has_data).count();
        let repair = (with_data > 0).then(|| self.repair_command(&found.table));
        let gaps = &found.gaps;
        let body = GapsBody {
            command: "gaps",
            dry_run: run.dry_run,
            database: &found.table.database,
            table: &found.table.name,
            location: &found.table.location,
            every: gaps.every,
            since: slot_rfc3339(gaps.since),
            until: slot_rfc3339(gaps.until),
            slots: gaps.slots(),
            present: gaps.present,
            missing_with_data: with_data,
            missing_without_data: found.missing.len() - with_data,
            unreadable_values: gaps.unreadable,
            out_of_range: gaps.outside,
            missing: &found.missing,
            repair: repair.as_deref(),
            probed_under: &found.style.base,
            probed_as: if found.style.hive { "hive" } else { "plain" },
            style_from_partitions: found.style.from_table_partitions,
        };
        let counts = self.counts(plan, run);
        let text = || self.text(found, &counts, repair.as_deref());
        let exit = if self.fail_if_any && !found.missing.is_empty() {
            EXIT_FOUND
        } else {
            EXIT_OK
        };
        let mut report = Report::new(&body, text, run)?.exit(exit);
        if !found.style.from_table_partitions && !found.missing.is_empty() {
            let folders = if found.style.hive {
                "key=value/ folders"
            } else {
                "plain value/ folders"
            };
            report.warning = Some(format!(
                "no partition of {} lies under its location {}: missing slots were looked for there as {folders}, as the partitioner would find them",
                found.table.qualified_name(),
                found.table.location
            ));
        }
        Ok(report)
    }
}

impl GapsArgs {
    /// The partitioner run that adds the missing partitions with data.
    fn repair_command(&self, table: &Table) -> String {
        let mut words = vec![
            "partitioner".to_string(),
            shell_word(&table.database),
            shell_word(&table.name),
        ];
        for value in &self.prefix {
            words.push("--prefix".to_string());
            words.push(shell_word(value));
        }
        words.join(" ")
    }

    fn text(
        &self,
        found: &PartitionGaps,
        counts: &[(&'static str, u64)],
        repair: Option<&str>,
    ) -> Text {
        let gaps = &found.gaps;
        let every = gaps.every;
        let unit = match every {
            Every::Hour => "hour",
            Every::Day => "day",
        };
        let with_data = found.missing.iter().filter(|m| m.has_data).count();
        let mut rows = count_rows(counts);
        rows.push(Row::Note(match repair {
            Some(command) => {
                format!("repair: {command}   (adds the {with_data} with data; try --dry-run first)")
            }
            None if found.missing.is_empty() => "no gaps".to_string(),
            None => "nothing to repair: the missing slots hold no data in S3".to_string(),
        }));
        Text {
            planned: found
                .missing
                .iter()
                .map(|m| {
                    let data = if m.has_data { "data" } else { "no data" };
                    format!(
                        "missing {}  {data:<7}  {}",
                        slot_text(m.at, every),
                        m.location
                    )
                })
                .collect(),
            always: runs(&found.missing, every),
            title: format!(
                "gaps {} every {unit}, {} .. {} UTC",
                found.table.qualified_name(),
                slot_text(gaps.since, every),
                slot_text(gaps.until, every)
            ),
            rows,
            ..Text::default()
        }
    }
}

/// Consecutive missing slots with the same data state, one line each.
fn runs(missing: &[Missing], every: Every) -> Vec<String> {
    let step = match every {
        Every::Hour => 1,
        Every::Day => 24,
    };
    let mut lines = Vec::new();
    let mut i = 0;
    while i < missing.len() {
        let mut j = i;
        while j + 1 < missing.len()
            && missing[j + 1].at == missing[j].at + step
            && missing[j + 1].has_data == missing[i].has_data
        {
            j += 1;
        }
        let state = if missing[i].has_data {
            "missing, data in S3"
        } else {
            "missing, no data   "
        };
        let first = slot_text(missing[i].at, every);
        lines.push(if i == j {
            format!("{state}  {first}")
        } else {
            format!(
                "{state}  {first} .. {} ({} slots)",
                slot_text(missing[j].at, every),
                j - i + 1
            )
        });
        i = j + 1;
    }
    lines
}

/// A word as a POSIX shell reads it back.
pub(crate) fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:@%+,".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// The `gaps` JSON document.
#[derive(serde::Serialize)]
struct GapsBody<'a> {
    command: &'static str,
    dry_run: bool,
    database: &'a str,
    table: &'a str,
    location: &'a S3Location,
    every: Every,
    since: String,
    until: String,
    slots: usize,
    present: usize,
    missing_with_data: usize,
    missing_without_data: usize,
    unreadable_values: usize,
    out_of_range: usize,
    missing: &'a [Missing],
    repair: Option<&'a str>,
    /// The folder missing slots were looked for under.
    probed_under: &'a S3Location,
    /// `hive` (`key=value/`) or `plain` (`value/`) folders.
    probed_as: &'static str,
    /// False when no partition lies under the table's location.
    style_from_partitions: bool,
}

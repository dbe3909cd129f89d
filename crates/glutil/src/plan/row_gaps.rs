//! Gaps in the rows: one Athena query counts a table's rows per group and
//! time slot in a window, and every (group, slot) with fewer rows than
//! asked is a gap, slots where a group has no row at all included (GROUP
//! BY returns nothing for those, so they come from the window and the
//! groups seen). The table's time partition keys, when it has them, also
//! constrain the scan so that only the window's partitions are read.

use std::collections::{BTreeMap, BTreeSet};

use crate::error::{Error, Result};
use crate::model::athena::ResultRow;
use crate::model::sql::string_literal;
use crate::model::Table;
use crate::plan::gaps::{parse_bound, slot_rfc3339, Every, Slot, TimeKeys};

/// What to count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowCount {
    /// The column that says when a row happened.
    pub time_column: String,
    /// Its Hive type, as the table defines it.
    pub time_type: String,
    /// The columns that make a group, in order.
    pub group_by: Vec<String>,
    /// Slot length.
    pub every: Every,
    /// First slot, inclusive.
    pub since: Slot,
    /// Last slot, inclusive.
    pub until: Slot,
}

/// A column's type, when the table has a column of that name (data
/// columns and partition keys, compared case-insensitively as Athena
/// does); otherwise an error naming the flag and the columns there are.
pub fn column_type(table: &Table, column: &str, flag: &str) -> Result<String> {
    let data = table
        .storage_descriptor
        .columns
        .iter()
        .flatten()
        .map(|c| (c.name.as_str(), c.type_name.as_deref().unwrap_or("string")));
    let keys = table
        .partition_keys
        .iter()
        .map(|k| (k.name.as_str(), k.type_name.as_str()));
    let all: Vec<(&str, &str)> = data.chain(keys).collect();
    all.iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(column))
        .map(|(_, t)| t.to_string())
        .ok_or_else(|| {
            let names: Vec<&str> = all.iter().map(|(n, _)| *n).collect();
            Error::InvalidInput(format!(
                "{flag} `{column}`: table `{}` has no such column (it has {})",
                table.qualified_name(),
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            ))
        })
}

/// An identifier as Athena reads it: double-quoted, quotes doubled.
pub fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

impl RowCount {
    /// The time column as a timestamp: as it is for `timestamp`, cast for
    /// `date` and strings (`2024-02-29 05:00:00`), from Unix seconds for
    /// integers.
    fn time_expression(&self) -> String {
        let column = quote_identifier(&self.time_column);
        let base = self
            .time_type
            .split('(')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match base.as_str() {
            "timestamp" => column,
            "bigint" | "int" | "integer" => format!("from_unixtime({column})"),
            _ => format!("CAST({column} AS timestamp)"),
        }
    }

    /// The query: the group columns, the slot and the row count, in this
    /// order, for the window; `partitions` (see [`partition_filter`])
    /// narrows the scan to the window's partitions.
    pub fn sql(&self, table: &Table, partitions: Option<&str>) -> String {
        let time = self.time_expression();
        let unit = match self.every {
            Every::Hour => "hour",
            Every::Day => "day",
        };
        let slot = format!("date_trunc('{unit}', {time})");
        let groups: Vec<String> = self.group_by.iter().map(|g| quote_identifier(g)).collect();
        let mut select = groups.clone();
        select.push(format!("{slot} AS slot"));
        select.push("count(*) AS row_count".to_string());
        let mut grouped = groups;
        grouped.push(slot);
        let end = self.until + self.every_hours();
        let mut sql = format!(
            "SELECT {}\nFROM {}.{}\nWHERE {time} >= TIMESTAMP '{}' AND {time} < TIMESTAMP '{}'",
            select.join(", "),
            quote_identifier(&table.database),
            quote_identifier(&table.name),
            timestamp_literal(self.since),
            timestamp_literal(end),
        );
        if let Some(filter) = partitions {
            sql.push_str(&format!("\n  AND {filter}"));
        }
        let positions: Vec<String> = (1..=grouped.len()).map(|i| i.to_string()).collect();
        sql.push_str(&format!(
            "\nGROUP BY {}\nORDER BY {}",
            grouped.join(", "),
            positions.join(", ")
        ));
        sql
    }

    fn every_hours(&self) -> i64 {
        match self.every {
            Every::Hour => 1,
            Every::Day => 24,
        }
    }

    /// The slots of the window, in order.
    pub fn slots(&self) -> impl Iterator<Item = Slot> + '_ {
        let step = self.every_hours();
        (0..)
            .map(move |i| self.since + i * step)
            .take_while(|s| *s <= self.until)
    }
}

/// `2024-02-29 05:00:00`, as a TIMESTAMP literal takes it.
fn timestamp_literal(slot: Slot) -> String {
    slot_rfc3339(slot)
        .trim_end_matches('Z')
        .replacen('T', " ", 1)
}

/// Most partition values listed in a filter before it coarsens (days to
/// months to years): a statement stays far below Athena's 262,144 bytes.
const MOST_LISTED: usize = 400;

/// A predicate on the table's partition keys that holds for every
/// partition of the window (and few others), so that Athena reads only
/// those: the `--prefix` values on the leading keys, then the time keys.
/// A single time key whose format sorts as time does (`%Y-%m-%d-%H`)
/// becomes a BETWEEN; other formats and year/month/day keys list the
/// window's values (days, or months or years for long windows).
pub fn partition_filter(
    key_names: &[String],
    prefix: &[String],
    keys: &TimeKeys,
    every: Every,
    since: Slot,
    until: Slot,
) -> String {
    let mut terms: Vec<String> = key_names
        .iter()
        .zip(prefix)
        .map(|(k, v)| format!("{} = {}", quote_identifier(k), string_literal(v)))
        .collect();
    match keys {
        TimeKeys::Formatted { position, format } if format.sorts_as_time() => {
            let first = format.write(since);
            let last = format.write(
                until
                    + match every {
                        Every::Hour => 0,
                        Every::Day => 23,
                    },
            );
            terms.push(format!(
                "{} BETWEEN {} AND {}",
                quote_identifier(&key_names[*position]),
                string_literal(&first),
                string_literal(&last)
            ));
        }
        TimeKeys::Formatted { position, format } => {
            let (step, last) = match (format.has_hour(), every) {
                (true, Every::Day) => (Every::Hour, until + 23),
                (true, Every::Hour) => (Every::Hour, until),
                (false, _) => (Every::Day, until),
            };
            let values = window_values(keys, since, last, &[*position], step);
            terms.push(any_of(key_names, &[*position], &values));
        }
        TimeKeys::Parts {
            year, month, day, ..
        } => {
            let mut levels = vec![*year, *month, *day];
            let mut values = window_values(keys, since, until, &levels, Every::Day);
            while values.len() > MOST_LISTED && levels.len() > 1 {
                levels.pop();
                values = window_values(keys, since, until, &levels, Every::Day);
            }
            terms.push(any_of(key_names, &levels, &values));
        }
    }
    terms.join(" AND ")
}

/// The distinct values the keys at `positions` take over the window.
fn window_values(
    keys: &TimeKeys,
    since: Slot,
    until: Slot,
    positions: &[usize],
    step: Every,
) -> Vec<Vec<String>> {
    let hours = match step {
        Every::Hour => 1,
        Every::Day => 24,
    };
    let first = since - since.rem_euclid(hours);
    let mut seen = BTreeSet::new();
    let mut slot = first;
    while slot <= until {
        let values: BTreeMap<usize, String> = keys.values(slot).into_iter().collect();
        let tuple: Vec<String> = positions
            .iter()
            .map(|p| values.get(p).cloned().unwrap_or_default())
            .collect();
        seen.insert(tuple);
        slot += hours;
    }
    seen.into_iter().collect()
}

/// `(k1 = 'a' AND k2 = 'b') OR ...`, or `k IN ('a', 'b')` for one key.
fn any_of(key_names: &[String], positions: &[usize], values: &[Vec<String>]) -> String {
    if let [position] = positions {
        let listed: Vec<String> = values.iter().map(|v| string_literal(&v[0])).collect();
        return format!(
            "{} IN ({})",
            quote_identifier(&key_names[*position]),
            listed.join(", ")
        );
    }
    let alternatives: Vec<String> = values
        .iter()
        .map(|tuple| {
            let terms: Vec<String> = positions
                .iter()
                .zip(tuple)
                .map(|(p, v)| {
                    format!(
                        "{} = {}",
                        quote_identifier(&key_names[*p]),
                        string_literal(v)
                    )
                })
                .collect();
            format!("({})", terms.join(" AND "))
        })
        .collect();
    format!("({})", alternatives.join(" OR "))
}

/// One (group, slot) with too few rows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowGap {
    /// The group's values, in `--group-by` order (NULL as null).
    pub group: Vec<Option<String>>,
    /// The slot's start.
    pub slot: Slot,
    /// Rows it has (0 when GROUP BY returned nothing for it).
    pub rows: u64,
}

/// What the counts show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowGaps {
    /// The groups seen in the window, in order.
    pub groups: Vec<Vec<Option<String>>>,
    /// Rows counted in the window.
    pub rows: u64,
    /// Every (group, slot) with fewer than the minimum, by group then
    /// slot.
    pub gaps: Vec<RowGap>,
    /// The counts read, in the window: (group, slot, rows), by group then
    /// slot.
    pub counts: Vec<RowGap>,
}

/// Reads the count rows (the group values, the slot, the count) and finds
/// every (group, slot) of the window with fewer than `min_rows` rows.
pub fn find_row_gaps(count: &RowCount, result: &[ResultRow], min_rows: u64) -> Result<RowGaps> {
    let width = count.group_by.len();
    let mut counts: BTreeMap<Vec<Option<String>>, BTreeMap<Slot, u64>> = BTreeMap::new();
    let mut total = 0;
    for (i, row) in result.iter().enumerate() {
        let bad = |what: &str| {
            Error::InvalidInput(format!(
                "row {} of the count query's result: {what} ({row:?})",
                i + 1
            ))
        };
        if row.len() != width + 2 {
            return Err(bad(&format!(
                "{} values where {} were expected",
                row.len(),
                width + 2
            )));
        }
        let slot_text = row[width].as_deref().ok_or_else(|| bad("no slot"))?;
        let slot =
            read_slot(slot_text, count.every).ok_or_else(|| bad("the slot is not a time"))?;
        let rows: u64 = row[width + 1]
            .as_deref()
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| bad("the count is not a number"))?;
        total += rows;
        if slot < count.since || slot > count.until {
            continue;
        }
        *counts
            .entry(row[..width].to_vec())
            .or_default()
            .entry(slot)
            .or_default() += rows;
    }
    if width == 0 {
        counts.entry(Vec::new()).or_default();
    }
    let mut gaps = Vec::new();
    for (group, slots) in &counts {
        for slot in count.slots() {
            let rows = slots.get(&slot).copied().unwrap_or(0);
            if rows < min_rows {
                gaps.push(RowGap {
                    group: group.clone(),
                    slot,
                    rows,
                });
            }
        }
    }
    let counted = counts
        .iter()
        .flat_map(|(group, slots)| {
            slots.iter().map(|(&slot, &rows)| RowGap {
                group: group.clone(),
                slot,
                rows,
            })
        })
        .collect();
    Ok(RowGaps {
        groups: counts.into_keys().collect(),
        rows: total,
        gaps,
        counts: counted,
    })
}

/// A slot from Athena's timestamp text (`2024-02-29 05:00:00.000`).
fn read_slot(text: &str, every: Every) -> Option<Slot> {
    let whole = text.split('.').next()?.trim();
    let whole = whole.strip_suffix("UTC").unwrap_or(whole).trim();
    parse_bound(whole, every, 0).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::definition::{ColumnImage, StorageImage};
    use crate::model::{PartitionKey, S3Location};
    use crate::plan::gaps::ValueFormat;

    fn table(keys: &[&str]) -> Table {
        Table {
            database: "db".into(),
            name: "trades".into(),
            location: S3Location::new("b", "t/"),
            partition_keys: keys
                .iter()
                .map(|k| PartitionKey {
                    name: k.to_string(),
                    type_name: "string".into(),
                })
                .collect(),
            storage_descriptor: StorageImage {
                columns: Some(vec![
                    ColumnImage {
                        name: "ts".into(),
                        type_name: Some("timestamp".into()),
                        comment: None,
                        parameters: None,
                    },
                    ColumnImage {
                        name: "symbol".into(),
                        type_name: Some("string".into()),
                        comment: None,
                        parameters: None,
                    },
                ]),
                ..StorageImage::default()
            },
            projected: false,
        }
    }

    fn hour(text: &str) -> Slot {
        parse_bound(text, Every::Hour, 0).unwrap()
    }

    fn count(group_by: &[&str]) -> RowCount {
        RowCount {
            time_column: "ts".into(),
            time_type: "timestamp".into(),
            group_by: group_by.iter().map(|g| g.to_string()).collect(),
            every: Every::Hour,
            since: hour("2024-01-01T00"),
            until: hour("2024-01-01T03"),
        }
    }

    fn row(cells: &[&str]) -> ResultRow {
        cells.iter().map(|c| Some(c.to_string())).collect()
    }

    #[test]
    fn the_query_groups_by_the_columns_and_the_slot_in_the_window() {
        let sql = count(&["symbol"]).sql(&table(&[]), Some("\"dt\" BETWEEN 'a' AND 'b'"));
        assert_eq!(
            sql,
            "SELECT \"symbol\", date_trunc('hour', \"ts\") AS slot, count(*) AS row_count\n\
             FROM \"db\".\"trades\"\n\
             WHERE \"ts\" >= TIMESTAMP '2024-01-01 00:00:00' AND \"ts\" < TIMESTAMP '2024-01-01 04:00:00'\n  \
             AND \"dt\" BETWEEN 'a' AND 'b'\n\
             GROUP BY \"symbol\", date_trunc('hour', \"ts\")\n\
             ORDER BY 1, 2"
        );
        let mut daily = count(&[]);
        daily.time_type = "string".into();
        daily.every = Every::Day;
        assert!(daily
            .sql(&table(&[]), None)
            .starts_with("SELECT date_trunc('day', CAST(\"ts\" AS timestamp)) AS slot"));
    }

    #[test]
    fn holes_and_silent_slots_of_every_group_seen_are_gaps() {
        let result = vec![
            row(&["AAPL", "2024-01-01 00:00:00.000", "5"]),
            row(&["AAPL", "2024-01-01 01:00:00.000", "1"]),
            row(&["AAPL", "2024-01-01 03:00:00.000", "7"]),
            row(&["MSFT", "2024-01-01 00:00:00.000", "2"]),
        ];
        let found = find_row_gaps(&count(&["symbol"]), &result, 2).unwrap();
        let pairs: Vec<(String, String, u64)> = found
            .gaps
            .iter()
            .map(|g| (g.group[0].clone().unwrap(), slot_rfc3339(g.slot), g.rows))
            .collect();
        assert_eq!(
            pairs,
            [
                ("AAPL".into(), "2024-01-01T01:00:00Z".into(), 1),
                ("AAPL".into(), "2024-01-01T02:00:00Z".into(), 0),
                ("MSFT".into(), "2024-01-01T01:00:00Z".into(), 0),
                ("MSFT".into(), "2024-01-01T02:00:00Z".into(), 0),
                ("MSFT".into(), "2024-01-01T03:00:00Z".into(), 0),
            ]
        );
        assert_eq!(found.rows, 15);
        assert_eq!(found.counts.len(), 4, "the counts as read");
        assert_eq!(
            read_slot("2024-01-01 01:00:00.000 UTC", Every::Hour),
            Some(hour("2024-01-01T01"))
        );
        assert_eq!(
            read_slot("2024-01-01", Every::Day),
            Some(hour("2024-01-01T00"))
        );
        assert_eq!(found.groups.len(), 2);
    }

    #[test]
    fn without_groups_an_empty_window_is_all_gaps() {
        let found = find_row_gaps(&count(&[]), &[], 1).unwrap();
        assert_eq!(found.gaps.len(), 4);
        let err = find_row_gaps(&count(&[]), &[row(&["x", "1"])], 1).unwrap_err();
        assert!(err.to_string().contains("the slot is not a time"), "{err}");
    }

    #[test]
    fn a_sortable_time_key_becomes_a_between_and_parts_list_the_days() {
        let names: Vec<String> = ["region", "dt"].iter().map(|s| s.to_string()).collect();
        let keys = TimeKeys::Formatted {
            position: 1,
            format: ValueFormat::parse("%Y-%m-%d-%H").unwrap(),
        };
        let since = hour("2024-01-31T22");
        let filter = partition_filter(&names, &["eu".into()], &keys, Every::Hour, since, since + 3);
        assert_eq!(
            filter,
            "\"region\" = 'eu' AND \"dt\" BETWEEN '2024-01-31-22' AND '2024-02-01-01'"
        );
        let names: Vec<String> = ["year", "month", "day", "hour"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let keys = TimeKeys::Parts {
            year: 0,
            month: 1,
            day: 2,
            hour: Some(3),
            padded: true,
        };
        let filter = partition_filter(&names, &[], &keys, Every::Hour, since, since + 3);
        assert_eq!(
            filter,
            "((\"year\" = '2024' AND \"month\" = '01' AND \"day\" = '31') OR (\"year\" = '2024' AND \"month\" = '02' AND \"day\" = '01'))"
        );
        // Years of days list months instead.
        let long = partition_filter(
            &names,
            &[],
            &keys,
            Every::Day,
            hour("2020-01-01"),
            hour("2023-12-31"),
        );
        assert!(
            long.contains("\"month\" = '12'") && !long.contains("\"day\""),
            "{long}"
        );
        let unsorted = TimeKeys::Formatted {
            position: 0,
            format: ValueFormat::parse("%d-%m-%Y").unwrap(),
        };
        let filter = partition_filter(
            &["dt".into()],
            &[],
            &unsorted,
            Every::Day,
            hour("2024-01-30"),
            hour("2024-02-01"),
        );
        assert_eq!(
            filter,
            "\"dt\" IN ('01-02-2024', '30-01-2024', '31-01-2024')"
        );
    }

    #[test]
    fn columns_are_found_whatever_their_case_or_named_in_the_error() {
        assert_eq!(
            column_type(&table(&["dt"]), "TS", "--time-column").unwrap(),
            "timestamp"
        );
        assert_eq!(
            column_type(&table(&["dt"]), "dt", "--group-by").unwrap(),
            "string"
        );
        let err = column_type(&table(&[]), "when", "--time-column").unwrap_err();
        assert!(err.to_string().contains("--time-column `when`"), "{err}");
        assert!(err.to_string().contains("ts, symbol"), "{err}");
    }
}

//! Athena results as plain data: cells typed by `ColumnInfo.Type`, the
//! tab-packed rows of DESCRIBE, the rows of SHOW PARTITIONS, CSV cells, the
//! cost of a query and how long to wait between polls.

use std::time::Duration;

use serde_json::Value;

use crate::model::layout::unescape_path_name;

/// How a column's values are typed in JSON, from its Athena type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// tinyint, smallint, integer, bigint: numbers.
    Integer,
    /// float, real, double: numbers (NaN and infinities as strings).
    Float,
    /// boolean: true and false.
    Boolean,
    /// Everything else (decimal included, to stay exact): strings as
    /// Athena printed them.
    Text,
}

impl ValueKind {
    /// The kind of an Athena type name (`varchar`, `decimal(10,2)`,
    /// `array(integer)`, ...).
    pub fn of(athena_type: &str) -> Self {
        let base = athena_type
            .split(['(', '<'])
            .next()
            .unwrap_or_default()
            .trim();
        let is = |name: &str| base.eq_ignore_ascii_case(name);
        if ["tinyint", "smallint", "integer", "int", "bigint"]
            .into_iter()
            .any(is)
        {
            Self::Integer
        } else if ["float", "real", "double"].into_iter().any(is) {
            Self::Float
        } else if is("boolean") {
            Self::Boolean
        } else {
            Self::Text
        }
    }

    /// A cell as JSON of this kind; a value that does not read as one
    /// (an integer too large, `NaN`) stays a string.
    pub fn value(self, cell: Option<&str>) -> Value {
        let Some(text) = cell else {
            return Value::Null;
        };
        match self {
            Self::Integer => text
                .parse::<i64>()
                .map(Value::from)
                .unwrap_or_else(|_| Value::from(text)),
            Self::Float => match text.parse::<f64>() {
                Ok(n) if n.is_finite() => Value::from(n),
                _ => Value::from(text),
            },
            Self::Boolean => match text {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                other => Value::from(other),
            },
            Self::Text => Value::from(text),
        }
    }
}

/// A cell as JSON, typed by its column's Athena type: integers and floats
/// as numbers (NaN and infinities as strings), booleans as booleans,
/// decimals as exact strings, everything else as Athena printed it. A cell
/// without a value is null, apart from an empty string.
pub fn typed_value(athena_type: &str, cell: Option<&str>) -> Value {
    ValueKind::of(athena_type).value(cell)
}

/// One column of a DESCRIBE result.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DescribedColumn {
    /// The column's name.
    pub name: String,
    /// Its type, as Athena printed it.
    #[serde(rename = "type")]
    pub type_name: String,
    /// Its comment, if any.
    pub comment: Option<String>,
    /// True for a partition key (listed again under `# Partition
    /// Information`).
    pub partition_key: bool,
}

/// Parses DESCRIBE's rows: one value each, `name<TAB>type<TAB>comment`,
/// with `#` section lines and blank lines between. A column listed again
/// under `# Partition Information` is a partition key.
pub fn parse_describe<'a>(rows: impl IntoIterator<Item = &'a str>) -> Vec<DescribedColumn> {
    #[derive(PartialEq)]
    enum Section {
        Columns,
        Partitions,
        Other,
    }
    let mut columns: Vec<DescribedColumn> = Vec::new();
    let mut section = Section::Columns;
    for row in rows {
        let trimmed = row.trim();
        if trimmed.starts_with('#') {
            // `# col_name ...` heads the columns of the current section;
            // any other `#` line starts a section.
            let lower = trimmed.to_ascii_lowercase();
            if !lower.starts_with("# col_name") {
                section = if lower.contains("partition information") {
                    Section::Partitions
                } else {
                    Section::Other
                };
            }
            continue;
        }
        if trimmed.is_empty() || section == Section::Other {
            continue;
        }
        let mut parts = row.split('\t').map(str::trim);
        let name = parts.next().unwrap_or_default().to_string();
        let type_name = parts.next().unwrap_or_default().to_string();
        let comment = parts.next().filter(|c| !c.is_empty()).map(str::to_string);
        let in_partitions = section == Section::Partitions;
        if in_partitions {
            if let Some(existing) = columns.iter_mut().find(|c| c.name == name) {
                existing.partition_key = true;
                continue;
            }
        }
        columns.push(DescribedColumn {
            name,
            type_name,
            comment,
            partition_key: in_partitions,
        });
    }
    columns
}

/// Parses one row of SHOW PARTITIONS (`year=2024/month=01`) into key and
/// value pairs, values unescaped as Hive escapes them.
pub fn parse_partition_row(row: &str) -> Vec<(String, String)> {
    row.trim()
        .split('/')
        .filter(|part| !part.is_empty())
        .map(|part| match part.split_once('=') {
            Some((key, value)) => (unescape_path_name(key), unescape_path_name(value)),
            None => (String::new(), unescape_path_name(part)),
        })
        .collect()
}

/// A CSV field by RFC 4180: quoted when it holds a comma, a quote or a line
/// break (quotes doubled). NULL is an empty field; an empty string is `""`,
/// so the two stay apart.
pub fn csv_field(cell: Option<&str>) -> String {
    match cell {
        None => String::new(),
        Some("") => "\"\"".to_string(),
        Some(text) if text.contains([',', '"', '\n', '\r']) => {
            format!("\"{}\"", text.replace('"', "\"\""))
        }
        Some(text) => text.to_string(),
    }
}

/// Athena's price: $5 per TB scanned, rounded up to the next MB, at least
/// 10 MB per query (binary units, as AWS bills data).
pub fn estimated_cost_usd(bytes_scanned: u64) -> f64 {
    const MB: u64 = 1 << 20;
    const TB: f64 = (1u64 << 40) as f64;
    let billed = bytes_scanned.div_ceil(MB).max(10) * MB;
    billed as f64 / TB * 5.0
}

/// How long to wait before poll number `attempt` (0-based): from about
/// 200 ms, growing by half each time, capped near 5 s, with jitter in
/// [50%, 100%] of the step so many clients do not poll in step. `jitter`
/// is a number in [0, 1).
pub fn poll_delay(attempt: u32, jitter: f64) -> Duration {
    let step = (200.0 * 1.5f64.powi(attempt.min(20) as i32)).min(5_000.0);
    Duration::from_millis((step * (0.5 + 0.5 * jitter.clamp(0.0, 1.0))) as u64)
}

/// Where a query is in its life.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum QueryState {
    /// Waiting for capacity.
    Queued,
    /// Running.
    Running,
    /// Finished with results.
    Succeeded,
    /// Finished with an error (the reason is in [`QueryStatus::reason`]).
    Failed,
    /// Stopped before it finished.
    Cancelled,
}

impl QueryState {
    /// Parses Athena's name for a state; `None` for one this build does not
    /// know.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "QUEUED" => Self::Queued,
            "RUNNING" => Self::Running,
            "SUCCEEDED" => Self::Succeeded,
            "FAILED" => Self::Failed,
            "CANCELLED" => Self::Cancelled,
            _ => return None,
        })
    }

    /// Athena's name for the state.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Queued => "QUEUED",
            Self::Running => "RUNNING",
            Self::Succeeded => "SUCCEEDED",
            Self::Failed => "FAILED",
            Self::Cancelled => "CANCELLED",
        }
    }

    /// True once the query will not change any more.
    pub fn is_final(&self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Cancelled)
    }
}

/// What GetQueryExecution says about one query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryStatus {
    /// The query execution id.
    pub id: String,
    /// The SQL as Athena received it.
    pub query: String,
    /// Its state.
    pub state: QueryState,
    /// Why it failed or was cancelled, as Athena says.
    pub reason: Option<String>,
    /// `DML`, `DDL` or `UTILITY`.
    pub statement_type: Option<String>,
    /// Bytes scanned so far.
    pub bytes_scanned: u64,
    /// Engine time, in milliseconds.
    pub engine_ms: u64,
    /// Time spent queued, in milliseconds.
    pub queue_ms: u64,
    /// Where Athena wrote the results.
    pub output_location: Option<String>,
    /// The literals its `?` placeholders were bound to
    /// (`ExecutionParameters`).
    pub parameters: Vec<String>,
    /// The result file is encrypted on the client side (`CSE_KMS`): its
    /// bytes are not CSV, so results come through GetQueryResults.
    pub client_side_encrypted: bool,
}

/// One column of a result set, from `ColumnInfo`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ResultColumn {
    /// Its name (label).
    pub name: String,
    /// Its Athena type (`varchar`, `decimal`, `array(integer)`, ...).
    #[serde(rename = "type")]
    pub type_name: String,
    /// Precision, for decimals and strings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub precision: Option<i32>,
    /// Scale, for decimals.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale: Option<i32>,
}

/// A row of cells; `None` is NULL.
pub type ResultRow = Vec<Option<String>>;

/// Rows whose cells share one text buffer: a million rows are a handful
/// of allocations, not one per cell.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowBatch {
    text: String,
    /// Per cell: where its text ends in `text`, and whether it is NULL.
    cells: Vec<(usize, bool)>,
    /// Per row: where its cells end in `cells`.
    rows: Vec<usize>,
}

impl RowBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// A batch holding these rows.
    pub fn from_rows<'a>(rows: impl IntoIterator<Item = &'a ResultRow>) -> Self {
        let mut batch = Self::new();
        for row in rows {
            for cell in row {
                batch.push_cell(cell.as_deref());
            }
            batch.end_row();
        }
        batch
    }

    /// Rows in the batch.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when it holds no row.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Adds a cell to the row being built (`None` is NULL).
    pub fn push_cell(&mut self, cell: Option<&str>) {
        if let Some(text) = cell {
            self.text.push_str(text);
        }
        self.cells.push((self.text.len(), cell.is_none()));
    }

    /// Ends the row being built.
    pub fn end_row(&mut self) {
        self.rows.push(self.cells.len());
    }

    /// The `index`th row's cells.
    pub fn row(&self, index: usize) -> Cells<'_> {
        let first = index.checked_sub(1).map_or(0, |i| self.rows[i]);
        let start = first.checked_sub(1).map_or(0, |c| self.cells[c].0);
        Cells {
            batch: self,
            next: first,
            end: self.rows[index],
            at: start,
        }
    }

    /// Every row, in order.
    pub fn iter(&self) -> impl Iterator<Item = Cells<'_>> + '_ {
        (0..self.len()).map(|i| self.row(i))
    }

    /// Keeps the first `n` rows.
    pub fn truncate(&mut self, n: usize) {
        if n >= self.len() {
            return;
        }
        let cells = n.checked_sub(1).map_or(0, |i| self.rows[i]);
        let text = cells.checked_sub(1).map_or(0, |c| self.cells[c].0);
        self.rows.truncate(n);
        self.cells.truncate(cells);
        self.text.truncate(text);
    }

    /// Drops the first `n` rows.
    pub fn skip(&mut self, n: usize) {
        if n == 0 {
            return;
        }
        if n >= self.len() {
            *self = Self::new();
            return;
        }
        let cells = self.rows[n - 1];
        let text = cells.checked_sub(1).map_or(0, |c| self.cells[c].0);
        self.text.drain(..text);
        self.cells.drain(..cells);
        for cell in &mut self.cells {
            cell.0 -= text;
        }
        self.rows.drain(..n);
        for row in &mut self.rows {
            *row -= cells;
        }
    }

    /// Appends another batch's rows.
    pub fn append(&mut self, other: &RowBatch) {
        let (text, cells) = (self.text.len(), self.cells.len());
        self.text.push_str(&other.text);
        self.cells
            .extend(other.cells.iter().map(|&(end, null)| (end + text, null)));
        self.rows.extend(other.rows.iter().map(|end| end + cells));
    }

    /// The rows as owned cells.
    pub fn to_rows(&self) -> Vec<ResultRow> {
        self.iter()
            .map(|row| row.map(|c| c.map(str::to_string)).collect())
            .collect()
    }
}

/// The cells of one row of a [`RowBatch`].
#[derive(Debug, Clone)]
pub struct Cells<'a> {
    batch: &'a RowBatch,
    next: usize,
    end: usize,
    at: usize,
}

impl Cells<'_> {
    /// Cells in the row.
    pub fn count(&self) -> usize {
        self.end - self.next
    }
}

impl<'a> Iterator for Cells<'a> {
    type Item = Option<&'a str>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.end {
            return None;
        }
        let (end, null) = self.batch.cells[self.next];
        let text = &self.batch.text[self.at..end];
        self.at = end;
        self.next += 1;
        Some((!null).then_some(text))
    }
}

/// One page of GetQueryResults.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResultPage {
    /// The result set's columns.
    pub columns: Vec<ResultColumn>,
    /// The rows on this page, the header row included when Athena sends
    /// one.
    pub rows: Vec<ResultRow>,
    /// The token for the next page, if there is one.
    pub next_token: Option<String>,
}

/// True when the first row of a result is a header: only statements that
/// return a result set (`DML`: SELECT, WITH, ...) get one. DESCRIBE and
/// SHOW (`UTILITY`) and `DDL` do not.
pub fn has_header_row(statement_type: Option<&str>) -> bool {
    statement_type.is_some_and(|t| t.eq_ignore_ascii_case("DML"))
}

/// The result file of a query whose result configuration says
/// `location`: `(bucket, key)`. Athena names the object itself
/// (`s3://B/P/<id>.csv`); a location that names only a folder gets
/// `<id>.csv` added. `None` when the location is not an S3 URL.
pub fn result_object(location: &str, id: &str) -> Option<(String, String)> {
    let rest = location.trim().strip_prefix("s3://")?;
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return None;
    }
    let key = if key.is_empty() || key.ends_with('/') {
        format!("{key}{id}.csv")
    } else {
        key.to_string()
    };
    Some((bucket.to_string(), key))
}

/// True when a result file is CSV (a SELECT's `.csv`); DDL and UTILITY
/// statements get a `.txt` written for people, read through
/// GetQueryResults instead.
pub fn is_csv_result(key: &str) -> bool {
    key.to_ascii_lowercase().ends_with(".csv")
}

/// What a result's rows hold, which decides how they are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultShape {
    /// Columns as `ColumnInfo` describes them.
    Rows,
    /// DESCRIBE's tab-packed rows: parsed into name, type, comment and
    /// partition key.
    Describe,
    /// SHOW PARTITIONS' `key=value/...` rows: parsed into one column per
    /// key.
    Partitions,
}

impl ResultShape {
    /// The shape of a statement's result, from its text and type: only a
    /// statement without a result set (not `DML`) can be a DESCRIBE or SHOW
    /// PARTITIONS; DESCRIBE FORMATTED and EXTENDED stay rows.
    pub fn of(sql: &str, statement_type: Option<&str>) -> Self {
        if has_header_row(statement_type) {
            return Self::Rows;
        }
        let words: Vec<String> = crate::model::sql::leading_words(sql, 2)
            .into_iter()
            .map(|w| w.to_ascii_uppercase())
            .collect();
        match words.iter().map(String::as_str).collect::<Vec<_>>()[..] {
            ["DESCRIBE" | "DESC", "FORMATTED" | "EXTENDED" | "INPUT" | "OUTPUT"] => Self::Rows,
            ["DESCRIBE" | "DESC", ..] => Self::Describe,
            ["SHOW", "PARTITIONS"] => Self::Partitions,
            _ => Self::Rows,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn owned(cells: &[Option<&str>]) -> ResultRow {
        cells.iter().map(|c| c.map(str::to_string)).collect()
    }

    #[test]
    fn a_batch_keeps_rows_null_and_empty_apart_through_skip_truncate_and_append() {
        let rows = vec![
            owned(&[Some("a"), None, Some("")]),
            owned(&[Some("bé"), Some("c"), None]),
            owned(&[None]),
            owned(&[Some("d"), Some("e"), Some("f")]),
        ];
        let batch = RowBatch::from_rows(&rows);
        assert_eq!(batch.len(), 4);
        assert_eq!(batch.to_rows(), rows);
        assert_eq!(batch.row(2).count(), 1);
        let mut skipped = batch.clone();
        skipped.skip(1);
        assert_eq!(skipped.to_rows(), rows[1..]);
        skipped.truncate(2);
        assert_eq!(skipped.to_rows(), rows[1..3]);
        let mut joined = RowBatch::from_rows(&rows[..1]);
        joined.append(&skipped);
        assert_eq!(joined.to_rows(), rows[..3]);
        joined.skip(10);
        assert!(joined.is_empty());
    }

    #[test]
    fn cells_are_typed_by_their_column() {
        assert_eq!(typed_value("integer", Some("42")), json!(42));
        assert_eq!(
            typed_value("bigint", Some("-9007199254740993")),
            json!(-9007199254740993i64)
        );
        assert_eq!(typed_value("double", Some("1.5")), json!(1.5));
        assert_eq!(typed_value("double", Some("NaN")), json!("NaN"));
        assert_eq!(typed_value("real", Some("Infinity")), json!("Infinity"));
        assert_eq!(typed_value("boolean", Some("true")), json!(true));
        assert_eq!(
            typed_value("decimal(38,2)", Some("12345678901234567890.12")),
            json!("12345678901234567890.12")
        );
        assert_eq!(typed_value("varchar", Some("")), json!(""));
        assert_eq!(typed_value("varchar", None), Value::Null);
        assert_eq!(
            typed_value("timestamp", Some("2024-01-01 00:00:00.000")),
            json!("2024-01-01 00:00:00.000")
        );
        assert_eq!(
            typed_value("array(varchar)", Some("[a, b]")),
            json!("[a, b]")
        );
        assert_eq!(typed_value("integer", None), Value::Null);
    }

    #[test]
    fn describe_rows_become_columns_and_partition_keys() {
        let rows = [
            "id                  \tbigint              \tthe id",
            "name                \tstring              \t",
            "year                \tstring              \t",
            "",
            "# Partition Information",
            "# col_name            \tdata_type           \tcomment",
            "",
            "year                \tstring              \t",
            "",
            "# Detailed Table Information",
            "Database:           \tdb                  \t",
        ];
        let columns = parse_describe(rows);
        assert_eq!(columns.len(), 3);
        assert_eq!(columns[0].name, "id");
        assert_eq!(columns[0].type_name, "bigint");
        assert_eq!(columns[0].comment.as_deref(), Some("the id"));
        assert_eq!(columns[1].comment, None);
        assert!(!columns[1].partition_key);
        assert!(columns[2].partition_key);
    }

    #[test]
    fn only_dml_has_a_header_row_and_shapes_follow_the_statement() {
        assert!(has_header_row(Some("DML")));
        assert!(!has_header_row(Some("UTILITY")));
        assert!(!has_header_row(Some("DDL")));
        assert!(!has_header_row(None));
        let shape = |sql, t| ResultShape::of(sql, Some(t));
        assert_eq!(
            shape("-- c\ndescribe db.t", "UTILITY"),
            ResultShape::Describe
        );
        assert_eq!(shape("DESCRIBE FORMATTED t", "UTILITY"), ResultShape::Rows);
        assert_eq!(shape("SHOW PARTITIONS t", "DDL"), ResultShape::Partitions);
        assert_eq!(shape("SHOW TABLES", "UTILITY"), ResultShape::Rows);
        assert_eq!(shape("SELECT 1", "DML"), ResultShape::Rows);
        assert_eq!(QueryState::parse("FAILED"), Some(QueryState::Failed));
        assert!(QueryState::Cancelled.is_final() && !QueryState::Running.is_final());
    }

    #[test]
    fn partition_rows_are_unescaped_pairs() {
        assert_eq!(
            parse_partition_row("year=2024/ts=2024-01-01 00%3A00"),
            [
                ("year".to_string(), "2024".to_string()),
                ("ts".to_string(), "2024-01-01 00:00".to_string())
            ]
        );
    }

    #[test]
    fn csv_keeps_null_and_empty_apart() {
        assert_eq!(csv_field(None), "");
        assert_eq!(csv_field(Some("")), "\"\"");
        assert_eq!(csv_field(Some("plain")), "plain");
        assert_eq!(csv_field(Some("a,b")), "\"a,b\"");
        assert_eq!(csv_field(Some("say \"hi\"")), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field(Some("two\nlines")), "\"two\nlines\"");
    }

    #[test]
    fn cost_has_a_10_mb_minimum_and_rounds_up_to_the_mb() {
        let ten_mb = 10.0 * (1u64 << 20) as f64 / (1u64 << 40) as f64 * 5.0;
        assert_eq!(estimated_cost_usd(0), ten_mb);
        assert_eq!(estimated_cost_usd(1), ten_mb);
        assert_eq!(estimated_cost_usd(1 << 40), 5.0);
        assert_eq!(
            estimated_cost_usd((1 << 40) + 1),
            (((1u64 << 20) + 1) as f64) * (1u64 << 20) as f64 / (1u64 << 40) as f64 * 5.0
        );
    }

    #[test]
    fn polls_back_off_from_200_ms_to_about_5_s_with_jitter() {
        assert_eq!(poll_delay(0, 0.999_999), Duration::from_millis(199));
        assert_eq!(poll_delay(0, 0.0), Duration::from_millis(100));
        assert!(poll_delay(3, 1.0) > poll_delay(2, 1.0));
        assert_eq!(poll_delay(50, 1.0), Duration::from_millis(5_000));
        assert_eq!(poll_delay(50, 0.0), Duration::from_millis(2_500));
    }
}

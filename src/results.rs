//! Query results on stdout, written as they arrive: an aligned table for
//! people, CSV by RFC 4180, one JSON document, or JSON Lines. NULL (a cell
//! without a value) and the empty string stay apart in every format.

use std::io::{self, Write};

#[cfg(test)]
use glutil::model::athena::ResultRow;
use glutil::model::athena::{csv_field, Cells, ResultColumn, RowBatch, ValueKind};
#[cfg(test)]
use serde_json::Value;

/// The format of query results on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ResultFormat {
    /// Aligned columns for people; NULL shown as `NULL` (`text`, as every
    /// other command calls its format for people, is the same).
    #[value(alias = "text")]
    Table,
    /// RFC 4180 CSV with a header line; NULL is an empty field, an empty
    /// string is `""`.
    Csv,
    /// One JSON document: the query, its columns, its rows as objects
    /// typed by column type, and its statistics (an array of those for
    /// several statements).
    Json,
    /// One JSON object per row.
    Jsonl,
}

/// What is known about a statement before its rows.
#[derive(Debug, Clone)]
pub struct Heading<'a> {
    /// Its place in the script (1-based) and the script's length.
    pub number: usize,
    /// How many statements the run has.
    pub of: usize,
    /// The query execution id, once started.
    pub id: Option<&'a str>,
    /// The SQL.
    pub sql: &'a str,
    /// The literals bound to its `?` placeholders, in order.
    pub parameters: &'a [String],
    /// Its final state, or `TIMED_OUT` / `NOT_STARTED`.
    pub state: &'a str,
    /// `DML`, `DDL` or `UTILITY`.
    pub statement_type: Option<&'a str>,
}

/// Writes results in one format.
pub struct Printer<W: Write> {
    format: ResultFormat,
    out: W,
    /// Several statements: JSON becomes an array, the table gets headings.
    script: bool,
    written: usize,
    widths: Vec<usize>,
    /// The table's header, printed with the first rows so that both align.
    pending_header: Option<Vec<String>>,
    rows_in_statement: u64,
    /// Per column of the current statement: its JSON key (quoted, with
    /// the colon) and how its values are typed.
    keys: Vec<(String, ValueKind)>,
}

impl<W: Write> Printer<W> {
    /// A printer for a run of `statements` statements.
    pub fn new(format: ResultFormat, out: W, statements: usize) -> Self {
        Self {
            format,
            out,
            script: statements > 1,
            written: 0,
            widths: Vec::new(),
            pending_header: None,
            rows_in_statement: 0,
            keys: Vec::new(),
        }
    }

    /// Starts a statement's output: its heading and columns.
    pub fn begin(&mut self, heading: &Heading, columns: &[ResultColumn]) -> io::Result<()> {
        self.rows_in_statement = 0;
        self.widths = columns.iter().map(|c| c.name.chars().count()).collect();
        self.keys = columns
            .iter()
            .map(|c| (json_key(&c.name), ValueKind::of(&c.type_name)))
            .collect();
        let first = self.written == 0;
        self.written += 1;
        match self.format {
            ResultFormat::Table => self.begin_table(heading, columns, first),
            ResultFormat::Csv => {
                if !first {
                    writeln!(self.out)?;
                }
                let names: Vec<String> = columns.iter().map(|c| csv_field(Some(&c.name))).collect();
                writeln!(self.out, "{}", names.join(","))
            }
            ResultFormat::Json => {
                let opening = self.json_opening(first);
                let text = serde_json::to_string(&HeadJson::new(heading, Some(columns), None))?;
                // Leave the object open for its rows.
                write!(self.out, "{opening}{},\"rows\":[", &text[..text.len() - 1])
            }
            ResultFormat::Jsonl => Ok(()),
        }
    }

    fn begin_table(
        &mut self,
        heading: &Heading,
        columns: &[ResultColumn],
        first: bool,
    ) -> io::Result<()> {
        if self.script {
            if !first {
                writeln!(self.out)?;
            }
            let id = heading.id.unwrap_or("not started");
            let bound = if heading.parameters.is_empty() {
                String::new()
            } else {
                format!(" ({})", heading.parameters.join(", "))
            };
            writeln!(
                self.out,
                "-- statement {}/{}: {id}{bound}",
                heading.number, heading.of
            )?;
        }
        if !columns.is_empty() {
            self.pending_header = Some(columns.iter().map(|c| c.name.clone()).collect());
        }
        Ok(())
    }

    fn table_header(&mut self) -> io::Result<()> {
        let Some(names) = self.pending_header.take() else {
            return Ok(());
        };
        self.table_line(&names.iter().map(|n| Some(n.as_str())).collect::<Vec<_>>())?;
        let rule: Vec<String> = self
            .widths
            .iter()
            .map(|w| "-".repeat((*w).max(1)))
            .collect();
        writeln!(self.out, "{}", rule.join("  ").trim_end())
    }

    /// Writes rows of the current statement (typed as the columns given
    /// to [`Printer::begin`]).
    pub fn rows(&mut self, _columns: &[ResultColumn], rows: &RowBatch) -> io::Result<()> {
        match self.format {
            ResultFormat::Table => {
                for row in rows.iter() {
                    for (width, cell) in self.widths.iter_mut().zip(row) {
                        *width = (*width).max(table_cell(cell).chars().count());
                    }
                }
                self.table_header()?;
                for row in rows.iter() {
                    let cells: Vec<Option<&str>> = row.collect();
                    self.table_line(&cells)?;
                }
            }
            ResultFormat::Csv => {
                for row in rows.iter() {
                    for (i, cell) in row.enumerate() {
                        if i > 0 {
                            self.out.write_all(b",")?;
                        }
                        write_csv_cell(&mut self.out, cell)?;
                    }
                    self.out.write_all(b"\n")?;
                }
            }
            ResultFormat::Json | ResultFormat::Jsonl => {
                for row in rows.iter() {
                    match self.format {
                        ResultFormat::Jsonl => {}
                        _ if self.rows_in_statement == 0 => self.out.write_all(b"\n")?,
                        _ => self.out.write_all(b",\n")?,
                    }
                    write_row_object(&mut self.out, &self.keys, row)?;
                    if self.format == ResultFormat::Jsonl {
                        self.out.write_all(b"\n")?;
                    }
                    self.rows_in_statement += 1;
                }
            }
        }
        self.out.flush()
    }

    fn table_line(&mut self, cells: &[Option<&str>]) -> io::Result<()> {
        let mut line = String::new();
        for (i, cell) in cells.iter().enumerate() {
            let text = table_cell(*cell);
            let width = self.widths.get(i).copied().unwrap_or(0);
            if i > 0 {
                line.push_str("  ");
            }
            line.push_str(&text);
            line.extend(std::iter::repeat_n(
                ' ',
                width.saturating_sub(text.chars().count()),
            ));
        }
        writeln!(self.out, "{}", line.trim_end())
    }

    /// Ends the current statement's output; JSON gets what is known only
    /// after the rows.
    pub fn end(&mut self, truncated: bool, stats: Option<String>) -> io::Result<()> {
        self.table_header()?;
        if self.format == ResultFormat::Json {
            let closing = if self.rows_in_statement == 0 {
                ""
            } else {
                "\n"
            };
            write!(self.out, "{closing}],\"truncated\":{truncated}")?;
            if let Some(stats) = stats {
                write!(self.out, ",\"stats\":{stats}")?;
            }
            write!(self.out, "}}")?;
            if !self.script {
                writeln!(self.out)?;
            }
        }
        self.out.flush()
    }

    /// What comes before a statement's JSON object: a script's objects form
    /// one array, `statements`, in a document that starts as every
    /// command's does.
    fn json_opening(&self, first: bool) -> &'static str {
        match (self.script, first) {
            (true, true) => "{\"command\":\"query\",\"dry_run\":false,\"statements\":[\n",
            (true, false) => ",\n",
            (false, _) => "",
        }
    }

    /// A statement that produced no results: in JSON, an object with its
    /// state and error; elsewhere nothing (the error goes to stderr).
    pub fn failed(&mut self, heading: &Heading, error: &str) -> io::Result<()> {
        if self.format != ResultFormat::Json {
            return Ok(());
        }
        let opening = self.json_opening(self.written == 0);
        self.written += 1;
        let object = serde_json::to_string(&HeadJson::new(heading, None, Some(error)))?;
        write!(self.out, "{opening}{object}")?;
        if !self.script {
            writeln!(self.out)?;
        }
        self.out.flush()
    }

    /// Closes the document (the JSON array of a script).
    pub fn finish(mut self) -> io::Result<()> {
        if self.format == ResultFormat::Json && self.script {
            if self.written == 0 {
                write!(self.out, "{}", self.json_opening(true).trim_end())?;
            }
            writeln!(self.out, "\n]}}")?;
        }
        self.out.flush()
    }
}

/// What a statement's JSON object starts with, in this order.
#[derive(serde::Serialize)]
struct HeadJson<'a> {
    /// `query`, for a document of one statement (a script's statements sit
    /// in a document that says it).
    #[serde(skip_serializing_if = "Option::is_none")]
    command: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dry_run: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    statement: Option<usize>,
    query_execution_id: Option<&'a str>,
    sql: &'a str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    parameters: &'a [String],
    state: &'a str,
    statement_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    columns: Option<&'a [ResultColumn]>,
}

impl<'a> HeadJson<'a> {
    fn new(
        heading: &'a Heading<'a>,
        columns: Option<&'a [ResultColumn]>,
        error: Option<&'a str>,
    ) -> Self {
        let alone = heading.of <= 1;
        Self {
            command: alone.then_some("query"),
            dry_run: alone.then_some(false),
            statement: (heading.of > 1).then_some(heading.number),
            query_execution_id: heading.id,
            sql: heading.sql,
            parameters: heading.parameters,
            state: heading.state,
            statement_type: heading.statement_type,
            error,
            columns,
        }
    }
}

/// A column name as a JSON object key, with its colon.
fn json_key(name: &str) -> String {
    let mut key = serde_json::to_string(name).unwrap_or_else(|_| "\"\"".to_string());
    key.push(':');
    key
}

/// A row as a JSON object keyed by column name, in column order, each
/// value typed by its column's type (a cell beyond the columns is
/// `_colN`, a string).
fn write_row_object<W: Write>(
    out: &mut W,
    keys: &[(String, ValueKind)],
    row: Cells<'_>,
) -> io::Result<()> {
    out.write_all(b"{")?;
    for (i, cell) in row.enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        let kind = match keys.get(i) {
            Some((key, kind)) => {
                out.write_all(key.as_bytes())?;
                *kind
            }
            None => {
                write!(out, "\"_col{i}\":")?;
                ValueKind::Text
            }
        };
        write_json_cell(out, kind, cell)?;
    }
    out.write_all(b"}")
}

/// One value typed by its column's kind, as [`ValueKind::value`] types it,
/// written without building it first.
fn write_json_cell<W: Write>(out: &mut W, kind: ValueKind, cell: Option<&str>) -> io::Result<()> {
    let Some(text) = cell else {
        return out.write_all(b"null");
    };
    match kind {
        ValueKind::Integer => {
            if let Ok(n) = text.parse::<i64>() {
                return write!(out, "{n}");
            }
        }
        ValueKind::Float => match text.parse::<f64>() {
            Ok(n) if n.is_finite() => {
                return serde_json::to_writer(&mut *out, &n).map_err(io::Error::other)
            }
            _ => {}
        },
        ValueKind::Boolean if text == "true" || text == "false" => {
            return out.write_all(text.as_bytes());
        }
        _ => {}
    }
    serde_json::to_writer(&mut *out, text).map_err(io::Error::other)
}

/// A CSV field by RFC 4180, as [`csv_field`] spells it, written in place.
fn write_csv_cell<W: Write>(out: &mut W, cell: Option<&str>) -> io::Result<()> {
    match cell {
        None => Ok(()),
        Some("") => out.write_all(b"\"\""),
        Some(text)
            if text
                .bytes()
                .any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) =>
        {
            out.write_all(b"\"")?;
            for (i, part) in text.split('"').enumerate() {
                if i > 0 {
                    out.write_all(b"\"\"")?;
                }
                out.write_all(part.as_bytes())?;
            }
            out.write_all(b"\"")
        }
        Some(text) => out.write_all(text.as_bytes()),
    }
}

/// A cell as a person reads it: NULL spelled out, control characters
/// escaped so a row stays on one line.
fn table_cell(cell: Option<&str>) -> String {
    match cell {
        None => "NULL".to_string(),
        Some(text) => text
            .replace('\\', "\\\\")
            .replace('\n', "\\n")
            .replace('\r', "\\r")
            .replace('\t', "\\t"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn columns() -> Vec<ResultColumn> {
        ["n:integer", "s:varchar", "ok:boolean", "d:decimal"]
            .iter()
            .map(|c| {
                let (name, type_name) = c.split_once(':').unwrap();
                ResultColumn {
                    name: name.into(),
                    type_name: type_name.into(),
                    precision: None,
                    scale: None,
                }
            })
            .collect()
    }

    fn rows() -> Vec<ResultRow> {
        vec![
            vec![
                Some("1".into()),
                None,
                Some("true".into()),
                Some("1.50".into()),
            ],
            vec![
                Some("22".into()),
                Some("".into()),
                Some("false".into()),
                None,
            ],
            vec![
                Some("3".into()),
                Some("a,\"b\"\nc".into()),
                None,
                Some("0.10".into()),
            ],
        ]
    }

    fn print(format: ResultFormat, statements: usize) -> String {
        let mut out = Vec::new();
        let mut printer = Printer::new(format, &mut out, statements);
        let heading = Heading {
            number: 1,
            of: statements,
            id: Some("q-1"),
            sql: "SELECT 1",
            parameters: &[],
            state: "SUCCEEDED",
            statement_type: Some("DML"),
        };
        printer.begin(&heading, &columns()).unwrap();
        printer
            .rows(&columns(), &RowBatch::from_rows(&rows()[..2]))
            .unwrap();
        printer
            .rows(&columns(), &RowBatch::from_rows(&rows()[2..]))
            .unwrap();
        printer
            .end(false, Some(json!({"data_scanned_bytes": 0}).to_string()))
            .unwrap();
        printer.finish().unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn json_rows_are_typed_objects_and_null_is_not_empty() {
        let text = print(ResultFormat::Json, 1);
        assert!(
            text.starts_with(r#"{"command":"query","dry_run":false,"#),
            "{text}"
        );
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc["query_execution_id"], "q-1");
        assert_eq!(
            doc["rows"][0],
            json!({"n": 1, "s": null, "ok": true, "d": "1.50"})
        );
        assert_eq!(doc["rows"][1]["s"], "");
        assert_eq!(doc["rows"].as_array().unwrap().len(), 3);
        assert_eq!(doc["columns"][3]["type"], "decimal");
        assert_eq!(doc["truncated"], false);
        let text = print(ResultFormat::Json, 2);
        assert!(
            text.starts_with(r#"{"command":"query","dry_run":false,"#),
            "{text}"
        );
        let script: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(script["dry_run"], false);
        assert_eq!(script["statements"][0]["statement"], 1);
        assert!(script["statements"][0].get("command").is_none());
    }

    #[test]
    fn csv_quotes_by_rfc_4180() {
        let text = print(ResultFormat::Csv, 1);
        assert_eq!(
            text,
            "n,s,ok,d\n1,,true,1.50\n22,\"\",false,\n3,\"a,\"\"b\"\"\nc\",,0.10\n"
        );
    }

    #[test]
    fn the_table_aligns_and_spells_out_null() {
        let text = print(ResultFormat::Table, 1);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "n   s     ok     d");
        assert_eq!(lines[1], "--  ----  -----  ----");
        assert_eq!(lines[2], "1   NULL  true   1.50");
        assert_eq!(lines[3], "22        false  NULL");
        // A later page widens its columns as it needs to.
        assert_eq!(lines[4], "3   a,\"b\"\\nc  NULL   0.10");
    }

    #[test]
    fn values_written_in_place_are_the_typed_values() {
        let cases = [
            (
                ValueKind::Integer,
                ["1", "-7", "007", "99999999999999999999", "x", ""],
            ),
            (
                ValueKind::Float,
                ["1.5", "-0.0", "1e300", "NaN", "Infinity", "0.1"],
            ),
            (ValueKind::Boolean, ["true", "false", "TRUE", "", "1", "no"]),
            (ValueKind::Text, ["a\"b", "\u{1}", "é", "", "\n", "\\"]),
        ];
        for (kind, texts) in cases {
            for text in texts.into_iter().map(Some).chain([None]) {
                let mut out = Vec::new();
                write_json_cell(&mut out, kind, text).unwrap();
                let expected = kind.value(text).to_string();
                assert_eq!(
                    String::from_utf8(out).unwrap(),
                    expected,
                    "{kind:?} {text:?}"
                );
            }
        }
        for text in ["a", "a,b", "q\"", "l\nm", "", "\r"] {
            let mut out = Vec::new();
            write_csv_cell(&mut out, Some(text)).unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), csv_field(Some(text)));
        }
    }

    #[test]
    fn jsonl_is_one_object_per_row() {
        let text = print(ResultFormat::Jsonl, 1);
        let rows: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[2]["ok"], Value::Null);
    }
}

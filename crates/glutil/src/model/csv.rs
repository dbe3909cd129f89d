//! Athena's CSV result files read as they stream in: RFC 4180 quoting
//! (every value quoted, quotes doubled, commas and line breaks inside
//! quotes), a NULL as an unquoted empty field and the empty string as
//! `""`. Bytes come in chunks of any size, cut anywhere (inside a quoted
//! value, between `\r` and `\n`, inside a UTF-8 character); complete rows
//! come out. Memory is one row plus the chunk.
//!
//! One leniency: a quote inside a quoted value that is neither doubled nor
//! followed by a separator is kept as a character (writers that forget to
//! double quotes, moto's among them, then still read as they meant).

use crate::model::athena::ResultRow;

/// Where the reader is within a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the start of a field.
    FieldStart,
    /// Inside a field that began without a quote.
    Unquoted,
    /// Inside a quoted field.
    Quoted,
    /// Just after a quote inside a quoted field: a doubled quote, the
    /// field's end, or (leniently) a stray quote.
    QuoteInQuoted,
    /// Just after a `\r` that ended a row (a `\n` may follow).
    AfterCr,
}

/// Reads CSV rows from chunks of bytes.
#[derive(Debug)]
pub struct CsvReader {
    state: State,
    field: Vec<u8>,
    quoted: bool,
    row: ResultRow,
    /// Rows completed so far.
    rows: u64,
    /// Bytes fed so far.
    bytes: u64,
}

impl Default for CsvReader {
    fn default() -> Self {
        Self::new()
    }
}

impl CsvReader {
    /// A reader at the start of a file.
    pub fn new() -> Self {
        Self {
            state: State::FieldStart,
            field: Vec::new(),
            quoted: false,
            row: Vec::new(),
            rows: 0,
            bytes: 0,
        }
    }

    /// Rows completed so far.
    pub fn rows_read(&self) -> u64 {
        self.rows
    }

    /// Bytes fed so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes
    }

    /// Reads a chunk; every row it completes is appended to `out`.
    pub fn feed(&mut self, chunk: &[u8], out: &mut Vec<ResultRow>) {
        self.bytes += chunk.len() as u64;
        let mut i = 0;
        while i < chunk.len() {
            let byte = chunk[i];
            match self.state {
                State::Quoted => {
                    // The common case, a run of plain bytes, in one step.
                    let run = chunk[i..]
                        .iter()
                        .position(|&b| b == b'"')
                        .unwrap_or(chunk.len() - i);
                    self.field.extend_from_slice(&chunk[i..i + run]);
                    i += run;
                    if i < chunk.len() {
                        self.state = State::QuoteInQuoted;
                        i += 1;
                    }
                    continue;
                }
                State::QuoteInQuoted => match byte {
                    b'"' => {
                        self.field.push(b'"');
                        self.state = State::Quoted;
                    }
                    b',' => self.end_field(),
                    b'\n' => self.end_row(out),
                    b'\r' => {
                        self.end_row(out);
                        self.state = State::AfterCr;
                    }
                    other => {
                        self.field.extend_from_slice(&[b'"', other]);
                        self.state = State::Quoted;
                    }
                },
                State::AfterCr if byte == b'\n' => self.state = State::FieldStart,
                State::AfterCr | State::FieldStart => {
                    self.state = State::FieldStart;
                    match byte {
                        b'"' => {
                            self.quoted = true;
                            self.state = State::Quoted;
                        }
                        b',' => self.end_field(),
                        b'\n' => self.end_row(out),
                        b'\r' => {
                            self.end_row(out);
                            self.state = State::AfterCr;
                        }
                        other => {
                            self.field.push(other);
                            self.state = State::Unquoted;
                        }
                    }
                }
                State::Unquoted => match byte {
                    b',' => self.end_field(),
                    b'\n' => self.end_row(out),
                    b'\r' => {
                        self.end_row(out);
                        self.state = State::AfterCr;
                    }
                    other => self.field.push(other),
                },
            }
            i += 1;
        }
    }

    /// Ends the file: a last row without a line break is appended to
    /// `out`. A quoted value still open is an error.
    pub fn finish(&mut self, out: &mut Vec<ResultRow>) -> Result<(), String> {
        match self.state {
            State::Quoted => Err(format!(
                "the file ends inside a quoted value (row {})",
                self.rows + 1
            )),
            State::FieldStart if self.row.is_empty() => Ok(()),
            State::AfterCr => Ok(()),
            _ => {
                self.end_row(out);
                Ok(())
            }
        }
    }

    fn end_field(&mut self) {
        // One allocation of the value's size; the field buffer is kept.
        let value = (self.quoted || !self.field.is_empty())
            .then(|| String::from_utf8_lossy(&self.field).into_owned());
        self.field.clear();
        self.row.push(value);
        self.quoted = false;
        self.state = State::FieldStart;
    }

    fn end_row(&mut self, out: &mut Vec<ResultRow>) {
        self.end_field();
        let width = self.row.len();
        out.push(std::mem::replace(&mut self.row, Vec::with_capacity(width)));
        self.rows += 1;
    }
}

/// A value as Athena writes it into a result file: quoted, quotes
/// doubled; NULL as nothing.
pub fn athena_csv_field(cell: Option<&str>) -> String {
    match cell {
        None => String::new(),
        Some(text) => format!("\"{}\"", text.replace('"', "\"\"")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> Option<String> {
        Some(text.to_string())
    }

    fn read_in_chunks(bytes: &[u8], size: usize) -> Result<Vec<ResultRow>, String> {
        let mut reader = CsvReader::new();
        let mut rows = Vec::new();
        for chunk in bytes.chunks(size) {
            reader.feed(chunk, &mut rows);
        }
        reader.finish(&mut rows)?;
        assert_eq!(reader.rows_read(), rows.len() as u64);
        Ok(rows)
    }

    fn file(rows: &[ResultRow]) -> String {
        rows.iter()
            .map(|row| {
                let cells: Vec<String> =
                    row.iter().map(|c| athena_csv_field(c.as_deref())).collect();
                cells.join(",") + "\n"
            })
            .collect()
    }

    #[test]
    fn athena_quoting_round_trips_whatever_the_chunks() {
        let rows = vec![
            vec![s("id"), s("text"), s("note")],
            vec![s("1"), s("a,b"), None],
            vec![s("2"), s("say \"hi\""), s("")],
            vec![s("3"), s("two\nlines\r\nand CRLF"), s("é ü 日本")],
            vec![None, None, None],
            vec![s("\""), s("\"\""), s(",")],
        ];
        let text = file(&rows);
        for size in [1, 2, 3, 7, 64, text.len()] {
            assert_eq!(
                read_in_chunks(text.as_bytes(), size).unwrap(),
                rows,
                "chunks of {size}"
            );
        }
    }

    #[test]
    fn null_is_an_unquoted_empty_field_and_a_lone_null_is_an_empty_line() {
        let rows = read_in_chunks(b"\"a\"\n\n\"\"\n", 4).unwrap();
        assert_eq!(rows, vec![vec![s("a")], vec![None], vec![s("")]]);
    }

    #[test]
    fn crlf_line_ends_and_a_missing_last_line_break() {
        let rows = read_in_chunks(b"\"a\",\"b\"\r\n\"c\",\r\n\"d\",\"e\"", 3).unwrap();
        assert_eq!(
            rows,
            vec![
                vec![s("a"), s("b")],
                vec![s("c"), None],
                vec![s("d"), s("e")]
            ]
        );
    }

    #[test]
    fn a_quote_a_writer_forgot_to_double_is_kept() {
        let rows = read_in_chunks(b"\"it\"s\",\"x\"\n", 5).unwrap();
        assert_eq!(rows, vec![vec![s("it\"s"), s("x")]]);
    }

    #[test]
    fn unquoted_values_read_as_values() {
        let rows = read_in_chunks(b"1,,x\n", 2).unwrap();
        assert_eq!(rows, vec![vec![s("1"), None, s("x")]]);
    }

    #[test]
    fn a_file_cut_inside_a_quoted_value_is_an_error() {
        let err = read_in_chunks(b"\"a\"\n\"b", 2).unwrap_err();
        assert!(err.contains("row 2"), "{err}");
    }

    #[test]
    fn an_empty_file_has_no_rows() {
        assert!(read_in_chunks(b"", 1).unwrap().is_empty());
    }
}

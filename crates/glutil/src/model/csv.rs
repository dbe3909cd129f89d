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

#[cfg(test)]
use crate::model::athena::ResultRow;
use crate::model::athena::RowBatch;

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
    /// The row being read: its bytes, and per cell where it ends there
    /// and whether it is NULL (buffers kept from row to row).
    text: Vec<u8>,
    cells: Vec<(usize, bool)>,
    /// Where the current field starts in `text`.
    field_start: usize,
    quoted: bool,
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
            text: Vec::new(),
            cells: Vec::new(),
            field_start: 0,
            quoted: false,
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
    pub fn feed(&mut self, chunk: &[u8], out: &mut RowBatch) {
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
                    self.text.extend_from_slice(&chunk[i..i + run]);
                    i += run;
                    if i < chunk.len() {
                        self.state = State::QuoteInQuoted;
                        i += 1;
                    }
                    continue;
                }
                State::QuoteInQuoted => match byte {
                    b'"' => {
                        self.text.push(b'"');
                        self.state = State::Quoted;
                    }
                    _ if self.separator(byte, out) => {}
                    other => {
                        self.text.extend_from_slice(&[b'"', other]);
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
                        _ if self.separator(byte, out) => {}
                        other => {
                            self.text.push(other);
                            self.state = State::Unquoted;
                        }
                    }
                }
                State::Unquoted => {
                    if !self.separator(byte, out) {
                        self.text.push(byte);
                    }
                }
            }
            i += 1;
        }
    }

    /// Ends the file: a last row without a line break is appended to
    /// `out`. A quoted value still open is an error.
    pub fn finish(&mut self, out: &mut RowBatch) -> Result<(), String> {
        match self.state {
            State::Quoted => Err(format!(
                "the file ends inside a quoted value (row {})",
                self.rows + 1
            )),
            State::FieldStart if self.cells.is_empty() && self.text.is_empty() => Ok(()),
            State::AfterCr => Ok(()),
            _ => {
                self.end_row(out);
                Ok(())
            }
        }
    }

    /// Ends the field at a `,`, the row at a line break (a `\n` may follow
    /// a `\r`); false for any other byte.
    fn separator(&mut self, byte: u8, out: &mut RowBatch) -> bool {
        match byte {
            b',' => self.end_field(),
            b'\n' => self.end_row(out),
            b'\r' => {
                self.end_row(out);
                self.state = State::AfterCr;
            }
            _ => return false,
        }
        true
    }

    fn end_field(&mut self) {
        let null = !self.quoted && self.text.len() == self.field_start;
        self.cells.push((self.text.len(), null));
        self.field_start = self.text.len();
        self.quoted = false;
        self.state = State::FieldStart;
    }

    /// Copies the finished row into `out` (one copy of its bytes, checked
    /// as UTF-8 once) and clears the row buffers, keeping their capacity.
    fn end_row(&mut self, out: &mut RowBatch) {
        self.end_field();
        match std::str::from_utf8(&self.text) {
            Ok(text) => {
                let mut start = 0;
                for &(end, null) in &self.cells {
                    out.push_cell((!null).then(|| &text[start..end]));
                    start = end;
                }
            }
            Err(_) => {
                let mut start = 0;
                for &(end, null) in &self.cells {
                    let cell = String::from_utf8_lossy(&self.text[start..end]);
                    out.push_cell((!null).then_some(cell.as_ref()));
                    start = end;
                }
            }
        }
        out.end_row();
        self.text.clear();
        self.cells.clear();
        self.field_start = 0;
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
        let mut rows = RowBatch::new();
        for chunk in bytes.chunks(size) {
            reader.feed(chunk, &mut rows);
        }
        reader.finish(&mut rows)?;
        assert_eq!(reader.rows_read(), rows.len() as u64);
        Ok(rows.to_rows())
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

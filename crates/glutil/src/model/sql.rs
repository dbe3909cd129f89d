//! SQL scripts as Athena runs them: one statement at a time. Splitting a
//! file on `;` must skip the semicolons inside strings, quoted identifiers
//! and comments.

/// One step of reading a script: a `;`, or a piece of text (a quoted
/// string or identifier, a comment, or one other character).
enum Piece<'a> {
    Semicolon,
    Text { text: &'a str, kind: PieceKind },
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum PieceKind {
    /// A string, a quoted identifier.
    Quoted,
    Comment,
    Space,
    /// Any other character.
    Code,
}

/// Reads a script piece by piece, skipping over strings, quoted
/// identifiers and comments as wholes. A string or comment left open at
/// the end is an error naming where it starts (line and column, 1-based).
fn read_pieces<'a>(script: &'a str, mut visit: impl FnMut(Piece<'a>)) -> Result<(), String> {
    let mut at = 0;
    while let Some(c) = script[at..].chars().next() {
        let rest = &script[at..];
        if c == ';' {
            visit(Piece::Semicolon);
            at += 1;
            continue;
        }
        let (end, kind) = match c {
            '\'' | '"' | '`' => (
                closing_quote(script, at, c).ok_or_else(|| {
                    format!(
                        "a {} opened at {} is never closed",
                        quote_name(c),
                        position(script, at)
                    )
                })?,
                PieceKind::Quoted,
            ),
            '-' if rest.starts_with("--") => (
                rest.find('\n').map_or(script.len(), |n| at + n),
                PieceKind::Comment,
            ),
            '/' if rest.starts_with("/*") => (
                rest[2..].find("*/").map(|n| at + n + 4).ok_or_else(|| {
                    format!(
                        "a comment opened at {} is never closed",
                        position(script, at)
                    )
                })?,
                PieceKind::Comment,
            ),
            c if c.is_whitespace() => (at + c.len_utf8(), PieceKind::Space),
            c => (at + c.len_utf8(), PieceKind::Code),
        };
        visit(Piece::Text {
            text: &script[at..end],
            kind,
        });
        at = end;
    }
    Ok(())
}

/// The statements of a script, in order, trimmed; statements that hold only
/// comments or white space are left out. A string or comment left open at
/// the end is an error naming where it starts (line and column, 1-based).
pub fn split_statements(script: &str) -> Result<Vec<String>, String> {
    let mut statements = Vec::new();
    let mut current = String::new();
    let mut has_code = false;
    read_pieces(script, |piece| match piece {
        Piece::Semicolon => {
            if has_code {
                statements.push(current.trim().to_string());
            }
            current.clear();
            has_code = false;
        }
        Piece::Text { text, kind } => {
            has_code |= matches!(kind, PieceKind::Quoted | PieceKind::Code);
            current.push_str(text);
        }
    })?;
    if has_code {
        statements.push(current.trim().to_string());
    }
    Ok(statements)
}

/// How many `?` placeholders a statement has (outside strings, quoted
/// identifiers and comments): the values Athena's `ExecutionParameters`
/// must give, in order.
pub fn count_placeholders(sql: &str) -> Result<usize, String> {
    let mut count = 0;
    read_pieces(sql, |piece| {
        if let Piece::Text {
            text: "?",
            kind: PieceKind::Code,
        } = piece
        {
            count += 1;
        }
    })?;
    Ok(count)
}

/// A value as a SQL string literal: quoted, every `'` doubled, so that no
/// value can end the literal and change the statement.
pub fn string_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// The statement without the comments and white space before its first
/// word: what is sent to Athena, whose DDL parser has rejected leading
/// comments.
pub fn without_leading_comments(sql: &str) -> &str {
    let mut rest = sql;
    loop {
        let trimmed = rest.trim_start();
        if let Some(comment) = trimmed.strip_prefix("--") {
            rest = comment.find('\n').map_or("", |n| &comment[n + 1..]);
        } else if let Some(comment) = trimmed.strip_prefix("/*") {
            match comment.find("*/") {
                Some(n) => rest = &comment[n + 2..],
                None => return trimmed,
            }
        } else {
            return trimmed;
        }
    }
}

/// Up to `n` leading words of a statement (letters, digits and `_`),
/// after its comments: enough to tell a DESCRIBE from a SELECT.
pub fn leading_words(sql: &str, n: usize) -> Vec<&str> {
    without_leading_comments(sql)
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .take(n)
        .collect()
}

/// The byte just past the quote that closes the one at `start`; a doubled
/// quote (`'it''s'`) is part of the text.
fn closing_quote(script: &str, start: usize, quote: char) -> Option<usize> {
    let bytes = script.as_bytes();
    let q = quote as u8;
    let mut i = start + 1;
    while i < bytes.len() {
        if bytes[i] == q {
            if bytes.get(i + 1) == Some(&q) {
                i += 2;
                continue;
            }
            return Some(i + 1);
        }
        i += 1;
    }
    None
}

fn quote_name(quote: char) -> &'static str {
    match quote {
        '\'' => "string",
        '"' => "quoted identifier",
        _ => "backtick identifier",
    }
}

/// `line L, column C` of a byte offset.
fn position(script: &str, at: usize) -> String {
    let before = &script[..at];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!("line {line}, column {column}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_counted_outside_strings_identifiers_and_comments() {
        let sql = "SELECT '?', \"a?\" FROM t -- where ?\n WHERE x = ? AND y IN (?, ?) /* ? */";
        assert_eq!(count_placeholders(sql).unwrap(), 3);
        assert_eq!(count_placeholders("SELECT 1").unwrap(), 0);
        assert!(count_placeholders("SELECT '?").is_err());
    }

    #[test]
    fn a_string_literal_doubles_its_quotes() {
        assert_eq!(string_literal("abc"), "'abc'");
        assert_eq!(string_literal("x' OR '1'='1"), "'x'' OR ''1''=''1'");
        assert_eq!(string_literal(""), "''");
    }

    #[test]
    fn statements_split_on_semicolons_outside_strings_identifiers_and_comments() {
        let script = "SELECT 'a;b' AS \"x;y\", `c;d` FROM t; -- one; two\n\
                      /* block; comment */ SHOW PARTITIONS t;\n\
                      SELECT 'it''s; fine'";
        let statements = split_statements(script).unwrap();
        assert_eq!(
            statements,
            [
                "SELECT 'a;b' AS \"x;y\", `c;d` FROM t",
                "-- one; two\n/* block; comment */ SHOW PARTITIONS t",
                "SELECT 'it''s; fine'"
            ]
        );
    }

    #[test]
    fn empty_and_comment_only_statements_are_left_out() {
        let statements =
            split_statements(";;\n-- a note; not code\n SELECT 1 ;\n/* trailing */").unwrap();
        // A comment before a statement stays with it.
        assert_eq!(statements, ["-- a note; not code\n SELECT 1"]);
        assert!(split_statements("  \n").unwrap().is_empty());
    }

    #[test]
    fn leading_comments_are_not_part_of_the_first_words() {
        let sql = "-- list them\n /* all */ DESCRIBE db.t";
        assert_eq!(without_leading_comments(sql), "DESCRIBE db.t");
        assert_eq!(leading_words(sql, 2), ["DESCRIBE", "db"]);
        assert_eq!(
            leading_words("show partitions t", 2),
            ["show", "partitions"]
        );
        assert_eq!(leading_words("SELECT(1)", 3), ["SELECT", "1"]);
        assert_eq!(leading_words("DESC\n\t t", 2), ["DESC", "t"]);
        assert_eq!(without_leading_comments("/* open"), "/* open");
    }

    #[test]
    fn unclosed_strings_and_comments_say_where_they_start() {
        let err = split_statements("SELECT 1;\nSELECT 'oops").unwrap_err();
        assert_eq!(err, "a string opened at line 2, column 8 is never closed");
        let err = split_statements("SELECT /* open").unwrap_err();
        assert!(err.contains("comment opened at line 1, column 8"), "{err}");
    }
}

//! Bound parameters for `query`: `--param VALUE` (a string literal, its
//! quotes doubled), `--param-raw LITERAL` (sent as typed), in the order
//! given, and `--param-file FILE` (one CSV row of values per run). They
//! fill the statement's `?` placeholders through Athena's
//! `ExecutionParameters`; the SQL text is never spliced.

use std::path::Path;

use clap::{Arg, ArgAction, ArgMatches};
use glutil::model::athena::RowBatch;
use glutil::model::csv::CsvReader;
use glutil::model::sql::{count_placeholders, string_literal};

/// One value for a placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Param {
    /// `--param`: bound as a string literal.
    Text(String),
    /// `--param-raw`: bound exactly as typed (`5`, `DATE '2024-01-31'`).
    Raw(String),
}

impl Param {
    /// The SQL literal Athena receives.
    pub fn literal(&self) -> String {
        match self {
            Param::Text(value) => string_literal(value),
            Param::Raw(literal) => literal.clone(),
        }
    }
}

/// `--param` and `--param-raw`, in the order they were given (two flags
/// whose relative order matters, which clap's derive cannot keep).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(pub Vec<Param>);

impl clap::FromArgMatches for Params {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let mut given: Vec<(usize, Param)> = Vec::new();
        for (id, make) in [
            ("param", Param::Text as fn(String) -> Param),
            ("param_raw", Param::Raw),
        ] {
            if let (Some(values), Some(indices)) =
                (matches.get_many::<String>(id), matches.indices_of(id))
            {
                given.extend(indices.zip(values.map(|v| make(v.clone()))));
            }
        }
        given.sort_by_key(|(index, _)| *index);
        Ok(Params(given.into_iter().map(|(_, p)| p).collect()))
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

impl clap::Args for Params {
    fn augment_args(command: clap::Command) -> clap::Command {
        command
            .arg(
                Arg::new("param")
                    .long("param")
                    .value_name("VALUE")
                    .action(ArgAction::Append)
                    .allow_hyphen_values(true)
                    .conflicts_with("id")
                    .help_heading("Parameters")
                    .help("Binds the next `?` placeholder to VALUE as a string literal (sent as 'VALUE', any ' doubled, so no value can change the statement); repeatable, in placeholder order"),
            )
            .arg(
                Arg::new("param_raw")
                    .long("param-raw")
                    .value_name("LITERAL")
                    .action(ArgAction::Append)
                    .allow_hyphen_values(true)
                    .value_parser(non_empty_literal)
                    .conflicts_with("id")
                    .help_heading("Parameters")
                    .help("Binds the next `?` placeholder to a SQL literal exactly as typed, for numbers, dates and the like: 5, DATE '2024-01-31'; mixes with --param in the order given"),
            )
    }

    fn augment_args_for_update(command: clap::Command) -> clap::Command {
        Self::augment_args(command)
    }
}

fn non_empty_literal(text: &str) -> Result<String, String> {
    if text.trim().is_empty() {
        Err("a literal cannot be empty (for the empty string, use --param '')".to_string())
    } else {
        Ok(text.to_string())
    }
}

/// One statement to run, with the literals for its placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// The SQL, as written.
    pub sql: String,
    /// `ExecutionParameters`, in order (empty: none).
    pub parameters: Vec<String>,
}

/// The runs of a script: each statement with the fixed parameters when it
/// has placeholders; with `rows` (from `--param-file`), the one statement
/// once per row, the fixed parameters first and then the row's. A count
/// that does not match is an error naming the statement (or the row).
pub fn plan(
    statements: &[String],
    fixed: &Params,
    rows: Option<&[Vec<String>]>,
) -> Result<Vec<Planned>, String> {
    let literals: Vec<String> = fixed.0.iter().map(Param::literal).collect();
    let counts = statements
        .iter()
        .enumerate()
        .map(|(i, sql)| {
            count_placeholders(sql).map_err(|e| format!("{}: {e}", name(i, statements.len())))
        })
        .collect::<Result<Vec<usize>, String>>()?;
    if let Some(rows) = rows {
        let [sql] = statements else {
            return Err(format!(
                "--param-file runs one statement once per row, and the script holds {}",
                statements.len()
            ));
        };
        return plan_rows(sql, counts[0], &literals, rows);
    }
    if !literals.is_empty() && counts.iter().all(|&n| n == 0) {
        return Err(format!(
            "{} value{} given (--param/--param-raw), but the SQL has no ? placeholder",
            literals.len(),
            plural(literals.len())
        ));
    }
    statements
        .iter()
        .zip(&counts)
        .enumerate()
        .map(|(i, (sql, &count))| {
            if count != 0 && count != literals.len() {
                return Err(format!(
                    "{} has {count} ? placeholder{} and {} value{} {} given (--param/--param-raw)",
                    name(i, statements.len()),
                    plural(count),
                    literals.len(),
                    plural(literals.len()),
                    if literals.len() == 1 { "was" } else { "were" }
                ));
            }
            Ok(Planned {
                sql: sql.clone(),
                parameters: if count == 0 {
                    Vec::new()
                } else {
                    literals.clone()
                },
            })
        })
        .collect()
}

fn plan_rows(
    sql: &str,
    count: usize,
    fixed: &[String],
    rows: &[Vec<String>],
) -> Result<Vec<Planned>, String> {
    if rows.is_empty() {
        return Err("--param-file holds no row of values".to_string());
    }
    rows.iter()
        .enumerate()
        .map(|(i, row)| {
            if fixed.len() + row.len() != count {
                return Err(format!(
                    "--param-file row {} has {} value{}{}, and the statement has {count} ? placeholder{}",
                    i + 1,
                    row.len(),
                    plural(row.len()),
                    if fixed.is_empty() {
                        String::new()
                    } else {
                        format!(" (after {} from --param/--param-raw)", fixed.len())
                    },
                    plural(count)
                ));
            }
            let mut parameters = fixed.to_vec();
            parameters.extend(row.iter().map(|v| string_literal(v)));
            Ok(Planned {
                sql: sql.to_string(),
                parameters,
            })
        })
        .collect()
}

/// The rows of a parameter file: CSV (RFC 4180 quoting), one row per
/// line, blank lines skipped; every value is bound as a string literal.
pub fn read_param_file(path: &Path) -> Result<Vec<Vec<String>>, String> {
    let bytes = if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes)
            .map_err(|e| format!("--param-file - (stdin) cannot be read: {e}"))?;
        bytes
    } else {
        std::fs::read(path)
            .map_err(|e| format!("--param-file `{}` cannot be read: {e}", path.display()))?
    };
    let mut reader = CsvReader::new();
    let mut rows = RowBatch::new();
    reader.feed(&bytes, &mut rows);
    reader
        .finish(&mut rows)
        .map_err(|e| format!("--param-file `{}`: {e}", path.display()))?;
    Ok(rows
        .to_rows()
        .into_iter()
        .filter(|row| !matches!(row.as_slice(), [None]))
        .map(|row| row.into_iter().map(Option::unwrap_or_default).collect())
        .collect())
}

fn name(index: usize, of: usize) -> String {
    if of > 1 {
        format!("statement {}", index + 1)
    } else {
        "the statement".to_string()
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(given: &[Param]) -> Params {
        Params(given.to_vec())
    }

    #[test]
    fn values_become_literals_in_order() {
        let fixed = params(&[
            Param::Text("it's".into()),
            Param::Raw("5".into()),
            Param::Raw("DATE '2024-01-31'".into()),
        ]);
        let runs = plan(
            &["SELECT * FROM t WHERE a = ? AND b = ? AND c = ?".into()],
            &fixed,
            None,
        )
        .unwrap();
        assert_eq!(runs[0].parameters, ["'it''s'", "5", "DATE '2024-01-31'"]);
        assert!(runs[0].sql.contains("a = ?"), "the SQL is sent as written");
    }

    #[test]
    fn a_count_mismatch_names_the_statement() {
        let fixed = params(&[Param::Text("x".into())]);
        let script = ["SELECT 1".to_string(), "SELECT ? , ?".to_string()];
        let err = plan(&script, &fixed, None).unwrap_err();
        assert!(
            err.starts_with("statement 2 has 2 ? placeholders and 1 value was given"),
            "{err}"
        );
        let err = plan(&["SELECT 1".to_string()], &fixed, None).unwrap_err();
        assert!(err.contains("no ? placeholder"), "{err}");
        let err = plan(&["SELECT ?".to_string()], &Params::default(), None).unwrap_err();
        assert!(err.contains("1 ? placeholder and 0 values"), "{err}");
    }

    #[test]
    fn statements_without_placeholders_run_without_parameters() {
        let fixed = params(&[Param::Raw("1".into())]);
        let script = ["SELECT 1".to_string(), "SELECT ?".to_string()];
        let runs = plan(&script, &fixed, None).unwrap();
        assert!(runs[0].parameters.is_empty());
        assert_eq!(runs[1].parameters, ["1"]);
    }

    #[test]
    fn a_param_file_runs_the_statement_once_per_row_after_the_fixed_values() {
        let fixed = params(&[Param::Raw("DATE '2024-01-31'".into())]);
        let rows = vec![vec!["AAPL".to_string()], vec!["O'Neil".to_string()]];
        let runs = plan(
            &["SELECT * FROM t WHERE d = ? AND s = ?".into()],
            &fixed,
            Some(&rows),
        )
        .unwrap();
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[1].parameters, ["DATE '2024-01-31'", "'O''Neil'"]);
        let err = plan(
            &["SELECT ?".into()],
            &Params::default(),
            Some(&[vec!["a".into(), "b".into()]]),
        )
        .unwrap_err();
        assert!(err.contains("row 1 has 2 values"), "{err}");
        let err = plan(
            &["SELECT ?".into(), "SELECT ?".into()],
            &Params::default(),
            Some(&rows),
        )
        .unwrap_err();
        assert!(err.contains("runs one statement"), "{err}");
    }

    #[test]
    fn a_param_file_is_csv_with_blank_lines_skipped() {
        let dir = std::env::temp_dir().join(format!("glutil-params-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("rows.csv");
        std::fs::write(&path, "AAPL,1\n\n\"BRK,B\",2\r\n\"say \"\"hi\"\"\",\n").unwrap();
        let rows = read_param_file(&path).unwrap();
        assert_eq!(
            rows,
            vec![
                vec!["AAPL".to_string(), "1".into()],
                vec!["BRK,B".into(), "2".into()],
                vec!["say \"hi\"".into(), String::new()],
            ]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

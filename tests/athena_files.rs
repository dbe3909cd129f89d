//! `query` reading results from Athena's CSV result file, and bound
//! parameters, on the lab: it writes a SELECT's result where Athena would
//! (`<output>/<id>.csv`, Athena's quoting), pages GetQueryResults by 1,000
//! rows, and tells what each query was started with
//! (`/_lab/athena/executions`).

use serde_json::{json, Value};

use crate::harness::{run_at, Lab, Run};

const QUERY: &str = env!("CARGO_BIN_EXE_query");
const OUTPUT: &str = "s3://athena-results/q/";

/// A lab with the results bucket and `results` queued (compact rows).
fn lab_with(results: Value) -> Lab {
    let lab = Lab::start(0.0, 0.0);
    lab.call(
        "/_lab/seed",
        Some(&json!([{"op": "objects", "bucket": "athena-results", "keys": ["q/.keep"]}])),
    );
    lab.call("/_lab/athena/results", Some(&json!({ "results": results })));
    lab.call("/_lab/reset", Some(&json!({})));
    lab
}

fn query(lab: &Lab, args: &[&str]) -> Run {
    let mut all = args.to_vec();
    all.extend(["--output-location", OUTPUT]);
    run_at(&lab.endpoint, QUERY, &all)
}

fn count(lab: &Lab, operation: &str) -> u64 {
    lab.call("/_lab/stats", None)["counts"][operation]
        .as_u64()
        .unwrap_or(0)
}

fn executions(lab: &Lab) -> Vec<Value> {
    lab.call("/_lab/athena/executions", None)
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Values that need every rule of the CSV: commas, quotes, line breaks,
/// NULL and the empty string, non-ASCII.
fn hard_values(i: usize) -> Value {
    let text = match i % 6 {
        0 => json!("plain"),
        1 => json!("a,b"),
        2 => json!("say \"hi\""),
        3 => json!("two\nlines\r\nhere"),
        4 => json!(""),
        _ => Value::Null,
    };
    json!([
        i.to_string(),
        text,
        if i.is_multiple_of(7) {
            Value::Null
        } else {
            json!("é日本")
        }
    ])
}

fn hard_result(rows: usize) -> Value {
    json!({
        "columns": [["n", "integer"], ["text", "varchar"], ["other", "varchar"]],
        "rows": (0..rows).map(hard_values).collect::<Vec<_>>(),
    })
}

fn rows_of(run: &Run) -> Vec<Value> {
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.json()["rows"].as_array().cloned().expect("rows")
}

#[test]
fn the_result_file_reads_exactly_as_getqueryresults_does() {
    let lab = lab_with(json!([hard_result(2500), hard_result(2500)]));
    let from_file = query(
        &lab,
        &["SELECT * FROM t", "--output", "json", "--via", "file"],
    );
    let file_rows = rows_of(&from_file);
    assert_eq!(from_file.json()["stats"]["read_via"], "file");
    assert_eq!(count(&lab, "S3:GetObject"), 1, "one GET for the whole file");
    assert_eq!(
        count(&lab, "AmazonAthena:GetQueryResults"),
        1,
        "GetQueryResults once, for the column types"
    );
    let from_pages = query(
        &lab,
        &["SELECT * FROM t", "--output", "json", "--via", "results"],
    );
    assert_eq!(from_pages.json()["stats"]["read_via"], "results");
    assert_eq!(file_rows, rows_of(&from_pages));
    assert_eq!(file_rows.len(), 2500);
    assert_eq!(
        file_rows[1],
        json!({"n": 1, "text": "a,b", "other": "é日本"})
    );
    assert_eq!(file_rows[2]["text"], "say \"hi\"");
    assert_eq!(file_rows[3]["text"], "two\nlines\r\nhere");
    assert_eq!(file_rows[4]["text"], "", "\"\" is the empty string");
    assert_eq!(file_rows[5]["text"], Value::Null, "an empty field is NULL");
    assert_eq!(file_rows[0]["other"], Value::Null);
}

#[test]
fn a_result_larger_than_a_page_comes_from_the_file_after_one_page() {
    let lab = lab_with(json!([hard_result(10_000)]));
    let run = query(&lab, &["SELECT * FROM t", "--output", "jsonl"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rows: Vec<Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 10_000);
    let numbers: Vec<i64> = rows.iter().map(|r| r["n"].as_i64().unwrap()).collect();
    assert_eq!(
        numbers,
        (0..10_000).collect::<Vec<_>>(),
        "in order, none twice"
    );
    assert_eq!(count(&lab, "AmazonAthena:GetQueryResults"), 1);
    assert_eq!(count(&lab, "S3:GetObject"), 1);
    assert!(
        run.stderr.contains("10000 rows (from the result file"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_small_result_needs_no_file() {
    let lab = lab_with(json!([hard_result(20)]));
    let run = query(&lab, &["SELECT * FROM t", "--output", "csv"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(count(&lab, "S3:GetObject"), 0);
    assert_eq!(count(&lab, "AmazonAthena:GetQueryResults"), 1);
    assert!(
        run.stdout
            .starts_with("n,text,other\n0,plain,\n1,\"a,b\",é日本\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_denied_result_file_falls_back_to_pages_with_one_note() {
    let lab = lab_with(json!([hard_result(3500), hard_result(3500)]));
    lab.call(
        "/_lab/rules",
        Some(&json!([{"op": "S3:GetObject", "error":
            {"status": 403, "code": "AccessDenied", "message": "Access Denied"}}])),
    );
    let run = query(&lab, &["SELECT * FROM t", "--output", "json"]);
    let rows = rows_of(&run);
    assert_eq!(rows.len(), 3500);
    assert_eq!(rows[3499]["n"], 3499);
    assert_eq!(
        run.stderr
            .matches("note: cannot read the result file")
            .count(),
        1,
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("AccessDenied"), "{}", run.stderr);
    assert_eq!(run.json()["stats"]["read_via"], "results");
    assert_eq!(
        count(&lab, "AmazonAthena:GetQueryResults"),
        4,
        "every page, none twice"
    );

    let forced = query(&lab, &["SELECT * FROM t", "--via", "file"]);
    assert_eq!(forced.code, 1, "{}", forced.stderr);
    assert!(
        forced.stderr.contains("GetObject") && forced.stderr.contains("AccessDenied"),
        "{}",
        forced.stderr
    );
}

#[test]
fn a_missing_result_file_falls_back_too() {
    let lab = lab_with(json!([hard_result(1500)]));
    let run = run_at(
        &lab.endpoint,
        QUERY,
        &[
            "SELECT * FROM t",
            "--output",
            "json",
            "--output-location",
            "s3://no-such-bucket/q/",
        ],
    );
    assert_eq!(rows_of(&run).len(), 1500);
    assert!(
        run.stderr
            .contains("note: cannot read the result file s3://no-such-bucket/q/"),
        "{}",
        run.stderr
    );
}

#[test]
fn max_rows_stops_reading_the_file_early() {
    let lab = lab_with(json!([hard_result(5000), hard_result(1000)]));
    let run = query(
        &lab,
        &["SELECT * FROM t", "--output", "json", "--max-rows", "1500"],
    );
    let rows = rows_of(&run);
    assert_eq!(rows.len(), 1500);
    assert_eq!(rows[1499]["n"], 1499);
    assert_eq!(run.json()["truncated"], true);
    assert_eq!(count(&lab, "AmazonAthena:GetQueryResults"), 1);
    // Exactly the whole result: read to its end, and not cut.
    let run = query(
        &lab,
        &[
            "SELECT * FROM t",
            "--output",
            "json",
            "--max-rows",
            "1000",
            "--via",
            "file",
        ],
    );
    assert_eq!(rows_of(&run).len(), 1000);
    assert_eq!(run.json()["truncated"], false);
}

#[test]
fn moto_s_own_queue_gets_athena_s_quoting_and_utility_results_keep_their_first_row() {
    let lab = Lab::start(0.0, 0.0);
    lab.call(
        "/_lab/seed",
        Some(&json!([{"op": "objects", "bucket": "athena-results", "keys": ["q/.keep"]}])),
    );
    let datum = |v: &str| json!({ "VarCharValue": v });
    let column = |name: &str| {
        json!({"Name": name, "Label": name, "Type": "varchar",
        "Precision": 0, "Scale": 0, "Nullable": "UNKNOWN", "CaseSensitive": false})
    };
    let mut rows = vec![json!({"Data": [datum("v")]})];
    rows.extend((0..1200).map(|i| json!({"Data": [datum(&format!("it\"s {i}"))]})));
    let describe: Vec<Value> = (0..1200)
        .map(|i| json!({"Data": [datum(&format!("col{i}\tstring\t"))]}))
        .collect();
    lab.call(
        "/moto-api/static/athena/query-results",
        Some(&json!({"results": [
            {"rows": rows, "column_info": [column("v")]},
            {"rows": describe, "column_info": [column("col_name")]},
        ]})),
    );
    lab.call(
        "/_lab/athena",
        Some(&json!({"statement_types": {"DESCRIBE": "UTILITY"}})),
    );
    let run = query(
        &lab,
        &["SELECT v FROM t", "--output", "json", "--via", "file"],
    );
    let values = rows_of(&run);
    assert_eq!(values.len(), 1200);
    assert_eq!(values[7]["v"], "it\"s 7");

    let run = query(&lab, &["DESCRIBE t", "--output", "json"]);
    let columns = rows_of(&run);
    assert_eq!(
        columns.len(),
        1200,
        "no header row is dropped: {}",
        run.stderr
    );
    assert_eq!(columns[0]["name"], "col0");
    assert_eq!(
        run.json()["stats"]["read_via"],
        "results",
        "a UTILITY result is a .txt"
    );
}

#[test]
fn parameters_reach_athena_as_literals_and_the_text_keeps_its_placeholders() {
    let lab = lab_with(json!([hard_result(1)]));
    let sql = "SELECT * FROM t WHERE name = ? AND n > ? AND day = ?";
    let run = query(
        &lab,
        &[
            sql,
            "--param",
            "O'Neil' OR '1'='1",
            "--param-raw",
            "5",
            "--param-raw",
            "DATE '2024-01-31'",
            "--output",
            "json",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let sent = executions(&lab);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["query"], sql, "the SQL is sent unchanged");
    assert_eq!(
        sent[0]["parameters"],
        json!(["'O''Neil'' OR ''1''=''1'", "5", "DATE '2024-01-31'"])
    );
    assert_eq!(run.json()["parameters"], sent[0]["parameters"]);
    // --param and --param-raw mix in the order given.
    let run = query(&lab, &["SELECT ?, ?", "--param-raw", "1", "--param", "x"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(executions(&lab)[1]["parameters"], json!(["1", "'x'"]));
}

#[test]
fn a_placeholder_count_that_does_not_match_is_refused_before_anything_starts() {
    let lab = lab_with(json!([]));
    let dir = tempfile_dir();
    let script = dir.join("script.sql");
    std::fs::write(
        &script,
        "SELECT 1;\nSELECT * FROM t WHERE a = ? AND b = ?;\n",
    )
    .unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["SELECT ?", "--param", "a", "--param", "b"],
            "the statement has 1 ? placeholder and 2 values were given",
        ),
        (
            vec!["SELECT ?"],
            "the statement has 1 ? placeholder and 0 values",
        ),
        (vec!["SELECT 1", "--param", "a"], "no ? placeholder"),
        (
            vec!["--file", script.to_str().unwrap(), "--param", "a"],
            "statement 2 has 2 ? placeholders and 1 value was given",
        ),
        (
            vec!["SELECT ?", "--param-raw", ""],
            "a literal cannot be empty",
        ),
    ];
    for (args, message) in cases {
        let run = query(&lab, &args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(message), "{args:?}: {}", run.stderr);
    }
    assert_eq!(count(&lab, "AmazonAthena:StartQueryExecution"), 0);
    // A `?` inside a string is not a placeholder.
    let run = query(&lab, &["SELECT '?' AS q"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn a_param_file_runs_the_statement_once_per_row_in_order() {
    let one = |v: &str| json!({"columns": [["symbol", "varchar"]], "rows": [[v]]});
    let lab = lab_with(json!([one("AAPL"), one("BRK,B"), one("O'Neil")]));
    let dir = tempfile_dir();
    let rows = dir.join("symbols.csv");
    std::fs::write(&rows, "AAPL\n\"BRK,B\"\n\nO'Neil\n").unwrap();
    let run = query(
        &lab,
        &[
            "SELECT symbol FROM t WHERE day = ? AND symbol = ?",
            "--param-raw",
            "DATE '2024-01-31'",
            "--param-file",
            rows.to_str().unwrap(),
            "--parallel",
            "3",
            "--output",
            "json",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = run.json();
    let statements = doc["statements"].as_array().expect("one statement a row");
    let bound: Vec<Value> = statements
        .iter()
        .map(|s| s["parameters"][1].clone())
        .collect();
    assert_eq!(
        bound,
        [json!("'AAPL'"), json!("'BRK,B'"), json!("'O''Neil'")],
        "in row order"
    );
    let mut sent: Vec<Value> = executions(&lab)
        .iter()
        .map(|e| e["parameters"].clone())
        .collect();
    sent.sort_by_key(|p| p.to_string());
    assert_eq!(sent.len(), 3);
    assert!(sent.iter().all(|p| p[0] == "DATE '2024-01-31'"), "{sent:?}");
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "AAPL,extra\n").unwrap();
    let run = query(&lab, &["SELECT ?", "--param-file", bad.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("--param-file row 1 has 2 values"),
        "{}",
        run.stderr
    );
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "glutil-athena-files-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn via_file_reads_as_text_when_getqueryresults_is_refused() {
    let lab = lab_with(json!([hard_result(1500)]));
    lab.call(
        "/_lab/rules",
        Some(&json!([{"op": "AmazonAthena:GetQueryResults", "error":
            {"status": 400, "code": "AccessDeniedException", "message": "not authorized to GetQueryResults"}}])),
    );
    let run = query(
        &lab,
        &["SELECT * FROM t", "--output", "json", "--via", "file"],
    );
    let rows = rows_of(&run);
    assert_eq!(rows.len(), 1500);
    assert_eq!(
        rows[1],
        json!({"n": "1", "text": "a,b", "other": "é日本"}),
        "named by the header, typed as text"
    );
    assert!(
        run.stderr.contains("GetQueryResults was refused"),
        "{}",
        run.stderr
    );
    assert_eq!(run.json()["columns"][0]["type"], "varchar");
    // Without --via file, a refused GetQueryResults is the error it is.
    let run = query(&lab, &["SELECT * FROM t"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("AccessDeniedException"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_client_side_encrypted_result_is_read_through_pages() {
    let lab = lab_with(json!([hard_result(1500)]));
    lab.call("/_lab/athena", Some(&json!({"encryption": "CSE_KMS"})));
    let run = query(&lab, &["SELECT * FROM t", "--output", "json"]);
    assert_eq!(rows_of(&run).len(), 1500);
    assert_eq!(run.json()["stats"]["read_via"], "results");
    assert_eq!(count(&lab, "S3:GetObject"), 0, "its bytes are not CSV");
    assert_eq!(count(&lab, "AmazonAthena:GetQueryResults"), 2);
}

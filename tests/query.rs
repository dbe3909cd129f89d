//! `query` against moto's Athena: results injected through moto's
//! `/moto-api/static/athena/query-results` queue, states moved by its state
//! manager, and the lab (tests/fixtures/moto_lab.py) playing what moto
//! cannot: FAILED queries, pages with NextToken, throttled starts and
//! DESCRIBE's UTILITY type. Each test has a lab of its own: the results
//! queue and the state manager are per server.

use serde_json::{json, Value};

use crate::harness::{run_at, run_into_closed_pipe, spawn_at, Lab, Run};

const QUERY: &str = env!("CARGO_BIN_EXE_query");

/// A lab with Athena results queued, first in first out.
fn lab_with(results: Value) -> Lab {
    let lab = Lab::start(0.0, 0.0);
    lab.call(
        "/moto-api/static/athena/query-results",
        Some(&json!({ "results": results })),
    );
    lab
}

fn column(name: &str, kind: &str) -> Value {
    json!({"Name": name, "Label": name, "Type": kind, "Precision": 0, "Scale": 0,
           "Nullable": "UNKNOWN", "CaseSensitive": false})
}

/// A row; `None` is a cell without VarCharValue (NULL).
fn row(cells: &[Option<&str>]) -> Value {
    let data: Vec<Value> = cells
        .iter()
        .map(|c| match c {
            Some(text) => json!({ "VarCharValue": text }),
            None => json!({}),
        })
        .collect();
    json!({ "Data": data })
}

/// A SELECT's result as Athena sends it: the header row first.
fn select_result(columns: &[(&str, &str)], rows: &[Vec<Option<&str>>]) -> Value {
    let names: Vec<Option<&str>> = columns.iter().map(|(n, _)| Some(*n)).collect();
    let mut all = vec![row(&names)];
    all.extend(rows.iter().map(|r| row(r)));
    json!({
        "rows": all,
        "column_info": columns.iter().map(|(n, t)| column(n, t)).collect::<Vec<_>>(),
    })
}

fn query(lab: &Lab, args: &[&str]) -> Run {
    run_at(&lab.endpoint, QUERY, args)
}

fn count(lab: &Lab, operation: &str) -> u64 {
    lab.call("/_lab/stats", None)["counts"][operation]
        .as_u64()
        .unwrap_or(0)
}

#[test]
fn json_types_every_athena_type_and_keeps_null_apart_from_empty() {
    let types = [
        ("ti", "tinyint", "-7"),
        ("si", "smallint", "300"),
        ("i", "integer", "42"),
        ("bi", "bigint", "9007199254740993"),
        ("f", "float", "1.5"),
        ("r", "real", "Infinity"),
        ("d", "double", "NaN"),
        ("b", "boolean", "true"),
        ("dec", "decimal", "12345678901234567890.12"),
        ("v", "varchar", "text"),
        ("c", "char", "ab "),
        ("dt", "date", "2024-02-29"),
        ("ts", "timestamp", "2024-02-29 23:59:59.123"),
        ("t", "time", "23:59:59.123"),
        ("iv", "interval day to second", "1 02:03:04.000"),
        ("a", "array", "[1, 2]"),
        ("m", "map", "{a=1}"),
        ("ro", "row", "{x=1, y=2}"),
        ("j", "json", "{\"k\":1}"),
        ("vb", "varbinary", "68 65"),
        ("u", "uuid", "4f1c8a7e-0000-4000-8000-000000000000"),
        ("ip", "ipaddress", "10.0.0.1"),
    ];
    let columns: Vec<(&str, &str)> = types.iter().map(|(n, t, _)| (*n, *t)).collect();
    let values: Vec<Option<&str>> = types.iter().map(|(_, _, v)| Some(*v)).collect();
    let mut nulls: Vec<Option<&str>> = vec![None; types.len()];
    nulls[9] = Some("");
    let lab = lab_with(json!([select_result(&columns, &[values, nulls])]));

    let run = query(&lab, &["SELECT * FROM every_type", "--output", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = run.json();
    let rows = doc["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 2, "the header row is not data: {doc}");
    let first = &rows[0];
    assert_eq!(first["ti"], json!(-7));
    assert_eq!(first["si"], json!(300));
    assert_eq!(first["i"], json!(42));
    assert_eq!(first["bi"], json!(9007199254740993u64));
    assert_eq!(first["f"], json!(1.5));
    assert_eq!(first["r"], json!("Infinity"));
    assert_eq!(first["d"], json!("NaN"));
    assert_eq!(first["b"], json!(true));
    assert_eq!(first["dec"], json!("12345678901234567890.12"));
    for (name, _, text) in &types[9..] {
        assert_eq!(
            first[*name],
            json!(text),
            "{name} stays as Athena printed it"
        );
    }
    let second = &rows[1];
    assert_eq!(second["v"], json!(""), "an empty string is not NULL");
    assert_eq!(second["i"], Value::Null);
    assert_eq!(second["b"], Value::Null);
    assert_eq!(doc["state"], "SUCCEEDED");
    assert_eq!(doc["columns"][8]["type"], "decimal");
    assert!(doc["query_execution_id"]
        .as_str()
        .is_some_and(|id| !id.is_empty()));
    assert!(doc["stats"]["estimated_cost_usd"].as_f64().unwrap() > 0.0);
}

#[test]
fn csv_quotes_by_rfc_4180_and_the_table_spells_out_null() {
    let result = select_result(
        &[("k", "varchar"), ("v", "varchar")],
        &[
            vec![Some("comma"), Some("a,b")],
            vec![Some("quote"), Some("say \"hi\"")],
            vec![Some("newline"), Some("two\nlines")],
            vec![Some("empty"), Some("")],
            vec![Some("null"), None],
        ],
    );
    let lab = lab_with(json!([result.clone(), result]));
    let csv = query(&lab, &["SELECT k, v FROM t", "--output", "csv"]);
    assert_eq!(csv.code, 0, "{}", csv.stderr);
    assert_eq!(
        csv.stdout,
        "k,v\ncomma,\"a,b\"\nquote,\"say \"\"hi\"\"\"\nnewline,\"two\nlines\"\nempty,\"\"\nnull,\n"
    );
    let table = query(&lab, &["SELECT k, v FROM t"]);
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert_eq!(lines[0], "k        v");
    assert_eq!(lines[4], "newline  two\\nlines");
    assert_eq!(lines[5], "empty");
    assert_eq!(lines[6], "null     NULL");
    assert!(
        table.stderr.contains("SUCCEEDED, 5 rows"),
        "{}",
        table.stderr
    );
}

#[test]
fn every_page_is_read_and_only_the_first_holds_a_header() {
    let rows: Vec<Vec<Option<String>>> = (0..7).map(|i| vec![Some(i.to_string())]).collect();
    let rows: Vec<Vec<Option<&str>>> = rows
        .iter()
        .map(|r| r.iter().map(|c| c.as_deref()).collect())
        .collect();
    let lab = lab_with(json!([select_result(&[("n", "integer")], &rows)]));
    lab.call("/_lab/athena", Some(&json!({ "page_size": 3 })));
    let run = query(&lab, &["SELECT n FROM t", "--output", "jsonl"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let numbers: Vec<i64> = run
        .stdout
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["n"]
                .as_i64()
                .unwrap()
        })
        .collect();
    assert_eq!(numbers, [0, 1, 2, 3, 4, 5, 6]);
    // 8 rows with the header, 3 per page.
    assert_eq!(count(&lab, "AmazonAthena:GetQueryResults"), 3);
}

#[test]
fn max_rows_stops_reading_and_says_so() {
    let rows: Vec<Vec<Option<&str>>> = vec![vec![Some("a")]; 10];
    let lab = lab_with(json!([select_result(&[("s", "varchar")], &rows)]));
    lab.call("/_lab/athena", Some(&json!({ "page_size": 3 })));
    let run = query(
        &lab,
        &["SELECT s FROM t", "--max-rows", "4", "--output", "json"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = run.json();
    assert_eq!(doc["rows"].as_array().unwrap().len(), 4);
    assert_eq!(doc["truncated"], true);
    assert_eq!(count(&lab, "AmazonAthena:GetQueryResults"), 2);
    assert!(run.stderr.contains("--max-rows"), "{}", run.stderr);
}

fn describe_rows() -> Value {
    let lines = [
        "id                  \tbigint              \tthe id",
        "name                \tstring              \t",
        "year                \tstring              \t",
        "",
        "# Partition Information",
        "# col_name            \tdata_type           \tcomment",
        "",
        "year                \tstring              \t",
    ];
    json!({
        "rows": lines.iter().map(|l| row(&[Some(l)])).collect::<Vec<_>>(),
        "column_info": [column("col_name", "string")],
    })
}

#[test]
fn describe_and_show_partitions_are_parsed() {
    let partitions = json!({
        "rows": [row(&[Some("year=2024/month=01")]), row(&[Some("year=2024/month=02")])],
        "column_info": [column("partition", "string")],
    });
    let lab = lab_with(json!([describe_rows(), partitions, describe_rows()]));
    // Real Athena calls DESCRIBE a UTILITY statement; moto calls it DDL.
    lab.call(
        "/_lab/athena",
        Some(&json!({ "statement_types": {"DESCRIBE": "UTILITY", "SHOW": "UTILITY"} })),
    );
    let run = query(&lab, &["DESCRIBE db.t", "--output", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = run.json();
    assert_eq!(doc["statement_type"], "UTILITY");
    assert_eq!(
        doc["rows"],
        json!([
            {"name": "id", "type": "bigint", "comment": "the id", "partition_key": false},
            {"name": "name", "type": "string", "comment": null, "partition_key": false},
            {"name": "year", "type": "string", "comment": null, "partition_key": true},
        ])
    );
    let shown = query(&lab, &["SHOW PARTITIONS db.t", "--output", "jsonl"]);
    assert_eq!(
        shown.stdout,
        "{\"year\":\"2024\",\"month\":\"01\"}\n{\"year\":\"2024\",\"month\":\"02\"}\n"
    );
    lab.call("/_lab/athena", Some(&json!({})));
    let moto_typed = query(&lab, &["DESCRIBE db.t"]);
    assert_eq!(moto_typed.code, 0, "{}", moto_typed.stderr);
    assert!(
        moto_typed.stdout.contains("year  string  NULL     true"),
        "{}",
        moto_typed.stdout
    );
}

#[test]
fn a_script_runs_every_statement_in_order_and_a_failure_does_not_stop_the_rest() {
    let one = select_result(&[("n", "integer")], &[vec![Some("1")]]);
    let three = select_result(&[("n", "integer")], &[vec![Some("3")]]);
    // moto hands out queued results as statements start, in order; the
    // failing one takes one too.
    let lab = lab_with(json!([one.clone(), one, three]));
    lab.call(
        "/_lab/athena",
        Some(&json!({ "fail": {"no_such_column": "COLUMN_NOT_FOUND: line 1:8: Column 'no_such_column' cannot be resolved"} })),
    );
    let script = std::env::temp_dir().join(format!("{}.sql", crate::harness::unique("script")));
    std::fs::write(
        &script,
        "-- first; a comment\nSELECT 1 AS n;\nSELECT no_such_column FROM t;\nSELECT ';' AS n",
    )
    .unwrap();
    let path = script.display().to_string();
    let run = query(&lab, &["--file", &path, "--output", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let whole = run.json();
    assert_eq!(whole["command"], "query");
    let doc = &whole["statements"];
    let states: Vec<&str> = doc
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["SUCCEEDED", "FAILED", "SUCCEEDED"]);
    assert_eq!(doc[0]["rows"], json!([{"n": 1}]));
    assert_eq!(doc[2]["rows"], json!([{"n": 3}]));
    assert_eq!(doc[2]["sql"], "SELECT ';' AS n");
    assert!(doc[1]["error"]
        .as_str()
        .unwrap()
        .contains("COLUMN_NOT_FOUND"));
    assert!(doc[1]["query_execution_id"].as_str().is_some());
    assert!(
        run.stderr.contains("statement 2/3") && run.stderr.contains("COLUMN_NOT_FOUND"),
        "{}",
        run.stderr
    );
    // In parallel, statements start in file order and their results
    // print in file order.
    let n = |v: &str| select_result(&[("n", "integer")], &[vec![Some(v)]]);
    let lab = lab_with(json!([n("1"), n("2"), n("3"), n("4")]));
    let run = query(
        &lab,
        &[
            "SELECT 1; SELECT 2; SELECT 3; SELECT 4",
            "--parallel",
            "3",
            "--output",
            "json",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let whole = run.json();
    let doc = &whole["statements"];
    for i in 0..4 {
        assert_eq!(doc[i]["statement"], i + 1);
        assert_eq!(doc[i]["rows"][0]["n"], i + 1, "{doc}");
    }
}

#[test]
fn a_timeout_stops_the_query() {
    let lab = Lab::start(0.0, 0.0);
    // Queries stay QUEUED for 1000 status reads.
    lab.call(
        "/moto-api/state-manager/set-transition",
        Some(&json!({"model_name": "athena::execution",
                     "transition": {"progression": "manual", "times": 1000}})),
    );
    let started = std::time::Instant::now();
    let run = query(&lab, &["SELECT slow FROM t", "--timeout", "1500ms"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert!(
        run.stderr.contains("--timeout") && run.stderr.contains("StopQueryExecution"),
        "{}",
        run.stderr
    );
    assert_eq!(count(&lab, "AmazonAthena:StopQueryExecution"), 1);
}

#[test]
fn ctrl_c_stops_every_query_the_run_started() {
    let lab = Lab::start(0.0, 0.0);
    lab.call(
        "/moto-api/state-manager/set-transition",
        Some(&json!({"model_name": "athena::execution",
                     "transition": {"progression": "manual", "times": 1000}})),
    );
    let child = spawn_at(
        &lab.endpoint,
        QUERY,
        &["SELECT 1; SELECT 2", "--parallel", "2"],
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while count(&lab, "AmazonAthena:GetQueryExecution") < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "the queries never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let interrupted = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(130));
    assert_eq!(count(&lab, "AmazonAthena:StartQueryExecution"), 2);
    assert_eq!(count(&lab, "AmazonAthena:StopQueryExecution"), 2);
}

#[test]
fn id_prints_an_earlier_execution_without_running_anything() {
    let lab = lab_with(json!([select_result(
        &[("n", "integer")],
        &[vec![Some("7")]]
    )]));
    let first = query(&lab, &["SELECT 7 AS n", "--output", "json"]);
    let id = first.json()["query_execution_id"]
        .as_str()
        .unwrap()
        .to_string();
    let again = query(&lab, &["--id", &id, "--output", "json"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    let doc = again.json();
    assert_eq!(doc["rows"], json!([{"n": 7}]));
    assert_eq!(doc["sql"], "SELECT 7 AS n");
    assert_eq!(count(&lab, "AmazonAthena:StartQueryExecution"), 1);
    let bad = query(&lab, &["--id", "not-an-id"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("not-an-id"), "{}", bad.stderr);
}

#[test]
fn a_throttled_start_is_retried() {
    let lab = lab_with(json!([select_result(
        &[("n", "integer")],
        &[vec![Some("1")]]
    )]));
    lab.call("/_lab/athena", Some(&json!({ "throttle_starts": 2 })));
    let run = query(&lab, &["SELECT 1 AS n", "--output", "csv"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "n\n1\n");
    assert_eq!(count(&lab, "AmazonAthena:StartQueryExecution"), 3);
}

#[test]
fn polls_back_off_while_a_query_runs() {
    let lab = Lab::start(0.0, 0.0);
    // QUEUED for 2 s, then RUNNING for 2 s, then SUCCEEDED.
    lab.call(
        "/moto-api/state-manager/set-transition",
        Some(&json!({"model_name": "athena::execution",
                     "transition": {"progression": "time", "seconds": 2}})),
    );
    let started = std::time::Instant::now();
    let run = query(&lab, &["SELECT 1"]);
    let took = started.elapsed().as_secs_f64();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let polls = count(&lab, "AmazonAthena:GetQueryExecution");
    // A 100 ms loop would poll 40 to 80 times; backing off from 200 ms
    // towards 5 s polls under 10 times. moto moves a state only when a
    // poll comes 2 s after the last move, so the run takes 4 to 9 s.
    assert!((3..=10).contains(&polls), "{polls} polls in {took:.1} s");
    assert!(took < 12.0, "{polls} polls in {took:.1} s");
}

#[test]
fn bad_usage_exits_2_and_names_the_problem() {
    let lab = Lab::start(0.0, 0.0);
    let none = query(&lab, &[]);
    assert_eq!(none.code, 2);
    let empty = query(&lab, &["/* nothing here */"]);
    assert_eq!(empty.code, 2);
    assert!(
        empty.stderr.contains("no SQL statement"),
        "{}",
        empty.stderr
    );
    let missing = query(&lab, &["--file", "/no/such/file.sql"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("/no/such/file.sql"),
        "{}",
        missing.stderr
    );
    let open = query(&lab, &["SELECT 'oops"]);
    assert_eq!(open.code, 2);
    assert!(open.stderr.contains("never closed"), "{}", open.stderr);
    let location = query(&lab, &["SELECT 1", "--output-location", "bucket/x"]);
    assert_eq!(location.code, 2);
    assert_eq!(count(&lab, "AmazonAthena:StartQueryExecution"), 0);
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let (code, stderr) = run_into_closed_pipe(QUERY, &["SELECT 1; SELECT 2; SELECT 3", "-q"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("error"), "{stderr}");
}

#[test]
fn a_statement_athena_refuses_fails_with_athenas_reason() {
    let lab = Lab::start(0.0, 0.0);
    let run = query(
        &lab,
        &[
            "SELECT 1",
            "--workgroup",
            "no_such_workgroup",
            "--output",
            "json",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("StartQueryExecution")
            && run.stderr.contains("was refused")
            && run.stderr.contains("WorkGroup does not exist"),
        "{}",
        run.stderr
    );
    let doc = run.json();
    assert_eq!(doc["state"], "ERROR");
    assert_eq!(doc["query_execution_id"], Value::Null);
}

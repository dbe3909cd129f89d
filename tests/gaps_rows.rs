//! `gaps --rows` on the lab: a trades table keyed by hour, the count
//! query's result injected (holes for one group, a group that vanished),
//! and what Athena was asked read back from `/_lab/athena/executions`.

use serde_json::{json, Value};

use crate::harness::{run_at, Lab, Run};

const GAPS: &str = env!("CARGO_BIN_EXE_gaps");
const OUTPUT: &str = "s3://athena-results/q/";

fn storage(location: &str) -> Value {
    json!({"Columns": [{"Name": "ts", "Type": "timestamp"}, {"Name": "symbol", "Type": "string"},
                       {"Name": "price", "Type": "double"}],
           "Location": location,
           "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
           "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
           "SerdeInfo": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe"}})
}

/// `db.trades`, keyed by `dt` (`2024-01-01-05`), partitions for hours 0 to
/// 5 but 3, whose data is in S3 all the same; `db.ticks`, keyed by year,
/// month, day and hour, partitions for 2024-01-31 22:00 to 2024-02-01
/// 01:00; `db.flat` without partition keys.
fn lab() -> Lab {
    let lab = Lab::start(0.0, 0.0);
    let hours: Vec<String> = (0..6)
        .filter(|h| *h != 3)
        .map(|h| format!("2024-01-01-{h:02}"))
        .collect();
    let parts: Vec<Value> = hours
        .iter()
        .map(|h| json!({"Values": [h], "StorageDescriptor": storage(&format!("s3://data/trades/dt={h}/"))}))
        .collect();
    let mut keys: Vec<String> = hours
        .iter()
        .map(|h| format!("trades/dt={h}/a.json"))
        .collect();
    keys.push("trades/dt=2024-01-01-03/a.json".into());
    let tick_hours = [
        ("2024", "01", "31", "22"),
        ("2024", "01", "31", "23"),
        ("2024", "02", "01", "00"),
        ("2024", "02", "01", "01"),
    ];
    let ticks: Vec<Value> = tick_hours
        .iter()
        .map(|(y, m, d, h)| {
            json!({"Values": [y, m, d, h],
            "StorageDescriptor": storage(&format!("s3://data/ticks/{y}/{m}/{d}/{h}/"))})
        })
        .collect();
    let key = |name: &str| json!({"Name": name, "Type": "string"});
    lab.call(
        "/_lab/seed",
        Some(&json!([
            {"op": "objects", "bucket": "athena-results", "keys": ["q/.keep"]},
            {"op": "objects", "bucket": "data", "keys": keys},
            {"op": "table", "database": "db", "table_input": {"Name": "trades",
                "StorageDescriptor": storage("s3://data/trades/"), "PartitionKeys": [key("dt")],
                "TableType": "EXTERNAL_TABLE"}},
            {"op": "partitions", "database": "db", "table": "trades", "partition_inputs": parts},
            {"op": "table", "database": "db", "table_input": {"Name": "ticks",
                "StorageDescriptor": storage("s3://data/ticks/"),
                "PartitionKeys": [key("year"), key("month"), key("day"), key("hour")],
                "TableType": "EXTERNAL_TABLE"}},
            {"op": "partitions", "database": "db", "table": "ticks", "partition_inputs": ticks},
            {"op": "table", "database": "db", "table_input": {"Name": "flat",
                "StorageDescriptor": storage("s3://data/flat/"), "TableType": "EXTERNAL_TABLE"}},
            {"op": "table", "database": "db", "table_input": {"Name": "ice",
                "StorageDescriptor": storage("s3://data/ice/"), "TableType": "EXTERNAL_TABLE",
                "Parameters": {"table_type": "ICEBERG", "metadata_location": "s3://data/ice/metadata/00001.metadata.json"}}},
        ])),
    );
    lab
}

/// The count query's result: AAPL has no row at 02:00 and 03:00, MSFT none
/// at 03:00, GOOG only at 00:00 (it vanished).
fn counts(lab: &Lab) {
    let mut rows: Vec<Value> = [0, 1, 4, 5]
        .iter()
        .map(|h| json!(["AAPL", format!("2024-01-01 {h:02}:00:00.000"), "5"]))
        .collect();
    rows.extend(
        [0, 1, 2, 4, 5]
            .iter()
            .map(|h| json!(["MSFT", format!("2024-01-01 {h:02}:00:00.000"), "3"])),
    );
    rows.push(json!(["GOOG", "2024-01-01 00:00:00.000", "1"]));
    lab.call(
        "/_lab/athena/results",
        Some(&json!({"results": [{"columns": [["symbol", "varchar"], ["slot", "timestamp"], ["row_count", "bigint"]],
                                   "rows": rows}]})),
    );
}

fn gaps(lab: &Lab, args: &[&str]) -> Run {
    let mut all = args.to_vec();
    all.extend(["--output-location", OUTPUT]);
    run_at(&lab.endpoint, GAPS, &all)
}

/// `gaps db trades --rows --time-column ts --group-by symbol` and `extra`.
fn by_symbol(lab: &Lab, extra: &[&str]) -> Run {
    let mut args = vec![
        "db",
        "trades",
        "--rows",
        "--time-column",
        "ts",
        "--group-by",
        "symbol",
    ];
    args.extend(extra);
    gaps(lab, &args)
}

/// `gaps db flat --rows --time-column ts --every day` and `extra`.
fn flat_by_day(lab: &Lab, extra: &[&str]) -> Run {
    let mut args = vec![
        "db",
        "flat",
        "--rows",
        "--time-column",
        "ts",
        "--every",
        "day",
    ];
    args.extend(extra);
    gaps(lab, &args)
}

fn sent_sql(lab: &Lab) -> Vec<String> {
    lab.call("/_lab/athena/executions", None)
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["query"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn every_group_and_slot_with_too_few_rows_is_a_gap_silent_slots_included() {
    let lab = lab();
    counts(&lab);
    let run = by_symbol(&lab, &["--output", "json", "--fail-if-any"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let doc = run.json();
    let pairs: Vec<(String, String, u64)> = doc["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["group"]["symbol"].as_str().unwrap().to_string(),
                g["slot"].as_str().unwrap().to_string(),
                g["rows"].as_u64().unwrap(),
            )
        })
        .collect();
    let expected: Vec<(String, String, u64)> = [
        ("AAPL", 2),
        ("AAPL", 3),
        ("GOOG", 1),
        ("GOOG", 2),
        ("GOOG", 3),
        ("GOOG", 4),
        ("GOOG", 5),
        ("MSFT", 3),
    ]
    .iter()
    .map(|(s, h)| (s.to_string(), format!("2024-01-01T{h:02}:00:00Z"), 0))
    .collect();
    assert_eq!(pairs, expected);
    assert_eq!(doc["gaps"][0]["values"], json!(["AAPL"]));
    assert_eq!(doc["command"], "gaps");
    assert_eq!(doc["mode"], "rows");
    assert_eq!(
        (
            doc["slots"].as_u64(),
            doc["groups"].as_u64(),
            doc["rows_counted"].as_u64()
        ),
        (Some(6), Some(3), Some(36))
    );
    // 03:00 has no partition and its data is in S3: the partitioner's.
    let at3: Vec<&Value> = doc["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["slot"] == "2024-01-01T03:00:00Z")
        .collect();
    assert!(
        at3.iter()
            .all(|g| g["partition"] == false && g["has_data"] == true),
        "{at3:?}"
    );
    assert!(
        doc["next"]
            .as_str()
            .unwrap()
            .starts_with("repair: partitioner db trades"),
        "{doc}"
    );

    // The SQL Athena was asked: GROUP BY group and slot, the window on the
    // time column and on the time key.
    let sql = &sent_sql(&lab)[0];
    assert!(sql.starts_with("SELECT \"symbol\", date_trunc('hour', \"ts\") AS slot, count(*) AS row_count\nFROM \"db\".\"trades\""), "{sql}");
    assert!(sql.contains("\"ts\" >= TIMESTAMP '2024-01-01 00:00:00' AND \"ts\" < TIMESTAMP '2024-01-01 06:00:00'"), "{sql}");
    assert!(
        sql.contains("\"dt\" BETWEEN '2024-01-01-00' AND '2024-01-01-05'"),
        "{sql}"
    );
    assert!(
        sql.contains("GROUP BY \"symbol\", date_trunc('hour', \"ts\")"),
        "{sql}"
    );
}

#[test]
fn the_text_lists_the_gaps_and_says_what_to_run_next() {
    let lab = lab();
    let at = |s: &str, h: u32| json!([s, format!("2024-01-01 {h:02}:00:00.000"), "4"]);
    lab.call(
        "/_lab/athena/results",
        Some(&json!({"results": [{"columns": [["symbol", "varchar"], ["slot", "timestamp"], ["row_count", "bigint"]],
            "rows": [at("AAPL", 4), at("AAPL", 5), at("MSFT", 4)]}]})),
    );
    let run = by_symbol(
        &lab,
        &["--since", "2024-01-01T04", "--until", "2024-01-01T05", "-v"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("gap MSFT  2024-01-01 05:00  0 rows  partition present"),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains("gap AAPL"),
        "AAPL is whole: {}",
        run.stdout
    );
    assert!(
        run.stdout.contains("data missing upstream"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("count AAPL  2024-01-01 05:00  4"),
        "-v lists the counts read: {}",
        run.stdout
    );
    assert!(
        run.stderr.contains("GROUP BY") && run.stderr.contains("est. cost $"),
        "-v shows the SQL and the cost: {}",
        run.stderr
    );
    let sql = &sent_sql(&lab)[0];
    assert!(
        sql.contains("\"dt\" BETWEEN '2024-01-01-04' AND '2024-01-01-05'"),
        "{sql}"
    );
}

#[test]
fn min_rows_and_year_month_day_hour_keys() {
    let lab = lab();
    lab.call(
        "/_lab/athena/results",
        Some(&json!({"results": [{"columns": [["slot", "timestamp"], ["row_count", "bigint"]],
            "rows": [["2024-01-31 22:00:00.000", "10"], ["2024-01-31 23:00:00.000", "2"], ["2024-02-01 01:00:00.000", "10"]]}]})),
    );
    let run = gaps(
        &lab,
        &[
            "db",
            "ticks",
            "--rows",
            "--time-column",
            "ts",
            "--min-rows",
            "5",
            "--output",
            "json",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = run.json();
    let slots: Vec<(&str, u64)> = doc["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["slot"].as_str().unwrap(), g["rows"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        slots,
        [("2024-01-31T23:00:00Z", 2), ("2024-02-01T00:00:00Z", 0)]
    );
    assert_eq!(doc["gaps"][0]["group"], json!({}));
    let sql = &sent_sql(&lab)[0];
    assert!(sql.contains("((\"year\" = '2024' AND \"month\" = '01' AND \"day\" = '31') OR (\"year\" = '2024' AND \"month\" = '02' AND \"day\" = '01'))"), "{sql}");
}

#[test]
fn a_table_without_time_keys_needs_since_and_bad_columns_are_named() {
    let lab = lab();
    let run = flat_by_day(&lab, &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("needs --since"), "{}", run.stderr);
    let run = gaps(&lab, &["db", "trades", "--rows", "--time-column", "when"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("--time-column `when`") && run.stderr.contains("ts, symbol, price, dt"),
        "{}",
        run.stderr
    );
    let run = gaps(
        &lab,
        &[
            "db",
            "trades",
            "--rows",
            "--time-column",
            "ts",
            "--group-by",
            "nope",
        ],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--group-by `nope`"), "{}", run.stderr);
    let run = run_at(&lab.endpoint, GAPS, &["db", "trades", "--workgroup", "w"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("are for --rows"), "{}", run.stderr);
    assert!(sent_sql(&lab).is_empty(), "nothing ran");

    lab.call(
        "/_lab/athena/results",
        Some(
            &json!({"results": [{"columns": [["slot", "timestamp"], ["row_count", "bigint"]],
            "rows": [["2024-03-01 00:00:00.000", "4"], ["2024-03-03 00:00:00.000", "4"]]}]}),
        ),
    );
    let run = flat_by_day(
        &lab,
        &[
            "--since",
            "2024-03-01",
            "--until",
            "2024-03-03",
            "--output",
            "json",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = run.json();
    assert_eq!(doc["gaps"][0]["slot"], "2024-03-02T00:00:00Z");
    assert_eq!(
        doc["gaps"][0]["partition"],
        Value::Null,
        "no time keys, nothing said of partitions"
    );
    let sql = &sent_sql(&lab)[0];
    assert!(
        !sql.contains("\n  AND") && sql.contains("TIMESTAMP '2024-03-04 00:00:00'"),
        "{sql}"
    );
}

#[test]
fn a_timeout_stops_the_count_query() {
    let lab = lab();
    lab.call(
        "/moto-api/state-manager/set-transition",
        Some(&json!({"model_name": "athena::execution", "transition": {"progression": "manual", "times": 1000}})),
    );
    let run = gaps(
        &lab,
        &[
            "db",
            "trades",
            "--rows",
            "--time-column",
            "ts",
            "--timeout",
            "1s",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("--timeout") && run.stderr.contains("StopQueryExecution"),
        "{}",
        run.stderr
    );
    let stops = lab.call("/_lab/stats", None)["counts"]["AmazonAthena:StopQueryExecution"].as_u64();
    assert_eq!(stops, Some(1));
}

#[test]
fn an_iceberg_table_has_its_rows_counted_without_partition_checks() {
    let lab = lab();
    lab.call(
        "/_lab/athena/results",
        Some(&json!({"results": [{"columns": [["symbol", "varchar"], ["slot", "timestamp"], ["row_count", "bigint"]],
            "rows": [["AAPL", "2024-05-01 00:00:00.000", "9"], ["AAPL", "2024-05-03 00:00:00.000", "9"]]}]})),
    );
    let run = gaps(
        &lab,
        &[
            "db",
            "ice",
            "--rows",
            "--time-column",
            "ts",
            "--group-by",
            "symbol",
            "--every",
            "day",
            "--since",
            "2024-05-01",
            "--until",
            "2024-05-03",
            "--output",
            "json",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = run.json();
    assert_eq!(doc["gaps"].as_array().unwrap().len(), 1, "{doc}");
    assert_eq!(doc["gaps"][0]["slot"], "2024-05-02T00:00:00Z");
    assert_eq!(
        doc["gaps"][0]["partition"],
        Value::Null,
        "Iceberg partitions are not Glue's"
    );
    assert!(
        doc["next"]
            .as_str()
            .unwrap()
            .starts_with("data missing upstream"),
        "{doc}"
    );
    // Partition gaps still refuse it: it has no Glue partitions.
    let run = run_at(&lab.endpoint, GAPS, &["db", "ice"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

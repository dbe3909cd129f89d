//! Commands under throttling: the lab answers 15% of requests with Glue
//! `ThrottlingException` (HTTP 400) or S3 `SlowDown` (HTTP 503), and every
//! command must end exactly as it would without faults.

use serde_json::{json, Value};

use crate::harness::{hourly_keys, run_at, Lab};

const PARTITIONER: &str = env!("CARGO_BIN_EXE_partitioner");

fn table_input(name: &str, location: &str) -> Value {
    json!({
        "Name": name,
        "TableType": "EXTERNAL_TABLE",
        "PartitionKeys": [
            {"Name": "year", "Type": "string"},
            {"Name": "month", "Type": "string"},
            {"Name": "day", "Type": "string"},
            {"Name": "hour", "Type": "string"}
        ],
        "StorageDescriptor": {
            "Location": location,
            "Columns": [{"Name": "x", "Type": "int"}],
            "SerdeInfo": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe"}
        }
    })
}

fn catalog(lab: &Lab, database: &str, table: &str) -> Vec<Value> {
    lab.call(
        &format!("/_lab/partitions?database={database}&table={table}"),
        None,
    )["partitions"]
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn partitioner_under_15_percent_throttling_ends_as_without_faults() {
    let lab = Lab::start(0.0, 0.15);
    // 60 days hourly: more than a listing page, 15 create batches.
    let keys = hourly_keys("t/", 60, true);
    lab.call(
        "/_lab/seed",
        Some(&json!([
            {"op": "objects", "bucket": "faults", "keys": keys},
            {"op": "table", "database": "faultdb", "table_input": table_input("events", "s3://faults/t/")}
        ])),
    );

    let dry = run_at(
        &lab.endpoint,
        PARTITIONER,
        &["faultdb", "events", "--dry-run", "--output", "json"],
    );
    assert_eq!(dry.code, 0, "{dry:?}");
    assert_eq!(dry.json()["to_create"].as_array().unwrap().len(), 1440);
    assert!(catalog(&lab, "faultdb", "events").is_empty());

    let first = run_at(
        &lab.endpoint,
        PARTITIONER,
        &["faultdb", "events", "--output", "json"],
    );
    assert_eq!(first.code, 0, "{first:?}");
    assert_eq!(first.json()["created"], 1440);
    let again = run_at(
        &lab.endpoint,
        PARTITIONER,
        &["faultdb", "events", "--output", "json"],
    );
    assert_eq!(again.code, 0, "{again:?}");
    assert_eq!(again.json()["already_present"], 1440);

    let stats = lab.call("/_lab/stats", None);
    let faults = stats["faults"].as_object().unwrap();
    let total: u64 = faults.values().map(|v| v.as_u64().unwrap()).sum();
    assert!(
        total >= 3,
        "the lab injected too few faults to mean anything: {stats}"
    );
    for service in ["Glue:", "S3:"] {
        assert!(
            faults.keys().any(|k| k.starts_with(service)),
            "no {service} faults: {stats}"
        );
    }

    let partitions = catalog(&lab, "faultdb", "events");
    assert_eq!(partitions.len(), 1440);
    assert_eq!(partitions[0]["values"], json!(["2019", "01", "01", "00"]));
    assert_eq!(
        partitions[0]["location"],
        "s3://faults/t/year=2019/month=01/day=01/hour=00/"
    );
}

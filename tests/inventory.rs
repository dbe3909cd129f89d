//! `glutil databases` and `glutil tables` against the lab (AWS-like
//! paging: partition counts span several GetPartitions pages).

use serde_json::{json, Value};

use crate::harness::{hourly_table_input, run_at, Lab};

const GLUTIL: &str = env!("CARGO_BIN_EXE_glutil");

fn seed(lab: &Lab) {
    let partitions: Vec<Value> = (0..2500)
        .map(|i| {
            let (day, hour) = (1 + i / 24 % 28, i % 24);
            let month = 1 + i / (24 * 28);
            json!({"Values": ["2024", format!("{month:02}"), format!("{day:02}"), format!("{hour:02}")],
                   "StorageDescriptor": {"Location": format!("s3://inv/big/{i}/")}})
        })
        .collect();
    let mut iceberg = hourly_table_input("ice", "s3://inv/ice/");
    iceberg["Parameters"] =
        json!({"table_type": "ICEBERG", "metadata_location": "s3://inv/ice/metadata/0.json"});
    iceberg["PartitionKeys"] = json!([]);
    let mut projected = hourly_table_input("proj", "s3://inv/proj/");
    projected["Parameters"] = json!({"projection.enabled": "true"});
    let view = json!({"Name": "recent", "TableType": "VIRTUAL_VIEW", "ViewOriginalText": "/* Presto View: e30= */",
                      "StorageDescriptor": {"Columns": [{"Name": "x", "Type": "int"}]}});
    let keyless = json!({"Name": "lookup", "TableType": "EXTERNAL_TABLE", "Parameters": {"classification": "csv"},
                         "StorageDescriptor": {"Location": "s3://inv/lookup/", "Columns": [{"Name": "x", "Type": "int"}],
                                               "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.serde2.OpenCSVSerde"}}});
    lab.call(
        "/_lab/seed",
        Some(&json!([
            {"op": "database", "database": "inv"},
            {"op": "table", "database": "inv", "table_input": hourly_table_input("big", "s3://inv/big/")},
            {"op": "partitions", "database": "inv", "table": "big", "partition_inputs": partitions},
            {"op": "table", "database": "inv", "table_input": iceberg},
            {"op": "table", "database": "inv", "table_input": projected},
            {"op": "table", "database": "inv", "table_input": view},
            {"op": "table", "database": "inv", "table_input": keyless}
        ])),
    );
}

#[test]
fn tables_lists_every_kind_with_formats_and_counts() {
    let lab = Lab::start(0.0, 0.0);
    seed(&lab);
    let r = run_at(
        &lab.endpoint,
        GLUTIL,
        &["tables", "inv", "--output", "json"],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let doc = r.json();
    assert_eq!(doc["command"], "tables");
    let by = |name: &str| {
        doc["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .unwrap()
            .clone()
    };
    let big = by("big");
    assert_eq!(big["kind"], "external");
    assert_eq!(big["format"], "json");
    assert_eq!(big["partitions"], 2500, "{big}");
    assert_eq!(
        big["partition_keys"],
        json!(["year", "month", "day", "hour"])
    );
    assert_eq!(by("ice")["kind"], "iceberg");
    assert_eq!(by("ice")["partitions"], Value::Null);
    assert_eq!(by("recent")["kind"], "view");
    assert_eq!(by("proj")["projection"], true);
    assert_eq!(by("lookup")["format"], "csv");
    assert_eq!(
        by("lookup")["partitions"],
        Value::Null,
        "no keys, nothing to count"
    );

    let text = run_at(&lab.endpoint, GLUTIL, &["tables", "inv", "--tables", "b*"]);
    assert_eq!(text.code, 0, "{text:?}");
    let lines: Vec<&str> = text.stdout.lines().collect();
    assert!(
        lines[0].starts_with("TABLE") && lines[0].contains("PARTITIONS"),
        "{}",
        text.stdout
    );
    assert_eq!(lines.len(), 2, "one table matches: {}", text.stdout);
    assert!(
        lines[1].starts_with("big ") && lines[1].contains("2500"),
        "{}",
        text.stdout
    );

    let quick = run_at(
        &lab.endpoint,
        GLUTIL,
        &["tables", "inv", "big", "--no-count", "--output", "json"],
    );
    assert_eq!(quick.json()["tables"][0]["partitions"], Value::Null);
    let missing = run_at(&lab.endpoint, GLUTIL, &["tables", "inv", "nope"]);
    assert_eq!(missing.code, 2, "{missing:?}");
    assert!(missing.stderr.contains("nope"), "{}", missing.stderr);
    let unknown = run_at(&lab.endpoint, GLUTIL, &["tables", "no_such_db"]);
    assert_eq!(unknown.code, 2, "{unknown:?}");

    let dbs = run_at(&lab.endpoint, GLUTIL, &["databases", "--output", "json"]);
    assert_eq!(dbs.code, 0, "{dbs:?}");
    let inv = dbs.json()["databases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "inv")
        .cloned()
        .unwrap();
    assert_eq!(inv["tables"], 5, "{inv}");
    let text = run_at(&lab.endpoint, GLUTIL, &["databases"]);
    assert!(
        text.stdout
            .lines()
            .any(|l| l.starts_with("inv ") && l.contains(" 5 ")),
        "{}",
        text.stdout
    );
}

/// drop-table backs up each table with all its partitions; restore brings
/// back the table and every partition exactly.
#[test]
fn drop_table_then_restore_gives_back_every_partition() {
    let lab = Lab::start(0.0, 0.0);
    seed(&lab);
    let drop = env!("CARGO_BIN_EXE_drop-table");
    let restore = env!("CARGO_BIN_EXE_restore");
    let partitions = |table: &str| {
        let mut p = lab.call(
            &format!("/_lab/partitions?database=inv&table={table}"),
            None,
        )["partitions"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        p.sort_by_key(|x| x["Values"].to_string());
        p
    };
    let table = |name: &str| lab.call(&format!("/_lab/table?database=inv&table={name}"), None);
    let before = (partitions("big"), table("big"), table("recent"));
    assert_eq!(before.0.len(), 2500);

    let dry = run_at(&lab.endpoint, drop, &["inv", "big", "recent", "--dry-run"]);
    assert_eq!(dry.code, 0, "{dry:?}");
    assert!(
        dry.stdout.contains("would drop table inv.big"),
        "{}",
        dry.stdout
    );
    assert_eq!(table("big"), before.1, "a dry run drops nothing");

    let backup = crate::harness::backup_path("drop");
    let r = run_at(
        &lab.endpoint,
        drop,
        &[
            "inv", "big", "recent", "--backup", &backup, "--output", "json",
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.json()["deleted"], 2, "{}", r.stdout);
    assert_eq!(table("big"), Value::Null);
    assert_eq!(table("recent"), Value::Null);

    let back = run_at(&lab.endpoint, restore, &[&backup]);
    assert_eq!(back.code, 0, "{back:?}");
    assert_eq!(table("big"), before.1);
    assert_eq!(table("recent"), before.2);
    let after = partitions("big");
    assert_eq!(after.len(), 2500);
    for (a, b) in after.iter().zip(&before.0) {
        assert_eq!(a["Values"], b["Values"]);
        assert_eq!(a["StorageDescriptor"], b["StorageDescriptor"], "{a} vs {b}");
    }

    // Bad usage changes nothing.
    for args in [
        vec!["inv"],
        vec!["inv", "--all-tables"],
        vec!["inv", "nope"],
        vec!["no_db", "t"],
    ] {
        let r = run_at(&lab.endpoint, drop, &args);
        assert_eq!(r.code, 2, "{args:?}: {r:?}");
    }
    assert_eq!(table("big"), before.1);
}

/// describe on Hive, flat and mixed tables: the layout the partitions'
/// locations show, first and last values, and the audit counts.
#[tokio::test(flavor = "multi_thread")]
async fn describe_shows_the_layout_and_with_audit_what_is_missing() {
    let moto = crate::harness::Moto::connect().await;
    let (bucket, db, table) = moto
        .bucket_and_table("describe", "t", &[("year", "string"), ("month", "string")])
        .await;
    moto.put(
        &bucket,
        crate::harness::strings(&["t/year=2024/month=01/a.parquet", "t/2024/02/a.parquet"]),
    )
    .await;
    let s = crate::harness::strings;
    moto.add_partitions(
        &db,
        &table,
        &[
            (
                s(&["2024", "01"]),
                format!("s3://{bucket}/t/year=2024/month=01/"),
            ),
            (s(&["2024", "02"]), format!("s3://{bucket}/t/2024/02/")),
            (
                s(&["2023", "12"]),
                format!("s3://{bucket}/archive/2023/12/"),
            ),
        ],
    )
    .await;
    let r = crate::harness::run(
        GLUTIL,
        &["describe", &db, &table, "--audit", "--output", "json"],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let doc = r.json();
    assert_eq!(doc["command"], "describe");
    assert_eq!(doc["format"], "parquet");
    assert_eq!(doc["partitions"], 3);
    assert_eq!(doc["first_partition"], json!(["2023", "12"]));
    assert_eq!(doc["last_partition"], json!(["2024", "02"]));
    assert_eq!(
        doc["layout"],
        json!({"style": "mixed", "hive": 1, "flat": 1, "outside": 1})
    );
    assert_eq!(doc["columns"][0], json!(["x", "int", ""]));
    assert_eq!(doc["missing"], 1, "{doc}");
    let text = crate::harness::run(GLUTIL, &["describe", &db, &table]);
    assert!(
        text.stdout
            .contains("layout: mixed (1 hive, 1 flat, 1 outside the table location)"),
        "{}",
        text.stdout
    );
    assert!(
        !text.stdout.contains("missing (list-missing)"),
        "no audit without --audit"
    );
    // All Hive, all flat.
    for (name, folder, style) in [
        ("hive", "year=2024/month=01/", "hive"),
        ("flat", "2024/01/", "flat"),
    ] {
        let t = moto
            .table(
                &db,
                name,
                &format!("s3://{bucket}/{name}"),
                &[("year", "string"), ("month", "string")],
            )
            .await;
        moto.add_partitions(
            &db,
            &t,
            &[(s(&["2024", "01"]), format!("s3://{bucket}/{name}/{folder}"))],
        )
        .await;
        let r = crate::harness::run(GLUTIL, &["describe", &db, &t, "--output", "json"]);
        assert_eq!(r.json()["layout"]["style"], style, "{}", r.stdout);
    }
    let nope = crate::harness::run(GLUTIL, &["describe", &db, "nope"]);
    assert_eq!(nope.code, 2, "{nope:?}");
}

//! End-to-end tests of runs over several tables (`TABLE...`,
//! `--all-tables`, `--tables GLOB`), each on a lab of its own.

use serde_json::{json, Value};

use crate::harness::{backup_path, hourly_keys, hourly_table_input, run_at, Lab};

const PARTITIONER: &str = env!("CARGO_BIN_EXE_partitioner");
const LIST_MISSING: &str = env!("CARGO_BIN_EXE_list-missing");
const DELETE_MISSING: &str = env!("CARGO_BIN_EXE_delete-missing");
const GAPS: &str = env!("CARGO_BIN_EXE_gaps");
const UPDATE_STORAGE: &str = env!("CARGO_BIN_EXE_update-storage");
const UPDATE_PARTITIONS: &str = env!("CARGO_BIN_EXE_update-partitions");
const RESTORE: &str = env!("CARGO_BIN_EXE_restore");

/// Seeds, in database `db`, one hourly table per `(name, days)` with that
/// many days of data under `s3://many/<name>/` and no partitions yet.
fn seed_tables(lab: &Lab, db: &str, tables: &[(&str, u32)]) {
    let mut ops = Vec::new();
    for (name, days) in tables {
        let prefix = format!("{name}/");
        ops.push(
            json!({"op": "objects", "bucket": "many", "keys": hourly_keys(&prefix, *days, true)}),
        );
        let location = format!("s3://many/{prefix}");
        ops.push(
            json!({"op": "table", "database": db, "table_input": hourly_table_input(name, &location)}),
        );
    }
    lab.call("/_lab/seed", Some(&Value::Array(ops)));
}

/// Adds a table without partition keys and a view to `db`.
fn seed_unpartitioned_and_view(lab: &Lab, db: &str) {
    let flat = json!({
        "Name": "flat",
        "TableType": "EXTERNAL_TABLE",
        "StorageDescriptor": {"Location": "s3://many/flat/", "Columns": [{"Name": "x", "Type": "int"}]}
    });
    let view = json!({
        "Name": "recent",
        "TableType": "VIRTUAL_VIEW",
        "ViewOriginalText": "/* Presto View: e30= */",
        "StorageDescriptor": {"Columns": [{"Name": "x", "Type": "int"}]}
    });
    lab.call(
        "/_lab/seed",
        Some(&json!([
            {"op": "table", "database": db, "table_input": flat},
            {"op": "table", "database": db, "table_input": view}
        ])),
    );
}

fn catalog_len(lab: &Lab, db: &str, table: &str) -> usize {
    lab.call(
        &format!("/_lab/partitions?database={db}&table={table}"),
        None,
    )["partitions"]
        .as_array()
        .unwrap()
        .len()
}

/// A row of the text totals that follow `title`: `label: 12` -> 12.
fn total(stdout: &str, title: &str, label: &str) -> Option<u64> {
    let totals = stdout.split(title).nth(1)?;
    totals.lines().find_map(|line| {
        let value = line.trim().strip_prefix(&format!("{label}:"))?;
        value.trim().parse().ok()
    })
}

fn backup_lines(path: &str) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_whole_database_is_partitioned_with_one_backup_and_a_failed_table_reported() {
    let lab = Lab::start(0.0, 0.0);
    seed_tables(&lab, "many", &[("alpha", 1), ("beta", 2)]);
    seed_unpartitioned_and_view(&lab, "many");
    // A table whose bucket is gone: it fails, the others go on.
    let broken = hourly_table_input("broken", "s3://no-such-bucket-many/broken/");
    lab.call(
        "/_lab/seed",
        Some(&json!([{"op": "table", "database": "many", "table_input": broken}])),
    );
    let backup = backup_path("many-all");

    let r = run_at(
        &lab.endpoint,
        PARTITIONER,
        &[
            "many",
            "--all-tables",
            "--output",
            "json",
            "--backup",
            &backup,
        ],
    );
    // `broken` fails: reported, the rest go on, exit 1. `flat` (no
    // partition keys) and the view are skipped with their reasons.
    assert_eq!(r.code, 1, "{r:?}");
    let doc = r.json();
    assert_eq!(doc["command"], "partitioner");
    assert_eq!(doc["database"], "many");
    let tables = doc["tables"].as_array().unwrap();
    let names: Vec<&str> = tables
        .iter()
        .map(|t| t["table"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["alpha", "beta", "broken"],
        "name order; the keyless table and the view skipped"
    );
    assert_eq!(tables[0]["created"], 24);
    assert_eq!(tables[1]["created"], 48);
    assert!(
        tables[2]["error"]
            .as_str()
            .unwrap()
            .contains("does not exist"),
        "{}",
        tables[2]
    );
    // Per-table entries carry no backup or requests of their own.
    assert!(tables[0].get("requests").is_none() && tables[0].get("backup").is_none());
    assert_eq!(doc["skipped_views"], json!(["many.recent"]));
    assert_eq!(
        doc["skipped"],
        json!([
            {"table": "many.flat", "reason": "no partition keys, so no partitions to find"},
            {"table": "many.recent", "reason": "a view, no data of its own"}
        ])
    );
    assert_eq!(doc["totals"]["skipped"], 2);
    assert_eq!(doc["failed_tables"], json!(["many.broken"]));
    assert_eq!(doc["totals"]["tables"], 3);
    assert_eq!(doc["totals"]["failed_tables"], 1);
    assert_eq!(doc["totals"]["created"], 72);
    assert_eq!(doc["backup"], backup.as_str());
    assert!(
        doc["requests"]["Glue:BatchCreatePartition"]
            .as_u64()
            .unwrap()
            >= 2
    );
    assert!(
        r.stderr.contains("1 of 3 tables failed: many.broken"),
        "{}",
        r.stderr
    );
    assert_eq!(catalog_len(&lab, "many", "alpha"), 24);
    assert_eq!(catalog_len(&lab, "many", "beta"), 48);

    // One file for the run, holding both tables' creations.
    let lines = backup_lines(&backup);
    assert_eq!(lines[0]["command"], "partitioner");
    let per_table = |t: &str| lines[1..].iter().filter(|l| l["table"] == t).count();
    assert_eq!(
        (lines.len() - 1, per_table("alpha"), per_table("beta")),
        (72, 24, 48)
    );

    // The rerun over the named tables changes nothing and says so per table
    // and in the totals.
    let again = run_at(&lab.endpoint, PARTITIONER, &["many", "alpha", "beta"]);
    assert_eq!(again.code, 0, "{again:?}");
    assert!(
        again
            .stdout
            .contains("partitioner many.alpha at s3://many/alpha/"),
        "{}",
        again.stdout
    );
    assert!(
        again
            .stdout
            .contains("partitioner many.beta at s3://many/beta/"),
        "{}",
        again.stdout
    );
    let title = "partitioner many: totals";
    let out = &again.stdout;
    assert_eq!(total(out, title, "already present"), Some(72), "{out}");
    assert_eq!(total(out, title, "created"), Some(0), "{out}");
    assert!(
        !out.contains("backup:"),
        "nothing changed, no backup: {out}"
    );

    // One restore undoes the whole run.
    let restore = run_at(&lab.endpoint, RESTORE, &[&backup]);
    assert_eq!(restore.code, 0, "{restore:?}");
    assert_eq!(catalog_len(&lab, "many", "alpha"), 0);
    assert_eq!(catalog_len(&lab, "many", "beta"), 0);
}

#[test]
fn patterns_pick_tables_for_audits_and_cleanups_and_leave_the_rest_alone() {
    let lab = Lab::start(0.0, 0.0);
    seed_tables(
        &lab,
        "shop",
        &[("events_a", 1), ("events_b", 1), ("orders", 1)],
    );
    for table in ["events_a", "events_b", "orders"] {
        let r = run_at(&lab.endpoint, PARTITIONER, &["shop", table, "-q"]);
        assert_eq!(r.code, 0, "{r:?}");
    }
    // Day 2019-01-01 hours 00-02 lose their data in events_a, hour 05 in
    // events_b, and every hour of the day in orders.
    let gone = |table: &str, hours: &[u32]| -> Vec<String> {
        hours
            .iter()
            .map(|h| format!("{table}/year=2019/month=01/day=01/hour={h:02}/data.json"))
            .collect()
    };
    let mut orders_gone = gone("orders", &(0..24).collect::<Vec<_>>());
    orders_gone.extend(gone("events_a", &[0, 1, 2]));
    orders_gone.extend(gone("events_b", &[5]));
    lab.call(
        "/_lab/seed",
        Some(&json!([{"op": "delete_objects", "bucket": "many", "keys": orders_gone}])),
    );

    let audit = run_at(
        &lab.endpoint,
        LIST_MISSING,
        &["shop", "--tables", "events_*", "--fail-if-any"],
    );
    assert_eq!(audit.code, 3, "{audit:?}");
    assert!(
        audit.stdout.contains("list-missing shop.events_a"),
        "{}",
        audit.stdout
    );
    assert!(
        audit.stdout.contains("list-missing shop.events_b"),
        "{}",
        audit.stdout
    );
    assert!(!audit.stdout.contains("shop.orders"), "{}", audit.stdout);
    let title = "list-missing shop: totals";
    assert_eq!(
        total(&audit.stdout, title, "missing"),
        Some(4),
        "{}",
        audit.stdout
    );
    assert_eq!(
        total(&audit.stdout, title, "examined"),
        Some(48),
        "{}",
        audit.stdout
    );
    assert_eq!(
        total(&audit.stdout, title, "tables"),
        Some(2),
        "{}",
        audit.stdout
    );

    let dry = run_at(
        &lab.endpoint,
        DELETE_MISSING,
        &[
            "shop",
            "--tables",
            "events_*",
            "--dry-run",
            "--output",
            "json",
        ],
    );
    assert_eq!(dry.code, 0, "{dry:?}");
    assert_eq!(dry.json()["totals"]["to_delete"], 4);
    assert_eq!(dry.json()["backup"], Value::Null);
    assert_eq!(catalog_len(&lab, "shop", "events_a"), 24);

    let real = run_at(
        &lab.endpoint,
        DELETE_MISSING,
        &["shop", "--tables", "events_*", "--output", "json"],
    );
    assert_eq!(real.code, 0, "{real:?}");
    assert_eq!(real.json()["totals"]["deleted"], 4);
    let backup = real.json()["backup"].as_str().unwrap().to_string();
    assert!(
        backup.contains("delete-missing-shop-"),
        "the file is named for the database: {backup}"
    );
    assert_eq!(backup_lines(&backup).len(), 1 + 4);
    assert_eq!(catalog_len(&lab, "shop", "events_a"), 21);
    assert_eq!(catalog_len(&lab, "shop", "events_b"), 23);
    assert_eq!(
        catalog_len(&lab, "shop", "orders"),
        24,
        "not matched, not touched"
    );

    // Gaps over several tables: the deleted hours are now holes.
    let gaps = run_at(
        &lab.endpoint,
        GAPS,
        &[
            "shop",
            "events_a",
            "events_b",
            "--every",
            "hour",
            "--since",
            "2019-01-01T00",
            "--output",
            "json",
        ],
    );
    assert_eq!(gaps.code, 0, "{gaps:?}");
    assert_eq!(gaps.json()["totals"]["missing"], 4);
    assert_eq!(gaps.json()["totals"]["missing_with_data"], 0);

    // update-storage over the whole database: nothing differs.
    let storage = run_at(
        &lab.endpoint,
        UPDATE_STORAGE,
        &["shop", "--all-tables", "--dry-run"],
    );
    assert_eq!(storage.code, 0, "{storage:?}");
    assert!(
        storage
            .stdout
            .contains("update-storage shop: totals (dry run)"),
        "{}",
        storage.stdout
    );
}

#[test]
fn bad_selections_are_refused_and_a_missing_table_fails_alone() {
    let lab = Lab::start(0.0, 0.0);
    seed_tables(&lab, "sel", &[("events", 1)]);

    let no_match = run_at(
        &lab.endpoint,
        LIST_MISSING,
        &["sel", "--tables", "nothing_*"],
    );
    assert_eq!(no_match.code, 2, "{no_match:?}");
    assert!(
        no_match
            .stderr
            .contains("--tables 'nothing_*' matches no table in database sel"),
        "{}",
        no_match.stderr
    );

    let no_db = run_at(&lab.endpoint, LIST_MISSING, &["nosuchdb", "--all-tables"]);
    assert_eq!(no_db.code, 2, "{no_db:?}");
    assert!(no_db.stderr.contains("nosuchdb"), "{}", no_db.stderr);
    let no_db_named = run_at(&lab.endpoint, LIST_MISSING, &["nosuchdb", "a", "b"]);
    assert_eq!(no_db_named.code, 2, "{no_db_named:?}");

    let both = run_at(
        &lab.endpoint,
        LIST_MISSING,
        &["sel", "events", "--all-tables"],
    );
    assert_eq!(both.code, 2, "{both:?}");
    let none = run_at(&lab.endpoint, LIST_MISSING, &["sel"]);
    assert_eq!(none.code, 2, "{none:?}");

    // A named table that does not exist fails on its own; the other runs.
    let r = run_at(&lab.endpoint, PARTITIONER, &["sel", "events", "ghost"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stdout.contains("partitioner sel.ghost: failed"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("created:         24"), "{}", r.stdout);
    assert_eq!(catalog_len(&lab, "sel", "events"), 24);

    // An existing --backup file is refused before anything runs.
    let existing = backup_path("many-existing");
    std::fs::create_dir_all(std::path::Path::new(&existing).parent().unwrap()).unwrap();
    std::fs::write(&existing, "keep me").unwrap();
    let refused = run_at(
        &lab.endpoint,
        DELETE_MISSING,
        &["sel", "events", "ghost", "--backup", &existing],
    );
    assert_eq!(refused.code, 2, "{refused:?}");
    assert_eq!(std::fs::read_to_string(&existing).unwrap(), "keep me");
}

#[test]
fn tables_run_at_once_under_one_request_budget() {
    let lab = Lab::start(20.0, 0.0);
    // Six tables whose 48 partitions each point outside the table's
    // location (a bucket move half done): list-missing probes each one with
    // its own small listing, as many at once as --concurrency allows.
    let mut ops = Vec::new();
    for t in 0..6 {
        let name = format!("t{t}");
        let location = format!("s3://many/{name}/");
        ops.push(json!({"op": "table", "database": "budget", "table_input": hourly_table_input(&name, &location)}));
        let inputs: Vec<Value> = (0..48)
            .map(|h| {
                let (day, hour) = (1 + h / 24, h % 24);
                let values = [
                    "2019".to_string(),
                    "01".into(),
                    format!("{day:02}"),
                    format!("{hour:02}"),
                ];
                let at = format!("s3://many/moved/{name}/{}/", values.join("/"));
                json!({"Values": values, "StorageDescriptor": {"Location": at}})
            })
            .collect();
        ops.push(json!({"op": "partitions", "database": "budget", "table": name, "partition_inputs": inputs}));
    }
    ops.push(
        json!({"op": "objects", "bucket": "many", "keys": ["moved/t0/2019/01/01/00/data.json"]}),
    );
    lab.call("/_lab/seed", Some(&Value::Array(ops)));

    let in_flight = |concurrency: &str| {
        lab.call("/_lab/reset", Some(&json!({})));
        let r = run_at(
            &lab.endpoint,
            LIST_MISSING,
            &["budget", "--all-tables", "-q", "--concurrency", concurrency],
        );
        assert_eq!(r.code, 0, "{r:?}");
        let title = "list-missing budget: totals";
        assert_eq!(
            total(&r.stdout, title, "examined"),
            Some(288),
            "{}",
            r.stdout
        );
        assert_eq!(
            total(&r.stdout, title, "missing"),
            Some(287),
            "{}",
            r.stdout
        );
        lab.call("/_lab/stats", None)["max_in_flight"]
            .as_u64()
            .unwrap()
    };
    // --concurrency 8 runs two tables at once, each allowed 8 probes: the
    // shared budget keeps the sum at 8.
    let capped = in_flight("8");
    eprintln!("max in flight: {capped} at --concurrency 8");
    assert!(
        (2..=8).contains(&capped),
        "--concurrency 8 is the total, saw {capped} at once"
    );
    let open = in_flight("64");
    eprintln!("max in flight: {open} at --concurrency 64");
    assert!(
        open > 8,
        "six tables with --concurrency 64 kept only {open} in flight"
    );
}

#[test]
fn a_bucket_move_is_repaired_across_a_database_and_undone_with_one_restore() {
    let lab = Lab::start(0.0, 0.0);
    // Both tables' data moved from old/<t>/ to new/<t>/ and the table
    // locations follow; the catalog's partitions still point at old/.
    let mut ops = Vec::new();
    for name in ["clicks", "views"] {
        let new = format!("new/{name}/");
        ops.push(json!({"op": "objects", "bucket": "many", "keys": hourly_keys(&new, 1, true)}));
        let location = format!("s3://many/{new}");
        ops.push(json!({"op": "table", "database": "moved", "table_input": hourly_table_input(name, &location)}));
        let inputs: Vec<Value> = (0..24)
            .map(|h| {
                let values = ["2019", "01", "01"].map(String::from).to_vec();
                let values = [values, vec![format!("{h:02}")]].concat();
                let old = format!(
                    "s3://many/old/{name}/year=2019/month=01/day=01/hour={h:02}/"
                );
                json!({"Values": values, "StorageDescriptor": {"Location": old}, "Parameters": {"owner": "etl"}})
            })
            .collect();
        ops.push(json!({"op": "partitions", "database": "moved", "table": name, "partition_inputs": inputs}));
    }
    lab.call("/_lab/seed", Some(&Value::Array(ops)));
    let locations = |table: &str| -> Vec<String> {
        lab.call(
            &format!("/_lab/partitions?database=moved&table={table}"),
            None,
        )["partitions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["location"].as_str().unwrap().to_string())
            .collect()
    };

    let r = run_at(
        &lab.endpoint,
        UPDATE_PARTITIONS,
        &["moved", "--all-tables", "--output", "json"],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let doc = r.json();
    assert_eq!(doc["totals"]["to_update"], 48, "{doc}");
    assert_eq!(doc["totals"]["updated"], 48, "{doc}");
    for table in ["clicks", "views"] {
        assert!(
            locations(table)
                .iter()
                .all(|l| l.starts_with(&format!("s3://many/new/{table}/"))),
            "{table}: {:?}",
            locations(table)
        );
    }
    let backup = doc["backup"].as_str().unwrap().to_string();
    let lines = backup_lines(&backup);
    assert_eq!(lines.len(), 1 + 48);
    assert!(lines[1..].iter().all(|l| l["op"] == "update_partition"));

    let restore = run_at(&lab.endpoint, RESTORE, &[&backup]);
    assert_eq!(restore.code, 0, "{restore:?}");
    for table in ["clicks", "views"] {
        assert!(
            locations(table)
                .iter()
                .all(|l| l.starts_with(&format!("s3://many/old/{table}/"))),
            "{table} restored: {:?}",
            locations(table)
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_pipe_ends_a_run_over_tables_quietly_and_a_rerun_completes_it() {
    use crate::harness::{run, run_into_closed_pipe, Moto};

    let moto = Moto::connect().await;
    let bucket = moto.bucket("pipe").await;
    let db = moto.database("pipe").await;
    let keys = [
        ("year", "string"),
        ("month", "string"),
        ("day", "string"),
        ("hour", "string"),
    ];
    let mut tables = Vec::new();
    for name in ["a", "b", "c", "d"] {
        let prefix = format!("{name}/");
        moto.put(&bucket, hourly_keys(&prefix, 1, true)).await;
        let location = format!("s3://{bucket}/{prefix}");
        tables.push(moto.table(&db, name, &location, &keys).await);
    }
    let (code, stderr) = run_into_closed_pipe(PARTITIONER, &[&db, "--all-tables", "-v"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let rerun = run(PARTITIONER, &[&db, "--all-tables", "-q"]);
    assert_eq!(rerun.code, 0, "{rerun:?}");
    for table in &tables {
        assert_eq!(moto.partitions(&db, table).await.len(), 24, "{table}");
    }
}

//! Tables that are not Hive-style (views, Iceberg, Delta Lake, Hudi,
//! governed), tables with partition projection, and the `projection`
//! command, end to end against moto.

use std::collections::BTreeMap;

use aws_sdk_glue::types::{Column, SerDeInfo, StorageDescriptor, TableInput};

use crate::harness::{backup_path, run, strings, unique, Moto};

const PARTITIONER: &str = env!("CARGO_BIN_EXE_partitioner");
const LIST_MISSING: &str = env!("CARGO_BIN_EXE_list-missing");
const DELETE_ALL: &str = env!("CARGO_BIN_EXE_delete-all");
const UPDATE_STORAGE: &str = env!("CARGO_BIN_EXE_update-storage");
const GAPS: &str = env!("CARGO_BIN_EXE_gaps");
const CREATE_TABLE: &str = env!("CARGO_BIN_EXE_create-table");
const PROJECTION: &str = env!("CARGO_BIN_EXE_projection");
const RESTORE: &str = env!("CARGO_BIN_EXE_restore");

/// A table of a given kind: its `TableType`, parameters and input format.
struct Kind<'a> {
    table_type: &'a str,
    parameters: &'a [(&'a str, &'a str)],
    input_format: &'a str,
    keys: &'a [&'a str],
}

const PARQUET_IN: &str = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat";

async fn table_of_kind(
    moto: &Moto,
    db: &str,
    name: &str,
    location: &str,
    kind: Kind<'_>,
) -> String {
    let table = unique(name).replace('-', "_");
    let storage = StorageDescriptor::builder()
        .location(location)
        .columns(Column::builder().name("x").r#type("int").build().unwrap())
        .input_format(kind.input_format)
        .serde_info(
            SerDeInfo::builder()
                .serialization_library(
                    "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
                )
                .build(),
        )
        .build();
    let mut input = TableInput::builder()
        .name(&table)
        .table_type(kind.table_type)
        .storage_descriptor(storage);
    for (k, v) in kind.parameters {
        input = input.parameters(*k, *v);
    }
    for k in kind.keys {
        input = input.partition_keys(Column::builder().name(*k).r#type("string").build().unwrap());
    }
    moto.glue
        .create_table()
        .database_name(db)
        .table_input(input.build().unwrap())
        .send()
        .await
        .unwrap();
    table
}

fn iceberg() -> Kind<'static> {
    Kind {
        table_type: "EXTERNAL_TABLE",
        parameters: &[
            ("table_type", "ICEBERG"),
            ("metadata_location", "s3://x/metadata/0.json"),
        ],
        input_format: "org.apache.hadoop.mapred.FileInputFormat",
        keys: &[],
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn other_formats_are_refused_by_every_partition_command_with_a_sentence() {
    let moto = Moto::connect().await;
    let bucket = moto.bucket("kinds").await;
    let db = moto.database("kinds").await;
    moto.put(&bucket, strings(&["t/dt=1/a.parquet"])).await;
    let location = format!("s3://{bucket}/t");
    let kinds = [
        (iceberg(), "Apache Iceberg"),
        (
            Kind {
                table_type: "EXTERNAL_TABLE",
                parameters: &[("spark.sql.sources.provider", "DELTA")],
                input_format: "org.apache.hadoop.mapred.SequenceFileInputFormat",
                keys: &["dt"],
            },
            "Delta Lake",
        ),
        (
            Kind {
                table_type: "EXTERNAL_TABLE",
                parameters: &[],
                input_format: "org.apache.hudi.hadoop.HoodieParquetInputFormat",
                keys: &["dt"],
            },
            "Apache Hudi",
        ),
        (
            Kind {
                table_type: "GOVERNED",
                parameters: &[],
                input_format: PARQUET_IN,
                keys: &["dt"],
            },
            "governed",
        ),
    ];
    for (kind, word) in kinds {
        let table = table_of_kind(&moto, &db, "other", &location, kind).await;
        let t = [db.as_str(), table.as_str()];
        let calls: Vec<(&str, Vec<&str>)> = vec![
            (PARTITIONER, vec![]),
            (LIST_MISSING, vec![]),
            (DELETE_ALL, vec!["--yes"]),
            (UPDATE_STORAGE, vec![]),
            (GAPS, vec![]),
            (PROJECTION, vec![]),
        ];
        for (binary, extra) in calls {
            let args: Vec<&str> = t.iter().copied().chain(extra).collect();
            let r = run(binary, &args);
            assert_eq!(r.code, 2, "{binary} on {word}: {r:?}");
            let line = r
                .stderr
                .lines()
                .find(|l| l.starts_with("error:"))
                .unwrap_or_default();
            assert!(
                line.contains(&format!("{db}.{table} is "))
                    && line.contains(word)
                    && line.contains("glutil does not manage"),
                "{binary} on {word}: {}",
                r.stderr
            );
        }
        let r = run(
            CREATE_TABLE,
            &[&db, &table, &format!("{location}/"), "--update"],
        );
        assert_eq!(r.code, 2, "{r:?}");
        assert!(r.stderr.contains(word), "{}", r.stderr);
        assert!(
            moto.partitions(&db, &table).await.is_empty(),
            "nothing written on {word}"
        );
    }
    // Iceberg's sentence names its own maintenance.
    let table = table_of_kind(&moto, &db, "ice", &location, iceberg()).await;
    let r = run(PARTITIONER, &[&db, &table]);
    assert!(r.stderr.contains("OPTIMIZE and VACUUM"), "{}", r.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_projected_table_warns_that_athena_ignores_its_partitions() {
    let moto = Moto::connect().await;
    let bucket = moto.bucket("projwarn").await;
    let db = moto.database("projwarn").await;
    moto.put(&bucket, strings(&["t/dt=1/a.parquet"])).await;
    let kind = Kind {
        table_type: "EXTERNAL_TABLE",
        parameters: &[
            ("Projection.Enabled", "TRUE"),
            ("projection.dt.type", "injected"),
        ],
        input_format: PARQUET_IN,
        keys: &["dt"],
    };
    let table = table_of_kind(&moto, &db, "proj", &format!("s3://{bucket}/t"), kind).await;
    let r = run(PARTITIONER, &[&db, &table, "--dry-run"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr.contains("warning: ")
            && r.stderr.contains("Athena ignores its catalog partitions"),
        "{}",
        r.stderr
    );
    let r = run(PARTITIONER, &[&db, &table, "--output", "json"]);
    assert_eq!(r.code, 0, "{r:?}");
    let doc = r.json();
    let warnings = doc["warnings"].as_array().expect("warnings");
    assert!(
        warnings[0]
            .as_str()
            .unwrap()
            .contains("projection.enabled = true"),
        "{doc}"
    );
    // It still did its job for the engines that read catalog partitions.
    assert_eq!(doc["created"], 1, "{doc}");
    assert_eq!(moto.partitions(&db, &table).await.len(), 1);
    // The scheduled Lambda says it too, in its summary.
    let sdk = crate::lambda::sdk().await;
    let summary = partitioner_lambda::handle(
        &serde_json::json!({"database": db, "table": table}),
        &sdk,
        4,
    )
    .await
    .unwrap();
    assert!(
        summary.tables[0].warnings[0].contains("Athena ignores its catalog partitions"),
        "{summary:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn all_tables_skips_views_other_formats_and_keyless_tables_without_failing() {
    let moto = Moto::connect().await;
    let bucket = moto.bucket("mixdb").await;
    let db = moto.database("mixdb").await;
    moto.put(&bucket, strings(&["a/dt=1/x.parquet", "b/dt=2/x.parquet"]))
        .await;
    let a = moto
        .table(
            &db,
            "hive_a",
            &format!("s3://{bucket}/a"),
            &[("dt", "string")],
        )
        .await;
    let b = moto
        .table(
            &db,
            "hive_b",
            &format!("s3://{bucket}/b"),
            &[("dt", "string")],
        )
        .await;
    let lookup = moto
        .table(&db, "lookup", &format!("s3://{bucket}/lookup"), &[])
        .await;
    let ice = table_of_kind(&moto, &db, "ice", &format!("s3://{bucket}/ice"), iceberg()).await;
    let view = table_of_kind(
        &moto,
        &db,
        "view",
        &format!("s3://{bucket}/v"),
        Kind {
            table_type: "VIRTUAL_VIEW",
            parameters: &[("presto_view", "true")],
            input_format: PARQUET_IN,
            keys: &[],
        },
    )
    .await;
    let r = run(PARTITIONER, &[&db, "--all-tables", "--output", "json"]);
    assert_eq!(r.code, 0, "{r:?}");
    let doc = r.json();
    assert_eq!(doc["totals"]["tables"], 2, "{doc}");
    assert_eq!(doc["totals"]["created"], 2, "{doc}");
    assert_eq!(doc["totals"]["skipped"], 3, "{doc}");
    let skipped: BTreeMap<String, String> = doc["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["table"].as_str().unwrap().to_string(),
                s["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        skipped[&format!("{db}.{view}")].contains("view"),
        "{skipped:?}"
    );
    assert!(
        skipped[&format!("{db}.{ice}")].contains("Iceberg"),
        "{skipped:?}"
    );
    assert!(
        skipped[&format!("{db}.{lookup}")].contains("no partition keys"),
        "{skipped:?}"
    );
    assert_eq!(
        doc["skipped_views"],
        serde_json::json!([format!("{db}.{view}")])
    );
    for t in [&a, &b] {
        assert_eq!(moto.partitions(&db, t).await.len(), 1, "{t}");
    }
    let text = run(PARTITIONER, &[&db, "--all-tables", "--dry-run"]);
    assert_eq!(text.code, 0, "{text:?}");
    assert!(
        text.stdout
            .contains(&format!("skipped {db}.{ice}: an Iceberg table")),
        "{}",
        text.stdout
    );
    // Named explicitly, a keyless table still fails as in a single run.
    let r = run(PARTITIONER, &[&db, &a, &lookup]);
    assert_eq!(r.code, 1, "{r:?}");
}

/// Hourly folders for two days, flat (`2024/01/31/05/`) or Hive style.
fn hourly_keys(prefix: &str, hive: bool) -> Vec<String> {
    let mut keys = Vec::new();
    for day in ["30", "31"] {
        for hour in 0..24 {
            let h = format!("{hour:02}");
            keys.push(if hive {
                format!("{prefix}year=2024/month=01/day={day}/hour={h}/part-0.parquet")
            } else {
                format!("{prefix}2024/01/{day}/{h}/part-0.parquet")
            });
        }
    }
    keys
}

const HOURLY: [(&str, &str); 4] = [
    ("year", "string"),
    ("month", "string"),
    ("day", "string"),
    ("hour", "string"),
];

fn parameters(t: &aws_sdk_glue::types::Table) -> BTreeMap<String, String> {
    t.parameters()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn projection_on_flat_folders_writes_a_template_every_folder_fits_and_restores() {
    let moto = Moto::connect().await;
    let (bucket, db, table) = moto.bucket_and_table("projflat", "ev", &HOURLY).await;
    moto.put(&bucket, hourly_keys("ev/", false)).await;
    let before = moto.get_table(&db, &table).await.unwrap();

    let dry = run(PROJECTION, &[&db, &table, "--dry-run", "--until", "now"]);
    assert_eq!(dry.code, 0, "{dry:?}");
    assert!(
        dry.stdout.contains("would set projection.enabled = true"),
        "{}",
        dry.stdout
    );
    assert!(dry.stdout.contains(&format!("would set storage.location.template = s3://{bucket}/ev/${{year}}/${{month}}/${{day}}/${{hour}}/")), "{}", dry.stdout);
    assert_eq!(
        parameters(&moto.get_table(&db, &table).await.unwrap()),
        parameters(&before),
        "a dry run writes nothing"
    );

    let backup = backup_path("projflat");
    let r = run(
        PROJECTION,
        &[&db, &table, "--backup", &backup, "--output", "json"],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let doc = r.json();
    assert_eq!(doc["command"], "projection");
    assert_eq!(doc["updated"], 1, "{doc}");
    assert_eq!(
        doc["projection"]["mismatched"].as_array().unwrap().len(),
        0,
        "{doc}"
    );
    let p = parameters(&moto.get_table(&db, &table).await.unwrap());
    let expected: BTreeMap<String, String> = [
        ("projection.enabled", "true"),
        ("projection.year.type", "integer"),
        ("projection.year.range", "2024,2024"),
        ("projection.month.type", "integer"),
        ("projection.month.range", "1,12"),
        ("projection.month.digits", "2"),
        ("projection.day.type", "integer"),
        ("projection.day.range", "1,31"),
        ("projection.day.digits", "2"),
        ("projection.hour.type", "integer"),
        ("projection.hour.range", "0,23"),
        ("projection.hour.digits", "2"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .chain([(
        "storage.location.template".to_string(),
        format!("s3://{bucket}/ev/${{year}}/${{month}}/${{day}}/${{hour}}/"),
    )])
    .collect();
    let ours: BTreeMap<String, String> = p
        .iter()
        .filter(|(k, _)| k.starts_with("projection.") || k.as_str() == "storage.location.template")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    assert_eq!(ours, expected);
    // Every folder found expands from the template.
    let template = &p["storage.location.template"];
    for key in hourly_keys("ev/", false) {
        let folder = key.trim_end_matches("part-0.parquet");
        let parts: Vec<&str> = folder.trim_end_matches('/').split('/').skip(1).collect();
        let expanded = template
            .replace("${year}", parts[0])
            .replace("${month}", parts[1])
            .replace("${day}", parts[2])
            .replace("${hour}", parts[3]);
        assert_eq!(expanded, format!("s3://{bucket}/{folder}"));
    }
    // The catalog's partitions are left alone (there were none).
    assert!(moto.partitions(&db, &table).await.is_empty());

    let r = run(RESTORE, &[&backup]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        parameters(&moto.get_table(&db, &table).await.unwrap()),
        parameters(&before)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn projection_refuses_to_hide_partitions_outside_the_template_unless_forced() {
    let moto = Moto::connect().await;
    let (bucket, db, table) = moto.bucket_and_table("projhive", "ev", &HOURLY).await;
    moto.put(&bucket, hourly_keys("ev/", true)).await;
    let archive = moto.bucket("projarch").await;
    moto.put(&archive, strings(&["old/2023/12/31/23/part-0.parquet"]))
        .await;
    moto.add_partitions(
        &db,
        &table,
        &[(
            strings(&["2023", "12", "31", "23"]),
            format!("s3://{archive}/old/2023/12/31/23/"),
        )],
    )
    .await;
    let r = run(PROJECTION, &[&db, &table]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stdout
            .contains(&format!("s3://{archive}/old/2023/12/31/23/")),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(&format!(
            "Athena would read s3://{bucket}/ev/year=2023/month=12/day=31/hour=23/"
        )),
        "{}",
        r.stdout
    );
    assert!(r.stderr.contains("pass --force"), "{}", r.stderr);
    let p = parameters(&moto.get_table(&db, &table).await.unwrap());
    assert!(
        !p.contains_key("projection.enabled"),
        "refused: nothing written"
    );

    let r = run(PROJECTION, &[&db, &table, "--force", "--output", "json"]);
    assert_eq!(r.code, 0, "{r:?}");
    let p = parameters(&moto.get_table(&db, &table).await.unwrap());
    assert_eq!(p["projection.enabled"], "true");
    assert!(
        !p.contains_key("storage.location.template"),
        "Hive folders need none: {p:?}"
    );
    assert_eq!(p["projection.year.range"], "2023,2024");
    assert_eq!(
        moto.partitions(&db, &table).await.len(),
        1,
        "catalog partitions stay"
    );

    let r = run(PROJECTION, &[&db, &table, "--disable"]);
    assert_eq!(r.code, 0, "{r:?}");
    let p = parameters(&moto.get_table(&db, &table).await.unwrap());
    assert_eq!(p["projection.enabled"], "false");
    assert_eq!(
        p["projection.year.type"], "integer",
        "the rest stays for a switch back"
    );
    let r = run(PARTITIONER, &[&db, &table, "--dry-run"]);
    assert!(!r.stderr.contains("Athena ignores"), "{}", r.stderr);
}

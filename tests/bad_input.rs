//! Bad input for every binary: each case exits with 2, names what was
//! wrong, never panics, and leaves the catalog as it was. And no output
//! ever shows credentials.

use crate::harness::{backup_path, endpoint, run, run_env, state_home, strings, unique, Moto};

const TABLE_BINARIES: [&str; 7] = [
    env!("CARGO_BIN_EXE_partitioner"),
    env!("CARGO_BIN_EXE_list-missing"),
    env!("CARGO_BIN_EXE_delete-missing"),
    env!("CARGO_BIN_EXE_delete-bad"),
    env!("CARGO_BIN_EXE_delete-all"),
    env!("CARGO_BIN_EXE_update-partitions"),
    env!("CARGO_BIN_EXE_update-storage"),
];
const DELETE_ALL: &str = env!("CARGO_BIN_EXE_delete-all");
const DELETE_BAD_TABLES: &str = env!("CARGO_BIN_EXE_delete-bad-tables");
const PARTITIONER: &str = env!("CARGO_BIN_EXE_partitioner");
const RESTORE: &str = env!("CARGO_BIN_EXE_restore");

/// Options every binary shares, each wrong in its own way, with the words
/// the error must contain.
fn bad_options() -> Vec<(Vec<&'static str>, &'static str)> {
    vec![
        (vec!["--concurrency", "0"], "--concurrency"),
        (vec!["--concurrency", "abc"], "--concurrency"),
        (vec!["--concurrency", "5000"], "--concurrency"),
        (vec!["--concurrency"], "--concurrency"),
        (vec!["--max-attempts", "0"], "--max-attempts"),
        (vec!["--max-attempts", "101"], "--max-attempts"),
        (vec!["--max-attempts", "-1"], "--max-attempts"),
        (vec!["--output", "xml"], "--output"),
        (vec!["--output"], "--output"),
        (vec!["--no-such-flag"], "--no-such-flag"),
        (vec!["--endpoint-url", "localhost:1"], "--endpoint-url"),
        (
            vec!["--profile", "glutil-no-such-profile"],
            "glutil-no-such-profile",
        ),
        (vec!["--region", "not a region"], "--region"),
        (vec!["--region", ""], "--region"),
        (vec!["-v", "-q"], "--quiet"),
    ]
}

fn assert_bad(binary: &str, args: &[&str], needle: &str) {
    let r = run(binary, args);
    let name = binary.rsplit('/').next().unwrap();
    assert_eq!(r.code, 2, "{name} {args:?}: {r:?}");
    assert!(
        r.stderr.contains(needle),
        "{name} {args:?}: stderr lacks {needle:?}:\n{}",
        r.stderr
    );
    assert!(
        !r.stderr.contains("panicked"),
        "{name} {args:?}: {}",
        r.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_binary_rejects_bad_input_with_2_and_changes_nothing() {
    let moto = Moto::connect().await;
    let bucket = moto.bucket("bad").await;
    moto.put(&bucket, strings(&["t/dt=1/a", "t/dt=2/a"])).await;
    let db = moto.database("bad").await;
    let keys = [("dt", "string")];
    let good = moto
        .table(&db, "good", &format!("s3://{bucket}/t"), &keys)
        .await;
    moto.add_partitions(
        &db,
        &good,
        &[(strings(&["1"]), format!("s3://{bucket}/t/dt=1/"))],
    )
    .await;
    let flat = moto
        .table(&db, "flat", &format!("s3://{bucket}/t"), &[])
        .await;
    let hdfs = moto
        .table(&db, "hdfs", "hdfs://namenode/warehouse/t", &keys)
        .await;
    let no_bucket = moto
        .table(&db, "nobucket", "s3://glutil-no-such-bucket-here/t", &keys)
        .await;
    let tables_before = moto.table_names(&db).await.len();

    let existing_backup = backup_path("existing");
    std::fs::create_dir_all(std::path::Path::new(&existing_backup).parent().unwrap()).unwrap();
    std::fs::write(&existing_backup, "an earlier backup\n").unwrap();

    for binary in TABLE_BINARIES {
        // delete-all refuses without --yes off a terminal: give it, so the
        // case under test is what stops it.
        let extra: &[&str] = if binary == DELETE_ALL {
            &["--yes"]
        } else {
            &[]
        };
        let with = |args: &[&str]| -> Vec<String> {
            args.iter().chain(extra).map(|s| s.to_string()).collect()
        };
        let mut cases: Vec<(Vec<String>, String)> = vec![
            (with(&["no_such_db", &good]), "database `no_such_db`".into()),
            (
                with(&[&db, "no_such_table"]),
                "table `no_such_table`".into(),
            ),
            (with(&["", &good]), "DATABASE".into()),
            (with(&[&db, ""]), "TABLE".into()),
            (with(&[&db]), "TABLE".into()),
            (with(&[&db, &hdfs]), "not an S3 location".into()),
        ];
        if binary == DELETE_ALL {
            // The others take several tables (see tests/many.rs); delete-all
            // stays one table per run.
            cases.push((with(&[&db, &good, "extra"]), "unexpected argument".into()));
        } else {
            cases.push((
                with(&[&db, &good, "--all-tables"]),
                "cannot be used with".into(),
            ));
            cases.push((
                with(&[&db, "--tables", "no_such_*"]),
                "matches no table".into(),
            ));
        }
        // Every command is about partitions: a table without keys is named
        // the same way by all of them.
        cases.push((with(&[&db, &flat]), "no partition keys".into()));
        // Commands that read S3 also need a bucket.
        if ![DELETE_ALL, env!("CARGO_BIN_EXE_update-storage")].contains(&binary) {
            cases.push((
                with(&[&db, &no_bucket]),
                "bucket `glutil-no-such-bucket-here`".into(),
            ));
        }
        for (option, needle) in bad_options() {
            let mut args = with(&[&db, &good]);
            args.extend(option.iter().map(|s| s.to_string()));
            cases.push((args, needle.into()));
        }
        // Commands with something to change here refuse to overwrite an
        // earlier backup.
        if [
            PARTITIONER,
            DELETE_ALL,
            env!("CARGO_BIN_EXE_update-storage"),
        ]
        .contains(&binary)
        {
            cases.push((
                with(&[&db, &good, "--backup", &existing_backup]),
                "already exists".into(),
            ));
        }
        if binary == PARTITIONER {
            cases.push((
                with(&[&db, &good, "--limit-days", "-1"]),
                "--limit-days".into(),
            ));
            cases.push((
                with(&[&db, &good, "--limit-days", "3"]),
                "year, month, day".into(),
            ));
            cases.push((
                with(&[&db, &good, "--prefix", "a", "--prefix", "b"]),
                "--prefix".into(),
            ));
        }
        assert!(cases.len() >= 20, "{binary}: only {} cases", cases.len());
        for (args, needle) in &cases {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            assert_bad(binary, &args, needle);
        }
    }

    let mut cases: Vec<(Vec<String>, &str)> = vec![
        (vec!["no_such_db".into()], "database `no_such_db`"),
        (vec!["".into()], "DATABASE"),
        (vec![], "DATABASE"),
        (vec![db.clone(), "extra".into()], "unexpected argument"),
        (
            vec![db.clone(), "--dry-run".into(), "--yes".into()],
            "--yes",
        ),
    ];
    for (option, needle) in bad_options() {
        let mut args = vec![db.clone()];
        args.extend(option.iter().map(|s| s.to_string()));
        cases.push((args, needle));
    }
    assert!(cases.len() >= 20);
    for (args, needle) in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_bad(DELETE_BAD_TABLES, &args, needle);
    }

    // restore: malformed and missing backup files, and the shared options.
    let header = r#"{"glutil_backup":1,"command":"delete-all","created":"2026-01-01T00:00:00Z"}"#;
    let entry = |db: &str| {
        format!(
            r#"{{"op":"delete_partition","database":"{db}","table":"{good}","partition":{{"values":["9"],"storage_descriptor":{{"location":"s3://{bucket}/t/dt=9/"}}}}}}"#
        )
    };
    let files = [
        ("", "is empty"),
        ("\n\n", "is empty"),
        ("not json\n", "line 1"),
        ("[1, 2]\n", "line 1"),
        (
            r#"{"glutil_backup":7,"command":"x","created":""}"#,
            "version 7",
        ),
        (
            &format!("{header}\n{{\"op\":\"delete_partition\"}}\n"),
            "line 2",
        ),
        (
            &format!("{header}\n{{\"op\":\"format_disk\"}}\n"),
            "format_disk",
        ),
        (
            &format!(
                "{header}\n{}\n",
                entry(&db).replace(r#""values":["9"],"#, "")
            ),
            "missing field `values`",
        ),
        (
            &format!(
                "{header}\n{}\n",
                entry(&db).replace(
                    "\"storage_descriptor\"",
                    "\"creation_time\":\"soon\",\"storage_descriptor\""
                )
            ),
            "`soon` is not a timestamp",
        ),
        (&format!("{header}\n{}\n", &entry(&db)[..40]), "line 2"),
        (
            &format!("{header}\n{}\n", entry("no_such_db")),
            "database `no_such_db`",
        ),
    ];
    let folder = state_home().join(unique("malformed"));
    std::fs::create_dir_all(&folder).unwrap();
    let mut cases: Vec<(Vec<String>, String)> = Vec::new();
    for (i, (text, needle)) in files.iter().enumerate() {
        let path = folder.join(format!("{i}.jsonl"));
        std::fs::write(&path, text).unwrap();
        cases.push((vec![path.display().to_string()], needle.to_string()));
    }
    let absent = folder.join("absent.jsonl").display().to_string();
    cases.push((vec![absent.clone()], "absent.jsonl".into()));
    cases.push((vec![folder.display().to_string()], "cannot be read".into()));
    cases.push((vec![], "BACKUP_FILE".into()));
    let valid = folder.join("valid.jsonl");
    std::fs::write(&valid, format!("{header}\n{}\n", entry(&db))).unwrap();
    let valid = valid.display().to_string();
    cases.push((
        vec![valid.clone(), "--backup".into(), existing_backup.clone()],
        "already exists".into(),
    ));
    for (option, needle) in bad_options() {
        let mut args = vec![valid.clone()];
        args.extend(option.iter().map(|s| s.to_string()));
        cases.push((args, needle.into()));
    }
    assert!(cases.len() >= 20);
    for (args, needle) in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_bad(RESTORE, &args, needle);
    }

    // Nothing changed.
    assert_eq!(
        moto.partitions(&db, &good).await,
        vec![(strings(&["1"]), format!("s3://{bucket}/t/dt=1/"))]
    );
    for t in [&flat, &hdfs, &no_bucket] {
        assert!(moto.partitions(&db, t).await.is_empty());
    }
    let tables_after = moto.table_names(&db).await.len();
    assert_eq!(tables_before, tables_after);
}

#[tokio::test(flavor = "multi_thread")]
async fn credentials_never_reach_the_output_even_with_verbose() {
    let moto = Moto::connect().await;
    let bucket = moto.bucket("secret").await;
    moto.put(&bucket, strings(&["t/dt=1/a"])).await;
    let db = moto.database("secret").await;
    let table = moto
        .table(&db, "t", &format!("s3://{bucket}/t"), &[("dt", "string")])
        .await;
    let secret = "glutilTestSecretKey0123456789DoNotPrint";
    let token = "glutilTestSessionTokenDoNotPrint";
    let env = [
        ("AWS_SECRET_ACCESS_KEY", secret),
        ("AWS_SESSION_TOKEN", token),
    ];
    let runs = [
        run_env(endpoint(), PARTITIONER, &[&db, &table, "-v", "-v"], &env),
        run_env(
            endpoint(),
            PARTITIONER,
            &[&db, &table, "-v", "--output", "json"],
            &env,
        ),
        run_env(endpoint(), PARTITIONER, &[&db, "no_such_table", "-v"], &env),
        run_env(
            "http://127.0.0.1:9",
            PARTITIONER,
            &[&db, &table, "-v", "--max-attempts", "1"],
            &env,
        ),
    ];
    for r in &runs {
        for text in [&r.stdout, &r.stderr] {
            for needle in [secret, token, "Signature=", "X-Amz-Credential", "AKIA"] {
                assert!(!text.contains(needle), "{needle} printed:\n{text}");
            }
        }
    }
    assert_eq!(runs[0].code, 0, "{:?}", runs[0]);
    assert_eq!(
        runs[3].code, 1,
        "an unreachable endpoint is an AWS failure: {:?}",
        runs[3]
    );
}

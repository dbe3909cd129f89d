//! `glutil COMMAND` is the single binary `COMMAND`: same output, same exit
//! code, same help. And completions print for each shell.

use crate::harness::{backup_path, run, strings, Moto};

const GLUTIL: &str = env!("CARGO_BIN_EXE_glutil");

/// Every single binary by its command name.
const BINARIES: [(&str, &str); 13] = [
    ("partitioner", env!("CARGO_BIN_EXE_partitioner")),
    ("list-missing", env!("CARGO_BIN_EXE_list-missing")),
    ("delete-missing", env!("CARGO_BIN_EXE_delete-missing")),
    ("delete-bad", env!("CARGO_BIN_EXE_delete-bad")),
    ("delete-all", env!("CARGO_BIN_EXE_delete-all")),
    ("update-partitions", env!("CARGO_BIN_EXE_update-partitions")),
    ("update-storage", env!("CARGO_BIN_EXE_update-storage")),
    ("delete-bad-tables", env!("CARGO_BIN_EXE_delete-bad-tables")),
    ("restore", env!("CARGO_BIN_EXE_restore")),
    ("create-table", env!("CARGO_BIN_EXE_create-table")),
    ("query", env!("CARGO_BIN_EXE_query")),
    ("gaps", env!("CARGO_BIN_EXE_gaps")),
    ("quilt-tables", env!("CARGO_BIN_EXE_quilt-tables")),
];

fn binary(name: &str) -> &'static str {
    BINARIES.iter().find(|(n, _)| *n == name).unwrap().1
}

/// Runs `name args` and `glutil name args`; asserts the same exit code,
/// stdout and stderr (clap's usage lines name the program, so
/// `glutil name` reads as `name` there).
fn assert_same(name: &str, args: &[&str]) -> i32 {
    let single = run(binary(name), args);
    let mut front_args = vec![name];
    front_args.extend_from_slice(args);
    let front = run(GLUTIL, &front_args);
    let unprefix = |s: &str| s.replace(&format!("glutil {name}"), name);
    assert_eq!(front.code, single.code, "{name} {args:?}");
    assert_eq!(unprefix(&front.stdout), single.stdout, "{name} {args:?}");
    assert_eq!(unprefix(&front.stderr), single.stderr, "{name} {args:?}");
    assert!(!single.stderr.contains("panicked"), "{single:?}");
    single.code
}

#[tokio::test(flavor = "multi_thread")]
async fn glutil_subcommands_behave_exactly_like_the_single_binaries() {
    let moto = Moto::connect().await;
    let (bucket, db, table) = moto
        .bucket_and_table("front", "t", &[("dt", "string")])
        .await;
    moto.put(&bucket, strings(&["t/dt=1/a.json", "t/dt=3/a.json"]))
        .await;
    moto.add_partitions(
        &db,
        &table,
        &[
            (strings(&["1"]), format!("s3://{bucket}/t/dt=1/")),
            (strings(&["2"]), format!("s3://{bucket}/t/dt=2/")),
        ],
    )
    .await;
    // A crawler's copy at the same location, for delete-bad-tables.
    let _junk = moto
        .table(&db, "events_0a1b", &format!("s3://{bucket}/t/dt=1"), &[])
        .await;
    let backup = backup_path("front");
    std::fs::create_dir_all(std::path::Path::new(&backup).parent().unwrap()).unwrap();
    std::fs::write(
        &backup,
        format!(
            "{}\n{}\n",
            r#"{"glutil_backup":1,"command":"delete-all","created":"2026-01-01T00:00:00Z"}"#,
            format_args!(
                r#"{{"op":"delete_partition","database":"{db}","table":"{table}","partition":{{"values":["9"],"storage_descriptor":{{"location":"s3://{bucket}/t/dt=9/"}}}}}}"#
            )
        ),
    )
    .unwrap();

    let t: &[&str] = &[&db, &table];
    let with = |extra: &[&'static str]| -> Vec<String> {
        t.iter().chain(extra).map(|s| s.to_string()).collect()
    };
    let cases: Vec<(&str, Vec<String>, i32)> = vec![
        ("partitioner", with(&["--dry-run"]), 0),
        ("partitioner", with(&["--dry-run", "-q"]), 0),
        ("list-missing", with(&[]), 0),
        ("list-missing", with(&["--fail-if-any"]), 3),
        ("delete-missing", with(&["--dry-run"]), 0),
        ("delete-bad", with(&["--dry-run"]), 0),
        ("delete-all", with(&["--dry-run"]), 0),
        ("delete-all", with(&[]), 2),
        ("update-partitions", with(&["--dry-run"]), 0),
        ("update-storage", with(&["--dry-run"]), 0),
        ("delete-bad-tables", vec![db.clone(), "--dry-run".into()], 0),
        ("restore", vec![backup.clone(), "--dry-run".into()], 0),
        ("partitioner", vec![db.clone(), "no_such_table".into()], 2),
        ("list-missing", with(&["--concurrency", "0"]), 2),
        ("restore", vec![], 2),
        ("gaps", with(&["--every", "hour"]), 2),
        ("gaps", with(&["--every", "day", "--output", "json"]), 2),
        ("query", vec!["--id".into(), "nope".into()], 2),
        (
            "quilt-tables",
            vec!["Bad_Bucket".into(), "--database".into(), db.clone()],
            2,
        ),
    ];
    for (name, args, code) in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_eq!(assert_same(name, &args), *code, "{name} {args:?}");
    }
    for (name, _) in BINARIES {
        assert_same(name, &["--help"]);
    }

    // A write through the front door is the partitioner's write.
    let r = run(
        GLUTIL,
        &[
            "partitioner",
            &db,
            &table,
            "--backup",
            &backup_path("front-write"),
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("created:         1"), "{}", r.stdout);
    assert_eq!(moto.partitions(&db, &table).await.len(), 3);
    let after = run(binary("partitioner"), &[&db, &table, "--dry-run"]);
    assert!(
        after.stdout.contains("to create:       0"),
        "{}",
        after.stdout
    );
}

#[test]
fn glutil_help_lists_every_command_with_one_line() {
    let r = run(GLUTIL, &["--help"]);
    assert_eq!(r.code, 0, "{r:?}");
    for (name, _) in BINARIES.iter().chain(&[("completions", "")]) {
        let line = r
            .stdout
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("{name} not listed:\n{}", r.stdout));
        assert!(
            line.trim().len() > name.len() + 10,
            "no description: {line}"
        );
    }
    let bare = run(GLUTIL, &[]);
    assert_eq!(bare.code, 2, "{bare:?}");
    assert!(bare.stderr.contains("partitioner"), "{}", bare.stderr);
    let unknown = run(GLUTIL, &["crawl"]);
    assert_eq!(unknown.code, 2, "{unknown:?}");
    assert!(unknown.stderr.contains("crawl"), "{}", unknown.stderr);
    let version = run(GLUTIL, &["--version"]);
    assert_eq!(
        version.stdout.trim(),
        format!("glutil {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn completions_print_for_each_shell() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef glutil"),
        ("fish", "complete -c glutil"),
    ] {
        let r = run(GLUTIL, &["completions", shell]);
        assert_eq!(r.code, 0, "{shell}: {r:?}");
        assert!(r.stdout.contains(marker), "{shell}:\n{}", r.stdout);
        for word in [
            "delete-bad-tables",
            "restore",
            "dry-run",
            "backup",
            "query",
            "gaps",
            "value-format",
            "quilt-tables",
            "drop",
            "all-tables",
        ] {
            assert!(r.stdout.contains(word), "{shell} lacks {word}");
        }
    }
    let r = run(GLUTIL, &["completions", "tcsh"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("tcsh"), "{}", r.stderr);
}

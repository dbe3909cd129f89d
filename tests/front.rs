//! `glutil COMMAND` is the single binary `COMMAND`: same output, same exit
//! code, same help. And completions print for each shell.

use crate::harness::{backup_path, run, strings, Moto};

const GLUTIL: &str = env!("CARGO_BIN_EXE_glutil");

/// Every single binary by its command name.
const BINARIES: [(&str, &str); 16] = [
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
    ("projection", env!("CARGO_BIN_EXE_projection")),
    ("drop-table", env!("CARGO_BIN_EXE_drop-table")),
    ("relocate", env!("CARGO_BIN_EXE_relocate")),
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

/// The summary rows of a text report: `  label: value` (two spaces in;
/// deeper lines are details of the row above).
fn summary_rows(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("  ")?;
            if rest.starts_with(' ') {
                return None;
            }
            let (label, value) = rest.split_once(':')?;
            label
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == ' ')
                .then(|| (label.to_string(), value.trim().to_string()))
        })
        .collect()
}

/// The words a count may be called, in every command. A new count must
/// use one of these or be added here on purpose.
const VOCABULARY: [&str; 26] = [
    "found",
    "already present",
    "to create",
    "created",
    "already existed",
    "failed",
    "conflicts",
    "empty folders",
    "examined",
    "to delete",
    "deleted",
    "already gone",
    "to update",
    "updated",
    "unchanged",
    "not found",
    "slots",
    "present",
    "missing",
    "missing with data",
    "missing without data",
    "unreadable values",
    "out of range",
    "entries",
    "not restored",
    "not attempted",
];

/// Rows that are not counts (names, paths, descriptions).
const NOT_COUNTS: [&str; 8] = [
    "backup",
    "table",
    "columns",
    "partition keys",
    "data files",
    "footers read",
    "repair",
    "stopped",
];

/// Every command's text summary uses the JSON names with spaces, from one
/// vocabulary, and says the same numbers as its JSON.
#[tokio::test(flavor = "multi_thread")]
async fn text_and_json_count_the_same_things_with_the_same_words() {
    let moto = Moto::connect().await;
    let (bucket, db, table) = moto
        .bucket_and_table("vocab", "t", &[("dt", "string")])
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
    let t = [db.as_str(), table.as_str()];
    let cases: Vec<(&str, Vec<&str>)> = vec![
        ("partitioner", vec!["--dry-run"]),
        ("list-missing", vec![]),
        ("delete-missing", vec!["--dry-run"]),
        ("delete-bad", vec!["--dry-run"]),
        ("delete-all", vec!["--dry-run"]),
        ("update-partitions", vec!["--dry-run"]),
        ("update-storage", vec!["--dry-run"]),
        ("partitioner", vec![]),
        ("delete-missing", vec![]),
    ];
    let mut seen = std::collections::BTreeSet::new();
    for (name, extra) in cases {
        let args: Vec<&str> = t.iter().copied().chain(extra.iter().copied()).collect();
        let text = run(binary(name), &args);
        let mut json_args = args.clone();
        json_args.extend(["--output", "json"]);
        // The real runs have done their work: their JSON twin is a dry run
        // of the same state, so compare the text run with its own kind.
        if !extra.contains(&"--dry-run") && name != "list-missing" {
            assert_eq!(text.code, 0, "{name}: {text:?}");
            check_rows(name, &text.stdout, &mut seen, None);
            continue;
        }
        let json = run(binary(name), &json_args);
        assert_eq!((text.code, json.code), (0, 0), "{name}: {text:?} {json:?}");
        let doc = json.json();
        assert_eq!(doc["command"], name, "{doc}");
        check_rows(name, &text.stdout, &mut seen, Some(&doc));
    }
    for word in [
        "found",
        "to create",
        "created",
        "to delete",
        "deleted",
        "to update",
    ] {
        assert!(seen.contains(word), "no command said `{word}`: {seen:?}");
    }
}

/// Checks one text report's rows against the vocabulary and, when given,
/// against its JSON document.
fn check_rows(
    name: &str,
    text: &str,
    seen: &mut std::collections::BTreeSet<String>,
    doc: Option<&serde_json::Value>,
) {
    let rows = summary_rows(text);
    assert!(!rows.is_empty(), "{name} printed no summary:\n{text}");
    for (label, value) in rows {
        if NOT_COUNTS.contains(&label.as_str()) {
            continue;
        }
        assert!(
            VOCABULARY.contains(&label.as_str()),
            "{name}: `{label}` is not in the vocabulary:\n{text}"
        );
        seen.insert(label.clone());
        let Some(doc) = doc else { continue };
        let key = label.replace(' ', "_");
        let shown: u64 = value
            .split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{name}: `{label}: {value}` is not a count"));
        let in_json = match &doc[&key] {
            serde_json::Value::Number(n) => n.as_u64(),
            serde_json::Value::Array(a) => Some(a.len() as u64),
            _ => None,
        };
        assert_eq!(
            in_json,
            Some(shown),
            "{name}: text `{label}: {value}` but JSON `{key}` is {}",
            doc[&key]
        );
    }
}

/// A named command copied somewhere without `glutil` says where it looked
/// and how to fix it, and exits 2; beside a `glutil` it runs that one.
#[test]
fn a_launcher_without_glutil_beside_it_says_so() {
    let dir = crate::harness::state_home().join(crate::harness::unique("launcher"));
    std::fs::create_dir_all(&dir).unwrap();
    let alone = dir.join("list-missing");
    std::fs::copy(binary("list-missing"), &alone).unwrap();
    let r = run(alone.to_str().unwrap(), &["--help"]);
    assert_eq!(r.code, 2, "{r:?}");
    let expected = dir.join("glutil");
    assert!(
        r.stderr
            .contains(&format!("should be at {}", expected.display()))
            && r.stderr.contains("install both together"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.is_empty(), "{r:?}");
    std::fs::copy(GLUTIL, &expected).unwrap();
    let r = run(alone.to_str().unwrap(), &["--help"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("Usage: list-missing"), "{}", r.stdout);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `glutil man --dir` writes one page per command, each a roff page that
/// carries the command's options and exit codes.
#[test]
fn man_pages_are_written_for_every_command() {
    let dir = crate::harness::state_home().join(crate::harness::unique("man"));
    let r = run(GLUTIL, &["man", "--dir", dir.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{r:?}");
    let mut names: Vec<&str> = BINARIES.iter().map(|(n, _)| *n).collect();
    names.extend(["glutil", "glutil-backups"]);
    for name in names {
        let page = std::fs::read_to_string(dir.join(format!("{name}.1")))
            .unwrap_or_else(|e| panic!("no page for {name}: {e}"));
        assert!(page.starts_with(".ie") || page.contains(".TH"), "{name}");
        assert!(page.contains(&format!(".TH {name} 1")), "{name}:\n{page}");
        if name != "glutil-backups" {
            assert!(page.contains("Exit codes"), "{name} has no exit codes");
        }
        if name == "partitioner" {
            assert!(page.contains("dry\\-run"), "{page}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

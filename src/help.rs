//! What each command's `--help` ends with: one or two examples, and the
//! exit codes that command can give (no command lists another's).

/// The line every footer ends with.
const ENVIRONMENT: &str = "Environment: AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL, AWS_MAX_ATTEMPTS\nand the other standard AWS SDK variables are honoured; the flags override them.";

/// Exit code 0, as most commands say it.
const DONE: &str = "  0    done, or nothing to do";
/// Exit code 2, as every command that reads a table says it.
const BAD_INPUT: &str = "  2    bad usage or bad input: an unknown database or table, a table\n       without partition keys, a view or an Iceberg, Delta Lake, Hudi or\n       governed table, a location that is not in S3, a missing bucket, an\n       unknown profile, no credentials or credentials AWS refused, an\n       invalid option; nothing was changed";
/// Exit code 130, for commands that write in batches.
const INTERRUPTED: &str = "  130  stopped by Ctrl-C: the batches in flight finished, the rest was\n       not sent (the summary says how many); a rerun picks up the rest";

fn footer(examples: &[(&str, &str)], codes: &[&str]) -> String {
    let width = examples.iter().map(|(e, _)| e.len()).max().unwrap_or(0);
    let mut text = String::from("Examples:\n");
    for (example, what) in examples {
        text.push_str(&format!("  {example:<width$}  # {what}\n"));
    }
    text.push_str("\nExit codes:\n");
    for code in codes {
        text.push_str(code);
        text.push('\n');
    }
    text.push('\n');
    text.push_str(ENVIRONMENT);
    text
}

/// `partitioner --help`.
pub fn partitioner() -> String {
    footer(
        &[
            (
                "partitioner sales orders --dry-run",
                "what would be created",
            ),
            ("partitioner sales orders", "create them (backup first)"),
            (
                "partitioner sales --all-tables",
                "every table of the database",
            ),
        ],
        &[
            DONE,
            "  1    some partitions could not be created, or AWS failed",
            BAD_INPUT,
            INTERRUPTED,
        ],
    )
}

/// `list-missing --help`.
pub fn list_missing() -> String {
    footer(
        &[
            (
                "list-missing sales orders",
                "partitions whose folder holds no data",
            ),
            (
                "list-missing sales --all-tables --fail-if-any",
                "an audit for CI",
            ),
        ],
        &[
            "  0    done (with --fail-if-any: nothing is missing)",
            "  1    AWS failed, or a table of several failed",
            BAD_INPUT,
            "  3    --fail-if-any: missing partitions were found",
        ],
    )
}

/// `delete-missing --help`.
pub fn delete_missing() -> String {
    footer(
        &[
            (
                "delete-missing sales orders --dry-run",
                "what would be deleted",
            ),
            ("delete-missing sales orders", "delete them (backup first)"),
        ],
        &[
            DONE,
            "  1    some partitions could not be deleted, or AWS failed",
            BAD_INPUT,
            INTERRUPTED,
        ],
    )
}

/// `delete-bad --help`.
pub fn delete_bad() -> String {
    footer(
        &[
            (
                "delete-bad sales orders --dry-run",
                "missing or misplaced partitions",
            ),
            ("delete-bad sales orders", "delete them (backup first)"),
        ],
        &[
            DONE,
            "  1    some partitions could not be deleted, or AWS failed",
            BAD_INPUT,
            INTERRUPTED,
        ],
    )
}

/// `delete-all --help`.
pub fn delete_all() -> String {
    footer(
        &[
            ("delete-all sales orders --dry-run", "what would be deleted"),
            ("delete-all sales orders --yes", "every partition, without asking"),
        ],
        &[
            DONE,
            "  1    some partitions could not be deleted, or AWS failed",
            "  2    bad usage or bad input: an unknown database or table, a table\n       without partition keys, an unknown profile, no credentials or\n       credentials AWS refused, an invalid option, or no --yes where no\n       terminal can confirm (or no confirmation); nothing was changed",
            INTERRUPTED,
        ],
    )
}

/// `update-partitions --help`.
pub fn update_partitions() -> String {
    footer(
        &[
            (
                "update-partitions sales orders --dry-run",
                "what would be repointed",
            ),
            (
                "update-partitions sales --all-tables",
                "after moving a whole bucket",
            ),
        ],
        &[
            DONE,
            "  1    some partitions could not be updated, or AWS failed",
            BAD_INPUT,
            INTERRUPTED,
        ],
    )
}

/// `update-storage --help`.
pub fn update_storage() -> String {
    footer(
        &[
            (
                "update-storage sales orders --dry-run",
                "partitions whose schema differs",
            ),
            (
                "update-storage sales orders",
                "copy the table's schema into them",
            ),
        ],
        &[
            DONE,
            "  1    some partitions could not be updated, or AWS failed",
            BAD_INPUT,
            INTERRUPTED,
        ],
    )
}

/// `delete-bad-tables --help`.
pub fn delete_bad_tables() -> String {
    footer(
        &[
            ("delete-bad-tables sales --dry-run", "the junk tables a crawler made"),
            ("delete-bad-tables sales", "delete them (backup first)"),
        ],
        &[
            DONE,
            "  1    some tables could not be deleted, or AWS failed",
            "  2    bad usage or bad input: an unknown database, an unknown profile,\n       no credentials or credentials AWS refused, an invalid option",
            INTERRUPTED,
        ],
    )
}

/// `restore --help`.
pub fn restore() -> String {
    footer(
        &[
            ("restore BACKUP.jsonl --dry-run", "what restoring would change"),
            ("restore BACKUP.jsonl", "undo the run that wrote it"),
        ],
        &[
            DONE,
            "  1    some changes failed, or something could not be restored (each\n       is listed with why), or AWS failed",
            "  2    bad usage or bad input: a malformed backup file, an unknown\n       profile, no credentials or credentials AWS refused, an invalid\n       option; nothing was changed",
            INTERRUPTED,
        ],
    )
}

/// `create-table --help`.
pub fn create_table() -> String {
    footer(
        &[
            ("create-table sales orders s3://data/orders/ --dry-run", "the table it would define"),
            ("create-table sales orders s3://data/orders/ --update", "add new columns"),
        ],
        &[
            DONE,
            "  1    the table or some partitions could not be written, a Parquet\n       footer is corrupt, or AWS failed",
            "  2    bad usage or bad input: no Parquet files, conflicting column\n       types, uneven folder depths, a table that exists (without\n       --update), an unknown database or bucket, an unknown profile,\n       no credentials or credentials AWS refused; nothing was changed",
            INTERRUPTED,
        ],
    )
}

/// `query --help`.
pub fn query() -> String {
    footer(
        &[
            ("query \"SELECT count(*) FROM sales.orders\"", "one statement, a table of rows"),
            ("query --file checks.sql --output json", "a script, one document"),
            ("query \"SELECT * FROM sales.orders\" --output csv > orders.csv", "a big result, from the result file"),
            ("query \"SELECT * FROM t WHERE symbol = ? AND day = ?\" --param AAPL --param-raw \"DATE '2024-01-31'\"", "bound values"),
            ("query \"SELECT count(*) FROM t WHERE symbol = ?\" --param-file symbols.csv --parallel 8", "once per row"),
        ],
        &[
            "  0    every statement succeeded",
            "  1    a statement failed, was cancelled or timed out, or AWS failed\n       (with --via file: the result file could not be read)",
            "  2    bad usage: no SQL, an unreadable or empty --file or --param-file,\n       ? placeholders and values that do not match, an unknown --id, an\n       --output-location that is not s3://, Athena refused the request (an\n       unknown workgroup, a statement it cannot parse), an unknown\n       profile, no credentials or credentials AWS refused",
            "  130  stopped by Ctrl-C: every query this run started was stopped",
        ],
    )
}

/// `relocate --help`.
pub fn relocate() -> String {
    footer(
        &[
            ("relocate sales --all-tables --from s3://old/lake/ --to s3://new/lake/ --dry-run", "what would move"),
            ("relocate sales orders --from s3://old/lake/ --to s3://new/lake/ --verify", "refuse if the copy is incomplete"),
        ],
        &[
            DONE,
            "  1    some partitions or tables failed, or AWS failed",
            "  2    --from equal to --to, a new folder without data under --verify\n       (without --force), or as below; nothing was changed",
            BAD_INPUT,
            INTERRUPTED,
        ],
    )
}

/// `drop-table --help`.
pub fn drop_table() -> String {
    footer(
        &[
            ("drop-table sales old_orders --dry-run", "what would be dropped"),
            ("drop-table sales old_orders", "drop it; the backup holds it and its partitions"),
            ("restore BACKUP.jsonl", "bring the table and every partition back"),
        ],
        &[
            DONE,
            "  1    some tables could not be dropped, or AWS failed",
            "  2    bad usage or bad input: an unknown database or table, no table\n       named, --all-tables without --yes, an unknown profile, no\n       credentials or credentials AWS refused; nothing was changed",
            INTERRUPTED,
        ],
    )
}

/// `glutil describe --help`.
pub fn describe() -> String {
    footer(
        &[
            (
                "glutil describe sales orders",
                "columns, storage, parameters, partitions",
            ),
            (
                "glutil describe sales orders --audit",
                "and what list-missing and delete-bad would name",
            ),
        ],
        &[DONE, "  1    AWS failed", BAD_INPUT],
    )
}

/// `glutil databases --help`.
pub fn databases() -> String {
    footer(
        &[
            ("glutil databases", "every database, with its table count"),
            ("glutil databases --output json", "the same, for scripts"),
        ],
        &[DONE, "  1    AWS failed", BAD_INPUT],
    )
}

/// `glutil tables --help`.
pub fn tables() -> String {
    footer(
        &[
            (
                "glutil tables sales",
                "every table: kind, format, partitions, location",
            ),
            (
                "glutil tables sales --tables 'events_*' --no-count",
                "matching tables, without counting partitions",
            ),
        ],
        &[DONE, "  1    AWS failed", BAD_INPUT],
    )
}

/// `projection --help`.
pub fn projection() -> String {
    footer(
        &[
            ("projection sales events --dry-run", "the inferred properties and the check"),
            ("projection sales events --until now", "switch; date ranges end at NOW"),
            ("projection sales events --disable", "back to catalog partitions"),
        ],
        &[
            DONE,
            "  1    AWS failed",
            "  2    partitions or folders the\n       projection would hide from Athena (without --force); nothing was\n       changed",
            BAD_INPUT,
        ],
    )
}

/// `gaps --help`.
pub fn gaps() -> String {
    footer(
        &[
            ("gaps sales orders --every hour", "hours without a partition"),
            ("gaps sales orders --every day --since 2024-01-01 --fail-if-any", "an audit for CI"),
            ("gaps sales --all-tables --fail-if-any", "each table by its own keys: hours or days"),
            ("gaps sales trades --rows --time-column ts --group-by symbol --every hour --output-location s3://athena-results/", "hours a symbol has no rows"),
        ],
        &[
            "  0    done (with --fail-if-any: no gaps)",
            "  1    AWS failed, a table of several failed, or (--rows) the count\n       query failed, was cancelled or timed out",
            "  2    bad usage or bad input: an unknown database, table or column, keys\n       that do not name a time, a bad --since, --until or --value-format,\n       Athena options without --rows, an unknown profile, no credentials\n       or credentials AWS refused",
            "  3    --fail-if-any: slots without a partition (with --rows: groups and\n       slots with too few rows) were found",
            "  130  stopped by Ctrl-C (--rows: the count query was stopped)",
        ],
    )
}

/// `quilt-tables --help`.
pub fn quilt_tables() -> String {
    footer(
        &[
            ("quilt-tables my-bucket --database quilt --dry-run", "the four tables and views"),
            ("quilt-tables my-bucket --database quilt", "create or update them"),
        ],
        &[
            DONE,
            "  1    some tables or views could not be written, or AWS failed",
            "  2    bad usage or bad input: an unknown database, a bucket that does\n       not exist or holds no .quilt/ folder, an unknown profile, no\n       credentials or credentials AWS refused; nothing was changed",
            INTERRUPTED,
        ],
    )
}

/// `glutil backups --help`.
pub fn backups() -> String {
    footer(
        &[
            ("glutil backups list", "every backup, oldest first"),
            (
                "glutil backups prune --older-than 30d --dry-run",
                "what pruning would remove",
            ),
        ],
        &[
            DONE,
            "  1    a backup could not be removed",
            "  2    bad usage: an age without a unit, a folder that cannot be read",
        ],
    )
}

/// `glutil --help`.
pub fn glutil() -> String {
    footer(
        &[
            (
                "glutil partitioner sales orders",
                "the same as `partitioner sales orders`",
            ),
            (
                "glutil COMMAND --help",
                "one command's options, examples and exit codes",
            ),
        ],
        &[
            DONE,
            "  1    some changes failed, or AWS failed",
            BAD_INPUT,
            "  3    list-missing and gaps with --fail-if-any found something",
            INTERRUPTED,
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_footer_aligns_its_examples_and_lists_only_its_codes() {
        let text = list_missing();
        assert!(
            text.starts_with("Examples:\n  list-missing sales orders "),
            "{text}"
        );
        assert!(text.contains("  3    --fail-if-any"), "{text}");
        assert!(!text.contains("130"), "list-missing writes nothing: {text}");
        assert!(!partitioner().contains("  3 "), "{}", partitioner());
        assert!(text.ends_with(ENVIRONMENT));
    }
}

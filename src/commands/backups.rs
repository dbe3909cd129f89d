//! `glutil backups list` and `glutil backups prune --older-than 30d`: the
//! backups in the default folder (or --dir), and removing old ones.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use glutil::backup::catalog::{list_backups, older_than, BackupSummary};

use crate::args::parse_age;
use crate::args::OutputFormat;
use crate::{Command, EXIT_FAILURE, EXIT_OK};

/// Lists or prunes backup files.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "backups", version, after_help = crate::help::backups())]
pub struct Backups {
    /// What to do.
    #[command(subcommand)]
    pub action: BackupsAction,
}

/// `list` or `prune`.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum BackupsAction {
    /// Lists backups, oldest first: command, time, entries, tables, path.
    List(Where),
    /// Removes backups written longer ago than --older-than; unreadable
    /// files are never removed.
    Prune {
        /// Age, e.g. 30d, 12h, 2w.
        #[arg(long, value_name = "AGE", value_parser = parse_age)]
        older_than: Duration,
        /// Print what would be removed; remove nothing.
        #[arg(long)]
        dry_run: bool,
        /// Where and how.
        #[command(flatten)]
        place: Where,
    },
}

/// The folder and the output format.
#[derive(Debug, Clone, clap::Args)]
pub struct Where {
    /// The folder [default: $XDG_STATE_HOME/glutil/backups, or
    /// ~/.local/state/glutil/backups].
    #[arg(long, value_name = "PATH")]
    pub dir: Option<PathBuf>,
    /// Output format on stdout.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
}

impl Where {
    fn folder(&self) -> anyhow::Result<PathBuf> {
        match &self.dir {
            Some(dir) => Ok(dir.clone()),
            None => crate::backup::default_dir(
                std::env::var_os("XDG_STATE_HOME"),
                std::env::var_os("HOME"),
            )
            .ok_or_else(|| {
                glutil::Error::InvalidInput(
                    "neither XDG_STATE_HOME nor HOME is set; pass --dir".into(),
                )
                .into()
            }),
        }
    }
}

impl Command for Backups {
    async fn run(self) -> anyhow::Result<u8> {
        match self.action {
            BackupsAction::List(place) => {
                let backups = list_backups(&place.folder()?)?;
                print(&backups, place.output, None)?;
                Ok(EXIT_OK)
            }
            BackupsAction::Prune {
                older_than: age,
                dry_run,
                place,
            } => prune(&place, age, dry_run),
        }
    }
}

fn prune(place: &Where, age: Duration, dry_run: bool) -> anyhow::Result<u8> {
    let backups = list_backups(&place.folder()?)?;
    let cutoff = SystemTime::now()
        .checked_sub(age)
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let chosen: Vec<BackupSummary> = older_than(&backups, cutoff).into_iter().cloned().collect();
    let mut failed = Vec::new();
    if !dry_run {
        for backup in &chosen {
            if let Err(err) = std::fs::remove_file(&backup.path) {
                failed.push(format!("{}: {err}", backup.path.display()));
            }
        }
    }
    let verb = if dry_run { "would remove" } else { "removed" };
    print(&chosen, place.output, Some((verb, &failed)))?;
    for failure in &failed {
        eprintln!("error: could not remove {failure}");
    }
    Ok(if failed.is_empty() {
        EXIT_OK
    } else {
        EXIT_FAILURE
    })
}

fn print(
    backups: &[BackupSummary],
    format: OutputFormat,
    pruned: Option<(&str, &[String])>,
) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if format == OutputFormat::Json {
        let body = match pruned {
            None => serde_json::json!({ "backups": backups }),
            Some((verb, failed)) => serde_json::json!({
                "dry_run": verb == "would remove",
                "removed": backups,
                "failed": failed,
            }),
        };
        return writeln!(out, "{body}");
    }
    for b in backups {
        let what = match &b.problem {
            Some(problem) => format!("unreadable ({problem})"),
            None => format!(
                "{:<18} {:<24} {:>7} entries  {}",
                b.command.as_deref().unwrap_or("?"),
                b.created.as_deref().unwrap_or("?"),
                b.entries,
                b.tables.join(",")
            ),
        };
        let lead = pruned
            .map(|(verb, _)| format!("{verb} "))
            .unwrap_or_default();
        writeln!(out, "{lead}{what}  {}", b.path.display())?;
    }
    match pruned {
        Some((verb, _)) => writeln!(out, "{verb}: {} backups", backups.len()),
        None => writeln!(out, "{} backups", backups.len()),
    }
}

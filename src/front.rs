//! `glutil`: one front door to every command. Its subcommands are the same
//! argument structs and code as the single binaries, so `glutil delete-all`
//! and `delete-all` cannot drift apart.

use std::io::Write;

use clap::CommandFactory;
use clap_complete::Shell;

use crate::commands::backups::Backups;
use crate::commands::cleanup::{DeleteAll, DeleteBad, DeleteMissing, ListMissing};
use crate::commands::create_table::CreateTable;
use crate::commands::drop::DropTable;
use crate::commands::gaps::GapsArgs;
use crate::commands::inventory::{Databases, Describe, Tables};
use crate::commands::partitioner;
use crate::commands::projection::Projection;
use crate::commands::query::Query;
use crate::commands::quilt::QuiltTables;
use crate::commands::relocate::Relocate;
use crate::commands::repair::{DeleteBadTables, UpdatePartitions, UpdateStorage};
use crate::commands::restore::Restore;
use std::process::ExitCode;

use crate::{main_for, Command, EXIT_OK};

/// Keeps S3-backed tables in the AWS Glue Data Catalog healthy.
///
/// Every command is also a binary of its own with the same options
/// (`glutil delete-all ...` is `delete-all ...`). Every command that writes
/// has --dry-run and writes a backup that `restore` can undo.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "glutil",
    version,
    propagate_version = true,
    subcommand_required = true,
    arg_required_else_help = true,
    after_help = crate::help::glutil()
)]
pub struct Glutil {
    /// The command to run.
    #[command(subcommand)]
    pub command: Subcommand,
}

/// The commands, one per single binary, and completions.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Subcommand {
    #[allow(missing_docs)]
    Partitioner(partitioner::Args),
    #[allow(missing_docs)]
    ListMissing(ListMissing),
    #[allow(missing_docs)]
    DeleteMissing(DeleteMissing),
    #[allow(missing_docs)]
    DeleteBad(DeleteBad),
    #[allow(missing_docs)]
    DeleteAll(DeleteAll),
    #[allow(missing_docs)]
    UpdatePartitions(UpdatePartitions),
    #[allow(missing_docs)]
    UpdateStorage(UpdateStorage),
    #[allow(missing_docs)]
    DeleteBadTables(DeleteBadTables),
    #[allow(missing_docs)]
    Restore(Restore),
    #[allow(missing_docs)]
    CreateTable(CreateTable),
    #[allow(missing_docs)]
    Query(Query),
    #[allow(missing_docs)]
    Gaps(GapsArgs),
    #[allow(missing_docs)]
    QuiltTables(QuiltTables),
    #[allow(missing_docs)]
    Projection(Projection),
    #[allow(missing_docs)]
    DropTable(DropTable),
    #[allow(missing_docs)]
    Relocate(Relocate),
    #[allow(missing_docs)]
    Backups(Backups),
    #[allow(missing_docs)]
    Databases(Databases),
    #[allow(missing_docs)]
    Tables(Tables),
    #[allow(missing_docs)]
    Describe(Describe),
    /// Prints shell completions for glutil to stdout.
    ///
    /// bash: glutil completions bash > ~/.local/share/bash-completion/completions/glutil;
    /// zsh: glutil completions zsh > "${fpath[1]}/_glutil";
    /// fish: glutil completions fish > ~/.config/fish/completions/glutil.fish
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: Shell,
    },
    /// Writes man pages (glutil.1, one per command, glutil-backups.1) into
    /// a folder.
    ///
    /// Example: glutil man --dir ~/.local/share/man/man1 && man partitioner
    Man {
        /// The folder to write the pages into (created if needed).
        #[arg(long, value_name = "DIR")]
        dir: std::path::PathBuf,
    },
}

impl Command for Glutil {
    async fn run(self) -> anyhow::Result<u8> {
        match self.command {
            Subcommand::Partitioner(c) => c.run().await,
            Subcommand::ListMissing(c) => c.run().await,
            Subcommand::DeleteMissing(c) => c.run().await,
            Subcommand::DeleteBad(c) => c.run().await,
            Subcommand::DeleteAll(c) => c.run().await,
            Subcommand::UpdatePartitions(c) => c.run().await,
            Subcommand::UpdateStorage(c) => c.run().await,
            Subcommand::DeleteBadTables(c) => c.run().await,
            Subcommand::Restore(c) => c.run().await,
            Subcommand::CreateTable(c) => c.run().await,
            Subcommand::Query(c) => c.run().await,
            Subcommand::Gaps(c) => c.run().await,
            Subcommand::QuiltTables(c) => c.run().await,
            Subcommand::Projection(c) => c.run().await,
            Subcommand::DropTable(c) => c.run().await,
            Subcommand::Relocate(c) => c.run().await,
            Subcommand::Backups(c) => c.run().await,
            Subcommand::Databases(c) => c.run().await,
            Subcommand::Tables(c) => c.run().await,
            Subcommand::Describe(c) => c.run().await,
            Subcommand::Completions { shell } => {
                // Into memory first: clap_complete panics on write errors,
                // and a closed pipe must end quietly.
                let mut script = Vec::new();
                clap_complete::generate(shell, &mut Glutil::command(), "glutil", &mut script);
                let mut out = std::io::stdout().lock();
                out.write_all(&script)?;
                out.flush()?;
                Ok(EXIT_OK)
            }
            Subcommand::Man { dir } => {
                let pages = crate::man::pages(Glutil::command(), &NAMED)?;
                for path in crate::man::write_pages(&dir, pages)? {
                    println!("{}", path.display());
                }
                Ok(EXIT_OK)
            }
        }
    }
}

/// Runs glutil as the command its program name says (`partitioner`,
/// when started by that launcher or through a link of that name), or as
/// the front door.
pub fn multicall() -> ExitCode {
    let name = std::env::args_os()
        .next()
        .map(std::path::PathBuf::from)
        .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .unwrap_or_default();
    run_named(&name).unwrap_or_else(main_for::<Glutil>)
}

/// The command named `name`, run as its own program; `None` when no
/// command has that name.
fn run_named(name: &str) -> Option<ExitCode> {
    Some(match name {
        "partitioner" => main_for::<partitioner::Args>(),
        "list-missing" => main_for::<ListMissing>(),
        "delete-missing" => main_for::<DeleteMissing>(),
        "delete-bad" => main_for::<DeleteBad>(),
        "delete-all" => main_for::<DeleteAll>(),
        "update-partitions" => main_for::<UpdatePartitions>(),
        "update-storage" => main_for::<UpdateStorage>(),
        "delete-bad-tables" => main_for::<DeleteBadTables>(),
        "restore" => main_for::<Restore>(),
        "create-table" => main_for::<CreateTable>(),
        "query" => main_for::<Query>(),
        "gaps" => main_for::<GapsArgs>(),
        "quilt-tables" => main_for::<QuiltTables>(),
        "projection" => main_for::<Projection>(),
        "drop-table" => main_for::<DropTable>(),
        "relocate" => main_for::<Relocate>(),
        _ => return None,
    })
}

/// The commands that are also programs of their own (launchers in `bin/`).
pub const NAMED: [&str; 16] = [
    "partitioner",
    "list-missing",
    "delete-missing",
    "delete-bad",
    "delete-all",
    "update-partitions",
    "update-storage",
    "delete-bad-tables",
    "restore",
    "create-table",
    "query",
    "gaps",
    "quilt-tables",
    "projection",
    "drop-table",
    "relocate",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_definition_is_consistent() {
        Glutil::command().debug_assert();
    }

    #[test]
    fn every_named_program_is_a_subcommand_of_the_same_name() {
        let glutil = Glutil::command();
        for name in NAMED {
            let sub = glutil
                .find_subcommand(name)
                .unwrap_or_else(|| panic!("{name} is not a glutil subcommand"));
            assert_eq!(sub.get_name(), name);
        }
        let launchers = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/bin"))
            .unwrap()
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                e.path()
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
            })
            .filter(|n| n != "glutil")
            .count();
        assert_eq!(launchers, NAMED.len(), "one launcher per named command");
    }

    /// The committed pages are what `glutil man` renders: regenerate them
    /// with `cargo run --bin glutil -- man --dir docs/man` after changing
    /// any help text.
    #[test]
    fn the_committed_man_pages_are_current() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/man");
        let pages = crate::man::pages(Glutil::command(), &NAMED).unwrap();
        assert_eq!(pages.len(), NAMED.len() + 2);
        let mut stale = Vec::new();
        for (file, text) in &pages {
            if std::fs::read(dir.join(file)).ok().as_deref() != Some(text.as_slice()) {
                stale.push(file.clone());
            }
        }
        let committed = std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
        assert!(
            stale.is_empty() && committed == pages.len(),
            "docs/man is out of date ({stale:?}, {committed} files): run \
             `cargo run --bin glutil -- man --dir docs/man`"
        );
    }
}

//! `glutil`: one front door to every command. Its subcommands are the same
//! argument structs and code as the single binaries, so `glutil delete-all`
//! and `delete-all` cannot drift apart.

use std::io::Write;

use clap::CommandFactory;
use clap_complete::Shell;

use crate::commands::backups::Backups;
use crate::commands::cleanup::{DeleteAll, DeleteBad, DeleteMissing, ListMissing};
use crate::commands::create_table::CreateTable;
use crate::commands::gaps::GapsArgs;
use crate::commands::partitioner;
use crate::commands::query::Query;
use crate::commands::quilt::QuiltTables;
use crate::commands::repair::{DeleteBadTables, UpdatePartitions, UpdateStorage};
use crate::commands::restore::Restore;
use crate::{Command, EXIT_OK};

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
    after_help = crate::EXIT_CODES_HELP
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
    Backups(Backups),
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
            Subcommand::Backups(c) => c.run().await,
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
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_definition_is_consistent() {
        Glutil::command().debug_assert();
    }
}

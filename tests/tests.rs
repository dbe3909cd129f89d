//! End-to-end tests: the real binaries against a moto server. One test
//! binary for all of them (see harness/ for where moto comes from).

mod athena_files;
mod backups;
mod bad_input;
mod cleanup;
mod create_table;
mod deploy;
mod events;
mod faults;
mod front;
mod gaps;
mod gaps_rows;
mod harness;
mod inventory;
mod kinds;
mod lambda;
mod many;
mod partitioner;
mod query;
mod quilt;
mod real_aws;
mod relocate;
mod repair;
mod restore;
mod walk;

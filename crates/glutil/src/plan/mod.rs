//! Deciding what to change: one pure module per decision, each taking the
//! model's plain data and returning a plan that can be shown (dry run) or
//! applied. No AWS calls here; every plan is unit-tested.

pub mod audit;
pub mod create;
pub mod events;
pub mod gaps;
pub mod junk;
pub mod moves;
pub mod projection;
pub mod relocate;
pub mod restore;
pub mod row_gaps;
pub mod schema;
pub mod storage;

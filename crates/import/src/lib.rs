//! CRM import (issue 13): the CSV files a Salesforce Data Export or report export, or a
//! HubSpot export, writes — read into typed records ([`Record`]) the store upserts.
//!
//! Columns are matched as people and CRMs write them: case, spaces, underscores and dots
//! do not matter, and each field answers to its API name, its report label and HubSpot's
//! label and internal name (`fields.rs`). A mapping file overrides any column; columns
//! nobody maps are kept as the record's attributes. Every bad row is reported with its
//! file, line and column and why; good rows still come through. Files are read as a
//! stream, one record at a time, so a file of any size stays within a small memory bound.
//!
//! `import_dir` reads a directory's files in order (users and accounts first, so owners
//! become rep names) and stores them in batches through the store's `import_batch`.
//!
//! Not here: the SQL (the store's `crm_import`), progress display (the CLI).

mod fields;
mod mapping;
mod read;
mod run;
mod value;

pub use fields::{FileKind, Source};
pub use mapping::Mapping;
pub use read::{ImportFile, Problem, Rows, files_in, read_file, rep_name};
pub use run::{FileReport, Report, import_dir};

pub use countersign_store::crm_import::{
    Account, Activity, Contact, ImportCounts, Opportunity, Record, StageChange, User,
};

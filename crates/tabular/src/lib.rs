//! # tenantry-tabular
//!
//! User lists in and out of spreadsheets.
//!
//! **Export**: [`export_csv`] (RFC 4180, UTF-8, optional BOM and `;` for Excel) and
//! [`export_xlsx`] (constant-memory sheets, continuing on a further sheet past Excel's
//! 1,048,576 rows) stream rows from an iterator, so a million users never sit in memory.
//! Columns are chosen and ordered by the host ([`ColumnSet`] has the seeds' sets: consumers,
//! PIN users with their PINs, general lists, access reviews), with English or German
//! headers. Every cell is [neutralised](neutralise) against formula injection, reversibly.
//!
//! **Import** (workforce platform): [`ImportTemplate`] writes the template (XLSX with drop-down lists,
//! or CSV), [`read_xlsx`] and [`read_csv`] read an upload under [`ImportLimits`] (bytes,
//! unpacked size, rows, cells; encrypted and `.xls` files refused by name), and
//! [`ImportTemplate::validate`] turns rows into [`NewUser`]s or [`RowError`]s. [`plan`] makes
//! the one-time, insert-only plan: create, skip (existing users are never overwritten),
//! reject — a dry run the service shows before anything is written.
//!
//! ```
//! use tenantry_tabular::*;
//!
//! # fn main() -> Result<(), TabularError> {
//! let template = ImportTemplate::workforce(
//!     Choices {
//!         departments: vec!["Sales".into(), "Kitchen".into()],
//!         job_profiles: vec!["Cook".into()],
//!         permission_types: vec!["employee".into()],
//!         languages: vec!["de".into(), "en".into()],
//!     },
//!     None,
//! );
//! let upload = "Vorname;Nachname;Jobprofil;Abteilung;Berechtigungstyp;E-Mail;Sprache\n\
//!               Jürgen;Weiß;Cook;kitchen;employee;jw@example.com;de\n\
//!               Ann;Lee;Cook;Garden;employee;ann@example.com;en\n";
//! let sheet = read_csv(upload.as_bytes(), &ImportLimits::default())?;
//! let report = template.validate(&sheet)?;
//! assert_eq!(report.records.len(), 1);
//! assert_eq!(report.records[0].department.as_deref(), Some("Kitchen"));
//! assert_eq!(report.errors[0].to_string(), "row 3, department \"Garden\": is not one of the allowed values");
//!
//! let plan = plan(report, |_existing| false);
//! assert_eq!((plan.create.len(), plan.skipped.len(), plan.rejected.len()), (1, 0, 1));
//! # Ok(())
//! # }
//! ```

mod columns;
mod error;
mod escape;
mod export;
mod read;
mod template;

pub use columns::{Column, ColumnSet, Headers, Lang};
pub use error::TabularError;
pub use escape::{DANGEROUS_FIRST, neutralise, restore};
pub use export::{
    CsvOptions, EXCEL_MAX_CELL, EXCEL_MAX_ROWS, ToRow, UserRecord, UserRow, export_csv,
    export_xlsx, export_xlsx_with_sheet_rows,
};
pub use read::{ImportLimits, Sheet, read_csv, read_xlsx};
pub use template::{
    Choices, ImportPlan, ImportReport, ImportTemplate, NewUser, RowError, RowProblem, SheetSecret,
    Skipped, TEMPLATE_ROWS, plan,
};

//! # tenantry-tabular
//!
//! User lists in and out of spreadsheets. This crate will hold streaming CSV and XLSX
//! export with neutralised formulas, and the import template: generation, parsing,
//! validation and an insert-only import plan.
//!
//! It is not written yet: see the export-and-import issue. Nothing here is public API.

//! The crate's error.

use crate::columns::Column;

/// Why an export or an import file failed as a whole. Problems with single rows of an
/// import are [`crate::RowError`]s in the report instead.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TabularError {
    /// Writing or reading failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// A cell longer than Excel allows (32,767 UTF-16 units); nothing is saved.
    #[error("row {row}, column {column}: a cell holds at most 32,767 characters in Excel")]
    CellTooLong {
        /// 1-based data row.
        row: u64,
        /// The column.
        column: Column,
    },
    /// The XLSX writer refused.
    #[error("xlsx: {0}")]
    Xlsx(String),
    /// The upload is larger than allowed.
    #[error("the file is larger than {max} bytes")]
    TooLarge {
        /// The cap.
        max: u64,
    },
    /// The archive would inflate to more than allowed (or at a suspicious ratio): a zip bomb.
    #[error("the file would unpack to more than {max} bytes")]
    DecompressedTooLarge {
        /// The cap.
        max: u64,
    },
    /// More rows than allowed.
    #[error("the file has more than {max} rows")]
    TooManyRows {
        /// The cap.
        max: usize,
    },
    /// More cells than allowed.
    #[error("the file has more than {max} cells")]
    TooManyCells {
        /// The cap.
        max: usize,
    },
    /// A password-protected (encrypted) workbook.
    #[error("the workbook is password-protected; save it without a password and upload it again")]
    Encrypted,
    /// An Excel 97-2003 `.xls` file.
    #[error("this is an old .xls workbook; save it as .xlsx or .csv")]
    LegacyXls,
    /// Not an XLSX workbook (not a zip, or a zip without a worksheet).
    #[error("not an xlsx workbook: {0}")]
    NotXlsx(String),
    /// Not readable as CSV.
    #[error("not a readable csv file: {0}")]
    NotCsv(String),
    /// A CSV file that is UTF-8 in some rows and another encoding in others: no one
    /// encoding reads it without garbling names, so nothing is read.
    #[error(
        "row {row} is not UTF-8 while other rows are; save the file again as \"CSV UTF-8\" and upload it again"
    )]
    MixedEncoding {
        /// The first row (the header is row 1) with text that is not UTF-8.
        row: usize,
    },
    /// No header row.
    #[error("the file is empty")]
    Empty,
    /// Required columns are missing from the header row.
    #[error("missing columns: {}", .0.iter().map(|c| c.key()).collect::<Vec<_>>().join(", "))]
    MissingColumns(Vec<Column>),
    /// The same column twice in the header row.
    #[error("column {0} appears twice")]
    DuplicateColumn(Column),
    /// No columns were chosen for an export.
    #[error("an export needs at least one column")]
    NoColumns,
}

impl From<rust_xlsxwriter::XlsxError> for TabularError {
    fn from(e: rust_xlsxwriter::XlsxError) -> Self {
        TabularError::Xlsx(e.to_string())
    }
}

//! Streaming export to CSV and XLSX.

use std::borrow::Cow;
use std::io::Write;

use rust_xlsxwriter::Workbook;

use crate::columns::{Column, Headers};
use crate::error::TabularError;
use crate::escape::neutralise;

/// Excel's rows per sheet, header included.
pub const EXCEL_MAX_ROWS: u32 = 1_048_576;
/// Excel's longest cell, in UTF-16 code units.
pub const EXCEL_MAX_CELL: usize = 32_767;

/// A record that can fill the columns of an export. Implemented by [`UserRecord`]; hosts
/// may implement it for their own types to export without copying.
pub trait ToRow {
    /// The text of `column` for this record (empty if it has none).
    fn cell(&self, column: Column) -> Cow<'_, str>;
}

/// A user as a list shows them: the fields of every built-in column, as text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserRecord {
    /// Email.
    pub email: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Display name.
    pub display_name: String,
    /// Username.
    pub username: String,
    /// Phone.
    pub phone: String,
    /// Placeholder email.
    pub placeholder_email: String,
    /// External id.
    pub external_id: String,
    /// Kind.
    pub kind: String,
    /// State.
    pub state: String,
    /// Organization.
    pub organization: String,
    /// Groups.
    pub groups: Vec<String>,
    /// Receives digests.
    pub receives_digests: Option<bool>,
    /// PIN (only in the PIN export).
    pub pin: String,
    /// Language.
    pub language: String,
    /// Department.
    pub department: String,
    /// Job profile.
    pub job_profile: String,
    /// Permission type.
    pub permission_type: String,
    /// One-time password.
    pub one_time_password: String,
    /// Last sign-in, as text.
    pub last_sign_in: String,
    /// Effective permissions.
    pub permissions: Vec<String>,
}

impl ToRow for UserRecord {
    fn cell(&self, column: Column) -> Cow<'_, str> {
        fn s(v: &str) -> Cow<'_, str> {
            Cow::Borrowed(v)
        }
        match column {
            Column::Email => s(&self.email),
            Column::FirstName => s(&self.first_name),
            Column::LastName => s(&self.last_name),
            Column::DisplayName => s(&self.display_name),
            Column::Username => s(&self.username),
            Column::Phone => s(&self.phone),
            Column::PlaceholderEmail => s(&self.placeholder_email),
            Column::ExternalId => s(&self.external_id),
            Column::Kind => s(&self.kind),
            Column::State => s(&self.state),
            Column::Organization => s(&self.organization),
            Column::Groups => Cow::Owned(self.groups.join(", ")),
            Column::GroupCount => Cow::Owned(self.groups.len().to_string()),
            Column::ReceivesDigests => Cow::Borrowed(match self.receives_digests {
                Some(true) => "yes",
                Some(false) => "no",
                None => "",
            }),
            Column::Pin => s(&self.pin),
            Column::Language => s(&self.language),
            Column::Department => s(&self.department),
            Column::JobProfile => s(&self.job_profile),
            Column::PermissionType => s(&self.permission_type),
            Column::OneTimePassword => s(&self.one_time_password),
            Column::LastSignIn => s(&self.last_sign_in),
            Column::Permissions => Cow::Owned(self.permissions.join(", ")),
        }
    }
}

/// CSV options.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CsvOptions {
    /// Start with a UTF-8 byte-order mark, so Excel opens non-ASCII text correctly.
    pub bom: bool,
    /// Separate with `;` (what German Excel expects) instead of `,`.
    pub semicolon: bool,
}

/// Writes `rows` as CSV (RFC 4180, UTF-8, CRLF line ends) to `writer`, one row at a time:
/// memory does not grow with the number of rows. Every cell is neutralised (see
/// [`crate::neutralise`]). Returns the number of data rows.
pub fn export_csv<W: Write, R: ToRow>(
    writer: W,
    columns: &[Column],
    headers: &Headers,
    rows: impl IntoIterator<Item = R>,
    options: CsvOptions,
) -> Result<u64, TabularError> {
    if columns.is_empty() {
        return Err(TabularError::NoColumns);
    }
    let mut writer = writer;
    if options.bom {
        writer.write_all(b"\xEF\xBB\xBF")?;
    }
    let mut csv = csv::WriterBuilder::new()
        .delimiter(if options.semicolon { b';' } else { b',' })
        .terminator(csv::Terminator::CRLF)
        .from_writer(writer);
    let csv_err = |e: csv::Error| TabularError::Io(std::io::Error::other(e));
    csv.write_record(
        columns
            .iter()
            .map(|c| neutralise(headers.get(*c)).into_owned()),
    )
    .map_err(csv_err)?;
    let mut n = 0u64;
    for row in rows {
        // Field by field straight into the writer's buffer; the empty record ends the row.
        for c in columns {
            csv.write_field(neutralise(&row.cell(*c)).as_bytes())
                .map_err(csv_err)?;
        }
        csv.write_record(None::<&[u8]>).map_err(csv_err)?;
        n += 1;
    }
    csv.flush()?;
    Ok(n)
}

/// Writes `rows` as an XLSX workbook to `writer`. Sheets are written in constant-memory mode
/// (rows go to a temporary file as they come, not into memory); past Excel's 1,048,576 rows
/// the export continues on a further sheet (`Users`, `Users (2)`, ...) with the header
/// again. A cell longer than Excel allows is an error and nothing is written to `writer`.
/// Returns the number of data rows.
pub fn export_xlsx<W: Write + Send, R: ToRow>(
    writer: W,
    sheet_name: &str,
    columns: &[Column],
    headers: &Headers,
    rows: impl IntoIterator<Item = R>,
) -> Result<u64, TabularError> {
    export_xlsx_with_sheet_rows(writer, sheet_name, columns, headers, rows, EXCEL_MAX_ROWS)
}

/// [`export_xlsx`] with a smaller row limit per sheet (so tests can cross a sheet boundary
/// without writing a million rows). `sheet_rows` counts the header; at least 2.
pub fn export_xlsx_with_sheet_rows<W: Write + Send, R: ToRow>(
    writer: W,
    sheet_name: &str,
    columns: &[Column],
    headers: &Headers,
    rows: impl IntoIterator<Item = R>,
    sheet_rows: u32,
) -> Result<u64, TabularError> {
    if columns.is_empty() {
        return Err(TabularError::NoColumns);
    }
    let sheet_rows = sheet_rows.clamp(2, EXCEL_MAX_ROWS);
    let mut workbook = Workbook::new();
    let mut sheet_index = 0usize;
    let mut row_in_sheet = 0u32;
    let mut total = 0u64;
    let base = sanitize_sheet_name(sheet_name);
    start_sheet(&mut workbook, &base, 0, columns, headers)?;
    for row in rows {
        if row_in_sheet + 1 >= sheet_rows {
            sheet_index += 1;
            start_sheet(&mut workbook, &base, sheet_index, columns, headers)?;
            row_in_sheet = 0;
        }
        row_in_sheet += 1;
        total += 1;
        let sheet = workbook.worksheet_from_index(sheet_index)?;
        for (ci, c) in columns.iter().enumerate() {
            let text = row.cell(*c);
            let text = neutralise(&text);
            if text.encode_utf16().count() > EXCEL_MAX_CELL {
                return Err(TabularError::CellTooLong {
                    row: total,
                    column: *c,
                });
            }
            if !text.is_empty() {
                sheet.write_string(row_in_sheet, ci as u16, text.as_ref())?;
            }
        }
    }
    workbook.save_to_writer(writer)?;
    Ok(total)
}

fn start_sheet(
    workbook: &mut Workbook,
    base: &str,
    index: usize,
    columns: &[Column],
    headers: &Headers,
) -> Result<(), TabularError> {
    let sheet = workbook.add_worksheet_with_constant_memory()?;
    let name = if index == 0 {
        base.to_owned()
    } else {
        format!("{base} ({})", index + 1)
    };
    sheet.set_name(name)?;
    for (ci, c) in columns.iter().enumerate() {
        sheet.write_string(0, ci as u16, neutralise(headers.get(*c)).as_ref())?;
        sheet.set_column_width(ci as u16, 20)?;
    }
    Ok(())
}

/// A sheet name Excel accepts: no `[]:*?/\`, not starting or ending with `'`, at most 26
/// characters (room for a " (n)" suffix), never empty.
fn sanitize_sheet_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\') && !c.is_control())
        .take(26)
        .collect();
    let cleaned = cleaned.trim_matches('\'').trim().to_owned();
    if cleaned.is_empty() {
        "Users".to_owned()
    } else {
        cleaned
    }
}

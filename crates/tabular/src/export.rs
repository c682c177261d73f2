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

    /// The text of `column`, either borrowed from the record or written into `buf` (which
    /// the exporter clears and reuses from cell to cell, so a computed cell costs no
    /// allocation of its own). The default takes [`ToRow::cell`]'s answer.
    fn cell_in<'a>(&'a self, column: Column, buf: &'a mut String) -> &'a str {
        match self.cell(column) {
            Cow::Borrowed(text) => text,
            Cow::Owned(text) => {
                *buf = text;
                buf
            }
        }
    }
}

impl<T: ToRow + ?Sized> ToRow for &T {
    fn cell(&self, column: Column) -> Cow<'_, str> {
        (**self).cell(column)
    }

    fn cell_in<'a>(&'a self, column: Column, buf: &'a mut String) -> &'a str {
        (**self).cell_in(column, buf)
    }
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

    fn cell_in<'a>(&'a self, column: Column, buf: &'a mut String) -> &'a str {
        use std::fmt::Write as _;
        match column {
            Column::Groups => join_into(&self.groups, buf),
            Column::Permissions => join_into(&self.permissions, buf),
            Column::GroupCount => {
                // Writing a number into a String cannot fail.
                let _ = write!(buf, "{}", self.groups.len());
                buf
            }
            other => match self.cell(other) {
                Cow::Borrowed(text) => text,
                Cow::Owned(text) => {
                    *buf = text;
                    buf
                }
            },
        }
    }
}

/// A user as a list shows them, borrowed from wherever the host keeps the fields: the
/// same columns as [`UserRecord`] without copying a string per cell, so an export of a
/// million rows builds no record per row. Fields left empty are empty cells.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UserRow<'a> {
    /// Email.
    pub email: &'a str,
    /// First name.
    pub first_name: &'a str,
    /// Last name.
    pub last_name: &'a str,
    /// Display name.
    pub display_name: &'a str,
    /// Username.
    pub username: &'a str,
    /// Phone.
    pub phone: &'a str,
    /// Placeholder email.
    pub placeholder_email: &'a str,
    /// External id.
    pub external_id: &'a str,
    /// Kind.
    pub kind: &'a str,
    /// State.
    pub state: &'a str,
    /// Organization.
    pub organization: &'a str,
    /// Groups.
    pub groups: &'a [String],
    /// Receives digests.
    pub receives_digests: Option<bool>,
    /// PIN (only in the PIN export).
    pub pin: &'a str,
    /// Language.
    pub language: &'a str,
    /// Department.
    pub department: &'a str,
    /// Job profile.
    pub job_profile: &'a str,
    /// Permission type.
    pub permission_type: &'a str,
    /// One-time password.
    pub one_time_password: &'a str,
    /// Last sign-in, as text.
    pub last_sign_in: &'a str,
    /// Effective permissions.
    pub permissions: &'a [String],
}

impl<'r> From<&'r UserRecord> for UserRow<'r> {
    fn from(r: &'r UserRecord) -> Self {
        UserRow {
            email: &r.email,
            first_name: &r.first_name,
            last_name: &r.last_name,
            display_name: &r.display_name,
            username: &r.username,
            phone: &r.phone,
            placeholder_email: &r.placeholder_email,
            external_id: &r.external_id,
            kind: &r.kind,
            state: &r.state,
            organization: &r.organization,
            groups: &r.groups,
            receives_digests: r.receives_digests,
            pin: &r.pin,
            language: &r.language,
            department: &r.department,
            job_profile: &r.job_profile,
            permission_type: &r.permission_type,
            one_time_password: &r.one_time_password,
            last_sign_in: &r.last_sign_in,
            permissions: &r.permissions,
        }
    }
}

/// `items` joined by `, ` into `buf`.
fn join_into<'a>(items: &[String], buf: &'a mut String) -> &'a str {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            buf.push_str(", ");
        }
        buf.push_str(item);
    }
    buf
}

impl<'r> UserRow<'r> {
    /// The text of a column that is a field as it is; `None` for the computed ones (groups,
    /// group count, permissions).
    fn field(&self, column: Column) -> Option<&'r str> {
        Some(match column {
            Column::Email => self.email,
            Column::FirstName => self.first_name,
            Column::LastName => self.last_name,
            Column::DisplayName => self.display_name,
            Column::Username => self.username,
            Column::Phone => self.phone,
            Column::PlaceholderEmail => self.placeholder_email,
            Column::ExternalId => self.external_id,
            Column::Kind => self.kind,
            Column::State => self.state,
            Column::Organization => self.organization,
            Column::ReceivesDigests => match self.receives_digests {
                Some(true) => "yes",
                Some(false) => "no",
                None => "",
            },
            Column::Pin => self.pin,
            Column::Language => self.language,
            Column::Department => self.department,
            Column::JobProfile => self.job_profile,
            Column::PermissionType => self.permission_type,
            Column::OneTimePassword => self.one_time_password,
            Column::LastSignIn => self.last_sign_in,
            Column::Groups | Column::GroupCount | Column::Permissions => return None,
        })
    }
}

impl ToRow for UserRow<'_> {
    fn cell(&self, column: Column) -> Cow<'_, str> {
        match self.field(column) {
            Some(text) => Cow::Borrowed(text),
            None => {
                let mut buf = String::new();
                self.cell_in(column, &mut buf);
                Cow::Owned(buf)
            }
        }
    }

    fn cell_in<'a>(&'a self, column: Column, buf: &'a mut String) -> &'a str {
        use std::fmt::Write as _;
        if let Some(text) = self.field(column) {
            return text;
        }
        match column {
            Column::Permissions => join_into(self.permissions, buf),
            Column::GroupCount => {
                // Writing a number into a String cannot fail.
                let _ = write!(buf, "{}", self.groups.len());
                buf
            }
            _ => join_into(self.groups, buf),
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
    // One buffer for every computed cell of the export.
    let mut buf = String::new();
    for row in rows {
        // Field by field straight into the writer's buffer; the empty record ends the row.
        for c in columns {
            buf.clear();
            let text = row.cell_in(*c, &mut buf);
            match neutralise(text) {
                Cow::Borrowed(text) => csv.write_field(text.as_bytes()),
                Cow::Owned(text) => csv.write_field(text.as_bytes()),
            }
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

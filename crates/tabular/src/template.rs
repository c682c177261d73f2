//! The import template of the workforce platform: generate it, validate a filled-in file against it, and
//! plan a one-time, insert-only import.

use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::io::Write;

use rust_xlsxwriter::{DataValidation, Formula, Workbook};
use tenantry_identity::{
    Email, Language, LoginKey, NamePart, Phone, PhoneRegion, Username, ValueError,
};

use crate::columns::{Column, ColumnSet, Headers};
use crate::error::TabularError;
use crate::escape::neutralise;
use crate::export::{CsvOptions, ToRow, export_csv};
use crate::read::Sheet;

/// The values the template's drop-down lists offer, from the organization.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Choices {
    /// Department names.
    pub departments: Vec<String>,
    /// Job profile names.
    pub job_profiles: Vec<String>,
    /// Permission types (role keys or names).
    pub permission_types: Vec<String>,
    /// Language tags.
    pub languages: Vec<String>,
}

/// A one-time password read from a sheet: redacted in `Debug`, wiped when dropped.
#[derive(Clone, PartialEq, Eq, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
pub struct SheetSecret(String);

impl SheetSecret {
    /// The text, to hand to the credentials crate.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SheetSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SheetSecret([redacted])")
    }
}

/// A valid row: a user to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewUser {
    /// The row number in the file.
    pub row: usize,
    /// First name.
    pub first_name: NamePart,
    /// Last name.
    pub last_name: NamePart,
    /// Job profile, as one of the choices.
    pub job_profile: Option<String>,
    /// Department, as one of the choices.
    pub department: Option<String>,
    /// Permission type, as one of the choices.
    pub permission_type: Option<String>,
    /// Email.
    pub email: Option<Email>,
    /// Username.
    pub username: Option<Username>,
    /// Phone.
    pub phone: Option<Phone>,
    /// Language.
    pub language: Option<Language>,
    /// A one-time password to give the user (workforce platform).
    pub one_time_password: Option<SheetSecret>,
}

impl NewUser {
    /// The login keys the user would own.
    pub fn keys(&self) -> Vec<LoginKey> {
        let mut keys = Vec::with_capacity(2);
        if let Some(e) = &self.email {
            keys.push(LoginKey::Email(e.key()));
        }
        if let Some(u) = &self.username {
            keys.push(LoginKey::Username(u.key()));
        }
        keys
    }
}

/// What is wrong with a row.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RowProblem {
    /// A value that does not validate.
    #[error("{0}")]
    Invalid(ValueError),
    /// A required cell is empty.
    #[error("is required")]
    Required,
    /// A value that is not one of the template's choices.
    #[error("is not one of the allowed values")]
    NotAChoice,
    /// Neither an email nor a username with a phone.
    #[error("needs an email, or a username and a phone")]
    NeedsEmailOrUsernameAndPhone,
    /// The same identifier in an earlier row of the file.
    #[error("repeats row {first_row}")]
    DuplicateInFile {
        /// The earlier row.
        first_row: usize,
    },
    /// A one-time password longer than 128 characters.
    #[error("is longer than 128 characters")]
    TooLong,
    /// The spreadsheet holds the cell as a date or time (Excel turns text such as `1.3` or
    /// `3-1` into a date as it is typed), so what the user typed is lost.
    #[error(
        "is a date in the spreadsheet, not text; format the column as text and type the value again"
    )]
    Date,
}

/// A rejected row: where, what, why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    /// The row number in the file.
    pub row: usize,
    /// The column, when one cell is at fault.
    pub column: Option<Column>,
    /// The cell as given (at most 100 characters; `[redacted]` for secret columns).
    pub value: String,
    /// Why.
    pub problem: RowProblem,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.column {
            Some(c) => write!(
                f,
                "row {}, {} {:?}: {}",
                self.row, c, self.value, self.problem
            ),
            None => write!(f, "row {}: {}", self.row, self.problem),
        }
    }
}

/// The result of validating a file: the valid rows and the rejected ones.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Valid rows.
    pub records: Vec<NewUser>,
    /// Rejected rows.
    pub errors: Vec<RowError>,
    /// Header cells that name no known column; their cells are ignored.
    pub ignored_columns: Vec<String>,
}

/// A row that is not imported because its user exists already (the import never overwrites).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// The row number.
    pub row: usize,
    /// The identifier that exists.
    pub existing: LoginKey,
}

/// The dry-run answer: what an import would create, skip and reject. Nothing is written
/// until the service commits `create`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportPlan {
    /// Rows to create.
    pub create: Vec<NewUser>,
    /// Rows whose user exists: skipped, never overwritten.
    pub skipped: Vec<Skipped>,
    /// Rows rejected by validation.
    pub rejected: Vec<RowError>,
}

/// Plans a one-time, insert-only import: valid rows whose identifiers `exists` knows are
/// skipped, the rest created.
pub fn plan(report: ImportReport, exists: impl Fn(&LoginKey) -> bool) -> ImportPlan {
    let mut out = ImportPlan {
        rejected: report.errors,
        ..ImportPlan::default()
    };
    for record in report.records {
        match record.keys().into_iter().find(|k| exists(k)) {
            Some(existing) => out.skipped.push(Skipped {
                row: record.row,
                existing,
            }),
            None => out.create.push(record),
        }
    }
    out
}

/// The import template: its columns, which are required, the drop-down choices, and the
/// region national phone numbers are read in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportTemplate {
    /// Columns, in order.
    pub columns: Vec<Column>,
    /// Columns whose cells must not be empty (email/username/phone are checked together).
    pub required: BTreeSet<Column>,
    /// The drop-down values.
    pub choices: Choices,
    /// The region of national phone numbers.
    pub phone_region: Option<PhoneRegion>,
}

/// A template's drop-down values as a cell is matched against them: trimmed and compared
/// without regard to case.
struct ChoiceList<'a> {
    /// The values as the template offers them.
    options: &'a [String],
    /// Each value trimmed and lowercased.
    lowered: Vec<String>,
}

impl<'a> ChoiceList<'a> {
    fn new(options: &'a [String]) -> Self {
        Self {
            options,
            lowered: options.iter().map(|o| o.trim().to_lowercase()).collect(),
        }
    }

    fn is_empty(&self) -> bool {
        self.options.is_empty()
    }

    /// The offered value that `cell` names, if any.
    fn find(&self, cell: &str) -> Option<&'a str> {
        // An ASCII cell lowercases byte by byte, so it is compared without a lowercased copy.
        let position = if cell.is_ascii() {
            self.lowered
                .iter()
                .position(|o| o.eq_ignore_ascii_case(cell))
        } else {
            let cell = cell.to_lowercase();
            self.lowered.iter().position(|o| *o == cell)
        };
        position
            .and_then(|i| self.options.get(i))
            .map(String::as_str)
    }
}

/// Rows of the XLSX template that carry drop-down lists.
pub const TEMPLATE_ROWS: u32 = 10_000;

struct Empty;

impl ToRow for Empty {
    fn cell(&self, _: Column) -> std::borrow::Cow<'_, str> {
        "".into()
    }
}

impl ImportTemplate {
    /// The workforce platform's template: first name, last name, job profile, department, permission type,
    /// email or username + phone, language (all required) and an optional one-time password.
    pub fn workforce(choices: Choices, phone_region: Option<PhoneRegion>) -> Self {
        Self {
            columns: ColumnSet::IMPORT_TEMPLATE.to_vec(),
            required: [
                Column::FirstName,
                Column::LastName,
                Column::JobProfile,
                Column::Department,
                Column::PermissionType,
                Column::Language,
            ]
            .into(),
            choices,
            phone_region,
        }
    }

    /// Writes the template as CSV: the header row only.
    pub fn write_csv<W: Write>(
        &self,
        writer: W,
        headers: &Headers,
        options: CsvOptions,
    ) -> Result<(), TabularError> {
        export_csv(
            writer,
            &self.columns,
            headers,
            std::iter::empty::<Empty>(),
            options,
        )
        .map(|_| ())
    }

    /// Writes the template as XLSX: the header row, drop-down lists for department, job
    /// profile, permission type and language (values on a hidden `Lists` sheet), and every
    /// cell formatted as text so phone numbers keep their leading zeros.
    pub fn write_xlsx<W: Write + Send>(
        &self,
        writer: W,
        headers: &Headers,
    ) -> Result<(), TabularError> {
        let mut workbook = Workbook::new();
        let text = rust_xlsxwriter::Format::new().set_num_format("@");
        let lists: [(Column, &Vec<String>); 4] = [
            (Column::Department, &self.choices.departments),
            (Column::JobProfile, &self.choices.job_profiles),
            (Column::PermissionType, &self.choices.permission_types),
            (Column::Language, &self.choices.languages),
        ];
        {
            let sheet = workbook.add_worksheet();
            sheet.set_name("Users")?;
            for (ci, c) in self.columns.iter().enumerate() {
                sheet.write_string(0, ci as u16, neutralise(headers.get(*c)).as_ref())?;
                sheet.set_column_width(ci as u16, 22)?;
                sheet.set_column_format(ci as u16, &text)?;
                if let Some((li, (_, values))) = lists
                    .iter()
                    .enumerate()
                    .find(|(_, (lc, v))| lc == c && !v.is_empty())
                {
                    let letter = char::from(b'A' + li as u8);
                    let range = format!("=Lists!${letter}$2:${letter}${}", values.len() + 1);
                    let validation = DataValidation::new()
                        .allow_list_formula(Formula::new(range))
                        .set_error_message(format!(
                            "Choose a value from the list ({}).",
                            headers.get(*c)
                        ))?;
                    sheet.add_data_validation(
                        1,
                        ci as u16,
                        TEMPLATE_ROWS,
                        ci as u16,
                        &validation,
                    )?;
                }
            }
        }
        let sheet = workbook.add_worksheet();
        sheet.set_name("Lists")?;
        for (li, (c, values)) in lists.iter().enumerate() {
            sheet.write_string(0, li as u16, headers.get(*c))?;
            for (vi, v) in values.iter().enumerate() {
                sheet.write_string(vi as u32 + 1, li as u16, neutralise(v).as_ref())?;
            }
        }
        sheet.set_hidden(true);
        workbook.save_to_writer(writer)?;
        Ok(())
    }

    /// Validates a read file against the template: headers matched case-insensitively in
    /// English or German; each row to a [`NewUser`] or [`RowError`]s; duplicates inside the
    /// file found. Missing required columns fail the whole file.
    pub fn validate(&self, sheet: &Sheet) -> Result<ImportReport, TabularError> {
        let mut index: HashMap<Column, usize> = HashMap::new();
        let mut ignored = Vec::new();
        for (i, h) in sheet.headers.iter().enumerate() {
            match Column::from_header(h).filter(|c| self.columns.contains(c)) {
                Some(c) => {
                    if index.insert(c, i).is_some() {
                        return Err(TabularError::DuplicateColumn(c));
                    }
                }
                None if h.trim().is_empty() => {}
                None => ignored.push(h.clone()),
            }
        }
        let mut missing: Vec<Column> = self
            .columns
            .iter()
            .copied()
            .filter(|c| self.required.contains(c) && !index.contains_key(c))
            .collect();
        let has_email = index.contains_key(&Column::Email);
        let has_user_phone =
            index.contains_key(&Column::Username) && index.contains_key(&Column::Phone);
        if !has_email && !has_user_phone {
            missing.push(if index.contains_key(&Column::Username) {
                Column::Phone
            } else {
                Column::Email
            });
        }
        if !missing.is_empty() {
            return Err(TabularError::MissingColumns(missing));
        }

        // Dense tables for the per-cell look-ups (columns are a small, closed enum).
        let position: [Option<usize>; Column::ALL.len()] =
            Column::ALL.map(|c| index.get(&c).copied());
        let is_required: [bool; Column::ALL.len()] =
            Column::ALL.map(|c| self.required.contains(&c));
        let mut report = ImportReport {
            records: Vec::with_capacity(sheet.rows.len()),
            errors: Vec::new(),
            ignored_columns: ignored,
        };
        let mut seen: HashMap<LoginKey, usize> = HashMap::with_capacity(sheet.rows.len() * 2);
        // The choices as each row compares them, prepared once for the file.
        let job_profiles = ChoiceList::new(&self.choices.job_profiles);
        let departments = ChoiceList::new(&self.choices.departments);
        let permission_types = ChoiceList::new(&self.choices.permission_types);
        let languages: Vec<Language> = self
            .choices
            .languages
            .iter()
            .filter_map(|c| Language::parse(c).ok())
            .collect();
        let date_cells: HashSet<(usize, usize)> = sheet.date_cells.iter().copied().collect();
        for (row, cells) in &sheet.rows {
            if cells.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            // A date in any of the template's columns (none of them holds dates) is not what
            // the user typed: the row is rejected, naming each such cell.
            let dates: Vec<RowError> = Column::ALL
                .iter()
                .filter(|c| position[**c as usize].is_some_and(|i| date_cells.contains(&(*row, i))))
                .map(|c| RowError {
                    row: *row,
                    column: Some(*c),
                    value: if c.is_secret() {
                        "[redacted]".to_owned()
                    } else {
                        position[*c as usize]
                            .and_then(|i| cells.get(i))
                            .map_or_else(String::new, |v| v.chars().take(100).collect())
                    },
                    problem: RowProblem::Date,
                })
                .collect();
            if !dates.is_empty() {
                report.errors.extend(dates);
                continue;
            }
            // Each cell of the template's columns, trimmed once for the row.
            let text: [&str; Column::ALL.len()] =
                position.map(|p| p.and_then(|i| cells.get(i)).map_or("", |s| s.trim()));
            let get = |c: Column| text[c as usize];
            let mut errors = Vec::new();
            let mut fail = |column: Option<Column>, problem: RowProblem| {
                let value = match column {
                    Some(c) if c.is_secret() => "[redacted]".to_owned(),
                    Some(c) => get(c).chars().take(100).collect(),
                    None => String::new(),
                };
                errors.push(RowError {
                    row: *row,
                    column,
                    value,
                    problem,
                });
            };
            let required = |c: Column, fail: &mut dyn FnMut(Option<Column>, RowProblem)| -> bool {
                if is_required[c as usize] && get(c).is_empty() {
                    fail(Some(c), RowProblem::Required);
                    return false;
                }
                true
            };
            let name =
                |c: Column, fail: &mut dyn FnMut(Option<Column>, RowProblem)| -> Option<NamePart> {
                    match NamePart::parse(get(c)) {
                        Ok(n) => Some(n),
                        Err(_) if get(c).is_empty() => {
                            fail(Some(c), RowProblem::Required);
                            None
                        }
                        Err(e) => {
                            fail(Some(c), RowProblem::Invalid(e));
                            None
                        }
                    }
                };
            let first_name = name(Column::FirstName, &mut fail);
            let last_name = name(Column::LastName, &mut fail);
            let choice = |c: Column,
                          options: &ChoiceList<'_>,
                          fail: &mut dyn FnMut(Option<Column>, RowProblem)|
             -> Option<String> {
                if !required(c, fail) {
                    return None;
                }
                let v = get(c);
                if v.is_empty() {
                    return None;
                }
                if options.is_empty() {
                    return Some(v.to_owned());
                }
                match options.find(v) {
                    Some(o) => Some(o.to_owned()),
                    None => {
                        fail(Some(c), RowProblem::NotAChoice);
                        None
                    }
                }
            };
            let job_profile = choice(Column::JobProfile, &job_profiles, &mut fail);
            let department = choice(Column::Department, &departments, &mut fail);
            let permission_type = choice(Column::PermissionType, &permission_types, &mut fail);
            let value =
                |c: Column, fail: &mut dyn FnMut(Option<Column>, RowProblem)| -> Option<&str> {
                    let v = get(c);
                    if v.is_empty() {
                        required(c, fail);
                        None
                    } else {
                        Some(v)
                    }
                };
            let email = value(Column::Email, &mut fail).and_then(|v| {
                Email::parse(v)
                    .map_err(|e| fail(Some(Column::Email), RowProblem::Invalid(e)))
                    .ok()
            });
            let username = value(Column::Username, &mut fail).and_then(|v| {
                Username::parse(v)
                    .map_err(|e| fail(Some(Column::Username), RowProblem::Invalid(e)))
                    .ok()
            });
            let phone = value(Column::Phone, &mut fail).and_then(|v| {
                Phone::parse_with_region(v, self.phone_region)
                    .map_err(|e| fail(Some(Column::Phone), RowProblem::Invalid(e)))
                    .ok()
            });
            let language =
                value(Column::Language, &mut fail).and_then(|v| match Language::parse(v) {
                    Err(e) => {
                        fail(Some(Column::Language), RowProblem::Invalid(e));
                        None
                    }
                    Ok(l) if !self.choices.languages.is_empty() && !languages.contains(&l) => {
                        fail(Some(Column::Language), RowProblem::NotAChoice);
                        None
                    }
                    Ok(l) => Some(l),
                });
            let one_time_password = value(Column::OneTimePassword, &mut fail).and_then(|v| {
                if v.chars().count() > 128 {
                    fail(Some(Column::OneTimePassword), RowProblem::TooLong);
                    None
                } else {
                    Some(SheetSecret(v.to_owned()))
                }
            });
            let identifiers_given = !get(Column::Email).is_empty()
                || (!get(Column::Username).is_empty() && !get(Column::Phone).is_empty());
            if !identifiers_given {
                fail(None, RowProblem::NeedsEmailOrUsernameAndPhone);
            }
            if !errors.is_empty() {
                report.errors.extend(errors);
                continue;
            }
            let (Some(first_name), Some(last_name)) = (first_name, last_name) else {
                continue;
            };
            let record = NewUser {
                row: *row,
                first_name,
                last_name,
                job_profile,
                department,
                permission_type,
                email,
                username,
                phone,
                language,
                one_time_password,
            };
            // Each key is looked up and registered in one step; a row that repeats an
            // earlier one takes back the keys it registered before the repeated one.
            let mut registered = 0;
            let mut duplicate = None;
            for key in record.keys() {
                match seen.entry(key) {
                    Entry::Vacant(slot) => {
                        slot.insert(*row);
                        registered += 1;
                    }
                    Entry::Occupied(earlier) => {
                        duplicate = Some((*earlier.get(), earlier.key().clone()));
                        break;
                    }
                }
            }
            let Some((first_row, key)) = duplicate else {
                report.records.push(record);
                continue;
            };
            for taken in record.keys().iter().take(registered) {
                seen.remove(taken);
            }
            let column = if matches!(key, LoginKey::Username(_)) {
                Column::Username
            } else {
                Column::Email
            };
            report.errors.push(RowError {
                row: *row,
                column: Some(column),
                value: key.as_str().chars().take(100).collect(),
                problem: RowProblem::DuplicateInFile { first_row },
            });
        }
        Ok(report)
    }
}

//! Columns, headers in English and German, and the column sets of the seeds.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// A column of a user list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Column {
    /// Email address.
    Email,
    /// First name.
    FirstName,
    /// Last name.
    LastName,
    /// Display name.
    DisplayName,
    /// Username.
    Username,
    /// Phone number.
    Phone,
    /// A PIN user's placeholder email.
    PlaceholderEmail,
    /// External id.
    ExternalId,
    /// User kind.
    Kind,
    /// Account state.
    State,
    /// Organization name.
    Organization,
    /// Group names.
    Groups,
    /// Number of groups (the social intranet's consumer export).
    GroupCount,
    /// Whether digests are received (the social intranet's consumer export).
    ReceivesDigests,
    /// A PIN user's PIN (the social intranet's PIN export).
    Pin,
    /// Language.
    Language,
    /// Department.
    Department,
    /// Job profile.
    JobProfile,
    /// Permission type (a role key).
    PermissionType,
    /// One-time password (the workforce platform's import template).
    OneTimePassword,
    /// Last sign-in time (access reviews).
    LastSignIn,
    /// Effective permissions (access reviews).
    Permissions,
}

impl Column {
    /// Every column.
    pub const ALL: [Column; 22] = [
        Column::Email,
        Column::FirstName,
        Column::LastName,
        Column::DisplayName,
        Column::Username,
        Column::Phone,
        Column::PlaceholderEmail,
        Column::ExternalId,
        Column::Kind,
        Column::State,
        Column::Organization,
        Column::Groups,
        Column::GroupCount,
        Column::ReceivesDigests,
        Column::Pin,
        Column::Language,
        Column::Department,
        Column::JobProfile,
        Column::PermissionType,
        Column::OneTimePassword,
        Column::LastSignIn,
        Column::Permissions,
    ];

    /// The stable key.
    pub const fn key(self) -> &'static str {
        match self {
            Column::Email => "email",
            Column::FirstName => "first_name",
            Column::LastName => "last_name",
            Column::DisplayName => "display_name",
            Column::Username => "username",
            Column::Phone => "phone",
            Column::PlaceholderEmail => "placeholder_email",
            Column::ExternalId => "external_id",
            Column::Kind => "kind",
            Column::State => "state",
            Column::Organization => "organization",
            Column::Groups => "groups",
            Column::GroupCount => "group_count",
            Column::ReceivesDigests => "receives_digests",
            Column::Pin => "pin",
            Column::Language => "language",
            Column::Department => "department",
            Column::JobProfile => "job_profile",
            Column::PermissionType => "permission_type",
            Column::OneTimePassword => "one_time_password",
            Column::LastSignIn => "last_sign_in",
            Column::Permissions => "permissions",
        }
    }

    /// The built-in header in `lang`.
    pub const fn header(self, lang: Lang) -> &'static str {
        match lang {
            Lang::En => match self {
                Column::Email => "Email",
                Column::FirstName => "First name",
                Column::LastName => "Last name",
                Column::DisplayName => "Display name",
                Column::Username => "Username",
                Column::Phone => "Phone",
                Column::PlaceholderEmail => "Placeholder email",
                Column::ExternalId => "External ID",
                Column::Kind => "User type",
                Column::State => "Status",
                Column::Organization => "Organization",
                Column::Groups => "Groups",
                Column::GroupCount => "Number of groups",
                Column::ReceivesDigests => "Receives digests",
                Column::Pin => "PIN",
                Column::Language => "Language",
                Column::Department => "Department",
                Column::JobProfile => "Job profile",
                Column::PermissionType => "Permission type",
                Column::OneTimePassword => "One-time password",
                Column::LastSignIn => "Last sign-in",
                Column::Permissions => "Permissions",
            },
            Lang::De => match self {
                Column::Email => "E-Mail",
                Column::FirstName => "Vorname",
                Column::LastName => "Nachname",
                Column::DisplayName => "Anzeigename",
                Column::Username => "Benutzername",
                Column::Phone => "Telefon",
                Column::PlaceholderEmail => "Platzhalter-E-Mail",
                Column::ExternalId => "Externe ID",
                Column::Kind => "Benutzertyp",
                Column::State => "Status",
                Column::Organization => "Organisation",
                Column::Groups => "Gruppen",
                Column::GroupCount => "Anzahl Gruppen",
                Column::ReceivesDigests => "Erhält Digests",
                Column::Pin => "PIN",
                Column::Language => "Sprache",
                Column::Department => "Abteilung",
                Column::JobProfile => "Jobprofil",
                Column::PermissionType => "Berechtigungstyp",
                Column::OneTimePassword => "Einmalpasswort",
                Column::LastSignIn => "Letzte Anmeldung",
                Column::Permissions => "Berechtigungen",
            },
        }
    }

    /// The column a header names, in either language or as its key, ignoring case and
    /// surrounding spaces.
    pub fn from_header(header: &str) -> Option<Column> {
        let h = header.trim();
        Column::ALL.into_iter().find(|c| {
            c.key().eq_ignore_ascii_case(h)
                || [Lang::En, Lang::De]
                    .iter()
                    .any(|l| c.header(*l).to_lowercase() == h.to_lowercase())
        })
    }

    /// Whether the column carries a secret that reports must not echo.
    pub const fn is_secret(self) -> bool {
        matches!(self, Column::Pin | Column::OneTimePassword)
    }
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// A header language.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// German.
    De,
}

/// Headers for an export or template: a language, and any headers the host words itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Headers {
    /// The language of the built-in headers.
    pub lang: Lang,
    /// Host-chosen headers that replace built-in ones.
    pub overrides: BTreeMap<Column, String>,
}

impl Headers {
    /// Built-in headers in `lang`.
    pub fn new(lang: Lang) -> Self {
        Self {
            lang,
            overrides: BTreeMap::new(),
        }
    }

    /// The header of `column`.
    pub fn get(&self, column: Column) -> &str {
        self.overrides
            .get(&column)
            .map_or(column.header(self.lang), String::as_str)
    }
}

/// The column sets of the seeds; hosts may pass any other list in any order.
pub struct ColumnSet;

impl ColumnSet {
    /// The social intranet's consumer export.
    pub const CONSUMERS: &'static [Column] = &[
        Column::Email,
        Column::FirstName,
        Column::LastName,
        Column::GroupCount,
        Column::ReceivesDigests,
    ];
    /// The social intranet's PIN-user export, with the PINs.
    pub const PIN_USERS: &'static [Column] = &[
        Column::PlaceholderEmail,
        Column::FirstName,
        Column::LastName,
        Column::ExternalId,
        Column::Pin,
    ];
    /// A general user list. PIN users, who have neither email nor username, are told apart
    /// by their placeholder email and external id.
    pub const USERS: &'static [Column] = &[
        Column::Email,
        Column::Username,
        Column::PlaceholderEmail,
        Column::ExternalId,
        Column::FirstName,
        Column::LastName,
        Column::Phone,
        Column::Kind,
        Column::State,
        Column::Organization,
        Column::Groups,
    ];
    /// The agency's access review: every user with kind, state, last sign-in and permissions
    /// (PIN users told apart by placeholder email and external id, as in [`ColumnSet::USERS`]).
    pub const ACCESS_REVIEW: &'static [Column] = &[
        Column::Email,
        Column::Username,
        Column::PlaceholderEmail,
        Column::ExternalId,
        Column::FirstName,
        Column::LastName,
        Column::Kind,
        Column::State,
        Column::LastSignIn,
        Column::Permissions,
    ];
    /// The workforce platform's import template.
    pub const IMPORT_TEMPLATE: &'static [Column] = &[
        Column::FirstName,
        Column::LastName,
        Column::JobProfile,
        Column::Department,
        Column::PermissionType,
        Column::Email,
        Column::Username,
        Column::Phone,
        Column::Language,
        Column::OneTimePassword,
    ];
}

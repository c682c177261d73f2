//! Users: their kind, profile and login identifiers, and the rules that tie them together.

use std::collections::BTreeSet;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::email::Email;
use crate::error::{IdentifierField, ModelError, ValueError};
use crate::ids::{DepartmentId, JobProfileId, OrgId, UserId};
use crate::kind::UserKind;
use crate::language::Language;
use crate::location::LocationAccess;
use crate::phone::Phone;
use crate::text::{Attributes, AvatarRef, DisplayName, ExternalId, NamePart};
use crate::username::Username;

/// What a user is called and how to reach them, apart from the login identifiers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Profile {
    /// First name.
    pub first_name: Option<NamePart>,
    /// Last name.
    pub last_name: Option<NamePart>,
    /// A display name chosen instead of "first last".
    pub display_name: Option<DisplayName>,
    /// A phone number for SMS (activation codes, the workforce platform).
    pub phone: Option<Phone>,
    /// Preferred language for messages.
    pub language: Option<Language>,
    /// Job profile (workforce platform).
    pub job_profile: Option<JobProfileId>,
    /// Department (workforce platform).
    pub department: Option<DepartmentId>,
    /// Avatar image reference (the agency's profile photo).
    pub avatar: Option<AvatarRef>,
    /// Host-defined attributes.
    pub attributes: Attributes,
}

/// The identifiers a user can be found and signed in by.
///
/// Real and placeholder emails share one namespace (no two users have the same address of
/// either sort); usernames have their own; external ids theirs. All but external ids are
/// matched case-insensitively (see [`LoginKey`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LoginIdentifiers {
    /// A real email address with a mailbox.
    pub email: Option<Email>,
    /// A username (the workforce platform: "username + phone").
    pub username: Option<Username>,
    /// The generated address of a PIN user (no mailbox behind it; the social intranet).
    pub placeholder_email: Option<Email>,
    /// The id another system knows this user by.
    pub external_id: Option<ExternalId>,
    /// The email-shaped name a provisioning system knows the user by when it is not their
    /// email: SCIM's `userName` as Entra ID sends it (the user principal name, `UPN`) and
    /// Okta (its username), which need not be the mailbox. It shares the email namespace
    /// (no one else has it as an address or a principal name), so provisioning looks the
    /// user up by it; signing in with it is for organizations that allow it
    /// (`OrgSettings::principal_name_sign_in`). Never given to PIN users.
    pub principal_name: Option<Email>,
}

/// A key under which a login identifier is unique: what a store indexes and looks up.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "key", rename_all = "snake_case")]
pub enum LoginKey {
    /// A lowercased real or placeholder email address.
    Email(String),
    /// A lowercased username.
    Username(String),
    /// An external id, exactly as given.
    ExternalId(String),
}

impl LoginKey {
    /// The key text.
    pub fn as_str(&self) -> &str {
        match self {
            LoginKey::Email(k) | LoginKey::Username(k) | LoginKey::ExternalId(k) => k,
        }
    }
}

impl LoginIdentifiers {
    /// The keys this user must own exclusively.
    pub fn keys(&self) -> Vec<LoginKey> {
        let mut keys = Vec::with_capacity(4);
        if let Some(e) = &self.email {
            keys.push(LoginKey::Email(e.key()));
        }
        if let Some(e) = &self.placeholder_email {
            keys.push(LoginKey::Email(e.key()));
        }
        if let Some(u) = &self.username {
            keys.push(LoginKey::Username(u.key()));
        }
        if let Some(x) = &self.external_id {
            keys.push(LoginKey::ExternalId(x.as_str().to_owned()));
        }
        if let Some(p) = &self.principal_name {
            let key = LoginKey::Email(p.key());
            // The same address as the email is one key, not two.
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        keys
    }

    /// Whether `key` is this user's only because of the principal name: signing in with it
    /// needs the organization's consent (`OrgSettings::principal_name_sign_in`).
    pub fn is_principal_name_only(&self, key: &LoginKey) -> bool {
        let email_key = |e: &Option<Email>| e.as_ref().map(|e| LoginKey::Email(e.key()));
        self.principal_name.is_some()
            && email_key(&self.principal_name).as_ref() == Some(key)
            && email_key(&self.email).as_ref() != Some(key)
            && email_key(&self.placeholder_email).as_ref() != Some(key)
    }
}

/// What a person types into a sign-in form: an email address (it has an `@`) or a username.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum LoginIdentifier {
    /// An email address, real or placeholder.
    Email(Email),
    /// A username.
    Username(Username),
}

impl LoginIdentifier {
    /// Reads a sign-in input: with an `@` it must be an email address, else a username.
    pub fn parse(input: &str) -> Result<Self, ValueError> {
        if input.contains('@') {
            Email::parse(input).map(LoginIdentifier::Email)
        } else {
            Username::parse(input).map(LoginIdentifier::Username)
        }
    }

    /// The key to look the user up by.
    pub fn key(&self) -> LoginKey {
        match self {
            LoginIdentifier::Email(e) => LoginKey::Email(e.key()),
            LoginIdentifier::Username(u) => LoginKey::Username(u.key()),
        }
    }
}

/// A profile field an organization can make mandatory (the workforce platform's required information).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ProfileField {
    /// First name.
    FirstName,
    /// Last name.
    LastName,
    /// A real email address.
    Email,
    /// A phone number.
    Phone,
    /// Language.
    Language,
    /// Job profile.
    JobProfile,
    /// Department.
    Department,
    /// External id.
    ExternalId,
}

impl ProfileField {
    /// The stable snake_case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            ProfileField::FirstName => "first_name",
            ProfileField::LastName => "last_name",
            ProfileField::Email => "email",
            ProfileField::Phone => "phone",
            ProfileField::Language => "language",
            ProfileField::JobProfile => "job_profile",
            ProfileField::Department => "department",
            ProfileField::ExternalId => "external_id",
        }
    }

    fn is_filled(self, user: &User) -> bool {
        let p = &user.profile;
        match self {
            ProfileField::FirstName => p.first_name.is_some(),
            ProfileField::LastName => p.last_name.is_some(),
            ProfileField::Email => user.identifiers.email.is_some(),
            ProfileField::Phone => p.phone.is_some(),
            ProfileField::Language => p.language.is_some(),
            ProfileField::JobProfile => p.job_profile.is_some(),
            ProfileField::Department => p.department.is_some(),
            ProfileField::ExternalId => user.identifiers.external_id.is_some(),
        }
    }
}

impl fmt::Display for ProfileField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The profile fields an organization requires of its standard users, on top of what the
/// user's kind requires anyway.
///
/// The workforce platform's list (first name, last name, job profile, department, language, and "email or
/// username + phone", which every standard user needs already) is [`RequiredFields::workforce`].
/// Its "permission type" is a grant, checked by the directory service, not a profile field.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RequiredFields(BTreeSet<ProfileField>);

impl RequiredFields {
    /// Nothing beyond the kind's own rules.
    pub fn none() -> Self {
        Self::default()
    }

    /// The workforce platform's required information.
    pub fn workforce() -> Self {
        Self::from_iter([
            ProfileField::FirstName,
            ProfileField::LastName,
            ProfileField::JobProfile,
            ProfileField::Department,
            ProfileField::Language,
        ])
    }

    /// Adds a required field.
    pub fn require(&mut self, field: ProfileField) -> &mut Self {
        self.0.insert(field);
        self
    }

    /// Whether `field` is required.
    pub fn contains(&self, field: ProfileField) -> bool {
        self.0.contains(&field)
    }

    /// The required fields, in order.
    pub fn iter(&self) -> impl Iterator<Item = ProfileField> + '_ {
        self.0.iter().copied()
    }

    /// Checks `user` has every required field. Applies to standard users only: guests,
    /// consumers and PIN users are created from less (an email and a name, or a name and an
    /// external id) by design of the seeds.
    pub fn check(&self, user: &User) -> Result<(), ModelError> {
        if user.kind != UserKind::Standard {
            return Ok(());
        }
        let missing: Vec<ProfileField> = self.iter().filter(|f| !f.is_filled(user)).collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(ModelError::MissingRequiredFields { missing })
        }
    }
}

impl FromIterator<ProfileField> for RequiredFields {
    fn from_iter<T: IntoIterator<Item = ProfileField>>(iter: T) -> Self {
        Self(iter.into_iter().collect())
    }
}

/// The plain fields of a [`User`], with no rule enforced: how a user is serialized, stored
/// and read back. [`User::from_parts`] checks the rules.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserParts {
    /// The user's id.
    pub id: UserId,
    /// The organization the user belongs to.
    pub org: OrgId,
    /// The kind of account.
    pub kind: UserKind,
    /// Name, phone, language and the rest.
    #[serde(default)]
    pub profile: Profile,
    /// Email, username, placeholder email, external id.
    #[serde(default)]
    pub identifiers: LoginIdentifiers,
    /// Which locations the user may file requests for (help desk).
    #[serde(default)]
    pub location_access: LocationAccess,
    /// When the user was created.
    pub created_at: DateTime<Utc>,
    /// When the user was last changed.
    pub updated_at: DateTime<Utc>,
    /// The version the store holds; bumped by the store on every committed change.
    #[serde(default)]
    pub version: u64,
}

/// A user of any kind, always consistent with the rules of its kind:
///
/// - a **standard** or **guest** user has an email, or a username and a phone (workforce platform), and
///   no placeholder email;
/// - a **consumer** has an email and no placeholder email;
/// - a **PIN** user has a placeholder email and an external id, and no real email (social intranet).
///
/// Account state (invited, active, blocked, ...) is not here: it belongs to
/// `tenantry-lifecycle`, and the directory service stores the two side by side.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "UserParts", into = "UserParts")]
pub struct User {
    id: UserId,
    org: OrgId,
    kind: UserKind,
    profile: Profile,
    identifiers: LoginIdentifiers,
    location_access: LocationAccess,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    version: u64,
}

fn check_kind(kind: UserKind, ids: &LoginIdentifiers, profile: &Profile) -> Result<(), ModelError> {
    let forbid = |field| Err(ModelError::ForbiddenIdentifier { kind, field });
    match kind {
        UserKind::Standard | UserKind::Guest => {
            if ids.placeholder_email.is_some() {
                return forbid(IdentifierField::PlaceholderEmail);
            }
            if ids.email.is_none() && (ids.username.is_none() || profile.phone.is_none()) {
                return Err(ModelError::MissingIdentifier {
                    kind,
                    needs: "an email, or a username and a phone",
                });
            }
        }
        UserKind::Consumer => {
            if ids.placeholder_email.is_some() {
                return forbid(IdentifierField::PlaceholderEmail);
            }
            if ids.email.is_none() {
                return Err(ModelError::MissingIdentifier {
                    kind,
                    needs: "an email",
                });
            }
        }
        UserKind::Pin => {
            if ids.email.is_some() {
                return forbid(IdentifierField::Email);
            }
            if ids.principal_name.is_some() {
                return forbid(IdentifierField::PrincipalName);
            }
            if ids.placeholder_email.is_none() || ids.external_id.is_none() {
                return Err(ModelError::MissingIdentifier {
                    kind,
                    needs: "a placeholder email and an external id",
                });
            }
        }
    }
    Ok(())
}

impl User {
    /// A new user at version 0, checked against the rules of its kind.
    pub fn new(
        id: UserId,
        org: OrgId,
        kind: UserKind,
        profile: Profile,
        identifiers: LoginIdentifiers,
        now: DateTime<Utc>,
    ) -> Result<Self, ModelError> {
        Self::from_parts(UserParts {
            id,
            org,
            kind,
            profile,
            identifiers,
            location_access: LocationAccess::default(),
            created_at: now,
            updated_at: now,
            version: 0,
        })
    }

    /// A user from its stored parts, checked against the rules of its kind.
    pub fn from_parts(parts: UserParts) -> Result<Self, ModelError> {
        check_kind(parts.kind, &parts.identifiers, &parts.profile)?;
        Ok(Self {
            id: parts.id,
            org: parts.org,
            kind: parts.kind,
            profile: parts.profile,
            identifiers: parts.identifiers,
            location_access: parts.location_access,
            created_at: parts.created_at,
            updated_at: parts.updated_at,
            version: parts.version,
        })
    }

    /// The plain fields.
    pub fn into_parts(self) -> UserParts {
        UserParts {
            id: self.id,
            org: self.org,
            kind: self.kind,
            profile: self.profile,
            identifiers: self.identifiers,
            location_access: self.location_access,
            created_at: self.created_at,
            updated_at: self.updated_at,
            version: self.version,
        }
    }

    /// The id.
    pub fn id(&self) -> UserId {
        self.id
    }

    /// The organization the user belongs to.
    pub fn org(&self) -> OrgId {
        self.org
    }

    /// The kind.
    pub fn kind(&self) -> UserKind {
        self.kind
    }

    /// The profile.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The login identifiers.
    pub fn identifiers(&self) -> &LoginIdentifiers {
        &self.identifiers
    }

    /// Which locations the user may file requests for.
    pub fn location_access(&self) -> &LocationAccess {
        &self.location_access
    }

    /// When the user was created.
    pub fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }

    /// When the user was last changed.
    pub fn updated_at(&self) -> DateTime<Utc> {
        self.updated_at
    }

    /// The stored version (optimistic concurrency).
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Sets the version; for store implementations after a commit.
    pub fn set_version(&mut self, version: u64) {
        self.version = version;
    }

    /// The address mail goes to: the real email; never the placeholder of a PIN user.
    pub fn mailbox(&self) -> Option<&Email> {
        if self.kind.has_mailbox() {
            self.identifiers.email.as_ref()
        } else {
            None
        }
    }

    /// The address the user signs in with: the real email, or a PIN user's placeholder.
    pub fn sign_in_email(&self) -> Option<&Email> {
        self.identifiers
            .email
            .as_ref()
            .or(self.identifiers.placeholder_email.as_ref())
    }

    /// The name to show: the display name, else "first last", else the username, else the
    /// local part of the sign-in address.
    pub fn display_name(&self) -> String {
        let p = &self.profile;
        if let Some(d) = &p.display_name {
            return d.as_str().to_owned();
        }
        let parts: Vec<&str> = [&p.first_name, &p.last_name]
            .into_iter()
            .flatten()
            .map(NamePart::as_str)
            .collect();
        if !parts.is_empty() {
            return parts.join(" ");
        }
        if let Some(u) = &self.identifiers.username {
            return u.as_str().to_owned();
        }
        self.sign_in_email()
            .map(|e| e.local_part().to_owned())
            .unwrap_or_default()
    }

    /// Whether `identifier` is one of this user's.
    pub fn has_login(&self, identifier: &LoginIdentifier) -> bool {
        self.identifiers.keys().contains(&identifier.key())
    }

    /// Replaces the profile; the kind's rules must still hold (a username-only standard
    /// user keeps a phone).
    pub fn set_profile(&mut self, profile: Profile, now: DateTime<Utc>) -> Result<(), ModelError> {
        check_kind(self.kind, &self.identifiers, &profile)?;
        self.profile = profile;
        self.updated_at = now;
        Ok(())
    }

    /// Replaces the login identifiers (an email added later, the workforce platform's FAQ); the kind's
    /// rules must still hold. Uniqueness is the store's to enforce.
    pub fn set_identifiers(
        &mut self,
        identifiers: LoginIdentifiers,
        now: DateTime<Utc>,
    ) -> Result<(), ModelError> {
        check_kind(self.kind, &identifiers, &self.profile)?;
        self.identifiers = identifiers;
        self.updated_at = now;
        Ok(())
    }

    /// Changes the kind (a consumer who registers becomes a standard user; a guest may be
    /// promoted); the new kind's rules must hold.
    pub fn set_kind(&mut self, kind: UserKind, now: DateTime<Utc>) -> Result<(), ModelError> {
        check_kind(kind, &self.identifiers, &self.profile)?;
        self.kind = kind;
        self.updated_at = now;
        Ok(())
    }

    /// Replaces the location access.
    pub fn set_location_access(&mut self, access: LocationAccess, now: DateTime<Utc>) {
        self.location_access = access;
        self.updated_at = now;
    }

    /// Moves the user to another organization.
    pub fn set_org(&mut self, org: OrgId, now: DateTime<Utc>) {
        self.org = org;
        self.updated_at = now;
    }
}

impl TryFrom<UserParts> for User {
    type Error = ModelError;
    fn try_from(parts: UserParts) -> Result<Self, ModelError> {
        User::from_parts(parts)
    }
}

impl From<User> for UserParts {
    fn from(user: User) -> Self {
        user.into_parts()
    }
}

//! The crate's errors: [`ValueError`] for validated values and ids, [`ModelError`] for the
//! rules of the model (kinds, trees, groups).

use std::fmt;

use crate::ids::{GroupId, OrgId, UserId};
use crate::kind::UserKind;

/// Which value a [`ValueError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ValueKind {
    /// An email address.
    Email,
    /// The domain of an email address, or a configured placeholder domain.
    EmailDomain,
    /// A username.
    Username,
    /// A phone number.
    Phone,
    /// A phone region (ISO 3166-1 alpha-2 country code).
    PhoneRegion,
    /// A BCP 47 language tag.
    Language,
    /// An external id assigned by another system.
    ExternalId,
    /// A first or last name.
    NamePart,
    /// A display name.
    DisplayName,
    /// An organization, group, location, department or job profile name.
    Name,
    /// A reference to an avatar image.
    AvatarRef,
    /// A free-form attribute key or value.
    Attribute,
    /// A sign-up link code.
    SignUpCode,
    /// One of the UUID ids.
    Id,
}

impl fmt::Display for ValueKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValueKind::Email => "email address",
            ValueKind::EmailDomain => "email domain",
            ValueKind::Username => "username",
            ValueKind::Phone => "phone number",
            ValueKind::PhoneRegion => "phone region",
            ValueKind::Language => "language tag",
            ValueKind::ExternalId => "external id",
            ValueKind::NamePart => "name",
            ValueKind::DisplayName => "display name",
            ValueKind::Name => "name",
            ValueKind::AvatarRef => "avatar reference",
            ValueKind::Attribute => "attribute",
            ValueKind::SignUpCode => "sign-up code",
            ValueKind::Id => "id",
        })
    }
}

/// What is wrong with a value. Never contains the value itself (it may be personal data).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Problem {
    /// Nothing left after trimming.
    #[error("is empty")]
    Empty,
    /// Longer than allowed.
    #[error("is longer than {max} {unit}")]
    TooLong {
        /// The maximum.
        max: usize,
        /// "characters" or "bytes".
        unit: &'static str,
    },
    /// Shorter than allowed.
    #[error("is shorter than {min} characters")]
    TooShort {
        /// The minimum.
        min: usize,
    },
    /// Contains a control character (tab, newline, NUL, ...).
    #[error("contains a control character")]
    ControlCharacter,
    /// Contains a character not allowed here.
    #[error("contains the character {ch:?}, which is not allowed here")]
    InvalidCharacter {
        /// The offending character.
        ch: char,
    },
    /// Contains characters outside ASCII where only ASCII is supported.
    #[error(
        "contains non-ASCII characters; internationalised addresses are not supported (write the domain in its xn-- form)"
    )]
    NonAscii,
    /// An email address without `@`.
    #[error("has no @")]
    MissingAt,
    /// An email address whose local part is quoted.
    #[error("has a quoted local part, which is not supported")]
    QuotedLocalPart,
    /// An email local part (before `@`) that is empty or longer than 64 bytes.
    #[error("has a local part (before @) that is empty or longer than 64 characters")]
    LocalPartLength,
    /// A dot at the start or end, or two dots in a row.
    #[error("has a dot at the start or end, or two dots in a row")]
    DotPlacement,
    /// A domain label that is empty, longer than 63 characters, or starts or ends with a hyphen.
    #[error(
        "has a domain label that is empty, longer than 63 characters, or starts or ends with '-'"
    )]
    DomainLabel,
    /// A domain with a single label (`localhost`).
    #[error("has a domain without a dot")]
    DomainNeedsDot,
    /// A domain whose last label is all digits (an IP address) or an address literal.
    #[error("has an IP address or address literal as its domain")]
    AddressLiteral,
    /// Must start with a letter or digit.
    #[error("must start with a letter or digit")]
    MustStartAlphanumeric,
    /// A phone number with too few or too many digits for E.164.
    #[error("must have between {min} and {max} digits including the country code")]
    PhoneDigits {
        /// Fewest digits.
        min: usize,
        /// Most digits.
        max: usize,
    },
    /// A phone number whose country calling code is not assigned.
    #[error("starts with a country calling code that is not assigned")]
    UnknownCallingCode,
    /// A national phone number given without a default region.
    #[error("has no country code and no default region was given")]
    NoRegion,
    /// An ISO 3166 region this crate has no calling code for.
    #[error("is not a region with a known calling code")]
    UnknownRegion,
    /// A BCP 47 tag that is not well formed; names the offending subtag position (1-based).
    #[error("is not a well-formed BCP 47 tag (subtag {position})")]
    MalformedTag {
        /// The 1-based position of the first offending subtag.
        position: usize,
    },
    /// A UUID that does not parse.
    #[error("is not a UUID")]
    MalformedUuid,
    /// Too many entries.
    #[error("has more than {max} entries")]
    TooMany {
        /// The maximum number of entries.
        max: usize,
    },
}

/// A value that failed validation: which kind of value, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind}: {problem}")]
pub struct ValueError {
    /// Which kind of value.
    pub kind: ValueKind,
    /// What is wrong.
    pub problem: Problem,
}

impl ValueError {
    /// A new error for `kind` with `problem`.
    pub const fn new(kind: ValueKind, problem: Problem) -> Self {
        Self { kind, problem }
    }
}

/// A login identifier a [`UserKind`] needs or must not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IdentifierField {
    /// A real email address.
    Email,
    /// A username.
    Username,
    /// A phone number.
    Phone,
    /// A generated placeholder email.
    PlaceholderEmail,
    /// An external id.
    ExternalId,
    /// A principal name (the name a provisioning system knows the user by).
    PrincipalName,
}

impl fmt::Display for IdentifierField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IdentifierField::Email => "email",
            IdentifierField::Username => "username",
            IdentifierField::Phone => "phone",
            IdentifierField::PlaceholderEmail => "placeholder email",
            IdentifierField::ExternalId => "external id",
            IdentifierField::PrincipalName => "principal name",
        })
    }
}

/// A rule of the model that a change would break.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// A user of this kind needs an identifier it does not have.
    #[error("a {kind} user needs {needs}")]
    MissingIdentifier {
        /// The user's kind.
        kind: UserKind,
        /// What it needs (e.g. "an email, or a username and a phone").
        needs: &'static str,
    },
    /// A user of this kind must not have this identifier.
    #[error("a {kind} user cannot have this identifier: {field}")]
    ForbiddenIdentifier {
        /// The user's kind.
        kind: UserKind,
        /// The identifier it must not have.
        field: IdentifierField,
    },
    /// The organization's required fields are not all filled in.
    #[error("required fields are missing: {}", .missing.iter().map(|f| f.as_str()).collect::<Vec<_>>().join(", "))]
    MissingRequiredFields {
        /// The missing fields, in the order of [`crate::ProfileField`].
        missing: Vec<crate::ProfileField>,
    },
    /// An organization would be its own parent.
    #[error("organization {0} cannot be its own parent")]
    SelfParent(OrgId),
    /// Re-parenting would make an organization its own ancestor.
    #[error("organization {child} cannot move under {parent}: that would make a cycle")]
    Cycle {
        /// The organization being moved.
        child: OrgId,
        /// The proposed parent, a descendant of `child`.
        parent: OrgId,
    },
    /// An organization id that is not in the tree.
    #[error("organization {0} is not known")]
    UnknownOrganization(OrgId),
    /// An organization id that is already in the tree.
    #[error("organization {0} already exists")]
    DuplicateOrganization(OrgId),
    /// An organization that still has children cannot be removed.
    #[error("organization {0} still has child organizations")]
    HasChildren(OrgId),
    /// The tree would be deeper than allowed.
    #[error("organization trees are limited to {max} levels")]
    TooDeep {
        /// The maximum depth.
        max: usize,
    },
    /// The contact person must be a standard or guest member of the organization.
    #[error("user {user} cannot be the contact person of organization {org}: {reason}")]
    ContactPerson {
        /// The would-be contact person.
        user: UserId,
        /// The organization.
        org: OrgId,
        /// Why not.
        reason: &'static str,
    },
    /// PIN users are not enabled (or have no placeholder domain) in this organization.
    #[error("PIN users are not enabled in organization {0}")]
    PinUsersDisabled(OrgId),
    /// Consumers are not enabled in this organization.
    #[error("consumer users are not enabled in organization {0}")]
    ConsumersDisabled(OrgId),
    /// Guests are not enabled in this organization.
    #[error("guest users are not enabled in organization {0}")]
    GuestsDisabled(OrgId),
    /// No free placeholder address was found within the attempts allowed.
    #[error("no free placeholder email after {attempts} attempts")]
    PlaceholderExhausted {
        /// How many candidates were tried.
        attempts: u32,
    },
    /// An archived group takes no new members.
    #[error("group {0} is archived")]
    ArchivedGroup(GroupId),
}

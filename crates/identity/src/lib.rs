//! # tenantry-identity
//!
//! The identity model of tenantry: who the users are and where they belong. Ids, users of
//! four kinds (standard, guest, consumer, PIN), their profiles and login identifiers,
//! organizations and the tree they form, groups, locations, departments and job profiles,
//! and the validated values they are made of.
//!
//! The crate is synchronous and does no I/O. Time and randomness are arguments, so the same
//! inputs always give the same result. No constructor panics: bad input is a typed
//! [`ValueError`] (what kind of value, what is wrong with it, never the value itself, which
//! may be personal data) or a [`ModelError`] (which rule of the model would break).
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use rand::SeedableRng;
//! use tenantry_identity::{
//!     placeholder_email, EmailDomain, ExternalId, LoginIdentifiers, NamePart, OrgId, Profile, User,
//!     UserId, UserKind,
//! };
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let now = Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap();
//! let mut rng = rand::rngs::StdRng::seed_from_u64(1);
//! let org = OrgId::generate(now, &mut rng);
//!
//! // A PIN user (social intranet): a placeholder address from the name and the configured domain.
//! let (first, last) = (NamePart::parse("Jürgen")?, NamePart::parse("Weiß")?);
//! let domain = EmailDomain::parse("pins.example.com")?;
//! let address = placeholder_email(&first, &last, &domain, |_taken| false)?;
//! assert_eq!(address.as_str(), "juergen.weiss@pins.example.com");
//!
//! let profile = Profile { first_name: Some(first), last_name: Some(last), ..Profile::default() };
//! let ids = LoginIdentifiers {
//!     placeholder_email: Some(address),
//!     external_id: Some(ExternalId::parse("HR-0042")?),
//!     ..LoginIdentifiers::default()
//! };
//! let user = User::new(UserId::generate(now, &mut rng), org, UserKind::Pin, profile, ids, now)?;
//! assert!(user.mailbox().is_none()); // PIN users receive no mail
//! assert_eq!(user.display_name(), "Jürgen Weiß");
//! # Ok(())
//! # }
//! ```
//!
//! What the crate does not model, and where it lives instead: account states and sign-up
//! policy (`tenantry-lifecycle`), permissions, entitlements and contact-person privileges
//! (`tenantry-access`), credentials (`tenantry-credentials`).

mod department;
mod email;
mod error;
mod group;
mod ids;
mod kind;
mod language;
mod location;
mod org;
mod phone;
mod placeholder;
mod text;
mod user;
mod username;

pub use department::{Department, JobProfile, SignUpCode};
pub use email::{Email, EmailDomain, MAX_DOMAIN_BYTES, MAX_EMAIL_BYTES, MAX_LOCAL_PART_BYTES};
pub use error::{IdentifierField, ModelError, Problem, ValueError, ValueKind};
pub use group::{Group, Membership};
pub use ids::{DepartmentId, GroupId, JobProfileId, LocationId, OrgId, UserId, uuid_v7};
pub use kind::UserKind;
pub use language::Language;
pub use location::{Location, LocationAccess, LocationScope};
pub use org::{
    CommunicationSettings, GuestSettings, OrgSettings, OrgTree, Organization, PinUserSettings,
};
pub use phone::{Phone, PhoneRegion};
pub use placeholder::{MAX_PLACEHOLDER_ATTEMPTS, placeholder_email, transliterate};
pub use text::{Attributes, AvatarRef, DisplayName, ExternalId, Name, NamePart};
pub use user::{
    LoginIdentifier, LoginIdentifiers, LoginKey, Profile, ProfileField, RequiredFields, User,
    UserParts,
};
pub use username::Username;

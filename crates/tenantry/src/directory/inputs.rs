//! The inputs of use cases that take many values, and what creating a user returns.

use super::*;

/// A root organization and its first admin, for [`Directory::create_root_organization`].
#[derive(Debug)]
pub struct NewRootOrganization {
    /// The organization's name.
    pub name: Name,
    /// The first admin's profile.
    pub admin_profile: Profile,
    /// The first admin's email, with which they sign in.
    pub admin_email: Email,
    /// The first admin's password (checked against the password policy).
    pub admin_password: Password,
    /// What the first admin is granted at the organization (the catalog's admin role).
    pub admin_grant: Grantables,
}

/// A department, for [`Directory::create_department`].
#[derive(Clone, Debug)]
pub struct NewDepartment {
    /// Its name.
    pub name: Name,
    /// Whether it gets a sign-up link code (a link and QR code that sign people up into
    /// this department).
    pub sign_up_link: bool,
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Their kind.
    pub kind: UserKind,
    /// Their profile. PIN users need first and last name (for the placeholder email).
    pub profile: Profile,
    /// Their identifiers. For PIN users the placeholder email is generated: leave it empty.
    pub identifiers: LoginIdentifiers,
    /// Their way in.
    pub way_in: WayIn,
    /// The password for [`WayIn::Password`] (the agency's custom or generated password), or
    /// the one-time password for [`WayIn::OneTimePassword`].
    pub password: Option<Password>,
}

impl NewUser {
    /// A standard user who signs in with `email` and is sent an invitation to set a
    /// password. Set the other fields (profile, kind, way in) as needed.
    pub fn invited(email: Email) -> Self {
        Self {
            kind: UserKind::Standard,
            profile: Profile::default(),
            identifiers: LoginIdentifiers {
                email: Some(email),
                ..LoginIdentifiers::default()
            },
            way_in: WayIn::Invitation,
            password: None,
        }
    }
}

/// A single sign-on login as the host reports it, after the identity provider configured
/// for `org` vouched for the person (see [`Directory::sso_login`]).
#[derive(Debug, Clone)]
pub struct SsoLogin {
    /// The organization the identity provider is configured for.
    pub org: OrgId,
    /// Also sign in users of `org`'s descendants (an agency's provider for its client
    /// organizations); off by default: only `org`'s own users.
    pub subtree: bool,
    /// What the provider says of the person (used for a just-in-time account).
    pub profile: Profile,
    /// The identifiers the provider vouched for.
    pub identifiers: LoginIdentifiers,
}

impl SsoLogin {
    /// A login to `org` of the person the provider knows by `identifiers`, for `org`'s
    /// own users only, with an empty profile.
    pub fn new(org: OrgId, identifiers: LoginIdentifiers) -> Self {
        Self {
            org,
            subtree: false,
            profile: Profile::default(),
            identifiers,
        }
    }

    /// The same login with `profile` for a just-in-time account.
    pub fn with_profile(mut self, profile: Profile) -> Self {
        self.profile = profile;
        self
    }

    /// The same login, reaching users of `org`'s descendants too.
    pub fn with_subtree(mut self) -> Self {
        self.subtree = true;
        self
    }
}

/// What a person enters on the sign-up form (workforce platform, help desk) or a guest's join form (social intranet).
#[derive(Debug, Clone)]
pub struct SignUpForm {
    /// The organization signed up to.
    pub org: OrgId,
    /// Joining as a guest.
    pub as_guest: bool,
    /// Name and the rest.
    pub profile: Profile,
    /// An email, or a username and (in `profile`) a phone.
    pub identifiers: LoginIdentifiers,
    /// The password they chose.
    pub password: Password,
    /// The department they picked, where the form offers a choice.
    pub chosen_department: Option<tenantry_identity::DepartmentId>,
    /// The code of the department link or QR code they came by.
    pub link: Option<tenantry_identity::SignUpCode>,
}

/// What creating a user produced.
#[derive(Debug, Clone)]
pub struct CreatedUser {
    /// The new user's id.
    pub id: UserId,
    /// A PIN user's PIN, for the admin's PIN export.
    pub pin: Option<Pin>,
    /// A PIN user's generated placeholder email.
    pub placeholder_email: Option<Email>,
}

//! User kinds and what each may do by its nature (social intranet).

use std::fmt;

use serde::{Deserialize, Serialize};

/// The kind of a user account.
///
/// Occupants of a help desk (help desk) and the users of a client or customer organization
/// (agency, partner portal) are [`UserKind::Standard`] users of their organization: what sets them
/// apart is where they live in the organization tree and what they are granted, not their kind.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum UserKind {
    /// A full member who signs in with email (or username) and password.
    Standard,
    /// An outsider who sees only the groups they were invited to and the areas opened to guests.
    Guest,
    /// Pre-created, not yet a member: receives digests with a personal registration link,
    /// cannot sign in and is not listed in directories until they register.
    Consumer,
    /// A non-desk worker without a mailbox: signs in with a generated placeholder email and a
    /// password they set with their PIN; receives no mail at all.
    Pin,
}

impl UserKind {
    /// Every kind, in declaration order.
    pub const ALL: [UserKind; 4] = [
        UserKind::Standard,
        UserKind::Guest,
        UserKind::Consumer,
        UserKind::Pin,
    ];

    /// The stable lowercase name (`standard`, `guest`, `consumer`, `pin`), as serialized.
    pub const fn as_str(self) -> &'static str {
        match self {
            UserKind::Standard => "standard",
            UserKind::Guest => "guest",
            UserKind::Consumer => "consumer",
            UserKind::Pin => "pin",
        }
    }

    /// Parses [`UserKind::as_str`]'s names, case-insensitively.
    pub fn parse(name: &str) -> Option<UserKind> {
        UserKind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(name.trim()))
    }

    /// Whether a user of this kind can ever sign in. A consumer must register first, which
    /// turns them into a standard user.
    pub const fn may_sign_in(self) -> bool {
        !matches!(self, UserKind::Consumer)
    }

    /// Whether the kind has a mailbox that can receive mail. PIN users have only a
    /// placeholder address with no inbox behind it.
    pub const fn has_mailbox(self) -> bool {
        !matches!(self, UserKind::Pin)
    }

    /// Whether system notifications (invitations, resets, welcome mail) go to this kind.
    pub const fn receives_notifications(self) -> bool {
        self.has_mailbox()
    }

    /// Whether email digests go to this kind (consumers receive them: that is their point).
    pub const fn receives_digests(self) -> bool {
        self.has_mailbox()
    }

    /// Whether every message to this kind must carry a personal registration link.
    pub const fn needs_registration_link(self) -> bool {
        matches!(self, UserKind::Consumer)
    }

    /// Whether users of this kind appear in member and people directories.
    pub const fn listed_in_directories(self) -> bool {
        !matches!(self, UserKind::Consumer)
    }

    /// Whether this kind sees network-wide areas (global feeds, network files, calendars).
    pub const fn sees_network_wide_areas(self) -> bool {
        matches!(self, UserKind::Standard | UserKind::Pin)
    }

    /// Whether this kind acts only in groups it belongs to and areas opened to guests.
    pub const fn limited_to_shared_areas(self) -> bool {
        matches!(self, UserKind::Guest)
    }

    /// Whether users of this kind can administer anything at all. Guests, consumers and PIN
    /// users never can, whatever they are granted.
    pub const fn may_administer(self) -> bool {
        matches!(self, UserKind::Standard)
    }

    /// Whether this kind signs in with a PIN-set password on a placeholder address.
    pub const fn uses_pin(self) -> bool {
        matches!(self, UserKind::Pin)
    }
}

impl fmt::Display for UserKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_capabilities() {
        use UserKind::*;
        // Standard users have all the permissions of the network.
        assert!(
            Standard.may_sign_in()
                && Standard.sees_network_wide_areas()
                && Standard.may_administer()
        );
        // Guests: no network-wide areas, only their groups; they sign in and get mail.
        assert!(
            Guest.may_sign_in()
                && !Guest.sees_network_wide_areas()
                && Guest.limited_to_shared_areas()
        );
        assert!(Guest.receives_notifications() && !Guest.may_administer());
        // Consumers: digests with a registration link, no sign-in, not in directories.
        assert!(
            !Consumer.may_sign_in()
                && Consumer.receives_digests()
                && Consumer.needs_registration_link()
        );
        assert!(!Consumer.listed_in_directories());
        // PIN users: no mailbox, so no notifications and no digests.
        assert!(Pin.may_sign_in() && !Pin.has_mailbox() && !Pin.receives_notifications());
        assert!(!Pin.receives_digests() && Pin.uses_pin() && Pin.listed_in_directories());
    }

    #[test]
    fn names_round_trip() {
        for k in UserKind::ALL {
            assert_eq!(UserKind::parse(k.as_str()), Some(k));
            assert_eq!(UserKind::parse(&k.as_str().to_uppercase()), Some(k));
            assert_eq!(serde_json::to_string(&k).unwrap(), format!("\"{k}\""));
        }
        assert_eq!(UserKind::parse("occupant"), None);
    }
}

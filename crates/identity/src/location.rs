//! Locations and who may file requests for them (help desk).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{LocationId, OrgId};
use crate::text::Name;

/// A place requests are filed for: a building, a floor, a site.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// The id.
    pub id: LocationId,
    /// The organization that runs it.
    pub org: OrgId,
    /// Its name.
    pub name: Name,
    /// Archived locations take no new requests.
    #[serde(default)]
    pub archived: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// The stored version.
    #[serde(default)]
    pub version: u64,
}

/// The locations a group gives its members.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "locations", rename_all = "snake_case")]
pub enum LocationScope {
    /// Every location, including those added later.
    All,
    /// Exactly these.
    Specific(BTreeSet<LocationId>),
    /// None (the group exists for request sharing only).
    #[default]
    None,
}

impl LocationScope {
    /// Whether the scope covers `location`.
    pub fn covers(&self, location: LocationId) -> bool {
        match self {
            LocationScope::All => true,
            LocationScope::Specific(set) => set.contains(&location),
            LocationScope::None => false,
        }
    }
}

/// The locations a user may file requests for: the help desk's three choices.
///
/// A user's own choice and the groups they belong to add up: a user with `Specific` locations
/// who is also in a group with `All` may file for any location. `ViaGroups` means the user has
/// nothing of their own, so only their groups count.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "locations", rename_all = "snake_case")]
pub enum LocationAccess {
    /// Every location, including those added later.
    All,
    /// Exactly these.
    Specific(BTreeSet<LocationId>),
    /// Whatever the user's groups give.
    #[default]
    ViaGroups,
}

impl LocationAccess {
    /// Whether a user with this access, in groups with `group_scopes`, may file requests for
    /// `location`. Archived locations are the caller's to exclude.
    pub fn allows<'a>(
        &self,
        location: LocationId,
        group_scopes: impl IntoIterator<Item = &'a LocationScope>,
    ) -> bool {
        let own = match self {
            LocationAccess::All => true,
            LocationAccess::Specific(set) => set.contains(&location),
            LocationAccess::ViaGroups => false,
        };
        own || group_scopes.into_iter().any(|scope| scope.covers(location))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn helpdesk_location_access() {
        let mut rng = StdRng::seed_from_u64(9);
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let hq = LocationId::generate(t, &mut rng);
        let annex = LocationId::generate(t, &mut rng);
        // A location created later is covered by All, and only by All.
        let later = LocationId::generate(t + chrono::Duration::days(30), &mut rng);

        let all = LocationAccess::All;
        assert!(all.allows(hq, []) && all.allows(later, []));

        let specific = LocationAccess::Specific([hq].into());
        assert!(specific.allows(hq, []));
        assert!(!specific.allows(annex, []) && !specific.allows(later, []));

        let via = LocationAccess::ViaGroups;
        assert!(!via.allows(hq, []));
        let acme = LocationScope::Specific([annex].into());
        assert!(via.allows(annex, [&acme]) && !via.allows(hq, [&acme]));
        assert!(via.allows(later, [&acme, &LocationScope::All]));
        assert!(!via.allows(hq, [&LocationScope::None]));

        // Own and group access add up.
        assert!(specific.allows(annex, [&acme]));
    }

    #[test]
    fn serde_shapes() {
        let json = serde_json::to_string(&LocationAccess::All).unwrap();
        assert_eq!(json, r#"{"kind":"all"}"#);
        let back: LocationAccess = serde_json::from_str(r#"{"kind":"via_groups"}"#).unwrap();
        assert_eq!(back, LocationAccess::ViaGroups);
    }
}

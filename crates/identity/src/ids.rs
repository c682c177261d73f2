//! UUID v7 ids, one newtype per kind of record so they cannot be mixed up.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use rand::Rng;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{Problem, ValueError, ValueKind};

/// Builds a UUID v7 from `now` and 10 random bytes from `rng`.
///
/// Ids are made from injected time and randomness, never from the wall clock, so tests are
/// repeatable. A time before the Unix epoch is clamped to the epoch.
pub fn uuid_v7(now: DateTime<Utc>, rng: &mut (impl Rng + ?Sized)) -> Uuid {
    let millis = u64::try_from(now.timestamp_millis()).unwrap_or(0);
    let mut random = [0u8; 10];
    rng.fill_bytes(&mut random);
    uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid()
}

macro_rules! uuid_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new id (UUID v7) from the time `now` and randomness from `rng`.
            pub fn generate(now: DateTime<Utc>, rng: &mut (impl Rng + ?Sized)) -> Self {
                Self(uuid_v7(now, rng))
            }

            /// Wraps an existing UUID (for example one read from storage).
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The UUID inside.
            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }

            /// The raw 16 bytes, big-endian as in the UUID text form.
            pub const fn as_bytes(&self) -> &[u8; 16] {
                self.0.as_bytes()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0.hyphenated())
            }
        }

        impl FromStr for $name {
            type Err = ValueError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::try_parse(s.trim())
                    .map(Self)
                    .map_err(|_| ValueError::new(ValueKind::Id, Problem::MalformedUuid))
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Self {
                id.0
            }
        }
    };
}

uuid_id!(
    /// Identifies a user.
    UserId
);
uuid_id!(
    /// Identifies an organization (a network, section, agency, client, partner or company).
    OrgId
);
uuid_id!(
    /// Identifies a group (a tixxt group, an occupant group, ...).
    GroupId
);
uuid_id!(
    /// Identifies a location (a building, floor or site of a help desk).
    LocationId
);
uuid_id!(
    /// Identifies a department.
    DepartmentId
);
uuid_id!(
    /// Identifies a job profile.
    JobProfileId
);

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn ids_are_v7_and_carry_the_given_time() {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
        let mut rng = StdRng::seed_from_u64(7);
        let id = UserId::generate(now, &mut rng);
        assert_eq!(id.as_uuid().get_version_num(), 7);
        let (secs, _) = id.as_uuid().get_timestamp().unwrap().to_unix();
        assert_eq!(secs as i64, now.timestamp());
    }

    #[test]
    fn ids_sort_by_time() {
        let mut rng = StdRng::seed_from_u64(1);
        let a = OrgId::generate(Utc.timestamp_millis_opt(1_000).unwrap(), &mut rng);
        let b = OrgId::generate(Utc.timestamp_millis_opt(2_000).unwrap(), &mut rng);
        assert!(a < b);
    }

    #[test]
    fn display_and_from_str_round_trip() {
        let mut rng = StdRng::seed_from_u64(2);
        let id = GroupId::generate(Utc.timestamp_millis_opt(5).unwrap(), &mut rng);
        let text = id.to_string();
        assert_eq!(text.len(), 36);
        assert_eq!(text.parse::<GroupId>().unwrap(), id);
        assert_eq!(format!("{id:?}"), format!("GroupId({text})"));
    }

    #[test]
    fn garbage_is_a_typed_error() {
        let err = "not-a-uuid".parse::<UserId>().unwrap_err();
        assert_eq!(err.kind, ValueKind::Id);
        assert_eq!(err.problem, Problem::MalformedUuid);
        assert_eq!(err.to_string(), "invalid id: is not a UUID");
    }

    #[test]
    fn pre_epoch_time_is_clamped() {
        let mut rng = StdRng::seed_from_u64(3);
        let id = LocationId::generate(Utc.timestamp_millis_opt(-5_000).unwrap(), &mut rng);
        let (secs, _) = id.as_uuid().get_timestamp().unwrap().to_unix();
        assert_eq!(secs, 0);
    }

    #[test]
    fn serde_is_the_plain_uuid_string() {
        let mut rng = StdRng::seed_from_u64(4);
        let id = DepartmentId::generate(Utc.timestamp_millis_opt(9).unwrap(), &mut rng);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{id}\""));
        assert_eq!(serde_json::from_str::<DepartmentId>(&json).unwrap(), id);
        let _ = JobProfileId::from_uuid(*id.as_uuid());
    }
}

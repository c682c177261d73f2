//! What the SQLite and PostgreSQL tests share: a temporary directory, records to write, and
//! the directory scenarios that must hold on every database (run through `Directory`, not
//! the store alone).

#![allow(dead_code)] // each test file uses part of it

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rand::SeedableRng;
use tenantry::testing::{WorldBuilder, admin_role, token_in};
use tenantry::{Caller, DirectoryError, ListOf, NewUser, OrgRecord, Record, RecordKey, Store};
use tenantry_access::{Change, GrantRef, Scope};
use tenantry_credentials::{Password, PinKey, ThrottlePolicy};
use tenantry_identity::{
    Email, LoginIdentifiers, Name, NamePart, OrgId, Organization, Profile, UserId, UserKind,
};
use tenantry_lifecycle::WayIn;

pub use tenantry::testing::World;

/// A directory under the system's temporary directory, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> Self {
        let path = std::env::temp_dir().join(format!("tenantry-sqlx-{}", random_hex(8)));
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn now() -> DateTime<Utc> {
    tenantry::testing::epoch()
}

pub fn org_record(name: &str) -> OrgRecord {
    let mut rng = rand::rngs::StdRng::from_rng(&mut rand::rng());
    OrgRecord {
        org: Organization::new(
            OrgId::generate(now(), &mut rng),
            None,
            Name::parse(name).unwrap(),
            now(),
        ),
        lifecycle: Default::default(),
        entitlements: Default::default(),
        guest_areas: Default::default(),
    }
}

/// A directory on `store` with a root organization whose admin is Ada. Each call makes a
/// new organization with new identifiers, so worlds can share a store.
pub async fn world(store: Arc<dyn Store>, throttle: ThrottlePolicy) -> World {
    let tag = unique_tag();
    WorldBuilder::new()
        .store(store)
        .throttle(throttle)
        .pin_keys(vec![PinKey::new(1, &[3; 32]).unwrap()])
        .root_name(&format!("Acme {tag}"))
        .admin_email(&format!("ada-{tag}@acme.example"))
        .build()
        .await
        .unwrap()
}

/// `bytes` random bytes as lowercase hex: names no other run uses.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::Rng::fill_bytes(&mut rand::rng(), &mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

fn unique_tag() -> String {
    random_hex(6)
}

async fn user_with_password(w: &World, name: &str) -> UserId {
    let new = NewUser {
        kind: UserKind::Standard,
        profile: Profile {
            first_name: Some(NamePart::parse(name).unwrap()),
            ..Profile::default()
        },
        identifiers: LoginIdentifiers {
            email: Some(Email::parse(&format!("{name}-{}@acme.example", unique_tag())).unwrap()),
            ..Default::default()
        },
        way_in: WayIn::Password,
        password: Some(Password::new("purple monkey dishwasher")),
    };
    w.dir
        .create_user(Caller::User(w.admin), w.org, new)
        .await
        .unwrap()
        .id
}

/// Every scenario, one after another, on one store.
pub async fn scenarios(store: Arc<dyn Store>) {
    one_token_many_redemptions(store.clone(), 32).await;
    admins_demoting_each_other(store.clone(), 32).await;
    concurrent_failed_sign_ins(store.clone(), 32).await;
    throttle_holds_under_concurrent_guesses(store, 32).await;
}

/// `tasks` redeem one automatic-login link at once: exactly one signs in.
pub async fn one_token_many_redemptions(store: Arc<dyn Store>, tasks: usize) {
    let w = Arc::new(world(store, ThrottlePolicy::default()).await);
    let bob = user_with_password(&w, "bob").await;
    w.dir
        .send_login_link(Caller::User(w.admin), bob)
        .await
        .unwrap();
    let outbox = w.store.list(&ListOf::OutboxOf(bob)).await.unwrap();
    let link = outbox
        .iter()
        .find_map(|m| match &m.value {
            Record::Outbox(m) if m.kind == "auto_login" => Some(m.text.clone()),
            _ => None,
        })
        .unwrap();
    let raw = token_in(&link, "auto-login").unwrap();
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let (w, raw) = (w.clone(), raw.clone());
            tokio::spawn(async move { w.dir.redeem_login_link(&raw).await })
        })
        .collect();
    let mut won = 0;
    for h in handles {
        match h.await.unwrap() {
            Ok(user) => {
                assert_eq!(user, bob);
                won += 1;
            }
            Err(DirectoryError::InvalidLink | DirectoryError::Contended) => {}
            Err(other) => panic!("unexpected: {other}"),
        }
    }
    assert_eq!(won, 1, "exactly one of {tasks} redemptions signs in");
}

/// `tasks` admins of one organization each demote the next at once: the organization
/// keeps an admin, and every admin gone was removed by a demotion that reported success.
pub async fn admins_demoting_each_other(store: Arc<dyn Store>, tasks: usize) {
    let w = Arc::new(world(store, ThrottlePolicy::default()).await);
    let mut admins = vec![w.admin];
    for i in 1..tasks {
        let id = user_with_password(&w, &format!("admin{i}")).await;
        w.dir
            .change_grant(
                Caller::User(w.admin),
                GrantRef {
                    user: id,
                    org: w.org,
                    scope: Scope::Organization,
                },
                Change::Grant(admin_role()),
            )
            .await
            .unwrap();
        admins.push(id);
    }
    let handles: Vec<_> = (0..tasks)
        .map(|i| {
            let w = w.clone();
            let (me, victim) = (admins[i], admins[(i + 1) % tasks]);
            tokio::spawn(async move {
                w.dir
                    .change_grant(
                        Caller::User(me),
                        GrantRef {
                            user: victim,
                            org: w.org,
                            scope: Scope::Organization,
                        },
                        Change::Revoke {
                            what: admin_role(),
                            cascade: true,
                        },
                    )
                    .await
            })
        })
        .collect();
    let mut demoted = 0;
    for h in handles {
        match h.await.unwrap() {
            Ok(_) => demoted += 1,
            Err(
                DirectoryError::Refused(_) | DirectoryError::Denied(_) | DirectoryError::Contended,
            ) => {}
            Err(other) => panic!("unexpected: {other}"),
        }
    }
    let left = w.store.list(&ListOf::GrantsAt(w.org)).await.unwrap().len();
    assert!(left >= 1, "the organization kept no admin");
    assert_eq!(
        left + demoted,
        tasks,
        "each reported demotion removed one admin"
    );
}

async fn failures(w: &World, email: &str) -> u32 {
    match w
        .store
        .get(&RecordKey::Attempts(tenantry_credentials::attempt_key(
            "sign-in", email,
        )))
        .await
        .unwrap()
    {
        Some(v) => match v.value {
            Record::Attempts(_, a) => a.failures,
            other => panic!("{other:?}"),
        },
        None => 0,
    }
}

/// `tasks` wrong passwords at once, with a throttle that lets them all through: the
/// failure count ends at exactly `tasks`.
pub async fn concurrent_failed_sign_ins(store: Arc<dyn Store>, tasks: usize) {
    let lenient = ThrottlePolicy {
        free_failures: 99,
        lock_after: 100,
        ..ThrottlePolicy::default()
    };
    let w = Arc::new(world(store, lenient).await);
    let email = format!("carol-{}@acme.example", unique_tag());
    let outcomes = guess_at_once(&w, &email, tasks).await;
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, Err(DirectoryError::InvalidCredentials))),
        "{outcomes:?}"
    );
    assert_eq!(failures(&w, &email).await, tasks as u32);
}

/// `tasks` wrong passwords at once under the default throttle: the first 5 failures cost
/// nothing and the 6th starts the wait, so exactly six are checked, the rest are told to
/// wait, and the count is six — as if they had come one after another.
pub async fn throttle_holds_under_concurrent_guesses(store: Arc<dyn Store>, tasks: usize) {
    let policy = ThrottlePolicy::default();
    let free = policy.free_failures as usize + 1;
    let w = Arc::new(world(store, policy).await);
    let email = format!("dave-{}@acme.example", unique_tag());
    let outcomes = guess_at_once(&w, &email, tasks).await;
    let checked = outcomes
        .iter()
        .filter(|o| matches!(o, Err(DirectoryError::InvalidCredentials)))
        .count();
    let throttled = outcomes
        .iter()
        .filter(|o| matches!(o, Err(DirectoryError::Throttled { .. })))
        .count();
    assert_eq!((checked, throttled), (free, tasks - free), "{outcomes:?}");
    assert_eq!(failures(&w, &email).await, free as u32);
}

async fn guess_at_once(
    w: &Arc<World>,
    email: &str,
    tasks: usize,
) -> Vec<Result<UserId, DirectoryError>> {
    let handles: Vec<_> = (0..tasks)
        .map(|i| {
            let (w, email) = (w.clone(), email.to_owned());
            tokio::spawn(async move {
                w.dir
                    .sign_in(&email, &Password::new(format!("wrong guess number {i}")))
                    .await
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for h in handles {
        outcomes.push(h.await.unwrap());
    }
    outcomes
}

/// The SQL that takes a migrated database back to schema 2 (before `tenantry_grant_names`).
pub const BACK_TO_SCHEMA_2: [&str; 3] = [
    "DROP TABLE tenantry_grant_names",
    "DROP INDEX tenantry_records_orgs",
    "DELETE FROM tenantry_migrations WHERE version = 3",
];

/// Writes an admin's grant into `store`, for a database then taken back to schema 2 by the
/// caller; after `migrate` again, the index of grant names must find it.
pub async fn admin_grant_before_schema_3(store: &dyn Store) -> GrantRef {
    let org = org_record("Before three");
    let at = GrantRef {
        user: UserId::generate(now(), &mut rand::rngs::StdRng::from_rng(&mut rand::rng())),
        org: org.org.id,
        scope: Scope::Organization,
    };
    let mut cs = tenantry::Changeset::new();
    cs.insert(Record::Org(org))
        .insert(Record::Grant(at, admin_role()));
    store.commit(cs).await.unwrap();
    at
}

/// After the migration to schema 3: the grant written before it is in the index.
pub async fn grant_is_indexed(store: &dyn Store, at: GrantRef) {
    let found = store
        .list(&ListOf::GrantsNaming(at.org, admin_role()))
        .await
        .unwrap();
    assert_eq!(found.len(), 1, "the migration indexed the existing grant");
    let none = store
        .list(&ListOf::GrantsNaming(
            at.org,
            tenantry_access::Grantables {
                roles: [tenantry_access::RoleKey::new("member").unwrap()].into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap();
    assert!(none.is_empty(), "under its own names only");
}

/// A migrated PostgreSQL store in a new schema `name` on the server at `url`, with a pool
/// of `max_connections` whose connections search that schema.
#[cfg(feature = "postgres")]
pub async fn store_in_new_schema(
    url: &str,
    name: &str,
    max_connections: u32,
) -> tenantry_sqlx::PostgresStore {
    use tenantry_sqlx::sqlx::postgres::{PgConnectOptions, PgPoolOptions};
    let admin = PgPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .unwrap();
    tenantry_sqlx::sqlx::query(&format!("CREATE SCHEMA {name}"))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    let options: PgConnectOptions = url.parse().unwrap();
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .connect_with(options.options([("search_path", name)]))
        .await
        .unwrap();
    let store = tenantry_sqlx::PostgresStore::from_pool(pool);
    store.migrate().await.unwrap();
    store
}

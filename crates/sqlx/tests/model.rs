//! Model-based property test of the Directory: random sequences of use cases by random
//! actors — admins of the root and of its child organizations, members, guests, consumers,
//! the system, and a stranger who does not exist — on MemoryStore and on SQLite. After every
//! step the promises must hold:
//!
//! - every organization keeps an admin among its members (each starts with one): a member
//!   holding the admin permission there whose account counts (created, invited or active);
//! - nobody holds a permission they could not have been granted: nothing an organization is
//!   not entitled to, no network-wide permission for a guest;
//! - every account is in a state whose capabilities the directory enforces: an account that
//!   may not sign in is denied every check;
//! - nothing committed is lost: every user created is still there;
//! - a refused step writes nothing; a step that succeeds writes exactly one audit event;
//! - every outbox message belongs to an existing user and appears only with a change.
//!
//! `TENANTRY_MODEL_CASES` sets the number of cases on MemoryStore (default 10,000); SQLite
//! runs a tenth of them (at least 100), each on a fresh in-memory database.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use tenantry::testing::WorldBuilder;
use tenantry::{
    AuditQuery, Caller, Directory, ListOf, MemoryStore, NewUser, Record, Store, UserQuery,
};
use tenantry_access::{
    AccessModel, Area, Catalog, CatalogBuilder, Change, GrantRef, Grantables, PermissionKey,
    Resolver, RoleKey, Scope, Target,
};
use tenantry_identity::{
    Email, LoginIdentifiers, Name, NamePart, OrgId, Profile, UserId, UserKind,
};
use tenantry_lifecycle::{AccountState, Event, WayIn};
use tenantry_sqlx::SqliteStore;

fn catalog() -> Catalog {
    let mut b = CatalogBuilder::new();
    b.permission("org.admin", Area::Admin, "administer", &[])
        .unwrap();
    b.permission("feed.read", Area::Network, "read the feed", &[])
        .unwrap();
    b.permission("group.post", Area::Group, "post in groups", &[])
        .unwrap();
    b.permission("billing.manage", Area::Admin, "billing", &[])
        .unwrap();
    b.role("admin", "Admin", &["org.admin", "feed.read", "group.post"])
        .unwrap();
    b.role("member", "Member", &["feed.read", "group.post"])
        .unwrap();
    b.role("guest", "Guest", &["group.post"]).unwrap();
    b.role("billing", "Billing", &["billing.manage"]).unwrap();
    b.admin_permission("org.admin");
    b.build().unwrap()
}

const ROLES: [&str; 4] = ["admin", "member", "guest", "billing"];
const PERMISSIONS: [&str; 4] = ["org.admin", "feed.read", "group.post", "billing.manage"];

/// One step: indices are taken modulo what exists when the step runs.
#[derive(Clone, Debug)]
enum Op {
    Create {
        actor: u8,
        org: u8,
        kind: u8,
    },
    /// Grants the role, or revokes it (`Some(cascade)`).
    Grant {
        actor: u8,
        target: u8,
        org: u8,
        scope: u8,
        role: u8,
        revoke: Option<bool>,
    },
    Account {
        actor: u8,
        target: u8,
        event: u8,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let b = any::<u8>;
    prop_oneof![
        2 => (b(), b(), b()).prop_map(|(actor, org, kind)| Op::Create { actor, org, kind }),
        5 => (b(), b(), b(), b(), b(), proptest::option::weighted(0.4, any::<bool>())).prop_map(
            |(actor, target, org, scope, role, revoke)| Op::Grant {
                actor, target, org, scope, role, revoke
            }
        ),
        2 => (b(), b(), b()).prop_map(|(actor, target, event)| Op::Account { actor, target, event }),
    ]
}

struct World {
    dir: Directory,
    store: Arc<dyn Store>,
    orgs: [OrgId; 3],
    users: Vec<UserId>,
    stranger: UserId,
    created: usize,
}

fn person(first: &str) -> Profile {
    Profile {
        first_name: Some(NamePart::parse(first).unwrap()),
        ..Profile::default()
    }
}

fn role(key: &str) -> Grantables {
    Grantables {
        roles: [RoleKey::new(key).unwrap()].into(),
        ..Grantables::new()
    }
}

fn new_user(n: usize, kind: UserKind) -> NewUser {
    NewUser {
        kind,
        profile: person("Sam"),
        identifiers: LoginIdentifiers {
            email: Some(Email::parse(&format!("u{n}@model.example")).unwrap()),
            ..Default::default()
        },
        way_in: WayIn::None,
        password: None,
    }
}

/// The root with Ada (admin of the whole tree), child C1 with Cora (its admin), child C2 —
/// not entitled to billing — with Cleo (its admin); guests and consumers allowed in C1.
async fn world(store: Arc<dyn Store>) -> World {
    let w = WorldBuilder::new()
        .store(store)
        .catalog(catalog())
        .root_name("Root")
        .admin_email("ada@model.example")
        .build()
        .await
        .unwrap();
    let (dir, store, root, ada) = (w.dir, w.store, w.org, w.admin);
    let subtree = GrantRef {
        user: ada,
        org: root,
        scope: Scope::Subtree,
    };
    dir.change_grant(Caller::System, subtree, Change::Grant(role("admin")))
        .await
        .unwrap();
    let c1 = dir
        .create_organization(Caller::User(ada), root, Name::parse("C1").unwrap())
        .await
        .unwrap();
    let c2 = dir
        .create_organization(Caller::User(ada), root, Name::parse("C2").unwrap())
        .await
        .unwrap();
    let not_billing: BTreeSet<PermissionKey> = PERMISSIONS[..3]
        .iter()
        .map(|k| PermissionKey::new(k).unwrap())
        .collect();
    dir.set_entitlements(Caller::System, c2, not_billing)
        .await
        .unwrap();
    let mut settings = tenantry_identity::OrgSettings::default();
    settings.guests.enabled = true;
    settings.consumers_enabled = true;
    dir.configure_organization(Caller::System, c1, settings, Default::default())
        .await
        .unwrap();
    let mut users = vec![ada];
    for (n, org) in [(1, c1), (2, c2)] {
        let u = dir
            .create_user(Caller::System, org, new_user(1000 + n, UserKind::Standard))
            .await
            .unwrap()
            .id;
        let at = GrantRef {
            user: u,
            org,
            scope: Scope::Organization,
        };
        dir.change_grant(Caller::System, at, Change::Grant(role("admin")))
            .await
            .unwrap();
        users.push(u);
    }
    World {
        dir,
        store,
        orgs: [root, c1, c2],
        users,
        stranger: UserId::from_uuid(uuid::Uuid::from_u128(42)),
        created: 0,
    }
}

/// What a refused step must leave alone, counted.
#[derive(Debug, PartialEq, Eq)]
struct Footprint {
    audit: usize,
    users: usize,
    grants: usize,
    outbox: usize,
}

async fn all_users(store: &dyn Store) -> Vec<tenantry::UserRecord> {
    let (mut out, mut after) = (Vec::new(), None);
    loop {
        let page = store
            .users(&UserQuery {
                after,
                limit: 1000,
                ..Default::default()
            })
            .await
            .unwrap();
        out.extend(page.items.into_iter().map(|v| v.value));
        after = page.next;
        if after.is_none() {
            return out;
        }
    }
}

async fn footprint(w: &World) -> Footprint {
    let store = w.store.as_ref();
    let users = all_users(store).await;
    let mut grants = 0;
    for u in &users {
        grants += store
            .list(&ListOf::GrantsOfUser(u.user.id()))
            .await
            .unwrap()
            .len();
    }
    let far = Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).unwrap();
    Footprint {
        audit: store
            .audit(&AuditQuery {
                limit: 1000,
                ..Default::default()
            })
            .await
            .unwrap()
            .len(),
        users: users.len(),
        grants,
        outbox: store.pending_outbox(far, 1000).await.unwrap().len(),
    }
}

fn caller(w: &World, i: u8) -> Caller {
    let n = w.users.len() + 2;
    match usize::from(i) % n {
        k if k < w.users.len() => Caller::User(w.users[k]),
        k if k == w.users.len() => Caller::System,
        _ => Caller::User(w.stranger),
    }
}

async fn step(w: &mut World, op: &Op) -> Result<bool, TestCaseError> {
    let pick = |i: u8| w.users[usize::from(i) % w.users.len()];
    let org = |i: u8| w.orgs[usize::from(i) % 3];
    let scope = |i: u8| [Scope::Organization, Scope::Children, Scope::Subtree][usize::from(i) % 3];
    let outcome = match *op {
        Op::Create {
            actor,
            org: o,
            kind,
        } => {
            let kind =
                [UserKind::Standard, UserKind::Guest, UserKind::Consumer][usize::from(kind) % 3];
            w.created += 1;
            let new = new_user(w.created, kind);
            match w.dir.create_user(caller(w, actor), org(o), new).await {
                Ok(c) => {
                    w.users.push(c.id);
                    true
                }
                Err(_) => false,
            }
        }
        Op::Grant {
            actor,
            target,
            org: o,
            scope: s,
            role: r,
            revoke,
        } => {
            let at = GrantRef {
                user: pick(target),
                org: org(o),
                scope: scope(s),
            };
            let what = role(ROLES[usize::from(r) % 4]);
            let change = match revoke {
                None => Change::Grant(what),
                Some(cascade) => Change::Revoke { what, cascade },
            };
            w.dir
                .change_grant(caller(w, actor), at, change)
                .await
                .is_ok()
        }
        Op::Account {
            actor,
            target,
            event,
        } => {
            let event = [
                Event::Deactivate,
                Event::Reactivate,
                Event::Block,
                Event::Unblock,
                Event::Delete,
                Event::Invite,
            ][usize::from(event) % 6];
            let target = pick(target);
            let deleting = event == Event::Delete;
            let ok = w
                .dir
                .change_account(caller(w, actor), target, event)
                .await
                .is_ok();
            // A deleted user is erased: no longer expected in the store.
            if ok && deleting {
                w.users.retain(|u| *u != target);
            }
            ok
        }
    };
    Ok(outcome)
}

/// The promises, checked against everything the store holds.
async fn invariants(w: &World) -> Result<(), TestCaseError> {
    let store = w.store.as_ref();
    let catalog = catalog();
    let users = all_users(store).await;
    // Nothing committed is lost.
    let present: BTreeSet<UserId> = users.iter().map(|u| u.user.id()).collect();
    for u in &w.users {
        prop_assert!(present.contains(u), "user {u} was lost");
    }
    // One resolver over everything.
    let mut model = AccessModel::new();
    for o in store.orgs().await.unwrap() {
        model.add_org(o.value.org.id, o.value.org.parent);
        model.entitle(o.value.org.id, o.value.entitlements.iter().cloned());
    }
    for u in &users {
        model.add_user(u.user.id(), u.user.kind(), u.user.org());
        for g in store
            .list(&ListOf::GrantsOfUser(u.user.id()))
            .await
            .unwrap()
        {
            if let Record::Grant(r, what) = g.value {
                model.set_grant(r.user, r.org, r.scope, what);
            }
        }
    }
    let resolver = Resolver::compile(&catalog, &model).unwrap();
    let id = |k: &str| catalog.permission(k).unwrap();
    for (i, org) in w.orgs.iter().enumerate() {
        // An organization that has an admin among its members keeps one: a member holding
        // the admin permission there whose account counts (created, invited or active; not
        // waiting for approval, inactive, blocked or deleted). Admins of a parent do not count for a child; the root starts with Ada,
        // each child with its own admin.
        let admins = users
            .iter()
            .filter(|u| {
                u.user.org() == *org
                    && matches!(
                        u.account.state(),
                        AccountState::Created | AccountState::Invited | AccountState::Active
                    )
                    && resolver
                        .check(u.user.id(), id("org.admin"), Target::Org(*org))
                        .is_allowed()
            })
            .count();
        prop_assert!(admins >= 1, "organization {} has no admin", i);
        for u in &users {
            let holds = |p: &str| {
                resolver
                    .check(u.user.id(), id(p), Target::Org(*org))
                    .is_allowed()
            };
            // Entitlements: C2 never gets billing.
            if i == 2 {
                prop_assert!(
                    !holds("billing.manage"),
                    "billing at C2 for {}",
                    u.user.id()
                );
            }
            // Kind rules: no network-wide permission for guests or consumers.
            if matches!(u.user.kind(), UserKind::Guest | UserKind::Consumer) {
                prop_assert!(!holds("feed.read"), "{:?} holds feed.read", u.user.kind());
            }
        }
    }
    // Accounts that may not sign in (nor file requests) are denied every check.
    for u in &users {
        let caps = u.account.capabilities();
        if !caps.may_sign_in && !caps.may_file_requests {
            for p in PERMISSIONS {
                for org in &w.orgs {
                    let d = w
                        .dir
                        .check(u.user.id(), p, Target::Org(*org))
                        .await
                        .unwrap();
                    prop_assert!(
                        !d.is_allowed(),
                        "{:?} account allowed {p}",
                        u.account.state()
                    );
                }
            }
        }
    }
    // Every outbox message belongs to an existing user.
    let far = Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).unwrap();
    for m in store.pending_outbox(far, 1000).await.unwrap() {
        let user = m.value.user;
        prop_assert!(
            user.is_some_and(|u| present.contains(&u)),
            "outbox message without a user"
        );
    }
    Ok(())
}

async fn run_case(store: Arc<dyn Store>, ops: &[Op]) -> Result<(), TestCaseError> {
    let mut w = world(store).await;
    invariants(&w).await?;
    for op in ops {
        let before = footprint(&w).await;
        let ok = step(&mut w, op).await?;
        let after = footprint(&w).await;
        if ok {
            prop_assert_eq!(
                after.audit,
                before.audit + 1,
                "one audit event for {:?}",
                op
            );
        } else {
            prop_assert_eq!(&after, &before, "a refused {:?} wrote something", op);
        }
        invariants(&w).await?;
    }
    Ok(())
}

fn cases() -> u32 {
    std::env::var("TENANTRY_MODEL_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

fn run<S, F>(cases: u32, make: F)
where
    F: Fn() -> S,
    S: std::future::Future<Output = Arc<dyn Store>>,
{
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&proptest::collection::vec(op(), 1..16), |ops| {
            rt.block_on(async { run_case(make().await, &ops).await })
        })
        .unwrap();
}

#[test]
fn directory_keeps_its_promises_on_memory_store() {
    run(cases(), || async {
        Arc::new(MemoryStore::new()) as Arc<dyn Store>
    });
}

#[test]
fn directory_keeps_its_promises_on_sqlite() {
    run((cases() / 10).max(100), || async {
        Arc::new(SqliteStore::in_memory().await.unwrap()) as Arc<dyn Store>
    });
}

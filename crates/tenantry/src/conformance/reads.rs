//! Reads return what was written.

use chrono::Duration;
use tenantry_access::{GrantRef, Grantables, PermissionKey, RoleKey, Scope};
use tenantry_credentials::{TokenPurpose, issue_token};
use tenantry_identity::{
    Department, DepartmentId, Email, Group, GroupId, LoginKey, Membership, OrgId, SignUpCode,
    UserId, UserKind,
};
use tenantry_lifecycle::AccountState;
use uuid::Uuid;

use crate::changeset::Changeset;
use crate::records::{Record, RecordKey};
use crate::store::{ListOf, Store, UserQuery};

use super::*;

/// Every read returns what was written.
pub async fn reads(store: &dyn Store) -> Outcome {
    const C: &str = "reads";
    let mut f = Fixture::new();
    let org = f.org()?;
    let org_id = org.org.id;
    let ann = f.user(org_id, "Ann").ok_or_else(|| ConformanceError {
        check: C,
        detail: "fixture".into(),
    })?;
    let bob = f.user(org_id, "bob").ok_or_else(|| ConformanceError {
        check: C,
        detail: "fixture".into(),
    })?;
    let group = Group::new(GroupId::generate(f.now, &mut f.rng), org_id, name()?, f.now);
    let membership = Membership {
        group: group.id,
        user: bob.user.id(),
        since: f.now,
    };
    let code = SignUpCode::generate(&mut f.rng);
    let dept = Department {
        id: DepartmentId::generate(f.now, &mut f.rng),
        org: org_id,
        name: name()?,
        sign_up_code: Some(code.clone()),
        created_at: f.now,
        version: 0,
    };
    let grant = GrantRef {
        user: ann.user.id(),
        org: org_id,
        scope: Scope::Organization,
    };
    let grantables = Grantables {
        permissions: PermissionKey::new("org.admin")
            .map(|k| [k].into())
            .unwrap_or_default(),
        ..Grantables::new()
    };
    let (_, token) = attempt!(
        C,
        issue_token(
            TokenPurpose::PasswordReset,
            ann.user.id(),
            f.now,
            Duration::hours(1),
            None,
            &mut f.rng
        )
    );
    attempt!(
        C,
        insert(
            store,
            vec![
                Record::Org(org.clone()),
                Record::User(ann.clone()),
                Record::User(bob.clone()),
                Record::Group(group.clone()),
                Record::Membership(membership.clone()),
                Record::Department(dept.clone()),
                Record::Grant(grant, grantables.clone()),
                Record::Token(token.clone()),
            ],
        )
        .await
    );

    let got = attempt!(C, store.get(&RecordKey::User(ann.user.id())).await);
    ensure!(
        C,
        got.as_ref().is_some_and(|v| v.version == 1),
        "a new record has version 1, got {got:?}"
    );
    ensure!(
        C,
        matches!(got.map(|v| v.value), Some(Record::User(u)) if u.user.identifiers() == ann.user.identifiers()),
        "get(user) returns the user"
    );
    ensure!(
        C,
        attempt!(
            C,
            store
                .get(&RecordKey::User(UserId::from_uuid(Uuid::nil())))
                .await
        )
        .is_none(),
        "get of a missing key is None"
    );

    // Login identifiers are found case-insensitively (their keys are lowercase).
    let upper = attempt!(
        C,
        Email::parse(&format!("ANN.{}@CONFORMANCE.EXAMPLE", f.tag)).map_err(|e| e.to_string())
    );
    let by_login = attempt!(C, store.user_by_login(&LoginKey::Email(upper.key())).await);
    ensure!(
        C,
        by_login.is_some_and(|u| u.value.user.id() == ann.user.id()),
        "user_by_login finds Ann by her email in another case"
    );
    let missing = attempt!(
        C,
        store
            .user_by_login(&LoginKey::Username("nobody-here".into()))
            .await
    );
    ensure!(
        C,
        missing.is_none(),
        "user_by_login of an unknown key is None"
    );

    // Users by organization and group, paged.
    let page = attempt!(
        C,
        store
            .users(&UserQuery {
                org: Some(org_id),
                limit: 1,
                ..Default::default()
            })
            .await
    );
    ensure!(
        C,
        page.items.len() == 1 && page.next.is_some(),
        "first page of one user with a next, got {} items",
        page.items.len()
    );
    let rest = attempt!(
        C,
        store
            .users(&UserQuery {
                org: Some(org_id),
                limit: 10,
                after: page.next,
                ..Default::default()
            })
            .await
    );
    ensure!(
        C,
        rest.items.len() == 1 && rest.next.is_none(),
        "second page holds the other user and ends"
    );
    ensure!(
        C,
        page.items[0].value.user.id() < rest.items[0].value.user.id(),
        "users are ordered by id"
    );
    let members = attempt!(
        C,
        store
            .users(&UserQuery {
                group: Some(group.id),
                ..Default::default()
            })
            .await
    );
    ensure!(
        C,
        members.items.len() == 1 && members.items[0].value.user.id() == bob.user.id(),
        "users of a group"
    );
    let none = attempt!(
        C,
        store
            .users(&UserQuery {
                org: Some(org_id),
                kinds: vec![UserKind::Pin],
                ..Default::default()
            })
            .await
    );
    ensure!(C, none.items.is_empty(), "kind filter");
    let active = attempt!(
        C,
        store
            .users(&UserQuery {
                org: Some(org_id),
                states: vec![AccountState::Active],
                ..Default::default()
            })
            .await
    );
    ensure!(C, active.items.len() == 2, "state filter");

    ensure!(
        C,
        attempt!(C, store.orgs().await)
            .iter()
            .any(|o| o.value.org.id == org_id),
        "orgs lists the organization"
    );
    for (of, want) in [
        (ListOf::GroupsOf(org_id), 1),
        (ListOf::MembersOf(group.id), 1),
        (ListOf::GroupsOfUser(bob.user.id()), 1),
        (ListOf::DepartmentsOf(org_id), 1),
        (ListOf::LocationsOf(org_id), 0),
        (ListOf::JobProfilesOf(org_id), 0),
        (ListOf::GrantsOfUser(ann.user.id()), 1),
        (ListOf::GrantsAt(org_id), 1),
        (ListOf::TokensOf(ann.user.id()), 1),
        (ListOf::OutboxOf(ann.user.id()), 0),
    ] {
        let got = attempt!(C, store.list(&of).await).len();
        ensure!(C, got == want, "list({of:?}) gave {got}, want {want}");
    }
    let by_code = attempt!(C, store.department_by_code(&code).await);
    ensure!(
        C,
        matches!(by_code.map(|v| v.value), Some(Record::Department(d)) if d.id == dept.id),
        "department_by_code"
    );
    let token_back = attempt!(C, store.get(&RecordKey::Token(token.hash)).await);
    ensure!(
        C,
        matches!(token_back.map(|v| v.value), Some(Record::Token(t)) if t == token),
        "tokens are found by hash"
    );
    Ok(())
}

/// [`ListOf::GrantsNaming`] answers the grants at the organization that name any of the
/// roles or permissions asked, and follows their rewrites and deletes.
pub async fn grants_naming(store: &dyn Store) -> Outcome {
    const C: &str = "grants_naming";
    let mut f = Fixture::new();
    let org = f.org()?;
    let other = f.org()?;
    let (org_id, other_id) = (org.org.id, other.org.id);
    let key = |k: &str| PermissionKey::new(k).map_err(|e| fail(C, e));
    let role = |k: &str| RoleKey::new(k).map_err(|e| fail(C, e));
    let named = |roles: &[&RoleKey], perms: &[&PermissionKey]| Grantables {
        roles: roles.iter().map(|r| (*r).clone()).collect(),
        permissions: perms.iter().map(|p| (*p).clone()).collect(),
    };
    let (admin, read, nobody) = (role("admin")?, key("feed.read")?, role("nobody")?);
    let grant = |f: &mut Fixture, org: OrgId| GrantRef {
        user: UserId::generate(f.now, &mut f.rng),
        org,
        scope: Scope::Organization,
    };
    let (ann, bob, cid) = (
        grant(&mut f, org_id),
        grant(&mut f, org_id),
        grant(&mut f, other_id),
    );
    insert(
        store,
        vec![
            Record::Org(org),
            Record::Org(other),
            Record::Grant(ann, named(&[&admin], &[])),
            Record::Grant(bob, named(&[], &[&read])),
            Record::Grant(cid, named(&[&admin], &[&read])),
        ],
    )
    .await
    .map_err(|e| fail(C, e))?;
    let count = |any: Grantables| async move {
        store
            .list(&ListOf::GrantsNaming(org_id, any))
            .await
            .map(|v| v.len())
    };
    let cases = [
        (named(&[&admin], &[]), 1, "a role"),
        (named(&[], &[&read]), 1, "a permission"),
        (named(&[&admin], &[&read]), 2, "either, each grant once"),
        (named(&[&nobody], &[]), 0, "a role nobody holds"),
        (Grantables::new(), 0, "nothing"),
    ];
    for (any, want, what) in cases {
        let got = attempt!(C, count(any).await);
        ensure!(C, got == want, "{what}: {got} grants, want {want}");
    }
    // Ann's grant is rewritten to name the permission only, then Bob's is deleted.
    let version = |k: GrantRef| async move {
        store
            .get(&RecordKey::Grant(k))
            .await
            .map(|v| v.map(|v| v.version).unwrap_or(0))
    };
    let mut cs = Changeset::new();
    cs.update(
        Record::Grant(ann, named(&[], &[&read])),
        attempt!(C, version(ann).await),
    );
    attempt!(C, store.commit(cs).await);
    let got = attempt!(C, count(named(&[&admin], &[])).await);
    ensure!(
        C,
        got == 0,
        "a rewritten grant no longer names the role: {got}"
    );
    let got = attempt!(C, count(named(&[], &[&read])).await);
    ensure!(C, got == 2, "a rewritten grant names the permission: {got}");
    let mut cs = Changeset::new();
    cs.delete(RecordKey::Grant(bob), attempt!(C, version(bob).await));
    attempt!(C, store.commit(cs).await);
    let got = attempt!(C, count(named(&[], &[&read])).await);
    ensure!(C, got == 1, "a deleted grant is gone from the index: {got}");
    Ok(())
}

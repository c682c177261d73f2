//! A caller whose account may not sign in acts for nobody: every public `Directory` use case
//! that takes a caller, called by an admin in each state that may not sign in, is refused
//! with [`DirectoryError::CallerMayNotAct`] and changes nothing. The same calls by the same
//! admin while active succeed, so the table proves the refusal comes from the state.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use std::future::Future;
use std::pin::Pin;

use tenantry::testing::{World, WorldBuilder, admin_role};
use tenantry::*;
use tenantry_access::{Change, GrantRef, Scope};
use tenantry_credentials::{CodeChannel, Password};
use tenantry_identity::*;
use tenantry_lifecycle::{Event, LifecyclePolicy, WayIn};

/// The states an admin's account can be in when it may not sign in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dormant {
    Invited,
    Created,
    Pending,
    Inactive,
    Blocked,
    Deleted,
}

const DORMANT: [Dormant; 6] = [
    Dormant::Invited,
    Dormant::Created,
    Dormant::Pending,
    Dormant::Inactive,
    Dormant::Blocked,
    Dormant::Deleted,
];

/// What each row acts on, prepared by the root admin.
struct Scene {
    w: World,
    /// An admin of the root organization, active until the row moves them.
    actor: UserId,
    /// Another active user of the root organization.
    carl: UserId,
    /// A PIN user.
    pin: UserId,
    /// A consumer.
    consumer: UserId,
    /// A child organization.
    child: OrgId,
    /// A group with Carl in it.
    group: GroupId,
}

fn new_group_id() -> GroupId {
    GroupId::generate(tenantry::testing::epoch(), &mut rand::rng())
}

fn person(first: &str, last: &str) -> Profile {
    Profile {
        first_name: Some(NamePart::parse(first).unwrap()),
        last_name: Some(NamePart::parse(last).unwrap()),
        ..Profile::default()
    }
}

async fn scene() -> Scene {
    let w = WorldBuilder::new().build().await.unwrap();
    let settings = OrgSettings {
        pin_users: Some(PinUserSettings {
            domain: EmailDomain::parse("pins.acme.example").unwrap(),
        }),
        consumers_enabled: true,
        ..OrgSettings::default()
    };
    let mut lifecycle = LifecyclePolicy::default();
    lifecycle.sign_up.enabled = true;
    lifecycle.sign_up.needs_approval = true;
    w.dir
        .configure_organization(Caller::System, w.org, settings, lifecycle)
        .await
        .unwrap();
    let carl = w
        .active_user(w.org, "carl@acme.example", "purple monkey dishwasher 1")
        .await
        .unwrap();
    let pin = w
        .dir
        .create_user(
            Caller::System,
            w.org,
            NewUser {
                kind: UserKind::Pin,
                profile: person("Pia", "Pin"),
                identifiers: LoginIdentifiers {
                    external_id: Some(ExternalId::parse("P-1").unwrap()),
                    ..Default::default()
                },
                way_in: WayIn::Pin,
                password: None,
            },
        )
        .await
        .unwrap()
        .id;
    let consumer = w
        .dir
        .create_user(
            Caller::System,
            w.org,
            NewUser {
                kind: UserKind::Consumer,
                way_in: WayIn::None,
                ..NewUser::invited(Email::parse("cora@acme.example").unwrap())
            },
        )
        .await
        .unwrap()
        .id;
    let child = w
        .dir
        .create_organization(Caller::System, w.org, Name::parse("Branch").unwrap())
        .await
        .unwrap();
    let group = w
        .dir
        .create_group(
            Caller::System,
            Group::new(
                new_group_id(),
                w.org,
                Name::parse("Staff").unwrap(),
                w.clock.now(),
            ),
        )
        .await
        .unwrap();
    w.dir
        .change_members(Caller::System, group, &[carl], &[])
        .await
        .unwrap();
    let actor = w
        .active_user(w.org, "eve@acme.example", "purple monkey dishwasher 2")
        .await
        .unwrap();
    grant_admin(&w, actor).await;
    Scene {
        w,
        actor,
        carl,
        pin,
        consumer,
        child,
        group,
    }
}

async fn grant_admin(w: &World, user: UserId) {
    w.grant_admin(user, w.org).await.unwrap();
}

/// A fresh admin of the root organization in `state`.
async fn dormant_admin(s: &Scene, state: Dormant) -> UserId {
    let w = &s.w;
    match state {
        Dormant::Invited => {
            let id = w.invite("ivy@acme.example").await.unwrap();
            grant_admin(w, id).await;
            id
        }
        Dormant::Created => {
            let new = NewUser {
                way_in: WayIn::None,
                ..NewUser::invited(Email::parse("cid@acme.example").unwrap())
            };
            let id = w
                .dir
                .create_user(Caller::System, w.org, new)
                .await
                .unwrap()
                .id;
            grant_admin(w, id).await;
            id
        }
        Dormant::Pending => {
            w.dir
                .sign_up(SignUpForm {
                    org: w.org,
                    as_guest: false,
                    profile: person("Pat", "Pending"),
                    identifiers: LoginIdentifiers {
                        email: Some(Email::parse("pat@acme.example").unwrap()),
                        ..Default::default()
                    },
                    password: Password::new("purple monkey dishwasher 3"),
                    chosen_department: None,
                    link: None,
                })
                .await
                .unwrap();
            let message = w
                .last_to("pat@acme.example", "activation_link")
                .await
                .expect("an activation link");
            let raw = tenantry::testing::token_from(&message, "activation").unwrap();
            let id = w.dir.activate(&raw, None).await.unwrap();
            grant_admin(w, id).await;
            id
        }
        Dormant::Inactive | Dormant::Blocked | Dormant::Deleted => {
            let email = format!("{state:?}@acme.example").to_lowercase();
            let id = w
                .active_user(w.org, &email, "a long enough password")
                .await
                .unwrap();
            grant_admin(w, id).await;
            let event = match state {
                Dormant::Inactive => Event::Deactivate,
                Dormant::Blocked => Event::Block,
                _ => Event::Delete,
            };
            w.dir.change_account(w.admin(), id, event).await.unwrap();
            id
        }
    }
}

const IMPORT: &[u8] =
    b"First name;Last name;Job profile;Department;Permission type;Email;Username;Phone;Language\n\
Nina;Neu;;;admin;nina@acme.example;;;de\n";

type Outcome<'a> = Pin<Box<dyn Future<Output = Result<(), DirectoryError>> + Send + 'a>>;

/// One public use case, called as `caller`.
type Row = for<'a> fn(&'a Scene, Caller) -> Outcome<'a>;

fn ok<T>(r: Result<T, DirectoryError>) -> Result<(), DirectoryError> {
    r.map(|_| ())
}

macro_rules! row {
    ($name:literal, |$s:ident, $c:ident| $body:expr) => {
        ($name, {
            fn call<'a>($s: &'a Scene, $c: Caller) -> Outcome<'a> {
                Box::pin(async move { ok($body.await) })
            }
            call as Row
        })
    };
}

fn rows() -> Vec<(&'static str, Row)> {
    vec![
        row!("create_user", |s, c| s.w.dir.create_user(
            c,
            s.w.org,
            NewUser::invited(Email::parse("new@acme.example").unwrap())
        )),
        row!("change_account", |s, c| s.w.dir.change_account(
            c,
            s.carl,
            Event::Deactivate
        )),
        row!("change_grant", |s, c| s.w.dir.change_grant(
            c,
            GrantRef {
                user: s.carl,
                org: s.w.org,
                scope: Scope::Organization,
            },
            Change::Grant(admin_role())
        )),
        row!("reset_password_by_admin", |s, c| s
            .w
            .dir
            .reset_password_by_admin(c, s.carl)),
        row!("reset_pin", |s, c| s.w.dir.reset_pin(c, s.pin)),
        row!("create_organization", |s, c| s.w.dir.create_organization(
            c,
            s.w.org,
            Name::parse("New branch").unwrap()
        )),
        row!("set_entitlements", |s, c| s.w.dir.set_entitlements(
            c,
            s.child,
            Default::default()
        )),
        row!("configure_organization", |s, c| s
            .w
            .dir
            .configure_organization(
                c,
                s.w.org,
                OrgSettings::default(),
                Default::default()
            )),
        row!("set_contact_person", |s, c| s
            .w
            .dir
            .set_contact_person(c, s.w.org, s.carl)),
        row!("create_group", |s, c| s.w.dir.create_group(
            c,
            Group::new(
                new_group_id(),
                s.w.org,
                Name::parse("Another").unwrap(),
                s.w.clock.now()
            )
        )),
        row!("update_group", |s, c| s.w.dir.update_group(
            c,
            s.group,
            |g| {
                g.name = Name::parse("Renamed").unwrap();
            }
        )),
        row!("delete_group", |s, c| s.w.dir.delete_group(c, s.group)),
        row!("change_members", |s, c| s.w.dir.change_members(
            c,
            s.group,
            &[],
            &[s.carl]
        )),
        row!("group_members", |s, c| s
            .w
            .dir
            .group_members(c, s.group, None, 10)),
        row!("send_digest", |s, c| s.w.dir.send_digest(
            c,
            s.consumer,
            vec!["news".into()]
        )),
        row!("impersonate", |s, c| {
            let Caller::User(admin) = c else {
                unreachable!()
            };
            s.w.dir.impersonate(admin, s.carl, "support ticket 7")
        }),
        row!("send_login_link", |s, c| s.w.dir.send_login_link(c, s.carl)),
        row!("send_activation_code", |s, c| s.w.dir.send_activation_code(
            c,
            s.carl,
            CodeChannel::Email
        )),
        row!("create_department", |s, c| s.w.dir.create_department(
            c,
            s.w.org,
            NewDepartment {
                name: Name::parse("Sales").unwrap(),
                sign_up_link: true
            }
        )),
        row!("create_job_profile", |s, c| s.w.dir.create_job_profile(
            c,
            s.w.org,
            Name::parse("Cook").unwrap()
        )),
        row!("create_location", |s, c| s.w.dir.create_location(
            c,
            s.w.org,
            Name::parse("Hall").unwrap()
        )),
        row!("set_location_access", |s, c| s.w.dir.set_location_access(
            c,
            s.carl,
            LocationAccess::All
        )),
        row!("share_with_guests", |s, c| s.w.dir.share_with_guests(
            c,
            s.w.org,
            SharedArea::new("channel", "c-1").unwrap()
        )),
        row!("stop_sharing_with_guests", |s, c| s
            .w
            .dir
            .stop_sharing_with_guests(
                c,
                s.w.org,
                SharedArea::new("channel", "c-1").unwrap()
            )),
        row!("update_user", |s, c| s.w.dir.update_user(
            c,
            s.carl,
            UserUpdate {
                profile: Some(person("Carl", "Changed")),
                ..Default::default()
            }
        )),
        row!("export (PIN users)", |s, c| s.w.dir.export(
            c,
            s.w.org,
            ExportRequest {
                kind: ExportKind::PinUsers,
                format: Format::Csv(Default::default()),
                headers: &tenantry_tabular::Headers::default()
            },
            Vec::new()
        )),
        row!("import_template", |s, c| s
            .w
            .dir
            .import_template(c, s.w.org)),
        row!("plan_import", |s, c| s.w.dir.plan_import(
            c,
            s.w.org,
            IMPORT,
            ImportFormat::Csv
        )),
        row!("commit_import", |s, c| async move {
            let plan =
                s.w.dir
                    .plan_import(Caller::System, s.w.org, IMPORT, ImportFormat::Csv)
                    .await?;
            s.w.dir.commit_import(c, s.w.org, &plan).await
        }),
        row!("set_notification_settings", |s, c| {
            let Caller::User(me) = c else { unreachable!() };
            s.w.dir
                .set_notification_settings(c, me, NotificationSettings::default())
        }),
        row!("send_message", |s, c| s.w.dir.send_message(
            c,
            s.carl,
            HostMessage {
                topic: Topic::Recommendation,
                subject: "A post".into(),
                text: "Read this.".into(),
            }
        )),
    ]
}

/// The same admin, active, may do each of these: the rows are valid calls.
#[tokio::test]
async fn every_row_succeeds_for_an_active_admin() {
    for (name, call) in rows() {
        let s = scene().await;
        let outcome = call(&s, Caller::User(s.actor)).await;
        assert!(outcome.is_ok(), "{name} by an active admin: {outcome:?}");
    }
}

#[tokio::test]
async fn no_use_case_acts_for_a_caller_who_may_not_sign_in() {
    let mut failures = Vec::new();
    for state in DORMANT {
        for (name, call) in rows() {
            let s = scene().await;
            let caller = dormant_admin(&s, state).await;
            let before =
                s.w.store
                    .audit(&AuditQuery {
                        limit: MAX_PAGE,
                        ..Default::default()
                    })
                    .await
                    .unwrap()
                    .len();
            let outcome = call(&s, Caller::User(caller)).await;
            let after =
                s.w.store
                    .audit(&AuditQuery {
                        limit: MAX_PAGE,
                        ..Default::default()
                    })
                    .await
                    .unwrap()
                    .len();
            if !matches!(outcome, Err(DirectoryError::CallerMayNotAct)) || after != before {
                failures.push(format!("{state:?} admin, {name}: {outcome:?}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The import template lists an organization's departments and job profiles: only for its
/// admins (it took no caller before, so anyone could read any organization's).
#[tokio::test]
async fn the_import_template_is_for_admins_only() {
    let s = scene().await;
    let r = s.w.dir.import_template(Caller::User(s.carl), s.w.org).await;
    assert!(matches!(r, Err(DirectoryError::Denied(_))), "{r:?}");
    assert!(
        s.w.dir
            .import_template(Caller::User(s.actor), s.w.org)
            .await
            .is_ok()
    );
}

//! Exports, imports and the access review.

use tenantry::*;
use tenantry_access::{Area, CatalogBuilder, Grantables, RoleKey};
use tenantry_credentials::Password;
use tenantry_identity::*;
use tenantry_lifecycle::{AccountState, WayIn};

use crate::support::*;

#[tokio::test]
async fn network_exports_and_workforce_import() {
    let w = world().await;
    configure(&w, |s, _| {
        s.consumers_enabled = true;
        s.pin_users = Some(PinUserSettings {
            domain: EmailDomain::parse("pins.acme.example").unwrap(),
        });
        s.phone_region = Some("DE".into());
    })
    .await;
    let consumer = NewUser {
        kind: UserKind::Consumer,
        ..standard("carla@crm.example", WayIn::None)
    };
    w.dir
        .create_user(Caller::System, w.org, consumer)
        .await
        .unwrap();
    let pin_user = pin_user("Max", "Muster", "0042");
    let pin = w
        .dir
        .create_user(Caller::System, w.org, pin_user)
        .await
        .unwrap()
        .pin
        .unwrap();
    let mut csv = Vec::new();
    let n = w
        .dir
        .export(
            Caller::User(w.admin),
            w.org,
            ExportRequest {
                kind: ExportKind::Consumers,
                format: Format::Csv(Default::default()),
                headers: &tenantry_tabular::Headers::default(),
            },
            &mut csv,
        )
        .await
        .unwrap();
    assert_eq!(n, 1);
    let text = String::from_utf8(csv).unwrap();
    assert!(text.contains("carla@crm.example,Bob,,0,yes"), "{text}");
    let mut xlsx = Vec::new();
    w.dir
        .export(
            Caller::User(w.admin),
            w.org,
            ExportRequest {
                kind: ExportKind::PinUsers,
                format: Format::Xlsx,
                headers: &tenantry_tabular::Headers::new(tenantry_tabular::Lang::De),
            },
            &mut xlsx,
        )
        .await
        .unwrap();
    let sheet = tenantry_tabular::read_xlsx(&xlsx, &Default::default()).unwrap();
    assert_eq!(
        sheet.rows[0].1,
        [
            "max.muster@pins.acme.example",
            "Max",
            "Muster",
            "0042",
            pin.expose()
        ]
    );
    let audit = w
        .store
        .audit(&AuditQuery {
            org: Some(w.org),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "export.pins" && e.actor == Some(w.admin))
    );

    // Import: one new row with a one-time password, one existing user (skipped, never
    // overwritten), one bad row.
    let file = "First name;Last name;Job profile;Department;Permission type;Email;Username;Phone;Language;One-time password\n\
                Nina;Neu;;;admin;nina@acme.example;;;de;Import-Welcome-2026-x\n\
                Carla;Changed;;;admin;carla@crm.example;;;de;\n\
                Olaf;;;;admin;;olaf;0170 1234567;de;\n";
    let plan = w
        .dir
        .plan_import(
            Caller::User(w.admin),
            w.org,
            file.as_bytes(),
            ImportFormat::Csv,
        )
        .await
        .unwrap();
    assert_eq!(
        (plan.create.len(), plan.skipped.len(), plan.rejected.len()),
        (1, 1, 1),
        "{plan:?}"
    );
    assert_eq!(
        plan.rejected[0].column,
        Some(tenantry_tabular::Column::LastName)
    );
    let outcome = w
        .dir
        .commit_import(Caller::User(w.admin), w.org, &plan)
        .await
        .unwrap();
    assert_eq!(outcome.created.len(), 1);
    assert_eq!(outcome.skipped, vec![(3, "the user exists".to_owned())]);
    let nina = outcome.created[0].1;
    match w
        .store
        .get(&RecordKey::User(nina))
        .await
        .unwrap()
        .unwrap()
        .value
    {
        Record::User(u) => {
            assert_eq!(
                u.account.state(),
                AccountState::Invited,
                "the one-time password is the way in"
            );
            assert_eq!(u.user.profile().language.as_ref().unwrap().as_str(), "de");
        }
        other => panic!("{other:?}"),
    }
    assert!(w.store.get(&RecordKey::Otp(nina)).await.unwrap().is_some());
    assert_eq!(
        w.store
            .list(&ListOf::GrantsOfUser(nina))
            .await
            .unwrap()
            .len(),
        1,
        "the permission type is granted"
    );
    let carla = w
        .store
        .user_by_login(&LoginKey::Email("carla@crm.example".into()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        carla.value.user.profile().last_name,
        None,
        "the existing user was not overwritten"
    );
    // Not for non-admins (Nina was made one by her permission type; Carla was not).
    let denied = w
        .dir
        .plan_import(
            Caller::User(carla.value.user.id()),
            w.org,
            file.as_bytes(),
            ImportFormat::Csv,
        )
        .await;
    // (Carla has not activated her account: she acts for nobody.)
    assert!(matches!(denied, Err(DirectoryError::CallerMayNotAct)));
}

#[tokio::test]
async fn workforce_import_commits_in_blocks_and_skips_what_it_may_not_create() {
    let mut b = CatalogBuilder::new();
    b.permission("org.admin", Area::Admin, "administer", &[])
        .unwrap();
    b.permission("feed.read", Area::Network, "read", &[])
        .unwrap();
    b.permission("billing.manage", Area::Admin, "manage billing", &[])
        .unwrap();
    b.role("admin", "Admin", &["org.admin", "feed.read"])
        .unwrap();
    b.role("member", "Member", &["feed.read"]).unwrap();
    b.role("billing", "Billing", &["billing.manage"]).unwrap();
    b.admin_permission("org.admin");
    let w = world_with(b.build().unwrap()).await;
    let company = first_user_company(&w).await;
    w.dir
        .set_entitlements(
            Caller::System,
            company,
            ["org.admin", "feed.read"]
                .iter()
                .map(|k| tenantry_access::PermissionKey::new(k).unwrap())
                .collect(),
        )
        .await
        .unwrap();

    // 1,203 rows: more than two blocks. One asks for a role the company is not entitled to,
    // one's email is taken after the plan.
    let n = 1203;
    let mut file = String::from("First name;Last name;Permission type;Email;Language\n");
    for i in 0..n {
        let role = if i == 700 { "billing" } else { "member" };
        file.push_str(&format!("F{i};L{i};{role};u{i}@company.example;en\n"));
    }
    // The host's integration imports (the root admin's grant covers the root only).
    let admin = Caller::System;
    let plan = w
        .dir
        .plan_import(admin, company, file.as_bytes(), ImportFormat::Csv)
        .await
        .unwrap();
    assert_eq!(plan.create.len(), n, "{:?}", plan.rejected.first());
    let row_of = |email: &str| {
        plan.create
            .iter()
            .find(|r| r.email.as_ref().is_some_and(|e| e.as_str() == email))
            .unwrap()
            .row
    };
    let (billing_row, taken_row, first_row) = (
        row_of("u700@company.example"),
        row_of("u1000@company.example"),
        row_of("u0@company.example"),
    );
    w.dir
        .create_user(
            Caller::System,
            w.org,
            standard("u1000@company.example", WayIn::None),
        )
        .await
        .unwrap();

    let outcome = w.dir.commit_import(admin, company, &plan).await.unwrap();

    assert_eq!(outcome.created.len(), n - 2);
    assert_eq!(outcome.skipped.len(), 2, "{:?}", outcome.skipped);
    let reason = |row| {
        outcome
            .skipped
            .iter()
            .find(|(r, _)| *r == row)
            .map(|(_, why)| why.clone())
            .unwrap()
    };
    assert!(
        reason(billing_row).contains("billing"),
        "{}",
        reason(billing_row)
    );
    assert_eq!(reason(taken_row), "the user exists");
    // The refused row's user was not created; the taken one was not overwritten.
    assert!(
        w.dir
            .sign_in("u700@company.example", &Password::new("x"))
            .await
            .is_err()
    );
    let (mut stored, mut after) = (0, None);
    loop {
        let page = w
            .store
            .users(&tenantry::UserQuery {
                org: Some(company),
                after,
                ..Default::default()
            })
            .await
            .unwrap();
        stored += page.items.len();
        after = page.next;
        if after.is_none() {
            break;
        }
    }
    assert_eq!(stored, n - 2);

    // The partner portal: the first row's user is the company's contact person and admin, with the
    // row's role as well; the others have the role only.
    let first = outcome
        .created
        .iter()
        .find(|(r, _)| *r == first_row)
        .unwrap()
        .1;
    match w
        .store
        .get(&RecordKey::Org(company))
        .await
        .unwrap()
        .unwrap()
        .value
    {
        Record::Org(o) => assert_eq!(o.org.contact_person, Some(first)),
        other => panic!("{other:?}"),
    }
    for (_, user) in [outcome.created[0], outcome.created[n - 3]] {
        let grants = w.store.list(&ListOf::GrantsOfUser(user)).await.unwrap();
        let Record::Grant(at, g) = &grants[0].value else {
            panic!("{grants:?}")
        };
        assert_eq!((grants.len(), at.org), (1, company));
        assert!(g.roles.contains(&RoleKey::new("member").unwrap()));
        assert_eq!(
            g.permissions
                .contains(&tenantry_access::PermissionKey::new("org.admin").unwrap()),
            user == first
        );
    }

    // One audit event per user created and per grant (audit listings are capped at a
    // page, so per user).
    for (_, user) in &outcome.created {
        let mut actions: Vec<String> = w
            .store
            .audit(&AuditQuery {
                subject: Some(*user),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
        actions.sort();
        assert_eq!(actions, ["grant.changed", "user.created"], "{user}");
    }
}

#[tokio::test]
async fn agency_access_review_lists_kind_state_last_sign_in_and_permissions() {
    let w = world_with(agency_catalog()).await;
    let admin = Caller::User(w.admin);
    let mut helper = standard("helper@acme.example", WayIn::Password);
    helper.password = Some(Password::new("a passphrase long enough for her"));
    let helper = w.dir.create_user(admin, w.org, helper).await.unwrap().id;
    let boxes = Grantables {
        permissions: ["home.view", "conversations.view"]
            .into_iter()
            .map(|k| tenantry_access::PermissionKey::new(k).unwrap())
            .collect(),
        ..Grantables::new()
    };
    let at = tenantry_access::GrantRef {
        user: helper,
        org: w.org,
        scope: tenantry_access::Scope::Organization,
    };
    w.dir
        .change_grant(admin, at, tenantry_access::Change::Grant(boxes))
        .await
        .unwrap();
    let own = replace_admin_set_password(
        &w,
        "helper@acme.example",
        &Password::new("a passphrase long enough for her"),
    )
    .await;
    w.dir.sign_in("helper@acme.example", &own).await.unwrap();
    let idle = w
        .dir
        .create_user(admin, w.org, standard("idle@acme.example", WayIn::None))
        .await
        .unwrap()
        .id;
    w.dir
        .change_account(admin, idle, tenantry_lifecycle::Event::Block)
        .await
        .unwrap();

    let mut csv = Vec::new();
    let rows = w
        .dir
        .export(
            admin,
            w.org,
            ExportRequest {
                kind: ExportKind::AccessReview,
                format: Format::Csv(Default::default()),
                headers: &tenantry_tabular::Headers::default(),
            },
            &mut csv,
        )
        .await
        .unwrap();
    assert_eq!(rows, 3);
    let text = String::from_utf8(csv).unwrap();
    let line = |email: &str| {
        text.lines()
            .find(|l| l.starts_with(email))
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        text.lines().next().unwrap(),
        "Email,Username,Placeholder email,External ID,First name,Last name,User type,Status,Last sign-in,Permissions"
    );
    let signed_in = "2026-11-22T09:00:00Z";
    assert_eq!(
        line("helper@acme.example"),
        format!(
            "helper@acme.example,,,,Bob,,standard,active,{signed_in},\"home.view, conversations.view\""
        )
    );
    assert_eq!(
        line("idle@acme.example"),
        "idle@acme.example,,,,Bob,,standard,blocked,,"
    );
    assert!(line("ada@acme.example").contains("org.admin"));
    // Only admins export, and the export is audited.
    assert!(matches!(
        w.dir
            .export(
                Caller::User(helper),
                w.org,
                ExportRequest {
                    kind: ExportKind::AccessReview,
                    format: Format::Xlsx,
                    headers: &tenantry_tabular::Headers::default()
                },
                Vec::new()
            )
            .await,
        Err(DirectoryError::Denied(_))
    ));
    let audit = w
        .store
        .audit(&AuditQuery {
            org: Some(w.org),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "export.access_review" && e.actor == Some(w.admin))
    );
}

/// Two PIN users of the same name, who have neither email nor username, are told apart in
/// the user list and the access review by their placeholder email and external id.
#[tokio::test]
async fn pin_users_of_one_name_are_told_apart_in_user_lists_and_access_reviews() {
    let w = world().await;
    w.enable_pin_users("pins.acme.example").await.unwrap();
    for external in ["0042", "0043"] {
        w.dir
            .create_user(Caller::System, w.org, pin_user("Max", "Muster", external))
            .await
            .unwrap();
    }
    for kind in [ExportKind::Users, ExportKind::AccessReview] {
        let mut csv = Vec::new();
        w.dir
            .export(
                Caller::User(w.admin),
                w.org,
                ExportRequest {
                    kind,
                    format: Format::Csv(Default::default()),
                    headers: &tenantry_tabular::Headers::default(),
                },
                &mut csv,
            )
            .await
            .unwrap();
        let sheet = tenantry_tabular::read_csv(&csv, &Default::default()).unwrap();
        let maxes: Vec<&Vec<String>> = sheet
            .rows
            .iter()
            .map(|(_, cells)| cells)
            .filter(|cells| cells.iter().any(|c| c == "Muster"))
            .collect();
        assert_eq!(maxes.len(), 2, "{kind:?}");
        assert_ne!(maxes[0], maxes[1], "{kind:?}: the two rows are the same");
        for (external, placeholder) in [
            ("0042", "max.muster@pins.acme.example"),
            ("0043", "max.muster"),
        ] {
            assert!(
                maxes.iter().any(|cells| cells.iter().any(|c| c == external)
                    && cells.iter().any(|c| c.starts_with(placeholder))),
                "{kind:?}: no row with {external} and {placeholder}: {maxes:?}"
            );
        }
    }
}

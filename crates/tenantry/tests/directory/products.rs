//! One test per product, walking its flows end to end.

use chrono::Duration;
use tenantry::*;
use tenantry_access::{Change, GrantRef, Scope};
use tenantry_access::{Grantables, RoleKey};
use tenantry_credentials::{Password, RawToken};
use tenantry_identity::*;
use tenantry_lifecycle::Event;
use tenantry_lifecycle::WayIn;

use crate::support::*;

#[tokio::test]
async fn network_network_end_to_end() {
    let (w, research, internal) = network_world().await;
    let admin = Caller::User(w.admin);

    // A guest, invited into Research only.
    let guest = NewUser {
        kind: UserKind::Guest,
        ..standard("consultant@partner.example", WayIn::Invitation)
    };
    let guest = w.dir.create_user(admin, w.org, guest).await.unwrap().id;
    // Guests cannot hold network-wide permissions at all: the member role is refused.
    let member = Grantables {
        roles: [RoleKey::new("member").unwrap()].into(),
        ..Grantables::new()
    };
    let guest_grant = GrantRef {
        user: guest,
        org: w.org,
        scope: Scope::Organization,
    };
    assert!(matches!(
        w.dir
            .change_grant(admin, guest_grant, Change::Grant(member))
            .await,
        Err(DirectoryError::Refused(
            tenantry_access::Refusal::KindCannotHold { .. }
        ))
    ));
    let guest_role = Grantables {
        roles: [RoleKey::new("guest").unwrap()].into(),
        ..Grantables::new()
    };
    w.dir
        .change_grant(admin, guest_grant, Change::Grant(guest_role))
        .await
        .unwrap();
    w.dir
        .change_members(admin, research, &[guest], &[])
        .await
        .unwrap();
    let invite = outbox(w.store.as_ref(), w.clock.now())
        .await
        .into_iter()
        .find(|m| m.to == "consultant@partner.example")
        .unwrap();
    let pw = Password::new("consulting all the way down");
    w.dir
        .accept_invitation(&token_from(&invite, "invitation"), &pw)
        .await
        .unwrap();
    assert_eq!(
        w.dir
            .sign_in("consultant@partner.example", &pw)
            .await
            .unwrap(),
        guest
    );
    assert!(
        w.dir
            .check(
                guest,
                "group.post",
                tenantry_access::Target::Group(research)
            )
            .await
            .unwrap()
            .is_allowed()
    );
    assert!(
        !w.dir
            .check(
                guest,
                "group.post",
                tenantry_access::Target::Group(internal)
            )
            .await
            .unwrap()
            .is_allowed()
    );
    assert!(
        !w.dir
            .check(
                guest,
                "feed.global.read",
                tenantry_access::Target::Org(w.org)
            )
            .await
            .unwrap()
            .is_allowed()
    );

    // A consumer from the CRM sync: digests with a registration link, then registration.
    let consumer = NewUser {
        kind: UserKind::Consumer,
        ..standard("reader@crm.example", WayIn::None)
    };
    let consumer = w
        .dir
        .create_user(Caller::System, w.org, consumer)
        .await
        .unwrap()
        .id;
    w.dir
        .change_members(admin, research, &[consumer], &[])
        .await
        .unwrap();
    w.dir
        .send_digest(
            Caller::System,
            consumer,
            vec!["New in Research: the Q3 report".into()],
        )
        .await
        .unwrap();

    // A PIN user: placeholder email, PIN export, password set with the PIN.
    let created = w
        .dir
        .create_user(admin, w.org, pin_user("Jürgen", "Weiß", "EMP-7"))
        .await
        .unwrap();
    let mut export = Vec::new();
    w.dir
        .export(
            admin,
            w.org,
            ExportRequest {
                kind: ExportKind::PinUsers,
                format: Format::Csv(Default::default()),
                headers: &tenantry_tabular::Headers::default(),
            },
            &mut export,
        )
        .await
        .unwrap();
    let export = String::from_utf8(export).unwrap();
    let line = export
        .lines()
        .find(|l| l.starts_with("juergen.weiss@pins.acme.example"))
        .unwrap();
    let pin = line.rsplit(',').next().unwrap();
    assert_eq!(pin, created.pin.unwrap().expose());
    let shift = Password::new("assembly line shift password");
    w.dir
        .set_password_with_pin("juergen.weiss@pins.acme.example", pin, &shift)
        .await
        .unwrap();
    assert_eq!(
        w.dir
            .sign_in("juergen.weiss@pins.acme.example", &shift)
            .await
            .unwrap(),
        created.id
    );

    // Everything queued goes out; the PIN user got nothing; the digest carried the link.
    let (report, mails) = deliver(&w).await;
    assert_eq!(report.failed, 0);
    assert!(mails.iter().all(|m| !m.to.ends_with("pins.acme.example")));
    let digest = mails.iter().find(|m| m.to == "reader@crm.example").unwrap();
    assert!(
        digest.text.contains("New in Research")
            && digest.text.contains("https://app.example/registration/")
    );
    let link = digest
        .text
        .split("https://app.example/registration/")
        .nth(1)
        .unwrap();
    let raw: String = link
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    w.dir
        .register_consumer(
            &RawToken::new(raw),
            &Password::new("finally a full member now"),
        )
        .await
        .unwrap();
    assert_eq!(
        w.dir
            .sign_in(
                "reader@crm.example",
                &Password::new("finally a full member now")
            )
            .await
            .unwrap(),
        consumer
    );
}

#[tokio::test]
async fn agency_agency_end_to_end() {
    let w = world_with(agency_catalog()).await;
    let owner = Caller::User(w.admin);
    // The agency administers every client: its admin grant covers the subtree.
    w.dir
        .change_grant(
            owner,
            GrantRef {
                user: w.admin,
                org: w.org,
                scope: Scope::Subtree,
            },
            Change::Grant(admin_role()),
        )
        .await
        .unwrap();
    let bakery = w
        .dir
        .create_organization(owner, w.org, Name::parse("Bakery Ltd").unwrap())
        .await
        .unwrap();
    // Add User with a generated password, first user as Org Admin.
    let generated = tenantry_credentials::generate_password(
        &Default::default(),
        &Default::default(),
        &mut <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(3),
    )
    .unwrap();
    let mut baker = standard("baker@bakery.example", WayIn::Password);
    baker.password = Some(generated.clone());
    let baker = w.dir.create_user(owner, bakery, baker).await.unwrap().id;
    w.dir
        .change_grant(
            owner,
            GrantRef {
                user: baker,
                org: bakery,
                scope: Scope::Organization,
            },
            Change::Grant(admin_role()),
        )
        .await
        .unwrap();
    // The Org Admin adds a helper with two module checkboxes.
    let mut helper = standard("helper@bakery.example", WayIn::Password);
    helper.password = Some(Password::new("a passphrase long enough for her"));
    let helper = w
        .dir
        .create_user(Caller::User(baker), bakery, helper)
        .await
        .unwrap()
        .id;
    let boxes = Grantables {
        permissions: ["home.view", "conversations.view"]
            .into_iter()
            .map(|k| tenantry_access::PermissionKey::new(k).unwrap())
            .collect(),
        ..Grantables::new()
    };
    w.dir
        .change_grant(
            Caller::User(baker),
            GrantRef {
                user: helper,
                org: bakery,
                scope: Scope::Organization,
            },
            Change::Grant(boxes),
        )
        .await
        .unwrap();
    let at = tenantry_access::Target::Org(bakery);
    assert!(
        w.dir
            .check(helper, "conversations.view", at)
            .await
            .unwrap()
            .is_allowed()
    );
    assert!(
        !w.dir
            .check(helper, "prompt.edit", at)
            .await
            .unwrap()
            .is_allowed()
    );
    assert!(
        w.dir
            .check(w.admin, "prompt.edit", at)
            .await
            .unwrap()
            .is_allowed()
    );
    assert!(matches!(
        w.dir.check(helper, "no.such.module", at).await,
        Err(DirectoryError::Access(_))
    ));
    // "Log in" to preview, then Invite: a link that signs the client in.
    w.dir
        .impersonate(w.admin, baker, "checking the dashboard before the invite")
        .await
        .unwrap();
    w.dir.send_login_link(owner, baker).await.unwrap();
    let link = outbox(w.store.as_ref(), w.clock.now())
        .await
        .into_iter()
        .find(|m| m.kind == "auto_login")
        .unwrap();
    assert_eq!(
        w.dir
            .redeem_login_link(&token_from(&link, "auto-login"))
            .await
            .unwrap(),
        baker
    );
    // The generated password works once, to choose their own ("change their passwords
    // upon first login").
    let own = replace_admin_set_password(&w, "baker@bakery.example", &generated).await;
    assert_eq!(
        w.dir.sign_in("baker@bakery.example", &own).await.unwrap(),
        baker
    );
}

#[tokio::test]
async fn workforce_workforce_end_to_end() {
    let w = world().await;
    configure(&w, |s, l| {
        s.communication.activation_on_create = true;
        s.communication.sms = true;
        s.phone_region = Some("DE".into());
        l.sign_up.enabled = true;
        l.sso_just_in_time = true;
    })
    .await;
    let admin = Caller::User(w.admin);
    let kitchen = w
        .dir
        .create_department(
            admin,
            w.org,
            NewDepartment {
                name: Name::parse("Kitchen").unwrap(),
                sign_up_link: true,
            },
        )
        .await
        .unwrap();
    w.dir
        .create_job_profile(admin, w.org, Name::parse("Cook").unwrap())
        .await
        .unwrap();
    // Integration: created with an activation message.
    let integrated = w
        .dir
        .create_user(
            Caller::System,
            w.org,
            standard("hr-sync@acme.example", WayIn::Activation),
        )
        .await
        .unwrap()
        .id;
    let activation = outbox(w.store.as_ref(), w.clock.now())
        .await
        .into_iter()
        .find(|m| m.kind == "activation_link")
        .unwrap();
    let pw = Password::new("purple monkey dishwasher");
    assert_eq!(
        w.dir
            .activate(&token_from(&activation, "activation"), Some(&pw))
            .await
            .unwrap(),
        integrated
    );
    // SSO just in time.
    let sso = LoginIdentifiers {
        email: Some(Email::parse("sso@acme.example").unwrap()),
        ..Default::default()
    };
    w.dir.sso_login(SsoLogin::new(w.org, sso)).await.unwrap();
    // Self sign-up through the kitchen's link.
    let mut f = form(&w, "cook@acme.example");
    f.link = kitchen.sign_up_code.clone();
    w.dir.sign_up(f).await.unwrap();
    // The Excel template import, with a one-time password and a username + phone row.
    let file = "Vorname;Nachname;Jobprofil;Abteilung;Berechtigungstyp;E-Mail;Benutzername;Telefon;Sprache;Einmalpasswort\n\
                Paula;Plan;Cook;Kitchen;admin;;paula.p;0170 5556667;de;Erster-Tag-2026-x\n";
    let plan = w
        .dir
        .plan_import(admin, w.org, file.as_bytes(), ImportFormat::Csv)
        .await
        .unwrap();
    assert_eq!(plan.create.len(), 1, "{plan:?}");
    let paula = w
        .dir
        .commit_import(admin, w.org, &plan)
        .await
        .unwrap()
        .created[0]
        .1;
    let own = Password::new("menus every single morning");
    assert_eq!(
        w.dir
            .redeem_one_time_password("paula.p", &Password::new("Erster-Tag-2026-x"), &own)
            .await
            .unwrap(),
        paula
    );
    assert_eq!(w.dir.sign_in("PAULA.P", &own).await.unwrap(), paula);
}

#[tokio::test]
async fn helpdesk_helpdesk_end_to_end() {
    let w = world().await;
    configure(&w, |_, l| {
        l.sign_up.enabled = true;
        l.sign_up.needs_approval = true;
    })
    .await;
    let staff = Caller::User(w.admin);
    let hq = w
        .dir
        .create_location(staff, w.org, Name::parse("HQ").unwrap())
        .await
        .unwrap();
    // Staff create an occupant: active at once, welcome email, resend on request.
    let occ = w
        .dir
        .create_user(
            staff,
            w.org,
            standard("manager@tenant.example", WayIn::Welcome),
        )
        .await
        .unwrap()
        .id;
    w.dir
        .change_account(staff, occ, Event::ResendWelcome)
        .await
        .unwrap();
    assert_eq!(
        outbox(w.store.as_ref(), w.clock.now())
            .await
            .iter()
            .filter(|m| m.kind == "welcome")
            .count(),
        2
    );
    w.dir
        .set_location_access(staff, occ, LocationAccess::All)
        .await
        .unwrap();
    assert!(w.dir.may_file_request(occ, hq.id).await.unwrap());
    // Self sign-up awaiting approval: may file requests, may not sign in.
    w.dir
        .sign_up(form(&w, "newcomer@tenant.example"))
        .await
        .unwrap();
    let newcomer = w
        .store
        .user_by_login(&LoginKey::Email("newcomer@tenant.example".into()))
        .await
        .unwrap()
        .unwrap()
        .value
        .user
        .id();
    w.dir
        .set_location_access(staff, newcomer, LocationAccess::All)
        .await
        .unwrap();
    assert!(w.dir.may_file_request(newcomer, hq.id).await.unwrap());
    let pw = Password::new("purple monkey dishwasher");
    assert!(matches!(
        w.dir.sign_in("newcomer@tenant.example", &pw).await,
        Err(DirectoryError::InvalidCredentials)
    ));
    w.dir
        .change_account(staff, newcomer, Event::Approve)
        .await
        .unwrap();
    // Approved but not yet activated: the activation link finishes it.
    let link = outbox(w.store.as_ref(), w.clock.now())
        .await
        .into_iter()
        .find(|m| m.kind == "activation_link")
        .unwrap();
    w.dir
        .activate(&token_from(&link, "activation"), None)
        .await
        .unwrap();
    assert_eq!(
        w.dir.sign_in("newcomer@tenant.example", &pw).await.unwrap(),
        newcomer
    );
    // Inactive: re-activated by the occupant through the sign-up form, once they redeem
    // the link it sends to their own mailbox.
    w.dir
        .change_account(staff, newcomer, Event::Deactivate)
        .await
        .unwrap();
    assert!(!w.dir.may_file_request(newcomer, hq.id).await.unwrap());
    w.clock.advance(Duration::minutes(1)); // the link below is the newest message
    w.dir
        .sign_up(form(&w, "newcomer@tenant.example"))
        .await
        .unwrap();
    assert!(matches!(
        w.dir.sign_in("newcomer@tenant.example", &pw).await,
        Err(DirectoryError::InvalidCredentials)
    ));
    let link = outbox(w.store.as_ref(), w.clock.now())
        .await
        .into_iter()
        .rev()
        .find(|m| m.kind == "activation_link" && m.to == "newcomer@tenant.example")
        .unwrap();
    w.dir
        .activate(&token_from(&link, "activation"), None)
        .await
        .unwrap();
    assert_eq!(
        w.dir.sign_in("newcomer@tenant.example", &pw).await.unwrap(),
        newcomer
    );
    // Blocked: signing up again changes nothing; only staff unblock.
    w.dir
        .change_account(staff, newcomer, Event::Block)
        .await
        .unwrap();
    w.dir
        .sign_up(form(&w, "newcomer@tenant.example"))
        .await
        .unwrap();
    assert!(matches!(
        w.dir.sign_in("newcomer@tenant.example", &pw).await,
        Err(DirectoryError::InvalidCredentials)
    ));
    w.dir
        .change_account(staff, newcomer, Event::Unblock)
        .await
        .unwrap();
    assert_eq!(
        w.dir.sign_in("newcomer@tenant.example", &pw).await.unwrap(),
        newcomer
    );
}

#[tokio::test]
async fn partner_portal_partner_portal_end_to_end() {
    let w = world().await;
    let partner_admin = Caller::User(w.admin);
    let customer = w
        .dir
        .create_organization(partner_admin, w.org, Name::parse("Customer AS").unwrap())
        .await
        .unwrap();
    // The partner's customer manager administers customers, not the partner.
    let mut carl = standard("carl@partner.example", WayIn::Password);
    carl.password = Some(Password::new("purple monkey dishwasher"));
    let carl = w
        .dir
        .create_user(partner_admin, w.org, carl)
        .await
        .unwrap()
        .id;
    w.dir
        .change_grant(
            partner_admin,
            GrantRef {
                user: carl,
                org: w.org,
                scope: Scope::Children,
            },
            Change::Grant(admin_role()),
        )
        .await
        .unwrap();
    let manager = Caller::User(carl);
    // He adds the customer's first user without a sign-in invitation, and invites later.
    let cara = w
        .dir
        .create_user(
            manager,
            customer,
            standard("cara@customer.example", WayIn::None),
        )
        .await
        .unwrap()
        .id;
    w.dir
        .change_grant(
            manager,
            GrantRef {
                user: cara,
                org: customer,
                scope: Scope::Organization,
            },
            Change::Grant(admin_role()),
        )
        .await
        .unwrap();
    w.dir
        .set_contact_person(manager, customer, cara)
        .await
        .unwrap();
    assert!(
        outbox(w.store.as_ref(), w.clock.now())
            .await
            .iter()
            .all(|m| m.to != "cara@customer.example")
    );
    w.dir
        .change_account(manager, cara, Event::Invite)
        .await
        .unwrap();
    let invite = outbox(w.store.as_ref(), w.clock.now())
        .await
        .into_iter()
        .find(|m| m.to == "cara@customer.example")
        .unwrap();
    let pw = Password::new("finance team long passphrase");
    w.dir
        .accept_invitation(&token_from(&invite, "invitation"), &pw)
        .await
        .unwrap();
    // The Company Admin cannot remove her own admin permission; the company keeps one.
    let own = GrantRef {
        user: cara,
        org: customer,
        scope: Scope::Organization,
    };
    assert!(matches!(
        w.dir
            .change_grant(
                Caller::User(cara),
                own,
                Change::Revoke {
                    what: admin_role(),
                    cascade: true
                }
            )
            .await,
        Err(DirectoryError::Refused(
            tenantry_access::Refusal::SelfDemotion
        ))
    ));
    assert!(matches!(
        w.dir
            .change_grant(
                manager,
                own,
                Change::Revoke {
                    what: admin_role(),
                    cascade: true
                }
            )
            .await,
        Err(DirectoryError::Refused(
            tenantry_access::Refusal::LastAdmin { .. }
        ))
    ));
    // Resets: triggered by the admin, or "Forgot your password?".
    w.dir
        .reset_password_by_admin(Caller::User(cara), cara)
        .await
        .unwrap();
    w.clock.advance(Duration::minutes(1));
    w.dir
        .request_password_reset("cara@customer.example")
        .await
        .unwrap();
    // The newer link is the one that works (outbox order is by time).
    let reset = outbox(w.store.as_ref(), w.clock.now())
        .await
        .into_iter()
        .rfind(|m| m.kind == "password_reset")
        .unwrap();
    let new = Password::new("a fresh spring passphrase");
    w.dir
        .reset_password(&token_from(&reset, "password-reset"), &new)
        .await
        .unwrap();
    assert_eq!(
        w.dir.sign_in("cara@customer.example", &new).await.unwrap(),
        cara
    );
    // Carl changes nothing at the partner.
    assert!(matches!(
        w.dir
            .create_user(manager, w.org, standard("z@partner.example", WayIn::None))
            .await,
        Err(DirectoryError::Denied(_))
    ));
}

//! Client and partner organizations.

use tenantry::*;
use tenantry_access::Grantables;
use tenantry_access::{Change, GrantRef, Scope};
use tenantry_credentials::Password;
use tenantry_identity::*;
use tenantry_lifecycle::WayIn;

use crate::support::*;

#[tokio::test]
async fn partner_portal_partner_customers_and_customer_manager() {
    let w = world().await;
    let partner = w.org;
    let acme = w
        .dir
        .create_organization(
            Caller::User(w.admin),
            partner,
            Name::parse("Acme Ltd").unwrap(),
        )
        .await
        .unwrap();
    // Entitlements: narrowed by the partner's admin, never beyond the partner's own.
    let admin_only: std::collections::BTreeSet<_> =
        [tenantry_access::PermissionKey::new("org.admin").unwrap()].into();
    w.dir
        .set_entitlements(Caller::User(w.admin), acme, admin_only.clone())
        .await
        .unwrap();
    let r = w
        .dir
        .set_entitlements(Caller::User(w.admin), partner, admin_only.clone())
        .await;
    assert!(
        matches!(r, Err(DirectoryError::Denied(_))),
        "only the system sets a root's entitlements: {r:?}"
    );
    // Carl, a partner employee, becomes customer manager: admin in every customer, not at home.
    let mut carl = standard("carl@partner.example", WayIn::Password);
    carl.password = Some(Password::new("purple monkey dishwasher"));
    let carl = w
        .dir
        .create_user(Caller::User(w.admin), partner, carl)
        .await
        .unwrap()
        .id;
    let manager = GrantRef {
        user: carl,
        org: partner,
        scope: Scope::Children,
    };
    w.dir
        .change_grant(Caller::User(w.admin), manager, Change::Grant(admin_role()))
        .await
        .unwrap();
    let ann = w
        .dir
        .create_user(
            Caller::User(carl),
            acme,
            standard("ann@acme-ltd.example", WayIn::Invitation),
        )
        .await
        .unwrap()
        .id;
    let denied = w
        .dir
        .create_user(
            Caller::User(carl),
            partner,
            standard("x@partner.example", WayIn::None),
        )
        .await;
    assert!(
        matches!(denied, Err(DirectoryError::Denied(_))),
        "{denied:?}"
    );
    // The first admin of Acme, granted by the customer manager; the role's feed.read is not
    // within Acme's entitlements and is refused.
    let ann_grant = GrantRef {
        user: ann,
        org: acme,
        scope: Scope::Organization,
    };
    let r = w
        .dir
        .change_grant(Caller::User(carl), ann_grant, Change::Grant(admin_role()))
        .await;
    assert!(
        matches!(
            r,
            Err(DirectoryError::Refused(
                tenantry_access::Refusal::NotEntitled { .. }
            ))
        ),
        "{r:?}"
    );
    let admin_perm = Grantables {
        permissions: admin_only,
        ..Grantables::new()
    };
    w.dir
        .change_grant(Caller::User(carl), ann_grant, Change::Grant(admin_perm))
        .await
        .unwrap();
    w.dir
        .set_contact_person(Caller::User(carl), acme, ann)
        .await
        .unwrap();
    match w
        .store
        .get(&RecordKey::Org(acme))
        .await
        .unwrap()
        .unwrap()
        .value
    {
        Record::Org(o) => assert_eq!(
            (o.org.parent, o.org.contact_person),
            (Some(partner), Some(ann))
        ),
        other => panic!("{other:?}"),
    }
    // A contact person must be a member.
    assert!(matches!(
        w.dir
            .set_contact_person(Caller::User(w.admin), partner, ann)
            .await,
        Err(DirectoryError::Model(_))
    ));
}

#[tokio::test]
async fn partner_portal_first_user_of_a_company_is_its_contact_and_admin() {
    let w = world().await;
    let company = first_user_company(&w).await;
    let first = w
        .dir
        .create_user(
            Caller::System,
            company,
            standard("first@company.example", WayIn::None),
        )
        .await
        .unwrap()
        .id;
    let second = w
        .dir
        .create_user(
            Caller::System,
            company,
            standard("second@company.example", WayIn::None),
        )
        .await
        .unwrap()
        .id;
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
    let grants = w.store.list(&ListOf::GrantsOfUser(first)).await.unwrap();
    assert_eq!(grants.len(), 1);
    match &grants[0].value {
        Record::Grant(at, g) => {
            assert_eq!(at.org, company);
            assert!(
                g.permissions
                    .contains(&tenantry_access::PermissionKey::new("org.admin").unwrap()),
                "{g:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(
        w.store
            .list(&ListOf::GrantsOfUser(second))
            .await
            .unwrap()
            .is_empty()
    );
}

/// "Edit organization info" (agency, partner portal): an organization's admin, or an admin
/// above it, renames it; a member, another organization's admin and a blocked admin cannot.
#[tokio::test]
async fn an_admin_renames_the_organization_and_nobody_else_does() {
    let w = world().await;
    let admin = Caller::User(w.admin);
    let client = w
        .dir
        .create_organization(admin, w.org, Name::parse("Client A").unwrap())
        .await
        .unwrap();
    let name = |n: &str| Name::parse(n).unwrap();
    // The client's admin renames it; the same name again is no change.
    w.grant_admin(w.admin, client).await.unwrap();
    w.dir
        .rename_organization(admin, client, name("Client A GmbH"))
        .await
        .unwrap();
    w.dir
        .rename_organization(admin, client, name("Client A GmbH"))
        .await
        .unwrap();
    let renamed: Vec<AuditEvent> = w
        .store
        .audit(&AuditQuery {
            org: Some(client),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "org.renamed")
        .collect();
    assert_eq!(renamed.len(), 1);
    assert_eq!(
        (
            renamed[0].detail.get("from").map(String::as_str),
            renamed[0].detail.get("to").map(String::as_str)
        ),
        (Some("Client A"), Some("Client A GmbH"))
    );
    match w
        .store
        .get(&RecordKey::Org(client))
        .await
        .unwrap()
        .unwrap()
        .value
    {
        Record::Org(o) => assert_eq!(o.org.name.as_str(), "Client A GmbH"),
        other => panic!("{other:?}"),
    }
    // A member of the agency, another root's admin: refused.
    let member = w
        .active_user(
            w.org,
            "max@acme.example",
            "a passphrase long enough for max",
        )
        .await
        .unwrap();
    let (_, bolt_admin) = w.add_root("Bolt", "bob@bolt.example").await.unwrap();
    for caller in [member, bolt_admin] {
        assert!(matches!(
            w.dir
                .rename_organization(Caller::User(caller), client, name("Taken Over"))
                .await,
            Err(DirectoryError::Denied(_))
        ));
    }
    // A second admin of the agency, blocked: refused before anything is read.
    let sam = w
        .active_user(w.org, "sam@acme.example", "purple monkey dishwasher")
        .await
        .unwrap();
    w.grant_admin(sam, w.org).await.unwrap();
    w.dir
        .change_account(admin, sam, tenantry_lifecycle::Event::Block)
        .await
        .unwrap();
    assert!(matches!(
        w.dir
            .rename_organization(Caller::User(sam), client, name("Taken Over"))
            .await,
        Err(DirectoryError::CallerMayNotAct)
    ));
    match w
        .store
        .get(&RecordKey::Org(client))
        .await
        .unwrap()
        .unwrap()
        .value
    {
        Record::Org(o) => assert_eq!(o.org.name.as_str(), "Client A GmbH"),
        other => panic!("{other:?}"),
    }
}

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

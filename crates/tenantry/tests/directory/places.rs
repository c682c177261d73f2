//! Locations and departments.

use tenantry::*;
use tenantry_identity::*;
use tenantry_lifecycle::WayIn;

use crate::support::*;

#[tokio::test]
async fn helpdesk_locations_and_workforce_department_links() {
    let w = world().await;
    let hq = w
        .dir
        .create_location(Caller::User(w.admin), w.org, Name::parse("HQ").unwrap())
        .await
        .unwrap();
    let annex = w
        .dir
        .create_location(Caller::User(w.admin), w.org, Name::parse("Annex").unwrap())
        .await
        .unwrap();
    let occupant = w
        .dir
        .create_user(
            Caller::User(w.admin),
            w.org,
            standard("occ@acme.example", WayIn::Welcome),
        )
        .await
        .unwrap()
        .id;
    // Via groups by default, and in no group yet: nowhere.
    assert!(!w.dir.may_file_request(occupant, hq.id).await.unwrap());
    w.dir
        .set_location_access(
            Caller::User(w.admin),
            occupant,
            LocationAccess::Specific([annex.id].into()),
        )
        .await
        .unwrap();
    assert!(w.dir.may_file_request(occupant, annex.id).await.unwrap());
    assert!(!w.dir.may_file_request(occupant, hq.id).await.unwrap());
    // A group with all locations covers one created later.
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(8);
    let mut group = Group::new(
        GroupId::generate(w.clock.now(), &mut rng),
        w.org,
        Name::parse("Acme Co.").unwrap(),
        w.clock.now(),
    );
    group.locations = LocationScope::All;
    let gid = w
        .dir
        .create_group(Caller::User(w.admin), group)
        .await
        .unwrap();
    w.dir
        .change_members(Caller::User(w.admin), gid, &[occupant], &[])
        .await
        .unwrap();
    let later = w
        .dir
        .create_location(
            Caller::User(w.admin),
            w.org,
            Name::parse("New wing").unwrap(),
        )
        .await
        .unwrap();
    assert!(w.dir.may_file_request(occupant, later.id).await.unwrap());
    // Locations of another organization are refused.
    let other = w
        .dir
        .create_organization(Caller::User(w.admin), w.org, Name::parse("Other").unwrap())
        .await
        .unwrap();
    let foreign = w
        .dir
        .create_location(Caller::System, other, Name::parse("Far").unwrap())
        .await
        .unwrap();
    assert!(matches!(
        w.dir
            .set_location_access(
                Caller::User(w.admin),
                occupant,
                LocationAccess::Specific([foreign.id].into())
            )
            .await,
        Err(DirectoryError::NotFound("location"))
    ));

    // The workforce platform: a department link places sign-ups in that department.
    let night = w
        .dir
        .create_department(
            Caller::User(w.admin),
            w.org,
            NewDepartment {
                name: Name::parse("Night shift").unwrap(),
                sign_up_link: true,
            },
        )
        .await
        .unwrap();
    w.dir
        .create_job_profile(Caller::User(w.admin), w.org, Name::parse("Cook").unwrap())
        .await
        .unwrap();
    configure(&w, |_, l| l.sign_up.enabled = true).await;
    let mut f = form(&w, "newbie@acme.example");
    f.link = night.sign_up_code.clone();
    w.dir.sign_up(f).await.unwrap();
    let newbie = w
        .store
        .user_by_login(&LoginKey::Email("newbie@acme.example".into()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(newbie.value.user.profile().department, Some(night.id));
    let mut bad = form(&w, "other@acme.example");
    bad.link = Some(SignUpCode::parse("AAAAAAAAAAAAAAAAAAAAAA").unwrap());
    assert!(matches!(
        w.dir.sign_up(bad).await,
        Err(DirectoryError::Lifecycle(_))
    ));
}

//! Groups, their members, and what guests and members see of them.

use tenantry::*;
use tenantry_credentials::Password;
use tenantry_identity::*;
use tenantry_lifecycle::WayIn;

use crate::support::*;

#[tokio::test]
async fn helpdesk_groups_bulk_membership_and_archive() {
    let w = world().await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            w.dir
                .create_user(
                    Caller::User(w.admin),
                    w.org,
                    standard(&format!("o{i}@acme.example"), WayIn::None),
                )
                .await
                .unwrap()
                .id,
        );
    }
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(4);
    let group = Group::new(
        GroupId::generate(w.clock.now(), &mut rng),
        w.org,
        Name::parse("Acme Co.").unwrap(),
        w.clock.now(),
    );
    let gid = w
        .dir
        .create_group(Caller::User(w.admin), group)
        .await
        .unwrap();
    assert_eq!(
        w.dir
            .change_members(Caller::User(w.admin), gid, &ids, &[])
            .await
            .unwrap(),
        (5, 0)
    );
    assert_eq!(
        w.dir
            .change_members(Caller::User(w.admin), gid, &ids[..2], &ids[3..])
            .await
            .unwrap(),
        (0, 2)
    );
    assert_eq!(
        w.store.list(&ListOf::MembersOf(gid)).await.unwrap().len(),
        3
    );
    // Members are no admins (and these, invited and not yet active, act for nobody).
    assert!(matches!(
        w.dir
            .change_members(Caller::User(ids[0]), gid, &ids[3..], &[])
            .await,
        Err(DirectoryError::CallerMayNotAct)
    ));
    w.dir
        .update_group(Caller::User(w.admin), gid, |g| {
            g.archived = true;
            g.members_share_requests = true;
        })
        .await
        .unwrap();
    assert!(matches!(
        w.dir
            .change_members(Caller::User(w.admin), gid, &ids[3..4], &[])
            .await,
        Err(DirectoryError::Model(ModelError::ArchivedGroup(_)))
    ));
    assert_eq!(
        w.dir
            .change_members(Caller::User(w.admin), gid, &[], &ids[..1])
            .await
            .unwrap(),
        (0, 1),
        "removing still works"
    );
    // Users of another organization cannot join.
    let other = w
        .dir
        .create_organization(
            Caller::User(w.admin),
            w.org,
            Name::parse("Elsewhere").unwrap(),
        )
        .await
        .unwrap();
    // Ada's grant has organization scope: she does not administer the child.
    let denied = w
        .dir
        .create_user(
            Caller::User(w.admin),
            other,
            standard("s@else.example", WayIn::None),
        )
        .await;
    assert!(matches!(denied, Err(DirectoryError::Denied(_))));
    let stranger = w
        .dir
        .create_user(
            Caller::System,
            other,
            standard("s@else.example", WayIn::None),
        )
        .await
        .unwrap()
        .id;
    w.dir
        .update_group(Caller::User(w.admin), gid, |g| g.archived = false)
        .await
        .unwrap();
    assert!(matches!(
        w.dir
            .change_members(Caller::User(w.admin), gid, &[stranger], &[])
            .await,
        Err(DirectoryError::Denied(_))
    ));
}

#[tokio::test]
async fn network_group_directory_hides_consumers_behind_a_notice() {
    let (w, research, internal) = network_world().await;
    let admin = Caller::User(w.admin);
    let create = |new: NewUser| async { w.dir.create_user(admin, w.org, new).await.unwrap().id };
    let mut member = standard("member@acme.example", WayIn::Password);
    member.password = Some(Password::new("purple monkey dishwasher"));
    let member = create(member).await;
    let mut guest = NewUser {
        kind: UserKind::Guest,
        ..standard("guest@partner.example", WayIn::Password)
    };
    guest.password = Some(Password::new("purple monkey dishwasher"));
    let guest = create(guest).await;
    let pin = create(pin_user("Max", "Muster", "0042")).await;
    let consumers = [
        create(NewUser {
            kind: UserKind::Consumer,
            ..standard("c1@crm.example", WayIn::None)
        })
        .await,
        create(NewUser {
            kind: UserKind::Consumer,
            ..standard("c2@crm.example", WayIn::None)
        })
        .await,
    ];
    let mut everyone = vec![member, guest, pin];
    everyone.extend(consumers);
    w.dir
        .change_members(admin, research, &everyone, &[])
        .await
        .unwrap();

    let page = w.dir.group_members(admin, research, None, 0).await.unwrap();
    let mut listed: Vec<UserId> = page.members.iter().map(|m| m.id).collect();
    listed.sort();
    let mut expected = vec![member, guest, pin];
    expected.sort();
    assert_eq!(listed, expected, "no consumer listed");
    assert_eq!(page.consumers_receiving_digests, 2);
    assert_eq!(page.next, None);
    // Pages.
    let first = w.dir.group_members(admin, research, None, 2).await.unwrap();
    assert_eq!(first.members.len(), 2);
    let rest = w
        .dir
        .group_members(admin, research, first.next, 2)
        .await
        .unwrap();
    assert_eq!(rest.members.len(), 1);
    assert_eq!(rest.next, None);
    // Who sees which group.
    for viewer in [member, guest] {
        assert!(
            w.dir
                .group_members(Caller::User(viewer), research, None, 0)
                .await
                .is_ok()
        );
    }
    assert!(matches!(
        w.dir
            .group_members(Caller::User(guest), internal, None, 0)
            .await,
        Err(DirectoryError::NotFound("group"))
    ));
    assert!(
        w.dir
            .group_members(Caller::User(member), internal, None, 0)
            .await
            .is_ok(),
        "standard users see every unarchived group of their organization"
    );
    assert!(matches!(
        w.dir
            .group_members(Caller::User(consumers[0]), research, None, 0)
            .await,
        // Consumers never sign in: they view nothing.
        Err(DirectoryError::CallerMayNotAct)
    ));
    // A deleted consumer receives nothing any more: the notice counts one.
    w.dir
        .change_account(admin, consumers[1], tenantry_lifecycle::Event::Delete)
        .await
        .unwrap();
    let page = w
        .dir
        .group_members(Caller::System, research, None, 0)
        .await
        .unwrap();
    assert_eq!(page.consumers_receiving_digests, 1);
}

#[tokio::test]
async fn network_guests_see_exactly_the_shared_channels() {
    let (w, research, _) = network_world().await;
    let admin = Caller::User(w.admin);
    let mut guest = NewUser {
        kind: UserKind::Guest,
        ..standard("guest@partner.example", WayIn::Password)
    };
    guest.password = Some(Password::new("purple monkey dishwasher"));
    let guest = w.dir.create_user(admin, w.org, guest).await.unwrap().id;
    w.dir
        .change_members(admin, research, &[guest], &[])
        .await
        .unwrap();
    let mut member = standard("member@acme.example", WayIn::Password);
    member.password = Some(Password::new("purple monkey dishwasher"));
    let member = w.dir.create_user(admin, w.org, member).await.unwrap().id;
    let consumer = NewUser {
        kind: UserKind::Consumer,
        ..standard("c@crm.example", WayIn::None)
    };
    let consumer = w.dir.create_user(admin, w.org, consumer).await.unwrap().id;
    let news = SharedArea::new("channel", "news").unwrap();
    let board = SharedArea::new("channel", "board-only").unwrap();
    let wiki = SharedArea::new("wiki", "handbook").unwrap();

    // Only admins share.
    assert!(matches!(
        w.dir
            .share_with_guests(Caller::User(member), w.org, news.clone())
            .await,
        Err(DirectoryError::Denied(_))
    ));
    for area in [&news, &wiki] {
        w.dir
            .share_with_guests(admin, w.org, area.clone())
            .await
            .unwrap();
    }
    let v = w.store.get(&RecordKey::Org(w.org)).await.unwrap().unwrap();
    w.dir
        .share_with_guests(admin, w.org, news.clone())
        .await
        .unwrap();
    let again = w.store.get(&RecordKey::Org(w.org)).await.unwrap().unwrap();
    assert_eq!(v.version, again.version, "sharing twice changes nothing");
    assert_eq!(
        w.dir.guest_areas(w.org, Some("channel")).await.unwrap(),
        [news.clone()].into()
    );
    assert_eq!(w.dir.guest_areas(w.org, None).await.unwrap().len(), 2);

    let sees = |user, area: SharedArea| {
        let dir = &w.dir;
        let org = w.org;
        async move { dir.may_see_area(user, org, &area).await.unwrap() }
    };
    assert!(sees(guest, news.clone()).await && !sees(guest, board.clone()).await);
    assert!(sees(member, news.clone()).await && sees(member, board.clone()).await);
    assert!(!sees(consumer, news.clone()).await);
    // Closed again: the guest no longer sees it; a blocked member sees nothing.
    w.dir
        .stop_sharing_with_guests(admin, w.org, news.clone())
        .await
        .unwrap();
    assert!(!sees(guest, news.clone()).await && sees(guest, wiki.clone()).await);
    w.dir
        .change_account(admin, member, tenantry_lifecycle::Event::Block)
        .await
        .unwrap();
    assert!(!sees(member, board).await);
    let audit = w
        .store
        .audit(&AuditQuery {
            org: Some(w.org),
            ..Default::default()
        })
        .await
        .unwrap();
    let shared: Vec<&str> = audit
        .iter()
        .filter(|e| e.action.starts_with("area."))
        .map(|e| e.action.as_str())
        .collect();
    assert_eq!(shared, ["area.unshared", "area.shared", "area.shared"]);
    // Bad names are typed errors.
    for (kind, id) in [
        ("", "x"),
        ("Channel", "x"),
        ("channel", ""),
        ("channel", "a\nb"),
    ] {
        assert!(matches!(
            SharedArea::new(kind, id),
            Err(DirectoryError::Invalid { .. })
        ));
    }
}

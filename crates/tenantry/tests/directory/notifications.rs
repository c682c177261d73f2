//! Digests, notification settings and host messages.

use tenantry::*;
use tenantry_credentials::{Password, RawToken};
use tenantry_identity::*;
use tenantry_lifecycle::WayIn;

use crate::support::*;

#[tokio::test]
async fn network_consumers_get_digests_with_their_registration_link() {
    let w = world().await;
    configure(&w, |s, _| s.consumers_enabled = true).await;
    let carla = NewUser {
        kind: UserKind::Consumer,
        ..standard("carla@crm.example", WayIn::None)
    };
    let carla = w
        .dir
        .create_user(Caller::System, w.org, carla)
        .await
        .unwrap()
        .id;
    assert!(
        w.dir
            .send_digest(Caller::System, carla, vec!["A new post in News".into()])
            .await
            .unwrap()
    );
    let first = outbox(w.store.as_ref(), w.clock.now()).await;
    let old_link = token_from(&first[0], "registration");
    assert!(first[0].text.contains("A new post in News"));
    // Every digest carries a fresh link; the older stops working.
    w.dir
        .send_digest(Caller::System, carla, vec!["An event tomorrow".into()])
        .await
        .unwrap();
    let newest = outbox(w.store.as_ref(), w.clock.now())
        .await
        .into_iter()
        .map(|m| token_from(&m, "registration"))
        .find(|t| *t != old_link)
        .unwrap();
    let pw = Password::new("purple monkey dishwasher");
    assert!(matches!(
        w.dir.register_consumer(&old_link, &pw).await,
        Err(DirectoryError::InvalidLink)
    ));
    assert_eq!(w.dir.register_consumer(&newest, &pw).await.unwrap(), carla);
    assert_eq!(
        w.dir.sign_in("carla@crm.example", &pw).await.unwrap(),
        carla
    );
    match w
        .store
        .get(&RecordKey::User(carla))
        .await
        .unwrap()
        .unwrap()
        .value
    {
        Record::User(u) => assert_eq!(u.user.kind(), UserKind::Standard),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn network_notification_settings_through_the_digest_link() {
    let (w, research, _) = network_world().await;
    let admin = Caller::User(w.admin);
    let carla = NewUser {
        kind: UserKind::Consumer,
        ..standard("carla@crm.example", WayIn::None)
    };
    let carla = w
        .dir
        .create_user(Caller::System, w.org, carla)
        .await
        .unwrap()
        .id;
    w.dir
        .change_members(admin, research, &[carla], &[])
        .await
        .unwrap();
    assert!(
        w.dir
            .send_digest(Caller::System, carla, vec!["News".into()])
            .await
            .unwrap()
    );
    let (_, mails) = deliver(&w).await;
    let digest = &mails[0];
    assert!(digest.text.contains("https://app.example/registration/"));
    assert!(digest.html.as_ref().unwrap().contains("/notifications/"));
    let link = link_in(&digest.text, "notifications");

    // The page behind the link: shown, saved, shown again — the link works repeatedly.
    let (who, settings) = w.dir.notification_settings_by_link(&link).await.unwrap();
    assert_eq!(
        (who, settings.clone()),
        (carla, NotificationSettings::default())
    );
    let no_digests = NotificationSettings {
        muted: [Topic::Digest].into(),
        all_muted: false,
    };
    assert_eq!(
        w.dir
            .set_notification_settings_by_link(&link, no_digests.clone())
            .await
            .unwrap(),
        carla
    );
    assert_eq!(
        w.dir.notification_settings_by_link(&link).await.unwrap().1,
        no_digests
    );
    // Honoured: no digest; the export's "Received" is empty; the group notice counts none.
    assert!(
        !w.dir
            .send_digest(Caller::System, carla, vec!["More news".into()])
            .await
            .unwrap()
    );
    let mut csv = Vec::new();
    w.dir
        .export(
            admin,
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
    let csv = String::from_utf8(csv).unwrap();
    assert!(
        csv.lines().any(|l| l == "carla@crm.example,Bob,,1,"),
        "{csv}"
    );
    let page = w.dir.group_members(admin, research, None, 0).await.unwrap();
    assert_eq!(page.consumers_receiving_digests, 0);

    // A host's recommendation still arrives, with the registration link in it.
    let recommendation = HostMessage {
        topic: Topic::Recommendation,
        subject: "Recommended: the Q3 report".into(),
        text: "Ada recommends this post.\n\nRead it <now>.".into(),
    };
    assert!(
        w.dir
            .send_message(admin, carla, recommendation.clone())
            .await
            .unwrap()
    );
    let (_, mails) = deliver(&w).await;
    assert_eq!(mails[0].subject, "Recommended: the Q3 report");
    assert!(mails[0].text.contains("Ada recommends this post."));
    assert!(mails[0].text.contains("https://app.example/registration/"));
    let html = mails[0].html.as_ref().unwrap();
    assert!(html.contains("Read it &lt;now&gt;.") && !html.contains("<now>"));
    // A newer message's link replaces the older one.
    let newer = link_in(&mails[0].text, "notifications");
    assert!(matches!(
        w.dir.notification_settings_by_link(&link).await,
        Err(DirectoryError::InvalidLink)
    ));
    // Muted after queueing: the dispatcher withdraws it.
    assert!(
        w.dir
            .send_message(admin, carla, recommendation.clone())
            .await
            .unwrap()
    );
    // (That message brought a newer link again: the one in the queued message works.)
    assert!(w.dir.notification_settings_by_link(&newer).await.is_err());
    let queued = outbox(w.store.as_ref(), w.clock.now()).await;
    let newest = link_in(&queued[0].text, "notifications");
    let everything = NotificationSettings {
        muted: Default::default(),
        all_muted: true,
    };
    w.dir
        .set_notification_settings_by_link(&newest, everything)
        .await
        .unwrap();
    let (report, mails) = deliver(&w).await;
    assert_eq!((report.withdrawn, mails.len()), (1, 0));
    assert!(
        !w.dir
            .send_message(admin, carla, recommendation)
            .await
            .unwrap()
    );
    // Security mail is never muted.
    let ada_settings = NotificationSettings {
        all_muted: true,
        ..NotificationSettings::default()
    };
    w.dir
        .set_notification_settings(admin, w.admin, ada_settings)
        .await
        .unwrap();
    w.dir
        .request_password_reset("ada@acme.example")
        .await
        .unwrap();
    let (_, mails) = deliver(&w).await;
    assert!(mails.iter().any(|m| m.to == "ada@acme.example"));
}

#[tokio::test]
async fn notification_settings_and_host_messages_refuse_what_they_must() {
    let w = world().await;
    let admin = Caller::User(w.admin);
    let mut bob = standard("bob@acme.example", WayIn::Password);
    bob.password = Some(Password::new("purple monkey dishwasher"));
    let bob = w.dir.create_user(admin, w.org, bob).await.unwrap().id;
    // Bob changes his own settings, not Ada's.
    let mine = NotificationSettings {
        muted: [
            Topic::EventInvitation,
            Topic::custom("shift-swaps").unwrap(),
        ]
        .into(),
        all_muted: false,
    };
    w.dir
        .set_notification_settings(Caller::User(bob), bob, mine.clone())
        .await
        .unwrap();
    assert!(matches!(
        w.dir
            .set_notification_settings(Caller::User(bob), w.admin, mine)
            .await,
        Err(DirectoryError::Denied(_))
    ));
    // Muted topics, custom topics included, are not sent; others are, without a
    // registration link for a standard user.
    let message = |topic: Topic| HostMessage {
        topic,
        subject: "Hello".into(),
        text: "Text".into(),
    };
    for (topic, sent) in [
        (Topic::EventInvitation, false),
        (Topic::custom("shift-swaps").unwrap(), false),
        (Topic::Recommendation, true),
    ] {
        assert_eq!(
            w.dir
                .send_message(admin, bob, message(topic))
                .await
                .unwrap(),
            sent
        );
    }
    let (_, mails) = deliver(&w).await;
    assert_eq!(mails.len(), 1);
    assert!(!mails[0].text.contains("/registration/"));
    assert!(mails[0].text.contains("/notifications/"));
    // Bad input: typed errors, nothing queued.
    for (subject, text) in [
        ("Two\nlines", "x".to_owned()),
        ("  ", "x".to_owned()),
        (&*"s".repeat(201), "x".to_owned()),
        ("Fine", "t".repeat(20_001)),
    ] {
        let bad = HostMessage {
            topic: Topic::Recommendation,
            subject: subject.to_owned(),
            text,
        };
        assert!(matches!(
            w.dir.send_message(admin, bob, bad).await,
            Err(DirectoryError::Invalid { .. })
        ));
    }
    for bad in ["", "Shift swaps", "ü", &"x".repeat(65)] {
        assert!(matches!(
            Topic::custom(bad),
            Err(DirectoryError::Invalid { field: "topic", .. })
        ));
    }
    // Only admins send.
    assert!(matches!(
        w.dir
            .send_message(Caller::User(bob), w.admin, message(Topic::Recommendation))
            .await,
        Err(DirectoryError::Denied(_))
    ));
    assert_eq!(deliver(&w).await.1.len(), 0);
    // A forged or wrong-purpose link.
    assert!(matches!(
        w.dir
            .notification_settings_by_link(&RawToken::new("forged"))
            .await,
        Err(DirectoryError::InvalidLink)
    ));
}

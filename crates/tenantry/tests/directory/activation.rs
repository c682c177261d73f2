//! Sign-up with approval, one-time passwords and activation codes, email and SMS.

use tenantry::*;
use tenantry_credentials::Password;
use tenantry_identity::*;
use tenantry_lifecycle::Event;
use tenantry_lifecycle::WayIn;

use crate::support::*;

#[tokio::test]
async fn helpdesk_self_sign_up_with_approval() {
    let w = world().await;
    // Off by default.
    assert!(matches!(
        w.dir.sign_up(form(&w, "sam@acme.example")).await,
        Err(DirectoryError::Lifecycle(_))
    ));
    configure(&w, |_, l| {
        l.sign_up.enabled = true;
        l.sign_up.needs_approval = true;
        l.sign_up.defaults.permission_type = Some("admin".into());
    })
    .await;
    w.dir.sign_up(form(&w, "sam@acme.example")).await.unwrap();
    let messages = outbox(w.store.as_ref(), w.clock.now()).await;
    let kinds: Vec<(&str, &str)> = messages
        .iter()
        .map(|m| (m.kind.as_str(), m.to.as_str()))
        .collect();
    assert!(
        kinds.contains(&("activation_link", "sam@acme.example")),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("sign_up_pending_approval", "ada@acme.example")),
        "{kinds:?}"
    );
    let sam = w
        .store
        .user_by_login(&LoginKey::Email("sam@acme.example".into()))
        .await
        .unwrap()
        .unwrap()
        .value
        .user
        .id();
    let pw = Password::new("purple monkey dishwasher");
    // Activated but pending: may not sign in until approved.
    let link = messages
        .iter()
        .find(|m| m.kind == "activation_link")
        .unwrap();
    assert_eq!(
        w.dir
            .activate(&token_from(link, "activation"), None)
            .await
            .unwrap(),
        sam
    );
    assert!(matches!(
        w.dir.sign_in("sam@acme.example", &pw).await,
        Err(DirectoryError::InvalidCredentials)
    ));
    w.dir
        .change_account(Caller::User(w.admin), sam, Event::Approve)
        .await
        .unwrap();
    assert_eq!(w.dir.sign_in("sam@acme.example", &pw).await.unwrap(), sam);
    // Signing up again with the same email: the same answer, no second account.
    w.dir.sign_up(form(&w, "SAM@acme.example")).await.unwrap();
    assert_eq!(
        w.store
            .users(&UserQuery {
                org: Some(w.org),
                ..Default::default()
            })
            .await
            .unwrap()
            .items
            .len(),
        2
    );
}

#[tokio::test]
async fn workforce_one_time_passwords_and_activation_codes() {
    let w = world().await;
    // A one-time password set by the admin: it only lets the user set their own, once.
    let mut otp_user = standard("otto@acme.example", WayIn::OneTimePassword);
    otp_user.password = Some(Password::new("Otto-Start-2026-xyz"));
    let otto = w
        .dir
        .create_user(Caller::User(w.admin), w.org, otp_user)
        .await
        .unwrap()
        .id;
    let mine = Password::new("my own long passphrase here");
    assert!(matches!(
        w.dir
            .redeem_one_time_password(
                "otto@acme.example",
                &Password::new("guess guess guess"),
                &mine
            )
            .await,
        Err(DirectoryError::InvalidCredentials)
    ));
    assert!(matches!(
        w.dir
            .redeem_one_time_password(
                "nobody@acme.example",
                &Password::new("Otto-Start-2026-xyz"),
                &mine
            )
            .await,
        Err(DirectoryError::InvalidCredentials)
    ));
    assert_eq!(
        w.dir
            .redeem_one_time_password(
                "otto@acme.example",
                &Password::new("Otto-Start-2026-xyz"),
                &mine
            )
            .await
            .unwrap(),
        otto
    );
    assert!(
        matches!(
            w.dir
                .redeem_one_time_password(
                    "otto@acme.example",
                    &Password::new("Otto-Start-2026-xyz"),
                    &mine
                )
                .await,
            Err(DirectoryError::InvalidCredentials)
        ),
        "spent"
    );
    assert_eq!(
        w.dir.sign_in("otto@acme.example", &mine).await.unwrap(),
        otto
    );

    // An activation code by SMS to a username + phone user.
    let sms_user = NewUser {
        kind: UserKind::Standard,
        profile: Profile {
            phone: Some(Phone::parse("+49 170 7654321").unwrap()),
            ..Profile::default()
        },
        identifiers: LoginIdentifiers {
            username: Some(Username::parse("worker.7").unwrap()),
            ..Default::default()
        },
        way_in: WayIn::None,
        password: None,
    };
    let worker = w
        .dir
        .create_user(Caller::User(w.admin), w.org, sms_user)
        .await
        .unwrap()
        .id;
    let no_mailbox = w
        .dir
        .change_account(Caller::User(w.admin), worker, Event::Invite)
        .await;
    assert!(
        matches!(no_mailbox, Err(DirectoryError::NoMailbox)),
        "{no_mailbox:?}"
    );
    w.dir
        .send_activation_code(
            Caller::User(w.admin),
            worker,
            tenantry_credentials::CodeChannel::Sms,
        )
        .await
        .unwrap();
    let sms = outbox(w.store.as_ref(), w.clock.now())
        .await
        .into_iter()
        .find(|m| m.channel == Channel::Sms)
        .unwrap();
    assert_eq!(sms.to, "+491707654321");
    let code: String = sms
        .text
        .chars()
        .filter(char::is_ascii_digit)
        .collect::<String>()
        .chars()
        .rev()
        .take(6)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    assert_eq!(code.len(), 6);
    let pw = Password::new("forklift driver on shift two");
    assert!(matches!(
        w.dir.activate_with_code("worker.7", "000000x", &pw).await,
        Err(DirectoryError::InvalidCredentials)
    ));
    assert_eq!(
        w.dir
            .activate_with_code("WORKER.7", &code, &pw)
            .await
            .unwrap(),
        worker
    );
    assert_eq!(w.dir.sign_in("worker.7", &pw).await.unwrap(), worker);
}

#[tokio::test]
async fn workforce_email_and_sms_both_when_a_user_has_both() {
    let w = world().await;
    configure(&w, |s, _| s.communication.sms = true).await;
    let mut both = standard("both@acme.example", WayIn::Activation);
    both.profile.phone = Some(Phone::parse("+49 170 1112223").unwrap());
    w.dir
        .create_user(Caller::User(w.admin), w.org, both)
        .await
        .unwrap();
    let messages = outbox(w.store.as_ref(), w.clock.now()).await;
    let mut sent: Vec<(Channel, &str)> = messages
        .iter()
        .map(|m| (m.channel, m.to.as_str()))
        .collect();
    sent.sort_by_key(|(c, _)| *c == Channel::Sms);
    assert_eq!(
        sent,
        vec![
            (Channel::Email, "both@acme.example"),
            (Channel::Sms, "+491701112223")
        ]
    );
    let sms = messages.iter().find(|m| m.channel == Channel::Sms).unwrap();
    assert!(sms.text.contains("https://app.example/activation/") && sms.html.is_none());
    // Both carry the same link.
    let email = messages
        .iter()
        .find(|m| m.channel == Channel::Email)
        .unwrap();
    assert_eq!(
        token_from(sms, "activation"),
        token_from(email, "activation")
    );
    // A username + phone user without email is reached by SMS alone.
    let phone_only = NewUser {
        kind: UserKind::Standard,
        profile: Profile {
            phone: Some(Phone::parse("+49 170 9998887").unwrap()),
            ..Profile::default()
        },
        identifiers: LoginIdentifiers {
            username: Some(Username::parse("driver.9").unwrap()),
            ..Default::default()
        },
        way_in: WayIn::Activation,
        password: None,
    };
    w.dir
        .create_user(Caller::User(w.admin), w.org, phone_only)
        .await
        .unwrap();
    assert!(
        outbox(w.store.as_ref(), w.clock.now())
            .await
            .iter()
            .any(|m| m.to == "+491709998887" && m.channel == Channel::Sms)
    );
}

//! PIN keys: no all-zero key, no two keys with one id, no PIN users without a key; stored
//! PINs re-sealed under a new key; the PIN export audited before a byte is written.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use std::io::Write;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use tenantry::testing::{BASE_URL, World, WorldBuilder, admin_catalog};
use tenantry::*;
use tenantry_credentials::{CredentialError, LinkBuilder, PinKey};
use tenantry_identity::*;
use tenantry_lifecycle::WayIn;

fn key(id: u32, byte: u8) -> PinKey {
    PinKey::new(id, &[byte; 32]).unwrap()
}

async fn with_pin_user(w: &World) -> UserId {
    let settings = OrgSettings {
        pin_users: Some(PinUserSettings {
            domain: EmailDomain::parse("pins.acme.example").unwrap(),
        }),
        ..OrgSettings::default()
    };
    w.dir
        .configure_organization(w.admin(), w.org, settings, Default::default())
        .await
        .unwrap();
    let new = NewUser {
        kind: UserKind::Pin,
        profile: Profile {
            first_name: Some(NamePart::parse("Pia").unwrap()),
            last_name: Some(NamePart::parse("Pin").unwrap()),
            ..Profile::default()
        },
        identifiers: LoginIdentifiers {
            external_id: Some(ExternalId::parse("P-1").unwrap()),
            ..Default::default()
        },
        way_in: WayIn::Pin,
        password: None,
    };
    w.dir.create_user(w.admin(), w.org, new).await.unwrap().id
}

fn config(keys: Vec<PinKey>) -> DirectoryConfig {
    let mut c = DirectoryConfig::new(LinkBuilder::new(BASE_URL).unwrap());
    c.hash_params = tenantry_credentials::HashParams::INSECURE_FAST_FOR_TESTS;
    c.pin_keys = keys;
    c
}

#[tokio::test]
async fn bad_key_sets_are_refused() {
    assert!(matches!(
        PinKey::new(1, &[0; 32]),
        Err(CredentialError::InvalidKey)
    ));
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let clock = Arc::new(ManualClock::new(tenantry::testing::epoch()));
    let twice = Directory::new(
        store.clone(),
        admin_catalog(),
        clock.clone(),
        config(vec![key(1, 7), key(1, 8)]),
    );
    assert!(matches!(
        twice,
        Err(DirectoryError::Credential(CredentialError::InvalidSetting(
            _
        )))
    ));
    // Without keys the directory works, but PIN users cannot be enabled.
    let w = WorldBuilder::new().build().await.unwrap();
    let keyless = Directory::new(
        w.store.clone(),
        admin_catalog(),
        w.clock.clone(),
        config(vec![]),
    )
    .unwrap();
    let settings = OrgSettings {
        pin_users: Some(PinUserSettings {
            domain: EmailDomain::parse("pins.acme.example").unwrap(),
        }),
        ..OrgSettings::default()
    };
    let r = keyless
        .configure_organization(w.admin(), w.org, settings, Default::default())
        .await;
    assert!(
        matches!(
            r,
            Err(DirectoryError::Credential(CredentialError::InvalidKey))
        ),
        "{r:?}"
    );
}

/// Exports the PIN users of `w.org` through `dir` as CSV text.
async fn pin_export(dir: &Directory, w: &World) -> Result<String, DirectoryError> {
    let mut out = Vec::new();
    dir.export(
        w.admin(),
        w.org,
        ExportRequest {
            kind: ExportKind::PinUsers,
            format: Format::Csv(Default::default()),
            headers: &tenantry_tabular::Headers::default(),
        },
        &mut out,
    )
    .await?;
    Ok(String::from_utf8(out).unwrap())
}

#[tokio::test]
async fn rotation_reseals_stored_pins_under_the_new_key() {
    let w = WorldBuilder::new()
        .pin_keys(vec![key(1, 7)])
        .build()
        .await
        .unwrap();
    let pia = with_pin_user(&w).await;
    let before = pin_export(&w.dir, &w).await.unwrap();
    // The new key first, the old one after it: old PINs still open, then get re-sealed.
    let rotating = Directory::new(
        w.store.clone(),
        admin_catalog(),
        w.clock.clone(),
        config(vec![key(2, 8), key(1, 7)]),
    )
    .unwrap();
    assert_eq!(rotating.reseal_pins(w.admin(), w.org).await.unwrap(), 1);
    assert_eq!(rotating.reseal_pins(w.admin(), w.org).await.unwrap(), 0);
    // With the old key dropped, the same PINs come out.
    let rotated = Directory::new(
        w.store.clone(),
        admin_catalog(),
        w.clock.clone(),
        config(vec![key(2, 8)]),
    )
    .unwrap();
    assert_eq!(pin_export(&rotated, &w).await.unwrap(), before);
    let audit = w
        .store
        .audit(&AuditQuery {
            subject: None,
            org: Some(w.org),
            limit: 0,
        })
        .await
        .unwrap();
    assert!(audit.iter().any(|e| e.action == "pins.resealed"));
    // Only an admin rotates.
    let carl = w
        .active_user(w.org, "carl@acme.example", "purple monkey dishwasher")
        .await
        .unwrap();
    assert!(matches!(
        rotated.reseal_pins(Caller::User(carl), w.org).await,
        Err(DirectoryError::Denied(_))
    ));
    let _ = pia;
}

/// A writer that notes, at its first write, whether the store already held the export's
/// audit event.
struct Witness {
    store: Arc<dyn Store>,
    org: OrgId,
    audited_first: Option<bool>,
}

impl Write for Witness {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.audited_first.is_none() {
            let q = AuditQuery {
                org: Some(self.org),
                ..Default::default()
            };
            // MemoryStore answers at once: poll its future a single time.
            let mut read = self.store.audit(&q);
            let Poll::Ready(events) = read.as_mut().poll(&mut Context::from_waker(Waker::noop()))
            else {
                panic!("MemoryStore answered later");
            };
            self.audited_first = Some(events.unwrap().iter().any(|e| e.action == "export.pins"));
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_pin_export_is_audited_before_a_byte_is_written() {
    let w = WorldBuilder::new().build().await.unwrap();
    with_pin_user(&w).await;
    let mut witness = Witness {
        store: w.store.clone(),
        org: w.org,
        audited_first: None,
    };
    w.dir
        .export(
            w.admin(),
            w.org,
            ExportRequest {
                kind: ExportKind::PinUsers,
                format: Format::Csv(Default::default()),
                headers: &tenantry_tabular::Headers::default(),
            },
            &mut witness,
        )
        .await
        .unwrap();
    assert_eq!(witness.audited_first, Some(true));
}

//! Known-answer tests: RFC 9106's argon2id vector, and PHC strings made by another
//! implementation (argon2-cffi, which wraps the reference C library) verifying here.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may fail loudly

use argon2::{Algorithm, Argon2, AssociatedData, ParamsBuilder, Version};
use rand::SeedableRng;
use tenantry_credentials::*;

/// RFC 9106 §5.3: argon2id, m=32 KiB, t=3, p=4, with secret and associated data.
#[test]
fn rfc_9106_argon2id_vector() {
    let params = ParamsBuilder::new()
        .m_cost(32)
        .t_cost(3)
        .p_cost(4)
        .data(AssociatedData::new(&[0x04; 12]).unwrap())
        .build()
        .unwrap();
    let ctx =
        Argon2::new_with_secret(&[0x03; 8], Algorithm::Argon2id, Version::V0x13, params).unwrap();
    let mut out = [0u8; 32];
    ctx.hash_password_into(&[0x01; 32], &[0x02; 16], &mut out)
        .unwrap();
    let expected = [
        0x0d, 0x64, 0x0d, 0xf5, 0x8d, 0x78, 0x76, 0x6c, 0x08, 0xc0, 0x37, 0xa3, 0x4a, 0x8b, 0x53,
        0xc9, 0xd0, 0x1e, 0xf0, 0x45, 0x2d, 0x75, 0xb6, 0x5e, 0xb5, 0x25, 0x20, 0xe9, 0x6b, 0x01,
        0xe6, 0x59,
    ];
    assert_eq!(out, expected);
}

/// Made with Python's argon2-cffi 25 (`argon2.low_level.hash_secret`, type ID), which links
/// the reference implementation.
const FOREIGN: &[(&str, &str)] = &[
    (
        "correct horse battery staple",
        "$argon2id$v=19$m=19456,t=2,p=1$dGVuYW50cnkta2F0LXNhbHQ$Cxeb5vb7YACuMOERI2KY6AjF96DwAR3BT3mst6PdaNs",
    ),
    (
        "Jürgen-Weiß-2026!",
        "$argon2id$v=19$m=19456,t=2,p=1$dGVuYW50cnkta2F0LXNhbHQ$jFAx7v6XzNx44ywqUtq1wNYPlrV7tXH2HT5RPhvBHXU",
    ),
    (
        "password",
        "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$Zh/vvW8pvLyPRkarwyqdekZFu1wFlTf4pVh/Ma2+zM0",
    ),
];

#[test]
fn phc_strings_from_the_reference_implementation_verify() {
    for (password, phc) in FOREIGN {
        let hash = PasswordHash::parse(phc).unwrap();
        assert!(
            verify_password(&Password::new(*password), &hash).unwrap(),
            "{password}"
        );
        assert!(!verify_password(&Password::new(format!("{password}x")), &hash).unwrap());
    }
    // Parameters are read back from the string.
    let hash = PasswordHash::parse(FOREIGN[0].1).unwrap();
    assert_eq!(hash.params().unwrap(), HashParams::OWASP);
    assert!(!hash.needs_rehash(&HashParams::OWASP));
    assert!(hash.needs_rehash(&HashParams {
        m_cost: 65_536,
        ..HashParams::OWASP
    }));
}

#[test]
fn our_hashes_are_phc_argon2id_with_fresh_salts() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let p = Password::new("correct horse battery staple");
    let a = hash_password(&p, &HashParams::OWASP, &mut rng).unwrap();
    let b = hash_password(&p, &HashParams::OWASP, &mut rng).unwrap();
    assert!(
        a.as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{}",
        a.as_str()
    );
    assert_ne!(a, b, "same salt twice");
    assert!(verify_password(&p, &a).unwrap() && verify_password(&p, &b).unwrap());
    assert!(!a.as_str().contains("correct horse"));
}

#[test]
fn unicode_is_normalised_before_hashing() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(2);
    let composed = Password::new("J\u{00FC}rgen likes long passphrases");
    let decomposed = Password::new("Ju\u{0308}rgen likes long passphrases");
    let hash = hash_password(&composed, &HashParams::INSECURE_FAST_FOR_TESTS, &mut rng).unwrap();
    assert!(verify_password(&decomposed, &hash).unwrap());
}

#[test]
fn bad_stored_hashes_are_typed_errors() {
    let p = Password::new("whatever whatever");
    assert_eq!(
        PasswordHash::parse("not a hash"),
        Err(CredentialError::MalformedHash)
    );
    assert_eq!(PasswordHash::parse(""), Err(CredentialError::MalformedHash));
    assert_eq!(
        PasswordHash::parse(
            "$argon2i$v=19$m=19456,t=2,p=1$dGVuYW50cnkta2F0LXNhbHQ$Cxeb5vb7YACuMOERI2KY6AjF96DwAR3BT3mst6PdaNs"
        ),
        Err(CredentialError::UnsupportedAlgorithm)
    );
    assert_eq!(
        PasswordHash::parse("$2b$12$abcdefghijklmnopqrstuuXYZ0123456789012345678901234567"),
        Err(CredentialError::MalformedHash)
    );
    // A tampered record asking for 4 GiB is refused before any work.
    let costly = PasswordHash::parse(
        "$argon2id$v=19$m=4194304,t=2,p=1$dGVuYW50cnkta2F0LXNhbHQ$Cxeb5vb7YACuMOERI2KY6AjF96DwAR3BT3mst6PdaNs",
    )
    .unwrap();
    assert_eq!(
        verify_password(&p, &costly),
        Err(CredentialError::ParametersTooCostly)
    );
    // Oversized input is refused, not truncated.
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let huge = Password::new("x".repeat(MAX_PASSWORD_BYTES + 1));
    assert_eq!(
        hash_password(&huge, &HashParams::INSECURE_FAST_FOR_TESTS, &mut rng),
        Err(CredentialError::PasswordTooLong {
            max: MAX_PASSWORD_BYTES
        })
    );
    let at_cap = Password::new("x".repeat(MAX_PASSWORD_BYTES));
    let hash = hash_password(&at_cap, &HashParams::INSECURE_FAST_FOR_TESTS, &mut rng).unwrap();
    assert_eq!(
        verify_password(&huge, &hash),
        Err(CredentialError::PasswordTooLong {
            max: MAX_PASSWORD_BYTES
        })
    );
    // Serde validates.
    assert!(serde_json::from_str::<PasswordHash>("\"nope\"").is_err());
}

#[test]
fn dummy_hashes_verify_nothing() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(4);
    let dummy = dummy_hash(&HashParams::INSECURE_FAST_FOR_TESTS, &mut rng).unwrap();
    assert!(!verify_password(&Password::new("correct horse battery staple"), &dummy).unwrap());
    assert_eq!(dummy.params().unwrap(), HashParams::INSECURE_FAST_FOR_TESTS);
}

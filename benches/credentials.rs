//! Password hashing and verification at the default (OWASP) argon2id parameters, and the
//! cheaper operations around them.
//!
//! Run with `cargo bench --bench credentials`. Hashing is meant to be slow: the figure says
//! how many sign-ins per second one core can serve, and so how many hashing tasks a host
//! should allow at once.

#![allow(clippy::expect_used)] // bench setup fails loudly: a broken fixture is no measurement

use std::hint::black_box;

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use rand::SeedableRng;
use rand::rngs::StdRng;
use tenantry_credentials::{
    HashParams, Password, PasswordPolicy, PinKey, PinRecord, PolicyContext, TokenPurpose,
    hash_password, issue_token, verify_password,
};
use tenantry_identity::UserId;

fn passwords(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(1);
    let password = Password::new("correct horse battery staple");
    let hash = hash_password(&password, &HashParams::OWASP, &mut rng).expect("hash");
    let mut group = c.benchmark_group("argon2id m=19456 t=2 p=1");
    group.sample_size(30);
    group.bench_function("hash", |b| {
        b.iter(|| hash_password(black_box(&password), &HashParams::OWASP, &mut rng))
    });
    group.bench_function("verify", |b| {
        b.iter(|| verify_password(black_box(&password), black_box(&hash)))
    });
    group.finish();

    let policy = PasswordPolicy::default();
    let ctx = PolicyContext::new();
    c.bench_function("policy check (blocklist of 19,640)", |b| {
        b.iter(|| policy.check(black_box(&password), &ctx))
    });
}

fn tokens_and_pins(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(2);
    let now = Utc
        .with_ymd_and_hms(2026, 11, 22, 9, 0, 0)
        .single()
        .expect("date");
    let user = UserId::generate(now, &mut rng);
    let purpose = TokenPurpose::PasswordReset;
    c.bench_function("token issue", |b| {
        b.iter(|| issue_token(purpose, user, now, purpose.default_ttl(), None, &mut rng))
    });
    let (raw, record) =
        issue_token(purpose, user, now, purpose.default_ttl(), None, &mut rng).expect("token");
    c.bench_function("token check", |b| {
        b.iter(|| record.check(black_box(&raw), purpose, Some(user), now))
    });
    let key = PinKey::new(1, &[7; 32]).expect("key");
    let keys = [key.clone()];
    let (pin_record, _) = PinRecord::issue(user, 8, &key, &mut rng).expect("pin");
    c.bench_function("PIN unseal", |b| {
        b.iter(|| pin_record.reveal(black_box(&keys)))
    });
}

criterion_group!(benches, passwords, tokens_and_pins);
criterion_main!(benches);

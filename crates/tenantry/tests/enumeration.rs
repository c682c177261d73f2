//! Enumeration: the flows that take a secret answer a known and an unknown identifier alike,
//! in time too. The password hash dominates their cost, so an unknown identifier is checked
//! against a dummy hash; this test proves it by timing both paths, interleaved, against the
//! cost of one hash measured in the same run. The comparison is of medians with generous
//! bounds (half to double; a quarter of one hash at least): it fails when a path skips the
//! hash (a hundredfold difference), not on the noise of a shared machine.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use rand::SeedableRng;
use tenantry::testing::{ADMIN_EMAIL, World, WorldBuilder, pin_user, sign_up_form};
use tenantry::*;
use tenantry_credentials::{HashParams, Password, PinKey, ThrottlePolicy, hash_password};
use tenantry_identity::{Email, LoginIdentifiers, OrgId, Profile, UserId, UserKind};
use tenantry_lifecycle::WayIn;

/// Costly enough that hashing dominates everything else the flows do (about 10 ms).
const PARAMS: HashParams = HashParams {
    m_cost: 8 * 1024,
    t_cost: 2,
    p_cost: 1,
};
const SAMPLES: usize = 21;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

async fn directory() -> Directory {
    let w = world_on(Arc::new(MemoryStore::new()), PARAMS).await;
    let otto = NewUser {
        kind: UserKind::Standard,
        profile: Profile::default(),
        identifiers: LoginIdentifiers {
            email: Some(Email::parse("otto@acme.example").unwrap()),
            ..Default::default()
        },
        way_in: WayIn::OneTimePassword,
        password: Some(Password::new("Otto-Start-2026-xyz")),
    };
    w.dir.create_user(w.admin(), w.org, otto).await.unwrap();
    w.dir
}

/// A world on `store` hashing with `params`, with PIN users on in its root organization; no
/// throttling (every attempt must reach the check being measured).
async fn world_on(store: Arc<dyn Store>, params: HashParams) -> World {
    let w = WorldBuilder::new()
        .store(store)
        .hash_params(params)
        .throttle(ThrottlePolicy {
            free_failures: 99,
            lock_after: 100,
            ..ThrottlePolicy::default()
        })
        .pin_keys(vec![PinKey::new(1, &[3; 32]).unwrap()])
        .build()
        .await
        .unwrap();
    w.enable_pin_users("pins.acme.example").await.unwrap();
    w
}

/// One hash with `PARAMS`, timed.
fn one_hash(rng: &mut rand::rngs::StdRng) -> Duration {
    let pw = Password::new("a password to hash once");
    let start = Instant::now();
    hash_password(&pw, &PARAMS, rng).unwrap();
    start.elapsed()
}

/// Times `known`, `unknown` and one plain hash in turn, so all three see the same load;
/// both identifiers must fail the same way.
async fn compare<F, Fut>(name: &str, mut attempt: F)
where
    F: FnMut(&'static str) -> Fut,
    Fut: std::future::Future<Output = Result<UserId, DirectoryError>>,
{
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let (mut known, mut unknown, mut hash) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..SAMPLES {
        for who in ["otto@acme.example", "nobody@acme.example"] {
            let start = Instant::now();
            let outcome = attempt(who).await;
            let took = start.elapsed();
            assert!(
                matches!(outcome, Err(DirectoryError::InvalidCredentials)),
                "{name} for {who}: {outcome:?}"
            );
            if who.starts_with("otto") {
                known.push(took);
            } else {
                unknown.push(took);
            }
        }
        hash.push(one_hash(&mut rng));
    }
    judge(name, known, unknown, hash);
}

/// Compares the medians of the `known` and `unknown` timings with each other and with one
/// `hash`: neither path may skip the hash, and neither may take twice as long as the other.
fn judge(name: &str, known: Vec<Duration>, unknown: Vec<Duration>, hash: Vec<Duration>) {
    let (known, unknown, hash) = (median(known), median(unknown), median(hash));
    eprintln!("{name}: known {known:?}, unknown {unknown:?}, one hash {hash:?}");
    assert!(
        unknown >= hash / 4 && known >= hash / 4,
        "{name}: a path skips the hash (known {known:?}, unknown {unknown:?}, hash {hash:?})"
    );
    let ratio = known.as_secs_f64() / unknown.as_secs_f64();
    assert!(
        (0.5..=2.0).contains(&ratio),
        "{name}: known {known:?} vs unknown {unknown:?}"
    );
}

/// Sign-in, one-time-password redemption and sign-up, one after the other in one test (timed
/// tests running beside each other would measure each other).
#[tokio::test]
async fn secret_checks_take_as_long_for_unknown_identifiers() {
    let dir = directory().await;
    // Otto has no password yet (only a one-time password): a known account that cannot
    // sign in this way, like an unknown one.
    let wrong = Password::new("not the password at all");
    compare("sign_in (no password yet)", |who| dir.sign_in(who, &wrong)).await;
    let ada_wrong = Password::new("not adas password either");
    compare("sign_in (wrong password)", |who| {
        let who = if who.starts_with("otto") {
            ADMIN_EMAIL
        } else {
            who
        };
        dir.sign_in(who, &ada_wrong)
    })
    .await;
    let guess = Password::new("Otto-Guess-2026-abc");
    let new = Password::new("my own long passphrase here");
    compare("redeem_one_time_password", |who| {
        dir.redeem_one_time_password(who, &guess, &new)
    })
    .await;
    sign_up_takes_as_long_for_an_existing_identifier().await;
}

/// Sign-up with an identifier that exists answers as for a new one, after the same checks
/// and the same hash: timed like the secret checks, against one hash.
async fn sign_up_takes_as_long_for_an_existing_identifier() {
    let w = world_on(Arc::new(MemoryStore::new()), PARAMS).await;
    let (dir, org) = (&w.dir, w.org);
    let mut lifecycle = tenantry_lifecycle::LifecyclePolicy::default();
    lifecycle.sign_up.enabled = true;
    dir.configure_organization(w.admin(), org, Default::default(), lifecycle)
        .await
        .unwrap();
    let form = |email: String| sign_up_form(org, &email, "purple monkey dishwasher").unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(2);
    let (mut known, mut unknown, mut hash) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..SAMPLES {
        let start = Instant::now();
        dir.sign_up(form(ADMIN_EMAIL.into())).await.unwrap();
        known.push(start.elapsed());
        let start = Instant::now();
        dir.sign_up(form(format!("new{i}@acme.example")))
            .await
            .unwrap();
        unknown.push(start.elapsed());
        hash.push(one_hash(&mut rng));
    }
    judge("sign_up", known, unknown, hash);
}

/// The detached variants return before any store work: on a single-threaded runtime the
/// work has not started when they return, for a known identifier as for an unknown one, so
/// the page answers in the same time; awaiting the started work shows it was done.
#[tokio::test(flavor = "current_thread")]
async fn detached_reset_and_sign_up_return_before_the_work() {
    let dir = Arc::new(directory().await);
    let pending = |dir: Arc<Directory>| async move {
        let far = Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).unwrap();
        dir.store().pending_outbox(far, 100).await.unwrap().len()
    };
    for (who, queued) in [(ADMIN_EMAIL, 1), ("nobody@acme.example", 0)] {
        let before = pending(dir.clone()).await;
        let started = dir.request_password_reset_detached(who).unwrap();
        assert_eq!(
            pending(dir.clone()).await,
            before,
            "{who}: work done before returning"
        );
        started.await.unwrap().unwrap();
        assert_eq!(pending(dir.clone()).await, before + queued, "{who}");
    }

    let nowhere = OrgId::from_uuid(uuid::Uuid::nil());
    let form = sign_up_form(nowhere, "new@acme.example", "purple monkey dishwasher").unwrap();
    let started = dir.sign_up_detached(form).unwrap();
    // The work ran afterwards and reports its own outcome (here: no such organization).
    assert!(started.await.unwrap().is_err());
}

#[test]
fn detached_use_cases_outside_a_runtime_are_an_error_not_a_panic() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let dir = Arc::new(rt.block_on(directory()));
    assert!(matches!(
        dir.request_password_reset_detached(ADMIN_EMAIL),
        Err(DirectoryError::Invalid {
            field: "runtime",
            ..
        })
    ));
}

/// A store that counts what the directory asks of it.
#[derive(Default)]
struct Counting {
    inner: MemoryStore,
    reads: std::sync::atomic::AtomicUsize,
    /// Each commit's shape: the kind of every record written and whether it was new, the
    /// deletions, the audit events.
    commits: std::sync::Mutex<Vec<String>>,
}

impl Counting {
    fn read(&self) {
        self.reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
    fn take(&self) -> (usize, Vec<String>) {
        let reads = self.reads.swap(0, std::sync::atomic::Ordering::SeqCst);
        (reads, std::mem::take(&mut *self.commits.lock().unwrap()))
    }
}

fn shape(cs: &Changeset) -> String {
    let puts: Vec<String> = cs
        .puts
        .iter()
        .map(|(record, expect)| {
            let key = format!("{:?}", record.key());
            let kind = key.split('(').next().unwrap_or_default().to_owned();
            format!("{kind}:{}", matches!(expect, Expect::Absent))
        })
        .collect();
    format!(
        "puts {puts:?}, {} deletes, {} audit events",
        cs.deletes.len(),
        cs.audit.len()
    )
}

#[async_trait::async_trait]
impl Store for Counting {
    async fn get(&self, key: &RecordKey) -> Result<Option<Versioned<Record>>, StoreError> {
        self.read();
        self.inner.get(key).await
    }
    async fn user_by_login(
        &self,
        key: &tenantry_identity::LoginKey,
    ) -> Result<Option<Versioned<UserRecord>>, StoreError> {
        self.read();
        self.inner.user_by_login(key).await
    }
    async fn users(&self, q: &UserQuery) -> Result<Page<Versioned<UserRecord>>, StoreError> {
        self.read();
        self.inner.users(q).await
    }
    async fn orgs(&self) -> Result<Vec<Versioned<OrgRecord>>, StoreError> {
        self.read();
        self.inner.orgs().await
    }
    async fn list(&self, of: &ListOf) -> Result<Vec<Versioned<Record>>, StoreError> {
        self.read();
        self.inner.list(of).await
    }
    async fn department_by_code(
        &self,
        code: &tenantry_identity::SignUpCode,
    ) -> Result<Option<Versioned<Record>>, StoreError> {
        self.read();
        self.inner.department_by_code(code).await
    }
    async fn pending_outbox(
        &self,
        now: chrono::DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Versioned<OutboxMessage>>, StoreError> {
        self.read();
        self.inner.pending_outbox(now, limit).await
    }
    async fn audit(&self, q: &AuditQuery) -> Result<Vec<AuditEvent>, StoreError> {
        self.read();
        self.inner.audit(q).await
    }
    async fn stale(
        &self,
        kind: StaleKind,
        before: chrono::DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Versioned<Record>>, StoreError> {
        self.read();
        self.inner.stale(kind, before, limit).await
    }
    async fn commit(&self, cs: Changeset) -> Result<Committed, StoreError> {
        self.commits.lock().unwrap().push(shape(&cs));
        self.inner.commit(cs).await
    }
}

/// The PIN flow costs the same store work for a known placeholder with a wrong PIN, an
/// unknown placeholder, and a standard user's email: three reads and one commit each, and
/// the commits write the same kinds of records the same way (its cost is the store's, not a
/// hash's, so it is counted here; `tenantry-sqlx`'s `pin_timing` test times it on SQLite).
/// The first attempt at each creates its failure count, the second updates it.
#[tokio::test]
async fn the_pin_flow_does_the_same_store_work_for_unknown_placeholders() {
    let store = Arc::new(Counting::default());
    let w = world_on(store.clone(), HashParams::INSECURE_FAST_FOR_TESTS).await;
    let dir = &w.dir;
    let max = pin_user("Max", "Muster", "0042").unwrap();
    let created = dir.create_user(w.admin(), w.org, max).await.unwrap();
    let placeholder = created.placeholder_email.unwrap().to_string();
    let pin = created.pin.unwrap();
    let wrong = if pin.expose() == "00000000" {
        "11111111"
    } else {
        "00000000"
    };
    let pw = Password::new("assembly line shift password");
    for attempt in ["first", "second"] {
        let mut costs = Vec::new();
        for who in [
            placeholder.as_str(),
            "nobody@pins.acme.example",
            ADMIN_EMAIL,
        ] {
            store.take();
            let outcome = dir.set_password_with_pin(who, wrong, &pw).await;
            assert!(
                matches!(outcome, Err(DirectoryError::InvalidCredentials)),
                "{who}: {outcome:?}"
            );
            costs.push((who, store.take()));
        }
        assert!(
            costs.iter().all(|(_, c)| *c == costs[0].1),
            "{attempt} attempt: store work differs: {costs:#?}"
        );
        assert_eq!(costs[0].1.0, 3);
        assert_eq!(costs[0].1.1.len(), 1);
    }
    // And the right PIN still works afterwards.
    assert_eq!(
        dir.set_password_with_pin(&placeholder, pin.expose(), &pw)
            .await
            .unwrap(),
        created.id
    );
}

//! Several provider instances on one database (an SQLite file here, PostgreSQL when
//! `PROVIDER_TEST_DATABASE=postgres`): started at the same moment, they create the
//! first keys, the provider DID and the pairwise salt once and agree on them; keys
//! rotated concurrently leave exactly one current key per algorithm.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "support/mod_provider.rs"]
mod support;

use provider_server::keys::{self, SIGNING_ALGORITHMS};
use support::{Provider, SharedDatabase};

fn current_kid(p: &Provider, alg: wallet_core::jws::Algorithm) -> String {
    p.state
        .keys
        .get()
        .unwrap()
        .current(alg)
        .unwrap()
        .kid()
        .to_owned()
}

async fn current_keys_per_algorithm(p: &Provider) -> Vec<(String, i64)> {
    provider_server::db::query_as(
        "SELECT alg, COUNT(*) FROM signing_keys WHERE superseded_at IS NULL GROUP BY alg ORDER BY alg",
    )
    .fetch_all(&p.state.db)
    .await
    .unwrap()
}

#[tokio::test]
async fn instances_starting_at_once_agree() {
    let db = SharedDatabase::create().await;
    let (a, b) = tokio::join!(
        Provider::start_on(Some(&db.url), None, |_| {}),
        Provider::start_on(Some(&db.url), None, |_| {}),
    );
    assert_eq!(a.get_json("/jwks").await, b.get_json("/jwks").await);
    assert_eq!(
        a.get_json("/jwks").await["keys"].as_array().unwrap().len(),
        3
    );
    assert_eq!(a.state.identity.did(), b.state.identity.did());
    assert_eq!(
        a.state
            .identity
            .pairwise_subject("rp.example", "did:example:1"),
        b.state
            .identity
            .pairwise_subject("rp.example", "did:example:1")
    );
    for alg in SIGNING_ALGORITHMS {
        assert_eq!(current_kid(&a, alg), current_kid(&b, alg), "{alg:?}");
    }
    assert_eq!(
        current_keys_per_algorithm(&a).await,
        [
            ("ES256".into(), 1),
            ("EdDSA".into(), 1),
            ("RS256".into(), 1)
        ]
    );
}

#[tokio::test]
async fn concurrent_rotations_leave_one_current_key_per_algorithm() {
    let db = SharedDatabase::create().await;
    let a = Provider::start_on(Some(&db.url), None, |_| {}).await;
    let b = Provider::start_on(Some(&db.url), Some(&a.issuer), |_| {}).await;
    let before: Vec<String> = SIGNING_ALGORITHMS
        .iter()
        .map(|alg| current_kid(&a, *alg))
        .collect();
    let (ra, rb) = tokio::join!(
        keys::rotate(&a.state.db, &a.state.config),
        keys::rotate(&b.state.db, &b.state.config),
    );
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!(
        current_keys_per_algorithm(&a).await,
        [
            ("ES256".into(), 1),
            ("EdDSA".into(), 1),
            ("RS256".into(), 1)
        ]
    );
    a.state.keys.reload(&a.state.db).await.unwrap();
    b.state.keys.reload(&b.state.db).await.unwrap();
    for (i, alg) in SIGNING_ALGORITHMS.iter().enumerate() {
        let now = current_kid(&a, *alg);
        assert_eq!(now, current_kid(&b, *alg));
        assert_ne!(now, before[i], "{alg:?} was not rotated");
        // What each rotation reported is a key that was really stored and published.
        assert!(ra[i] == now || rb[i] == now, "{alg:?}");
    }
    let jwks = a.get_json("/jwks").await;
    let published: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    for kid in before.iter().chain(&ra).chain(&rb) {
        assert!(
            published.contains(&kid.as_str()),
            "{kid} missing from the JWKS"
        );
    }
    assert_eq!(a.get_json("/jwks").await, b.get_json("/jwks").await);
}

/// Another process holding the SQLite write lock (a CLI command, a second instance
/// on the same file) delays writes, not reads: the JWKS keeps answering, a login
/// started meanwhile completes once the lock is released, and a lock held for longer
/// than the server waits sends the user back to the client with
/// `temporarily_unavailable`, not to a 500.
#[tokio::test]
async fn a_write_lock_held_by_another_process_delays_only_writes() {
    if support::postgres_requested() {
        return; // SQLite's file lock; PostgreSQL has row locks instead.
    }
    let p = Provider::start().await;
    let client = p.client("client_secret_basic", "EdDSA").await;
    let path = p
        .database_url
        .trim_start_matches("sqlite://")
        .trim_end_matches("?mode=rwc")
        .to_owned();
    let url = p.authorize_url(
        &client.config.client_id,
        support::REDIRECT,
        "&response_type=code&nonce=n1",
    );
    let hold = |ms: u64| {
        let path = path.clone();
        let (locked, is_locked) = std::sync::mpsc::channel();
        let holder = std::thread::spawn(move || {
            let other = rusqlite::Connection::open(path).unwrap();
            other.execute_batch("BEGIN IMMEDIATE").unwrap();
            locked.send(()).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(ms));
            other.execute_batch("ROLLBACK").unwrap();
        });
        is_locked.recv().unwrap();
        holder
    };

    let holder = hold(700);
    let started = std::time::Instant::now();
    let (login, jwks) = tokio::join!(p.begin(&url), async {
        let jwks = p.get_json("/jwks").await;
        (jwks, started.elapsed())
    });
    assert!(!login.is_empty());
    assert!(started.elapsed() >= std::time::Duration::from_millis(600));
    assert!(jwks.0["keys"].as_array().is_some_and(|k| !k.is_empty()));
    assert!(
        jwks.1 < std::time::Duration::from_millis(500),
        "a read waited for the write lock: {:?}",
        jwks.1
    );
    holder.join().unwrap();

    // Held too long: the user goes back to the client with `temporarily_unavailable`
    // (RFC 6749 §4.1.2.1), `state` and `iss` as in every authorization response.
    let holder = hold(7_000);
    let response = p.http.get(&url).send().await.unwrap();
    holder.join().unwrap();
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(support::REDIRECT), "{location}");
    let params = support::params_of(&location, false);
    assert_eq!(params["error"], "temporarily_unavailable", "{location}");
    assert_eq!(params["state"], "s1");
    assert_eq!(params["iss"], p.issuer);
    // Nothing was left half-done: the next login goes through.
    assert!(!p.begin(&url).await.is_empty());
}

/// A whole code login on `p` (a new EdDSA client, a wallet login, the code redeemed);
/// the id_token's claims, checked on the JWKS.
async fn code_login(p: &Provider, nonce: &str) -> serde_json::Map<String, serde_json::Value> {
    let client = p.client("client_secret_basic", "EdDSA").await;
    let login = p
        .begin(&p.authorize_url(
            &client.config.client_id,
            support::REDIRECT,
            &format!("&response_type=code&nonce={nonce}"),
        ))
        .await;
    let redirect = p
        .finish(
            &login,
            "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        )
        .await;
    let code = support::params_of(&redirect, false)["code"].clone();
    let tokens = p.redeem(&client, &code, support::REDIRECT).await;
    p.id_token_claims(tokens["id_token"].as_str().unwrap())
        .await
}

/// The provider's own secrets as stored: every signing key, the DID seed and the
/// pairwise salt.
async fn stored_secrets(p: &Provider) -> Vec<String> {
    let rows: Vec<(String,)> = provider_server::db::query_as(
        "SELECT private_key FROM signing_keys UNION ALL SELECT value FROM settings \
         WHERE name IN ('provider_did_ed25519_seed', 'pairwise_subject_salt')",
    )
    .fetch_all(&p.state.db)
    .await
    .unwrap();
    rows.into_iter().map(|(v,)| v).collect()
}

/// `--key-encryption-secret`: a database written in the clear is encrypted at the
/// next start with the secret, without changing a key, the DID or a login; keys
/// rotated afterwards are stored encrypted; without the secret, or with another one,
/// the provider refuses to start and says why.
#[tokio::test]
async fn provider_secrets_are_encrypted_at_rest_with_a_secret() {
    const SECRET: &str = "test-only at-rest secret 0123456789";
    let db = SharedDatabase::create().await;
    let plain = Provider::start_on(Some(&db.url), None, |_| {}).await;
    let jwks = plain.get_json("/jwks").await;
    let did = plain.state.identity.did().as_str().to_owned();
    let clear = stored_secrets(&plain).await;
    assert_eq!(clear.len(), SIGNING_ALGORITHMS.len() + 2);
    assert!(clear.iter().all(|v| !v.starts_with("enc1.")), "{clear:?}");

    let sealed = Provider::start_on(Some(&db.url), None, |c| {
        c.key_encryption_secret = Some(SECRET.into());
    })
    .await;
    assert_eq!(sealed.get_json("/jwks").await, jwks);
    assert_eq!(sealed.state.identity.did().as_str(), did);
    let stored = stored_secrets(&sealed).await;
    assert_eq!(stored.len(), clear.len());
    for value in &stored {
        assert!(value.starts_with("enc1."), "{value}");
        assert!(clear.iter().all(|c| !value.contains(c.as_str())));
    }

    keys::rotate(&sealed.state.db, &sealed.state.config)
        .await
        .unwrap();
    sealed.state.keys.reload(&sealed.state.db).await.unwrap();
    let rotated = stored_secrets(&sealed).await;
    assert_eq!(rotated.len(), clear.len() + SIGNING_ALGORITHMS.len());
    assert!(
        rotated.iter().all(|v| v.starts_with("enc1.")),
        "{rotated:?}"
    );
    // The new, encrypted keys sign: a whole code login, id_token checked on the JWKS.
    assert_eq!(code_login(&sealed, "n1").await["nonce"], "n1");

    let refused = |config| async move {
        provider_server::AppState::new(config)
            .await
            .unwrap_err()
            .to_string()
    };
    let without = refused(provider_server::config::Config::for_tests(
        &sealed.issuer,
        &db.url,
    ))
    .await;
    assert!(without.contains("--key-encryption-secret"), "{without}");
    let mut other = provider_server::config::Config::for_tests(&sealed.issuer, &db.url);
    other.key_encryption_secret = Some("another test secret, 0123456789 ab".into());
    let wrong = refused(other).await;
    assert!(wrong.contains("does not decrypt"), "{wrong}");
    let mut short = provider_server::config::Config::for_tests(&sealed.issuer, &db.url);
    short.key_encryption_secret = Some("too short".into());
    let weak = refused(short).await;
    assert!(weak.contains("at least 32 characters"), "{weak}");
}

/// Changing `--key-encryption-secret` with `--previous-key-encryption-secret`: every
/// value is encrypted again under the new secret at start, keys and DID unchanged;
/// an instance still sealing with the old secret but given the new one as its previous
/// keeps reading the keys (the rolling order of `docs/decisions.md`); afterwards the
/// old secret alone is refused; a previous secret without a new one turns encryption
/// off.
#[tokio::test]
async fn the_key_encryption_secret_can_be_changed() {
    const OLD: &str = "the old at-rest secret, 0123456789";
    const NEW: &str = "the new at-rest secret, 0123456789";
    let db = SharedDatabase::create().await;
    let old = Provider::start_on(Some(&db.url), None, |c| {
        c.key_encryption_secret = Some(OLD.into());
    })
    .await;
    let jwks = old.get_json("/jwks").await;
    let did = old.state.identity.did().as_str().to_owned();
    let under_old = stored_secrets(&old).await;
    assert!(under_old.iter().all(|v| v.starts_with("enc1.")));

    // Step one of a rolling change: an instance that seals with the old secret and
    // reads with the new one too.
    let first = Provider::start_on(Some(&db.url), None, |c| {
        c.key_encryption_secret = Some(OLD.into());
        c.previous_key_encryption_secret = Some(NEW.into());
    })
    .await;
    assert_eq!(
        stored_secrets(&first).await,
        under_old,
        "nothing to change yet"
    );

    // Step two: the new secret, the old one as previous.
    let changed = Provider::start_on(Some(&db.url), None, |c| {
        c.key_encryption_secret = Some(NEW.into());
        c.previous_key_encryption_secret = Some(OLD.into());
    })
    .await;
    assert_eq!(changed.get_json("/jwks").await, jwks);
    assert_eq!(changed.state.identity.did().as_str(), did);
    let under_new = stored_secrets(&changed).await;
    assert_eq!(under_new.len(), under_old.len());
    for value in &under_new {
        assert!(value.starts_with("enc1."), "{value}");
        assert!(!under_old.contains(value), "not encrypted again: {value}");
    }
    // The step-one instance reads what the new secret sealed.
    first.state.keys.reload(&first.state.db).await.unwrap();
    assert_eq!(first.get_json("/jwks").await, jwks);

    let refused = |config| async move {
        provider_server::AppState::new(config)
            .await
            .unwrap_err()
            .to_string()
    };
    let mut only_old = provider_server::config::Config::for_tests(&changed.issuer, &db.url);
    only_old.key_encryption_secret = Some(OLD.into());
    let wrong = refused(only_old).await;
    assert!(wrong.contains("does not decrypt"), "{wrong}");
    let only_new = Provider::start_on(Some(&db.url), None, |c| {
        c.key_encryption_secret = Some(NEW.into());
    })
    .await;
    assert_eq!(only_new.get_json("/jwks").await, jwks);
    // A whole code login signs with the keys as now stored.
    assert_eq!(code_login(&only_new, "n2").await["nonce"], "n2");

    // Turning encryption off: the previous secret only.
    let off = Provider::start_on(Some(&db.url), None, |c| {
        c.previous_key_encryption_secret = Some(NEW.into());
    })
    .await;
    assert_eq!(off.get_json("/jwks").await, jwks);
    let clear = stored_secrets(&off).await;
    assert!(clear.iter().all(|v| !v.starts_with("enc1.")), "{clear:?}");
    let plain = Provider::start_on(Some(&db.url), None, |_| {}).await;
    assert_eq!(plain.state.identity.did().as_str(), did);
}

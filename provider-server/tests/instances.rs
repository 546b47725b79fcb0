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

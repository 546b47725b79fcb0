//! The expired-row cleanup (`provider_server::cleanup`): with the injected clock moved
//! past each lifetime, exactly the dead rows go — in batches — and live ones stay
//! usable; the background task does the same on its own.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "support/mod_provider.rs"]
mod support;

use std::time::Duration;

use provider_server::cleanup::{self, Purged};
use provider_server::clients::CreatedClient;
use serde_json::Value;
use support::{Provider, REDIRECT, params_of};

const HOLDER: &str = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
const DAY: i64 = 86_400;

async fn count(p: &Provider, table: &str) -> i64 {
    let (n,): (i64,) = provider_server::db::query_as(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(&p.state.db)
        .await
        .unwrap();
    n
}

/// Row counts: login sessions, codes, access tokens, refresh tokens, families.
async fn counts(p: &Provider) -> [i64; 5] {
    [
        count(p, "login_sessions").await,
        count(p, "auth_codes").await,
        count(p, "access_tokens").await,
        count(p, "refresh_tokens").await,
        count(p, "refresh_families").await,
    ]
}

/// Purged rows in the order of [`counts`].
fn deleted(p: Purged) -> [u64; 5] {
    [
        p.login_sessions,
        p.auth_codes,
        p.access_tokens,
        p.refresh_tokens,
        p.refresh_families,
    ]
}

async fn purge_at(p: &Provider, offset: i64) -> [u64; 5] {
    p.state.clock.set_offset(offset);
    deleted(cleanup::purge_expired(&p.state).await.unwrap())
}

/// A login up to the code (not redeemed), with `offline_access` so that redeeming
/// it makes a refresh family.
async fn code(p: &Provider, client: &CreatedClient) -> String {
    let login = p
        .begin(&p.authorize_url_with_scope(
            &client.config.client_id,
            REDIRECT,
            "openid offline_access",
            "&response_type=code&nonce=n",
        ))
        .await;
    params_of(&p.finish(&login, HOLDER).await, false)["code"].clone()
}

async fn refresh(p: &Provider, client: &CreatedClient, token: &str) -> (u16, Value) {
    let response = p
        .http
        .post(p.url("/token"))
        .basic_auth(&client.config.client_id, client.client_secret.as_deref())
        .form(&[("grant_type", "refresh_token"), ("refresh_token", token)])
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn userinfo_status(p: &Provider, access_token: &str) -> u16 {
    p.http
        .get(p.url("/userinfo"))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn purge_deletes_exactly_the_dead_rows() {
    let p = Provider::start().await;
    let client = p.client("client_secret_basic", "RS256").await;
    let grace = cleanup::grace_secs(&p.state);
    let config = &p.state.config;
    // Login 1: redeemed, all live. Login 2: a code nobody redeemed. Login 3: begun
    // only. Login 4: redeemed, rotated, then the old refresh token replayed, which
    // revokes its family and both its access tokens.
    let c1 = code(&p, &client).await;
    let t1 = p.redeem(&client, &c1, REDIRECT).await;
    let _c2 = code(&p, &client).await;
    p.begin(&p.authorize_url(&client.config.client_id, REDIRECT, "&response_type=code"))
        .await;
    let c4 = code(&p, &client).await;
    let t4 = p.redeem(&client, &c4, REDIRECT).await;
    let rt4 = t4["refresh_token"].as_str().unwrap();
    assert_eq!(refresh(&p, &client, rt4).await.0, 200);
    assert_eq!(refresh(&p, &client, rt4).await.0, 400);
    assert_eq!(counts(&p).await, [4, 3, 3, 3, 2]);

    // Now: only what was revoked goes (the revoked family itself waits for the grace
    // period, in case a request is still writing into it).
    assert_eq!(purge_at(&p, 0).await, [0, 0, 2, 2, 0]);
    assert_eq!(counts(&p).await, [4, 3, 1, 1, 2]);
    let at1 = t1["access_token"].as_str().unwrap();
    assert_eq!(userinfo_status(&p, at1).await, 200);

    // Past the code lifetime: the unredeemed code goes, and so do the revoked family
    // and then its code; the redeemed code of login 1 stays with its tokens.
    let codes_dead = i64::from(config.code_lifetime_secs) + grace + 1;
    assert_eq!(purge_at(&p, codes_dead).await, [0, 2, 0, 0, 1]);
    assert_eq!(counts(&p).await, [4, 1, 1, 1, 1]);
    // Replaying login 1's code is still recognised as a reuse and revokes its tokens.
    let replay = p
        .http
        .post(p.url("/token"))
        .basic_auth(&client.config.client_id, client.client_secret.as_deref())
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", c1.as_str()),
            ("redirect_uri", REDIRECT),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 400);
    assert_eq!(userinfo_status(&p, at1).await, 401);

    // A fresh grant for the rest: login 5, live.
    let c5 = code(&p, &client).await;
    let t5 = p.redeem(&client, &c5, REDIRECT).await;
    let at5 = t5["access_token"].as_str().unwrap();
    // Past the session lifetime: all five login sessions (finished or not) go. Login
    // 1's revoked access token went too; its family (revoked by the replay) and
    // refresh token follow.
    let sessions_dead = i64::from(config.login_session_lifetime_secs) + grace + 1;
    let before = counts(&p).await;
    assert_eq!(before, [5, 2, 2, 2, 2]);
    let purged = purge_at(&p, sessions_dead).await;
    assert_eq!(purged, [5, 1, 1, 1, 1], "login 1's chain and every session");
    assert_eq!(counts(&p).await, [0, 1, 1, 1, 1]);
    assert_eq!(userinfo_status(&p, at5).await, 200);

    // Past the access token lifetime: login 5's access token goes; its refresh token
    // (30 days) keeps the family and the code, and still works.
    let access_dead = i64::from(config.access_token_lifetime_secs) + grace + 1;
    assert_eq!(purge_at(&p, access_dead).await, [0, 0, 1, 0, 0]);
    p.state.clock.set_offset(0);
    let (status, t5b) = refresh(&p, &client, t5["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{t5b}");
    assert_eq!(
        userinfo_status(&p, t5b["access_token"].as_str().unwrap()).await,
        200
    );
    assert_eq!(counts(&p).await, [0, 1, 1, 2, 1]);

    // Past the refresh token lifetime: nothing is left but clients and keys.
    let all_dead = i64::from(config.refresh_token_lifetime_secs) + DAY;
    assert_eq!(purge_at(&p, all_dead).await, [0, 1, 1, 2, 1]);
    assert_eq!(counts(&p).await, [0; 5]);
    assert_eq!(count(&p, "clients").await, 1);
    assert_eq!(count(&p, "signing_keys").await, 3);
    // And a second purge finds nothing.
    assert_eq!(purge_at(&p, all_dead).await, [0; 5]);
}

#[tokio::test]
async fn purge_works_in_batches_and_spares_live_sessions() {
    // Two instances on one database with different session lifetimes: the sessions
    // of the first expire long before those of the second.
    let short = Provider::start().await;
    let long = Provider::start_on(Some(&short.database_url), Some(&short.issuer), |c| {
        c.login_session_lifetime_secs = 10 * 3600;
    })
    .await;
    let client = short.client("client_secret_basic", "RS256").await;
    for _ in 0..7 {
        short
            .begin(&short.authorize_url(&client.config.client_id, REDIRECT, "&response_type=code"))
            .await;
    }
    let mut live = Vec::new();
    for _ in 0..3 {
        live.push(
            long.begin(&long.authorize_url(
                &client.config.client_id,
                REDIRECT,
                "&response_type=code",
            ))
            .await,
        );
    }
    assert_eq!(count(&short, "login_sessions").await, 10);
    let now = provider_server::web::now();
    let after_short = now + i64::from(short.state.config.login_session_lifetime_secs) + 1;
    let purged = cleanup::purge(&short.state.db, after_short, 0, 2)
        .await
        .unwrap();
    assert_eq!(purged.login_sessions, 7);
    assert_eq!(purged.total(), 7);
    assert_eq!(count(&short, "login_sessions").await, 3);
    // The survivors still work.
    for lc in live {
        let challenge = long
            .get_json(&format!("/api/v1/challenge?login_challenge={lc}"))
            .await;
        assert!(challenge["challenge"].is_string(), "{challenge}");
    }
}

#[tokio::test]
async fn background_cleanup_runs_on_its_interval() {
    let p = Provider::start_with(|c| c.cleanup_interval_secs = 1).await;
    let client = p.client("client_secret_basic", "RS256").await;
    p.begin(&p.authorize_url(&client.config.client_id, REDIRECT, "&response_type=code"))
        .await;
    let handle = cleanup::spawn_cleanup(&p.state).expect("an interval of 1 s spawns the task");
    // Not yet expired: the task runs but keeps the session.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(count(&p, "login_sessions").await, 1);
    p.state.clock.set_offset(DAY);
    let mut remaining = 1;
    for _ in 0..50 {
        remaining = count(&p, "login_sessions").await;
        if remaining == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    handle.abort();
    assert_eq!(
        remaining, 0,
        "the background task did not delete the expired session"
    );

    let disabled = Provider::start_with(|c| c.cleanup_interval_secs = 0).await;
    assert!(cleanup::spawn_cleanup(&disabled.state).is_none());
}

#[tokio::test]
async fn expired_oid4vp_requests_are_purged_and_live_ones_kept() {
    let p = Provider::start().await;
    let client = p.client("client_secret_basic", "EdDSA").await;
    let mut requests = Vec::new();
    for _ in 0..2 {
        let lc = p
            .begin(&p.authorize_url(&client.config.client_id, REDIRECT, "&response_type=code"))
            .await;
        let r = p
            .http
            .get(p.url(&format!("/api/v1/oid4vp/request?login_challenge={lc}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        requests.push(r.json::<Value>().await.unwrap());
    }
    assert_eq!(count(&p, "oid4vp_transactions").await, 2);
    let now = provider_server::web::now();
    let lifetime = i64::from(p.state.config.oid4vp_request_lifetime_secs);
    // Before the expiry (plus grace) nothing goes.
    let purged = cleanup::purge(&p.state.db, now + lifetime - 5, 0, 500)
        .await
        .unwrap();
    assert_eq!(purged.oid4vp_transactions, 0);
    assert_eq!(count(&p, "oid4vp_transactions").await, 2);
    // After it, both go, one per batch.
    let purged = cleanup::purge(&p.state.db, now + lifetime + 1, 0, 1)
        .await
        .unwrap();
    assert_eq!(purged.oid4vp_transactions, 2);
    assert_eq!(count(&p, "oid4vp_transactions").await, 0);
}

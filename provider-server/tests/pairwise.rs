//! Pairwise subject identifiers (OIDC Core §8.1): `subject_type` in the Login
//! Configuration (`/register`, `client create --subject-type`), one `sub` per holder
//! and sector (the host of the client's redirect URIs) — the same in the id_token,
//! at userinfo and across logins, different across sectors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "support/mod_provider.rs"]
mod support;

use provider_server::clients::{self, CreatedClient, NewClient, SubjectType};
use provider_server::oidc::grants::public_subject;
use serde_json::{Value, json};
use support::{Provider, params_of};

const HOLDER: &str = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
const OTHER_HOLDER: &str = "did:key:z6MkjchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG";

async fn client(p: &Provider, subject_type: &str, redirect_uris: &[&str]) -> CreatedClient {
    clients::create(
        &p.state.db,
        NewClient {
            name: Some(format!("{subject_type} RP")),
            redirect_uris: redirect_uris.iter().map(|u| (*u).to_owned()).collect(),
            subject_type: Some(subject_type.into()),
            ..NewClient::default()
        },
    )
    .await
    .unwrap()
}

/// Logs `holder` in at `client` through `redirect_uri`; returns the id_token's `sub`
/// and the userinfo `sub`.
async fn subs(
    p: &Provider,
    client: &CreatedClient,
    redirect_uri: &str,
    holder: &str,
) -> (String, String) {
    let login = p
        .begin(&p.authorize_url(
            &client.config.client_id,
            redirect_uri,
            "&response_type=code&nonce=n",
        ))
        .await;
    let code = params_of(&p.finish(&login, holder).await, false)["code"].clone();
    let tokens = p.redeem(client, &code, redirect_uri).await;
    let claims = p
        .id_token_claims(tokens["id_token"].as_str().unwrap())
        .await;
    let info: Value = p
        .http
        .get(p.url("/userinfo"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        claims["sub"].as_str().unwrap().to_owned(),
        info["sub"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn pairwise_sub_is_per_sector_and_stable() {
    let p = Provider::start().await;
    let a = client(
        &p,
        "pairwise",
        &["https://a.example/cb", "https://a.example/other"],
    )
    .await;
    let a2 = client(&p, "pairwise", &["https://a.example/second-app"]).await;
    let b = client(&p, "pairwise", &["https://b.example/cb"]).await;
    let public = client(&p, "public", &["https://a.example/cb"]).await;
    assert_eq!(a.config.subject_type, SubjectType::Pairwise);
    assert_eq!(public.config.subject_type, SubjectType::Public);

    let (sub_a, info_a) = subs(&p, &a, "https://a.example/cb", HOLDER).await;
    assert_eq!(sub_a, info_a, "userinfo sub differs from the id_token's");
    // Stable: another login, through another of the client's redirect URIs.
    let (again, info_again) = subs(&p, &a, "https://a.example/other", HOLDER).await;
    assert_eq!(
        (again.as_str(), info_again.as_str()),
        (sub_a.as_str(), sub_a.as_str())
    );
    // Same sector (host), same sub; another sector, another sub.
    assert_eq!(
        subs(&p, &a2, "https://a.example/second-app", HOLDER)
            .await
            .0,
        sub_a
    );
    let (sub_b, info_b) = subs(&p, &b, "https://b.example/cb", HOLDER).await;
    assert_eq!(sub_b, info_b);
    assert_ne!(sub_b, sub_a);
    // Another holder, another sub.
    assert_ne!(
        subs(&p, &a, "https://a.example/cb", OTHER_HOLDER).await.0,
        sub_a
    );
    // The public sub is the same at every client and is none of the pairwise ones.
    let (sub_public, _) = subs(&p, &public, "https://a.example/cb", HOLDER).await;
    assert_eq!(sub_public, public_subject(&p.issuer, HOLDER));
    assert_ne!(sub_public, sub_a);
    assert_ne!(sub_public, sub_b);
    // The computation: base64url(SHA-256(sector ‖ 0 ‖ DID ‖ 0 ‖ salt)), 32 bytes.
    assert_eq!(
        sub_a,
        p.state.identity.pairwise_subject("a.example", HOLDER)
    );
    assert_eq!(sub_a.len(), 43);
    assert!(!sub_a.contains(HOLDER));
}

#[tokio::test]
async fn pairwise_sub_is_shared_by_instances_on_one_database_and_differs_between_providers() {
    let p = Provider::start().await;
    let a = client(&p, "pairwise", &["https://a.example/cb"]).await;
    let (sub, _) = subs(&p, &a, "https://a.example/cb", HOLDER).await;
    // A second instance on the same database (and issuer) reads the same salt.
    let twin = Provider::start_on(Some(&p.database_url), Some(&p.issuer), |_| {}).await;
    assert_eq!(
        twin.state.identity.pairwise_subject("a.example", HOLDER),
        sub
    );
    // Another provider (another database) has another salt.
    let other = Provider::start().await;
    assert_ne!(
        other.state.identity.pairwise_subject("a.example", HOLDER),
        sub
    );
}

async fn register(p: &Provider, body: &Value) -> (u16, Value) {
    let response = p
        .http
        .post(p.url("/register"))
        .bearer_auth("iat-secret")
        .json(body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn registration_of_pairwise_clients() {
    let p = Provider::start_with(|c| c.registration_token = Some("iat-secret".into())).await;
    let doc = p.get_json("/.well-known/openid-configuration").await;
    assert_eq!(
        doc["subject_types_supported"],
        json!(["public", "pairwise"])
    );

    let (status, body) = register(
        &p,
        &json!({"client_name": "P", "redirect_uris": ["https://a.example/cb", "https://a.example/cb2"], "subject_type": "pairwise"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["subject_type"], "pairwise");
    let stored = clients::get(&p.state.db, body["client_id"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.config.subject_type, SubjectType::Pairwise);
    assert_eq!(
        stored.config.sector_identifier().as_deref(),
        Some("a.example")
    );
    // The default is public, and it is shown.
    let (status, body) = register(
        &p,
        &json!({"client_name": "D", "redirect_uris": ["https://a.example/cb"]}),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(body["subject_type"], "public");

    for (metadata, needle) in [
        (
            json!({"client_name": "P", "redirect_uris": ["https://a.example/cb", "https://b.example/cb"], "subject_type": "pairwise"}),
            "one host",
        ),
        (
            json!({"client_name": "P", "redirect_uris": ["com.example.app:/cb"], "subject_type": "pairwise"}),
            "with a host",
        ),
        (
            json!({"client_name": "P", "redirect_uris": ["https://a.example/cb"], "subject_type": "pairwise", "sector_identifier_uri": "https://a.example/sector.json"}),
            "sector_identifier_uri is not supported",
        ),
        (
            json!({"client_name": "P", "redirect_uris": ["https://a.example/cb"], "subject_type": "per-client"}),
            "subject_type",
        ),
    ] {
        let (status, body) = register(&p, &metadata).await;
        assert_eq!(status, 400, "{metadata}");
        assert_eq!(body["error"], "invalid_client_metadata", "{metadata}");
        assert!(
            body["error_description"].as_str().unwrap().contains(needle),
            "{body}"
        );
    }
    // Nothing half-written: only the two accepted clients exist.
    assert_eq!(clients::list(&p.state.db).await.unwrap().len(), 2);
}

#[tokio::test]
async fn client_create_subject_type_on_the_command_line() {
    let p = Provider::start().await;
    let cli = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_provider-server"))
            .arg("--database-url")
            .arg(&p.database_url)
            .args([
                "--log-level",
                "error",
                "client",
                "create",
                "--name",
                "CLI RP",
            ])
            .args(args)
            .output()
            .unwrap()
    };
    let out = cli(&[
        "--redirect-uri",
        "https://cli.example/cb",
        "--subject-type",
        "pairwise",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let created: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(created["subject_type"], "pairwise");
    let client = CreatedClient {
        config: serde_json::from_value(created.clone()).unwrap(),
        client_secret: created["client_secret"].as_str().map(str::to_owned),
    };
    // The running provider logs in through it with a pairwise sub.
    let (sub, _) = subs(&p, &client, "https://cli.example/cb", HOLDER).await;
    assert_eq!(
        sub,
        p.state.identity.pairwise_subject("cli.example", HOLDER)
    );

    for args in [
        &[
            "--redirect-uri",
            "https://a.example/cb",
            "--redirect-uri",
            "https://b.example/cb",
            "--subject-type",
            "pairwise",
        ][..],
        &[
            "--redirect-uri",
            "https://a.example/cb",
            "--subject-type",
            "secret",
        ][..],
    ] {
        let out = cli(args);
        assert!(!out.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("invalid client metadata"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

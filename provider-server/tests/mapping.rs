//! `id_token_mapping` over the JSON view of a verified presentation: the view's
//! shape, conflicts (error, `first`, `array`), absent claims, and sources refused
//! at registration.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "support/mod_provider.rs"]
mod support;
#[path = "support/wallet.rs"]
mod wallet;

use provider_server::clients::{self, IdTokenMapping, NewClient};
use provider_server::mapping::{self, MappingError, OnConflict};
use serde_json::{Value, json};
use support::{Provider, REDIRECT};
use wallet::{Wallet, email_credential, now, party};
use wallet_core::data_integrity::OfflineResolver;
use wallet_core::presentation::{
    HolderKey, PresentationOptions, TrustList, VerificationPolicy, build_presentation,
    verify_presentation,
};
use wallet_core::status_list::StaticStatusLists;
use wallet_core::vc::{EmbeddedCredential, format_datetime};

const DOMAIN: &str = "https://provider.example";

/// A verified presentation of two email credentials, as its JSON view.
fn view(emails: &[&str]) -> (Value, String) {
    let issuer = party();
    let w = Wallet::new();
    let creds = emails
        .iter()
        .map(|e| {
            EmbeddedCredential::Json(email_credential(&issuer, &w.holder.did, e, now() + 3600))
        })
        .collect();
    let key = HolderKey {
        verification_method: &w.holder.vm,
        key: &w.holder.key,
    };
    let options = PresentationOptions::new("c1", DOMAIN, format_datetime(now()).unwrap());
    let vp = build_presentation(&key, creds, &options).unwrap().to_json();
    let policy = VerificationPolicy::new(
        "c1",
        DOMAIN,
        now(),
        TrustList::issuers([issuer.did.as_str()]),
    );
    let verified = verify_presentation(
        &vp,
        &policy,
        &OfflineResolver,
        &StaticStatusLists::default(),
    )
    .unwrap();
    (
        mapping::presentation_view(&verified),
        issuer.did.as_str().to_owned(),
    )
}

fn entry(source: &str, claim: &str, on_conflict: Option<OnConflict>) -> IdTokenMapping {
    IdTokenMapping {
        source: source.into(),
        claim: claim.into(),
        on_conflict,
    }
}

#[test]
fn view_has_holder_credentials_and_claims() {
    let (v, issuer) = view(&["a@example.com"]);
    assert!(v["holder"].as_str().unwrap().starts_with("did:key:z6Mk"));
    assert_eq!(
        v["verifiableCredential"][0]["credentialSubject"]["email"],
        "a@example.com"
    );
    let c = &v["credentials"][0];
    assert_eq!(c["index"], 0);
    assert_eq!(c["format"], "ldp_vc");
    assert_eq!(c["issuer"], issuer);
    assert_eq!(
        c["types"],
        json!(["VerifiableCredential", "EmailCredential"])
    );
    assert_eq!(c["subjects"][0], v["holder"]);
    assert_eq!(c["claims"], v["verifiableCredential"][0]);
    assert!(v.get("presentation_submission").is_none());
}

#[test]
fn mapping_copies_values_and_skips_absent_ones() {
    let (v, issuer) = view(&["a@example.com"]);
    let claims = mapping::apply(
        &[
            entry(
                "$.verifiableCredential[0].credentialSubject.email",
                "email",
                None,
            ),
            entry("$.credentials[0].issuer", "email_issuer", None),
            entry(
                "$.verifiableCredential[0].credentialSubject.phone",
                "phone",
                None,
            ),
        ],
        &v,
    )
    .unwrap();
    assert_eq!(claims["email"], "a@example.com");
    assert_eq!(claims["email_issuer"], issuer);
    assert!(!claims.contains_key("phone"));
}

#[test]
fn conflicting_values_are_an_error_unless_configured() {
    let (v, _) = view(&["a@example.com", "b@example.com"]);
    let source = "$.verifiableCredential[*].credentialSubject.email";
    assert_eq!(
        mapping::apply(&[entry(source, "email", None)], &v).unwrap_err(),
        MappingError::Conflict("email".into())
    );
    let first = mapping::apply(&[entry(source, "email", Some(OnConflict::First))], &v).unwrap();
    assert_eq!(first["email"], "a@example.com");
    let all = mapping::apply(&[entry(source, "email", Some(OnConflict::Array))], &v).unwrap();
    assert_eq!(all["email"], json!(["a@example.com", "b@example.com"]));
    // Equal values from several sources are not a conflict.
    let (same, _) = view(&["a@example.com", "a@example.com"]);
    assert_eq!(
        mapping::apply(&[entry(source, "email", None)], &same).unwrap()["email"],
        "a@example.com"
    );
}

#[tokio::test]
async fn registration_refuses_sources_that_are_not_bounded_jsonpath() {
    let p = Provider::start().await;
    for source in ["$..a..b", "$[?match(@.a, 'x')]", "$.a[", "$..[?(@..x)]"] {
        let result = clients::create(
            &p.state.db,
            NewClient {
                name: Some("M".into()),
                redirect_uris: vec![REDIRECT.into()],
                id_token_mapping: Some(json!([{"source": source, "claim": "x"}])),
                ..NewClient::default()
            },
        )
        .await;
        assert!(
            matches!(result, Err(clients::ClientError::Metadata(_))),
            "{source}"
        );
    }
    let ok = clients::create(
        &p.state.db,
        NewClient {
            name: Some("M".into()),
            redirect_uris: vec![REDIRECT.into()],
            id_token_mapping: Some(json!([
                {"source": "$.verifiableCredential[*].credentialSubject.email", "claim": "email", "on_conflict": "first"}
            ])),
            ..NewClient::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        ok.config.id_token_mapping.unwrap()[0].on_conflict,
        Some(OnConflict::First)
    );
}

//! `did:web` issuers: the provider fetches a trusted issuer's DID document over HTTPS
//! (here from a loopback TLS server whose throw-away CA is given as `--tls-root-ca`),
//! verifies credentials against the key the document puts in `assertionMethod`, keeps
//! the document for `--did-web-cache-secs`, and never fetches a `did:web` it does not
//! trust.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "support/mod_provider.rs"]
mod support;
#[path = "support/wallet.rs"]
mod wallet;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use provider_server::clients::{self, NewClient};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::{Value, json};
use support::{Provider, REDIRECT};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use wallet::{Party, Wallet, email_credential, email_definition, now, post_credentials, refused};
use wallet_core::did::{self, Did};
use wallet_core::keys::{KeyType, PrivateKey};
use wallet_core::random::OsRandom;

/// A loopback HTTPS server for DID documents at `localhost` (did:web allows no IP
/// address): a certificate for `localhost` from a throw-away CA (`ca_pem`), the documents by path, and a count of requests.
struct DocumentHost {
    port: u16,
    ca_pem: tempfile::NamedTempFile,
    documents: Arc<Mutex<HashMap<String, String>>>,
    requests: Arc<AtomicUsize>,
}

impl DocumentHost {
    async fn start() -> Self {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let server_key = rcgen::KeyPair::generate().unwrap();
        let server = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
            .unwrap()
            .signed_by(&server_key, &ca, &ca_key)
            .unwrap();
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(server.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der())),
        )
        .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let documents: Arc<Mutex<HashMap<String, String>>> = Arc::default();
        let requests = Arc::new(AtomicUsize::new(0));
        let serve = |listener: tokio::net::TcpListener| {
            let (acceptor, docs, count) = (
                acceptor.clone(),
                Arc::clone(&documents),
                Arc::clone(&requests),
            );
            tokio::spawn(async move {
                loop {
                    let Ok((tcp, _)) = listener.accept().await else {
                        return;
                    };
                    let (acceptor, docs, count) =
                        (acceptor.clone(), Arc::clone(&docs), Arc::clone(&count));
                    tokio::spawn(async move {
                        let Ok(mut tls) = acceptor.accept(tcp).await else {
                            return;
                        };
                        let mut head = Vec::new();
                        let mut buf = [0u8; 1024];
                        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                            match tls.read(&mut buf).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => head.extend_from_slice(&buf[..n]),
                            }
                        }
                        count.fetch_add(1, Ordering::SeqCst);
                        let head = String::from_utf8_lossy(&head);
                        let path = head.split(' ').nth(1).unwrap_or_default().to_owned();
                        let body = docs.lock().unwrap().get(&path).cloned();
                        let response = match body {
                            Some(body) => format!(
                                "HTTP/1.1 200 OK\r\ncontent-type: application/did+json\r\n\
                             content-length: {}\r\nconnection: close\r\n\r\n{body}",
                                body.len()
                            ),
                            None => "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\
                                 connection: close\r\n\r\n"
                                .to_owned(),
                        };
                        let _ = tls.write_all(response.as_bytes()).await;
                        let _ = tls.shutdown().await;
                    });
                }
            });
        };
        serve(listener);
        // `localhost` may resolve to ::1 first; serve there too when the port is free.
        if let Ok(v6) = tokio::net::TcpListener::bind((std::net::Ipv6Addr::LOCALHOST, port)).await {
            serve(v6);
        }
        let mut ca_pem = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut ca_pem, ca.pem().as_bytes()).unwrap();
        Self {
            port,
            ca_pem,
            documents,
            requests,
        }
    }

    /// `did:web:localhost%3A<port>[:<path>]`: an issuer whose Ed25519 key the
    /// document served at the matching URL lists as `#key-1`, in the relationship
    /// `relationship`; `edit` changes the document before it is served.
    fn issuer(&self, path: &[&str], relationship: &str, edit: impl FnOnce(&mut Value)) -> Party {
        let key = PrivateKey::generate(KeyType::Ed25519, &mut OsRandom).unwrap();
        let mut id = format!("did:web:localhost%3A{}", self.port);
        for segment in path {
            id.push(':');
            id.push_str(segment);
        }
        let did = Did::parse(&id).unwrap();
        let vm = did.with_fragment("key-1").unwrap();
        let multikey = did::key::multikey_encode(&key.public_key()).unwrap();
        let mut document = json!({
            "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
            "id": id,
            "verificationMethod": [{
                "id": vm.as_str(),
                "type": "Multikey",
                "controller": id,
                "publicKeyMultibase": multikey,
            }],
            relationship: ["#key-1"],
        });
        edit(&mut document);
        let url_path = if path.is_empty() {
            "/.well-known/did.json".to_owned()
        } else {
            format!("/{}/did.json", path.join("/"))
        };
        self.documents
            .lock()
            .unwrap()
            .insert(url_path, document.to_string());
        Party { key, did, vm }
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

/// A provider trusting the host's CA, and a client trusting `trusted`.
async fn provider(host: &DocumentHost, trusted: &[&Party]) -> (Provider, String) {
    let ca = host.ca_pem.path().to_owned();
    let p = Provider::start_on(None, None, move |c| c.tls_root_ca = Some(ca)).await;
    let client_id = client_for(&p, trusted).await;
    (p, client_id)
}

/// A client of `p` trusting `trusted`; its `client_id`.
async fn client_for(p: &Provider, trusted: &[&Party]) -> String {
    let client = clients::create(
        &p.state.db,
        NewClient {
            name: Some("did:web RP".into()),
            redirect_uris: vec![REDIRECT.into()],
            presentation_definition: Some(email_definition()),
            trusted_issuers: trusted.iter().map(|i| i.did.as_str().to_owned()).collect(),
            ..NewClient::default()
        },
    )
    .await
    .unwrap();
    client.config.client_id
}

/// A whole Credential API login presenting an email credential from `issuer`:
/// `POST /api/v1/credentials`'s status and body.
async fn login_with(p: &Provider, client_id: &str, issuer: &Party) -> (u16, Value) {
    let lc = p
        .begin(&p.authorize_url(client_id, REDIRECT, "&response_type=code&nonce=n"))
        .await;
    let mut wallet = Wallet::new();
    let credential = email_credential(issuer, &wallet.holder.did, "web@example.com", now() + 3600);
    wallet.credentials.push(credential);
    wallet.key_exchange(p, &lc).await;
    let request = wallet.request(p, &lc).await;
    let vp = wallet.present(&request, |_| {});
    post_credentials(p, &lc, &wallet.submit(&request, vp)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trusted_did_web_issuer_is_resolved_once_and_cached() {
    let host = DocumentHost::start().await;
    let issuer = host.issuer(&[], "assertionMethod", |_| {});
    let (p, client_id) = provider(&host, &[&issuer]).await;
    let (status, body) = login_with(&p, &client_id, &issuer).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["redirect_to"].as_str().unwrap().contains("code="),
        "{body}"
    );
    assert_eq!(host.requests(), 1);
    // A second login within --did-web-cache-secs uses the cached document.
    let (status, body) = login_with(&p, &client_id, &issuer).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(host.requests(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn did_web_documents_that_do_not_vouch_for_the_key_are_refused() {
    let host = DocumentHost::start().await;
    // The key is only for authentication, not for issuing.
    let not_for_issuing = host.issuer(&["auth"], "authentication", |_| {});
    // The document is another DID's.
    let wrong_id = host.issuer(&["wrong", "id"], "assertionMethod", |doc| {
        doc["id"] = json!("did:web:elsewhere.example");
    });
    // The key is controlled by another DID.
    let foreign = host.issuer(&["foreign"], "assertionMethod", |doc| {
        doc["verificationMethod"][0]["controller"] = json!("did:web:elsewhere.example");
    });
    // No document at the URL (404).
    let missing = host.issuer(&["missing"], "assertionMethod", |_| {});
    host.documents.lock().unwrap().remove("/missing/did.json");
    let (p, client_id) = provider(&host, &[&not_for_issuing, &wrong_id, &foreign, &missing]).await;
    for (issuer, needle) in [
        (&not_for_issuing, "not authorized for assertionMethod"),
        (&wrong_id, "is not the DID resolved"),
        (&foreign, "controlled by did:web:elsewhere.example"),
        (&missing, "answered HTTP 404"),
    ] {
        let (status, body) = login_with(&p, &client_id, issuer).await;
        refused(status, &body, needle);
    }
    // Failures are not cached: each was fetched again on a second attempt.
    let before = host.requests();
    let (status, _) = login_with(&p, &client_id, &missing).await;
    assert_eq!(status, 400);
    assert_eq!(host.requests(), before + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn untrusted_did_web_is_never_fetched() {
    let host = DocumentHost::start().await;
    let trusted = host.issuer(&["trusted"], "assertionMethod", |_| {});
    let untrusted = host.issuer(&["untrusted"], "assertionMethod", |_| {});
    let (p, client_id) = provider(&host, &[&trusted]).await;
    let (status, body) = login_with(&p, &client_id, &untrusted).await;
    refused(
        status,
        &body,
        "did:web is resolved only for trusted issuers",
    );
    assert_eq!(
        host.requests(),
        0,
        "the provider fetched an untrusted did:web"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_ca_the_document_host_is_not_trusted() {
    let host = DocumentHost::start().await;
    let issuer = host.issuer(&[], "assertionMethod", |_| {});
    let p = Provider::start().await;
    let client_id = client_for(&p, &[&issuer]).await;
    let (status, body) = login_with(&p, &client_id, &issuer).await;
    refused(status, &body, "could not resolve");
    assert_eq!(
        host.requests(),
        0,
        "a request got past an untrusted certificate"
    );
}

#[tokio::test]
async fn a_tls_root_ca_file_without_certificates_refuses_to_start() {
    let empty = tempfile::NamedTempFile::new().unwrap();
    let mut config =
        provider_server::config::Config::for_tests("http://127.0.0.1:1", "sqlite::memory:");
    config.tls_root_ca = Some(empty.path().to_owned());
    let error = provider_server::AppState::new(config)
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("--tls-root-ca"), "{error}");
}

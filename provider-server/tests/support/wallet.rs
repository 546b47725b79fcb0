//! A test wallet on wallet-core: a did:key holder with eddsa-jcs-2022 credentials
//! that runs the Credential API login over real HTTP (DESIGN §4 "Wire details").
#![allow(dead_code)]

use serde_json::{Map, Value, json};
use wallet_core::credential_api::{self, EncryptedMessage, Message, MessageBody, seal_challenge};
use wallet_core::data_integrity::{self, Cryptosuite, ProofOptions, ProofPurpose};
use wallet_core::did::{self, Did, DidUrl};
use wallet_core::encoding::hex_decode;
use wallet_core::keys::{KeyType, PrivateKey, PublicKey, X25519PrivateKey, X25519PublicKey};
use wallet_core::pex::{self, Envelope, PresentationDefinition, SubmissionChoice};
use wallet_core::presentation::{
    HolderKey, PresentationOptions, StoredCredential, build_presentation, candidate_from_stored,
};
use wallet_core::random::OsRandom;
use wallet_core::vc::{CREDENTIALS_V2_CONTEXT, Credential, EmbeddedCredential, format_datetime};

use super::support::{Provider, REDIRECT};
use provider_server::clients::{self, CreatedClient, NewClient};

/// A did:key party (holder or issuer).
pub struct Party {
    pub key: PrivateKey,
    pub did: Did,
    pub vm: DidUrl,
}

pub fn party() -> Party {
    let key = PrivateKey::generate(KeyType::Ed25519, &mut OsRandom).unwrap();
    let did = did::key::encode(&key.public_key()).unwrap();
    let vm = did.with_fragment(did.method_specific_id()).unwrap();
    Party { key, did, vm }
}

pub fn now() -> i64 {
    provider_server::web::now()
}

/// An `EmailCredential` from `issuer` about `subject`, valid until `valid_until`.
pub fn email_credential(
    issuer: &Party,
    subject: &Did,
    email: &str,
    valid_until: i64,
) -> Credential {
    email_credential_with(issuer, subject, email, valid_until, |_| {})
}

/// [`email_credential`] with `edit` applied before signing.
pub fn email_credential_with(
    issuer: &Party,
    subject: &Did,
    email: &str,
    valid_until: i64,
    edit: impl FnOnce(&mut Map<String, Value>),
) -> Credential {
    let mut doc = json!({
        "@context": [CREDENTIALS_V2_CONTEXT],
        "type": ["VerifiableCredential", "EmailCredential"],
        "issuer": issuer.did.as_str(),
        "validFrom": format_datetime(now() - 3600).unwrap(),
        "validUntil": format_datetime(valid_until).unwrap(),
        "credentialSubject": {"id": subject.as_str(), "email": email}
    })
    .as_object()
    .unwrap()
    .clone();
    edit(&mut doc);
    Credential::from_map(sign(&doc, issuer)).unwrap()
}

/// `doc` with an eddsa-jcs-2022 `assertionMethod` proof by `issuer`.
pub fn sign(doc: &Map<String, Value>, issuer: &Party) -> Map<String, Value> {
    let options = ProofOptions::new(
        Cryptosuite::EddsaJcs2022,
        issuer.vm.clone(),
        ProofPurpose::AssertionMethod,
    );
    data_integrity::add_proof(doc, &options, &issuer.key).unwrap()
}

/// A `credentialStatus` entry: revocation bit `index` of the list at `url`.
pub fn revocation_entry(url: &str, index: u64) -> Value {
    json!({
        "id": format!("{url}#{index}"),
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": index.to_string(),
        "statusListCredential": url,
    })
}

/// A W3C Bitstring Status List credential at `url` by `issuer`, with entry
/// `index` of a `revocation` list set to `bit`.
pub fn revocation_list(issuer: &Party, url: &str, index: u64, bit: u8) -> Value {
    use wallet_core::status_list::{MIN_ENTRIES, StatusList};
    let mut list = StatusList::new("revocation", MIN_ENTRIES, 1).unwrap();
    list.set(index, 1, bit).unwrap();
    let doc = json!({
        "@context": [CREDENTIALS_V2_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer.did.as_str(),
        "validFrom": format_datetime(now() - 3600).unwrap(),
        "credentialSubject": {
            "id": format!("{url}#list"),
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": list.encode().unwrap()
        }
    });
    Value::Object(sign(doc.as_object().unwrap(), issuer))
}

/// The PEX v2 definition the test clients send: one email credential.
pub fn email_definition() -> Value {
    json!({
        "id": "email-login",
        "input_descriptors": [{
            "id": "email",
            "format": {"ldp_vc": {"proof_type": ["DataIntegrityProof"]}},
            "constraints": {"fields": [
                {"path": ["$.type"], "filter": {"type": "array", "contains": {"const": "EmailCredential"}}},
                {"path": ["$.credentialSubject.email"]}
            ]}
        }]
    })
}

/// The wallet: a holder, its credentials, and its current session key.
pub struct Wallet {
    pub holder: Party,
    pub credentials: Vec<Credential>,
    pub session: X25519PrivateKey,
    pub session_uri: String,
    pub provider_key: Option<(String, X25519PublicKey)>,
}

fn session_key() -> (X25519PrivateKey, String) {
    let secret = X25519PrivateKey::generate(&mut OsRandom).unwrap();
    let mk = did::key::multikey_encode(&PublicKey::X25519(secret.public_key())).unwrap();
    (secret, format!("did:key:{mk}#{mk}"))
}

/// What the provider asked for in `request-credential`.
pub struct Request {
    pub message: Message,
    pub content: Value,
}

impl Wallet {
    pub fn new() -> Self {
        let (session, session_uri) = session_key();
        Self {
            holder: party(),
            credentials: Vec::new(),
            session,
            session_uri,
            provider_key: None,
        }
    }

    /// A wallet holding one email credential about its holder from `issuer`, valid for
    /// a day.
    pub fn holding_email(issuer: &Party, email: &str) -> Self {
        let mut wallet = Self::new();
        let credential = email_credential(issuer, &wallet.holder.did, email, now() + 86_400);
        wallet.credentials.push(credential);
        wallet
    }

    /// The whole login for an authorization request URL, with a fresh session key:
    /// the `redirect_to` the provider answers (the app's callback URL).
    pub async fn login(&mut self, p: &Provider, authorize: &str) -> String {
        let lc = p.begin(authorize).await;
        self.new_session_key();
        self.key_exchange(p, &lc).await;
        let request = self.request(p, &lc).await;
        let vp = self.present(&request, |_| {});
        let (status, body) = post_credentials(p, &lc, &self.submit(&request, vp)).await;
        assert_eq!(status, 200, "{body}");
        body["redirect_to"].as_str().unwrap().to_owned()
    }

    /// A new temporary session key (as a fresh `startSession` would make).
    pub fn new_session_key(&mut self) {
        let (session, uri) = session_key();
        self.session = session;
        self.session_uri = uri;
    }

    /// `GET` then `POST /api/v1/challenge`: the NaCl box of the challenge from the
    /// session key to the provider's key-agreement key.
    pub async fn key_exchange(&mut self, p: &Provider, lc: &str) {
        let c: Value = p
            .http
            .get(p.url(&format!("/api/v1/challenge?login_challenge={lc}")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let uri = c["dAppEncryptionKeyUri"].as_str().unwrap().to_owned();
        let url = DidUrl::parse(&uri).unwrap();
        let PublicKey::X25519(provider) =
            did::key::multikey_decode(url.fragment().unwrap()).unwrap()
        else {
            panic!("provider key is not X25519")
        };
        let bytes = hex_decode(c["challenge"].as_str().unwrap()).unwrap();
        let sealed = seal_challenge(&bytes, &self.session, &provider, &mut OsRandom).unwrap();
        let r = p
            .http
            .post(p.url(&format!("/api/v1/challenge?login_challenge={lc}")))
            .json(&json!({
                "encryptionKeyUri": self.session_uri,
                "encryptedChallenge": sealed.encrypted_challenge,
                "nonce": sealed.nonce,
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());
        self.provider_key = Some((uri, provider));
    }

    /// `GET /api/v1/credentials`: decrypts and checks the sender.
    pub async fn request(&self, p: &Provider, lc: &str) -> Request {
        let r = p
            .http
            .get(p.url(&format!("/api/v1/credentials?login_challenge={lc}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let text = r.text().await.unwrap();
        let encrypted = EncryptedMessage::from_json(&text).unwrap();
        let (provider_uri, provider_key) = self.provider_key.as_ref().unwrap();
        assert_eq!(encrypted.sender_key_uri(), provider_uri);
        assert_eq!(encrypted.receiver_key_uri(), self.session_uri);
        let message =
            credential_api::decrypt(&encrypted, &self.session, provider_key, provider_uri).unwrap();
        let MessageBody::RequestCredential(content) = message.body.clone() else {
            panic!("not a request-credential: {message:?}")
        };
        Request { message, content }
    }

    /// Selects with `pex::select` and builds the presentation for `request`,
    /// with `edit` applied to the options (challenge, domain) before signing.
    pub fn present(&self, request: &Request, edit: impl FnOnce(&mut PresentationOptions)) -> Value {
        let content = &request.content;
        let mut options = PresentationOptions::new(
            content["challenge"].as_str().unwrap(),
            content["domain"].as_str().unwrap(),
            format_datetime(now() - 1).unwrap(),
        );
        let mut chosen = Vec::new();
        if let Some(def) = content.get("presentation_definition") {
            let definition = PresentationDefinition::parse(&def.to_string()).unwrap();
            let candidates: Vec<_> = self
                .credentials
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    candidate_from_stored(&i.to_string(), StoredCredential::Json(c)).unwrap()
                })
                .collect();
            let selection = pex::select(&definition, &candidates).unwrap();
            assert!(selection.satisfiable, "wallet cannot satisfy the request");
            let mut choices = Vec::new();
            for d in &selection.descriptors {
                if !selection.needed.contains(&d.descriptor_id) {
                    continue;
                }
                let m = &d.candidates[0];
                choices.push(SubmissionChoice {
                    descriptor_id: d.descriptor_id.clone(),
                    vp_index: chosen.len(),
                    format: candidates[m.index].format.clone(),
                });
                chosen.push(EmbeddedCredential::Json(self.credentials[m.index].clone()));
            }
            options.presentation_submission = Some(
                pex::build_submission(&definition, "submission", &Envelope::JsonVp, &choices)
                    .unwrap(),
            );
        } else {
            chosen = self
                .credentials
                .iter()
                .cloned()
                .map(EmbeddedCredential::Json)
                .collect();
        }
        edit(&mut options);
        let key = HolderKey {
            verification_method: &self.holder.vm,
            key: &self.holder.key,
        };
        let vp = build_presentation(&key, chosen, &options).unwrap();
        serde_json::from_str(&vp.to_json()).unwrap()
    }

    /// An `EncryptedMessage` answering `request` with `body`, from the session key.
    pub fn seal(&self, request: &Request, body: MessageBody) -> String {
        let (provider_uri, provider_key) = self.provider_key.as_ref().unwrap();
        let reply = Message::reply(
            body,
            &request.message,
            u64::try_from(now()).unwrap() * 1000,
            &mut OsRandom,
        )
        .unwrap();
        // The reply's sender is the request's receiver: this wallet's session key.
        assert_eq!(reply.sender, self.session_uri);
        credential_api::encrypt(
            &reply,
            &self.session_uri,
            &self.session,
            provider_uri,
            provider_key,
            &mut OsRandom,
        )
        .unwrap()
        .to_json()
    }

    /// The `submit-credential` envelope for `vp`.
    pub fn submit(&self, request: &Request, vp: Value) -> String {
        self.seal(request, MessageBody::SubmitCredential(vp))
    }
}

/// `POST /api/v1/credentials`: status and JSON body.
pub async fn post_credentials(p: &Provider, lc: &str, body: &str) -> (u16, Value) {
    let r = p
        .http
        .post(p.url(&format!("/api/v1/credentials?login_challenge={lc}")))
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// The error code and description of a 400.
pub fn error_of(body: &Value) -> (&str, &str) {
    (
        body["error"].as_str().unwrap_or_default(),
        body["error_description"].as_str().unwrap_or_default(),
    )
}

/// A 400 `invalid_request` whose description contains `needle` and no CR, LF or TAB.
pub fn refused(status: u16, body: &Value, needle: &str) {
    assert_eq!(status, 400, "{body}");
    let (code, description) = error_of(body);
    assert_eq!(code, "invalid_request", "{body}");
    assert!(
        description.contains(needle),
        "expected {needle:?} in {description:?}"
    );
    assert!(!description.contains(['\r', '\n', '\t']));
}

/// A client of `p` asking for an email credential from `issuer` with PEX
/// ([`email_definition`]) and mapping its `email` into the id_token, redirecting to
/// [`REDIRECT`]; `edit` changes it before it is created.
pub async fn email_client(
    p: &Provider,
    issuer: &Party,
    edit: impl FnOnce(&mut NewClient),
) -> CreatedClient {
    let mut new = NewClient {
        name: Some("Email RP".into()),
        redirect_uris: vec![REDIRECT.into()],
        presentation_definition: Some(email_definition()),
        id_token_mapping: Some(json!([
            {"source": "$.verifiableCredential[*].credentialSubject.email", "claim": "email"}
        ])),
        trusted_issuers: vec![issuer.did.as_str().to_owned()],
        ..NewClient::default()
    };
    edit(&mut new);
    clients::create(&p.state.db, new).await.unwrap()
}

/// A map of claims, for readability in tests.
pub fn claims(pairs: &[(&str, Value)]) -> Map<String, Value> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

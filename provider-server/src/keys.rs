//! The provider's keys: id_token signing keys (RS256, ES256, EdDSA), created on
//! first start, persisted, rotated; and the provider's own DID (`did:key`, Ed25519)
//! whose derived X25519 key answers the Credential API session.
//!
//! Private keys are stored as base64url of the PKCS#8 DER for RSA, of the 32-byte
//! seed/scalar otherwise; with `--key-encryption-secret` that text is encrypted
//! (AES-256-GCM, [`crate::at_rest`]), together with the DID seed and the pairwise
//! salt. Without the secret they are in the clear: protect the database like a key
//! file. The JWKS holds only public members.
//!
//! Rotation: `keys rotate` (or start-up, when the current key is older than
//! `--signing-key-lifetime-days`) adds a new key per algorithm and marks the old one
//! superseded; it stays in the JWKS for `--previous-key-retention-secs` so tokens
//! signed just before the rotation still verify.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use serde_json::{Map, Value};
use wallet_core::did::{self, Did};
use wallet_core::encoding::{b64u_decode, b64u_encode};
use wallet_core::jwk::Jwk;
use wallet_core::jws::{self, Algorithm, Header};
use wallet_core::keys::{
    Ed25519PrivateKey, NativeSigningKey, P256PrivateKey, PrivateKey, PublicKey, RsaSigningKey,
    X25519PrivateKey,
};
use wallet_core::random::OsRandom;

use crate::at_rest::AtRest;
use crate::config::Config;
use crate::db::Db;
use crate::web::now;

/// The algorithms the provider signs id_tokens with, the default first.
pub const SIGNING_ALGORITHMS: [Algorithm; 3] =
    [Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA];

/// Why a key could not be made, loaded or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeysError {
    /// Database failure.
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
    /// A stored key cannot be decoded.
    #[error("stored key {0} is corrupt")]
    Corrupt(String),
    /// Key generation failed.
    #[error("key generation failed: {0}")]
    Generate(String),
    /// No current key for the algorithm (the store was emptied under us).
    #[error("no signing key for {0}")]
    Missing(Algorithm),
    /// Signing failed.
    #[error("signing failed: {0}")]
    Sign(#[from] jws::JwsError),
    /// The lock was poisoned by a panic elsewhere.
    #[error("key store lock poisoned")]
    Poisoned,
    /// A stored secret could not be encrypted or decrypted.
    #[error(transparent)]
    AtRest(#[from] crate::at_rest::AtRestError),
}

/// The private half of a signing key. Every kind signs through aws-lc
/// (`native-crypto`): RSA because the `rsa` crate's private-key path is not constant
/// time; Ed25519 and P-256 because aws-lc signs 2× (Ed25519) and several times (ES256)
/// faster. `Ec` keeps the pure-Rust key too: it is what is stored, and its public key
/// is the one published (aws-lc must derive the same, or the key is refused).
enum Material {
    Rsa(RsaSigningKey),
    Ec(Box<(PrivateKey, NativeSigningKey)>),
}

impl Material {
    fn ec(key: PrivateKey) -> Result<Self, wallet_core::keys::KeyError> {
        let native = NativeSigningKey::from_private_key(&key)?;
        Ok(Self::Ec(Box::new((key, native))))
    }
}

/// A signing key.
pub struct SigningKey {
    kid: String,
    alg: Algorithm,
    material: Material,
}

impl core::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    fn generate(alg: Algorithm, rsa_bits: usize) -> Result<Self, KeysError> {
        let material = match alg {
            Algorithm::RS256 => Material::Rsa(
                RsaSigningKey::generate(rsa_bits)
                    .map_err(|e| KeysError::Generate(e.to_string()))?,
            ),
            Algorithm::ES256 => P256PrivateKey::generate(&mut OsRandom)
                .map(PrivateKey::P256)
                .and_then(Material::ec)
                .map_err(|e| KeysError::Generate(e.to_string()))?,
            _ => Ed25519PrivateKey::generate(&mut OsRandom)
                .map(PrivateKey::Ed25519)
                .and_then(Material::ec)
                .map_err(|e| KeysError::Generate(e.to_string()))?,
        };
        let kid = Jwk::from_public_key(&public_of(&material))
            .thumbprint()
            .map_err(|e| KeysError::Generate(e.to_string()))?;
        Ok(Self { kid, alg, material })
    }

    fn encode_private(&self) -> Result<String, KeysError> {
        Ok(match &self.material {
            Material::Rsa(k) => b64u_encode(
                k.to_pkcs8_der()
                    .map_err(|e| KeysError::Generate(e.to_string()))?
                    .as_slice(),
            ),
            Material::Ec(ec) => match &ec.0 {
                PrivateKey::P256(k) => b64u_encode(k.to_bytes().as_slice()),
                PrivateKey::Ed25519(k) => b64u_encode(k.to_seed().as_slice()),
                _ => return Err(KeysError::Generate("unexpected key type".into())),
            },
        })
    }

    fn decode(kid: String, alg: &str, private: &str) -> Result<Self, KeysError> {
        let corrupt = || KeysError::Corrupt(kid.clone());
        let bytes = zeroize::Zeroizing::new(b64u_decode(private).map_err(|_| corrupt())?);
        let (alg, material) = match alg {
            "RS256" => (
                Algorithm::RS256,
                Material::Rsa(RsaSigningKey::from_pkcs8_der(&bytes).map_err(|_| corrupt())?),
            ),
            "ES256" => (
                Algorithm::ES256,
                P256PrivateKey::from_bytes(&bytes)
                    .map(PrivateKey::P256)
                    .and_then(Material::ec)
                    .map_err(|_| corrupt())?,
            ),
            "EdDSA" => (
                Algorithm::EdDSA,
                Ed25519PrivateKey::from_seed(&bytes)
                    .map(PrivateKey::Ed25519)
                    .and_then(Material::ec)
                    .map_err(|_| corrupt())?,
            ),
            _ => return Err(corrupt()),
        };
        Ok(Self { kid, alg, material })
    }

    /// The key id.
    #[must_use]
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key.
    #[must_use]
    pub fn public_key(&self) -> PublicKey {
        public_of(&self.material)
    }

    /// The public JWK with `kid`, `use` and `alg`.
    #[must_use]
    pub fn public_jwk(&self) -> Jwk {
        let mut jwk = Jwk::from_public_key(&self.public_key()).with_kid(self.kid.clone());
        jwk.use_ = Some("sig".into());
        jwk.alg = Some(self.alg.as_str().into());
        jwk
    }

    /// Signs a JWT with `typ` `JWT` and this key's `kid`.
    ///
    /// # Errors
    /// [`KeysError::Sign`].
    pub fn sign_jwt(&self, claims: &Map<String, Value>) -> Result<String, KeysError> {
        self.sign_typed(claims, "JWT")
    }

    /// Signs a JWT with header `typ` `typ` (e.g. `token-introspection+jwt`, RFC 9701
    /// §5, so that it cannot pass for another kind of JWT) and this key's `kid`.
    ///
    /// # Errors
    /// [`KeysError::Sign`].
    pub fn sign_typed(&self, claims: &Map<String, Value>, typ: &str) -> Result<String, KeysError> {
        let header = Header::new(self.alg)
            .with_kid(self.kid.clone())
            .with_typ(typ);
        let payload = Value::Object(claims.clone()).to_string();
        Ok(match &self.material {
            Material::Rsa(k) => jws::sign_with(&header, payload.as_bytes(), k)?,
            Material::Ec(ec) => jws::sign_with(&header, payload.as_bytes(), &ec.1)?,
        })
    }
}

fn public_of(material: &Material) -> PublicKey {
    match material {
        Material::Rsa(k) => PublicKey::Rsa(k.public_key()),
        Material::Ec(ec) => ec.0.public_key(),
    }
}

/// The keys in force: the current one per algorithm, and the published JWKS.
#[derive(Debug)]
pub struct KeySet {
    current: BTreeMap<&'static str, Arc<SigningKey>>,
    /// Every published key (current and previous) by `kid`, for verifying what this
    /// provider signed (an `id_token_hint`).
    published: BTreeMap<String, (Algorithm, PublicKey)>,
    jwks: Value,
}

impl KeySet {
    /// The current key for `alg`.
    ///
    /// # Errors
    /// [`KeysError::Missing`].
    pub fn current(&self, alg: Algorithm) -> Result<Arc<SigningKey>, KeysError> {
        self.current
            .get(alg.as_str())
            .cloned()
            .ok_or(KeysError::Missing(alg))
    }

    /// The JWKS document (current and not yet retired keys, public members only).
    #[must_use]
    pub fn jwks(&self) -> &Value {
        &self.jwks
    }

    /// The algorithm and public key of the published key `kid` (current or previous).
    #[must_use]
    pub fn published_key(&self, kid: &str) -> Option<(Algorithm, &PublicKey)> {
        self.published.get(kid).map(|(alg, key)| (*alg, key))
    }
}

/// The signing keys, shared by the handlers and reloaded from the database.
#[derive(Debug)]
pub struct Keys {
    set: RwLock<Arc<KeySet>>,
    at_rest: AtRest,
}

impl Keys {
    /// Creates missing keys, rotates expired ones and loads the set.
    ///
    /// # Errors
    /// [`KeysError`].
    pub async fn init(db: &Db, config: &Config) -> Result<Self, KeysError> {
        let at_rest = AtRest::from_config(config)?;
        seal_stored_keys(db, &at_rest).await?;
        let max_age = i64::from(config.signing_key_lifetime_days).saturating_mul(86_400);
        for alg in SIGNING_ALGORITHMS {
            let current: Option<(i64,)> = crate::db::query_as(
                "SELECT created_at FROM signing_keys WHERE alg = $1 AND superseded_at IS NULL \
                 ORDER BY created_at DESC, kid DESC LIMIT 1",
            )
            .bind(alg.as_str())
            .fetch_optional(db)
            .await?;
            // Several instances may start at once: only a key older than the limit is
            // superseded, and the partial unique index of migration 0005 lets one
            // new current key per algorithm in, so they all end up with the same one.
            let cutoff = now().saturating_sub(max_age);
            match current {
                None => {
                    rotate_alg(db, config, &at_rest, alg, cutoff).await?;
                }
                Some((created,)) if created < cutoff => {
                    tracing::info!(alg = alg.as_str(), "signing key expired, rotating");
                    rotate_alg(db, config, &at_rest, alg, cutoff).await?;
                }
                Some(_) => {}
            }
        }
        Ok(Self {
            set: RwLock::new(Arc::new(load(db, &at_rest).await?)),
            at_rest,
        })
    }

    /// How the provider's secrets are stored ([`AtRest`]).
    #[must_use]
    pub fn at_rest(&self) -> &AtRest {
        &self.at_rest
    }

    /// The keys in force.
    ///
    /// # Errors
    /// [`KeysError::Poisoned`].
    pub fn get(&self) -> Result<Arc<KeySet>, KeysError> {
        self.set
            .read()
            .map(|s| Arc::clone(&s))
            .map_err(|_| KeysError::Poisoned)
    }

    /// Re-reads the keys from the database.
    ///
    /// # Errors
    /// [`KeysError`].
    pub async fn reload(&self, db: &Db) -> Result<(), KeysError> {
        let set = Arc::new(load(db, &self.at_rest).await?);
        *self.set.write().map_err(|_| KeysError::Poisoned)? = set;
        Ok(())
    }
}

/// Adds a new current key for every algorithm; the previous ones stay published for
/// the retention period.
///
/// # Errors
/// [`KeysError`].
pub async fn rotate(db: &Db, config: &Config) -> Result<Vec<String>, KeysError> {
    let at_rest = AtRest::from_config(config)?;
    let mut kids = Vec::new();
    for alg in SIGNING_ALGORITHMS {
        kids.push(rotate_alg(db, config, &at_rest, alg, i64::MAX).await?);
    }
    Ok(kids)
}

/// Supersedes the current `alg` key if it was created before `older_than` and adds a
/// new current key; returns the kid of the key current afterwards. When another
/// instance rotated first (its key is current and not older than `older_than`), the
/// new key is dropped and the other instance's key is returned.
async fn rotate_alg(
    db: &Db,
    config: &Config,
    at_rest: &AtRest,
    alg: Algorithm,
    older_than: i64,
) -> Result<String, KeysError> {
    // RSA generation takes a while: keep it off the async worker threads.
    let bits = config.rsa_bits;
    let key = tokio::task::spawn_blocking(move || SigningKey::generate(alg, bits))
        .await
        .map_err(|e| KeysError::Generate(e.to_string()))??;
    let now = now();
    let retire_at = now.saturating_add(i64::from(config.previous_key_retention_secs));
    let public =
        serde_json::to_string(&key.public_jwk()).map_err(|e| KeysError::Generate(e.to_string()))?;
    let mut tx = db.begin().await?;
    crate::db::query(
        "UPDATE signing_keys SET superseded_at = $1, retire_at = $2 \
         WHERE alg = $3 AND superseded_at IS NULL AND created_at < $4",
    )
    .bind(now)
    .bind(retire_at)
    .bind(alg.as_str())
    .bind(older_than)
    .execute_in(&mut tx)
    .await?;
    // At most one current key per algorithm (unique index on alg where
    // superseded_at IS NULL): a concurrent rotation that committed first wins.
    let inserted = crate::db::query(
        "INSERT INTO signing_keys (kid, alg, private_key, public_jwk, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(&key.kid)
    .bind(alg.as_str())
    .bind(at_rest.seal(&key_row(&key.kid), &key.encode_private()?)?)
    .bind(public)
    .bind(now)
    .execute_in(&mut tx)
    .await?
    .rows_affected()
        == 1;
    if inserted {
        tx.commit().await?;
        tracing::info!(alg = alg.as_str(), kid = %key.kid, "new signing key");
        return Ok(key.kid);
    }
    tx.rollback().await?;
    let (kid,): (String,) = crate::db::query_as(
        "SELECT kid FROM signing_keys WHERE alg = $1 AND superseded_at IS NULL",
    )
    .bind(alg.as_str())
    .fetch_one(db)
    .await?;
    tracing::info!(alg = alg.as_str(), kid = %kid, "another instance created the signing key first");
    Ok(kid)
}

/// The at-rest name (associated data) of a signing key's row.
fn key_row(kid: &str) -> String {
    format!("signing_keys/{kid}")
}

/// Stores again, as configured, the signing keys that are not: those in the clear
/// while a secret is configured, and those under the previous secret (encrypted under
/// the current one, or in the clear without one). Each row is written only if nobody
/// changed it meanwhile.
async fn seal_stored_keys(db: &Db, at_rest: &AtRest) -> Result<(), KeysError> {
    if !at_rest.may_need_sealing() {
        return Ok(());
    }
    let rows: Vec<(String, String)> =
        crate::db::query_as("SELECT kid, private_key FROM signing_keys")
            .fetch_all(db)
            .await?;
    for (kid, stored) in rows {
        let row = key_row(&kid);
        let opened = at_rest.open(&row, &stored)?;
        if !opened.needs_sealing {
            continue;
        }
        crate::db::query(
            "UPDATE signing_keys SET private_key = $1 WHERE kid = $2 AND private_key = $3",
        )
        .bind(at_rest.seal(&row, &opened.value)?)
        .bind(&kid)
        .bind(stored)
        .execute(db)
        .await?;
        tracing::info!(kid = %kid, encrypted = at_rest.encrypts(), "signing key stored again");
    }
    Ok(())
}

async fn load(db: &Db, at_rest: &AtRest) -> Result<KeySet, KeysError> {
    let rows: Vec<(String, String, String, String, Option<i64>)> = crate::db::query_as(
        "SELECT kid, alg, private_key, public_jwk, superseded_at FROM signing_keys \
         WHERE retire_at IS NULL OR retire_at > $1 ORDER BY created_at DESC, kid DESC",
    )
    .bind(now())
    .fetch_all(db)
    .await?;
    let mut current = BTreeMap::new();
    let mut published = Vec::new();
    let mut verifying = BTreeMap::new();
    for (kid, alg, private, public_jwk, superseded_at) in rows {
        let corrupt = || KeysError::Corrupt(kid.clone());
        let public: Value = serde_json::from_str(&public_jwk).map_err(|_| corrupt())?;
        let key = Jwk::from_json(&public_jwk)
            .and_then(|jwk| jwk.to_public_key())
            .map_err(|_| corrupt())?;
        let algorithm = Algorithm::parse(&alg).map_err(|_| corrupt())?;
        verifying.insert(kid.clone(), (algorithm, key));
        published.push(public);
        // Every key opens with the secret (a wrong one is refused at start even
        // for keys that only verify).
        let private = at_rest.open(&key_row(&kid), &private)?.value;
        if superseded_at.is_none() {
            let key = SigningKey::decode(kid, &alg, &private)?;
            let name = key.alg.as_str();
            current.entry(name).or_insert_with(|| Arc::new(key));
        }
    }
    Ok(KeySet {
        current,
        published: verifying,
        jwks: serde_json::json!({ "keys": published }),
    })
}

/// The setting holding the seed of the provider's did:key.
const DID_SEED_SETTING: &str = "provider_did_ed25519_seed";

/// A secret setting: stores `fresh` (sealed) unless a value is there, returns the
/// value in force, and seals a value found in the clear while a secret is configured.
async fn secret_setting(
    db: &Db,
    at_rest: &AtRest,
    name: &str,
    fresh: &str,
) -> Result<zeroize::Zeroizing<String>, KeysError> {
    let row = format!("settings/{name}");
    let stored = db
        .setting_insert_or_get(name, &at_rest.seal(&row, fresh)?)
        .await?;
    let opened = at_rest.open(&row, &stored)?;
    if opened.needs_sealing {
        crate::db::query("UPDATE settings SET value = $1 WHERE name = $2 AND value = $3")
            .bind(at_rest.seal(&row, &opened.value)?)
            .bind(name)
            .bind(stored)
            .execute(db)
            .await?;
        tracing::info!(
            setting = name,
            encrypted = at_rest.encrypts(),
            "setting stored again"
        );
    }
    Ok(opened.value)
}

/// The provider's DID and its Credential API session key, and the secret salt of
/// pairwise subject identifiers.
pub struct ProviderIdentity {
    did: Did,
    key_agreement_uri: String,
    x25519: X25519PrivateKey,
    signing: PrivateKey,
    pairwise_salt: zeroize::Zeroizing<Vec<u8>>,
}

impl core::fmt::Debug for ProviderIdentity {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ProviderIdentity")
            .field("did", &self.did.as_str())
            .finish_non_exhaustive()
    }
}

impl ProviderIdentity {
    /// Loads the provider's Ed25519 did:key, creating it on first start.
    ///
    /// # Errors
    /// [`KeysError`].
    pub async fn init(db: &Db, at_rest: &AtRest) -> Result<Self, KeysError> {
        let fresh = Ed25519PrivateKey::generate(&mut OsRandom)
            .map_err(|e| KeysError::Generate(e.to_string()))?;
        let stored = secret_setting(
            db,
            at_rest,
            DID_SEED_SETTING,
            &b64u_encode(fresh.to_seed().as_slice()),
        )
        .await?;
        let seed = zeroize::Zeroizing::new(
            b64u_decode(&stored).map_err(|_| KeysError::Corrupt("provider DID".into()))?,
        );
        let key = Ed25519PrivateKey::from_seed(&seed)
            .map_err(|_| KeysError::Corrupt("provider DID".into()))?;
        let did = did::key::encode(&PublicKey::Ed25519(key.public_key()))
            .map_err(|e| KeysError::Generate(e.to_string()))?;
        let x25519 = key.to_x25519();
        let x_multikey = did::key::multikey_encode(&PublicKey::X25519(x25519.public_key()))
            .map_err(|e| KeysError::Generate(e.to_string()))?;
        let key_agreement_uri = format!("{}#{x_multikey}", did.as_str());
        // Shared by every instance on the database (the first start stores it), so a
        // pairwise `sub` does not depend on which instance finished the login.
        let fresh_salt = wallet_core::random::SecureRandom::bytes::<32>(&mut OsRandom)
            .map_err(|e| KeysError::Generate(e.to_string()))?;
        let salt = secret_setting(
            db,
            at_rest,
            "pairwise_subject_salt",
            &b64u_encode(fresh_salt),
        )
        .await?;
        let pairwise_salt = zeroize::Zeroizing::new(
            b64u_decode(&salt).map_err(|_| KeysError::Corrupt("pairwise salt".into()))?,
        );
        if pairwise_salt.len() < 32 {
            return Err(KeysError::Corrupt("pairwise salt".into()));
        }
        Ok(Self {
            did,
            key_agreement_uri,
            x25519,
            signing: PrivateKey::Ed25519(key),
            pairwise_salt,
        })
    }

    /// A pairwise subject identifier (OIDC Core §8.1, which suggests
    /// `sub = SHA-256(sector_identifier || local_account_id || salt)`):
    /// base64url(SHA-256(sector ‖ 0x00 ‖ holder DID ‖ 0x00 ‖ salt)). The separators
    /// keep two different (sector, DID) pairs from hashing the same bytes; the secret
    /// salt keeps clients from computing each other's identifiers from a known DID.
    #[must_use]
    pub fn pairwise_subject(&self, sector: &str, holder_did: &str) -> String {
        use sha2::Digest as _;
        let mut h = sha2::Sha256::new();
        h.update(sector.as_bytes());
        h.update([0u8]);
        h.update(holder_did.as_bytes());
        h.update([0u8]);
        h.update(self.pairwise_salt.as_slice());
        b64u_encode(h.finalize())
    }

    /// A Domain Linkage Credential (DIF Well Known DID Configuration, JSON Web Token
    /// proof format) linking this DID to `origin`, valid from `now` for `lifetime`
    /// seconds: an EdDSA VC-JWT whose `iss`, `sub`, `vc.issuer` and
    /// `vc.credentialSubject.id` are the DID, signed with the DID's key (`kid` is its
    /// verification method).
    ///
    /// # Errors
    /// [`KeysError::Sign`], or [`KeysError::Generate`] for an unrepresentable date.
    pub fn domain_linkage_jwt(
        &self,
        origin: &str,
        now: i64,
        lifetime: i64,
    ) -> Result<String, KeysError> {
        let did = self.did.as_str();
        let exp = now.saturating_add(lifetime);
        let date = |t: i64| -> Result<String, KeysError> {
            time::OffsetDateTime::from_unix_timestamp(t)
                .ok()
                .and_then(|d| {
                    d.format(&time::format_description::well_known::Rfc3339)
                        .ok()
                })
                .ok_or_else(|| KeysError::Generate("date out of range".into()))
        };
        let vc = serde_json::json!({
            "@context": [
                "https://www.w3.org/2018/credentials/v1",
                "https://identity.foundation/.well-known/did-configuration/v1"
            ],
            "issuer": did,
            "issuanceDate": date(now)?,
            "expirationDate": date(exp)?,
            "type": ["VerifiableCredential", "DomainLinkageCredential"],
            "credentialSubject": { "id": did, "origin": origin },
        });
        let mut claims = Map::new();
        claims.insert("iss".into(), Value::String(did.to_owned()));
        claims.insert("sub".into(), Value::String(did.to_owned()));
        claims.insert("nbf".into(), now.into());
        claims.insert("exp".into(), exp.into());
        claims.insert("vc".into(), vc);
        let header = Header::new(Algorithm::EdDSA).with_kid(self.verification_method());
        Ok(jws::sign_jwt(&header, &claims, &self.signing)?)
    }

    /// The DID URL of the provider DID's Ed25519 verification method (the `kid` of
    /// what the DID signs).
    #[must_use]
    pub fn verification_method(&self) -> String {
        format!("{}#{}", self.did.as_str(), self.did.method_specific_id())
    }

    /// Signs an OID4VP Request Object (RFC 9101) with the DID's key: `EdDSA`, `kid`
    /// the verification method, and `typ` `oauth-authz-req+jwt` (OID4VP 1.0 §5:
    /// "Verifiers MUST include the `typ` Header Parameter in Request Objects with the
    /// value `oauth-authz-req+jwt`").
    ///
    /// # Errors
    /// [`KeysError::Sign`].
    pub fn sign_request_object(&self, claims: &Map<String, Value>) -> Result<String, KeysError> {
        let header = Header::new(Algorithm::EdDSA)
            .with_kid(self.verification_method())
            .with_typ("oauth-authz-req+jwt");
        Ok(jws::sign_jwt(&header, claims, &self.signing)?)
    }

    /// The DID's Ed25519 key (the demo issuer signs with it).
    #[must_use]
    pub fn signing_key(&self) -> &PrivateKey {
        &self.signing
    }

    /// The provider's DID.
    #[must_use]
    pub fn did(&self) -> &Did {
        &self.did
    }

    /// The DID URL of the X25519 key-agreement key (`dAppEncryptionKeyUri`).
    #[must_use]
    pub fn key_agreement_uri(&self) -> &str {
        &self.key_agreement_uri
    }

    /// The X25519 session secret.
    #[must_use]
    pub fn x25519(&self) -> &X25519PrivateKey {
        &self.x25519
    }
}

//! The demo issuer: the provider's own DID signs an `eddsa-jcs-2022` email
//! credential for any holder DID, **without checking the address**. It exists so
//! that a newcomer (and the tests) have a credential to log in with.

use serde_json::{Map, Value};
use wallet_core::data_integrity::{self, Cryptosuite, DiError, ProofOptions, ProofPurpose};
use wallet_core::did::{self, Did, DidUrl};
use wallet_core::encoding::hex_encode;
use wallet_core::random::{OsRandom, SecureRandom as _};
use wallet_core::vc::{CREDENTIALS_V2_CONTEXT, Credential, format_datetime};

use crate::at_rest::AtRest;
use crate::db::Db;
use crate::keys::{KeysError, ProviderIdentity};

/// How long a demo credential is valid: one year.
pub const VALIDITY_SECS: i64 = 365 * 24 * 3600;
/// The `name` of every demo credential: a wallet shows it, so it says what it is.
pub const CREDENTIAL_NAME: &str = "Demo credential \u{2014} email NOT verified";
/// The `description` of every demo credential.
pub const CREDENTIAL_DESCRIPTION: &str = "Issued by the provider-server demo issuer to whoever \
     asked for it. Nobody checked that the holder controls this email address: use it only \
     to try the wallet login.";
/// Longest accepted email address (RFC 5321 §4.5.3.1.3 path limit).
const MAX_EMAIL_LEN: usize = 254;

/// Why a demo credential could not be issued.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IssueError {
    /// The provider's DID could not be created or loaded.
    #[error(transparent)]
    Keys(#[from] KeysError),
    /// The provider's DID does not name its key (a corrupt stored key).
    #[error("the provider's stored DID key is corrupt")]
    CorruptKey,
    /// The holder is not a DID.
    #[error("the holder is not a DID")]
    InvalidHolder(#[source] did::DidError),
    /// The email address is empty, too long, or not `local@domain`.
    #[error("not an email address")]
    InvalidEmail,
    /// The time cannot be written as an XML Schema dateTime.
    #[error("time out of range")]
    TimeOutOfRange,
    /// The OS random source failed.
    #[error("the OS random source failed")]
    Random,
    /// Signing failed.
    #[error("signing failed: {0}")]
    Sign(#[from] DiError),
    /// The built document is not a valid credential (a bug).
    #[error("built an invalid credential: {0}")]
    Invalid(#[from] wallet_core::vc::VcError),
}

/// The provider's DID and its Ed25519 key, as the demo issuer.
pub struct DemoIssuer {
    /// Signs with the same key the running server answers the Credential API with.
    identity: ProviderIdentity,
}

impl core::fmt::Debug for DemoIssuer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DemoIssuer")
            .field("did", &self.did().as_str())
            .finish_non_exhaustive()
    }
}

impl DemoIssuer {
    /// Loads the provider's did:key from the database, creating it as the server
    /// would on first start.
    ///
    /// # Errors
    /// [`IssueError::Keys`].
    pub async fn load(db: &Db, at_rest: &AtRest) -> Result<Self, IssueError> {
        Ok(Self {
            identity: ProviderIdentity::init(db, at_rest).await?,
        })
    }

    /// The issuer DID.
    #[must_use]
    pub fn did(&self) -> &Did {
        self.identity.did()
    }

    /// Issues a VC 2.0 `EmailCredential` for `holder` and `email`, valid from `now`
    /// (unix seconds) for [`VALIDITY_SECS`], with an `eddsa-jcs-2022` proof whose
    /// purpose is `assertionMethod`.
    ///
    /// # Errors
    /// [`IssueError::InvalidHolder`], [`IssueError::InvalidEmail`],
    /// [`IssueError::TimeOutOfRange`], [`IssueError::Random`], [`IssueError::Sign`].
    pub fn issue_email_credential(
        &self,
        holder: &str,
        email: &str,
        now: i64,
    ) -> Result<Map<String, Value>, IssueError> {
        let holder = Did::parse(holder).map_err(IssueError::InvalidHolder)?;
        check_email(email)?;
        let date = |t: i64| format_datetime(t).ok_or(IssueError::TimeOutOfRange);
        let valid_from = date(now)?;
        let valid_until = date(now.saturating_add(VALIDITY_SECS))?;
        let id = urn_uuid()?;
        let mut subject = Map::new();
        subject.insert("id".into(), holder.as_str().into());
        subject.insert("email".into(), email.into());
        let mut document = Map::new();
        document.insert(
            "@context".into(),
            serde_json::json!([CREDENTIALS_V2_CONTEXT]),
        );
        document.insert("id".into(), id.into());
        document.insert(
            "type".into(),
            serde_json::json!(["VerifiableCredential", "EmailCredential"]),
        );
        document.insert("issuer".into(), self.did().as_str().into());
        document.insert("name".into(), CREDENTIAL_NAME.into());
        document.insert("description".into(), CREDENTIAL_DESCRIPTION.into());
        document.insert("validFrom".into(), valid_from.clone().into());
        document.insert("validUntil".into(), valid_until.into());
        document.insert("credentialSubject".into(), Value::Object(subject));
        // A did:key has one key; its fragment is the method-specific id.
        let method = DidUrl::parse(&format!(
            "{}#{}",
            self.did().as_str(),
            self.did().method_specific_id()
        ))
        .map_err(|_| IssueError::CorruptKey)?;
        let mut options = ProofOptions::new(
            Cryptosuite::EddsaJcs2022,
            method,
            ProofPurpose::AssertionMethod,
        );
        options.created = Some(valid_from);
        let secured = data_integrity::add_proof(&document, &options, self.identity.signing_key())?;
        // Parse what we built once, so a malformed credential never leaves here.
        Ok(Credential::from_map(secured)?.into_map())
    }
}

/// A deliberately loose check (`local@domain`, no spaces or controls): the demo
/// does not verify addresses, it only refuses obvious mistakes.
fn check_email(email: &str) -> Result<(), IssueError> {
    let ok = email.len() <= MAX_EMAIL_LEN
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && !domain.is_empty() && !domain.contains('@')
        });
    if ok {
        Ok(())
    } else {
        Err(IssueError::InvalidEmail)
    }
}

/// A random (version 4) UUID URN for the credential `id`.
fn urn_uuid() -> Result<String, IssueError> {
    let mut b = OsRandom.bytes::<16>().map_err(|_| IssueError::Random)?;
    // RFC 9562 §5.4: version 4 in the high nibble of octet 6, variant 10 in octet 8.
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex_encode(b);
    Ok(format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    ))
}

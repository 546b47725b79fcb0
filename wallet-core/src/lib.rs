//! # wallet-core
//!
//! Everything cryptographic and every data format of the wallet and the provider,
//! in one place, for native targets and `wasm32-unknown-unknown` alike:
//!
//! - [`keys`]: Ed25519, P-256 (ECDSA, ECDH), X25519 and RSA keys; private keys are
//!   zeroized on drop and never `Debug`-printed.
//! - [`jwk`]: JSON Web Keys (RFC 7517) and thumbprints (RFC 7638).
//! - [`did`]: `did:key` and `did:jwk`, DID documents, DID URL dereferencing, and
//!   `did:web` document URLs and fetched documents (the caller fetches).
//! - [`jws`]: JWS compact serialization (RFC 7515) with strict, allow-listed verification.
//! - [`jwe`]: JWE compact serialization (RFC 7516) to public keys and with direct keys.
//! - [`jcs`]: JSON Canonicalization Scheme (RFC 8785).
//! - [`credential_api`]: the Credential API message envelope and its NaCl-box session
//!   encryption (`x25519-xsalsa20-poly1305`).
//! - [`sd_jwt`]: SD-JWT (RFC 9901) and SD-JWT VC (`dc+sd-jwt`): issue, present with key binding, verify.
//! - [`vc`]: W3C Verifiable Credentials Data Model 1.1 and 2.0 credentials and
//!   presentations that keep every member, and `EnvelopedVerifiableCredential`.
//! - [`data_integrity`]: Data Integrity proofs `eddsa-jcs-2022` and `ecdsa-jcs-2019`.
//! - [`vc_jwt`]: VC-JWT and VP-JWT (`jwt_vc_json` / `jwt_vp_json`), and `vc+jwt`.
//! - [`store`]: the password-encrypted wallet blob (Argon2id → AES-256-GCM).
//! - [`status_list`]: W3C Bitstring Status List (revocation / suspension bits).
//! - [`jsonpath`]: RFC 9535 JSONPath, screened and bounded for untrusted queries.
//! - [`pex`]: DIF Presentation Exchange v2 (definitions, selection, submissions).
//! - [`dcql`]: the Digital Credentials Query Language of OpenID4VP 1.0.
//! - [`presentation`]: the wallet's signed presentation (Data Integrity,
//!   `authentication`, challenge, domain) and its verification: signatures, holder
//!   binding, validity, trusted issuers, Bitstring Status List, PEX submissions.
//! - [`random`]: the injectable source of randomness every operation that needs
//!   entropy takes as an argument; [`encoding`]: base64url, multibase, hex.
//!
//! The crate has no web-sys and no target-specific code: time and randomness are
//! passed in by the caller, so the same code runs natively, in the browser and in
//! deterministic tests.

pub mod credential_api;
pub mod data_integrity;
pub mod dcql;
pub mod did;
pub mod encoding;
pub mod jcs;
pub mod jsonpath;
pub mod jwe;
pub mod jwk;
pub mod jws;
pub mod keys;
pub mod pex;
pub mod presentation;
pub mod random;
pub mod sd_jwt;
pub mod status_list;
pub mod store;
pub mod vc;
pub mod vc_jwt;

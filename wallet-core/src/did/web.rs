//! `did:web` (W3C CCG "did:web Method Specification",
//! <https://w3c-ccg.github.io/did-method-web/>): the parts of resolution that need no
//! network.
//!
//! wallet-core fetches nothing, so [`super::resolve`] answers a `did:web` with
//! [`DidError::ResolverUnavailable`]. A caller that can make HTTPS requests resolves
//! one in three steps:
//!
//! 1. [`document_url`] gives the URL of the DID document (spec "Read (Resolve)").
//! 2. The caller GETs that URL over HTTPS, reads at most [`MAX_DOCUMENT_BYTES`], and
//!    reports what goes wrong as [`DidError::ResolutionFailed`].
//! 3. [`parse_document`] checks the bytes against the DID and returns the
//!    [`DidDocument`], whose [`DidDocument::dereference`] and
//!    [`DidDocument::relationships_of`] answer for a verification method.
//!
//! ```
//! use wallet_core::did::{Did, web};
//! # fn main() -> Result<(), wallet_core::did::DidError> {
//! let did = Did::parse("did:web:example.com%3A3000:user:alice")?;
//! assert_eq!(
//!     web::document_url(&did)?,
//!     "https://example.com:3000/user/alice/did.json"
//! );
//! # Ok(()) }
//! ```
//!
//! Where this module is stricter or looser than the specification, on purpose:
//!
//! - The host must be a DNS name. The spec says the method-specific identifier "MUST NOT
//!   include IP addresses", and a URL parser reads any host whose last label is a number
//!   as an IPv4 address (`1.2.3`, `0x7f.1`, `2130706433`), so every such host is refused.
//!   A caller fetching from the internet still decides which addresses it is willing to
//!   reach: a DNS name can point anywhere, `localhost` included.
//! - The spec percent-decodes only the port's colon. Here every segment is decoded,
//!   checked and re-encoded, so that `%2F` cannot add a path segment, `%2E%2E` cannot
//!   climb out of the path, and `%40` cannot smuggle userinfo into the authority.
//! - A fetched document is accepted only if every verification method is
//!   `<DID>#<fragment>` of the DID itself and controlled by it, ids are unique, and
//!   every reference in a verification relationship names a method of the document.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{Did, DidDocument, DidError, DidUrl, Relationship, VerificationReference};

/// The method name.
pub const METHOD: &str = "web";

/// The largest DID document [`parse_document`] accepts, in bytes. A fetcher should
/// stop reading past it rather than buffer a larger body.
pub const MAX_DOCUMENT_BYTES: usize = 64 * 1024;

/// The longest host name in text form (RFC 1035 §2.3.4: 255 octets on the wire).
const MAX_HOST_LEN: usize = 253;
/// The longest DNS label (RFC 1035 §2.3.4).
const MAX_LABEL_LEN: usize = 63;

/// The HTTPS URL of the DID document of a `did:web` (spec "Read (Resolve)"): the
/// method-specific identifier is split on `:`; the first segment, percent-decoded, is
/// the host with an optional `%3A`-encoded port; the others are path segments. With no
/// path the document is at `/.well-known/did.json`, otherwise at `/<path>/did.json`.
///
/// ```text
/// did:web:w3c-ccg.github.io              -> https://w3c-ccg.github.io/.well-known/did.json
/// did:web:w3c-ccg.github.io:user:alice   -> https://w3c-ccg.github.io/user/alice/did.json
/// did:web:example.com%3A3000:user:alice  -> https://example.com:3000/user/alice/did.json
/// ```
///
/// The host is written in lowercase; path segments are re-encoded with every byte
/// other than RFC 3986 `unreserved` percent-encoded.
///
/// # Errors
/// [`DidError::WrongMethod`] for a DID of another method, and
/// [`DidError::InvalidWebDid`] when the host is empty, has userinfo (`@`), is not
/// a DNS name (an IP address included), or has a port that is not a number in
/// 1–65535; when a path segment is empty, `.` or `..`, or holds `/`, `\`, `?`, `#` or
/// a control character; and when percent-decoding does not give UTF-8.
pub fn document_url(did: &Did) -> Result<String, DidError> {
    require_web(did)?;
    // Step 1 of "Read (Resolve)": ':' separates the host from the path segments.
    let mut segments = did.method_specific_id().split(':');
    let authority = percent_decode(segments.next().unwrap_or_default())?;
    let mut url = String::from("https://");
    push_authority(&authority, &mut url)?;
    let mut has_path = false;
    for segment in segments {
        let segment = percent_decode(segment)?;
        check_path_segment(&segment)?;
        url.push('/');
        push_path_segment(&segment, &mut url);
        has_path = true;
    }
    // Steps 4 and 5: "If no path has been specified in the URL, append /.well-known",
    // then the file name (the spec's examples: did.json for application/did+json).
    if !has_path {
        url.push_str("/.well-known");
    }
    url.push_str("/did.json");
    Ok(url)
}

/// Parses a DID document fetched for the `did:web` `did`: at most
/// [`MAX_DOCUMENT_BYTES`] of DID Core 1.0 JSON (`application/did+json`; `@context` is
/// kept when present and must then start with `https://www.w3.org/ns/did/v1`).
///
/// - `id` must be exactly `did` (DID Core §7.1: the `id` of a resolved document "MUST
///   match the DID that was resolved").
/// - `verificationMethod` entries are parsed with
///   [`super::VerificationMethod::from_json_value`]; relative ids (`#key-1`) resolve
///   against `did`.
/// - `authentication`, `assertionMethod`, `keyAgreement`, `capabilityInvocation` and
///   `capabilityDelegation` entries are DID URL references (absolute or relative) or
///   embedded verification methods, which stay embedded in their relationship (DID
///   Core §5.3) and are found by [`DidDocument::dereference`] like listed ones.
/// - Every method, listed or embedded, must have an id `<did>#<fragment>` and
///   `controller` equal to `did`: only keys the DID controls itself are accepted.
/// - Method ids are unique, and every reference names a method of the document.
/// - Other members (`service`, `alsoKnownAs`, a document-level `controller`, ...) are
///   kept as [`DidDocument::other_properties`].
///
/// # Errors
/// [`DidError::WrongMethod`] for a DID that is not a `did:web`;
/// [`DidError::TooLong`] past [`MAX_DOCUMENT_BYTES`]; [`DidError::InvalidDocument`] for
/// bytes that are not a JSON object, an `id` that is missing or not a string, and a
/// malformed member; [`DidError::DocumentIdMismatch`]; [`DidError::ForeignMethodId`];
/// [`DidError::ForeignController`]; [`DidError::DuplicateMethodId`];
/// [`DidError::DanglingReference`]; and the errors of
/// [`super::VerificationMethod::from_json_value`] for a method that cannot be read.
pub fn parse_document(bytes: &[u8], did: &Did) -> Result<DidDocument, DidError> {
    require_web(did)?;
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(DidError::TooLong {
            max: MAX_DOCUMENT_BYTES,
        });
    }
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| DidError::InvalidDocument(format!("not JSON: {e}")))?;
    let obj = value
        .as_object()
        .ok_or_else(|| DidError::InvalidDocument("not a JSON object".into()))?;
    // Checked before anything else: a document for another DID says nothing about
    // this one, whatever else is wrong with it.
    match obj.get("id") {
        Some(Value::String(id)) if id == did.as_str() => {}
        Some(Value::String(id)) => {
            return Err(DidError::DocumentIdMismatch {
                expected: did.to_string(),
                actual: id.chars().take(64).collect(),
            });
        }
        _ => {
            return Err(DidError::InvalidDocument(
                "member \"id\" missing or not a string".into(),
            ));
        }
    }
    let doc = DidDocument::from_plain_json_value(&value)?;
    check_methods(&doc, did)?;
    check_references(&doc)?;
    Ok(doc)
}

fn require_web(did: &Did) -> Result<(), DidError> {
    if did.method() == METHOD {
        Ok(())
    } else {
        Err(DidError::WrongMethod {
            expected: METHOD,
            actual: did.method().to_owned(),
        })
    }
}

/// Every method, listed or embedded: id `<did>#<fragment>`, controlled by `did`, and
/// an id no other method has.
fn check_methods(doc: &DidDocument, did: &Did) -> Result<(), DidError> {
    let embedded = Relationship::ALL
        .iter()
        .flat_map(|rel| doc.relationship(*rel))
        .filter_map(|entry| match entry {
            VerificationReference::Embedded(m) => Some(m.as_ref()),
            VerificationReference::Reference(_) => None,
        });
    let mut seen: BTreeSet<&DidUrl> = BTreeSet::new();
    for method in doc.verification_methods().iter().chain(embedded) {
        let id = method.id();
        if id.did() != did
            || !id.path().is_empty()
            || id.query().is_some()
            || id.fragment().is_none_or(str::is_empty)
        {
            return Err(DidError::ForeignMethodId(id.to_string()));
        }
        if method.controller() != did {
            return Err(DidError::ForeignController {
                id: id.to_string(),
                controller: method.controller().to_string(),
            });
        }
        if !seen.insert(id) {
            return Err(DidError::DuplicateMethodId(id.to_string()));
        }
    }
    Ok(())
}

/// Every reference in a verification relationship names a method of the document.
fn check_references(doc: &DidDocument) -> Result<(), DidError> {
    for rel in Relationship::ALL {
        for entry in doc.relationship(rel) {
            if let VerificationReference::Reference(id) = entry
                && doc.dereference(id).is_err()
            {
                return Err(DidError::DanglingReference {
                    relationship: rel,
                    id: id.to_string(),
                });
            }
        }
    }
    Ok(())
}

/// Decodes `%XX` sequences (a [`Did`] admits only well-formed ones); the result must
/// be UTF-8.
fn percent_decode(s: &str) -> Result<String, DidError> {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .map(std::borrow::Cow::into_owned)
        .map_err(|_| DidError::InvalidWebDid("percent-encoded bytes are not UTF-8"))
}

/// Checks the decoded first segment (`host` or `host:port`) and appends it to `url`.
fn push_authority(authority: &str, url: &mut String) -> Result<(), DidError> {
    if authority.contains('@') {
        return Err(DidError::InvalidWebDid("the host holds userinfo (\"@\")"));
    }
    // Step 2: "If the domain contains a port, percent decode the colon."
    let (host, port) = match authority.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    };
    if host.is_empty() {
        return Err(DidError::InvalidWebDid("empty host"));
    }
    check_host(host)?;
    url.push_str(&host.to_ascii_lowercase());
    if let Some(port) = port {
        check_port(port)?;
        url.push(':');
        url.push_str(port);
    }
    Ok(())
}

/// A DNS name (RFC 1123 §2.1 host name: labels of letters, digits and inner hyphens),
/// never an IP address.
fn check_host(host: &str) -> Result<(), DidError> {
    if host.len() > MAX_HOST_LEN {
        return Err(DidError::InvalidWebDid("host longer than 253 characters"));
    }
    if !host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    {
        return Err(DidError::InvalidWebDid(
            "the host has characters a DNS name cannot hold",
        ));
    }
    let labels: Vec<&str> = host.split('.').collect();
    if labels.iter().any(|label| label.is_empty()) {
        return Err(DidError::InvalidWebDid("empty label in the host"));
    }
    // did:web: "MUST NOT include IP addresses". URL parsers read a host whose last label
    // is a number as an IPv4 address, in forms such as `1.2.3`, `0x7f.1` or `010.0.0.1`
    // (WHATWG URL "ends in a number"), so all of those are refused.
    let last = labels.last().copied().unwrap_or_default();
    if last.bytes().all(|b| b.is_ascii_digit()) || last.starts_with("0x") || last.starts_with("0X")
    {
        return Err(DidError::InvalidWebDid(
            "the host is an IP address, which did:web does not allow",
        ));
    }
    if labels
        .iter()
        .any(|label| label.len() > MAX_LABEL_LEN || label.starts_with('-') || label.ends_with('-'))
    {
        return Err(DidError::InvalidWebDid("the host is not a valid DNS name"));
    }
    Ok(())
}

/// A decimal port in 1–65535 without leading zeros.
fn check_port(port: &str) -> Result<(), DidError> {
    if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DidError::InvalidWebDid("the port is not a number"));
    }
    if port.len() > 1 && port.starts_with('0') {
        return Err(DidError::InvalidWebDid("the port has leading zeros"));
    }
    match port.parse::<u16>() {
        Ok(p) if p != 0 => Ok(()),
        _ => Err(DidError::InvalidWebDid("the port is not in 1-65535")),
    }
}

/// A decoded path segment that stays one segment below the host.
fn check_path_segment(segment: &str) -> Result<(), DidError> {
    if segment.is_empty() {
        return Err(DidError::InvalidWebDid("empty path segment"));
    }
    if segment == "." || segment == ".." {
        return Err(DidError::InvalidWebDid("path segment \".\" or \"..\""));
    }
    if segment.contains(['/', '\\', '?', '#']) {
        return Err(DidError::InvalidWebDid(
            "a path segment holds \"/\", \"\\\", \"?\" or \"#\"",
        ));
    }
    if segment.chars().any(char::is_control) {
        return Err(DidError::InvalidWebDid(
            "a path segment holds a control character",
        ));
    }
    Ok(())
}

/// Every byte but RFC 3986 `unreserved` (`ALPHA / DIGIT / "-" / "." / "_" / "~"`).
const NOT_UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Appends `segment` with every byte other than RFC 3986 `unreserved`
/// percent-encoded.
fn push_path_segment(segment: &str, url: &mut String) {
    url.extend(percent_encoding::utf8_percent_encode(
        segment,
        NOT_UNRESERVED,
    ));
}

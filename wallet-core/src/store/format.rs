//! The byte layout of a blob (docs/store-format.md is the normative description).
//!
//! Parsing is bounded: the string length is checked before decoding, every length
//! field is checked against the bytes actually present, and the KDF parameters are
//! validated before anything is allocated for them.

use super::{KdfParams, StoreError};
use crate::encoding::{b64u_decode, b64u_encode};

/// First four bytes of every blob.
pub(crate) const MAGIC: [u8; 4] = *b"SSIW";
/// Legacy layout: fixed parameters, only magic+version authenticated.
pub(crate) const VERSION_1: u8 = 1;
/// Current layout.
pub(crate) const VERSION_2: u8 = 2;
/// KDF identifier for Argon2id.
pub(crate) const KDF_ARGON2ID: u8 = 1;
/// Argon2 version 1.3 (RFC 9106 §3.1, `v` = 0x13).
pub(crate) const ARGON2_VERSION_13: u8 = 0x13;
/// Salt length written by this version (RFC 9106 §3.1 recommends 16 bytes).
pub(crate) const SALT_LEN: usize = 16;
/// Shortest salt accepted on read.
pub(crate) const MIN_SALT_LEN: usize = 16;
/// Longest salt accepted on read.
pub(crate) const MAX_SALT_LEN: usize = 64;
/// AES-GCM nonce length (NIST SP 800-38D §8.2: 96-bit IVs).
pub(crate) const NONCE_LEN: usize = 12;
/// AES-GCM tag length.
pub(crate) const TAG_LEN: usize = 16;
/// Largest plaintext a blob may carry: 8 MiB.
pub(crate) const MAX_PLAINTEXT_LEN: usize = 8 * 1024 * 1024;
/// Fixed part of a version-2 header, without the salt.
const V2_FIXED_HEADER_LEN: usize = 4 + 1 + 1 + 1 + 4 + 4 + 4 + 1 + NONCE_LEN + 4;
/// Longest well-formed blob string (base64url of the largest header, plaintext and tag).
pub(crate) const MAX_BLOB_LEN: usize =
    b64u_len(V2_FIXED_HEADER_LEN + MAX_SALT_LEN + MAX_PLAINTEXT_LEN + TAG_LEN);

/// Length of the unpadded base64url encoding of `n` bytes.
const fn b64u_len(n: usize) -> usize {
    (n * 4).div_ceil(3)
}

/// A parsed blob: its header fields and the split between authenticated header
/// (the AAD) and ciphertext‖tag.
pub(crate) struct ParsedBlob {
    pub(crate) version: u8,
    pub(crate) params: KdfParams,
    pub(crate) salt: Vec<u8>,
    pub(crate) nonce: [u8; NONCE_LEN],
    pub(crate) aad: Vec<u8>,
    pub(crate) sealed: Vec<u8>,
}

/// A cursor over untrusted bytes; running off the end is [`StoreError::Truncated`].
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], StoreError> {
        let (head, tail) = self.rest.split_at_checked(n).ok_or(StoreError::Truncated)?;
        self.rest = tail;
        Ok(head)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], StoreError> {
        self.take(N)?.try_into().map_err(|_| StoreError::Truncated)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, StoreError> {
        let [b] = self.array::<1>()?;
        Ok(b)
    }

    pub(crate) fn u32(&mut self) -> Result<u32, StoreError> {
        Ok(u32::from_be_bytes(self.array::<4>()?))
    }
}

/// Parses a blob string of any supported version.
pub(crate) fn parse(blob: &str) -> Result<ParsedBlob, StoreError> {
    if blob.len() > MAX_BLOB_LEN {
        return Err(StoreError::Oversize {
            len: blob.len(),
            max: MAX_BLOB_LEN,
        });
    }
    let bytes = b64u_decode(blob).map_err(|_| StoreError::Malformed("not base64url"))?;
    // A prefix that cannot become the magic is not ours; a short prefix of it is a cut-off blob.
    let seen = bytes
        .get(..MAGIC.len().min(bytes.len()))
        .unwrap_or_default();
    if MAGIC.get(..seen.len()) != Some(seen) {
        return Err(StoreError::Malformed("bad magic"));
    }
    let mut r = Reader::new(&bytes);
    r.take(MAGIC.len())?;
    match r.u8()? {
        VERSION_1 => parse_v1(&bytes, r),
        VERSION_2 => parse_v2(&bytes, r),
        other => Err(StoreError::UnknownVersion(other)),
    }
}

/// Version 1: `magic ‖ 0x01 ‖ salt[16] ‖ nonce[12] ‖ ct ‖ tag`, Argon2id m=4096 t=3 p=1,
/// AAD = `magic ‖ 0x01`. Read only, to upgrade.
fn parse_v1(bytes: &[u8], mut r: Reader<'_>) -> Result<ParsedBlob, StoreError> {
    let aad = bytes.get(..MAGIC.len() + 1).ok_or(StoreError::Truncated)?;
    let salt = r.take(SALT_LEN)?.to_vec();
    let nonce = r.array::<NONCE_LEN>()?;
    if r.rest.len() < TAG_LEN {
        return Err(StoreError::Truncated);
    }
    if r.rest.len() > MAX_PLAINTEXT_LEN + TAG_LEN {
        return Err(StoreError::Malformed("ciphertext too long"));
    }
    Ok(ParsedBlob {
        version: VERSION_1,
        params: KdfParams::V1,
        salt,
        nonce,
        aad: aad.to_vec(),
        sealed: r.rest.to_vec(),
    })
}

/// Version 2, see [`encode_v2_header`].
fn parse_v2(bytes: &[u8], mut r: Reader<'_>) -> Result<ParsedBlob, StoreError> {
    let kdf = r.u8()?;
    if kdf != KDF_ARGON2ID {
        return Err(StoreError::UnsupportedKdf(kdf));
    }
    let kdf_version = r.u8()?;
    if kdf_version != ARGON2_VERSION_13 {
        return Err(StoreError::UnsupportedKdfVersion(kdf_version));
    }
    let (m, t, p) = (r.u32()?, r.u32()?, r.u32()?);
    let params = KdfParams::new(m, t, p)?;
    let salt_len = usize::from(r.u8()?);
    if !(MIN_SALT_LEN..=MAX_SALT_LEN).contains(&salt_len) {
        return Err(StoreError::Malformed("salt length"));
    }
    let salt = r.take(salt_len)?.to_vec();
    let nonce = r.array::<NONCE_LEN>()?;
    let pt_len = usize::try_from(r.u32()?).map_err(|_| StoreError::Malformed("length"))?;
    if pt_len > MAX_PLAINTEXT_LEN {
        return Err(StoreError::Malformed("plaintext length"));
    }
    let header_len = bytes.len() - r.rest.len();
    let aad = bytes.get(..header_len).ok_or(StoreError::Truncated)?;
    let sealed_len = pt_len + TAG_LEN;
    if r.rest.len() < sealed_len {
        return Err(StoreError::Truncated);
    }
    if r.rest.len() > sealed_len {
        return Err(StoreError::Malformed("trailing bytes"));
    }
    Ok(ParsedBlob {
        version: VERSION_2,
        params,
        salt,
        nonce,
        aad: aad.to_vec(),
        sealed: r.rest.to_vec(),
    })
}

/// The version-2 header, which is also the AES-GCM associated data:
///
/// ```text
/// "SSIW" ‖ 0x02 ‖ kdf=0x01 ‖ 0x13 ‖ m u32be ‖ t u32be ‖ p u32be ‖ salt_len u8 ‖ salt
///        ‖ nonce[12] ‖ plaintext_len u32be
/// ```
pub(crate) fn encode_v2_header(
    params: &KdfParams,
    salt: &[u8],
    nonce: &[u8; NONCE_LEN],
    plaintext_len: usize,
) -> Result<Vec<u8>, StoreError> {
    let salt_len = u8::try_from(salt.len()).map_err(|_| StoreError::Malformed("salt length"))?;
    if !(MIN_SALT_LEN..=MAX_SALT_LEN).contains(&salt.len()) {
        return Err(StoreError::Malformed("salt length"));
    }
    if plaintext_len > MAX_PLAINTEXT_LEN {
        return Err(StoreError::PlaintextTooLarge {
            len: plaintext_len,
            max: MAX_PLAINTEXT_LEN,
        });
    }
    let pt_len = u32::try_from(plaintext_len).map_err(|_| StoreError::PlaintextTooLarge {
        len: plaintext_len,
        max: MAX_PLAINTEXT_LEN,
    })?;
    let mut h = Vec::with_capacity(V2_FIXED_HEADER_LEN + salt.len());
    h.extend_from_slice(&MAGIC);
    h.push(VERSION_2);
    h.push(KDF_ARGON2ID);
    h.push(ARGON2_VERSION_13);
    h.extend_from_slice(&params.m_cost_kib().to_be_bytes());
    h.extend_from_slice(&params.t_cost().to_be_bytes());
    h.extend_from_slice(&params.p_cost().to_be_bytes());
    h.push(salt_len);
    h.extend_from_slice(salt);
    h.extend_from_slice(nonce);
    h.extend_from_slice(&pt_len.to_be_bytes());
    Ok(h)
}

/// `header ‖ sealed` as the stored string.
pub(crate) fn encode_blob(header: &[u8], sealed: &[u8]) -> String {
    let mut bytes = Vec::with_capacity(header.len() + sealed.len());
    bytes.extend_from_slice(header);
    bytes.extend_from_slice(sealed);
    b64u_encode(bytes)
}

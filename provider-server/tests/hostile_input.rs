//! Hostile input over real HTTP: thousands of requests made by mutating valid ones to
//! every endpoint (parameters dropped, doubled or replaced by nasty values, JSON bodies
//! retyped, truncated, nested 10,000 deep or broken in their encrypted fields, wrong
//! methods, content types and credentials, oversized bodies and raw bytes no client
//! library would send), with live login challenges, codes and tokens so that mutations
//! reach past the first check.
//!
//! Every response must be a well-formed HTTP response (no dropped connection: a panic
//! or a crash would drop it) with a status below 500, a redirect only to the registered
//! redirect URI, the registered post-logout redirect URI or the provider's own login
//! page, an OAuth error code from the
//! registries wherever an `error` is sent (in a JSON body or a redirect), an
//! `error_description` within RFC 6749 §5.2's characters, and `WWW-Authenticate` with
//! every 401. Afterwards the provider still completes a whole wallet login and its
//! SQLite file passes `integrity_check`.
//!
//! The generator is seeded at random and prints its seed; `HOSTILE_SEED=<n>` replays a
//! run, `HOSTILE_ROUNDS=<n>` makes it longer (default 12 rounds of about 180
//! requests).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "support/oid4vp_wallet.rs"]
mod oid4vp_wallet;
#[path = "support/mod_provider.rs"]
mod support;
#[path = "support/wallet.rs"]
mod wallet;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use oid4vp_wallet::{fetch_request_object, response_form, wallet_link};
use provider_server::clients::{self, CreatedClient, NewClient};
use serde_json::{Value, json};
use support::{Provider, REDIRECT, params_of};

/// RFC 9449 Figure 2's proof: valid JOSE, but for another server and long expired.
const DPOP_SAMPLE: &str = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg";

/// The post-logout redirect URI of the confidential client.
const LOGGED_OUT: &str = "http://rp.example/logged-out";
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use wallet::{Wallet, email_client, party};
use wallet_core::credential_api::seal_challenge;
use wallet_core::did::{self, DidUrl};
use wallet_core::encoding::hex_decode;
use wallet_core::keys::PublicKey;
use wallet_core::random::OsRandom;

/// Every `error` value the provider may send: RFC 6749 §4.1.2.1 and §5.2, OIDC Core
/// §3.1.2.6, RFC 6750 §3.1, RFC 7591 §3.2.2, OID4VP 1.0 §8.5.
const ERROR_CODES: &[&str] = &[
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "unsupported_response_type",
    "invalid_scope",
    "access_denied",
    "login_required",
    "request_not_supported",
    "request_uri_not_supported",
    "invalid_dpop_proof",
    "invalid_token",
    "invalid_redirect_uri",
    "invalid_client_metadata",
    "temporarily_unavailable",
    "server_error",
];

/// Values that have broken parsers before.
fn nasty(rng: &mut fastrand::Rng) -> String {
    let long = |c: char, n: usize| std::iter::repeat_n(c, n).collect::<String>();
    let pick: [&dyn Fn() -> String; 30] = [
        &String::new,
        &|| " ".into(),
        &|| "null".into(),
        &|| "0".into(),
        &|| "-1".into(),
        &|| "1e309".into(),
        &|| "18446744073709551616".into(),
        &|| "\0".into(),
        &|| "\r\nX-Injected: 1".into(),
        &|| "\t".into(),
        &|| "é\u{202e}\u{feff}😀".into(),
        &|| long('😀', 3_000),
        &|| long('a', 70_000),
        &|| long('A', 43),
        &|| "../../../../etc/passwd".into(),
        &|| "<script>alert(1)</script>".into(),
        &|| "' OR 1=1 --".into(),
        &|| "{\"a\":1}".into(),
        &|| "[]".into(),
        &|| "did:key:z6Mk".into(),
        &|| "did:web:127.0.0.1%3A1".into(),
        &|| "http://evil.example/cb".into(),
        &|| format!("{REDIRECT}/x"),
        &|| format!("{REDIRECT}#f"),
        &|| "plain".into(),
        &|| "none".into(),
        &|| "code id_token token".into(),
        &|| "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.".into(),
        &|| "a.b.c.d.e".into(),
        &|| "%zz%ff%".into(),
    ];
    pick[rng.usize(..pick.len())]()
}

/// A request before mutation.
#[derive(Debug, Clone)]
struct Template {
    method: &'static str,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Body,
}

#[derive(Debug, Clone)]
enum Body {
    None,
    Form(Vec<(String, String)>),
    Json(Value),
}

/// The bytes that go on the wire.
#[derive(Debug)]
struct Wire {
    head: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn encode(pairs: &[(String, String)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

fn basic(id: &str, secret: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
    )
}

/// Mutates a list of parameters in one of several ways.
fn mutate_pairs(rng: &mut fastrand::Rng, pairs: &mut Vec<(String, String)>) {
    match rng.u8(..6) {
        0 if !pairs.is_empty() => {
            pairs.remove(rng.usize(..pairs.len()));
        }
        1 if !pairs.is_empty() => {
            let (k, _) = pairs[rng.usize(..pairs.len())].clone();
            pairs.push((k, nasty(rng)));
        }
        2 if !pairs.is_empty() => {
            let i = rng.usize(..pairs.len());
            pairs[i].1 = nasty(rng);
        }
        3 if !pairs.is_empty() => {
            // One character of a value changed: a code, a hash or a signature off by one.
            let i = rng.usize(..pairs.len());
            let v = &mut pairs[i].1;
            if !v.is_empty() {
                let at = rng.usize(..v.len());
                if v.is_char_boundary(at) && v.is_char_boundary(at + 1) {
                    let c = if v.as_bytes()[at] == b'A' { "B" } else { "A" };
                    v.replace_range(at..=at, c);
                }
            }
        }
        4 => pairs.push((nasty(rng), nasty(rng))),
        _ if !pairs.is_empty() => {
            let i = rng.usize(..pairs.len());
            pairs[i].0 = nasty(rng);
        }
        _ => pairs.push(("x".into(), nasty(rng))),
    }
}

/// A random path into a JSON value: the node it names is replaced or changed.
fn mutate_json(rng: &mut fastrand::Rng, v: &mut Value, depth: usize) {
    let children = match v {
        Value::Object(m) => m.len(),
        Value::Array(a) => a.len(),
        _ => 0,
    };
    if children > 0 && depth < 8 && rng.u8(..3) > 0 {
        match v {
            Value::Object(m) => {
                let key = m.keys().nth(rng.usize(..children)).cloned().unwrap();
                if rng.u8(..5) == 0 {
                    m.remove(&key);
                } else {
                    mutate_json(rng, m.get_mut(&key).unwrap(), depth + 1);
                }
            }
            Value::Array(a) => {
                let i = rng.usize(..children);
                mutate_json(rng, &mut a[i], depth + 1);
            }
            _ => unreachable!(),
        }
        return;
    }
    *v = match rng.u8(..9) {
        0 => Value::Null,
        1 => json!(rng.i64(..)),
        2 => json!(rng.bool()),
        3 => json!([nasty(rng)]),
        4 => json!({ nasty(rng): nasty(rng) }),
        5 => json!(1.5e300),
        6 => match v {
            // A flipped character in an encrypted or encoded field.
            Value::String(s) if !s.is_empty() => {
                let mut s = s.clone();
                let at = rng.usize(..s.len());
                if s.is_char_boundary(at) && s.is_char_boundary(at + 1) {
                    let c = if s.as_bytes()[at] == b'0' { "1" } else { "0" };
                    s.replace_range(at..=at, c);
                }
                Value::String(s)
            }
            _ => Value::String(nasty(rng)),
        },
        _ => Value::String(nasty(rng)),
    };
}

/// One mutation of `t`, as bytes.
fn mutate(rng: &mut fastrand::Rng, t: &Template, host: &str) -> Wire {
    let mut t = t.clone();
    let mut raw_query: Option<String> = None;
    let mut raw_body: Option<Vec<u8>> = None;
    let mut content_type: Option<Vec<u8>> = None;
    let rounds = 1 + rng.usize(..3);
    for _ in 0..rounds {
        match rng.u8(..16) {
            0..=3 => mutate_pairs(rng, &mut t.query),
            4..=7 => match &mut t.body {
                Body::Form(p) => mutate_pairs(rng, p),
                Body::Json(v) => mutate_json(rng, v, 0),
                Body::None => mutate_pairs(rng, &mut t.query),
            },
            8 => {
                t.method =
                    ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"][rng.usize(..7)];
            }
            9 => {
                // Credentials: dropped, malformed, or someone else's.
                t.headers.retain(|(k, _)| k != "authorization");
                let value = match rng.u8(..7) {
                    0 => None,
                    1 => Some("Basic !!!".to_owned()),
                    2 => Some(format!(
                        "Basic {}",
                        base64::engine::general_purpose::STANDARD.encode(nasty(rng))
                    )),
                    3 => Some("Bearer".to_owned()),
                    4 => Some(format!("Bearer {}", nasty(rng))),
                    5 => Some(basic("unknown-client", "secret")),
                    _ => Some(format!("Digest {}", nasty(rng))),
                };
                if let Some(v) = value {
                    t.headers.push(("authorization".into(), v));
                }
            }
            10 => {
                content_type = Some(
                    [
                        &b"text/plain"[..],
                        b"application/json",
                        b"application/x-www-form-urlencoded",
                        b"multipart/form-data; boundary=x",
                        b"application/json; charset=utf-16",
                        b"\xff\xfe",
                        b"",
                    ][rng.usize(..7)]
                    .to_vec(),
                );
            }
            11 => {
                // Raw query bytes no URL library would produce.
                raw_query = Some(
                    [
                        "%",
                        "%zz",
                        "a=%ff%fe",
                        "a=1&&&==&",
                        "login_challenge=%00",
                        "login_challenge[]=1",
                    ][rng.usize(..6)]
                    .to_owned(),
                );
            }
            12 => {
                // Broken body bytes: truncated, padded, not UTF-8, deeply nested.
                let mut bytes = match &t.body {
                    Body::Form(p) => encode(p).into_bytes(),
                    Body::Json(v) => v.to_string().into_bytes(),
                    Body::None => Vec::new(),
                };
                match rng.u8(..5) {
                    0 if !bytes.is_empty() => bytes.truncate(rng.usize(..bytes.len())),
                    1 => bytes.extend_from_slice(b"\xff\xfe}}]]garbage"),
                    2 => bytes
                        .splice(0..0, b"\xef\xbb\xbf".iter().copied())
                        .for_each(drop),
                    3 => {
                        bytes = "[".repeat(10_000).into_bytes();
                        bytes.extend_from_slice("]".repeat(10_000).as_bytes());
                    }
                    _ => bytes = vec![b'{'; 300_000],
                }
                raw_body = Some(bytes);
            }
            13 => t.headers.push(("x-padding".into(), "p".repeat(20_000))),
            14 => t.path.push_str(["/", "/..", "%2F..", "/x"][rng.usize(..4)]),
            _ => t.headers.push(("accept".into(), nasty(rng))),
        }
    }
    let query = raw_query.unwrap_or_else(|| encode(&t.query));
    let target = if query.is_empty() {
        t.path.clone()
    } else {
        format!("{}?{query}", t.path)
    };
    let (body, default_type): (Vec<u8>, &[u8]) = match &t.body {
        Body::None => (Vec::new(), b""),
        Body::Form(p) => (encode(p).into_bytes(), b"application/x-www-form-urlencoded"),
        Body::Json(v) => (v.to_string().into_bytes(), b"application/json"),
    };
    let body = raw_body.unwrap_or(body);
    let mut headers: Vec<(String, Vec<u8>)> = vec![("host".into(), host.as_bytes().to_vec())];
    let content_type = content_type.unwrap_or_else(|| default_type.to_vec());
    if !content_type.is_empty() {
        headers.push(("content-type".into(), content_type));
    }
    headers.extend(t.headers.into_iter().map(|(k, v)| (k, v.into_bytes())));
    Wire {
        head: format!("{} {target} HTTP/1.1", t.method),
        headers,
        body,
    }
}

/// What came back.
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

/// Sends `wire` on a fresh connection (`Connection: close`) and reads the response
/// to the end. `None` when the connection broke before a status line: a panic or a
/// crash.
async fn send(addr: &str, wire: &Wire) -> Result<Reply, String> {
    let mut bytes = wire.head.clone().into_bytes();
    bytes.extend_from_slice(b"\r\n");
    for (k, v) in &wire.headers {
        bytes.extend_from_slice(k.as_bytes());
        bytes.extend_from_slice(b": ");
        bytes.extend_from_slice(v);
        bytes.extend_from_slice(b"\r\n");
    }
    bytes.extend_from_slice(format!("content-length: {}\r\n", wire.body.len()).as_bytes());
    bytes.extend_from_slice(b"connection: close\r\n\r\n");
    bytes.extend_from_slice(&wire.body);
    send_raw(addr, &bytes).await
}

async fn send_raw(addr: &str, bytes: &[u8]) -> Result<Reply, String> {
    let exchange = async {
        let mut tcp = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        // The server may answer (413, 431) and close before reading everything.
        let _ = tcp.write_all(bytes).await;
        let mut out = Vec::new();
        let _ = tcp.read_to_end(&mut out).await;
        Ok::<_, String>(out)
    };
    let out = tokio::time::timeout(Duration::from_secs(20), exchange)
        .await
        .map_err(|_| "no answer within 20 s".to_owned())??;
    parse_reply(&out)
}

fn parse_reply(out: &[u8]) -> Result<Reply, String> {
    let end = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("no complete response head in {} bytes", out.len()))?;
    let head = std::str::from_utf8(&out[..end]).map_err(|e| format!("head: {e}"))?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .strip_prefix("HTTP/1.1 ")
        .and_then(|s| s.get(..3))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    let mut headers = BTreeMap::new();
    for line in lines {
        let (k, v) = line
            .split_once(':')
            .ok_or_else(|| format!("bad header {line:?}"))?;
        headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
    }
    let mut body = out[end + 4..].to_vec();
    if headers.get("transfer-encoding").map(String::as_str) == Some("chunked") {
        body = dechunk(&body)?;
    }
    Ok(Reply {
        status,
        headers,
        body,
    })
}

fn dechunk(mut data: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let line_end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("chunk size line")?;
        let size = std::str::from_utf8(&data[..line_end]).map_err(|e| e.to_string())?;
        let size = usize::from_str_radix(size.split(';').next().unwrap_or_default().trim(), 16)
            .map_err(|e| e.to_string())?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        out.extend_from_slice(data.get(..size).ok_or("short chunk")?);
        data = data.get(size + 2..).ok_or("chunk end")?;
    }
}

/// RFC 6749 §5.2: `error_description` is %x20-21 / %x23-5B / %x5D-7E.
fn description_chars_ok(s: &str) -> bool {
    s.bytes()
        .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}

/// The rules every response obeys; `Err` says which one broke.
fn check(reply: &Reply, issuer: &str, head: bool) -> Result<(), String> {
    if reply.status >= 500 {
        return Err(format!("status {}", reply.status));
    }
    if (300..400).contains(&reply.status) {
        let location = reply
            .headers
            .get("location")
            .ok_or("redirect without Location")?;
        let login = format!("{issuer}/login");
        if !(location.starts_with(&format!("{REDIRECT}?"))
            || location.starts_with(&format!("{REDIRECT}#"))
            || location.starts_with(&format!("{login}?"))
            || location == LOGGED_OUT
            || location.starts_with(&format!("{LOGGED_OUT}?")))
        {
            return Err(format!("redirect to {location}"));
        }
        // An error sent back to the client follows the same rules as one in a body.
        let url = url::Url::parse(location).map_err(|e| format!("Location {location}: {e}"))?;
        let params: BTreeMap<String, String> = url
            .query()
            .into_iter()
            .chain(url.fragment())
            .flat_map(|part| url::form_urlencoded::parse(part.as_bytes()).into_owned())
            .collect();
        check_error(&Value::from(serde_json::Map::from_iter(
            params.into_iter().map(|(k, v)| (k, Value::String(v))),
        )))?;
    }
    if reply.status == 401 && !reply.headers.contains_key("www-authenticate") {
        return Err("401 without WWW-Authenticate".into());
    }
    let json = reply
        .headers
        .get("content-type")
        .is_some_and(|t| t.starts_with("application/json"));
    if json && reply.status >= 400 && !head {
        let body: Value = serde_json::from_slice(&reply.body)
            .map_err(|e| format!("error body is not JSON: {e}"))?;
        check_error(&body)?;
    }
    Ok(())
}

/// An `error` from the registries, and an `error_description` within RFC 6749 §5.2's
/// characters, when `params` carries them.
fn check_error(params: &Value) -> Result<(), String> {
    if let Some(error) = params.get("error") {
        let code = error.as_str().ok_or("error is not a string")?;
        if !ERROR_CODES.contains(&code) {
            return Err(format!("unregistered error code {code:?}"));
        }
    }
    if let Some(d) = params.get("error_description") {
        let d = d.as_str().ok_or("error_description is not a string")?;
        if !description_chars_ok(d) {
            return Err(format!(
                "error_description with forbidden characters: {d:?}"
            ));
        }
    }
    Ok(())
}

/// Live flow state for one round's templates.
struct Live {
    client: CreatedClient,
    public_client: String,
    /// A login whose key exchange has not happened, and a valid answer to its challenge.
    lc_fresh: String,
    key_exchange: Value,
    /// A login after the key exchange, and a valid encrypted presentation for it.
    lc_exchanged: String,
    submission: Value,
    code: String,
    access_token: String,
    refresh_token: String,
    id_token: String,
    /// A pushed authorization request's `request_uri` (RFC 9126), not used yet.
    pushed_request_uri: String,
    request_uri: String,
    response_uri: String,
    response: Vec<(String, String)>,
}

/// The answer to `lc`'s key-exchange challenge, made but not sent.
async fn key_exchange_answer(p: &Provider, wallet: &Wallet, lc: &str) -> Value {
    let c: Value = p
        .get_json(&format!("/api/v1/challenge?login_challenge={lc}"))
        .await;
    let uri = c["dAppEncryptionKeyUri"].as_str().unwrap();
    let url = DidUrl::parse(uri).unwrap();
    let PublicKey::X25519(provider) = did::key::multikey_decode(url.fragment().unwrap()).unwrap()
    else {
        panic!("provider key is not X25519")
    };
    let bytes = hex_decode(c["challenge"].as_str().unwrap()).unwrap();
    let sealed = seal_challenge(&bytes, &wallet.session, &provider, &mut OsRandom).unwrap();
    json!({
        "encryptionKeyUri": wallet.session_uri,
        "encryptedChallenge": sealed.encrypted_challenge,
        "nonce": sealed.nonce,
    })
}

fn authorize_query(client_id: &str, scope: &str) -> Vec<(String, String)> {
    pairs(&[
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", REDIRECT),
        ("scope", scope),
        ("state", "s1"),
        ("nonce", "n1"),
        (
            "code_challenge",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        ),
        ("code_challenge_method", "S256"),
    ])
}

async fn live(p: &Provider, wallet: &mut Wallet, public_client: &str, c: &CreatedClient) -> Live {
    let id = &c.config.client_id;
    let begin =
        |scope: &str| p.authorize_url_with_scope(id, REDIRECT, scope, "&response_type=code");
    let lc_fresh = p.begin(&begin("openid email")).await;
    wallet.new_session_key();
    let key_exchange = key_exchange_answer(p, wallet, &lc_fresh).await;
    let lc_exchanged = p.begin(&begin("openid email")).await;
    wallet.new_session_key();
    wallet.key_exchange(p, &lc_exchanged).await;
    let request = wallet.request(p, &lc_exchanged).await;
    let vp = wallet.present(&request, |_| {});
    let submission = serde_json::from_str(&wallet.submit(&request, vp)).unwrap();
    let lc = p.begin(&begin("openid email offline_access")).await;
    let redirect = p.finish(&lc, wallet.holder.did.as_str()).await;
    let tokens = p
        .redeem(c, &params_of(&redirect, false)["code"], REDIRECT)
        .await;
    let lc = p.begin(&begin("openid email")).await;
    let redirect = p.finish(&lc, wallet.holder.did.as_str()).await;
    let code = params_of(&redirect, false)["code"].clone();
    let pushed: Value = p
        .http
        .post(p.url("/par"))
        .basic_auth(id, c.client_secret.as_deref())
        .form(&authorize_query(id, "openid email"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let lc = p.begin(&begin("openid email")).await;
    let link = wallet_link(p, &lc).await;
    let ro = fetch_request_object(p, &link, None).await;
    let response = response_form(
        &ro,
        &[
            ("vp_token", "{\"not\":\"a presentation\"}"),
            ("state", ro.str("state")),
        ],
    );
    Live {
        client: c.clone(),
        public_client: public_client.to_owned(),
        lc_fresh,
        key_exchange,
        lc_exchanged,
        submission,
        code,
        access_token: tokens["access_token"].as_str().unwrap().to_owned(),
        refresh_token: tokens["refresh_token"].as_str().unwrap().to_owned(),
        id_token: tokens["id_token"].as_str().unwrap().to_owned(),
        pushed_request_uri: pushed["request_uri"].as_str().unwrap().to_owned(),
        request_uri: url::Url::parse(&link.request_uri)
            .unwrap()
            .path()
            .to_owned(),
        response_uri: url::Url::parse(ro.str("response_uri"))
            .unwrap()
            .path()
            .to_owned(),
        response,
    }
}

fn templates(l: &Live) -> Vec<Template> {
    let id = l.client.config.client_id.as_str();
    let secret = l.client.client_secret.as_deref().unwrap();
    let get = |path: &str, query: Vec<(String, String)>| Template {
        method: "GET",
        path: path.to_owned(),
        query,
        headers: Vec::new(),
        body: Body::None,
    };
    let post = |path: &str, query: Vec<(String, String)>, body: Body| Template {
        method: "POST",
        path: path.to_owned(),
        query,
        headers: Vec::new(),
        body,
    };
    let authed = |mut t: Template, value: String| {
        t.headers.push(("authorization".into(), value));
        t
    };
    let lc = |lc: &str| pairs(&[("login_challenge", lc)]);
    let token = |body: &[(&str, &str)]| {
        authed(
            post("/token", Vec::new(), Body::Form(pairs(body))),
            basic(id, secret),
        )
    };
    vec![
        get("/authorize", authorize_query(id, "openid email")),
        get(
            "/authorize",
            pairs(&[
                ("response_type", "id_token"),
                ("client_id", id),
                ("redirect_uri", REDIRECT),
                ("scope", "openid"),
                ("nonce", "n"),
                ("response_mode", "form_post"),
                ("prompt", "none"),
                ("max_age", "0"),
            ]),
        ),
        get("/authorize", authorize_query(&l.public_client, "openid")),
        get(
            "/authorize",
            pairs(&[("client_id", id), ("request_uri", &l.pushed_request_uri)]),
        ),
        post(
            "/authorize",
            Vec::new(),
            Body::Form(authorize_query(id, "openid offline_access")),
        ),
        token(&[
            ("grant_type", "authorization_code"),
            ("code", &l.code),
            ("redirect_uri", REDIRECT),
            (
                "code_verifier",
                "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
            ),
        ]),
        token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &l.refresh_token),
        ]),
        token(&[("grant_type", "client_credentials"), ("scope", "openid")]),
        {
            // A DPoP proof (RFC 9449) for the parser: a well-formed JWS whose key and
            // claims the mutations then break further.
            let mut t = token(&[("grant_type", "client_credentials")]);
            t.headers.push(("dpop".into(), DPOP_SAMPLE.into()));
            t
        },
        authed(
            post(
                "/revoke",
                Vec::new(),
                Body::Form(pairs(&[
                    ("token", &l.access_token),
                    ("token_type_hint", "access_token"),
                ])),
            ),
            basic(id, secret),
        ),
        post(
            "/revoke",
            Vec::new(),
            Body::Form(pairs(&[
                ("token", &l.refresh_token),
                ("client_id", &l.public_client),
            ])),
        ),
        authed(
            post(
                "/par",
                Vec::new(),
                Body::Form(authorize_query(id, "openid email")),
            ),
            basic(id, secret),
        ),
        get(
            "/logout",
            pairs(&[
                ("id_token_hint", &l.id_token),
                ("post_logout_redirect_uri", LOGGED_OUT),
                ("state", "s1"),
            ]),
        ),
        post(
            "/logout",
            Vec::new(),
            Body::Form(pairs(&[
                ("client_id", id),
                ("post_logout_redirect_uri", LOGGED_OUT),
            ])),
        ),
        authed(
            post(
                "/introspect",
                Vec::new(),
                Body::Form(pairs(&[
                    ("token", &l.refresh_token),
                    ("token_type_hint", "refresh_token"),
                ])),
            ),
            basic(id, secret),
        ),
        post(
            "/token",
            Vec::new(),
            Body::Form(pairs(&[
                ("grant_type", "authorization_code"),
                ("code", &l.code),
                ("client_id", &l.public_client),
                ("redirect_uri", REDIRECT),
                (
                    "code_verifier",
                    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
                ),
            ])),
        ),
        authed(
            get("/userinfo", Vec::new()),
            format!("Bearer {}", l.access_token),
        ),
        authed(
            post("/userinfo", Vec::new(), Body::None),
            format!("Bearer {}", l.access_token),
        ),
        authed(
            post(
                "/register",
                Vec::new(),
                Body::Json(json!({
                    "redirect_uris": [REDIRECT],
                    "client_name": "x",
                    "token_endpoint_auth_method": "client_secret_basic",
                    "id_token_signed_response_alg": "ES256",
                })),
            ),
            "Bearer initial-token".into(),
        ),
        get("/api/v1/challenge", lc(&l.lc_fresh)),
        post(
            "/api/v1/challenge",
            lc(&l.lc_fresh),
            Body::Json(l.key_exchange.clone()),
        ),
        get("/api/v1/credentials", lc(&l.lc_exchanged)),
        post(
            "/api/v1/credentials",
            lc(&l.lc_exchanged),
            Body::Json(l.submission.clone()),
        ),
        get("/login", lc(&l.lc_fresh)),
        get("/login/finish", lc(&l.lc_exchanged)),
        get("/api/v1/oid4vp/request", lc(&l.lc_fresh)),
        get("/api/v1/oid4vp/status", lc(&l.lc_fresh)),
        get(&l.request_uri, Vec::new()),
        post(
            &l.request_uri,
            Vec::new(),
            Body::Form(pairs(&[("wallet_nonce", "n")])),
        ),
        post(&l.response_uri, Vec::new(), Body::Form(l.response.clone())),
        post(
            "/api/v1/oid4vp/response_code",
            lc(&l.lc_fresh),
            Body::Json(json!({"response_code": "x"})),
        ),
        get("/.well-known/openid-configuration", Vec::new()),
        get("/jwks", Vec::new()),
        get("/.well-known/did-configuration.json", Vec::new()),
    ]
}

/// Requests no mutation of a valid one produces.
fn raw_cases(host: &str) -> Vec<Vec<u8>> {
    let mut cases: Vec<Vec<u8>> = vec![
        b"GET /authorize?\xff\xfe HTTP/1.1\r\n".to_vec(),
        b"GET /\xc3\x28 HTTP/1.1\r\n".to_vec(),
        b"POST /token HTTP/1.1\r\ntransfer-encoding: chunked\r\n".to_vec(),
        b"POST /token HTTP/1.1\r\ncontent-length: 5\r\ncontent-length: 6\r\n".to_vec(),
        b"POST /token HTTP/1.1\r\ncontent-length: -1\r\n".to_vec(),
        b"GET /jwks HTTP/1.1\r\nhost: a\r\nhost: b\r\n".to_vec(),
        b"GET /jwks HTTP/1.1\r\nbad header\r\n".to_vec(),
        b"GET /jwks HTTP/1.1\r\nx: \x00\r\n".to_vec(),
        b"GET /jwks HTTP/9.9\r\n".to_vec(),
        b"BREW /jwks HTTP/1.1\r\n".to_vec(),
        b"GET http://evil.example/jwks HTTP/1.1\r\n".to_vec(),
        b"GET * HTTP/1.1\r\n".to_vec(),
        format!("GET /authorize?{} HTTP/1.1\r\n", "a=b&".repeat(30_000)).into_bytes(),
        format!("GET /jwks HTTP/1.1\r\n{}", "x-h: v\r\n".repeat(500)).into_bytes(),
    ];
    for case in &mut cases {
        case.extend_from_slice(format!("host: {host}\r\nconnection: close\r\n").as_bytes());
    }
    // A chunked body with a chunk size that is not hex, and a body past every limit.
    cases.push(
        format!(
            "POST /token HTTP/1.1\r\nhost: {host}\r\ntransfer-encoding: chunked\r\n\
             connection: close\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"
        )
        .into_bytes(),
    );
    let mut big = format!(
        "POST /api/v1/credentials?login_challenge=x HTTP/1.1\r\nhost: {host}\r\n\
         content-type: application/json\r\ncontent-length: 3000000\r\nconnection: close\r\n\r\n"
    )
    .into_bytes();
    big.extend(std::iter::repeat_n(b'[', 3_000_000));
    cases.push(big);
    for case in &mut cases {
        if !case.ends_with(b"\r\n\r\n") {
            case.extend_from_slice(b"\r\n");
        }
    }
    cases
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|v| {
        v.parse()
            .unwrap_or_else(|_| panic!("{name}={v}: not a number"))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_requests_get_clear_errors_and_break_nothing() {
    let seed = env_u64("HOSTILE_SEED").unwrap_or_else(|| fastrand::u64(..));
    let rounds = env_u64("HOSTILE_ROUNDS").unwrap_or(12);
    eprintln!("hostile_input: HOSTILE_SEED={seed} HOSTILE_ROUNDS={rounds}");
    let p = Provider::start_with(|c| {
        c.registration_token = Some("initial-token".into());
        // A stalled body (one of the raw cases) is answered after 2 s.
        c.request_timeout_secs = 4;
    })
    .await;
    let addr = p.base.trim_start_matches("http://").to_owned();
    let issuer = party();
    let c = email_client(&p, &issuer, |c| {
        c.post_logout_redirect_uris = vec![LOGGED_OUT.into()];
    })
    .await;
    let public_client = clients::create(
        &p.state.db,
        NewClient {
            name: Some("Public RP".into()),
            redirect_uris: vec![REDIRECT.into()],
            token_endpoint_auth_method: Some("none".into()),
            ..NewClient::default()
        },
    )
    .await
    .unwrap()
    .config
    .client_id;
    let mut wallet = Wallet::holding_email(&issuer, "holder@example.com");

    let mut rng = fastrand::Rng::with_seed(seed);
    let mut statuses: BTreeMap<u16, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut sent = 0usize;
    for round in 0..rounds {
        let l = live(&p, &mut wallet, &public_client, &c).await;
        let templates = templates(&l);
        let wires: Vec<Wire> = (0..templates.len() * 7)
            .map(|i| mutate(&mut rng, &templates[i % templates.len()], &addr))
            .collect();
        // Eight at a time: concurrent mutations race for the same codes and challenges.
        let wires = Arc::new(wires);
        let mut tasks = tokio::task::JoinSet::new();
        for lane in 0..8 {
            let (wires, addr) = (Arc::clone(&wires), addr.clone());
            tasks.spawn(async move {
                let mut out = Vec::new();
                for i in (lane..wires.len()).step_by(8) {
                    out.push((i, send(&addr, &wires[i]).await));
                }
                out
            });
        }
        while let Some(lane) = tasks.join_next().await {
            for (i, reply) in lane.unwrap() {
                sent += 1;
                let verdict = reply.and_then(|r| {
                    *statuses.entry(r.status).or_default() += 1;
                    check(&r, &p.issuer, wires[i].head.starts_with("HEAD "))
                        .map_err(|e| format!("{e}; body {:?}", String::from_utf8_lossy(&r.body)))
                });
                if let Err(e) = verdict {
                    let w = &wires[i];
                    failures.push(format!(
                        "round {round}: {} ({} body bytes, headers {:?}): {e}",
                        w.head.chars().take(200).collect::<String>(),
                        w.body.len(),
                        w.headers
                            .iter()
                            .map(|(k, v)| (
                                k,
                                String::from_utf8_lossy(v)
                                    .chars()
                                    .take(80)
                                    .collect::<String>()
                            ))
                            .collect::<Vec<_>>()
                    ));
                }
            }
        }
    }
    for raw in raw_cases(&addr) {
        sent += 1;
        let head = String::from_utf8_lossy(&raw[..raw.len().min(60)]).into_owned();
        match send_raw(&addr, &raw).await {
            Ok(r) => {
                *statuses.entry(r.status).or_default() += 1;
                if let Err(e) = check(&r, &p.issuer, false) {
                    failures.push(format!("raw {head:?}: {e}"));
                }
            }
            Err(e) => failures.push(format!("raw {head:?}: {e}")),
        }
    }
    eprintln!("hostile_input: {sent} requests, statuses {statuses:?}");
    assert!(
        failures.is_empty(),
        "HOSTILE_SEED={seed}: {} of {sent} responses broke a rule:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The generator reached both sides: accepted requests, redirects, and refusals of
    // several kinds (a generator that only ever hits one error path proves little).
    for status in [200, 303, 400, 401, 404, 405, 408, 413] {
        assert!(
            statuses.contains_key(&status),
            "no {status} among {statuses:?}"
        );
    }

    // Nothing was broken for the next user: a whole wallet login still works…
    let l = live(&p, &mut wallet, &public_client, &c).await;
    let (status, body) =
        wallet::post_credentials(&p, &l.lc_exchanged, &l.submission.to_string()).await;
    assert_eq!(status, 200, "{body}");
    let code = params_of(body["redirect_to"].as_str().unwrap(), false)["code"].clone();
    let tokens = p.redeem(&c, &code, REDIRECT).await;
    let claims = p
        .id_token_claims(tokens["id_token"].as_str().unwrap())
        .await;
    assert_eq!(claims["email"], "holder@example.com");
    // …and the database file is sound.
    if let Some(path) = p.database_url.strip_prefix("sqlite://") {
        let path = path.split('?').next().unwrap();
        let conn = rusqlite::Connection::open(path).unwrap();
        let verdict: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(verdict, "ok");
    }
}

//! Load driver: whole wallet logins against a real `provider-server` process.
//!
//! `cargo bench -p provider-server --bench load -- [--duration 10] [--concurrency 32] …`
//!
//! It starts the release `provider-server` binary on a free loopback port with a fresh
//! SQLite data directory, registers a Login Configuration through `client create`
//! (EdDSA id_tokens, a PEX definition asking for one email credential, a trusted
//! issuer), and drives wallets built on wallet-core through the whole DESIGN §4 flow
//! over HTTP:
//!
//! `GET /authorize` → `GET`+`POST /api/v1/challenge` (NaCl box) → `GET /api/v1/credentials`
//! (decrypt the request) → build and sign the VP → `POST /api/v1/credentials` → code →
//! `POST /token` (client_secret_basic, PKCE).
//!
//! Phases (each printed with its numbers):
//! 1. `closed`: `--concurrency` workers loop for `--duration` seconds → logins/s, latency.
//! 2. `open`: logins started at a fixed rate (`--rate`, default half the closed-loop
//!    throughput) → latency percentiles measured from the scheduled start, so a stall
//!    is not hidden (no coordinated omission).
//! 3. `token`: codes made by real logins, then only `POST /token` → requests/s.
//! 4. `idle`: `--idle-sessions` `/authorize` calls left unfinished → provider RSS and
//!    database bytes per idle login session.
//!
//! CPU time of the provider process and of the driver is read from `/proc` for each
//! phase, so the output says which side spends what per login.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, anyhow, bail, ensure};
use base64::Engine as _;
use clap::Parser;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1;
use hyper::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HOST, HeaderName, HeaderValue};
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use tokio::net::TcpStream;
use wallet_core::credential_api::{EncryptedMessage, Message, MessageBody, SessionBox};
use wallet_core::data_integrity::{self, Cryptosuite, ProofOptions, ProofPurpose};
use wallet_core::did::{self, Did, DidUrl};
use wallet_core::encoding::hex_decode;
use wallet_core::keys::{KeyType, PrivateKey, PublicKey, X25519PrivateKey};
use wallet_core::pex::{
    self, Envelope, PresentationDefinition, PresentationSubmission, SubmissionChoice,
};
use wallet_core::presentation::{
    HolderKey, PresentationOptions, StoredCredential, build_presentation, candidate_from_stored,
};
use wallet_core::random::{OsRandom, SecureRandom as _};
use wallet_core::vc::{CREDENTIALS_V2_CONTEXT, Credential, EmbeddedCredential, format_datetime};

const REDIRECT: &str = "http://127.0.0.1:9/cb";

#[derive(Parser, Debug)]
#[command(about = "Whole wallet logins against a real provider-server")]
struct Args {
    /// Seconds of the closed-loop phase.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Concurrent logins in the closed-loop and token phases.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Logins per second of the open-loop phase (default: half the closed-loop result).
    #[arg(long)]
    rate: Option<u64>,
    /// Seconds of the open-loop phase.
    #[arg(long, default_value_t = 10)]
    open_duration: u64,
    /// Codes to redeem in the token phase.
    #[arg(long, default_value_t = 20_000)]
    tokens: usize,
    /// Login sessions left idle in the memory phase.
    #[arg(long, default_value_t = 20_000)]
    idle_sessions: usize,
    /// Distinct holders (wallets) the workers cycle through.
    #[arg(long, default_value_t = 64)]
    holders: usize,
    /// Phases to run, comma-separated: closed,open,token,idle.
    #[arg(long, default_value = "closed,open,token,idle")]
    phases: String,
    /// Tokio worker threads of the driver.
    #[arg(long, default_value_t = 2)]
    driver_threads: usize,
    /// Extra flags for the provider (e.g. `--database-url=postgres://…`), space-separated.
    #[arg(long, default_value = "")]
    provider_args: String,
    /// The provider binary to run (default: the one built with this driver). For A/B
    /// runs of two provider builds with one driver (`scripts/bench-ab`).
    #[arg(long, env = "LOAD_PROVIDER_BIN")]
    provider_bin: Option<PathBuf>,
    // `cargo bench` passes `--bench`; accept and ignore it.
    #[arg(long, hide = true)]
    bench: bool,
}

/// The provider's allocator: with glibc's, malloc and free were about a tenth of the
/// driver's CPU (BENCHMARKS.md, session 7).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<()> {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.driver_threads)
        .enable_all()
        .build()?;
    runtime.block_on(run(args))
}

async fn run(args: Args) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let provider = ProviderProcess::start(
        dir.path(),
        &args.provider_args,
        args.provider_bin.as_deref(),
    )
    .await?;
    let result = drive(&args, &provider).await;
    drop(provider);
    result
}

async fn drive(args: &Args, provider: &ProviderProcess) -> Result<()> {
    let issuer = Party::new()?;
    let (client_id, client_secret) = register_client(provider, &issuer)?;
    let wallets: Vec<Arc<Wallet>> = (0..args.holders.max(1))
        .map(|_| Wallet::new(&issuer).map(Arc::new))
        .collect::<Result<_>>()?;
    let env = Arc::new(Env {
        base: provider.base.clone(),
        addr: provider.addr,
        host: HeaderValue::from_str(&provider.addr.to_string())?,
        authorize: format!(
            "/authorize?response_type=code&client_id={client_id}&redirect_uri={}&scope=openid",
            urlencode(REDIRECT)
        ),
        token_redirect: format!("&redirect_uri={}&code_verifier=", urlencode(REDIRECT)),
        basic: HeaderValue::from_str(&format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD
                .encode(format!("{client_id}:{client_secret}"))
        ))?,
        wallets,
        pool: Mutex::new(Vec::new()),
        submission: OnceLock::new(),
    });
    println!(
        "machine: {} cores, {}",
        std::thread::available_parallelism().map_or(0, usize::from),
        cpu_model()
    );
    println!(
        "provider pid {} at {}; driver: {} tokio threads, {} holders",
        provider.pid, env.base, args.driver_threads, args.holders
    );
    // Warm-up: connections, page cache, key caches.
    closed_loop(&env, args.concurrency, Duration::from_secs(1)).await?;
    for c in STEP_COUNT.iter().chain(&STEP_NANOS) {
        c.store(0, Ordering::Relaxed);
    }

    let phases: Vec<&str> = args.phases.split(',').map(str::trim).collect();
    let mut closed_rate = None;
    if phases.contains(&"closed") {
        let cpu = CpuMeter::start(provider.pid)?;
        let stats = closed_loop(&env, args.concurrency, Duration::from_secs(args.duration)).await?;
        let rate = stats.per_second();
        closed_rate = Some(rate);
        println!(
            "\n[closed] {} concurrent, {:.1} s: {} logins, {:.0} logins/s, {} errors",
            args.concurrency,
            stats.elapsed.as_secs_f64(),
            stats.latencies.len(),
            rate,
            stats.errors
        );
        stats.print_latency("login latency");
        cpu.report(stats.latencies.len())?;
        print_steps();
    }
    if phases.contains(&"open") {
        let rate = args
            .rate
            .or_else(|| closed_rate.map(|r| (r / 2.0) as u64))
            .ok_or_else(|| anyhow!("--rate is required without the closed phase"))?;
        let cpu = CpuMeter::start(provider.pid)?;
        let stats = open_loop(&env, rate, Duration::from_secs(args.open_duration)).await?;
        println!(
            "\n[open] target {rate} logins/s for {} s: {} logins, achieved {:.0}/s, {} errors",
            args.open_duration,
            stats.latencies.len(),
            stats.per_second(),
            stats.errors
        );
        stats.print_latency("login latency from scheduled start");
        cpu.report(stats.latencies.len())?;
        print_steps();
    }
    if phases.contains(&"token") {
        let started = Instant::now();
        let codes = make_codes(&env, args.concurrency, args.tokens).await?;
        print_steps();
        println!(
            "\n[token] {} codes made by whole logins in {:.1} s",
            codes.len(),
            started.elapsed().as_secs_f64()
        );
        let cpu = CpuMeter::start(provider.pid)?;
        let stats = redeem_codes(&env, args.concurrency, codes).await?;
        println!(
            "[token] {} concurrent: {} redemptions in {:.2} s, {:.0} req/s, {} errors",
            args.concurrency,
            stats.latencies.len(),
            stats.elapsed.as_secs_f64(),
            stats.per_second(),
            stats.errors
        );
        stats.print_latency("token latency");
        cpu.report(stats.latencies.len())?;
    }
    if phases.contains(&"idle") {
        idle_sessions(&env, provider, args.concurrency, args.idle_sessions).await?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// The provider process

struct ProviderProcess {
    child: Child,
    pid: u32,
    addr: SocketAddr,
    base: String,
    data_dir: PathBuf,
    extra: Vec<String>,
    bin: PathBuf,
}

impl ProviderProcess {
    async fn start(dir: &Path, extra: &str, bin: Option<&Path>) -> Result<Self> {
        let addr = SocketAddr::from(([127, 0, 0, 1], free_port()?));
        let base = format!("http://{addr}");
        let extra: Vec<String> = extra.split_whitespace().map(str::to_owned).collect();
        let bin = bin.map_or_else(
            || PathBuf::from(env!("CARGO_BIN_EXE_provider-server")),
            Path::to_path_buf,
        );
        let child = Command::new(&bin)
            .arg("--bind")
            .arg(addr.to_string())
            .arg("--issuer")
            .arg(&base)
            .arg("--data-dir")
            .arg(dir)
            .arg("--log-level")
            .arg("warn")
            .args(&extra)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting provider-server")?;
        let pid = child.id();
        let process = Self {
            child,
            pid,
            addr,
            base,
            data_dir: dir.to_owned(),
            extra,
            bin,
        };
        let http = reqwest::Client::new();
        for _ in 0..200 {
            if let Ok(r) = http
                .get(format!("{}/.well-known/openid-configuration", process.base))
                .send()
                .await
                && r.status().is_success()
            {
                return Ok(process);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("provider-server did not start")
    }

    fn cli(&self) -> Command {
        let mut c = Command::new(&self.bin);
        c.arg("--data-dir").arg(&self.data_dir).args(&self.extra);
        c
    }

    fn rss_kib(&self) -> Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid))?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .ok_or_else(|| anyhow!("no VmRSS"))
    }

    fn db_bytes(&self) -> u64 {
        ["provider.db", "provider.db-wal"]
            .iter()
            .filter_map(|f| std::fs::metadata(self.data_dir.join(f)).ok())
            .map(|m| m.len())
            .sum()
    }
}

impl Drop for ProviderProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

/// Registers the load client with `provider-server client create`; returns
/// (client_id, client_secret).
fn register_client(provider: &ProviderProcess, issuer: &Party) -> Result<(String, String)> {
    let definition = provider.data_dir.join("definition.json");
    std::fs::write(&definition, email_definition().to_string())?;
    let mapping = provider.data_dir.join("mapping.json");
    std::fs::write(
        &mapping,
        json!([{"source": "$.verifiableCredential[*].credentialSubject.email", "claim": "email"}])
            .to_string(),
    )?;
    let out = provider
        .cli()
        .args([
            "client",
            "create",
            "--name",
            "Load driver",
            "--redirect-uri",
            REDIRECT,
        ])
        .arg("--presentation-definition")
        .arg(&definition)
        .arg("--id-token-mapping")
        .arg(&mapping)
        .args(["--trusted-issuer", issuer.did.as_str()])
        .args(["--id-token-signed-response-alg", "EdDSA"])
        .output()?;
    ensure!(
        out.status.success(),
        "client create failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let config: Value = serde_json::from_slice(&out.stdout)?;
    Ok((
        str_of(&config, "client_id")?.to_owned(),
        str_of(&config, "client_secret")?.to_owned(),
    ))
}

fn str_of<'a>(v: &'a Value, name: &str) -> Result<&'a str> {
    v.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| anyhow!("missing {name}"))
}

// ---------------------------------------------------------------------------
// The wallet

struct Party {
    key: PrivateKey,
    did: Did,
    vm: DidUrl,
}

impl Party {
    fn new() -> Result<Self> {
        let key = PrivateKey::generate(KeyType::Ed25519, &mut OsRandom)?;
        let did = did::key::encode(&key.public_key())?;
        let vm = did.with_fragment(did.method_specific_id())?;
        Ok(Self { key, did, vm })
    }
}

struct Wallet {
    holder: Party,
    credential: Credential,
}

impl Wallet {
    fn new(issuer: &Party) -> Result<Self> {
        let holder = Party::new()?;
        let now = unix_now();
        let doc = json!({
            "@context": [CREDENTIALS_V2_CONTEXT],
            "type": ["VerifiableCredential", "EmailCredential"],
            "issuer": issuer.did.as_str(),
            "validFrom": format_datetime(now - 3600).ok_or_else(|| anyhow!("date"))?,
            "validUntil": format_datetime(now + 86_400).ok_or_else(|| anyhow!("date"))?,
            "credentialSubject": {"id": holder.did.as_str(), "email": "holder@example.com"}
        });
        let doc = doc.as_object().cloned().unwrap_or_default();
        let options = ProofOptions::new(
            Cryptosuite::EddsaJcs2022,
            issuer.vm.clone(),
            ProofPurpose::AssertionMethod,
        );
        let signed = data_integrity::add_proof(&doc, &options, &issuer.key)?;
        Ok(Self {
            holder,
            credential: Credential::from_map(signed)?,
        })
    }
}

fn email_definition() -> Value {
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

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

struct Env {
    base: String,
    addr: SocketAddr,
    /// The `Host` header of every request.
    host: HeaderValue,
    /// `/authorize?…` up to the per-login parameters (state, nonce, PKCE challenge).
    authorize: String,
    /// The `/token` form after the code: `&redirect_uri=…&code_verifier=`.
    token_redirect: String,
    /// `Basic …` of the client (client_secret_basic at `/token`).
    basic: HeaderValue,
    wallets: Vec<Arc<Wallet>>,
    /// Idle keep-alive connections; a login takes one and gives it back.
    pool: Mutex<Vec<Http>>,
    /// The first presentation definition the provider asked for, and the submission the
    /// wallets answer it with (see [`Env::submission_for`]).
    submission: OnceLock<(Value, PresentationSubmission)>,
}

impl Env {
    /// Runs `f` on a connection of its own: an idle one from the pool, else a new one;
    /// the connection goes back to the pool afterwards.
    async fn with_http<T>(&self, f: impl AsyncFnOnce(&mut Http) -> Result<T>) -> Result<T> {
        let idle = self.pool.lock().ok().and_then(|mut pool| pool.pop());
        let mut http = idle.unwrap_or_else(|| Http::new(self.addr));
        let result = f(&mut http).await;
        if let Ok(mut pool) = self.pool.lock() {
            pool.push(http);
        }
        result
    }

    /// A request to the provider: `headers`, then `Accept: */*` and `Host`, as reqwest
    /// wrote them (hyper adds `Content-Length`).
    fn request(
        &self,
        method: Method,
        path: String,
        headers: &[(HeaderName, &HeaderValue)],
        body: ReqBody,
    ) -> Result<Request<ReqBody>> {
        let mut request = Request::builder().method(method).uri(path);
        for (name, value) in headers {
            request = request.header(name, *value);
        }
        Ok(request
            .header(ACCEPT, HeaderValue::from_static("*/*"))
            .header(HOST, &self.host)
            .body(body)?)
    }

    fn get(&self, path: String) -> Result<Request<ReqBody>> {
        self.request(Method::GET, path, &[], ReqBody::default())
    }

    fn post_json(&self, path: String, body: impl Into<Bytes>) -> Result<Request<ReqBody>> {
        const JSON: HeaderValue = HeaderValue::from_static("application/json");
        self.request(
            Method::POST,
            path,
            &[(CONTENT_TYPE, &JSON)],
            Full::new(body.into()),
        )
    }

    /// The presentation submission for `definition`. Every wallet holds the same kind of
    /// credential, so PEX picks the same descriptors for all of them: the selection is
    /// made once per definition (as a wallet would cache it), not once per login. A
    /// definition other than the first is still parsed and matched in full.
    fn submission_for(
        &self,
        definition: &Value,
        wallet: &Wallet,
    ) -> Result<PresentationSubmission> {
        if let Some((cached, submission)) = self.submission.get()
            && cached == definition
        {
            return Ok(submission.clone());
        }
        let parsed = PresentationDefinition::parse(&definition.to_string())?;
        let candidate = candidate_from_stored("0", StoredCredential::Json(&wallet.credential))?;
        let selection = pex::select(&parsed, std::slice::from_ref(&candidate))?;
        ensure!(selection.satisfiable, "wallet cannot satisfy the request");
        let choices: Vec<SubmissionChoice> = selection
            .descriptors
            .iter()
            .filter(|d| selection.needed.contains(&d.descriptor_id))
            .map(|d| SubmissionChoice {
                descriptor_id: d.descriptor_id.clone(),
                vp_index: 0,
                format: candidate.format.clone(),
            })
            .collect();
        let submission = pex::build_submission(&parsed, "submission", &Envelope::JsonVp, &choices)?;
        let _ = self
            .submission
            .set((definition.clone(), submission.clone()));
        Ok(submission)
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn random_b64<const N: usize>() -> Result<String> {
    Ok(b64(&OsRandom.bytes::<N>()?))
}

/// A code waiting for redemption: (code, PKCE verifier).
type Code = (String, String);

/// `/authorize` → the login_challenge of the 303 to `/login`; the PKCE verifier.
async fn authorize(env: &Env, http: &mut Http) -> Result<(String, String)> {
    let verifier = random_b64::<32>()?;
    let challenge = b64(&Sha256::digest(verifier.as_bytes()));
    let path = format!(
        "{}&state={}&nonce={}&code_challenge={challenge}&code_challenge_method=S256",
        env.authorize,
        random_b64::<16>()?,
        random_b64::<16>()?,
    );
    let r = http.send(env.get(path)?).await?;
    ensure!(r.status() == 303, "authorize: {}", r.status());
    let location = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| anyhow!("authorize: no location"))?;
    let lc = location
        .split_once("login_challenge=")
        .map(|(_, lc)| lc.to_owned())
        .ok_or_else(|| anyhow!("authorize: {location}"))?;
    Ok((lc, verifier))
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// `POST /api/v1/challenge` body; the fields in the order `json!` wrote them (sorted).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ChallengeAnswer<'a> {
    encrypted_challenge: &'a str,
    encryption_key_uri: &'a str,
    nonce: &'a str,
}

/// The part of the `POST /api/v1/credentials` answer the wallet follows.
#[derive(Deserialize)]
struct CredentialsAnswer<'a> {
    #[serde(borrow)]
    redirect_to: std::borrow::Cow<'a, str>,
}

/// The part of the `/token` response the driver checks.
#[derive(Deserialize)]
struct TokenResponse<'a> {
    #[serde(borrow)]
    id_token: std::borrow::Cow<'a, str>,
}

/// Checks the status of a response and returns its body.
fn expect(r: Response<Bytes>, status: u16, what: &str) -> Result<Bytes> {
    ensure!(r.status() == status, "{what}: {}", r.status());
    Ok(r.into_body())
}

/// One whole wallet login up to the code.
async fn login_to_code(env: &Env, http: &mut Http, wallet: &Wallet) -> Result<Code> {
    let t = Instant::now();
    let (lc, verifier) = authorize(env, http).await?;
    let t = step(0, t);
    // Key exchange.
    let session = X25519PrivateKey::generate(&mut OsRandom)?;
    let mk = did::key::multikey_encode(&PublicKey::X25519(session.public_key()))?;
    let session_uri = format!("did:key:{mk}#{mk}");
    let challenge_path = format!("/api/v1/challenge?login_challenge={lc}");
    let r = http.send(env.get(challenge_path.clone())?).await?;
    let c: Value = serde_json::from_slice(&expect(r, 200, "GET challenge")?)?;
    let t = step(1, t);
    let provider_uri = str_of(&c, "dAppEncryptionKeyUri")?.to_owned();
    let url = DidUrl::parse(&provider_uri)?;
    let PublicKey::X25519(provider_key) =
        did::key::multikey_decode(url.fragment().ok_or_else(|| anyhow!("no fragment"))?)?
    else {
        bail!("provider key is not X25519")
    };
    let bytes = hex_decode(str_of(&c, "challenge")?)?;
    // One key agreement (session key × provider key) for the login's three boxes.
    let session_box = SessionBox::new(&session, &provider_key)?;
    let sealed = session_box.seal_challenge(&bytes, &mut OsRandom)?;
    let answer = serde_json::to_vec(&ChallengeAnswer {
        encrypted_challenge: &sealed.encrypted_challenge,
        encryption_key_uri: &session_uri,
        nonce: &sealed.nonce,
    })?;
    let r = http.send(env.post_json(challenge_path, answer)?).await?;
    ensure!(r.status() == 204, "POST challenge: {}", r.status());
    let t = step(2, t);
    // The request.
    let credentials_path = format!("/api/v1/credentials?login_challenge={lc}");
    let r = http.send(env.get(credentials_path.clone())?).await?;
    let text = String::from_utf8(expect(r, 200, "GET credentials")?.into())?;
    let t = step(3, t);
    let encrypted = EncryptedMessage::from_json(&text)?;
    let message = session_box.decrypt(&encrypted, &provider_uri)?;
    let MessageBody::RequestCredential(content) = message.body.clone() else {
        bail!("not a request-credential")
    };
    // The presentation, chosen with PEX as the extension does.
    let mut options = PresentationOptions::new(
        str_of(&content, "challenge")?,
        str_of(&content, "domain")?,
        format_datetime(unix_now() - 1).ok_or_else(|| anyhow!("date"))?,
    );
    let definition = content
        .get("presentation_definition")
        .ok_or_else(|| anyhow!("no presentation_definition"))?;
    options.presentation_submission = Some(env.submission_for(definition, wallet)?);
    let key = HolderKey {
        verification_method: &wallet.holder.vm,
        key: &wallet.holder.key,
    };
    let vp = build_presentation(
        &key,
        vec![EmbeddedCredential::Json(wallet.credential.clone())],
        &options,
    )?;
    let vp = Value::Object(vp.into_map());
    let reply = Message::reply(
        MessageBody::SubmitCredential(vp),
        &message,
        u64::try_from(unix_now())? * 1000,
        &mut OsRandom,
    )?;
    let body = session_box
        .encrypt(&reply, &session_uri, &provider_uri, &mut OsRandom)?
        .to_json();
    let t = step(4, t);
    let r = http.send(env.post_json(credentials_path, body)?).await?;
    let answer = expect(r, 200, "POST credentials")?;
    let answer: CredentialsAnswer<'_> = serde_json::from_slice(&answer)?;
    step(5, t);
    let redirect = url::Url::parse(&answer.redirect_to)?;
    let code = redirect
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .ok_or_else(|| anyhow!("no code in redirect_to"))?;
    Ok((code, verifier))
}

/// `POST /token` for one code; checks an id_token came back.
async fn redeem(env: &Env, http: &mut Http, (code, verifier): Code) -> Result<()> {
    let t = Instant::now();
    let body = format!(
        "grant_type=authorization_code&code={}{}{verifier}",
        urlencode(&code),
        env.token_redirect
    );
    const FORM: HeaderValue = HeaderValue::from_static("application/x-www-form-urlencoded");
    let request = env.request(
        Method::POST,
        "/token".to_owned(),
        &[(AUTHORIZATION, &env.basic), (CONTENT_TYPE, &FORM)],
        Full::new(Bytes::from(body)),
    )?;
    let tokens = expect(http.send(request).await?, 200, "token")?;
    let tokens: TokenResponse<'_> = serde_json::from_slice(&tokens)
        .map_err(|e| anyhow!("token response without id_token: {e}"))?;
    ensure!(
        !tokens.id_token.is_empty(),
        "token response with an empty id_token"
    );
    step(6, t);
    Ok(())
}

async fn full_login(env: &Env, wallet: &Wallet) -> Result<()> {
    env.with_http(async |http| {
        let code = login_to_code(env, http, wallet).await?;
        redeem(env, http, code).await
    })
    .await
}

// ---------------------------------------------------------------------------
// The HTTP client

/// A request body: the whole body in one buffer.
type ReqBody = Full<Bytes>;

/// One keep-alive HTTP/1.1 connection to the provider, used by one login at a time:
/// opened on first use, opened again when the provider has closed it. Leaner than
/// `reqwest::Client` (no pool look-up, URL parsing, redirect or retry layers), so the
/// driver's CPU goes to the wallet.
struct Http {
    addr: SocketAddr,
    sender: Option<http1::SendRequest<ReqBody>>,
}

impl Http {
    fn new(addr: SocketAddr) -> Self {
        Self { addr, sender: None }
    }

    /// Sends `request` and reads the whole response.
    async fn send(&mut self, mut request: Request<ReqBody>) -> Result<Response<Bytes>> {
        let mut fresh = false;
        loop {
            let mut sender = match self.sender.take() {
                Some(sender) => sender,
                None => {
                    fresh = true;
                    Self::open(self.addr).await?
                }
            };
            // A kept-alive connection the provider closed meanwhile fails here or in
            // `try_send_request` with the request unsent: it goes on a new connection.
            if sender.ready().await.is_err() {
                ensure!(!fresh, "the provider closed a new connection");
                continue;
            }
            match sender.try_send_request(request).await {
                Ok(response) => {
                    let (parts, body) = response.into_parts();
                    let body = body.collect().await?.to_bytes();
                    self.sender = Some(sender);
                    return Ok(Response::from_parts(parts, body));
                }
                Err(mut e) => match e.take_message() {
                    Some(again) if !fresh => request = again,
                    _ => return Err(e.into_error().into()),
                },
            }
        }
    }

    async fn open(addr: SocketAddr) -> Result<http1::SendRequest<ReqBody>> {
        let tcp = TcpStream::connect(addr).await?;
        tcp.set_nodelay(true)?;
        let (sender, conn) = http1::handshake(TokioIo::new(tcp)).await?;
        tokio::spawn(conn);
        Ok(sender)
    }
}

// ---------------------------------------------------------------------------
// Phases

struct Stats {
    latencies: Vec<Duration>,
    errors: u64,
    elapsed: Duration,
}

impl Stats {
    fn per_second(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    fn print_latency(&self, what: &str) {
        let mut l = self.latencies.clone();
        l.sort_unstable();
        let at = |q: f64| {
            l.get(((l.len() as f64 * q) as usize).min(l.len().saturating_sub(1)))
                .map_or(0.0, |d| d.as_secs_f64() * 1e3)
        };
        println!(
            "  {what} (ms): p50 {:.2}  p90 {:.2}  p99 {:.2}  p99.9 {:.2}  max {:.2}",
            at(0.50),
            at(0.90),
            at(0.99),
            at(0.999),
            at(1.0)
        );
    }
}

static FIRST_ERROR: AtomicBool = AtomicBool::new(false);

/// The HTTP steps of a login, timed from the driver (request sent → response read).
const STEPS: [&str; 7] = [
    "GET /authorize",
    "GET /api/v1/challenge",
    "POST /api/v1/challenge",
    "GET /api/v1/credentials",
    "wallet: decrypt + PEX + sign VP + encrypt",
    "POST /api/v1/credentials",
    "POST /token",
];
static STEP_NANOS: [AtomicU64; 7] = [const { AtomicU64::new(0) }; 7];
static STEP_COUNT: [AtomicU64; 7] = [const { AtomicU64::new(0) }; 7];

fn step(i: usize, since: Instant) -> Instant {
    let now = Instant::now();
    STEP_NANOS[i].fetch_add(
        u64::try_from((now - since).as_nanos()).unwrap_or(u64::MAX),
        Ordering::Relaxed,
    );
    STEP_COUNT[i].fetch_add(1, Ordering::Relaxed);
    now
}

/// Prints the mean time of each step since the last call, and resets the sums.
fn print_steps() {
    for (i, name) in STEPS.iter().enumerate() {
        let n = STEP_COUNT[i].swap(0, Ordering::Relaxed);
        let ns = STEP_NANOS[i].swap(0, Ordering::Relaxed);
        if n > 0 {
            println!("    {name:<42} mean {:>8.2} ms", ns as f64 / n as f64 / 1e6);
        }
    }
}

fn note_error(e: &anyhow::Error) {
    if !FIRST_ERROR.swap(true, Ordering::Relaxed) {
        eprintln!("first error: {e:#}");
    }
}

/// Runs `concurrency` workers that take job numbers 0, 1, 2, … while `more(i)` holds
/// and run `op(env, i)` for each; collects each success with its latency and counts
/// the failures (the first one is printed).
async fn run_workers<T, F, Fut>(
    env: &Arc<Env>,
    concurrency: usize,
    more: impl Fn(usize) -> bool + Send + Sync + 'static,
    op: F,
) -> Result<(Vec<(Duration, T)>, u64)>
where
    T: Send + 'static,
    F: Fn(Arc<Env>, usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T>> + Send,
{
    let next = Arc::new(AtomicU64::new(0));
    let more = Arc::new(more);
    let op = Arc::new(op);
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (env, next, more, op) = (
            Arc::clone(env),
            Arc::clone(&next),
            Arc::clone(&more),
            Arc::clone(&op),
        );
        tasks.push(tokio::spawn(async move {
            let mut done = Vec::new();
            let mut errors = 0u64;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                if !more(i) {
                    break;
                }
                let t = Instant::now();
                match op(Arc::clone(&env), i).await {
                    Ok(value) => done.push((t.elapsed(), value)),
                    Err(e) => {
                        note_error(&e);
                        errors += 1;
                    }
                }
            }
            (done, errors)
        }));
    }
    let mut done = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (d, e) = t.await?;
        done.extend(d);
        errors += e;
    }
    Ok((done, errors))
}

/// The wallet for job `i` (the workers cycle through the holders).
fn wallet_for(env: &Env, i: usize) -> Arc<Wallet> {
    Arc::clone(&env.wallets[i % env.wallets.len()])
}

async fn closed_loop(env: &Arc<Env>, concurrency: usize, duration: Duration) -> Result<Stats> {
    let started = Instant::now();
    let deadline = started + duration;
    let (done, errors) = run_workers(
        env,
        concurrency,
        move |_| Instant::now() < deadline,
        |env, i| async move { full_login(&env, &wallet_for(&env, i)).await },
    )
    .await?;
    Ok(Stats {
        latencies: done.into_iter().map(|(d, ())| d).collect(),
        errors,
        elapsed: started.elapsed(),
    })
}

async fn open_loop(env: &Arc<Env>, rate: u64, duration: Duration) -> Result<Stats> {
    let interval = Duration::from_secs_f64(1.0 / rate.max(1) as f64);
    let total = (duration.as_secs_f64() * rate as f64) as u64;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..total {
        let scheduled = started + interval.mul_f64(i as f64);
        tokio::time::sleep_until(scheduled.into()).await;
        let env = Arc::clone(env);
        tasks.push(tokio::spawn(async move {
            full_login(&env, &wallet_for(&env, i as usize))
                .await
                .map(|()| scheduled.elapsed())
        }));
    }
    let mut stats = Stats {
        latencies: Vec::new(),
        errors: 0,
        elapsed: Duration::ZERO,
    };
    for t in tasks {
        match t.await? {
            Ok(latency) => stats.latencies.push(latency),
            Err(e) => {
                note_error(&e);
                stats.errors += 1;
            }
        }
    }
    stats.elapsed = started.elapsed();
    Ok(stats)
}

async fn make_codes(env: &Arc<Env>, concurrency: usize, n: usize) -> Result<Vec<Code>> {
    let (done, _) = run_workers(
        env,
        concurrency,
        move |i| i < n,
        |env, i| async move {
            let wallet = wallet_for(&env, i);
            env.with_http(async |http| login_to_code(&env, http, &wallet).await)
                .await
        },
    )
    .await?;
    Ok(done.into_iter().map(|(_, code)| code).collect())
}

async fn redeem_codes(env: &Arc<Env>, concurrency: usize, codes: Vec<Code>) -> Result<Stats> {
    let n = codes.len();
    let codes = Arc::new(codes);
    let started = Instant::now();
    let (done, errors) = run_workers(
        env,
        concurrency,
        move |i| i < n,
        move |env, i| {
            let code = codes[i].clone();
            async move {
                env.with_http(async |http| redeem(&env, http, code).await)
                    .await
            }
        },
    )
    .await?;
    Ok(Stats {
        latencies: done.into_iter().map(|(d, ())| d).collect(),
        errors,
        elapsed: started.elapsed(),
    })
}

async fn idle_sessions(
    env: &Arc<Env>,
    provider: &ProviderProcess,
    concurrency: usize,
    n: usize,
) -> Result<()> {
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_before = provider.rss_kib()?;
    let db_before = provider.db_bytes();
    let (done, _) = run_workers(
        env,
        concurrency,
        move |i| i < n,
        |env, _| async move {
            env.with_http(async |http| authorize(&env, http).await)
                .await
        },
    )
    .await?;
    let made = done.len() as u64;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_after = provider.rss_kib()?;
    let db_after = provider.db_bytes();
    println!(
        "\n[idle] {made} idle login sessions: provider RSS {rss_before} → {rss_after} KiB \
         ({:.1} bytes/session), database {db_before} → {db_after} bytes ({:.0} bytes/session)",
        (rss_after.saturating_sub(rss_before) * 1024) as f64 / made.max(1) as f64,
        db_after.saturating_sub(db_before) as f64 / made.max(1) as f64,
    );
    Ok(())
}

// ---------------------------------------------------------------------------
// CPU accounting from /proc

struct CpuMeter {
    pid: u32,
    provider: u64,
    driver: u64,
    wall: Instant,
}

/// utime + stime of a process, in clock ticks.
fn cpu_ticks(pid: &str) -> Result<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the parenthesised command name; utime and stime are 14 and 15.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, r)| r)
        .ok_or_else(|| anyhow!("bad stat"))?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11).ok_or_else(|| anyhow!("bad stat"))?.parse()?;
    let stime: u64 = fields.get(12).ok_or_else(|| anyhow!("bad stat"))?.parse()?;
    Ok(utime + stime)
}

const TICKS_PER_SEC: f64 = 100.0;

impl CpuMeter {
    fn start(pid: u32) -> Result<Self> {
        Ok(Self {
            pid,
            provider: cpu_ticks(&pid.to_string())?,
            driver: cpu_ticks("self")?,
            wall: Instant::now(),
        })
    }

    fn report(self, operations: usize) -> Result<()> {
        let provider =
            cpu_ticks(&self.pid.to_string())?.saturating_sub(self.provider) as f64 / TICKS_PER_SEC;
        let driver = cpu_ticks("self")?.saturating_sub(self.driver) as f64 / TICKS_PER_SEC;
        let wall = self.wall.elapsed().as_secs_f64();
        let ops = operations.max(1) as f64;
        println!(
            "  CPU: provider {:.2} s ({:.0}% of one core, {:.0} µs/op), driver {:.2} s \
             ({:.0}%, {:.0} µs/op) over {wall:.1} s wall",
            provider,
            provider / wall * 100.0,
            provider / ops * 1e6,
            driver,
            driver / wall * 100.0,
            driver / ops * 1e6,
        );
        Ok(())
    }
}

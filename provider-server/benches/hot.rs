//! Criterion benchmarks of the provider's hot paths, in process:
//! `cargo bench -p provider-server --bench hot`.
//!
//! - one SQLite statement through the connection the server uses (read and write),
//! - id_token signing (EdDSA, ES256, RS256 through aws-lc-rs),
//! - the CORS middleware of the client endpoints (`provider_server::cors`): one
//!   request through a router with and without it, with and without `Origin`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use provider_server::db::Db;
use serde_json::{Map, Value, json};
use wallet_core::jws::Algorithm;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn database(c: &mut Criterion) {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/bench.db?mode=rwc", dir.path().display());
    let db = rt.block_on(Db::connect(&url)).unwrap();
    rt.block_on(
        provider_server::db::query("INSERT INTO settings (name, value) VALUES ('bench', 'x')")
            .execute(&db),
    )
    .unwrap();
    c.bench_function("sqlite select one row (server connection)", |b| {
        b.to_async(&rt).iter(|| async {
            db.setting("bench").await.unwrap();
        });
    });
    let mut i = 0u64;
    c.bench_function("sqlite insert one row (server connection)", |b| {
        b.to_async(&rt).iter(|| {
            i += 1;
            let name = format!("k{i}");
            let db = &db;
            async move {
                provider_server::db::query("INSERT INTO settings (name, value) VALUES ($1, 'v')")
                    .bind(name)
                    .execute(db)
                    .await
                    .unwrap();
            }
        });
    });
}

fn id_tokens(c: &mut Criterion) {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/bench.db?mode=rwc", dir.path().display());
    let config = provider_server::config::Config::for_tests("http://localhost:8080", &url);
    let state = rt.block_on(provider_server::AppState::new(config)).unwrap();
    let keys = state.keys.get().unwrap();
    let claims: Map<String, Value> = json!({
        "iss": "http://localhost:8080", "sub": "abc", "aud": "client", "iat": 1, "exp": 2,
        "nonce": "n", "email": "holder@example.com"
    })
    .as_object()
    .unwrap()
    .clone();
    for alg in [Algorithm::EdDSA, Algorithm::ES256, Algorithm::RS256] {
        let key = keys.current(alg).unwrap();
        c.bench_function(&format!("id_token sign {alg:?}"), |b| {
            b.iter(|| key.sign_jwt(&claims).unwrap());
        });
    }
}

fn cors(c: &mut Criterion) {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt as _;

    let rt = runtime();
    let handler = || async { "{}" };
    let plain = axum::Router::new().route("/token", axum::routing::post(handler));
    let layered = axum::Router::new()
        .route("/token", axum::routing::post(handler))
        .layer(axum::middleware::from_fn(
            provider_server::cors::client_endpoint,
        ));
    let request = |origin: bool| {
        let mut r = Request::post("/token");
        if origin {
            r = r.header("origin", "https://app.example");
        }
        r.body(Body::empty()).unwrap()
    };
    for (name, router, origin) in [
        ("router without the CORS layer", &plain, false),
        ("router with the CORS layer, no Origin", &layered, false),
        ("router with the CORS layer, Origin", &layered, true),
    ] {
        c.bench_function(name, |b| {
            b.to_async(&rt)
                .iter(|| async { router.clone().oneshot(request(origin)).await.unwrap() });
        });
    }
}

criterion_group!(benches, database, id_tokens, cors);
criterion_main!(benches);

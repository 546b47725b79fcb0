//! Status lists are fetched over HTTPS too (W3C Bitstring Status List §3.2: the
//! `statusListCredential` URL is usually `https:`): the fetcher speaks TLS (rustls
//! with the Mozilla roots) and refuses a server whose certificate it cannot verify.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use provider_server::credentials::status::HttpStatusLists;
use tokio::io::AsyncReadExt as _;
use wallet_core::status_list::{StatusError, StatusListSource as _};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_status_list_is_fetched_over_tls_and_untrusted_servers_are_refused() {
    // A loopback server that records the first bytes a client sends, then hangs up.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let first = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 3];
        socket.read_exact(&mut buf).await.unwrap();
        buf
    });
    let lists = HttpStatusLists::new().unwrap();
    let url = format!("https://127.0.0.1:{port}/status/1");
    let result =
        tokio::task::spawn_blocking(move || lists.status_list_credential(&url).map(|_| ()))
            .await
            .unwrap();
    // The client opened with a TLS handshake record (content type 22, version 3.x) …
    let bytes = tokio::time::timeout(std::time::Duration::from_secs(10), first)
        .await
        .expect("the fetcher never connected")
        .unwrap();
    assert_eq!(bytes[0], 0x16, "not a TLS handshake: {bytes:?}");
    assert_eq!(bytes[1], 0x03);
    // … and, the server being no TLS server, the list is unavailable, not trusted.
    match result {
        Err(StatusError::Retrieval { url, reason }) => {
            assert!(url.starts_with("https://127.0.0.1:"), "{url}");
            assert!(reason.starts_with("request failed"), "{reason}");
        }
        other => panic!("expected a retrieval error, got {other:?}"),
    }
}

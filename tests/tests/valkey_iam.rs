//! IAM authentication to the cache, as ElastiCache Serverless has it: `rediss://` with the server's
//! certificate verified, and `AUTH <user> <token>` where the token is a SigV4-presigned `connect` request
//! signed with the function's credentials — no password configured anywhere. A TLS-terminating proxy (with
//! a certificate from a test CA the process trusts through `SSL_CERT_FILE`) stands in front of a real
//! Valkey that knows the user, and records what the client sent.
//!
//! Its own test binary: it sets process-wide environment (the trusted CA, AWS credentials) before anything
//! else runs.

use gluelinks_core::config::Env;
use gluelinks_emulator::project::{repo_root, temp_dir};
use gluelinks_emulator::tls::Authority;
use gluelinks_links::cache::Cache;
use gluelinks_tests::harness::install_crypto;
use gluelinks_tests::servers::Valkey;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Accepts TLS on a free port with `authority`'s certificate for 127.0.0.1 and pipes each connection to
/// `backend`, keeping the first bytes each client sent.
async fn tls_proxy(authority: &Authority, backend: u16, seen: Arc<Mutex<Vec<u8>>>) -> u16 {
    let acceptor = tokio_rustls::TlsAcceptor::from(authority.server_config(&authority.server()));
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let acceptor = acceptor.clone();
            let seen = seen.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Ok(plain) = TcpStream::connect(("127.0.0.1", backend)).await else {
                    return;
                };
                let (mut from_client, mut to_client) = tokio::io::split(tls);
                let (mut from_server, mut to_server) = plain.into_split();
                let upstream = async {
                    let mut buf = vec![0u8; 4096];
                    loop {
                        let n = match from_client.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        {
                            let mut seen = seen.lock().unwrap();
                            if seen.len() < 16_384 {
                                seen.extend_from_slice(&buf[..n]);
                            }
                        }
                        if to_server.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                };
                let downstream = tokio::io::copy(&mut from_server, &mut to_client);
                let _ = tokio::join!(upstream, downstream);
            });
        }
    });
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cache_connects_over_verified_tls_with_a_signed_iam_token() {
    install_crypto();
    let authority = Authority::new();
    let ca = temp_dir("valkey-iam").join("ca.pem");
    std::fs::write(&ca, &authority.ca_pem).unwrap();
    // Set before any client is built (this binary's only test).
    std::env::set_var("SSL_CERT_FILE", &ca);
    std::env::set_var("AWS_ACCESS_KEY_ID", "AKIDIAMTEST");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "iam-test-secret-key-never-sent");
    std::env::set_var("AWS_REGION", "us-east-1");

    let valkey = Valkey::start();
    // The ElastiCache user, with the template's own access string (ElastiCache checks the token; here
    // any password passes): the cache's commands must all be allowed by it.
    let template = std::fs::read_to_string(repo_root().join("template.yaml")).unwrap();
    let user = &template[template.find("\n  CacheAppUser:\n").unwrap()..];
    let access = user
        .lines()
        .find_map(|l| l.trim().strip_prefix("AccessString: "))
        .unwrap()
        .trim_matches('"');
    let mut acl = vec!["ACL", "SETUSER", "gluelinks-app", "reset", "nopass"];
    acl.extend(access.split_whitespace());
    assert_eq!(valkey.cli(&acl).trim(), "OK");
    let valkey_port: u16 = valkey.url.rsplit(':').next().unwrap().parse().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let port = tls_proxy(&authority, valkey_port, seen.clone()).await;

    let env = |url: &str| {
        Env::from_pairs([
            ("VALKEY_URL", url),
            ("VALKEY_IAM_USER", "gluelinks-app"),
            ("VALKEY_CACHE_NAME", "gluelinks-links"),
            ("VALKEY_TIMEOUT_MS", "2000"),
        ])
    };
    // A token is never sent over plain TCP.
    let plain = Cache::from_env(&env(&valkey.url)).err().unwrap();
    assert_eq!(plain.name, "VALKEY_URL");

    let cache = Cache::from_env(&env(&format!("rediss://127.0.0.1:{port}"))).unwrap();
    cache
        .ping()
        .await
        .expect("a verified TLS connection, authenticated as the IAM user");
    let settings = gluelinks_links_model::LinkSettings::from_env(&Env::default()).unwrap();
    let payload = gluelinks_links_model::fixtures::fixture("all-ok", "app", &settings).unwrap();
    cache.put("gluelinks:v1:demo:argocd:app", &payload).await;
    assert_eq!(
        cache
            .get("gluelinks:v1:demo:argocd:app")
            .await
            .map(|h| h.payload),
        Some(payload.clone())
    );
    // The warmer's pipelined writes, under the same user.
    cache
        .put_many(
            &[("gluelinks:v1:demo:argocd:other".to_string(), &payload)],
            std::time::Duration::from_secs(60),
        )
        .await
        .expect("pipelined writes are allowed");
    assert!(cache.get("gluelinks:v1:demo:argocd:other").await.is_some());
    let clients = valkey.cli(&["CLIENT", "LIST"]);
    assert!(clients.contains("user=gluelinks-app"), "{clients}");

    // A server whose certificate no trusted authority signed is refused before anything is sent.
    let stranger = Authority::new();
    let unseen = Arc::new(Mutex::new(Vec::new()));
    let forged = tls_proxy(&stranger, valkey_port, unseen.clone()).await;
    let refused = Cache::from_env(&env(&format!("rediss://127.0.0.1:{forged}"))).unwrap();
    assert!(
        refused.ping().await.is_err(),
        "an untrusted certificate is refused"
    );
    assert!(unseen.lock().unwrap().is_empty(), "no token reached it");

    // What went over the wire: AUTH (inside HELLO or alone) with the user and a presigned connect token.
    let sent = String::from_utf8_lossy(&seen.lock().unwrap()).to_string();
    let token = sent
        .split("\r\n")
        .find(|l| l.starts_with("gluelinks-links/?Action=connect"))
        .unwrap_or_else(|| panic!("no IAM token sent: {sent:?}"))
        .to_string();
    for part in [
        "User=gluelinks-app",
        "ResourceType=ServerlessCache",
        "X-Amz-Algorithm=AWS4-HMAC-SHA256",
        "X-Amz-Credential=AKIDIAMTEST%2F",
        "%2Fus-east-1%2Felasticache%2Faws4_request",
        "X-Amz-Expires=900",
        "X-Amz-Signature=",
    ] {
        assert!(token.contains(part), "{part} in {token}");
    }
    assert!(
        sent.contains("gluelinks-app\r\n"),
        "the user is named: {sent:?}"
    );
    assert!(
        !sent.contains("iam-test-secret-key-never-sent"),
        "the secret key is never sent"
    );
}

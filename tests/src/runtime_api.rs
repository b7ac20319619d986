//! A stand-in for the AWS Lambda Runtime API: the HTTP interface a function's `bootstrap` polls for its
//! next event and posts its answer to, as Lambda runs it. The tests start a function's release binary
//! against it (under `qemu-aarch64` for the arm64 build that ships), hand it the sample events, and read
//! its answers; the benchmark times its init (process start to its first poll for an event), its first
//! request, and reads its peak memory.
//!
//! Served: `GET /2018-06-01/runtime/invocation/next`, `POST …/invocation/{id}/response`,
//! `POST …/invocation/{id}/error` and `POST /2018-06-01/runtime/init/error`, with the headers Lambda
//! sends (`Lambda-Runtime-Aws-Request-Id`, `-Deadline-Ms`, `-Invoked-Function-Arn`, `-Trace-Id`).

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::net::TcpListener;
use tokio::sync::{oneshot, Notify};
use tokio::task::JoinHandle;

const PREFIX: &str = "/2018-06-01/runtime";

/// What a function answered to one event.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// `…/response`: the handler's result, as JSON.
    Response(Value),
    /// `…/error`: the runtime's error report.
    Error(Value),
}

#[derive(Default)]
struct State {
    queue: Mutex<VecDeque<(String, Value)>>,
    queued: Notify,
    waiting: Mutex<HashMap<String, oneshot::Sender<Answer>>>,
    first_poll: Mutex<Option<Instant>>,
    init_error: Mutex<Option<Value>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

static REQUEST_IDS: AtomicU64 = AtomicU64::new(1);

/// The Runtime API stand-in, on a free loopback port until dropped.
pub struct RuntimeApi {
    state: Arc<State>,
    addr: SocketAddr,
    server: JoinHandle<()>,
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

type Reply = Response<Full<Bytes>>;

fn reply(status: u16, body: Vec<u8>) -> Reply {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = hyper::StatusCode::from_u16(status).expect("a status");
    response
}

async fn handle(state: Arc<State>, req: Request<Incoming>) -> Result<Reply, hyper::Error> {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let body = req.into_body().collect().await?.to_bytes();
    let json = || serde_json::from_slice::<Value>(&body).unwrap_or(Value::Null);
    let Some(rest) = path.strip_prefix(PREFIX) else {
        return Ok(reply(404, b"{}".to_vec()));
    };
    let segments: Vec<&str> = rest.trim_matches('/').split('/').collect();
    Ok(match (method.as_str(), segments.as_slice()) {
        ("GET", ["invocation", "next"]) => {
            lock(&state.first_poll).get_or_insert_with(Instant::now);
            let (id, event) = loop {
                let notified = state.queued.notified();
                if let Some(next) = lock(&state.queue).pop_front() {
                    break next;
                }
                notified.await;
            };
            let deadline = SystemTime::now() + Duration::from_secs(30);
            let deadline_ms = deadline
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_millis();
            let mut response = reply(200, serde_json::to_vec(&event).expect("JSON"));
            let headers = response.headers_mut();
            let set = |h: &mut hyper::HeaderMap, k: &'static str, v: String| {
                h.insert(k, v.parse().expect("a header value"));
            };
            set(headers, "lambda-runtime-aws-request-id", id);
            set(
                headers,
                "lambda-runtime-deadline-ms",
                deadline_ms.to_string(),
            );
            set(
                headers,
                "lambda-runtime-invoked-function-arn",
                "arn:aws:lambda:us-east-1:123456789012:function:gluelinks-test".into(),
            );
            set(
                headers,
                "lambda-runtime-trace-id",
                "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0".into(),
            );
            set(headers, "content-type", "application/json".into());
            response
        }
        ("POST", ["invocation", id, "response"]) => {
            if let Some(waiter) = lock(&state.waiting).remove(*id) {
                let _ = waiter.send(Answer::Response(json()));
            }
            reply(202, b"{\"status\":\"OK\"}".to_vec())
        }
        ("POST", ["invocation", id, "error"]) => {
            if let Some(waiter) = lock(&state.waiting).remove(*id) {
                let _ = waiter.send(Answer::Error(json()));
            }
            reply(202, b"{\"status\":\"OK\"}".to_vec())
        }
        ("POST", ["init", "error"]) => {
            *lock(&state.init_error) = Some(json());
            reply(202, b"{\"status\":\"OK\"}".to_vec())
        }
        _ => reply(404, b"{}".to_vec()),
    })
}

impl RuntimeApi {
    pub async fn start() -> Self {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("a loopback port");
        let addr = listener.local_addr().expect("a local address");
        let state = Arc::new(State::default());
        let served = state.clone();
        let server = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let state = served.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| handle(state.clone(), req));
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(tcp), service)
                        .await;
                });
            }
        });
        Self {
            state,
            addr,
            server,
        }
    }

    /// `AWS_LAMBDA_RUNTIME_API` for a function to reach this stand-in.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// When the function first asked for an event: the end of its init.
    pub fn first_poll(&self) -> Option<Instant> {
        *lock(&self.state.first_poll)
    }

    /// What the function reported at `/init/error`, if it failed to start.
    pub fn init_error(&self) -> Option<Value> {
        lock(&self.state.init_error).clone()
    }

    /// Hands `event` to the function and waits up to `timeout` for its answer.
    pub async fn invoke(&self, event: Value, timeout: Duration) -> Result<Answer, String> {
        let id = format!(
            "00000000-0000-4000-8000-{:012}",
            REQUEST_IDS.fetch_add(1, Ordering::SeqCst)
        );
        let (sender, answer) = oneshot::channel();
        lock(&self.state.waiting).insert(id.clone(), sender);
        lock(&self.state.queue).push_back((id.clone(), event));
        self.state.queued.notify_one();
        match tokio::time::timeout(timeout, answer).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(_)) => Err(format!("request {id}: the stand-in dropped it")),
            Err(_) => Err(format!(
                "request {id}: no answer within {timeout:?}{}",
                self.init_error()
                    .map(|e| format!(" (init error: {e})"))
                    .unwrap_or_default()
            )),
        }
    }
}

/// A function's `bootstrap` running against a [`RuntimeApi`]: natively, or under `qemu-aarch64` for an
/// arm64 build on another machine.
pub struct Bootstrap {
    child: tokio::process::Child,
    pub started: Instant,
}

/// How to run an arm64 binary here: directly on arm64, else under Debian's `qemu-aarch64` with its
/// arm64 libc; `None` when neither is possible.
pub fn arm64_runner() -> Option<Vec<String>> {
    if cfg!(target_arch = "aarch64") {
        return Some(Vec::new());
    }
    let qemu = ["/usr/bin/qemu-aarch64", "/usr/bin/qemu-aarch64-static"]
        .into_iter()
        .find(|p| Path::new(p).exists())?;
    let sysroot = Path::new("/usr/aarch64-linux-gnu");
    sysroot
        .exists()
        .then(|| vec![qemu.to_string(), "-L".into(), sysroot.display().to_string()])
}

impl Bootstrap {
    /// Starts `binary` (prefixed by `runner`, e.g. qemu) with `env` and the Lambda variables a function
    /// sees, pointed at `api`.
    pub fn start(
        runner: &[String],
        binary: &Path,
        function: &str,
        api: &RuntimeApi,
        env: &[(&str, &str)],
    ) -> Self {
        let (program, args): (&str, Vec<String>) = match runner.split_first() {
            Some((first, rest)) => {
                let mut args = rest.to_vec();
                args.push(binary.display().to_string());
                (first.as_str(), args)
            }
            None => (binary.to_str().expect("a UTF-8 path"), Vec::new()),
        };
        let mut command = tokio::process::Command::new(program);
        command
            .args(args)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("AWS_LAMBDA_RUNTIME_API", api.address())
            .env("AWS_LAMBDA_FUNCTION_NAME", function)
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .env(
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/{function}"),
            )
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "2026/11/26/[$LATEST]test")
            .env("AWS_REGION", "us-east-1")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let started = Instant::now();
        let child = command.spawn().expect("the bootstrap starts");
        Self { child, started }
    }

    /// Whether the process has ended (a crash at init, say).
    pub fn exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// The process's peak resident memory so far, in KiB (Linux `VmHWM`).
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let pid = self.child.id()?;
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()?
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }

    /// Stops the process and returns everything it wrote (its log lines).
    pub async fn stop(mut self) -> String {
        let _ = self.child.start_kill();
        match self.child.wait_with_output().await {
            Ok(out) => format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
            Err(e) => format!("(no output: {e})"),
        }
    }
}

//! A TCP proxy in front of a real server (Valkey, moto's Secrets Manager) that injects what a network and
//! a sick server do: stop listening, answer slowly, never answer, reset connections mid-request, or (for
//! HTTP upstreams) answer an error status. The mode can change while clients are connected; a change ends
//! every open connection, as a restarted or failing server would.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

/// What the proxy does to each connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Forward both ways.
    Pass,
    /// Nothing listens: connections are refused.
    Stopped,
    /// Forward, holding back each answer of the server's this long.
    Slow(Duration),
    /// Accept and read, never answer.
    Silent,
    /// Read the client's first request, then drop the connection with a TCP reset, no answer.
    ResetMidRequest,
    /// Answer every HTTP request with this status and an AWS JSON error of this type, then close.
    AwsError(u16, &'static str),
}

struct Inner {
    mode: Mode,
    listener: Option<AbortHandle>,
    connections: Vec<AbortHandle>,
}

/// The proxy; stops listening when dropped.
pub struct FaultProxy {
    pub addr: SocketAddr,
    upstream: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

fn lock(m: &Mutex<Inner>) -> std::sync::MutexGuard<'_, Inner> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl FaultProxy {
    /// Listens on a free loopback port in front of `upstream`, passing traffic through.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let addr = listener.local_addr().expect("bound");
        let inner = Arc::new(Mutex::new(Inner {
            mode: Mode::Pass,
            listener: None,
            connections: Vec::new(),
        }));
        let proxy = Self {
            addr,
            upstream,
            inner,
        };
        proxy.listen(listener);
        proxy
    }

    /// The proxy's address as a URL with `scheme` (`redis`, `http`).
    pub fn url(&self, scheme: &str) -> String {
        format!("{scheme}://{}", self.addr)
    }

    /// Switches to `mode`, ending every open connection.
    pub async fn set(&self, mode: Mode) {
        let relisten = {
            let mut inner = lock(&self.inner);
            for c in inner.connections.drain(..) {
                c.abort();
            }
            let was_stopped = inner.mode == Mode::Stopped;
            if mode == Mode::Stopped {
                if let Some(l) = inner.listener.take() {
                    l.abort();
                }
            }
            inner.mode = mode.clone();
            was_stopped && mode != Mode::Stopped
        };
        if mode == Mode::Stopped {
            // Wait until the kernel refuses connections.
            for _ in 0..100 {
                if TcpStream::connect(self.addr).await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        if relisten {
            let listener = TcpListener::bind(self.addr).await.expect("the same port");
            self.listen(listener);
        }
    }

    fn listen(&self, listener: TcpListener) {
        let inner = self.inner.clone();
        let upstream = self.upstream;
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let mode = lock(&inner).mode.clone();
                let handle = tokio::spawn(serve(client, upstream, mode)).abort_handle();
                let mut guard = lock(&inner);
                guard.connections.retain(|c| !c.is_finished());
                guard.connections.push(handle);
            }
        });
        lock(&self.inner).listener = Some(task.abort_handle());
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        let mut inner = lock(&self.inner);
        if let Some(l) = inner.listener.take() {
            l.abort();
        }
        for c in inner.connections.drain(..) {
            c.abort();
        }
    }
}

async fn serve(mut client: TcpStream, upstream: SocketAddr, mode: Mode) {
    let mut first = [0u8; 16 * 1024];
    match mode {
        Mode::Pass | Mode::Stopped => relay(client, upstream, Duration::ZERO).await,
        Mode::Slow(delay) => relay(client, upstream, delay).await,
        Mode::Silent => while matches!(client.read(&mut first).await, Ok(n) if n > 0) {},
        Mode::ResetMidRequest => {
            let _ = client.read(&mut first).await;
            reset(client);
        }
        Mode::AwsError(status, kind) => {
            let _ = client.read(&mut first).await;
            let body =
                format!(r#"{{"__type":"{kind}","message":"injected by the test's fault proxy"}}"#);
            let answer = format!(
                "HTTP/1.1 {status} Injected\r\ncontent-type: application/x-amz-json-1.1\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = client.write_all(answer.as_bytes()).await;
        }
    }
}

/// Drops `stream` with a TCP reset rather than an orderly close.
fn reset(stream: TcpStream) {
    let _ = stream.set_zero_linger();
    drop(stream);
}

async fn relay(client: TcpStream, upstream: SocketAddr, delay: Duration) {
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    // Set by each request the client sends; the answer's first chunk waits `delay` and clears it.
    let asked = std::sync::atomic::AtomicBool::new(false);
    let up = async {
        let mut buf = [0u8; 16 * 1024];
        while let Ok(n) = client_read.read(&mut buf).await {
            if n == 0 {
                break;
            }
            asked.store(true, std::sync::atomic::Ordering::SeqCst);
            if server_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
        let _ = server_write.shutdown().await;
    };
    let down = async {
        let mut buf = [0u8; 16 * 1024];
        while let Ok(n) = server_read.read(&mut buf).await {
            if n == 0 {
                break;
            }
            if asked.swap(false, std::sync::atomic::Ordering::SeqCst) {
                tokio::time::sleep(delay).await;
            }
            if client_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
        let _ = client_write.shutdown().await;
    };
    tokio::join!(up, down);
}

//! A TCP proxy in front of a real server (Valkey, moto's Secrets Manager) that injects what a network and
//! a sick server do: stop listening, answer slowly, never answer, reset connections mid-request, or (for
//! HTTP upstreams) answer an error status. The mode can change while clients are connected; a change ends
//! every open connection, as a restarted or failing server would.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

/// What the proxy does. A change applies to open connections too, from their next request or answer:
/// a server that slows down or stops answering does so for the clients already connected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Forward both ways.
    Pass,
    /// Nothing listens, and the open connections are closed: connections are refused.
    Stopped,
    /// Forward, holding back each answer of the server's this long.
    Slow(Duration),
    /// Take requests, never answer.
    Silent,
    /// Take the next request, then drop the connection with a TCP reset, no answer.
    ResetMidRequest,
    /// Answer each new connection's HTTP request with this status and body, then close (open connections
    /// are left as they are: set it before the client connects).
    Answer(u16, String),
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

    /// Switches to `mode`; stopping also ends every open connection.
    pub async fn set(&self, mode: Mode) {
        let relisten = {
            let mut inner = lock(&self.inner);
            let was_stopped = inner.mode == Mode::Stopped;
            if mode == Mode::Stopped {
                if let Some(l) = inner.listener.take() {
                    l.abort();
                }
                for c in inner.connections.drain(..) {
                    c.abort();
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
                let handle = tokio::spawn(serve(client, upstream, inner.clone())).abort_handle();
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

async fn serve(mut client: TcpStream, upstream: SocketAddr, inner: Arc<Mutex<Inner>>) {
    let mode = || lock(&inner).mode.clone();
    if let Mode::Answer(status, body) = mode() {
        let mut request = [0u8; 16 * 1024];
        let _ = client.read(&mut request).await;
        let answer = format!(
            "HTTP/1.1 {status} Injected\r\ncontent-type: application/x-amz-json-1.1\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = client.write_all(answer.as_bytes()).await;
        return;
    }
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        return;
    };
    let reset = {
        let (mut client_read, mut client_write) = client.split();
        let (mut server_read, mut server_write) = server.split();
        // Set by each request the client sends; the answer's first chunk waits in `Slow` and clears it.
        let asked = AtomicBool::new(false);
        let up = async {
            let mut buf = [0u8; 16 * 1024];
            loop {
                let n = match client_read.read(&mut buf).await {
                    Ok(n) if n > 0 => n,
                    _ => return false,
                };
                match mode() {
                    Mode::ResetMidRequest => return true,
                    Mode::Silent => continue,
                    _ => {}
                }
                asked.store(true, Ordering::SeqCst);
                if server_write.write_all(&buf[..n]).await.is_err() {
                    return false;
                }
            }
        };
        let down = async {
            let mut buf = [0u8; 16 * 1024];
            loop {
                let n = match server_read.read(&mut buf).await {
                    Ok(n) if n > 0 => n,
                    _ => return false,
                };
                match mode() {
                    Mode::Silent => continue,
                    Mode::Slow(delay) if asked.swap(false, Ordering::SeqCst) => {
                        tokio::time::sleep(delay).await
                    }
                    _ => {}
                }
                if client_write.write_all(&buf[..n]).await.is_err() {
                    return false;
                }
            }
        };
        tokio::select! {
            reset = up => reset,
            reset = down => reset,
        }
    };
    if reset {
        // A reset rather than an orderly close.
        let _ = client.set_zero_linger();
    }
}

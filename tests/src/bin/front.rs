//! `make run`'s front door, an HTTP proxy in front of `cargo lambda watch`, for two defects of that local
//! runtime (the deployed API has neither):
//! - it stops answering when about 50 or more requests arrive at once: it answers some, then every later
//!   request (health included) times out until it is restarted. With 48 requests at a time it answers
//!   thousands a second. So at most `--max` requests (32) go through at once; the others wait their turn.
//! - it loses a large response now and then: about 2 in 100 requests for a 300 KB docs asset are answered
//!   with its own `500 {"type":"https://httpstatuses.com/500",...}` though the function answered 200 (its
//!   runtime API acknowledges a function's response before reading its body). A `GET` or `HEAD` answered
//!   so is sent again, up to [`ATTEMPTS`] times; nothing else is retried (our functions never answer in
//!   that shape). Now and then it loses one without a word instead: the request is never answered. A `GET`
//!   or `HEAD` with no answer after 4 s is sent again beside the first, and whichever answers first is
//!   the answer.
//!
//! It also refuses `cargo lambda watch`'s own invoke endpoint (`/2015-03-31/…`), where a caller could hand
//! a function any event, request context included.
//!
//! `front --listen 127.0.0.1:8000 --upstream 127.0.0.1:9300 [--max 32]`

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::sync::Arc;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

/// How many times a lost response is asked for.
const ATTEMPTS: usize = 3;
/// How long a `GET` or `HEAD` waits before it is asked again (see [`hedged`]): our functions answer the
/// demo cluster in milliseconds.
const HEDGE_AFTER: std::time::Duration = std::time::Duration::from_secs(4);
/// How `cargo lambda watch` starts the body of a 500 of its own.
const EMULATOR_500: &[u8] = br#"{"type":"https://httpstatuses.com/500""#;
/// Its invoke endpoint, which takes whole events.
const INVOKE_PATH: &str = "/2015-03-31/";

type Reply = Response<Full<Bytes>>;

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn plain(status: StatusCode, text: &str) -> Reply {
    let mut reply = Response::new(Full::new(Bytes::from(text.to_string())));
    *reply.status_mut() = status;
    reply
}

/// One exchange with the watch server, its answer read whole.
async fn send(
    upstream: &str,
    req: Request<Full<Bytes>>,
) -> Result<(hyper::http::response::Parts, Bytes), String> {
    let stream = TcpStream::connect(upstream)
        .await
        .map_err(|e| e.to_string())?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    let answer = sender.send_request(req).await.map_err(|e| e.to_string())?;
    let (parts, body) = answer.into_parts();
    let body = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
    Ok((parts, body))
}

async fn relay(upstream: &str, req: Request<Incoming>) -> Reply {
    if req.uri().path().starts_with(INVOKE_PATH) {
        return plain(
            StatusCode::NOT_FOUND,
            "the invoke endpoint is not served here",
        );
    }
    let (parts, body) = req.into_parts();
    let Ok(body) = body.collect().await.map(|b| b.to_bytes()) else {
        return plain(
            StatusCode::BAD_REQUEST,
            "the request body could not be read",
        );
    };
    forward(upstream, parts, body).await
}

/// A request, read whole, sent on to the watch server; a `GET` or `HEAD` asked again when the watch server
/// loses its answer.
async fn forward(upstream: &str, parts: hyper::http::request::Parts, body: Bytes) -> Reply {
    let idempotent = matches!(parts.method, Method::GET | Method::HEAD);
    let attempt = || {
        let req = Request::from_parts(parts.clone(), Full::new(body.clone()));
        send(upstream, req)
    };
    let mut attempts = 1;
    loop {
        let sent = if idempotent {
            hedged(attempt, &parts).await
        } else {
            attempt().await
        };
        let (answer, bytes) = match sent {
            Ok(answer) => answer,
            Err(e) => {
                return plain(
                    StatusCode::BAD_GATEWAY,
                    &format!("the watch server (cargo lambda watch) did not answer, it may still be starting: {e}"),
                )
            }
        };
        let lost =
            answer.status == StatusCode::INTERNAL_SERVER_ERROR && bytes.starts_with(EMULATOR_500);
        if !(lost && idempotent && attempts < ATTEMPTS) {
            return Response::from_parts(answer, Full::new(bytes));
        }
        println!(
            "front: the watch server lost the answer to {} {}; asking again",
            parts.method, parts.uri
        );
        attempts += 1;
    }
}

/// One `GET` or `HEAD`, asked again if no answer has come after [`HEDGE_AFTER`]: whichever answers first
/// is the answer, so a request the watch server lost without a word costs seconds, and a slow answer
/// still arrives (the second request waits its turn behind it).
async fn hedged<F, Fut>(attempt: F, parts: &hyper::http::request::Parts) -> Fut::Output
where
    F: Fn() -> Fut,
    Fut: std::future::Future,
{
    let first = attempt();
    tokio::pin!(first);
    tokio::select! {
        answer = &mut first => return answer,
        _ = tokio::time::sleep(HEDGE_AFTER) => {}
    }
    println!(
        "front: no answer to {} {} after {} s; asking again",
        parts.method,
        parts.uri,
        HEDGE_AFTER.as_secs()
    );
    let second = attempt();
    tokio::pin!(second);
    tokio::select! {
        answer = &mut first => answer,
        answer = &mut second => answer,
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let listen = arg(&args, "--listen").expect("--listen host:port");
    let upstream: Arc<str> = arg(&args, "--upstream")
        .expect("--upstream host:port")
        .into();
    let max: usize = arg(&args, "--max").map_or(32, |m| m.parse().expect("--max N"));
    let listener = TcpListener::bind(&listen).await.expect("the front port");
    let gate = Arc::new(Semaphore::new(max));
    println!("front {listen} -> {upstream}, at most {max} at a time");
    loop {
        let Ok((client, _)) = listener.accept().await else {
            continue;
        };
        let gate = gate.clone();
        let upstream = upstream.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let gate = gate.clone();
                let upstream = upstream.clone();
                async move {
                    let Ok(_permit) = gate.acquire_owned().await else {
                        return Ok::<_, std::convert::Infallible>(plain(
                            StatusCode::SERVICE_UNAVAILABLE,
                            "shutting down",
                        ));
                    };
                    Ok(relay(&upstream, req).await)
                }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(client), service)
                .await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A watch server that loses its answers the way `cargo lambda watch` does: the first request
    /// `lose` says, then answers 200 `ok`; and how many requests it received.
    async fn watch_server(lose: &'static str) -> (String, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let received = Arc::new(AtomicUsize::new(0));
        let count = received.clone();
        tokio::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let count = count.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |_req: Request<Incoming>| {
                        let n = count.fetch_add(1, Ordering::SeqCst);
                        async move {
                            match (n, lose) {
                                (0, "silently") => std::future::pending::<()>().await,
                                (0, "with its 500") => {
                                    let body = [EMULATOR_500, b",\"status\":500}"].concat();
                                    let mut reply = Response::new(Full::new(Bytes::from(body)));
                                    *reply.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
                                    return Ok::<_, std::convert::Infallible>(reply);
                                }
                                _ => {}
                            }
                            Ok(plain(StatusCode::OK, "ok"))
                        }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        (address, received)
    }

    fn request(method: Method) -> hyper::http::request::Parts {
        Request::builder()
            .method(method)
            .uri("/docs/assets/redoc.standalone.js")
            .body(())
            .unwrap()
            .into_parts()
            .0
    }

    async fn body_of(reply: Reply) -> Bytes {
        reply.into_body().collect().await.unwrap().to_bytes()
    }

    #[tokio::test]
    async fn a_get_the_watch_server_loses_is_answered_all_the_same() {
        for lose in ["with its 500", "silently"] {
            let (upstream, received) = watch_server(lose).await;
            let started = std::time::Instant::now();
            let forwarded = forward(&upstream, request(Method::GET), Bytes::new());
            let reply = tokio::time::timeout(std::time::Duration::from_secs(10), forwarded)
                .await
                .unwrap_or_else(|_| panic!("{lose}: no answer in 10 s"));
            assert_eq!(reply.status(), StatusCode::OK, "{lose}");
            assert_eq!(body_of(reply).await, "ok", "{lose}");
            assert_eq!(received.load(Ordering::SeqCst), 2, "{lose}");
            assert!(
                started.elapsed() < HEDGE_AFTER + std::time::Duration::from_secs(2),
                "{lose}: {:?}",
                started.elapsed()
            );
        }
    }

    #[tokio::test]
    async fn a_post_is_never_sent_twice() {
        let (upstream, received) = watch_server("with its 500").await;
        let reply = forward(&upstream, request(Method::POST), Bytes::from("{}")).await;
        assert_eq!(reply.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(received.load(Ordering::SeqCst), 1);
    }
}

//! `make run`'s front door. `cargo lambda watch` stops answering when about 50 or more requests arrive at
//! once: it answers some, then every later request (health included) times out until it is restarted.
//! With 48 connections at a time it answers thousands of requests a second. So `make run` listens here
//! and lets at most `--max` connections (32) through to the watch server at once; the others wait their
//! turn instead of wedging it.
//!
//! `front --listen 127.0.0.1:8000 --upstream 127.0.0.1:9300 [--max 32]`

use std::sync::Arc;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let listen = arg(&args, "--listen").expect("--listen host:port");
    let upstream = arg(&args, "--upstream").expect("--upstream host:port");
    let max: usize = arg(&args, "--max").map_or(32, |m| m.parse().expect("--max N"));
    let listener = TcpListener::bind(&listen).await.expect("the front port");
    let gate = Arc::new(Semaphore::new(max));
    println!("front {listen} -> {upstream}, at most {max} at a time");
    loop {
        let Ok((mut client, _)) = listener.accept().await else {
            continue;
        };
        let gate = gate.clone();
        let upstream = upstream.clone();
        tokio::spawn(async move {
            let Ok(_permit) = gate.acquire_owned().await else {
                return;
            };
            let Ok(mut server) = TcpStream::connect(&upstream).await else {
                return;
            };
            let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
        });
    }
}

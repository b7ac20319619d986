//! Runs the Kubernetes API emulator seeded with the demo cluster, for `make run` and `make invoke`:
//! `emulator --dir DIR [--cluster NAME]` writes `DIR/NAME.kubeconfig`, prints `ready`, and serves until killed.

use gluelinks_tests::emulator::{demo, Emulator};
use std::path::PathBuf;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let Some(dir) = value("--dir").map(PathBuf::from) else {
        eprintln!("usage: emulator --dir DIR [--cluster NAME]");
        std::process::exit(2);
    };
    let cluster = value("--cluster").unwrap_or_else(|| "demo".to_string());
    let emulator = Emulator::start().await;
    demo::seed(&emulator);
    let path = emulator.write_kubeconfig(&dir, &cluster);
    println!(
        "ready: cluster '{cluster}' at {} (kubeconfig {})",
        emulator.url(),
        path.display()
    );
    std::future::pending::<()>().await;
}

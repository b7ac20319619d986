//! Runs the Kubernetes API emulator seeded with the demo cluster, for `make run` and `make invoke`:
//! `emulator --dir DIR --secrets-dir SECRETS_DIR [--cluster NAME]` enforces the shipped RBAC and writes two
//! kubeconfigs for cluster NAME (default `demo`), each with its own identity — `DIR/NAME.kubeconfig` for
//! the read functions (group `gluelinks`) and `SECRETS_DIR/NAME.kubeconfig` for the secrets functions
//! (groups `gluelinks-secrets-lister` and `gluelinks-secrets-writer`) — prints `ready`, and serves until
//! killed.

use gluelinks_tests::emulator::{demo, Emulator, Options};
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
    let (Some(dir), Some(secrets_dir)) = (value("--dir"), value("--secrets-dir")) else {
        eprintln!("usage: emulator --dir DIR --secrets-dir SECRETS_DIR [--cluster NAME]");
        std::process::exit(2);
    };
    let cluster = value("--cluster").unwrap_or_else(|| "demo".to_string());
    let emulator = Emulator::start_with(Options {
        user: "gluelinks-reader".into(),
        groups: vec!["gluelinks".into()],
        ..Options::default()
    })
    .await;
    demo::seed(&emulator);
    emulator.enforce_rbac(&demo::rbac());
    let reader = emulator.write_kubeconfig(&PathBuf::from(dir), &cluster);

    let secrets_token = format!("{}-secrets", emulator.token());
    emulator.add_token(
        &secrets_token,
        "gluelinks-secrets",
        &["gluelinks-secrets-lister", "gluelinks-secrets-writer"],
    );
    let secrets_dir = PathBuf::from(secrets_dir);
    std::fs::create_dir_all(&secrets_dir).expect("the secrets kubeconfig directory");
    let secrets = secrets_dir.join(format!("{cluster}.kubeconfig"));
    std::fs::write(
        &secrets,
        emulator.kubeconfig_with_token(&cluster, &secrets_token),
    )
    .expect("the secrets kubeconfig");
    println!(
        "ready: cluster '{cluster}' at {} enforcing shared/rbac (reader kubeconfig {}, secrets kubeconfig {})",
        emulator.url(),
        reader.display(),
        secrets.display()
    );
    std::future::pending::<()>().await;
}

//! Runs the Kubernetes API emulator seeded with the demo cluster, for `make run` and `make invoke`:
//! `emulator --dir DIR --lister-dir DIR --writer-dir DIR [--cluster NAME] [--many-apps N]` enforces the shipped RBAC and
//! writes three kubeconfigs for cluster NAME (default `demo`), each with its own identity, as a deployment
//! has: `NAME.kubeconfig` in the first directory for the read functions (group `gluelinks`), in the second
//! for secrets-list (`gluelinks-secrets-lister`) and in the third for secrets-add
//! (`gluelinks-secrets-writer`). It prints `ready` and serves until killed.

use gluelinks_clusters::store::Role;
use gluelinks_emulator::{demo, Emulator, Options};
use std::path::PathBuf;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    gluelinks_emulator::install_crypto();
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let (Some(dir), Some(lister_dir), Some(writer_dir)) =
        (value("--dir"), value("--lister-dir"), value("--writer-dir"))
    else {
        eprintln!("usage: emulator --dir DIR --lister-dir DIR --writer-dir DIR [--cluster NAME]");
        std::process::exit(2);
    };
    let cluster = value("--cluster").unwrap_or_else(|| "demo".to_string());
    let emulator = Emulator::start_with(Options {
        user: "gluelinks-reader".into(),
        groups: vec![Role::Reader.group().into()],
        ..Options::default()
    })
    .await;
    demo::seed(&emulator);
    // `--many-apps N`: N more apps (`app-0000`, …), for load runs.
    if let Some(n) = value("--many-apps") {
        demo::many_apps(&emulator, n.parse().expect("--many-apps N"));
    }
    emulator.enforce_manifests(&demo::rbac());
    let reader = emulator.write_kubeconfig(&PathBuf::from(dir), &cluster);
    let mut written = vec![reader];
    for (role, dir) in [(Role::Lister, lister_dir), (Role::Writer, writer_dir)] {
        let token = format!("{}-{}", emulator.token(), role.group());
        emulator.add_token(&token, role.group(), &[role.group()]);
        let dir = PathBuf::from(dir);
        std::fs::create_dir_all(&dir).expect("a kubeconfig directory");
        let path = dir.join(format!("{cluster}.kubeconfig"));
        std::fs::write(&path, emulator.kubeconfig_with_token(&cluster, &token))
            .expect("a kubeconfig");
        written.push(path);
    }
    println!(
        "ready: cluster '{cluster}' at {} enforcing shared/rbac (kubeconfigs: reader {}, lister {}, writer {}) pull-secret-namespaces={}",
        emulator.url(),
        written[0].display(),
        written[1].display(),
        written[2].display(),
        demo::PULL_SECRET_NAMESPACES.join(",")
    );
    std::future::pending::<()>().await;
}

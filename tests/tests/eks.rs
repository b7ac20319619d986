//! A kubeconfig that runs `aws eks get-token` works with no `aws` binary: the pool signs the token itself.
//! Its own test binary, because it sets AWS credentials in the process environment.

use gluelinks_emulator::project::temp_dir;
use gluelinks_emulator::{demo, Emulator};
use gluelinks_tests::harness::pool;
use k8s_openapi::api::core::v1::Pod;
use kube::api::ListParams;
use kube::Api;
use std::time::Duration;

#[tokio::test]
async fn eks_exec_kubeconfig_gets_a_native_token() {
    // This binary has this one test, so nothing else reads the environment while it changes.
    std::env::set_var("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE");
    std::env::set_var(
        "AWS_SECRET_ACCESS_KEY",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    );
    std::env::remove_var("AWS_PROFILE");
    std::env::set_var("PATH", "/nonexistent");

    let emulator = Emulator::start().await;
    demo::seed(&emulator);
    emulator.accept_eks_tokens("arn:aws:iam::123456789012:role/gluelinks", &["gluelinks"]);
    let exec_user = "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: aws\n      args: [\"--region\", \"eu-west-1\", \"eks\", \"get-token\", \"--cluster-name\", \"prod\"]\n";
    let kubeconfig = emulator
        .kubeconfig("prod")
        .replace(&format!("    token: {}\n", emulator.token()), exec_user);
    assert!(kubeconfig.contains("get-token") && !kubeconfig.contains(emulator.token()));
    let dir = temp_dir("eks");
    std::fs::write(dir.join("prod.kubeconfig"), kubeconfig).unwrap();

    let clients = pool(&dir, Duration::from_secs(2));
    let client = clients
        .client("prod")
        .await
        .expect("a client without any aws binary on PATH");
    let pods: Api<Pod> = Api::namespaced(client, "nonprod");
    assert_eq!(
        pods.list(&ListParams::default()).await.unwrap().items.len(),
        2
    );
    let users: Vec<_> = emulator
        .requests()
        .into_iter()
        .filter_map(|r| r.user)
        .collect();
    assert_eq!(users, ["arn:aws:iam::123456789012:role/gluelinks"]);
}

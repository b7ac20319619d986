//! The light functions stay light: `health` and `fixtures` (the functions a click on a fixture, the API
//! documentation or a health check reaches) link no Kubernetes client, no AWS SDK and no Valkey client, so
//! their zips stay small and their cold starts fast. Read from `cargo tree`, as a newcomer would check.

use std::process::Command;

/// The packages `package` links (normal dependencies, whatever their depth), by name.
fn linked(package: &str) -> Vec<String> {
    let output = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--offline",
            "-e",
            "normal",
            "--prefix",
            "none",
            "-p",
            package,
        ])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .expect("cargo tree runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut names: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_string)
        .collect();
    names.sort();
    names.dedup();
    names
}

fn heavy(name: &str) -> bool {
    name == "kube"
        || name.starts_with("kube-")
        || name.starts_with("k8s-")
        || name.starts_with("aws-")
        || name == "redis"
}

#[test]
fn health_and_fixtures_link_no_kubernetes_aws_or_valkey_client() {
    for package in ["health", "fixtures"] {
        let names = linked(package);
        assert!(names.contains(&"gluelinks-core".to_string()), "{names:?}");
        let heavy: Vec<&String> = names.iter().filter(|n| heavy(n)).collect();
        assert!(heavy.is_empty(), "{package} links {heavy:?}");
    }
    // The check can fail: a function that reaches clusters does link them.
    assert!(linked("links").iter().any(|n| heavy(n)));
}

/// The domain crates below the HTTP adapter know nothing of Lambda: only `gluelinks-http` (and the
/// functions) link the Lambda runtime, so a domain crate can be used, and tested, without it.
#[test]
fn the_domain_crates_link_no_lambda_runtime() {
    let lambda = |n: &String| n.starts_with("lambda_") || n == "aws_lambda_events";
    for package in [
        "gluelinks-core",
        "gluelinks-aws",
        "gluelinks-clusters",
        "gluelinks-links-model",
        "gluelinks-links",
        "gluelinks-secrets",
    ] {
        let linked: Vec<String> = linked(package).into_iter().filter(lambda).collect();
        assert!(linked.is_empty(), "{package} links {linked:?}");
    }
    // The check can fail: the HTTP adapter does link it.
    assert!(linked("gluelinks-http").iter().any(lambda));
}

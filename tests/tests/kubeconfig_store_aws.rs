//! Kubeconfigs stored in AWS Secrets Manager (a local moto_server), through the store and the clusters
//! function. Its own test binary: it points the process's AWS settings at moto.

use gluelinks_clusters::secrets_manager::SecretsManagerStore;
use gluelinks_clusters::store::{KubeconfigStore, Role, Store};
use gluelinks_clusters::StoreError;
use gluelinks_core::config::Env;
use gluelinks_http::response::body_json;
use gluelinks_tests::harness::{event, OPERATOR_TOKEN};
use gluelinks_tests::openapi::Checked;
use gluelinks_tests::servers::Moto;
use secrecy::ExposeSecret;

const PREFIX: &str = "gluelinks/clusters/";

#[tokio::test]
async fn secrets_manager_store_lists_and_reads_under_its_prefix() {
    let moto = Moto::start();
    std::env::set_var("AWS_ENDPOINT_URL", &moto.endpoint);
    std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
    std::env::set_var("AWS_REGION", "us-east-1");
    let client = moto.secrets_manager();
    for (name, value) in [
        ("gluelinks/clusters/prod", "kubeconfig: prod"),
        ("gluelinks/clusters/dev", "kubeconfig: dev"),
        ("gluelinks/clusters/Bad_Name", "ignored"),
        ("other/clusters/staging", "not ours"),
        ("gluelinks/lister/prod", "kubeconfig: prod, lister identity"),
        ("gluelinks/writer/prod", "kubeconfig: prod, writer identity"),
    ] {
        client
            .create_secret()
            .name(name)
            .secret_string(value)
            .send()
            .await
            .unwrap();
    }

    let store = SecretsManagerStore::new(client, PREFIX);
    assert_eq!(store.list().await.unwrap(), ["dev", "prod"]);
    assert_eq!(
        store.get("prod").await.unwrap().expose_secret(),
        "kubeconfig: prod"
    );
    let missing = store.get("staging").await.unwrap_err();
    assert_eq!(
        missing.to_string(),
        "Cluster 'staging' not found. No kubeconfig secret named gluelinks/clusters/staging in AWS Secrets Manager"
    );
    assert!(matches!(
        store.get("../other").await,
        Err(StoreError::InvalidName(_))
    ));

    // The clusters function, configured only by its environment, lists the same clusters.
    let env = Env::from_pairs([
        ("CLUSTER_SECRET_PREFIX", PREFIX),
        ("AUTH_OPERATOR_TOKEN", OPERATOR_TOKEN),
    ]);
    let function = clusters::Clusters::from_env(&env).await.unwrap();
    let response = function.handle_checked(event("clusters-list.json")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        body_json(&response),
        serde_json::json!({"clusters": ["dev", "prod"], "total": 2})
    );

    // Each secrets function reads its own prefix, the others the reader's.
    let env = Env::from_pairs([
        ("CLUSTER_SECRET_PREFIX", PREFIX),
        ("SECRETS_LIST_CLUSTER_SECRET_PREFIX", "gluelinks/lister/"),
        ("SECRETS_ADD_CLUSTER_SECRET_PREFIX", "gluelinks/writer/"),
    ]);
    for (role, expected) in [
        (Role::Reader, "kubeconfig: prod"),
        (Role::Lister, "kubeconfig: prod, lister identity"),
        (Role::Writer, "kubeconfig: prod, writer identity"),
    ] {
        let store = Store::from_env_for(&env, role).await.unwrap();
        assert_eq!(
            store.get("prod").await.unwrap().expose_secret(),
            expected,
            "{role:?}"
        );
    }
}

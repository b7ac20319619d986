//! Where kubeconfigs are kept: a directory of `<cluster>.kubeconfig` files for local runs, or AWS Secrets
//! Manager for deployments (one secret per cluster under a name prefix). Both behind [`KubeconfigStore`];
//! [`Store::from_env`] picks one.

use super::{validate_name, StoreError};
use crate::config::{ConfigError, Env};
use std::future::Future;
use std::path::PathBuf;

pub trait KubeconfigStore {
    /// Every stored cluster's name, sorted. Entries whose names are not valid cluster names are skipped.
    fn list(&self) -> impl Future<Output = Result<Vec<String>, StoreError>> + Send;
    /// The kubeconfig text of one cluster; the name is validated before anything is read.
    fn get(&self, cluster: &str) -> impl Future<Output = Result<String, StoreError>> + Send;
}

/// A directory of `<cluster>.kubeconfig` files (seed 003's `clusters-folder`).
#[derive(Clone, Debug)]
pub struct DirStore {
    dir: PathBuf,
}

pub const KUBECONFIG_SUFFIX: &str = ".kubeconfig";

impl DirStore {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    fn path(&self, cluster: &str) -> PathBuf {
        self.dir.join(format!("{cluster}{KUBECONFIG_SUFFIX}"))
    }
}

impl KubeconfigStore for DirStore {
    async fn list(&self) -> Result<Vec<String>, StoreError> {
        let unavailable = |e: std::io::Error| StoreError::Unavailable {
            location: format!("directory {}", self.dir.display()),
            reason: e.to_string(),
        };
        let mut names = Vec::new();
        for entry in std::fs::read_dir(&self.dir).map_err(unavailable)? {
            let file = entry.map_err(unavailable)?.file_name();
            let Some(name) = file
                .to_str()
                .and_then(|f| f.strip_suffix(KUBECONFIG_SUFFIX))
            else {
                continue;
            };
            match validate_name(name) {
                Ok(name) => names.push(name.to_string()),
                Err(_) => {
                    tracing::warn!(file = ?file, "skipping a kubeconfig whose name is not a valid cluster name")
                }
            }
        }
        names.sort();
        Ok(names)
    }

    async fn get(&self, cluster: &str) -> Result<String, StoreError> {
        let cluster = validate_name(cluster)?;
        let path = self.path(cluster);
        std::fs::read_to_string(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => StoreError::NotFound {
                cluster: cluster.to_string(),
                location: format!("file at {}", path.display()),
            },
            _ => StoreError::Unavailable {
                location: format!("file {}", path.display()),
                reason: e.to_string(),
            },
        })
    }
}

/// The store chosen by configuration.
#[derive(Clone, Debug)]
pub enum Store {
    Dir(DirStore),
    #[cfg(feature = "aws")]
    SecretsManager(super::secrets_manager::SecretsManagerStore),
}

impl Store {
    /// `CLUSTER_SECRET_PREFIX` set: Secrets Manager (needs the `aws` feature); otherwise the directory
    /// `CLUSTERS_DIR` (default `clusters`).
    pub async fn from_env(env: &Env) -> Result<Self, ConfigError> {
        match env.get("CLUSTER_SECRET_PREFIX") {
            #[cfg(feature = "aws")]
            Some(prefix) => Ok(Store::SecretsManager(
                super::secrets_manager::SecretsManagerStore::from_env(prefix).await,
            )),
            #[cfg(not(feature = "aws"))]
            Some(_) => Err(ConfigError::new(
                "CLUSTER_SECRET_PREFIX",
                "this function is built without AWS support; use CLUSTERS_DIR",
            )),
            None => Ok(Store::Dir(DirStore::new(
                env.string("CLUSTERS_DIR", "clusters"),
            ))),
        }
    }
}

impl KubeconfigStore for Store {
    async fn list(&self) -> Result<Vec<String>, StoreError> {
        match self {
            Store::Dir(s) => s.list().await,
            #[cfg(feature = "aws")]
            Store::SecretsManager(s) => s.list().await,
        }
    }

    async fn get(&self, cluster: &str) -> Result<String, StoreError> {
        match self {
            Store::Dir(s) => s.get(cluster).await,
            #[cfg(feature = "aws")]
            Store::SecretsManager(s) => s.get(cluster).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn directory_store_lists_and_reads_only_valid_names() {
        let dir = std::env::temp_dir().join(format!("gluelinks-store-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for file in [
            "prod.kubeconfig",
            "dev.kubeconfig",
            "Bad_Name.kubeconfig",
            "notes.txt",
        ] {
            std::fs::write(dir.join(file), format!("# {file}")).unwrap();
        }
        std::fs::write(dir.parent().unwrap().join("outside.kubeconfig"), "secret").unwrap();
        let store = DirStore::new(&dir);
        assert_eq!(store.list().await.unwrap(), ["dev", "prod"]);
        assert_eq!(store.get("prod").await.unwrap(), "# prod.kubeconfig");
        assert!(matches!(
            store.get("../outside").await,
            Err(StoreError::InvalidName(_))
        ));
        let missing = store.get("staging").await.unwrap_err().to_string();
        assert!(
            missing.starts_with("Cluster 'staging' not found. No kubeconfig file at "),
            "{missing}"
        );
        let gone = DirStore::new(dir.join("nope")).list().await.unwrap_err();
        assert!(matches!(gone, StoreError::Unavailable { .. }));
        std::fs::remove_dir_all(&dir).unwrap();
        std::fs::remove_file(dir.parent().unwrap().join("outside.kubeconfig")).unwrap();
    }
}

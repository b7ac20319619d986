//! Where kubeconfigs are kept: a directory of `<cluster>.kubeconfig` files for local runs, or AWS Secrets
//! Manager for deployments (one secret per cluster under a name prefix). Both behind [`KubeconfigStore`];
//! [`Store::from_env_for`] picks one for a [`Role`]: the functions that read workloads and the functions
//! that manage credential secrets keep their kubeconfigs apart, so each holds only its own identity.

use super::{validate_name, StoreError};
use gluelinks_core::config::{ConfigError, Env};
use secrecy::SecretString;
use std::future::Future;
use std::path::PathBuf;

/// Where kubeconfigs are kept, one per cluster, under the cluster's name.
pub trait KubeconfigStore {
    /// Every stored cluster's name, sorted. Entries whose names are not valid cluster names are skipped.
    fn list(&self) -> impl Future<Output = Result<Vec<String>, StoreError>> + Send;
    /// The kubeconfig text of one cluster, kept secret (its `Debug` redacts it: it holds tokens and keys);
    /// the name is validated before anything is read.
    fn get(&self, cluster: &str) -> impl Future<Output = Result<SecretString, StoreError>> + Send;
}

/// A directory of `<cluster>.kubeconfig` files (the original cluster-configuration server's `clusters-folder`).
#[derive(Clone, Debug)]
pub struct DirStore {
    dir: PathBuf,
}

pub(crate) const KUBECONFIG_SUFFIX: &str = ".kubeconfig";

impl DirStore {
    /// The kubeconfig files in `dir`.
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
            summary: format!("the directory cannot be listed ({})", e.kind()),
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

    async fn get(&self, cluster: &str) -> Result<SecretString, StoreError> {
        let cluster = validate_name(cluster)?;
        let path = self.path(cluster);
        let text = std::fs::read_to_string(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => StoreError::NotFound {
                cluster: cluster.to_string(),
                location: format!("file at {}", path.display()),
            },
            _ => StoreError::Unavailable {
                location: format!("file {}", path.display()),
                reason: e.to_string(),
                summary: format!("a kubeconfig file cannot be read ({})", e.kind()),
            },
        })?;
        Ok(SecretString::from(text))
    }
}

/// Which identity a function uses in the clusters, and so which kubeconfigs it may read: each role has
/// its own store, so a function holds only the credentials it needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Links, warm and clusters: read Applications and workloads, never Secrets.
    Reader,
    /// Secrets-list (the read token's route): list Secrets' metadata, write nothing.
    Lister,
    /// Secrets-add: read and write Secrets in the namespaces granted, list nothing.
    Writer,
}

impl Role {
    /// The variables naming this role's Secrets Manager prefix and directory.
    pub fn variables(self) -> (&'static str, &'static str) {
        match self {
            Role::Reader => ("CLUSTER_SECRET_PREFIX", "CLUSTERS_DIR"),
            Role::Lister => (
                "SECRETS_LIST_CLUSTER_SECRET_PREFIX",
                "SECRETS_LIST_CLUSTERS_DIR",
            ),
            Role::Writer => (
                "SECRETS_ADD_CLUSTER_SECRET_PREFIX",
                "SECRETS_ADD_CLUSTERS_DIR",
            ),
        }
    }

    /// The Kubernetes group the shipped RBAC grants this role (`shared/rbac/`).
    pub fn group(self) -> &'static str {
        match self {
            Role::Reader => "gluelinks",
            Role::Lister => "gluelinks-secrets-lister",
            Role::Writer => "gluelinks-secrets-writer",
        }
    }
}

/// The store chosen by configuration.
#[derive(Clone, Debug)]
pub enum Store {
    /// A directory of kubeconfig files (local runs).
    Dir(DirStore),
    /// AWS Secrets Manager (deployments).
    SecretsManager(super::secrets_manager::SecretsManagerStore),
}

impl Store {
    /// The role's prefix set: Secrets Manager; otherwise the role's directory (default `clusters`).
    ///
    /// A secrets role with neither of its own settings is refused inside AWS Lambda (it would run with
    /// another identity's kubeconfigs); in a local run it falls back to the reader's store with a warning,
    /// so `cargo lambda watch` with one `CLUSTERS_DIR` still serves every route.
    pub async fn from_env_for(env: &Env, role: Role) -> Result<Self, ConfigError> {
        let (mut prefix_var, mut dir_var) = role.variables();
        if role != Role::Reader && env.get(prefix_var).is_none() && env.get(dir_var).is_none() {
            if env.in_lambda() {
                return Err(ConfigError::new(
                    prefix_var,
                    format!(
                        "is required: this function's kubeconfigs must be its own identity's (group {})",
                        role.group()
                    ),
                ));
            }
            let (reader_prefix, reader_dir) = Role::Reader.variables();
            tracing::warn!(
                "this function uses the read identity's kubeconfigs ({reader_prefix} or {reader_dir}); \
                 give it its own with {prefix_var} or {dir_var}, bound to the group {}",
                role.group()
            );
            (prefix_var, dir_var) = (reader_prefix, reader_dir);
        }
        match env.get(prefix_var) {
            Some(prefix) => Ok(Store::SecretsManager(
                super::secrets_manager::SecretsManagerStore::from_env(
                    prefix,
                    super::timeout_from_env(env)?,
                )
                .await,
            )),
            None => Ok(Store::Dir(DirStore::new(env.string(dir_var, "clusters")))),
        }
    }
}

impl KubeconfigStore for Store {
    async fn list(&self) -> Result<Vec<String>, StoreError> {
        match self {
            Store::Dir(s) => s.list().await,
            Store::SecretsManager(s) => s.list().await,
        }
    }

    async fn get(&self, cluster: &str) -> Result<SecretString, StoreError> {
        match self {
            Store::Dir(s) => s.get(cluster).await,
            Store::SecretsManager(s) => s.get(cluster).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[derive(Clone, Default)]
    struct Logged(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Logged {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn each_role_reads_its_own_directory_and_secrets_fall_back_with_a_warning() {
        // The environment, the role, the directory it reads, whether it warns.
        type Case = (
            &'static [(&'static str, &'static str)],
            Role,
            &'static str,
            bool,
        );
        const ALL: &[(&str, &str)] = &[
            ("CLUSTERS_DIR", "read"),
            ("SECRETS_LIST_CLUSTERS_DIR", "list"),
            ("SECRETS_ADD_CLUSTERS_DIR", "write"),
        ];
        let cases: &[Case] = &[
            (&[], Role::Reader, "clusters", false),
            (&[("CLUSTERS_DIR", "read")], Role::Reader, "read", false),
            (ALL, Role::Reader, "read", false),
            (ALL, Role::Lister, "list", false),
            (ALL, Role::Writer, "write", false),
            (&[("CLUSTERS_DIR", "read")], Role::Lister, "read", true),
            (&[("CLUSTERS_DIR", "read")], Role::Writer, "read", true),
            (&[], Role::Writer, "clusters", true),
        ];
        for (pairs, role, dir, warns) in cases {
            let logged = Logged::default();
            let writer = logged.clone();
            let subscriber = tracing_subscriber::fmt()
                .with_writer(move || writer.clone())
                .finish();
            let store = {
                let _guard = tracing::subscriber::set_default(subscriber);
                Store::from_env_for(&Env::from_pairs(pairs.iter().copied()), *role)
                    .await
                    .unwrap()
            };
            assert_eq!(
                format!("{store:?}"),
                format!("{:?}", Store::Dir(DirStore::new(dir))),
                "{pairs:?} {role:?}"
            );
            let text = String::from_utf8(logged.0.lock().unwrap().clone()).unwrap();
            assert_eq!(
                text.matches("WARN").count(),
                usize::from(*warns),
                "{pairs:?}: {text}"
            );
            if *warns {
                assert!(
                    text.contains("uses the read identity's kubeconfigs")
                        && text.contains(role.variables().1),
                    "{text}"
                );
            }
        }
    }

    #[tokio::test]
    async fn inside_lambda_a_secrets_role_needs_its_own_store() {
        for role in [Role::Lister, Role::Writer] {
            let env =
                Env::from_pairs([("CLUSTERS_DIR", "read"), ("LAMBDA_TASK_ROOT", "/var/task")]);
            let err = Store::from_env_for(&env, role).await.unwrap_err();
            assert_eq!(err.name, role.variables().0, "{role:?}");
            assert!(err.to_string().contains(role.group()), "{err}");
        }
        let env = Env::from_pairs([("LAMBDA_TASK_ROOT", "/var/task")]);
        assert!(Store::from_env_for(&env, Role::Reader).await.is_ok());
    }

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
        assert_eq!(
            store.get("prod").await.unwrap().expose_secret(),
            "# prod.kubeconfig"
        );
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

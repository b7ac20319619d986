//! Kubeconfigs in AWS Secrets Manager: the secret `<prefix><cluster>` holds one cluster's kubeconfig as its
//! secret string. The function's role may read only secrets under the prefix (template.yaml).

use super::store::KubeconfigStore;
use super::{validate_name, StoreError};
use aws_sdk_secretsmanager::config::http::HttpResponse;
use aws_sdk_secretsmanager::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueError;
use aws_sdk_secretsmanager::types::{Filter, FilterNameStringType};
use aws_sdk_secretsmanager::Client;
use gluelinks_aws::failure;
use gluelinks_core::timeout::Timeout;
use secrecy::SecretString;
use std::time::Duration;

/// The kubeconfigs in AWS Secrets Manager under one name prefix.
#[derive(Clone, Debug)]
pub struct SecretsManagerStore {
    client: Client,
    prefix: String,
}

impl SecretsManagerStore {
    /// A client from the default AWS configuration, each call bounded by `timeout`
    /// ([`sdk_config`](gluelinks_aws::sdk_config)).
    pub async fn from_env(prefix: &str, timeout: Duration) -> Self {
        Self::new(
            Client::new(&gluelinks_aws::sdk_config(timeout).await),
            prefix,
        )
    }

    /// The secrets named `<prefix><cluster>`, read with `client`.
    pub fn new(client: Client, prefix: &str) -> Self {
        Self {
            client,
            prefix: prefix.to_string(),
        }
    }

    fn location(&self) -> String {
        format!("in AWS Secrets Manager under '{}'", self.prefix)
    }

    /// Why a call failed, under the rule for quoting AWS ([`gluelinks_aws::failure`]).
    fn unavailable<E>(&self, err: SdkError<E, HttpResponse>) -> StoreError
    where
        E: std::error::Error + ProvideErrorMetadata + 'static,
    {
        let said = failure::describe("AWS Secrets Manager", &err, || {
            match self
                .client
                .config()
                .timeout_config()
                .and_then(|t| t.operation_timeout())
            {
                Some(bound) => Timeout::new("AWS Secrets Manager", bound, "KUBE_TIMEOUT_SECONDS"),
                None => Timeout::of_setting("AWS Secrets Manager", "KUBE_TIMEOUT_SECONDS"),
            }
        });
        StoreError::Unavailable {
            location: self.location(),
            reason: said.full,
            summary: said.summary,
        }
    }
}

impl KubeconfigStore for SecretsManagerStore {
    async fn list(&self) -> Result<Vec<String>, StoreError> {
        let filter = Filter::builder()
            .key(FilterNameStringType::Name)
            .values(&self.prefix)
            .build();
        let mut pages = self
            .client
            .list_secrets()
            .filters(filter)
            .into_paginator()
            .send();
        let mut names = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.unavailable(e))?;
            for secret in page.secret_list() {
                // The name filter matches prefixes of words too; keep exact prefix matches only.
                let Some(name) = secret.name().and_then(|n| n.strip_prefix(&self.prefix)) else {
                    continue;
                };
                match validate_name(name) {
                    Ok(name) => names.push(name.to_string()),
                    Err(_) => tracing::warn!(
                        secret = secret.name(),
                        "skipping a secret whose name is not a valid cluster name"
                    ),
                }
            }
        }
        names.sort();
        names.dedup();
        Ok(names)
    }

    async fn get(&self, cluster: &str) -> Result<SecretString, StoreError> {
        let cluster = validate_name(cluster)?;
        let id = format!("{}{cluster}", self.prefix);
        let output = self
            .client
            .get_secret_value()
            .secret_id(&id)
            .send()
            .await
            .map_err(|e| match e {
                SdkError::ServiceError(ref service)
                    if matches!(
                        service.err(),
                        GetSecretValueError::ResourceNotFoundException(_)
                    ) =>
                {
                    StoreError::NotFound {
                        cluster: cluster.to_string(),
                        location: format!("secret named {id} in AWS Secrets Manager"),
                    }
                }
                other => self.unavailable(other),
            })?;
        output
            .secret_string()
            .map(|text| SecretString::from(text.to_string()))
            .ok_or_else(|| StoreError::Unavailable {
                location: self.location(),
                reason: format!("secret {id} has no secret string"),
                summary: "a kubeconfig secret has no secret string".into(),
            })
    }
}

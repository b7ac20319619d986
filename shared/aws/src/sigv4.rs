//! SigV4 presigned URLs, made natively: what an EKS token and an ElastiCache IAM auth token both are.

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    sign, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use gluelinks_core::timeout::Timeout;
use std::time::{Duration, SystemTime};

/// Why a URL could not be signed, in the signer's words.
#[derive(Debug, thiserror::Error)]
#[error("cannot sign a request: {0}")]
pub struct SignError(String);

/// A signed URL's query, decoded: what the signers' tests read.
#[cfg(test)]
pub(crate) fn query_params(query: &str) -> std::collections::HashMap<&str, String> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| {
            let value = percent_encoding::percent_decode_str(v).decode_utf8_lossy();
            (k, value.into_owned())
        })
        .collect()
}

/// Why the function's own AWS credentials, to sign with, could not be had.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    /// The AWS configuration has no credentials provider.
    #[error("no AWS credentials are available")]
    NoProvider,
    /// The provider did not answer within the bound.
    #[error("no AWS credentials: {0}")]
    Timeout(Timeout),
    /// The provider answered with an error.
    #[error("no AWS credentials: {0}")]
    Failed(#[source] aws_credential_types::provider::error::CredentialsError),
}

/// The credentials of `sdk`'s provider (the function's role), fetched within `timeout` (set by `setting`).
pub async fn role_credentials(
    sdk: &aws_config::SdkConfig,
    timeout: Duration,
    setting: &'static str,
) -> Result<Credentials, CredentialsError> {
    use aws_credential_types::provider::ProvideCredentials;
    let provider = sdk
        .credentials_provider()
        .ok_or(CredentialsError::NoProvider)?;
    tokio::time::timeout(timeout, provider.provide_credentials())
        .await
        .map_err(|_| {
            CredentialsError::Timeout(Timeout::new(
                "The AWS credentials provider",
                timeout,
                setting,
            ))
        })?
        .map_err(CredentialsError::Failed)
}

/// `GET url` signed for `service` in `region` with `credentials` at `now`, the signature in the query
/// (valid for `expires`), with `headers` (besides `host`) signed too. Returns the signed URL.
pub fn presigned_url(
    credentials: &Credentials,
    region: &str,
    service: &str,
    url: &str,
    headers: &[(&str, &str)],
    expires: Duration,
    now: SystemTime,
) -> Result<String, SignError> {
    let err = |e: &dyn std::fmt::Display| SignError(e.to_string());
    let uri: http::Uri = url.parse().map_err(|e| err(&e))?;
    let host = uri
        .host()
        .ok_or_else(|| SignError("the URL has no host".into()))?;
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(expires);
    let identity: Identity = credentials.clone().into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(now)
        .settings(settings)
        .build()
        .map_err(|e| err(&e))?
        .into();
    let signed_headers = std::iter::once(("host", host)).chain(headers.iter().copied());
    let signable = SignableRequest::new("GET", url, signed_headers, SignableBody::Bytes(&[]))
        .map_err(|e| err(&e))?;
    let (instructions, _) = sign(signable, &params).map_err(|e| err(&e))?.into_parts();
    let mut request = http::Request::builder()
        .uri(url)
        .body(())
        .map_err(|e| err(&e))?;
    instructions.apply_to_request_http1x(&mut request);
    Ok(request.uri().to_string())
}

//! AWS, signed natively: SigV4 presigning with the function role's credentials ([`sigv4`]), the EKS
//! bearer tokens kubeconfigs ask `aws eks get-token` for ([`eks_token`]), the ElastiCache IAM
//! authentication token and what ElastiCache says of a cache ([`elasticache`]), and the SDK configuration
//! every AWS call is made with ([`sdk_config`]), and the one rule for quoting AWS when a call fails
//! ([`failure`]). Nothing here reads a cluster or a cache itself: the
//! clusters and links crates do, with what this crate signs.

#![warn(missing_docs)]

pub mod eks_token;
pub mod elasticache;
pub mod failure;
pub mod sigv4;

use std::time::Duration;

/// The default AWS configuration (the function's role; `AWS_ENDPOINT_URL` in tests) with each call —
/// connecting, every retry, reading the answer — bounded by `timeout` as a whole: without a bound the SDK
/// waits on an endpoint that accepts a connection and never answers for as long as Lambda lets it, and a
/// bound per attempt would multiply by the retries.
pub async fn sdk_config(timeout: Duration) -> aws_config::SdkConfig {
    aws_config::from_env()
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(timeout)
                .operation_timeout(timeout)
                .build(),
        )
        .load()
        .await
}

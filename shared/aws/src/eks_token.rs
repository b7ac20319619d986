//! EKS bearer tokens made natively, for kubeconfigs that call `aws eks get-token` (or
//! `aws-iam-authenticator token`): there is no `aws` binary inside Lambda.
//!
//! A token is `k8s-aws-v1.` followed by the unpadded base64url of an STS `GetCallerIdentity` URL presigned
//! with SigV4, with the cluster's name in the signed `x-k8s-aws-id` header. EKS accepts it for 15 minutes
//! after signing; [`REFRESH_AFTER`] says when a client built with one must be rebuilt.

use crate::sigv4::{presigned_url, SignError};
use aws_credential_types::Credentials;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use std::time::{Duration, SystemTime};

pub(crate) const TOKEN_PREFIX: &str = "k8s-aws-v1.";
/// The presigned URL's own lifetime, as `aws eks get-token` sets it.
const URL_EXPIRES: Duration = Duration::from_secs(60);
/// Rebuild well before EKS's 15-minute limit.
pub const REFRESH_AFTER: Duration = Duration::from_secs(10 * 60);

/// The EKS cluster and region an exec-plugin kubeconfig user asks a token for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EksTarget {
    /// The EKS cluster's name (`--cluster-name`, `--cluster-id` or `-i`).
    pub cluster: String,
    /// The region the command names (`--region`), if any; else the function's own is used.
    pub region: Option<String>,
}

/// Recognises `aws eks get-token --cluster-name X [--region R]` and
/// `aws-iam-authenticator token -i X`, wherever the binaries live.
pub fn target(command: &str, args: &[String]) -> Option<EksTarget> {
    let program = command.rsplit('/').next().unwrap_or(command);
    let value = |flags: &[&str]| {
        args.iter()
            .position(|a| flags.contains(&a.as_str()))
            .and_then(|i| args.get(i + 1))
            .cloned()
            .or_else(|| {
                args.iter().find_map(|a| {
                    flags
                        .iter()
                        .find_map(|f| a.strip_prefix(&format!("{f}=")).map(str::to_string))
                })
            })
    };
    let is_eks = match program {
        "aws" => args.iter().any(|a| a == "eks") && args.iter().any(|a| a == "get-token"),
        "aws-iam-authenticator" => args.iter().any(|a| a == "token"),
        _ => false,
    };
    if !is_eks {
        return None;
    }
    Some(EksTarget {
        cluster: value(&["--cluster-name", "--cluster-id", "-i"])?,
        region: value(&["--region"]),
    })
}

/// Why an EKS token could not be signed.
#[derive(Debug, thiserror::Error)]
#[error("cannot sign an EKS token: {0}")]
pub struct TokenError(#[from] SignError);

/// Why no EKS token could be made for a cluster.
#[derive(Debug, thiserror::Error)]
pub enum EksTokenError {
    /// Neither the kubeconfig's user nor the function's configuration names a region.
    #[error("its EKS user names no region and AWS_REGION is not set")]
    NoRegion,
    /// The function's own AWS credentials, to sign with, could not be had.
    #[error("cannot sign an EKS token: {0}")]
    Credentials(#[from] crate::sigv4::CredentialsError),
    /// The token could not be signed.
    #[error(transparent)]
    Sign(#[from] TokenError),
}

/// A token for `cluster`, signed with `credentials` at `now`.
pub fn presign(
    credentials: &Credentials,
    region: &str,
    cluster: &str,
    now: SystemTime,
) -> Result<String, TokenError> {
    let url =
        format!("https://sts.{region}.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15");
    let signed = presigned_url(
        credentials,
        region,
        "sts",
        &url,
        &[("x-k8s-aws-id", cluster)],
        URL_EXPIRES,
        now,
    )?;
    Ok(format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(signed)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn recognises_eks_exec_plugins() {
        let cases = [
            (
                "aws",
                vec![
                    "--region",
                    "eu-west-1",
                    "eks",
                    "get-token",
                    "--cluster-name",
                    "prod",
                ],
                Some(("prod", Some("eu-west-1"))),
            ),
            (
                "/usr/local/bin/aws",
                vec!["eks", "get-token", "--cluster-name=dev"],
                Some(("dev", None)),
            ),
            (
                "aws-iam-authenticator",
                vec!["token", "-i", "legacy"],
                Some(("legacy", None)),
            ),
            ("aws", vec!["sts", "get-caller-identity"], None),
            ("kubelogin", vec!["get-token"], None),
            ("aws", vec!["eks", "get-token"], None),
        ];
        for (command, list, expected) in cases {
            let expected = expected.map(|(c, r)| EksTarget {
                cluster: c.to_string(),
                region: r.map(str::to_string),
            });
            assert_eq!(
                target(command, &args(&list)),
                expected,
                "{command} {list:?}"
            );
        }
    }

    #[test]
    fn token_is_a_presigned_get_caller_identity_for_the_cluster() {
        let credentials = Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            None,
            None,
            "test",
        );
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_384_800);
        let token = presign(&credentials, "eu-west-1", "prod", at).unwrap();
        let encoded = token
            .strip_prefix(TOKEN_PREFIX)
            .expect("the k8s-aws-v1. prefix");
        assert!(!encoded.contains('='), "unpadded");
        let url = String::from_utf8(URL_SAFE_NO_PAD.decode(encoded).unwrap()).unwrap();
        let (base, query) = url.split_once('?').unwrap();
        assert_eq!(base, "https://sts.eu-west-1.amazonaws.com/");
        let params = crate::sigv4::query_params(query);
        assert_eq!(params["Action"], "GetCallerIdentity");
        assert_eq!(params["Version"], "2011-06-15");
        assert_eq!(params["X-Amz-Algorithm"], "AWS4-HMAC-SHA256");
        assert_eq!(
            params["X-Amz-Credential"],
            "AKIDEXAMPLE/20261122/eu-west-1/sts/aws4_request"
        );
        assert_eq!(params["X-Amz-Date"], "20261122T220000Z");
        assert_eq!(params["X-Amz-Expires"], "60");
        assert_eq!(params["X-Amz-SignedHeaders"], "host;x-k8s-aws-id");
        let signature = &params["X-Amz-Signature"];
        assert!(signature.len() == 64 && signature.bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(
            !url.contains("wJalrXUtnFEMI"),
            "the secret key never appears"
        );

        // The cluster name is signed: another cluster, another signature; same inputs, same token.
        let other = presign(&credentials, "eu-west-1", "dev", at).unwrap();
        assert_ne!(token, other);
        assert_eq!(
            token,
            presign(&credentials, "eu-west-1", "prod", at).unwrap()
        );
    }
}

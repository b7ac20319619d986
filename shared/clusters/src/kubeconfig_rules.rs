//! What a stored kubeconfig may ask of the function that loads it. A kubeconfig is data, yet its user can
//! name a program to run (`exec`, an `auth-provider`'s `cmd-path`) or files to read (`tokenFile`,
//! certificate and key paths), and its cluster can switch certificate checks off. Inside Lambda that
//! would run or read with the function's role, so each is refused when the kubeconfig is loaded, before
//! any of it is used, with a message that names the field and never its content.
//!
//! The one exec user accepted is the EKS token command (`aws eks get-token`,
//! `aws-iam-authenticator token`): GlueLinks recognises it and signs the token itself, running nothing.
//! `insecure-skip-tls-verify` is accepted only for clusters the operator lists in
//! `KUBE_INSECURE_SKIP_TLS_VERIFY_CLUSTERS`.

use kube::config::{AuthInfo, Cluster};

/// Why a kubeconfig is refused: the field, and what to use instead.
pub(super) fn refusal(
    cluster_name: &str,
    cluster: &Cluster,
    user: Option<&AuthInfo>,
    insecure_allowed: bool,
) -> Option<String> {
    if cluster.certificate_authority.is_some() {
        return Some(
            "its cluster names a certificate-authority file; a stored kubeconfig must carry certificate-authority-data instead (no file is read)".into(),
        );
    }
    if cluster.insecure_skip_tls_verify == Some(true) && !insecure_allowed {
        return Some(format!(
            "its cluster sets insecure-skip-tls-verify, which would send credentials to any server answering at its address; give it certificate-authority-data, or list '{cluster_name}' in {INSECURE_SETTING} to accept that risk"
        ));
    }
    let user = user?;
    if let Some(exec) = &user.exec {
        let command = exec.command.as_deref().unwrap_or_default();
        let args = exec.args.as_deref().unwrap_or_default();
        if gluelinks_aws::eks_token::target(command, args).is_none() {
            return Some(
                "its user runs an exec plugin; GlueLinks runs no program named in a kubeconfig (only `aws eks get-token` and `aws-iam-authenticator token` users are accepted: their tokens are signed natively). Use a token or client certificate, or an EKS user".into(),
            );
        }
    }
    if user.auth_provider.is_some() {
        return Some(
            "its user has an auth-provider, which runs a program or refreshes tokens from files; use a token, a client certificate or an EKS user".into(),
        );
    }
    let files = [
        ("tokenFile", user.token_file.is_some(), "token"),
        (
            "client-certificate",
            user.client_certificate.is_some(),
            "client-certificate-data",
        ),
        ("client-key", user.client_key.is_some(), "client-key-data"),
    ];
    files
        .iter()
        .find(|(_, set, _)| *set)
        .map(|(field, _, instead)| {
            format!(
                "its user names a file in {field}; a stored kubeconfig must carry {instead} instead (no file is read)"
            )
        })
}

/// The setting that lists the clusters whose kubeconfigs may switch certificate checks off.
pub const INSECURE_SETTING: &str = "KUBE_INSECURE_SKIP_TLS_VERIFY_CLUSTERS";

#[cfg(test)]
mod tests {
    use super::*;
    use kube::config::Kubeconfig;

    fn first(yaml: &str) -> (Cluster, Option<AuthInfo>) {
        let k = Kubeconfig::from_yaml(yaml).unwrap();
        (
            k.clusters[0].cluster.clone().unwrap(),
            k.auth_infos.first().and_then(|u| u.auth_info.clone()),
        )
    }

    fn config(cluster: &str, user: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://k.example.com\n{cluster}users:\n- name: u\n  user:\n{user}"
        )
    }

    #[test]
    fn only_data_and_eks_users_are_accepted() {
        let eks = "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: aws\n      args: [eks, get-token, --cluster-name, prod]\n";
        // (cluster fields, user fields, whether insecure is allowed, what the refusal says or None)
        let cases = [
            ("", "    token: abc\n", false, None),
            ("    certificate-authority-data: eA==\n", eks, false, None),
            ("", "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: /bin/sh\n      args: [-c, 'touch /tmp/x']\n", false, Some("runs an exec plugin")),
            ("", "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: aws\n      args: [s3, cp, x, y]\n", false, Some("runs an exec plugin")),
            ("", "    auth-provider:\n      name: oidc\n      config:\n        cmd-path: /bin/sh\n", false, Some("auth-provider")),
            ("", "    tokenFile: /var/run/secrets/token\n", false, Some("tokenFile")),
            ("", "    client-certificate: /etc/cert.pem\n    client-key-data: eA==\n", false, Some("client-certificate;")),
            ("", "    client-certificate-data: eA==\n    client-key: /etc/key.pem\n", false, Some("client-key;")),
            ("    certificate-authority: /etc/ca.pem\n", "    token: abc\n", false, Some("certificate-authority file")),
            ("    insecure-skip-tls-verify: true\n", "    token: abc\n", false, Some(INSECURE_SETTING)),
            ("    insecure-skip-tls-verify: true\n", "    token: abc\n", true, None),
        ];
        for (cluster, user, allowed, expected) in cases {
            let (c, u) = first(&config(cluster, user));
            let got = refusal("c", &c, u.as_ref(), allowed);
            match expected {
                None => assert_eq!(got, None, "{cluster}{user}"),
                Some(text) => {
                    let got = got.unwrap_or_default();
                    assert!(got.contains(text), "{user}: {got}");
                    for content in ["/bin/sh", "touch", "/etc/", "/var/run", "abc"] {
                        assert!(!got.contains(content), "quotes {content}: {got}");
                    }
                }
            }
        }
    }
}

//! What is wrong with a kubeconfig, said without any of its content. The kube crate's errors quote what
//! they could not read — a YAML error shows the lines around it (a `token:` line among them), a base64 or
//! PEM error bytes of the key — so each message here is built from the error's kind and position alone,
//! and names the line in the file to look at. The same holds for an exec plugin's failures at call time.

use kube::client::AuthError;
use kube::config::{Kubeconfig, KubeconfigError, LoadDataError};

/// The lines of the current context's certificate and key fields, found before the kubeconfig is
/// consumed, so that an error about one can point at it.
#[derive(Debug, Default)]
pub(super) struct FieldLines {
    certificate_authority: Option<usize>,
    client_certificate: Option<usize>,
    client_key: Option<usize>,
}

impl FieldLines {
    /// The lines of `cluster`'s and `user`'s data fields in `text`, the file `kubeconfig` was read from.
    pub(super) fn find(
        text: &str,
        kubeconfig: &Kubeconfig,
        cluster: Option<&str>,
        user: Option<&str>,
    ) -> Self {
        let clusters: Vec<_> = kubeconfig
            .clusters
            .iter()
            .map(|c| {
                let has = c
                    .cluster
                    .as_ref()
                    .is_some_and(|c| c.certificate_authority_data.is_some());
                (Some(c.name.as_str()) == cluster, has)
            })
            .collect();
        let users = |has: fn(&kube::config::AuthInfo) -> bool| -> Vec<(bool, bool)> {
            kubeconfig
                .auth_infos
                .iter()
                .map(|u| {
                    let set = u.auth_info.as_ref().is_some_and(has);
                    (Some(u.name.as_str()) == user, set)
                })
                .collect()
        };
        Self {
            certificate_authority: line_of(text, "certificate-authority-data", &clusters),
            client_certificate: line_of(
                text,
                "client-certificate-data",
                &users(|u| u.client_certificate_data.is_some()),
            ),
            client_key: line_of(
                text,
                "client-key-data",
                &users(|u| u.client_key_data.is_some()),
            ),
        }
    }
}

/// The 1-based line of `field` for the entry marked `(is_ours, has_field)` in `entries` (the kubeconfig's
/// clusters or users, in file order): the n-th `field:` key in the text when ours is the n-th entry that
/// has the field. When the counts disagree (flow-style YAML, merged documents) no line is claimed.
fn line_of(text: &str, field: &str, entries: &[(bool, bool)]) -> Option<usize> {
    let key = format!("{field}:");
    let lines: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, line)| line.trim_start().trim_start_matches("- ").starts_with(&key))
        .map(|(i, _)| i + 1)
        .collect();
    let with_field: Vec<bool> = entries
        .iter()
        .filter(|(_, has)| *has)
        .map(|(ours, _)| *ours)
        .collect();
    if lines.len() != with_field.len() {
        return None;
    }
    with_field
        .iter()
        .position(|ours| *ours)
        .map(|index| lines[index])
}

/// `field`, and its line when known: `client-key-data (line 14)`.
fn field(name: &str, line: Option<usize>) -> String {
    match line {
        Some(line) => format!("{name} (line {line})"),
        None => name.to_string(),
    }
}

fn data_problem(name: &str, line: Option<usize>, err: &LoadDataError) -> String {
    let field = field(name, line);
    match err {
        LoadDataError::DecodeBase64(_) => format!("its {field} is not valid base64"),
        LoadDataError::ReadFile(_, path) => {
            format!(
                "the file its {field} names, {}, cannot be read",
                path.display()
            )
        }
        LoadDataError::NoBase64DataOrFile => format!("its {field} is missing"),
    }
}

/// Why `Kubeconfig::from_yaml` or `Config::from_custom_kubeconfig` refused the file.
pub(super) fn kubeconfig_problem(err: &KubeconfigError, lines: &FieldLines) -> String {
    match err {
        KubeconfigError::Parse(yaml) => match yaml.location() {
            Some(at) => format!(
                "it is not a valid kubeconfig (YAML error at line {}, column {})",
                at.line(),
                at.column()
            ),
            None => "it is not a valid kubeconfig (a YAML error)".into(),
        },
        KubeconfigError::CurrentContextNotSet => "it has no current-context".into(),
        KubeconfigError::KindMismatch | KubeconfigError::ApiVersionMismatch => {
            "its YAML documents have different kinds or apiVersions".into()
        }
        KubeconfigError::LoadContext(_) => "its current-context is not among its contexts".into(),
        KubeconfigError::LoadClusterOfContext(_) => {
            "its current context names a cluster it does not define".into()
        }
        KubeconfigError::MissingClusterUrl => "its cluster has no server".into(),
        KubeconfigError::ParseClusterUrl(_) => "its cluster's server is not a valid URL".into(),
        KubeconfigError::ParseProxyUrl(_) => "its cluster's proxy-url is not a valid URL".into(),
        KubeconfigError::LoadCertificateAuthority(e) => {
            data_problem("certificate-authority-data", lines.certificate_authority, e)
        }
        KubeconfigError::LoadClientCertificate(e) => {
            data_problem("client-certificate-data", lines.client_certificate, e)
        }
        KubeconfigError::LoadClientKey(e) => data_problem("client-key-data", lines.client_key, e),
        KubeconfigError::ParseCertificates(_) => format!(
            "its {} is not a PEM certificate",
            field("certificate-authority-data", lines.certificate_authority)
        ),
        _ => "it cannot be loaded as a kubeconfig".into(),
    }
}

/// Why `kube::Client::try_from` could not build a client from an accepted kubeconfig.
pub(super) fn client_problem(err: &kube::Error, lines: &FieldLines) -> String {
    use kube::client::RustlsTlsError;
    let ca = || field("certificate-authority-data", lines.certificate_authority);
    let cert = || field("client-certificate-data", lines.client_certificate);
    let key = || field("client-key-data", lines.client_key);
    match err {
        kube::Error::RustlsTls(tls) => match tls {
            RustlsTlsError::InvalidIdentityPem(_) => {
                format!("its {} and {} are not valid PEM", cert(), key())
            }
            RustlsTlsError::MissingPrivateKey => format!(
                "its {} holds no private key (PKCS8 or RSA/PKCS1 PEM expected)",
                key()
            ),
            RustlsTlsError::MissingCertificate => {
                format!("its {} holds no certificate", cert())
            }
            RustlsTlsError::InvalidPrivateKey(_) => format!(
                "its {} is not a usable private key for its {}",
                key(),
                cert()
            ),
            RustlsTlsError::UnknownPrivateKeyFormat => {
                format!("its {} is a private key of an unknown format", key())
            }
            RustlsTlsError::AddRootCertificate(_) => {
                format!("its {} is not a valid certificate", ca())
            }
            RustlsTlsError::NoValidNativeRootCA(_) => {
                "it has no certificate-authority-data and this system has no root certificates"
                    .into()
            }
            RustlsTlsError::InvalidServerName(_) => {
                "its cluster's server host name is not valid for TLS".into()
            }
        },
        // The client certificate and key are decoded only now.
        kube::Error::InferKubeconfig(e) => kubeconfig_problem(e, lines),
        kube::Error::Auth(auth) => auth_problem(auth),
        _ => "a Kubernetes client cannot be built from it".into(),
    }
}

/// Why the kubeconfig user's credentials could not be used. An exec plugin's output, which holds its
/// token, is never repeated.
fn auth_problem(err: &AuthError) -> String {
    match err {
        AuthError::InvalidBearerToken(_) => {
            "its user's token is not a valid HTTP header value".into()
        }
        AuthError::InvalidBasicAuth(_) => {
            "its user's username or password is not a valid HTTP header value".into()
        }
        AuthError::ReadTokenFile(_, path) => {
            format!("its user's token file {} cannot be read", path.display())
        }
        AuthError::AuthExecStart(e) => format!("its user's exec plugin cannot be started ({e})"),
        AuthError::AuthExecRun { out, .. } => {
            format!("its user's exec plugin failed ({})", out.status)
        }
        AuthError::AuthExecParse(_) | AuthError::ExecPluginFailed => {
            "its user's exec plugin did not print a valid ExecCredential".into()
        }
        _ => "its user's credentials cannot be obtained".into(),
    }
}

/// The credential failure among `err`'s causes, if any: the client reports them at call time, wrapped.
pub(super) fn auth_problem_in(err: &kube::Error) -> Option<String> {
    gluelinks_core::errors::find_cause::<AuthError>(err).map(auth_problem)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_claimed_only_when_the_file_agrees() {
        let entries = [(false, true), (false, false), (true, true)];
        let text = "users:\n- name: a\n  user:\n    client-key-data: x\n- name: b\n- name: c\n  user:\n    client-key-data: y\n";
        assert_eq!(line_of(text, "client-key-data", &entries), Some(8));
        let flow =
            "users: [{name: a, user: {client-key-data: x}}, {name: c, user: {client-key-data: y}}]";
        assert_eq!(line_of(flow, "client-key-data", &entries), None);
        assert_eq!(line_of(text, "client-key-data", &[(true, false)]), None);
    }
}

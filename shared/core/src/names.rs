//! Kubernetes names, checked in one place: every name GlueLinks puts into a path, a key, a Secrets Manager
//! name or a Kubernetes call is one of these, so no `/`, `..`, `:` or NUL can reach further than meant.

/// The longest RFC 1123 label: a namespace, a cluster name.
pub const MAX_LABEL: usize = 63;
/// The longest RFC 1123 subdomain: a Secret's or an Application's name.
pub const MAX_SUBDOMAIN: usize = 253;

/// An RFC 1123 label: 1 to 63 lowercase letters, digits and `-`, starting and ending with a letter or
/// digit (namespaces, cluster names).
pub fn is_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= MAX_LABEL
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

/// An RFC 1123 subdomain: labels joined by dots, at most 253 characters (Secret and Application names).
/// Every part is itself a label, so `a..b` and `a.-b`, which Kubernetes refuses, are refused here first.
pub fn is_subdomain(s: &str) -> bool {
    s.len() <= MAX_SUBDOMAIN && s.split('.').all(is_label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_subdomains() {
        let long_label = "a".repeat(63);
        let too_long_label = "a".repeat(64);
        let long_subdomain = [long_label.as_str(); 4].join(".");
        for (name, label, subdomain) in [
            ("prod", true, true),
            ("a-1", true, true),
            (long_label.as_str(), true, true),
            ("taco.backend", false, true),
            ("", false, false),
            ("-a", false, false),
            ("a-", false, false),
            ("A", false, false),
            ("a_b", false, false),
            ("a..b", false, false),
            ("a.-b", false, false),
            ("../x", false, false),
            ("a:b", false, false),
            (too_long_label.as_str(), false, false),
            (long_subdomain.as_str(), false, false),
        ] {
            assert_eq!(is_label(name), label, "label {name:?}");
            assert_eq!(is_subdomain(name), subdomain, "subdomain {name:?}");
        }
    }
}

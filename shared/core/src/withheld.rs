//! What a caller who may not write is told of a failure whose full text could carry an AWS account or
//! role ARN, a secret's name or path, or an API server's own message: our words and an error id. The full
//! text is logged under that id, where the operator finds it.

use std::hash::{BuildHasher, Hasher};

/// `public` and an error id; `detail` (the full text) is logged with that id.
pub fn withheld(public: &str, detail: &dyn std::fmt::Display) -> String {
    let id = error_id();
    tracing::warn!(error_id = %id, detail = %detail, "{public}");
    format!("{public} (error id {id}: the detail is in the function's log)")
}

/// 12 hexadecimal digits, different for every call: a fresh `RandomState` is seeded from the OS's
/// randomness per thread and advanced on every use.
fn error_id() -> String {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    format!("{:012x}", hasher.finish() & 0xffff_ffff_ffff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_detail_stays_out_of_the_message() {
        let detail = "User: arn:aws:sts::123456789012:assumed-role/x is not authorized";
        let a = withheld("The kubeconfig store cannot be read", &detail);
        let b = withheld("The kubeconfig store cannot be read", &detail);
        assert!(
            a.starts_with("The kubeconfig store cannot be read (error id "),
            "{a}"
        );
        assert!(!a.contains("arn:") && !a.contains("123456789012"), "{a}");
        assert_ne!(a, b, "each failure has its own id");
    }
}

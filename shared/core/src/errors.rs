//! Reading an error's cause chain: the one walker every crate uses to find what lies beneath a client's
//! own wording (an I/O error's kind, a credential failure, the innermost reason).

use std::error::Error;

/// `err` and its sources, outermost first.
pub fn causes<'a>(
    err: &'a (dyn Error + 'static),
) -> impl Iterator<Item = &'a (dyn Error + 'static)> {
    std::iter::successors(Some(err), |&e| e.source())
}

/// The first cause of type `T` in `err`'s chain, `err` itself included.
pub fn find_cause<'a, T: Error + 'static>(err: &'a (dyn Error + 'static)) -> Option<&'a T> {
    causes(err).find_map(|e| e.downcast_ref::<T>())
}

/// The innermost cause's own words: beneath the wrappers that only say which layer failed.
pub fn innermost(err: &(dyn Error + 'static)) -> String {
    causes(err)
        .last()
        .map(ToString::to_string)
        .unwrap_or_default()
}

/// Every cause's words, outermost first, joined by ": ".
pub fn chain_text(err: &(dyn Error + 'static)) -> String {
    causes(err)
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("reaching the store failed")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn the_chain_is_read_outermost_first() {
        let err = Outer(std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "refused",
        ));
        assert_eq!(chain_text(&err), "reaching the store failed: refused");
        assert_eq!(innermost(&err), "refused");
        let io = find_cause::<std::io::Error>(&err).map(std::io::Error::kind);
        assert_eq!(io, Some(std::io::ErrorKind::ConnectionRefused));
        assert!(find_cause::<std::fmt::Error>(&err).is_none());
    }
}

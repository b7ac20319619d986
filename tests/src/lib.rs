//! What the cross-function tests share: loading the committed sample events as Lambda requests.

use std::path::PathBuf;

/// The repository's top folder.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the repository")
        .to_path_buf()
}

/// A sample event from `events/`, as the text `cargo lambda invoke --data-file` sends.
pub fn event_text(name: &str) -> String {
    let path = repo_root().join("events").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A sample event parsed into the request a function's handler receives.
pub fn event(name: &str) -> lambda_http::Request {
    lambda_http::request::from_str(&event_text(name)).expect("a valid API Gateway event")
}

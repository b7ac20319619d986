//! Where the project's files and tools are, for the emulator and for the tests that drive it: the
//! repository, the RBAC manifests it ships, a scratch directory, and the `kubectl` to check against.

use std::path::PathBuf;

/// The repository's top folder.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("tests/emulator/ sits in the repository")
        .to_path_buf()
}

/// Every RBAC manifest the project ships (`shared/rbac/*.yaml`), as one multi-document text, for the
/// emulator to enforce.
pub fn shipped_rbac() -> String {
    let dir = repo_root().join("shared/rbac");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{}: {e}", f.display())))
        .collect::<Vec<_>>()
        .join("\n---\n")
}

/// A fresh, empty directory under the system temp dir, unique to this process and `name`.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gluelinks-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temp dir");
    dir
}

/// Every `kubectl` the emulator is checked against: `$KUBECTL` alone when set, else the project
/// virtualenv's (a current release) and the system's, where present.
pub fn kubectls() -> Vec<PathBuf> {
    if let Some(path) = std::env::var_os("KUBECTL") {
        return vec![PathBuf::from(path)];
    }
    let mut found: Vec<PathBuf> = [
        repo_root().join(".venv/bin/kubectl"),
        PathBuf::from("/usr/bin/kubectl"),
    ]
    .into_iter()
    .filter(|p| p.exists())
    .collect();
    if found.is_empty() {
        found.push(kubectl());
    }
    found
}

/// The `kubectl` the tests drive: `$KUBECTL`, else the project virtualenv's, else the one on `PATH`.
pub fn kubectl() -> PathBuf {
    if let Some(path) = std::env::var_os("KUBECTL") {
        return PathBuf::from(path);
    }
    let venv = repo_root().join(".venv/bin/kubectl");
    if venv.exists() {
        venv
    } else {
        PathBuf::from("kubectl")
    }
}

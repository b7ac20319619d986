//! What `template.yaml` declares, read as text: the routes of the HTTP API and the functions they invoke.

use gluelinks_emulator::project::repo_root;

/// The binary (and `functions/` folder) of a template function's logical id without its `Function`
/// suffix: `SecretsList` → `secrets-list`, as the Makefile's `build-<LogicalId>` targets map them.
pub fn function_binary(logical: &str) -> String {
    let mut out = String::new();
    for (i, c) in logical.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// One route `template.yaml` declares: the function binary it invokes, its method and path, and whether
/// API Gateway authorises it with AWS IAM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateRoute {
    pub function: String,
    pub method: String,
    pub path: String,
    pub iam: bool,
}

/// The HTTP API routes in `template.yaml`, read line by line: each function resource's `Binary:` and
/// its events' `Path:`/`Method:` pairs, with the `Authorizer: AWS_IAM` that follows one. Events without a path (the `$default` route) are left out.
pub fn template_routes() -> Vec<TemplateRoute> {
    let text = std::fs::read_to_string(repo_root().join("template.yaml")).expect("template.yaml");
    let mut routes = Vec::new();
    let mut binary = String::new();
    let mut pending: Vec<(String, String, bool)> = Vec::new();
    let mut path: Option<String> = None;
    let mut flush = |binary: &str, pending: &mut Vec<(String, String, bool)>| {
        for (method, path, iam) in pending.drain(..) {
            routes.push(TemplateRoute {
                function: binary.to_string(),
                method,
                path,
                iam,
            });
        }
    };
    for line in text.lines() {
        let indent = line.len() - line.trim_start().len();
        let trimmed = line.trim();
        if indent == 2 && trimmed.ends_with(':') {
            flush(&binary, &mut pending);
            binary = trimmed
                .trim_end_matches(':')
                .strip_suffix("Function")
                .map(function_binary)
                .unwrap_or_default();
        } else if let Some(p) = trimmed.strip_prefix("Path: ") {
            path = Some(p.to_string());
        } else if let Some(m) = trimmed.strip_prefix("Method: ") {
            if let Some(p) = path.take() {
                pending.push((m.to_ascii_uppercase(), p, false));
            }
        } else if trimmed == "Authorizer: AWS_IAM" {
            if let Some(last) = pending.last_mut() {
                last.2 = true;
            }
        }
    }
    flush(&binary, &mut pending);
    routes
}

//! `template.yaml` agrees with the rest: its routes with the functions' route tables, the OpenAPI document
//! and `make run`'s router; its CORS headers with the functions'; its functions with the Makefile's SAM
//! targets; and every function is bounded and the API throttled.

use gluelinks_core::auth::Scope;
use gluelinks_emulator::project::repo_root;
use gluelinks_tests::functions::route_tables;
use gluelinks_tests::harness::SAMPLE_OPERATOR_GRANTS;
use gluelinks_tests::template::{function_binary, template_routes};
use serde_json::Value;

#[test]
fn template_function_tables_and_openapi_agree() {
    let documented = gluelinks_core::api_doc::routes();
    let declared = template_routes();
    assert!(declared.len() >= 7, "{declared:?}");
    for r in &declared {
        assert!(
            documented.contains(&(r.method.clone(), r.path.clone())),
            "{} {} is in template.yaml but not in openapi.json",
            r.method,
            r.path
        );
    }
    for (method, path) in &documented {
        assert!(
            declared
                .iter()
                .any(|r| &r.method == method && &r.path == path),
            "{method} {path} is documented but template.yaml has no route for it"
        );
    }
    let tables = route_tables();
    let doc: Value = serde_json::from_str(gluelinks_core::api_doc::OPENAPI_JSON).unwrap();
    for (function, routes) in &tables {
        for (method, path, scope) in routes {
            // The document's security matches what the function enforces, and the operator routes are
            // the ones API Gateway authorises with AWS IAM (SigV4) in the deployed stack.
            let security = &doc["paths"][path][method.to_ascii_lowercase()]["security"];
            let open = security.as_array().is_some_and(Vec::is_empty);
            assert_eq!(
                open,
                *scope == Scope::Public,
                "{function}: {method} {path} security {security}"
            );
            let operator = matches!(scope, Scope::List | Scope::Write);
            let signed = security.to_string().contains("awsSigV4");
            assert_eq!(
                signed, operator,
                "{function}: {method} {path} security {security}"
            );
            let iam = declared
                .iter()
                .any(|r| r.method == *method && r.path == *path && r.iam);
            assert_eq!(
                iam, operator,
                "{function}: {method} {path}: AWS_IAM in template.yaml"
            );
        }
    }
    let makefile = std::fs::read_to_string(repo_root().join("Makefile")).unwrap();
    assert!(
        makefile.contains(SAMPLE_OPERATOR_GRANTS),
        "the Makefile's SAMPLE_OPERATOR_GRANTS is the tests' own"
    );
    // `make run` routes each path to the function the HTTP API does.
    let manifest = std::fs::read_to_string(repo_root().join("Cargo.toml")).unwrap();
    let router: Vec<(String, String)> = manifest
        .split("[workspace.metadata.lambda.watch.router]")
        .nth(1)
        .unwrap()
        .lines()
        .filter_map(|l| {
            let (path, function) = l.split_once(" = ")?;
            Some((
                path.trim_matches('"').to_string(),
                function.trim_matches('"').to_string(),
            ))
        })
        .collect();
    for r in &declared {
        let routed = router
            .iter()
            .find(|(p, _)| *p == r.path)
            .map(|(_, f)| f.as_str());
        assert_eq!(
            routed,
            Some(r.function.as_str()),
            "{} in the cargo lambda watch router",
            r.path
        );
    }
    let served: usize = tables.iter().map(|(_, t)| t.len()).sum();
    assert_eq!(
        served,
        declared.len(),
        "every template route is served by its function"
    );
    for (function, routes) in tables {
        let table: Vec<(&str, &str)> = routes.iter().map(|(m, p, _)| (*m, *p)).collect();
        let in_template: Vec<(&str, &str)> = declared
            .iter()
            .filter(|r| r.function == function)
            .map(|r| (r.method.as_str(), r.path.as_str()))
            .collect();
        assert_eq!(
            table, in_template,
            "{function}'s routes differ from template.yaml"
        );
    }
}

/// The HTTP API answers preflights itself when deployed: its allowed headers are the list the functions
/// allow locally (`headers::allowed`), with the template's defaults for the token and cluster headers.
#[test]
fn the_templates_cors_headers_are_the_functions() {
    use gluelinks_core::headers;
    let text = std::fs::read_to_string(repo_root().join("template.yaml")).unwrap();
    let default_of = |parameter: &str| {
        let start = text.find(&format!("\n  {parameter}:\n")).unwrap();
        text[start..]
            .lines()
            .find_map(|l| l.trim().strip_prefix("Default: "))
            .unwrap()
            .to_string()
    };
    assert_eq!(default_of("AuthHeader"), headers::DEFAULT_TOKEN);
    assert_eq!(default_of("ClusterHeader"), headers::DEFAULT_CLUSTER);
    let line = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("AllowHeaders: "))
        .unwrap();
    let mut template: Vec<String> = line
        .trim_matches(['[', ']'])
        .split(',')
        .map(|h| match h.trim() {
            "!Ref AuthHeader" => headers::DEFAULT_TOKEN.to_ascii_lowercase(),
            "!Ref ClusterHeader" => headers::DEFAULT_CLUSTER.to_ascii_lowercase(),
            other => other.to_string(),
        })
        .collect();
    let mut functions = headers::allowed(headers::DEFAULT_TOKEN, headers::DEFAULT_CLUSTER);
    template.sort();
    functions.sort();
    assert_eq!(template, functions);
}

/// A flood costs little: the HTTP API throttles every route before a function runs, and every function's
/// concurrency is bounded (the HTTP ones by `FunctionConcurrency`, the warm one to a single run).
#[test]
fn every_function_is_bounded_and_the_api_throttled() {
    let text = std::fs::read_to_string(repo_root().join("template.yaml")).unwrap();
    // Top-level resource blocks, by name.
    let resources = &text[text.find("\nResources:\n").unwrap()..];
    let mut blocks: Vec<(String, String)> = Vec::new();
    for line in resources.lines().skip(2) {
        if line.starts_with("  ") && !line.starts_with("   ") && line.trim_end().ends_with(':') {
            blocks.push((line.trim().trim_end_matches(':').to_string(), String::new()));
        } else if !line.starts_with(' ') && !line.is_empty() {
            break;
        } else if let Some((_, body)) = blocks.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    let globals = &text[text.find("\nGlobals:\n").unwrap()..text.find("\nResources:\n").unwrap()];
    assert!(globals.contains(
        "ReservedConcurrentExecutions: !If [ReservesConcurrency, !Ref FunctionConcurrency, !Ref AWS::NoValue]"
    ));
    let functions: Vec<&(String, String)> = blocks
        .iter()
        .filter(|(_, b)| b.contains("Type: AWS::Serverless::Function"))
        .collect();
    assert_eq!(
        functions.len(),
        7,
        "{:?}",
        blocks.iter().map(|b| &b.0).collect::<Vec<_>>()
    );
    let warm = functions.iter().find(|(n, _)| n == "WarmFunction").unwrap();
    assert!(
        warm.1.contains(
            "ReservedConcurrentExecutions: !If [ReservesConcurrency, 1, !Ref AWS::NoValue]"
        ),
        "one warm run at a time"
    );
    // Stable names: metrics' `function` dimension and alarms survive a replacement.
    for (logical, body) in &functions {
        let binary = function_binary(logical.trim_end_matches("Function"));
        assert!(
            body.contains(&format!(
                "FunctionName: !Sub \"${{AWS::StackName}}-{binary}\""
            )),
            "{logical}"
        );
    }
    // SAM builds each function with the Makefile's target for it.
    let makefile = std::fs::read_to_string(repo_root().join("Makefile")).unwrap();
    for (logical, _) in &functions {
        let binary = function_binary(logical.trim_end_matches("Function"));
        assert!(
            makefile.contains(&format!("{logical}:{binary}")),
            "{logical} in SAM_FUNCTIONS"
        );
    }
    let api = blocks.iter().find(|(n, _)| n == "HttpApi").unwrap();
    for setting in [
        "ThrottlingRateLimit: !Ref ThrottleRateLimit",
        "ThrottlingBurstLimit: !Ref ThrottleBurstLimit",
    ] {
        assert!(api.1.contains(setting), "{setting}");
    }
    let default_of = |parameter: &str| -> u64 {
        let start = text.find(&format!("\n  {parameter}:\n")).unwrap();
        text[start..]
            .lines()
            .find_map(|l| l.trim().strip_prefix("Default: "))
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!(default_of("FunctionConcurrency") <= 20);
    assert!(default_of("ThrottleRateLimit") <= 100);
}

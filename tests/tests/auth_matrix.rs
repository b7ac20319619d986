//! Who may call what, route by route: every route the HTTP API declares (template.yaml), through the
//! function that serves it, with no token, a wrong one, an unresolved Argo CD `$` placeholder, Argo CD's
//! proxy token and the operator token, each in every header that may carry it, and signed by an AWS
//! principal (the request context API Gateway's IAM authorization fills) granted write, granted list
//! only, or not granted. Responses are checked against the API description as well.

use gluelinks_core::auth::Scope;
use gluelinks_core::config::Env;
use gluelinks_emulator::project::temp_dir;
use gluelinks_http::response::body_json;
use gluelinks_tests::functions::{route_tables, Functions};
use gluelinks_tests::harness::{install_crypto, Event};
use gluelinks_tests::template::template_routes;
use lambda_http::Request;

const PROXY: &str = "matrix-proxy-token-0123456789";
const OPERATOR: &str = "matrix-operator-token-0123456789";
const CI: &str = "arn:aws:sts::123456789012:assumed-role/platform-ci/run-7";
const AUDITOR: &str = "arn:aws:sts::123456789012:assumed-role/auditor/alice";
const STRANGER: &str = "arn:aws:sts::123456789012:assumed-role/someone-else/bob";
const GRANTS: &str = r#"{"arn:aws:iam::123456789012:role/platform-ci": {"clusters": "*", "access": "write"},
    "arn:aws:iam::123456789012:role/auditor": {"clusters": "*", "access": "list"}}"#;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Presented {
    Nothing,
    Wrong,
    Placeholder,
    Proxy,
    Operator,
    IamWriter,
    IamLister,
    IamStranger,
}

/// What a route must answer: refused as unauthenticated (401), refused as not allowed (403), or let
/// through to the route itself (anything else).
#[derive(Debug, PartialEq)]
enum Verdict {
    Unauthenticated,
    Forbidden,
    Through,
}

/// One cell: who, the headers sent, the principal API Gateway verified, the token sent.
type Cell<'a> = (
    Presented,
    Vec<(&'a str, String)>,
    Option<&'a str>,
    Option<&'a String>,
);

fn expected(scope: Scope, presented: Presented) -> Verdict {
    use Presented::*;
    match (scope, presented) {
        (Scope::Public, _) => Verdict::Through,
        (_, Nothing | Wrong | Placeholder) => Verdict::Unauthenticated,
        (Scope::List | Scope::Write, Proxy) => Verdict::Forbidden,
        (Scope::Write, IamLister) => Verdict::Forbidden,
        (_, IamStranger) => Verdict::Forbidden,
        _ => Verdict::Through,
    }
}

fn request(method: &str, path: &str, headers: &[(&str, String)], iam: Option<&str>) -> Request {
    let mut e = Event::sample("health-api-v1-health.json")
        .path(path)
        .method(method)
        .header("argocd-application-name", "argocd:taco-backend-prod");
    for (k, v) in headers {
        e = e.header(k, v);
    }
    if method == "POST" {
        e = e.body("{}").header("content-type", "application/json");
    }
    if let Some(arn) = iam {
        e = e.iam(arn);
    }
    e.request()
}

/// A route template with its parameters filled in.
fn concrete(path: &str) -> String {
    path.replace("{name}", "minimal")
        .replace("{app}", "taco-backend-prod")
        .replace("{file}", "swagger-ui.css")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_by_every_token_in_every_header() {
    install_crypto();
    let dirs: Vec<String> = ["reader", "lister", "writer"]
        .iter()
        .map(|i| temp_dir(&format!("auth-matrix-{i}")).display().to_string())
        .collect();
    let env = Env::from_pairs([
        ("AUTH_PROXY_TOKEN", PROXY),
        ("AUTH_OPERATOR_TOKEN", OPERATOR),
        ("OPERATOR_GRANTS", GRANTS),
        ("CLUSTERS_DIR", dirs[0].as_str()),
        ("SECRETS_LIST_CLUSTERS_DIR", dirs[1].as_str()),
        ("SECRETS_ADD_CLUSTERS_DIR", dirs[2].as_str()),
    ]);
    let functions = Functions::from_env(&env).await;
    let scopes: Vec<(&str, &str, Scope)> = route_tables()
        .into_iter()
        .flat_map(|(_, table)| table)
        .collect();

    let tokens = [
        (Presented::Nothing, None),
        (
            Presented::Wrong,
            Some("not-the-token-0123456789".to_string()),
        ),
        (Presented::Placeholder, Some("$gluelinks.token".to_string())),
        (Presented::Proxy, Some(PROXY.to_string())),
        (Presented::Operator, Some(OPERATOR.to_string())),
    ];
    let signed = [
        (Presented::IamWriter, CI),
        (Presented::IamLister, AUDITOR),
        (Presented::IamStranger, STRANGER),
    ];
    let mut cells = 0;
    for route in template_routes() {
        let (_, _, scope) = *scopes
            .iter()
            .find(|(m, p, _)| *m == route.method && *p == route.path)
            .unwrap_or_else(|| panic!("{} {} is served", route.method, route.path));
        let mut cases: Vec<Cell> = Vec::new();
        for (presented, token) in &tokens {
            match token {
                None => cases.push((*presented, vec![], None, None)),
                Some(t) => {
                    cases.push((
                        *presented,
                        vec![("authorization", format!("Bearer {t}"))],
                        None,
                        Some(t),
                    ));
                    cases.push((
                        *presented,
                        vec![("x-gluelinks-token", t.clone())],
                        None,
                        Some(t),
                    ));
                }
            }
        }
        for (presented, arn) in signed {
            cases.push((presented, vec![], Some(arn), None));
        }
        for (presented, headers, iam, token) in cases {
            let req = request(&route.method, &concrete(&route.path), &headers, iam);
            let response = functions.handle_checked(&route.function, req).await;
            let status = response.status().as_u16();
            let verdict = match status {
                401 => Verdict::Unauthenticated,
                403 => Verdict::Forbidden,
                _ => Verdict::Through,
            };
            let cell = format!("{} {} {presented:?} {headers:?}", route.method, route.path);
            assert_eq!(verdict, expected(scope, presented), "{cell}: {status}");
            if status == 401 || status == 403 {
                // The refusal says what to send or what is missing, and never echoes what was sent.
                let text = body_json(&response).to_string();
                assert!(
                    text.contains("token") || text.contains("grant"),
                    "{cell}: {text}"
                );
                if let Some(t) = token {
                    assert!(!text.contains(t.as_str()), "{cell}: echoed the token");
                }
                if let Some(arn) = iam {
                    assert!(!text.contains(arn), "{cell}: quoted the principal");
                }
            }
            cells += 1;
        }
    }
    // Twelve cells per route: no token, four tokens in each of two headers, three AWS principals.
    assert_eq!(cells, 12 * template_routes().len());
}

//! Matching a request path against a function's route templates (`/api/v1/fixtures/{name}`).
//!
//! Parameters are read from the path itself, so they come out the same whether API Gateway or
//! `cargo lambda watch` delivered the event. Each parameter is percent-decoded; invalid UTF-8 becomes U+FFFD.

use gluelinks_core::auth::Scope;
use percent_encoding::percent_decode_str;

/// One route a function serves. `id` is the function's own name for it.
#[derive(Debug)]
pub struct Route<R> {
    /// The function's name for the route, which its handler matches on.
    pub id: R,
    /// `GET` or `POST`.
    pub method: &'static str,
    /// The path template, `{name}` for a parameter (`/api/v1/fixtures/{name}`).
    pub path: &'static str,
    /// Who may call it.
    pub scope: Scope,
}

impl<R> Route<R> {
    /// A `GET` route.
    pub const fn get(id: R, path: &'static str, scope: Scope) -> Self {
        Self {
            id,
            method: "GET",
            path,
            scope,
        }
    }

    /// A `POST` route.
    pub const fn post(id: R, path: &'static str, scope: Scope) -> Self {
        Self {
            id,
            method: "POST",
            path,
            scope,
        }
    }
}

/// Path parameters of a matched route.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// The decoded value; empty when the template has no such parameter.
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }
}

pub(crate) enum Match<R: 'static> {
    Found(&'static Route<R>, Params),
    MethodNotAllowed(Vec<String>),
    NotFound,
}

/// The parameters when `path` fits `template`, segment by segment.
pub fn matches(template: &str, path: &str) -> Option<Params> {
    let mut t = template.split('/');
    let mut p = path.split('/');
    let mut params = Vec::new();
    loop {
        match (t.next(), p.next()) {
            (None, None) => return Some(Params(params)),
            (Some(ts), Some(ps)) => {
                if let Some(name) = ts.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    if ps.is_empty() {
                        return None;
                    }
                    let value = percent_decode_str(ps).decode_utf8_lossy().into_owned();
                    params.push((name.to_string(), value));
                } else if ts != ps {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

pub(crate) fn find<R>(routes: &'static [Route<R>], method: &str, path: &str) -> Match<R> {
    let mut allowed = Vec::new();
    for route in routes {
        if let Some(params) = matches(route.path, path) {
            if route.method == method {
                return Match::Found(route, params);
            }
            allowed.push(route.method.to_string());
        }
    }
    if allowed.is_empty() {
        Match::NotFound
    } else {
        Match::MethodNotAllowed(allowed)
    }
}

/// The methods `(method, template)` pairs allow on `path`.
pub fn methods_for(routes: &[(String, String)], path: &str) -> Vec<String> {
    let mut methods: Vec<String> = routes
        .iter()
        .filter(|(_, template)| matches(template, path).is_some())
        .map(|(method, _)| method.clone())
        .collect();
    methods.sort();
    methods.dedup();
    methods
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_templates_segment_by_segment() {
        type Case = (
            &'static str,
            &'static str,
            Option<Vec<(&'static str, &'static str)>>,
        );
        let cases: [Case; 8] = [
            ("/health", "/health", Some(vec![])),
            ("/health", "/health/", None),
            (
                "/api/v1/fixtures/{name}",
                "/api/v1/fixtures/all-ok",
                Some(vec![("name", "all-ok")]),
            ),
            (
                "/api/v1/fixtures/{name}",
                "/api/v1/fixtures/..%2Fx",
                Some(vec![("name", "../x")]),
            ),
            (
                "/api/v1/fixtures/{name}",
                "/api/v1/fixtures/%FF%FE",
                Some(vec![("name", "\u{fffd}\u{fffd}")]),
            ),
            ("/api/v1/fixtures/{name}", "/api/v1/fixtures/", None),
            ("/api/v1/fixtures/{name}", "/api/v1/fixtures/a/b", None),
            (
                "/api/v1/applications/{app}/links",
                "/api/v1/applications/taco/links",
                Some(vec![("app", "taco")]),
            ),
        ];
        for (template, path, expected) in cases {
            let expected = expected.map(|pairs| {
                Params(
                    pairs
                        .into_iter()
                        .map(|(k, v)| (k.into(), v.into()))
                        .collect(),
                )
            });
            assert_eq!(matches(template, path), expected, "{template} {path}");
        }
    }

    #[test]
    fn tells_wrong_method_from_unknown_path() {
        static ROUTES: &[Route<u8>] = &[
            Route::get(1, "/secrets", Scope::List),
            Route::post(2, "/secrets/add_docker", Scope::Write),
        ];
        assert!(matches!(find(ROUTES, "GET", "/secrets"), Match::Found(r, _) if r.id == 1));
        assert!(
            matches!(find(ROUTES, "GET", "/secrets/add_docker"), Match::MethodNotAllowed(m) if m == ["POST"])
        );
        assert!(matches!(find(ROUTES, "GET", "/nope"), Match::NotFound));
        let others = vec![("GET".to_string(), "/clusters".to_string())];
        assert_eq!(methods_for(&others, "/clusters"), ["GET"]);
        assert!(methods_for(&others, "/clusters/x").is_empty());
    }
}

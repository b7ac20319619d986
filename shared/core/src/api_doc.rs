//! The API description: an OpenAPI 3 document of every route of every function (`openapi.json` beside
//! this crate's sources, its one home). The health function serves it, and the pages that render it.

/// The OpenAPI document itself, as JSON text, built into the binary.
pub const OPENAPI_JSON: &str = include_str!("../../openapi.json");

/// Every `(METHOD, path template)` the document describes.
pub fn routes() -> Vec<(String, String)> {
    let doc: serde_json::Value =
        serde_json::from_str(OPENAPI_JSON).expect("openapi.json is valid JSON (tested)");
    let mut out = Vec::new();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            for method in item.as_object().into_iter().flat_map(|m| m.keys()) {
                if matches!(method.as_str(), "get" | "post" | "put" | "patch" | "delete") {
                    out.push((method.to_ascii_uppercase(), path.clone()));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_is_openapi_3_with_every_operation_answering() {
        let doc: serde_json::Value = serde_json::from_str(OPENAPI_JSON).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        let routes = routes();
        assert!(routes.contains(&("GET".into(), "/api/v1/health".into())));
        for (method, path) in routes {
            let op = &doc["paths"][&path][method.to_ascii_lowercase()];
            assert!(
                op["operationId"].is_string(),
                "{method} {path} has no operationId"
            );
            assert!(
                op["responses"]["200"].is_object() || op["responses"]["201"].is_object(),
                "{method} {path} documents no success response"
            );
        }
    }
}

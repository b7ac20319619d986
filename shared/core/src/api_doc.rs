//! The API description: an OpenAPI 3 document of every route of every function (`openapi.json` beside
//! this crate's sources, its one home), and the interactive pages seed 000 offered at `/docs` and `/redoc`.
//!
//! The pages load Swagger UI and ReDoc from a CDN in the reader's browser and fetch the document by a
//! relative URL, so they keep working behind Argo CD's proxy prefix.

pub const OPENAPI_JSON: &str = include_str!("../../openapi.json");

pub const DOCS_HTML: &str = r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>GlueLinks API</title>
<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"></script>
<script>
SwaggerUIBundle({ url: "api/v1/openapi.json", dom_id: "#swagger-ui" });
</script>
</body>
</html>
"##;

pub const REDOC_HTML: &str = r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>GlueLinks API</title>
</head>
<body>
<redoc spec-url="api/v1/openapi.json"></redoc>
<script src="https://cdn.jsdelivr.net/npm/redoc@2/bundles/redoc.standalone.js"></script>
</body>
</html>
"##;

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

//! The interactive API pages the original extension backend offered: `/docs` (Swagger UI) and `/redoc` (ReDoc), with their
//! scripts and styles served by this function from `assets/` — pinned versions, vendored and checked
//! against their upstream digests (`assets/PROVENANCE.md`) — so the pages work without internet and run
//! nothing a CDN could swap on the page where users paste tokens. Every URL is relative, so the pages keep
//! working behind Argo CD's proxy prefix.

/// One vendored file: its name under `/docs/assets/`, its type, and its gzip-compressed bytes.
pub struct Asset {
    pub name: &'static str,
    pub content_type: &'static str,
    pub gzip: &'static [u8],
}

pub static ASSETS: [Asset; 3] = [
    Asset {
        name: "swagger-ui-bundle.js",
        content_type: "application/javascript; charset=utf-8",
        gzip: include_bytes!("../assets/swagger-ui-bundle.js.gz"),
    },
    Asset {
        name: "swagger-ui.css",
        content_type: "text/css; charset=utf-8",
        gzip: include_bytes!("../assets/swagger-ui.css.gz"),
    },
    Asset {
        name: "redoc.standalone.js",
        content_type: "application/javascript; charset=utf-8",
        gzip: include_bytes!("../assets/redoc.standalone.js.gz"),
    },
];

pub fn asset(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.name == name)
}

/// Swagger UI's start, a file of its own so that the pages run no inline script.
pub const SWAGGER_INIT: &str =
    "SwaggerUIBundle({ url: \"api/v1/openapi.json\", dom_id: \"#swagger-ui\" });\n";

/// What the pages may load: their own scripts only (no inline or remote script, so nothing injected into
/// the page where users paste tokens can run), inline styles (both UIs set them), and ReDoc's search
/// worker, which it starts from a `blob:` URL.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'self'";

pub const DOCS_HTML: &str = r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>GlueLinks API</title>
<link rel="stylesheet" href="docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="docs/assets/swagger-ui-bundle.js"></script>
<script src="docs/assets/swagger-init.js"></script>
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
<script src="docs/assets/redoc.standalone.js"></script>
</body>
</html>
"##;

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};
    use std::io::Read;

    /// The vendored files are the pinned upstream ones, byte for byte once decompressed.
    #[test]
    fn assets_are_the_pinned_upstream_files() {
        let provenance = include_str!("../assets/PROVENANCE.md");
        for a in &ASSETS {
            let mut plain = Vec::new();
            flate2::read::GzDecoder::new(a.gzip)
                .read_to_end(&mut plain)
                .unwrap();
            let digest: String = Sha256::digest(&plain)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            let row = provenance
                .lines()
                .find(|l| l.starts_with(&format!("| `{}.gz`", a.name)))
                .unwrap_or_else(|| panic!("{} is not in PROVENANCE.md", a.name));
            assert!(row.contains(&digest), "{}: {digest}", a.name);
        }
        for page in [DOCS_HTML, REDOC_HTML] {
            assert!(!page.contains("http"), "no remote resource: {page}");
            for src in page.split("docs/assets/").skip(1) {
                let name = src.split('"').next().unwrap();
                assert!(
                    asset(name).is_some() || name == "swagger-init.js",
                    "{name} is served"
                );
            }
            assert!(!page.contains("<script>"), "no inline script");
        }
    }
}

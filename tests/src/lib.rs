//! GlueLinks' cross-function tests: each function called through its sample API Gateway events, against an
//! emulated cluster (the `gluelinks-emulator` crate, `tests/emulator/`), real Valkey and moto servers, and
//! the shipped zips run as Lambda runs them.
//!
//! # Where a test goes
//!
//! | a test of … | goes in `tests/tests/` … | a binary of its own for |
//! |---|---|---|
//! | health, fixtures, CORS preflights, every sample event answering 200 | `health_fixtures.rs` | |
//! | `template.yaml` agreeing with the route tables, the OpenAPI document, the Makefile and `make run`'s router | `template.rs` | |
//! | who may call which route with which token or AWS principal | `auth_matrix.rs` | |
//! | `GET /clusters` | `clusters.rs` | |
//! | the links route and readiness: URLs, headers, cache, degraded answers | `links.rs` | AWS settings (an endpoint that never answers) |
//! | discovery on every Argo CD install shape, and rounds of Kubernetes calls | `discovery.rs` | |
//! | the warm run | `warm.rs` | |
//! | `GET /secrets` (metadata-only listing) | `secrets_list.rs` | |
//! | the `POST /secrets/add_*` writes: validation, ownership, upsert, adoption, audit | `secrets_add.rs` | the log capture |
//! | many clusters per request: fleet writes, rotation, the fleet view, removal | `fleet.rs` | the log capture |
//! | each function with its own identity, and the shipped RBAC granting exactly what they use | `rbac.rs` | |
//! | kubeconfigs that are broken or would run or read something | `kubeconfigs.rs` | the log capture |
//! | kubeconfigs stored in AWS Secrets Manager | `kubeconfig_store_aws.rs` | AWS settings (moto) |
//! | a Secrets Manager that never answers | `kubeconfig_store_aws_silent.rs` | AWS settings |
//! | `GET /secrets`' deadline over a slow store and a slow cluster | `secrets_list_deadline.rs` | AWS settings |
//! | an EKS `aws eks get-token` kubeconfig | `eks.rs` | AWS credentials, `PATH` |
//! | the cache's IAM authentication (ElastiCache) | `valkey_iam.rs` | `SSL_CERT_FILE`, AWS credentials |
//! | readiness explained by ElastiCache | `cache_diagnosis.rs` | AWS settings |
//! | no secret in a log, metric, answer or cache entry | `canaries.rs` | the log and metric captures |
//! | the CloudWatch metrics (EMF) | `metrics.rs` | the metric capture |
//! | every function under every fault (renders the README's fault table) | `faults.rs` | AWS settings (moto) |
//! | hostile input, by property: headers, templates, bodies, kubeconfigs | `hostile_input.rs` | |
//! | the light functions linking no heavy client, the domain crates no Lambda runtime | `dependencies.rs` | |
//! | the shipped arm64 zips | `deployed.rs` | `make deployed` (ignored by a plain `cargo test`) |
//! | `/docs` rendered by Chromium | `docs_browser.rs` | `make docs-browser` (ignored by a plain `cargo test`) |
//! | the emulator itself (against `kubectl` and the kube client) | `tests/emulator/tests/conformance.rs`, and unit tests in `tests/emulator/src/` | |
//!
//! A test goes in the file of what it tests, unless it needs a binary of its own (below); a new file gets
//! its row here (a unit test checks that every file in `tests/tests/` has one).
//!
//! # The harness
//!
//! Start from [`harness`]: the sample tokens ([`harness::PROXY_TOKEN`], [`harness::OPERATOR_TOKEN`]), a
//! sample event edited into the request a test needs ([`harness::Event`]), settings merged with later pairs
//! winning ([`harness::env_of`]), [`harness::Stack::demo`] (the crypto provider installed once, the demo
//! cluster seeded, its kubeconfig written; a Valkey and one identity per function when asked), and the
//! helpers that read a links answer ([`harness::category`], [`harness::urls`], [`harness::without_times`]).
//! Call a function with [`openapi::Checked`]: `handle_checked` (the answer checked against
//! `shared/openapi.json`) or `answer` (its status and JSON body).
//!
//! Beside it: [`functions`] (every HTTP function built from one environment and called by name, their
//! route tables, a warm run), [`servers`] (Valkey, moto, plain HTTP stand-ins), [`logs`] (a log
//! capture), [`template`] (`template.yaml`'s routes), [`fault_proxy`] (a TCP proxy that stops, slows or
//! resets), [`emf`] (the metrics format), [`runtime_api`] and [`shipped`] (the shipped zips under a Lambda
//! Runtime API stand-in).
//! `src/bin/` holds `make run`'s front door (`front`) and `make bench` (`bench`), not tests.
//!
//! # When a test needs its own binary
//!
//! Each file in `tests/tests/` is a test binary, its tests running on threads of one process. A test that
//! changes the process environment (`AWS_*`, `SSL_CERT_FILE`, `PATH`) does it before anything reads it,
//! and shares its binary only with tests that want the same setting (`links.rs` points AWS at a silent
//! endpoint for all its tests; `faults.rs` at moto): give such a test a file of its own. So does a test that
//! reads what the whole process logged ([`logs::captured_logs`]) or emitted as metrics
//! (`gluelinks_core::metrics::capture`): every test beside it must be one that may log the same. The last
//! column of the table above says which files are such binaries, and why.

pub mod emf;
pub mod fault_proxy;
pub mod functions;
pub mod harness;
pub mod logs;
pub mod openapi;
pub mod runtime_api;
pub mod servers;
pub mod shipped;
pub mod template;

#[cfg(test)]
mod tests {
    /// The index above names every file in `tests/tests/`, and names no file that is not there.
    #[test]
    fn the_index_names_every_test_file() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let index: String = std::fs::read_to_string(dir.join("src/lib.rs"))
            .expect("src/lib.rs")
            .lines()
            .take_while(|l| l.starts_with("//!"))
            .collect::<Vec<_>>()
            .join("\n");
        let mut files: Vec<String> = std::fs::read_dir(dir.join("tests"))
            .expect("tests/")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|f| f.ends_with(".rs"))
            .collect();
        files.sort();
        for file in &files {
            assert!(
                index.contains(&format!("`{file}`")),
                "tests/tests/{file} is not in the index atop src/lib.rs: say what it holds there"
            );
        }
        let named = index
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|n| n.ends_with(".rs") && !n.contains('/'));
        for name in named {
            assert!(
                files.iter().any(|f| f == name),
                "the index names {name}, which tests/tests/ does not have"
            );
        }
    }
}

//! Canned links responses for building and demoing the Argo CD extension without a cluster.
//!
//! Each fixture is a [`Discovery`] rendered by the same code as a real response, so the shapes cannot drift.
//! Together they cover every category status: `ok`, `empty` and `error`.

use crate::{render, Discovery, Link, LinkSettings, LinksResponse, PodLink, WorkloadCounts};
use std::time::Duration;

/// Every name served, aliases included, in the order the 404 message lists them.
pub const NAMES: [&str; 8] = [
    "all-ok",
    "errors",
    "error-states",
    "partial",
    "partial-data",
    "slow",
    "minimal",
    "multi-links",
];

/// The app a fixture is made for when the request names none (`/api/v1/fixtures/{name}`).
pub const DEFAULT_APP: &str = "taco-backend-prod";
const NAMESPACE: &str = "nonprod";
const SLOW_DELAY: Duration = Duration::from_secs(3);

/// How long a fixture waits before answering (`slow` imitates a sluggish cluster).
pub fn delay(name: &str) -> Duration {
    if name == "slow" {
        SLOW_DELAY
    } else {
        Duration::ZERO
    }
}

fn pods(app: &str, count: usize) -> Vec<PodLink> {
    const SUFFIXES: [&str; 6] = ["942nr", "x7k2p", "m4q9z", "b8d3w", "t6h1c", "r2n5v"];
    SUFFIXES
        .iter()
        .take(count)
        .map(|s| PodLink {
            pod: format!("{app}-677bfb55b7-{s}"),
            namespace: NAMESPACE.to_string(),
            workload: None,
        })
        .collect()
}

const ONE_DEPLOYMENT: WorkloadCounts = WorkloadCounts {
    deployments: 1,
    stateful_sets: 0,
    daemon_sets: 0,
    rollouts: 0,
};

fn all_ok(app: &str) -> Discovery {
    Discovery {
        app: app.to_string(),
        namespace: NAMESPACE.to_string(),
        service: app.to_string(),
        argocd_app: true,
        workloads: ONE_DEPLOYMENT,
        pods: Ok(pods(app, 2)),
        pods_missing: None,
        external_secrets: Ok(1),
        vault_paths: Ok(vec![format!("{NAMESPACE}/{app}")]),
        vault_missing: None,
        iaac: Ok(Some(format!(
            "https://github.com/example/deployment-configurations/tree/main/apps/{app}"
        ))),
        degraded: false,
    }
}

/// The fixture `name` for application `app`, generated now; `None` for an unknown name.
pub fn fixture(name: &str, app: &str, settings: &LinkSettings) -> Option<LinksResponse> {
    let mut settings = settings.clone();
    let mut d = all_ok(app);
    match name {
        "all-ok" | "slow" => {}
        "errors" | "error-states" => {
            // Each state once, as the original backend's error-states fixture: the links that need nothing `ok`, the
            // pods in error, Vault empty (with what was looked for), the config repository in error.
            d.argocd_app = false;
            d.workloads = WorkloadCounts::default();
            d.pods = Err(format!(
                "Kubernetes API error listing pods in {NAMESPACE}: 403 Forbidden"
            ));
            d.external_secrets = Ok(0);
            d.vault_paths = Ok(vec![]);
            d.vault_missing = Some(format!(
                "No ExternalSecret tracked by app '{app}' in namespace '{NAMESPACE}' (looked for the argocd.argoproj.io/tracking-id annotation and the app.kubernetes.io/instance label naming '{app}'; Argo CD lists no resources for the app yet)"
            ));
            d.iaac = Err(format!("Application '{app}' not found in Argo CD"));
            d.degraded = true;
        }
        "partial" | "partial-data" => {
            d.pods = Ok(vec![]);
            d.external_secrets = Ok(0);
            d.vault_paths = Ok(vec![]);
        }
        "minimal" => {
            d.workloads = WorkloadCounts::default();
            d.pods = Ok(vec![]);
            d.external_secrets = Ok(0);
            d.vault_paths = Ok(vec![]);
            d.iaac = Ok(None);
        }
        "multi-links" => {
            d.pods = Ok(pods(app, 6));
            d.external_secrets = Ok(3);
            d.vault_paths = Ok(vec![
                format!("{NAMESPACE}/{app}"),
                format!("{NAMESPACE}/{app}/database"),
                "shared/observability".to_string(),
                "shared/registry".to_string(),
            ]);
            settings.quick_links = vec![
                Link {
                    label: "Runbook".into(),
                    url: format!("https://wiki.example.com/runbooks/{app}"),
                },
                Link {
                    label: "On-call".into(),
                    url: "https://oncall.example.com/schedules/platform".into(),
                },
            ];
        }
        _ => return None,
    }
    Some(render(&settings, &d, &gluelinks_core::time::now_rfc3339()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Status;
    use gluelinks_core::config::Env;
    use std::collections::HashSet;

    #[test]
    fn fixtures_cover_every_status_and_aliases_match() {
        let settings = LinkSettings::from_env(&Env::default()).unwrap();
        let mut seen = HashSet::new();
        for name in NAMES {
            let f = fixture(name, DEFAULT_APP, &settings).unwrap();
            assert_eq!(f.app_name, DEFAULT_APP);
            for c in &f.categories {
                seen.insert(c.status);
                assert_eq!(
                    c.status == Status::Ok,
                    c.message.is_none(),
                    "{name} {}",
                    c.id
                );
                assert_eq!(
                    c.status == Status::Ok,
                    !c.links.is_empty(),
                    "{name} {}",
                    c.id
                );
            }
        }
        assert_eq!(seen.len(), 3, "{seen:?}");
        let strip = |mut r: LinksResponse| {
            r.last_updated.clear();
            r.metadata.generated_at.clear();
            r
        };
        for (a, b) in [
            ("errors", "error-states"),
            ("partial", "partial-data"),
            ("all-ok", "slow"),
        ] {
            assert_eq!(
                strip(fixture(a, "x", &settings).unwrap()),
                strip(fixture(b, "x", &settings).unwrap())
            );
        }
        // The error fixture has every state, category by category, as the original backend's error-states does.
        let errors = fixture("error-states", "x", &settings).unwrap();
        let states: HashSet<Status> = errors.categories.iter().map(|c| c.status).collect();
        assert_eq!(states.len(), 3, "{states:?}");
        let vault = errors.categories.iter().find(|c| c.id == "vault").unwrap();
        assert_eq!(
            vault.message.as_deref(),
            Some("No ExternalSecret tracked by app 'x' in namespace 'nonprod' (looked for the argocd.argoproj.io/tracking-id annotation and the app.kubernetes.io/instance label naming 'x'; Argo CD lists no resources for the app yet)")
        );
        assert!(fixture("../etc/passwd", "x", &settings).is_none());
        assert_eq!(
            fixture("multi-links", "x", &settings).unwrap().categories[0].id,
            "quick-links"
        );
        assert_eq!(delay("slow").as_secs(), 3);
        assert_eq!(delay("all-ok").as_secs(), 0);
    }
}

//! The audit trail of credential writes: one line for every target of every write, dry run and refusal
//! — and one for a request refused before it had targets (a 400, an unknown cluster, a cluster outside the
//! caller's grant) — with who asked (the principal, their address, API Gateway's request id, the Argo CD
//! user they claim, marked unverified), where (cluster, namespace, secret) and what came of it. Never a
//! value. Each line is also counted as the `CredentialWrites` metric by route and outcome.

use gluelinks_core::metrics::Metrics;

/// Who asked for a write, and through which route.
#[derive(Clone, Copy, Debug)]
pub struct Requester<'a> {
    pub route: &'a str,
    pub principal: &'a str,
    pub source_ip: Option<&'a str>,
    pub gateway_request_id: Option<&'a str>,
    pub argocd_user_unverified: Option<&'a str>,
}

/// What a request asked for, as far as it was understood.
#[derive(Clone, Copy, Debug, Default)]
pub struct Asked<'a> {
    pub cluster: Option<&'a str>,
    pub secret: Option<&'a str>,
    pub upsert: bool,
    pub dry_run: bool,
    pub adopt: bool,
}

/// Writes the audit lines of one request.
pub struct Audit<'a> {
    pub requester: Requester<'a>,
    pub asked: Asked<'a>,
}

impl Audit<'_> {
    /// One line: `namespace` (`None` for a request refused as a whole) and its outcome, in the cluster the
    /// request named.
    pub fn record(&self, namespace: Option<&str>, outcome: &str) {
        self.record_in(self.asked.cluster, namespace, outcome);
    }

    /// One line for `namespace` of `cluster` (one of a fleet request's) and its outcome.
    pub fn record_in(&self, cluster: Option<&str>, namespace: Option<&str>, outcome: &str) {
        let (r, a) = (&self.requester, &self.asked);
        tracing::info!(
            audit = "secrets.write",
            route = r.route,
            principal = r.principal,
            source_ip = r.source_ip,
            gateway_request_id = r.gateway_request_id,
            argocd_user_unverified = r.argocd_user_unverified,
            cluster,
            namespace,
            secret = a.secret,
            upsert = a.upsert,
            dry_run = a.dry_run,
            adopt = a.adopt,
            outcome,
            "secret write"
        );
        Metrics::new()
            .dimension("route", r.route)
            .dimension("outcome", outcome)
            .count("CredentialWrites", 1)
            .emit();
    }
}

//! The audit trail of credential writes: one line for every target of every write, dry run and refusal
//! — and one for a request refused before it had targets (a 400, an unknown cluster, a cluster outside the
//! caller's grant) — with who asked (the principal, their address, API Gateway's request id, the Argo CD
//! user they claim, marked unverified), where (cluster, namespace, secret) and what came of it. Never a
//! value. Each line is also counted as the `CredentialWrites` metric by route and outcome.

use gluelinks_core::metrics::Metrics;

/// Who asked for a write, and through which route.
#[derive(Clone, Copy, Debug)]
pub struct Requester<'a> {
    /// The route's path (`/secrets/add_docker`): the line's `route` and the metric's dimension.
    pub route: &'a str,
    /// The caller: an AWS principal's ARN, or which token.
    pub principal: &'a str,
    /// The client's address as API Gateway saw it.
    pub source_ip: Option<&'a str>,
    /// API Gateway's id of the request.
    pub gateway_request_id: Option<&'a str>,
    /// The Argo CD user the request claims (`Argocd-Username`), which nothing verifies.
    pub argocd_user_unverified: Option<&'a str>,
}

/// What a request asked for, as far as it was understood.
#[derive(Clone, Copy, Debug, Default)]
pub struct Asked<'a> {
    /// The cluster, the list or `*` the request named: the cluster of [`Audit::record`]'s lines.
    pub cluster: Option<&'a str>,
    /// The secret's name.
    pub secret: Option<&'a str>,
    /// What kind of secret, as the API names it (`Docker registry secret`, ...).
    pub kind: Option<&'a str>,
    /// Whether it asked to replace a secret GlueLinks created.
    pub upsert: bool,
    /// Whether it asked for a dry run.
    pub dry_run: bool,
    /// Whether it asked to take over a secret GlueLinks did not create.
    pub adopt: bool,
}

/// Writes the audit lines of one request.
pub struct Audit<'a> {
    /// Who asked.
    pub requester: Requester<'a>,
    /// What they asked for.
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
            kind = a.kind,
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

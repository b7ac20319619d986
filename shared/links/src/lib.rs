//! Links for Argo CD applications read from the clusters: discovery ([`discover`], reading only what it needs: [`objects`]), OpenTelemetry service
//! names ([`service_name`]), the cache ([`cache`]: what is kept and how long; its Valkey connection in
//! [`valkey`]), the scheduled warmer ([`warm`]) and the links service
//! ([`service`]: cluster choice, cache, generation, stale fallback, readiness). What a response looks like
//! is `gluelinks-links-model`'s; reaching a cluster is `gluelinks-clusters`'; statuses are the function's.

#![warn(missing_docs)]

pub mod cache;
pub mod discover;
pub mod objects;
pub mod read_error;
pub mod service;
pub mod service_name;
mod valkey;
pub mod warm;

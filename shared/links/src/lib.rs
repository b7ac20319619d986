//! Links for Argo CD applications read from the clusters: discovery ([`discover`]), OpenTelemetry service
//! names ([`service_name`]), the cache ([`cache`]) and the scheduled warmer ([`warm`]). What a response
//! looks like is `gluelinks-links-model`'s; reaching a cluster is `gluelinks-clusters`'.

pub mod cache;
pub mod discover;
pub mod service;
pub mod service_name;
pub mod warm;

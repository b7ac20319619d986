//! The links an Argo CD application gets, without reaching anything: the response shape ([`model`]), the
//! URL templates ([`templates`]), how discovered resources become categories ([`render`]), the config
//! repository's folder ([`iaac`]) and the fixtures, which use the same renderer and so have exactly the
//! shape real responses have. Discovery in clusters and caching are `gluelinks-links`' job; this crate is
//! light enough for the fixtures function.

#![warn(missing_docs)]

pub mod categories;
pub mod fixtures;
pub mod iaac;
pub mod model;
pub mod render;
pub mod templates;

pub use model::{Category, Link, LinksResponse, Metadata, Resources, Status, WorkloadCounts};
pub use render::{render, Discovery, PodLink};
pub use templates::LinkSettings;

//! Links for one Argo CD application: the response shape, the URL templates and how discovered
//! resources become categories. Discovery itself (Kubernetes) and caching live elsewhere; fixtures
//! use the same renderer, so they have exactly the shape real responses have.

#[cfg(feature = "links")]
pub mod cache;
#[cfg(feature = "links")]
pub mod discover;
pub mod iaac;
pub mod model;
pub mod render;
#[cfg(feature = "links")]
pub mod service_name;
pub mod templates;
#[cfg(feature = "links")]
pub mod warm;

pub use model::{Category, Link, LinksResponse, Metadata, Resources, Status};
pub use render::{render, Discovery};
pub use templates::LinkSettings;

//! The Terraform source: estates written down as Terraform state or plans, for AWS, Google
//! Cloud and Azure. `read` turns every state and `terraform show -json` format into one list
//! of resource instances; `build` turns the instances of every file of an estate into placed
//! resources and requirement edges, through one table per provider (`aws`, `gcp`, `azure`).

mod attrs;
mod aws;
mod azure;
pub mod build;
mod gcp;
mod planned;
pub mod read;
pub mod synth;

pub use build::{File, import, import_apart, import_beside};
pub use read::{Change, Document, DocumentKind, IndexKey, Instance, ReadError, read_str};

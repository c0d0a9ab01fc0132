//! The Terraform source: estates written down as Terraform state or plans, for AWS, Google
//! Cloud and Azure. `read` turns every state and `terraform show -json` format into one list
//! of resource instances; turning them into placed resources and edges is still to come (see
//! the README's status), so no command reads Terraform yet.

pub mod read;

pub use read::{Change, Document, DocumentKind, IndexKey, Instance, ReadError, read_str};

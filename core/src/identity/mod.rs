//! Identity and Access Management (API version 20160918): groups, users and memberships.
//!
//! Each operation is a struct named as in OCI's API reference, with a `new` taking the required
//! parameters and public fields for the optional ones.

mod group;
mod membership;
pub mod models;
mod user;

pub use group::*;
pub use membership::*;
pub use models::*;
pub use user::*;

use bytes::Bytes;
use http::{HeaderMap, Method};

use crate::endpoint::encode_segment;
use crate::error::Error;
use crate::operation::{RequestPlan, decode_json};

/// Path prefix of every Identity request.
pub const PREFIX: &str = "/20160918";

/// Fails with a typed error naming `field` when a required value is empty.
pub(crate) fn require(operation: &'static str, field: &str, value: &str) -> Result<(), Error> {
    if value.trim().is_empty() {
        return Err(Error::InvalidRequest {
            operation,
            reason: format!("`{field}` is required and must not be empty"),
        });
    }
    Ok(())
}

/// `{PREFIX}/{collection}/{id}` after checking the id.
pub(crate) fn item_plan(
    operation: &'static str,
    method: Method,
    collection: &str,
    field: &str,
    id: &str,
) -> Result<RequestPlan, Error> {
    require(operation, field, id)?;
    Ok(RequestPlan::new(
        method,
        format!("{PREFIX}/{collection}/{}", encode_segment(id)),
    ))
}

/// Decodes a JSON body into `T`.
pub(crate) fn json<T: serde::de::DeserializeOwned>(
    operation: &'static str,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<T, Error> {
    decode_json(operation, headers, body)
}

/// Implements `Operation` for an Identity operation.
macro_rules! identity_op {
    ($op:ty, $name:literal, $out:ty, |$s:ident| $plan:block, $parse:expr) => {
        impl $crate::operation::Operation for $op {
            type Output = $out;
            const NAME: &'static str = $name;
            const SERVICE: $crate::endpoint::Service = $crate::endpoint::Service::Identity;

            fn plan(&self) -> Result<$crate::operation::RequestPlan, $crate::error::Error> {
                let $s = self;
                $plan
            }

            fn parse(
                &self,
                _status: http::StatusCode,
                headers: &http::HeaderMap,
                body: bytes::Bytes,
            ) -> Result<$out, $crate::error::Error> {
                #[allow(clippy::redundant_closure_call)]
                ($parse)(headers, body)
            }
        }
    };
}
pub(crate) use identity_op;

/// Implements `ListOperation` for an Identity list with `page`/`limit` fields.
macro_rules! identity_list {
    ($op:ty, $item:ty) => {
        impl $crate::paginate::ListOperation for $op {
            type Item = $item;
            fn set_page(&mut self, token: Option<String>) {
                self.page = token;
            }
            fn limit(&self) -> Option<u32> {
                self.limit
            }
            fn set_limit(&mut self, limit: Option<u32>) {
                self.limit = limit;
            }
            fn into_items(data: Vec<$item>) -> Vec<$item> {
                data
            }
        }
    };
}
pub(crate) use identity_list;

#[cfg(test)]
mod tests;

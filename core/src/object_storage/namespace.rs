//! GetNamespace: the tenancy's Object Storage namespace.

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};

use crate::endpoint::Service;
use crate::error::Error;
use crate::operation::{Operation, RequestPlan, decode_json};

/// `GET /n`: the Object Storage namespace of the caller's tenancy (or of the tenancy owning
/// `compartment_id`).
#[derive(Debug, Clone, Default)]
pub struct GetNamespace {
    /// A compartment OCID: answers for the tenancy that owns it instead of the caller's.
    pub compartment_id: Option<String>,
    /// Client request id for tracing (`opc-client-request-id`).
    pub opc_client_request_id: Option<String>,
}

impl GetNamespace {
    /// The caller's namespace.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Operation for GetNamespace {
    type Output = String;
    const NAME: &'static str = "GetNamespace";
    const SERVICE: Service = Service::ObjectStorage;

    fn plan(&self) -> Result<RequestPlan, Error> {
        if let Some(c) = &self.compartment_id {
            super::require(Self::NAME, "compartment_id", c)?;
        }
        let mut plan = RequestPlan::new(Method::GET, "/n".to_string());
        plan.query_opt("compartmentId", self.compartment_id.as_deref());
        plan.header_opt(
            Self::NAME,
            "opc-client-request-id",
            self.opc_client_request_id.as_deref(),
        )?;
        Ok(plan)
    }

    /// The body is a JSON string (`"axaxnpcrorw5"`, quotes included). A bare token without
    /// quotes is accepted too, as the official SDKs do.
    fn parse(
        &self,
        _status: StatusCode,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Result<String, Error> {
        let token = body.trim_ascii();
        if !token.is_empty()
            && token
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        {
            // Only ASCII bytes were accepted, so nothing is lost here.
            return Ok(String::from_utf8_lossy(token).into_owned());
        }
        decode_json(Self::NAME, headers, &body)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn plan_default() {
        let plan = GetNamespace::new().plan().unwrap();
        assert_eq!(plan.method, Method::GET);
        assert_eq!(plan.path, "/n");
        assert!(plan.query.is_empty());
        assert!(plan.headers.is_empty());
        assert_eq!(plan.body, crate::operation::RequestBody::Empty);
    }

    #[test]
    fn plan_with_compartment_and_request_id() {
        let op = GetNamespace {
            compartment_id: Some("ocid1.compartment.oc1..aaaa".into()),
            opc_client_request_id: Some("trace-1".into()),
        };
        let plan = op.plan().unwrap();
        assert_eq!(
            plan.query,
            vec![("compartmentId", "ocid1.compartment.oc1..aaaa".to_string())]
        );
        assert_eq!(plan.headers["opc-client-request-id"], "trace-1");
    }

    #[test]
    fn empty_compartment_is_refused() {
        let op = GetNamespace {
            compartment_id: Some(String::new()),
            ..Default::default()
        };
        match op.plan().unwrap_err() {
            Error::InvalidRequest { operation, reason } => {
                assert_eq!(operation, "GetNamespace");
                assert!(reason.contains("compartment_id"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn parse_json_string() {
        let op = GetNamespace::new();
        let ns = op
            .parse(
                StatusCode::OK,
                &HeaderMap::new(),
                Bytes::from_static(b"\"axaxnpcrorw5\""),
            )
            .unwrap();
        assert_eq!(ns, "axaxnpcrorw5");
        let ns = op
            .parse(
                StatusCode::OK,
                &HeaderMap::new(),
                Bytes::from_static(b"axaxnpcrorw5\n"),
            )
            .unwrap();
        assert_eq!(ns, "axaxnpcrorw5");
    }

    #[test]
    fn parse_malformed() {
        let op = GetNamespace::new();
        for body in [&b"\"axax"[..], b"", b"{\"a\":1}", b"two words"] {
            match op.parse(
                StatusCode::OK,
                &HeaderMap::new(),
                Bytes::copy_from_slice(body),
            ) {
                Err(Error::Decode(e)) => assert_eq!(e.operation, "GetNamespace"),
                other => panic!("{body:?}: {other:?}"),
            }
        }
        match op.parse(
            StatusCode::OK,
            &HeaderMap::new(),
            Bytes::from_static(b"\"axax"),
        ) {
            Err(Error::Decode(e)) => assert!(e.truncated),
            other => panic!("{other:?}"),
        }
    }
}

//! Bucket operations: CreateBucket, ListBuckets, GetBucket, HeadBucket, DeleteBucket.

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};

use super::models::{Bucket, BucketSummary, CreateBucketDetails};
use super::{bucket_path, buckets_path, require};
use crate::endpoint::Service;
use crate::error::Error;
use crate::operation::{Operation, RequestPlan, decode_json};
use crate::paginate::ListOperation;

/// Sets the headers every bucket operation may carry.
fn common_headers(
    plan: &mut RequestPlan,
    operation: &'static str,
    if_match: Option<&str>,
    if_none_match: Option<&str>,
    opc_client_request_id: Option<&str>,
) -> Result<(), Error> {
    plan.header_opt(operation, "if-match", if_match)?;
    plan.header_opt(operation, "if-none-match", if_none_match)?;
    plan.header_opt(operation, "opc-client-request-id", opc_client_request_id)
}

/// Joins a `fields` list the way the API takes it (`a,b`); `None` when empty.
fn csv(fields: &[String]) -> Option<String> {
    if fields.is_empty() {
        None
    } else {
        Some(fields.join(","))
    }
}

/// `POST /n/{ns}/b`: creates a bucket.
#[derive(Debug, Clone)]
pub struct CreateBucket {
    /// Object Storage namespace.
    pub namespace_name: String,
    /// The bucket to create (`name` and `compartment_id` are required).
    pub create_bucket_details: CreateBucketDetails,
    /// Client request id for tracing (`opc-client-request-id`).
    pub opc_client_request_id: Option<String>,
}

impl CreateBucket {
    /// Creates bucket `name` in compartment `compartment_id`, all other settings default; set
    /// more through `create_bucket_details`.
    pub fn new(
        namespace_name: impl Into<String>,
        name: impl Into<String>,
        compartment_id: impl Into<String>,
    ) -> Self {
        Self::with_details(
            namespace_name,
            CreateBucketDetails::new(name, compartment_id),
        )
    }

    /// Creates the bucket `create_bucket_details` describes in `namespace_name`.
    pub fn with_details(
        namespace_name: impl Into<String>,
        create_bucket_details: CreateBucketDetails,
    ) -> Self {
        CreateBucket {
            namespace_name: namespace_name.into(),
            create_bucket_details,
            opc_client_request_id: None,
        }
    }
}

impl Operation for CreateBucket {
    type Output = Bucket;
    const NAME: &'static str = "CreateBucket";
    const SERVICE: Service = Service::ObjectStorage;

    fn plan(&self) -> Result<RequestPlan, Error> {
        require(Self::NAME, "namespace_name", &self.namespace_name)?;
        require(
            Self::NAME,
            "create_bucket_details.name",
            &self.create_bucket_details.name,
        )?;
        require(
            Self::NAME,
            "create_bucket_details.compartment_id",
            &self.create_bucket_details.compartment_id,
        )?;
        let mut plan = RequestPlan::new(Method::POST, buckets_path(&self.namespace_name));
        plan.header_opt(
            Self::NAME,
            "opc-client-request-id",
            self.opc_client_request_id.as_deref(),
        )?;
        plan.json_body(Self::NAME, &self.create_bucket_details)?;
        Ok(plan)
    }

    fn parse(
        &self,
        _status: StatusCode,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Result<Bucket, Error> {
        decode_json(Self::NAME, headers, &body)
    }
}

/// `GET /n/{ns}/b`: the buckets of a compartment, a page at a time (`opc-next-page` → `page`).
#[derive(Debug, Clone)]
pub struct ListBuckets {
    /// Object Storage namespace.
    pub namespace_name: String,
    /// OCID of the compartment to list.
    pub compartment_id: String,
    /// Page size (the service caps it at 1000).
    pub limit: Option<u32>,
    /// Page token from the previous page's `opc-next-page`.
    pub page: Option<String>,
    /// Extra fields; the only supported value is `tags` (freeform and defined tags).
    pub fields: Vec<String>,
    /// Client request id for tracing (`opc-client-request-id`).
    pub opc_client_request_id: Option<String>,
}

impl ListBuckets {
    /// The first page of buckets in `compartment_id`.
    pub fn new(namespace_name: impl Into<String>, compartment_id: impl Into<String>) -> Self {
        ListBuckets {
            namespace_name: namespace_name.into(),
            compartment_id: compartment_id.into(),
            limit: None,
            page: None,
            fields: Vec::new(),
            opc_client_request_id: None,
        }
    }
}

impl Operation for ListBuckets {
    type Output = Vec<BucketSummary>;
    const NAME: &'static str = "ListBuckets";
    const SERVICE: Service = Service::ObjectStorage;

    fn plan(&self) -> Result<RequestPlan, Error> {
        require(Self::NAME, "namespace_name", &self.namespace_name)?;
        require(Self::NAME, "compartment_id", &self.compartment_id)?;
        let mut plan = RequestPlan::new(Method::GET, buckets_path(&self.namespace_name));
        plan.query_opt("compartmentId", Some(&self.compartment_id));
        plan.query_opt("limit", self.limit);
        plan.query_opt("page", self.page.as_deref());
        plan.query_opt("fields", csv(&self.fields));
        plan.header_opt(
            Self::NAME,
            "opc-client-request-id",
            self.opc_client_request_id.as_deref(),
        )?;
        Ok(plan)
    }

    fn parse(
        &self,
        _status: StatusCode,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Result<Vec<BucketSummary>, Error> {
        decode_json(Self::NAME, headers, &body)
    }
}

impl ListOperation for ListBuckets {
    type Item = BucketSummary;

    fn set_page(&mut self, token: Option<String>) {
        self.page = token;
    }

    fn limit(&self) -> Option<u32> {
        self.limit
    }

    fn set_limit(&mut self, limit: Option<u32>) {
        self.limit = limit;
    }

    fn into_items(data: Vec<BucketSummary>) -> Vec<BucketSummary> {
        data
    }
}

/// `GET /n/{ns}/b/{bucket}`: a bucket's properties.
#[derive(Debug, Clone)]
pub struct GetBucket {
    /// Object Storage namespace.
    pub namespace_name: String,
    /// Bucket name.
    pub bucket_name: String,
    /// Only succeed if the bucket's etag matches.
    pub if_match: Option<String>,
    /// Answer 304 Not Modified if the bucket's etag matches (no wildcards).
    pub if_none_match: Option<String>,
    /// Client request id for tracing (`opc-client-request-id`).
    pub opc_client_request_id: Option<String>,
    /// Extra fields: `approximateCount`, `approximateSize`, `autoTiering`.
    pub fields: Vec<String>,
}

impl GetBucket {
    /// Reads bucket `bucket_name`.
    pub fn new(namespace_name: impl Into<String>, bucket_name: impl Into<String>) -> Self {
        GetBucket {
            namespace_name: namespace_name.into(),
            bucket_name: bucket_name.into(),
            if_match: None,
            if_none_match: None,
            opc_client_request_id: None,
            fields: Vec::new(),
        }
    }
}

impl Operation for GetBucket {
    type Output = Bucket;
    const NAME: &'static str = "GetBucket";
    const SERVICE: Service = Service::ObjectStorage;

    fn plan(&self) -> Result<RequestPlan, Error> {
        require(Self::NAME, "namespace_name", &self.namespace_name)?;
        require(Self::NAME, "bucket_name", &self.bucket_name)?;
        let mut plan = RequestPlan::new(
            Method::GET,
            bucket_path(&self.namespace_name, &self.bucket_name),
        );
        plan.query_opt("fields", csv(&self.fields));
        common_headers(
            &mut plan,
            Self::NAME,
            self.if_match.as_deref(),
            self.if_none_match.as_deref(),
            self.opc_client_request_id.as_deref(),
        )?;
        Ok(plan)
    }

    fn parse(
        &self,
        _status: StatusCode,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Result<Bucket, Error> {
        decode_json(Self::NAME, headers, &body)
    }
}

/// `HEAD /n/{ns}/b/{bucket}`: whether a bucket exists (and its `etag`, in the response).
#[derive(Debug, Clone)]
pub struct HeadBucket {
    /// Object Storage namespace.
    pub namespace_name: String,
    /// Bucket name.
    pub bucket_name: String,
    /// Only succeed if the bucket's etag matches.
    pub if_match: Option<String>,
    /// Answer 304 Not Modified if the bucket's etag matches (no wildcards).
    pub if_none_match: Option<String>,
    /// Client request id for tracing (`opc-client-request-id`).
    pub opc_client_request_id: Option<String>,
}

impl HeadBucket {
    /// Checks bucket `bucket_name`.
    pub fn new(namespace_name: impl Into<String>, bucket_name: impl Into<String>) -> Self {
        HeadBucket {
            namespace_name: namespace_name.into(),
            bucket_name: bucket_name.into(),
            if_match: None,
            if_none_match: None,
            opc_client_request_id: None,
        }
    }
}

impl Operation for HeadBucket {
    type Output = ();
    const NAME: &'static str = "HeadBucket";
    const SERVICE: Service = Service::ObjectStorage;

    fn plan(&self) -> Result<RequestPlan, Error> {
        require(Self::NAME, "namespace_name", &self.namespace_name)?;
        require(Self::NAME, "bucket_name", &self.bucket_name)?;
        let mut plan = RequestPlan::new(
            Method::HEAD,
            bucket_path(&self.namespace_name, &self.bucket_name),
        );
        common_headers(
            &mut plan,
            Self::NAME,
            self.if_match.as_deref(),
            self.if_none_match.as_deref(),
            self.opc_client_request_id.as_deref(),
        )?;
        Ok(plan)
    }

    fn parse(&self, _status: StatusCode, _headers: &HeaderMap, _body: Bytes) -> Result<(), Error> {
        Ok(())
    }
}

/// `DELETE /n/{ns}/b/{bucket}`: deletes an empty bucket (409 `BucketNotEmpty` otherwise).
#[derive(Debug, Clone)]
pub struct DeleteBucket {
    /// Object Storage namespace.
    pub namespace_name: String,
    /// Bucket name.
    pub bucket_name: String,
    /// Only delete if the bucket's etag matches.
    pub if_match: Option<String>,
    /// Client request id for tracing (`opc-client-request-id`).
    pub opc_client_request_id: Option<String>,
}

impl DeleteBucket {
    /// Deletes bucket `bucket_name`.
    pub fn new(namespace_name: impl Into<String>, bucket_name: impl Into<String>) -> Self {
        DeleteBucket {
            namespace_name: namespace_name.into(),
            bucket_name: bucket_name.into(),
            if_match: None,
            opc_client_request_id: None,
        }
    }
}

impl Operation for DeleteBucket {
    type Output = ();
    const NAME: &'static str = "DeleteBucket";
    const SERVICE: Service = Service::ObjectStorage;

    fn plan(&self) -> Result<RequestPlan, Error> {
        require(Self::NAME, "namespace_name", &self.namespace_name)?;
        require(Self::NAME, "bucket_name", &self.bucket_name)?;
        let mut plan = RequestPlan::new(
            Method::DELETE,
            bucket_path(&self.namespace_name, &self.bucket_name),
        );
        common_headers(
            &mut plan,
            Self::NAME,
            self.if_match.as_deref(),
            None,
            self.opc_client_request_id.as_deref(),
        )?;
        Ok(plan)
    }

    fn parse(&self, _status: StatusCode, _headers: &HeaderMap, _body: Bytes) -> Result<(), Error> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::object_storage::models::{BucketScope, StorageTier, Versioning};
    use crate::operation::{RequestBody, Response};
    use crate::paginate::Paginator;
    use http::HeaderValue;
    use serde_json::json;

    fn invalid_field(err: Error) -> (&'static str, String) {
        match err {
            Error::InvalidRequest { operation, reason } => (operation, reason),
            other => panic!("expected InvalidRequest, got {other:?}"),
        }
    }

    fn decode_op(err: Error) -> &'static str {
        match err {
            Error::Decode(e) => e.operation,
            other => panic!("expected Decode, got {other:?}"),
        }
    }

    const BUCKET_JSON: &str = r#"{
        "namespace": "axaxnpcrorw5",
        "name": "my bucket",
        "compartmentId": "ocid1.compartment.oc1..aaaa",
        "metadata": {},
        "createdBy": "ocid1.user.oc1..bbbb",
        "timeCreated": "2019-08-21T17:05:56.302Z",
        "etag": "etag-1",
        "publicAccessType": "NoPublicAccess",
        "storageTier": "Standard",
        "objectEventsEnabled": false,
        "freeformTags": null,
        "definedTags": null,
        "kmsKeyId": null,
        "objectLifecyclePolicyEtag": null,
        "approximateCount": null,
        "approximateSize": null,
        "replicationEnabled": false,
        "isReadOnly": false,
        "id": "ocid1.bucket.oc1.phx.cccc",
        "versioning": "Disabled",
        "autoTiering": null
    }"#;

    #[test]
    fn create_bucket_plan() {
        let mut details = CreateBucketDetails::new("b1", "ocid1.compartment.oc1..aaaa");
        details.versioning = Some(Versioning::Enabled);
        details.bucket_scope = Some(BucketScope::Region);
        let mut op = CreateBucket::with_details("ns", details);
        op.opc_client_request_id = Some("trace".into());
        let plan = op.plan().unwrap();
        assert_eq!(plan.method, Method::POST);
        assert_eq!(plan.path, "/n/ns/b");
        assert!(plan.query.is_empty());
        assert_eq!(plan.headers["content-type"], "application/json");
        assert_eq!(plan.headers["opc-client-request-id"], "trace");
        let RequestBody::Bytes(body) = plan.body else {
            panic!("expected a JSON body")
        };
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            v,
            json!({
                "name": "b1",
                "compartmentId": "ocid1.compartment.oc1..aaaa",
                "versioning": "Enabled",
                "bucketScope": "REGION"
            })
        );
    }

    #[test]
    fn create_bucket_requires_fields() {
        let (op, reason) = invalid_field(CreateBucket::new("", "b", "c").plan().unwrap_err());
        assert_eq!(op, "CreateBucket");
        assert!(reason.contains("namespace_name"));
        let (_, reason) = invalid_field(CreateBucket::new("ns", "", "c").plan().unwrap_err());
        assert!(reason.contains("name"));
        let (_, reason) = invalid_field(CreateBucket::new("ns", "b", " ").plan().unwrap_err());
        assert!(reason.contains("compartment_id"));
    }

    #[test]
    fn create_and_get_bucket_parse() {
        let op = CreateBucket::new("ns", "b", "c");
        let b = op
            .parse(
                StatusCode::OK,
                &HeaderMap::new(),
                Bytes::from_static(BUCKET_JSON.as_bytes()),
            )
            .unwrap();
        assert_eq!(b.name, "my bucket");
        assert_eq!(b.storage_tier, Some(StorageTier::Standard));
        assert_eq!(b.auto_tiering, None);
        assert_eq!(b.freeform_tags, None);
        let g = GetBucket::new("ns", "my bucket")
            .parse(
                StatusCode::OK,
                &HeaderMap::new(),
                Bytes::from_static(BUCKET_JSON.as_bytes()),
            )
            .unwrap();
        assert_eq!(g, b);
    }

    #[test]
    fn malformed_bucket_json_is_a_decode_error() {
        let mut headers = HeaderMap::new();
        headers.insert("opc-request-id", HeaderValue::from_static("rid"));
        let err = GetBucket::new("ns", "b")
            .parse(
                StatusCode::OK,
                &headers,
                Bytes::from_static(b"{\"namespace\": 3}"),
            )
            .unwrap_err();
        assert_eq!(decode_op(err), "GetBucket");
        let err = CreateBucket::new("ns", "b", "c")
            .parse(
                StatusCode::OK,
                &headers,
                Bytes::from_static(&BUCKET_JSON.as_bytes()[..40]),
            )
            .unwrap_err();
        match err {
            Error::Decode(e) => {
                assert_eq!(e.operation, "CreateBucket");
                assert!(e.truncated);
                assert_eq!(e.opc_request_id.as_deref(), Some("rid"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn list_buckets_plan_query_order() {
        let mut op = ListBuckets::new("ns", "ocid1.compartment.oc1..aaaa");
        let plan = op.plan().unwrap();
        assert_eq!(plan.method, Method::GET);
        assert_eq!(plan.path, "/n/ns/b");
        assert_eq!(
            plan.query,
            vec![("compartmentId", "ocid1.compartment.oc1..aaaa".to_string())]
        );
        op.limit = Some(50);
        op.page = Some("tok/1".into());
        op.fields = vec!["tags".into()];
        let plan = op.plan().unwrap();
        assert_eq!(
            plan.query,
            vec![
                ("compartmentId", "ocid1.compartment.oc1..aaaa".to_string()),
                ("limit", "50".to_string()),
                ("page", "tok/1".to_string()),
                ("fields", "tags".to_string()),
            ]
        );
        assert_eq!(plan.body, RequestBody::Empty);
    }

    #[test]
    fn list_buckets_requires_fields() {
        let (op, reason) = invalid_field(ListBuckets::new("ns", "").plan().unwrap_err());
        assert_eq!(op, "ListBuckets");
        assert!(reason.contains("compartment_id"));
        let (_, reason) = invalid_field(ListBuckets::new("", "c").plan().unwrap_err());
        assert!(reason.contains("namespace_name"));
    }

    #[test]
    fn list_buckets_parse_and_paginate() {
        let body = json!([
            {"namespace": "ns", "name": "a", "compartmentId": "c", "createdBy": "u",
             "timeCreated": "2020-01-01T00:00:00Z", "etag": "e1",
             "freeformTags": {"k": "v"}, "definedTags": {"ns": {"k": 1}}},
            {"namespace": "ns", "name": "b", "compartmentId": "c", "createdBy": "u",
             "timeCreated": "2020-01-01T00:00:00Z", "etag": "e2", "bucketScope": "GLOBAL"}
        ]);
        let op = ListBuckets::new("ns", "c");
        let items = op
            .parse(
                StatusCode::OK,
                &HeaderMap::new(),
                Bytes::from(body.to_string()),
            )
            .unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(
            items[1].bucket_scope,
            Some(BucketScope::UnknownValue("GLOBAL".into()))
        );
        assert_eq!(
            decode_op(
                op.parse(StatusCode::OK, &HeaderMap::new(), Bytes::from_static(b"{}"))
                    .unwrap_err()
            ),
            "ListBuckets"
        );

        let mut pages = Paginator::new(op).max_records(3);
        let first = pages.next_operation().unwrap();
        assert_eq!(first.page, None);
        assert_eq!(first.limit, Some(3));
        let mut headers = HeaderMap::new();
        headers.insert("opc-next-page", HeaderValue::from_static("p2"));
        let resp = Response {
            data: items.clone(),
            status: StatusCode::OK,
            headers,
            opc_request_id: None,
            etag: None,
            next_page: Some("p2".into()),
        };
        assert_eq!(ListBuckets::next_token(&resp), Some("p2".into()));
        assert_eq!(pages.handle_page(resp).len(), 2);
        let second = pages.next_operation().unwrap();
        assert_eq!(second.page.as_deref(), Some("p2"));
        assert_eq!(second.limit, Some(1));
    }

    #[test]
    fn get_bucket_plan() {
        let mut op = GetBucket::new("ns", "my bucket+1");
        op.if_none_match = Some("etag-1".into());
        op.fields = vec!["approximateCount".into(), "approximateSize".into()];
        let plan = op.plan().unwrap();
        assert_eq!(plan.method, Method::GET);
        assert_eq!(plan.path, "/n/ns/b/my%20bucket%2B1");
        assert_eq!(
            plan.query,
            vec![("fields", "approximateCount,approximateSize".to_string())]
        );
        assert_eq!(plan.headers["if-none-match"], "etag-1");
        assert!(!plan.headers.contains_key("if-match"));
        let (op, reason) = invalid_field(GetBucket::new("ns", "").plan().unwrap_err());
        assert_eq!(op, "GetBucket");
        assert!(reason.contains("bucket_name"));
    }

    #[test]
    fn head_and_delete_bucket_plans() {
        let mut head = HeadBucket::new("ns", "b/1");
        head.if_match = Some("e".into());
        let plan = head.plan().unwrap();
        assert_eq!(plan.method, Method::HEAD);
        assert_eq!(plan.path, "/n/ns/b/b%2F1");
        assert_eq!(plan.headers["if-match"], "e");
        assert!(
            head.parse(StatusCode::OK, &HeaderMap::new(), Bytes::new())
                .is_ok()
        );

        let mut del = DeleteBucket::new("ns", "b");
        del.if_match = Some("e".into());
        del.opc_client_request_id = Some("t".into());
        let plan = del.plan().unwrap();
        assert_eq!(plan.method, Method::DELETE);
        assert_eq!(plan.path, "/n/ns/b/b");
        assert_eq!(plan.headers["if-match"], "e");
        assert_eq!(plan.headers["opc-client-request-id"], "t");
        assert_eq!(plan.body, RequestBody::Empty);
        del.parse(StatusCode::NO_CONTENT, &HeaderMap::new(), Bytes::new())
            .unwrap();
        let (op, _) = invalid_field(DeleteBucket::new(" ", "b").plan().unwrap_err());
        assert_eq!(op, "DeleteBucket");
        let (op, _) = invalid_field(HeadBucket::new("ns", "").plan().unwrap_err());
        assert_eq!(op, "HeadBucket");
    }

    #[test]
    fn header_values_http_cannot_carry_are_refused() {
        let mut op = DeleteBucket::new("ns", "b");
        op.if_match = Some("bad\nvalue".into());
        let (op_name, reason) = invalid_field(op.plan().unwrap_err());
        assert_eq!(op_name, "DeleteBucket");
        assert!(reason.contains("if-match"));
    }
}

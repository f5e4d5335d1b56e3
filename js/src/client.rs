//! `OciClient`: the client of the JavaScript API. Every operation is on its service's object
//! (`oci.identity`, `oci.objectStorage`, `oci.secrets`); the few methods here are conveniences
//! for the common object calls, returning the data alone.

use futures_util::TryStreamExt;
use js_sys::{Promise, Uint8Array};
use ocisdk_core::error::Error;
use ocisdk_identity::ListUsers;
use ocisdk_object_storage::models::CreateBucketDetails;
use ocisdk_object_storage::{
    CreateBucket, DeleteBucket, DeleteObject, GetNamespace, GetObject, ListBuckets, ListObjects,
    PutObject, PutObjectOutput,
};
use ocisdk_wasm::Client;
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

#[cfg(feature = "services")]
use crate::generated::{IdentityApi, ObjectStorageApi, SecretsApi};
use crate::services::{to_js, to_js_error, upload_body};

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** An error from any OciClient method: a JS `Error` with OCI's details. */
export interface OciError extends Error {
  name: "OciError";
  /** "service" | "transport" | "config" | "key" | "region" | "decode" | "signing" | "body" | "invalidRequest" | "retriesExhausted" | "other" */
  kind: string;
  /** Whether sending the same request again could succeed. */
  retryable: boolean;
  /** HTTP status of a service error. */
  status?: number;
  /** OCI error code of a service error (`BucketNotFound`, `NotAuthenticated`, …). */
  code?: string;
  /** `opc-request-id` of the failed response: quote it to Oracle support. */
  opcRequestId?: string;
  /** The OCI operation that failed (`PutObject`, …). */
  operation?: string;
}

/** A bucket as ListBuckets returns it. */
export interface BucketSummary {
  namespace: string;
  name: string;
  compartmentId: string;
  createdBy: string;
  /** RFC 3339 */
  timeCreated: string;
  etag: string;
  freeformTags?: Record<string, string>;
  definedTags?: Record<string, Record<string, unknown>>;
  bucketScope?: string;
}

/** A bucket as CreateBucket returns it. */
export interface Bucket extends BucketSummary {
  metadata: Record<string, string>;
  publicAccessType?: string;
  storageTier?: string;
  objectEventsEnabled?: boolean;
  versioning?: string;
  id?: string;
  [field: string]: unknown;
}

/** One object of a ListObjects listing. */
export interface ObjectSummary {
  name: string;
  size?: number;
  etag?: string;
  /** base64 MD5 of the object (absent for multipart uploads). */
  md5?: string;
  /** RFC 3339 */
  timeCreated?: string;
  /** RFC 3339 */
  timeModified?: string;
  storageTier?: string;
  archivalState?: string;
}

/** What PutObject's response says about the stored object. */
export interface PutObjectResult {
  etag?: string;
  /** base64 MD5 of the body as the service computed it. */
  opcContentMd5?: string;
  /** RFC 3339 */
  lastModified?: string;
  versionId?: string;
  opcRequestId?: string;
}

/** An IAM user. */
export interface User {
  id: string;
  compartmentId: string;
  name: string;
  description: string;
  email?: string;
  /** RFC 3339 */
  timeCreated: string;
  lifecycleState: string;
  [field: string]: unknown;
}
"#;

/// An OCI client for JavaScript: `new OciClient(configText, profile, keyPem, endpoint)`.
///
/// Every method returns a `Promise`; failures reject with an `OciError` (a JS `Error` carrying
/// `kind`, `retryable`, and for service errors `status`, `code`, `opcRequestId`,
/// `operation`). Compartments default to the tenancy.
#[wasm_bindgen]
#[derive(Debug, Clone)]
pub struct OciClient {
    client: Client,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PutObjectResult {
    #[serde(skip_serializing_if = "Option::is_none")]
    etag: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    opc_content_md5: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_modified: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    opc_request_id: Option<String>,
}

impl PutObjectResult {
    fn new(out: PutObjectOutput, opc_request_id: Option<String>) -> Self {
        PutObjectResult {
            etag: out.etag,
            opc_content_md5: out.opc_content_md5,
            last_modified: out.last_modified.and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            }),
            version_id: out.version_id,
            opc_request_id,
        }
    }
}

/// Maps the core's errors to `OciError`s inside the promise bodies.
trait OrJs<T> {
    fn or_js(self) -> Result<T, JsValue>;
}

impl<T> OrJs<T> for Result<T, Error> {
    fn or_js(self) -> Result<T, JsValue> {
        self.map_err(|e| to_js_error(&e))
    }
}

/// Runs `f` as a Promise.
fn promise<F>(f: F) -> Promise
where
    F: std::future::Future<Output = Result<JsValue, JsValue>> + 'static,
{
    future_to_promise(f)
}

#[wasm_bindgen]
impl OciClient {
    /// A client from the text of an OCI config file, a profile name (`DEFAULT` when
    /// `undefined`), the PEM text of that profile's private key, and an endpoint that takes
    /// every service (`undefined`: the profile's region's public endpoints).
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(js_name = configText)] config_text: &str,
        profile: Option<String>,
        #[wasm_bindgen(js_name = keyPem)] key_pem: &str,
        endpoint: Option<String>,
    ) -> Result<OciClient, JsValue> {
        let mut builder =
            Client::builder_from_config_text(config_text, profile.as_deref(), key_pem)
                .map_err(|e| to_js_error(&e))?;
        if let Some(endpoint) = endpoint.as_deref().filter(|e| !e.trim().is_empty()) {
            builder = builder.endpoint(endpoint);
        }
        let client = builder.build().map_err(|e| to_js_error(&e))?;
        Ok(OciClient { client })
    }

    /// The tenancy OCID of the profile.
    #[wasm_bindgen(getter)]
    pub fn tenancy(&self) -> String {
        self.client.tenancy().to_string()
    }

    /// Every Identity operation.
    #[cfg(feature = "services")]
    #[wasm_bindgen(getter)]
    pub fn identity(&self) -> IdentityApi {
        IdentityApi {
            client: self.client.clone(),
        }
    }

    /// Every Object Storage operation.
    #[cfg(feature = "services")]
    #[wasm_bindgen(getter, js_name = objectStorage)]
    pub fn object_storage(&self) -> ObjectStorageApi {
        ObjectStorageApi {
            client: self.client.clone(),
        }
    }

    /// Every Secrets (secret retrieval) operation.
    #[cfg(feature = "services")]
    #[wasm_bindgen(getter)]
    pub fn secrets(&self) -> SecretsApi {
        SecretsApi {
            client: self.client.clone(),
        }
    }

    /// GetNamespace: the tenancy's Object Storage namespace.
    #[wasm_bindgen(js_name = getNamespace, unchecked_return_type = "Promise<string>")]
    pub fn get_namespace(&self) -> Promise {
        let client = self.client.clone();
        promise(async move {
            let ns = client.send(GetNamespace::new()).await.or_js()?.data;
            Ok(JsValue::from_str(&ns))
        })
    }

    /// ListBuckets, every page: the buckets of `compartmentId` (default: the tenancy).
    #[wasm_bindgen(js_name = listBuckets, unchecked_return_type = "Promise<BucketSummary[]>")]
    pub fn list_buckets(
        &self,
        namespace: String,
        #[wasm_bindgen(js_name = compartmentId)] compartment_id: Option<String>,
    ) -> Promise {
        let compartment = compartment_id.unwrap_or_else(|| self.tenancy());
        let client = self.client.clone();
        promise(async move {
            let buckets = collect_all(
                client
                    .paginate(ListBuckets::new(namespace, compartment))
                    .max_records(CAP + 1),
            )
            .await
            .or_js()?;
            to_js(&buckets)
        })
    }

    /// CreateBucket `name` in `compartmentId` (default: the tenancy).
    #[wasm_bindgen(js_name = createBucket, unchecked_return_type = "Promise<Bucket>")]
    pub fn create_bucket(
        &self,
        namespace: String,
        name: String,
        #[wasm_bindgen(js_name = compartmentId)] compartment_id: Option<String>,
    ) -> Promise {
        let compartment = compartment_id.unwrap_or_else(|| self.tenancy());
        let client = self.client.clone();
        promise(async move {
            let details = CreateBucketDetails::new(name, compartment);
            let bucket = client
                .send(CreateBucket::new(namespace, details))
                .await
                .or_js()?
                .data;
            to_js(&bucket)
        })
    }

    /// DeleteBucket (it must be empty).
    #[wasm_bindgen(js_name = deleteBucket, unchecked_return_type = "Promise<void>")]
    pub fn delete_bucket(&self, namespace: String, name: String) -> Promise {
        let client = self.client.clone();
        promise(async move {
            client
                .send(DeleteBucket::new(namespace, name))
                .await
                .or_js()?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// ListObjects, every page, with `name,size,etag,md5,timeCreated,timeModified`; only names
    /// starting with `prefix` when given.
    #[wasm_bindgen(js_name = listObjects, unchecked_return_type = "Promise<ObjectSummary[]>")]
    pub fn list_objects(
        &self,
        namespace: String,
        bucket: String,
        prefix: Option<String>,
    ) -> Promise {
        let client = self.client.clone();
        promise(async move {
            let mut op = ListObjects::new(namespace, bucket)
                .fields("name,size,etag,md5,timeCreated,timeModified");
            op.prefix = prefix;
            let objects = collect_all(client.paginate(op).max_records(CAP + 1))
                .await
                .or_js()?;
            to_js(&objects)
        })
    }

    /// PutObject from a `Blob`/`File`, `Uint8Array`, `ArrayBuffer` or string. `contentType`
    /// defaults to the Blob's own type, if it has one.
    #[wasm_bindgen(js_name = putObject, unchecked_return_type = "Promise<PutObjectResult>")]
    pub fn put_object(
        &self,
        namespace: String,
        bucket: String,
        name: String,
        #[wasm_bindgen(unchecked_param_type = "Blob | Uint8Array | ArrayBuffer | string")]
        body: JsValue,
        #[wasm_bindgen(js_name = contentType)] content_type: Option<String>,
    ) -> Promise {
        let client = self.client.clone();
        promise(async move {
            let body = upload_body(&body).or_js()?;
            let mut op = PutObject::new(namespace, bucket, name, body.len());
            op.content_type = content_type;
            let resp = client.send_upload(op, body).await.or_js()?;
            let opc_request_id = resp.opc_request_id.clone();
            to_js(&PutObjectResult::new(resp.data, opc_request_id))
        })
    }

    /// GetObject: the whole object as a `Uint8Array`.
    #[wasm_bindgen(js_name = getObject, unchecked_return_type = "Promise<Uint8Array>")]
    pub fn get_object(&self, namespace: String, bucket: String, name: String) -> Promise {
        let client = self.client.clone();
        promise(async move {
            let resp = client
                .send_download(GetObject::new(namespace, bucket, name))
                .await
                .or_js()?;
            let bytes = resp.body.bytes().await.or_js()?;
            Ok(Uint8Array::from(&bytes[..]).into())
        })
    }

    /// DeleteObject.
    #[wasm_bindgen(js_name = deleteObject, unchecked_return_type = "Promise<void>")]
    pub fn delete_object(&self, namespace: String, bucket: String, name: String) -> Promise {
        let client = self.client.clone();
        promise(async move {
            client
                .send(DeleteObject::new(namespace, bucket, name))
                .await
                .or_js()?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// ListUsers, every page, of `compartmentId` (default: the tenancy).
    #[wasm_bindgen(js_name = listUsers, unchecked_return_type = "Promise<User[]>")]
    pub fn list_users(
        &self,
        #[wasm_bindgen(js_name = compartmentId)] compartment_id: Option<String>,
    ) -> Promise {
        let compartment = compartment_id.unwrap_or_else(|| self.tenancy());
        let client = self.client.clone();
        promise(async move {
            let users = collect_all(
                client
                    .paginate(ListUsers::new(compartment))
                    .max_records(CAP + 1),
            )
            .await
            .or_js()?;
            to_js(&users)
        })
    }
}

impl OciClient {
    /// The Rust client inside.
    pub fn client(&self) -> &Client {
        &self.client
    }
}

/// The most records a convenience list method returns whole; a longer list is an error that
/// points to the service's iterator (`oci.objectStorage.listObjectsIter(..)`), so a page never
/// silently holds a partial list, nor an unbounded one.
const CAP: u64 = 10_000;

/// Every record of a list, collected, failing past [`CAP`].
async fn collect_all<S, T>(records: S) -> Result<Vec<T>, ocisdk_core::Error>
where
    S: futures_util::Stream<Item = Result<T, ocisdk_core::Error>>,
{
    let all: Vec<T> = records.try_collect().await?;
    if all.len() as u64 > CAP {
        return Err(ocisdk_core::Error::InvalidRequest {
            operation: "list",
            reason: format!(
                "the list has more than {CAP} records; walk it with the service's ...Iter method"
            ),
        });
    }
    Ok(all)
}

//! The JavaScript API of ocisdk: an `OciClient` class for browsers, web workers and Node ≥ 18,
//! over `ocisdk-wasm`'s `fetch` client. Every operation of the shipped services is a method of
//! `oci.identity`, `oci.objectStorage` and `oci.secrets` (generated from the API model, with
//! TypeScript declarations of every parameter and result), plus a few conveniences for the
//! common object calls.
//!
//! ```js
//! import init, { OciClient } from "./pkg/ocisdk_js.js";
//! await init();
//! const oci = new OciClient(configText, "DEFAULT", keyPem, "http://127.0.0.1:8080");
//! const user = await oci.identity.createUser({
//!   createUserDetails: { compartmentId: oci.tenancy, name: "alice", description: "" },
//! });
//! console.log(user.data.id, user.opcRequestId);
//! const ns = (await oci.objectStorage.getNamespace({})).data;
//! await oci.objectStorage.putObject({ namespaceName: ns, bucketName: "docs", objectName: "a" }, file);
//! ```
//!
//! Everything here is built for `wasm32` only; on other targets the crate is empty.

#[cfg(target_arch = "wasm32")]
mod client;
#[cfg(all(target_arch = "wasm32", feature = "services"))]
mod generated;
#[cfg(target_arch = "wasm32")]
mod services;

#[cfg(target_arch = "wasm32")]
pub use client::OciClient;
#[cfg(all(target_arch = "wasm32", feature = "services"))]
pub use generated::{IdentityApi, ObjectStorageApi, SecretsApi};

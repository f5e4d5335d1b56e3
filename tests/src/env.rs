//! Where a scenario runs: [`ScenarioEnv`], and [`RemoteEnv`] for an emulator started elsewhere.

use std::collections::BTreeMap;

use ocisdk_object_storage::{CreateBucket, CreateBucketDetails, GetNamespace};

use crate::transport::{ClientOptions, Credentials, TestBody, Transport};

/// Counters of the emulator a scenario runs against, where the environment can read them
/// (the in-process emulator of the native `Env`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Requests refused as unauthenticated.
    pub auth_failures: u64,
    /// Injected faults that fired.
    pub faults_fired: u64,
    /// Requests by operation name (`PutObject`, …).
    pub operations: BTreeMap<String, u64>,
}

impl Counts {
    /// Requests of `operation` so far.
    pub fn operation(&self, operation: &str) -> u64 {
        self.operations.get(operation).copied().unwrap_or(0)
    }
}

/// What a scenario needs from where it runs: a client of the transport under test pointed at
/// an emulator, what it may assume of that emulator, and the capabilities only some
/// environments have.
///
/// The emulator may be shared with other scenarios (the browser runs them all against one
/// emulator process), so a scenario names what it creates with [`ScenarioEnv::name`], and
/// looks only at what it created.
#[allow(async_fn_in_trait)]
pub trait ScenarioEnv {
    /// The transport under test.
    type Transport: Transport;

    /// The client of the transport under test.
    fn client(&self) -> &Self::Transport;

    /// What [`ScenarioEnv::client`] was built from, to build others with
    /// [`Transport::connect`].
    fn credentials(&self) -> &Credentials;

    /// The emulator's base URL.
    fn endpoint(&self) -> &str;

    /// The tenancy OCID, as the emulator knows it.
    fn tenancy(&self) -> &str;

    /// The emulator's page size for lists without a `limit`.
    fn page_size(&self) -> usize;

    /// Whether the emulator inserts empty pages that still carry a continuation token.
    fn empty_pages(&self) -> bool;

    /// `base` made unique to this scenario run (for names the emulator must not have seen).
    fn name(&self, base: &str) -> String;

    /// The emulator's counters, if this environment can read them.
    fn counts(&self) -> Option<Counts> {
        None
    }

    /// A file holding the first `len` bytes of pattern `seed`, as an upload body, if this
    /// environment has files.
    fn pattern_file(&self, len: u64, seed: u64) -> Option<TestBody> {
        let _ = (len, seed);
        None
    }

    /// The Object Storage namespace, asked through the client.
    async fn namespace(&self) -> String {
        self.client()
            .execute(GetNamespace::new())
            .await
            .expect("GetNamespace")
            .data
    }

    /// Creates bucket `name` (exactly that name) in the tenancy; returns the namespace.
    async fn bucket(&self, name: &str) -> String {
        let ns = self.namespace().await;
        self.client()
            .execute(CreateBucket::new(
                &ns,
                CreateBucketDetails::new(name, self.tenancy()),
            ))
            .await
            .expect("CreateBucket");
        ns
    }
}

/// An emulator started elsewhere (another process, as `transport-wasm/tests/run.sh` does for
/// the browser), shared by every scenario, with a client of transport `T` sending every service
/// to it. Names get a random prefix per environment, so scenarios never collide.
#[derive(Debug)]
pub struct RemoteEnv<T> {
    client: T,
    credentials: Credentials,
    endpoint: String,
    tenancy: String,
    page_size: usize,
    empty_pages: bool,
    prefix: String,
}

impl<T: Transport> RemoteEnv<T> {
    /// A client of the emulator at `endpoint` from `credentials` and `options`; the emulator
    /// lists `page_size` records a page, with empty pages between them if `empty_pages`.
    /// `unique` is a fresh value for each environment (the names' prefix).
    ///
    /// Test support: it panics when the client cannot be built.
    pub fn new(
        endpoint: &str,
        credentials: Credentials,
        options: ClientOptions,
        page_size: usize,
        empty_pages: bool,
        unique: u64,
    ) -> RemoteEnv<T> {
        let options = ClientOptions {
            endpoint: Some(endpoint.to_string()),
            ..options
        };
        let client = T::connect(&credentials, &options)
            .unwrap_or_else(|e| panic!("the {} client connects: {e}", T::NAME));
        RemoteEnv {
            tenancy: client.tenancy().to_string(),
            client,
            credentials,
            endpoint: endpoint.to_string(),
            page_size,
            empty_pages,
            prefix: format!("{}{unique}-", T::NAME),
        }
    }
}

impl<T: Transport> ScenarioEnv for RemoteEnv<T> {
    type Transport = T;

    fn client(&self) -> &T {
        &self.client
    }

    fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    fn endpoint(&self) -> &str {
        &self.endpoint
    }

    fn tenancy(&self) -> &str {
        &self.tenancy
    }

    fn page_size(&self) -> usize {
        self.page_size
    }

    fn empty_pages(&self) -> bool {
        self.empty_pages
    }

    fn name(&self, base: &str) -> String {
        format!("{}{base}", self.prefix)
    }
}

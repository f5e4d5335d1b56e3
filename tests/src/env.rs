//! An emulator with a client of one transport pointed at it.

use std::path::PathBuf;
use std::time::Duration;

use ocisdk_core::object_storage::{CreateBucket, GetNamespace};
use ocisdk_core::retry::RetryPolicy;
use ocisdk_emulator::{Emulator, EmulatorConfig};

use crate::transport::{ClientOptions, Transport};

/// A running emulator, its config file, and a client of transport `T` sending every service to
/// it. Dropping it stops the emulator.
///
/// Test support: it panics when the emulator or the client cannot start.
#[derive(Debug)]
pub struct Env<T> {
    /// The emulator (for its stats, its ids, faults injected later).
    pub emulator: Emulator,
    /// The client of the transport under test.
    pub client: T,
    /// The OCI config file the client was built from (`[DEFAULT]` profile, key beside it).
    pub config_path: PathBuf,
    _dir: tempfile::TempDir,
}

impl<T: Transport> Env<T> {
    /// An emulator started with `config`, and a client built from its config file with
    /// `options` (the endpoint is always the emulator's).
    pub fn start(config: EmulatorConfig, options: ClientOptions) -> Env<T> {
        let emulator = Emulator::start_with(config).expect("the emulator starts");
        let dir = tempfile::tempdir().expect("a temporary directory");
        let config_path = emulator
            .write_config(dir.path())
            .expect("the emulator writes its config");
        let options = ClientOptions {
            endpoint: Some(emulator.url().to_string()),
            ..options
        };
        let client = T::connect(&config_path, &options)
            .unwrap_or_else(|e| panic!("the {} client connects: {e}", T::NAME));
        Env {
            emulator,
            client,
            config_path,
            _dir: dir,
        }
    }

    /// A default emulator and a client with its default settings.
    pub fn new() -> Env<T> {
        Self::start(EmulatorConfig::default(), ClientOptions::default())
    }

    /// The tenancy OCID.
    pub fn tenancy(&self) -> String {
        self.client.tenancy().to_string()
    }

    /// The Object Storage namespace, asked through the client.
    pub fn namespace(&self) -> String {
        let ns = self
            .client
            .execute(GetNamespace::new())
            .expect("GetNamespace")
            .data;
        assert_eq!(ns, self.emulator.namespace());
        ns
    }

    /// Creates bucket `name` in the tenancy; returns the namespace.
    pub fn bucket(&self, name: &str) -> String {
        let ns = self.namespace();
        self.client
            .execute(CreateBucket::new(&ns, name, self.client.tenancy()))
            .expect("CreateBucket");
        ns
    }
}

impl<T: Transport> Default for Env<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// Fast backoff so the fault suites stay quick; the policy's shape is the default one.
pub fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(80),
        max_jitter: Duration::from_millis(10),
        ..RetryPolicy::default()
    }
}

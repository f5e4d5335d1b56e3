//! The native side: an in-process emulator with a client pointed at it ([`Env`]), and driving
//! a scenario from a plain `#[test]` ([`NativeTransport::block_on`]).

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use ocisdk_core::retry::RetryPolicy;
use ocisdk_emulator::{Emulator, EmulatorConfig};

use crate::env::{Counts, ScenarioEnv};
use crate::transport::{ClientOptions, Credentials, TestBody, Transport, for_each_pattern_chunk};

/// A transport of this machine: a scenario on it runs to completion from a plain `#[test]`.
pub trait NativeTransport: Transport {
    /// Drives `future` (a scenario) to completion on the calling thread.
    fn block_on<F: Future>(future: F) -> F::Output;
}

/// Polls `future` on this thread until it is ready, parking in between: the whole executor a
/// transport whose calls never wait on anything else (the blocking one) needs.
pub fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        match future.as_mut().poll(&mut cx) {
            Poll::Ready(output) => return output,
            Poll::Pending => std::thread::park(),
        }
    }
}

/// Builds a client the way a user does, from files: `credentials` written as a config file and
/// a key file beside it, then `build` with the config file's path.
pub fn connect_through_files<T>(
    credentials: &Credentials,
    build: impl FnOnce(&std::path::Path) -> Result<T, ocisdk_core::Error>,
) -> Result<T, ocisdk_core::Error> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let key = dir.path().join("key.pem");
    std::fs::write(&key, &credentials.key_pem).expect("the key file is written");
    let config = dir.path().join("config");
    let text = credentials.with_setting("key_file", &key.display().to_string());
    std::fs::write(&config, text.config_text).expect("the config file is written");
    build(&config)
}

/// A resource-principal client configuration from `vars` (`OCI_RESOURCE_PRINCIPAL_*` as
/// (name, value)), the way `builder_resource_principal` reads the process environment.
pub fn resource_principal_config(
    vars: &[(String, String)],
) -> Result<ocisdk_core::context::ClientConfig, ocisdk_core::Error> {
    let lookup = |name: &str| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    // Test support: the seed only blinds the key's signatures.
    ocisdk_core::context::ClientConfig::resource_principal_from(lookup, [12; 32])
}

/// The emulator settings of the portable scenarios, natively as in the browser
/// (`transport-wasm/tests/run.sh` starts the emulator with `--page-size 2`).
pub fn portable_config() -> EmulatorConfig {
    let (secret, versions) = crate::scenarios::SCENARIO_SECRET;
    EmulatorConfig {
        page_size: 2,
        // The secret of the `secret_bundles` scenario (run.sh passes the same `--secret`s).
        secrets: versions
            .iter()
            .map(|v| (secret.to_string(), v.to_string()))
            .collect(),
        ..Default::default()
    }
}

/// A running emulator and a client of transport `T` sending every service to it. Dropping it
/// stops the emulator.
///
/// Test support: it panics when the emulator or the client cannot start.
#[derive(Debug)]
pub struct Env<T> {
    /// The emulator (for its stats, its ids, faults injected later).
    pub emulator: Emulator,
    /// The client of the transport under test.
    pub client: T,
    credentials: Credentials,
    page_size: usize,
    empty_pages: bool,
    dir: tempfile::TempDir,
}

impl<T: Transport> Env<T> {
    /// An emulator started with `config`, and a client built from its credentials with
    /// `options` (the endpoint is always the emulator's).
    pub fn start(config: EmulatorConfig, options: ClientOptions) -> Env<T> {
        Self::assemble(config, "API-key", |emulator, _| {
            (emulator.config_text("key.pem"), options)
        })
    }

    /// Starts an emulator with `config`, writes what `setup` needs into the environment's
    /// directory, and connects the client `setup` describes (its config text and options;
    /// the endpoint is set to the emulator's). `what` names the client in a panic.
    fn assemble(
        config: EmulatorConfig,
        what: &str,
        setup: impl FnOnce(&Emulator, &std::path::Path) -> (String, ClientOptions),
    ) -> Env<T> {
        let (page_size, empty_pages) = (config.page_size, config.empty_pages);
        let emulator = Emulator::start_with(config).expect("the emulator starts");
        let dir = tempfile::tempdir().expect("a temporary directory");
        let (config_text, options) = setup(&emulator, dir.path());
        let credentials = Credentials {
            config_text,
            key_pem: emulator.private_key_pem().to_string(),
        };
        let options = ClientOptions {
            endpoint: Some(emulator.url().to_string()),
            ..options
        };
        let client = T::connect(&credentials, &options)
            .unwrap_or_else(|e| panic!("the {} {what} client connects: {e}", T::NAME));
        Env {
            emulator,
            client,
            credentials,
            page_size,
            empty_pages,
            dir,
        }
    }

    /// An emulator started with `config`, and a client built from a session-token profile
    /// (`security_token_file`, as `oci session authenticate` writes one) whose first token
    /// lives `lifetime`; the client's endpoint and auth endpoint are the emulator's, so it
    /// refreshes the token there.
    pub fn start_session(
        config: EmulatorConfig,
        options: ClientOptions,
        lifetime: Duration,
    ) -> Env<T> {
        Self::assemble(config, "session-token", |emulator, dir| {
            let token = emulator
                .issue_session_token(emulator.public_key_pem(), lifetime)
                .expect("the emulator issues a session token");
            let token_file = dir.join("token");
            std::fs::write(&token_file, token).expect("the token file is written");
            let text = emulator.session_config_text("key.pem", &token_file.display().to_string());
            let options = ClientOptions {
                auth_endpoint: Some(emulator.url().to_string()),
                ..options
            };
            (text, options)
        })
    }

    /// An emulator started with `config`, and an instance-principal client reading the
    /// emulator's IMDS and federating at its auth endpoint (`options` may point IMDS
    /// elsewhere, e.g. at a closed port).
    pub fn start_instance(config: EmulatorConfig, options: ClientOptions) -> Env<T> {
        Self::assemble(config, "instance-principal", |emulator, _| {
            let options = ClientOptions {
                auth_endpoint: Some(emulator.url().to_string()),
                imds_endpoint: Some(
                    options
                        .imds_endpoint
                        .clone()
                        .unwrap_or_else(|| emulator.imds_url()),
                ),
                ..options
            };
            (emulator.config_text("key.pem"), options)
        })
    }

    /// An emulator started with `config`, and an OKE workload-identity client asking the
    /// emulator's proxymux with the service-account token in
    /// [`Env::service_account_token_path`] (written here, living an hour; a scenario may
    /// replace or remove it).
    pub fn start_oke(config: EmulatorConfig, options: ClientOptions) -> Env<T> {
        Self::assemble(config, "OKE", |emulator, dir| {
            let token_file = dir.join("sa-token");
            let token = emulator.issue_service_account_token(Duration::from_secs(3600));
            std::fs::write(&token_file, token).expect("the service-account token is written");
            let options = ClientOptions {
                oke: Some((emulator.proxymux_url().to_string(), token_file)),
                ..options
            };
            (emulator.config_text("key.pem"), options)
        })
    }

    /// The client's token principal, which must be of `kind` (`"session token"`,
    /// `"instance principal"`, …).
    pub fn principal(
        &self,
        kind: &str,
    ) -> std::sync::Arc<ocisdk_core::auth::SessionTokenPrincipal> {
        let p = self
            .client
            .context()
            .session()
            .unwrap_or_else(|| panic!("a {kind} client has a token principal"))
            .clone();
        assert_eq!(p.kind(), kind);
        p
    }

    /// Where an OKE client of [`Env::start_oke`] reads its service-account token.
    pub fn service_account_token_path(&self) -> PathBuf {
        self.dir.path().join("sa-token")
    }

    /// An emulator started with `config`, and a resource-principal client built from the
    /// `OCI_RESOURCE_PRINCIPAL_*` variables `vars` returns (it may issue tokens and write
    /// files); the client's endpoint is the emulator's.
    pub fn start_resource(
        config: EmulatorConfig,
        options: ClientOptions,
        vars: impl FnOnce(&Emulator) -> Vec<(String, String)>,
    ) -> Env<T> {
        Self::assemble(config, "resource-principal", |emulator, _| {
            let options = ClientOptions {
                resource_principal: Some(vars(emulator)),
                // The emulator is the auth service (the federation of 1.1, and its session
                // token exchange when no endpoint variable names one).
                auth_endpoint: Some(
                    options
                        .auth_endpoint
                        .clone()
                        .unwrap_or_else(|| emulator.url().to_string()),
                ),
                ..options
            };
            (emulator.config_text("key.pem"), options)
        })
    }

    /// A default emulator and a client with its default settings.
    pub fn new() -> Env<T> {
        Self::start(EmulatorConfig::default(), ClientOptions::default())
    }

    /// The emulator of the portable scenarios ([`portable_config`]) and a client with its
    /// default settings.
    pub fn portable() -> Env<T> {
        Self::start(portable_config(), ClientOptions::default())
    }

    /// [`Env::portable`] with empty pages between the real ones.
    pub fn with_empty_pages() -> Env<T> {
        let config = EmulatorConfig {
            empty_pages: true,
            ..portable_config()
        };
        Self::start(config, ClientOptions::default())
    }
}

impl<T: Transport> Default for Env<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Transport> ScenarioEnv for Env<T> {
    type Transport = T;

    fn client(&self) -> &T {
        &self.client
    }

    fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    fn endpoint(&self) -> &str {
        self.emulator.url()
    }

    fn tenancy(&self) -> &str {
        self.emulator.tenancy_id()
    }

    fn page_size(&self) -> usize {
        self.page_size
    }

    fn empty_pages(&self) -> bool {
        self.empty_pages
    }

    /// The emulator is this environment's own: names are used as they are.
    fn name(&self, base: &str) -> String {
        base.to_string()
    }

    fn counts(&self) -> Option<Counts> {
        let stats = self.emulator.stats();
        Some(Counts {
            auth_failures: stats.auth_failures,
            faults_fired: stats.faults_fired,
            operations: stats.operations,
        })
    }

    fn pattern_file(&self, len: u64, seed: u64) -> Option<TestBody> {
        use std::io::Write as _;
        let path: PathBuf = self.dir.path().join(format!("pattern-{seed}-{len}.bin"));
        if !path.exists() {
            let mut file = std::io::BufWriter::new(
                std::fs::File::create(&path).expect("the pattern file is created"),
            );
            for_each_pattern_chunk(len, seed, |chunk| {
                file.write_all(chunk).expect("the pattern file is written")
            });
            file.flush().expect("the pattern file is written");
        }
        Some(TestBody::File(path))
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

#[cfg(test)]
mod tests {
    #[test]
    fn the_scenarios_know_the_emulators_vault() {
        assert_eq!(
            crate::scenarios::EMULATOR_VAULT_ID,
            ocisdk_emulator::DEFAULT_VAULT_ID
        );
    }
}

//! What a client is: who signs, for which tenancy, where requests go and how failures are
//! retried. [`ClientConfig`] is that before it is built, with the builder setters every transport
//! shares; [`Context`] is it built, shared by every call of a client.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

use crate::auth::{DateHeader, ProfileAuth, RequestSigner, SessionToken, SessionTokenPrincipal};
use crate::call::Call;
use crate::endpoint::Endpoints;
use crate::error::{Error, TransportError, TransportErrorKind};
use crate::operation::Operation;
use crate::retry::RetryPolicy;

/// Largest successful response body the core buffers (object bodies stream instead). A list
/// page of 1000 objects with every field is well under a megabyte.
pub const MAX_BUFFERED_BODY: u64 = 32 * 1024 * 1024;
/// Largest error response body the core buffers: an error needs only its JSON head.
pub const MAX_ERROR_BODY: u64 = 1024 * 1024;

/// Default `user-agent`.
pub const USER_AGENT: &str = concat!("ocisdk-rust/", env!("CARGO_PKG_VERSION"));

/// Shared state of a built client: who signs, for which tenancy, where requests go, and the
/// retry policy calls start with. One `Context` serves any number of concurrent calls.
pub struct Context {
    signer: RequestSigner,
    endpoints: Endpoints,
    tenancy: String,
    retry: RetryPolicy,
    rng: Mutex<ChaCha20Rng>,
    unseen_resends: bool,
    session: Option<Arc<SessionTokenPrincipal>>,
    /// The delegation token a token principal's signers add (the fixed signer has it already).
    delegation: Option<crate::config::Secret>,
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("signer", &self.signer)
            .field("endpoints", &self.endpoints)
            .field("tenancy", &self.tenancy)
            .field("retry", &self.retry)
            .field("session", &self.session)
            .finish_non_exhaustive()
    }
}

impl Context {
    /// A context signing with `signer` and sending to `endpoints`, retrying with the default
    /// [`RetryPolicy`]. `seed` (32 random bytes from the adapter) seeds the generator for retry
    /// tokens and backoff jitter, so the core needs no entropy source.
    pub fn new(signer: RequestSigner, endpoints: Endpoints, seed: [u8; 32]) -> Self {
        Context {
            signer,
            endpoints,
            tenancy: String::new(),
            retry: RetryPolicy::default(),
            rng: Mutex::new(ChaCha20Rng::from_seed(seed)),
            unseen_resends: false,
            session: None,
            delegation: None,
        }
    }

    /// Every call carries `token` as a signed `opc-obo-token` (see
    /// [`RequestSigner::with_delegation_token`]), whoever signs: the fixed signer and a token
    /// principal's.
    pub fn with_delegation_token(mut self, token: crate::config::Secret) -> Self {
        self.signer = self.signer.with_delegation_token(token.clone());
        self.delegation = Some(token);
        self
    }

    /// `signer` (a token principal's) with the context's delegation token, if it has one.
    pub(crate) fn delegating(&self, signer: RequestSigner) -> RequestSigner {
        match &self.delegation {
            Some(token) => signer.with_delegation_token(token.clone()),
            None => signer,
        }
    }

    /// Signs every call with `principal`'s session token, refreshing it as it comes due
    /// (instead of with the context's fixed signer, which then signs nothing).
    pub fn with_session(mut self, principal: Arc<SessionTokenPrincipal>) -> Self {
        self.session = Some(principal);
        self
    }

    /// The session-token principal calls sign with, if the client has one.
    pub fn session(&self) -> Option<&Arc<SessionTokenPrincipal>> {
        self.session.as_ref()
    }

    /// Says that the platform under this context may re-send a request by itself, without
    /// telling the adapter: browsers (Chromium, Firefox) re-send any request, whatever its
    /// method, when a reused keep-alive connection fails before any response header arrived,
    /// which is exactly a lost response. A conflict that such a hidden first attempt could
    /// have caused (404 on a DELETE, 409 on a create, 412 on a conditional write) is then
    /// reported with [`earlier_attempt_may_have_succeeded`](crate::Error::earlier_attempt_may_have_succeeded)
    /// set, since it may be the answer to the platform's second send. The `fetch` adapter sets it.
    pub fn with_unseen_resends(mut self, platform_may_resend: bool) -> Self {
        self.unseen_resends = platform_may_resend;
        self
    }

    /// Whether the platform may re-send requests unseen ([`Context::with_unseen_resends`]).
    pub fn unseen_resends(&self) -> bool {
        self.unseen_resends
    }

    /// Sets the tenancy OCID clients report (the compartment of users, groups, policies).
    pub fn with_tenancy(mut self, tenancy: impl Into<String>) -> Self {
        self.tenancy = tenancy.into();
        self
    }

    /// Replaces the retry policy every call of this context starts with.
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// A context like this one (same signer, tenancy and endpoints) whose calls use `policy`;
    /// its generator is seeded from this one's.
    pub fn derive_with_retry_policy(&self, policy: RetryPolicy) -> Context {
        let mut seed = [0u8; 32];
        self.with_rng(|rng| rng.fill_bytes(&mut seed));
        Context {
            signer: self.signer.clone(),
            endpoints: self.endpoints.clone(),
            tenancy: self.tenancy.clone(),
            retry: policy,
            rng: Mutex::new(ChaCha20Rng::from_seed(seed)),
            unseen_resends: self.unseen_resends,
            // The same principal: a client and its derived clients share one token and one
            // refresh.
            session: self.session.clone(),
            delegation: self.delegation.clone(),
        }
    }

    /// The retry policy calls start with.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    fn with_rng<T>(&self, f: impl FnOnce(&mut ChaCha20Rng) -> T) -> T {
        match self.rng.lock() {
            Ok(mut g) => f(&mut g),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }

    pub(crate) fn random_u32(&self) -> u32 {
        self.with_rng(|rng| rng.next_u32())
    }

    /// The endpoints requests go to. An instance-principal client built without a region
    /// or endpoints has its region's once its first call has read IMDS
    /// ([`Context::endpoints_pending`] says whether that has happened).
    pub fn endpoints(&self) -> &Endpoints {
        if let Some(endpoints) = self.session.as_ref().and_then(|p| p.learned_endpoints()) {
            return endpoints;
        }
        &self.endpoints
    }

    /// Whether the endpoints are still to come from IMDS (an instance-principal client built
    /// without a region or endpoints, before its first call has read the region).
    pub fn endpoints_pending(&self) -> bool {
        self.session
            .as_ref()
            .is_some_and(|p| p.region_from_source() && p.learned_endpoints().is_none())
    }

    /// The signer.
    pub fn signer(&self) -> &RequestSigner {
        &self.signer
    }

    /// The tenancy OCID. An instance-principal client learns it from its certificate: until
    /// its first call has read that, this is empty.
    pub fn tenancy(&self) -> &str {
        if self.tenancy.is_empty()
            && let Some(tenancy) = self.session.as_ref().and_then(|p| p.first_tenancy())
        {
            return tenancy;
        }
        &self.tenancy
    }

    /// Starts a call of `op`.
    pub fn call<O: Operation>(self: &Arc<Self>, op: O) -> Call<O> {
        Call::new(self.clone(), op)
    }

    /// A fresh `opc-retry-token`: 30 alphanumerics, like the official SDKs.
    pub fn new_retry_token(&self) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        self.with_rng(|rng| {
            (0..30)
                .map(|_| ALPHABET[(rng.next_u32() % ALPHABET.len() as u32) as usize] as char)
                .collect()
        })
    }
}

/// What every client is built from, whatever moves its bytes: the signer and tenancy, the region
/// or explicit endpoints, the retry policy and the date header. Each transport's `ClientBuilder`
/// holds one and adds only what is its own (timeouts, pooling, connectors); the setters they
/// share come from [`client_builder_setters!`](crate::client_builder_setters).
#[derive(Debug, Clone)]
pub struct ClientConfig {
    signer: RequestSigner,
    tenancy: String,
    region: Option<String>,
    endpoints: Option<Endpoints>,
    retry: Option<RetryPolicy>,
    session: Option<SessionToken>,
    /// Write refreshed session tokens back to the `security_token_file`.
    write_back_session_token: bool,
    auth_endpoint: Option<String>,
    /// A token principal (instance, resource, …): built into the context by [`Self::build`].
    principal: Option<PrincipalSpec>,
    /// A delegation token every request carries (`opc-obo-token`), whoever signs.
    delegation: Option<crate::config::Secret>,
    /// Endpoints whose TLS certificate a private CA verifies.
    private_cas: Vec<PrivateCa>,
}

/// A certificate authority that alone verifies one endpoint's TLS certificate, instead of the
/// public roots: an OKE cluster's CA for its proxymux (the official SDKs verify that exchange
/// against the cluster CA only), a private endpoint's CA. The native transports connect to
/// that host and port with these roots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivateCa {
    /// The endpoint's host, as in its URL (an IPv6 address without brackets).
    pub host: String,
    /// The endpoint's port.
    pub port: u16,
    /// The CA certificate(s), PEM.
    pub pem: String,
}

impl PrivateCa {
    /// The CA `pem` for the endpoint of `base_url` (`https://host[:port]`, port 443 by
    /// default); `None` for a URL that is not https or has no host.
    pub fn for_url(base_url: &str, pem: String) -> Option<PrivateCa> {
        let uri = http::Uri::try_from(base_url).ok()?;
        if uri.scheme_str() != Some("https") {
            return None;
        }
        let host = uri.host()?.trim_start_matches('[').trim_end_matches(']');
        Some(PrivateCa {
            host: host.to_string(),
            port: uri.port_u16().unwrap_or(443),
            pem,
        })
    }

    /// The CA's certificates (DER, in the PEM's order): what a transport puts in the root
    /// store it verifies this endpoint with. Anything in the PEM other than certificates (a
    /// key, say) is not a root and is left out; none at all, or a certificate block that is not
    /// base64, is a TLS error naming the endpoint.
    pub fn certificates(&self) -> Result<Vec<Vec<u8>>, Error> {
        let tls_error = |reason: String| {
            Error::Transport(TransportError::new(
                TransportErrorKind::Tls,
                format!(
                    "cannot trust the private CA for {}:{}: {reason}",
                    self.host, self.port
                ),
            ))
        };
        let certs = crate::auth::x509::certificate_blocks(&self.pem)
            .iter()
            .map(|block| crate::auth::x509::pem_to_der(block, "a private CA certificate"))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| tls_error(format!("not PEM certificates ({e})")))?;
        if certs.is_empty() {
            return Err(tls_error("no certificate in its PEM".into()));
        }
        Ok(certs)
    }

    /// Whether this CA verifies the endpoint `host`:`port`.
    pub fn matches(&self, host: &str, port: u16) -> bool {
        self.port == port
            && self
                .host
                .eq_ignore_ascii_case(host.trim_start_matches('[').trim_end_matches(']'))
    }
}

/// A token principal a configuration describes: its session key, where its tokens come from,
/// and its first token when one is at hand.
#[derive(Clone)]
struct PrincipalSpec {
    key: crate::auth::PrivateKey,
    source: SourceSpec,
    first_token: Option<(crate::config::Secret, &'static str)>,
}

/// Where a principal's tokens come from. A configuration is `Clone` and a source is state, so
/// a configuration keeps how to make one.
#[derive(Clone)]
enum SourceSpec {
    /// Instance principals: the IMDS base URL.
    Instance(String),
    /// OKE workload identity.
    Oke(crate::auth::OkeSettings),
    /// Any other source.
    Make(Arc<dyn Fn() -> Box<dyn crate::auth::TokenSource> + Send + Sync>),
}

impl fmt::Debug for PrincipalSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match &self.source {
            SourceSpec::Instance(imds) => format!("instance principal (IMDS {imds})"),
            SourceSpec::Oke(settings) => format!("OKE workload identity ({settings:?})"),
            SourceSpec::Make(_) => "token source".to_string(),
        };
        f.debug_struct("PrincipalSpec")
            .field("source", &source)
            .field(
                "first_token",
                &self.first_token.as_ref().map(|(_, from)| from),
            )
            .finish_non_exhaustive()
    }
}

/// A fresh RSA-2048 session key from `seed` (32 random bytes; it takes a moment), and 32 more
/// bytes drawn after it for whatever signs with it.
pub fn generate_session_key(
    seed: [u8; 32],
    what: &'static str,
) -> Result<(crate::auth::PrivateKey, [u8; 32]), Error> {
    let mut rng = rand_chacha::ChaCha20Rng::from_seed(seed);
    let key = rsa::RsaPrivateKey::new(&mut rng, 2048).map_err(|e| {
        Error::Signing(crate::auth::SigningError {
            backend: "portable",
            reason: format!("cannot generate the session key: {e}"),
        })
    })?;
    let key = crate::auth::PrivateKey::from_rsa(key, what)?;
    let mut next = [0u8; 32];
    rng.fill_bytes(&mut next);
    Ok((key, next))
}

impl ClientConfig {
    /// A configuration signing with `signer` for `tenancy`, with no region or endpoint yet.
    pub fn new(signer: RequestSigner, tenancy: impl Into<String>) -> Self {
        ClientConfig {
            signer,
            tenancy: tenancy.into(),
            region: None,
            endpoints: None,
            retry: None,
            session: None,
            write_back_session_token: false,
            auth_endpoint: None,
            principal: None,
            delegation: None,
            private_cas: Vec::new(),
        }
    }

    /// A configuration for instance principals: calls sign with a session token the client
    /// obtains by itself from the instance metadata service (IMDS, at
    /// [`DEFAULT_IMDS_ENDPOINT`](crate::auth::DEFAULT_IMDS_ENDPOINT), or
    /// `OCI_METADATA_BASE_URL` where there is an environment) and the auth service's
    /// federation endpoint, and refreshes before it expires. Without a region or endpoints,
    /// the region IMDS names gives the endpoints and the auth endpoint, from the first call
    /// on. The tenancy is known after the first call ([`Context::tenancy`]). `seed` (32
    /// random bytes) generates the RSA-2048 session key, which takes a moment.
    pub fn instance_principal(seed: [u8; 32]) -> Result<Self, Error> {
        #[cfg(feature = "std")]
        let imds = std::env::var("OCI_METADATA_BASE_URL")
            .ok()
            // As the official SDKs do: trimmed, and whitespace-only counts as unset.
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| crate::auth::DEFAULT_IMDS_ENDPOINT.to_string());
        #[cfg(not(feature = "std"))]
        let imds = crate::auth::DEFAULT_IMDS_ENDPOINT.to_string();
        let (key, backend_seed) = generate_session_key(seed, "the instance-principal session key")?;
        Ok(Self::principal_config(
            key,
            backend_seed,
            SourceSpec::Instance(imds.trim_end_matches('/').to_string()),
        ))
    }

    /// A configuration for resource principals (version 2.2: OCI Functions and other
    /// resources), from the process environment: see
    /// [`resource_principal_from`](Self::resource_principal_from).
    #[cfg(feature = "std")]
    pub fn resource_principal(seed: [u8; 32]) -> Result<Self, Error> {
        Self::resource_principal_from(|var| std::env::var(var).ok(), seed)
    }

    /// A configuration for resource principals, reading its variables through `lookup`.
    /// Version 2.2 (`OCI_RESOURCE_PRINCIPAL_VERSION`, `…_RPST`, `…_PRIVATE_PEM`,
    /// `…_PRIVATE_PEM_PASSPHRASE`, `…_REGION`; see [`crate::auth::resource`]): calls sign
    /// as `ST$<RPST>` with the private key; the tenancy is the token's `res_tenant`. The token
    /// and key are read and checked now; when they are file paths, they are read again as the
    /// token nears its `exp` and after a 401, so the platform's renewals are picked up.
    /// Versions 2.1, 2.1.1 and 2.1.2 (`…_RPT_ENDPOINT`, `…_RPST_ENDPOINT`, `…_RESOURCE_ID`,
    /// `…_TENANCY_ID`, the key and region): the first call obtains the token through two
    /// exchanges signed with the resource's key
    /// ([`ResourcePrincipalV21Source`](crate::auth::resource::ResourcePrincipalV21Source)).
    /// The region is `OCI_RESOURCE_PRINCIPAL_REGION` (unless endpoints are set). Version 1.1
    /// (`…_RPT_ENDPOINT`, optional `…_RPST_ENDPOINT`, `…_RPT_PATH`, `…_RPT_ID`, and
    /// `OCI_METADATA_BASE_URL`): each round federates as the instance first and asks for the
    /// token as that instance
    /// ([`ResourcePrincipalV11Source`](crate::auth::resource::ResourcePrincipalV11Source));
    /// the session key is generated (which takes a moment) and the region is the one IMDS
    /// names. `seed` (32 random bytes) blinds the key's signatures.
    pub fn resource_principal_from(
        lookup: impl Fn(&str) -> Option<String>,
        seed: [u8; 32],
    ) -> Result<Self, Error> {
        let setup = crate::auth::resource::ResourcePrincipalSetup::from_lookup(lookup)?;
        // 1.1 brings no key: like an instance principal, the client makes its session key.
        let (key, seed) = match &setup.key {
            Some(key) => (key.clone(), seed),
            None => generate_session_key(seed, "the resource-principal (1.1) session key")?,
        };
        let mut config = Self::token_principal(key, setup.source_factory(), seed);
        if let Some(token) = &setup.first_token {
            config.set_first_token(token.expose(), crate::auth::resource::RPST_VAR);
        }
        if let Some(tenancy) = &setup.tenancy {
            config.set_tenancy(tenancy.clone());
        }
        // Without one (1.1), the region IMDS names gives the endpoints, from the first call on.
        if let Some(region) = &setup.region {
            config.set_region(region.clone());
        }
        Ok(config)
    }

    /// A configuration for OKE workload identity, in a pod of an "enhanced" OKE cluster: calls
    /// sign with session tokens the client obtains from the cluster's proxymux
    /// (`https://$KUBERNETES_SERVICE_HOST:12250`) in exchange for the pod's Kubernetes
    /// service-account token, read from
    /// [`DEFAULT_SERVICE_ACCOUNT_TOKEN_PATH`](crate::auth::oke::DEFAULT_SERVICE_ACCOUNT_TOKEN_PATH)
    /// at every refresh (the kubelet rotates it), and refreshes them at half their lifetime,
    /// as the official SDKs do. The region is `OCI_RESOURCE_PRINCIPAL_REGION` where there is an
    /// environment (else give one); the tenancy comes from the first token
    /// ([`Context::tenancy`]). `KUBERNETES_SERVICE_HOST` unset is an error when the client is
    /// built, unless [`set_oke_endpoint`](Self::set_oke_endpoint) names the proxymux. `seed`
    /// (32 random bytes) generates the RSA-2048 session key, which takes a moment.
    pub fn oke_workload_identity(seed: [u8; 32]) -> Result<Self, Error> {
        let settings = crate::auth::OkeSettings::from_env();
        let region = settings.region.clone();
        let (key, backend_seed) =
            generate_session_key(seed, "the OKE workload-identity session key")?;
        let mut config = Self::principal_config(key, backend_seed, SourceSpec::Oke(settings));
        config.region = region;
        Ok(config)
    }

    /// OKE workload identity: asks the proxymux at `base_url` (a private endpoint, an
    /// emulator; its `/resourcePrincipalSessionTokens` is added) instead of
    /// `https://$KUBERNETES_SERVICE_HOST:12250`.
    pub fn set_oke_endpoint(&mut self, base_url: &str) {
        if let Some(settings) = self.oke_settings_mut() {
            settings.endpoint = Some(base_url.trim_end_matches('/').to_string());
        }
    }

    /// OKE workload identity: reads the service-account token from `path` (at every refresh)
    /// instead of the kubelet's default path.
    pub fn set_service_account_token_path(&mut self, path: &str) {
        if let Some(settings) = self.oke_settings_mut() {
            settings.token = crate::auth::ServiceAccountToken::File(path.to_string());
        }
    }

    /// OKE workload identity: verifies the proxymux's TLS certificate with the cluster CA at
    /// `path` instead of `OCI_KUBERNETES_SERVICE_ACCOUNT_CERT_PATH` or the kubelet's default
    /// (`/var/run/secrets/kubernetes.io/serviceaccount/ca.crt`).
    pub fn set_service_account_cert_path(&mut self, path: &str) {
        if let Some(settings) = self.oke_settings_mut() {
            settings.ca_path = path.to_string();
        }
    }

    /// Verifies the TLS certificate of the endpoint of `base_url` (`https://host[:port]`) with
    /// the CA certificate(s) `ca_pem` only, instead of the public roots (a private endpoint).
    /// A URL that is not https is ignored.
    pub fn trust_private_ca(&mut self, base_url: &str, ca_pem: &str) {
        if let Some(ca) = PrivateCa::for_url(base_url, ca_pem.to_string()) {
            self.private_cas.push(ca);
        }
    }

    /// The endpoints a private CA verifies, for the transport's TLS: those given with
    /// [`trust_private_ca`](Self::trust_private_ca) and, for OKE workload identity over https,
    /// the proxymux with the cluster CA (read now, under the `fs` feature; an unreadable file is
    /// [`TokenError::OkeCaCertificate`](crate::auth::TokenError::OkeCaCertificate)).
    pub fn private_cas(&self) -> Result<Vec<PrivateCa>, Error> {
        // Without `fs` the cluster CA cannot be read: a wasm client has no native TLS anyway.
        #[cfg_attr(not(feature = "fs"), allow(unused_mut))]
        let mut cas = self.private_cas.clone();
        #[cfg(feature = "fs")]
        if let Some(settings) = self.oke_settings()
            && let Ok(base) = settings.base_url()
            && base.starts_with("https://")
        {
            {
                let pem = std::fs::read_to_string(&settings.ca_path).map_err(|e| {
                    Error::Token(crate::auth::TokenError::OkeCaCertificate {
                        path: settings.ca_path.clone(),
                        reason: e.to_string(),
                    })
                })?;
                cas.extend(PrivateCa::for_url(&base, pem));
            }
        }
        Ok(cas)
    }

    /// OKE workload identity: uses the service-account token `token` as it is (no file is
    /// read; it is not renewed, so it must outlive the client), as the official SDKs allow.
    pub fn set_service_account_token(&mut self, token: crate::config::Secret) {
        if let Some(settings) = self.oke_settings_mut() {
            settings.token = crate::auth::ServiceAccountToken::Value(token);
        }
    }

    /// OKE workload identity: the settings (service-account token, proxymux, CA path), if this
    /// is such a configuration.
    pub fn oke_settings(&self) -> Option<&crate::auth::OkeSettings> {
        match &self.principal {
            Some(PrincipalSpec {
                source: SourceSpec::Oke(settings),
                ..
            }) => Some(settings),
            _ => None,
        }
    }

    fn oke_settings_mut(&mut self) -> Option<&mut crate::auth::OkeSettings> {
        match &mut self.principal {
            Some(PrincipalSpec {
                source: SourceSpec::Oke(settings),
                ..
            }) => Some(settings),
            _ => None,
        }
    }

    /// Every request carries the delegation token `token` as `opc-obo-token`, signed, whatever
    /// the principal (an API key, a session token, instance principals: Cloud Shell's
    /// `delegation_token_file`). See [`RequestSigner::with_delegation_token`].
    pub fn set_delegation_token(&mut self, token: crate::config::Secret) {
        self.delegation = Some(token);
    }

    /// Whether requests carry a delegation token.
    pub fn has_delegation_token(&self) -> bool {
        self.delegation.is_some()
    }

    /// A configuration whose calls sign with session tokens from the sources `make_source`
    /// makes (one per client built), bound to `session_key`. The tenancy and region are
    /// whatever is set on the configuration (a source may also name them as it goes, as
    /// instance principals do). `seed` (32 random bytes) blinds the session key's signatures.
    pub fn token_principal(
        session_key: crate::auth::PrivateKey,
        make_source: impl Fn() -> Box<dyn crate::auth::TokenSource> + Send + Sync + 'static,
        seed: [u8; 32],
    ) -> Self {
        Self::principal_config(session_key, seed, SourceSpec::Make(Arc::new(make_source)))
    }

    fn principal_config(key: crate::auth::PrivateKey, seed: [u8; 32], source: SourceSpec) -> Self {
        // Until the principal has a token the context's signer is never used: the principal
        // signs.
        let signer = RequestSigner::new(
            crate::auth::KeyId::SessionToken(crate::config::Secret::new(String::new())),
            crate::auth::signer::default_backend(&key, seed),
        );
        let mut config = ClientConfig::new(signer, String::new());
        config.principal = Some(PrincipalSpec {
            key,
            source,
            first_token: None,
        });
        config
    }

    /// A token principal starts with `jwt` (from `source_name`, named if it is not a JWT with
    /// `exp`) instead of obtaining one on the first call.
    pub fn set_first_token(&mut self, jwt: &str, source_name: &'static str) {
        if let Some(p) = &mut self.principal {
            p.first_token = Some((
                crate::config::Secret::new(jwt.trim().to_string()),
                source_name,
            ));
        }
    }

    /// Sets the tenancy (a principal's configuration learns it from its environment).
    pub fn set_tenancy(&mut self, tenancy: impl Into<String>) {
        self.tenancy = tenancy.into();
    }

    /// Instance principals: reads the instance metadata service at `base_url` (its v2 base,
    /// e.g. `http://169.254.169.254/opc/v2`, or an emulator's) instead of the default.
    pub fn set_imds_endpoint(&mut self, base_url: &str) {
        if let Some(PrincipalSpec {
            source: SourceSpec::Instance(imds),
            ..
        }) = &mut self.principal
        {
            *imds = base_url.trim_end_matches('/').to_string();
        }
    }

    /// The configuration a config profile describes (its signer, tenancy and region).
    pub fn from_profile_auth(auth: ProfileAuth) -> Self {
        let mut config = ClientConfig::new(auth.signer, auth.tenancy);
        config.region = auth.region;
        config.session = auth.session;
        config
    }

    /// From an OCI config file: `path` or the standard lookup (`$OCI_CONFIG_FILE`,
    /// `~/.oci/config`), `profile` or `$OCI_CLI_PROFILE` or `DEFAULT`; reads the profile's key
    /// (and security token) files. `seed` seeds the portable RSA backend's blinding.
    ///
    /// A profile's `delegation_token_file` (Cloud Shell's) is read too: every request carries
    /// its token as a signed `opc-obo-token`. As in the official SDKs, a profile with
    /// `authentication_type=instance_principal` signs with instance principals (and must then
    /// name a `delegation_token_file`); its `region`, if any, is used.
    #[cfg(feature = "fs")]
    pub fn from_config_file(
        path: Option<&std::path::Path>,
        profile: Option<&str>,
        seed: [u8; 32],
    ) -> Result<Self, Error> {
        let (_, profile) = crate::config::load_config(path, profile)?;
        Self::from_profile(&profile, seed)
    }

    /// From a profile read from a file: an API key or a session token, or Cloud Shell's
    /// instance principal with its `delegation_token_file` (`authentication_type`).
    #[cfg(feature = "fs")]
    pub(crate) fn from_profile(
        profile: &crate::config::Profile,
        seed: [u8; 32],
    ) -> Result<Self, Error> {
        let profile = profile.clone();
        let delegation = read_delegation_token(&profile)?;
        let mut config = match profile.get("authentication_type") {
            Some(kind) if kind.eq_ignore_ascii_case("instance_principal") => {
                if delegation.is_none() {
                    return Err(profile_value_error(
                        &profile,
                        "authentication_type",
                        "authentication_type=instance_principal needs a delegation_token_file in the same profile (the official SDKs support it only for Cloud Shell's delegation)".into(),
                    ));
                }
                let mut config = ClientConfig::instance_principal(seed)?;
                config.region = profile.region().map(str::to_string);
                config
            }
            Some(other) => {
                return Err(profile_value_error(
                    &profile,
                    "authentication_type",
                    format!(
                        "authentication_type {other:?} is not supported (only instance_principal, with a delegation_token_file)"
                    ),
                ));
            }
            None => {
                let auth = crate::auth::signer_from_profile(&profile, seed)?;
                ClientConfig::from_profile_auth(auth)
            }
        };
        config.delegation = delegation;
        Ok(config)
    }

    /// From the text of an OCI config file and the PEM text of the profile's private key (no
    /// file is read: `key_file` and `delegation_token_file` are ignored; give a delegation
    /// token with [`set_delegation_token`](Self::set_delegation_token)). `profile` defaults to
    /// `DEFAULT`. Checks the profile's fingerprint against the key and decrypts the key with its
    /// `pass_phrase`.
    pub fn from_config_text(
        config_text: &str,
        profile: Option<&str>,
        key_pem: &str,
        seed: [u8; 32],
    ) -> Result<Self, Error> {
        let config = crate::config::ConfigFile::parse(config_text, "<config text>")?;
        let profile = config.profile(profile.unwrap_or(crate::config::DEFAULT_PROFILE))?;
        let auth =
            crate::auth::signer_from_profile_parts(&profile, key_pem, "<key PEM>", None, seed)?;
        Ok(ClientConfig::from_profile_auth(auth))
    }

    /// A session-token configuration from text, for hosts without files (a browser, a
    /// worker): the profile's text (`tenancy`, `region`; `user` and `fingerprint` are not
    /// needed), the session key's PEM and the token (`oci session authenticate` writes them
    /// to `key_file` and `security_token_file`). Calls sign as `ST$<token>` and refresh it
    /// ahead of its expiry. A token that is not a JWT with `exp` is [`Error::Token`].
    pub fn from_session_token_text(
        config_text: &str,
        profile: Option<&str>,
        key_pem: &str,
        token: &str,
        seed: [u8; 32],
    ) -> Result<Self, Error> {
        let config = crate::config::ConfigFile::parse(config_text, "<config text>")?;
        let profile = config.profile(profile.unwrap_or(crate::config::DEFAULT_PROFILE))?;
        let auth = crate::auth::signer_from_profile_parts(
            &profile,
            key_pem,
            "<key PEM>",
            Some((token, "<session token>")),
            seed,
        )?;
        Ok(ClientConfig::from_profile_auth(auth))
    }

    /// Uses the public endpoints of `region` (an identifier like `us-ashburn-1` or a code like
    /// `iad`) unless explicit endpoints are set.
    pub fn set_region(&mut self, region: impl Into<String>) {
        self.region = Some(region.into());
    }

    /// Sends requests to `endpoints` instead of the region's.
    pub fn set_endpoints(&mut self, endpoints: Endpoints) {
        self.endpoints = Some(endpoints);
    }

    /// The retry policy of every call.
    pub fn set_retry_policy(&mut self, policy: RetryPolicy) {
        self.retry = Some(policy);
    }

    /// Signs with session token `token`, refreshing it before it expires (a
    /// `security_token_file` profile does this by itself).
    pub fn set_session_token(&mut self, token: SessionToken) {
        self.signer = token.signer().with_date_header(self.signer.date_header());
        self.session = Some(token);
    }

    /// Sends session-token refreshes to `base_url` (a private endpoint, an emulator) instead of
    /// the region's `https://auth.<region>.<domain>`.
    pub fn set_auth_endpoint(&mut self, base_url: &str) {
        self.auth_endpoint = Some(base_url.trim_end_matches('/').to_string());
    }

    /// Writes each refreshed session token back to the profile's `security_token_file`
    /// (see [`SessionRefresh::writing_back_to`](crate::auth::SessionRefresh::writing_back_to));
    /// off by default. Only configurations read from a file have one to write.
    pub fn set_write_back_session_token(&mut self, on: bool) {
        self.write_back_session_token = on;
    }

    /// The session token calls sign with, if this configuration has one.
    pub fn session_token(&self) -> Option<&SessionToken> {
        self.session.as_ref()
    }

    /// Signs with `date` or `x-date`.
    pub fn set_date_header(&mut self, header: DateHeader) {
        self.signer = self.signer.clone().with_date_header(header);
    }

    /// The tenancy OCID.
    pub fn tenancy(&self) -> &str {
        &self.tenancy
    }

    /// The region, if one was given.
    pub fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    /// The signer.
    pub fn signer(&self) -> &RequestSigner {
        &self.signer
    }

    /// Builds the context. The endpoints are the explicit ones if given, else the region's
    /// (resolved, where the core has the `fs` feature, with `~/.oci/regions-config.json`,
    /// `OCI_REGION_METADATA` and `OCI_DEFAULT_REALM`); the retry policy is the one given, else
    /// the default (switched off by `OCI_SDK_DEFAULT_RETRY_ENABLED=false` where there is an
    /// environment). Fails when there is neither an endpoint nor a known region.
    pub fn build(self, seed: [u8; 32]) -> Result<Context, Error> {
        // A token principal may leave the region to its source (instance principals: IMDS):
        // the calls learn their endpoints from the principal's first round (until then, this
        // placeholder is never used).
        // (OKE workload identity takes its region from the environment when the configuration
        // is made, never from its source.)
        let region_from_source = self
            .principal
            .as_ref()
            .is_some_and(|p| !matches!(p.source, SourceSpec::Oke(_)))
            && self.endpoints.is_none()
            && self.region.is_none();
        let endpoints = match (region_from_source, self.endpoints) {
            (true, _) => Some(Endpoints::single("https://region-from-source.invalid")),
            (false, e) => e,
        };
        #[cfg(feature = "fs")]
        let endpoints = Endpoints::choose_from_env(endpoints, self.region.as_deref())?;
        #[cfg(not(feature = "fs"))]
        let endpoints = Endpoints::choose(
            endpoints,
            self.region.as_deref(),
            &crate::region::RegionSources::default(),
        )?;
        for base in endpoints.plain_http_remote() {
            tracing::warn!(
                endpoint = base,
                "plain http:// endpoint that is not a loopback address: requests and their signatures travel unencrypted"
            );
        }
        #[cfg(feature = "std")]
        let policy = self.retry.unwrap_or_else(RetryPolicy::from_env);
        #[cfg(not(feature = "std"))]
        let policy = self.retry.unwrap_or_default();
        // The auth endpoint of a session token: the one given, else the region's
        // `https://auth.<region>.<domain>`; with neither, a refresh fails and says so.
        let auth_endpoint = self
            .auth_endpoint
            .or_else(|| endpoints.region().map(|r| r.endpoint("auth")));
        if (self.session.is_some() || self.principal.is_some())
            && let Some(base) = &auth_endpoint
            && crate::endpoint::is_plain_http(base)
            && !crate::endpoint::is_loopback(base)
        {
            tracing::warn!(
                endpoint = base.as_str(),
                "plain http:// auth endpoint that is not a loopback address: session-token refreshes, and the tokens in them, travel unencrypted"
            );
        }
        let date_header = self.signer.date_header();
        let mut ctx = Context::new(self.signer, endpoints, seed)
            .with_tenancy(self.tenancy)
            .with_retry_policy(policy);
        if let Some(token) = self.delegation {
            ctx = ctx.with_delegation_token(token);
        }
        if let Some(spec) = self.principal {
            let mut principal_seed = [0u8; 32];
            ctx.with_rng(|rng| rng.fill_bytes(&mut principal_seed));
            // OKE workload identity refreshes at half the token's lifetime, as the official
            // Python SDK does (`valid_with_half_expiration_time`): an unbounded margin is
            // capped at half the lifetime by the principal.
            let refresh_ahead = matches!(spec.source, SourceSpec::Oke(_)).then_some(Duration::MAX);
            let source = match spec.source {
                SourceSpec::Instance(imds) => {
                    Box::new(crate::auth::InstanceFederation::new(&imds)) as Box<_>
                }
                SourceSpec::Oke(settings) => {
                    Box::new(settings.source().map_err(Error::Token)?) as Box<_>
                }
                SourceSpec::Make(make) => make(),
            };
            let mut principal = SessionTokenPrincipal::with_source(
                source,
                &spec.key,
                auth_endpoint,
                principal_seed,
            )
            .with_date_header(date_header);
            if let Some(ahead) = refresh_ahead {
                principal = principal
                    .with_refresh_ahead(ahead, crate::auth::session::DEFAULT_REFRESH_JITTER);
            }
            if let Some((jwt, source_name)) = spec.first_token {
                principal = principal
                    .with_first_token(jwt.expose(), source_name)
                    .map_err(Error::Token)?;
            }
            if region_from_source {
                principal = principal.with_region_from_source();
            }
            return Ok(ctx.with_session(Arc::new(principal)));
        }
        Ok(match self.session {
            Some(token) => {
                let mut principal_seed = [0u8; 32];
                ctx.with_rng(|rng| rng.fill_bytes(&mut principal_seed));
                let source = match self.write_back_session_token {
                    true => crate::auth::SessionRefresh::writing_back_to(token.source_name()),
                    false => crate::auth::SessionRefresh::default(),
                };
                let principal =
                    SessionTokenPrincipal::refreshing(token, source, auth_endpoint, principal_seed)
                        .with_date_header(date_header);
                ctx.with_session(Arc::new(principal))
            }
            None => ctx,
        })
    }
}

/// The profile's `delegation_token_file`, read (`~` expanded), if it names one.
#[cfg(feature = "fs")]
fn read_delegation_token(
    profile: &crate::config::Profile,
) -> Result<Option<crate::config::Secret>, Error> {
    const KEY: &str = "delegation_token_file";
    let Some(path) = profile.get(KEY).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let path = crate::config::expand_tilde(path, crate::config::home_dir().as_deref());
    // Zeroizing: the token is a credential for as long as it lives.
    let text = zeroize::Zeroizing::new(std::fs::read_to_string(&path).map_err(|e| {
        profile_value_error(
            profile,
            KEY,
            format!("cannot read delegation token file {path}: {e}"),
        )
    })?);
    let token = text.trim();
    if token.is_empty() {
        return Err(profile_value_error(
            profile,
            KEY,
            format!("the delegation token file {path} is empty"),
        ));
    }
    Ok(Some(crate::config::Secret::new(token.to_string())))
}

/// A configuration error about `key` of `profile`, naming the file, profile and line.
#[cfg(feature = "fs")]
fn profile_value_error(profile: &crate::config::Profile, key: &str, reason: String) -> Error {
    Error::Config(
        crate::config::ConfigError::new(crate::config::ConfigErrorKind::InvalidValue { reason })
            .in_file(profile.source())
            .in_profile(profile.name())
            .for_key(key)
            .at_line(profile.line_of(key)),
    )
}

/// The error an adapter reports when the platform gives it no randomness to seed the core.
pub fn no_randomness(e: impl fmt::Display) -> Error {
    Error::Transport(TransportError::new(
        TransportErrorKind::Io,
        format!("no randomness from the platform to seed signing and retry tokens: {e}"),
    ))
}

/// Writes the builder setters every transport's `ClientBuilder` shares, once: the struct must
/// have a field `config: ocisdk_core::context::ClientConfig`. Expand inside `impl ClientBuilder`.
#[macro_export]
macro_rules! client_builder_setters {
    () => {
        /// The region whose public endpoints to use: an identifier like `us-ashburn-1` or a
        /// code like `iad`.
        pub fn region(mut self, region: impl Into<String>) -> Self {
            self.config.set_region(region);
            self
        }

        /// Sends every service to `base_url` (an emulator, a proxy, a private endpoint)
        /// instead of the region's public endpoints.
        pub fn endpoint(mut self, base_url: &str) -> Self {
            self.config
                .set_endpoints($crate::endpoint::Endpoints::single(base_url));
            self
        }

        /// Sets the per-service endpoints explicitly.
        pub fn endpoints(mut self, endpoints: $crate::endpoint::Endpoints) -> Self {
            self.config.set_endpoints(endpoints);
            self
        }

        /// The retry policy of every call (default:
        /// [`RetryPolicy::default`]($crate::retry::RetryPolicy::default), the official SDKs'
        /// policy, switched off by `OCI_SDK_DEFAULT_RETRY_ENABLED=false` where there is an
        /// environment).
        pub fn retry_policy(mut self, policy: $crate::retry::RetryPolicy) -> Self {
            self.config.set_retry_policy(policy);
            self
        }

        /// Sends session-token refreshes (`POST /v1/authentication/refresh`) to `base_url` (a
        /// private endpoint, an emulator) instead of the region's
        /// `https://auth.<region>.<domain>`. Only clients of a `security_token_file` profile
        /// refresh.
        pub fn auth_endpoint(mut self, base_url: &str) -> Self {
            self.config.set_auth_endpoint(base_url);
            self
        }

        /// Session tokens: writes each refreshed token back to the profile's
        /// `security_token_file` (atomically, owner-only), so the OCI CLI and the next run see
        /// the live token. Off by default.
        pub fn write_back_session_token(mut self, on: bool) -> Self {
            self.config.set_write_back_session_token(on);
            self
        }

        /// Instance principals: reads the instance metadata service at `base_url` (its v2
        /// base, e.g. an emulator's `<url>/opc/v2`) instead of `http://169.254.169.254/opc/v2`.
        /// Other clients ignore it.
        pub fn imds_endpoint(mut self, base_url: &str) -> Self {
            self.config.set_imds_endpoint(base_url);
            self
        }

        /// OKE workload identity: asks the proxymux at `base_url` (a private endpoint, an
        /// emulator) instead of `https://$KUBERNETES_SERVICE_HOST:12250`. Other clients ignore
        /// it.
        pub fn oke_endpoint(mut self, base_url: &str) -> Self {
            self.config.set_oke_endpoint(base_url);
            self
        }

        /// OKE workload identity: reads the Kubernetes service-account token from `path` (at
        /// every refresh) instead of
        /// `/var/run/secrets/kubernetes.io/serviceaccount/token`. Other clients ignore it.
        pub fn service_account_token_path(mut self, path: &str) -> Self {
            self.config.set_service_account_token_path(path);
            self
        }

        /// OKE workload identity: verifies the proxymux's TLS certificate with the cluster CA at
        /// `path` (instead of `/var/run/secrets/kubernetes.io/serviceaccount/ca.crt`). Other
        /// clients ignore it.
        pub fn service_account_cert_path(mut self, path: &str) -> Self {
            self.config.set_service_account_cert_path(path);
            self
        }

        /// Verifies the TLS certificate of the endpoint of `base_url` (`https://host[:port]`)
        /// with the CA certificate(s) `ca_pem` only, instead of the public roots.
        pub fn trust_private_ca(mut self, base_url: &str, ca_pem: &str) -> Self {
            self.config.trust_private_ca(base_url, ca_pem);
            self
        }

        /// OKE workload identity: uses the service-account token `token` as it is, instead of
        /// reading a file (it is not renewed). Other clients ignore it.
        pub fn service_account_token(mut self, token: impl Into<$crate::config::Secret>) -> Self {
            self.config.set_service_account_token(token.into());
            self
        }

        /// Every request carries the delegation token `token` as a signed `opc-obo-token`,
        /// whatever the principal (a config profile's `delegation_token_file` does this by
        /// itself).
        pub fn delegation_token(mut self, token: impl Into<$crate::config::Secret>) -> Self {
            self.config.set_delegation_token(token.into());
            self
        }

        /// Signs with `x-date` instead of `date` (or back).
        pub fn date_header(mut self, header: $crate::auth::DateHeader) -> Self {
            self.config.set_date_header(header);
            self
        }

        /// The configuration shared with every transport (signer, tenancy, region, endpoints,
        /// retry policy).
        pub fn client_config(&self) -> &$crate::context::ClientConfig {
            &self.config
        }
    };
}

/// Writes the accessors every transport's `Client` shares, once: the struct must be
/// `Client { ctx: Arc<Context>, io: <something Clone> }` and `ClientBuilder::from_config`
/// must exist. Expand inside `impl Client`. With `files, $seed`, also the config-file
/// constructors, seeding with the function `$seed`.
#[macro_export]
macro_rules! client_accessors {
    () => {
        /// A builder from an explicit signer and tenancy.
        pub fn builder(
            signer: $crate::auth::RequestSigner,
            tenancy: impl Into<String>,
        ) -> ClientBuilder {
            ClientBuilder::from_config($crate::context::ClientConfig::new(signer, tenancy))
        }

        /// The tenancy OCID (the compartment of users, groups and policies).
        pub fn tenancy(&self) -> &str {
            self.ctx.tenancy()
        }

        /// The core context (signer, tenancy, endpoints, retry policy).
        pub fn context(&self) -> &std::sync::Arc<$crate::context::Context> {
            &self.ctx
        }

        /// A client sharing this one's connections and signer whose calls use `policy`
        /// (per-call retry settings:
        /// `client.with_retry_policy(RetryPolicy::disabled())`).
        pub fn with_retry_policy(&self, policy: $crate::retry::RetryPolicy) -> Self {
            Self {
                ctx: std::sync::Arc::new(self.ctx.derive_with_retry_policy(policy)),
                io: self.io.clone(),
            }
        }
    };
    (files, $seed:path) => {
        $crate::client_accessors!();

        /// A client from an OCI config file: `path` or the standard lookup
        /// (`$OCI_CONFIG_FILE`, `~/.oci/config`), `profile` or `$OCI_CLI_PROFILE` or `DEFAULT`.
        pub fn from_config_file(
            path: Option<&std::path::Path>,
            profile: Option<&str>,
        ) -> Result<Self, $crate::error::Error> {
            Self::builder_from_config_file(path, profile)?.build()
        }

        /// A builder from an OCI config file, to adjust the endpoint, timeouts or retries
        /// before building.
        pub fn builder_from_config_file(
            path: Option<&std::path::Path>,
            profile: Option<&str>,
        ) -> Result<ClientBuilder, $crate::error::Error> {
            let config = $crate::context::ClientConfig::from_config_file(path, profile, $seed()?)?;
            Ok(ClientBuilder::from_config(config))
        }

        /// A builder with credentials from the provider chain: `OCI_CLI_AUTH`, the
        /// `OCI_CLI_*` environment, the config profile, resource principals, then (if
        /// `options` opt in) instance principals; see
        /// [`auth::chain`]($crate::auth::chain). Without any, the error lists what each step
        /// looked at.
        pub fn builder_from_default_chain(
            options: &$crate::auth::chain::ChainOptions,
        ) -> Result<ClientBuilder, $crate::error::Error> {
            let config = $crate::context::ClientConfig::from_default_chain(options, $seed()?)?;
            Ok(ClientBuilder::from_config(config))
        }

        /// A builder for instance principals: the client gets its credentials from the
        /// instance metadata service and the auth service's federation endpoint, refreshing
        /// them before they expire. Without `.region(..)` or an endpoint, IMDS names the
        /// region; see [`ClientConfig::instance_principal`]($crate::context::ClientConfig::instance_principal).
        pub fn builder_instance_principal() -> Result<ClientBuilder, $crate::error::Error> {
            let config = $crate::context::ClientConfig::instance_principal($seed()?)?;
            Ok(ClientBuilder::from_config(config))
        }

        /// A builder for resource principals (version 2.2, as in OCI Functions): the client
        /// signs with the token and key the `OCI_RESOURCE_PRINCIPAL_*` variables give, reading
        /// them again from their files as they are renewed; see
        /// [`ClientConfig::resource_principal_from`]($crate::context::ClientConfig::resource_principal_from).
        pub fn builder_resource_principal() -> Result<ClientBuilder, $crate::error::Error> {
            let config = $crate::context::ClientConfig::resource_principal($seed()?)?;
            Ok(ClientBuilder::from_config(config))
        }

        /// A builder for OKE workload identity, in a pod of an enhanced OKE cluster: the
        /// client trades the pod's service-account token for session tokens at the cluster's
        /// proxymux, refreshing them at half their lifetime; see
        /// [`ClientConfig::oke_workload_identity`]($crate::context::ClientConfig::oke_workload_identity).
        pub fn builder_oke_workload_identity() -> Result<ClientBuilder, $crate::error::Error> {
            let config = $crate::context::ClientConfig::oke_workload_identity($seed()?)?;
            Ok(ClientBuilder::from_config(config))
        }
    };
}

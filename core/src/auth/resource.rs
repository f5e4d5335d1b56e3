//! Resource principals, version 2.2 (OCI Functions and the other services that run code for a
//! resource; facts in `oci-protocol.md` §10): the platform hands the workload its resource
//! principal session token (RPST) and the private key that token is bound to, through the
//! environment:
//!
//! - `OCI_RESOURCE_PRINCIPAL_VERSION=2.2`;
//! - `OCI_RESOURCE_PRINCIPAL_RPST`: the token itself, or the absolute path of a file holding it;
//! - `OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM`: the key's PEM, or the absolute path of a file;
//! - `OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM_PASSPHRASE` (optional): its passphrase, or a path;
//! - `OCI_RESOURCE_PRINCIPAL_REGION`: the region the resource lives in.
//!
//! Requests sign as keyId `ST$<rpst>` with that key. There is no exchange to renew anything:
//! when the values are file paths, the platform rewrites the files before the token expires,
//! and each round ([`ResourcePrincipalSource`]) reads them again — ahead of the token's `exp`
//! and after a 401, as the official SDKs reload them on a 401. When they are values, the token
//! lives as long as it lives; once it has expired calls fail with [`TokenError::Expired`]
//! naming `OCI_RESOURCE_PRINCIPAL_RPST`.
//!
//! The RPST's claims say whose it is: `res_tenant` (the tenancy), `res_compartment`,
//! `res_type`, `res_id` ([`ResourceClaims`]).
//!
//! Versions 2.1.x ([`ResourcePrincipalV21Source`]) and 1.1 ([`ResourcePrincipalV11Source`])
//! hold no token: each round obtains one through two exchanges (1.1 after federating as the
//! instance it runs on); [`ResourcePrincipalSetup`] reads any of them.

use std::fmt;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use http::{HeaderMap, StatusCode};

use super::instance::InstanceFederation;
use super::keys::{KeyError, KeyErrorKind, PrivateKey};
use super::signer::{RequestSigner, SignBody, default_backend};
use super::source::{
    Completed, NewToken, SourceCx, SourceStep, TokenSource, bad_reply, exchange_request,
    json_reply, signed_json_post, token_reply,
};
use super::token::{TokenError, parse_claims};
use crate::config::Secret;
use crate::error::Error;
use crate::operation::RequestBody;

/// The variable naming the resource-principal version (`2.2`).
pub const VERSION_VAR: &str = "OCI_RESOURCE_PRINCIPAL_VERSION";
/// The variable holding the RPST, or the path of its file.
pub const RPST_VAR: &str = "OCI_RESOURCE_PRINCIPAL_RPST";
/// The variable holding the private key's PEM, or the path of its file.
pub const PEM_VAR: &str = "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM";
/// The variable holding the key's passphrase, or the path of its file (optional).
pub const PASSPHRASE_VAR: &str = "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM_PASSPHRASE";
/// The variable naming the resource's region.
pub const REGION_VAR: &str = "OCI_RESOURCE_PRINCIPAL_REGION";

/// The versions the official SDKs know that this one does not build (3.0 nests a resource's
/// principal inside its parent's).
const KNOWN_ELSEWHERE: [&str; 1] = ["3.0"];

/// How long after finding a token file unchanged it is read again, while the token it holds
/// is within its refresh margin. The platform renews the file in its own time; a read a second
/// is cheap, and only happens in the last minute of a token's life.
pub const FILE_RECHECK: Duration = Duration::from_secs(1);

/// How long an inline token is left alone: nothing can renew it, so the source is asked again
/// only when it has expired (the principal caps the wait at `exp`).
const INLINE_RECHECK: Duration = Duration::from_secs(24 * 3600);

/// The hint of [`TokenError::Expired`] for a token given as a value.
const INLINE_HINT: &str = "OCI_RESOURCE_PRINCIPAL_RPST holds the token itself, which nothing renews; give it the path of a file the platform renews, or restart the workload with a fresh token";

/// The hint of [`TokenError::Expired`] for a token file nobody renewed.
const FILE_HINT: &str = "the file OCI_RESOURCE_PRINCIPAL_RPST names still holds the expired token: the platform has not renewed it";

/// What is wrong with a resource-principal environment. Names the variable (and file) at
/// fault, never a value: the values are credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResourcePrincipalError {
    /// `OCI_RESOURCE_PRINCIPAL_VERSION` is not set: this is not a resource-principal
    /// environment.
    #[error(
        "resource principals: OCI_RESOURCE_PRINCIPAL_VERSION is not set (is this code running in an OCI Function or another resource with a resource principal?)"
    )]
    VersionMissing,
    /// `OCI_RESOURCE_PRINCIPAL_VERSION` names a version this SDK does not build.
    #[error("resource principals: OCI_RESOURCE_PRINCIPAL_VERSION={found} is not supported{}", if *.known_elsewhere { " by this SDK yet (2.2, 2.1, 2.1.1, 2.1.2 and 1.1 are)" } else { " (the official SDKs know 1.1, 2.1, 2.1.1, 2.1.2, 2.2 and 3.0; this one all but 3.0)" })]
    VersionUnsupported {
        /// The version found (not a secret: a version number, cut to 16 characters).
        found: String,
        /// Whether the official SDKs know the version.
        known_elsewhere: bool,
    },
    /// A variable the version needs is not set (or is empty).
    #[error(
        "resource principals: {var} is not set (the version OCI_RESOURCE_PRINCIPAL_VERSION names needs it)"
    )]
    VariableMissing {
        /// The variable.
        var: &'static str,
    },
    /// A variable names a file that cannot be read.
    #[error("resource principals: cannot read the file {var} names ({path}): {reason}")]
    FileUnreadable {
        /// The variable.
        var: &'static str,
        /// The path it holds.
        path: String,
        /// Why reading failed, as the operating system put it.
        reason: String,
    },
    /// A variable names a file, but this build reads no files (the core without its `fs`
    /// feature, e.g. in a browser).
    #[error(
        "resource principals: {var} names a file, but this build reads no files (ocisdk-core's `fs` feature); give the value itself"
    )]
    NoFiles {
        /// The variable.
        var: &'static str,
    },
    /// A variable's value cannot be used.
    #[error("resource principals: {var} cannot be used: {reason}")]
    Invalid {
        /// The variable.
        var: &'static str,
        /// What is wrong with it (never the value).
        reason: &'static str,
    },
    /// A token endpoint (2.1.x) refused the resource's request.
    #[error(
        "resource principals: {endpoint} refused the resource's token request ({status} {code}){}",
        opc_request_id.as_ref().map(|id| format!("; opc-request-id {id}")).unwrap_or_default()
    )]
    Refused {
        /// HTTP status of the refusal.
        status: u16,
        /// OCI error code.
        code: String,
        /// `GET <RPT endpoint>/…` or `POST <RPST endpoint>/v1/resourcePrincipalSessionToken`.
        endpoint: String,
        /// The service's request id, for a support ticket.
        opc_request_id: Option<String>,
    },
    /// The RPST has no `res_tenant` claim, so the tenancy is unknown.
    #[error("resource principals: the token from {source_name} has no `res_tenant` claim")]
    NoTenancy {
        /// Where the token came from.
        source_name: String,
    },
}

/// Who a resource principal session token speaks for, from its claims.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResourceClaims {
    /// The tenancy OCID (`res_tenant`).
    pub tenancy: String,
    /// The resource's compartment OCID (`res_compartment`), if the token says.
    pub compartment: Option<String>,
    /// The resource type (`res_type`, e.g. `fnfunc`), if the token says.
    pub resource_type: Option<String>,
    /// The resource OCID (`res_id`), if the token says.
    pub resource_id: Option<String>,
}

impl ResourceClaims {
    /// Reads the claims of the RPST `jwt` (from `source_name`, for errors) without checking
    /// its signature: [`TokenError::Malformed`] when it is not a JWT with `exp`,
    /// [`ResourcePrincipalError::NoTenancy`] without `res_tenant`.
    pub fn from_token(jwt: &str, source_name: &str) -> Result<ResourceClaims, TokenError> {
        parse_claims(jwt, source_name)?;
        // parse_claims has checked the shape: three parts, a base64url JSON object payload.
        let payload = jwt
            .trim()
            .split('.')
            .nth(1)
            .and_then(|p| B64URL.decode(p.trim_end_matches('=')).ok())
            .map(zeroize::Zeroizing::new);
        let claims: Option<serde_json::Map<String, serde_json::Value>> = payload
            .as_deref()
            .and_then(|p| serde_json::from_slice(p).ok());
        let claims = claims.unwrap_or_default();
        let text = |name: &str| {
            claims
                .get(name)
                .and_then(|v| v.as_str())
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let tenancy = text("res_tenant").ok_or_else(|| {
            TokenError::from(ResourcePrincipalError::NoTenancy {
                source_name: source_name.to_string(),
            })
        })?;
        Ok(ResourceClaims {
            tenancy,
            compartment: text("res_compartment"),
            resource_type: text("res_type"),
            resource_id: text("res_id"),
        })
    }
}

/// A value of the environment: the value itself, or the absolute path of a file holding it.
#[derive(Clone)]
enum Value {
    Inline(Secret),
    File(String),
}

impl Value {
    fn from_text(text: String) -> Value {
        // As the official SDKs decide: an absolute path is a file, anything else the value
        // (a JWT never starts with `/`, a PEM starts with dashes).
        if text.starts_with('/') {
            Value::File(text)
        } else {
            Value::Inline(Secret::new(text))
        }
    }

    fn is_file(&self) -> bool {
        matches!(self, Value::File(_))
    }

    /// The value, read from its file if it is one.
    fn read(&self, var: &'static str) -> Result<Secret, ResourcePrincipalError> {
        match self {
            Value::Inline(v) => Ok(v.clone()),
            #[cfg(feature = "fs")]
            Value::File(path) => std::fs::read_to_string(path).map(Secret::new).map_err(|e| {
                ResourcePrincipalError::FileUnreadable {
                    var,
                    path: path.clone(),
                    reason: e.to_string(),
                }
            }),
            #[cfg(not(feature = "fs"))]
            Value::File(_) => Err(ResourcePrincipalError::NoFiles { var }),
        }
    }

    /// Names where the value came from, for errors: the variable, and the file if it is one.
    fn source_name(&self, var: &'static str) -> String {
        match self {
            Value::Inline(_) => var.to_string(),
            Value::File(path) => format!("{path} (the file {var} names)"),
        }
    }
}

/// A resource-principal (2.2) environment, read once: which values are inline and which are
/// files. Its `Debug` shows the variables' forms, never their values.
#[derive(Clone)]
pub struct ResourcePrincipalEnv {
    rpst: Value,
    pem: Value,
    passphrase: Option<Value>,
    region: Option<String>,
}

impl fmt::Debug for ResourcePrincipalEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let form = |v: &Value| match v {
            Value::Inline(_) => "<inline>".to_string(),
            Value::File(path) => format!("file {path}"),
        };
        f.debug_struct("ResourcePrincipalEnv")
            .field("rpst", &form(&self.rpst))
            .field("pem", &form(&self.pem))
            .field("passphrase", &self.passphrase.as_ref().map(form))
            .field("region", &self.region)
            .finish()
    }
}

impl ResourcePrincipalEnv {
    /// Reads the variables through `lookup` (the process environment is
    /// [`from_env`](Self::from_env); tests pass a map). Empty or whitespace-only values count
    /// as unset.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<ResourcePrincipalEnv, ResourcePrincipalError> {
        let get = |var: &str| {
            lookup(var)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let version = get(VERSION_VAR).ok_or(ResourcePrincipalError::VersionMissing)?;
        // 2.1.x environments are read by `ResourcePrincipalSetup`; this reader is 2.2's.
        if version != "2.2" {
            return Err(ResourcePrincipalError::VersionUnsupported {
                known_elsewhere: KNOWN_ELSEWHERE.contains(&version.as_str()),
                found: version.chars().take(16).collect(),
            });
        }
        let required = |var: &'static str| {
            get(var)
                .map(Value::from_text)
                .ok_or(ResourcePrincipalError::VariableMissing { var })
        };
        let rpst = required(RPST_VAR)?;
        let pem = required(PEM_VAR)?;
        // As the official SDKs read it: the passphrase is a file when the key is one, else the
        // passphrase itself, taken as it is (spaces are part of a passphrase).
        let passphrase = lookup(PASSPHRASE_VAR)
            .filter(|v| !v.trim().is_empty())
            .map(|v| match pem.is_file() {
                true => Value::File(v.trim().to_string()),
                false => Value::Inline(Secret::new(v)),
            });
        Ok(ResourcePrincipalEnv {
            rpst,
            pem,
            passphrase,
            // The official SDKs list it with the required variables (only the passphrase is
            // optional), and without it a client would not know where to send its calls.
            region: Some(
                get(REGION_VAR)
                    .ok_or(ResourcePrincipalError::VariableMissing { var: REGION_VAR })?,
            ),
        })
    }

    /// Reads the variables from the process environment.
    #[cfg(feature = "std")]
    pub fn from_env() -> Result<ResourcePrincipalEnv, ResourcePrincipalError> {
        Self::from_lookup(|var| std::env::var(var).ok())
    }

    /// `OCI_RESOURCE_PRINCIPAL_REGION` (an identifier like `us-ashburn-1` or a code).
    pub fn region(&self) -> &str {
        self.region.as_deref().unwrap_or_default()
    }

    /// Whether the token is a file the platform renews (rather than a value nothing renews).
    pub fn token_is_file(&self) -> bool {
        self.rpst.is_file()
    }

    /// Reads the token and the key as they are now (from their files, for paths), checking
    /// both: a [`ResourcePrincipalSource`] holding them, the key, the token and its claims.
    pub fn load(&self) -> Result<Loaded, Error> {
        let (rpst, claims) = self.read_token()?;
        let (pem, key) = self.read_key()?;
        Ok(Loaded {
            source: ResourcePrincipalSource {
                env: self.clone(),
                rpst: rpst.clone(),
                pem,
            },
            key,
            token: rpst,
            claims,
        })
    }

    fn read_token(&self) -> Result<(Secret, ResourceClaims), Error> {
        let text = self.rpst.read(RPST_VAR).map_err(TokenError::from)?;
        let text = Secret::new(text.expose().trim().to_string());
        let claims = ResourceClaims::from_token(text.expose(), &self.rpst.source_name(RPST_VAR))?;
        Ok((text, claims))
    }

    fn read_key(&self) -> Result<(Secret, PrivateKey), Error> {
        read_key(&self.pem, self.passphrase.as_ref())
    }
}

/// Reads the key (and its passphrase) from their values or files: the PEM text and the key.
fn read_key(pem: &Value, passphrase: Option<&Value>) -> Result<(Secret, PrivateKey), Error> {
    let text = pem.read(PEM_VAR).map_err(TokenError::from)?;
    let passphrase = match passphrase {
        Some(p) => Some(p.read(PASSPHRASE_VAR).map_err(TokenError::from)?),
        None => None,
    };
    // A passphrase file ends with a newline like any text file; a passphrase does not.
    let passphrase = passphrase.map(|p| Secret::new(p.expose().trim_end_matches(['\r', '\n'])));
    let source = pem.source_name(PEM_VAR);
    let key = PrivateKey::from_pem(
        text.expose(),
        passphrase.as_ref().map(Secret::expose_bytes),
        &source,
    )
    .map_err(|e| name_passphrase_var(e, &source))?;
    Ok((text, key))
}

/// A key error says `pass_phrase` (the config file's word): here it is the variable.
fn name_passphrase_var(error: KeyError, source: &str) -> Error {
    match error.kind() {
        KeyErrorKind::PassphraseMissing | KeyErrorKind::PassphraseWrong => {
            Error::Key(KeyError::new(
                format!("{source}, passphrase from {PASSPHRASE_VAR}"),
                error.kind().clone(),
            ))
        }
        _ => Error::Key(error),
    }
}

/// What [`ResourcePrincipalEnv::load`] read: the source, the key the token is bound to, the
/// token and its claims.
pub struct Loaded {
    /// The source that renews from the same environment.
    pub source: ResourcePrincipalSource,
    /// The private key requests sign with.
    pub key: PrivateKey,
    /// The RPST (a credential: keep it out of logs).
    pub token: Secret,
    /// Whose token it is.
    pub claims: ResourceClaims,
}

impl fmt::Debug for Loaded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Loaded")
            .field("source", &self.source)
            .field("key", &self.key)
            .field("token", &"<redacted>")
            .field("claims", &self.claims)
            .finish()
    }
}

/// The resource-principal (2.2) token source: each round reads the token (and key) files
/// again and hands over a new token when the file holds one; an inline token is never renewed.
/// It makes no exchange.
#[derive(Clone)]
pub struct ResourcePrincipalSource {
    env: ResourcePrincipalEnv,
    /// The token last handed over.
    rpst: Secret,
    /// The key PEM the token last handed over is bound to.
    pem: Secret,
}

impl fmt::Debug for ResourcePrincipalSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResourcePrincipalSource")
            .field("env", &self.env)
            .finish_non_exhaustive()
    }
}

impl TokenSource for ResourcePrincipalSource {
    fn kind(&self) -> &'static str {
        "resource principal"
    }

    fn next(&mut self, cx: &mut SourceCx<'_>, now: SystemTime) -> Result<SourceStep, Error> {
        if !self.env.rpst.is_file() {
            return Ok(SourceStep::Unchanged {
                recheck: INLINE_RECHECK,
                hint: INLINE_HINT,
            });
        }
        // A file caught mid-rewrite (or briefly missing) while the current token still works
        // is not worth failing a call for: look again shortly. Once the token has expired the
        // principal reports it.
        let read = self.env.read_token().and_then(|(rpst, claims)| {
            let key = match self.env.pem.is_file() {
                true => Some(self.env.read_key()?),
                false => None,
            };
            Ok((rpst, claims, key))
        });
        let (rpst, claims, key) = match read {
            Ok(read) => read,
            Err(e) if !cx.has_token() || now >= cx.current_expiry() => return Err(e),
            Err(e) => {
                tracing::debug!("resource principal files not readable yet: {e}");
                return Ok(SourceStep::Unchanged {
                    recheck: FILE_RECHECK,
                    hint: FILE_HINT,
                });
            }
        };
        // The platform rewrites the token and the key files one after the other: the key is
        // read every round (as the official SDKs reload it on every refresh), so a round that
        // saw the new token before the new key, or a 401 after it, pairs them up again.
        let key_changed = key
            .as_ref()
            .is_some_and(|(pem, _)| pem.expose() != self.pem.expose());
        if rpst.expose() == self.rpst.expose() && !key_changed {
            return Ok(SourceStep::Unchanged {
                recheck: FILE_RECHECK,
                hint: FILE_HINT,
            });
        }
        let mut new = NewToken::new(rpst.expose(), "the file OCI_RESOURCE_PRINCIPAL_RPST names");
        let pem_now = match key {
            Some((pem, key)) => {
                if key_changed {
                    new = new.with_key(default_backend(&key, cx.seed()));
                }
                pem
            }
            None => self.pem.clone(),
        };
        // Resources may move between compartments, and a tenancy is what the token says.
        cx.learn_tenancy(claims.tenancy);
        self.rpst = rpst;
        self.pem = pem_now;
        Ok(SourceStep::Token(new))
    }

    fn complete(
        &mut self,
        _cx: &mut SourceCx<'_>,
        _status: StatusCode,
        _headers: &HeaderMap,
        _body: &[u8],
    ) -> Result<Completed, Error> {
        Err(Error::Misuse(
            "a resource principal (2.2) makes no exchange to complete",
        ))
    }
}

/// The variable naming the endpoint that hands out resource principal tokens (2.1.x, 1.1).
pub const RPT_ENDPOINT_VAR: &str = "OCI_RESOURCE_PRINCIPAL_RPT_ENDPOINT";
/// The variable naming the endpoint that exchanges them for session tokens (2.1.x, 1.1).
pub const RPST_ENDPOINT_VAR: &str = "OCI_RESOURCE_PRINCIPAL_RPST_ENDPOINT";
/// The variable naming the resource's OCID (2.1.x).
pub const RESOURCE_ID_VAR: &str = "OCI_RESOURCE_PRINCIPAL_RESOURCE_ID";
/// The variable naming the resource's tenancy (2.1.1, 2.1.2).
pub const TENANCY_ID_VAR: &str = "OCI_RESOURCE_PRINCIPAL_TENANCY_ID";
/// The variable holding the security context sent with the token request (2.1.2, optional).
pub const SECURITY_CONTEXT_VAR: &str = "OCI_RESOURCE_PRINCIPAL_SECURITY_CONTEXT";
/// The variable holding the token request's path (2.1.2 and 1.1, optional; 1.1 replaces its
/// `{id}`).
pub const RPT_PATH_VAR: &str = "OCI_RESOURCE_PRINCIPAL_RPT_PATH";

/// The operation name of the resource principal token request (2.1.x) in errors and logs.
pub const RPT_OPERATION: &str = "GetResourcePrincipalToken";
/// The operation name of the session token exchange (2.1.x) in errors and logs.
pub const RPST_OPERATION: &str = "GetResourcePrincipalSessionToken";
/// The path of the session token exchange on the RPST endpoint.
pub const RPST_PATH: &str = "/v1/resourcePrincipalSessionToken";

/// Resource principals 2.1, 2.1.1 and 2.1.2: the resource holds a key of its own (in
/// `OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM`, value or path, with its optional passphrase) and
/// each round makes two exchanges signed with it as keyId `resource/v2.1/<resource>` (2.1) or
/// `resource/v<version>/<tenancy>/<resource>`:
///
/// 1. `GET <RPT endpoint>/20180711/resourcePrincipalTokenV2/<resource>` (2.1.2:
///    `…/resourcePrincipalTokenV212/<resource>`, or `OCI_RESOURCE_PRINCIPAL_RPT_PATH`, with a
///    `security-context` header when `OCI_RESOURCE_PRINCIPAL_SECURITY_CONTEXT` is set) →
///    `{"resourcePrincipalToken", "servicePrincipalSessionToken"}`;
/// 2. `POST <RPST endpoint>/v1/resourcePrincipalSessionToken` with both and the key's public
///    half (`sessionPublicKey`) → `{"token": "<RPST>"}`, bound to that same key.
///
/// A key file is read again at the start of each round (the platform may rotate it).
#[derive(Clone)]
pub struct ResourcePrincipalV21Source {
    version: String,
    rpt_url: String,
    rpst_url: String,
    resource_id: String,
    tenancy: Option<String>,
    security_context: Option<Secret>,
    pem: Value,
    passphrase: Option<Value>,
    /// The key PEM text the principal signs with, and the key.
    key: (Secret, PrivateKey),
    /// The key changed this round: the token it ends with carries it.
    key_changed: bool,
    /// The tokens of step 1, for step 2.
    tokens: Option<(Secret, Secret)>,
    /// The exchange in flight: `true` for step 1.
    pending_rpt: bool,
    endpoint: String,
}

impl fmt::Debug for ResourcePrincipalV21Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResourcePrincipalV21Source")
            .field("version", &self.version)
            .field("rpt_url", &self.rpt_url)
            .field("rpst_url", &self.rpst_url)
            .field("resource_id", &self.resource_id)
            .field("tenancy", &self.tenancy)
            .finish_non_exhaustive()
    }
}

impl ResourcePrincipalV21Source {
    fn from_lookup(
        version: &str,
        get: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(ResourcePrincipalV21Source, String), Error> {
        let required = |var: &'static str| {
            get(var).ok_or(Error::Token(TokenError::from(
                ResourcePrincipalError::VariableMissing { var },
            )))
        };
        let rpt_endpoint = required(RPT_ENDPOINT_VAR)?;
        let rpst_endpoint = required(RPST_ENDPOINT_VAR)?;
        let resource_id = required(RESOURCE_ID_VAR)?;
        let tenancy = match version {
            "2.1" => None,
            _ => Some(required(TENANCY_ID_VAR)?),
        };
        let pem = Value::from_text(required(PEM_VAR)?);
        let passphrase = get(PASSPHRASE_VAR).map(Value::from_text);
        // Optional in the official SDKs for 2.1.x, required here: without it a client would
        // not know where its calls go.
        let region = required(REGION_VAR)?;
        let rpt_path = match (version, get(RPT_PATH_VAR)) {
            ("2.1.2", Some(path)) if path.ends_with("{}") => path.replace("{}", &resource_id),
            ("2.1.2", Some(path)) => format!("{}/{resource_id}", path.trim_end_matches('/')),
            ("2.1.2", None) => format!("/20180711/resourcePrincipalTokenV212/{resource_id}"),
            _ => format!("/20180711/resourcePrincipalTokenV2/{resource_id}"),
        };
        let security_context = match version {
            "2.1.2" => get(SECURITY_CONTEXT_VAR).map(Secret::new),
            _ => None,
        };
        let key = read_key(&pem, passphrase.as_ref())?;
        let source = ResourcePrincipalV21Source {
            version: version.to_string(),
            rpt_url: format!("{}{rpt_path}", rpt_endpoint.trim_end_matches('/')),
            rpst_url: format!("{}{RPST_PATH}", rpst_endpoint.trim_end_matches('/')),
            resource_id,
            tenancy,
            security_context,
            pem,
            passphrase,
            key,
            key_changed: false,
            tokens: None,
            pending_rpt: false,
            endpoint: String::new(),
        };
        Ok((source, region))
    }

    /// Signs as the resource (keyId `resource/v…`), with its key.
    fn signer(&self, cx: &mut SourceCx<'_>) -> super::signer::RequestSigner {
        let key_id = super::signer::KeyId::Resource {
            version: self.version.clone(),
            tenancy: self.tenancy.clone(),
            resource: self.resource_id.clone(),
        };
        super::signer::RequestSigner::new(key_id, default_backend(&self.key.1, cx.seed()))
            .with_date_header(cx.date_header())
    }

    fn token_request(
        &mut self,
        cx: &mut SourceCx<'_>,
        now: SystemTime,
    ) -> Result<http::Request<crate::operation::RequestBody>, Error> {
        // A round starts: a rotated key file is read now, and used for both exchanges.
        if self.pem.is_file() {
            let key = read_key(&self.pem, self.passphrase.as_ref())?;
            if key.0.expose() != self.key.0.expose() {
                self.key = key;
                self.key_changed = true;
            }
        }
        let signer = self.signer(cx);
        rpt_request(&self.rpt_url, self.security_context.as_ref(), &signer, now)
    }

    fn session_token_request(
        &self,
        cx: &mut SourceCx<'_>,
        now: SystemTime,
    ) -> Result<http::Request<crate::operation::RequestBody>, Error> {
        let Some((rpt, spst)) = &self.tokens else {
            return Err(Error::Misuse(
                "a session token exchange before its token request",
            ));
        };
        // The token is bound to the resource's own key, which is also the session key.
        let public_key: String = self
            .key
            .1
            .public_key_pem()
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        rpst_request(
            &self.rpst_url,
            (rpt, spst),
            &public_key,
            &self.signer(cx),
            now,
        )
    }
}

impl TokenSource for ResourcePrincipalV21Source {
    fn kind(&self) -> &'static str {
        "resource principal"
    }

    fn next(&mut self, cx: &mut SourceCx<'_>, now: SystemTime) -> Result<SourceStep, Error> {
        let (request, operation) = match self.tokens {
            None => (self.token_request(cx, now)?, RPT_OPERATION),
            Some(_) => (self.session_token_request(cx, now)?, RPST_OPERATION),
        };
        self.pending_rpt = operation == RPT_OPERATION;
        self.endpoint = format!("{} {}", request.method(), request.uri());
        Ok(SourceStep::Send {
            request: Box::new(request),
            operation,
        })
    }

    /// The session token exchange got no answer: the next round starts from the resource
    /// principal token again rather than resending a pair that may be stale by then.
    fn fail(&mut self, error: Error) -> Error {
        if !self.pending_rpt {
            self.tokens = None;
        }
        error
    }

    fn complete(
        &mut self,
        cx: &mut SourceCx<'_>,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Completed, Error> {
        if self.pending_rpt {
            self.tokens = Some(rpt_reply(&self.endpoint, status, headers, body)?);
            return Ok(Completed::More);
        }
        // Whatever this reply says, the next round asks for a fresh resource principal token,
        // as the official SDKs do: a refused or failed exchange must not pin a stale pair.
        self.tokens = None;
        let token = rpst_reply(cx, &self.endpoint, status, headers, body)?;
        let token = if std::mem::take(&mut self.key_changed) {
            token.with_key(default_backend(&self.key.1, cx.seed()))
        } else {
            token
        };
        Ok(Completed::Token(token))
    }
}

/// The request of a resource principal token (2.1.x, 1.1): `GET url`, with the security
/// context (2.1.2) as `security-context` when there is one, signed by `signer` (the resource's
/// key for 2.1.x, `ST$<instance token>` for 1.1).
fn rpt_request(
    url: &str,
    security_context: Option<&Secret>,
    signer: &RequestSigner,
    now: SystemTime,
) -> Result<http::Request<RequestBody>, Error> {
    let mut req = exchange_request(
        http::Method::GET,
        url,
        RequestBody::Empty,
        (RPT_OPERATION, "resource principal token"),
    )?;
    req.headers_mut().insert(
        http::header::ACCEPT,
        http::HeaderValue::from_static("application/json"),
    );
    if let Some(context) = security_context {
        let mut value = http::HeaderValue::from_str(context.expose()).map_err(|_| {
            Error::Token(TokenError::from(ResourcePrincipalError::Invalid {
                var: SECURITY_CONTEXT_VAR,
                reason: "it is not a valid HTTP header value",
            }))
        })?;
        value.set_sensitive(true);
        req.headers_mut().insert("security-context", value);
    }
    signer
        .sign(&mut req, SignBody::Unsigned, now)
        .map_err(Error::Signing)?;
    Ok(req)
}

/// The session token exchange (2.1.x, 1.1): `POST url` with the pair `(rpt, spst)` of the
/// token request and `public_key` (the key the RPST is to be bound to, its PEM body on one
/// line), signed by `signer`.
fn rpst_request(
    url: &str,
    (rpt, spst): (&Secret, &Secret),
    public_key: &str,
    signer: &RequestSigner,
    now: SystemTime,
) -> Result<http::Request<RequestBody>, Error> {
    let body = serde_json::json!({
        "resourcePrincipalToken": rpt.expose(),
        "servicePrincipalSessionToken": spst.expose(),
        "sessionPublicKey": public_key,
    });
    signed_json_post(
        signer,
        url,
        &body,
        (RPST_OPERATION, "resource principal session token"),
        now,
    )
}

/// The refusal of a token endpoint at `endpoint` (`"METHOD <url>"`), as a typed error.
fn refused(endpoint: &str) -> impl FnOnce(u16, String, Option<String>) -> TokenError + '_ {
    move |status, code, opc_request_id| {
        TokenError::from(ResourcePrincipalError::Refused {
            status,
            code,
            endpoint: endpoint.to_string(),
            opc_request_id,
        })
    }
}

/// The reply to a resource principal token request at `endpoint`: the pair
/// `(resourcePrincipalToken, servicePrincipalSessionToken)`, or the error.
fn rpt_reply(
    endpoint: &str,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(Secret, Secret), Error> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Reply {
        resource_principal_token: Option<String>,
        service_principal_session_token: Option<String>,
    }
    let reply: Reply = json_reply(
        (RPT_OPERATION, endpoint),
        status,
        headers,
        body,
        refused(endpoint),
    )?;
    let (Some(rpt), Some(spst)) = (
        reply.resource_principal_token,
        reply.service_principal_session_token,
    ) else {
        return Err(bad_reply(
            endpoint,
            "`resourcePrincipalToken` or `servicePrincipalSessionToken` is missing",
        ));
    };
    Ok((Secret::new(rpt), Secret::new(spst)))
}

/// The reply to a session token exchange at `endpoint`: the RPST (its tenancy learned), or
/// the error.
fn rpst_reply(
    cx: &mut SourceCx<'_>,
    endpoint: &str,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<NewToken, Error> {
    const FROM: &str = "the resource principal session token reply";
    let token = token_reply(
        (RPST_OPERATION, endpoint),
        status,
        headers,
        body,
        FROM,
        refused(endpoint),
    )?;
    let claims = ResourceClaims::from_token(&token.jwt, FROM)?;
    cx.learn_tenancy(claims.tenancy);
    Ok(token)
}

/// The variable holding the `{id}` of the resource principal token's path (1.1, optional;
/// default: the instance's OCID, from IMDS).
pub const RPT_ID_VAR: &str = "OCI_RESOURCE_PRINCIPAL_RPT_ID";
/// The variable naming the instance metadata service's base URL (1.1, as for instance
/// principals).
pub const METADATA_BASE_URL_VAR: &str = "OCI_METADATA_BASE_URL";
/// The resource principal token's path (1.1) when `OCI_RESOURCE_PRINCIPAL_RPT_PATH` is unset.
pub const V11_RPT_PATH: &str = "/20180711/resourcePrincipalToken/{id}";
/// The IMDS path of the instance's OCID, the `{id}` of the path when
/// `OCI_RESOURCE_PRINCIPAL_RPT_ID` is unset.
const INSTANCE_ID_PATH: &str = "/instance/id";

/// What a 1.1 environment says, read once; each client's source starts from it.
#[derive(Debug, Clone)]
struct V11Settings {
    imds: String,
    rpt_endpoint: String,
    /// `None`: the auth endpoint of the region IMDS names (or the one the client was given).
    rpst_endpoint: Option<String>,
    rpt_path: String,
    /// `OCI_RESOURCE_PRINCIPAL_RPT_ID`; `None`: the instance's OCID, from IMDS.
    rpt_id: Option<String>,
}

impl V11Settings {
    fn from_lookup(get: &dyn Fn(&str) -> Option<String>) -> Result<V11Settings, Error> {
        let rpt_endpoint = get(RPT_ENDPOINT_VAR).ok_or(Error::Token(TokenError::from(
            ResourcePrincipalError::VariableMissing {
                var: RPT_ENDPOINT_VAR,
            },
        )))?;
        let path = get(RPT_PATH_VAR).unwrap_or_else(|| V11_RPT_PATH.to_string());
        if !path.starts_with('/') {
            return Err(Error::Token(TokenError::from(
                ResourcePrincipalError::Invalid {
                    var: RPT_PATH_VAR,
                    reason: "it is not a path (it must start with `/`)",
                },
            )));
        }
        Ok(V11Settings {
            imds: get(METADATA_BASE_URL_VAR)
                .unwrap_or_else(|| super::instance::DEFAULT_IMDS_ENDPOINT.to_string())
                .trim_end_matches('/')
                .to_string(),
            rpt_endpoint: rpt_endpoint.trim_end_matches('/').to_string(),
            rpst_endpoint: get(RPST_ENDPOINT_VAR).map(|e| e.trim_end_matches('/').to_string()),
            rpt_path: path,
            rpt_id: get(RPT_ID_VAR),
        })
    }
}

/// The exchange of a 1.1 round in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum V11Step {
    InstanceId,
    Instance,
    Rpt,
    Rpst,
}

/// Resource principals 1.1: a resource that runs on an instance the platform owns asks for
/// its tokens as that instance. Each round (as the official SDKs refresh, from the start):
///
/// 1. an instance-principal round ([`InstanceFederation`]: the IMDS reads, then `POST <auth
///    endpoint>/v1/x509`) gives an instance session token bound to the session key; it is
///    kept for the next two exchanges, never signed with for calls;
/// 2. `GET <OCI_RESOURCE_PRINCIPAL_RPT_ENDPOINT><path>`, the path
///    `OCI_RESOURCE_PRINCIPAL_RPT_PATH` (default `/20180711/resourcePrincipalToken/{id}`)
///    with `{id}` = `OCI_RESOURCE_PRINCIPAL_RPT_ID` or the instance's OCID from IMDS (read
///    once, in the first round), signed as `ST$<instance token>` with the session key →
///    `{"resourcePrincipalToken", "servicePrincipalSessionToken"}`;
/// 3. `POST <OCI_RESOURCE_PRINCIPAL_RPST_ENDPOINT, else the auth endpoint>/v1/resourcePrincipalSessionToken`
///    with both and the session key's public half, signed the same way → `{"token"}`: the RPST
///    calls sign with, as `ST$<rpst>` with the same session key.
///
/// The region is the one IMDS names.
pub struct ResourcePrincipalV11Source {
    settings: V11Settings,
    instance: InstanceFederation,
    /// The instance's OCID, once read (an instance does not change it).
    instance_id: Option<String>,
    /// This round's instance token, for steps 2 and 3.
    instance_token: Option<Secret>,
    /// The pair of step 2, for step 3.
    tokens: Option<(Secret, Secret)>,
    pending: V11Step,
    endpoint: String,
}

impl fmt::Debug for ResourcePrincipalV11Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResourcePrincipalV11Source")
            .field("settings", &self.settings)
            .field("pending", &self.pending)
            .finish_non_exhaustive()
    }
}

impl ResourcePrincipalV11Source {
    fn new(settings: V11Settings) -> Self {
        ResourcePrincipalV11Source {
            instance: InstanceFederation::new(&settings.imds),
            settings,
            instance_id: None,
            instance_token: None,
            tokens: None,
            pending: V11Step::Instance,
            endpoint: String::new(),
        }
    }

    /// The `{id}` the path still needs, if it has to come from IMDS.
    fn needs_instance_id(&self) -> bool {
        self.settings.rpt_path.contains("{id}")
            && self.settings.rpt_id.is_none()
            && self.instance_id.is_none()
    }

    fn rpt_url(&self) -> String {
        let id = self
            .settings
            .rpt_id
            .as_deref()
            .or(self.instance_id.as_deref())
            .unwrap_or_default();
        format!(
            "{}{}",
            self.settings.rpt_endpoint,
            self.settings.rpt_path.replace("{id}", id)
        )
    }

    fn rpst_url(&self, cx: &SourceCx<'_>) -> Result<String, Error> {
        let base = match &self.settings.rpst_endpoint {
            Some(endpoint) => endpoint.as_str(),
            None => cx.auth_endpoint()?,
        };
        Ok(format!("{}{RPST_PATH}", base.trim_end_matches('/')))
    }

    /// The next round starts from the instance token again.
    fn reset(&mut self) {
        self.instance_token = None;
        self.tokens = None;
    }
}

impl TokenSource for ResourcePrincipalV11Source {
    fn kind(&self) -> &'static str {
        "resource principal"
    }

    fn next(&mut self, cx: &mut SourceCx<'_>, now: SystemTime) -> Result<SourceStep, Error> {
        if self.needs_instance_id() {
            self.pending = V11Step::InstanceId;
            let url = format!("{}{INSTANCE_ID_PATH}", self.settings.imds);
            self.endpoint = format!("GET {url}");
            return Ok(SourceStep::Send {
                request: Box::new(super::instance::imds_request(&url)?),
                operation: super::instance::IMDS_OPERATION,
            });
        }
        let (request, step, operation) = match (&self.instance_token, &self.tokens) {
            (None, _) => {
                self.pending = V11Step::Instance;
                return self.instance.next(cx, now);
            }
            (Some(token), None) => {
                let signer = cx.session_signer_as(token);
                let request = rpt_request(&self.rpt_url(), None, &signer, now)?;
                (request, V11Step::Rpt, RPT_OPERATION)
            }
            (Some(token), Some((rpt, spst))) => {
                let signer = cx.session_signer_as(token);
                let public_key = cx.session_public_key().ok_or(Error::Misuse(
                    "a resource principal 1.1 without a session key",
                ))?;
                let request =
                    rpst_request(&self.rpst_url(cx)?, (rpt, spst), public_key, &signer, now)?;
                (request, V11Step::Rpst, RPST_OPERATION)
            }
        };
        self.pending = step;
        self.endpoint = format!("{} {}", request.method(), request.uri());
        Ok(SourceStep::Send {
            request: Box::new(request),
            operation,
        })
    }

    fn complete(
        &mut self,
        cx: &mut SourceCx<'_>,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Completed, Error> {
        match self.pending {
            V11Step::InstanceId => {
                let url = self.endpoint.trim_start_matches("GET ").to_string();
                if !status.is_success() {
                    return Err(Error::Token(TokenError::ImdsRefused {
                        url,
                        status: status.as_u16(),
                    }));
                }
                // As the official SDKs read it: trimmed, lower-case.
                let id = String::from_utf8_lossy(body).trim().to_lowercase();
                if id.is_empty() {
                    return Err(bad_reply(&self.endpoint, "the instance's OCID is empty"));
                }
                self.instance_id = Some(id);
                Ok(Completed::More)
            }
            V11Step::Instance => match self.instance.complete(cx, status, headers, body)? {
                // Kept for the two exchanges, not installed: calls sign with the RPST.
                Completed::Token(token) => {
                    self.instance_token = Some(Secret::new(token.jwt.as_str()));
                    Ok(Completed::More)
                }
                Completed::More => Ok(Completed::More),
            },
            V11Step::Rpt => match rpt_reply(&self.endpoint, status, headers, body) {
                Ok(pair) => {
                    self.tokens = Some(pair);
                    Ok(Completed::More)
                }
                Err(e) => {
                    self.reset();
                    Err(e)
                }
            },
            V11Step::Rpst => {
                // Whatever the reply, the next round starts from the instance again, as the
                // official SDKs refresh: a pair is good for one exchange.
                self.reset();
                Ok(Completed::Token(rpst_reply(
                    cx,
                    &self.endpoint,
                    status,
                    headers,
                    body,
                )?))
            }
        }
    }

    fn fail(&mut self, error: Error) -> Error {
        match self.pending {
            V11Step::Instance => self.instance.fail(error),
            V11Step::InstanceId => Error::Token(TokenError::ImdsUnreachable {
                url: self.endpoint.trim_start_matches("GET ").to_string(),
                reason: error.to_string(),
            }),
            V11Step::Rpt | V11Step::Rpst => {
                self.reset();
                error
            }
        }
    }
}

/// What a resource-principal environment (any version this SDK builds) gives a client: the
/// key it signs with, where its tokens come from, and what is known before the first call.
#[derive(Debug)]
pub struct ResourcePrincipalSetup {
    /// The key requests sign with (the session key); `None` for 1.1, whose session key is
    /// generated for the client, as for instance principals.
    pub key: Option<PrivateKey>,
    /// The first token, when the environment holds one (2.2).
    pub first_token: Option<Secret>,
    /// The tenancy, when known before the first call (2.2: the token's; 2.1.1, 2.1.2: the
    /// variable's).
    pub tenancy: Option<String>,
    /// `OCI_RESOURCE_PRINCIPAL_REGION`; `None` for 1.1, whose region is the one the
    /// instance metadata service names.
    pub region: Option<String>,
    source: AnySource,
}

#[derive(Debug, Clone)]
enum AnySource {
    V22(ResourcePrincipalSource),
    // Boxed: it holds the key itself, and the enum is kept for the life of a configuration.
    V21(Box<ResourcePrincipalV21Source>),
    V11(V11Settings),
}

impl ResourcePrincipalSetup {
    /// Reads the environment through `lookup` (empty values count as unset), by
    /// `OCI_RESOURCE_PRINCIPAL_VERSION`: 2.2 ([`ResourcePrincipalEnv`]), 2.1, 2.1.1, 2.1.2
    /// ([`ResourcePrincipalV21Source`]) or 1.1 ([`ResourcePrincipalV11Source`]). The key (and
    /// a 2.2 token) are read and checked now.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<ResourcePrincipalSetup, Error> {
        let get = |var: &str| {
            lookup(var)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        match get(VERSION_VAR).as_deref() {
            Some(version @ ("2.1" | "2.1.1" | "2.1.2")) => {
                let (source, region) = ResourcePrincipalV21Source::from_lookup(version, &get)?;
                Ok(ResourcePrincipalSetup {
                    key: Some(source.key.1.clone()),
                    first_token: None,
                    tenancy: source.tenancy.clone(),
                    region: Some(region),
                    source: AnySource::V21(Box::new(source)),
                })
            }
            Some("1.1") => Ok(ResourcePrincipalSetup {
                key: None,
                first_token: None,
                tenancy: None,
                region: None,
                source: AnySource::V11(V11Settings::from_lookup(&get)?),
            }),
            _ => {
                let env = ResourcePrincipalEnv::from_lookup(&lookup).map_err(TokenError::from)?;
                let loaded = env.load()?;
                Ok(ResourcePrincipalSetup {
                    key: Some(loaded.key),
                    first_token: Some(loaded.token),
                    tenancy: Some(loaded.claims.tenancy),
                    region: Some(env.region().to_string()),
                    source: AnySource::V22(loaded.source),
                })
            }
        }
    }

    /// Makes a fresh source each time it is called (one per client built).
    pub fn source_factory(&self) -> impl Fn() -> Box<dyn TokenSource> + Send + Sync + 'static {
        let source = self.source.clone();
        move || -> Box<dyn TokenSource> {
            match &source {
                AnySource::V22(s) => Box::new(s.clone()),
                AnySource::V21(s) => Box::new((**s).clone()),
                AnySource::V11(s) => Box::new(ResourcePrincipalV11Source::new(s.clone())),
            }
        }
    }
}

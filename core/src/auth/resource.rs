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

use std::fmt;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use http::{HeaderMap, StatusCode};

use super::keys::{KeyError, KeyErrorKind, PrivateKey};
use super::signer::default_backend;
use super::source::{Completed, NewToken, SourceCx, SourceStep, TokenSource};
use super::token::{TokenError, parse_claims};
use crate::config::Secret;
use crate::error::Error;

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

/// The versions the official SDKs know, of which only 2.2 is built here (the others obtain the
/// RPST through exchanges with service endpoints the platform names).
const KNOWN_ELSEWHERE: [&str; 5] = ["1.1", "2.1", "2.1.1", "2.1.2", "3.0"];

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
    #[error("resource principals: OCI_RESOURCE_PRINCIPAL_VERSION={found} is not supported{}", if *.known_elsewhere { " by this SDK yet (only 2.2 is)" } else { " (the official SDKs know 1.1, 2.1, 2.1.1, 2.1.2, 2.2 and 3.0; this one 2.2)" })]
    VersionUnsupported {
        /// The version found (not a secret: a version number, cut to 16 characters).
        found: String,
        /// Whether the official SDKs know the version.
        known_elsewhere: bool,
    },
    /// A variable the version needs is not set (or is empty).
    #[error("resource principals: {var} is not set (version 2.2 needs it)")]
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
        Ok(ResourcePrincipalEnv {
            rpst: required(RPST_VAR)?,
            pem: required(PEM_VAR)?,
            passphrase: get(PASSPHRASE_VAR).map(Value::from_text),
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
        let pem = self.pem.read(PEM_VAR).map_err(TokenError::from)?;
        let passphrase = match &self.passphrase {
            Some(p) => Some(p.read(PASSPHRASE_VAR).map_err(TokenError::from)?),
            None => None,
        };
        // A passphrase file ends with a newline like any text file; a passphrase does not.
        let passphrase = passphrase.map(|p| Secret::new(p.expose().trim_end_matches(['\r', '\n'])));
        let source = self.pem.source_name(PEM_VAR);
        let key = PrivateKey::from_pem(
            pem.expose(),
            passphrase.as_ref().map(Secret::expose_bytes),
            &source,
        )
        .map_err(|e| name_passphrase_var(e, &source))?;
        Ok((pem, key))
    }
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

    fn next(&mut self, cx: &mut SourceCx<'_>, _now: SystemTime) -> Result<SourceStep, Error> {
        if !self.env.rpst.is_file() {
            return Ok(SourceStep::Unchanged {
                recheck: INLINE_RECHECK,
                hint: INLINE_HINT,
            });
        }
        let (rpst, claims) = self.env.read_token()?;
        if rpst.expose() == self.rpst.expose() {
            return Ok(SourceStep::Unchanged {
                recheck: FILE_RECHECK,
                hint: FILE_HINT,
            });
        }
        // The platform rotates the key with the token (a new token may be bound to a new key):
        // a changed key file is read and signs from now on.
        let mut new = NewToken::new(rpst.expose(), "the file OCI_RESOURCE_PRINCIPAL_RPST names");
        let pem_now = if self.env.pem.is_file() {
            let (pem, key) = self.env.read_key()?;
            if pem.expose() != self.pem.expose() {
                new = new.with_key(default_backend(&key, cx.seed()));
            }
            pem
        } else {
            self.pem.clone()
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

//! Where a client's credentials come from when the program does not say: the provider chain.
//!
//! The steps, in order (the first that finds credentials wins; one that finds them configured
//! but broken fails the chain with its own error rather than falling through, so a typo is
//! never hidden behind the next step):
//!
//! 1. **`OCI_CLI_AUTH`**, when set, picks the method outright: `api_key` (the environment's
//!    key, else the config profile), `security_token` (a session-token profile, or the
//!    environment's `OCI_CLI_SECURITY_TOKEN_FILE`), `instance_principal`,
//!    `resource_principal`, `oke_workload_identity`, `instance_obo_user`.
//! 2. **Explicit options**: a config file or profile given to the chain is used, or the chain
//!    fails saying why.
//! 3. **The environment**, as the OCI CLI reads it: `OCI_CLI_USER`, `OCI_CLI_TENANCY`,
//!    `OCI_CLI_FINGERPRINT`, `OCI_CLI_KEY_FILE` or `OCI_CLI_KEY_CONTENT`,
//!    `OCI_CLI_PASSPHRASE`, `OCI_CLI_REGION` (an API key); or `OCI_CLI_SECURITY_TOKEN_FILE` with
//!    the key and tenancy (a session token).
//! 4. **The config profile**: `OCI_CLI_CONFIG_FILE`, else the standard lookup
//!    (`~/.oci/config`, `OCI_CONFIG_FILE`), profile `OCI_CLI_PROFILE` or `DEFAULT`.
//! 5. **Resource principals**, when `OCI_RESOURCE_PRINCIPAL_VERSION` is set.
//! 6. **Instance principals**, only when asked ([`ChainOptions::instance_principal`]): off an
//!    OCI instance, probing IMDS costs a connect timeout.
//!
//! `OCI_CLI_REGION` sets the region whatever step found the credentials, as it does for the
//! CLI, and with instance principals `OCI_CLI_DELEGATION_TOKEN_FILE` adds a delegation token
//! (`opc-obo-token`) to every call, as in Cloud Shell. When no step finds anything, [`NoCredentials`] lists what each step looked at.

use std::fmt;
use std::path::PathBuf;

#[cfg(feature = "fs")]
use crate::config::{ConfigError, ConfigErrorKind};
use crate::context::ClientConfig;
#[cfg(feature = "fs")]
use crate::error::Error;

/// `api_key`, `security_token`, …: the method `OCI_CLI_AUTH` picks.
pub const AUTH_ENV: &str = "OCI_CLI_AUTH";

/// A file holding a delegation token (`opc-obo-token`) every call carries, as Cloud Shell sets
/// it; with `OCI_CLI_AUTH=instance_obo_user` it is required.
pub const DELEGATION_TOKEN_FILE_ENV: &str = "OCI_CLI_DELEGATION_TOKEN_FILE";

/// What the chain may use beyond the environment.
#[derive(Debug, Clone, Default)]
pub struct ChainOptions {
    /// A config file to read instead of the standard lookup.
    pub config_file: Option<PathBuf>,
    /// A profile instead of `OCI_CLI_PROFILE` or `DEFAULT`.
    pub profile: Option<String>,
    /// Whether to try instance principals when nothing else is found (off by default).
    pub instance_principal: bool,
}

/// One step of the chain and what it found, for [`NoCredentials`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainStep {
    /// The step (`"environment"`, `"config profile"`, …).
    pub step: &'static str,
    /// What it found, in a few words (`"OCI_CLI_USER is not set"`).
    pub found: String,
}

/// No step of the chain found credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoCredentials {
    /// Every step, in order, with what it found.
    pub steps: Vec<ChainStep>,
}

impl fmt::Display for NoCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no OCI credentials found; the provider chain looked at:")?;
        for (i, step) in self.steps.iter().enumerate() {
            write!(f, " {}. {}: {};", i + 1, step.step, step.found)?;
        }
        f.write_str(" (see the README's \"Authentication\" section)")
    }
}

impl core::error::Error for NoCredentials {}

/// The environment as the chain reads it: a lookup, so tests need not change the process's.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// `name`'s value, trimmed; empty counts as unset, as for the official tools.
#[cfg(feature = "fs")]
fn var(env: EnvLookup<'_>, name: &str) -> Option<String> {
    env(name)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

#[cfg(feature = "fs")]
fn env_error(name: &str, reason: String) -> Error {
    Error::Config(
        ConfigError::new(ConfigErrorKind::InvalidValue { reason })
            .in_file("the environment")
            .for_key(name),
    )
}

impl ClientConfig {
    /// Credentials from the provider chain (see [`crate::auth::chain`]), reading the process
    /// environment. `seed`: 32 random bytes, as for every configuration.
    #[cfg(feature = "fs")]
    pub fn from_default_chain(options: &ChainOptions, seed: [u8; 32]) -> Result<Self, Error> {
        Self::from_chain(options, &|name| std::env::var(name).ok(), seed)
    }

    /// [`from_default_chain`](Self::from_default_chain) with the environment given as a lookup.
    #[cfg(feature = "fs")]
    pub fn from_chain(
        options: &ChainOptions,
        env: EnvLookup<'_>,
        seed: [u8; 32],
    ) -> Result<Self, Error> {
        let mut config = chain(options, env, seed)?;
        if let Some(region) = var(env, "OCI_CLI_REGION") {
            config.set_region(region);
        }
        let method = var(env, AUTH_ENV);
        let instance = matches!(
            method.as_deref(),
            Some("instance_principal" | "instance_obo_user")
        );
        // Only instance principals act for a user with it, as for the OCI CLI (Cloud Shell);
        // the official SDKs refuse it with other principals.
        if let Some(path) = var(env, DELEGATION_TOKEN_FILE_ENV).filter(|_| instance) {
            let path = crate::config::expand_tilde(&path, var(env, "HOME").as_deref());
            let token = zeroize::Zeroizing::new(std::fs::read_to_string(&path).map_err(|e| {
                env_error(
                    DELEGATION_TOKEN_FILE_ENV,
                    format!("cannot read the delegation token file {path}: {e}"),
                )
            })?);
            if token.trim().is_empty() {
                return Err(env_error(
                    DELEGATION_TOKEN_FILE_ENV,
                    format!("the delegation token file {path} is empty"),
                ));
            }
            config.set_delegation_token(crate::config::Secret::new(token.trim().to_string()));
        } else if method.as_deref() == Some("instance_obo_user") && !config.has_delegation_token() {
            return Err(env_error(
                DELEGATION_TOKEN_FILE_ENV,
                "is not set, and OCI_CLI_AUTH=instance_obo_user needs a delegation token"
                    .to_string(),
            ));
        }
        Ok(config)
    }
}

#[cfg(feature = "fs")]
fn chain(
    options: &ChainOptions,
    env: EnvLookup<'_>,
    seed: [u8; 32],
) -> Result<ClientConfig, Error> {
    if let Some(method) = var(env, AUTH_ENV) {
        return by_method(&method, options, env, seed);
    }
    if options.config_file.is_some() || options.profile.is_some() {
        return config_profile(options, env, seed);
    }
    let mut steps = Vec::new();
    match from_environment(env, seed)? {
        Some(config) => return Ok(config),
        None => steps.push(ChainStep {
            step: "environment",
            found: "none of OCI_CLI_USER, OCI_CLI_KEY_FILE, OCI_CLI_KEY_CONTENT, \
                    OCI_CLI_SECURITY_TOKEN_FILE is set"
                .to_string(),
        }),
    }
    match config_profile(options, env, seed) {
        Ok(config) => return Ok(config),
        Err(Error::Config(e)) if matches!(e.kind(), ConfigErrorKind::NotFound { .. }) => steps
            .push(ChainStep {
                step: "config profile",
                found: e.to_string(),
            }),
        Err(e) => return Err(e),
    }
    match var(env, "OCI_RESOURCE_PRINCIPAL_VERSION") {
        Some(_) => return resource_principal(env, seed),
        None => steps.push(ChainStep {
            step: "resource principal",
            found: "OCI_RESOURCE_PRINCIPAL_VERSION is not set".to_string(),
        }),
    }
    if options.instance_principal {
        return ClientConfig::instance_principal(seed);
    }
    steps.push(ChainStep {
        step: "instance principal",
        found: "not tried (opt in with ChainOptions::instance_principal, or OCI_CLI_AUTH=instance_principal)"
            .to_string(),
    });
    Err(Error::Credentials(NoCredentials { steps }))
}

#[cfg(feature = "fs")]
fn by_method(
    method: &str,
    options: &ChainOptions,
    env: EnvLookup<'_>,
    seed: [u8; 32],
) -> Result<ClientConfig, Error> {
    match method {
        "api_key" | "security_token" => match from_environment(env, seed)? {
            Some(config) => Ok(config),
            None => config_profile(options, env, seed),
        },
        "instance_principal" | "instance_obo_user" => ClientConfig::instance_principal(seed),
        "resource_principal" => resource_principal(env, seed),
        "oke_workload_identity" => ClientConfig::oke_workload_identity(seed),
        other => Err(env_error(
            AUTH_ENV,
            format!(
                "\"{other}\" is not a method this SDK knows (api_key, security_token, \
                 instance_principal, instance_obo_user, resource_principal, \
                 oke_workload_identity)"
            ),
        )),
    }
}

#[cfg(feature = "fs")]
fn resource_principal(env: EnvLookup<'_>, seed: [u8; 32]) -> Result<ClientConfig, Error> {
    ClientConfig::resource_principal_from(env, seed)
}

/// The config profile step: the file `OCI_CLI_CONFIG_FILE` or the options name, else the
/// standard lookup.
#[cfg(feature = "fs")]
fn config_profile(
    options: &ChainOptions,
    env: EnvLookup<'_>,
    seed: [u8; 32],
) -> Result<ClientConfig, Error> {
    let home = var(env, "HOME").or_else(|| var(env, "USERPROFILE"));
    let explicit = options
        .config_file
        .clone()
        .or_else(|| var(env, "OCI_CLI_CONFIG_FILE").map(PathBuf::from));
    let config_env = var(env, crate::config::CONFIG_FILE_ENV);
    let found = crate::config::locate_config(
        explicit.as_deref(),
        home.as_deref(),
        config_env.as_deref(),
        |p| p.is_file(),
    )?;
    let file = crate::config::ConfigFile::read(&found)?;
    let profile_env = var(env, crate::config::PROFILE_ENV);
    let name =
        crate::config::select_profile_name(options.profile.as_deref(), profile_env.as_deref());
    let profile = file.profile(name)?;
    // The same reading as `from_config_file` (API keys, session tokens, Cloud Shell's
    // delegation): a profile means the same thing whichever way it is found.
    let mut config = ClientConfig::from_profile(&profile, seed)?;
    if config.region().is_none()
        && let Some(region) = var(env, crate::config::REGION_ENV)
    {
        config.set_region(region);
    }
    Ok(config)
}

/// The environment step: an API key or a session token described by `OCI_CLI_*` variables.
/// `None` when none of them is set; an error naming the variable when they are set but
/// incomplete or wrong.
#[cfg(feature = "fs")]
fn from_environment(env: EnvLookup<'_>, seed: [u8; 32]) -> Result<Option<ClientConfig>, Error> {
    let user = var(env, "OCI_CLI_USER");
    let key_file = var(env, "OCI_CLI_KEY_FILE");
    let key_content = var(env, "OCI_CLI_KEY_CONTENT");
    let token_file = var(env, "OCI_CLI_SECURITY_TOKEN_FILE");
    if user.is_none() && key_file.is_none() && key_content.is_none() && token_file.is_none() {
        return Ok(None);
    }
    let required = |name: &str| {
        var(env, name).ok_or_else(|| {
            env_error(
                name,
                "is not set, but other OCI_CLI_* credentials are (an API key needs \
                 OCI_CLI_USER, OCI_CLI_TENANCY, OCI_CLI_FINGERPRINT and OCI_CLI_KEY_FILE or \
                 OCI_CLI_KEY_CONTENT; a session token needs OCI_CLI_SECURITY_TOKEN_FILE, \
                 OCI_CLI_TENANCY and the key)"
                    .to_string(),
            )
        })
    };
    let tenancy = required("OCI_CLI_TENANCY")?;
    // Zeroizing: the PEM text of an unencrypted key is the secret itself.
    let (key_pem, key_source) = match (&key_content, &key_file) {
        // CI secrets often hold the PEM on one line with literal `\n`s; base64 never has a
        // backslash, so turning them into newlines cannot damage a real key.
        (Some(content), _) => (
            zeroize::Zeroizing::new(content.replace("\\n", "\n")),
            "OCI_CLI_KEY_CONTENT".to_string(),
        ),
        (None, Some(path)) => {
            let path = crate::config::expand_tilde(path, var(env, "HOME").as_deref());
            let text = std::fs::read_to_string(&path).map_err(|e| {
                env_error(
                    "OCI_CLI_KEY_FILE",
                    format!("cannot read the key file {path}: {e}"),
                )
            })?;
            (zeroize::Zeroizing::new(text), path)
        }
        (None, None) => {
            return Err(env_error(
                "OCI_CLI_KEY_FILE",
                "is not set (nor OCI_CLI_KEY_CONTENT), but other OCI_CLI_* credentials are"
                    .to_string(),
            ));
        }
    };
    let passphrase = zeroize::Zeroizing::new(var(env, "OCI_CLI_PASSPHRASE"));
    let key = super::PrivateKey::from_pem(
        &key_pem,
        (*passphrase).as_deref().map(str::as_bytes),
        &key_source,
    )?;
    let region = var(env, "OCI_CLI_REGION");
    if let Some(path) = token_file {
        let token = zeroize::Zeroizing::new(std::fs::read_to_string(&path).map_err(|e| {
            env_error(
                "OCI_CLI_SECURITY_TOKEN_FILE",
                format!("cannot read the security token file {path}: {e}"),
            )
        })?);
        let backend = super::signer::default_backend(&key, seed);
        let session = super::SessionToken::new(&token, &path, backend.clone())?;
        let auth = super::ProfileAuth {
            signer: session.signer(),
            tenancy,
            region,
            session: Some(session),
        };
        return Ok(Some(ClientConfig::from_profile_auth(auth)));
    }
    let user = required("OCI_CLI_USER")?;
    let fingerprint = required("OCI_CLI_FINGERPRINT")?;
    let actual = key.fingerprint();
    if fingerprint != actual {
        return Err(env_error(
            "OCI_CLI_FINGERPRINT",
            format!(
                "{fingerprint} does not match the key in {key_source}, whose fingerprint is {actual}"
            ),
        ));
    }
    let signer = super::api_key_signer(&tenancy, &user, Some(&fingerprint), &key, seed);
    Ok(Some(ClientConfig::from_profile_auth(super::ProfileAuth {
        signer,
        tenancy,
        region,
        session: None,
    })))
}

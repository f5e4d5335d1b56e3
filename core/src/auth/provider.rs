//! From a config profile (or explicit parts) to a ready [`RequestSigner`].

use std::sync::Arc;

use super::keys::PrivateKey;
use super::session::SessionToken;
use super::signer::{KeyId, RequestSigner, RsaBackend, default_backend};
use crate::config::{ConfigError, ConfigErrorKind, Profile, Secret};
use crate::error::Error;

/// What a profile yields: a signer plus the facts clients need (tenancy, region).
#[derive(Debug, Clone)]
pub struct ProfileAuth {
    /// Signs every request.
    pub signer: RequestSigner,
    /// Tenancy OCID (the compartment of IAM entities).
    pub tenancy: String,
    /// Region named by the profile, if any.
    pub region: Option<String>,
    /// For a `security_token_file` profile: the session token, which a client built from this
    /// refreshes before it expires (`signer` signs with it as read, without refreshing).
    pub session: Option<SessionToken>,
}

/// Builds an API-key signer from explicit parts. The fingerprint is computed from the key when
/// `fingerprint` is `None`.
pub fn api_key_signer(
    tenancy: &str,
    user: &str,
    fingerprint: Option<&str>,
    key: &PrivateKey,
    seed: [u8; 32],
) -> RequestSigner {
    let fingerprint = fingerprint
        .map(str::to_string)
        .unwrap_or_else(|| key.fingerprint());
    RequestSigner::new(
        KeyId::ApiKey {
            tenancy: tenancy.to_string(),
            user: user.to_string(),
            fingerprint,
        },
        default_backend(key, seed),
    )
}

/// Builds the signer a profile describes, given its private key PEM text (and, for session
/// auth, the token text and where it came from). Pure: the caller read the files.
///
/// A session token must be a JWT whose payload has `exp` (every token the auth service issues
/// is): the client needs it to refresh in time. Anything else is [`Error::Token`], naming
/// `token_source` and never quoting the token.
///
/// The profile's `fingerprint` must match the key: a mismatch is the most common cause of
/// `401 NotAuthenticated`, so it is reported here, naming the line.
pub fn signer_from_profile_parts(
    profile: &Profile,
    key_pem: &str,
    key_source: &str,
    security_token: Option<(&str, &str)>,
    seed: [u8; 32],
) -> Result<ProfileAuth, Error> {
    let passphrase = profile.pass_phrase();
    let key = PrivateKey::from_pem(
        key_pem,
        passphrase.as_ref().map(|p| p.expose().as_bytes()),
        key_source,
    )?;
    let tenancy = profile.tenancy()?.to_string();
    let backend: Arc<dyn RsaBackend> = default_backend(&key, seed);
    let session = match security_token {
        Some((token, source)) => Some(SessionToken::new(token, source, backend.clone())?),
        None => None,
    };
    let key_id = match security_token {
        Some((token, _)) => KeyId::SessionToken(Secret::new(token.trim().to_string())),
        None => {
            let user = profile.user()?.to_string();
            let fingerprint = profile.fingerprint()?.to_string();
            let actual = key.fingerprint();
            if fingerprint != actual {
                return Err(Error::Config(profile_error(
                    profile,
                    "fingerprint",
                    format!(
                        "fingerprint {fingerprint} does not match the key in {key_source}, \
                         whose fingerprint is {actual}"
                    ),
                )));
            }
            KeyId::ApiKey {
                tenancy: tenancy.clone(),
                user,
                fingerprint,
            }
        }
    };
    Ok(ProfileAuth {
        signer: RequestSigner::new(key_id, backend),
        tenancy,
        region: profile.region().map(str::to_string),
        session,
    })
}

/// Reads the key file (and the security token file, if the profile names one) and builds the
/// signer.
#[cfg(feature = "fs")]
pub fn signer_from_profile(profile: &Profile, seed: [u8; 32]) -> Result<ProfileAuth, Error> {
    let key_file = profile.key_file()?;
    // Zeroizing: the PEM text of an unencrypted key is the secret itself.
    let key_pem = zeroize::Zeroizing::new(std::fs::read_to_string(&key_file).map_err(|e| {
        Error::Key(super::keys::KeyError::new(
            key_file.clone(),
            super::keys::KeyErrorKind::Unreadable {
                reason: e.to_string(),
            },
        ))
    })?);
    // Zeroizing too: the token is a bearer credential for as long as it lives.
    let token = match profile.security_token_file() {
        Some(path) => Some((
            path.clone(),
            zeroize::Zeroizing::new(std::fs::read_to_string(&path).map_err(|e| {
                Error::Config(profile_error(
                    profile,
                    "security_token_file",
                    format!("cannot read security token file {path}: {e}"),
                ))
            })?),
        )),
        None => None,
    };
    let mut auth = signer_from_profile_parts(
        profile,
        &key_pem,
        &key_file,
        token
            .as_ref()
            .map(|(path, text)| (text.as_str(), path.as_str())),
        seed,
    )?;
    if auth.region.is_none() {
        auth.region = crate::config::region_from_env();
    }
    Ok(auth)
}

fn profile_error(profile: &Profile, key: &str, reason: String) -> ConfigError {
    ConfigError::new(ConfigErrorKind::InvalidValue { reason })
        .in_file(profile.source())
        .in_profile(profile.name())
        .for_key(key)
        .at_line(profile.line_of(key))
}

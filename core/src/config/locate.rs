use std::path::{Path, PathBuf};

use super::error::{ConfigError, ConfigErrorKind};
use super::expand_tilde;
use super::file::DEFAULT_PROFILE;

/// The environment variable naming a config file, used when `~/.oci/config` does not exist.
pub const CONFIG_FILE_ENV: &str = "OCI_CONFIG_FILE";
/// The environment variable naming the profile to use when none is given.
pub const PROFILE_ENV: &str = "OCI_CLI_PROFILE";
/// The environment variable the region falls back to when a profile has none.
pub const REGION_ENV: &str = "OCI_REGION";

/// Decides which config file to read, without touching the environment or the disk.
///
/// Order, as in the official SDKs: `explicit` (must exist); else `<home>/.oci/config` if it
/// exists; else the path in `OCI_CONFIG_FILE` (passed as `config_file_env`; used even if it does
/// not exist, so the error points at it); else `<home>/.oraclebmc/config` if it exists.
/// A leading `~` in `explicit` or `config_file_env` is expanded with `home`.
/// `exists` answers whether a path is an existing file.
pub fn locate_config(
    explicit: Option<&Path>,
    home: Option<&str>,
    config_file_env: Option<&str>,
    exists: impl Fn(&Path) -> bool,
) -> Result<PathBuf, ConfigError> {
    let not_found = |searched: Vec<PathBuf>| {
        ConfigError::new(ConfigErrorKind::NotFound {
            searched: searched.iter().map(|p| p.display().to_string()).collect(),
        })
    };

    if let Some(path) = explicit {
        let path = match path.to_str() {
            Some(s) => PathBuf::from(expand_tilde(s, home)),
            None => path.to_path_buf(),
        };
        return if exists(&path) {
            Ok(path)
        } else {
            Err(not_found(vec![path]))
        };
    }

    let mut searched = Vec::new();
    let home_path = |parts: [&str; 2]| home.map(|h| Path::new(h).join(parts[0]).join(parts[1]));

    if let Some(default) = home_path([".oci", "config"]) {
        if exists(&default) {
            return Ok(default);
        }
        searched.push(default);
    }

    if let Some(env) = config_file_env.map(str::trim).filter(|v| !v.is_empty()) {
        let path = PathBuf::from(expand_tilde(env, home));
        if exists(&path) {
            return Ok(path);
        }
        searched.push(path);
        return Err(not_found(searched));
    }

    if let Some(fallback) = home_path([".oraclebmc", "config"]) {
        if exists(&fallback) {
            return Ok(fallback);
        }
        searched.push(fallback);
    }
    Err(not_found(searched))
}

/// The profile to use: `explicit`, else the `OCI_CLI_PROFILE` value (passed in), else `DEFAULT`.
pub fn select_profile_name<'a>(explicit: Option<&'a str>, profile_env: Option<&'a str>) -> &'a str {
    explicit
        .or(profile_env.map(str::trim).filter(|p| !p.is_empty()))
        .unwrap_or(DEFAULT_PROFILE)
}

/// Finds, reads and parses the config file and selects a profile, the way the official SDKs do.
///
/// `path`: an explicit file (must exist), else see [`locate_config`] for the lookup order.
/// `profile`: an explicit profile, else `$OCI_CLI_PROFILE`, else `DEFAULT`.
#[cfg(feature = "fs")]
pub fn load_config(
    path: Option<&Path>,
    profile: Option<&str>,
) -> Result<(super::ConfigFile, super::Profile), ConfigError> {
    let home = super::home_dir();
    let env_file = env_var(CONFIG_FILE_ENV);
    let found = locate_config(path, home.as_deref(), env_file.as_deref(), |p| p.is_file())?;
    let file = super::ConfigFile::read(&found)?;
    let env_profile = env_var(PROFILE_ENV);
    let name = select_profile_name(profile, env_profile.as_deref());
    let profile = file.profile(name)?;
    Ok((file, profile))
}

/// The region from `OCI_REGION`, if set and non-empty: the fallback for a profile without one.
#[cfg(feature = "std")]
pub fn region_from_env() -> Option<String> {
    env_var(REGION_ENV)
}

#[cfg(feature = "std")]
fn env_var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

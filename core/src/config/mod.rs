//! The OCI config file (`~/.oci/config`): parsing, profiles with `[DEFAULT]` inheritance,
//! validation of the values the signer needs, and the official lookup order.
//!
//! Everything here except [`load_config`] (feature `fs`) and the environment lookups (feature
//! `std`) is pure: text in, values or a located [`ConfigError`] out.
//!
//! ```
//! use ocisdk_core::config::ConfigFile;
//!
//! let text = "[DEFAULT]\nregion=us-ashburn-1\n\n[ADMIN]\nfingerprint=12:34\n";
//! let file = ConfigFile::parse(text, "<inline>")?;
//! let admin = file.profile("ADMIN")?;
//! assert_eq!(admin.region(), Some("us-ashburn-1")); // inherited from [DEFAULT]
//! let err = admin.fingerprint().unwrap_err();
//! assert!(err.to_string().starts_with("<inline>:5: profile [ADMIN], key `fingerprint`: "));
//! # Ok::<(), ocisdk_core::config::ConfigError>(())
//! ```

mod error;
mod file;
mod locate;
mod profile;
mod secret;

pub use error::{ConfigError, ConfigErrorKind};
pub use file::{ConfigFile, DEFAULT_PROFILE};
#[cfg(feature = "fs")]
pub use locate::load_config;
#[cfg(feature = "std")]
pub use locate::region_from_env;
pub use locate::{CONFIG_FILE_ENV, PROFILE_ENV, REGION_ENV, locate_config, select_profile_name};
pub use profile::Profile;
pub use secret::Secret;

/// Expands a leading `~` (alone, or followed by `/` or `\`) to `home`.
///
/// Other paths, `~user/…` forms, and any path when `home` is `None` come back unchanged.
pub fn expand_tilde(path: &str, home: Option<&str>) -> String {
    let Some(home) = home else {
        return path.to_owned();
    };
    if path == "~" {
        return home.to_owned();
    }
    match path.strip_prefix("~/").or_else(|| path.strip_prefix("~\\")) {
        Some(rest) => {
            let sep = &path[1..2];
            let home = home.strip_suffix(['/', '\\']).unwrap_or(home);
            format!("{home}{sep}{rest}")
        }
        None => path.to_owned(),
    }
}

/// The home directory from the environment: `HOME`, else `USERPROFILE` (Windows).
#[cfg(feature = "std")]
pub fn home_dir() -> Option<String> {
    ["HOME", "USERPROFILE"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|v| !v.is_empty())
}

#[cfg(not(feature = "std"))]
pub(crate) fn home_dir() -> Option<String> {
    None
}

#[cfg(test)]
mod tests;

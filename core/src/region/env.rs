//! Reading the region sources from this machine: `$HOME/.oci/regions-config.json`,
//! `OCI_REGION_METADATA` and `OCI_DEFAULT_REALM`.

use super::resolve::resolve_with_origin;
use super::{
    DEFAULT_REALM_ENV, REGION_METADATA_ENV, REGIONS_CONFIG_SOURCE, Region, RegionError,
    RegionSources, malformed,
};

/// Resolves a region like [`resolve_region`](super::resolve_region), reading
/// `$HOME/.oci/regions-config.json`, `OCI_REGION_METADATA` and `OCI_DEFAULT_REALM` only if the
/// built-in table does not know the name.
pub fn resolve_region_from_env(name: &str) -> Result<Region, RegionError> {
    if let Some(region) = Region::from_table(name) {
        return Ok(region);
    }
    let config_path = home_dir().map(|home| home.join(".oci").join("regions-config.json"));
    let config_origin = config_path.as_ref().map_or_else(
        || REGIONS_CONFIG_SOURCE.to_owned(),
        |p| p.display().to_string(),
    );
    let regions_config = match &config_path {
        Some(path) => read_optional(path, &config_origin)?,
        None => None,
    };
    let region_metadata = env_text(REGION_METADATA_ENV)?;
    let default_realm = env_text(DEFAULT_REALM_ENV)?;
    let sources = RegionSources {
        regions_config: regions_config.as_deref(),
        region_metadata: region_metadata.as_deref(),
        default_realm: default_realm.as_deref(),
    };
    resolve_with_origin(name, &sources, &config_origin)
}

fn home_dir() -> Option<std::path::PathBuf> {
    // USERPROFILE covers Windows, where HOME is usually unset.
    ["HOME", "USERPROFILE"]
        .iter()
        .filter_map(std::env::var_os)
        .find(|v| !v.is_empty())
        .map(std::path::PathBuf::from)
}

fn read_optional(path: &std::path::Path, origin: &str) -> Result<Option<String>, RegionError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(malformed(origin, format_args!("cannot read file: {e}"))),
    }
}

fn env_text(var: &str) -> Result<Option<String>, RegionError> {
    match std::env::var(var) {
        Ok(value) => Ok(Some(value)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(malformed(var, "not valid UTF-8")),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn from_env_uses_table_first() {
        assert_eq!(resolve_region_from_env("IAD").unwrap().id(), "us-ashburn-1");
    }
}

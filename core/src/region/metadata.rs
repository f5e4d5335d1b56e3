//! Region descriptions from outside the built-in table: the `~/.oci/regions-config.json` array
//! and the `OCI_REGION_METADATA` object.

use serde::{Deserialize, Serialize};

use super::{REGION_METADATA_ENV, REGIONS_CONFIG_SOURCE, Realm, Region, RegionError, malformed};

/// One region description, as found in `~/.oci/regions-config.json` and `OCI_REGION_METADATA`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegionMetadata {
    /// Realm key, e.g. `OC1`.
    pub realm_key: String,
    /// Realm domain, e.g. `oraclecloud.com`.
    pub realm_domain_component: String,
    /// Short region code, e.g. `SYD`.
    pub region_key: String,
    /// Region identifier, e.g. `ap-sydney-1`.
    pub region_identifier: String,
}

impl RegionMetadata {
    /// The region this metadata describes; values are trimmed and lowercased as the official SDKs do.
    pub fn to_region(&self) -> Region {
        Region::new(
            norm(&self.region_identifier),
            norm(&self.region_key),
            Realm::new(norm(&self.realm_key), norm(&self.realm_domain_component)),
        )
    }

    pub(super) fn matches(&self, name: &str) -> bool {
        self.region_identifier.trim().eq_ignore_ascii_case(name)
            || self.region_key.trim().eq_ignore_ascii_case(name)
    }

    fn check(&self) -> Result<(), String> {
        let fields = [
            ("realmKey", &self.realm_key),
            ("realmDomainComponent", &self.realm_domain_component),
            ("regionKey", &self.region_key),
            ("regionIdentifier", &self.region_identifier),
        ];
        match fields.iter().find(|(_, v)| v.trim().is_empty()) {
            Some((field, _)) => Err(format!("{field} is empty")),
            None => Ok(()),
        }
    }
}

fn norm(s: &str) -> String {
    s.trim().to_ascii_lowercase()
}

/// Parses the regions config file (`~/.oci/regions-config.json`), a JSON array of metadata objects.
pub fn parse_regions_config(json: &str) -> Result<Vec<RegionMetadata>, RegionError> {
    parse_regions_config_from(json, REGIONS_CONFIG_SOURCE)
}

pub(super) fn parse_regions_config_from(
    json: &str,
    origin: &str,
) -> Result<Vec<RegionMetadata>, RegionError> {
    let entries: Vec<RegionMetadata> =
        serde_json::from_str(json).map_err(|e| malformed(origin, e))?;
    for (i, entry) in entries.iter().enumerate() {
        entry
            .check()
            .map_err(|reason| malformed(origin, format_args!("entry {i}: {reason}")))?;
    }
    Ok(entries)
}

/// Parses `OCI_REGION_METADATA`, a single JSON metadata object.
pub fn parse_region_metadata(json: &str) -> Result<RegionMetadata, RegionError> {
    let metadata: RegionMetadata =
        serde_json::from_str(json).map_err(|e| malformed(REGION_METADATA_ENV, e))?;
    metadata
        .check()
        .map_err(|reason| malformed(REGION_METADATA_ENV, reason))?;
    Ok(metadata)
}

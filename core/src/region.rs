//! Regions, realms and service endpoints.
//!
//! A [`Region`] pairs a region identifier (`us-ashburn-1`) and its short code (`iad`) with the
//! [`Realm`] whose domain every endpoint of that region ends in. The built-in table mirrors the
//! official SDKs; regions it does not know yet are resolved by [`resolve_region`] from the same
//! sources the official SDKs consult (`~/.oci/regions-config.json`, `OCI_REGION_METADATA`,
//! `OCI_DEFAULT_REALM`). The resolution itself is pure: adapters read those texts and pass them in,
//! so it works unchanged on wasm32 and in tests.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Name used for the regions config file in errors when the caller did not say where it came from.
pub const REGIONS_CONFIG_SOURCE: &str = "~/.oci/regions-config.json";
/// Environment variable holding one region metadata object.
pub const REGION_METADATA_ENV: &str = "OCI_REGION_METADATA";
/// Environment variable naming the realm (key such as `oc1`, or domain) for unknown regions.
pub const DEFAULT_REALM_ENV: &str = "OCI_DEFAULT_REALM";

// (realm key, realm domain), from the official SDKs' realm table.
const REALMS: &[(&str, &str)] = &[
    ("oc1", "oraclecloud.com"),
    ("oc2", "oraclegovcloud.com"),
    ("oc3", "oraclegovcloud.com"),
    ("oc4", "oraclegovcloud.uk"),
    ("oc8", "oraclecloud8.com"),
    ("oc9", "oraclecloud9.com"),
    ("oc10", "oraclecloud10.com"),
    ("oc14", "oraclecloud14.com"),
    ("oc15", "oraclecloud15.com"),
    ("oc19", "oraclecloud.eu"),
    ("oc20", "oraclecloud20.com"),
    ("oc21", "oraclecloud21.com"),
    ("oc23", "oraclecloud23.com"),
    ("oc24", "oraclecloud24.com"),
    ("oc26", "oraclecloud26.com"),
    ("oc29", "oraclecloud29.com"),
    ("oc35", "oraclecloud35.com"),
    ("oc42", "oraclecloud42.com"),
    ("oc51", "oraclecloud51.com"),
    ("oc52", "oraclecloud52.com"),
];

// (region identifier, short code, realm key), in the official Python SDK's order.
const REGIONS: &[(&str, &str, &str)] = &[
    ("ap-chuncheon-1", "yny", "oc1"),
    ("ap-hyderabad-1", "hyd", "oc1"),
    ("ap-melbourne-1", "mel", "oc1"),
    ("ap-mumbai-1", "bom", "oc1"),
    ("ap-osaka-1", "kix", "oc1"),
    ("ap-seoul-1", "icn", "oc1"),
    ("ap-sydney-1", "syd", "oc1"),
    ("ap-tokyo-1", "nrt", "oc1"),
    ("ca-montreal-1", "yul", "oc1"),
    ("ca-toronto-1", "yyz", "oc1"),
    ("eu-amsterdam-1", "ams", "oc1"),
    ("eu-frankfurt-1", "fra", "oc1"),
    ("eu-zurich-1", "zrh", "oc1"),
    ("me-jeddah-1", "jed", "oc1"),
    ("me-dubai-1", "dxb", "oc1"),
    ("sa-saopaulo-1", "gru", "oc1"),
    ("uk-cardiff-1", "cwl", "oc1"),
    ("uk-london-1", "lhr", "oc1"),
    ("us-ashburn-1", "iad", "oc1"),
    ("us-phoenix-1", "phx", "oc1"),
    ("us-sanjose-1", "sjc", "oc1"),
    ("sa-vinhedo-1", "vcp", "oc1"),
    ("sa-santiago-1", "scl", "oc1"),
    ("il-jerusalem-1", "mtz", "oc1"),
    ("eu-marseille-1", "mrs", "oc1"),
    ("ap-singapore-1", "sin", "oc1"),
    ("me-abudhabi-1", "auh", "oc1"),
    ("eu-milan-1", "lin", "oc1"),
    ("eu-stockholm-1", "arn", "oc1"),
    ("af-johannesburg-1", "jnb", "oc1"),
    ("eu-paris-1", "cdg", "oc1"),
    ("mx-queretaro-1", "qro", "oc1"),
    ("eu-madrid-1", "mad", "oc1"),
    ("us-chicago-1", "ord", "oc1"),
    ("mx-monterrey-1", "mty", "oc1"),
    ("us-saltlake-2", "aga", "oc1"),
    ("sa-bogota-1", "bog", "oc1"),
    ("sa-valparaiso-1", "vap", "oc1"),
    ("ap-singapore-2", "xsp", "oc1"),
    ("me-riyadh-1", "ruh", "oc1"),
    ("ap-delhi-1", "onm", "oc1"),
    ("ap-batam-1", "hsg", "oc1"),
    ("eu-madrid-3", "orf", "oc1"),
    ("eu-turin-1", "nrq", "oc1"),
    ("ap-kulai-2", "jbp", "oc1"),
    ("af-casablanca-1", "lej", "oc1"),
    ("us-langley-1", "lfi", "oc2"),
    ("us-luke-1", "luf", "oc2"),
    ("us-gov-ashburn-1", "ric", "oc3"),
    ("us-gov-chicago-1", "pia", "oc3"),
    ("us-gov-phoenix-1", "tus", "oc3"),
    ("uk-gov-london-1", "ltn", "oc4"),
    ("uk-gov-cardiff-1", "brs", "oc4"),
    ("ap-chiyoda-1", "nja", "oc8"),
    ("ap-ibaraki-1", "ukb", "oc8"),
    ("me-dcc-muscat-1", "mct", "oc9"),
    ("me-ibri-1", "ibr", "oc9"),
    ("ap-dcc-canberra-1", "wga", "oc10"),
    ("eu-dcc-milan-1", "bgy", "oc14"),
    ("eu-dcc-milan-2", "mxp", "oc14"),
    ("eu-dcc-dublin-2", "snn", "oc14"),
    ("eu-dcc-rating-2", "dtm", "oc14"),
    ("eu-dcc-rating-1", "dus", "oc14"),
    ("eu-dcc-dublin-1", "ork", "oc14"),
    ("ap-dcc-gazipur-1", "dac", "oc15"),
    ("eu-madrid-2", "vll", "oc19"),
    ("eu-frankfurt-2", "str", "oc19"),
    ("eu-jovanovac-1", "beg", "oc20"),
    ("me-dcc-doha-1", "doh", "oc21"),
    ("me-alrayyan-1", "vve", "oc21"),
    ("us-somerset-1", "ebb", "oc23"),
    ("us-thames-1", "ebl", "oc23"),
    ("eu-dcc-zurich-1", "avz", "oc24"),
    ("eu-crissier-1", "avf", "oc24"),
    ("me-abudhabi-3", "ahu", "oc26"),
    ("me-alain-1", "rba", "oc26"),
    ("me-abudhabi-2", "rkt", "oc29"),
    ("me-abudhabi-4", "shj", "oc29"),
    ("ap-seoul-2", "dtz", "oc35"),
    ("ap-suwon-1", "dln", "oc35"),
    ("ap-chuncheon-2", "bno", "oc35"),
    ("us-ashburn-2", "yxj", "oc42"),
    ("us-newark-1", "pgc", "oc42"),
    ("eu-budapest-1", "jsk", "oc51"),
    ("sa-riodejaneiro-1", "hnw", "oc52"),
];

/// An OCI realm: a set of regions sharing one top-level domain.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Realm {
    key: Cow<'static, str>,
    domain: Cow<'static, str>,
}

impl Realm {
    /// Creates a realm from its key (`oc1`) and domain (`oraclecloud.com`).
    pub fn new(key: impl Into<Cow<'static, str>>, domain: impl Into<Cow<'static, str>>) -> Self {
        Self {
            key: key.into(),
            domain: domain.into(),
        }
    }

    /// Looks a realm up in the built-in table by key (`oc1`), case-insensitive.
    pub fn from_key(key: &str) -> Option<Realm> {
        REALMS
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|&(k, d)| Realm::new(k, d))
    }

    /// All built-in realms.
    pub fn all() -> impl Iterator<Item = Realm> {
        REALMS.iter().map(|&(k, d)| Realm::new(k, d))
    }

    /// The realm key, e.g. `oc1`.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The realm domain, e.g. `oraclecloud.com`.
    pub fn domain(&self) -> &str {
        &self.domain
    }
}

impl fmt::Display for Realm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key)
    }
}

/// An OCI region together with its realm.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Region {
    id: Cow<'static, str>,
    code: Cow<'static, str>,
    realm: Realm,
}

impl Region {
    /// Creates a region from its identifier, short code and realm, for regions outside the table.
    pub fn new(
        id: impl Into<Cow<'static, str>>,
        code: impl Into<Cow<'static, str>>,
        realm: Realm,
    ) -> Self {
        Self {
            id: id.into(),
            code: code.into(),
            realm,
        }
    }

    /// Built-in table only: accepts the identifier or the short code, case-insensitive.
    pub fn from_table(name: &str) -> Option<Region> {
        REGIONS
            .iter()
            .find(|(id, code, _)| id.eq_ignore_ascii_case(name) || code.eq_ignore_ascii_case(name))
            .map(|&(id, code, realm)| Region::builtin(id, code, realm))
    }

    /// All built-in regions.
    pub fn all() -> impl Iterator<Item = Region> {
        REGIONS
            .iter()
            .map(|&(id, code, realm)| Region::builtin(id, code, realm))
    }

    fn builtin(id: &'static str, code: &'static str, realm_key: &str) -> Region {
        // The table test guarantees every realm key is present; oc1 keeps this total without a panic.
        let realm = Realm::from_key(realm_key).unwrap_or_else(oc1);
        Region::new(id, code, realm)
    }

    /// The region identifier, e.g. `us-ashburn-1`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The short region code, e.g. `iad`.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The realm the region belongs to.
    pub fn realm(&self) -> &Realm {
        &self.realm
    }

    /// Identity endpoint: `https://identity.{region}.oci.{domain}`.
    pub fn identity_endpoint(&self) -> String {
        format!("https://identity.{}.oci.{}", self.id, self.realm.domain)
    }

    /// Object Storage endpoint: `https://objectstorage.{region}.{domain}`.
    pub fn object_storage_endpoint(&self) -> String {
        self.endpoint("objectstorage")
    }

    /// Generic endpoint: `https://{service_prefix}.{region}.{domain}`.
    pub fn endpoint(&self, service_prefix: &str) -> String {
        format!(
            "https://{}.{}.{}",
            service_prefix, self.id, self.realm.domain
        )
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id)
    }
}

/// Resolves like [`resolve_region`] without external sources: the built-in table, then a
/// well-formed identifier falls back to realm oc1.
impl FromStr for Region {
    type Err = RegionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        resolve_region(s, &RegionSources::default())
    }
}

fn oc1() -> Realm {
    Realm::new("oc1", "oraclecloud.com")
}

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

    fn matches(&self, name: &str) -> bool {
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

/// Errors from region lookup and from parsing region sources.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegionError {
    /// The name is neither a known region nor shaped like a region identifier.
    #[error("unknown region {name:?}: {hint}")]
    Unknown {
        /// The name as given.
        name: String,
        /// Suggestions and where unknown regions can be described.
        hint: String,
    },
    /// A region source is not valid JSON or lacks a required field.
    // Named `origin`, not `source`: thiserror would treat a `source` field as the cause error.
    #[error("malformed region metadata in {origin}: {reason}")]
    Malformed {
        /// `OCI_REGION_METADATA`, `OCI_DEFAULT_REALM` or the regions config file path.
        origin: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `OCI_DEFAULT_REALM` names a realm key that is not in the built-in table.
    #[error(
        "unknown realm {key:?} in OCI_DEFAULT_REALM: expected a realm key ({}) or a domain such as oraclecloud.com",
        known_realm_keys()
    )]
    UnknownRealm {
        /// The value as given.
        key: String,
    },
}

fn known_realm_keys() -> String {
    REALMS
        .iter()
        .map(|(k, _)| *k)
        .collect::<Vec<_>>()
        .join(", ")
}

fn malformed(origin: &str, reason: impl fmt::Display) -> RegionError {
    RegionError::Malformed {
        origin: origin.to_owned(),
        reason: reason.to_string(),
    }
}

/// Parses the regions config file (`~/.oci/regions-config.json`), a JSON array of metadata objects.
pub fn parse_regions_config(json: &str) -> Result<Vec<RegionMetadata>, RegionError> {
    parse_regions_config_from(json, REGIONS_CONFIG_SOURCE)
}

fn parse_regions_config_from(json: &str, origin: &str) -> Result<Vec<RegionMetadata>, RegionError> {
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

/// Texts of the external region sources, as read by an adapter; `None` (or blank) when absent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RegionSources<'a> {
    /// Contents of `~/.oci/regions-config.json`.
    pub regions_config: Option<&'a str>,
    /// Value of `OCI_REGION_METADATA`.
    pub region_metadata: Option<&'a str>,
    /// Value of `OCI_DEFAULT_REALM`: a realm key (`oc1`) or a realm domain (`oraclecloud.com`).
    pub default_realm: Option<&'a str>,
}

/// Resolves a region name (identifier or short code, case-insensitive).
///
/// Order: built-in table, regions config entries, `OCI_REGION_METADATA`, then, for names shaped
/// like a region identifier (`xx-newcity-1`), the default realm (`OCI_DEFAULT_REALM`, else oc1).
/// Sources are parsed only when the earlier steps did not match.
pub fn resolve_region(name: &str, sources: &RegionSources<'_>) -> Result<Region, RegionError> {
    resolve_with_origin(name, sources, REGIONS_CONFIG_SOURCE)
}

fn resolve_with_origin(
    name: &str,
    sources: &RegionSources<'_>,
    config_origin: &str,
) -> Result<Region, RegionError> {
    if let Some(region) = Region::from_table(name) {
        return Ok(region);
    }
    if let Some(text) = present(sources.regions_config) {
        let entries = parse_regions_config_from(text, config_origin)?;
        if let Some(entry) = entries.iter().find(|e| e.matches(name)) {
            return Ok(entry.to_region());
        }
    }
    if let Some(text) = present(sources.region_metadata) {
        let metadata = parse_region_metadata(text)?;
        if metadata.matches(name) {
            return Ok(metadata.to_region());
        }
    }
    if !is_well_formed(name) {
        return Err(RegionError::Unknown {
            name: name.to_owned(),
            hint: unknown_hint(name),
        });
    }
    let realm = match present(sources.default_realm) {
        Some(value) => default_realm(value.trim())?,
        None => oc1(),
    };
    let id = name.to_ascii_lowercase();
    // A typo of a known region is also well-formed; say so, since it would otherwise go unnoticed.
    let close = suggestions(&id);
    tracing::warn!(
        region = %id,
        realm = %realm.key(),
        domain = %realm.domain(),
        similar_known_regions = %close.join(", "),
        "region is not in the built-in table, regions-config.json or OCI_REGION_METADATA; assuming its realm"
    );
    // Unknown regions have no known short code; the identifier stands in so `code()` stays usable.
    Ok(Region::new(id.clone(), id, realm))
}

fn present(text: Option<&str>) -> Option<&str> {
    text.filter(|t| !t.trim().is_empty())
}

// The official SDKs read OCI_DEFAULT_REALM as a domain; a bare realm key is accepted too.
fn default_realm(value: &str) -> Result<Realm, RegionError> {
    if let Some(realm) = Realm::from_key(value) {
        return Ok(realm);
    }
    let is_domain = value.contains('.')
        && !value.starts_with('.')
        && !value.ends_with('.')
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    if !is_domain {
        return Err(RegionError::UnknownRealm {
            key: value.to_owned(),
        });
    }
    let domain = value.to_ascii_lowercase();
    Ok(match REALMS.iter().find(|(_, d)| *d == domain) {
        Some(&(key, d)) => Realm::new(key, d),
        None => Realm::new("unknown", domain),
    })
}

/// `^[a-z]+(-[a-z]+)+-[0-9]+$`, case-insensitive: the shape of every region identifier so far
/// (`us-ashburn-1`, `us-gov-ashburn-1`, `eu-dcc-milan-2`).
fn is_well_formed(name: &str) -> bool {
    let parts: Vec<&str> = name.split('-').collect();
    let Some((last, words)) = parts.split_last() else {
        return false;
    };
    words.len() >= 2
        && !last.is_empty()
        && last.bytes().all(|b| b.is_ascii_digit())
        && words
            .iter()
            .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_alphabetic()))
}

fn unknown_hint(name: &str) -> String {
    let suggestions = suggestions(name);
    let mut hint = String::new();
    if !suggestions.is_empty() {
        hint.push_str("did you mean ");
        hint.push_str(&suggestions.join(", "));
        hint.push_str("? ");
    }
    hint.push_str(
        "Regions missing from the built-in table can be described in ~/.oci/regions-config.json \
         or the OCI_REGION_METADATA environment variable",
    );
    hint
}

// Cheap over 85 entries: close spellings first, else regions sharing the geographic prefix.
fn suggestions(name: &str) -> Vec<&'static str> {
    let wanted = name.trim().to_ascii_lowercase();
    if wanted.is_empty() || wanted.len() > 64 {
        return Vec::new();
    }
    let limit = 2 + wanted.len() / 8;
    let mut close: Vec<(usize, &'static str)> = REGIONS
        .iter()
        .filter_map(|&(id, code, _)| {
            // Codes are three letters, so only a one-letter slip is a plausible typo of one.
            let by_id = Some(edit_distance(&wanted, id)).filter(|&d| d <= limit);
            let by_code = Some(edit_distance(&wanted, code)).filter(|&d| d <= 1);
            by_id.into_iter().chain(by_code).min().map(|d| (d, id))
        })
        .collect();
    close.sort_by_key(|&(d, _)| d);
    if !close.is_empty() {
        return close.into_iter().take(3).map(|(_, id)| id).collect();
    }
    match wanted.split_once('-') {
        Some((prefix, _)) if !prefix.is_empty() => REGIONS
            .iter()
            .filter(|(id, _, _)| id.split_once('-').is_some_and(|(p, _)| p == prefix))
            .map(|&(id, _, _)| id)
            .take(5)
            .collect(),
        _ => Vec::new(),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = substitute.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// Resolves a region like [`resolve_region`], reading `$HOME/.oci/regions-config.json`,
/// `OCI_REGION_METADATA` and `OCI_DEFAULT_REALM` only if the built-in table does not know the name.
#[cfg(feature = "fs")]
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

#[cfg(feature = "fs")]
fn home_dir() -> Option<std::path::PathBuf> {
    // USERPROFILE covers Windows, where HOME is usually unset.
    ["HOME", "USERPROFILE"]
        .iter()
        .filter_map(std::env::var_os)
        .find(|v| !v.is_empty())
        .map(std::path::PathBuf::from)
}

#[cfg(feature = "fs")]
fn read_optional(path: &std::path::Path, origin: &str) -> Result<Option<String>, RegionError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(malformed(origin, format_args!("cannot read file: {e}"))),
    }
}

// Only the `fs` entry point reads the environment today; `fs` implies `std`.
#[cfg(feature = "fs")]
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

    const SYD_METADATA: &str = r#"{"realmKey":"OC1","realmDomainComponent":"oraclecloud.com","regionKey":"SYD","regionIdentifier":"ap-sydney-1"}"#;

    fn sources<'a>(
        regions_config: Option<&'a str>,
        region_metadata: Option<&'a str>,
        default_realm: Option<&'a str>,
    ) -> RegionSources<'a> {
        RegionSources {
            regions_config,
            region_metadata,
            default_realm,
        }
    }

    #[test]
    fn table_matches_python_sdk_size_and_is_consistent() {
        // oci 2.189.0 regions_definitions.py: 85 regions, 20 realms.
        assert_eq!(Region::all().count(), 85);
        assert_eq!(Realm::all().count(), 20);
        let mut ids = std::collections::HashSet::new();
        let mut codes = std::collections::HashSet::new();
        for &(id, code, realm) in REGIONS {
            assert!(ids.insert(id), "duplicate id {id}");
            assert!(codes.insert(code), "duplicate code {code}");
            assert!(
                Realm::from_key(realm).is_some(),
                "{id}: realm {realm} missing"
            );
            assert!(is_well_formed(id), "{id} not well-formed");
            assert_eq!(code.len(), 3, "{code}");
            assert_eq!(id, id.to_ascii_lowercase());
        }
    }

    #[test]
    fn short_codes_and_ids() {
        let iad = Region::from_table("iad").unwrap();
        assert_eq!(iad.id(), "us-ashburn-1");
        assert_eq!(iad.code(), "iad");
        assert_eq!(iad.realm().key(), "oc1");
        assert_eq!(iad.realm().domain(), "oraclecloud.com");
        assert_eq!(Region::from_table("PHX").unwrap().id(), "us-phoenix-1");
        assert_eq!(Region::from_table("US-Phoenix-1").unwrap().code(), "phx");
        assert_eq!(
            Region::from_table("sa-riodejaneiro-1").unwrap().code(),
            "hnw"
        );
        assert!(Region::from_table("xx-newcity-1").is_none());
        assert!(Region::from_table("").is_none());
    }

    #[test]
    fn gov_and_sovereign_realms() {
        let langley = Region::from_table("lfi").unwrap();
        assert_eq!(langley.id(), "us-langley-1");
        assert_eq!(langley.realm().key(), "oc2");
        assert_eq!(langley.realm().domain(), "oraclegovcloud.com");
        let gov = Region::from_table("us-gov-ashburn-1").unwrap();
        assert_eq!(gov.code(), "ric");
        assert_eq!(gov.realm().key(), "oc3");
        assert_eq!(
            gov.identity_endpoint(),
            "https://identity.us-gov-ashburn-1.oci.oraclegovcloud.com"
        );
        let uk = Region::from_table("ltn").unwrap();
        assert_eq!(uk.realm().domain(), "oraclegovcloud.uk");
        let eu = Region::from_table("eu-frankfurt-2").unwrap();
        assert_eq!(eu.realm().key(), "oc19");
        assert_eq!(
            eu.object_storage_endpoint(),
            "https://objectstorage.eu-frankfurt-2.oraclecloud.eu"
        );
        assert_eq!(
            Realm::from_key("OC52").unwrap().domain(),
            "oraclecloud52.com"
        );
    }

    #[test]
    fn endpoints() {
        let fra = Region::from_table("eu-frankfurt-1").unwrap();
        assert_eq!(
            fra.identity_endpoint(),
            "https://identity.eu-frankfurt-1.oci.oraclecloud.com"
        );
        assert_eq!(
            fra.object_storage_endpoint(),
            "https://objectstorage.eu-frankfurt-1.oraclecloud.com"
        );
        assert_eq!(
            fra.endpoint("iaas"),
            "https://iaas.eu-frankfurt-1.oraclecloud.com"
        );
        assert_eq!(fra.to_string(), "eu-frankfurt-1");
        assert_eq!(fra.realm().to_string(), "oc1");
    }

    #[test]
    fn from_str() {
        assert_eq!("fra".parse::<Region>().unwrap().id(), "eu-frankfurt-1");
        let new: Region = "xx-newcity-1".parse().unwrap();
        assert_eq!(new.realm().key(), "oc1");
        assert!("not a region".parse::<Region>().is_err());
    }

    #[test]
    fn parse_sources() {
        let m = parse_region_metadata(SYD_METADATA).unwrap();
        assert_eq!(m.region_key, "SYD");
        assert_eq!(m.to_region(), Region::from_table("syd").unwrap());
        let list = parse_regions_config(&format!("[{SYD_METADATA}]")).unwrap();
        assert_eq!(list, vec![m]);
        assert!(parse_regions_config("[]").unwrap().is_empty());
    }

    #[test]
    fn regions_config_resolution() {
        let config = r#"[
            {"realmKey":"OC99","realmDomainComponent":"example.cloud","regionKey":"NEW","regionIdentifier":"xx-newcity-1"},
            {"realmKey":"oc1","realmDomainComponent":"oraclecloud.com","regionKey":"ZZZ","regionIdentifier":"zz-other-1"}
        ]"#;
        let s = sources(Some(config), None, None);
        for name in ["xx-newcity-1", "XX-NewCity-1", "new", "NEW"] {
            let r = resolve_region(name, &s).unwrap();
            assert_eq!(r.id(), "xx-newcity-1");
            assert_eq!(r.code(), "new");
            assert_eq!(r.realm(), &Realm::new("oc99", "example.cloud"));
            assert_eq!(
                r.identity_endpoint(),
                "https://identity.xx-newcity-1.oci.example.cloud"
            );
        }
        assert_eq!(resolve_region("zzz", &s).unwrap().id(), "zz-other-1");
        // The built-in table wins, and later sources are not even parsed.
        let broken = sources(Some("{"), Some("{"), Some("oc99"));
        assert_eq!(resolve_region("iad", &broken).unwrap().id(), "us-ashburn-1");
    }

    #[test]
    fn region_metadata_resolution() {
        let meta = r#"{"realmKey":"OC77","realmDomainComponent":"Example.Cloud","regionKey":"nwc","regionIdentifier":"xx-newcity-1"}"#;
        let r = resolve_region("NWC", &sources(None, Some(meta), None)).unwrap();
        assert_eq!(r.id(), "xx-newcity-1");
        assert_eq!(r.realm().key(), "oc77");
        assert_eq!(r.realm().domain(), "example.cloud");
        // regions-config comes first.
        let config = r#"[{"realmKey":"oc5","realmDomainComponent":"first.example","regionKey":"nwc","regionIdentifier":"xx-newcity-1"}]"#;
        let r = resolve_region("xx-newcity-1", &sources(Some(config), Some(meta), None)).unwrap();
        assert_eq!(r.realm().domain(), "first.example");
        // Config without a match falls through to the metadata.
        let r = resolve_region("nwc", &sources(Some("[]"), Some(meta), None)).unwrap();
        assert_eq!(r.realm().key(), "oc77");
    }

    #[test]
    fn default_realm_fallback() {
        let r = resolve_region("xx-newcity-1", &RegionSources::default()).unwrap();
        assert_eq!(r.id(), "xx-newcity-1");
        assert_eq!(r.realm(), &Realm::from_key("oc1").unwrap());
        assert_eq!(
            r.object_storage_endpoint(),
            "https://objectstorage.xx-newcity-1.oraclecloud.com"
        );
        // Metadata for another region does not capture the name.
        let r = resolve_region(
            "xx-newcity-1",
            &sources(None, Some(SYD_METADATA), Some("OC19")),
        )
        .unwrap();
        assert_eq!(r.realm().domain(), "oraclecloud.eu");
        // The official SDKs' form: a domain.
        let r = resolve_region(
            "us-gov-newcity-2",
            &sources(None, None, Some("example.cloud")),
        )
        .unwrap();
        assert_eq!(r.realm(), &Realm::new("unknown", "example.cloud"));
        let r =
            resolve_region("xx-newcity-1", &sources(None, None, Some("oraclecloud.uk"))).unwrap();
        assert_eq!(r.realm().domain(), "oraclecloud.uk");
        let r = resolve_region(
            "xx-newcity-1",
            &sources(None, None, Some("oraclegovcloud.uk")),
        )
        .unwrap();
        assert_eq!(r.realm().key(), "oc4");
        let r = resolve_region("XX-NEWCITY-1", &sources(None, None, Some("  "))).unwrap();
        assert_eq!(r.id(), "xx-newcity-1");
        assert_eq!(r.realm().key(), "oc1");
    }

    #[test]
    fn unknown_default_realm() {
        let err = resolve_region("xx-newcity-1", &sources(None, None, Some("oc99"))).unwrap_err();
        assert_eq!(err, RegionError::UnknownRealm { key: "oc99".into() });
        let msg = err.to_string();
        assert!(msg.contains("\"oc99\""), "{msg}");
        assert!(msg.contains("OCI_DEFAULT_REALM"), "{msg}");
        assert!(msg.contains("oc1, oc2"), "{msg}");
    }

    #[test]
    fn unknown_names() {
        for name in [
            "",
            " ",
            "not a region",
            "FOO",
            "us-ashburn",
            "-1",
            "us--1",
            "us-x-",
            "iad1",
            "us-ashburn-1x",
        ] {
            match resolve_region(name, &RegionSources::default()) {
                Err(RegionError::Unknown { name: n, hint }) => {
                    assert_eq!(n, name);
                    assert!(hint.contains("OCI_REGION_METADATA"), "{hint}");
                }
                other => panic!("{name:?}: {other:?}"),
            }
        }
        let err = resolve_region("us-ashburn", &RegionSources::default()).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with("unknown region \"us-ashburn\": did you mean us-ashburn-1"),
            "{msg}"
        );
        assert!(msg.contains("OCI_REGION_METADATA"), "{msg}");
        assert!(msg.contains("regions-config.json"), "{msg}");
        let msg = resolve_region(" eu-frankfurt-1 ", &RegionSources::default())
            .unwrap_err()
            .to_string();
        assert!(msg.contains("did you mean eu-frankfurt-1"), "{msg}");
        // Nothing close: regions sharing the prefix.
        let msg = resolve_region("ap-nowhere-xyz", &RegionSources::default())
            .unwrap_err()
            .to_string();
        assert!(msg.contains("did you mean ap-chuncheon-1"), "{msg}");
        let msg = resolve_region("not a region", &RegionSources::default())
            .unwrap_err()
            .to_string();
        assert!(!msg.contains("did you mean"), "{msg}");
    }

    #[test]
    fn malformed_sources() {
        let err =
            resolve_region("xx-newcity-1", &sources(Some("{not json"), None, None)).unwrap_err();
        match &err {
            RegionError::Malformed { origin, .. } => assert_eq!(origin, REGIONS_CONFIG_SOURCE),
            other => panic!("{other:?}"),
        }
        assert!(
            err.to_string()
                .starts_with("malformed region metadata in ~/.oci/regions-config.json: ")
        );

        let err = resolve_region("xx-newcity-1", &sources(None, Some("[1]"), None)).unwrap_err();
        assert!(
            matches!(&err, RegionError::Malformed { origin, .. } if origin == "OCI_REGION_METADATA")
        );

        // A single object where an array is expected, and vice versa.
        assert!(parse_regions_config(SYD_METADATA).is_err());
        assert!(parse_region_metadata(&format!("[{SYD_METADATA}]")).is_err());

        let missing = r#"{"realmKey":"oc1","regionKey":"syd","regionIdentifier":"ap-sydney-1"}"#;
        let msg = parse_region_metadata(missing).unwrap_err().to_string();
        assert!(
            msg.contains("OCI_REGION_METADATA") && msg.contains("realmDomainComponent"),
            "{msg}"
        );

        let empty = r#"[{"realmKey":"oc1","realmDomainComponent":"oraclecloud.com","regionKey":"","regionIdentifier":"x"}]"#;
        assert_eq!(
            parse_regions_config(empty).unwrap_err(),
            RegionError::Malformed {
                origin: REGIONS_CONFIG_SOURCE.into(),
                reason: "entry 0: regionKey is empty".into()
            }
        );
        // Blank texts count as absent, as an empty environment variable does in the official SDKs.
        assert!(resolve_region("xx-newcity-1", &sources(Some(""), Some(" "), None)).is_ok());
    }

    #[cfg(feature = "fs")]
    #[test]
    fn from_env_uses_table_first() {
        assert_eq!(resolve_region_from_env("IAD").unwrap().id(), "us-ashburn-1");
    }

    #[test]
    fn edit_distance_basics() {
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }
}

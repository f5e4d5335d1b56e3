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

/// Name used for the regions config file in errors when the caller did not say where it came from.
pub const REGIONS_CONFIG_SOURCE: &str = "~/.oci/regions-config.json";
/// Environment variable holding one region metadata object.
pub const REGION_METADATA_ENV: &str = "OCI_REGION_METADATA";
/// Environment variable naming the realm (key such as `oc1`, or domain) for unknown regions.
pub const DEFAULT_REALM_ENV: &str = "OCI_DEFAULT_REALM";
/// The `region` of the profiles `ocisdk-emulator` writes. It names no region and never
/// resolves (not from the table, a regions config or the default realm: [`resolve_region`]
/// refuses it first), so a client built from such a profile without the emulator's URL as its
/// endpoint fails before sending anything, instead of signing requests for real OCI.
pub const EMULATOR_REGION: &str = "ocisdk-emulator";

mod metadata;
mod resolve;
mod table;
// Only the `fs` entry point reads the environment today; `fs` implies `std`.
#[cfg(feature = "fs")]
mod env;
#[cfg(test)]
mod tests;

#[cfg(feature = "fs")]
pub use env::resolve_region_from_env;
pub use metadata::{RegionMetadata, parse_region_metadata, parse_regions_config};
pub use resolve::{RegionSources, resolve_region};
use table::{REALMS, REGIONS};

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

//! Resolving a region name: the built-in table, then the external sources, then the default
//! realm for well-formed identifiers; "did you mean" suggestions for names that do not resolve.

use super::metadata::{parse_region_metadata, parse_regions_config_from};
use super::table::{REALMS, REGIONS};
use super::{EMULATOR_REGION, REGIONS_CONFIG_SOURCE, Realm, Region, RegionError, oc1};

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

pub(super) fn resolve_with_origin(
    name: &str,
    sources: &RegionSources<'_>,
    config_origin: &str,
) -> Result<Region, RegionError> {
    if name.trim().eq_ignore_ascii_case(EMULATOR_REGION) {
        return Err(RegionError::Unknown {
            name: name.to_owned(),
            hint: "this profile was written by ocisdk-emulator and has no real region on purpose: \
                   give the client the emulator's URL as its endpoint (`.endpoint(url)` on the \
                   client builder; the emulator prints it)"
                .to_owned(),
        });
    }
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
pub(super) fn is_well_formed(name: &str) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_basics() {
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }
}

use core::fmt;
use zeroize::Zeroizing;

use super::error::{ConfigError, ConfigErrorKind};
use super::expand_tilde;
use super::file::is_secret_key;
use super::secret::Secret;

#[derive(Clone)]
pub(crate) struct ProfileEntry {
    pub(crate) key: String,
    pub(crate) value: Zeroizing<String>,
    pub(crate) line: usize,
    /// Set when the entry came from `[DEFAULT]` rather than the profile itself.
    pub(crate) inherited: bool,
}

/// One profile of a config file after `[DEFAULT]` inheritance: its entries, each with the line
/// it was set on (which may be in `[DEFAULT]`).
///
/// The typed accessors ([`Profile::user`], [`Profile::fingerprint`], …) validate the value and
/// fail with an error that names the file, profile, key and line.
#[derive(Clone)]
pub struct Profile {
    name: String,
    source: String,
    entries: Vec<ProfileEntry>,
}

impl Profile {
    pub(crate) fn new(name: String, source: String, entries: Vec<ProfileEntry>) -> Self {
        Self {
            name,
            source,
            entries,
        }
    }

    /// The profile's name, e.g. `DEFAULT` or `ADMIN`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file the profile came from, as named when parsing.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The trimmed value of `key` (case-insensitive), from the profile or inherited.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entry(key).map(|e| e.value.as_str())
    }

    /// The 1-based line `key` was set on, in the profile or in `[DEFAULT]`.
    pub fn line_of(&self, key: &str) -> Option<usize> {
        self.entry(key).map(|e| e.line)
    }

    /// Whether `key`'s value comes from `[DEFAULT]` rather than this profile.
    pub fn is_inherited(&self, key: &str) -> bool {
        self.entry(key).is_some_and(|e| e.inherited)
    }

    /// The names of all keys set for this profile, its own first, then inherited ones.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.key.as_str())
    }

    /// The value of a key that must be present and non-empty.
    pub fn require(&self, key: &str) -> Result<&str, ConfigError> {
        match self.get(key) {
            None => Err(ConfigError::new(ConfigErrorKind::MissingKey)
                .in_file(self.source.clone())
                .in_profile(self.name.clone())
                .for_key(key.to_ascii_lowercase())),
            Some("") => Err(self.invalid(key, "is empty".into())),
            Some(value) => Ok(value),
        }
    }

    /// The `user` OCID, validated.
    pub fn user(&self) -> Result<&str, ConfigError> {
        self.ocid("user")
    }

    /// The `tenancy` OCID, validated.
    pub fn tenancy(&self) -> Result<&str, ConfigError> {
        self.ocid("tenancy")
    }

    /// The API key `fingerprint`, validated as 16 lowercase hex pairs joined by `:`.
    pub fn fingerprint(&self) -> Result<&str, ConfigError> {
        let value = self.require("fingerprint")?;
        check_fingerprint(value).map_err(|reason| self.invalid("fingerprint", reason))?;
        Ok(value)
    }

    /// The `key_file` path, with a leading `~` expanded to the home directory (`HOME`, under
    /// the `std` feature).
    pub fn key_file(&self) -> Result<String, ConfigError> {
        self.key_file_with_home(super::home_dir().as_deref())
    }

    /// [`Profile::key_file`] with the home directory given by the caller.
    pub fn key_file_with_home(&self, home: Option<&str>) -> Result<String, ConfigError> {
        let raw = self.require("key_file")?;
        self.expand("key_file", raw, home)
    }

    /// The `region`, if set and non-empty. See `region_from_env` for the `OCI_REGION` fallback.
    pub fn region(&self) -> Option<&str> {
        self.get("region").filter(|r| !r.is_empty())
    }

    /// The key passphrase: `pass_phrase`, else `passphrase` (the Go SDK's spelling).
    ///
    /// A value set in the profile itself wins over one inherited from `[DEFAULT]`, whatever its
    /// spelling. An empty value counts as no passphrase.
    pub fn pass_phrase(&self) -> Option<Secret> {
        let candidates = ["pass_phrase", "passphrase"];
        let pick = |inherited: bool| {
            candidates.iter().find_map(|k| {
                self.entry(k)
                    .filter(|e| e.inherited == inherited && !e.value.is_empty())
            })
        };
        pick(false)
            .or_else(|| pick(true))
            .map(|e| Secret::new(e.value.as_str()))
    }

    /// The `security_token_file` path (session-token auth), `~` expanded; `None` if unset.
    pub fn security_token_file(&self) -> Option<String> {
        self.security_token_file_with_home(super::home_dir().as_deref())
    }

    /// [`Profile::security_token_file`] with the home directory given by the caller.
    pub fn security_token_file_with_home(&self, home: Option<&str>) -> Option<String> {
        self.get("security_token_file")
            .filter(|v| !v.is_empty())
            .map(|v| expand_tilde(v, home))
    }

    fn entry(&self, key: &str) -> Option<&ProfileEntry> {
        self.entries
            .iter()
            .find(|e| e.key.eq_ignore_ascii_case(key))
    }

    fn ocid(&self, key: &str) -> Result<&str, ConfigError> {
        let value = self.require(key)?;
        check_ocid(value, key).map_err(|reason| self.invalid(key, reason))?;
        Ok(value)
    }

    fn expand(&self, key: &str, raw: &str, home: Option<&str>) -> Result<String, ConfigError> {
        if starts_with_tilde(raw) && home.is_none() {
            return Err(self.invalid(
                key,
                "starts with `~` but the home directory is unknown (HOME is not set); use an absolute path"
                    .into(),
            ));
        }
        Ok(expand_tilde(raw, home))
    }

    /// An InvalidValue error located at the line the key was set on.
    pub(crate) fn invalid(&self, key: &str, mut reason: String) -> ConfigError {
        if self.is_inherited(key) {
            reason.push_str(" (inherited from [DEFAULT])");
        }
        ConfigError::new(ConfigErrorKind::InvalidValue { reason })
            .in_file(self.source.clone())
            .at_line(self.line_of(key))
            .in_profile(self.name.clone())
            .for_key(key.to_ascii_lowercase())
    }
}

impl fmt::Debug for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Entries<'a>(&'a [ProfileEntry]);
        impl fmt::Debug for Entries<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut map = f.debug_map();
                for e in self.0 {
                    if is_secret_key(&e.key) {
                        map.entry(&e.key, &"<redacted>");
                    } else {
                        map.entry(&e.key, &e.value.as_str());
                    }
                }
                map.finish()
            }
        }
        f.debug_struct("Profile")
            .field("name", &self.name)
            .field("source", &self.source)
            .field("entries", &Entries(&self.entries))
            .finish()
    }
}

fn starts_with_tilde(path: &str) -> bool {
    path == "~" || path.starts_with("~/") || path.starts_with("~\\")
}

/// Checks the shape `ocid1.<type>.<realm>.[region].<unique id>` (at least four dot-separated
/// parts; the region may be empty, as in tenancy and user OCIDs).
fn check_ocid(value: &str, key: &str) -> Result<(), String> {
    let expected = format!("expected an OCID like `ocid1.{key}.oc1..<unique id>`");
    if let Some(bad) = value
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':')))
    {
        let hint = if matches!(bad, '"' | '\'') {
            "; remove the quotes"
        } else {
            ""
        };
        return Err(format!(
            "`{value}` contains {bad:?}, which never appears in an OCID{hint}; {expected}"
        ));
    }
    if !value.starts_with("ocid1.") {
        return Err(format!("`{value}` is not an OCID; {expected}"));
    }
    let parts: Vec<&str> = value.split('.').collect();
    let well_formed = parts.len() >= 4
        && !parts[1].is_empty()
        && !parts[2].is_empty()
        && parts.last().is_some_and(|id| !id.is_empty());
    if !well_formed {
        return Err(format!(
            "`{value}` is not a complete OCID; {expected} (ocid1.<type>.<realm>.[region].<unique id>)"
        ));
    }
    // The one type mistake worth naming: the two OCIDs pasted into each other's places.
    let other = match key {
        "user" => Some("tenancy"),
        "tenancy" => Some("user"),
        _ => None,
    };
    if other == Some(parts[1]) {
        return Err(format!(
            "`{value}` is a {} OCID; are `user` and `tenancy` swapped? {expected}",
            parts[1]
        ));
    }
    Ok(())
}

fn check_fingerprint(value: &str) -> Result<(), String> {
    const EXAMPLE: &str = "12:34:56:78:9a:bc:de:f0:12:34:56:78:9a:bc:de:f0";
    let is_form = |v: &str, hex: fn(u8) -> bool| {
        let bytes = v.as_bytes();
        bytes.len() == 47
            && bytes.chunks(3).all(|c| match c {
                [a, b, b':'] | [a, b] => hex(*a) && hex(*b),
                _ => false,
            })
    };
    let lower_hex = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
    if is_form(value, lower_hex) {
        return Ok(());
    }
    if is_form(value, |b: u8| b.is_ascii_hexdigit()) {
        return Err(format!(
            "`{value}` has uppercase hex digits; write it in lowercase: `{}`",
            value.to_ascii_lowercase()
        ));
    }
    Err(format!(
        "`{value}` is not a key fingerprint; expected 16 lowercase hex pairs joined by `:`, like \
         `{EXAMPLE}` (the Console shows it next to the API key; \
         `openssl rsa -pubout -outform DER -in <key file> | openssl md5 -c` computes it)"
    ))
}

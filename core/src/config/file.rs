use core::fmt;
use zeroize::Zeroizing;

use super::error::{ConfigError, ConfigErrorKind};
use super::profile::{Profile, ProfileEntry};

/// The name of the profile every other profile inherits missing keys from.
pub const DEFAULT_PROFILE: &str = "DEFAULT";

/// Keys whose values must never be printed.
pub(crate) fn is_secret_key(key: &str) -> bool {
    matches!(key, "pass_phrase" | "passphrase" | "key_content")
}

#[derive(Clone)]
struct Entry {
    key: String,
    // Values are wiped on drop because `pass_phrase` is one of them.
    value: Zeroizing<String>,
    line: usize,
}

#[derive(Clone)]
struct Section {
    name: String,
    entries: Vec<Entry>,
}

/// A parsed OCI config file: named profiles of `key=value` entries, each remembering its line.
///
/// Parsing follows what the official SDKs accept: `[PROFILE]` headers, `key=value` split at the
/// first `=`, keys and values trimmed, keys case-insensitive (stored lowercase, as Python's
/// `configparser` does), `#` and `;` full-line comments, blank lines, CRLF and a leading BOM.
#[derive(Clone)]
pub struct ConfigFile {
    source: String,
    sections: Vec<Section>,
}

impl ConfigFile {
    /// Parses config text. `source` is the file name used in error messages
    /// (e.g. `/home/u/.oci/config`, or `<inline>` for text that came from elsewhere).
    ///
    /// Fails on the first line that is not a header, `key=value`, comment or blank; on a
    /// `key=value` before the first header; on a repeated profile header or a repeated key
    /// within one profile (Python's `configparser` rejects both too).
    pub fn parse(text: &str, source: impl Into<String>) -> Result<ConfigFile, ConfigError> {
        let source = source.into();
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut sections: Vec<Section> = Vec::new();
        let malformed = |line: usize, reason: String| {
            ConfigError::new(ConfigErrorKind::MalformedLine { reason })
                .in_file(source.clone())
                .at_line(Some(line))
        };

        for (index, raw) in text.split('\n').enumerate() {
            let line_no = index + 1;
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }

            if line.starts_with('[') {
                let Some(inner) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) else {
                    let reason = if line.contains(']') {
                        "unexpected text after the `]` of a profile header"
                    } else {
                        "unterminated profile header: `[` without a closing `]`"
                    };
                    return Err(malformed(line_no, reason.into()));
                };
                let name = inner.trim();
                if name.is_empty() {
                    return Err(malformed(line_no, "empty profile name `[]`".into()));
                }
                if name.contains(['[', ']']) {
                    return Err(malformed(
                        line_no,
                        "a profile name cannot contain `[` or `]`".into(),
                    ));
                }
                if sections.iter().any(|s| s.name == name) {
                    return Err(malformed(
                        line_no,
                        format!("profile [{name}] is defined twice; merge the two sections"),
                    ));
                }
                sections.push(Section {
                    name: name.to_owned(),
                    entries: Vec::new(),
                });
                continue;
            }

            // The line's content is never quoted in errors: it may be a passphrase.
            let Some((key, value)) = line.split_once('=') else {
                let hint = if line.contains(':') {
                    " (use `=`, not `:`)"
                } else {
                    ""
                };
                return Err(malformed(
                    line_no,
                    format!("expected `key=value`, a `[PROFILE]` header or a `#` comment{hint}"),
                ));
            };
            let Some(section) = sections.last_mut() else {
                return Err(malformed(
                    line_no,
                    "`key=value` before the first `[PROFILE]` header; start the file with `[DEFAULT]`"
                        .into(),
                ));
            };
            let key = key.trim().to_ascii_lowercase();
            if key.is_empty() {
                return Err(malformed(line_no, "missing key before `=`".into()));
            }
            if let Some(previous) = section.entries.iter().find(|e| e.key == key) {
                return Err(malformed(
                    line_no,
                    format!(
                        "key `{key}` is already set on line {} of profile [{}]",
                        previous.line, section.name
                    ),
                ));
            }
            section.entries.push(Entry {
                key,
                value: Zeroizing::new(value.trim().to_owned()),
                line: line_no,
            });
        }

        Ok(ConfigFile { source, sections })
    }

    /// Reads and parses a config file from disk; errors name the file.
    #[cfg(feature = "fs")]
    pub fn read(path: &std::path::Path) -> Result<ConfigFile, ConfigError> {
        let name = path.display().to_string();
        let io_error =
            |reason: String| ConfigError::new(ConfigErrorKind::Io { reason }).in_file(name.clone());
        let bytes = Zeroizing::new(std::fs::read(path).map_err(|e| io_error(e.to_string()))?);
        let text = core::str::from_utf8(&bytes)
            .map_err(|e| io_error(format!("the file is not valid UTF-8 ({e})")))?;
        ConfigFile::parse(text, name)
    }

    /// The file name given to [`ConfigFile::parse`].
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The profile names in file order, `DEFAULT` included if present.
    pub fn profile_names(&self) -> Vec<&str> {
        self.sections.iter().map(|s| s.name.as_str()).collect()
    }

    /// Whether the file has a profile of this name (case-sensitive).
    pub fn has_profile(&self, name: &str) -> bool {
        self.section(name).is_some()
    }

    /// The named profile, with keys it lacks inherited from `[DEFAULT]`.
    ///
    /// A profile missing from the file is an error naming the file and the profiles it has,
    /// also for `DEFAULT` itself.
    pub fn profile(&self, name: &str) -> Result<Profile, ConfigError> {
        let Some(section) = self.section(name) else {
            return Err(ConfigError::new(ConfigErrorKind::MissingProfile {
                available: self.sections.iter().map(|s| s.name.clone()).collect(),
            })
            .in_file(self.source.clone())
            .in_profile(name));
        };
        let mut entries: Vec<ProfileEntry> = section
            .entries
            .iter()
            .map(|e| ProfileEntry {
                key: e.key.clone(),
                value: e.value.clone(),
                line: e.line,
                inherited: false,
            })
            .collect();
        if name != DEFAULT_PROFILE
            && let Some(default) = self.section(DEFAULT_PROFILE)
        {
            for e in &default.entries {
                if !entries.iter().any(|own| own.key == e.key) {
                    entries.push(ProfileEntry {
                        key: e.key.clone(),
                        value: e.value.clone(),
                        line: e.line,
                        inherited: true,
                    });
                }
            }
        }
        Ok(Profile::new(name.to_owned(), self.source.clone(), entries))
    }

    fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }
}

impl fmt::Debug for ConfigFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Entries<'a>(&'a [Entry]);
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
        struct Sections<'a>(&'a [Section]);
        impl fmt::Debug for Sections<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut map = f.debug_map();
                for s in self.0 {
                    map.entry(&s.name, &Entries(&s.entries));
                }
                map.finish()
            }
        }
        f.debug_struct("ConfigFile")
            .field("source", &self.source)
            .field("profiles", &Sections(&self.sections))
            .finish()
    }
}

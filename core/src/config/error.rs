use core::fmt;

/// What went wrong while locating, reading, parsing or validating an OCI config file.
///
/// The surrounding [`ConfigError`] says where (file, line, profile, key).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigErrorKind {
    /// The config file exists but could not be read.
    Io {
        /// Why reading failed, as the operating system put it.
        reason: String,
    },
    /// No config file was found in any of the places looked at.
    NotFound {
        /// The paths that were looked at, in lookup order.
        searched: Vec<String>,
    },
    /// A line of the file is not a section header, a `key=value` pair, a comment or blank.
    MalformedLine {
        /// What is wrong with the line (never its content, which may hold a passphrase).
        reason: String,
    },
    /// The requested profile is not in the file.
    MissingProfile {
        /// The profiles the file does have, in file order.
        available: Vec<String>,
    },
    /// A required key is set neither in the profile nor in `[DEFAULT]`.
    MissingKey,
    /// A key is set, but its value is not acceptable.
    InvalidValue {
        /// What is wrong with the value and what it should look like.
        reason: String,
    },
}

impl fmt::Display for ConfigErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io { reason } => write!(f, "cannot read the config file: {reason}"),
            Self::NotFound { searched } => {
                f.write_str("no OCI config file found")?;
                if !searched.is_empty() {
                    write!(f, " (looked for {})", searched.join(", "))?;
                }
                f.write_str(
                    "; create one with `oci setup config`, set OCI_CONFIG_FILE, or pass its path",
                )
            }
            Self::MalformedLine { reason } => f.write_str(reason),
            Self::MissingProfile { available } => {
                f.write_str("no such profile in this file")?;
                if available.is_empty() {
                    f.write_str(" (the file has no profiles)")
                } else {
                    let names: Vec<String> = available.iter().map(|p| format!("[{p}]")).collect();
                    write!(f, "; profiles present: {}", names.join(", "))
                }
            }
            Self::MissingKey => {
                f.write_str("required but not set, neither in the profile nor in [DEFAULT]")
            }
            Self::InvalidValue { reason } => f.write_str(reason),
        }
    }
}

/// An error about an OCI config file, located as precisely as possible.
///
/// Displays as `/path/config:7: profile [ADMIN], key `fingerprint`: <what is wrong>`, leaving
/// out the parts that do not apply. Passphrase values never appear in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    file: Option<String>,
    line: Option<usize>,
    profile: Option<String>,
    key: Option<String>,
    kind: ConfigErrorKind,
}

impl ConfigError {
    pub(crate) fn new(kind: ConfigErrorKind) -> Self {
        Self {
            file: None,
            line: None,
            profile: None,
            key: None,
            kind,
        }
    }

    pub(crate) fn in_file(mut self, file: impl Into<String>) -> Self {
        self.file = Some(file.into());
        self
    }

    pub(crate) fn at_line(mut self, line: Option<usize>) -> Self {
        self.line = line;
        self
    }

    pub(crate) fn in_profile(mut self, profile: impl Into<String>) -> Self {
        self.profile = Some(profile.into());
        self
    }

    pub(crate) fn for_key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// The config file concerned (absent when no file was found at all).
    pub fn file(&self) -> Option<&str> {
        self.file.as_deref()
    }

    /// The 1-based line of the file the problem is on, if it is tied to one.
    pub fn line(&self) -> Option<usize> {
        self.line
    }

    /// The profile concerned: the one requested, even when the offending line is in `[DEFAULT]`.
    pub fn profile(&self) -> Option<&str> {
        self.profile.as_deref()
    }

    /// The key concerned, e.g. `fingerprint`.
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    /// What went wrong.
    pub fn kind(&self) -> &ConfigErrorKind {
        &self.kind
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            f.write_str(file)?;
            if let Some(line) = self.line {
                write!(f, ":{line}")?;
            }
            f.write_str(": ")?;
        } else if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        match (&self.profile, &self.key) {
            (Some(p), Some(k)) => write!(f, "profile [{p}], key `{k}`: ")?,
            (Some(p), None) => write!(f, "profile [{p}]: ")?,
            (None, Some(k)) => write!(f, "key `{k}`: ")?,
            (None, None) => {}
        }
        fmt::Display::fmt(&self.kind, f)
    }
}

impl core::error::Error for ConfigError {}

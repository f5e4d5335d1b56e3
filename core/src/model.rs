//! What generated models and operations share: string enums that keep values they do not know,
//! lenient decoding of fields the service omits or sends as `null`, and how a parameter value is
//! written into a path, a query or a header.

use std::fmt;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Declares a string enum of the API: known values as variants, anything else kept verbatim in
/// `UnknownValue`, so a value the service adds later never fails decoding and is sent back as it
/// came. Known values match case-insensitively (some services vary the case in headers).
///
/// ```
/// ocisdk_core::string_enum! {
///     /// A bucket's storage tier.
///     StorageTier {
///         /// Hot storage.
///         Standard => "Standard",
///         /// Cold storage.
///         Archive => "Archive",
///     }
/// }
/// assert_eq!("archive".parse::<StorageTier>(), Ok(StorageTier::Archive));
/// assert_eq!(StorageTier::from("Glacier").as_str(), "Glacier");
/// ```
#[macro_export]
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $wire:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this SDK does not know, kept as the service sent it.
            UnknownValue(String),
        }

        impl $name {
            /// Every value this SDK knows, as sent on the wire.
            pub const VALUES: &'static [&'static str] = &[$($wire),+];

            /// The value as sent on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire, )+
                    $name::UnknownValue(s) => s,
                }
            }

            /// Reads a wire value; known values match case-insensitively.
            pub fn parse(s: &str) -> Self {
                $( if s.eq_ignore_ascii_case($wire) { return $name::$variant; } )+
                $name::UnknownValue(s.to_string())
            }
        }

        impl ::core::default::Default for $name {
            /// The empty unknown value: what a field the service omitted reads as.
            fn default() -> Self {
                $name::UnknownValue(String::new())
            }
        }

        impl ::core::convert::From<String> for $name {
            fn from(s: String) -> Self {
                $name::parse(&s)
            }
        }

        impl ::core::convert::From<&str> for $name {
            fn from(s: &str) -> Self {
                $name::parse(s)
            }
        }

        impl ::core::convert::From<$name> for String {
            fn from(v: $name) -> String {
                match v {
                    $name::UnknownValue(s) => s,
                    known => known.as_str().to_string(),
                }
            }
        }

        impl ::core::str::FromStr for $name {
            type Err = ::core::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok($name::parse(s))
            }
        }

        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl $crate::export::serde::Serialize for $name {
            fn serialize<S: $crate::export::serde::Serializer>(
                &self,
                serializer: S,
            ) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> $crate::export::serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::export::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> Result<Self, D::Error> {
                let s: ::std::borrow::Cow<'de, str> =
                    $crate::export::serde::Deserialize::deserialize(deserializer)?;
                Ok($name::parse(&s))
            }
        }

        impl $crate::model::ParamValue for $name {
            fn to_param(&self) -> String {
                self.as_str().to_string()
            }
        }
    };
}

/// Decodes a field that the service may omit or send as `null` into its default value (an
/// empty string, zero, an empty list), as the official SDKs tolerate both. Use with
/// `#[serde(default, deserialize_with = "...")]`.
pub fn null_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de> + Default,
{
    let value: Option<T> = serde::Deserialize::deserialize(deserializer)?;
    Ok(value.unwrap_or_default())
}

/// The value an omitted required timestamp reads as (`#[serde(default = "...")]`).
pub fn epoch() -> OffsetDateTime {
    OffsetDateTime::UNIX_EPOCH
}

/// RFC 3339 timestamps, as OCI sends them (`2016-08-25T21:10:29.600Z`), for required fields:
/// an omitted or `null` timestamp reads as the Unix epoch rather than failing the response.
pub mod timestamp {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::OffsetDateTime;

    /// Writes RFC 3339.
    pub fn serialize<S: Serializer>(value: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
        time::serde::rfc3339::serialize(value, s)
    }

    /// Reads RFC 3339; `null` is the epoch.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OffsetDateTime, D::Error> {
        #[derive(Deserialize)]
        struct Wrapped(#[serde(with = "time::serde::rfc3339")] OffsetDateTime);
        let value: Option<Wrapped> = Option::deserialize(d)?;
        Ok(value.map_or(OffsetDateTime::UNIX_EPOCH, |w| w.0))
    }

    /// RFC 3339 timestamps of optional fields.
    pub mod option {
        pub use time::serde::rfc3339::option::{deserialize, serialize};
    }

    /// Lists of RFC 3339 timestamps.
    pub mod list {
        use serde::{Deserialize, Deserializer, Serialize, Serializer};
        use time::OffsetDateTime;

        #[derive(Serialize, Deserialize)]
        struct Item(#[serde(with = "time::serde::rfc3339")] OffsetDateTime);

        /// Writes each as RFC 3339.
        pub fn serialize<S: Serializer>(value: &[OffsetDateTime], s: S) -> Result<S::Ok, S::Error> {
            value
                .iter()
                .map(|v| Item(*v))
                .collect::<Vec<_>>()
                .serialize(s)
        }

        /// Reads each as RFC 3339; `null` is an empty list.
        pub fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Vec<OffsetDateTime>, D::Error> {
            let value: Option<Vec<Item>> = Option::deserialize(d)?;
            Ok(value.unwrap_or_default().into_iter().map(|i| i.0).collect())
        }
    }

    /// Optional lists of RFC 3339 timestamps.
    pub mod list_option {
        use serde::{Deserialize, Deserializer, Serializer};
        use time::OffsetDateTime;

        /// Writes each as RFC 3339 (only called for `Some`).
        pub fn serialize<S: Serializer>(
            value: &Option<Vec<OffsetDateTime>>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            super::list::serialize(value.as_deref().unwrap_or_default(), s)
        }

        /// Reads each as RFC 3339.
        pub fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<Vec<OffsetDateTime>>, D::Error> {
            #[derive(Deserialize)]
            struct Wrapped(#[serde(with = "super::list")] Vec<OffsetDateTime>);
            Ok(Option::<Wrapped>::deserialize(d)?.map(|w| w.0))
        }
    }
}

/// How a parameter value is written into a path segment, a query parameter or a header.
pub trait ParamValue {
    /// The value as text (before percent-encoding).
    fn to_param(&self) -> String;
}

impl ParamValue for String {
    fn to_param(&self) -> String {
        self.clone()
    }
}

impl ParamValue for str {
    fn to_param(&self) -> String {
        self.to_string()
    }
}

impl<T: ParamValue + ?Sized> ParamValue for &T {
    fn to_param(&self) -> String {
        (**self).to_param()
    }
}

macro_rules! display_param {
    ($($t:ty),*) => {
        $(impl ParamValue for $t {
            fn to_param(&self) -> String {
                self.to_string()
            }
        })*
    };
}
display_param!(i64, i32, u64, u32, bool);

impl ParamValue for f64 {
    fn to_param(&self) -> String {
        // Integral values as the official SDKs write them (`1.0` → `1.0`, not `1`).
        format!("{self:?}")
    }
}

impl ParamValue for OffsetDateTime {
    fn to_param(&self) -> String {
        self.format(&Rfc3339).unwrap_or_else(|_| self.to_string())
    }
}

/// How a list parameter is written into the query (the API model's collection format).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CollectionFormat {
    /// The key repeated, once per value: `fields=a&fields=b`.
    Multi,
    /// One key, values joined with commas: `fields=a,b`.
    Csv,
}

impl fmt::Display for CollectionFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CollectionFormat::Multi => "multi",
            CollectionFormat::Csv => "csv",
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    crate::string_enum! {
        /// Test enum.
        Tier {
            /// Hot.
            Standard => "Standard",
            /// Cold.
            Archive => "Archive",
        }
    }

    #[derive(serde::Deserialize, serde::Serialize, Debug, PartialEq)]
    struct Model {
        #[serde(default, deserialize_with = "null_default")]
        name: String,
        #[serde(default, deserialize_with = "null_default")]
        tier: Tier,
        #[serde(default = "epoch", with = "timestamp")]
        created: OffsetDateTime,
    }

    #[test]
    fn omitted_and_null_fields_read_as_defaults() {
        let m: Model = serde_json::from_str(r#"{"name":null,"tier":null,"created":null}"#).unwrap();
        assert_eq!(m.name, "");
        assert_eq!(m.tier, Tier::UnknownValue(String::new()));
        assert_eq!(m.created, OffsetDateTime::UNIX_EPOCH);
        let m: Model = serde_json::from_str("{}").unwrap();
        assert_eq!(m.name, "");
        let m: Model = serde_json::from_str(
            r#"{"name":"n","tier":"GLACIER","created":"2016-08-25T21:10:29.600Z"}"#,
        )
        .unwrap();
        assert_eq!(m.tier.as_str(), "GLACIER");
        assert_eq!(m.created.millisecond(), 600);
        let back = serde_json::to_value(&m).unwrap();
        assert_eq!(back["tier"], "GLACIER");
    }

    #[test]
    fn params_are_written_as_the_official_sdks_write_them() {
        assert_eq!(7i64.to_param(), "7");
        assert_eq!(true.to_param(), "true");
        assert_eq!(1.5f64.to_param(), "1.5");
        assert_eq!(Tier::Archive.to_param(), "Archive");
        assert_eq!(
            OffsetDateTime::UNIX_EPOCH.to_param(),
            "1970-01-01T00:00:00Z"
        );
    }
}

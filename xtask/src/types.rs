//! The API model's type grammar (`str`, `list[User]`, `dict(str, dict(str, object))`, …) and
//! the Rust types it becomes.

use std::collections::BTreeSet;

/// A type of the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ty {
    Str,
    Int,
    Float,
    Bool,
    DateTime,
    Date,
    Object,
    Stream,
    List(Box<Ty>),
    Map(Box<Ty>),
    /// A model of the service.
    Model(String),
    /// A string enum generated for a field or parameter (its Rust name).
    Enum(String),
    /// A model held through a `Box`: a field whose model contains the holder again
    /// (recursive models), which would otherwise have no finite size.
    Boxed(Box<Ty>),
}

/// Parses the grammar; `None` for what it cannot read.
pub fn parse(s: &str) -> Option<Ty> {
    let s = s.trim();
    // A few docstrings of the official SDK qualify a list with the models module
    // (`oci.opsi.models.list[str]`); the extractor keeps that verbatim. It is the list.
    if let Some(rest) = s.strip_prefix("oci.")
        && let Some((package, inner)) = rest.split_once(".models.")
        && package
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return parse(inner);
    }
    Some(match s {
        "str" => Ty::Str,
        "int" => Ty::Int,
        "float" => Ty::Float,
        "bool" => Ty::Bool,
        "datetime" => Ty::DateTime,
        "date" => Ty::Date,
        "object" => Ty::Object,
        "stream" | "bytes" => Ty::Stream,
        _ => {
            if let Some(inner) = s.strip_prefix("list[").and_then(|r| r.strip_suffix(']')) {
                Ty::List(Box::new(parse(inner)?))
            } else if let Some(inner) = s.strip_prefix("dict(").and_then(|r| r.strip_suffix(')')) {
                let (key, value) = inner.split_once(',')?;
                if key.trim() != "str" {
                    return None;
                }
                Ty::Map(Box::new(parse(value)?))
            } else if s.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                && s.chars().all(|c| c.is_ascii_alphanumeric())
            {
                Ty::Model(s.to_string())
            } else {
                return None;
            }
        }
    })
}

impl Ty {
    /// This type with its string (or list-of-string) core replaced by the enum `name`.
    pub fn with_enum(&self, name: &str) -> Ty {
        match self {
            Ty::Str => Ty::Enum(name.to_string()),
            Ty::List(inner) => Ty::List(Box::new(inner.with_enum(name))),
            other => other.clone(),
        }
    }

    /// The Rust type. `models` are the service's model names: any other bare name (a name
    /// enum without a class) is a string.
    pub fn rust(&self, models: &BTreeSet<String>, model_path: &str) -> String {
        match self {
            Ty::Str | Ty::Date => "String".into(),
            Ty::Int => "i64".into(),
            Ty::Float => "f64".into(),
            Ty::Bool => "bool".into(),
            Ty::DateTime => "OffsetDateTime".into(),
            Ty::Object => "serde_json::Value".into(),
            Ty::Stream => "()".into(),
            Ty::List(inner) => format!("Vec<{}>", inner.rust(models, model_path)),
            Ty::Map(inner) => format!("BTreeMap<String, {}>", inner.rust(models, model_path)),
            Ty::Model(name) if models.contains(name) => format!("{model_path}{name}"),
            Ty::Model(_) => "String".into(),
            Ty::Enum(name) => name.clone(),
            Ty::Boxed(inner) => format!("Box<{}>", inner.rust(models, model_path)),
        }
    }

    /// Whether the value contains a timestamp (which needs its own serde adapter).
    pub fn is_datetime(&self) -> bool {
        matches!(self, Ty::DateTime)
    }

    /// The timestamp shape, if the type has one somewhere: only the plain and list ones are
    /// supported.
    pub fn datetime_shape(&self) -> Option<&'static str> {
        match self {
            Ty::DateTime => Some("plain"),
            Ty::List(inner) if inner.is_datetime() => Some("list"),
            Ty::List(inner) | Ty::Map(inner) if inner.datetime_shape().is_some() => {
                Some("unsupported")
            }
            _ => None,
        }
    }

    /// A Rust expression for the default value of a required field.
    pub fn default_expr(&self, models: &BTreeSet<String>) -> String {
        match self {
            Ty::Str | Ty::Date => "String::new()".into(),
            Ty::Int => "0".into(),
            Ty::Float => "0.0".into(),
            Ty::Bool => "false".into(),
            Ty::DateTime => "OffsetDateTime::UNIX_EPOCH".into(),
            Ty::Object => "serde_json::Value::Null".into(),
            Ty::Stream => "()".into(),
            Ty::List(_) => "Vec::new()".into(),
            Ty::Map(_) => "BTreeMap::new()".into(),
            Ty::Model(name) if models.contains(name) => "Default::default()".into(),
            Ty::Model(_) => "String::new()".into(),
            Ty::Enum(_) | Ty::Boxed(_) => "Default::default()".into(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn grammar() {
        let models: BTreeSet<String> = ["User".to_string()].into();
        let t = parse("dict(str, dict(str, object))").unwrap();
        assert_eq!(
            t.rust(&models, ""),
            "BTreeMap<String, BTreeMap<String, serde_json::Value>>"
        );
        assert_eq!(
            parse("list[User]")
                .unwrap()
                .rust(&models, "crate::models::"),
            "Vec<crate::models::User>"
        );
        assert_eq!(
            parse("list[Lifecycle]").unwrap().rust(&models, ""),
            "Vec<String>"
        );
        assert_eq!(
            parse("oci.x.models.list[User]")
                .unwrap()
                .rust(&models, "models::"),
            "Vec<models::User>"
        );
        assert!(parse("oci.x.list[str]").is_none());
        assert!(parse("list[str").is_none());
    }
}

//! The API model the SDK is generated from (`spec/*.json`), read by the emulator too: which
//! operations exist, and which take an `opc-retry-token`. The emulator honours a token only where
//! the real API defines one (Identity's creates do; no Object Storage operation does), so a test
//! can never pass on semantics the service does not have.

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::http::Method;

/// Facts of one operation of the model.
#[derive(Debug, Clone)]
pub struct OperationFacts {
    /// The operation's name in the API reference.
    pub name: String,
    /// The service (`identity`, `object_storage`, `secrets`).
    pub service: String,
    /// HTTP method.
    pub method: String,
    /// Path template with the service's version prefix (`/20160918/users/{userId}`).
    pub path: String,
    /// Whether the API defines `opc-retry-token` for it.
    pub retry_token: bool,
}

const SPECS: [&str; 3] = [
    include_str!("../../spec/identity.json"),
    include_str!("../../spec/object_storage.json"),
    include_str!("../../spec/secrets.json"),
];

// By name; a name can be in two services (GetWorkRequest is Identity's and Object Storage's).
static MODEL: LazyLock<HashMap<String, Vec<OperationFacts>>> = LazyLock::new(|| {
    let mut ops = HashMap::new();
    for text in SPECS {
        // The files are checked in and checked by `spec/extract.py --check`; a file that does
        // not parse gives an empty model rather than a panic (every token is then ignored).
        let Ok(spec) = serde_json::from_str::<serde_json::Value>(text) else {
            continue;
        };
        let service = spec["service"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let base = spec["service"]["clients"][0]["base_path"]
            .as_str()
            .unwrap_or_default()
            .trim_end_matches('/')
            .to_string();
        for op in spec["operations"].as_array().into_iter().flatten() {
            let Some(name) = op["name"].as_str() else {
                continue;
            };
            ops.entry(name.to_string())
                .or_insert_with(Vec::new)
                .push(OperationFacts {
                    name: name.to_string(),
                    service: service.clone(),
                    method: op["http_method"].as_str().unwrap_or_default().to_string(),
                    path: format!("{base}{}", op["path"].as_str().unwrap_or_default()),
                    retry_token: op["retry_token"].as_bool().unwrap_or(false),
                });
        }
    }
    ops
});

/// The facts of operation `name` in every service that has one so named.
pub fn operations(name: &str) -> &'static [OperationFacts] {
    MODEL.get(name).map_or(&[], Vec::as_slice)
}

/// Whether the real API takes an `opc-retry-token` on `op`.
pub fn takes_retry_token(op: &str) -> bool {
    operations(op).iter().any(|o| o.retry_token)
}

/// How many operations the model has.
pub fn operation_count() -> usize {
    MODEL.values().map(Vec::len).sum()
}

/// Every operation name of the model, sorted (what [`crate::Fault::on`] can name).
pub fn operation_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = MODEL.keys().map(String::as_str).collect();
    names.sort_unstable();
    names
}

/// One segment of a path template.
#[derive(Debug)]
enum Segment {
    Literal(String),
    /// A parameter, by wire name; `rest` takes every remaining segment (object names keep `/`).
    Param {
        name: String,
        rest: bool,
    },
}

#[derive(Debug)]
struct Template {
    method: Method,
    segments: Vec<Segment>,
    facts: &'static OperationFacts,
}

static ROUTES: LazyLock<Vec<Template>> = LazyLock::new(|| {
    let mut routes = Vec::new();
    for facts in MODEL.values().flatten() {
        let Ok(method) = Method::from_bytes(facts.method.as_bytes()) else {
            continue;
        };
        let parts: Vec<&str> = split(&facts.path);
        let segments = parts
            .iter()
            .enumerate()
            .map(
                |(i, part)| match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                    Some(name) => Segment::Param {
                        name: name.to_string(),
                        rest: name == "objectName" && i + 1 == parts.len(),
                    },
                    None => Segment::Literal((*part).to_string()),
                },
            )
            .collect();
        routes.push(Template {
            method,
            segments,
            facts,
        });
    }
    routes
});

fn split(path: &str) -> Vec<&str> {
    path.trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect()
}

/// A request matched to an operation of the model, with its path parameters (percent-decoded,
/// by wire name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched {
    /// The operation.
    pub operation: &'static str,
    /// Its service.
    pub service: &'static str,
    /// The path parameters.
    pub params: Vec<(String, String)>,
}

impl Matched {
    /// Path parameter `name` (its wire name, e.g. `userId`).
    pub fn param(&self, name: &str) -> &str {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }
}

/// Why a path matched no operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoMatch {
    /// No operation of the model has this path.
    NotFound,
    /// A segment is not UTF-8 once percent-decoded.
    BadSegment(String),
}

fn decode(seg: &str) -> Result<String, NoMatch> {
    percent_encoding::percent_decode_str(seg)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| NoMatch::BadSegment(seg.to_string()))
}

/// The operation of the model that `method` and the raw (still percent-encoded) `path` name.
/// A trailing `/` is tolerated, as the service does; where a literal segment and a parameter
/// both fit (`/compartments/bulkActionResourceTypes`), the literal wins.
pub fn route(method: &Method, path: &str) -> Result<Matched, NoMatch> {
    let parts = split(path);
    let mut best: Option<(usize, &Template)> = None;
    for t in ROUTES.iter().filter(|t| t.method == *method) {
        let mut literals = 0;
        let mut fits = true;
        let mut i = 0;
        for seg in &t.segments {
            match seg {
                Segment::Param { rest: true, .. } => {
                    fits &= i < parts.len();
                    i = parts.len();
                    break;
                }
                _ if i >= parts.len() => {
                    fits = false;
                    break;
                }
                Segment::Literal(l) if l == parts[i] => literals += 1,
                Segment::Literal(_) => {
                    fits = false;
                    break;
                }
                Segment::Param { .. } => {}
            }
            i += 1;
        }
        if fits && i == parts.len() && best.is_none_or(|(n, _)| literals > n) {
            best = Some((literals, t));
        }
    }
    let Some((_, t)) = best else {
        return Err(NoMatch::NotFound);
    };
    let mut params = Vec::new();
    for (i, seg) in t.segments.iter().enumerate() {
        if let Segment::Param { name, rest } = seg {
            let raw = if *rest {
                parts[i..].join("/")
            } else {
                parts[i].to_string()
            };
            let value = decode(&raw)?;
            if value.is_empty() || (!rest && value.contains('/')) {
                return Err(NoMatch::NotFound);
            }
            params.push((name.clone(), value));
        }
    }
    Ok(Matched {
        operation: t.facts.name.as_str(),
        service: t.facts.service.as_str(),
        params,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn tokens_only_where_the_api_defines_them() {
        assert_eq!(operation_count(), 145 + 56 + 3);
        assert!(takes_retry_token("CreateGroup"));
        assert!(takes_retry_token("AddUserToGroup"));
        assert!(!takes_retry_token("CreateBucket"));
        assert!(!takes_retry_token("CreateMultipartUpload"));
        assert!(!takes_retry_token("GetGroup"));
        let facts: Vec<_> = operations("ListUsers")
            .iter()
            .map(|o| (o.service.as_str(), o.method.as_str(), o.path.as_str()))
            .collect();
        assert_eq!(facts, [("identity", "GET", "/20160918/users")]);
        assert_eq!(operations("GetWorkRequest").len(), 2);
    }

    fn op(method: &str, path: &str) -> Option<(&'static str, Vec<(String, String)>)> {
        let m = Method::from_bytes(method.as_bytes()).ok()?;
        route(&m, path).ok().map(|r| (r.operation, r.params))
    }

    #[test]
    fn routes_come_from_the_model() {
        assert_eq!(op("GET", "/20160918/groups").unwrap().0, "ListGroups");
        assert_eq!(op("GET", "/20160918/groups/").unwrap().0, "ListGroups");
        let (name, params) = op("GET", "/20160918/users/ocid1.user.oc1..x").unwrap();
        assert_eq!(name, "GetUser");
        assert_eq!(
            params,
            [("userId".to_string(), "ocid1.user.oc1..x".to_string())]
        );
        assert_eq!(
            op("GET", "/20160918/users/u/apiKeys").unwrap().0,
            "ListApiKeys"
        );
        assert_eq!(
            op("GET", "/20160918/compartments/bulkActionResourceTypes")
                .unwrap()
                .0,
            "ListBulkActionResourceTypes"
        );
        assert_eq!(
            op("GET", "/20160918/compartments/c1").unwrap().0,
            "GetCompartment"
        );
        assert_eq!(op("GET", "/n").unwrap().0, "GetNamespace");
        assert_eq!(op("GET", "/n/").unwrap().0, "GetNamespace");
        assert_eq!(op("POST", "/n/ns/b/").unwrap().0, "CreateBucket");
        assert_eq!(op("HEAD", "/n/ns/b/bk").unwrap().0, "HeadBucket");
        let (name, params) = op("GET", "/n/ns/b/bk/o/a/b%20c%2Fd+e").unwrap();
        assert_eq!(name, "GetObject");
        assert_eq!(
            params[2],
            ("objectName".to_string(), "a/b c/d+e".to_string())
        );
        assert_eq!(op("PUT", "/n/ns/b/bk/u/x").unwrap().0, "UploadPart");
        assert_eq!(
            op("GET", "/20190301/secretbundles/ocid1.vaultsecret.oc1..s")
                .unwrap()
                .0,
            "GetSecretBundle"
        );
        assert!(op("GET", "/other").is_none());
        assert!(op("PATCH", "/20160918/groups").is_none());
        let m = Method::GET;
        assert_eq!(
            route(&m, "/n/ns/b/bk/o/%FF"),
            Err(NoMatch::BadSegment("%FF".into()))
        );
        assert_eq!(route(&m, "/20160918/users/a%2Fb"), Err(NoMatch::NotFound));
    }
}

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
    /// Its parameters (path, query, header; the body is [`OperationFacts::body`]).
    pub params: Vec<ParamFacts>,
    /// The model of its JSON body, if it takes one (`CreateGroupDetails`).
    pub body: Option<String>,
    /// The model (or `list[Model]`) of its response body, if any.
    pub response: Option<String>,
    /// Whether it is a list paginated with `opc-next-page` / `page`.
    pub paginated: bool,
}

impl OperationFacts {
    /// Parameter `wire` (by wire name) in `location` (`path`, `query`, `header`).
    pub fn param(&self, location: &str, wire: &str) -> Option<&ParamFacts> {
        self.params
            .iter()
            .find(|p| p.location == location && p.wire == wire)
    }

    /// The segments of [`OperationFacts::path`] (`["20160918", "users", "{userId}"]`).
    pub fn segments(&self) -> Vec<&str> {
        split(&self.path)
    }

    /// The model name of a list response (`list[Group]` → `Group`), or of a plain one.
    pub fn response_model(&self) -> Option<&str> {
        let r = self.response.as_deref()?;
        Some(
            r.strip_prefix("list[")
                .and_then(|r| r.strip_suffix(']'))
                .unwrap_or(r),
        )
    }
}

/// One parameter of an operation.
#[derive(Debug, Clone)]
pub struct ParamFacts {
    /// Its wire name (`compartmentId`, `opc-retry-token`).
    pub wire: String,
    /// Where it goes: `path`, `query` or `header`.
    pub location: String,
    /// Its type in the model's grammar (`str`, `int`, `bool`, `list[str]`).
    pub ty: String,
    /// Whether the API requires it.
    pub required: bool,
    /// The values it may take, if it is an enum.
    pub allowed: Option<Vec<String>>,
}

/// One field of a model.
#[derive(Debug, Clone)]
pub struct FieldFacts {
    /// Its wire name (`compartmentId`).
    pub wire: String,
    /// Its type in the model's grammar (`str`, `datetime`, `dict(str, str)`, `Duration`).
    pub ty: String,
    /// Whether the model marks it required.
    pub required: bool,
    /// The values it may take, if it is an enum.
    pub allowed: Option<Vec<String>>,
    /// Whether the official SDK refuses a value outside [`FieldFacts::allowed`] (request
    /// models); otherwise unknown values are tolerated.
    pub strict: bool,
}

/// One model (a request or response body shape).
#[derive(Debug, Clone)]
pub struct ModelFacts {
    /// Its name (`CreateGroupDetails`).
    pub name: String,
    /// Its fields, the parent's included for subtypes.
    pub fields: Vec<FieldFacts>,
    /// For a polymorphic base: the discriminator's wire name and value → subtype name.
    pub discriminator: Option<(String, Vec<(String, String)>)>,
}

impl ModelFacts {
    /// Field `wire`, if the model has it.
    pub fn field(&self, wire: &str) -> Option<&FieldFacts> {
        self.fields.iter().find(|f| f.wire == wire)
    }

    /// The subtype a body with this discriminator value takes (itself when not polymorphic).
    pub fn subtype_for(
        &self,
        service: &str,
        body: &serde_json::Map<String, serde_json::Value>,
    ) -> Option<&'static ModelFacts> {
        match &self.discriminator {
            None => model(service, &self.name),
            Some((wire, subtypes)) => {
                let value = body.get(wire)?.as_str()?;
                let (_, sub) = subtypes.iter().find(|(v, _)| v == value)?;
                model(service, sub)
            }
        }
    }
}

const SPECS: [&str; 3] = [
    include_str!("../../spec/identity.json"),
    include_str!("../../spec/object_storage.json"),
    include_str!("../../spec/secrets.json"),
];

fn strings(v: &serde_json::Value) -> Option<Vec<String>> {
    v.as_array().map(|a| {
        a.iter()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect()
    })
}

// The parsed files. They are checked in and checked by `spec/extract.py --check`; a file that
// does not parse gives an empty model rather than a panic (every token is then ignored, every
// operation unknown).
static SPEC_VALUES: LazyLock<Vec<serde_json::Value>> = LazyLock::new(|| {
    SPECS
        .iter()
        .filter_map(|text| serde_json::from_str::<serde_json::Value>(text).ok())
        .collect()
});

// Models by (service, name).
static MODELS: LazyLock<HashMap<(String, String), ModelFacts>> = LazyLock::new(|| {
    let mut models = HashMap::new();
    for spec in SPEC_VALUES.iter() {
        let service = spec["service"]["name"].as_str().unwrap_or_default();
        for m in spec["models"].as_array().into_iter().flatten() {
            let Some(name) = m["name"].as_str() else {
                continue;
            };
            let fields = m["fields"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|f| {
                    Some(FieldFacts {
                        wire: f["wire"].as_str()?.to_string(),
                        ty: f["type"].as_str().unwrap_or("object").to_string(),
                        required: f["required"].as_bool().unwrap_or(false),
                        allowed: strings(&f["enum"]),
                        strict: f["enum_unknown"].as_str() == Some("raise"),
                    })
                })
                .collect();
            let discriminator = m["discriminator"].as_object().and_then(|d| {
                let wire = d.get("wire")?.as_str()?.to_string();
                let subtypes = d
                    .get("subtypes")?
                    .as_object()?
                    .iter()
                    .filter_map(|(v, s)| Some((v.clone(), s.as_str()?.to_string())))
                    .collect();
                Some((wire, subtypes))
            });
            models.insert(
                (service.to_string(), name.to_string()),
                ModelFacts {
                    name: name.to_string(),
                    fields,
                    discriminator,
                },
            );
        }
    }
    models
});

/// Model `name` of `service`.
pub fn model(service: &str, name: &str) -> Option<&'static ModelFacts> {
    MODELS.get(&(service.to_string(), name.to_string()))
}

// By name; a name can be in two services (GetWorkRequest is Identity's and Object Storage's).
static MODEL: LazyLock<HashMap<String, Vec<OperationFacts>>> = LazyLock::new(|| {
    let mut ops = HashMap::new();
    for spec in SPEC_VALUES.iter() {
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
                    params: op["parameters"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|p| {
                            Some(ParamFacts {
                                wire: p["wire"].as_str()?.to_string(),
                                location: p["in"].as_str()?.to_string(),
                                ty: p["type"].as_str().unwrap_or("str").to_string(),
                                required: p["required"].as_bool().unwrap_or(false),
                                allowed: strings(&p["enum"]),
                            })
                        })
                        .collect(),
                    body: op["parameters"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .find(|p| p["in"].as_str() == Some("body"))
                        .and_then(|p| p["type"].as_str())
                        .filter(|t| *t != "stream")
                        .map(str::to_string),
                    response: op["response"].as_str().map(str::to_string),
                    paginated: op["pagination"]["style"].as_str() == Some("page"),
                });
        }
    }
    ops
});

/// The facts of operation `name` in every service that has one so named.
pub fn operations(name: &str) -> &'static [OperationFacts] {
    MODEL.get(name).map_or(&[], Vec::as_slice)
}

/// Operation `name` of `service`.
pub fn operation(service: &str, name: &str) -> Option<&'static OperationFacts> {
    operations(name).iter().find(|o| o.service == service)
}

/// Every operation of the model, by service, then name.
pub fn all_operations() -> Vec<&'static OperationFacts> {
    let mut all: Vec<&'static OperationFacts> = MODEL.values().flatten().collect();
    all.sort_by(|a, b| (&a.service, &a.name).cmp(&(&b.service, &b.name)));
    all
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

//! The conventional Identity resources, served from the API model with no handler per
//! resource: compartments, policies, dynamic groups, API keys, auth tokens, customer secret
//! keys, SMTP credentials, Swift passwords, DB credentials, OAuth 2.0 client credentials, MFA
//! TOTP devices, tag namespaces, tags, tag defaults, network sources, identity providers and
//! their group mappings.
//!
//! A *collection* is found in the model, not listed here: a `POST <path>` whose response is a
//! model, next to a `GET <path>` that lists; `GET|PUT|DELETE <path>/{param}` are its get, update
//! and delete. A record stores every field of every response model of its collection; each
//! answer shows the fields of that operation's response model. Create takes the fields of its
//! body model (validated: required fields, types, strict enums), the path parameters and what
//! the conventions say (`id`, `timeCreated`, `lifecycleState: ACTIVE`, empty tags); update
//! applies the fields of its `Update*Details` model, honouring `if-match`.
//!
//! What a model cannot say is in the short fact tables below, each with its source: which names
//! are unique where, OCID types, which resources must live in the tenancy, credentials the
//! service generates and shows once, and what blocks a delete.

use std::sync::LazyLock;

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use crate::keys::{fingerprint, ocid, parse_public_pem, random_base32, random_hex};
use crate::model::{self, FieldFacts, Matched, ModelFacts, OperationFacts};
use crate::server::Ctx;
use crate::state::{
    ApiError, Created, KeyChange, PageToken, Reply, State, paginate, parse_body, rfc3339, seq_key,
};

use super::{check_if_match, list_reply, sort_params};

/// What a generic operation does to its collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verb {
    Create,
    Get,
    Update,
    Delete,
    List,
}

/// A conventional collection of the Identity model.
#[derive(Debug)]
pub(crate) struct Collection {
    /// The collection's path template (`/20160918/users/{userId}/apiKeys`), its key in the state.
    pub path: String,
    /// The path parameters naming its parent (`userId`).
    pub parents: Vec<String>,
    /// The item path parameter (`fingerprint`, `tagName`, `policyId`), when items are addressable.
    pub item_param: Option<String>,
    /// The field a record is keyed by (`id`; `fingerprint` for API keys).
    pub id_field: String,
    /// The field the item parameter is matched against (`id`; `name` for tags).
    pub lookup_field: String,
    /// The resource's model (the create's response model: `Compartment`, `ApiKey`).
    pub kind: String,
    /// The create operation.
    pub create: &'static OperationFacts,
    /// The list operation.
    pub list: &'static OperationFacts,
    /// Get, update and delete, where the API has them.
    pub get: Option<&'static OperationFacts>,
    /// See [`Collection::get`].
    pub update: Option<&'static OperationFacts>,
    /// See [`Collection::get`].
    pub delete: Option<&'static OperationFacts>,
    /// Every field of every response model of the collection (subtypes included).
    pub fields: Vec<FieldFacts>,
}

impl Collection {
    fn has_field(&self, wire: &str) -> bool {
        self.fields.iter().any(|f| f.wire == wire)
    }
}

/// Collections served by the hand-written handlers of `identity/mod.rs` (groups, users and
/// memberships predate the generic engine and have rules of their own).
const HAND_WRITTEN: [&str; 3] = [
    "/20160918/groups",
    "/20160918/users",
    "/20160918/userGroupMemberships",
];

const SERVICE: &str = "identity";

fn response_models(op: &OperationFacts) -> Vec<&'static ModelFacts> {
    let Some(name) = op.response_model() else {
        return Vec::new();
    };
    let Some(m) = model::model(SERVICE, name) else {
        return Vec::new();
    };
    let mut out = vec![m];
    if let Some((_, subtypes)) = &m.discriminator {
        out.extend(
            subtypes
                .iter()
                .filter_map(|(_, s)| model::model(SERVICE, s)),
        );
    }
    out
}

/// The collections of the Identity model, found by the conventions above.
pub(crate) static COLLECTIONS: LazyLock<Vec<Collection>> = LazyLock::new(|| {
    let ops: Vec<&'static OperationFacts> = model::all_operations()
        .into_iter()
        .filter(|o| o.service == SERVICE)
        .collect();
    let mut out = Vec::new();
    for create in ops.iter().filter(|o| o.method == "POST") {
        let segments = create.segments();
        let last_is_literal = segments.last().is_some_and(|s| !s.starts_with('{'));
        let creates_a_model = create
            .response
            .as_deref()
            .is_some_and(|r| !r.starts_with("list["));
        if !last_is_literal || !creates_a_model || HAND_WRITTEN.contains(&create.path.as_str()) {
            continue;
        }
        let Some(list) = ops.iter().find(|o| {
            o.method == "GET"
                && o.path == create.path
                && o.response
                    .as_deref()
                    .is_some_and(|r| r.starts_with("list["))
        }) else {
            continue;
        };
        let item = |method: &str| {
            ops.iter().copied().find(|o| {
                o.method == method
                    && o.path
                        .strip_prefix(create.path.as_str())
                        .is_some_and(|rest| {
                            rest.starts_with("/{")
                                && rest.ends_with('}')
                                && rest[2..].find('/').is_none()
                        })
            })
        };
        let (get, update, delete) = (item("GET"), item("PUT"), item("DELETE"));
        let item_param = [get, update, delete].iter().flatten().next().and_then(|o| {
            o.path
                .rsplit('/')
                .next()
                .map(|p| p.trim_matches(|c| c == '{' || c == '}').to_string())
        });
        let mut fields: Vec<FieldFacts> = Vec::new();
        for op in [Some(*create), Some(*list), get, update]
            .into_iter()
            .flatten()
        {
            for m in response_models(op) {
                for f in &m.fields {
                    if !fields.iter().any(|g| g.wire == f.wire) {
                        fields.push(f.clone());
                    }
                }
            }
        }
        let has = |w: &str| fields.iter().any(|f| f.wire == w);
        // The record's key: `id` when the model has one, otherwise the field the item parameter
        // names (API keys are addressed by `fingerprint`). Without either, the resource is not
        // conventional (region subscriptions) and its operations answer 501.
        let id_field = if has("id") {
            "id".to_string()
        } else if let Some(p) = item_param.as_deref().filter(|p| has(p)) {
            p.to_string()
        } else {
            continue;
        };
        // `{compartmentId}` in `/compartments/{compartmentId}` names the record's `id` (its own
        // `compartmentId` field is its parent's), `{fingerprint}` the field so named, and
        // `{tagName}` a tag's `name`.
        let lookup_field = match item_param.as_deref() {
            Some(p) if p.ends_with("Id") => id_field.clone(),
            Some(p) if has(p) => p.to_string(),
            Some(p) if p.ends_with("Name") && has("name") => "name".to_string(),
            _ => id_field.clone(),
        };
        let parents = segments
            .iter()
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(str::to_string)
            .collect();
        out.push(Collection {
            path: create.path.clone(),
            parents,
            item_param,
            id_field,
            lookup_field,
            kind: create.response_model().unwrap_or_default().to_string(),
            create,
            list,
            get,
            update,
            delete,
            fields,
        });
    }
    out
});

/// The collection and verb of a generic operation (Identity only).
pub(crate) fn lookup(service: &str, op: &str) -> Option<(&'static Collection, Verb)> {
    if service != SERVICE {
        return None;
    }
    COLLECTIONS.iter().find_map(|c| {
        let is = |o: Option<&OperationFacts>| o.is_some_and(|o| o.name == op);
        if c.create.name == op {
            Some((c, Verb::Create))
        } else if c.list.name == op {
            Some((c, Verb::List))
        } else if is(c.get) {
            Some((c, Verb::Get))
        } else if is(c.update) {
            Some((c, Verb::Update))
        } else if is(c.delete) {
            Some((c, Verb::Delete))
        } else {
            None
        }
    })
}

fn collection(kind: &str) -> Option<&'static Collection> {
    COLLECTIONS.iter().find(|c| c.kind == kind)
}

// ---------------------------------------------------------------------------------------------
// Facts the model cannot say

/// The OCID type of each kind, as OCI writes them (`ocid1.<type>.oc1..`): API keys have none
/// (they are keyed by fingerprint); user credentials are all `credential`; a tag is a
/// `tagdefinition`; an identity provider a `saml2idp` (its only protocol). Any other kind: its
/// model name in lower case.
fn ocid_type(kind: &str) -> String {
    match kind {
        "AuthToken"
        | "SmtpCredential"
        | "SwiftPassword"
        | "DbCredential"
        | "OAuth2ClientCredential"
        | "MfaTotpDevice" => "credential".into(),
        "Tag" => "tagdefinition".into(),
        "NetworkSources" => "networksource".into(),
        "IdentityProvider" => "saml2idp".into(),
        other => other.to_ascii_lowercase(),
    }
}

/// How names are unique for a kind. By default a `name` is unique among the records of its
/// collection under the same parent (the tenancy, a user, a tag namespace).
struct NameRule {
    /// Also scoped by `compartmentId`: compartment names are unique within their parent
    /// compartment (CreateCompartmentDetails.name in oci 2.189.0: "The name must be unique
    /// across all compartments in the parent compartment"; the wider wording of
    /// create_compartment's docstring is a known documentation bug,
    /// github.com/oracle/terraform-provider-oci/issues/2116).
    per_compartment: bool,
    /// Compared ignoring case: tag namespaces and tags (create_tag_namespace, create_tag in
    /// oci 2.189.0: "Names are case insensitive").
    case_insensitive: bool,
    /// The 409's code: `CompartmentAlreadyExists` ("A compartment with name 'x' already
    /// exists.", github.com/oracle/terraform-provider-oci/issues/725), `PolicyAlreadyExists`
    /// ("Policy 'x' already exists", github.com/oracle-quickstart/oci-cloudnative/issues/23);
    /// otherwise OCI's documented generic `NotAuthorizedOrResourceAlreadyExists`.
    code: &'static str,
}

fn name_rule(kind: &str) -> NameRule {
    NameRule {
        per_compartment: kind == "Compartment",
        case_insensitive: matches!(kind, "TagNamespace" | "Tag"),
        code: match kind {
            "Compartment" => "CompartmentAlreadyExists",
            "Policy" => "PolicyAlreadyExists",
            _ => "NotAuthorizedOrResourceAlreadyExists",
        },
    }
}

/// Kinds that live in the tenancy (root compartment) only: create_dynamic_group,
/// create_network_source and create_identity_provider (oci 2.189.0) say "You must specify your
/// tenancy's OCID as the compartment ID"; the service answers otherwise `400 InvalidParameter`
/// ("Dynamic group can only be created in the tenancy compartment",
/// github.com/oracle/terraform-provider-oci/issues/2484).
fn tenancy_only(kind: &str) -> bool {
    matches!(kind, "DynamicGroup" | "NetworkSources" | "IdentityProvider")
}

/// Credentials the service generates and shows only in the create's response: AuthToken.token
/// ("available only in the response for `CreateAuthToken`, and not for `ListAuthTokens` or
/// `UpdateAuthToken`", oci 2.189.0), SwiftPassword.password (the same wording),
/// CustomerSecretKey.key, SmtpCredential username and password, OAuth2ClientCredential.password
/// and MfaTotpDevice.seed (their summaries, which lists and gets return, lack them).
fn generated_credential(kind: &str, field: &str) -> bool {
    matches!(
        (kind, field),
        ("AuthToken", "token")
            | ("SwiftPassword", "password")
            | ("CustomerSecretKey", "key")
            | ("SmtpCredential", "username" | "password")
            | ("OAuth2ClientCredential", "password")
            | ("MfaTotpDevice", "seed")
    )
}

/// A path parameter whose value a record carries under another name.
fn parent_field(param: &str) -> &str {
    match param {
        // IdpGroupMapping.idpId is the identityProviderId of its path.
        "identityProviderId" => "idpId",
        other => other,
    }
}

/// "Each user can have a maximum of three API signing keys" (ApiKey, OCI API reference).
const MAX_API_KEYS: usize = 3;

// ---------------------------------------------------------------------------------------------
// Records

/// One stored resource.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub seq: u64,
    /// The values of the collection's parent path parameters, in order.
    pub parents: Vec<String>,
    pub fields: Map<String, Value>,
    pub etag: String,
}

impl Record {
    fn str(&self, wire: &str) -> Option<&str> {
        self.fields.get(wire).and_then(Value::as_str)
    }
}

fn records<'s>(st: &'s State, c: &Collection) -> impl Iterator<Item = (&'s String, &'s Record)> {
    st.generic.get(c.path.as_str()).into_iter().flatten()
}

/// The record `param_value` names in `c` under `parents`.
fn find<'s>(
    st: &'s State,
    c: &Collection,
    parents: &[String],
    value: &str,
) -> Option<(&'s String, &'s Record)> {
    records(st, c).find(|(_, r)| r.parents == parents && r.str(&c.lookup_field) == Some(value))
}

fn not_found(c: &Collection, value: &str) -> ApiError {
    ApiError::not_found_iam(&c.kind, value)
}

/// A view of the entity a path parameter or a reference names, for the fields a child takes
/// from it (`compartmentId`, its `name`). Users are the hand-written handlers'.
fn entity(st: &State, param: &str, value: &str) -> Option<Map<String, Value>> {
    if param == "userId" {
        let u = st.users.get(value)?;
        let mut m = Map::new();
        m.insert("id".into(), json!(u.common.id));
        m.insert("name".into(), json!(u.common.name));
        m.insert("compartmentId".into(), json!(st.tenancy_id));
        return Some(m);
    }
    if param == "groupId" {
        let g = st.groups.get(value)?;
        let mut m = Map::new();
        m.insert("id".into(), json!(g.common.id));
        m.insert("name".into(), json!(g.common.name));
        return Some(m);
    }
    // A body reference (`tagDefinitionId`) names a tag by OCID.
    if param == "tagDefinitionId" {
        let c = collection("Tag")?;
        return records(st, c)
            .find(|(_, r)| r.str("id") == Some(value))
            .map(|(_, r)| r.fields.clone());
    }
    let c = COLLECTIONS
        .iter()
        .find(|c| c.item_param.as_deref() == Some(param))?;
    records(st, c)
        .find(|(_, r)| r.str(&c.lookup_field) == Some(value))
        .map(|(_, r)| r.fields.clone())
}

/// The parent values of a request, checked to exist (404 otherwise).
fn parents_of(st: &State, c: &Collection, m: &Matched) -> Result<Vec<String>, ApiError> {
    let mut out = Vec::new();
    for p in &c.parents {
        let v = m.param(p);
        if entity(st, p, v).is_none() {
            return Err(ApiError::not_found_iam(p.trim_end_matches("Id"), v));
        }
        out.push(v.to_string());
    }
    Ok(out)
}

/// Whether `id` is the tenancy or a compartment that is not deleted.
pub(crate) fn compartment_exists(st: &State, id: &str) -> bool {
    id == st.tenancy_id
        || collection("Compartment").is_some_and(|c| {
            records(st, c)
                .any(|(_, r)| r.str("id") == Some(id) && r.str("lifecycleState") != Some("DELETED"))
        })
}

// ---------------------------------------------------------------------------------------------
// Checking bodies against the model

fn type_ok(ty: &str, v: &Value) -> bool {
    if v.is_null() {
        return true;
    }
    if let Some(inner) = ty.strip_prefix("list[").and_then(|t| t.strip_suffix(']')) {
        return v
            .as_array()
            .is_some_and(|a| a.iter().all(|e| type_ok(inner, e)));
    }
    if let Some(inner) = ty
        .strip_prefix("dict(str, ")
        .and_then(|t| t.strip_suffix(')'))
    {
        return v
            .as_object()
            .is_some_and(|o| o.values().all(|e| type_ok(inner, e)));
    }
    match ty {
        "str" => v.is_string(),
        "int" => v.is_i64() || v.is_u64(),
        "float" => v.is_number(),
        "bool" => v.is_boolean(),
        "object" => true,
        "datetime" => v.as_str().is_some_and(|s| {
            time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).is_ok()
        }),
        // A model: an object (its own fields are the service's business).
        _ => v.is_object(),
    }
}

fn describe(ty: &str) -> &str {
    match ty {
        "str" => "a string",
        "int" => "an integer",
        "float" => "a number",
        "bool" => "a boolean",
        "datetime" => "an RFC 3339 date-time",
        t if t.starts_with("list[") => "an array",
        t if t.starts_with("dict(") => "an object",
        _ => "an object",
    }
}

/// Checks `body` against model `name` (its subtype, for a polymorphic base) and returns the
/// concrete model: required fields present, every known field of its type, enums the SDKs
/// refuse to send outside their values refused too.
fn check_body(
    name: &str,
    body: &Map<String, Value>,
    require: bool,
) -> Result<&'static ModelFacts, ApiError> {
    let base = model::model(SERVICE, name)
        .ok_or_else(|| ApiError::invalid(format!("{name} is not a model of the API")))?;
    let concrete = match &base.discriminator {
        None => base,
        Some((wire, subtypes)) => {
            let value = body
                .get(wire)
                .and_then(Value::as_str)
                .ok_or_else(|| ApiError::missing(wire))?;
            base.subtype_for(SERVICE, body).ok_or_else(|| {
                let known: Vec<&str> = subtypes.iter().map(|(v, _)| v.as_str()).collect();
                ApiError::invalid(format!(
                    "{wire} \"{value}\" is not one of {}",
                    known.join(", ")
                ))
            })?
        }
    };
    for f in &concrete.fields {
        let v = body.get(&f.wire).unwrap_or(&Value::Null);
        if v.is_null() {
            if require && f.required {
                return Err(ApiError::missing(&f.wire));
            }
            continue;
        }
        if !type_ok(&f.ty, v) {
            return Err(ApiError::invalid(format!(
                "{} must be {}",
                f.wire,
                describe(&f.ty)
            )));
        }
        if let (Some(allowed), Some(s)) = (&f.allowed, v.as_str())
            && f.strict
            && !allowed.iter().any(|a| a == s)
        {
            return Err(ApiError::invalid(format!(
                "{} must be one of {}, got \"{s}\"",
                f.wire,
                allowed.join(", ")
            )));
        }
    }
    Ok(concrete)
}

/// The fields of response model `name` for a record (its subtype's, for a polymorphic base).
fn project(record: &Map<String, Value>, name: Option<&str>) -> Value {
    let Some(m) = name.and_then(|n| model::model(SERVICE, n)) else {
        return Value::Object(record.clone());
    };
    let m = m.subtype_for(SERVICE, record).unwrap_or(m);
    let mut out = Map::new();
    for f in &m.fields {
        out.insert(
            f.wire.clone(),
            record.get(&f.wire).cloned().unwrap_or(Value::Null),
        );
    }
    Value::Object(out)
}

fn names_equal(rule: &NameRule, a: &str, b: &str) -> bool {
    if rule.case_insensitive {
        a.eq_ignore_ascii_case(b)
    } else {
        a == b
    }
}

/// 409 when `name` is taken in its scope (see [`NameRule`]), by a record other than `except`.
fn check_name_free(
    st: &State,
    c: &Collection,
    parents: &[String],
    compartment: Option<&str>,
    name: &str,
    except: Option<&str>,
) -> Result<(), ApiError> {
    let rule = name_rule(&c.kind);
    let taken = records(st, c).any(|(id, r)| {
        Some(id.as_str()) != except
            && r.parents == parents
            && r.str("lifecycleState") != Some("DELETED")
            && (!rule.per_compartment || r.str("compartmentId") == compartment)
            && r.str("name").is_some_and(|n| names_equal(&rule, n, name))
    });
    // create_dynamic_group (oci 2.189.0): the name "has to be also unique across all groups in
    // your tenancy".
    let group_clash = c.kind == "DynamicGroup" && st.groups.by_name(name).is_some();
    if taken || group_clash {
        return Err(ApiError::conflict(
            rule.code,
            format!("A {} with name '{name}' already exists", c.kind),
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The operations

/// Serves generic operation `verb` of collection `c`.
pub(crate) fn serve(
    st: &mut State,
    ctx: &Ctx<'_>,
    c: &'static Collection,
    verb: Verb,
    m: &Matched,
) -> Result<Reply, ApiError> {
    match verb {
        Verb::Create => create(st, ctx, c, m),
        Verb::Get => get(st, c, m),
        Verb::Update => update(st, ctx, c, m),
        Verb::Delete => delete(st, ctx, c, m),
        Verb::List => list(st, ctx, c, m),
    }
}

fn item_value<'m>(c: &Collection, m: &'m Matched) -> &'m str {
    c.item_param.as_deref().map_or("", |p| m.param(p))
}

fn entity_reply(value: &Value, etag: &str) -> Reply {
    Reply::json(StatusCode::OK, value).header("etag", etag)
}

fn create(
    st: &mut State,
    ctx: &Ctx<'_>,
    c: &'static Collection,
    m: &Matched,
) -> Result<Reply, ApiError> {
    let parents = parents_of(st, c, m)?;
    let body = match &c.create.body {
        Some(_) => parse_body(ctx.body)?,
        None => Map::new(),
    };
    if let Some(name) = &c.create.body {
        check_body(name, &body, true)?;
    }

    // The compartment a record goes into must exist (and be the tenancy where the docs say so).
    let compartment = body.get("compartmentId").and_then(Value::as_str);
    if let Some(cid) = compartment {
        if tenancy_only(&c.kind) && cid != st.tenancy_id {
            return Err(ApiError::invalid(format!(
                "a {} can only be created in the tenancy compartment ({}), got \"{cid}\"",
                c.kind, st.tenancy_id
            )));
        }
        if !compartment_exists(st, cid) {
            return Err(ApiError::not_found_iam("compartment", cid));
        }
    }
    // References in the body must name something that exists.
    let mut referenced: Vec<(String, Map<String, Value>)> = Vec::new();
    for wire in ["groupId", "tagDefinitionId"] {
        if let Some(v) = body.get(wire).and_then(Value::as_str) {
            let e = entity(st, wire, v).ok_or_else(|| {
                ApiError::bad(
                    "RelatedResourceNotAuthorizedOrNotFound",
                    format!("{v} ({wire}) not found or not authorized"),
                )
            })?;
            referenced.push((wire.trim_end_matches("Id").to_string(), e));
        }
    }
    let parent_entities: Vec<(String, Map<String, Value>)> = c
        .parents
        .iter()
        .zip(&parents)
        .filter_map(|(p, v)| Some((p.trim_end_matches("Id").to_string(), entity(st, p, v)?)))
        .collect();

    if let Some(name) = body.get("name").and_then(Value::as_str) {
        if name.is_empty() || name.chars().count() > 100 {
            return Err(ApiError::invalid(
                "name must be between 1 and 100 characters",
            ));
        }
        check_name_free(st, c, &parents, compartment, name, None)?;
    }

    // API keys: the uploaded public key decides the fingerprint, and the key then signs.
    let mut api_key = None;
    if c.kind == "ApiKey" {
        let pem = body.get("key").and_then(Value::as_str).unwrap_or_default();
        let key = parse_public_pem(pem).map_err(|_| {
            ApiError::invalid("key must be an RSA public key in PEM format (BEGIN PUBLIC KEY)")
        })?;
        // "An API signing key is a PEM-format RSA public/private key pair, at least 2048 bits"
        // (OCI documentation, "Adding an API Public Key to a User Profile").
        if rsa::traits::PublicKeyParts::size(&key) * 8 < 2048 {
            return Err(ApiError::invalid("the key must be at least 2048 bits"));
        }
        let fp = fingerprint(&key).map_err(|e| ApiError::invalid(e.to_string()))?;
        let user = parents.first().cloned().unwrap_or_default();
        let existing: Vec<&Record> = records(st, c)
            .filter(|(_, r)| r.parents == parents)
            .map(|(_, r)| r)
            .collect();
        if existing
            .iter()
            .any(|r| r.str("fingerprint") == Some(fp.as_str()))
        {
            return Err(ApiError::conflict(
                "NotAuthorizedOrResourceAlreadyExists",
                format!("the key with fingerprint {fp} is already uploaded for user {user}"),
            ));
        }
        if existing.len() >= MAX_API_KEYS {
            return Err(ApiError::bad(
                "LimitExceeded",
                format!("user {user} already has the maximum of {MAX_API_KEYS} API keys"),
            ));
        }
        api_key = Some((
            format!("{}/{user}/{fp}", st.tenancy_id),
            fp,
            key,
            pem.to_string(),
        ));
    }

    let seq = st.next_seq();
    let mut fields = Map::new();
    let mut once = Map::new();
    for f in &c.fields {
        let w = f.wire.as_str();
        let from_parent = c
            .parents
            .iter()
            .zip(&parents)
            .find(|(p, _)| parent_field(p) == w)
            .map(|(_, v)| json!(v));
        // From the parent or a referenced entity, only what identifies: a tag takes its
        // namespace's `compartmentId` and `tagNamespaceName`, a tag default its tag's
        // `tagNamespaceId` and `tagDefinitionName` (never their tags or states).
        let from_entities = || {
            parent_entities
                .iter()
                .chain(&referenced)
                .find_map(|(kind, e)| {
                    if w == format!("{kind}Name") {
                        e.get("name").cloned()
                    } else if w != "id" && w.ends_with("Id") {
                        e.get(w).cloned().filter(|v| !v.is_null())
                    } else {
                        None
                    }
                })
        };
        let value = if let Some(v) = body.get(w).filter(|v| !v.is_null()) {
            v.clone()
        } else if let Some(v) = from_parent {
            v
        } else if w == "id" {
            if c.kind == "CustomerSecretKey" {
                // A customer secret key's id is its S3 access key: 40 hex digits.
                json!(random_hex(&mut st.rng, 20))
            } else {
                json!(ocid(&mut st.rng, &ocid_type(&c.kind), ""))
            }
        } else if w == "timeCreated" {
            json!(rfc3339(ctx.now))
        } else if w == "lifecycleState" {
            let state = f
                .allowed
                .as_ref()
                .and_then(|a| a.iter().find(|s| *s == "ACTIVE").or(a.first()))
                .map_or("ACTIVE", String::as_str);
            json!(state)
        } else if let Some((key_id, fp, _, pem)) = &api_key
            && matches!(w, "keyId" | "fingerprint" | "keyValue")
        {
            match w {
                "keyId" => json!(key_id),
                "fingerprint" => json!(fp),
                _ => json!(pem),
            }
        } else if generated_credential(&c.kind, w) {
            let secret = if w == "username" {
                format!(
                    "{}@{}",
                    parents.first().map_or("", String::as_str),
                    st.tenancy_id
                )
            } else {
                random_base32(&mut st.rng, 24)
            };
            once.insert(w.to_string(), json!(secret));
            continue;
        } else if let Some(v) = from_entities() {
            v
        } else if matches!(w, "freeformTags" | "definedTags") {
            json!({})
        } else if f.ty == "bool" && f.required {
            json!(false)
        } else {
            Value::Null
        };
        fields.insert(w.to_string(), value);
    }
    let id = fields
        .get(&c.id_field)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let etag = random_hex(&mut st.rng, 16);
    if let Some((key_id, _, key, _)) = api_key {
        st.key_changes.push(KeyChange::Add(key_id, key));
    }
    let mut shown = fields.clone();
    shown.extend(once);
    let value = project(&shown, c.create.response_model());
    st.generic.entry(c.path.as_str()).or_default().insert(
        id.clone(),
        Record {
            seq,
            parents,
            fields,
            etag: etag.clone(),
        },
    );
    let mut reply = entity_reply(&value, &etag);
    reply.created = Some(Created::Generic(c.path.as_str(), id));
    Ok(reply)
}

fn get(st: &State, c: &Collection, m: &Matched) -> Result<Reply, ApiError> {
    let parents = parents_of(st, c, m)?;
    let value = item_value(c, m);
    let (_, r) = find(st, c, &parents, value).ok_or_else(|| not_found(c, value))?;
    let op = c.get.and_then(OperationFacts::response_model);
    Ok(entity_reply(&project(&r.fields, op), &r.etag))
}

fn update(
    st: &mut State,
    ctx: &Ctx<'_>,
    c: &'static Collection,
    m: &Matched,
) -> Result<Reply, ApiError> {
    let parents = parents_of(st, c, m)?;
    let value = item_value(c, m);
    let (id, r) = find(st, c, &parents, value).ok_or_else(|| not_found(c, value))?;
    let (id, current) = (id.clone(), r.clone());
    check_if_match(ctx, &current.etag)?;
    // A deleted compartment can be read but not changed. Not `409 IncorrectState`: the SDKs
    // retry that code, and a deleted compartment never comes back.
    if current.str("lifecycleState") == Some("DELETED") {
        return Err(not_found(c, value));
    }
    let body = parse_body(ctx.body)?;
    let Some(op) = c.update else {
        return Err(not_found(c, value));
    };
    let details = match &op.body {
        Some(name) => check_body(name, &body, true)?,
        None => return Err(ApiError::invalid("this update takes no body")),
    };
    if let Some(name) = body.get("name").and_then(Value::as_str)
        && details.field("name").is_some()
    {
        if name.is_empty() || name.chars().count() > 100 {
            return Err(ApiError::invalid(
                "name must be between 1 and 100 characters",
            ));
        }
        check_name_free(
            st,
            c,
            &parents,
            current.str("compartmentId"),
            name,
            Some(&id),
        )?;
    }
    let mut fields = current.fields.clone();
    for f in &details.fields {
        if let Some(v) = body.get(&f.wire).filter(|v| !v.is_null())
            && c.has_field(&f.wire)
        {
            fields.insert(f.wire.clone(), v.clone());
        }
    }
    let etag = random_hex(&mut st.rng, 16);
    let value = project(&fields, op.response_model());
    if let Some(r) = st
        .generic
        .get_mut(c.path.as_str())
        .and_then(|recs| recs.get_mut(&id))
    {
        r.fields = fields;
        r.etag = etag.clone();
    }
    Ok(entity_reply(&value, &etag))
}

/// What a compartment still holds, for the 409 of its delete ("To delete a compartment, it must
/// be empty of all resources ... including any policies attached to the compartment", OCI
/// documentation, "Deleting a Compartment").
fn compartment_contents(st: &State, id: &str) -> Vec<String> {
    let mut held = Vec::new();
    for c in COLLECTIONS.iter() {
        let n = records(st, c)
            .filter(|(_, r)| {
                r.str("compartmentId") == Some(id) && r.str("lifecycleState") != Some("DELETED")
            })
            .count();
        if n > 0 {
            held.push(format!("{n} {}", c.kind));
        }
    }
    let buckets = st
        .buckets
        .values()
        .filter(|b| b.compartment_id == id)
        .count();
    if buckets > 0 {
        held.push(format!("{buckets} Bucket"));
    }
    held
}

fn delete(
    st: &mut State,
    ctx: &Ctx<'_>,
    c: &'static Collection,
    m: &Matched,
) -> Result<Reply, ApiError> {
    let parents = parents_of(st, c, m)?;
    let value = item_value(c, m);
    let (id, r) = find(st, c, &parents, value).ok_or_else(|| not_found(c, value))?;
    let (id, current) = (id.clone(), r.clone());
    check_if_match(ctx, &current.etag)?;

    // A record with children (a tag namespace's tags, an identity provider's group mappings)
    // stays: delete_tag_namespace (oci 2.189.0) "Only an empty tag namespace can be deleted".
    if let Some(param) = &c.item_param {
        for child in COLLECTIONS.iter().filter(|k| k.parents.contains(param)) {
            let pos = child.parents.iter().position(|p| p == param).unwrap_or(0);
            let n = records(st, child)
                .filter(|(_, r)| r.parents.get(pos).map(String::as_str) == Some(value))
                .count();
            if n > 0 {
                return Err(ApiError::conflict(
                    "Conflict",
                    format!(
                        "{} {value} cannot be deleted: it still has {n} {}; delete them first",
                        c.kind, child.kind
                    ),
                ));
            }
        }
    }
    // delete_tag (oci 2.189.0): "To delete a tag, you must first retire it."
    if c.kind == "Tag" && current.fields.get("isRetired") != Some(&json!(true)) {
        return Err(ApiError::conflict(
            "Conflict",
            format!(
                "tag {value} must be retired (UpdateTag with isRetired: true) before it is deleted"
            ),
        ));
    }

    if c.kind == "Compartment" {
        if current.str("lifecycleState") == Some("DELETED") {
            return Err(not_found(c, value));
        }
        let held = compartment_contents(st, &id);
        if !held.is_empty() {
            return Err(ApiError::conflict(
                "Conflict",
                format!(
                    "compartment {id} is not empty (it holds {}); delete or move its resources first",
                    held.join(", ")
                ),
            ));
        }
        let parent = current.str("compartmentId").unwrap_or_default().to_string();
        return Ok(soft_delete_compartment(st, ctx, c, &id, &parent));
    }

    if let Some(recs) = st.generic.get_mut(c.path.as_str()) {
        recs.remove(&id);
    }
    if c.kind == "ApiKey"
        && let Some(key_id) = current.str("keyId")
    {
        st.key_changes.push(KeyChange::Remove(key_id.to_string()));
    }
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

/// DeleteCompartment is asynchronous on OCI: it answers `202` with `opc-work-request-id` (the
/// Python SDK's delete_compartment_and_wait_for_state waits on that Identity work request), and
/// "After a compartment is deleted, its state is updated to Deleted and a random string of
/// characters is appended to its name ... Renaming the compartment allows you to reuse the
/// original name" (OCI documentation, "Deleting a Compartment"). Here the work request has
/// already succeeded when the answer leaves.
fn soft_delete_compartment(
    st: &mut State,
    ctx: &Ctx<'_>,
    c: &Collection,
    id: &str,
    parent: &str,
) -> Reply {
    let suffix = random_base32(&mut st.rng, 8);
    let etag = random_hex(&mut st.rng, 16);
    let wr_id = ocid(&mut st.rng, "identityworkrequest", "");
    if let Some(r) = st
        .generic
        .get_mut(c.path.as_str())
        .and_then(|recs| recs.get_mut(id))
    {
        let name = r.str("name").unwrap_or_default().to_string();
        r.fields
            .insert("name".into(), json!(format!("{name}.{suffix}")));
        r.fields.insert("lifecycleState".into(), json!("DELETED"));
        r.etag = etag;
    }
    let now = rfc3339(ctx.now);
    let work_request = json!({
        "id": wr_id,
        "operationType": "DELETE_COMPARTMENT",
        "compartmentId": parent,
        "status": "SUCCEEDED",
        "resources": [{
            "identifier": id,
            "entityType": "compartment",
            "actionType": "DELETED",
            "entityUri": format!("/20160918/compartments/{id}"),
        }],
        "errors": [],
        "logs": [],
        "timeAccepted": now,
        "timeStarted": now,
        "timeFinished": now,
        "percentComplete": 100.0,
    });
    st.iam_work_requests
        .insert(wr_id.clone(), (st.seq, work_request));
    Reply::empty(StatusCode::ACCEPTED).header("opc-work-request-id", wr_id)
}

fn list(st: &State, ctx: &Ctx<'_>, c: &Collection, m: &Matched) -> Result<Reply, ApiError> {
    let parents = parents_of(st, c, m)?;
    let op = c.list;
    let q = ctx.query;
    for p in op.params.iter().filter(|p| p.location == "query") {
        match q.get(&p.wire) {
            None if p.required => return Err(ApiError::missing(&p.wire)),
            Some(v)
                if p.allowed
                    .as_ref()
                    .is_some_and(|a| !a.iter().any(|x| x == v)) =>
            {
                return Err(ApiError::invalid(format!(
                    "{} must be one of {}, got \"{v}\"",
                    p.wire,
                    p.allowed.as_deref().unwrap_or_default().join(", ")
                )));
            }
            _ => {}
        }
    }
    let compartment = q.get("compartmentId");
    if let Some(cid) = compartment
        && !compartment_exists(st, cid)
    {
        return Err(ApiError::not_found_iam("compartment", cid));
    }
    // ListCompartments: compartmentIdInSubtree "applies only when you perform ListCompartments
    // on the tenancy (root compartment). When set to true, the entire hierarchy of compartments
    // can be returned" (list_compartments, oci 2.189.0); elsewhere only direct children.
    let subtree = c.kind == "Compartment"
        && q.get("compartmentIdInSubtree") == Some("true")
        && compartment == Some(st.tenancy_id.as_str());
    let filters: Vec<(&str, &str)> = op
        .params
        .iter()
        .filter(|p| p.location == "query" && c.has_field(&p.wire))
        .filter(|p| !(subtree && p.wire == "compartmentId"))
        .filter_map(|p| Some((p.wire.as_str(), q.get(&p.wire)?)))
        .collect();
    let (by_name, descending) = sort_params(ctx)?;
    let mut keyed: Vec<(String, String)> = records(st, c)
        .filter(|(_, r)| r.parents == parents)
        .filter(|(_, r)| {
            filters.iter().all(|(w, v)| match r.fields.get(*w) {
                Some(Value::String(s)) if *w == "lifecycleState" => s.eq_ignore_ascii_case(v),
                Some(Value::String(s)) => s == v,
                Some(Value::Bool(b)) => b.to_string() == *v,
                _ => false,
            })
        })
        .map(|(id, r)| {
            let key = if by_name {
                format!("{}\u{0}{}", r.str("name").unwrap_or(id), seq_key(r.seq))
            } else {
                seq_key(r.seq)
            };
            (key, id.clone())
        })
        .collect();
    keyed.sort();
    let (ids, next) = if op.paginated {
        let limit = q.limit(ctx.page_size)?;
        let page: Option<PageToken> = q.page()?;
        paginate(&keyed, descending, page.as_ref(), limit, ctx.empty_pages)
    } else {
        let mut ids: Vec<String> = keyed.into_iter().map(|(_, id)| id).collect();
        if descending {
            ids.reverse();
        }
        (ids, None)
    };
    let model = op.response_model();
    let recs = st.generic.get(c.path.as_str());
    let items = ids
        .iter()
        .filter_map(|id| recs.and_then(|r| r.get(id)))
        .map(|r| project(&r.fields, model))
        .collect();
    Ok(list_reply(items, next))
}

/// Registers the emulator's own API key as a record of its user, so ListApiKeys shows it and
/// DeleteApiKey can revoke it.
pub(crate) fn seed_api_key(
    st: &mut State,
    user: &str,
    fingerprint: &str,
    public_pem: &str,
    now: std::time::SystemTime,
) {
    let Some(c) = collection("ApiKey") else {
        return;
    };
    let seq = st.next_seq();
    let etag = random_hex(&mut st.rng, 16);
    let mut fields = Map::new();
    for f in &c.fields {
        let v = match f.wire.as_str() {
            "keyId" => json!(format!("{}/{user}/{fingerprint}", st.tenancy_id)),
            "keyValue" => json!(public_pem),
            "fingerprint" => json!(fingerprint),
            "userId" => json!(user),
            "timeCreated" => json!(rfc3339(now)),
            "lifecycleState" => json!("ACTIVE"),
            _ => Value::Null,
        };
        fields.insert(f.wire.clone(), v);
    }
    st.generic.entry(c.path.as_str()).or_default().insert(
        fingerprint.to_string(),
        Record {
            seq,
            parents: vec![user.to_string()],
            fields,
            etag,
        },
    );
}

/// Removes everything stored under user `user` (their credentials go with them); API keys stop
/// signing.
pub(crate) fn remove_user_children(st: &mut State, user: &str) {
    let mut revoked = Vec::new();
    for c in COLLECTIONS
        .iter()
        .filter(|c| c.parents.first().is_some_and(|p| p == "userId"))
    {
        if let Some(recs) = st.generic.get_mut(c.path.as_str()) {
            recs.retain(|_, r| {
                let mine = r.parents.first().is_some_and(|p| p == user);
                if mine
                    && c.kind == "ApiKey"
                    && let Some(k) = r.str("keyId")
                {
                    revoked.push(k.to_string());
                }
                !mine
            });
        }
    }
    st.key_changes
        .extend(revoked.into_iter().map(KeyChange::Remove));
}

/// Whether a generic record still exists (for retry-token replays).
pub(crate) fn exists(st: &State, path: &str, id: &str) -> bool {
    st.generic
        .get(path)
        .and_then(|r| r.get(id))
        .is_some_and(|r| r.str("lifecycleState") != Some("DELETED"))
}

/// The generic collections, by resource kind.
#[cfg(test)]
fn kinds() -> std::collections::BTreeMap<&'static str, &'static str> {
    COLLECTIONS
        .iter()
        .map(|c| (c.kind.as_str(), c.path.as_str()))
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn the_conventional_collections_are_found_in_the_model() {
        let kinds: Vec<&str> = kinds().keys().copied().collect();
        assert_eq!(
            kinds,
            [
                "ApiKey",
                "AuthToken",
                "Compartment",
                "CustomerSecretKey",
                "DbCredential",
                "DynamicGroup",
                "IdentityProvider",
                "IdpGroupMapping",
                "MfaTotpDevice",
                "NetworkSources",
                "OAuth2ClientCredential",
                "Policy",
                "SmtpCredential",
                "SwiftPassword",
                "Tag",
                "TagDefault",
                "TagNamespace",
            ]
        );
        let tags = collection("Tag").unwrap();
        assert_eq!(tags.parents, ["tagNamespaceId"]);
        assert_eq!(tags.item_param.as_deref(), Some("tagName"));
        assert_eq!(tags.lookup_field, "name");
        let keys = collection("ApiKey").unwrap();
        assert_eq!(keys.id_field, "fingerprint");
        assert!(keys.get.is_none() && keys.update.is_none());
        assert_eq!(keys.delete.unwrap().name, "DeleteApiKey");
        let idp = collection("IdentityProvider").unwrap();
        assert!(idp.has_field("metadataUrl"), "subtype fields are stored");
        assert_eq!(lookup("identity", "UpdateTag").unwrap().1, Verb::Update);
        assert!(lookup("identity", "CreateGroup").is_none());
        assert!(lookup("identity", "CreateRegionSubscription").is_none());
        assert!(lookup("object_storage", "ListBuckets").is_none());
    }

    #[test]
    fn bodies_are_checked_against_their_model() {
        let body = |v: Value| v.as_object().cloned().unwrap();
        let ok = body(
            json!({"compartmentId": "c", "name": "n", "description": "", "statements": ["allow"]}),
        );
        assert!(check_body("CreatePolicyDetails", &ok, true).is_ok());
        let missing = body(json!({"compartmentId": "c", "name": "n", "description": ""}));
        assert_eq!(
            check_body("CreatePolicyDetails", &missing, true)
                .unwrap_err()
                .code,
            "MissingParameter"
        );
        let wrong = body(
            json!({"compartmentId": "c", "name": "n", "description": "", "statements": "allow"}),
        );
        assert_eq!(
            check_body("CreatePolicyDetails", &wrong, true)
                .unwrap_err()
                .code,
            "InvalidParameter"
        );
        let saml = body(
            json!({"protocol": "SAML2", "compartmentId": "c", "name": "n",
            "description": "", "productType": "IDCS", "metadataUrl": "u", "metadata": "m"}),
        );
        assert_eq!(
            check_body("CreateIdentityProviderDetails", &saml, true)
                .unwrap()
                .name,
            "CreateSaml2IdentityProviderDetails"
        );
        let bad_enum = body(
            json!({"protocol": "SAML2", "compartmentId": "c", "name": "n",
            "description": "", "productType": "OKTA", "metadataUrl": "u", "metadata": "m"}),
        );
        assert!(check_body("CreateIdentityProviderDetails", &bad_enum, true).is_err());
    }
}

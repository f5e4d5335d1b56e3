//! The API model as `spec/<service>.json` holds it (see `spec/README.md` for every field).

use std::collections::BTreeMap;

use serde::Deserialize;

/// One service file.
#[derive(Debug, Clone, Deserialize)]
pub struct Spec {
    pub source: Source,
    pub service: ServiceSpec,
    pub operations: Vec<Op>,
    pub models: Vec<Model>,
}

/// Where the facts came from.
#[derive(Debug, Clone, Deserialize)]
pub struct Source {
    pub package: String,
    pub version: String,
}

/// The service's metadata, shared by its clients (or per client).
#[derive(Debug, Clone, Deserialize)]
pub struct ServiceSpec {
    pub name: String,
    pub clients: Vec<ClientSpec>,
}

/// One client class of the service.
#[derive(Debug, Clone, Deserialize)]
pub struct ClientSpec {
    pub client: String,
    pub service_name: String,
    pub base_path: String,
    pub endpoint_template: String,
    pub endpoint_template_per_realm: BTreeMap<String, String>,
    /// `false`: the official SDK takes the endpoint from the caller (KmsCrypto, Stream).
    pub regional: bool,
}

/// One operation.
#[derive(Debug, Clone, Deserialize)]
pub struct Op {
    pub name: String,
    /// The client class the operation belongs to.
    pub client: String,
    pub method: String,
    pub http_method: String,
    pub path: String,
    pub api_reference: String,
    pub parameters: Vec<Param>,
    pub response: Option<String>,
    pub retry_token: bool,
    pub sign_body: bool,
    pub request_stream: bool,
    pub response_stream: bool,
    pub pagination: Option<Pagination>,
    pub accept: Option<String>,
}

/// One parameter of an operation.
#[derive(Debug, Clone, Deserialize)]
pub struct Param {
    pub name: String,
    pub wire: Option<String>,
    #[serde(rename = "in")]
    pub location: String,
    #[serde(rename = "type")]
    pub ty: String,
    pub required: bool,
    pub collection_format: Option<String>,
    #[serde(rename = "enum")]
    pub values: Option<Vec<String>>,
    pub enum_source: Option<String>,
    pub prefix_dict: bool,
}

/// How a list operation pages.
#[derive(Debug, Clone, Deserialize)]
pub struct Pagination {
    pub style: String,
    pub items: Option<String>,
    pub field: Option<String>,
    pub token_field: Option<String>,
    pub token_param: Option<String>,
}

/// One model.
#[derive(Debug, Clone, Deserialize)]
pub struct Model {
    pub name: String,
    pub fields: Vec<Field>,
    pub discriminator: Option<Discriminator>,
    pub parent: Option<Parent>,
}

/// One field of a model.
#[derive(Debug, Clone, Deserialize)]
pub struct Field {
    pub name: String,
    pub wire: String,
    #[serde(rename = "type")]
    pub ty: String,
    pub required: bool,
    #[serde(rename = "enum")]
    pub values: Option<Vec<String>>,
}

/// The field whose value picks the subtype of a polymorphic model.
#[derive(Debug, Clone, Deserialize)]
pub struct Discriminator {
    pub field: String,
    pub wire: String,
    pub subtypes: serde_json::Map<String, serde_json::Value>,
}

/// The polymorphic base of a subtype and the discriminator value that selects it.
#[derive(Debug, Clone, Deserialize)]
pub struct Parent {
    pub name: String,
    /// `None` when the base has no discriminator (a plain subclass).
    pub value: Option<String>,
}

impl Spec {
    /// Renames model `from` to `to` everywhere the model refers to it: the model, field,
    /// parameter and response types, subtypes and parents.
    pub fn rename_model(&mut self, from: &str, to: &str) {
        let retype = |ty: &mut String| *ty = rename_in_type(ty, from, to);
        for op in &mut self.operations {
            for p in &mut op.parameters {
                retype(&mut p.ty);
            }
            if let Some(r) = &mut op.response {
                retype(r);
            }
        }
        for m in &mut self.models {
            if m.name == from {
                m.name = to.to_string();
            }
            for f in &mut m.fields {
                retype(&mut f.ty);
            }
            if let Some(d) = &mut m.discriminator {
                for v in d.subtypes.values_mut() {
                    if v.as_str() == Some(from) {
                        *v = serde_json::Value::String(to.to_string());
                    }
                }
            }
            if let Some(p) = &mut m.parent
                && p.name == from
            {
                p.name = to.to_string();
            }
        }
        self.models.sort_by(|a, b| a.name.cmp(&b.name));
    }
}

/// `ty` with every name token equal to `from` replaced by `to` (`list[Option]`).
fn rename_in_type(ty: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(ty.len());
    let mut token = String::new();
    let flush = |token: &mut String, out: &mut String| {
        out.push_str(if token == from { to } else { token });
        token.clear();
    };
    for c in ty.chars() {
        if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
            token.push(c);
        } else {
            flush(&mut token, &mut out);
            out.push(c);
        }
    }
    flush(&mut token, &mut out);
    out
}

//! The API model as `spec/<service>.json` holds it (see `spec/README.md` for every field).

use std::collections::BTreeMap;

use serde::Deserialize;

/// One service file.
#[derive(Debug, Deserialize)]
pub struct Spec {
    pub source: Source,
    pub service: ServiceSpec,
    pub operations: Vec<Op>,
    pub models: Vec<Model>,
}

/// Where the facts came from.
#[derive(Debug, Deserialize)]
pub struct Source {
    pub package: String,
    pub version: String,
}

/// The service's metadata, shared by its clients (or per client).
#[derive(Debug, Deserialize)]
pub struct ServiceSpec {
    pub name: String,
    pub clients: Vec<ClientSpec>,
}

/// One client class of the service.
#[derive(Debug, Deserialize)]
pub struct ClientSpec {
    pub client: String,
    pub base_path: String,
    pub endpoint_template: String,
    pub endpoint_template_per_realm: BTreeMap<String, String>,
}

/// One operation.
#[derive(Debug, Deserialize)]
pub struct Op {
    pub name: String,
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
#[derive(Debug, Deserialize)]
pub struct Pagination {
    pub style: String,
    pub items: Option<String>,
    pub field: Option<String>,
    pub token_field: Option<String>,
    pub token_param: Option<String>,
}

/// One model.
#[derive(Debug, Deserialize)]
pub struct Model {
    pub name: String,
    pub fields: Vec<Field>,
    pub discriminator: Option<Discriminator>,
    pub parent: Option<Parent>,
}

/// One field of a model.
#[derive(Debug, Deserialize)]
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
#[derive(Debug, Deserialize)]
pub struct Discriminator {
    pub field: String,
    pub wire: String,
    pub subtypes: serde_json::Map<String, serde_json::Value>,
}

/// The polymorphic base of a subtype and the discriminator value that selects it.
#[derive(Debug, Deserialize)]
pub struct Parent {
    pub name: String,
    pub value: String,
}

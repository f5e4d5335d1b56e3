//! spec → Rust: the models, operations, service client and crate root of one service crate.
//!
//! Everything written is built from the model's facts (names, wire names, types, methods,
//! paths, links); no prose is copied. The output is plain text that `rustfmt` then formats.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

mod examples;

use crate::names::{ident, pascal, snake, variant};
use crate::spec::{Field, Model, Op, Param, Spec};
use crate::types::{Ty, parse};

/// What the model cannot say about a service, written by hand in its `src/overrides.rs`.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    /// Operations whose output is decoded from the response head by a hand-written function:
    /// (operation, output type, function path taking `(status, headers)`).
    pub outputs: Vec<(&'static str, &'static str, &'static str)>,
    /// Wire names of path parameters that are object names (`/` kept, dot segments encoded).
    pub object_name_params: Vec<&'static str>,
    /// Whether the crate has a hand-written `src/overrides.rs`.
    pub module: bool,
}

/// Which operations' examples are compiled as doctests.
#[derive(Debug, Default, Clone)]
pub enum Doctests {
    /// None: every example is marked `ignore` (a crate without `ocisdk-blocking` to compile
    /// them against, such as the standalone ones of `codegen-crate`).
    #[default]
    None,
    /// These operations', plus as few others as it takes (chosen in a fixed order) for the
    /// compiled ones together to use every form any example of the crate uses.
    Covering(Vec<&'static str>),
}

/// How one service crate is named and described.
#[derive(Debug, Clone)]
pub struct Config {
    /// The package name (`ocisdk-identity`).
    pub crate_name: String,
    /// The spec file it is generated from (for the header of every file).
    pub spec_file: String,
    /// A title for the crate docs (`Identity and Access Management`).
    pub title: String,
    pub overrides: Overrides,
    /// Which examples are compiled (the crate then needs `ocisdk-blocking` as a dev-dependency).
    pub doctests: Doctests,
}

impl Config {
    fn lib_name(&self) -> String {
        self.crate_name.replace('-', "_")
    }
}

/// Generated files, by path relative to the crate directory.
pub type Files = BTreeMap<String, String>;

/// Something the generator cannot express, reported rather than papered over.
#[derive(Debug, Default)]
pub struct Report {
    pub unsupported: Vec<String>,
    /// The operations that got a `ListOperation` impl (they can be walked page by page).
    pub list_operations: BTreeSet<String>,
    /// The forms each operation's example uses (see `codegen/examples.rs`).
    pub example_features: BTreeMap<String, BTreeSet<&'static str>>,
    /// The operations whose examples are compiled as doctests.
    pub doctests: BTreeSet<String>,
}

struct Gen<'a> {
    spec: &'a Spec,
    cfg: &'a Config,
    models: BTreeSet<String>,
    by_name: BTreeMap<&'a str, &'a Model>,
    ops: BTreeSet<String>,
    clients: Vec<ClientGen>,
    /// Operation name → index in `clients`.
    op_client: BTreeMap<String, usize>,
    /// Models that contain themselves by value (directly or through others), by cycle.
    cycles: BTreeMap<String, usize>,
    /// Every generated enum by Rust name: its values, and whether it belongs to an operation
    /// (else to a model), for the examples.
    enums: BTreeMap<String, (Vec<String>, bool)>,
    report: Report,
}

/// One client class of the official SDK, as generated: a service client struct and a
/// `Service` constant. A package with one class (Identity, Object Storage) has `SERVICE`; one
/// with several (core: Blockstorage, Compute, ComputeManagement, VirtualNetwork) has one
/// constant per class, because each class is its own service to the SDK (its own service
/// name, regionality and, in principle, base path and endpoint).
#[derive(Debug, Clone)]
struct ClientGen {
    /// The struct, named as the official class (`IdentityClient`, `ComputeClient`).
    class: String,
    /// The `Service` constant in the crate root (`SERVICE`, `COMPUTE_SERVICE`).
    constant: String,
    /// `Service::name`: the package (`identity`) for a one-class package, else the package and
    /// the class's service name (`core.compute`), unique across packages.
    service_name: String,
    /// The path prefix, empty for `/`.
    base_path: String,
    endpoint_template: String,
    per_realm: Vec<(String, String)>,
    /// `false`: the official SDK requires the caller's endpoint (no template is used).
    regional: bool,
}

/// The endpoint template of a non-regional client: no region fills it, so
/// `Endpoints::for_region` fails with this text and the caller must give the endpoint
/// (`Endpoints::with` or `Endpoints::single`), as the official SDK requires.
const NON_REGIONAL_TEMPLATE: &str =
    "{non-regional service: give its endpoint with Endpoints::with}";

/// Names a model file uses unqualified: the prelude's types and traits it names, and its imports.
const SHADOWED: &[&str] = &[
    "Option",
    "Result",
    "Vec",
    "String",
    "Box",
    "Default",
    "From",
    "BTreeMap",
    "OffsetDateTime",
    "Serialize",
    "Deserialize",
];

/// How every generated file starts (and how the generator recognises its own files).
pub const HEADER_START: &str = "// Generated by `cargo xtask codegen`";
const HEADER: &str = HEADER_START;

/// Generates every file of the service crate.
pub fn generate(spec: &Spec, cfg: &Config) -> Result<(Files, Report), String> {
    // A model named as a type its own file uses unqualified (mysql's `Option`) would shadow
    // it there: such models get `Model` appended.
    let renamed;
    let spec = if spec
        .models
        .iter()
        .any(|m| SHADOWED.contains(&m.name.as_str()))
    {
        let mut copy = spec.clone();
        for from in SHADOWED {
            if copy.models.iter().any(|m| m.name == *from) {
                let mut to = format!("{from}Model");
                while copy.models.iter().any(|m| m.name == to) {
                    to.push_str("Model");
                }
                copy.rename_model(from, &to);
            }
        }
        renamed = copy;
        &renamed
    } else {
        spec
    };
    if spec.service.clients.is_empty() {
        return Err(format!("{}: no client in the spec", spec.service.name));
    }
    let single = spec.service.clients.len() == 1;
    let clients: Vec<ClientGen> = spec
        .service
        .clients
        .iter()
        .map(|c| ClientGen {
            class: c.client.clone(),
            constant: if single {
                "SERVICE".to_string()
            } else {
                let stem = c.client.strip_suffix("Client").unwrap_or(&c.client);
                format!("{}_SERVICE", snake(stem).to_ascii_uppercase())
            },
            service_name: if single {
                spec.service.name.clone()
            } else {
                format!("{}.{}", spec.service.name, c.service_name)
            },
            base_path: match c.base_path.as_str() {
                "/" => String::new(),
                other => other.trim_end_matches('/').to_string(),
            },
            endpoint_template: c.endpoint_template.clone(),
            per_realm: c
                .endpoint_template_per_realm
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            regional: c.regional,
        })
        .collect();
    let mut report = Report::default();
    let mut op_client = BTreeMap::new();
    for op in &spec.operations {
        let index = match clients.iter().position(|c| c.class == op.client) {
            Some(i) => i,
            None => {
                report.unsupported.push(format!(
                    "{}: client {} is not in service.clients; put in {}",
                    op.name, op.client, clients[0].class
                ));
                0
            }
        };
        op_client.insert(op.name.clone(), index);
    }
    let mut g = Gen {
        spec,
        cfg,
        models: spec.models.iter().map(|m| m.name.clone()).collect(),
        by_name: spec.models.iter().map(|m| (m.name.as_str(), m)).collect(),
        ops: spec.operations.iter().map(|o| o.name.clone()).collect(),
        clients,
        op_client,
        cycles: by_value_cycles(spec),
        enums: BTreeMap::new(),
        report,
    };
    let mut files = Files::new();
    let mut model_mods = Vec::new();
    let mut model_exports = Vec::new();
    for model in &spec.models {
        let (code, exports) = g.model(model)?;
        let module = snake(&model.name);
        files.insert(format!("src/models/{module}.rs"), code);
        model_mods.push(module);
        model_exports.extend(exports);
    }
    files.insert(
        "src/models/mod.rs".into(),
        g.mod_file(&model_mods, "models"),
    );
    let mut op_mods = Vec::new();
    for op in &spec.operations {
        let module = snake(&op.name);
        files.insert(format!("src/operations/{module}.rs"), g.operation(op)?);
        op_mods.push(module);
    }
    g.report.doctests = choose_doctests(&cfg.doctests, &g.report.example_features)?;
    for op in &spec.operations {
        let fence = if g.report.doctests.contains(&op.name) {
            examples::FENCE_COMPILED
        } else {
            examples::FENCE_IGNORED
        };
        if let Some(text) = files.get_mut(&format!("src/operations/{}.rs", snake(&op.name))) {
            *text = text.replace(examples::FENCE_PLACEHOLDER, fence);
        }
    }
    files.insert(
        "src/operations/mod.rs".into(),
        g.mod_file(&op_mods, "operations"),
    );
    files.insert("src/client.rs".into(), g.client());
    files.insert("src/dynamic.rs".into(), g.dynamic());
    files.insert("src/lib.rs".into(), g.lib(&model_exports));
    Ok((files, g.report))
}

impl Gen<'_> {
    fn header(&self) -> String {
        format!(
            "{HEADER} from `{}` ({} {}). Do not edit: edit the model (or the generator) and regenerate.\n\n",
            self.cfg.spec_file, self.spec.source.package, self.spec.source.version
        )
    }

    /// Whether a field of `holder` of model type `held` closes a cycle of by-value models
    /// (and so must be boxed).
    fn recursive(&self, holder: &str, held: &str) -> bool {
        matches!((self.cycles.get(holder), self.cycles.get(held)), (Some(a), Some(b)) if a == b)
    }

    /// The enum of a model field's values: `{Model}{Field}` (`UserLifecycleState`), with `Enum`
    /// appended when a model already has that name (fleet_apps_management `Patch.type` and
    /// the model `PatchType`).
    fn field_enum_name(&self, model: &str, field: &str) -> String {
        let mut name = format!("{model}{}", pascal(field));
        while self.models.contains(&name) {
            name.push_str("Enum");
        }
        name
    }

    /// The client class `op` belongs to.
    fn client_of(&self, op: &Op) -> &ClientGen {
        let index = self.op_client.get(&op.name).copied().unwrap_or(0);
        &self.clients[index]
    }

    fn mod_file(&self, modules: &[String], what: &str) -> String {
        let mut s = self.header();
        let _ = writeln!(
            s,
            "//! The {what} of the {} API, one file each.\n",
            self.cfg.title
        );
        for m in modules {
            let _ = writeln!(s, "mod {};", ident(m));
        }
        s.push('\n');
        for m in modules {
            let _ = writeln!(s, "pub use {}::*;", ident(m));
        }
        s
    }

    fn ty(&mut self, raw: &str, at: &str) -> Ty {
        match parse(raw) {
            Some(t) => known_models(t, &self.models),
            None => {
                self.report.unsupported.push(format!(
                    "{at}: type `{raw}` is not in the grammar; kept as JSON"
                ));
                Ty::Object
            }
        }
    }

    // ----- models -------------------------------------------------------------------------

    fn model(&mut self, model: &Model) -> Result<(String, Vec<String>), String> {
        let mut s = self.header();
        let _ = writeln!(s, "//! `{}`.\n", model.name);
        s.push_str("#[allow(unused_imports)]\nuse std::collections::BTreeMap;\n\n");
        s.push_str("#[allow(unused_imports)]\nuse ocisdk_core::export::serde_json;\n");
        s.push_str("#[allow(unused_imports)]\nuse ocisdk_core::export::time::OffsetDateTime;\n");
        if model.discriminator.is_some() {
            s.push_str("use ocisdk_core::export::serde::{self, Deserialize, Serialize};\n\n");
        } else {
            s.push_str("use ocisdk_core::export::serde::{Deserialize, Serialize};\n\n");
        }
        let mut exports = vec![model.name.clone()];
        if let Some(disc) = &model.discriminator {
            self.polymorphic(model, disc, &mut s);
            return Ok((s, exports));
        }
        // Field types, with enums named after the model and field.
        let mut fields = Vec::new();
        for f in &model.fields {
            let mut ty = self.ty(&f.ty, &format!("{}.{}", model.name, f.name));
            if let Some(values) = &f.values
                && matches!(ty, Ty::Str | Ty::List(_))
            {
                let name = self.field_enum_name(&model.name, &f.name);
                write_enum(
                    &mut s,
                    &name,
                    values,
                    &format!("`{}` of [`{}`]", f.wire, model.name),
                );
                self.enums.insert(name.clone(), (values.clone(), false));
                exports.push(name.clone());
                ty = ty.with_enum(&name);
            }
            if ty == Ty::Stream {
                // A raw body inside JSON means nothing; the official SDK passes the value on.
                self.report.unsupported.push(format!(
                    "{}.{}: type `stream` in a model; kept as JSON",
                    model.name, f.name
                ));
                ty = Ty::Object;
            }
            if let Ty::Model(held) = &ty
                && self.recursive(&model.name, held)
            {
                ty = Ty::Boxed(Box::new(ty));
            }
            fields.push((f, ty));
        }
        let discriminated: Option<(&str, &str)> = model.parent.as_ref().and_then(|p| {
            let base = self.by_name.get(p.name.as_str())?;
            let disc = base.discriminator.as_ref()?;
            Some((disc.field.as_str(), p.value.as_deref()?))
        });
        let _ = writeln!(
            s,
            "/// `{}`, a model of the {} API.",
            model.name, self.cfg.title
        );
        match &model.parent {
            Some(crate::spec::Parent {
                name: parent,
                value: Some(value),
            }) => {
                let _ = write!(
                    s,
                    "///\n/// The `{value}` subtype of [`{parent}`](super::{parent}).\n"
                );
            }
            // A subclass no discriminator value selects (its base has no `get_subtype`): a
            // model of its own, as the official SDK deserialises it.
            Some(crate::spec::Parent { name: parent, .. }) => {
                let _ = write!(
                    s,
                    "///\n/// A subclass of [`{parent}`](super::{parent}) that no discriminator value selects.\n"
                );
            }
            None => {}
        }
        let required: Vec<&str> = fields
            .iter()
            .filter(|(f, _)| f.required)
            .map(|(f, _)| f.wire.as_str())
            .collect();
        if !required.is_empty() {
            let _ = write!(
                s,
                "///\n/// Required: {}.\n",
                required
                    .iter()
                    .map(|w| format!("`{w}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        // A derived Default unless a required timestamp (the epoch) or a subtype's
        // discriminator value needs saying.
        let manual_default = discriminated.is_some()
            || fields
                .iter()
                .any(|(f, ty)| f.required && ty.datetime_shape() == Some("plain"));
        if manual_default {
            s.push_str("#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]\n");
        } else {
            s.push_str("#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]\n");
        }
        s.push_str("#[serde(crate = \"ocisdk_core::export::serde\")]\n#[non_exhaustive]\n");
        let _ = writeln!(s, "pub struct {} {{", model.name);
        for (f, ty) in &fields {
            self.struct_field(&mut s, model, f, ty)?;
        }
        s.push_str("}\n\n");
        // Default: required fields at their defaults, the discriminator at its value.
        if manual_default {
            let _ = writeln!(s, "impl Default for {} {{", model.name);
            s.push_str("    fn default() -> Self {\n        Self {\n");
            for (f, ty) in &fields {
                let value = match discriminated {
                    // The subtype's value, whether or not the model calls the field required.
                    Some((field, value)) if field == f.name && f.required => {
                        format!("{value:?}.into()")
                    }
                    Some((field, value)) if field == f.name => format!("Some({value:?}.into())"),
                    _ if f.required => ty.default_expr(&self.models),
                    _ => "None".to_string(),
                };
                let _ = writeln!(s, "            {}: {value},", ident(&f.name));
            }
            s.push_str("        }\n    }\n}\n\n");
        }
        // `new` with the required fields, setters for the optional ones.
        let _ = writeln!(s, "impl {} {{", model.name);
        let args: Vec<&(&Field, Ty)> = fields
            .iter()
            .filter(|(f, _)| f.required && discriminated.is_none_or(|(d, _)| d != f.name))
            .collect();
        let _ = writeln!(
            s,
            "    /// A `{}` with its required fields; the others are unset (see the setters).",
            model.name
        );
        if args.len() > 7 {
            s.push_str("    #[allow(clippy::too_many_arguments)]\n");
        }
        let params: Vec<String> = args
            .iter()
            .map(|(f, ty)| format!("{}: {}", ident(&f.name), self.arg_ty(ty)))
            .collect();
        let _ = writeln!(s, "    pub fn new({}) -> Self {{", params.join(", "));
        let _ = writeln!(s, "        Self {{");
        for (f, ty) in &args {
            let _ = writeln!(s, "            {},", init(&f.name, ty));
        }
        s.push_str("            ..Default::default()\n        }\n    }\n");
        for (f, ty) in fields.iter().filter(|(f, _)| !f.required) {
            let _ = writeln!(s, "\n    /// Sets `{}`.", f.wire);
            let _ = writeln!(
                s,
                "    pub fn {}(mut self, value: {}) -> Self {{",
                ident(&f.name),
                self.arg_ty(ty)
            );
            let _ = writeln!(
                s,
                "        self.{} = Some({});\n        self\n    }}",
                ident(&f.name),
                convert("value", ty)
            );
        }
        s.push_str("}\n");
        Ok((s, exports))
    }

    fn struct_field(
        &mut self,
        s: &mut String,
        model: &Model,
        f: &Field,
        ty: &Ty,
    ) -> Result<(), String> {
        let rust = ty.rust(&self.models, "super::");
        let shape = ty.datetime_shape();
        if shape == Some("unsupported") {
            return Err(format!(
                "{}.{}: timestamps inside maps are not supported",
                model.name, f.name
            ));
        }
        let doc = if f.required {
            format!("`{}` (required).", f.wire)
        } else {
            format!("`{}`.", f.wire)
        };
        let _ = writeln!(s, "    /// {doc}");
        let mut attrs = vec![format!("rename = {:?}", f.wire)];
        let field_ty = if f.required {
            match shape {
                Some("plain") => {
                    attrs.push("default = \"ocisdk_core::model::epoch\"".into());
                    attrs.push("with = \"ocisdk_core::model::timestamp\"".into());
                }
                Some(_) => {
                    attrs.push("default".into());
                    attrs.push("with = \"ocisdk_core::model::timestamp::list\"".into());
                }
                None => {
                    attrs.push("default".into());
                    attrs.push("deserialize_with = \"ocisdk_core::model::null_default\"".into());
                }
            }
            rust
        } else {
            attrs.push("default".into());
            attrs.push("skip_serializing_if = \"Option::is_none\"".into());
            match shape {
                Some("plain") => {
                    attrs.push("with = \"ocisdk_core::model::timestamp::option\"".into())
                }
                Some(_) => {
                    attrs.push("with = \"ocisdk_core::model::timestamp::list_option\"".into())
                }
                None => {}
            }
            format!("Option<{rust}>")
        };
        let _ = writeln!(s, "    #[serde({})]", attrs.join(", "));
        let _ = writeln!(s, "    pub {}: {field_ty},", ident(&f.name));
        Ok(())
    }

    fn arg_ty(&self, ty: &Ty) -> String {
        match ty {
            Ty::Str | Ty::Date => "impl Into<String>".into(),
            Ty::Boxed(inner) => self.arg_ty(inner),
            Ty::Model(n) if !self.models.contains(n) => "impl Into<String>".into(),
            other => other.rust(&self.models, "super::"),
        }
    }

    /// The variants of a polymorphic model: (variant, discriminator value, subtype model).
    fn variants(&self, disc: &crate::spec::Discriminator) -> Vec<(String, String, String)> {
        let mut variants = Vec::new();
        let mut used = BTreeSet::new();
        for (value, sub) in &disc.subtypes {
            let Some(sub) = sub.as_str() else { continue };
            if !self.models.contains(sub) {
                continue;
            }
            let mut v = variant(value);
            while !used.insert(v.clone()) {
                v.push('_');
            }
            variants.push((v, value.clone(), sub.to_string()));
        }
        variants
    }

    fn polymorphic(&mut self, model: &Model, disc: &crate::spec::Discriminator, s: &mut String) {
        let name = &model.name;
        let _ = writeln!(
            s,
            "/// `{name}`, a model of the {} API: one of its subtypes, chosen by `{}`.",
            self.cfg.title, disc.wire
        );
        // The unknown variant is small; boxing the subtypes would only make matching clumsier.
        s.push_str("#[derive(Debug, Clone, PartialEq)]\n#[non_exhaustive]\n#[allow(clippy::large_enum_variant)]\n");
        let _ = writeln!(s, "pub enum {name} {{");
        for (value, sub) in &disc.subtypes {
            if let Some(sub) = sub.as_str()
                && !self.models.contains(sub)
            {
                self.report.unsupported.push(format!(
                    "{name}: subtype {sub} for {value:?} is not a model; kept as JSON"
                ));
            }
        }
        let variants = self.variants(disc);
        for (v, value, sub) in &variants {
            let _ = writeln!(
                s,
                "    /// `{}` = `{value}`: [`{sub}`](super::{sub}).",
                disc.wire
            );
            let _ = writeln!(s, "    {v}(super::{sub}),");
        }
        let _ = writeln!(
            s,
            "    /// A `{}` this SDK does not know: the JSON as the service sent it.",
            disc.wire
        );
        s.push_str("    UnknownValue(serde_json::Value),\n}\n\n");
        let _ = writeln!(
            s,
            "impl Default for {name} {{\n    fn default() -> Self {{\n        {name}::UnknownValue(serde_json::Value::Null)\n    }}\n}}\n"
        );
        for (v, _, sub) in &variants {
            let _ = writeln!(
                s,
                "impl From<super::{sub}> for {name} {{\n    fn from(value: super::{sub}) -> Self {{\n        {name}::{v}(value)\n    }}\n}}\n"
            );
        }
        let _ = writeln!(s, "impl Serialize for {name} {{");
        s.push_str("    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {\n        match self {\n");
        for (v, _, _) in &variants {
            let _ = writeln!(
                s,
                "            {name}::{v}(inner) => inner.serialize(serializer),"
            );
        }
        let _ = writeln!(
            s,
            "            {name}::UnknownValue(value) => value.serialize(serializer),\n        }}\n    }}\n}}\n"
        );
        let _ = writeln!(s, "impl<'de> Deserialize<'de> for {name} {{");
        s.push_str("    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {\n");
        s.push_str("        let value = serde_json::Value::deserialize(deserializer)?;\n");
        let _ = writeln!(
            s,
            "        let kind = value.get({:?}).and_then(serde_json::Value::as_str);",
            disc.wire
        );
        s.push_str("        match kind {\n");
        for (v, value, _) in &variants {
            let _ = writeln!(
                s,
                "            Some({value:?}) => serde_json::from_value(value).map({name}::{v}).map_err(serde::de::Error::custom),"
            );
        }
        let _ = writeln!(
            s,
            "            _ => Ok({name}::UnknownValue(value)),\n        }}\n    }}\n}}"
        );
    }

    // ----- operations ---------------------------------------------------------------------

    fn output(&mut self, op: &Op) -> (String, String) {
        if let Some((_, ty, f)) = self
            .cfg
            .overrides
            .outputs
            .iter()
            .find(|(name, _, _)| *name == op.name)
        {
            return (format!("crate::{ty}"), format!("{f}(status, headers)"));
        }
        match op.response.as_deref() {
            None | Some("stream") => ("()".into(), "Ok(())".into()),
            // The body as it came (the official SDK returns `response.content`).
            Some("bytes") => (
                "ocisdk_core::export::bytes::Bytes".into(),
                "Ok(body)".into(),
            ),
            Some(raw) => {
                let ty = self.ty(raw, &format!("{} response", op.name));
                let rust = ty.rust(&self.models, "models::");
                (
                    rust.clone(),
                    "ocisdk_core::operation::decode_json(Self::NAME, headers, &body)".into(),
                )
            }
        }
    }

    fn param_ty(&mut self, op: &Op, p: &Param, enums: &mut String) -> Ty {
        if p.prefix_dict {
            return Ty::Map(Box::new(Ty::Str));
        }
        let ty = self.ty(&p.ty, &format!("{}.{}", op.name, p.name));
        let wants_enum = match p.enum_source.as_deref() {
            Some("check") => true,
            // Documented values of headers and paths are still their only values; a query
            // value such as ListObjects `fields` lists names allowed *inside* the value.
            Some("docstring") => p.location != "query",
            _ => false,
        };
        match &p.values {
            Some(values) if wants_enum && matches!(ty, Ty::Str | Ty::List(_)) => {
                let name = format!("{}{}", op.name, pascal(&p.name));
                self.enums.insert(name.clone(), (values.clone(), true));
                write_enum(
                    enums,
                    &name,
                    values,
                    &format!(
                        "`{}` of [`{}`]",
                        p.wire.as_deref().unwrap_or(&p.name),
                        op.name
                    ),
                );
                ty.with_enum(&name)
            }
            _ => ty,
        }
    }

    fn operation(&mut self, op: &Op) -> Result<String, String> {
        let name = &op.name;
        let mut s = self.header();
        let _ = writeln!(s, "//! `{name}`.\n");
        s.push_str("#[allow(unused_imports)]\nuse std::collections::BTreeMap;\n\n");
        s.push_str("use ocisdk_core::export::bytes::Bytes;\nuse ocisdk_core::export::http::{HeaderMap, Method, StatusCode};\n");
        s.push_str("#[allow(unused_imports)]\nuse ocisdk_core::export::time::OffsetDateTime;\n");
        s.push_str("use ocisdk_core::export::serde::Deserialize;\n");
        s.push_str("#[allow(unused_imports)]\nuse ocisdk_core::export::serde_json;\n");
        s.push_str("use ocisdk_core::operation::{Operation, RequestPlan};\nuse ocisdk_core::{Error, Service};\n\n");
        s.push_str("#[allow(unused_imports)]\nuse crate::models;\n\n");
        // Fields: every parameter but a streamed body and the length of one (the transport's).
        let mut enums = String::new();
        // A raw request body streams from the caller's source, unless the response streams
        // too (Functions InvokeFunction): a transport call streams one way, so that body is
        // held in memory (and signed, as the official SDK does).
        let upload = op.request_stream && !op.response_stream;
        let buffered = op.request_stream && op.response_stream;
        let stream_length = |p: &Param| {
            upload
                && p.location == "header"
                && p.wire
                    .as_deref()
                    .is_some_and(|w| w.eq_ignore_ascii_case("content-length"))
        };
        let mut fields: Vec<(Param, Ty)> = Vec::new();
        for p in &op.parameters {
            if p.ty == "stream" {
                if buffered && p.location == "body" {
                    fields.push((p.clone(), Ty::Enum("Vec<u8>".into())));
                }
                continue;
            }
            let ty = self.param_ty(op, p, &mut enums);
            let mut p = p.clone();
            // The official SDK measures a stream it was given; a streaming transport must be
            // told the length up front, so here it is required.
            let ty = if stream_length(&p) {
                p.required = true;
                Ty::Enum("u64".into())
            } else {
                ty
            };
            fields.push((p, ty));
        }
        // The core sends a streamed body with the `content-length` its plan declares; an
        // operation whose model has no such header parameter (the official SDK measures the
        // stream) gets one here.
        if upload && !fields.iter().any(|(p, _)| stream_length(p)) {
            if fields.iter().any(|(p, _)| p.name == "content_length") {
                return Err(format!(
                    "{name}: a streamed body and a `content_length` parameter that is not its length"
                ));
            }
            let length = Param {
                name: "content_length".into(),
                wire: Some("Content-Length".into()),
                location: "header".into(),
                ty: "int".into(),
                required: true,
                collection_format: None,
                values: None,
                enum_source: None,
                prefix_dict: false,
            };
            // Before the optional parameters, as the required ones are.
            let at = fields.iter().take_while(|(p, _)| p.required).count();
            fields.insert(at, (length, Ty::Enum("u64".into())));
        }
        let fields: Vec<(&Param, Ty)> = fields.iter().map(|(p, t)| (p, t.clone())).collect();
        s.push_str(&enums);
        let (output, parse) = self.output(op);
        let client = self.client_of(op).clone();
        let path = format!("{}{}", client.base_path, op.path);
        let _ = writeln!(s, "/// `{name}`: `{} {path}`.", op.http_method);
        s.push_str("///\n");
        if !op.api_reference.is_empty() {
            let _ = writeln!(s, "/// [API reference]({}).", op.api_reference);
            s.push_str("///\n");
        }
        let client_method = format!("{}::{}", client.class, op.method);
        let _ = writeln!(
            s,
            "/// Sent with [`{client_method}`](crate::{client_method}), or `send` on any transport's client."
        );
        let _ = writeln!(s, "/// {}", output_doc(&output));
        if op.retry_token {
            s.push_str("/// Takes an `opc-retry-token`: every attempt of a call carries the same one (generated when unset).\n");
        }
        if upload {
            s.push_str("/// The body streams from the caller's source, unsigned, of exactly `content_length` bytes.\n");
        }
        if buffered {
            s.push_str(
                "/// The raw request body is held in memory (the response is what streams).\n",
            );
        }
        if op.response_stream {
            s.push_str("/// The response body streams to the caller.\n");
        }
        // The example is written once the pagination is known (below).
        s.push_str("///\n/// # Example\n///\n/// Every parameter with a placeholder value (keep the ones you need): the required ones in\n/// `new`, the optional ones through their setters, and so for the body's model.\n///\n");
        s.push_str(EXAMPLE_PLACEHOLDER);
        if fields.iter().any(|(p, _)| p.required) {
            s.push_str("#[derive(Debug, Clone, PartialEq, Deserialize)]\n");
        } else {
            s.push_str("#[derive(Debug, Clone, PartialEq, Default, Deserialize)]\n");
        }
        s.push_str("#[serde(crate = \"ocisdk_core::export::serde\", rename_all = \"camelCase\")]\n#[non_exhaustive]\n");
        let _ = writeln!(s, "pub struct {name} {{");
        for (p, ty) in &fields {
            let rust = ty.rust(&self.models, "models::");
            let wire = p.wire.as_deref().unwrap_or("body");
            let place = match p.location.as_str() {
                "body" => "the request body".to_string(),
                "path" => format!("path `{wire}`"),
                "query" => format!("query `{wire}`"),
                _ if p.prefix_dict => format!("headers `{wire}<key>`"),
                _ => format!("header `{wire}`"),
            };
            let mut doc = format!("{place}{}.", if p.required { " (required)" } else { "" });
            if let Some(values) = &p.values
                && matches!(ty, Ty::Str)
            {
                doc.push_str(&format!(
                    " Values: {}.",
                    values
                        .iter()
                        .map(|v| format!("`{v}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            if stream_length(p) {
                doc.push_str(" The exact length of the streamed body.");
            }
            let _ = writeln!(s, "    /// {doc}");
            let datetime = ty.datetime_shape();
            if p.required {
                if datetime == Some("plain") {
                    s.push_str("    #[serde(deserialize_with = \"ocisdk_core::model::timestamp::deserialize\")]\n");
                }
                let _ = writeln!(s, "    pub {}: {rust},", ident(&p.name));
            } else {
                match datetime {
                    Some("plain") => s.push_str("    #[serde(default, deserialize_with = \"ocisdk_core::model::timestamp::option::deserialize\")]\n"),
                    Some(_) => return Err(format!("{name}.{}: timestamp lists as parameters", p.name)),
                    None => s.push_str("    #[serde(default)]\n"),
                }
                let _ = writeln!(s, "    pub {}: Option<{rust}>,", ident(&p.name));
            }
        }
        s.push_str("}\n\n");
        // new + setters
        let _ = writeln!(s, "impl {name} {{");
        let required: Vec<&(&Param, Ty)> = fields.iter().filter(|(p, _)| p.required).collect();
        let _ = writeln!(
            s,
            "    /// A `{name}` request with its required parameters; set optional ones with the setters."
        );
        if required.len() > 7 {
            s.push_str("    #[allow(clippy::too_many_arguments)]\n");
        }
        let args: Vec<String> = required
            .iter()
            .map(|(p, ty)| format!("{}: {}", ident(&p.name), self.op_arg_ty(ty)))
            .collect();
        let _ = writeln!(s, "    pub fn new({}) -> Self {{", args.join(", "));
        let _ = writeln!(s, "        Self {{");
        for (p, ty) in &fields {
            if p.required {
                let _ = writeln!(s, "            {},", init(&p.name, ty));
            } else {
                let _ = writeln!(s, "            {}: None,", ident(&p.name));
            }
        }
        s.push_str("        }\n    }\n");
        for (p, ty) in fields.iter().filter(|(p, _)| !p.required) {
            let _ = writeln!(
                s,
                "\n    /// Sets {}.",
                p.wire
                    .as_deref()
                    .map_or("the request body".to_string(), |w| format!("`{w}`"))
            );
            let _ = writeln!(
                s,
                "    pub fn {}(mut self, value: {}) -> Self {{",
                ident(&p.name),
                self.op_arg_ty(ty)
            );
            let _ = writeln!(
                s,
                "        self.{} = Some({});\n        self\n    }}",
                ident(&p.name),
                convert("value", ty)
            );
        }
        s.push_str("}\n\n");
        // Operation
        let _ = writeln!(s, "impl Operation for {name} {{");
        let _ = writeln!(s, "    type Output = {output};");
        let _ = writeln!(s, "    const NAME: &'static str = {name:?};");
        let _ = writeln!(
            s,
            "    const SERVICE: &'static Service = &crate::{};",
            client.constant
        );
        if !op.sign_body {
            s.push_str("    const SIGN_BODY: bool = false;\n");
        }
        if op.response_stream {
            s.push_str("    const STREAM_RESPONSE: bool = true;\n");
        }
        if op.retry_token {
            s.push_str("    const RETRY_TOKEN: bool = true;\n");
        }
        s.push_str("\n    fn plan(&self) -> Result<RequestPlan, Error> {\n");
        // Path
        let mut template = path.clone();
        let mut path_args = Vec::new();
        for (p, ty) in fields.iter().filter(|(p, _)| p.location == "path") {
            let wire = p.wire.clone().unwrap_or_default();
            let placeholder = format!("{{{wire}}}");
            if !template.contains(&placeholder) {
                return Err(format!("{name}: path {path} has no {placeholder}"));
            }
            template = template.replace(&placeholder, "{}");
            let field = ident(&p.name);
            if matches!(ty, Ty::Str) {
                let _ = writeln!(
                    s,
                    "        ocisdk_core::operation::require(Self::NAME, {:?}, &self.{field})?;",
                    p.name
                );
            }
            let value = if matches!(ty, Ty::Str) {
                format!("&self.{field}")
            } else {
                format!("&ocisdk_core::model::ParamValue::to_param(&self.{field})")
            };
            let encode = if self
                .cfg
                .overrides
                .object_name_params
                .contains(&wire.as_str())
            {
                "encode_object_name"
            } else {
                "encode_segment"
            };
            path_args.push(format!("ocisdk_core::endpoint::{encode}({value})"));
        }
        if template.contains('{') && path_args.len() != template.matches("{}").count() {
            return Err(format!(
                "{name}: path {path} has placeholders without parameters"
            ));
        }
        let path_expr = if path_args.is_empty() {
            format!("{template:?}.to_string()")
        } else {
            format!("format!({template:?}, {})", path_args.join(", "))
        };
        let plan_at = s.len();
        let mut uses_stream_len = None;
        for (p, ty) in &fields {
            let field = ident(&p.name);
            let wire = p.wire.clone().unwrap_or_default();
            match p.location.as_str() {
                "query" => match ty {
                    Ty::List(_) => {
                        let format = match p.collection_format.as_deref() {
                            Some("csv") => "Csv",
                            _ => "Multi",
                        };
                        if p.required {
                            let _ = writeln!(
                                s,
                                "        plan.query_list({wire:?}, &self.{field}, ocisdk_core::model::CollectionFormat::{format});"
                            );
                        } else {
                            let _ = writeln!(
                                s,
                                "        if let Some(values) = &self.{field} {{\n            plan.query_list({wire:?}, values, ocisdk_core::model::CollectionFormat::{format});\n        }}"
                            );
                        }
                    }
                    _ if p.required => {
                        let _ = writeln!(s, "        plan.query({wire:?}, &self.{field});");
                    }
                    _ => {
                        let _ = writeln!(
                            s,
                            "        plan.query_opt({wire:?}, self.{field}.as_ref());"
                        );
                    }
                },
                "header" if stream_length(p) => {
                    uses_stream_len = Some(field.clone());
                }
                "header" if p.prefix_dict => {
                    let _ = writeln!(
                        s,
                        "        if let Some(entries) = &self.{field} {{\n            plan.prefix_headers(Self::NAME, {wire:?}, entries)?;\n        }}"
                    );
                }
                "header" => {
                    let wire_lower = wire.to_ascii_lowercase();
                    if matches!(ty, Ty::List(_)) {
                        // The official SDK joins a list header's values with commas.
                        let join = "iter().map(ocisdk_core::model::ParamValue::to_param).collect::<Vec<_>>().join(\",\")";
                        if p.required {
                            let _ = writeln!(
                                s,
                                "        plan.header(Self::NAME, {wire_lower:?}, &self.{field}.{join})?;"
                            );
                        } else {
                            let _ = writeln!(
                                s,
                                "        if let Some(values) = &self.{field} {{\n            plan.header(Self::NAME, {wire_lower:?}, &values.{join})?;\n        }}"
                            );
                        }
                    } else if p.required {
                        let _ = writeln!(
                            s,
                            "        plan.header(Self::NAME, {wire_lower:?}, &self.{field})?;"
                        );
                    } else {
                        let _ = writeln!(
                            s,
                            "        plan.header_opt(Self::NAME, {wire_lower:?}, self.{field}.as_ref())?;"
                        );
                    }
                }
                "body" if p.ty == "stream" => {
                    let bytes = "ocisdk_core::operation::RequestBody::Bytes(Bytes::from";
                    if p.required {
                        let _ = writeln!(s, "        plan.body = {bytes}(self.{field}.clone()));");
                    } else {
                        let _ = writeln!(
                            s,
                            "        if let Some(body) = &self.{field} {{\n            plan.body = {bytes}(body.clone()));\n        }}"
                        );
                    }
                }
                "body" => {
                    if p.required {
                        let _ = writeln!(s, "        plan.json_body(Self::NAME, &self.{field})?;");
                    } else {
                        let _ = writeln!(
                            s,
                            "        if let Some(body) = &self.{field} {{\n            plan.json_body(Self::NAME, body)?;\n        }}"
                        );
                    }
                }
                _ => {}
            }
        }
        if upload {
            let Some(field) = uses_stream_len else {
                return Err(format!(
                    "{name}: a streamed body without a Content-Length parameter"
                ));
            };
            let _ = writeln!(
                s,
                "        plan.body = ocisdk_core::operation::RequestBody::Stream {{ length: self.{field} }};"
            );
        }
        if let Some(accept) = &op.accept {
            let _ = writeln!(
                s,
                "        plan.header(Self::NAME, \"accept\", {accept:?})?;"
            );
        }
        let binding = if s.len() > plan_at {
            "let mut plan"
        } else {
            "let plan"
        };
        s.insert_str(
            plan_at,
            &format!(
                "        {binding} = RequestPlan::new(Method::{}, {path_expr});\n",
                op.http_method
            ),
        );
        s.push_str("        Ok(plan)\n    }\n");
        // Pagination by body token.
        let mut list_impl = String::new();
        if let Some(pg) = &op.pagination {
            self.pagination(op, pg, &fields, &output, &mut s, &mut list_impl)?;
        }
        let uses_body = parse.contains("body");
        let _ = writeln!(
            s,
            "\n    fn parse(&self, status: StatusCode, headers: &HeaderMap, {}body: Bytes) -> Result<{output}, Error> {{",
            if uses_body { "" } else { "_" }
        );
        if !parse.contains("status") {
            s.push_str("        let _ = status;\n");
        }
        if !parse.contains("headers") {
            s.push_str("        let _ = headers;\n");
        }
        let _ = writeln!(s, "        {parse}\n    }}\n}}");
        if !list_impl.is_empty() {
            self.report.list_operations.insert(op.name.clone());
        }
        s.push_str(&list_impl);
        let (example, features) = self.example(
            op,
            &fields,
            &client.class,
            &output,
            upload,
            !list_impl.is_empty(),
        );
        let doc: String = example
            .lines()
            .map(|l| {
                if l.is_empty() {
                    "///\n".to_string()
                } else {
                    format!("/// {l}\n")
                }
            })
            .collect();
        s = s.replacen(EXAMPLE_PLACEHOLDER, &doc, 1);
        self.report
            .example_features
            .insert(op.name.clone(), features);
        Ok(s)
    }

    fn op_arg_ty(&self, ty: &Ty) -> String {
        match ty {
            Ty::Str | Ty::Date => "impl Into<String>".into(),
            Ty::Model(n) if !self.models.contains(n) => "impl Into<String>".into(),
            other => other.rust(&self.models, "models::"),
        }
    }

    fn pagination(
        &mut self,
        op: &Op,
        pg: &crate::spec::Pagination,
        fields: &[(&Param, Ty)],
        output: &str,
        s: &mut String,
        list_impl: &mut String,
    ) -> Result<(), String> {
        let name = &op.name;
        let has = |n: &str| fields.iter().any(|(p, _)| p.name == n);
        let token_field = match pg.style.as_str() {
            "page" => "page".to_string(),
            "start" => pg.token_param.clone().unwrap_or_else(|| "start".into()),
            other => {
                self.report
                    .unsupported
                    .push(format!("{name}: pagination style {other}"));
                return Ok(());
            }
        };
        if !has(&token_field) {
            self.report
                .unsupported
                .push(format!("{name}: no `{token_field}` parameter to page with"));
            return Ok(());
        }
        let response_model = op
            .response
            .as_deref()
            .and_then(|r| self.by_name.get(r).copied());
        let (item, into) = match pg.items.as_deref() {
            Some("list") => {
                let inner = output
                    .strip_prefix("Vec<")
                    .and_then(|r| r.strip_suffix('>'))
                    .ok_or_else(|| format!("{name}: list pagination over {output}"))?;
                (inner.to_string(), "data".to_string())
            }
            Some("field") => {
                let field_name = pg.field.clone().unwrap_or_default();
                let Some(model) = response_model else {
                    return Err(format!("{name}: items field of a non-model response"));
                };
                let Some(f) = model.fields.iter().find(|f| f.name == field_name) else {
                    return Err(format!("{name}: {} has no field {field_name}", model.name));
                };
                let ty = self.ty(&f.ty, &format!("{}.{}", model.name, f.name));
                let ty = match (&f.values, &ty) {
                    (Some(_), Ty::Str | Ty::List(_)) => ty.with_enum(&format!(
                        "models::{}",
                        self.field_enum_name(&model.name, &f.name)
                    )),
                    _ => ty,
                };
                let Ty::List(inner) = ty else {
                    return Err(format!("{name}: items field {field_name} is not a list"));
                };
                let item = inner.rust(&self.models, "models::");
                let take = |f: &Field, data: &str| {
                    if f.required {
                        format!("{data}.{}", ident(&f.name))
                    } else {
                        format!("{data}.{}.unwrap_or_default()", ident(&f.name))
                    }
                };
                let access = match &model.discriminator {
                    None => take(f, "data"),
                    // A polymorphic response: every subtype has the field (subtypes repeat
                    // their base's fields); an unknown one is read from its JSON.
                    Some(_) if f.values.is_some() => {
                        self.report.unsupported.push(format!(
                            "{name}: items field {field_name} of polymorphic {} is an enum per subtype; not paginated",
                            model.name
                        ));
                        return Ok(());
                    }
                    Some(disc) => {
                        let mut arms = String::new();
                        for (v, _, sub) in self.variants(disc) {
                            let Some(sf) = self
                                .by_name
                                .get(sub.as_str())
                                .and_then(|m| m.fields.iter().find(|sf| sf.name == field_name))
                            else {
                                return Err(format!(
                                    "{name}: subtype {sub} has no field {field_name}"
                                ));
                            };
                            let _ = writeln!(
                                arms,
                                "            models::{}::{v}(data) => {},",
                                model.name,
                                take(sf, "data")
                            );
                        }
                        format!(
                            "match data {{\n{arms}            models::{}::UnknownValue(value) => value.get({:?}).cloned().and_then(|items| serde_json::from_value(items).ok()).unwrap_or_default(),\n        }}",
                            model.name, f.wire
                        )
                    }
                };
                (item, access)
            }
            _ => {
                self.report
                    .unsupported
                    .push(format!("{name}: pagination without a known item list"));
                return Ok(());
            }
        };
        if pg.style == "start" {
            let token_wire = pg.token_field.clone().unwrap_or_default();
            let Some(model) = response_model else {
                return Err(format!("{name}: body token of a non-model response"));
            };
            let Some(f) = model.fields.iter().find(|f| f.wire == token_wire) else {
                return Err(format!("{name}: {} has no {token_wire}", model.name));
            };
            let access = if f.required {
                format!(
                    "Some(data.{}.clone()).filter(|t| !t.is_empty())",
                    ident(&f.name)
                )
            } else {
                format!("data.{}.clone()", ident(&f.name))
            };
            let _ = writeln!(
                s,
                "\n    /// The next page starts at the body's `{token_wire}`.\n    fn next_page(_headers: &HeaderMap, data: &{output}) -> Option<String> {{\n        {access}\n    }}"
            );
        }
        let (limit_get, limit_set) = if has("limit") {
            (
                "self.limit.and_then(|l| u32::try_from(l).ok())".to_string(),
                "self.limit = limit.map(i64::from);".to_string(),
            )
        } else {
            ("None".to_string(), "let _ = limit;".to_string())
        };
        let _ = write!(
            list_impl,
            "\nimpl ocisdk_core::paginate::ListOperation for {name} {{\n    type Item = {item};\n\n    fn set_page(&mut self, token: Option<String>) {{\n        self.{} = token;\n    }}\n\n    fn limit(&self) -> Option<u32> {{\n        {limit_get}\n    }}\n\n    fn set_limit(&mut self, limit: Option<u32>) {{\n        {limit_set}\n    }}\n\n    fn into_items(data: {output}) -> Vec<{item}> {{\n        {into}\n    }}\n}}\n",
            ident(&token_field)
        );
        Ok(())
    }

    // ----- client and crate root ------------------------------------------------------------

    fn client(&mut self) -> String {
        let title = self.cfg.title.clone();
        let mut s = self.header();
        if let [only] = self.clients.as_slice() {
            let _ = writeln!(
                s,
                "//! [`{}`]: every operation of the {title} API as a method.\n",
                only.class
            );
        } else {
            let _ = writeln!(
                s,
                "//! The service clients of the {title} API, one per client class of the official SDK\n//! ({}): each has its class's operations as methods.\n",
                self.clients
                    .iter()
                    .map(|c| format!("[`{}`]", c.class))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        s.push_str("use ocisdk_core::Response;\nuse ocisdk_core::error::Error;\nuse ocisdk_core::paginate::ListOperation;\n#[allow(unused_imports)]\nuse ocisdk_core::transport::{Streamed, Transport};\n\n#[allow(unused_imports)]\nuse crate::models;\nuse crate::operations::*;\n\n");
        let clients = self.clients.clone();
        let single = clients.len() == 1;
        for (index, c) in clients.iter().enumerate() {
            if index > 0 {
                s.push('\n');
            }
            let client = &c.class;
            let what = if single {
                format!("The {title} API")
            } else {
                format!("The {title} API's `{client}` operations")
            };
            let _ = write!(
                s,
                "/// {what} on any transport's client `C` (blocking, async, browser): one method per\n/// operation, named as in the official SDKs. Each method returns what `C` returns for a\n/// call: the result itself on the blocking client, a future of it on the async ones.\n#[derive(Debug, Clone)]\npub struct {client}<C> {{\n    client: C,\n}}\n\n"
            );
            let _ = writeln!(s, "impl<C: Transport> {client}<C> {{");
            let _ = writeln!(s, "    /// {what} through `client`.");
            s.push_str("    pub fn new(client: C) -> Self {\n        Self { client }\n    }\n\n");
            s.push_str("    /// The transport's client this one calls through.\n    pub fn transport(&self) -> &C {\n        &self.client\n    }\n\n");
            s.push_str("    /// Every record of a list, across pages (an `Iterator` or a `Stream`).\n    pub fn paginate<O: ListOperation>(&self, request: O) -> C::Records<O> {\n        self.client.paginate(request)\n    }\n\n");
            s.push_str("    /// The pages of a list, each with its response metadata.\n    pub fn pages<O: ListOperation>(&self, request: O) -> C::Pages<O> {\n        self.client.pages(request)\n    }\n");
            let ops: Vec<&Op> = self
                .spec
                .operations
                .iter()
                .filter(|op| self.op_client.get(&op.name) == Some(&index))
                .collect();
            for op in ops {
                let (output, _) = self.output(op);
                let _ = write!(
                    s,
                    "\n    /// [`{name}`]: `{} {}{}`. Its parameters, and an example, are on [`{name}`].\n",
                    op.http_method,
                    c.base_path,
                    op.path,
                    name = op.name
                );
                let method = ident(&op.method);
                if op.request_stream && !op.response_stream {
                    let _ = writeln!(
                        s,
                        "    ///\n    /// `body` holds exactly the `content_length` bytes the request declares.\n    pub fn {method}<'a>(&self, request: {}, body: impl Into<C::Upload<'a>>) -> C::Out<Result<Response<{output}>, Error>> {{\n        self.client.send_upload(request, body.into())\n    }}",
                        op.name
                    );
                } else if op.response_stream {
                    let _ = writeln!(
                        s,
                        "    ///\n    /// The body streams as it arrives.\n    pub fn {method}(&self, request: {}) -> C::Out<Result<Streamed<{output}, C::Download>, Error>> {{\n        self.client.send_download(request)\n    }}",
                        op.name
                    );
                } else {
                    let _ = writeln!(
                        s,
                        "    pub fn {method}(&self, request: {}) -> C::Out<Result<Response<{output}>, Error>> {{\n        self.client.send(request)\n    }}",
                        op.name
                    );
                }
            }
            s.push_str("}\n");
        }
        s
    }

    fn dynamic(&self) -> String {
        let mut s = self.header();
        let _ = writeln!(
            s,
            "//! Operations and models by name, for callers that know them only at run time (the\n//! JavaScript API, conformance tests).\n"
        );
        s.push_str("use ocisdk_core::Error;\nuse ocisdk_core::export::serde_json;\nuse ocisdk_core::operation::{VisitListOperation, VisitModel, VisitOperation, from_params};\n\n#[allow(unused_imports)]\nuse crate::models;\nuse crate::operations::*;\n\n");
        let names: Vec<String> = self
            .spec
            .operations
            .iter()
            .map(|o| format!("{:?}", o.name))
            .collect();
        let _ = writeln!(
            s,
            "/// Every operation of the service, by its name in the API reference.\npub const OPERATIONS: &[&str] = &[{}];\n",
            names.join(", ")
        );
        let models: Vec<String> = self
            .spec
            .models
            .iter()
            .map(|m| format!("{:?}", m.name))
            .collect();
        let _ = writeln!(
            s,
            "/// Every model of the service.\npub const MODELS: &[&str] = &[{}];\n",
            models.join(", ")
        );
        s.push_str("/// Builds operation `name` from its parameters as JSON (camelCase names) and hands it to\n/// `visitor`; an unknown name or bad parameters are an error naming them.\npub fn visit_operation<V: VisitOperation>(name: &str, params: serde_json::Value, visitor: V) -> Result<V::Output, Error> {\n    match name {\n");
        for op in &self.spec.operations {
            let _ = writeln!(
                s,
                "        {:?} => Ok(visitor.visit(from_params::<{}>(params)?)),",
                op.name, op.name
            );
        }
        let _ = writeln!(
            s,
            "        _ => Err(Error::InvalidRequest {{ operation: \"?\", reason: format!(\"the {} API has no operation {{name:?}}\") }}),\n    }}\n}}\n",
            self.cfg.title
        );
        let lists: Vec<&String> = self.report.list_operations.iter().collect();
        let _ = writeln!(
            s,
            "/// The operations that list page by page.\npub const LIST_OPERATIONS: &[&str] = &[{}];\n",
            lists
                .iter()
                .map(|n| format!("{n:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        s.push_str("/// Builds list operation `name` from its parameters as JSON and hands it to `visitor` (to\n/// walk its pages); an unknown name or one that does not list is an error naming it.\npub fn visit_list_operation<V: VisitListOperation>(name: &str, params: serde_json::Value, visitor: V) -> Result<V::Output, Error> {\n    match name {\n");
        for n in &lists {
            let _ = writeln!(
                s,
                "        {n:?} => Ok(visitor.visit(from_params::<{n}>(params)?)),"
            );
        }
        let _ = writeln!(
            s,
            "        _ => Err(Error::InvalidRequest {{ operation: \"?\", reason: format!(\"the {} API has no list operation {{name:?}}\") }}),\n    }}\n}}\n",
            self.cfg.title
        );
        s.push_str("/// Hands model `name`'s type to `visitor`; `None` for a name the service has no model of.\npub fn visit_model<V: VisitModel>(name: &str, visitor: V) -> Option<V::Output> {\n    match name {\n");
        for m in &self.spec.models {
            let _ = writeln!(
                s,
                "        {:?} => Some(visitor.visit::<models::{}>()),",
                m.name, m.name
            );
        }
        s.push_str("        _ => None,\n    }\n}\n");
        s
    }

    fn lib(&self, model_exports: &[String]) -> String {
        let spec = self.spec;
        let first = &self.clients[0];
        let single = self.clients.len() == 1;
        let mut s = self.header();
        let lib = self.cfg.lib_name();
        let same = |f: fn(&ClientGen) -> &str| self.clients.iter().all(|c| f(c) == f(first));
        let base = if !same(|c| &c.base_path) {
            "several path prefixes".to_string()
        } else if first.base_path.is_empty() {
            "/".to_string()
        } else {
            first.base_path.clone()
        };
        let senders = if single {
            format!("[`{}`] sends them", first.class)
        } else {
            format!(
                "the service clients ({}) send them",
                self.clients
                    .iter()
                    .map(|c| format!("[`{}`]", c.class))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let endpoint = if !self.clients.iter().all(|c| c.regional) {
            if single {
                "Endpoint: given by the caller (a non-regional service, see [`SERVICE`])."
                    .to_string()
            } else {
                "Endpoints: see the `*_SERVICE` constants (some services are non-regional: the\n//! caller gives their endpoint).".to_string()
            }
        } else if same(|c| &c.endpoint_template) {
            format!("Public endpoint: `{}`.", first.endpoint_template)
        } else {
            "Public endpoints: see the `*_SERVICE` constants.".to_string()
        };
        let _ = write!(
            s,
            "//! The {title} API (`{base}`), generated from the API model `{file}` (facts of the\n//! official `{pkg}` Python package {ver}): {ops} operations, {models} models.\n//!\n//! Every operation is a request type in this crate ([`operations`]) with its required\n//! parameters in `new` and optional ones as setters; {senders} through any\n//! transport's client (`ocisdk-blocking`, `ocisdk-hyper`, `ocisdk-wasm`), and so does the\n//! client's own `send`. Models are in [`models`]. Pure: no I/O, only `ocisdk-core`.\n//!\n//! Each request type's docs show it with every parameter and sent through the blocking client\n//! (for example [`{example}`]); a method's result is a [`Response`](ocisdk_core::Response)\n//! (`data`, `status`, `opc_request_id`, `etag`, `next_page`) or an [`Error`](ocisdk_core::Error),\n//! which says what it is without matching its variants: `is_not_found()`, `is_conflict()`,\n//! `is_throttled()`, `status_u16()`, `code()`, `service_error()`.\n//!\n//! ```no_run\n//! # fn run<C: ocisdk_core::transport::Transport>(client: C) {{\n//! let service = {lib}::{client}::new(client);\n//! # let _ = service;\n//! # }}\n//! ```\n//!\n//! {endpoint}\n\n",
            title = self.cfg.title,
            file = self.cfg.spec_file,
            pkg = spec.source.package,
            ver = spec.source.version,
            ops = spec.operations.len(),
            models = spec.models.len(),
            client = first.class,
            example = match &self.cfg.doctests {
                Doctests::Covering(asked) if !asked.is_empty() => asked[0].to_string(),
                _ => spec
                    .operations
                    .first()
                    .map_or_else(|| first.class.clone(), |o| o.name.clone()),
            },
        );
        s.push_str("mod client;\npub mod dynamic;\npub mod models;\npub mod operations;\n");
        if self.cfg.overrides.module {
            s.push_str("mod overrides;\n");
        }
        s.push('\n');
        if single {
            let _ = writeln!(s, "pub use client::{};", first.class);
        } else {
            let _ = writeln!(
                s,
                "pub use client::{{{}}};",
                self.clients
                    .iter()
                    .map(|c| c.class.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        s.push_str("pub use operations::*;\n");
        if self.cfg.overrides.module {
            s.push_str("pub use overrides::*;\n");
        }
        let exports: Vec<&String> = model_exports
            .iter()
            .filter(|n| !self.ops.contains(*n) && !op_enum_clash(&self.spec.operations, n))
            .collect();
        if !exports.is_empty() {
            let _ = writeln!(
                s,
                "pub use models::{{{}}};",
                exports
                    .iter()
                    .map(|n| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        for c in &self.clients {
            let per_realm: Vec<String> = c
                .per_realm
                .iter()
                .map(|(k, v)| format!("({k:?}, {v:?})"))
                .collect();
            let what = if single {
                format!("The {} service", self.cfg.title)
            } else {
                format!("The {} API's `{}` service", self.cfg.title, c.class)
            };
            let mut doc =
                format!("/// {what}, as data: its name, path prefix and endpoint templates.\n");
            let template = if c.regional {
                c.endpoint_template.as_str()
            } else {
                let _ = write!(
                    doc,
                    "///\n/// Non-regional: the official SDK requires the caller's endpoint for it (its template\n/// `{}` is not used), so a region's endpoints cannot serve it; give it with\n/// `Endpoints::with` (or `Endpoints::single`).\n",
                    c.endpoint_template
                );
                NON_REGIONAL_TEMPLATE
            };
            let _ = write!(
                s,
                "\n{doc}pub const {constant}: ocisdk_core::Service = ocisdk_core::Service {{\n    name: {name:?},\n    base_path: {base:?},\n    endpoint_template: {template:?},\n    endpoint_templates_per_realm: &[{realms}],\n}};\n",
                constant = c.constant,
                name = c.service_name,
                base = c.base_path,
                realms = per_realm.join(", "),
            );
        }
        s
    }
}

/// Where an operation's example goes in its request type's docs until it is written.
const EXAMPLE_PLACEHOLDER: &str = "{ocisdk-example}\n";

/// What the request type's docs say about the output: its type, models linked, and the
/// `Response` around it.
fn output_doc(output: &str) -> String {
    let response = "in a [`Response`](ocisdk_core::Response) (`data`, `status`, `opc_request_id`, `etag`, `next_page`)";
    if output == "()" {
        return format!("The answer has no body: the service client returns `()` {response}.");
    }
    if let Some(name) = output
        .strip_prefix("models::")
        .filter(|n| n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
    {
        return format!("Returns [`{name}`](crate::models::{name}) {response}.");
    }
    let shown = output.replace("models::", "").replace("crate::", "");
    let mut links = Vec::new();
    let mut rest = output;
    while let Some(at) = rest.find("models::") {
        let tail = &rest[at + "models::".len()..];
        let end = tail
            .find(|c: char| !c.is_ascii_alphanumeric() && c != '_')
            .unwrap_or(tail.len());
        let name = &tail[..end];
        links.push(format!("[`{name}`](crate::models::{name})"));
        rest = &tail[end..];
    }
    if let Some(name) = output.strip_prefix("crate::") {
        links.push(format!("[`{name}`](crate::{name})"));
    }
    let see = if links.is_empty() {
        String::new()
    } else {
        format!(" (see {})", links.join(", "))
    };
    format!("Returns `{shown}`{see} {response}.")
}

/// The operations whose examples are compiled: those asked for, then, in the order of the
/// operations, each that uses a form none chosen so far uses, until every form any example
/// uses is compiled somewhere.
fn choose_doctests(
    asked: &Doctests,
    features: &BTreeMap<String, BTreeSet<&'static str>>,
) -> Result<BTreeSet<String>, String> {
    let Doctests::Covering(asked) = asked else {
        return Ok(BTreeSet::new());
    };
    let mut chosen = BTreeSet::new();
    let mut covered: BTreeSet<&'static str> = BTreeSet::new();
    for name in asked {
        let used = features
            .get(*name)
            .ok_or_else(|| format!("doctest {name}: no such operation"))?;
        covered.extend(used.iter().copied());
        chosen.insert((*name).to_string());
    }
    loop {
        // The operation adding the most uncovered forms; ties go to the first name.
        let best = features
            .iter()
            .map(|(name, used)| (used.difference(&covered).count(), name, used))
            .filter(|(n, _, _)| *n > 0)
            .max_by(|a, b| a.0.cmp(&b.0).then_with(|| b.1.cmp(a.1)));
        let Some((_, name, used)) = best else { break };
        covered.extend(used.iter().copied());
        chosen.insert(name.clone());
    }
    Ok(chosen)
}

/// The models on cycles of by-value containment (a model's field of another model's type, a
/// polymorphic base's subtypes), each with the id of its cycle. `Vec` and `BTreeMap` fields
/// break cycles; `Option` does not.
fn by_value_cycles(spec: &Spec) -> BTreeMap<String, usize> {
    let names: BTreeMap<&str, usize> = spec
        .models
        .iter()
        .enumerate()
        .map(|(i, m)| (m.name.as_str(), i))
        .collect();
    let edges: Vec<Vec<usize>> = spec
        .models
        .iter()
        .map(|m| match &m.discriminator {
            Some(disc) => disc
                .subtypes
                .values()
                .filter_map(|v| v.as_str().and_then(|n| names.get(n).copied()))
                .collect(),
            None => m
                .fields
                .iter()
                .filter_map(|f| match parse(&f.ty) {
                    Some(Ty::Model(n)) => names.get(n.as_str()).copied(),
                    _ => None,
                })
                .collect(),
        })
        .collect();
    // Tarjan's strongly connected components.
    struct Tarjan<'a> {
        edges: &'a [Vec<usize>],
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        stack: Vec<usize>,
        on_stack: Vec<bool>,
        next: usize,
        groups: Vec<Vec<usize>>,
    }
    impl Tarjan<'_> {
        fn visit(&mut self, v: usize) {
            self.index[v] = Some(self.next);
            self.low[v] = self.next;
            self.next += 1;
            self.stack.push(v);
            self.on_stack[v] = true;
            for &w in &self.edges[v] {
                match self.index[w] {
                    None => {
                        self.visit(w);
                        self.low[v] = self.low[v].min(self.low[w]);
                    }
                    Some(iw) if self.on_stack[w] => self.low[v] = self.low[v].min(iw),
                    Some(_) => {}
                }
            }
            if Some(self.low[v]) == self.index[v] {
                let mut group = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack[w] = false;
                    group.push(w);
                    if w == v {
                        break;
                    }
                }
                if group.len() > 1 || self.edges[v].contains(&v) {
                    self.groups.push(group);
                }
            }
        }
    }
    let n = spec.models.len();
    let mut t = Tarjan {
        edges: &edges,
        index: vec![None; n],
        low: vec![0; n],
        stack: Vec::new(),
        on_stack: vec![false; n],
        next: 0,
        groups: Vec::new(),
    };
    for v in 0..n {
        if t.index[v].is_none() {
            t.visit(v);
        }
    }
    let mut out = BTreeMap::new();
    for (id, group) in t.groups.iter().enumerate() {
        for &m in group {
            out.insert(spec.models[m].name.clone(), id);
        }
    }
    out
}

/// Whether `name` is also the name of an enum generated for an operation parameter.
fn op_enum_clash(ops: &[Op], name: &str) -> bool {
    ops.iter().any(|op| {
        name.starts_with(&op.name)
            && op
                .parameters
                .iter()
                .any(|p| format!("{}{}", op.name, pascal(&p.name)) == name)
    })
}

/// Bare names that are not models of the service (name enums without a class) as strings.
fn known_models(ty: Ty, models: &BTreeSet<String>) -> Ty {
    match ty {
        Ty::Model(n) if !models.contains(&n) => Ty::Str,
        Ty::List(inner) => Ty::List(Box::new(known_models(*inner, models))),
        Ty::Map(inner) => Ty::Map(Box::new(known_models(*inner, models))),
        other => other,
    }
}

/// `field: value` for `new`, converting `impl Into<String>` arguments.
fn init(name: &str, ty: &Ty) -> String {
    let field = ident(name);
    match ty {
        Ty::Str | Ty::Date => format!("{field}: {field}.into()"),
        Ty::Boxed(_) => format!("{field}: Box::new({field})"),
        _ => field,
    }
}

/// The setter's conversion of `value`.
fn convert(value: &str, ty: &Ty) -> String {
    match ty {
        Ty::Str | Ty::Date => format!("{value}.into()"),
        Ty::Boxed(_) => format!("Box::new({value})"),
        _ => value.to_string(),
    }
}

/// A `string_enum!` declaration.
fn write_enum(s: &mut String, name: &str, values: &[String], what: &str) {
    let _ = writeln!(
        s,
        "ocisdk_core::string_enum! {{\n    /// The values of {what}.\n    {name} {{"
    );
    let mut used = BTreeSet::new();
    for v in values {
        let mut var = variant(v);
        while !used.insert(var.clone()) {
            var.push('_');
        }
        let _ = writeln!(s, "        /// `{v}`.\n        {var} => {v:?},");
    }
    s.push_str("    }\n}\n\n");
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn client(name: &str, service: &str, regional: bool) -> serde_json::Value {
        serde_json::json!({
            "client": name, "service_name": service, "base_path": "/20200101",
            "endpoint_template": "https://x.{region}.oci.{secondLevelDomain}",
            "endpoint_template_per_realm": {}, "regional": regional
        })
    }

    fn op(name: &str, client: &str, params: serde_json::Value, stream: bool) -> serde_json::Value {
        serde_json::json!({
            "name": name, "client": client, "method": snake(name), "http_method": "PUT",
            "path": "/things", "api_reference": "", "parameters": params, "response": null,
            "retry_token": false, "sign_body": true, "request_stream": stream,
            "response_stream": false, "pagination": null, "accept": null
        })
    }

    fn field(name: &str, ty: &str, values: Option<Vec<&str>>) -> serde_json::Value {
        serde_json::json!({"name": name, "wire": name, "type": ty, "required": false, "enum": values})
    }

    /// The compiled examples are those asked for, topped up until together they use every form
    /// any example uses; none without `Covering`.
    #[test]
    fn doctests_cover_every_form() {
        let features: BTreeMap<String, BTreeSet<&'static str>> = [
            ("A", vec!["string"]),
            ("B", vec!["string", "map"]),
            ("C", vec!["map", "list", "upload"]),
            ("D", vec!["list"]),
        ]
        .into_iter()
        .map(|(n, f)| (n.to_string(), f.into_iter().collect()))
        .collect();
        let chosen = choose_doctests(&Doctests::Covering(vec!["A"]), &features).unwrap();
        assert_eq!(chosen, ["A".to_string(), "C".to_string()].into());
        assert!(
            choose_doctests(&Doctests::None, &features)
                .unwrap()
                .is_empty()
        );
        assert!(choose_doctests(&Doctests::Covering(vec!["Z"]), &features).is_err());
    }

    /// Several clients, a streamed body without a length, a recursive model, a model named
    /// like a prelude type and a field enum named like a model.
    #[test]
    fn edge_cases() {
        let body = serde_json::json!([{
            "name": "body", "wire": null, "in": "body", "type": "stream", "required": true,
            "collection_format": null, "enum": null, "enum_source": null, "prefix_dict": false
        }]);
        let spec: Spec = serde_json::from_value(serde_json::json!({
            "source": {"package": "oci", "version": "2.189.0"},
            "service": {"name": "demo", "clients": [
                client("AlphaClient", "alpha", true),
                client("BetaClient", "beta", false),
            ]},
            "operations": [
                op("PutThing", "AlphaClient", body, true),
                op("GetThing", "BetaClient", serde_json::json!([]), false),
            ],
            "models": [
                {"name": "Node", "fields": [field("next", "Node", None)], "discriminator": null, "parent": null},
                {"name": "Option", "fields": [field("kind", "str", None)], "discriminator": null, "parent": null},
                {"name": "Patch", "fields": [field("type", "str", Some(vec!["A"]))], "discriminator": null, "parent": null},
                {"name": "PatchType", "fields": [field("o", "Option", None)], "discriminator": null, "parent": null},
            ]
        }))
        .unwrap();
        let cfg = Config {
            crate_name: "ocisdk-demo".into(),
            spec_file: "demo.json".into(),
            title: "Demo".into(),
            overrides: Overrides::default(),
            doctests: Doctests::None,
        };
        let (files, report) = generate(&spec, &cfg).unwrap();
        assert!(report.unsupported.is_empty(), "{:?}", report.unsupported);
        let lib = &files["src/lib.rs"];
        assert!(lib.contains("pub const ALPHA_SERVICE"));
        assert!(lib.contains("name: \"demo.beta\""));
        assert!(lib.contains(&format!("endpoint_template: {NON_REGIONAL_TEMPLATE:?}")));
        let client = &files["src/client.rs"];
        let beta = client.find("pub struct BetaClient").unwrap();
        assert!(client.find("pub fn put_thing").unwrap() < beta);
        assert!(client.find("pub fn get_thing").unwrap() > beta);
        let put = &files["src/operations/put_thing.rs"];
        assert!(put.contains("pub content_length: u64"));
        assert!(put.contains("&crate::ALPHA_SERVICE"));
        assert!(put.contains("RequestBody::Stream { length: self.content_length }"));
        assert!(files["src/models/node.rs"].contains("Option<Box<super::Node>>"));
        assert!(files["src/models/option_model.rs"].contains("pub struct OptionModel"));
        assert!(files["src/models/patch_type.rs"].contains("Option<super::OptionModel>"));
        assert!(files["src/models/patch.rs"].contains("PatchTypeEnum"));
    }
}

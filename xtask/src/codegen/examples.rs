//! One example per operation, in its request type's docs: the request built with every required
//! parameter in `new` and every optional one through its setter (and so for the request body's
//! model), sent through the service client on the blocking transport.
//!
//! Values are made up from the model's facts alone (types, names, enum values): an `…Id` is an
//! OCID of that kind, a `…Name` is `my-…`, an enum its first value. A few operations' examples
//! are compiled as doctests ([`Config::doctests`](super::Config::doctests), topped up so that
//! together they use every form any example uses: each type of value, enums of models and of
//! operations, polymorphic models, uploads, downloads, lists); the others are marked `ignore`
//! and are written by the same code, so a compiled one vouches for each of their forms.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::Gen;
use crate::names::{ident, snake, variant};
use crate::spec::{Model, Op, Param};
use crate::types::{Ty, parse};

/// Marks where the fence of an operation's example goes until the compiled subset is chosen.
pub(super) const FENCE_PLACEHOLDER: &str = "```{ocisdk-example-fence}";
/// The fence of a compiled example.
pub(super) const FENCE_COMPILED: &str = "```no_run";
/// The fence of an example that is not compiled.
pub(super) const FENCE_IGNORED: &str = "```ignore";

/// Deepest nesting of models built in an example; below it `Default::default()` stands in.
const MAX_DEPTH: usize = 3;

/// What an example is made of, as it is being written.
#[derive(Default)]
pub(super) struct Example {
    /// Names imported from the crate root.
    imports: BTreeSet<String>,
    /// Whether `models::` is used (for models the root does not re-export).
    models_module: bool,
    /// Other `use` lines (`ocisdk_core::export::…`).
    uses: BTreeSet<String>,
    /// The forms it uses (see the module docs).
    pub features: BTreeSet<&'static str>,
}

impl Gen<'_> {
    /// The name an example uses for a model: bare when the crate root re-exports it.
    fn model_path(&self, ex: &mut Example, name: &str) -> String {
        let exported =
            !self.ops.contains(name) && !super::op_enum_clash(&self.spec.operations, name);
        if exported {
            ex.imports.insert(name.to_string());
            name.to_string()
        } else {
            ex.models_module = true;
            ex.features.insert("model outside the crate root");
            format!("models::{name}")
        }
    }

    /// The fields of `model` with their types as its struct declares them (enums named), without
    /// recording anything in the report.
    fn example_fields<'m>(&self, model: &'m Model) -> Vec<(&'m crate::spec::Field, Ty)> {
        model
            .fields
            .iter()
            .map(|f| {
                let ty = parse(&f.ty)
                    .map(|t| super::known_models(t, &self.models))
                    .unwrap_or(Ty::Object);
                let ty = match &f.values {
                    Some(_) if matches!(ty, Ty::Str | Ty::List(_)) => {
                        ty.with_enum(&self.field_enum_name(&model.name, &f.name))
                    }
                    _ => ty,
                };
                (f, ty)
            })
            .collect()
    }

    /// A value of `ty` for the parameter or field `name`; `owned` when the place takes a
    /// `String` rather than `impl Into<String>`; `setters` to call every optional setter of a
    /// model built here. Returns one expression (possibly over several lines, indented by
    /// `indent`).
    #[allow(clippy::too_many_arguments)]
    fn example_value(
        &self,
        ex: &mut Example,
        ty: &Ty,
        name: &str,
        wire: &str,
        depth: usize,
        owned: bool,
        indent: usize,
    ) -> String {
        match ty {
            Ty::Str => {
                ex.features.insert("string");
                let text = format!("{:?}", example_string(name, wire));
                if owned {
                    format!("{text}.to_string()")
                } else {
                    text
                }
            }
            Ty::Date => {
                ex.features.insert("date");
                if owned {
                    "\"2024-01-31\".to_string()".into()
                } else {
                    "\"2024-01-31\"".into()
                }
            }
            Ty::Int => {
                ex.features.insert("integer");
                "10".into()
            }
            Ty::Float => {
                ex.features.insert("float");
                "1.5".into()
            }
            Ty::Bool => {
                ex.features.insert("bool");
                "true".into()
            }
            Ty::DateTime => {
                ex.features.insert("timestamp");
                ex.uses
                    .insert("ocisdk_core::export::time::OffsetDateTime".into());
                "OffsetDateTime::UNIX_EPOCH".into()
            }
            Ty::Object | Ty::Stream => {
                ex.features.insert("JSON value");
                ex.uses
                    .insert("ocisdk_core::export::serde_json::json".into());
                "json!({\"key\": \"value\"})".into()
            }
            Ty::List(inner) => {
                ex.features.insert("list");
                format!(
                    "vec![{}]",
                    self.example_value(ex, inner, name, wire, depth + 1, true, indent)
                )
            }
            Ty::Map(inner) => {
                ex.features.insert("map");
                let (key, inner_name) = match name {
                    "freeform_tags" => ("department", "finance"),
                    "defined_tags" => ("Operations", "CostCenter"),
                    _ => ("key", "value"),
                };
                let value = match (name, inner.as_ref()) {
                    // Defined tags: namespace → key → JSON value.
                    ("defined_tags", Ty::Map(innermost)) if matches!(**innermost, Ty::Object) => {
                        ex.features.insert("JSON value");
                        ex.uses
                            .insert("ocisdk_core::export::serde_json::json".into());
                        format!("[({inner_name:?}.to_string(), json!(\"42\"))].into()")
                    }
                    (_, Ty::Str) => format!("{inner_name:?}.to_string()"),
                    (_, Ty::Object) => {
                        ex.features.insert("JSON value");
                        ex.uses
                            .insert("ocisdk_core::export::serde_json::json".into());
                        format!("json!({inner_name:?})")
                    }
                    _ => self.example_value(ex, inner, "value", wire, depth + 1, true, indent),
                };
                format!("[({key:?}.to_string(), {value})].into()")
            }
            Ty::Boxed(inner) => self.example_value(ex, inner, name, wire, depth, owned, indent),
            Ty::Enum(rust) if rust == "u64" => "5".into(),
            Ty::Enum(rust) if rust == "Vec<u8>" => {
                ex.features.insert("buffered body");
                "b\"hello\".to_vec()".into()
            }
            Ty::Enum(rust) => {
                let (values, op_level) = match self.enums.get(rust) {
                    Some((values, op_level)) => (values.clone(), *op_level),
                    None => (Vec::new(), false),
                };
                ex.features.insert(if op_level {
                    "operation enum"
                } else {
                    "model enum"
                });
                let path = if op_level {
                    ex.imports.insert(rust.clone());
                    rust.clone()
                } else {
                    self.model_path(ex, rust)
                };
                match values.first() {
                    Some(v) => format!("{path}::{}", variant(v)),
                    None => format!("{path}::default()"),
                }
            }
            Ty::Model(model) => match self.by_name.get(model.as_str()).copied() {
                Some(m) => self.example_model(ex, m, depth, false, indent, indent),
                // Names the model knows only as strings.
                None => self.example_value(ex, &Ty::Str, name, wire, depth, owned, indent),
            },
        }
    }

    /// `Model::new(required…)`, then (with `setters`) every optional setter, one per line;
    /// `lead` is the column the expression starts at, `indent` that of its line. A polymorphic
    /// model is built as its first subtype, converted with `.into()`.
    fn example_model(
        &self,
        ex: &mut Example,
        model: &Model,
        depth: usize,
        setters: bool,
        indent: usize,
        lead: usize,
    ) -> String {
        ex.features.insert("model");
        if depth > MAX_DEPTH {
            ex.features.insert("model left at its default");
            return "Default::default()".into();
        }
        if model.discriminator.is_some() {
            ex.features.insert("polymorphic model");
            return match self.first_subtype(model) {
                Some(sub) => {
                    let built = self.example_model(ex, sub, depth, setters, indent, lead);
                    if built.contains('\n') {
                        format!("{built}\n{}.into()", " ".repeat(indent))
                    } else {
                        format!("{built}.into()")
                    }
                }
                None => "Default::default()".into(),
            };
        }
        let discriminator = model.parent.as_ref().and_then(|p| {
            let base = self.by_name.get(p.name.as_str())?;
            Some(base.discriminator.as_ref()?.field.clone())
        });
        let fields = self.example_fields(model);
        let path = self.model_path(ex, &model.name);
        let mut args = Vec::new();
        for (f, ty) in &fields {
            if f.required && discriminator.as_deref() != Some(f.name.as_str()) {
                args.push(self.example_value(
                    ex,
                    ty,
                    &f.name,
                    &f.wire,
                    depth + 1,
                    false,
                    indent + 4,
                ));
            }
        }
        let mut out = call(&format!("{path}::new"), &args, indent, lead);
        if setters {
            // Continuation lines at the line's own indent after a call broken over lines, as
            // rustfmt writes them; one level in otherwise.
            let pad = if out.contains('\n') {
                indent
            } else {
                indent + 4
            };
            for (f, ty) in fields.iter().filter(|(f, _)| !f.required) {
                if discriminator.as_deref() == Some(f.name.as_str()) {
                    continue;
                }
                let value = self.example_value(ex, ty, &f.name, &f.wire, depth + 1, false, pad);
                let _ = write!(out, "\n{}.{}({value})", " ".repeat(pad), ident(&f.name));
            }
        }
        out
    }

    /// The subtype a polymorphic model is built as in examples: its first one that is a model.
    fn first_subtype(&self, model: &Model) -> Option<&Model> {
        let disc = model.discriminator.as_ref()?;
        self.variants(disc)
            .into_iter()
            .find_map(|(_, _, sub)| self.by_name.get(sub.as_str()).copied())
    }

    /// The example of operation `op` (its doc lines, without `///`), and the forms it uses.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn example(
        &self,
        op: &Op,
        fields: &[(&Param, Ty)],
        class: &str,
        output: &str,
        upload: bool,
        paginated: bool,
    ) -> (String, BTreeSet<&'static str>) {
        let mut ex = Example::default();
        let lib = self.cfg.lib_name();
        let service = {
            let stem = class.strip_suffix("Client").unwrap_or(class);
            ident(&snake(stem))
        };
        ex.imports.insert(class.to_string());
        ex.imports.insert(op.name.clone());
        let mut body = String::new();
        let _ = writeln!(
            body,
            "let client = ocisdk_blocking::Client::from_config_file(None, None)?; // ~/.oci/config"
        );
        let _ = writeln!(body, "let {service} = {class}::new(client);");
        // Walking pages is the paginator's job, and a retry token is made for every call: an
        // example sets neither.
        let token = op.pagination.as_ref().map(|pg| match pg.style.as_str() {
            "start" => pg.token_param.clone().unwrap_or_else(|| "start".into()),
            _ => "page".to_string(),
        });
        // Models passed directly (the request body, mostly) are built first, with all setters.
        let mut args = Vec::new();
        let mut setters = Vec::new();
        for (p, ty) in fields {
            if (paginated && token.as_deref() == Some(p.name.as_str()))
                || (op.retry_token && p.name == "opc_retry_token")
            {
                continue;
            }
            let field = ident(&p.name);
            let wire = p.wire.as_deref().unwrap_or(&p.name);
            let model = match ty {
                Ty::Model(m) => self.by_name.get(m.as_str()).copied(),
                _ => None,
            };
            let value = match model {
                Some(m) => {
                    // A polymorphic body: its first subtype, converted where it is passed.
                    let (m, into) = match self.first_subtype(m) {
                        Some(sub) => {
                            ex.features.insert("polymorphic model");
                            (sub, ".into()")
                        }
                        None => (m, ""),
                    };
                    let lead = format!("let {field} = ").len();
                    let built = self.example_model(&mut ex, m, 0, true, 0, lead);
                    let _ = writeln!(body, "let {field} = {built};");
                    format!("{field}{into}")
                }
                None => self.example_value(&mut ex, ty, &p.name, wire, 0, false, 4),
            };
            if p.required {
                args.push(value);
            } else {
                setters.push(format!(".{field}({value})"));
            }
        }
        let head = call(
            &format!("{}::new", op.name),
            &args,
            0,
            "let request = ".len(),
        );
        let pad = if head.contains('\n') { "" } else { "    " };
        let mut request = format!("let request = {head}");
        for s in &setters {
            let _ = write!(request, "\n{pad}{s}");
        }
        let _ = writeln!(body, "{request};");
        let method = ident(&op.method);
        let later = "// ocisdk-hyper and ocisdk-wasm: the same call, then `.await?`";
        if upload {
            ex.features.insert("upload");
            let _ = writeln!(
                body,
                "let response = {service}.{method}(request, &b\"hello\"[..])?; // a slice, a File, any Read"
            );
            let _ = writeln!(body, "{later}");
            let _ = writeln!(body, "println!(\"{{:?}}\", response.data);");
        } else if op.response_stream {
            ex.features.insert("download");
            let _ = writeln!(body, "let mut download = {service}.{method}(request)?;");
            let _ = writeln!(body, "{later}");
            let _ = writeln!(body, "println!(\"{{:?}}\", download.meta.data);");
            let _ = writeln!(
                body,
                "std::io::copy(&mut download, &mut std::io::sink())?; // the body streams"
            );
        } else if paginated {
            ex.features.insert("paginated list");
            let _ = writeln!(
                body,
                "// One page: `{service}.{method}(request)?`; every record, page after page:"
            );
            let _ = writeln!(body, "for item in {service}.paginate(request) {{");
            let _ = writeln!(body, "    println!(\"{{:?}}\", item?);");
            let _ = writeln!(body, "}}");
            let _ = writeln!(
                body,
                "// ocisdk-hyper and ocisdk-wasm: a Stream (`.next().await`)"
            );
        } else {
            let _ = writeln!(body, "let response = {service}.{method}(request)?;");
            let _ = writeln!(body, "{later}");
            if output == "()" {
                ex.features.insert("no output");
                let _ = writeln!(
                    body,
                    "println!(\"{{}} {{:?}}\", response.status, response.opc_request_id);"
                );
            } else {
                let _ = writeln!(body, "println!(\"{{:?}}\", response.data);");
            }
        }
        let mut text = String::new();
        let _ = writeln!(text, "{FENCE_PLACEHOLDER}");
        let names: Vec<String> = ex.imports.iter().cloned().collect();
        let one_line = format!("use {lib}::{{{}}};", names.join(", "));
        if one_line.len() <= 92 {
            let _ = writeln!(text, "{one_line}");
        } else {
            let _ = writeln!(text, "use {lib}::{{");
            let mut line = String::from("   ");
            for n in &names {
                if line.len() + n.len() + 2 > 92 {
                    let _ = writeln!(text, "{line}");
                    line = String::from("   ");
                }
                let _ = write!(line, " {n},");
            }
            let _ = writeln!(text, "{line}");
            let _ = writeln!(text, "}};");
        }
        if ex.models_module {
            let _ = writeln!(text, "use {lib}::models;");
        }
        for u in &ex.uses {
            let _ = writeln!(text, "use {u};");
        }
        text.push('\n');
        text.push_str(&body);
        text.push_str("# Ok::<(), Box<dyn std::error::Error>>(())\n```\n");
        (text, ex.features)
    }
}

/// `head(args…)`: on one line when it fits from column `lead`, else one argument per line
/// indented from `indent`.
fn call(head: &str, args: &[String], indent: usize, lead: usize) -> String {
    let one_line = format!("{head}({})", args.join(", "));
    if lead + one_line.len() <= 92 && !one_line.contains('\n') {
        return one_line;
    }
    let pad = " ".repeat(indent + 4);
    let mut out = format!("{head}(\n");
    for a in args {
        let _ = writeln!(out, "{pad}{a},");
    }
    out.push_str(&" ".repeat(indent));
    out.push(')');
    out
}

/// A placeholder string for a parameter or field named `name` (snake_case; `wire` on the
/// wire), in the official SDKs' examples' manner where no better one is known: OCIDs for ids,
/// `my-…` for names, `EXAMPLE-<wire>-Value` for the rest.
fn example_string(name: &str, wire: &str) -> String {
    let name = name.trim_start_matches("r#");
    if name == "id" {
        return "ocid1.resource.oc1..aaaaexample".into();
    }
    if let Some(kind) = name.strip_suffix("_id")
        && !name.starts_with("opc_")
    {
        return format!("ocid1.{}.oc1..aaaaexample", kind.replace('_', ""));
    }
    if name == "name" {
        return "example-name".into();
    }
    if let Some(stem) = name.strip_suffix("_name") {
        return format!("my-{}", stem.replace('_', "-"));
    }
    if name.contains("email") {
        return "user@example.com".into();
    }
    if name == "description" {
        return "an example".into();
    }
    format!("EXAMPLE-{wire}-Value")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_from_names() {
        assert_eq!(
            example_string("compartment_id", "compartmentId"),
            "ocid1.compartment.oc1..aaaaexample"
        );
        assert_eq!(example_string("bucket_name", "bucketName"), "my-bucket");
        assert_eq!(
            example_string("opc_request_id", "opc-request-id"),
            "EXAMPLE-opc-request-id-Value"
        );
        assert_eq!(
            example_string("if_match", "if-match"),
            "EXAMPLE-if-match-Value"
        );
    }

    #[test]
    fn long_calls_break_per_argument() {
        assert_eq!(call("A::new", &["1".into()], 0, 0), "A::new(1)");
        let long = vec!["\"x\"".repeat(40), "2".into()];
        let text = call("A::new", &long, 4, 4);
        assert!(text.starts_with("A::new(\n        "), "{text}");
        assert!(text.ends_with("\n    )"), "{text}");
    }
}

//! spec → the JavaScript API (`js/src/generated.rs`): one class per service whose methods are
//! the service's operations, and TypeScript declarations of every request and model, built from
//! the same facts as the Rust crates.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::codegen::{Config, HEADER_START};
use crate::names::{pascal, snake};
use crate::spec::{Field, Model, Op, Spec};
use crate::types::{Ty, parse};

/// One service as the JS API shows it.
pub struct JsService<'a> {
    pub spec: &'a Spec,
    pub config: &'a Config,
    /// The service crate's path (`ocisdk_identity`).
    pub krate: &'static str,
    /// The TypeScript namespace and class prefix (`Identity`, `ObjectStorage`).
    pub namespace: &'static str,
    /// The operations that list page by page (they also get async iterators).
    pub list_operations: &'a BTreeSet<String>,
}

/// `opc_retry_token` → `opcRetryToken` (what serde's `rename_all = "camelCase"` makes of it).
fn camel(snake_name: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake_name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn ts_string(s: &str) -> String {
    format!("{s:?}")
}

struct Ts<'a> {
    models: BTreeSet<&'a str>,
}

impl Ts<'_> {
    fn ty(&self, raw: &str, values: Option<&Vec<String>>) -> String {
        let Some(ty) = parse(raw) else {
            return "unknown".into();
        };
        self.render(&ty, values)
    }

    fn render(&self, ty: &Ty, values: Option<&Vec<String>>) -> String {
        match ty {
            Ty::Str => match values {
                // Values the SDK does not know are kept too.
                Some(v) => format!(
                    "({} | (string & {{}}))",
                    v.iter()
                        .map(|s| ts_string(s))
                        .collect::<Vec<_>>()
                        .join(" | ")
                ),
                None => "string".into(),
            },
            Ty::Date | Ty::DateTime => "string".into(),
            Ty::Int | Ty::Float => "number".into(),
            Ty::Bool => "boolean".into(),
            Ty::Object | Ty::Stream => "unknown".into(),
            Ty::List(inner) => format!("Array<{}>", self.render(inner, values)),
            Ty::Map(inner) => format!("Record<string, {}>", self.render(inner, None)),
            // A box is Rust's business: the JSON is the model's.
            Ty::Boxed(inner) => self.render(inner, values),
            Ty::Model(name) if self.models.contains(name.as_str()) => name.clone(),
            Ty::Model(_) | Ty::Enum(_) => "string".into(),
        }
    }
}

fn field_line(ts: &Ts<'_>, f: &Field) -> String {
    format!(
        "    {}{}: {};\n",
        ts_string(&f.wire),
        if f.required { "" } else { "?" },
        ts.ty(&f.ty, f.values.as_ref())
    )
}

fn model_ts(ts: &Ts<'_>, m: &Model, s: &mut String) {
    if let Some(disc) = &m.discriminator {
        let subs: Vec<String> = disc
            .subtypes
            .values()
            .filter_map(|v| v.as_str())
            .filter(|v| ts.models.contains(v))
            .map(str::to_string)
            .collect();
        let _ = writeln!(
            s,
            "  /** `{}`: one of its subtypes, chosen by `{}`. */\n  export type {} = {}(Record<string, unknown> & {{ {}: string }});",
            m.name,
            disc.wire,
            m.name,
            subs.iter().map(|x| format!("{x} | ")).collect::<String>(),
            ts_string(&disc.wire)
        );
        return;
    }
    let _ = writeln!(
        s,
        "  /** `{}`. */\n  export interface {} {{",
        m.name, m.name
    );
    for f in &m.fields {
        s.push_str(&field_line(ts, f));
    }
    s.push_str("  }\n");
}

fn request_ts(ts: &Ts<'_>, op: &Op, s: &mut String) {
    let _ = writeln!(
        s,
        "  /** The parameters of `{}`. */\n  export interface {}Request {{",
        op.name, op.name
    );
    for p in &op.parameters {
        if p.ty == "stream" {
            continue;
        }
        let streamed_length = op.request_stream
            && p.wire
                .as_deref()
                .is_some_and(|w| w.eq_ignore_ascii_case("content-length"));
        let optional = !p.required || streamed_length;
        let ty = if p.prefix_dict {
            "Record<string, string>".to_string()
        } else {
            ts.ty(&p.ty, p.values.as_ref())
        };
        let _ = writeln!(
            s,
            "    {}{}: {ty};",
            camel(&p.name),
            if optional { "?" } else { "" }
        );
    }
    s.push_str("  }\n");
}

/// The TypeScript type of an operation's data.
fn output_ts(ts: &Ts<'_>, svc: &JsService<'_>, op: &Op) -> String {
    if let Some((_, ty, _)) = svc
        .config
        .overrides
        .outputs
        .iter()
        .find(|(name, _, _)| *name == op.name)
    {
        return format!("{}.{ty}", svc.namespace);
    }
    match op.response.as_deref() {
        None | Some("stream") | Some("bytes") => "null".into(),
        Some(raw) => {
            let t = ts.ty(raw, None);
            qualify(&t, svc.namespace, &ts.models)
        }
    }
}

/// Prefixes model names with the service's namespace.
fn qualify(t: &str, ns: &str, models: &BTreeSet<&str>) -> String {
    let mut out = String::new();
    let mut word = String::new();
    for c in t.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            if models.contains(word.as_str()) {
                out.push_str(ns);
                out.push('.');
            }
            out.push_str(&word);
            word.clear();
            out.push(c);
        }
    }
    out.pop();
    out
}

/// The TypeScript type of one record of a list operation.
fn item_ts(ts: &Ts<'_>, svc: &JsService<'_>, op: &Op) -> String {
    let Some(pg) = &op.pagination else {
        return "unknown".into();
    };
    let Some(raw) = op.response.as_deref() else {
        return "unknown".into();
    };
    let list = match pg.items.as_deref() {
        Some("field") => {
            let field = pg.field.clone().unwrap_or_default();
            svc.spec
                .models
                .iter()
                .find(|m| m.name == raw)
                .and_then(|m| m.fields.iter().find(|f| f.name == field))
                .map(|f| ts.ty(&f.ty, f.values.as_ref()))
        }
        _ => Some(ts.ty(raw, None)),
    };
    let item = list
        .as_deref()
        .and_then(|l| l.strip_prefix("Array<").and_then(|r| r.strip_suffix('>')))
        .unwrap_or("unknown")
        .to_string();
    qualify(&item, svc.namespace, &ts.models)
}

/// The whole `js/src/generated.rs`.
pub fn generate(services: &[JsService<'_>]) -> String {
    let mut s = format!(
        "{HEADER_START} from {} (oci {}). Do not edit: edit the model (or the generator) and regenerate.\n\n",
        services
            .iter()
            .map(|x| format!("`{}`", x.config.spec_file))
            .collect::<Vec<_>>()
            .join(", "),
        services
            .first()
            .map_or("", |x| x.spec.source.version.as_str())
    );
    s.push_str("//! The service classes of the JavaScript API: every operation of every shipped service.\n\n#![allow(clippy::too_many_lines)]\n\nuse js_sys::Promise;\nuse ocisdk_wasm::Client;\nuse wasm_bindgen::prelude::*;\n\nuse crate::services::{Download, Send, records_all, records_iter, run, run_upload};\n\n");
    // TypeScript declarations.
    let mut ts_text = String::new();
    for svc in services {
        let ts = Ts {
            models: svc.spec.models.iter().map(|m| m.name.as_str()).collect(),
        };
        let _ = writeln!(ts_text, "export namespace {} {{", svc.namespace);
        for m in &svc.spec.models {
            model_ts(&ts, m, &mut ts_text);
        }
        for op in &svc.spec.operations {
            request_ts(&ts, op, &mut ts_text);
        }
        ts_text.push_str("}\n\n");
    }
    let _ = writeln!(
        s,
        "#[wasm_bindgen(typescript_custom_section)]\nconst TS_SERVICES: &'static str = r#\"\n{ts_text}\"#;\n"
    );
    for svc in services {
        let ts = Ts {
            models: svc.spec.models.iter().map(|m| m.name.as_str()).collect(),
        };
        let class = format!("{}Api", svc.namespace);
        let _ = writeln!(
            s,
            "/// The {} API from JavaScript: one method per operation (camelCase of its name), taking\n/// the request's parameters as an object and resolving to an `OciResponse`.\n#[wasm_bindgen]\n#[derive(Debug, Clone)]\npub struct {class} {{\n    pub(crate) client: Client,\n}}\n\n#[wasm_bindgen]\nimpl {class} {{",
            svc.config.title
        );
        let base = svc
            .spec
            .service
            .clients
            .first()
            .map(|c| c.base_path.trim_end_matches('/'))
            .unwrap_or_default();
        for op in &svc.spec.operations {
            let js_name = {
                let mut c = pascal(&snake(&op.name));
                if let Some(first) = c.get_mut(0..1) {
                    first.make_ascii_lowercase();
                }
                c
            };
            let rust_name = snake(&op.name);
            let out = output_ts(&ts, svc, op);
            let request = format!("{}.{}Request", svc.namespace, op.name);
            let _ = writeln!(
                s,
                "\n    /// `{}`: `{} {base}{}`.",
                op.name, op.http_method, op.path
            );
            let dispatch = format!("{}::dynamic::visit_operation", svc.krate);
            if op.request_stream {
                let _ = writeln!(
                    s,
                    "    #[wasm_bindgen(js_name = {js_name}, unchecked_return_type = \"Promise<OciResponse<{out}>>\")]\n    pub fn {rust_name}(&self, #[wasm_bindgen(unchecked_param_type = \"{request}\")] params: JsValue, #[wasm_bindgen(unchecked_param_type = \"UploadSource\")] body: JsValue) -> Promise {{\n        run_upload(&self.client, {:?}, params, body, {dispatch})\n    }}",
                    op.name
                );
            } else if op.response_stream {
                let _ = writeln!(
                    s,
                    "    #[wasm_bindgen(js_name = {js_name}, unchecked_return_type = \"Promise<OciDownload<{out}>>\")]\n    pub fn {rust_name}(&self, #[wasm_bindgen(unchecked_param_type = \"{request}\")] params: JsValue) -> Promise {{\n        run({:?}, params, Download(self.client.clone()), {dispatch})\n    }}",
                    op.name
                );
            } else {
                let _ = writeln!(
                    s,
                    "    #[wasm_bindgen(js_name = {js_name}, unchecked_return_type = \"Promise<OciResponse<{out}>>\")]\n    pub fn {rust_name}(&self, #[wasm_bindgen(unchecked_param_type = \"{request}\")] params: JsValue) -> Promise {{\n        run({:?}, params, Send(self.client.clone()), {dispatch})\n    }}",
                    op.name
                );
            }
            if svc.list_operations.contains(&op.name) {
                let item = item_ts(&ts, svc, op);
                let list_dispatch = format!("{}::dynamic::visit_list_operation", svc.krate);
                let _ = writeln!(
                    s,
                    "\n    /// Every record of `{name}`, page by page (one request per page), as an async iterator.\n    #[wasm_bindgen(js_name = {js_name}Iter, unchecked_return_type = \"AsyncIterableIterator<{item}>\")]\n    pub fn {rust_name}_iter(&self, #[wasm_bindgen(unchecked_param_type = \"{request}\")] params: JsValue) -> Result<JsValue, JsValue> {{\n        records_iter(&self.client, {name:?}, params, {list_dispatch})\n    }}\n\n    /// The records of `{name}` across pages, at most `maxRecords` of them.\n    #[wasm_bindgen(js_name = {js_name}All, unchecked_return_type = \"Promise<Array<{item}>>\")]\n    pub fn {rust_name}_all(&self, #[wasm_bindgen(unchecked_param_type = \"{request}\")] params: JsValue, #[wasm_bindgen(js_name = maxRecords)] max_records: f64) -> Promise {{\n        records_all(&self.client, {name:?}, params, max_records, {list_dispatch})\n    }}",
                    name = op.name
                );
            }
        }
        s.push_str("}\n\n");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_types() {
        assert_eq!(camel("opc_retry_token"), "opcRetryToken");
        let models: BTreeSet<&str> = ["User"].into();
        assert_eq!(
            qualify("Array<User>", "Identity", &models),
            "Array<Identity.User>"
        );
    }
}

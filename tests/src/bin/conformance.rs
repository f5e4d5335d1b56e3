//! The Rust half of `tests/python/conformance.py`, the differential conformance test against
//! the official OCI Python SDK. Reads one JSON document on stdin, writes one on stdout.
//!
//! - `conformance requests`: `{"key_pem", "tenancy", "user", "fingerprint", "endpoint",
//!   "requests": [{"id", "service", "operation", "params"}]}` → `{"requests": [{"id", "method",
//!   "url", "headers": [[name, value]], "body": text | null, "stream_length": n | null}` or
//!   `{"id", "error"}`]}`: each operation built from its parameters (camelCase JSON) through the
//!   service crate's `dynamic::visit_operation`, planned, signed and taken from the first
//!   `Step::Send` of a call, exactly as a transport would send it (a streamed body is the
//!   transport's, so only its declared length is reported).
//! - `conformance models`: `{"models": [{"id", "service", "model", "json": text}]}` →
//!   `{"models": [{"id", "json": text}` or `{"id", "error"}]}`: each model's JSON (as the
//!   official SDK wrote it) decoded into its type through `dynamic::visit_model` and encoded
//!   back.

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    native::main()
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::io::Read;
    use std::process::ExitCode;
    use std::sync::Arc;
    use std::time::{Duration, SystemTime};

    use ocisdk_core::auth::{PrivateKey, api_key_signer};
    use ocisdk_core::operation::{Operation, VisitModel, VisitOperation};
    use ocisdk_core::{Context, Endpoints, Instant, Now, RequestBody, RetryPolicy, Step};
    use serde::Serialize;
    use serde::de::DeserializeOwned;
    use serde_json::{Value, json};

    pub fn main() -> ExitCode {
        let mode = std::env::args().nth(1).unwrap_or_default();
        let mut input = String::new();
        if let Err(e) = std::io::stdin().read_to_string(&mut input) {
            eprintln!("conformance: cannot read stdin: {e}");
            return ExitCode::FAILURE;
        }
        let input: Value = match serde_json::from_str(&input) {
            Ok(v) => v,
            Err(e) => {
                eprintln!("conformance: stdin is not JSON: {e}");
                return ExitCode::FAILURE;
            }
        };
        let output = match mode.as_str() {
            "requests" => requests(&input),
            "models" => Ok(models(&input)),
            _ => Err("usage: conformance requests|models < input.json > output.json".into()),
        };
        match output {
            Ok(out) => {
                println!("{out}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("conformance: {e}");
                ExitCode::FAILURE
            }
        }
    }

    fn text<'a>(v: &'a Value, key: &str) -> Result<&'a str, String> {
        v[key]
            .as_str()
            .ok_or_else(|| format!("input has no string `{key}`"))
    }

    fn list<'a>(v: &'a Value, key: &str) -> &'a [Value] {
        v[key].as_array().map(Vec::as_slice).unwrap_or_default()
    }

    fn requests(input: &Value) -> Result<Value, String> {
        let key = PrivateKey::from_pem(text(input, "key_pem")?, None, "conformance key")
            .map_err(|e| e.to_string())?;
        let signer = api_key_signer(
            text(input, "tenancy")?,
            text(input, "user")?,
            Some(text(input, "fingerprint")?),
            &key,
            [7; 32],
        );
        let ctx = Arc::new(
            Context::new(signer, Endpoints::single(text(input, "endpoint")?), [9; 32])
                .with_tenancy(text(input, "tenancy")?)
                // As the official SDK in the harness (`NoneRetryStrategy`).
                .with_retry_policy(RetryPolicy::disabled()),
        );
        let mut out = Vec::new();
        for item in list(input, "requests") {
            let id = item["id"].clone();
            let name = item["operation"].as_str().unwrap_or_default();
            let params = item["params"].clone();
            let visitor = Build { ctx: &ctx };
            let built = match item["service"].as_str().unwrap_or_default() {
                "identity" => ocisdk_identity::dynamic::visit_operation(name, params, visitor),
                "object_storage" => {
                    ocisdk_object_storage::dynamic::visit_operation(name, params, visitor)
                }
                "secrets" => ocisdk_secrets::dynamic::visit_operation(name, params, visitor),
                other => Ok(Err(format!("no service {other:?}"))),
            };
            let mut entry = match built {
                Ok(Ok(request)) => request,
                Ok(Err(e)) => json!({ "error": e }),
                Err(e) => json!({ "error": e.to_string() }),
            };
            entry["id"] = id;
            out.push(entry);
        }
        Ok(json!({ "requests": out }))
    }

    /// Plans, signs and renders one request as the first attempt of a call sends it.
    struct Build<'a> {
        ctx: &'a Arc<Context>,
    }

    impl VisitOperation for Build<'_> {
        type Output = Result<Value, String>;

        fn visit<O>(self, op: O) -> Self::Output
        where
            O: Operation,
            O::Output: Serialize,
        {
            let now = Now::new(Instant::from_origin(Duration::ZERO), SystemTime::now());
            let request = match self.ctx.call(op).poll(now) {
                Step::Send { request, .. } => request,
                Step::Done(Err(e)) => return Err(e.to_string()),
                other => return Err(format!("first step is not a send: {other:?}")),
            };
            let headers: Vec<Value> = request
                .headers()
                .iter()
                .map(|(k, v)| json!([k.as_str(), String::from_utf8_lossy(v.as_bytes())]))
                .collect();
            let (body, stream_length) = match request.body() {
                RequestBody::Empty => (Value::Null, Value::Null),
                RequestBody::Bytes(b) => (json!(String::from_utf8_lossy(b)), Value::Null),
                RequestBody::Stream { length } => (Value::Null, json!(length)),
            };
            Ok(json!({
                "method": request.method().as_str(),
                "url": request.uri().to_string(),
                "headers": headers,
                "body": body,
                "stream_length": stream_length,
            }))
        }
    }

    fn models(input: &Value) -> Value {
        let mut out = Vec::new();
        for item in list(input, "models") {
            let name = item["model"].as_str().unwrap_or_default();
            let visitor = RoundTrip(item["json"].as_str().unwrap_or_default());
            let result = match item["service"].as_str().unwrap_or_default() {
                "identity" => ocisdk_identity::dynamic::visit_model(name, visitor),
                "object_storage" => ocisdk_object_storage::dynamic::visit_model(name, visitor),
                "secrets" => ocisdk_secrets::dynamic::visit_model(name, visitor),
                _ => None,
            };
            let mut entry = match result {
                Some(Ok(text)) => json!({ "json": text }),
                Some(Err(e)) => json!({ "error": e }),
                None => json!({ "error": format!("no model {name:?}") }),
            };
            entry["id"] = item["id"].clone();
            out.push(entry);
        }
        json!({ "models": out })
    }

    /// Decodes a model from JSON text into its type and encodes it back.
    struct RoundTrip<'a>(&'a str);

    impl VisitModel for RoundTrip<'_> {
        type Output = Result<String, String>;

        fn visit<M>(self) -> Self::Output
        where
            M: Serialize + DeserializeOwned + 'static,
        {
            let model: M = serde_json::from_str(self.0).map_err(|e| format!("decode: {e}"))?;
            serde_json::to_string(&model).map_err(|e| format!("encode: {e}"))
        }
    }
}

//! The API model the SDK is generated from (`spec/*.json`), read by the emulator too: which
//! operations exist, and which take an `opc-retry-token`. The emulator honours a token only where
//! the real API defines one (Identity's creates do; no Object Storage operation does), so a test
//! can never pass on semantics the service does not have.

use std::collections::HashMap;
use std::sync::LazyLock;

/// Facts of one operation of the model.
#[derive(Debug, Clone)]
pub struct OperationFacts {
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

#[cfg(test)]
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
}

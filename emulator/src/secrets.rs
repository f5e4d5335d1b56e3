//! Secrets (secret retrieval, `/20190301`): GetSecretBundle, GetSecretBundleByName and
//! ListSecretBundleVersions over the secrets of one vault, seeded through
//! [`crate::Emulator::put_secret`], [`crate::EmulatorConfig::secrets`] or the binary's
//! `--secret NAME=VALUE`.
//!
//! Facts (oci 2.189.0, `oci.secrets`): a SecretBundle has `secretId`, `versionNumber`,
//! `versionName`, `timeCreated`, `stages` (CURRENT, PENDING, LATEST, PREVIOUS, DEPRECATED),
//! `metadata` and `secretBundleContent`, whose `contentType` is `BASE64` and `content` the
//! secret's bytes in base64; a bundle is chosen by `versionNumber`, `secretVersionName` or
//! `stage`, and `CURRENT` when none is given (get_secret_bundle: "If no value is specified, the
//! current secret version is returned"). GetSecretBundleByName is a `POST` with the name and the
//! vault in the query. Putting a new version of a secret makes it CURRENT (and LATEST), the one
//! before it PREVIOUS and older ones DEPRECATED, as rotating a secret in a vault does.

use std::collections::BTreeMap;
use std::time::SystemTime;

use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};

use crate::identity::list_reply;
use crate::server::Ctx;
use crate::state::{ApiError, PageToken, Reply, State, paginate, rfc3339};

/// The OCID of the emulator's one vault, fixed so that tests anywhere can name it.
pub const DEFAULT_VAULT_ID: &str = "ocid1.vault.oc1.iad.ocisdkemulatorvault";

#[derive(Debug, Clone)]
struct Version {
    number: u64,
    content: Vec<u8>,
    time_created: SystemTime,
}

#[derive(Debug, Clone)]
struct Secret {
    id: String,
    name: String,
    /// Oldest first.
    versions: Vec<Version>,
}

/// The vault and its secrets.
#[derive(Debug, Clone)]
pub(crate) struct Vault {
    pub id: String,
    secrets: BTreeMap<String, Secret>,
}

impl Vault {
    pub(crate) fn new(id: &str) -> Vault {
        Vault {
            id: id.to_string(),
            secrets: BTreeMap::new(),
        }
    }

    /// Adds `content` as the new current version of secret `name` (created with id `new_id`
    /// if it does not exist). Returns the secret's OCID and the version number.
    pub(crate) fn put(
        &mut self,
        name: &str,
        content: &[u8],
        now: SystemTime,
        new_id: impl FnOnce() -> String,
    ) -> (String, u64) {
        let existing = self.secrets.values_mut().find(|s| s.name == name);
        let secret = match existing {
            Some(s) => s,
            None => {
                let id = new_id();
                self.secrets.insert(
                    id.clone(),
                    Secret {
                        id: id.clone(),
                        name: name.to_string(),
                        versions: Vec::new(),
                    },
                );
                match self.secrets.get_mut(&id) {
                    Some(s) => s,
                    None => return (id, 0),
                }
            }
        };
        let number = secret.versions.last().map_or(1, |v| v.number + 1);
        secret.versions.push(Version {
            number,
            content: content.to_vec(),
            time_created: now,
        });
        (secret.id.clone(), number)
    }
}

/// The stages of version `i` of `n` (oldest first).
fn stages(i: usize, n: usize) -> Vec<&'static str> {
    if i + 1 == n {
        vec!["CURRENT", "LATEST"]
    } else if i + 2 == n {
        vec!["PREVIOUS"]
    } else {
        vec!["DEPRECATED"]
    }
}

fn not_found(what: String) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "NotAuthorizedOrNotFound",
        format!("Authorization failed or requested resource not found: {what}"),
    )
}

fn summary(s: &Secret, i: usize) -> Value {
    let v = &s.versions[i];
    json!({
        "secretId": s.id,
        "timeCreated": rfc3339(v.time_created),
        "versionNumber": v.number,
        "versionName": null,
        "timeOfDeletion": null,
        "timeOfExpiry": null,
        "stages": stages(i, s.versions.len()),
    })
}

/// The bundle of the version the query chooses.
fn bundle(s: &Secret, ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    let q = ctx.query;
    let number = q
        .get("versionNumber")
        .map(|v| {
            v.parse::<u64>()
                .map_err(|_| ApiError::invalid(format!("versionNumber \"{v}\" is not a number")))
        })
        .transpose()?;
    let stage = q.get("stage");
    if let Some(st) = stage
        && !["CURRENT", "PENDING", "LATEST", "PREVIOUS", "DEPRECATED"].contains(&st)
    {
        return Err(ApiError::invalid(format!(
            "stage must be one of CURRENT, PENDING, LATEST, PREVIOUS, DEPRECATED, got \"{st}\""
        )));
    }
    let name = q.get("secretVersionName");
    let stage = match (number, name, stage) {
        (None, None, None) => Some("CURRENT"),
        (_, _, s) => s,
    };
    let n = s.versions.len();
    let i = (0..n)
        .rev()
        .find(|&i| {
            number.is_none_or(|x| s.versions[i].number == x)
                // The emulator names no versions.
                && name.is_none()
                && stage.is_none_or(|st| stages(i, n).contains(&st))
        })
        .ok_or_else(|| not_found(format!("no version of secret {} matches", s.id)))?;
    let mut value = summary(s, i);
    value["metadata"] = Value::Null;
    value["secretBundleContent"] = json!({
        "contentType": "BASE64",
        "content": B64.encode(&s.versions[i].content),
    });
    Ok(Reply::json(StatusCode::OK, &value))
}

/// GetSecretBundle.
pub(crate) fn get_bundle(st: &State, ctx: &Ctx<'_>, secret_id: &str) -> Result<Reply, ApiError> {
    let s = st
        .secrets
        .secrets
        .get(secret_id)
        .ok_or_else(|| not_found(format!("secret {secret_id}")))?;
    bundle(s, ctx)
}

/// GetSecretBundleByName: `secretName` and `vaultId` in the query.
pub(crate) fn get_bundle_by_name(st: &State, ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    let name = ctx
        .query
        .get("secretName")
        .ok_or_else(|| ApiError::missing("secretName"))?;
    let vault = ctx
        .query
        .get("vaultId")
        .ok_or_else(|| ApiError::missing("vaultId"))?;
    let s = st
        .secrets
        .secrets
        .values()
        .find(|s| s.name == name && vault == st.secrets.id)
        .ok_or_else(|| not_found(format!("secret '{name}' in vault {vault}")))?;
    bundle(s, ctx)
}

/// ListSecretBundleVersions: every version's summary, by version number.
pub(crate) fn list_versions(st: &State, ctx: &Ctx<'_>, secret_id: &str) -> Result<Reply, ApiError> {
    let s = st
        .secrets
        .secrets
        .get(secret_id)
        .ok_or_else(|| not_found(format!("secret {secret_id}")))?;
    if let Some(by) = ctx.query.get("sortBy")
        && by != "VERSION_NUMBER"
    {
        return Err(ApiError::invalid(format!(
            "sortBy must be VERSION_NUMBER, got \"{by}\""
        )));
    }
    let descending = match ctx.query.get("sortOrder") {
        None | Some("ASC") => false,
        Some("DESC") => true,
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "sortOrder must be ASC or DESC, got \"{other}\""
            )));
        }
    };
    let limit = ctx.query.limit(ctx.page_size)?;
    let page: Option<PageToken> = ctx.query.page()?;
    let keyed: Vec<(String, Value)> = (0..s.versions.len())
        .map(|i| (format!("{:020}", s.versions[i].number), summary(s, i)))
        .collect();
    let (items, next) = paginate(&keyed, descending, page.as_ref(), limit, ctx.empty_pages);
    Ok(list_reply(items, next))
}

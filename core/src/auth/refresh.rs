//! The session-token refresh (`oci session refresh`; facts in `oci-protocol.md` §10): `POST
//! <auth endpoint>/v1/authentication/refresh` with `{"currentToken": "<JWT>"}`, signed with the
//! session key as keyId `ST$<current JWT>`; the reply is `{"token": "<new JWT>"}`, bound to the
//! same key. The auth endpoint is `https://auth.<region>.<realm domain>`.

use std::time::SystemTime;

use http::{HeaderMap, StatusCode};

use super::source::{Completed, SourceCx, SourceStep, TokenSource, signed_json_post, token_reply};
use super::token::TokenError;
use crate::error::Error;

/// The path of the refresh exchange on the auth endpoint.
pub const REFRESH_PATH: &str = "/v1/authentication/refresh";

/// The operation name the refresh exchange carries in errors and logs.
pub const REFRESH_OPERATION: &str = "RefreshSessionToken";

/// A token from a `security_token_file`, renewed through the auth service's refresh endpoint.
#[derive(Debug, Default)]
pub struct SessionRefresh {
    endpoint: String,
    /// Where each refreshed token is written, when the user asked for it.
    #[cfg_attr(not(feature = "fs"), allow(dead_code))]
    write_back: Option<String>,
}

impl SessionRefresh {
    /// Writes each refreshed token to `path` (the `security_token_file`), so that other
    /// programs reading the file (the OCI CLI, the next run) see the live token, as `oci
    /// session refresh` does. Off by default: a library should not rewrite a user's files
    /// unasked. The file is replaced atomically (written beside it, then renamed) and, on
    /// Unix, readable by its owner only. A failed write is logged (never with the token) and
    /// does not fail the call: the token in memory is good.
    pub fn writing_back_to(path: impl Into<String>) -> Self {
        SessionRefresh {
            endpoint: String::new(),
            write_back: Some(path.into()),
        }
    }
}

/// Replaces `path` with `token`, atomically.
#[cfg(feature = "fs")]
fn write_token_file(path: &str, token: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let target = std::path::Path::new(path);
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or_else(|| std::path::Path::new("."));
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "token".to_string());
    let tmp = dir.join(format!(".{name}.ocisdk-{}", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let result = (|| {
        let mut file = options.open(&tmp)?;
        file.write_all(token.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&tmp, target)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

impl TokenSource for SessionRefresh {
    fn kind(&self) -> &'static str {
        "session token"
    }

    fn next(&mut self, cx: &mut SourceCx<'_>, now: SystemTime) -> Result<SourceStep, Error> {
        let url = format!("{}{REFRESH_PATH}", cx.auth_endpoint()?);
        self.endpoint = format!("POST {url}");
        // The body holds the token: the request is never logged.
        let body = serde_json::json!({ "currentToken": cx.current_token().expose() });
        let request = signed_json_post(
            cx.session_signer(),
            &url,
            &body,
            (REFRESH_OPERATION, "refresh"),
            now,
        )?;
        Ok(SourceStep::Send {
            request: Box::new(request),
            operation: REFRESH_OPERATION,
        })
    }

    fn complete(
        &mut self,
        _cx: &mut SourceCx<'_>,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Completed, Error> {
        let endpoint = self.endpoint.clone();
        token_reply(
            (REFRESH_OPERATION, &self.endpoint),
            status,
            headers,
            body,
            "the refresh reply",
            |status, code, opc_request_id| TokenError::RefreshRefused {
                status,
                code,
                endpoint,
                opc_request_id,
            },
        )
        .map(|token| {
            #[cfg(feature = "fs")]
            if let Some(path) = &self.write_back
                && let Err(e) = write_token_file(path, &token.jwt)
            {
                tracing::warn!(
                    file = path.as_str(),
                    "could not write the refreshed session token back to its file: {e}"
                );
            }
            Completed::Token(token)
        })
    }
}

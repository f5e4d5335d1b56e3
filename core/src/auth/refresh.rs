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
        .map(Completed::Token)
    }
}

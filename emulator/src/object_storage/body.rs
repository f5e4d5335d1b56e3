//! Receiving upload bodies (PutObject, UploadPart): framing checks before reading, streaming
//! into one buffer while hashing, and draining bodies that will not be read.

use std::future::poll_fn;
use std::pin::Pin;

use axum::body::{Body, Bytes, HttpBody};
use axum::http::{HeaderMap, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use md5::{Digest, Md5};
use sha2::Sha256;

use super::header;
use crate::auth::Verified;
use crate::state::{ApiError, Reply};

/// The facts about a streamed upload that PutObject and UploadPart share.
pub(super) struct Incoming {
    pub(super) data: Bytes,
    pub(super) md5_raw: [u8; 16],
}

/// Checks framing headers before a streamed body is read: no chunked encoding, a
/// content-length, not too large, and a well-formed content-md5.
pub(super) fn upload_framing(
    headers: &HeaderMap,
    max: u64,
) -> Result<(u64, Option<String>), ApiError> {
    if headers.get_all("transfer-encoding").iter().any(|v| {
        v.to_str()
            .is_ok_and(|s| s.to_ascii_lowercase().contains("chunked"))
    }) {
        return Err(ApiError::new(
            StatusCode::LENGTH_REQUIRED,
            "ContentLengthRequired",
            "The Content-Length header is required: chunked transfer encoding is not supported for uploads",
        ));
    }
    let len = match header(headers, "content-length") {
        None => {
            return Err(ApiError::new(
                StatusCode::LENGTH_REQUIRED,
                "ContentLengthRequired",
                "The Content-Length header is required",
            ));
        }
        Some(s) => s
            .trim()
            .parse::<u64>()
            .map_err(|_| ApiError::invalid(format!("content-length \"{s}\" is not a number")))?,
    };
    if len > max {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLarge",
            format!("content-length {len} exceeds the emulator's limit of {max} bytes"),
        ));
    }
    let md5 = match header(headers, "content-md5") {
        None => None,
        Some(v) => {
            let v = v.trim();
            match B64.decode(v) {
                Ok(raw) if raw.len() == 16 => Some(v.to_string()),
                _ => {
                    return Err(ApiError::invalid(format!(
                        "content-md5 \"{v}\" is not the base64 encoding of a 16-byte MD5"
                    )));
                }
            }
        }
    };
    Ok((len, md5))
}

/// Reads the body into one buffer as it arrives, hashing as it goes.
pub(super) async fn receive(
    mut body: Body,
    expected: u64,
    verified: &Verified,
    claimed_md5: Option<&str>,
) -> Result<Incoming, Reply> {
    let mut buf: Vec<u8> = Vec::with_capacity(usize::try_from(expected).unwrap_or(0));
    let mut md5 = Md5::new();
    let mut sha = verified.needs_body_hash().then(Sha256::new);
    loop {
        let frame = poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await;
        match frame {
            None => break,
            Some(Err(e)) => {
                return Err(ApiError::bad(
                    "InvalidParameter",
                    format!("error while reading the request body: {e}"),
                )
                .into_reply());
            }
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    md5.update(&data);
                    if let Some(s) = sha.as_mut() {
                        s.update(&data);
                    }
                    buf.extend_from_slice(&data);
                }
            }
        }
    }
    let sha = sha.map(|s| s.finalize());
    if let Err(message) = verified.check_body(buf.len() as u64, sha.as_ref().map(|d| d.as_slice()))
    {
        let mut reply =
            ApiError::new(StatusCode::UNAUTHORIZED, "NotAuthenticated", message).into_reply();
        reply.error_code = Some("NotAuthenticated");
        return Err(reply);
    }
    if buf.len() as u64 != expected {
        return Err(ApiError::invalid(format!(
            "received {} body bytes but content-length was {expected}",
            buf.len()
        ))
        .into_reply());
    }
    let md5_raw: [u8; 16] = md5.finalize().into();
    if let Some(claimed) = claimed_md5 {
        let actual = B64.encode(md5_raw);
        if actual != claimed {
            return Err(ApiError::bad(
                "UnmatchedContentMD5",
                format!("The computed MD5 of the request body ({actual}) does not match the Content-MD5 header ({claimed})"),
            )
            .into_reply());
        }
    }
    Ok(Incoming {
        data: Bytes::from(buf),
        md5_raw,
    })
}

/// Discards an unread request body so the connection can be reused, unless the client is
/// waiting for `100 Continue` (then it never sends the body and nothing needs draining).
pub(crate) async fn drain(mut body: Body, headers: &HeaderMap) {
    let expects = header(headers, "expect").is_some_and(|v| v.eq_ignore_ascii_case("100-continue"));
    if expects {
        return;
    }
    let mut seen: u64 = 0;
    while let Some(Ok(frame)) = poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        if let Ok(d) = frame.into_data() {
            seen += d.len() as u64;
            if seen > (1 << 30) {
                return;
            }
        }
    }
}

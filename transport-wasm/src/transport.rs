//! Moving one request and its response through the global `fetch`, plus the clock and the
//! timer: everything this crate asks of its JavaScript host.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::header::{HeaderMap, HeaderName, HeaderValue};
use js_sys::{Function, Promise, Reflect, Uint8Array};
use ocisdk_core::body::UploadMeter;
use ocisdk_core::call::{Reading, ResponseHead};
use ocisdk_core::clock::{Instant, Now};
use ocisdk_core::error::{TransportError, TransportErrorKind};
use ocisdk_core::{Call, Operation, RequestBody};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::upload::UploadBody;

/// Milliseconds as a [`Duration`], treating non-finite or negative values as zero.
fn millis(ms: f64) -> Duration {
    if ms.is_finite() && ms > 0.0 {
        Duration::from_secs_f64(ms / 1000.0)
    } else {
        Duration::ZERO
    }
}

/// Both clocks, as the core wants them: `performance.now()` (monotonic, in windows, workers and
/// Node) for budgets and backoff, `Date.now()` for the request date.
///
/// `SystemTime::now()` and `Instant::now()` panic on `wasm32-unknown-unknown`; this is what the
/// client hands the core instead.
pub fn now() -> Now {
    let wall = SystemTime::UNIX_EPOCH + millis(js_sys::Date::now());
    let monotonic = Reflect::get(&js_sys::global(), &JsValue::from_str("performance"))
        .ok()
        .and_then(|p| {
            let f = Reflect::get(&p, &JsValue::from_str("now")).ok()?;
            f.dyn_into::<Function>().ok()?.call0(&p).ok()?.as_f64()
        })
        // Without a monotonic clock, the wall clock is the best there is.
        .unwrap_or_else(js_sys::Date::now);
    Now::new(Instant::from_origin(millis(monotonic)), wall)
}

/// Whether the Fetch standard (or a browser in practice) refuses to let script set header
/// `name`: such headers are left to the platform, which derives them itself.
///
/// The core's signed requests carry `host` and `content-length`; the platform sends exactly
/// those values (from the URL and the body), so signatures still verify.
pub fn is_forbidden_header(name: &str) -> bool {
    const FORBIDDEN: &[&str] = &[
        "accept-charset",
        "accept-encoding",
        "access-control-request-headers",
        "access-control-request-method",
        "connection",
        "content-length",
        "cookie",
        "cookie2",
        "date",
        "dnt",
        "expect",
        "host",
        "keep-alive",
        "origin",
        "referer",
        "set-cookie",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        // No longer forbidden by the standard, but Chromium still ignores it from script.
        "user-agent",
        "via",
    ];
    let name = name.to_ascii_lowercase();
    FORBIDDEN.contains(&name.as_str()) || name.starts_with("proxy-") || name.starts_with("sec-")
}

/// A property of the global object (`window`, `self` of a worker, `globalThis` of Node/Deno).
fn global_function(name: &str) -> Result<(JsValue, Function), JsValue> {
    let global: JsValue = js_sys::global().into();
    let f = Reflect::get(&global, &JsValue::from_str(name))?;
    let f = f
        .dyn_into::<Function>()
        .map_err(|_| JsValue::from_str(&format!("globalThis.{name} is not a function")))?;
    Ok((global, f))
}

/// `setTimeout(f, ms)`; returns the timer handle (a number, or an object in Node).
fn set_timeout(f: &Function, delay: Duration) -> Result<JsValue, JsValue> {
    let (global, set_timeout) = global_function("setTimeout")?;
    // Timers take a signed 32-bit delay; the core never asks for more than minutes.
    let ms = delay.as_millis().min(i32::MAX as u128) as f64;
    set_timeout.call2(&global, f, &JsValue::from_f64(ms))
}

fn clear_timeout(handle: &JsValue) {
    if let Ok((global, clear)) = global_function("clearTimeout") {
        let _ = clear.call1(&global, handle);
    }
}

/// Waits `duration` on the host's timer (`setTimeout`); never blocks the thread.
pub(crate) async fn sleep(duration: Duration) {
    let mut failed = false;
    let promise = Promise::new(&mut |resolve, _reject| {
        failed = set_timeout(&resolve, duration).is_err();
        if failed {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
    });
    if failed {
        tracing::warn!("setTimeout is unavailable; retrying without waiting");
    }
    let _ = JsFuture::from(promise).await;
}

/// A human-readable description of a thrown JS value (an `Error`'s name and message, its
/// `cause` as Node's fetch reports it).
pub(crate) fn describe(value: &JsValue) -> String {
    if let Some(e) = value.dyn_ref::<js_sys::Error>() {
        let mut s = format!("{}: {}", String::from(e.name()), String::from(e.message()));
        if let Ok(cause) = Reflect::get(e, &JsValue::from_str("cause"))
            && !cause.is_undefined()
            && !cause.is_null()
        {
            s.push_str(" (cause: ");
            s.push_str(&describe(&cause));
            s.push(')');
        }
        return s;
    }
    if let Some(s) = value.as_string() {
        return s;
    }
    let code = Reflect::get(value, &JsValue::from_str("code"))
        .ok()
        .and_then(|c| c.as_string());
    match code {
        Some(code) => format!("error code {code}"),
        None => format!("{value:?}"),
    }
}

/// The error `code` Node's fetch puts on `error.cause` (`ECONNREFUSED`, `UND_ERR_SOCKET`, …).
fn cause_code(value: &JsValue) -> Option<String> {
    let cause = Reflect::get(value, &JsValue::from_str("cause")).ok()?;
    if cause.is_undefined() || cause.is_null() {
        return None;
    }
    Reflect::get(&cause, &JsValue::from_str("code"))
        .ok()?
        .as_string()
}

/// Classifies a rejected `fetch`. Browsers report every network failure (refused connection,
/// reset, CORS refusal) as one opaque `TypeError`; Node says more through `cause.code`.
fn classify_fetch_error(value: &JsValue, timed_out: bool) -> TransportError {
    let kind = if timed_out {
        TransportErrorKind::Timeout
    } else {
        match cause_code(value).as_deref() {
            Some("ECONNREFUSED" | "ENOTFOUND" | "EAI_AGAIN" | "UND_ERR_CONNECT_TIMEOUT") => {
                TransportErrorKind::Connect
            }
            Some("ETIMEDOUT" | "UND_ERR_HEADERS_TIMEOUT" | "UND_ERR_BODY_TIMEOUT") => {
                TransportErrorKind::Timeout
            }
            Some(code) if code.starts_with("ERR_TLS") || code.contains("CERT") => {
                TransportErrorKind::Tls
            }
            _ => TransportErrorKind::Io,
        }
    };
    let message = if timed_out {
        "no response within the client's timeout; the request was aborted".to_string()
    } else {
        describe(value)
    };
    TransportError::new(kind, message)
}

/// A `setTimeout` that aborts a fetch, cleared when the exchange ends.
pub(crate) struct Deadline {
    timer: JsValue,
    fired: std::rc::Rc<std::cell::Cell<bool>>,
    _on_timeout: wasm_bindgen::closure::Closure<dyn FnMut()>,
}

impl Deadline {
    /// Whether the timeout fired (and aborted the exchange).
    pub(crate) fn fired(&self) -> bool {
        self.fired.get()
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        clear_timeout(&self.timer);
    }
}

fn deadline(timeout: Duration, controller: &web_sys::AbortController) -> Result<Deadline, JsValue> {
    let fired = std::rc::Rc::new(std::cell::Cell::new(false));
    let flag = fired.clone();
    let controller = controller.clone();
    let on_timeout = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || {
        flag.set(true);
        controller.abort();
    });
    let timer = set_timeout(on_timeout.as_ref().unchecked_ref(), timeout)?;
    Ok(Deadline {
        timer,
        fired,
        _on_timeout: on_timeout,
    })
}

/// Sends one attempt and waits for the response head. `timeout` bounds the wait for the
/// head (and, when the response is read with [`read_body`] before the deadline is dropped,
/// its body too); it does not apply to uploads.
pub(crate) async fn send(
    request: http::Request<RequestBody>,
    upload: Option<(&UploadBody, UploadMeter)>,
    timeout: Option<Duration>,
) -> Result<(web_sys::Response, Option<Deadline>), TransportError> {
    let (parts, body) = request.into_parts();
    let url = parts.uri.to_string();
    let invalid = |e: JsValue| {
        TransportError::new(
            TransportErrorKind::InvalidUrl,
            format!("cannot build the fetch request: {}", describe(&e)),
        )
    };

    let headers = web_sys::Headers::new().map_err(invalid)?;
    for (name, value) in &parts.headers {
        if is_forbidden_header(name.as_str()) {
            continue;
        }
        // fetch takes header values as ByteStrings (one char per byte, U+0000..=U+00FF):
        // mapping each byte to its char sends exactly the bytes that were signed, as the
        // native transports do, where a UTF-8 string would be mangled or refused.
        let value: String = value.as_bytes().iter().map(|&b| char::from(b)).collect();
        headers.append(name.as_str(), &value).map_err(invalid)?;
    }
    if let Some(segment) = dot_segment(parts.uri.path()) {
        // WHATWG URL parsing (browsers, Node) collapses `.`/`..` segments even when
        // percent-encoded, so the request would go to, and be signed for, different paths.
        return Err(TransportError::new(
            TransportErrorKind::InvalidUrl,
            format!(
                "the path has a `{segment}` segment, which fetch would collapse; such object \
                 names cannot be used from a browser"
            ),
        ));
    }

    let init = web_sys::RequestInit::new();
    init.set_method(parts.method.as_str());
    init.set_headers(&headers);
    // A signed GET must reach the service: never answer it from the HTTP cache.
    init.set_cache(web_sys::RequestCache::NoStore);
    // Native transports never follow redirects (a redirected request's signature no longer
    // matches); fetch would, silently.
    init.set_redirect(web_sys::RequestRedirect::Error);
    let uploading = upload.is_some();
    match (body, upload) {
        (RequestBody::Bytes(bytes), _) => init.set_body(&Uint8Array::from(&bytes[..])),
        (RequestBody::Stream { .. }, Some((upload, meter))) => {
            // The platform sends the whole source itself: its length is all the meter checks.
            if let Err(e) = meter.whole(upload.len()) {
                return Err(TransportError::new(TransportErrorKind::Io, e.to_string()));
            }
            init.set_body(&upload.to_js());
        }
        (RequestBody::Empty | RequestBody::Stream { .. }, _) => {}
    }

    // fetch cannot tell when an upload's body has left, so a deadline on the response would
    // also bound the upload itself: object uploads are left to the platform's own timeouts.
    let timeout = if uploading { None } else { timeout };
    let controller = match timeout {
        Some(_) => Some(web_sys::AbortController::new().map_err(invalid)?),
        None => None,
    };
    if let Some(c) = &controller {
        init.set_signal(Some(&c.signal()));
    }
    let request = web_sys::Request::new_with_str_and_init(&url, &init).map_err(invalid)?;
    let (global, fetch) = global_function("fetch").map_err(invalid)?;
    let guard = match (timeout, &controller) {
        (Some(t), Some(c)) => Some(deadline(t, c).map_err(invalid)?),
        _ => None,
    };
    let promise = fetch
        .call1(&global, &request)
        .map_err(invalid)?
        .dyn_into::<Promise>()
        .map_err(|_| invalid(JsValue::from_str("fetch did not return a Promise")))?;
    match JsFuture::from(promise).await {
        Ok(value) => {
            let response = value.dyn_into::<web_sys::Response>().map_err(|v| {
                TransportError::new(
                    TransportErrorKind::Io,
                    format!("fetch resolved to something else than a Response: {v:?}"),
                )
            })?;
            Ok((response, guard))
        }
        Err(e) => {
            let timed_out = guard.as_ref().is_some_and(Deadline::fired);
            Err(classify_fetch_error(&e, timed_out))
        }
    }
}

/// The status and headers of a fetch response. `fetch` has already undone any
/// `content-encoding`, which the core is told so it does not mistake a decoded body for a
/// truncated one.
pub(crate) fn head(response: &web_sys::Response) -> Result<ResponseHead, TransportError> {
    let mut headers = HeaderMap::new();
    let entries = js_sys::try_iter(&response.headers())
        .ok()
        .flatten()
        .ok_or_else(|| {
            TransportError::new(TransportErrorKind::Io, "response headers are not iterable")
        })?;
    for entry in entries {
        let Ok(entry) = entry else { continue };
        let pair = js_sys::Array::from(&entry);
        let (Some(name), Some(value)) = (pair.get(0).as_string(), pair.get(1).as_string()) else {
            continue;
        };
        // The ByteString back to its bytes (every char is at most U+00FF), so `opc-meta-*`
        // and `content-disposition` arrive as the service sent them.
        let Some(raw) = value
            .chars()
            .map(|c| u8::try_from(u32::from(c)).ok())
            .collect::<Option<Vec<u8>>>()
        else {
            continue;
        };
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(&raw),
        ) else {
            continue;
        };
        headers.append(name, value);
    }
    let status = http::StatusCode::from_u16(response.status()).map_err(|_| {
        TransportError::new(
            TransportErrorKind::Io,
            format!("invalid status {} from fetch", response.status()),
        )
    })?;
    Ok(ResponseHead::new(status, headers).decoded_by_platform())
}

/// The first path segment that is `.` or `..` once percent-decoded, if any.
fn dot_segment(path: &str) -> Option<&'static str> {
    path.split('/').find_map(|segment| {
        match segment.to_ascii_lowercase().replace("%2e", ".").as_str() {
            "." => Some("."),
            ".." => Some(".."),
            _ => None,
        }
    })
}

/// Reads a buffered response body into the core chunk by chunk from its `ReadableStream`, so
/// the core's limit holds while the body arrives, not after it was buffered whole. The
/// deadline, while held, aborts a body that stalls.
pub(crate) async fn read_body<O: Operation>(
    mut reading: Reading<O>,
    response: &web_sys::Response,
    deadline: Option<Deadline>,
) -> Call<O> {
    let Some(stream) = response.body() else {
        return reading.end(now());
    };
    let reader = stream.get_reader();
    let Ok(reader) = reader.dyn_into::<web_sys::ReadableStreamDefaultReader>() else {
        let e = TransportError::new(TransportErrorKind::Io, "the body has no default reader");
        return reading.failed(e, now());
    };
    loop {
        let next = JsFuture::from(reader.read()).await;
        let chunk = match next {
            Ok(result) => result,
            Err(e) => {
                let timed_out = deadline.as_ref().is_some_and(Deadline::fired);
                let error = classify_fetch_error(&e, timed_out);
                let kind = if timed_out {
                    TransportErrorKind::Timeout
                } else {
                    TransportErrorKind::Truncated
                };
                let message = format!("reading the response body failed: {}", error.message);
                return reading.failed(TransportError::new(kind, message), now());
            }
        };
        let done = Reflect::get(&chunk, &JsValue::from_str("done"))
            .ok()
            .and_then(|d| d.as_bool())
            .unwrap_or(true);
        if done {
            return reading.end(now());
        }
        let value = Reflect::get(&chunk, &JsValue::from_str("value")).unwrap_or_default();
        let bytes = Uint8Array::new(&value).to_vec();
        if !reading.chunk(Bytes::from(bytes)) {
            // Over the limit: stop the download; the core reports it.
            let _ = reader.cancel();
            return reading.end(now());
        }
    }
}

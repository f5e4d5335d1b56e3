//! A test-only OCI request signer and a tiny HTTP client over ureq, written independently of the
//! SDK so that the emulator's verifier is checked against a second implementation.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ocisdk_emulator::{Emulator, EmulatorConfig};
use rsa::pkcs8::DecodePrivateKey;
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use serde_json::Value;
use sha2::{Digest, Sha256};
use ureq::http;

pub const TEST_KEY: &str = include_str!("../fixtures/test_key.pem");

/// An emulator using the fixture key (no key generation in tests).
pub fn emulator() -> Emulator {
    emulator_with(EmulatorConfig::default())
}

pub fn emulator_with(mut config: EmulatorConfig) -> Emulator {
    if config.key_pem.is_none() {
        config.key_pem = Some(TEST_KEY.to_string());
    }
    Emulator::start_with(config).unwrap()
}

/// How to sign one request (the knobs the 401 tests turn).
#[derive(Clone, Debug, Default)]
pub struct Sign {
    /// Sign the body headers (content-length, content-type, x-content-sha256).
    pub body_headers: Option<bool>,
    /// Use this date instead of now.
    pub date: Option<SystemTime>,
    /// Send and sign x-date instead of date.
    pub x_date: bool,
    /// Send this x-content-sha256 instead of the real one.
    pub sha256_override: Option<String>,
    /// Use this keyId.
    pub key_id: Option<String>,
    /// Flip a byte of the signature.
    pub corrupt: bool,
    /// Do not sign at all.
    pub unsigned: bool,
    /// Header names left out of the signed list (still sent).
    pub omit: Vec<&'static str>,
    /// The `version` parameter of the authorization header: `None` sends `version="1"`,
    /// `Some("")` leaves the parameter out, anything else is sent as given.
    pub version: Option<&'static str>,
    /// Header names (of `extra`) added to the signed list.
    pub also_sign: Vec<&'static str>,
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    pub fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or_default().to_string()
    }
    pub fn message(&self) -> String {
        self.json()["message"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
    /// Asserts an error status and code, and that every response has an opc-request-id.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(
            self.status,
            status,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(
            self.code(),
            code,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
        assert!(self.header("opc-request-id").is_some());
    }
}

pub struct Client {
    pub agent: ureq::Agent,
    pub base: String,
    pub host: String,
    pub key: RsaPrivateKey,
    pub key_id: String,
}

impl Client {
    pub fn new(emu: &Emulator) -> Client {
        Self::with_key(emu, TEST_KEY, &emu.key_id())
    }

    pub fn with_key(emu: &Emulator, pem: &str, key_id: &str) -> Client {
        Self::build(emu, pem, key_id, Duration::from_secs(60))
    }

    /// A client whose every request gives up after `timeout`.
    pub fn with_timeout(emu: &Emulator, timeout: Duration) -> Client {
        Self::build(emu, TEST_KEY, &emu.key_id(), timeout)
    }

    fn build(emu: &Emulator, pem: &str, key_id: &str, timeout: Duration) -> Client {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .build();
        Client {
            agent: config.into(),
            base: emu.url().to_string(),
            host: emu.url().trim_start_matches("http://").to_string(),
            key: RsaPrivateKey::from_pkcs8_pem(pem).unwrap(),
            key_id: key_id.to_string(),
        }
    }

    /// The headers `send` puts on the wire (in order), signed as `sign` says.
    pub fn signed_headers(
        &self,
        method: &str,
        target: &str,
        extra: &[(&str, &str)],
        body: Option<&[u8]>,
        sign: &Sign,
    ) -> Vec<(String, String)> {
        let date = httpdate::fmt_http_date(sign.date.unwrap_or_else(SystemTime::now));
        let mut headers: Vec<(String, String)> = Vec::new();
        let date_name = if sign.x_date { "x-date" } else { "date" };
        headers.push((date_name.into(), date));
        headers.push(("host".into(), self.host.clone()));
        let body_method = matches!(method, "PUT" | "POST" | "PATCH");
        let body_headers = sign.body_headers.unwrap_or(body_method);
        let mut names: Vec<&str> = vec![date_name, "(request-target)", "host"];
        let bytes = body.unwrap_or(b"");
        let has_ct = extra
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"));
        let has_cl = extra
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-length"));
        if body_method && !has_ct {
            headers.push(("content-type".into(), "application/json".into()));
        }
        if body_method && !has_cl {
            headers.push(("content-length".into(), bytes.len().to_string()));
        }
        if body_headers {
            let sha = sign
                .sha256_override
                .clone()
                .unwrap_or_else(|| B64.encode(Sha256::digest(bytes)));
            headers.push(("x-content-sha256".into(), sha));
            names.extend(["content-length", "content-type", "x-content-sha256"]);
        }
        for (k, v) in extra {
            headers.push((k.to_ascii_lowercase(), v.to_string()));
        }
        names.extend(sign.also_sign.iter().copied());
        names.retain(|n| !sign.omit.contains(n));
        if !sign.unsigned {
            let lines: Vec<String> = names
                .iter()
                .map(|n| {
                    if *n == "(request-target)" {
                        format!(
                            "(request-target): {} {}",
                            method.to_ascii_lowercase(),
                            target
                        )
                    } else {
                        let v = headers
                            .iter()
                            .find(|(k, _)| k == n)
                            .map(|(_, v)| v.clone())
                            .unwrap_or_default();
                        format!("{n}: {v}")
                    }
                })
                .collect();
            let signing_string = lines.join("\n");
            let digest = Sha256::digest(signing_string.as_bytes());
            let mut sig = self
                .key
                .sign(Pkcs1v15Sign::new::<Sha256>(), &digest)
                .unwrap();
            if sign.corrupt {
                sig[10] ^= 0x55;
            }
            let key_id = sign.key_id.clone().unwrap_or_else(|| self.key_id.clone());
            let version = match sign.version {
                None => "version=\"1\",".to_string(),
                Some("") => String::new(),
                Some(v) => format!("version=\"{v}\","),
            };
            headers.push((
                "authorization".into(),
                format!(
                    "Signature {version}keyId=\"{key_id}\",algorithm=\"rsa-sha256\",headers=\"{}\",signature=\"{}\"",
                    names.join(" "),
                    B64.encode(sig)
                ),
            ));
        }
        headers
    }

    /// The request head `send` would write, as raw HTTP/1.1 bytes (the body is not included).
    pub fn raw_head(
        &self,
        method: &str,
        target: &str,
        extra: &[(&str, &str)],
        body: Option<&[u8]>,
        sign: &Sign,
    ) -> Vec<u8> {
        let mut out = format!("{method} {target} HTTP/1.1\r\n");
        for (k, v) in self.signed_headers(method, target, extra, body, sign) {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
        out.push_str("\r\n");
        out.into_bytes()
    }

    /// Sends a request; `target` is the path and query exactly as it goes on the wire.
    pub fn send(
        &self,
        method: &str,
        target: &str,
        extra: &[(&str, &str)],
        body: Option<&[u8]>,
        sign: &Sign,
    ) -> Resp {
        self.try_send(method, target, extra, body, sign)
            .unwrap_or_else(|e| panic!("{method} {target}: {e}"))
    }

    /// Like `send`, but a transport error (reset, truncated body, timeout) is returned.
    pub fn try_send(
        &self,
        method: &str,
        target: &str,
        extra: &[(&str, &str)],
        body: Option<&[u8]>,
        sign: &Sign,
    ) -> Result<Resp, ureq::Error> {
        let headers = self.signed_headers(method, target, extra, body, sign);
        let uri = format!("{}{}", self.base, target);
        let mut builder = http::Request::builder().method(method).uri(uri);
        for (k, v) in &headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        let result = match body {
            Some(b) => self.agent.run(builder.body(b).unwrap()),
            None => self.agent.run(builder.body(()).unwrap()),
        };
        let resp = result?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp
            .into_body()
            .with_config()
            .limit(1 << 31)
            .read_to_vec()?;
        Ok(Resp {
            status,
            headers,
            body,
        })
    }

    pub fn get(&self, target: &str) -> Resp {
        self.send("GET", target, &[], None, &Sign::default())
    }
    pub fn head(&self, target: &str) -> Resp {
        self.send("HEAD", target, &[], None, &Sign::default())
    }
    pub fn delete(&self, target: &str) -> Resp {
        self.send("DELETE", target, &[], None, &Sign::default())
    }
    pub fn post_json(&self, target: &str, body: &Value) -> Resp {
        let b = serde_json::to_vec(body).unwrap();
        self.send("POST", target, &[], Some(&b), &Sign::default())
    }
    pub fn put_json(&self, target: &str, body: &Value) -> Resp {
        let b = serde_json::to_vec(body).unwrap();
        self.send("PUT", target, &[], Some(&b), &Sign::default())
    }
    /// PutObject: only date, (request-target), host are signed.
    pub fn put_object(&self, target: &str, data: &[u8], extra: &[(&str, &str)]) -> Resp {
        let mut headers = Vec::new();
        if !extra
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        {
            headers.push(("content-type", "application/octet-stream"));
        }
        headers.extend_from_slice(extra);
        self.send(
            "PUT",
            target,
            &headers,
            Some(data),
            &Sign {
                body_headers: Some(false),
                ..Sign::default()
            },
        )
    }
}

/// Percent-encodes an object name for a path (keeping `/`).
pub fn enc(name: &str) -> String {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    const SET: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b'/');
    utf8_percent_encode(name, SET).to_string()
}

/// How the read side of a raw connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// A complete response arrived (head plus `content-length` body bytes); the connection may
    /// still be open.
    Complete,
    /// The server closed cleanly (FIN).
    Eof,
    /// The server reset the connection (RST).
    Reset,
    /// Nothing more arrived within the read timeout.
    TimedOut,
    /// Another read error.
    Error(std::io::ErrorKind),
}

/// What a raw TCP client observed: the exact bytes, and how the connection ended.
#[derive(Debug)]
pub struct Raw {
    /// The first error writing the request, if any (e.g. the server reset mid-body).
    pub write_error: Option<std::io::ErrorKind>,
    pub bytes: Vec<u8>,
    pub end: End,
    pub elapsed: Duration,
}

impl Raw {
    fn head_len(&self) -> Option<usize> {
        self.bytes
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map(|i| i + 4)
    }
    /// The response head (status line and headers), if it arrived completely.
    pub fn head(&self) -> Option<String> {
        self.head_len()
            .map(|n| String::from_utf8_lossy(&self.bytes[..n]).into_owned())
    }
    pub fn status(&self) -> Option<u16> {
        self.head()?.split(' ').nth(1)?.parse().ok()
    }
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.head()?;
        head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    }
    pub fn content_length(&self) -> Option<usize> {
        self.header("content-length")?.parse().ok()
    }
    /// The body bytes that arrived after the head.
    pub fn body(&self) -> &[u8] {
        self.head_len().map_or(&[][..], |n| &self.bytes[n..])
    }
}

/// Writes `parts` to a fresh connection (optionally half-closing it after), then reads until
/// the server ends the connection, a complete response arrived, or `read_timeout` passes.
pub fn raw(emu: &Emulator, parts: &[&[u8]], shutdown_write: bool, read_timeout: Duration) -> Raw {
    use std::io::{ErrorKind, Read, Write};
    let started = std::time::Instant::now();
    let mut tcp = std::net::TcpStream::connect(emu.addr()).unwrap();
    tcp.set_read_timeout(Some(read_timeout)).unwrap();
    tcp.set_write_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut write_error = None;
    for p in parts {
        if let Err(e) = tcp.write_all(p) {
            write_error = Some(e.kind());
            break;
        }
    }
    if shutdown_write && write_error.is_none() {
        tcp.shutdown(std::net::Shutdown::Write).unwrap();
    }
    let mut out = Raw {
        write_error,
        bytes: Vec::new(),
        end: End::TimedOut,
        elapsed: Duration::ZERO,
    };
    let mut buf = vec![0u8; 64 * 1024];
    out.end = loop {
        match tcp.read(&mut buf) {
            Ok(0) => break End::Eof,
            Ok(n) => {
                out.bytes.extend_from_slice(&buf[..n]);
                if let (Some(len), Some(_)) = (out.content_length(), out.head())
                    && out.body().len() >= len
                {
                    break End::Complete;
                }
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                break End::TimedOut;
            }
            Err(e) if e.kind() == ErrorKind::ConnectionReset => break End::Reset,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => break End::Error(e.kind()),
        }
    };
    out.elapsed = started.elapsed();
    out
}

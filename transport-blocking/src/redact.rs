//! Sensitive header values never reach ureq.
//!
//! ureq-proto (0.7) hex-dumps every request head it writes at `log`'s TRACE level, so any header
//! handed to ureq ends up in the logs of whoever turns TRACE on: the `authorization` value (which
//! carries a session token as its `keyId`) and SSE-C keys included. `log` has no per-library
//! switch a library could flip, so the values are taken away before ureq sees them: each header
//! `http` marks sensitive (the core marks `authorization` and the SSE-C key headers) is replaced
//! by a placeholder naming a random nonce, and a connector wrapped around ureq's own puts the
//! real value back into the plaintext at the last moment, when the bytes go to the TLS session or
//! the socket, then clears ureq's buffer. ureq logs, pools and frames exactly as before; only
//! the placeholder is ever in its logs.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use http::{HeaderMap, HeaderValue};
use ocisdk_core::error::{TransportError, TransportErrorKind};
use ureq::unversioned::transport::{Buffers, ConnectionDetails, Connector, NextTimeout, Transport};
use zeroize::Zeroizing;

/// What every placeholder starts with; the connector searches each write for it.
const MARKER: &[u8] = b"ocisdk-redacted-";
/// A nonce of 128 random bits, in lowercase hex, follows the marker.
const NONCE_LEN: usize = 32;

type Nonce = [u8; NONCE_LEN];

/// The real values of the sensitive headers of requests in flight, by nonce. Shared by a
/// client's requests (which put values in) and its connections (which take copies out).
#[derive(Default)]
pub(crate) struct Vault {
    entries: Mutex<HashMap<Nonce, Zeroizing<Vec<u8>>>>,
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vault").finish_non_exhaustive()
    }
}

/// The placeholders of one request; their values leave the vault when it is dropped (once the
/// response head has arrived, the request head has been written).
pub(crate) struct Sealed<'v> {
    vault: &'v Vault,
    nonces: Vec<Nonce>,
}

impl Drop for Sealed<'_> {
    fn drop(&mut self) {
        let mut entries = self.vault.lock();
        for nonce in &self.nonces {
            entries.remove(nonce);
        }
    }
}

fn hex_nonce() -> Result<Nonce, TransportError> {
    let mut random = [0u8; NONCE_LEN / 2];
    getrandom::getrandom(&mut random).map_err(|e| {
        TransportError::new(
            TransportErrorKind::Connect,
            format!("no randomness for a header placeholder: {e}"),
        )
    })?;
    let mut nonce = [0u8; NONCE_LEN];
    for (i, b) in random.iter().enumerate() {
        nonce[2 * i] = HEX[usize::from(b >> 4)];
        nonce[2 * i + 1] = HEX[usize::from(b & 0xf)];
    }
    Ok(nonce)
}

const HEX: &[u8; 16] = b"0123456789abcdef";

impl Vault {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Nonce, Zeroizing<Vec<u8>>>> {
        // A panic elsewhere while holding the lock leaves the map consistent (inserts and
        // removes are single calls), so a poisoned lock is still usable.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Replaces every sensitive value in `headers` by a placeholder and keeps the value until the
    /// returned guard is dropped.
    pub(crate) fn seal(&self, headers: &mut HeaderMap) -> Result<Sealed<'_>, TransportError> {
        let mut sealed = Sealed {
            vault: self,
            nonces: Vec::new(),
        };
        for value in headers.values_mut() {
            if !value.is_sensitive() {
                continue;
            }
            let nonce = hex_nonce()?;
            let mut placeholder = Vec::with_capacity(MARKER.len() + NONCE_LEN);
            placeholder.extend_from_slice(MARKER);
            placeholder.extend_from_slice(&nonce);
            let mut swapped = HeaderValue::from_bytes(&placeholder).map_err(|_| {
                TransportError::new(TransportErrorKind::InvalidUrl, "bad header placeholder")
            })?;
            swapped.set_sensitive(true);
            let real = std::mem::replace(value, swapped);
            self.lock()
                .insert(nonce, Zeroizing::new(real.as_bytes().to_vec()));
            sealed.nonces.push(nonce);
        }
        Ok(sealed)
    }

    /// `out` with every placeholder of a request in flight replaced by its value, or `None`
    /// when there is none (the common case for body bytes).
    fn unseal(&self, out: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        let finder = memchr::memmem::Finder::new(MARKER);
        let mut at = 0;
        let mut result: Option<Zeroizing<Vec<u8>>> = None;
        for found in finder.find_iter(out) {
            let start = found + MARKER.len();
            let Some(nonce) = out.get(start..start + NONCE_LEN) else {
                break;
            };
            let Ok(nonce) = Nonce::try_from(nonce) else {
                continue;
            };
            let entries = self.lock();
            // Bytes that merely look like a placeholder (in a body, say) stay as they are.
            let Some(value) = entries.get(&nonce) else {
                continue;
            };
            let buf = result.get_or_insert_with(|| Zeroizing::new(Vec::with_capacity(out.len())));
            buf.extend_from_slice(&out[at..found]);
            buf.extend_from_slice(value);
            at = start + NONCE_LEN;
        }
        let mut buf = result?;
        buf.extend_from_slice(&out[at..]);
        Some(buf)
    }
}

/// Wraps each connection ureq's default connector makes (TCP, proxy, TLS) in [`Unsealing`].
#[derive(Debug)]
pub(crate) struct UnsealingConnector(pub(crate) Arc<Vault>);

impl Connector<Box<dyn Transport>> for UnsealingConnector {
    type Out = Unsealing;

    fn connect(
        &self,
        _details: &ConnectionDetails,
        chained: Option<Box<dyn Transport>>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        Ok(chained.map(|inner| Unsealing {
            inner,
            vault: self.0.clone(),
        }))
    }
}

/// A connection that puts sealed header values back as the bytes leave.
pub(crate) struct Unsealing {
    inner: Box<dyn Transport>,
    vault: Arc<Vault>,
}

impl fmt::Debug for Unsealing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Unsealing")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl Transport for Unsealing {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.inner.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        let Some(real) = self.vault.unseal(&self.inner.buffers().output()[..amount]) else {
            return self.inner.transmit_output(amount, timeout);
        };
        // The real text is longer or shorter than the placeholder: send it through the same
        // buffer in buffer-sized pieces, then wipe what of it the buffer still holds.
        let capacity = self.inner.buffers().output().len().max(1);
        let mut result = Ok(());
        let mut last = 0;
        for piece in real.chunks(capacity) {
            self.inner.buffers().output()[..piece.len()].copy_from_slice(piece);
            last = piece.len();
            result = self.inner.transmit_output(piece.len(), timeout);
            if result.is_err() {
                break;
            }
        }
        self.inner.buffers().output()[..last].fill(0);
        result
    }

    fn maybe_await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.inner.maybe_await_input(timeout)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.inner.await_input(timeout)
    }

    fn is_open(&mut self) -> bool {
        self.inner.is_open()
    }

    fn is_tls(&self) -> bool {
        self.inner.is_tls()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn seal_then_unseal_restores_the_exact_bytes() {
        let vault = Vault::default();
        let mut headers = HeaderMap::new();
        let mut auth = HeaderValue::from_static("Signature keyId=\"ST$token\",signature=\"abc\"");
        auth.set_sensitive(true);
        headers.insert("authorization", auth.clone());
        headers.insert("host", HeaderValue::from_static("example.com"));
        let sealed = vault.seal(&mut headers).unwrap();
        let placeholder = headers["authorization"].as_bytes().to_vec();
        assert!(placeholder.starts_with(MARKER));
        assert_eq!(headers["host"], "example.com");
        let mut head = b"GET / HTTP/1.1\r\nauthorization: ".to_vec();
        head.extend_from_slice(&placeholder);
        head.extend_from_slice(b"\r\nhost: example.com\r\n\r\n");
        let real = vault.unseal(&head).unwrap();
        let expected = b"GET / HTTP/1.1\r\nauthorization: Signature keyId=\"ST$token\",signature=\"abc\"\r\nhost: example.com\r\n\r\n";
        assert_eq!(real.as_slice(), &expected[..]);
        drop(sealed);
        // Once the request is done, the placeholder opens nothing.
        assert!(vault.unseal(&head).is_none());
    }

    #[test]
    fn look_alikes_in_a_body_stay_as_they_are() {
        let vault = Vault::default();
        let body = b"ocisdk-redacted-0123456789abcdef0123456789abcdef and ocisdk-redacted-";
        assert!(vault.unseal(body).is_none());
    }
}

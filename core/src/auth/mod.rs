//! Credentials and request signing: private keys, key ids and the RSA backends.

pub mod keys;
pub mod provider;
pub mod signer;

pub use keys::*;
pub use provider::*;
pub use signer::{DateHeader, KeyId, RequestSigner, RsaBackend, SignBody, SigningError};

//! Credentials and request signing: private keys, key ids, the RSA backends and token
//! principals (session tokens that refresh, instance principals).

pub mod keys;
pub mod provider;
pub mod session;
pub mod signer;
pub mod token;
pub mod x509;

pub use keys::*;
pub use provider::*;
pub use session::{
    DEFAULT_IMDS_ENDPOINT, RefreshTicket, SessionToken, SessionTokenPrincipal, TokenStep,
};
pub use signer::{DateHeader, KeyId, RequestSigner, RsaBackend, SignBody, SigningError};
pub use token::{TokenClaims, TokenError};

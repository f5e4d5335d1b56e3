//! Credentials and request signing: private keys, key ids, the RSA backends and token
//! principals (session tokens that refresh).

pub mod keys;
pub mod provider;
pub mod session;
pub mod signer;
pub mod token;

pub use keys::*;
pub use provider::*;
pub use session::{RefreshTicket, SessionToken, SessionTokenPrincipal, TokenStep};
pub use signer::{DateHeader, KeyId, RequestSigner, RsaBackend, SignBody, SigningError};
pub use token::{TokenClaims, TokenError};

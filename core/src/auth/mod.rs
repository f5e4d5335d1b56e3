//! Credentials and request signing: private keys, key ids, the RSA backends and token
//! principals (session tokens that refresh, instance and resource principals, OKE workload
//! identity, and the [`TokenSource`] trait for other ways of obtaining tokens).

pub mod chain;
pub mod instance;
pub mod keys;
pub mod oke;
pub mod provider;
pub mod refresh;
pub mod resource;
pub mod session;
pub mod signer;
pub mod source;
pub mod token;
pub mod x509;

pub use instance::{DEFAULT_IMDS_ENDPOINT, InstanceFederation};
pub use keys::*;
pub use oke::{OkeSettings, OkeWorkloadIdentity, ServiceAccountToken};
pub use provider::*;
pub use refresh::SessionRefresh;
pub use resource::{
    ResourceClaims, ResourcePrincipalEnv, ResourcePrincipalError, ResourcePrincipalSetup,
    ResourcePrincipalSource, ResourcePrincipalV11Source, ResourcePrincipalV21Source,
};
pub use session::{RefreshTicket, SessionToken, SessionTokenPrincipal, TokenStep};
pub use signer::{DateHeader, KeyId, RequestSigner, RsaBackend, SignBody, SigningError};
pub use source::{Completed, NewToken, SourceCx, SourceStep, TokenSource};
pub use token::{TokenClaims, TokenError};

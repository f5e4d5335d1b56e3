//! Where requests go: the services, their base URLs, and how path segments are encoded.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::error::Error;
use crate::region::Region;

/// The OCI services this crate speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    /// Identity and Access Management (`/20160918`).
    Identity,
    /// Object Storage (`/n/...`).
    ObjectStorage,
}

/// Base URLs of each service (scheme, host, optional port; no trailing slash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    identity: String,
    object_storage: String,
}

impl Endpoints {
    /// The public endpoints of `region`.
    pub fn for_region(region: &Region) -> Self {
        Endpoints {
            identity: region.identity_endpoint(),
            object_storage: region.object_storage_endpoint(),
        }
    }

    /// Sends every service to one base URL (an emulator, a proxy): Identity paths start with
    /// `/20160918`, Object Storage paths with `/n`, so they never collide.
    pub fn single(base: &str) -> Self {
        let base = base.trim_end_matches('/').to_string();
        Endpoints {
            identity: base.clone(),
            object_storage: base,
        }
    }

    /// Overrides the base URL of one service.
    pub fn with(mut self, service: Service, base: &str) -> Self {
        let base = base.trim_end_matches('/').to_string();
        match service {
            Service::Identity => self.identity = base,
            Service::ObjectStorage => self.object_storage = base,
        }
        self
    }

    /// What a client talks to: the explicit endpoints if given, else the public endpoints of
    /// `region` (resolved with `sources`: regions-config, `OCI_REGION_METADATA`, default
    /// realm), else an error saying neither was given.
    pub fn choose(
        explicit: Option<Endpoints>,
        region: Option<&str>,
        sources: &crate::region::RegionSources<'_>,
    ) -> Result<Endpoints, Error> {
        match (explicit, region) {
            (Some(endpoints), _) => Ok(endpoints),
            (None, Some(region)) => Ok(Endpoints::for_region(&crate::region::resolve_region(
                region, sources,
            )?)),
            (None, None) => Err(no_region()),
        }
    }

    /// [`Endpoints::choose`] with the region sources of this machine (`~/.oci/regions-config.json`,
    /// `OCI_REGION_METADATA`, `OCI_DEFAULT_REALM`).
    #[cfg(feature = "fs")]
    pub fn choose_from_env(
        explicit: Option<Endpoints>,
        region: Option<&str>,
    ) -> Result<Endpoints, Error> {
        match (explicit, region) {
            (Some(endpoints), _) => Ok(endpoints),
            (None, Some(region)) => Ok(Endpoints::for_region(
                &crate::region::resolve_region_from_env(region)?,
            )),
            (None, None) => Err(no_region()),
        }
    }

    /// The base URL for `service`.
    pub fn base(&self, service: Service) -> &str {
        match service {
            Service::Identity => &self.identity,
            Service::ObjectStorage => &self.object_storage,
        }
    }
}

fn no_region() -> Error {
    Error::Region(crate::region::RegionError::Unknown {
        name: String::new(),
        hint: "no region (the profile's `region`, or `OCI_REGION` where there is an environment) and no endpoint given".into(),
    })
}

/// Characters left unescaped in query values and path segments: RFC 3986 unreserved only, so
/// what is signed is exactly what any HTTP client sends.
pub(crate) const ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes one path segment (an OCID, a bucket or object name). `/` is encoded too.
pub fn encode_segment(s: &str) -> String {
    utf8_percent_encode(s, ENCODE).to_string()
}

/// Percent-encodes an object name, keeping `/` literal as the Object Storage console does.
pub fn encode_object_name(s: &str) -> String {
    s.split('/')
        .map(encode_segment)
        .collect::<Vec<_>>()
        .join("/")
}

//! Where requests go: the services, their base URLs, and how path segments are encoded.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::error::Error;
use crate::region::Region;

/// An OCI service, as data: what its generated crate declares once. Adding a service adds one
/// of these, nothing else in the core or any transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Service {
    /// The service's name in the API model (`identity`, `object_storage`, `secrets`).
    pub name: &'static str,
    /// The API version prefix of its paths (`/20160918`), empty when the version is part of
    /// each path (Object Storage).
    pub base_path: &'static str,
    /// The public endpoint, as the official SDKs write it:
    /// `https://identity.{region}.oci.{secondLevelDomain}`.
    pub endpoint_template: &'static str,
    /// Realm-specific endpoint templates, by realm key (Object Storage in `oc1`:
    /// `https://{namespaceName+Dot}objectstorage.{region}.{dualStack?ds.:}oci.customer-oci.com`).
    /// The official SDKs use them only when asked to; so does [`Endpoints::for_region`].
    pub endpoint_templates_per_realm: &'static [(&'static str, &'static str)],
}

/// What an endpoint template may be filled with besides the region.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EndpointOptions<'a> {
    /// Use the dual-stack (IPv4 + IPv6) host names.
    pub dual_stack: bool,
    /// The Object Storage namespace, for realm-specific templates that start with it.
    pub namespace: Option<&'a str>,
}

impl Service {
    /// The service's public endpoint in `region`, from its general template.
    pub fn endpoint(&self, region: &Region) -> Result<String, Error> {
        expand_template(self.endpoint_template, region, EndpointOptions::default())
    }

    /// The realm-specific endpoint in `region`, where the service has one for the region's
    /// realm (`None` otherwise).
    pub fn realm_specific_endpoint(
        &self,
        region: &Region,
        options: EndpointOptions<'_>,
    ) -> Option<Result<String, Error>> {
        let realm = region.realm().key();
        self.endpoint_templates_per_realm
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(realm))
            .map(|(_, template)| expand_template(template, region, options))
    }
}

/// Fills an endpoint template the way the official SDKs do: `{region}`, `{secondLevelDomain}`,
/// `{dualStack?A:B}` (A when dual-stack, else B) and `{namespaceName+Dot}` (the namespace and a
/// dot, or nothing).
pub fn expand_template(
    template: &str,
    region: &Region,
    options: EndpointOptions<'_>,
) -> Result<String, Error> {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .ok_or_else(|| bad_template(template, "an unclosed `{`"))?;
        let placeholder = &after[..close];
        match placeholder {
            "region" => out.push_str(region.id()),
            "secondLevelDomain" => out.push_str(region.realm().domain()),
            "namespaceName+Dot" => {
                if let Some(ns) = options.namespace {
                    out.push_str(ns);
                    out.push('.');
                }
            }
            p if p.starts_with("dualStack?") => {
                let (yes, no) = p["dualStack?".len()..]
                    .split_once(':')
                    .ok_or_else(|| bad_template(template, "`{dualStack?…}` without `:`"))?;
                out.push_str(if options.dual_stack { yes } else { no });
            }
            other => return Err(bad_template(template, &format!("`{{{other}}}`"))),
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn bad_template(template: &str, what: &str) -> Error {
    Error::Region(crate::region::RegionError::Unknown {
        name: String::new(),
        hint: format!("the endpoint template {template:?} has {what}, which this SDK cannot fill"),
    })
}

/// Where each service's requests go: the public endpoints of a region, or one base URL for every
/// service (an emulator, a proxy), with per-service overrides on top.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    default: Fallback,
    overrides: Vec<(&'static str, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Fallback {
    Region(Region),
    Base(String),
}

impl Endpoints {
    /// The public endpoints of `region`: each service's template filled with the region.
    pub fn for_region(region: &Region) -> Self {
        Endpoints {
            default: Fallback::Region(region.clone()),
            overrides: Vec::new(),
        }
    }

    /// Sends every service to one base URL (an emulator, a proxy). Each service's paths start
    /// with its own prefix (`/20160918`, `/n`, `/20190301`), so they never collide.
    pub fn single(base: &str) -> Self {
        Endpoints {
            default: Fallback::Base(base.trim_end_matches('/').to_string()),
            overrides: Vec::new(),
        }
    }

    /// Overrides the base URL of one service.
    pub fn with(mut self, service: &Service, base: &str) -> Self {
        let base = base.trim_end_matches('/').to_string();
        self.overrides.retain(|(name, _)| *name != service.name);
        self.overrides.push((service.name, base));
        self
    }

    /// The base URL for `service` (scheme, host, optional port; no trailing slash).
    pub fn base(&self, service: &Service) -> Result<String, Error> {
        if let Some((_, base)) = self.overrides.iter().find(|(n, _)| *n == service.name) {
            return Ok(base.clone());
        }
        match &self.default {
            Fallback::Base(base) => Ok(base.clone()),
            Fallback::Region(region) => service.endpoint(region),
        }
    }

    /// The explicit base URLs that are plain `http://` to a host other than a loopback address:
    /// requests (and their signatures, and any SSE-C key) to them travel unencrypted.
    pub fn plain_http_remote(&self) -> Vec<&str> {
        let explicit = match &self.default {
            Fallback::Base(base) => Some(base.as_str()),
            Fallback::Region(_) => None,
        };
        explicit
            .into_iter()
            .chain(self.overrides.iter().map(|(_, base)| base.as_str()))
            .filter(|base| is_plain_http(base) && !is_loopback(base))
            .collect()
    }

    /// The region whose endpoints these are, if they are a region's.
    pub fn region(&self) -> Option<&Region> {
        match &self.default {
            Fallback::Region(r) => Some(r),
            Fallback::Base(_) => None,
        }
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
}

/// Whether `base` is a plain `http://` URL.
pub fn is_plain_http(base: &str) -> bool {
    base.get(..7)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("http://"))
}

/// Whether the host of `base` (`scheme://host[:port][/…]`) is a loopback address
/// (`localhost`, `127.0.0.0/8`, `::1`): traffic to it never leaves the machine.
pub fn is_loopback(base: &str) -> bool {
    let rest = base.split_once("://").map_or(base, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        host_port.split(':').next().unwrap_or_default()
    };
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.parse::<core::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
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

/// Percent-encodes an object name for a path. `/` stays literal, as the official SDKs and the
/// console send it, except when the name has a `.` or `..` segment: URL normalisation (in HTTP
/// clients, proxies, browsers) would collapse those and address, or sign, a different path, so
/// such a name is sent as one segment with `/` as `%2F`, and a name that is exactly `.` or `..`
/// has its dots encoded as `%2E`.
pub fn encode_object_name(s: &str) -> String {
    if s.split('/').any(|seg| seg == "." || seg == "..") {
        let encoded = encode_segment(s);
        if s == "." || s == ".." {
            encoded.replace('.', "%2E")
        } else {
            encoded
        }
    } else {
        s.split('/')
            .map(encode_segment)
            .collect::<Vec<_>>()
            .join("/")
    }
}

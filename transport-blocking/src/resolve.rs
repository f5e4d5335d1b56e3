//! Name resolution for the agent: only when a connection is opened.
//!
//! ureq (3.5) resolves the request's host before every request, before it looks in its pool, so
//! also when a pooled connection is then reused; and with a resolve timeout set, as the client
//! sets one, its default resolver does each lookup on a thread of its own, spawned and joined
//! per request. On a sequential GetUser against a loopback endpoint that thread was ~110 µs of
//! the client's ~410 µs of CPU per request (BENCHMARKS.md, issue 8); against a host name it is
//! also a lookup per request, through the system's resolver.
//!
//! So the agent's resolver ([`Deferring`]) answers only what needs no lookup, a host that is an
//! IP address, and leaves a name unresolved; [`ResolveOnConnect`], in front of ureq's own
//! connectors, looks the name up when, and only when, a new connection has to be opened, as
//! other HTTP clients do. It follows ureq's own rule for when the target is resolved at all
//! (not when a proxy resolves it), and hands the connectors a resolver that does resolve, for
//! the proxy's own address.

use std::net::SocketAddr;

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{ConnectionDetails, Connector, NextTimeout};

/// Resolves: an IP-literal host at once, in the caller's thread, with exactly what ureq's
/// default resolver would answer (std parses such a host without asking the system either); a
/// name through ureq's default resolver.
#[derive(Debug, Default)]
pub(crate) struct LiteralFirst {
    names: DefaultResolver,
}

/// The agent's resolver, consulted before every request: an IP-literal host is answered, a name
/// is left without an address for [`ResolveOnConnect`].
#[derive(Debug, Default)]
pub(crate) struct Deferring;

impl Resolver for Deferring {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        _timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        match literal(uri) {
            Some(addr) => wanted(self.empty(), addr, config),
            None => Ok(self.empty()),
        }
    }
}

/// ureq's connectors, given the target's addresses when a connection is opened to a host the
/// agent left unresolved, and a resolver that resolves.
#[derive(Debug)]
pub(crate) struct ResolveOnConnect<C> {
    inner: C,
    resolver: LiteralFirst,
}

impl<C> ResolveOnConnect<C> {
    pub(crate) fn new(inner: C) -> Self {
        ResolveOnConnect {
            inner,
            resolver: LiteralFirst::default(),
        }
    }
}

/// Whether ureq resolves the target of a request itself (ureq 3.5, `run.rs` `connect`): always
/// without a proxy; with one, when `NO_PROXY` names the host or the proxy wants the address
/// (SOCKS4).
fn resolves_target(config: &Config, uri: &Uri) -> bool {
    config
        .proxy()
        .is_none_or(|p| p.is_no_proxy(uri) || p.resolve_target())
}

impl<C: Connector<()>> Connector<()> for ResolveOnConnect<C> {
    type Out = C::Out;

    fn connect(
        &self,
        details: &ConnectionDetails<'_>,
        chained: Option<()>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        let addrs = if details.addrs.is_empty() && resolves_target(details.config, details.uri) {
            self.resolver
                .resolve(details.uri, details.config, details.timeout)?
        } else {
            details.addrs.clone()
        };
        let resolved = ConnectionDetails {
            uri: details.uri,
            addrs,
            config: details.config,
            request_level: details.request_level,
            resolver: &self.resolver,
            now: details.now,
            timeout: details.timeout,
            current_time: details.current_time.clone(),
            run_connector: details.run_connector.clone(),
            register_shutdown: details.register_shutdown.clone(),
        };
        self.inner.connect(&resolved, chained)
    }
}

/// `addr` added to `out` when it is of the family the config wants; else ureq's default
/// resolver's answer for a host with no wanted address.
fn wanted(
    mut out: ResolvedSocketAddrs,
    addr: SocketAddr,
    config: &Config,
) -> Result<ResolvedSocketAddrs, ureq::Error> {
    for a in config.ip_family().keep_wanted(std::iter::once(addr)) {
        out.push(a);
    }
    if out.is_empty() {
        return Err(ureq::Error::HostNotFound);
    }
    Ok(out)
}

/// The socket address of a URI whose host is an IP address (the port defaulted by the scheme).
fn literal(uri: &Uri) -> Option<SocketAddr> {
    let host_port = DefaultResolver::host_and_port(uri.scheme()?, uri.authority()?)?;
    host_port.parse().ok()
}

impl Resolver for LiteralFirst {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        match literal(uri) {
            Some(addr) => wanted(self.empty(), addr, config),
            None => self.names.resolve(uri, config, timeout),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn literals_are_answered_and_names_are_not() {
        let at = |s: &str| literal(&s.parse::<Uri>().unwrap());
        assert_eq!(
            at("http://127.0.0.1:8080/x"),
            Some("127.0.0.1:8080".parse().unwrap())
        );
        assert_eq!(
            at("http://127.0.0.1/x"),
            Some("127.0.0.1:80".parse().unwrap())
        );
        assert_eq!(at("https://[::1]/x"), Some("[::1]:443".parse().unwrap()));
        assert_eq!(at("https://[::1]:9/x"), Some("[::1]:9".parse().unwrap()));
        assert_eq!(
            at("https://identity.us-ashburn-1.oci.oraclecloud.com/x"),
            None
        );
        assert_eq!(at("http://localhost:8080/x"), None);
        assert_eq!(at("/relative"), None);
    }

    #[test]
    fn the_agent_resolver_leaves_names_to_the_connector() {
        let config = ureq::Agent::config_builder().build();
        let timeout = NextTimeout {
            after: ureq::unversioned::transport::time::Duration::from_secs(5),
            reason: ureq::Timeout::Resolve,
            per_read: None,
            per_write: None,
        };
        let name: Uri = "https://identity.us-ashburn-1.oci.oraclecloud.com/"
            .parse()
            .unwrap();
        assert!(
            Deferring
                .resolve(&name, &config, timeout)
                .unwrap()
                .is_empty()
        );
        let ip: Uri = "http://127.0.0.1:4/".parse().unwrap();
        let got = Deferring.resolve(&ip, &config, timeout).unwrap();
        assert_eq!(&got[..], &["127.0.0.1:4".parse::<SocketAddr>().unwrap()]);
        assert!(resolves_target(&config, &name));
    }

    #[test]
    fn a_literal_resolves_like_the_default_resolver() {
        let config = ureq::Agent::config_builder().build();
        let v6only = ureq::Agent::config_builder()
            .ip_family(ureq::config::IpFamily::Ipv6Only)
            .build();
        let timeout = NextTimeout {
            after: ureq::unversioned::transport::time::Duration::from_secs(5),
            reason: ureq::Timeout::Resolve,
            per_read: None,
            per_write: None,
        };
        for uri in ["http://127.0.0.1:4/", "https://[::1]/"] {
            let uri: Uri = uri.parse().unwrap();
            for config in [&config, &v6only] {
                let ours = LiteralFirst::default().resolve(&uri, config, timeout);
                let theirs = DefaultResolver::default().resolve(&uri, config, timeout);
                match (ours, theirs) {
                    (Ok(a), Ok(b)) => assert_eq!(&a[..], &b[..], "{uri}"),
                    (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{uri}"),
                    (a, b) => panic!("{uri}: {a:?} against {b:?}"),
                }
            }
        }
    }
}

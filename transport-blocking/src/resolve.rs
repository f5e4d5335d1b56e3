//! Name resolution for the agent.
//!
//! ureq (3.5) resolves the request's host before every request, before it looks in its pool, so
//! also when a pooled connection is then reused; and with a resolve timeout set, as the client
//! sets one, its default resolver does each lookup on a thread of its own, spawned and joined
//! per request. On a sequential GetUser against a loopback endpoint that thread was ~110 µs of
//! the client's ~410 µs of CPU per request (BENCHMARKS.md, issue 8).
//!
//! A host that is an IP address needs no lookup: it is answered here, in the caller's thread,
//! with exactly what the default resolver would have answered (std parses such a host without
//! asking the system either). Names still go to ureq's resolver.

use std::net::SocketAddr;

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

#[derive(Debug, Default)]
pub(crate) struct LiteralFirst {
    names: DefaultResolver,
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
        let Some(addr) = literal(uri) else {
            return self.names.resolve(uri, config, timeout);
        };
        let mut out = self.empty();
        for wanted in config.ip_family().keep_wanted(std::iter::once(addr)) {
            out.push(wanted);
        }
        if out.is_empty() {
            // The default resolver's answer when the address is not of the wanted family.
            return Err(ureq::Error::HostNotFound);
        }
        Ok(out)
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

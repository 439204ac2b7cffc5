//! Next-hop location (RFC 3263 4): from the host, port, `transport` parameter and scheme of a
//! SIP or SIPS URI to an ordered list of [`Target`]s, tried in that order on failure
//! (RFC 3263 4.3).
//!
//! - 4.1 transport: the `transport` parameter; else UDP (SIP) or TLS (SIPS) for a numeric IP
//!   or an explicit port; else NAPTR records (services `SIP+D2U`, `SIP+D2T`, `SIPS+D2T`, by
//!   order then preference); else SRV queries for each transport supported; else UDP/TLS.
//! - 4.2 port and address: numeric IP as is; explicit port: A/AAAA; else SRV (RFC 2782
//!   ordering: priority, then weighted random choice) and A/AAAA of each SRV target; without
//!   SRV, A/AAAA and the default port (RFC 3261 19.1.2).
//!
//! Before DNS, a static override table (host -> targets) answers, for operators (peers
//! without DNS) and tests. DNS is behind the [`Dns`] trait, implemented for the hickory
//! resolver.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;

use hickory_resolver::config::{
    NameServerConfig, NameServerConfigGroup, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::rr::{RData, RecordType};
use hickory_resolver::proto::xfer::Protocol;
use hickory_resolver::{ResolveError, TokioResolver};
use thiserror::Error;

use super::addr::{Target, TransportKind};

/// The host part of a URI.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host {
    /// An IPv4 address or an IPv6 reference (`[::1]` in the URI).
    Ip(IpAddr),
    /// A host name, without a trailing dot.
    Domain(String),
}

impl Host {
    /// Reads the host of a URI: `192.0.2.1`, `[2001:db8::1]`, `example.com`.
    pub fn parse(host: &str) -> Option<Host> {
        let host = host.trim();
        if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            return v6.parse().ok().map(Host::Ip);
        }
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Some(Host::Ip(ip));
        }
        let name = host.strip_suffix('.').unwrap_or(host);
        // RFC 3261 25.1 hostname: labels of alphanum and '-', separated by '.'.
        let ok = !name.is_empty()
            && name.split('.').all(|l| {
                !l.is_empty() && l.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
            });
        ok.then(|| Host::Domain(name.to_ascii_lowercase()))
    }
}

/// What RFC 3263 reads from a URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextHop {
    pub host: Host,
    pub port: Option<u16>,
    /// The `transport` parameter (RFC 3261 19.1.1), when present and known.
    pub transport: Option<TransportKind>,
    /// A SIPS URI (RFC 3261 19.1): TLS on every hop.
    pub sips: bool,
}

/// A NAPTR record (RFC 3403 4.1) as RFC 3263 uses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Naptr {
    pub order: u16,
    pub preference: u16,
    pub flags: String,
    pub services: String,
    pub replacement: String,
}

/// An SRV record (RFC 2782).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Srv {
    pub priority: u16,
    pub weight: u16,
    pub port: u16,
    /// The target host name, without the trailing dot ("" for ".": no service).
    pub target: String,
}

/// A DNS failure other than "no such records" (which is an empty answer).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("DNS query {qtype} {name}: {detail}")]
pub struct DnsError {
    pub name: String,
    pub qtype: &'static str,
    pub detail: String,
}

/// The DNS queries RFC 3263 makes. An absent name or record type is `Ok(vec![])`.
pub trait Dns: Send + Sync {
    fn naptr(&self, name: &str) -> impl Future<Output = Result<Vec<Naptr>, DnsError>> + Send;
    fn srv(&self, name: &str) -> impl Future<Output = Result<Vec<Srv>, DnsError>> + Send;
    /// A and AAAA records.
    fn ip(&self, name: &str) -> impl Future<Output = Result<Vec<IpAddr>, DnsError>> + Send;
}

/// No DNS: only numeric hosts and the override table resolve.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoDns;

impl Dns for NoDns {
    async fn naptr(&self, _: &str) -> Result<Vec<Naptr>, DnsError> {
        Ok(Vec::new())
    }
    async fn srv(&self, _: &str) -> Result<Vec<Srv>, DnsError> {
        Ok(Vec::new())
    }
    async fn ip(&self, _: &str) -> Result<Vec<IpAddr>, DnsError> {
        Ok(Vec::new())
    }
}

/// A fully qualified name for hickory (so that no search domain is appended).
fn fqdn(name: &str) -> String {
    if name.ends_with('.') {
        name.to_string()
    } else {
        format!("{name}.")
    }
}

fn strip_dot(name: String) -> String {
    match name.strip_suffix('.') {
        Some(n) => n.to_string(),
        None => name,
    }
}

fn dns_error(name: &str, qtype: &'static str, e: &ResolveError) -> DnsError {
    DnsError {
        name: name.to_string(),
        qtype,
        detail: e.to_string(),
    }
}

/// A resolver's answer: records, or none for NXDOMAIN / no data.
fn records<T>(
    name: &str,
    qtype: &'static str,
    r: Result<T, ResolveError>,
) -> Result<Option<T>, DnsError> {
    match r {
        Ok(l) => Ok(Some(l)),
        Err(e) if e.is_no_records_found() || e.is_nx_domain() => Ok(None),
        Err(e) => Err(dns_error(name, qtype, &e)),
    }
}

impl Dns for TokioResolver {
    async fn naptr(&self, name: &str) -> Result<Vec<Naptr>, DnsError> {
        let answer = records(
            name,
            "NAPTR",
            self.lookup(fqdn(name), RecordType::NAPTR).await,
        )?;
        Ok(answer
            .iter()
            .flat_map(|l| l.iter())
            .filter_map(|r| match r {
                RData::NAPTR(n) => Some(Naptr {
                    order: n.order(),
                    preference: n.preference(),
                    flags: String::from_utf8_lossy(n.flags()).into_owned(),
                    services: String::from_utf8_lossy(n.services()).into_owned(),
                    replacement: strip_dot(n.replacement().to_ascii()),
                }),
                _ => None,
            })
            .collect())
    }

    async fn srv(&self, name: &str) -> Result<Vec<Srv>, DnsError> {
        let answer = records(name, "SRV", self.srv_lookup(fqdn(name)).await)?;
        Ok(answer
            .iter()
            .flat_map(|l| l.iter())
            .map(|s| Srv {
                priority: s.priority(),
                weight: s.weight(),
                port: s.port(),
                target: strip_dot(s.target().to_ascii()),
            })
            .collect())
    }

    async fn ip(&self, name: &str) -> Result<Vec<IpAddr>, DnsError> {
        let answer = records(name, "A/AAAA", self.lookup_ip(fqdn(name)).await)?;
        Ok(answer.iter().flat_map(|l| l.iter()).collect())
    }
}

/// A hickory resolver asking the given name servers over UDP (no hosts file, no cache, one
/// attempt of `timeout`): for tests and for operators who name their DNS servers.
pub fn hickory_resolver(
    name_servers: &[SocketAddr],
    timeout: std::time::Duration,
) -> TokioResolver {
    let group = NameServerConfigGroup::from(
        name_servers
            .iter()
            .map(|a| NameServerConfig::new(*a, Protocol::Udp))
            .collect::<Vec<_>>(),
    );
    let config = ResolverConfig::from_parts(None, Vec::new(), group);
    let mut opts = ResolverOpts::default();
    opts.timeout = timeout;
    opts.attempts = 1;
    opts.cache_size = 0;
    opts.use_hosts_file = ResolveHosts::Never;
    opts.ip_strategy = hickory_resolver::config::LookupIpStrategy::Ipv4AndIpv6;
    TokioResolver::builder_with_config(config, TokioConnectionProvider::default())
        .with_options(opts)
        .build()
}

/// A hickory resolver configured from the system (`/etc/resolv.conf`).
pub fn system_resolver() -> Result<TokioResolver, DnsError> {
    TokioResolver::builder_tokio()
        .map(|b| b.build())
        .map_err(|e| dns_error("", "system configuration", &e))
}

/// Why a next hop has no targets.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum LocateError {
    /// A SIPS URI with `transport=udp` (RFC 3261 26.2.2: SIPS means TLS on every hop).
    #[error("a SIPS URI cannot use transport=udp")]
    SipsOverUdp,
    #[error("no address found for {0}")]
    NotFound(String),
    #[error(transparent)]
    Dns(#[from] DnsError),
}

/// The service field of RFC 3263 4.1 for a transport (NAPTR) and the SRV prefix (RFC 3263
/// 4.1: `_sips._tcp`, `_sip._tcp`, `_sip._udp`).
fn naptr_service(service: &str) -> Option<TransportKind> {
    if service.eq_ignore_ascii_case("SIP+D2U") {
        Some(TransportKind::Udp)
    } else if service.eq_ignore_ascii_case("SIP+D2T") {
        Some(TransportKind::Tcp)
    } else if service.eq_ignore_ascii_case("SIPS+D2T") {
        Some(TransportKind::Tls)
    } else {
        None
    }
}

fn srv_prefix(transport: TransportKind) -> &'static str {
    match transport {
        TransportKind::Udp => "_sip._udp",
        TransportKind::Tcp => "_sip._tcp",
        TransportKind::Tls => "_sips._tcp",
    }
}

/// RFC 2782 ordering: ascending priority; within one priority, repeatedly pick a record at
/// random with probability proportional to its weight (weight-0 records first in the
/// running sum, so they are picked only when drawn 0). `random(n)` returns a number in
/// `0..=n`.
pub fn order_srv(mut records: Vec<Srv>, random: &mut impl FnMut(u32) -> u32) -> Vec<Srv> {
    records.sort_by_key(|r| (r.priority, r.weight != 0));
    let mut out = Vec::with_capacity(records.len());
    while let Some(first) = records.first() {
        let priority = first.priority;
        let end = records
            .iter()
            .position(|r| r.priority != priority)
            .unwrap_or(records.len());
        let mut group: Vec<Srv> = records.drain(..end).collect();
        while !group.is_empty() {
            let total: u32 = group.iter().map(|r| u32::from(r.weight)).sum();
            let pick = random(total).min(total);
            let mut running = 0u32;
            let index = group
                .iter()
                .position(|r| {
                    running += u32::from(r.weight);
                    running >= pick
                })
                .unwrap_or(0);
            out.push(group.remove(index));
        }
    }
    out
}

/// Next-hop location: the override table, then DNS.
#[derive(Debug)]
pub struct Locator<D> {
    dns: D,
    overrides: HashMap<String, Vec<Target>>,
    /// xorshift64 state for the SRV weights.
    rng: Mutex<u64>,
}

impl<D: Dns> Locator<D> {
    /// A locator on `dns` with an empty override table.
    pub fn new(dns: D) -> Locator<D> {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x9E37_79B9_7F4A_7C15);
        Locator::with_seed(dns, seed)
    }

    /// The same with a fixed seed for the SRV weight draws (tests).
    pub fn with_seed(dns: D, seed: u64) -> Locator<D> {
        Locator {
            dns,
            overrides: HashMap::new(),
            rng: Mutex::new(seed | 1),
        }
    }

    /// Makes `host` resolve to `targets`, in that order, without DNS.
    pub fn set_override(&mut self, host: &str, targets: Vec<Target>) {
        let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
        self.overrides.insert(host, targets);
    }

    fn random(&self, n: u32) -> u32 {
        let mut s = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        let mut x = *s;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *s = x;
        u32::try_from(x % (u64::from(n) + 1)).unwrap_or(0)
    }

    /// The targets for a next hop, in the order to try them (RFC 3263 4, 4.3).
    pub async fn locate(&self, hop: &NextHop) -> Result<Vec<Target>, LocateError> {
        // RFC 3261 26.2.2 / RFC 3263 4.1: a SIPS URI goes over TLS; transport=tcp in a SIPS
        // URI means TLS over TCP.
        let explicit = match (hop.transport, hop.sips) {
            (Some(TransportKind::Udp), true) => return Err(LocateError::SipsOverUdp),
            (Some(_), true) => Some(TransportKind::Tls),
            (None, true) => None,
            (t, false) => t,
        };
        let fallback = if hop.sips {
            TransportKind::Tls
        } else {
            TransportKind::Udp
        };
        let domain = match &hop.host {
            // RFC 3263 4.1, 4.2: a numeric IP is used as is.
            Host::Ip(ip) => {
                let transport = explicit.unwrap_or(fallback);
                let port = hop.port.unwrap_or(transport.default_port());
                return Ok(vec![Target::new(transport, SocketAddr::new(*ip, port))]);
            }
            Host::Domain(d) => d.as_str(),
        };
        if let Some(targets) = self.overrides.get(domain) {
            let targets: Vec<Target> = targets
                .iter()
                .filter(|t| explicit.is_none_or(|e| e == t.transport))
                .filter(|t| !hop.sips || t.transport == TransportKind::Tls)
                .map(|t| name_tls(t.clone(), domain))
                .collect();
            return if targets.is_empty() {
                Err(LocateError::NotFound(domain.to_string()))
            } else {
                Ok(targets)
            };
        }
        // RFC 3263 4.2: an explicit port: A/AAAA only.
        if let Some(port) = hop.port {
            let transport = explicit.unwrap_or(fallback);
            return self.addresses(domain, transport, port, domain).await;
        }
        let supported: &[TransportKind] = if hop.sips {
            &[TransportKind::Tls]
        } else {
            &[TransportKind::Udp, TransportKind::Tcp, TransportKind::Tls]
        };
        let mut targets = Vec::new();
        let mut transports_found = false;
        match explicit {
            // RFC 3263 4.2: the transport given: SRV for it, no NAPTR.
            Some(t) => {
                let name = format!("{}.{domain}", srv_prefix(t));
                let srv = self.dns.srv(&name).await?;
                transports_found = !srv.is_empty();
                targets.extend(self.srv_targets(srv, t, domain).await?);
            }
            None => {
                // RFC 3263 4.1: NAPTR, the services we support, by order then preference.
                let mut naptr: Vec<(Naptr, TransportKind)> = self
                    .dns
                    .naptr(domain)
                    .await?
                    .into_iter()
                    .filter(|n| n.flags.eq_ignore_ascii_case("s"))
                    .filter_map(|n| naptr_service(&n.services).map(|t| (n, t)))
                    .filter(|(_, t)| supported.contains(t))
                    .collect();
                naptr.sort_by_key(|(n, _)| (n.order, n.preference));
                for (n, t) in naptr {
                    let srv = self.dns.srv(&n.replacement).await?;
                    transports_found |= !srv.is_empty();
                    targets.extend(self.srv_targets(srv, t, domain).await?);
                }
                // RFC 3263 4.1: no NAPTR: an SRV query for each transport supported.
                if !transports_found {
                    for &t in supported {
                        let name = format!("{}.{domain}", srv_prefix(t));
                        let srv = self.dns.srv(&name).await?;
                        transports_found |= !srv.is_empty();
                        targets.extend(self.srv_targets(srv, t, domain).await?);
                    }
                }
            }
        }
        if !transports_found {
            // RFC 3263 4.2: no SRV: A/AAAA of the host and the default port.
            let transport = explicit.unwrap_or(fallback);
            return self
                .addresses(domain, transport, transport.default_port(), domain)
                .await;
        }
        dedup(&mut targets);
        if targets.is_empty() {
            return Err(LocateError::NotFound(domain.to_string()));
        }
        Ok(targets)
    }

    async fn srv_targets(
        &self,
        srv: Vec<Srv>,
        transport: TransportKind,
        domain: &str,
    ) -> Result<Vec<Target>, LocateError> {
        let mut random = |n| self.random(n);
        let ordered = order_srv(srv, &mut random);
        let mut out = Vec::new();
        for s in ordered {
            // RFC 2782: a target of "." means the service is not offered there.
            if s.target.is_empty() {
                continue;
            }
            match self.addresses(&s.target, transport, s.port, domain).await {
                Ok(t) => out.extend(t),
                Err(LocateError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// A/AAAA of `host`; TLS targets carry the URI's domain as their name (RFC 5922 4).
    async fn addresses(
        &self,
        host: &str,
        transport: TransportKind,
        port: u16,
        domain: &str,
    ) -> Result<Vec<Target>, LocateError> {
        let ips = self.dns.ip(host).await?;
        if ips.is_empty() {
            return Err(LocateError::NotFound(host.to_string()));
        }
        Ok(ips
            .into_iter()
            .map(|ip| name_tls(Target::new(transport, SocketAddr::new(ip, port)), domain))
            .collect())
    }
}

fn name_tls(mut t: Target, domain: &str) -> Target {
    if t.transport == TransportKind::Tls && t.server_name.is_none() {
        t.server_name = Some(domain.to_string());
    }
    t
}

fn dedup(targets: &mut Vec<Target>) {
    let mut seen = std::collections::HashSet::new();
    targets.retain(|t| seen.insert((t.transport, t.addr)));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn srv(priority: u16, weight: u16, target: &str) -> Srv {
        Srv {
            priority,
            weight,
            port: 5060,
            target: target.to_string(),
        }
    }

    #[test]
    fn srv_priority_then_weight() {
        let records = vec![
            srv(20, 0, "backup"),
            srv(10, 60, "a"),
            srv(10, 40, "b"),
            srv(10, 0, "zero"),
        ];
        // Always drawing 0 picks the weight-0 record first, then the first of the rest.
        let mut zero = |_| 0;
        let names: Vec<_> = order_srv(records.clone(), &mut zero)
            .into_iter()
            .map(|s| s.target)
            .collect();
        assert_eq!(names, ["zero", "a", "b", "backup"]);
        // Drawing the maximum picks the last of the running sum.
        let mut max = |n| n;
        let names: Vec<_> = order_srv(records.clone(), &mut max)
            .into_iter()
            .map(|s| s.target)
            .collect();
        assert_eq!(names, ["b", "a", "zero", "backup"]);
        // Over many draws, "a" (60) comes first about 60% of the time among a and b.
        let locator = Locator::with_seed(NoDns, 7);
        let mut firsts = 0;
        for _ in 0..10_000 {
            let mut r = |n| locator.random(n);
            let o = order_srv(vec![srv(10, 60, "a"), srv(10, 40, "b")], &mut r);
            if o.first().is_some_and(|s| s.target == "a") {
                firsts += 1;
            }
        }
        assert!((5_700..6_300).contains(&firsts), "{firsts}");
    }

    #[test]
    fn hosts() {
        assert_eq!(Host::parse("[::1]"), Some(Host::Ip("::1".parse().unwrap())));
        assert_eq!(
            Host::parse("Example.COM."),
            Some(Host::Domain("example.com".into()))
        );
        assert_eq!(Host::parse("bad_host"), None);
        assert_eq!(Host::parse(""), None);
    }
}

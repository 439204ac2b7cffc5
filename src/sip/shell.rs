//! The async shell of the SIP side: a [`UserAgent`] on the transports. It moves octets and
//! time only, as the link shells do (DESIGN.md).

use crate::shell::Clock;
use crate::sip::message::{Scheme, Uri};
use crate::sip::transport::{
    BindError, Host, ListenError, LocateError, Locator, NextHop, NoDns, Target, Transport,
    TransportConfig, TransportEvent, TransportEvents, TransportHandle, TransportKind,
};
use crate::sip::ua::{UaConfig, UaEvent, UserAgent};
use crate::time::Instant;

/// The locator with or without DNS (the `Dns` trait has async methods: no trait objects).
#[derive(Debug)]
enum Located {
    Static(Locator<NoDns>),
    Dns(Box<Locator<hickory_resolver::TokioResolver>>),
}

/// Why the SIP side could not start.
#[derive(Debug, thiserror::Error)]
pub enum ShellError {
    #[error("{0}")]
    Listen(#[from] ListenError),
    #[error("{0}")]
    Bind(#[from] BindError),
}

/// A user agent bound to its transports.
#[derive(Debug)]
pub struct UaShell {
    clock: Clock,
    ua: UserAgent,
    transport: TransportHandle,
    events: TransportEvents,
    /// RFC 3263 next-hop location: the static override table (operators' and tests'), and
    /// no DNS unless [`UaShell::use_dns`] gives a resolver.
    locator: Located,
    /// Sends the transport refused, for the log.
    pub send_errors: u64,
}

impl UaShell {
    /// Binds the transports of `listen` (the `[sip] listen` entries) and makes a UA that
    /// presents the address of the first entry of `ua.transport` (its port filled in when
    /// it was 0).
    pub async fn bind(
        clock: Clock,
        listen: &[&str],
        ua: UaConfig,
        seed: u64,
    ) -> Result<UaShell, ShellError> {
        let config = TransportConfig::from_listen(listen)?;
        UaShell::bind_config(clock, config, ua, seed).await
    }

    /// [`UaShell::bind`] with a whole transport configuration (TLS certificates, limits).
    pub async fn bind_config(
        clock: Clock,
        config: TransportConfig,
        mut ua: UaConfig,
        seed: u64,
    ) -> Result<UaShell, ShellError> {
        let (transport, events) = Transport::bind(config).await?;
        if let Some(addr) = transport.local_addr(ua.transport) {
            ua.port = addr.port();
        }
        Ok(UaShell {
            clock,
            ua: UserAgent::new(ua, seed),
            transport,
            events,
            locator: Located::Static(Locator::new(NoDns)),
            send_errors: 0,
        })
    }

    /// Locates through DNS (NAPTR, SRV, A/AAAA) with `resolver`, keeping the overrides
    /// set afterwards.
    pub fn use_dns(&mut self, resolver: hickory_resolver::TokioResolver) {
        self.locator = Located::Dns(Box::new(Locator::new(resolver)));
    }

    /// Sends requests for `host` to `targets` (the static override of RFC 3263 location).
    pub fn set_override(&mut self, host: &str, targets: Vec<Target>) {
        match &mut self.locator {
            Located::Static(l) => l.set_override(host, targets),
            Located::Dns(l) => l.set_override(host, targets),
        }
    }

    /// Where a request for `uri` goes, in failover order (RFC 3263 4: transport from the
    /// URI or NAPTR/SRV, then address and port).
    pub async fn locate(&self, uri: &Uri) -> Result<Vec<Target>, LocateError> {
        let host = Host::parse(&uri.host).ok_or_else(|| LocateError::NotFound(uri.host.clone()))?;
        let transport = uri.transport().and_then(|t| TransportKind::from_token(&t));
        let hop = NextHop {
            host,
            port: uri.port,
            transport,
            sips: uri.scheme == Scheme::Sips,
        };
        match &self.locator {
            Located::Static(l) => l.locate(&hop).await,
            Located::Dns(l) => l.locate(&hop).await,
        }
    }

    pub fn now(&self) -> Instant {
        self.clock.now()
    }

    pub fn ua(&mut self) -> &mut UserAgent {
        &mut self.ua
    }

    pub fn transport(&self) -> &TransportHandle {
        &self.transport
    }

    /// The local address of `transport`.
    pub fn local_addr(&self, transport: TransportKind) -> Option<std::net::SocketAddr> {
        self.transport.local_addr(transport)
    }

    /// Waits for a message, a timer or `deadline`; hands it to the UA; sends what it has.
    /// Returns the UA's next event if there is one. Cancel-safe.
    pub async fn step(&mut self, deadline: Option<Instant>) -> Option<UaEvent> {
        if let Some(e) = self.ua.poll_event() {
            return Some(e);
        }
        self.flush();
        let wake = crate::time::earliest(deadline, self.ua.poll_timeout());
        let sleep = async {
            match wake {
                Some(t) => tokio::time::sleep_until(self.clock.to_tokio(t)).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            e = self.events.recv() => {
                let now = self.clock.now();
                match e {
                    Some(TransportEvent::Received { bytes, source, transport, connection, .. }) => {
                        self.ua.handle_received(now, &bytes, Target::new(transport, source), connection);
                    }
                    Some(TransportEvent::SendFailed { bytes, .. }) => {
                        self.send_errors += 1;
                        self.ua.send_failed(now, &bytes);
                    }
                    _ => {}
                }
            }
            () = sleep => {}
        }
        let now = self.clock.now();
        if self.ua.poll_timeout().is_some_and(|t| t <= now) {
            self.ua.handle_timeout(now);
        }
        self.flush();
        self.ua.poll_event()
    }

    /// Sends everything the UA has to send.
    pub fn flush(&mut self) {
        while let Some(o) = self.ua.poll_transmit() {
            let r = match o.connection {
                Some(c) if self.transport.is_open(c) => self.transport.send_on(c, o.bytes),
                _ => self.transport.send(&o.target, o.bytes),
            };
            if r.is_err() {
                self.send_errors += 1;
            }
        }
    }
}

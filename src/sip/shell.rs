//! The async shell of the SIP side: a [`UserAgent`] on the transports. It moves octets and
//! time only, as the link shells do (DESIGN.md).

use crate::shell::Clock;
use crate::sip::transport::{
    BindError, ListenError, Target, Transport, TransportConfig, TransportEvent, TransportEvents,
    TransportHandle, TransportKind,
};
use crate::sip::ua::{UaConfig, UaEvent, UserAgent};
use crate::time::Instant;

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
        mut ua: UaConfig,
        seed: u64,
    ) -> Result<UaShell, ShellError> {
        let config = TransportConfig::from_listen(listen)?;
        let (transport, events) = Transport::bind(config).await?;
        if let Some(addr) = transport.local_addr(ua.transport) {
            ua.port = addr.port();
        }
        Ok(UaShell {
            clock,
            ua: UserAgent::new(ua, seed),
            transport,
            events,
            send_errors: 0,
        })
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
                if let Some(TransportEvent::Received { bytes, source, transport, connection, .. }) = e {
                    let now = self.clock.now();
                    self.ua.handle_received(now, &bytes, Target::new(transport, source), connection);
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

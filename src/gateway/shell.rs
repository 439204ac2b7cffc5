//! The async shell of the gateway (`sipt-mgc run`): each ISUP linkset's MTP on its transports
//! ([`MtpShell`]), each QSIG D-channel's transport ([`DLink`]: the gateway owns the D-channels,
//! so only frames pass here), the SIP transports, and the [`Gateway`] between them. It moves
//! octets and time only (DESIGN.md); everything it sees and does goes to the log as JSON lines.

use std::collections::VecDeque;
use std::future::Future;
use std::io::Write;
use std::pin::Pin;
use std::task::Poll;

use serde_json::json;
use sipt_codecs::isup::CicMessage;
use sipt_codecs::mtp3::ServiceIndicator;
use sipt_hardware::{Link, LinkEvent};

use super::{Gateway, GatewayError, GatewayEvent};
use crate::config::{Config, LinkConfig, Protocol};
use crate::shell::{
    isup_indication, isup_relation, transport_config, Clock, MtpShell, MtpShellOptions, Notice,
};
use crate::sip::transport::{
    Target, Transport, TransportConfig, TransportEvent, TransportEvents, TransportHandle,
    TransportKind,
};
use crate::sip::ua::UaConfig;
use crate::ss7::mtp3::{Mtp3Event, TransferRequest};
use crate::time::Instant;

/// Why the gateway could not start or had to stop.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{0}")]
    Gateway(#[from] GatewayError),
    #[error("[sip]: {0}")]
    Sip(String),
    #[error("link {link}: {message}")]
    Link { link: String, message: String },
    #[error("writing the log: {0}")]
    Log(std::io::Error),
}

/// The gateway on its transports.
pub struct GatewayShell {
    clock: Clock,
    gateway: Gateway,
    /// One per trunk, in the gateway's trunk order.
    mtps: Vec<MtpShell>,
    /// One per QSIG trunk, in the gateway's QSIG trunk order.
    dlinks: Vec<DLink>,
    transport: TransportHandle,
    events: TransportEvents,
    log: Option<Box<dyn Write + Send>>,
    buf: Vec<u8>,
    /// Where the next step starts looking among the links (see [`first_ready`]).
    turn: usize,
}

impl std::fmt::Debug for GatewayShell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayShell")
            .field("gateway", &self.gateway)
            .finish_non_exhaustive()
    }
}

impl GatewayShell {
    /// Binds the SIP transports of `[sip] listen`, opens every ISUP link of `config` and
    /// builds the gateway. `log`: where the JSON lines go (none: no log).
    pub async fn start(
        clock: Clock,
        config: &Config,
        log: Option<Box<dyn Write + Send>>,
    ) -> Result<GatewayShell, RunError> {
        let listen: Vec<String> = config
            .sip
            .as_ref()
            .map(|s| s.listen.clone())
            .unwrap_or_else(|| vec!["udp:127.0.0.1:5060".to_string()]);
        let tc = TransportConfig::from_listen(&listen).map_err(|e| RunError::Sip(e.to_string()))?;
        let (transport, events) = Transport::bind(tc)
            .await
            .map_err(|e| RunError::Sip(e.to_string()))?;
        let (kind, addr) = [TransportKind::Udp, TransportKind::Tcp, TransportKind::Tls]
            .into_iter()
            .find_map(|k| transport.local_addr(k).map(|a| (k, a)))
            .ok_or_else(|| RunError::Sip("no transport to listen on".into()))?;
        let ua = UaConfig::new(&addr.ip().to_string(), addr.port(), kind);
        let mut gateway = Gateway::new(config, ua, seed())?;
        // Route targets named by host name: located once at start (A/AAAA through the
        // system resolver; RFC 3263 NAPTR/SRV is the UA shell's, for later).
        for route in &config.routes {
            for to in std::iter::once(&route.to) {
                if let Ok(uri) = crate::sip::message::Uri::parse(&to.replace("{number}", "0")) {
                    let host = uri.host.trim_start_matches('[').trim_end_matches(']');
                    if host.parse::<std::net::IpAddr>().is_err() && !host.is_empty() {
                        let port = uri.port.unwrap_or(5060);
                        if let Ok(addrs) = tokio::net::lookup_host((host, port)).await {
                            let t = uri
                                .transport()
                                .and_then(|t| TransportKind::from_token(&t))
                                .unwrap_or(TransportKind::Udp);
                            gateway.set_location(host, addrs.map(|a| Target::new(t, a)).collect());
                        }
                    }
                }
            }
        }
        let mut mtps = Vec::new();
        for trunk in gateway.trunks() {
            mtps.push(spawn_mtp(clock, config, &trunk.link)?);
        }
        let mut dlinks = Vec::new();
        for t in gateway.qsig_trunks() {
            let link = Link::spawn(&transport_config(&t.link)).map_err(|e| RunError::Link {
                link: t.link.name.clone(),
                message: e.to_string(),
            })?;
            dlinks.push(DLink::new(link));
        }
        let mut shell = GatewayShell {
            clock,
            gateway,
            mtps,
            dlinks,
            turn: 0,
            transport,
            events,
            log,
            buf: Vec::with_capacity(300),
        };
        let sip: Vec<String> = listen.clone();
        let qsig: Vec<_> = shell
            .gateway
            .qsig_trunks()
            .iter()
            .map(|t| json!({"name": t.name(), "channels": t.link.channels.len(), "path": t.link.path}))
            .collect();
        shell.log(json!({"event": "started", "sip": sip, "trunks": shell.gateway.trunks().iter().map(|t| json!({"name": t.name(), "cics": t.link.cics.len(), "path": t.link.path})).collect::<Vec<_>>(), "qsig": qsig}));
        let mut ptys: Vec<_> = (0..shell.mtps.len())
            .filter_map(|i| {
                let p = shell.pty_path(i)?.to_path_buf();
                Some((shell.gateway.trunks()[i].name().to_string(), p))
            })
            .collect();
        ptys.extend((0..shell.dlinks.len()).filter_map(|i| {
            let p = shell.dchannel_pty_path(i)?.to_path_buf();
            Some((shell.gateway.qsig_trunks()[i].name().to_string(), p))
        }));
        for (name, p) in ptys {
            shell.log(json!({"event": "pty", "trunk": name, "path": p}));
        }
        // Q.921 5.5.1: every D-channel starts multiple frame establishment (SABME); the PBX
        // may start it too.
        let now = shell.clock.now();
        shell.gateway.start_dchannels(now);
        shell.flush(now, std::time::Instant::now());
        Ok(shell)
    }

    pub fn gateway(&mut self) -> &mut Gateway {
        &mut self.gateway
    }

    pub fn now(&self) -> Instant {
        self.clock.now()
    }

    /// The local address of the SIP transport `kind`.
    pub fn sip_addr(&self, kind: TransportKind) -> Option<std::net::SocketAddr> {
        self.transport.local_addr(kind)
    }

    /// For trunks on a new PTY: the slave path the far end opens.
    pub fn pty_path(&self, trunk: usize) -> Option<&std::path::Path> {
        self.mtps.get(trunk).and_then(|m| m.pty_path(0))
    }

    /// For QSIG trunks on a new PTY: the slave path the PBX opens.
    pub fn dchannel_pty_path(&self, qsig_trunk: usize) -> Option<&std::path::Path> {
        self.dlinks.get(qsig_trunk).and_then(|d| d.link.pty_path())
    }

    fn log(&mut self, v: serde_json::Value) {
        if let Some(w) = self.log.as_mut() {
            let _ = writeln!(w, "{v}");
        }
    }

    /// Waits for the next input (a frame, a SIP message, a timer) or `deadline`, hands it
    /// to the layers and sends what they have. Returns the gateway's events of this step.
    pub async fn step(&mut self, deadline: Option<Instant>) -> Vec<GatewayEvent> {
        let mut wake = crate::time::earliest(deadline, self.gateway.poll_timeout());
        if self.dlinks.iter().any(DLink::blocked) {
            // A D-channel frame waits for room in its transport queue: look again soon.
            let soon = self.clock.now() + std::time::Duration::from_millis(1);
            wake = crate::time::earliest(wake, Some(soon));
        }
        let mtps = &mut self.mtps;
        let clock = self.clock;
        let turn = self.turn;
        self.turn = self.turn.wrapping_add(1);
        let any_mtp = async {
            if mtps.is_empty() {
                match wake {
                    Some(t) => tokio::time::sleep_until(clock.to_tokio(t)).await,
                    None => std::future::pending().await,
                }
                return (0, None);
            }
            let mut futs: Vec<Pin<Box<dyn Future<Output = Option<Notice>> + Send + '_>>> = mtps
                .iter_mut()
                .map(|m| Box::pin(m.step(wake)) as _)
                .collect();
            std::future::poll_fn(|cx| {
                first_ready(turn, futs.len(), |i| futs[i].as_mut().poll(cx).map(Some))
            })
            .await
        };
        let dlinks = &mut self.dlinks;
        let any_dlink = async {
            // A link whose task has stopped gives `None` for ever: not waited on again.
            type Recv<'a> = Pin<Box<dyn Future<Output = Option<LinkEvent>> + Send + 'a>>;
            let mut futs: Vec<Option<Recv<'_>>> = dlinks
                .iter_mut()
                .map(|d| (!d.stopped).then(|| Box::pin(d.link.recv()) as Recv<'_>))
                .collect();
            std::future::poll_fn(|cx| {
                first_ready(turn, futs.len(), |i| match futs[i].as_mut() {
                    Some(f) => f.as_mut().poll(cx).map(Some),
                    None => Poll::Ready(None),
                })
            })
            .await
        };
        let mut received = None;
        let mut dlink_event = None;
        tokio::select! {
            (i, notice) = any_mtp => {
                if let Some(n) = notice {
                    let v = notice_json(&n);
                    let name = self.gateway.trunks().get(i).map_or("", |t| t.name()).to_string();
                    self.log(json!({"event": "link", "trunk": name, "notice": v}));
                }
            }
            (i, e) = any_dlink => dlink_event = Some((i, e)),
            e = self.events.recv() => received = e,
        }
        let now = self.clock.now();
        if let Some((i, e)) = dlink_event {
            self.dlink_event(now, i, e);
        }
        // From here to the messages handed on (`flush`): the time this input took inside the
        // gateway, reported with each call it set up (GatewayEvent::CallRouted::added_us).
        let started = std::time::Instant::now();
        match received {
            Some(TransportEvent::Received {
                bytes,
                source,
                transport,
                connection,
                ..
            }) => self
                .gateway
                .handle_sip(now, &bytes, Target::new(transport, source), connection),
            Some(TransportEvent::SendFailed { bytes, .. }) => {
                self.gateway.sip_send_failed(now, &bytes)
            }
            _ => {}
        }
        self.drain_mtp(now);
        if self.gateway.poll_timeout().is_some_and(|t| t <= now) {
            self.gateway.handle_timeout(now);
        }
        self.flush(now, started)
    }

    /// Hands what the transport of QSIG trunk `i` reported to the gateway (frames, and the
    /// connection lost or made: layer 1 deactivated or activated, so that the data link and
    /// the call layer act at once — Q.931 5.8.9 — rather than when Q.921's T203 and T200 x
    /// N200 find the far end gone) and to the log.
    fn dlink_event(&mut self, now: Instant, i: usize, e: Option<LinkEvent>) {
        let notice = match e {
            Some(LinkEvent::Frame(frame)) => {
                self.gateway.handle_dchannel_frame(now, i, &frame);
                return;
            }
            // Q.921 5.8.4 (and 4.3): a frame with a bad FCS is discarded without action.
            Some(LinkEvent::RxError(error)) => {
                json!({"rx_error": 0, "error": format!("{error:?}")})
            }
            Some(LinkEvent::Established) => {
                self.gateway.dchannel_up(now, i);
                json!({"established": 0})
            }
            Some(LinkEvent::Lost(error)) => {
                self.gateway.dchannel_lost(now, i);
                json!({"lost": 0, "error": error.to_string()})
            }
            None => {
                if let Some(d) = self.dlinks.get_mut(i) {
                    d.stopped = true;
                }
                json!({"stopped": 0})
            }
        };
        let name = self
            .gateway
            .qsig_trunks()
            .get(i)
            .map_or("", |t| t.name())
            .to_string();
        self.log(json!({"event": "link", "trunk": name, "notice": notice}));
    }

    /// Hands what MTP delivered to the gateway.
    fn drain_mtp(&mut self, now: Instant) {
        for i in 0..self.mtps.len() {
            while let Some(e) = self.mtps[i].mtp().poll_event() {
                match &e {
                    Mtp3Event::Transfer(t) if t.service_indicator == ServiceIndicator::Isup => {
                        match CicMessage::decode(&t.payload) {
                            Ok(m) => self.gateway.handle_isup(now, i, m),
                            Err(_) => {
                                let _ = self.gateway.handle_isup_octets(now, i, &t.payload);
                            }
                        }
                    }
                    Mtp3Event::Transfer(_) => {}
                    other => {
                        if let Some(ind) = isup_indication(other) {
                            self.gateway.handle_mtp(now, i, ind);
                        }
                        let name = self.gateway.trunks()[i].name().to_string();
                        let v = format!("{other:?}");
                        self.log(json!({"event": "mtp", "trunk": name, "mtp": v}));
                    }
                }
            }
        }
    }

    /// Sends what the gateway has for MTP and SIP; logs its events and returns them.
    fn flush(&mut self, now: Instant, started: std::time::Instant) -> Vec<GatewayEvent> {
        while let Some((trunk, sls, m)) = self.gateway.poll_isup_transmit() {
            self.buf.clear();
            if m.encode(&mut self.buf).is_err() {
                continue;
            }
            if let Some(shell) = self.mtps.get_mut(trunk) {
                let req = TransferRequest::new(ServiceIndicator::Isup, sls, self.buf.clone());
                let _ = shell.mtp().transfer(now, req);
            }
        }
        for m in &mut self.mtps {
            m.flush();
        }
        while let Some((trunk, frame)) = self.gateway.poll_dchannel_transmit() {
            if let Some(d) = self.dlinks.get_mut(trunk) {
                d.queue(frame);
            }
        }
        for d in &mut self.dlinks {
            d.send();
        }
        while let Some(o) = self.gateway.poll_sip_transmit() {
            let _ = match o.connection {
                Some(c) if self.transport.is_open(c) => self.transport.send_on(c, o.bytes),
                _ => self.transport.send(&o.target, o.bytes),
            };
        }
        let added = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        let mut events = Vec::new();
        while let Some(mut e) = self.gateway.poll_event() {
            if let GatewayEvent::CallRouted { added_us, .. } = &mut e {
                *added_us = Some(added);
            }
            if self.log.is_some() {
                let v = serde_json::to_value(&e).unwrap_or_default();
                self.log(v);
            }
            events.push(e);
        }
        if let Some(w) = self.log.as_mut() {
            let _ = w.flush();
        }
        events
    }
}

/// The transport of one QSIG D-channel. The gateway owns the D-channel itself (Q.921 and the
/// call layer), so this is the frames-only part of [`crate::shell::DChannelShell`]: frames in,
/// frames out in order, connection notices for the log. A D-channel has no fill-in to make.
struct DLink {
    link: Link,
    /// Frames the gateway has given for this link that the transport queue had no room for
    /// yet, oldest first (at most [`DLink::PENDING`]).
    pending: VecDeque<Vec<u8>>,
    /// The link's task has stopped (`recv` gave `None`): nothing more comes from it.
    stopped: bool,
}

impl DLink {
    /// More than a window (k = 7) of I frames plus their supervisory frames: a transport this
    /// far behind has lost its line, and what is dropped is recovered by T200 (Q.921 5.6.7).
    const PENDING: usize = 256;

    fn new(link: Link) -> DLink {
        DLink {
            link,
            pending: VecDeque::new(),
            stopped: false,
        }
    }

    fn blocked(&self) -> bool {
        !self.pending.is_empty()
    }

    fn queue(&mut self, frame: Vec<u8>) {
        if self.pending.len() >= Self::PENDING {
            self.pending.pop_front();
        }
        self.pending.push_back(frame);
    }

    /// Hands the transport every pending frame it has room for, in order.
    fn send(&mut self) {
        let sender = self.link.sender();
        while sender.has_room() {
            let Some(frame) = self.pending.pop_front() else {
                return;
            };
            // A frame refused (too long for the transport, link task gone) is lost as on a
            // line hit; Q.921's T200 recovers it.
            let _ = sender.try_send_frame(frame);
        }
    }
}

fn notice_json(n: &Notice) -> serde_json::Value {
    match n {
        Notice::Established { link } => json!({"established": link}),
        Notice::Lost { link, error } => json!({"lost": link, "error": error.to_string()}),
        Notice::RxError { link, error } => json!({"rx_error": link, "error": format!("{error:?}")}),
    }
}

/// MTP2/MTP3 of the linkset whose first link is `first`, on its transports.
fn spawn_mtp(clock: Clock, config: &Config, first: &LinkConfig) -> Result<MtpShell, RunError> {
    let bad = |message: String| RunError::Link {
        link: first.name.clone(),
        message,
    };
    let linkset: Vec<&LinkConfig> = config
        .linkset_of(first)
        .into_iter()
        .filter(|l| l.protocol == Protocol::Isup)
        .collect();
    let relation = isup_relation(&linkset).map_err(bad)?;
    let (mtp, transports) = (relation.mtp, relation.transports);
    MtpShell::spawn(clock, mtp, &transports, MtpShellOptions::default())
        .map_err(|e| bad(e.to_string()))
}

/// A seed for the UA's tags and branches: unpredictable enough (RFC 3261 19.3 asks for
/// global uniqueness and cryptographic randomness of tags; the UA mixes this in).
fn seed() -> u64 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    t ^ (u64::from(std::process::id()) << 32)
}

/// `sipt-mgc run`: the gateway until interrupted.
pub async fn run(config: &Config, log: Box<dyn Write + Send>) -> Result<(), RunError> {
    let clock = Clock::new();
    let mut shell = GatewayShell::start(clock, config, Some(log)).await?;
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        tokio::select! {
            _ = shell.step(None) => {}
            _ = &mut ctrl_c => {
                shell.log(json!({"event": "interrupted", "calls": shell.gateway.calls()}));
                return Ok(());
            }
        }
    }
}

/// The first of `n` futures, looking from `turn % n` round, that is ready with something
/// (`poll(i)`: `Ready(Some(output))`; `Ready(None)`: nothing to wait for there). Each step
/// starts one further on, so that a link with frames always waiting cannot keep the others
/// from being read: starved, their MTP2 would acknowledge nothing and the far ends' T7 expire
/// (Q.703 5.3.1), as it did with six relations at 1000 calls/s before this.
fn first_ready<T>(
    turn: usize,
    n: usize,
    mut poll: impl FnMut(usize) -> Poll<Option<T>>,
) -> Poll<(usize, T)> {
    for k in 0..n {
        let i = (turn + k) % n;
        if let Poll::Ready(Some(out)) = poll(i) {
            return Poll::Ready((i, out));
        }
    }
    Poll::Pending
}

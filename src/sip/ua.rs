//! The user agent core (RFC 3261 8, 12-15): the transaction user above [`TransactionLayer`]
//! that turns messages into calls for its user (the interworking, a test) and calls into
//! messages. Sans-IO: octets with their source come in, octets with a destination go out.
//!
//! What it does by itself, as RFC 3261 says a UA core must:
//! - a request that does not parse or lacks what 8.1.1 makes mandatory gets 400 with a
//!   reason phrase naming the problem (8.2); an unknown method 501, a known one we do not
//!   take outside a dialog 405 with Allow (8.2.1); a request for no dialog of ours 481
//!   (12.2.2); CANCEL is answered and a pending INVITE gets 487 (9.2);
//! - the ACK of a 2xx (13.2.2.4, its own transaction), sent again for every retransmitted
//!   2xx; the 2xx of an INVITE retransmitted at T1 doubling to T2 until its ACK, and a BYE
//!   after 64·T1 without one (13.3.1.4);
//! - dialogs for every call, both sides (12), BYE answered and the call ended (15.1.2).

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use crate::sip::auth::{
    AuthAttempt, CredentialStore, DigestClient, DigestServer, RegisterResponse, Registration,
    RegistrationEvent, RequestParts, Verdict,
};
use crate::sip::dialog::{Dialog, DialogIds, DialogState};
use crate::sip::message::headers::{parse_rseq, parse_tokens, RAck as RAckHeader};
use crate::sip::message::headers::{Refresher, SessionExpires};
use crate::sip::message::{Message, Method, NameAddr, StartLine, Uri, Via};
use crate::sip::reliable::{
    FinalPermission, RAck, UacReliable, UacVerdict, UasOutput, UasReliable,
};
use crate::sip::session_timer::{
    uac_after_422, uac_on_2xx, uas_decide, SessionTimer, SessionTimerConfig, TimerAction,
    UasDecision,
};
use crate::sip::transaction::{Event, Key, Output, ServerState, Timers, TransactionLayer};
use crate::sip::transport::{ConnectionId, Target, TransportKind};
use crate::time::{earliest, Instant};

/// A call as the UA's user knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallHandle(pub u64);

/// How the UA presents itself.
#[derive(Debug, Clone)]
pub struct UaConfig {
    /// The address written in Via sent-by and Contact.
    pub host: String,
    pub port: u16,
    /// The transport of Via and Contact, and of requests we send.
    pub transport: TransportKind,
    /// The user part of our Contact.
    pub user: String,
    pub timers: Timers,
    /// Methods we answer outside a dialog besides INVITE (OPTIONS is always answered).
    pub allow: Vec<&'static str>,
    /// Send provisional responses reliably (RFC 3262) whenever the INVITE supports 100rel,
    /// not only when it requires it.
    pub use_100rel: bool,
    /// Session timers (RFC 4028).
    pub session_timer: SessionTimerConfig,
}

impl UaConfig {
    pub fn new(host: &str, port: u16, transport: TransportKind) -> UaConfig {
        UaConfig {
            host: host.to_string(),
            port,
            transport,
            user: "sipt".to_string(),
            timers: Timers::default(),
            allow: vec![
                "INVITE", "ACK", "CANCEL", "BYE", "OPTIONS", "INFO", "UPDATE", "PRACK",
            ],
            use_100rel: true,
            session_timer: SessionTimerConfig::default(),
        }
    }
}

/// What the UA tells its user.
#[derive(Debug, Clone, PartialEq)]
pub enum UaEvent {
    /// A new INVITE; answer with [`UserAgent::respond`].
    Incoming { call: CallHandle, invite: Message },
    /// A provisional response to our INVITE.
    Progress { call: CallHandle, response: Message },
    /// A 2xx to our INVITE; the ACK has gone.
    Answered { call: CallHandle, response: Message },
    /// A final error response to our INVITE (the transaction ACKed it).
    Rejected { call: CallHandle, response: Message },
    /// Our INVITE got no final response (timer B) or could not be sent.
    TimedOut { call: CallHandle },
    /// The far end cancelled its INVITE; it was answered 487. `reason`: the CANCEL's Reason
    /// header value (RFC 3326), if it had one.
    Cancelled {
        call: CallHandle,
        reason: Option<String>,
    },
    /// The ACK for our 2xx came: the call is established.
    Confirmed { call: CallHandle },
    /// A request within the call other than BYE and ACK (INFO, UPDATE, re-INVITE, PRACK...);
    /// answer it with [`UserAgent::respond_request`].
    Request {
        call: CallHandle,
        request: Message,
        key: Key,
    },
    /// A final response to a request we sent within the call (INFO, UPDATE, re-INVITE).
    RequestResponse { call: CallHandle, response: Message },
    /// The call ended: `remote` when the far end sent BYE.
    /// `reason`: the Reason header value of the far end's BYE (RFC 3326), if it had one.
    Ended {
        call: CallHandle,
        remote: bool,
        reason: Option<String>,
        /// The far end's BYE, when it sent one (its body: an encapsulated REL, RFC 3398 10.1).
        bye: Option<Box<Message>>,
    },
    /// A message that could not be used, for the log.
    Discarded { reason: String },
    /// The registration (see [`UserAgent::register`]) changed.
    Registration(RegistrationEvent),
    /// A 3xx to our INVITE: the call is tried again at `to` (RFC 3261 8.1.3.4).
    Redirected { call: CallHandle, to: Uri },
    /// Our INVITE got no answer from its target (timer B) or a 503 there: it goes to the next
    /// target of the list it was given (RFC 3263 4.3).
    Failover { call: CallHandle, to: Target },
    /// A peer kept alive with OPTIONS ([`UserAgent::keep_alive`]) answered (any final
    /// response: it is there, RFC 3261 11) or stopped answering (timer F).
    PeerStatus { peer: Target, up: bool },
}

/// Octets to send, with where to.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub target: Target,
    /// The connection a response goes back on (RFC 3261 18.2.2), if any.
    pub connection: Option<ConnectionId>,
    pub bytes: Vec<u8>,
}

/// Why a command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UaError {
    #[error("no such call")]
    NoSuchCall,
    #[error("the call is not in a state for this")]
    WrongState,
    #[error("{0}")]
    Transaction(#[from] crate::sip::transaction::TxError),
    #[error("{0}")]
    Dialog(#[from] crate::sip::dialog::DialogError),
    #[error("{0}")]
    Message(#[from] crate::sip::message::ParseError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Uac,
    Uas,
}

#[derive(Debug)]
struct Call {
    role: Role,
    /// The INVITE (sent or received); a UAC's keeps only its start line once answered and
    /// its transaction is over.
    invite: Message,
    invite_key: Key,
    /// Where our requests go (the next hop of the INVITE; for a UAS, the INVITE's source).
    next_hop: Target,
    connection: Option<ConnectionId>,
    dialog: Option<Dialog>,
    /// Our local tag (UAS: the To tag of our responses).
    local_tag: String,
    /// A 2xx we retransmit until its ACK (13.3.1.4): response, next send, interval, end.
    pending_2xx: Option<Box<(Message, Instant, Duration, Instant)>>,
    /// The ACK we sent for the 2xx, repeated on retransmitted 2xx: kept encoded, as it is
    /// only ever sent again; emptied when the INVITE's transaction ends (timer M), when no
    /// more retransmissions come. `Some` (even empty): the INVITE was answered.
    ack: Option<Vec<u8>>,
    ended: bool,
    /// RFC 3262, UAS side: our reliable provisional responses (when the INVITE supports or
    /// requires 100rel).
    uas_reliable: Option<Box<UasReliable<Message>>>,
    /// A 2xx held until the PRACK of a reliable 1xx with SDP (RFC 3262 3).
    held_final: Option<Box<Message>>,
    /// The early dialogs of our INVITE, one per remote tag (a forked INVITE has several,
    /// RFC 3261 12.1.2), each with its RFC 3262 RSeq order (RFC 3262 4).
    early: Vec<(Dialog, UacReliable)>,
    /// Digest challenges answered for our INVITE (RFC 3261 22.2), against loops.
    auth_attempt: AuthAttempt,
    /// Contacts of 3xx responses already tried (RFC 3261 8.1.3.4).
    redirects: Vec<Uri>,
    /// RFC 4028: what we answer an incoming INVITE's session timer request with.
    session_decision: Option<UasDecision>,
    /// RFC 4028: the running session timer.
    session: Option<SessionTimer>,
    /// RFC 3263 4.3: the targets still to try for our INVITE.
    alternates: VecDeque<Target>,
}

/// The calls of a UA with the indexes that spare a scan of every call per message and per
/// timer (tens of thousands are held at once in a gateway):
/// - by local tag: a message within a dialog (RFC 3261 12.2.2) carries our tag (To of a
///   request, From of a response), and every call has its own (19.3) — but the siblings of
///   [`UserAgent::invite_sibling`] (RFC 3578 3.2: one From tag for every INVITE of an overlap
///   call), which `more_by_tag` holds, and whose dialog (only one gets a 2xx) tells them apart;
/// - by the key of the INVITE server transaction, for CANCEL (9.2);
/// - the earliest deadline of each call's own timers (the 2xx retransmission and its end,
///   13.3.1.4; RFC 3262 reliable provisionals; the RFC 4028 session timer), earliest first.
///
/// Every `get_mut` notes the call as touched; its deadline is filed again by
/// [`CallTable::refile`], and until then [`CallTable::next_deadline`] reads it from the call
/// itself, so that the answer is always exact.
#[derive(Debug, Default)]
struct CallTable {
    /// Boxed: a call is large and the map has room for more than it holds.
    calls: HashMap<CallHandle, Box<Call>>,
    by_tag: HashMap<String, CallHandle>,
    /// The calls sharing a local tag with the one of `by_tag`, beyond it (siblings).
    more_by_tag: HashMap<String, Vec<CallHandle>>,
    by_invite: HashMap<Key, CallHandle>,
    /// Each call's deadline as filed in `queue`.
    scheduled: HashMap<CallHandle, Instant>,
    queue: std::collections::BTreeSet<(Instant, CallHandle)>,
    /// Calls possibly changed since their deadline was filed.
    touched: Vec<CallHandle>,
}

impl CallTable {
    fn len(&self) -> usize {
        self.calls.len()
    }

    fn get(&self, h: &CallHandle) -> Option<&Call> {
        self.calls.get(h).map(|c| &**c)
    }

    fn get_mut(&mut self, h: &CallHandle) -> Option<&mut Call> {
        let c = &mut **self.calls.get_mut(h)?;
        if self.touched.last() != Some(h) {
            self.touched.push(*h);
        }
        Some(c)
    }

    fn insert(&mut self, h: CallHandle, call: Call) {
        match self.by_tag.get(&call.local_tag) {
            Some(first) if *first != h => self
                .more_by_tag
                .entry(call.local_tag.clone())
                .or_default()
                .push(h),
            _ => {
                self.by_tag.insert(call.local_tag.clone(), h);
            }
        }
        if call.role == Role::Uas {
            self.by_invite.insert(call.invite_key.clone(), h);
        }
        self.calls.insert(h, Box::new(call));
        self.touched.push(h);
    }

    fn remove(&mut self, h: &CallHandle) {
        let Some(c) = self.calls.remove(h) else {
            return;
        };
        if self.by_tag.get(&c.local_tag) == Some(h) {
            // A sibling, if any, takes its place.
            let next = self.more_by_tag.get_mut(&c.local_tag).and_then(Vec::pop);
            match next {
                Some(n) => {
                    self.by_tag.insert(c.local_tag.clone(), n);
                }
                None => {
                    self.by_tag.remove(&c.local_tag);
                }
            }
        } else if let Some(v) = self.more_by_tag.get_mut(&c.local_tag) {
            v.retain(|x| x != h);
        }
        if self
            .more_by_tag
            .get(&c.local_tag)
            .is_some_and(Vec::is_empty)
        {
            self.more_by_tag.remove(&c.local_tag);
        }
        if self.by_invite.get(&c.invite_key) == Some(h) {
            self.by_invite.remove(&c.invite_key);
        }
        if let Some(at) = self.scheduled.remove(h) {
            self.queue.remove(&(at, *h));
        }
        crate::sip::shrink_sparse(&mut self.calls);
        crate::sip::shrink_sparse(&mut self.by_tag);
        crate::sip::shrink_sparse(&mut self.by_invite);
        crate::sip::shrink_sparse(&mut self.scheduled);
    }

    /// The calls whose local tag is `tag` (one, but for siblings).
    fn by_local_tag<'a>(&'a self, tag: &str) -> impl Iterator<Item = CallHandle> + 'a {
        let first = self.by_tag.get(tag).copied();
        let more = self.more_by_tag.get(tag).into_iter().flatten().copied();
        first.into_iter().chain(more)
    }

    /// The incoming call whose INVITE server transaction is `key`.
    fn by_invite_key(&self, key: &Key) -> Option<CallHandle> {
        self.by_invite.get(key).copied()
    }

    /// Files again the deadlines of the calls touched since the last time.
    fn refile(&mut self) {
        for h in std::mem::take(&mut self.touched) {
            let next = self.calls.get(&h).and_then(|c| c.deadline());
            let old = self.scheduled.get(&h).copied();
            if old == next {
                continue;
            }
            if let Some(at) = old {
                self.queue.remove(&(at, h));
                self.scheduled.remove(&h);
            }
            if let Some(at) = next {
                self.queue.insert((at, h));
                self.scheduled.insert(h, at);
            }
        }
    }

    /// The earliest deadline of any call: the filed ones (but those of touched calls, whose
    /// filing may be stale) and those of the touched calls read afresh.
    fn next_deadline(&self) -> Option<Instant> {
        let filed = self
            .queue
            .iter()
            .find(|(_, h)| !self.touched.contains(h))
            .map(|(t, _)| *t);
        let touched = self
            .touched
            .iter()
            .filter_map(|h| self.calls.get(h).and_then(|c| c.deadline()))
            .min();
        earliest(filed, touched)
    }

    /// The calls with a deadline at or before `now` (after [`CallTable::refile`]).
    fn due(&self, now: Instant) -> Vec<CallHandle> {
        self.queue
            .iter()
            .take_while(|(t, _)| *t <= now)
            .map(|(_, h)| *h)
            .collect()
    }
}

impl Call {
    /// The highest CSeq number this call has used: its INVITE's, or a request's within one
    /// of its dialogs (PRACK, UPDATE, BYE...).
    fn highest_cseq(&self) -> u32 {
        let invite = self.invite.cseq().map(|s| s.seq).unwrap_or(1);
        self.dialog
            .iter()
            .chain(self.early.iter().map(|(d, _)| d))
            .filter_map(|d| d.local_seq)
            .fold(invite, u32::max)
    }

    /// The earliest of this call's own timers.
    fn deadline(&self) -> Option<Instant> {
        let ok_2xx = self
            .pending_2xx
            .as_deref()
            .map(|(_, t, _, end)| (*t).min(*end));
        let reliable = self
            .uas_reliable
            .as_deref()
            .and_then(UasReliable::poll_timeout);
        let session = if self.ended {
            None
        } else {
            self.session.as_ref().map(SessionTimer::deadline)
        };
        earliest(earliest(ok_2xx, reliable), session)
    }
}

/// Where a transaction's messages go.
#[derive(Debug, Clone)]
struct Route {
    target: Target,
    connection: Option<ConnectionId>,
    call: Option<CallHandle>,
}

/// The server side of digest authentication: who must authenticate, against what.
struct AuthServer {
    server: DigestServer,
    store: Box<dyn CredentialStore + Send>,
}

impl std::fmt::Debug for AuthServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthServer")
            .field("realm", &self.server.config().realm)
            .finish()
    }
}

/// The registration client with where its REGISTERs go.
struct Registrar {
    registration: Registration,
    next_hop: Target,
    /// The transaction of the REGISTER in flight.
    key: Option<Key>,
}

impl std::fmt::Debug for Registrar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registrar")
            .field("next_hop", &self.next_hop)
            .field("key", &self.key)
            .finish()
    }
}

/// The user agent core.
#[derive(Debug)]
pub struct UserAgent {
    config: UaConfig,
    layer: TransactionLayer<Message>,
    calls: CallTable,
    routes: HashMap<Key, Route>,
    next_call: u64,
    counter: u64,
    seed: u64,
    out: VecDeque<Outgoing>,
    events: VecDeque<UaEvent>,
    /// Our credentials toward peers that challenge (RFC 3261 22.2).
    auth_client: DigestClient,
    /// Peers must authenticate their INVITEs to us (RFC 3261 22.1), when set.
    auth_server: Option<AuthServer>,
    registrar: Option<Registrar>,
    peers: Vec<KeepAlive>,
}

/// A peer pinged with OPTIONS.
#[derive(Debug, Clone)]
struct KeepAlive {
    peer: Target,
    uri: Uri,
    interval: Duration,
    next: Instant,
    up: Option<bool>,
    key: Option<Key>,
}

/// The option tags we support (RFC 3262, RFC 4028).
const SUPPORTED: [&str; 2] = ["100rel", "timer"];

/// How many 3xx a call follows before it gives up (RFC 3261 8.1.3.4 leaves the limit to
/// the UA; it must avoid loops).
const MAX_REDIRECTS: usize = 5;

impl UserAgent {
    /// A UA; `seed` makes its tags, branches and Call-IDs unique (draw it at random).
    pub fn new(config: UaConfig, seed: u64) -> UserAgent {
        UserAgent {
            layer: TransactionLayer::new(config.timers),
            config,
            calls: CallTable::default(),
            routes: HashMap::new(),
            next_call: 0,
            counter: 0,
            seed,
            out: VecDeque::new(),
            events: VecDeque::new(),
            auth_client: DigestClient::new(Vec::new()),
            auth_server: None,
            registrar: None,
            peers: Vec::new(),
        }
    }

    /// Sends OPTIONS to `peer` (Request-URI `uri`) every `interval` and reports whether it
    /// answers ([`UaEvent::PeerStatus`], on every change): the keep-alive of configured
    /// trunks, so that routing can skip a peer that is down.
    pub fn keep_alive(&mut self, now: Instant, peer: Target, uri: Uri, interval: Duration) {
        self.peers.push(KeepAlive {
            peer,
            uri,
            interval,
            next: now,
            up: None,
            key: None,
        });
        self.drive_keepalives(now);
        self.pump(now);
    }

    /// RFC 4028 10: refreshes (UPDATE, RFC 3311: no new offer needed) when we are the
    /// refresher, BYE when the far end let the session lapse.
    /// `due`: the calls with a deadline at `now` or before.
    fn drive_session_timers(&mut self, now: Instant, due: &[CallHandle]) {
        let mut actions = Vec::new();
        for h in due {
            let Some(c) = self.calls.get_mut(h) else {
                continue;
            };
            if c.ended {
                continue;
            }
            if let Some(st) = c.session.as_mut() {
                if let Some(a) = st.poll(now) {
                    let we_are = if c.role == Role::Uac { "uac" } else { "uas" };
                    actions.push((*h, a, st.interval, we_are));
                }
            }
        }
        for (call, action, interval, we_are) in actions {
            match action {
                TimerAction::Refresh => {
                    let se = format!("{interval};refresher={we_are}");
                    let _ = self.request_with(
                        now,
                        call,
                        Method::Update,
                        None,
                        &[("Session-Expires", se), ("Supported", "timer".to_string())],
                    );
                }
                TimerAction::Expire => {
                    if let Some(c) = self.calls.get_mut(&call) {
                        c.ended = true;
                    }
                    let _ = self.request(now, call, Method::Bye, None);
                    self.events.push_back(UaEvent::Ended {
                        call,
                        remote: false,
                        reason: None,
                        bye: None,
                    });
                }
            }
        }
    }

    fn drive_keepalives(&mut self, now: Instant) {
        for i in 0..self.peers.len() {
            let Some(k) = self.peers.get(i) else {
                continue;
            };
            if k.key.is_some() || k.next > now {
                continue;
            }
            let (uri, peer) = (k.uri.clone(), k.peer.clone());
            let via = self.via();
            let tag = self.token();
            let call_id = format!("{}@{}", self.token(), self.config.host);
            let mut from = NameAddr::new(Uri::sip(
                Some(&self.config.user),
                &self.config.host,
                Some(self.config.port),
            ));
            from.set_tag(&tag);
            let mut m = Message::request(
                Method::Options,
                uri.clone(),
                via,
                from,
                NameAddr::new(uri),
                &call_id,
                1,
            );
            m.push_header("Accept", "application/sdp");
            match self.layer.send_request(now, m, self.reliable()) {
                Ok(key) => {
                    self.routes.insert(
                        key.clone(),
                        Route {
                            target: peer,
                            connection: None,
                            call: None,
                        },
                    );
                    if let Some(k) = self.peers.get_mut(i) {
                        k.key = Some(key);
                        k.next = now + k.interval;
                    }
                }
                Err(_) => {
                    if let Some(k) = self.peers.get_mut(i) {
                        k.next = now + k.interval;
                    }
                }
            }
        }
    }

    /// The OPTIONS of a kept-alive peer ended: `up` when it got a final response.
    fn keepalive_done(&mut self, key: &Key, up: bool) -> bool {
        let Some(k) = self.peers.iter_mut().find(|k| k.key.as_ref() == Some(key)) else {
            return false;
        };
        k.key = None;
        if k.up != Some(up) {
            k.up = Some(up);
            self.events.push_back(UaEvent::PeerStatus {
                peer: k.peer.clone(),
                up,
            });
        }
        true
    }

    /// Credentials for peers that challenge our requests with 401/407 (RFC 3261 22.2).
    pub fn set_credentials(&mut self, client: DigestClient) {
        self.auth_client = client;
    }

    /// Requires INVITEs from outside a dialog to carry digest credentials that `server`
    /// accepts against `store` (RFC 3261 22.1, 22.4): others get 401.
    pub fn require_auth(&mut self, server: DigestServer, store: Box<dyn CredentialStore + Send>) {
        self.auth_server = Some(AuthServer { server, store });
    }

    /// Starts registering (RFC 3261 10.2) with `registration`, its REGISTERs sent to
    /// `next_hop`; refreshes, challenges and failures are its business, reported as
    /// [`UaEvent::Registration`].
    pub fn register(&mut self, now: Instant, mut registration: Registration, next_hop: Target) {
        registration.register(now);
        self.registrar = Some(Registrar {
            registration,
            next_hop,
            key: None,
        });
        self.drive_registration(now);
        self.pump(now);
    }

    /// Removes our binding (expires=0).
    pub fn unregister(&mut self, now: Instant) {
        if let Some(r) = self.registrar.as_mut() {
            r.registration.unregister(now);
        }
        self.drive_registration(now);
        self.pump(now);
    }

    /// Sends what the registration wants sent, and passes on its events.
    fn drive_registration(&mut self, now: Instant) {
        let Some(r) = self.registrar.as_mut() else {
            return;
        };
        while let Some(e) = r.registration.poll_event() {
            self.events.push_back(UaEvent::Registration(e));
        }
        let Some(req) = r.registration.poll_transmit() else {
            return;
        };
        let next_hop = r.next_hop.clone();
        let Ok(uri) = Uri::parse(&req.uri) else {
            self.events.push_back(UaEvent::Discarded {
                reason: format!("registrar URI {} does not parse", req.uri),
            });
            return;
        };
        let via = self.via();
        let mut m = Message {
            start: StartLine::Request {
                method: Method::Register,
                uri,
            },
            headers: Vec::new(),
            body: Vec::new(),
        };
        m.push_header("Via", via.to_string());
        m.push_header("Max-Forwards", "70");
        for (name, value) in &req.headers {
            m.push_header(name, value.clone());
        }
        match self.layer.send_request(now, m, self.reliable()) {
            Ok(key) => {
                self.routes.insert(
                    key.clone(),
                    Route {
                        target: next_hop,
                        connection: None,
                        call: None,
                    },
                );
                if let Some(r) = self.registrar.as_mut() {
                    r.key = Some(key);
                }
            }
            Err(e) => self.events.push_back(UaEvent::Discarded {
                reason: format!("REGISTER not sent: {e}"),
            }),
        }
    }

    fn reliable(&self) -> bool {
        self.config.transport != TransportKind::Udp
    }

    fn token(&mut self) -> String {
        self.counter += 1;
        // A 64-bit mix of the seed and a counter: unique per UA, unpredictable enough for
        // tags and branches (RFC 3261 19.3 asks for 32 bits of randomness).
        let mut x = self.seed ^ self.counter.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^= x >> 33;
        format!("{x:016x}")
    }

    fn via(&mut self) -> Via {
        let branch = format!("{}{}", crate::sip::transaction::MAGIC_COOKIE, self.token());
        let mut v = Via::new(
            self.config.transport.via_token(),
            &self.config.host,
            Some(self.config.port),
            &branch,
        );
        v.params.set("rport", None);
        v
    }

    fn contact(&self) -> String {
        // RFC 3261 8.1.1.8: over TLS the Contact is a SIPS URI (a SIPS Request-URI needs
        // one); over TCP it names its transport.
        let (scheme, transport) = match self.config.transport {
            TransportKind::Udp => ("sip", ""),
            TransportKind::Tcp => ("sip", ";transport=tcp"),
            TransportKind::Tls => ("sips", ""),
        };
        format!(
            "<{scheme}:{}@{}:{}{transport}>",
            self.config.user, self.config.host, self.config.port
        )
    }

    /// The number of calls not yet forgotten.
    pub fn calls(&self) -> usize {
        self.calls.len()
    }

    /// The number of transactions alive.
    pub fn transactions(&self) -> usize {
        self.layer.len()
    }

    // ------------------------------------------------------------------- commands

    /// Places a call: INVITE to `to` via `next_hop`, From `from`, with an optional body
    /// (content type, octets).
    pub fn invite(
        &mut self,
        now: Instant,
        from: NameAddr,
        to: Uri,
        next_hop: Target,
        body: Option<(&str, Vec<u8>)>,
    ) -> Result<CallHandle, UaError> {
        self.invite_with(now, from, to, vec![next_hop], &[], body)
    }

    /// Places a call to the first of `targets` (the result of RFC 3263 location, in order),
    /// trying the next on a timeout or 503 before any dialog exists (RFC 3263 4.3).
    pub fn invite_targets(
        &mut self,
        now: Instant,
        from: NameAddr,
        to: Uri,
        targets: Vec<Target>,
        body: Option<(&str, Vec<u8>)>,
    ) -> Result<CallHandle, UaError> {
        self.invite_with(now, from, to, targets, &[], body)
    }

    /// [`UserAgent::invite_targets`] with headers of the caller's added to the INVITE
    /// (P-Asserted-Identity, Privacy, History-Info...). A `Max-Forwards` among them replaces
    /// the default 70.
    pub fn invite_with(
        &mut self,
        now: Instant,
        from: NameAddr,
        to: Uri,
        targets: Vec<Target>,
        headers: &[(&str, String)],
        body: Option<(&str, Vec<u8>)>,
    ) -> Result<CallHandle, UaError> {
        if targets.is_empty() {
            return Err(UaError::WrongState);
        }
        let mut from = from;
        let local_tag = self.token();
        from.set_tag(&local_tag);
        let call_id = format!("{}@{}", self.token(), self.config.host);
        self.send_invite(
            now,
            (from, local_tag),
            &call_id,
            1,
            to,
            targets,
            headers,
            body,
        )
    }

    /// RFC 3578 3.2: a new INVITE of the overlap call `of` (one of ours) with a longer
    /// number: the same Call-ID and From (tag included), a To of `to` without tag, no Route,
    /// and a CSeq higher than any this UA has used for the Call-ID (in the INVITEs of every
    /// sibling still held and the requests of their early dialogs, RFC 3578 3.2). It is a
    /// call of its own: its responses, dialog, CANCEL and BYE are its own; the earlier
    /// INVITEs are not cancelled (3.4). `of` must be a call we placed and is not answered
    /// (no confirmed dialog), else `WrongState`; it may have failed already.
    pub fn invite_sibling(
        &mut self,
        now: Instant,
        of: CallHandle,
        to: Uri,
        targets: Vec<Target>,
        headers: &[(&str, String)],
        body: Option<(&str, Vec<u8>)>,
    ) -> Result<CallHandle, UaError> {
        let c = self.calls.get(&of).ok_or(UaError::NoSuchCall)?;
        let answered = c
            .dialog
            .as_ref()
            .is_some_and(|d| d.state == DialogState::Confirmed);
        if c.role != Role::Uac || answered || targets.is_empty() {
            return Err(UaError::WrongState);
        }
        let from = c.invite.from()?;
        let call_id = c.invite.call_id()?;
        let local_tag = c.local_tag.clone();
        let highest = self
            .calls
            .by_local_tag(&local_tag)
            .filter_map(|h| self.calls.get(&h))
            .map(Call::highest_cseq)
            .max()
            .unwrap_or(1);
        self.send_invite(
            now,
            (from, local_tag),
            &call_id,
            highest.saturating_add(1),
            to,
            targets,
            headers,
            body,
        )
    }

    /// Sends a new INVITE and files its call: From `from` (with the tag `local_tag`).
    #[allow(clippy::too_many_arguments)]
    fn send_invite(
        &mut self,
        now: Instant,
        (from, local_tag): (NameAddr, String),
        call_id: &str,
        cseq: u32,
        to: Uri,
        targets: Vec<Target>,
        headers: &[(&str, String)],
        body: Option<(&str, Vec<u8>)>,
    ) -> Result<CallHandle, UaError> {
        let mut targets: VecDeque<Target> = targets.into();
        let next_hop = targets.pop_front().ok_or(UaError::WrongState)?;
        let via = self.via();
        let mut invite = Message::request(
            Method::Invite,
            to.clone(),
            via,
            from,
            NameAddr::new(to),
            call_id,
            cseq,
        );
        invite.push_header("Contact", self.contact());
        invite.push_header("Allow", self.config.allow.join(", "));
        invite.push_header("Supported", "100rel, timer");
        // RFC 4028 7.1: the interval we ask for.
        let st = self.config.session_timer;
        if st.session_expires > 0 {
            invite.push_header("Session-Expires", st.session_expires.to_string());
            invite.push_header("Min-SE", st.min_se.to_string());
        }
        for (name, value) in headers {
            if name.eq_ignore_ascii_case("Max-Forwards") {
                invite.set_header("Max-Forwards", value.clone());
            } else {
                invite.push_header(name, value.clone());
            }
        }
        if let Some((ct, b)) = body {
            invite.push_header("Content-Type", ct);
            invite.body = b;
        }
        let key = self
            .layer
            .send_request(now, invite.clone(), self.reliable())?;
        let invite = compact(invite);
        let call = self.new_handle();
        self.routes.insert(
            key.clone(),
            Route {
                target: next_hop.clone(),
                connection: None,
                call: Some(call),
            },
        );
        self.calls.insert(
            call,
            Call {
                role: Role::Uac,
                invite,
                invite_key: key,
                next_hop,
                connection: None,
                dialog: None,
                local_tag,
                pending_2xx: None,
                ack: None,
                ended: false,
                uas_reliable: None,
                held_final: None,
                early: Vec::new(),
                auth_attempt: AuthAttempt::new(),
                redirects: Vec::new(),
                session_decision: None,
                session: None,
                alternates: targets,
            },
        );
        self.pump(now);
        Ok(call)
    }

    /// Sends the call's INVITE to its next alternate target; false when there is none.
    fn failover(&mut self, now: Instant, call: CallHandle) -> bool {
        let Some(c) = self.calls.get_mut(&call) else {
            return false;
        };
        let Some(target) = c.alternates.pop_front() else {
            return false;
        };
        let invite = c.invite.clone();
        let sent = self.resend_invite(now, call, invite, Some(target.clone()));
        if sent {
            self.events
                .push_back(UaEvent::Failover { call, to: target });
        }
        sent
    }

    /// Sends a call's INVITE again as a new transaction — after a challenge (RFC 3261 22.2),
    /// a 422 (RFC 4028 7.3), a redirection (8.1.3.4) or to the next target (RFC 3263 4.3):
    /// `invite` as the caller changed it, with the CSeq one higher and a new branch, to
    /// `target` (`None`: where the call's requests go now). False when it could not be sent.
    fn resend_invite(
        &mut self,
        now: Instant,
        call: CallHandle,
        mut invite: Message,
        target: Option<Target>,
    ) -> bool {
        if let Ok(mut cseq) = invite.cseq() {
            cseq.seq += 1;
            invite.set_header("CSeq", cseq.to_string());
        }
        let via = self.via();
        invite.remove_header("Via");
        invite
            .headers
            .insert(0, crate::sip::message::Header::new("Via", via.to_string()));
        let reliable = self.reliable();
        let Ok(key) = self.layer.send_request(now, invite.clone(), reliable) else {
            return false;
        };
        let Some(c) = self.calls.get_mut(&call) else {
            return false;
        };
        let target = target.unwrap_or_else(|| c.next_hop.clone());
        c.invite = compact(invite);
        c.invite_key = key.clone();
        c.next_hop = target.clone();
        self.routes.insert(
            key,
            Route {
                target,
                connection: c.connection,
                call: Some(call),
            },
        );
        true
    }

    /// Our INVITE was answered with a final error `response`: the call is over.
    fn reject(&mut self, call: CallHandle, response: Message) {
        if let Some(c) = self.calls.get_mut(&call) {
            c.ended = true;
        }
        self.events.push_back(UaEvent::Rejected { call, response });
    }

    fn new_handle(&mut self) -> CallHandle {
        self.next_call += 1;
        CallHandle(self.next_call)
    }

    /// Answers an incoming INVITE: a provisional (101-199), a 2xx (the dialog is confirmed
    /// when the ACK comes) or an error response. 1xx and 2xx carry our Contact and tag.
    pub fn respond(
        &mut self,
        now: Instant,
        call: CallHandle,
        status: u16,
        reason: &str,
        body: Option<(&str, Vec<u8>)>,
    ) -> Result<(), UaError> {
        self.respond_with(now, call, status, reason, &[], body)
    }

    /// [`UserAgent::respond`] with headers of the caller's added (Reason, P-Asserted-Identity).
    pub fn respond_with(
        &mut self,
        now: Instant,
        call: CallHandle,
        status: u16,
        reason: &str,
        headers: &[(&str, String)],
        body: Option<(&str, Vec<u8>)>,
    ) -> Result<(), UaError> {
        let contact = self.contact();
        let c = self.calls.get_mut(&call).ok_or(UaError::NoSuchCall)?;
        if c.role != Role::Uas || c.ended {
            return Err(UaError::WrongState);
        }
        let mut r = c.invite.response(status, reason, Some(&c.local_tag));
        if (101..300).contains(&status) {
            r.push_header("Contact", contact);
            if c.dialog.is_none() {
                c.dialog = Some(Dialog::uas(&c.invite, &c.local_tag, status >= 200)?);
            } else if status >= 200 {
                if let Some(d) = c.dialog.as_mut() {
                    d.state = DialogState::Confirmed;
                }
            }
        }
        if (200..300).contains(&status) {
            if let Some(UasDecision::Timer {
                interval,
                refresher,
                require_timer,
            }) = c.session_decision
            {
                let who = if refresher == Refresher::Uac {
                    "uac"
                } else {
                    "uas"
                };
                r.push_header("Session-Expires", format!("{interval};refresher={who}"));
                if require_timer {
                    r.push_header("Require", "timer");
                }
                c.session = Some(SessionTimer::new(
                    now,
                    interval,
                    refresher == Refresher::Uas,
                ));
            }
        }
        for (name, value) in headers {
            r.push_header(name, value.clone());
        }
        let has_sdp = body.is_some();
        if let Some((ct, b)) = body {
            r.push_header("Content-Type", ct);
            r.body = b;
        }
        let key = c.invite_key.clone();
        if let Some(rel) = c.uas_reliable.as_mut() {
            if (101..200).contains(&status) {
                // RFC 3262 3: Require: 100rel and the RSeq; retransmitted until the PRACK.
                r.push_header("Require", "100rel");
                r.push_header("RSeq", rel.next_rseq().to_string());
                rel.send(now, r, has_sdp);
                self.drain_reliable(now, call);
                self.pump(now);
                return Ok(());
            }
            if (200..300).contains(&status)
                && rel.final_permission(status) == FinalPermission::WaitForPrack
            {
                c.held_final = Some(Box::new(r));
                return Ok(());
            }
            rel.final_sent();
        }
        self.send_final(now, call, &key, r)?;
        self.pump(now);
        Ok(())
    }

    /// Sends a final response to a call's INVITE.
    fn send_final(
        &mut self,
        now: Instant,
        call: CallHandle,
        key: &Key,
        r: Message,
    ) -> Result<(), UaError> {
        let status = r.status().unwrap_or(0);
        if let Some(c) = self.calls.get_mut(&call) {
            if (200..300).contains(&status) {
                // 13.3.1.4: the TU retransmits the 2xx until the ACK.
                let t1 = self.config.timers.t1;
                c.pending_2xx = Some(Box::new((
                    r.clone(),
                    now + t1,
                    t1,
                    now + self.config.timers.t1x64(),
                )));
            } else if status >= 300 {
                c.ended = true;
            }
        }
        self.layer.send_response(now, key, r)?;
        Ok(())
    }

    /// Passes what the RFC 3262 machine of `call` wants sent to the INVITE transaction.
    fn drain_reliable(&mut self, now: Instant, call: CallHandle) {
        let Some(c) = self.calls.get_mut(&call) else {
            return;
        };
        let key = c.invite_key.clone();
        let mut outputs = Vec::new();
        if let Some(rel) = c.uas_reliable.as_mut() {
            while let Some(o) = rel.poll_output() {
                outputs.push(o);
            }
        }
        for o in outputs {
            match o {
                UasOutput::Send { response, .. } => {
                    let _ = self.layer.send_response(now, &key, response);
                }
                UasOutput::Unacknowledged { rseq } => {
                    // RFC 3262 3: no PRACK within 64·T1: reject the INVITE with a 5xx.
                    if let Some(c) = self.calls.get_mut(&call) {
                        c.held_final = None;
                        let r = c.invite.response(
                            504,
                            &format!("No PRACK for reliable provisional response {rseq}"),
                            Some(&c.local_tag),
                        );
                        let _ = self.send_final(now, call, &key, r);
                        self.events.push_back(UaEvent::Ended {
                            call,
                            remote: false,
                            reason: None,
                            bye: None,
                        });
                    }
                }
            }
        }
    }

    /// Answers a request received within a call ([`UaEvent::Request`]).
    pub fn respond_request(
        &mut self,
        now: Instant,
        key: &Key,
        request: &Message,
        status: u16,
        reason: &str,
        body: Option<(&str, Vec<u8>)>,
    ) -> Result<(), UaError> {
        self.respond_request_with(now, key, request, status, reason, &[], body)
    }

    /// [`UserAgent::respond_request`] with header fields of the caller's (an Accept with a
    /// 415, RFC 3261 21.4.13).
    #[allow(clippy::too_many_arguments)]
    pub fn respond_request_with(
        &mut self,
        now: Instant,
        key: &Key,
        request: &Message,
        status: u16,
        reason: &str,
        headers: &[(&str, String)],
        body: Option<(&str, Vec<u8>)>,
    ) -> Result<(), UaError> {
        let call = self
            .routes
            .get(key)
            .and_then(|r| r.call)
            .ok_or(UaError::NoSuchCall)?;
        let contact = self.contact();
        let c = self.calls.get_mut(&call).ok_or(UaError::NoSuchCall)?;
        let mut r = request.response(status, reason, Some(&c.local_tag));
        for (name, value) in headers {
            r.push_header(name, value.clone());
        }
        if (200..300).contains(&status)
            && matches!(
                request.method(),
                Some(Method::Invite) | Some(Method::Update)
            )
        {
            // RFC 4028 10: the far end refreshed; the 2xx confirms the interval and the
            // refresher (the one that sent the refresh keeps refreshing).
            if let Some(st) = c.session.as_mut() {
                let se = request
                    .get("Session-Expires")
                    .and_then(|v| SessionExpires::parse(v).ok());
                let interval = se.as_ref().map_or(st.interval, |s| s.delta);
                let them = if c.role == Role::Uac { "uas" } else { "uac" };
                r.push_header("Session-Expires", format!("{interval};refresher={them}"));
                st.refreshed(now, interval, false);
            }
        }
        if request.method() == Some(&Method::Invite) {
            if let Some(d) = c.dialog.as_mut() {
                d.remote_invite_answered();
            }
            if (200..300).contains(&status) {
                r.push_header("Contact", contact);
            }
        }
        if let Some((ct, b)) = body {
            r.push_header("Content-Type", ct);
            r.body = b;
        }
        self.layer.send_response(now, key, r)?;
        self.pump(now);
        Ok(())
    }

    /// Sends a request within the call (BYE, INFO, UPDATE, re-INVITE).
    pub fn request(
        &mut self,
        now: Instant,
        call: CallHandle,
        method: Method,
        body: Option<(&str, Vec<u8>)>,
    ) -> Result<(), UaError> {
        self.request_with(now, call, method, body, &[])
    }

    fn request_with(
        &mut self,
        now: Instant,
        call: CallHandle,
        method: Method,
        body: Option<(&str, Vec<u8>)>,
        extra: &[(&str, String)],
    ) -> Result<(), UaError> {
        let via = self.via();
        let contact = self.contact();
        let reliable = self.reliable();
        let c = self.calls.get_mut(&call).ok_or(UaError::NoSuchCall)?;
        let d = c.dialog.as_mut().ok_or(UaError::WrongState)?;
        let mut m = d.request(method.clone(), via)?;
        if matches!(method, Method::Invite | Method::Update) {
            m.push_header("Contact", contact);
        }
        for (name, value) in extra {
            m.push_header(name, value.clone());
        }
        if let Some((ct, b)) = body {
            m.push_header("Content-Type", ct);
            m.body = b;
        }
        let target = dialog_target(d, &c.next_hop);
        let connection = c.connection;
        let key = self.layer.send_request(now, m, reliable)?;
        self.routes.insert(
            key,
            Route {
                target,
                connection,
                call: Some(call),
            },
        );
        self.pump(now);
        Ok(())
    }

    /// Hangs up: BYE for an established call (15.1.1), CANCEL for our INVITE still pending
    /// (9.1), or 486... for an incoming call not yet answered (here: 480).
    pub fn hangup(&mut self, now: Instant, call: CallHandle) -> Result<(), UaError> {
        self.hangup_with(now, call, None, &[], None)
    }

    /// [`UserAgent::hangup`] with headers of the caller's (a Reason, RFC 3326) on the BYE or
    /// CANCEL, and for an incoming call not yet answered, the final response to send instead
    /// of 480 (`(status, reason phrase)`).
    pub fn hangup_with(
        &mut self,
        now: Instant,
        call: CallHandle,
        response: Option<(u16, &str)>,
        headers: &[(&str, String)],
        body: Option<(&str, Vec<u8>)>,
    ) -> Result<(), UaError> {
        let c = self.calls.get(&call).ok_or(UaError::NoSuchCall)?;
        let confirmed = c
            .dialog
            .as_ref()
            .is_some_and(|d| d.state == DialogState::Confirmed);
        match (c.role, confirmed) {
            (_, true) => self.request_with(now, call, Method::Bye, body, headers),
            (Role::Uac, false) if c.ended || c.ack.is_some() => {
                // The INVITE was answered and the dialog has ended since (RFC 5057 5.1: a 481
                // to a request within it): nothing is left to cancel or to say goodbye to.
                if let Some(c) = self.calls.get_mut(&call) {
                    if !c.ended {
                        c.ended = true;
                        self.events.push_back(UaEvent::Ended {
                            call,
                            remote: false,
                            reason: None,
                            bye: None,
                        });
                    }
                }
                Ok(())
            }
            (Role::Uac, false) => {
                let mut cancel = c.invite.cancel()?;
                for (name, value) in headers {
                    cancel.push_header(name, value.clone());
                }
                let target = c.next_hop.clone();
                let key = self.layer.send_request(now, cancel, self.reliable())?;
                self.routes.insert(
                    key,
                    Route {
                        target,
                        connection: None,
                        call: Some(call),
                    },
                );
                self.pump(now);
                Ok(())
            }
            (Role::Uas, false) => {
                let (status, phrase) = response.unwrap_or((480, "Temporarily Unavailable"));
                self.respond_with(now, call, status, phrase, headers, body)
            }
        }
    }

    // ------------------------------------------------------------------- input

    /// Octets received from `source` (on `connection` for streams).
    pub fn handle_received(
        &mut self,
        now: Instant,
        bytes: &[u8],
        source: Target,
        connection: Option<ConnectionId>,
    ) {
        let m = match Message::parse(bytes) {
            Ok(m) => m,
            Err(e) => {
                // RFC 3261 8.2, 21.5.10: a request that cannot be parsed is still answered
                // (400, or 505 for another SIP version) when its Via can be read.
                let tag = self.token();
                if let Some(r) = fallback_response(bytes, e.status(), &e.reason_phrase(), &tag) {
                    self.out.push_back(Outgoing {
                        target: source.clone(),
                        connection,
                        bytes: r,
                    });
                }
                self.events.push_back(UaEvent::Discarded {
                    reason: format!("unparsable message from {}: {e}", source.addr),
                });
                return;
            }
        };
        match m.start {
            StartLine::Request { .. } => self.received_request(now, m, source, connection),
            StartLine::Response { .. } => self.layer.handle_response(now, m),
        }
        self.pump(now);
    }

    fn received_request(
        &mut self,
        now: Instant,
        m: Message,
        source: Target,
        connection: Option<ConnectionId>,
    ) {
        // RFC 3261 8.2: a request missing what 8.1.1 requires is answered 400 with the
        // problem in the reason phrase, without a transaction when it has no usable branch.
        if let Err(e) = crate::sip::message::validate_request(&m) {
            let reason = e.reason_phrase();
            if m.top_via().is_ok() && m.method() != Some(&Method::Ack) {
                // RFC 3261 8.2.6.2: a To tag in every response but 100.
                let tag = self.token();
                let r = m.response(400, &reason, Some(&tag));
                self.out.push_back(Outgoing {
                    target: source.clone(),
                    connection,
                    bytes: r.to_bytes(),
                });
            }
            self.events.push_back(UaEvent::Discarded {
                reason: format!("bad request from {}: {reason}", source.addr),
            });
            return;
        }
        let key = Key::for_request(&m);
        if let Some(key) = &key {
            if m.method() != Some(&Method::Ack) && !self.routes.contains_key(key) {
                self.routes.insert(
                    key.clone(),
                    Route {
                        target: source.clone(),
                        connection,
                        call: None,
                    },
                );
            }
        }
        let reliable = source.transport != TransportKind::Udp;
        // The key computed once, here, for both (one parse of the top Via).
        self.layer.handle_request_with_key(now, m, key, reliable);
    }

    /// The transport could not deliver `bytes` (a refused or broken connection, RFC 3261
    /// 18.4): the client transaction of the request fails at once (17.1.4) rather than at
    /// timer B or F, so that the call fails over or fails now.
    pub fn send_failed(&mut self, now: Instant, bytes: &[u8]) {
        let Ok(m) = Message::parse(bytes) else {
            return;
        };
        if !m.is_request() || m.method() == Some(&Method::Ack) {
            return;
        }
        use crate::sip::transaction::TxMessage;
        let Some(branch) = TxMessage::branch(&m).map(|b| b.to_string()) else {
            return;
        };
        let key = Key {
            branch,
            method: TxMessage::method(&m).to_string(),
            sent_by: None,
            server: false,
        };
        self.layer.transport_error(&key);
        self.pump(now);
    }

    // ------------------------------------------------------------------- timers

    pub fn poll_timeout(&self) -> Option<Instant> {
        let calls = self.calls.next_deadline();
        let registration = self
            .registrar
            .as_ref()
            .and_then(|r| r.registration.poll_timeout());
        let keepalive = self
            .peers
            .iter()
            .filter(|k| k.key.is_none())
            .map(|k| k.next)
            .min();
        earliest(
            earliest(earliest(self.layer.poll_timeout(), calls), registration),
            keepalive,
        )
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        self.layer.handle_timeout(now);
        if let Some(r) = self.registrar.as_mut() {
            if r.registration.poll_timeout().is_some_and(|t| t <= now) {
                r.registration.handle_timeout(now);
            }
        }
        self.drive_registration(now);
        self.drive_keepalives(now);
        // Only the calls with a deadline due are looked at (a timer of a call does not come
        // due by the work of another's).
        self.calls.refile();
        let candidates = self.calls.due(now);
        self.drive_session_timers(now, &candidates);
        let reliable_due: Vec<CallHandle> = candidates
            .iter()
            .copied()
            .filter(|h| {
                self.calls.get(h).is_some_and(|c| {
                    c.uas_reliable
                        .as_deref()
                        .and_then(UasReliable::poll_timeout)
                        .is_some_and(|t| t <= now)
                })
            })
            .collect();
        for h in reliable_due {
            if let Some(rel) = self.calls.get_mut(&h).and_then(|c| c.uas_reliable.as_mut()) {
                rel.handle_timeout(now);
            }
            self.drain_reliable(now, h);
        }
        let due: Vec<CallHandle> = candidates
            .into_iter()
            .filter(|h| {
                self.calls.get(h).is_some_and(|c| {
                    c.pending_2xx
                        .as_deref()
                        .is_some_and(|(_, t, _, end)| *t <= now || *end <= now)
                })
            })
            .collect();
        for h in due {
            let Some(c) = self.calls.get_mut(&h) else {
                continue;
            };
            let Some((r, t, interval, end)) = c.pending_2xx.take().map(|b| *b) else {
                continue;
            };
            if end <= now {
                // 13.3.1.4: no ACK within 64·T1: the dialog is confirmed and then ended by
                // a BYE; for the user the call is over now.
                c.ended = true;
                let _ = self.request(now, h, Method::Bye, None);
                self.events.push_back(UaEvent::Ended {
                    call: h,
                    remote: false,
                    reason: None,
                    bye: None,
                });
                continue;
            }
            if t <= now {
                let target = c.next_hop.clone();
                self.out.push_back(Outgoing {
                    target,
                    connection: c.connection,
                    bytes: r.to_bytes(),
                });
                let next = (interval * 2).min(self.config.timers.t2);
                c.pending_2xx = Some(Box::new((r, now + next, next, end)));
            } else {
                c.pending_2xx = Some(Box::new((r, t, interval, end)));
            }
        }
        self.pump(now);
    }

    pub fn poll_transmit(&mut self) -> Option<Outgoing> {
        self.out.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<UaEvent> {
        self.events.pop_front()
    }

    /// Forgets a call that has ended (the user has seen its last event, or answered it with
    /// an error response). Its transactions run on to their end (retransmissions, the ACK
    /// of an error response) without it.
    pub fn forget(&mut self, call: CallHandle) {
        if self.calls.get(&call).is_some_and(|c| c.ended) {
            self.calls.remove(&call);
        }
        self.calls.refile();
    }

    // ------------------------------------------------------------------- the TU

    fn pump(&mut self, now: Instant) {
        self.pump_events(now);
        self.calls.refile();
    }

    fn pump_events(&mut self, now: Instant) {
        while let Some(e) = self.layer.poll_event() {
            match e {
                Event::Transaction(key, Output::Transmit(m)) => {
                    if let Some(r) = self.routes.get(&key) {
                        self.out.push_back(Outgoing {
                            target: r.target.clone(),
                            connection: r.connection,
                            bytes: m.to_bytes(),
                        });
                    }
                }
                Event::Transaction(key, Output::ToTu(m)) => {
                    if m.is_request() {
                        self.tu_request(now, key, m);
                    } else {
                        self.tu_response(now, key, m);
                    }
                }
                Event::Transaction(key, Output::Timeout) => {
                    if self.keepalive_done(&key, false) {
                        continue;
                    }
                    if self.registrar.as_ref().and_then(|r| r.key.as_ref()) == Some(&key) {
                        if let Some(r) = self.registrar.as_mut() {
                            r.key = None;
                            r.registration.handle_transaction_timeout(now);
                        }
                        self.drive_registration(now);
                        continue;
                    }
                    if let Some(call) = self.routes.get(&key).and_then(|r| r.call) {
                        self.timed_out(now, call, &key);
                    }
                }
                Event::Transaction(key, Output::Terminated) => {
                    // Our INVITE's transaction ends when timer M has run since its 2xx (RFC
                    // 6026 7.2): 64·T1, as long as the far end retransmits that 2xx (RFC 3261
                    // 13.3.1.4), so the ACK kept to answer the retransmissions goes (only
                    // that it was sent stays: an empty ACK).
                    // Nor is our INVITE looked at again once answered (a new INVITE, CANCEL,
                    // sibling or response to it is of the call set-up only): its header
                    // fields go too; the dialog has what the call needs.
                    if let Some(call) = self.routes.get(&key).and_then(|r| r.call) {
                        if let Some(c) = self.calls.get_mut(&call) {
                            if key == c.invite_key {
                                if let Some(ack) = c.ack.as_mut() {
                                    *ack = Vec::new();
                                    c.invite.headers = Vec::new();
                                    c.invite.body = Vec::new();
                                }
                            }
                        }
                    }
                    self.routes.remove(&key);
                    crate::sip::shrink_sparse(&mut self.routes);
                }
                Event::Transaction(_, Output::TimerC { .. }) => {}
                Event::StrayRequest(m) => self.stray_request(now, m),
                Event::StrayResponse(m) => self.stray_response(m),
            }
        }
    }

    fn timed_out(&mut self, now: Instant, call: CallHandle, key: &Key) {
        let Some(c) = self.calls.get_mut(&call) else {
            return;
        };
        if *key == c.invite_key && c.role == Role::Uac && c.dialog.is_none() {
            if !c.alternates.is_empty() && self.failover(now, call) {
                return;
            }
            let Some(c) = self.calls.get_mut(&call) else {
                return;
            };
            c.ended = true;
            self.events.push_back(UaEvent::TimedOut { call });
        } else if key.method == "BYE" && !c.ended {
            c.ended = true;
            self.events.push_back(UaEvent::Ended {
                call,
                remote: false,
                reason: None,
                bye: None,
            });
        }
    }

    /// The call whose dialog `m` belongs to (RFC 3261 12.2.2): found by our tag, then
    /// matched on Call-ID and both tags.
    fn find_call(&self, m: &Message) -> Option<CallHandle> {
        let ids = DialogIds::of(m)?;
        let mut calls = self.calls.by_local_tag(ids.local_tag.as_deref()?);
        calls.find(|h| {
            self.calls
                .get(h)
                .and_then(|c| c.dialog.as_ref())
                .is_some_and(|d| d.matches_ids(&ids))
        })
    }

    fn send_response(
        &mut self,
        now: Instant,
        key: &Key,
        request: &Message,
        status: u16,
        reason: &str,
    ) {
        // RFC 3261 8.2.6.2: a To tag in every response but 100 (kept if the request had one).
        let tag = self.token();
        let mut r = request.response(status, reason, Some(&tag));
        if status == 405 {
            r.push_header("Allow", self.config.allow.join(", "));
        }
        let _ = self.layer.send_response(now, key, r);
    }

    fn tu_request(&mut self, now: Instant, key: Key, m: Message) {
        let method = m.method().cloned();
        let to_tag = m.to_tag().ok().flatten();
        if method == Some(Method::Cancel) {
            return self.cancel_received(now, key, m);
        }
        // RFC 3261 8.2.2.3: option tags in Require that we do not support get 420 with an
        // Unsupported header listing them.
        let unsupported: Vec<String> = m
            .get_all("Require")
            .filter_map(|v| parse_tokens(v).ok())
            .flatten()
            .filter(|t| !SUPPORTED.iter().any(|s| t.eq_ignore_ascii_case(s)))
            .collect();
        if !unsupported.is_empty() {
            let tag = self.token();
            let mut r = m.response(420, "Bad Extension", Some(&tag));
            r.push_header("Unsupported", unsupported.join(", "));
            let _ = self.layer.send_response(now, &key, r);
            return;
        }
        if to_tag.is_some() {
            // 12.2.2: within a dialog.
            let Some(call) = self.find_call(&m) else {
                return self.send_response(now, &key, &m, 481, "Call/Transaction Does Not Exist");
            };
            if let Some(r) = self.routes.get_mut(&key) {
                r.call = Some(call);
            }
            let Some(c) = self.calls.get_mut(&call) else {
                return;
            };
            let Some(d) = c.dialog.as_mut() else {
                return;
            };
            if let Err(e) = d.handle_request(&m) {
                let status = e.status();
                let reason = e.to_string();
                return self.send_response(now, &key, &m, status, &reason);
            }
            if method == Some(Method::Prack) {
                return self.prack_received(now, call, key, m);
            }
            if method == Some(Method::Bye) {
                c.ended = true;
                c.pending_2xx = None;
                self.send_response(now, &key, &m, 200, "OK");
                let reason = m.get("Reason").map(str::to_string);
                self.events.push_back(UaEvent::Ended {
                    call,
                    remote: true,
                    reason,
                    bye: Some(Box::new(m)),
                });
                return;
            }
            self.events.push_back(UaEvent::Request {
                call,
                request: m,
                key,
            });
            return;
        }
        match method {
            Some(Method::Invite) => {
                if !self.authorized(now, &key, &m) {
                    return;
                }
                // RFC 4028 9: the session timer the INVITE asks for, or 422.
                let supports_timer = m
                    .get_all("Supported")
                    .filter_map(|v| parse_tokens(v).ok())
                    .flatten()
                    .any(|t| t.eq_ignore_ascii_case("timer"));
                let se = m
                    .get("Session-Expires")
                    .and_then(|v| SessionExpires::parse(v).ok());
                let min_se = m
                    .get("Min-SE")
                    .and_then(|v| SessionExpires::parse(v).ok())
                    .map(|v| v.delta);
                let session_decision = if se.is_some() || supports_timer {
                    Some(uas_decide(
                        &self.config.session_timer,
                        se.as_ref(),
                        min_se,
                        supports_timer,
                    ))
                } else {
                    None
                };
                if let Some(UasDecision::TooSmall { min_se }) = session_decision {
                    let tag = self.token();
                    let mut r = m.response(422, "Session Interval Too Small", Some(&tag));
                    r.push_header("Min-SE", min_se.to_string());
                    let _ = self.layer.send_response(now, &key, r);
                    return;
                }
                let call = self.new_handle();
                let route = self.routes.get_mut(&key);
                let (next_hop, connection) = match route {
                    Some(r) => {
                        r.call = Some(call);
                        (r.target.clone(), r.connection)
                    }
                    None => return,
                };
                let local_tag = self.token();
                // RFC 3262 3: 1xx are sent reliably when the INVITE requires 100rel, and by
                // our choice when it supports it.
                let wants_100rel = ["Require", "Supported"].iter().any(|h| {
                    m.get_all(h)
                        .filter_map(|v| parse_tokens(v).ok())
                        .flatten()
                        .any(|t| t.eq_ignore_ascii_case("100rel"))
                });
                let uas_reliable = (wants_100rel && self.config.use_100rel).then(|| {
                    // Boxed: most calls held have none, and a held call should be small.
                    let cseq = m.cseq().map(|c| c.seq).unwrap_or(1);
                    let first = u32::try_from(self.seed.wrapping_add(self.counter) % 0x7fff_0000)
                        .unwrap_or(1)
                        .max(1);
                    Box::new(UasReliable::new(cseq, first, self.config.timers.t1))
                });
                self.calls.insert(
                    call,
                    Call {
                        role: Role::Uas,
                        // Without its body: the user has it in the event, and the
                        // responses we make from it copy headers only (8.2.6.2).
                        invite: compact(Message {
                            start: m.start.clone(),
                            headers: m.headers.clone(),
                            body: Vec::new(),
                        }),
                        invite_key: key,
                        next_hop,
                        connection,
                        dialog: None,
                        local_tag,
                        pending_2xx: None,
                        ack: None,
                        ended: false,
                        uas_reliable,
                        held_final: None,
                        early: Vec::new(),
                        auth_attempt: AuthAttempt::new(),
                        redirects: Vec::new(),
                        session_decision,
                        session: None,
                        alternates: VecDeque::new(),
                    },
                );
                self.events.push_back(UaEvent::Incoming { call, invite: m });
            }
            Some(Method::Options) => {
                let tag = self.token();
                let mut r = m.response(200, "OK", Some(&tag));
                r.push_header("Allow", self.config.allow.join(", "));
                r.push_header(
                    "Accept",
                    "application/sdp, application/isup, multipart/mixed",
                );
                let _ = self.layer.send_response(now, &key, r);
            }
            Some(Method::Extension(_)) => self.send_response(now, &key, &m, 501, "Not Implemented"),
            Some(Method::Bye) | Some(Method::Info) | Some(Method::Update) | Some(Method::Prack) => {
                self.send_response(now, &key, &m, 481, "Call/Transaction Does Not Exist")
            }
            _ => self.send_response(now, &key, &m, 405, "Method Not Allowed"),
        }
    }

    /// A PRACK (RFC 3262 3): acknowledges our outstanding reliable provisional response, or
    /// gets 481; a 2xx held for it goes out.
    fn prack_received(&mut self, now: Instant, call: CallHandle, key: Key, m: Message) {
        let rack = m
            .get("RAck")
            .and_then(|v| RAckHeader::parse(v).ok())
            .map(|r| RAck {
                rseq: r.rseq,
                cseq: r.cseq,
                method: r.method.as_str().to_string(),
            });
        let Some(c) = self.calls.get_mut(&call) else {
            return;
        };
        let acked = match (c.uas_reliable.as_mut(), rack) {
            (Some(rel), Some(rack)) => rel.prack(now, &rack).is_ok(),
            _ => false,
        };
        if !acked {
            return self.send_response(now, &key, &m, 481, "No Matching Reliable Response");
        }
        let held = match c.uas_reliable.as_ref() {
            Some(rel) if rel.final_permission(200) == FinalPermission::Allowed => {
                c.held_final.take().map(|b| *b)
            }
            _ => None,
        };
        let invite_key = c.invite_key.clone();
        self.send_response(now, &key, &m, 200, "OK");
        self.drain_reliable(now, call);
        if let Some(r) = held {
            if let Some(rel) = self
                .calls
                .get_mut(&call)
                .and_then(|c| c.uas_reliable.as_mut())
            {
                rel.final_sent();
            }
            let _ = self.send_final(now, call, &invite_key, r);
        }
    }

    fn registration_response(&mut self, now: Instant, m: Message) {
        let Some(status) = m.status() else {
            return;
        };
        if status < 200 {
            return;
        }
        let headers: Vec<(&str, &str)> = m
            .headers
            .iter()
            .map(|h| (h.canonical.as_ref(), h.value.as_str()))
            .collect();
        if let Some(r) = self.registrar.as_mut() {
            r.key = None;
            r.registration.handle_response(
                now,
                &RegisterResponse {
                    status,
                    headers: &headers,
                },
            );
        }
        self.drive_registration(now);
    }

    /// RFC 3261 22.1: whether an INVITE from outside a dialog may go on; if not, it is
    /// answered 401 with our challenges (stale=TRUE for an expired nonce), or 403 for
    /// credentials that are wrong.
    fn authorized(&mut self, now: Instant, key: &Key, m: &Message) -> bool {
        let Some(a) = self.auth_server.as_mut() else {
            return true;
        };
        let uri = m.request_uri().map(|u| u.to_string()).unwrap_or_default();
        let method = m
            .method()
            .map(|x| x.as_str().to_string())
            .unwrap_or_default();
        let parts = RequestParts {
            method: &method,
            uri: &uri,
            body: &m.body,
        };
        let verdict =
            a.server
                .verify_fields(now, m.get_all("Authorization"), &parts, a.store.as_ref());
        if !matches!(
            verdict,
            Verdict::Authenticated { .. } | Verdict::NoCredentials
        ) {
            self.events.push_back(UaEvent::Discarded {
                reason: format!("credentials of {uri} not accepted: {verdict:?}"),
            });
        }
        let stale = match verdict {
            Verdict::Authenticated { .. } => return true,
            Verdict::Stale => true,
            Verdict::BadCredentials(_) => {
                // Wrong credentials are refused, not challenged again (RFC 3261 22.3 leaves
                // the choice; a loop helps nobody).
                self.send_response(now, key, m, 403, "Forbidden");
                return false;
            }
            _ => false,
        };
        let tag = self.token();
        let mut r = m.response(401, "Unauthorized", Some(&tag));
        if let Some(a) = self.auth_server.as_ref() {
            for v in a.server.challenge_values(now, stale) {
                r.push_header("WWW-Authenticate", v);
            }
        }
        let _ = self.layer.send_response(now, key, r);
        false
    }

    fn cancel_received(&mut self, now: Instant, key: Key, m: Message) {
        let Some(invite_key) = Key::cancelled_by(&m) else {
            return;
        };
        let call = self.calls.by_invite_key(&invite_key).filter(|h| {
            self.calls
                .get(h)
                .is_some_and(|c| c.invite_key == invite_key && c.role == Role::Uas)
        });
        let pending = self.layer.server_invite_state(&invite_key) == Some(ServerState::Proceeding);
        match call {
            Some(call) if pending => {
                // 9.2: 200 to the CANCEL, 487 to the INVITE.
                self.send_response(now, &key, &m, 200, "OK");
                if let Some(c) = self.calls.get_mut(&call) {
                    let r = c
                        .invite
                        .response(487, "Request Terminated", Some(&c.local_tag));
                    c.ended = true;
                    let _ = self.layer.send_response(now, &invite_key, r);
                }
                let reason = m.get("Reason").map(str::to_string);
                self.events.push_back(UaEvent::Cancelled { call, reason });
            }
            // 9.2: a CANCEL for a transaction already answered has no effect; 200 anyway.
            Some(_) => self.send_response(now, &key, &m, 200, "OK"),
            None => self.send_response(now, &key, &m, 481, "Call/Transaction Does Not Exist"),
        }
    }

    fn stray_request(&mut self, _now: Instant, m: Message) {
        if m.method() != Some(&Method::Ack) {
            self.events.push_back(UaEvent::Discarded {
                reason: "a request matching no transaction and starting none".into(),
            });
            return;
        }
        // The ACK of a 2xx (13.3.1.4): stops the 2xx retransmissions.
        let Some(call) = self.find_call(&m) else {
            return;
        };
        if let Some(c) = self.calls.get_mut(&call) {
            if let Some(d) = c.dialog.as_mut() {
                let _ = d.handle_request(&m);
            }
            if c.pending_2xx.take().is_some() {
                self.events.push_back(UaEvent::Confirmed { call });
            }
        }
    }

    fn stray_response(&mut self, m: Message) {
        // A 2xx to our INVITE after its transaction: ACK it again (13.2.2.4).
        if m.status().is_some_and(|s| (200..300).contains(&s)) {
            if let Some(call) = self.find_call(&m) {
                if let Some(c) = self.calls.get(&call) {
                    if let Some(ack) = c.ack.as_ref().filter(|a| !a.is_empty()) {
                        self.out.push_back(Outgoing {
                            target: c
                                .dialog
                                .as_ref()
                                .map_or(c.next_hop.clone(), |d| dialog_target(d, &c.next_hop)),
                            connection: c.connection,
                            bytes: ack.clone(),
                        });
                    }
                }
            }
        }
    }

    fn tu_response(&mut self, now: Instant, key: Key, m: Message) {
        if self.registrar.as_ref().and_then(|r| r.key.as_ref()) == Some(&key) {
            return self.registration_response(now, m);
        }
        if m.status().is_some_and(|s| s >= 200) && self.keepalive_done(&key, true) {
            return;
        }
        let Some(call) = self.routes.get(&key).and_then(|r| r.call) else {
            return;
        };
        let status = m.status().unwrap_or(0);
        let is_invite = key.method == "INVITE";
        let via = if is_invite && (200..300).contains(&status) {
            Some(self.via())
        } else {
            None
        };
        let Some(c) = self.calls.get_mut(&call) else {
            return;
        };
        if is_invite && key == c.invite_key {
            match status {
                100 => {}
                101..=199 => {
                    // The early dialog of this provisional (12.1.2), new or known; it is
                    // the call's current dialog until another branch speaks.
                    let mut early = None;
                    if m.to_tag().ok().flatten().is_some() {
                        early = c.early.iter().position(|(d, _)| d.matches(&m));
                        if early.is_none() {
                            if let Ok(d) = Dialog::uac(&c.invite, &m) {
                                c.early.push((d, UacReliable::new()));
                                early = Some(c.early.len() - 1);
                            }
                        }
                        if let Some((d, _)) = early.and_then(|i| c.early.get(i)) {
                            c.dialog = Some(d.clone());
                        }
                    }
                    let reliable = m
                        .get_all("Require")
                        .filter_map(|v| parse_tokens(v).ok())
                        .flatten()
                        .any(|t| t.eq_ignore_ascii_case("100rel"));
                    let rseq = m.get("RSeq").and_then(|v| parse_rseq(v).ok());
                    match (reliable, rseq) {
                        (true, Some(rseq)) => {
                            // RFC 3262 4: in RSeq order only (per early dialog); PRACK it
                            // within its dialog.
                            let Some((_, order)) = early.and_then(|i| c.early.get_mut(i)) else {
                                return;
                            };
                            if order.received(rseq) != UacVerdict::Accept {
                                return;
                            }
                            let cseq = c.invite.cseq().map(|s| s.seq).unwrap_or(1);
                            let rack = UacReliable::rack(rseq, cseq, "INVITE");
                            self.events
                                .push_back(UaEvent::Progress { call, response: m });
                            let value = format!("{} {} {}", rack.rseq, rack.cseq, rack.method);
                            let _ = self.request_with(
                                now,
                                call,
                                Method::Prack,
                                None,
                                &[("RAck", value)],
                            );
                            // The PRACK used a CSeq of that early dialog: keep it there.
                            if let Some(c) = self.calls.get_mut(&call) {
                                if let (Some(i), Some(d)) = (early, c.dialog.clone()) {
                                    if let Some(slot) = c.early.get_mut(i) {
                                        slot.0 = d;
                                    }
                                }
                            }
                        }
                        _ => self
                            .events
                            .push_back(UaEvent::Progress { call, response: m }),
                    }
                }
                200..=299 => {
                    let other_fork = c
                        .dialog
                        .as_ref()
                        .is_some_and(|d| d.state == DialogState::Confirmed && !d.matches(&m));
                    if other_fork {
                        // RFC 3261 13.2.2.4: a 2xx from another branch of a forked INVITE
                        // after ours was answered: ACK it, then end that dialog with BYE.
                        let next_hop = c.next_hop.clone();
                        let seq = c.invite.cseq().map(|s| s.seq).unwrap_or(1);
                        if let Ok(mut extra) = Dialog::uac(&c.invite, &m) {
                            if let Some(via) = via {
                                let ack = extra.ack(seq, via);
                                self.out.push_back(Outgoing {
                                    target: dialog_target(&extra, &next_hop),
                                    connection: None,
                                    bytes: ack.to_bytes(),
                                });
                            }
                            let via = self.via();
                            if let Ok(bye) = extra.request(Method::Bye, via) {
                                let target = dialog_target(&extra, &next_hop);
                                if let Ok(k) = self.layer.send_request(now, bye, self.reliable()) {
                                    self.routes.insert(
                                        k,
                                        Route {
                                            target,
                                            connection: None,
                                            call: None,
                                        },
                                    );
                                }
                            }
                        }
                        return;
                    }
                    let is_new = match c.dialog.as_mut() {
                        Some(d) if d.matches(&m) => {
                            let fresh = d.state == DialogState::Early;
                            let _ = d.confirm(&m);
                            fresh
                        }
                        _ => match c.early.iter().position(|(d, _)| d.matches(&m)) {
                            // 13.2.2.4: the 2xx confirms the early dialog of its branch.
                            Some(i) => {
                                let mut d = c.early.swap_remove(i).0;
                                let _ = d.confirm(&m);
                                c.dialog = Some(d);
                                true
                            }
                            None => match Dialog::uac(&c.invite, &m) {
                                Ok(d) => {
                                    c.dialog = Some(d);
                                    true
                                }
                                Err(_) => false,
                            },
                        },
                    };
                    if let (Some(d), Some(via)) = (c.dialog.as_mut(), via) {
                        d.local_invite_pending = false;
                        let seq = c.invite.cseq().map(|s| s.seq).unwrap_or(1);
                        let ack = d.ack(seq, via).to_bytes();
                        self.out.push_back(Outgoing {
                            target: dialog_target(d, &c.next_hop),
                            connection: c.connection,
                            bytes: ack.clone(),
                        });
                        c.ack = Some(ack);
                    }
                    // The early dialog of the branch now confirmed is never looked at again
                    // (1xx after a 2xx stay in the transaction, RFC 6026 7.2; a 2xx of this
                    // dialog matches `c.dialog`): not kept for the length of the call.
                    // Nor is the INVITE's body: it served only to send the INVITE again
                    // (22.2, 8.1.3.4, RFC 4028 7.3, RFC 3263 4.3), which is done only before
                    // a dialog exists.
                    if let Some(d) = c.dialog.as_ref() {
                        if d.state == DialogState::Confirmed {
                            c.early.retain(|(e, _)| e.id != d.id);
                            // The room too: a vector of early dialogs grows to four at its
                            // first (about 3 KB per call held, measured under load).
                            c.early.shrink_to_fit();
                            c.invite.body = Vec::new();
                        }
                    }
                    // RFC 4028 7.2: the 2xx decides the session timer.
                    let se = m
                        .get("Session-Expires")
                        .and_then(|v| SessionExpires::parse(v).ok());
                    c.session = uac_on_2xx(se.as_ref()).map(|(interval, refresher)| {
                        SessionTimer::new(now, interval, refresher == Refresher::Uac)
                    });
                    if is_new || c.ack.is_some() {
                        self.events
                            .push_back(UaEvent::Answered { call, response: m });
                    }
                }
                401 | 407 if c.dialog.is_none() => {
                    // RFC 3261 22.2: the INVITE again with credentials, a new CSeq and branch.
                    let header = if status == 401 {
                        "WWW-Authenticate"
                    } else {
                        "Proxy-Authenticate"
                    };
                    let uri = c
                        .invite
                        .request_uri()
                        .map(|u| u.to_string())
                        .unwrap_or_default();
                    let body = c.invite.body.clone();
                    let parts = RequestParts {
                        method: "INVITE",
                        uri: &uri,
                        body: &body,
                    };
                    let fields = self.auth_client.respond(
                        status,
                        m.get_all(header),
                        &parts,
                        &mut c.auth_attempt,
                    );
                    let Ok(fields) = fields else {
                        c.ended = true;
                        self.events
                            .push_back(UaEvent::Rejected { call, response: m });
                        return;
                    };
                    let mut invite = c.invite.clone();
                    invite.remove_header("Authorization");
                    invite.remove_header("Proxy-Authorization");
                    for f in fields {
                        invite.push_header(f.name, f.value);
                    }
                    if !self.resend_invite(now, call, invite, None) {
                        self.reject(call, m);
                    }
                }
                503 if c.dialog.is_none() && !c.alternates.is_empty() => {
                    if !self.failover(now, call) {
                        self.reject(call, m);
                    }
                }
                422 if c.dialog.is_none() && c.redirects.len() < MAX_REDIRECTS => {
                    // RFC 4028 7.3: ask again with at least the Min-SE of the 422.
                    let min_se = m
                        .get("Min-SE")
                        .and_then(|v| SessionExpires::parse(v).ok())
                        .map_or(0, |v| v.delta);
                    let interval = uac_after_422(&self.config.session_timer, min_se);
                    let mut invite = c.invite.clone();
                    if invite
                        .get("Session-Expires")
                        .and_then(|v| SessionExpires::parse(v).ok())
                        .is_some_and(|v| v.delta >= interval)
                        || min_se == 0
                    {
                        c.ended = true;
                        self.events
                            .push_back(UaEvent::Rejected { call, response: m });
                        return;
                    }
                    // A 422 counts against the retry limit, as a redirection does.
                    c.redirects.push(
                        c.invite
                            .request_uri()
                            .cloned()
                            .unwrap_or_else(|| Uri::sip(None, "", None)),
                    );
                    invite.set_header("Session-Expires", interval.to_string());
                    invite.set_header("Min-SE", min_se.to_string());
                    if !self.resend_invite(now, call, invite, None) {
                        self.reject(call, m);
                    }
                }
                300..=399 if c.dialog.is_none() && c.redirects.len() < MAX_REDIRECTS => {
                    // RFC 3261 8.1.3.4: try the Contacts, by q-value, each once.
                    let mut contacts = match m.contact() {
                        Ok(Some(crate::sip::message::Contact::List(l))) => l,
                        _ => Vec::new(),
                    };
                    contacts.sort_by_key(|na| {
                        std::cmp::Reverse(crate::sip::message::Contact::q(na).unwrap_or(1000))
                    });
                    let next = contacts
                        .into_iter()
                        .map(|na| na.uri)
                        .find(|u| !c.redirects.contains(u));
                    let Some(to) = next else {
                        c.ended = true;
                        self.events
                            .push_back(UaEvent::Rejected { call, response: m });
                        return;
                    };
                    c.redirects.push(to.clone());
                    let mut invite = c.invite.clone();
                    invite.start = StartLine::Request {
                        method: Method::Invite,
                        uri: to.clone(),
                    };
                    let target = uri_target(&to, &c.next_hop);
                    if self.resend_invite(now, call, invite, Some(target)) {
                        self.events.push_back(UaEvent::Redirected { call, to });
                    } else {
                        self.reject(call, m);
                    }
                }
                _ => {
                    c.ended = true;
                    self.events
                        .push_back(UaEvent::Rejected { call, response: m });
                }
            }
            return;
        }
        // Responses to requests within the dialog, and to our CANCEL.
        let method = match key.method.as_str() {
            "INVITE" => Method::Invite,
            "BYE" => Method::Bye,
            "UPDATE" => Method::Update,
            "INFO" => Method::Info,
            "CANCEL" => Method::Cancel,
            "PRACK" => Method::Prack,
            other => Method::Extension(other.to_string()),
        };
        if method == Method::Cancel {
            return;
        }
        if let Some(d) = c.dialog.as_mut() {
            let _ = d.handle_response(&method, &m);
        }
        if (200..300).contains(&status) && matches!(method, Method::Invite | Method::Update) {
            // RFC 4028 10: a refresh went through; its 2xx says the interval and refresher.
            if let Some(st) = c.session.as_mut() {
                let se = m
                    .get("Session-Expires")
                    .and_then(|v| SessionExpires::parse(v).ok());
                let (interval, refresher) = (
                    se.as_ref().map_or(st.interval, |s| s.delta),
                    se.as_ref().and_then(SessionExpires::refresher),
                );
                let we_are = if c.role == Role::Uac {
                    Refresher::Uac
                } else {
                    Refresher::Uas
                };
                st.refreshed(now, interval, refresher.is_none_or(|r| r == we_are));
            }
        }
        if method == Method::Invite && (200..300).contains(&status) {
            // The ACK of a 2xx to a re-INVITE.
            let via = self.via();
            if let Some(c) = self.calls.get_mut(&call) {
                if let Some(d) = c.dialog.as_ref() {
                    let seq = m.cseq().map(|s| s.seq).unwrap_or(1);
                    let ack = d.ack(seq, via);
                    self.out.push_back(Outgoing {
                        target: dialog_target(d, &c.next_hop),
                        connection: c.connection,
                        bytes: ack.to_bytes(),
                    });
                }
            }
        }
        if status >= 200 {
            if method == Method::Bye {
                if let Some(c) = self.calls.get_mut(&call) {
                    if !c.ended {
                        c.ended = true;
                        self.events.push_back(UaEvent::Ended {
                            call,
                            remote: false,
                            reason: None,
                            bye: None,
                        });
                    }
                }
            } else {
                self.events
                    .push_back(UaEvent::RequestResponse { call, response: m });
            }
        }
        let _ = now;
    }
}

/// A message to keep for the length of a call, without the spare capacity its building
/// left (a header list grown by doubling has up to half its room empty).
fn compact(mut m: Message) -> Message {
    m.headers.shrink_to_fit();
    m.body.shrink_to_fit();
    m
}

/// Where a request within the dialog goes: the first route, or the remote target, when it
/// is a numeric address; else the call's next hop (RFC 3263 location is the shell's job).
fn dialog_target(d: &Dialog, next_hop: &Target) -> Target {
    let uri = d.route_set.first().map_or(&d.remote_target, |r| &r.uri);
    uri_target(uri, next_hop)
}

/// Where a request for `uri` goes: its address when the host is numeric (with its port and
/// transport parameter), else `next_hop`.
fn uri_target(uri: &Uri, next_hop: &Target) -> Target {
    let host = uri.host.trim_start_matches('[').trim_end_matches(']');
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => {
            let transport = match uri.transport().as_deref() {
                Some(t) if t.eq_ignore_ascii_case("tcp") => TransportKind::Tcp,
                Some(t) if t.eq_ignore_ascii_case("tls") => TransportKind::Tls,
                Some(_) => TransportKind::Udp,
                None => next_hop.transport,
            };
            let port = uri.port.unwrap_or(transport.default_port());
            Target::new(transport, std::net::SocketAddr::new(ip, port))
        }
        Err(_) => next_hop.clone(),
    }
}

/// A response to a request the message layer could not parse (RFC 3261 8.2, 21.5.10): its
/// Via, From, To, Call-ID and CSeq lines found by name (full or compact, folding joined),
/// copied as they are, with our tag added to To. `None` for a response, an ACK (never
/// answered, 17.1.1.3) or when there is no Via to answer to (18.2.2).
fn fallback_response(bytes: &[u8], status: u16, reason: &str, tag: &str) -> Option<Vec<u8>> {
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(bytes.len());
    let head = String::from_utf8_lossy(bytes.get(..end)?);
    let mut lines: Vec<String> = Vec::new();
    for raw in head.split('\n') {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        match (
            raw.starts_with(' ') || raw.starts_with('\t'),
            lines.last_mut(),
        ) {
            (true, Some(last)) => {
                last.push(' ');
                last.push_str(raw.trim());
            }
            _ => lines.push(raw.to_string()),
        }
    }
    let start = lines.first()?;
    let method = start.split_whitespace().next().unwrap_or("");
    if start.starts_with("SIP/") || method == "ACK" || method.is_empty() {
        return None;
    }
    let pick = |names: &[&str]| -> Vec<String> {
        lines
            .iter()
            .skip(1)
            .filter_map(|l| {
                let (n, v) = l.split_once(':')?;
                names
                    .iter()
                    .any(|x| n.trim().eq_ignore_ascii_case(x))
                    .then(|| v.trim().to_string())
            })
            .collect()
    };
    let vias = pick(&["Via", "v"]);
    if vias.is_empty() {
        return None;
    }
    let mut out = format!("SIP/2.0 {status} {reason}\r\n");
    for v in vias {
        out.push_str(&format!("Via: {v}\r\n"));
    }
    if let Some(f) = pick(&["From", "f"]).first() {
        out.push_str(&format!("From: {f}\r\n"));
    }
    if let Some(t) = pick(&["To", "t"]).first() {
        if t.to_ascii_lowercase().contains(";tag=") {
            out.push_str(&format!("To: {t}\r\n"));
        } else {
            out.push_str(&format!("To: {t};tag={tag}\r\n"));
        }
    }
    for (names, name) in [(&["Call-ID", "i"][..], "Call-ID"), (&["CSeq"][..], "CSeq")] {
        if let Some(v) = pick(names).first() {
            out.push_str(&format!("{name}: {v}\r\n"));
        }
    }
    out.push_str("Content-Length: 0\r\n\r\n");
    Some(out.into_bytes())
}

//! SIP transactions (RFC 3261 17, with the corrections of RFC 6026): the four state machines
//! — INVITE client, non-INVITE client, INVITE server, non-INVITE server — and the layer that
//! matches messages to them (RFC 3261 17.1.3, 17.2.3).
//!
//! Sans-IO: messages and the time go in, messages to transmit, messages for the transaction
//! user (TU) and timer deadlines come out. The layer is generic over the message type through
//! [`TxMessage`], which says what a transaction needs to know of a message (its branch, method,
//! status) and builds the two messages a transaction makes by itself: the ACK of a non-2xx
//! final response (RFC 3261 17.1.1.3) and the 100 Trying of an INVITE server transaction
//! (17.2.1). The transport decides reliability: on a reliable transport the retransmission
//! timers (A, E, G) do not run and the wait timers (D, I, J, K) are zero (17.1.1.2, 17.1.2.2,
//! 17.2.1, 17.2.2).
//!
//! | timer | RFC 3261 | here |
//! |---|---|---|
//! | A | INVITE retransmit, T1 doubling | client INVITE, unreliable only |
//! | B | INVITE transaction timeout, 64·T1 | client INVITE |
//! | C | proxy INVITE timeout, > 3 min (16.6, 16.8) | client INVITE, optional: reported to the TU, which CANCELs (after a provisional) or gives up (408) |
//! | D | wait for response retransmits, ≥ 32 s unreliable, 0 reliable | client INVITE, Completed |
//! | E | non-INVITE retransmit, T1 doubling up to T2; T2 in Proceeding | client non-INVITE, unreliable only |
//! | F | non-INVITE transaction timeout, 64·T1 | client non-INVITE |
//! | G | INVITE response retransmit, T1 doubling up to T2 | server INVITE, Completed, unreliable only |
//! | H | wait for ACK, 64·T1 | server INVITE, Completed |
//! | I | wait for ACK retransmits, T4 unreliable, 0 reliable | server INVITE, Confirmed |
//! | J | wait for request retransmits, 64·T1 unreliable, 0 reliable | server non-INVITE, Completed |
//! | K | wait for response retransmits, T4 unreliable, 0 reliable | client non-INVITE, Completed |
//! | L | RFC 6026: wait in Accepted, 64·T1 | server INVITE, Accepted |
//! | M | RFC 6026: wait for 2xx retransmits, 64·T1 | client INVITE, Accepted |

mod client;
mod message;
mod server;

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::Duration;

pub use client::{ClientInvite, ClientNonInvite, ClientState};
pub use server::{ServerInvite, ServerNonInvite, ServerState};

use crate::time::Instant;

/// What a transaction needs to know of a message, and the two messages it builds itself.
pub trait TxMessage: Clone {
    /// The method of a request; of a response, the method of its CSeq (RFC 3261 17.1.3).
    fn method(&self) -> Cow<'_, str>;
    /// The status code of a response; `None` for a request.
    fn status(&self) -> Option<u16>;
    /// The branch parameter of the top Via (RFC 3261 8.1.1.7).
    fn branch(&self) -> Option<Cow<'_, str>>;
    /// The sent-by of the top Via (host and port as written), for server matching (17.2.3).
    fn sent_by(&self) -> Option<String>;
    /// [`TxMessage::branch`] and [`TxMessage::sent_by`] at once, for types that can read both
    /// from one parse of the top Via.
    fn branch_and_sent_by(&self) -> Option<(String, Option<String>)> {
        Some((self.branch()?.into_owned(), self.sent_by()))
    }
    /// The ACK for a non-2xx final `response` to this INVITE `request` (RFC 3261 17.1.1.3):
    /// Request-URI, Call-ID, From, CSeq number and the top Via of the request, To of the
    /// response, CSeq method ACK, the request's Route headers. `None` if it cannot be built
    /// (a request that does not parse): the transaction then sends nothing.
    fn ack_for(request: &Self, response: &Self) -> Option<Self>;
    /// A 100 Trying for this request (RFC 3261 17.2.1, 8.2.6.1).
    fn trying_for(request: &Self) -> Option<Self>;
}

/// The base timer values (RFC 3261 17.1.1.1, table 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timers {
    /// T1: RTT estimate, 500 ms.
    pub t1: Duration,
    /// T2: the longest retransmit interval for non-INVITE requests and INVITE responses, 4 s.
    pub t2: Duration,
    /// T4: the longest time a message remains in the network, 5 s.
    pub t4: Duration,
    /// Timer D on unreliable transports: at least 32 s.
    pub d: Duration,
    /// Timer C (RFC 3261 16.6 item 11): more than 3 minutes; `None`: not used.
    pub c: Option<Duration>,
}

impl Default for Timers {
    fn default() -> Timers {
        Timers {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
            d: Duration::from_secs(32),
            c: None,
        }
    }
}

impl Timers {
    /// 64·T1: timers B, F, H, J (unreliable), L and M.
    pub fn t1x64(&self) -> Duration {
        self.t1.saturating_mul(64)
    }
}

/// What a transaction asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Output<M> {
    /// Send this message to the transport (a request, a retransmission, an ACK, a response).
    Transmit(M),
    /// A message for the TU: a response (client) or a request (server).
    ToTu(M),
    /// The transaction timed out (timer B, F or H) — the TU treats it as a 408 (RFC 3261
    /// 8.1.3.1) or, for H, as a lost ACK (13.3.1.4).
    Timeout,
    /// Timer C fired (client INVITE): `provisional` tells whether a provisional response came,
    /// in which case the TU sends CANCEL; otherwise it treats the request as timed out
    /// (RFC 3261 16.8).
    TimerC { provisional: bool },
    /// The transaction has ended and may be forgotten.
    Terminated,
}

/// Which kind of transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    ClientInvite,
    ClientNonInvite,
    ServerInvite,
    ServerNonInvite,
}

/// A transaction's identity: the branch (with the magic cookie, RFC 3261 8.1.1.7), the method
/// (ACK counts as INVITE, 17.2.3), and for server transactions the sent-by of the top Via.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    pub branch: String,
    pub method: String,
    /// Server transactions only (RFC 3261 17.2.3); `None` on client keys (17.1.3).
    pub sent_by: Option<String>,
    pub server: bool,
}

/// RFC 3261 8.1.1.7: branches of RFC 3261 transactions begin with this.
pub const MAGIC_COOKIE: &str = "z9hG4bK";

impl Key {
    /// The key of the client transaction a response belongs to (RFC 3261 17.1.3): top Via
    /// branch and CSeq method.
    pub fn for_response<M: TxMessage>(response: &M) -> Option<Key> {
        Some(Key {
            branch: response.branch()?.to_string(),
            method: response.method().to_string(),
            sent_by: None,
            server: false,
        })
    }

    /// The key of the server transaction a request belongs to (RFC 3261 17.2.3): branch,
    /// sent-by, and method with ACK matching INVITE. Only branches with the magic cookie are
    /// matched this way; RFC 2543 matching (17.2.3, second part) is not supported and such
    /// requests get no key.
    pub fn for_request<M: TxMessage>(request: &M) -> Option<Key> {
        let (branch, sent_by) = request.branch_and_sent_by()?;
        if !branch.starts_with(MAGIC_COOKIE) {
            return None;
        }
        let method = match request.method().as_ref() {
            "ACK" => "INVITE".to_string(),
            m => m.to_string(),
        };
        Some(Key {
            branch,
            method,
            sent_by,
            server: true,
        })
    }

    /// The key of the INVITE server transaction a CANCEL cancels (RFC 3261 9.2: same branch
    /// and sent-by, method INVITE).
    pub fn cancelled_by<M: TxMessage>(cancel: &M) -> Option<Key> {
        let mut k = Key::for_request(cancel)?;
        k.method = "INVITE".to_string();
        Some(k)
    }
}

/// One transaction of any kind.
#[derive(Debug, Clone)]
pub enum Transaction<M> {
    ClientInvite(ClientInvite<M>),
    ClientNonInvite(ClientNonInvite<M>),
    ServerInvite(ServerInvite<M>),
    ServerNonInvite(ServerNonInvite<M>),
}

impl<M: TxMessage> Transaction<M> {
    fn poll_timeout(&self) -> Option<Instant> {
        match self {
            Transaction::ClientInvite(t) => t.poll_timeout(),
            Transaction::ClientNonInvite(t) => t.poll_timeout(),
            Transaction::ServerInvite(t) => t.poll_timeout(),
            Transaction::ServerNonInvite(t) => t.poll_timeout(),
        }
    }

    fn handle_timeout(&mut self, now: Instant, out: &mut VecDeque<Output<M>>) {
        match self {
            Transaction::ClientInvite(t) => t.handle_timeout(now, out),
            Transaction::ClientNonInvite(t) => t.handle_timeout(now, out),
            Transaction::ServerInvite(t) => t.handle_timeout(now, out),
            Transaction::ServerNonInvite(t) => t.handle_timeout(now, out),
        }
    }

    fn is_terminated(&self) -> bool {
        match self {
            Transaction::ClientInvite(t) => t.state() == ClientState::Terminated,
            Transaction::ClientNonInvite(t) => t.state() == ClientState::Terminated,
            Transaction::ServerInvite(t) => t.state() == ServerState::Terminated,
            Transaction::ServerNonInvite(t) => t.state() == ServerState::Terminated,
        }
    }
}

/// What the layer hands out: a transaction's output with the transaction's key, or a message
/// no transaction matched.
#[derive(Debug, Clone, PartialEq)]
pub enum Event<M> {
    /// From the transaction with this key.
    Transaction(Key, Output<M>),
    /// A request that matched no transaction and starts none: an ACK (for a 2xx: it belongs
    /// to the dialog, RFC 3261 17.2.3, 13.2.2.4), or a request without a usable branch.
    StrayRequest(M),
    /// A response that matched no client transaction: a retransmitted 2xx to an INVITE whose
    /// transaction is gone, for the TU to ACK again (RFC 3261 13.2.2.4, RFC 6026), or noise.
    StrayResponse(M),
}

/// Why the layer refused a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxError {
    #[error("the request has no top Via branch with the magic cookie")]
    NoBranch,
    #[error("a transaction with this branch and method exists")]
    Exists,
    #[error("no such transaction")]
    NoSuchTransaction,
    #[error("the message is not a response")]
    NotAResponse,
    #[error("an ACK is not sent in a client transaction of its own")]
    Ack,
}

/// The transaction layer: every transaction of one UA, matched by [`Key`].
#[derive(Debug)]
pub struct TransactionLayer<M> {
    timers: Timers,
    /// Each transaction with its next deadline as filed in `queue` (one map, so that a
    /// transaction lingering for timer J, K, L or M costs one copy of its key here).
    transactions: HashMap<Key, Entry<M>>,
    /// Every transaction's next deadline, earliest first, so that timers cost O(log n) and
    /// not a scan of every transaction (tens of thousands live on UDP: timers J, K, L, M).
    queue: BTreeMap<(Instant, u64), Key>,
    seq: u64,
    events: VecDeque<Event<M>>,
    scratch: VecDeque<Output<M>>,
}

/// A transaction in the layer's map.
#[derive(Debug)]
struct Entry<M> {
    /// Boxed: a transaction is large, and the map keeps the room of its busiest moment.
    tx: Box<Transaction<M>>,
    /// Its next deadline as filed in `queue`.
    filed: Option<(Instant, u64)>,
}

impl<M> Entry<M> {
    fn new(tx: Transaction<M>) -> Self {
        Entry {
            tx: Box::new(tx),
            filed: None,
        }
    }
}

impl<M: TxMessage> TransactionLayer<M> {
    pub fn new(timers: Timers) -> Self {
        TransactionLayer {
            timers,
            transactions: HashMap::new(),
            queue: BTreeMap::new(),
            seq: 0,
            events: VecDeque::new(),
            scratch: VecDeque::new(),
        }
    }

    /// Files the next deadline of transaction `key` (or takes it out of the queue when it
    /// has none).
    fn reschedule(&mut self, key: &Key) {
        let Some(e) = self.transactions.get_mut(key) else {
            return;
        };
        let next = e.tx.poll_timeout();
        match (e.filed, next) {
            (Some((at, _)), Some(n)) if at == n => {}
            (old, next) => {
                if let Some(old) = old {
                    self.queue.remove(&old);
                }
                e.filed = None;
                if let Some(n) = next {
                    self.seq += 1;
                    self.queue.insert((n, self.seq), key.clone());
                    e.filed = Some((n, self.seq));
                }
            }
        }
    }

    /// Removes transaction `key` and its filed deadline; whether it was there.
    fn forget(&mut self, key: &Key) -> bool {
        match self.transactions.remove(key) {
            Some(e) => {
                if let Some(f) = e.filed {
                    self.queue.remove(&f);
                }
                true
            }
            None => false,
        }
    }

    /// How many transactions are alive.
    pub fn len(&self) -> usize {
        self.transactions.len()
    }

    /// Whether none is alive.
    pub fn is_empty(&self) -> bool {
        self.transactions.is_empty()
    }

    /// Starts a client transaction for `request` (not ACK: an ACK for a 2xx is sent by the
    /// TU directly, RFC 3261 17.1.1.3, 13.2.2.4). `reliable`: the transport is reliable.
    pub fn send_request(
        &mut self,
        now: Instant,
        request: M,
        reliable: bool,
    ) -> Result<Key, TxError> {
        if request.method() == "ACK" {
            return Err(TxError::Ack);
        }
        let branch = request.branch().ok_or(TxError::NoBranch)?.to_string();
        let key = Key {
            branch,
            method: request.method().to_string(),
            sent_by: None,
            server: false,
        };
        if self.transactions.contains_key(&key) {
            return Err(TxError::Exists);
        }
        let mut out = std::mem::take(&mut self.scratch);
        let t = if request.method() == "INVITE" {
            Transaction::ClientInvite(ClientInvite::new(
                now,
                request,
                reliable,
                self.timers,
                &mut out,
            ))
        } else {
            Transaction::ClientNonInvite(ClientNonInvite::new(
                now,
                request,
                reliable,
                self.timers,
                &mut out,
            ))
        };
        self.transactions.insert(key.clone(), Entry::new(t));
        self.drain(&key, &mut out);
        self.scratch = out;
        Ok(key)
    }

    /// A response from the transport.
    pub fn handle_response(&mut self, now: Instant, response: M) {
        let Some(key) = Key::for_response(&response) else {
            self.events.push_back(Event::StrayResponse(response));
            return;
        };
        let mut out = std::mem::take(&mut self.scratch);
        match self.transactions.get_mut(&key).map(|e| &mut *e.tx) {
            Some(Transaction::ClientInvite(t)) => t.handle_response(now, response, &mut out),
            Some(Transaction::ClientNonInvite(t)) => t.handle_response(now, response, &mut out),
            _ => self.events.push_back(Event::StrayResponse(response)),
        }
        self.drain(&key, &mut out);
        self.scratch = out;
    }

    /// A request from the transport: a retransmission goes to its server transaction, an ACK
    /// to its INVITE server transaction, a new request starts one (and reaches the TU), and
    /// an ACK matching none is handed out as [`Event::StrayRequest`].
    pub fn handle_request(&mut self, now: Instant, request: M, reliable: bool) {
        let key = Key::for_request(&request);
        self.handle_request_with_key(now, request, key, reliable);
    }

    /// [`TransactionLayer::handle_request`] for a caller that has computed
    /// `Key::for_request(&request)` already: `key` must be that.
    pub fn handle_request_with_key(
        &mut self,
        now: Instant,
        request: M,
        key: Option<Key>,
        reliable: bool,
    ) {
        let Some(key) = key else {
            self.events.push_back(Event::StrayRequest(request));
            return;
        };
        let mut out = std::mem::take(&mut self.scratch);
        match self.transactions.get_mut(&key).map(|e| &mut *e.tx) {
            Some(Transaction::ServerInvite(t)) => t.handle_request(now, request, &mut out),
            Some(Transaction::ServerNonInvite(t)) => t.handle_request(now, request, &mut out),
            Some(_) => {}
            None if request.method() == "ACK" => {
                self.events.push_back(Event::StrayRequest(request));
            }
            None => {
                let t = if request.method() == "INVITE" {
                    Transaction::ServerInvite(ServerInvite::new(
                        now,
                        request,
                        reliable,
                        self.timers,
                        &mut out,
                    ))
                } else {
                    Transaction::ServerNonInvite(ServerNonInvite::new(
                        request,
                        reliable,
                        self.timers,
                        &mut out,
                    ))
                };
                self.transactions.insert(key.clone(), Entry::new(t));
            }
        }
        self.drain(&key, &mut out);
        self.scratch = out;
    }

    /// A response from the TU for the server transaction `key`.
    pub fn send_response(&mut self, now: Instant, key: &Key, response: M) -> Result<(), TxError> {
        if response.status().is_none() {
            return Err(TxError::NotAResponse);
        }
        let mut out = std::mem::take(&mut self.scratch);
        let r = match self.transactions.get_mut(key).map(|e| &mut *e.tx) {
            Some(Transaction::ServerInvite(t)) => {
                t.send_response(now, response, &mut out);
                Ok(())
            }
            Some(Transaction::ServerNonInvite(t)) => {
                t.send_response(now, response, &mut out);
                Ok(())
            }
            _ => Err(TxError::NoSuchTransaction),
        };
        self.drain(key, &mut out);
        self.scratch = out;
        r
    }

    /// The transport reported a failure sending for `key` (RFC 3261 17.1.4, 17.2.4): the
    /// transaction ends and the TU is told (as a timeout: it answers 503 or gives up).
    pub fn transport_error(&mut self, key: &Key) {
        if self.forget(key) {
            self.events
                .push_back(Event::Transaction(key.clone(), Output::Timeout));
            self.events
                .push_back(Event::Transaction(key.clone(), Output::Terminated));
        }
    }

    /// The state of the server INVITE transaction `key`, to decide on a CANCEL (RFC 3261 9.2:
    /// a CANCEL has effect only while no final response was sent).
    pub fn server_invite_state(&self, key: &Key) -> Option<ServerState> {
        match self.transactions.get(key).map(|e| &*e.tx) {
            Some(Transaction::ServerInvite(t)) => Some(t.state()),
            _ => None,
        }
    }

    /// The state of the client transaction `key`.
    pub fn client_state(&self, key: &Key) -> Option<ClientState> {
        match self.transactions.get(key).map(|e| &*e.tx) {
            Some(Transaction::ClientInvite(t)) => Some(t.state()),
            Some(Transaction::ClientNonInvite(t)) => Some(t.state()),
            _ => None,
        }
    }

    /// Runs every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        let due: Vec<Key> = self
            .queue
            .range(..=(now, u64::MAX))
            .map(|(_, k)| k.clone())
            .collect();
        let mut out = std::mem::take(&mut self.scratch);
        for key in due {
            if let Some(e) = self.transactions.get_mut(&key) {
                e.tx.handle_timeout(now, &mut out);
            }
            self.drain(&key, &mut out);
        }
        self.scratch = out;
    }

    /// The earliest timer deadline of any transaction.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.queue.keys().next().map(|(t, _)| *t)
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event<M>> {
        self.events.pop_front()
    }

    fn drain(&mut self, key: &Key, out: &mut VecDeque<Output<M>>) {
        for o in out.drain(..) {
            self.events.push_back(Event::Transaction(key.clone(), o));
        }
        if self
            .transactions
            .get(key)
            .is_some_and(|e| e.tx.is_terminated())
        {
            self.forget(key);
        } else {
            self.reschedule(key);
        }
        crate::sip::shrink_sparse(&mut self.transactions);
    }
}

/// Doubles `d`, capped at `cap` when given (RFC 3261 17.1.1.2, 17.1.2.2, 17.2.1).
fn double(d: Duration, cap: Option<Duration>) -> Duration {
    let d = d.saturating_mul(2);
    match cap {
        Some(c) => d.min(c),
        None => d,
    }
}

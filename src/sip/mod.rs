//! The SIP side (RFC 3261 and its extensions): message framing and headers, SDP, digest
//! authentication, transports, transactions, dialogs and the user agent core. The
//! interworking deals in calls and requests, never in retransmissions or sockets (DESIGN.md).

pub mod auth;
pub mod dialog;
pub mod message;
pub mod reliable;
pub mod sdp;
pub mod session_timer;
pub mod shell;
pub mod transaction;
pub mod transport;
pub mod ua;

/// Gives back the room of a map that once held many more entries than it holds now (after a
/// peak of calls or of transactions lingering for their timers J and L): when it is large and
/// at most a quarter full, it shrinks to twice its size. Each shrink rehashes what is left,
/// paid for by the removals that made it sparse.
pub(crate) fn shrink_sparse<K, V, S>(map: &mut std::collections::HashMap<K, V, S>)
where
    K: Eq + std::hash::Hash,
    S: std::hash::BuildHasher,
{
    let capacity = map.capacity();
    if capacity > 4096 && map.len() * 4 < capacity {
        map.shrink_to(map.len() * 2);
    }
}

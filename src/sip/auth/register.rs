//! The registration client (RFC 3261 10.2): binds the gateway's Contact to an address of
//! record at a registrar, refreshes the binding before it expires, answers digest challenges,
//! and removes the binding on request. Sans-IO: REGISTER requests come out as data
//! ([`Registration::poll_transmit`]), final responses go in ([`Registration::handle_response`]),
//! time goes in ([`Registration::handle_timeout`], [`Registration::poll_timeout`]).
//!
//! The client transaction below (RFC 3261 17.1.2) is the caller's: it adds Via and
//! Content-Length, retransmits, and reports a timeout (Timer F) with
//! [`Registration::handle_transaction_timeout`].
//!
//! Timing choices:
//! - Refresh: at `expires - 32 s` when the granted interval is over 64 s, else at half of it.
//!   32 s is Timer F (64*T1, RFC 3261 17.1.2.2), the longest a non-INVITE transaction can take,
//!   so the refresh completes (or fails) before the binding lapses; RFC 3261 10.2.1 leaves the
//!   moment to the UA.
//! - Failures: RFC 5626 4.5, `W = min(max-time, base-time * 2^consecutive-failures)`, waiting
//!   a random time between 50 % and 100 % of W (base 30 s, max 1800 s by default). A 503 or
//!   other response with `Retry-After` (RFC 3261 20.33) waits that long instead.

use super::client::{AuthAttempt, DigestClient, RequestParts};
use crate::time::Instant;
use std::collections::VecDeque;
use std::time::Duration;

/// What and where to register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationConfig {
    /// Request-URI: the registrar's domain, without user part (RFC 3261 10.2 "sip:chicago.com").
    pub registrar: String,
    /// Address of record: the To and From URI (RFC 3261 10.2, third-party registration aside).
    pub aor: String,
    /// Our Contact URI.
    pub contact: String,
    /// The interval asked for, seconds (RFC 3261 10.2.1.1).
    pub expires: u32,
    /// Call-ID used for every REGISTER of this registration (RFC 3261 10.2 "SHOULD use the
    /// same Call-ID for all registrations during a single boot cycle").
    pub call_id: String,
    /// From tag (RFC 3261 8.1.1.3).
    pub from_tag: String,
    /// RFC 5626 4.5 base-time.
    pub backoff_base: Duration,
    /// RFC 5626 4.5 max-time.
    pub backoff_max: Duration,
}

impl RegistrationConfig {
    pub fn new(registrar: &str, aor: &str, contact: &str, call_id: &str, from_tag: &str) -> Self {
        RegistrationConfig {
            registrar: registrar.to_owned(),
            aor: aor.to_owned(),
            contact: contact.to_owned(),
            expires: 3600,
            call_id: call_id.to_owned(),
            from_tag: from_tag.to_owned(),
            backoff_base: Duration::from_secs(30),
            backoff_max: Duration::from_secs(1800),
        }
    }
}

/// A REGISTER to send: the caller builds the message (adding Via, Content-Length) and runs a
/// non-INVITE client transaction with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterRequest {
    pub method: &'static str,
    pub uri: String,
    pub cseq: u32,
    /// Header fields in order, as (name, value).
    pub headers: Vec<(String, String)>,
}

impl RegisterRequest {
    /// The value of the first header field named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A final response to our REGISTER: status and header fields as (name, value).
#[derive(Debug, Clone, Copy)]
pub struct RegisterResponse<'a> {
    pub status: u16,
    pub headers: &'a [(&'a str, &'a str)],
}

impl<'a> RegisterResponse<'a> {
    fn values(
        &self,
        name: &'static str,
        compact: Option<&'static str>,
    ) -> impl Iterator<Item = &'a str> + '_ {
        self.headers
            .iter()
            .filter(move |(n, _)| {
                n.eq_ignore_ascii_case(name) || compact.is_some_and(|c| n.eq_ignore_ascii_case(c))
            })
            .map(|(_, v)| *v)
    }
    fn seconds(&self, name: &'static str) -> Option<u32> {
        // `Retry-After: 120 (comment);duration=..`: the leading digits (RFC 3261 20.33).
        self.values(name, None).next().and_then(|v| {
            let v = v.trim();
            let end = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
            v.get(..end)?.parse().ok()
        })
    }
}

/// Where the registration stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistrationState {
    /// No binding and none wanted (initially, and after unregistering).
    Unregistered,
    /// A REGISTER is outstanding to create or refresh the binding.
    Registering,
    /// Bound until `expires_at`; a refresh is due at `refresh_at`.
    Registered {
        expires_at: Instant,
        refresh_at: Instant,
    },
    /// The last attempt failed; the next is at `retry_at`.
    BackingOff { retry_at: Instant },
    /// A REGISTER with expires=0 is outstanding.
    Unregistering,
}

/// What the registration tells its user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistrationEvent {
    /// The registrar granted `expires` seconds.
    Registered { expires: u32 },
    /// The binding is removed (or, failing that, abandoned).
    Unregistered,
    /// An attempt failed with `status` (408 for a transaction timeout); retry in `retry_in`.
    Failed { status: u16, retry_in: Duration },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    Bound,
    Unbound,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timer {
    Refresh,
    Retry,
}

const MAX_REDIRECTS: u32 = 5;

/// The registration client.
pub struct Registration {
    config: RegistrationConfig,
    auth: DigestClient,
    /// Uniform [0, 1) for the back-off jitter; injectable for tests.
    jitter: Box<dyn FnMut() -> f64 + Send>,
    state: RegistrationState,
    want: Want,
    /// The Request-URI in use (the registrar's, or where a 3xx sent us).
    target: String,
    expires: u32,
    cseq: u32,
    attempt: AuthAttempt,
    timer: Option<(Instant, Timer)>,
    /// When the binding the registrar last granted lapses (kept while refreshing).
    bound_until: Option<Instant>,
    failures: u32,
    redirects: u32,
    transmit: VecDeque<RegisterRequest>,
    events: VecDeque<RegistrationEvent>,
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("state", &self.state)
            .field("cseq", &self.cseq)
            .field("timer", &self.timer)
            .finish()
    }
}

impl Registration {
    pub fn new(config: RegistrationConfig, auth: DigestClient) -> Registration {
        Registration {
            target: config.registrar.clone(),
            expires: config.expires,
            config,
            auth,
            jitter: Box::new(|| {
                use rand::Rng;
                f64::from(rand::rng().next_u32()) / 4_294_967_296.0
            }),
            state: RegistrationState::Unregistered,
            want: Want::Unbound,
            cseq: 0,
            attempt: AuthAttempt::new(),
            timer: None,
            bound_until: None,
            failures: 0,
            redirects: 0,
            transmit: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// Replaces the jitter source (values in [0, 1)).
    pub fn with_jitter(mut self, jitter: Box<dyn FnMut() -> f64 + Send>) -> Registration {
        self.jitter = jitter;
        self
    }

    pub fn state(&self) -> RegistrationState {
        self.state
    }

    /// When the current binding lapses, if there is one (it survives a refresh in progress or
    /// a failed refresh until then).
    pub fn bound_until(&self, now: Instant) -> Option<Instant> {
        self.bound_until.filter(|t| *t > now)
    }

    /// The digest client, to share its nonces with other requests to the same registrar.
    pub fn auth_mut(&mut self) -> &mut DigestClient {
        &mut self.auth
    }

    /// The interval currently asked for (after any 423).
    pub fn requested_expires(&self) -> u32 {
        self.expires
    }

    /// Starts registering (or re-registers at once if already bound).
    pub fn register(&mut self, now: Instant) {
        self.want = Want::Bound;
        self.failures = 0;
        self.send(now, self.expires);
    }

    /// Removes our binding: REGISTER with expires=0 (RFC 3261 10.2.2).
    pub fn unregister(&mut self, now: Instant) {
        self.want = Want::Unbound;
        self.send(now, 0);
    }

    /// The next REGISTER to send.
    pub fn poll_transmit(&mut self) -> Option<RegisterRequest> {
        self.transmit.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<RegistrationEvent> {
        self.events.pop_front()
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timer.map(|(t, _)| t)
    }

    /// Fires the timer if it is due (an early call is a no-op).
    pub fn handle_timeout(&mut self, now: Instant) {
        let Some((at, timer)) = self.timer else {
            return;
        };
        if now < at {
            return;
        }
        self.timer = None;
        match (timer, self.want) {
            (Timer::Refresh, Want::Bound) | (Timer::Retry, Want::Bound) => {
                self.attempt = AuthAttempt::new();
                self.send(now, self.expires)
            }
            (_, Want::Unbound) => {}
        }
    }

    /// The client transaction gave up (Timer F): a failure like a 408 (RFC 3261 8.1.3.1).
    pub fn handle_transaction_timeout(&mut self, now: Instant) {
        self.fail(now, 408, None);
    }

    /// A final response to the outstanding REGISTER.
    pub fn handle_response(&mut self, now: Instant, response: &RegisterResponse<'_>) {
        if !matches!(
            self.state,
            RegistrationState::Registering | RegistrationState::Unregistering
        ) {
            return; // stray or late: nothing outstanding
        }
        let status = response.status;
        match status {
            100..=199 => {}
            200..=299 => self.on_success(now, response),
            401 | 407 => {
                let challenge = if status == 401 {
                    "WWW-Authenticate"
                } else {
                    "Proxy-Authenticate"
                };
                let expires = self.current_expires();
                let uri = self.target.clone();
                let parts = RequestParts {
                    method: "REGISTER",
                    uri: &uri,
                    body: b"",
                };
                match self.auth.respond(
                    status,
                    response.values(challenge, None),
                    &parts,
                    &mut self.attempt,
                ) {
                    // RFC 3261 22.2: the retry has a new CSeq, same Call-ID.
                    Ok(fields) => {
                        self.queue(expires, fields.into_iter().map(|f| (f.name, f.value)))
                    }
                    Err(_) => self.fail(now, status, None),
                }
            }
            // RFC 3261 10.2.8: Interval Too Brief; retry with at least Min-Expires.
            423 => match response.seconds("Min-Expires") {
                Some(min) if min > self.expires && self.want == Want::Bound => {
                    self.expires = min;
                    self.send(now, min);
                }
                _ => self.fail(now, status, None),
            },
            300..=399 if self.redirects < MAX_REDIRECTS => {
                // RFC 3261 8.1.3.4: recurse on the first Contact of the redirect.
                match response
                    .values("Contact", Some("m"))
                    .flat_map(split_contacts)
                    .next()
                    .and_then(|c| contact_uri(c).map(str::to_owned))
                {
                    Some(uri) => {
                        self.redirects += 1;
                        self.target = uri;
                        self.send(now, self.current_expires());
                    }
                    None => self.fail(now, status, None),
                }
            }
            _ => {
                let retry_after = response
                    .seconds("Retry-After")
                    .map(|s| Duration::from_secs(u64::from(s)));
                self.fail(now, status, retry_after)
            }
        }
    }

    fn current_expires(&self) -> u32 {
        match self.want {
            Want::Bound => self.expires,
            Want::Unbound => 0,
        }
    }

    fn on_success(&mut self, now: Instant, response: &RegisterResponse<'_>) {
        self.failures = 0;
        self.redirects = 0;
        if self.want == Want::Unbound {
            self.state = RegistrationState::Unregistered;
            self.timer = None;
            self.bound_until = None;
            self.events.push_back(RegistrationEvent::Unregistered);
            return;
        }
        // RFC 3261 10.2.4: the expires parameter of our Contact in the 200, else Expires,
        // else what we asked for.
        let granted = response
            .values("Contact", Some("m"))
            .flat_map(split_contacts)
            .find(|c| contact_uri(c).is_some_and(|u| u.eq_ignore_ascii_case(&self.config.contact)))
            .and_then(contact_expires)
            .or_else(|| response.seconds("Expires"))
            .unwrap_or(self.expires);
        if granted == 0 {
            // The registrar kept no binding for us.
            self.bound_until = None;
            self.fail(now, response.status, None);
            return;
        }
        let interval = Duration::from_secs(u64::from(granted));
        let refresh_in = if granted > 64 {
            interval.saturating_sub(Duration::from_secs(32))
        } else {
            interval / 2
        };
        let refresh_at = now + refresh_in;
        self.bound_until = Some(now + interval);
        self.state = RegistrationState::Registered {
            expires_at: now + interval,
            refresh_at,
        };
        self.timer = Some((refresh_at, Timer::Refresh));
        self.events
            .push_back(RegistrationEvent::Registered { expires: granted });
    }

    fn fail(&mut self, now: Instant, status: u16, retry_after: Option<Duration>) {
        self.attempt = AuthAttempt::new();
        if self.want == Want::Unbound {
            // Nothing to retry for: the binding lapses by itself.
            self.state = RegistrationState::Unregistered;
            self.timer = None;
            self.events.push_back(RegistrationEvent::Failed {
                status,
                retry_in: Duration::ZERO,
            });
            self.events.push_back(RegistrationEvent::Unregistered);
            return;
        }
        self.failures = self.failures.saturating_add(1);
        let retry_in = retry_after.unwrap_or_else(|| self.backoff());
        let retry_at = now + retry_in;
        self.state = RegistrationState::BackingOff { retry_at };
        self.timer = Some((retry_at, Timer::Retry));
        self.target = self.config.registrar.clone();
        self.events
            .push_back(RegistrationEvent::Failed { status, retry_in });
    }

    /// RFC 5626 4.5.
    fn backoff(&mut self) -> Duration {
        let exp = 2u32.saturating_pow(self.failures.min(31));
        let w = self
            .config
            .backoff_base
            .saturating_mul(exp)
            .min(self.config.backoff_max);
        let j = (self.jitter)().clamp(0.0, 1.0);
        w.mul_f64(0.5 + 0.5 * j)
    }

    fn send(&mut self, _now: Instant, expires: u32) {
        self.attempt = AuthAttempt::new();
        let uri = self.target.clone();
        let fields = self.auth.authorize(&RequestParts {
            method: "REGISTER",
            uri: &uri,
            body: b"",
        });
        self.queue(expires, fields.into_iter().map(|f| (f.name, f.value)));
    }

    fn queue<I: Iterator<Item = (&'static str, String)>>(&mut self, expires: u32, auth: I) {
        self.cseq = self.cseq.wrapping_add(1);
        self.timer = None;
        self.state = if self.want == Want::Bound {
            RegistrationState::Registering
        } else {
            RegistrationState::Unregistering
        };
        let c = &self.config;
        let mut headers = vec![
            ("To".to_owned(), format!("<{}>", c.aor)),
            ("From".to_owned(), format!("<{}>;tag={}", c.aor, c.from_tag)),
            ("Call-ID".to_owned(), c.call_id.clone()),
            ("CSeq".to_owned(), format!("{} REGISTER", self.cseq)),
            ("Max-Forwards".to_owned(), "70".to_owned()),
            (
                "Contact".to_owned(),
                format!("<{}>;expires={}", c.contact, expires),
            ),
            ("Expires".to_owned(), expires.to_string()),
        ];
        headers.extend(auth.map(|(n, v)| (n.to_owned(), v)));
        self.transmit.push_back(RegisterRequest {
            method: "REGISTER",
            uri: self.target.clone(),
            cseq: self.cseq,
            headers,
        });
    }
}

/// Splits a Contact value into its contact-params (commas outside quotes and `<>`).
fn split_contacts(v: &str) -> impl Iterator<Item = &str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut angle, mut escaped) = (0usize, false, false, false);
    for (i, ch) in v.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match ch {
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '<' if !quoted => angle = true,
            '>' if !quoted => angle = false,
            ',' if !quoted && !angle => {
                parts.push(v.get(start..i).unwrap_or(""));
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(v.get(start..).unwrap_or(""));
    parts.into_iter().map(str::trim).filter(|p| !p.is_empty())
}

/// The URI of a contact-param: inside `<>` (name-addr), else up to the first `;` (addr-spec,
/// RFC 3261 20.10). Comparison with ours is by string, case-insensitive; full RFC 3261 19.1.4
/// URI equality belongs to the message layer.
fn contact_uri(c: &str) -> Option<&str> {
    match (c.find('<'), c.find('>')) {
        (Some(a), Some(b)) if a < b => c.get(a + 1..b).map(str::trim),
        _ => Some(c.split(';').next().unwrap_or(c).trim()).filter(|u| !u.is_empty()),
    }
}

/// The `expires` contact-param (RFC 3261 20.10 `c-p-expires`).
fn contact_expires(c: &str) -> Option<u32> {
    let params = match c.rfind('>') {
        Some(i) => c.get(i + 1..)?,
        None => c.find(';').and_then(|i| c.get(i..))?,
    };
    params.split(';').find_map(|p| {
        let (name, value) = p.split_once('=')?;
        if name.trim().eq_ignore_ascii_case("expires") {
            value.trim().parse().ok()
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contacts() {
        let v = "\"A, b\" <sip:a@x;lr>;expires=60, sip:b@y;expires=30;q=0.5";
        let cs: Vec<&str> = split_contacts(v).collect();
        assert_eq!(cs.len(), 2);
        assert_eq!(contact_uri(cs[0]), Some("sip:a@x;lr"));
        assert_eq!(contact_expires(cs[0]), Some(60));
        assert_eq!(contact_uri(cs[1]), Some("sip:b@y"));
        assert_eq!(contact_expires(cs[1]), Some(30));
        assert_eq!(contact_expires("<sip:c@z;expires=5>"), None);
    }
}

//! SIP dialogs (RFC 3261 12-14): creation by the UAC from a 1xx with a To tag or a 2xx
//! (12.1.2) and by the UAS from the request (12.1.1), early and confirmed states (several
//! early dialogs when an INVITE forks: each remote tag is its own dialog), requests within a
//! dialog (12.2.1.1: Request-URI and Route from the route set, loose and strict routing;
//! CSeq), the ACK for a 2xx (13.2.2.4), checks on requests received within the dialog
//! (12.2.2: CSeq order, 500 for an old one), target refresh by re-INVITE and UPDATE (12.2,
//! RFC 3311 5.2), the route set recomputed from the 2xx (13.2.2.4), and re-INVITE glare
//! (14.1, 14.2: 491 and the retry delays). Sans-IO: messages in, messages out.

use crate::sip::message::{Message, Method, NameAddr, ParseError, StartLine, Uri, Via};

/// A dialog's identity (RFC 3261 12): Call-ID, local tag, remote tag.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DialogId {
    pub call_id: String,
    pub local_tag: String,
    pub remote_tag: String,
}

/// The dialog identifiers a message carries, seen from our side (RFC 3261 12): in a request
/// from the far end the To tag is ours and the From tag theirs; in a response to our request
/// the other way round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialogIds {
    pub call_id: String,
    pub local_tag: Option<String>,
    pub remote_tag: Option<String>,
}

impl DialogIds {
    /// `None` when Call-ID, From or To does not parse.
    pub fn of(m: &Message) -> Option<DialogIds> {
        let call_id = m.call_id().ok()?;
        let (Ok(from), Ok(to)) = (m.from_tag(), m.to_tag()) else {
            return None;
        };
        let (local_tag, remote_tag) = match m.start {
            StartLine::Request { .. } => (to, from),
            StartLine::Response { .. } => (from, to),
        };
        Some(DialogIds {
            call_id,
            local_tag,
            remote_tag,
        })
    }
}

/// RFC 3261 12: early (from a provisional response) or confirmed (from a 2xx).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogState {
    Early,
    Confirmed,
    Terminated,
}

/// Why a dialog could not be made or a request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DialogError {
    #[error("{0}")]
    Parse(#[from] ParseError),
    #[error("the response has no To tag: it creates no dialog")]
    NoRemoteTag,
    #[error("the request has no From tag")]
    NoFromTag,
    #[error("no Contact: the remote target is unknown")]
    NoContact,
    /// RFC 3261 12.2.2: a request with a CSeq lower than the remote sequence number is
    /// answered with 500.
    #[error("CSeq {got} is lower than the last one received ({last})")]
    OutOfOrder { got: u32, last: u32 },
    /// RFC 3261 14.2: an INVITE while one of ours is pending is answered with 491.
    #[error("an INVITE of ours is pending on this dialog (491)")]
    Glare,
    /// RFC 3261 14.2: an INVITE while another from the far end has no final response yet
    /// is answered with 500 and a Retry-After.
    #[error("an INVITE from the far end is still pending (500, Retry-After)")]
    InvitePending,
    #[error("the dialog has ended")]
    Terminated,
}

impl DialogError {
    /// The response a UAS gives for this refusal (RFC 3261 12.2.2, 14.2).
    pub fn status(&self) -> u16 {
        match self {
            DialogError::Glare => 491,
            DialogError::Terminated => 481,
            DialogError::Parse(_) | DialogError::NoFromTag | DialogError::NoContact => 400,
            _ => 500,
        }
    }
}

/// One dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialog {
    pub id: DialogId,
    pub state: DialogState,
    /// The last CSeq number we used; `None` until we send a request (UAS side).
    pub local_seq: Option<u32>,
    /// The last CSeq number received; `None` until a request arrives (UAC side).
    pub remote_seq: Option<u32>,
    /// Our URI with our tag (From of what we send).
    pub local: NameAddr,
    /// The far end's URI with its tag (To of what we send).
    pub remote: NameAddr,
    /// Where requests go: the Contact of the far end (12.1, refreshed by target refresh).
    pub remote_target: Uri,
    /// The route set, in the order our requests carry it (12.1.1, 12.1.2).
    pub route_set: Vec<NameAddr>,
    /// Whether the dialog is secure (a sips Request-URI, 12.1.1).
    pub secure: bool,
    /// Whether we created it as UAC (the Call-ID's owner, for the glare delays of 14.1).
    pub is_uac: bool,
    /// Our INVITE (re-INVITE) without a final response yet.
    pub local_invite_pending: bool,
    /// A re-INVITE from the far end without our final response yet.
    pub remote_invite_pending: bool,
}

fn contact_uri(m: &Message) -> Result<Option<Uri>, DialogError> {
    Ok(match m.contact()? {
        Some(crate::sip::message::Contact::List(l)) => l.into_iter().next().map(|na| na.uri),
        _ => None,
    })
}

impl Dialog {
    /// The UAC's dialog from a response to its `request` (RFC 3261 12.1.2): a 2xx makes a
    /// confirmed dialog, a 101-199 with a To tag an early one. The route set is the
    /// Record-Route of the response reversed; the remote target its Contact.
    pub fn uac(request: &Message, response: &Message) -> Result<Dialog, DialogError> {
        let status = response.status().unwrap_or(0);
        let remote = response.to()?;
        let remote_tag = remote.tag().ok_or(DialogError::NoRemoteTag)?;
        let local = request.from()?;
        let local_tag = local.tag().ok_or(DialogError::NoFromTag)?;
        let mut route_set = response.route_set("Record-Route")?;
        route_set.reverse();
        let remote_target = contact_uri(response)?.ok_or(DialogError::NoContact)?;
        let secure = request
            .request_uri()
            .is_some_and(|u| u.scheme.as_str().eq_ignore_ascii_case("sips"));
        Ok(Dialog {
            id: DialogId {
                call_id: request.call_id()?,
                local_tag,
                remote_tag,
            },
            state: if (200..300).contains(&status) {
                DialogState::Confirmed
            } else {
                DialogState::Early
            },
            local_seq: Some(request.cseq()?.seq),
            remote_seq: None,
            local,
            remote,
            remote_target,
            route_set,
            secure,
            is_uac: true,
            local_invite_pending: (100..200).contains(&status),
            remote_invite_pending: false,
        })
    }

    /// The UAS's dialog for `request` answered with a response carrying `local_tag` (RFC 3261
    /// 12.1.1): early if the response is provisional, confirmed for a 2xx. The route set is
    /// the request's Record-Route in order; the remote target its Contact; the remote
    /// sequence number its CSeq.
    pub fn uas(request: &Message, local_tag: &str, confirmed: bool) -> Result<Dialog, DialogError> {
        let remote = request.from()?;
        let remote_tag = remote.tag().ok_or(DialogError::NoFromTag)?;
        let mut local = request.to()?;
        local.set_tag(local_tag);
        let remote_target = contact_uri(request)?.ok_or(DialogError::NoContact)?;
        let secure = request
            .request_uri()
            .is_some_and(|u| u.scheme.as_str().eq_ignore_ascii_case("sips"));
        Ok(Dialog {
            id: DialogId {
                call_id: request.call_id()?,
                local_tag: local_tag.to_string(),
                remote_tag,
            },
            state: if confirmed {
                DialogState::Confirmed
            } else {
                DialogState::Early
            },
            local_seq: None,
            remote_seq: Some(request.cseq()?.seq),
            local,
            remote,
            remote_target,
            route_set: request.route_set("Record-Route")?,
            secure,
            is_uac: false,
            local_invite_pending: false,
            remote_invite_pending: request.method() == Some(&Method::Invite) && !confirmed,
        })
    }

    /// A 2xx to our INVITE for an early dialog: confirmed, the route set recomputed from the
    /// 2xx and the remote target from its Contact (RFC 3261 13.2.2.4, 12.2.1.2).
    pub fn confirm(&mut self, response: &Message) -> Result<(), DialogError> {
        let mut route_set = response.route_set("Record-Route")?;
        route_set.reverse();
        self.route_set = route_set;
        if let Some(t) = contact_uri(response)? {
            self.remote_target = t;
        }
        self.state = DialogState::Confirmed;
        Ok(())
    }

    /// A request within this dialog (RFC 3261 12.2.1.1): CSeq one above the last one we sent
    /// (1 when we have sent none: "an initial value MUST be chosen"), To/From with the tags,
    /// Call-ID, and the Request-URI and Route from the route set: with a loose router first
    /// (`;lr`) the Request-URI is the remote target and Route the route set; with a strict
    /// one the Request-URI is that router and the remote target goes last in Route. The
    /// caller adds Contact (for target refresh requests) and the body.
    pub fn request(&mut self, method: Method, via: Via) -> Result<Message, DialogError> {
        if self.state == DialogState::Terminated {
            return Err(DialogError::Terminated);
        }
        let seq = self.local_seq.map_or(1, |s| s.wrapping_add(1));
        self.local_seq = Some(seq);
        if method == Method::Invite {
            self.local_invite_pending = true;
        }
        Ok(self.build(method, via, seq))
    }

    /// The ACK for a 2xx to our INVITE with CSeq `invite_seq` (RFC 3261 13.2.2.4): a new
    /// transaction (its own branch, in `via`), the INVITE's CSeq number.
    pub fn ack(&self, invite_seq: u32, via: Via) -> Message {
        self.build(Method::Ack, via, invite_seq)
    }

    fn build(&self, method: Method, via: Via, seq: u32) -> Message {
        let (uri, routes): (Uri, Vec<String>) = match self.route_set.first() {
            Some(first) if !first.uri.lr() => {
                // Strict routing (12.2.1.1): the first route is the Request-URI, the rest
                // and then the remote target are the Route headers.
                let mut routes: Vec<String> =
                    self.route_set[1..].iter().map(|r| r.to_string()).collect();
                routes.push(NameAddr::new(self.remote_target.clone()).to_string());
                (first.uri.clone(), routes)
            }
            _ => (
                self.remote_target.clone(),
                self.route_set.iter().map(|r| r.to_string()).collect(),
            ),
        };
        let mut m = Message::request(
            method,
            uri,
            via,
            self.local.clone(),
            self.remote.clone(),
            &self.id.call_id,
            seq,
        );
        // Route goes after Via and Max-Forwards; its position is not significant but its
        // order is (RFC 3261 7.3.1).
        for r in routes {
            m.push_header("Route", r);
        }
        m
    }

    /// A request from the far end within this dialog (RFC 3261 12.2.2): checks the CSeq
    /// order and, for INVITE, glare (14.2); updates the remote sequence number and, for a
    /// target refresh request (re-INVITE, UPDATE), the remote target.
    pub fn handle_request(&mut self, request: &Message) -> Result<(), DialogError> {
        if self.state == DialogState::Terminated {
            return Err(DialogError::Terminated);
        }
        let cseq = request.cseq()?;
        let method = request.method().cloned();
        // ACK and CANCEL carry the CSeq number of the request they belong to.
        if matches!(method, Some(Method::Ack) | Some(Method::Cancel)) {
            if method == Some(Method::Ack) {
                self.remote_invite_pending = false;
            }
            return Ok(());
        }
        if let Some(last) = self.remote_seq {
            if cseq.seq < last {
                return Err(DialogError::OutOfOrder {
                    got: cseq.seq,
                    last,
                });
            }
        }
        if method == Some(Method::Invite) {
            if self.local_invite_pending {
                return Err(DialogError::Glare);
            }
            if self.remote_invite_pending {
                return Err(DialogError::InvitePending);
            }
        }
        self.remote_seq = Some(cseq.seq);
        if matches!(method, Some(Method::Invite) | Some(Method::Update)) {
            if let Some(t) = contact_uri(request)? {
                self.remote_target = t;
            }
            if method == Some(Method::Invite) {
                self.remote_invite_pending = true;
            }
        }
        if method == Some(Method::Bye) {
            self.state = DialogState::Terminated;
        }
        Ok(())
    }

    /// We answered the far end's re-INVITE with a final response.
    pub fn remote_invite_answered(&mut self) {
        self.remote_invite_pending = false;
    }

    /// A final response to a request we sent within the dialog (RFC 3261 12.2.1.2): a 2xx to
    /// a target refresh request refreshes the remote target; 481 and 408 end the dialog
    /// (12.2.1.2); the end of our INVITE ends its glare window.
    pub fn handle_response(
        &mut self,
        method: &Method,
        response: &Message,
    ) -> Result<(), DialogError> {
        let status = response.status().unwrap_or(0);
        if *method == Method::Invite && status >= 200 {
            self.local_invite_pending = false;
        }
        if (200..300).contains(&status) && matches!(method, Method::Invite | Method::Update) {
            if let Some(t) = contact_uri(response)? {
                self.remote_target = t;
            }
        }
        if status == 481 || status == 408 {
            self.state = DialogState::Terminated;
        }
        if *method == Method::Bye && status >= 200 {
            self.state = DialogState::Terminated;
        }
        Ok(())
    }

    /// Whether `m` (a request or response) belongs to this dialog: Call-ID and both tags
    /// (RFC 3261 12).
    pub fn matches(&self, m: &Message) -> bool {
        DialogIds::of(m).is_some_and(|ids| self.matches_ids(&ids))
    }

    /// Whether the identifiers of a message (see [`DialogIds::of`]) are this dialog's.
    pub fn matches_ids(&self, ids: &DialogIds) -> bool {
        ids.call_id == self.id.call_id
            && ids.local_tag.as_deref() == Some(self.id.local_tag.as_str())
            && ids.remote_tag.as_deref() == Some(self.id.remote_tag.as_str())
    }

    /// How long to wait before retrying a re-INVITE answered with 491 (RFC 3261 14.1): the
    /// owner of the Call-ID (the dialog's UAC) waits 2.1 to 4 s, the other 0 to 2 s, in units
    /// of 10 ms. `random` is any random number.
    pub fn glare_retry_delay(&self, random: u32) -> std::time::Duration {
        let tens = if self.is_uac {
            210 + random % 190
        } else {
            random % 201
        };
        std::time::Duration::from_millis(u64::from(tens) * 10)
    }
}

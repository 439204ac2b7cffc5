//! [`TxMessage`] for the message layer's [`Message`].

use std::borrow::Cow;

use super::TxMessage;
use crate::sip::message::{Message, Via};

/// The sent-by of a Via as the transaction key holds it (RFC 3261 17.2.3).
fn sent_by_of(via: &Via) -> String {
    match via.port {
        Some(p) => format!("{}:{p}", via.host),
        None => via.host.to_ascii_lowercase(),
    }
}

impl TxMessage for Message {
    fn method(&self) -> Cow<'_, str> {
        match self.method() {
            Some(m) => Cow::Borrowed(m.as_str()),
            // A response: the method of its CSeq (RFC 3261 17.1.3).
            None => self
                .cseq()
                .map(|c| Cow::Owned(c.method.as_str().to_string()))
                .unwrap_or(Cow::Borrowed("")),
        }
    }

    fn status(&self) -> Option<u16> {
        Message::status(self)
    }

    fn branch(&self) -> Option<Cow<'_, str>> {
        let via = self.top_via().ok()?;
        via.params
            .get("branch")
            .flatten()
            .map(|b| Cow::Owned(b.to_string()))
    }

    fn sent_by(&self) -> Option<String> {
        self.top_via().ok().map(|via| sent_by_of(&via))
    }

    fn branch_and_sent_by(&self) -> Option<(String, Option<String>)> {
        // One parse of the top Via for both.
        let via = self.top_via().ok()?;
        let branch = via.params.get("branch").flatten()?.to_string();
        Some((branch, Some(sent_by_of(&via))))
    }

    fn ack_for(request: &Self, response: &Self) -> Option<Self> {
        request.ack_for(response).ok()
    }

    fn trying_for(request: &Self) -> Option<Self> {
        Some(request.response(100, "Trying", None))
    }
}

//! [`TxMessage`] for the message layer's [`Message`].

use std::borrow::Cow;

use super::TxMessage;
use crate::sip::message::Message;

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
        let via = self.top_via().ok()?;
        Some(match via.port {
            Some(p) => format!("{}:{p}", via.host),
            None => via.host.to_ascii_lowercase(),
        })
    }

    fn ack_for(request: &Self, response: &Self) -> Option<Self> {
        request.ack_for(response).ok()
    }

    fn trying_for(request: &Self) -> Option<Self> {
        Some(request.response(100, "Trying", None))
    }
}

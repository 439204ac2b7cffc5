//! Message bodies as parts (RFC 3204, RFC 2046 5.1): reading goes through
//! `sipt_codecs::rfc3204::parse` (mailparse, part octets byte-exact); building goes through
//! `sipt_codecs::rfc3204::build`, which already picks a boundary occurring in no part
//! (RFC 2046 5.1.1), so nothing in codecs needed extending.

use sipt_codecs::rfc3204::{self, BodyError, BodyPart};

use super::Message;

impl Message {
    /// The body's parts: a multipart body gives its parts in order, any other body is one
    /// part; no body gives none.
    pub fn body_parts(&self) -> Result<Vec<BodyPart>, BodyError> {
        if self.body.is_empty() {
            return Ok(Vec::new());
        }
        let ct = self.get("Content-Type").unwrap_or("application/sdp");
        rfc3204::parse(ct, self.get("Content-Disposition"), &self.body)
    }

    /// Sets the body from parts: one part becomes the body with its Content-Type and
    /// Content-Disposition; several make a multipart/mixed body. An empty list removes the
    /// body and both headers.
    pub fn set_body_parts(&mut self, parts: &[BodyPart]) {
        self.remove_header("Content-Type");
        self.remove_header("Content-Disposition");
        if parts.is_empty() {
            self.body.clear();
            return;
        }
        let body = rfc3204::build(parts);
        self.push_header("Content-Type", body.content_type);
        if let Some(cd) = body.content_disposition {
            self.push_header("Content-Disposition", cd);
        }
        self.body = body.bytes;
    }
}

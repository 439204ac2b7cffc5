//! Cause mapping between ISUP (Q.850 cause values) and SIP status codes: RFC 3398 7.2.4.1
//! (a REL received -> the SIP response) and 8.2.6.1 (a SIP response -> the cause of the REL),
//! as data. The tables below read as the RFC's; [`CauseMap`] holds a profile (the RFC 3398
//! default, or ITU-T Q.1912.5, see [`CauseMap::profile`]) and lets a route or peer override
//! single rows, since carriers disagree on rows such as 480 and 483.

use std::collections::BTreeMap;

use sipt_codecs::q850::Location;

/// What a received ISUP cause becomes on the SIP side (RFC 3398 7.2.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SipOutcome {
    /// A final response with this status code.
    Status(u16),
    /// Normal clearing (16): a BYE for an established call, a CANCEL for one in set-up
    /// (7.2.4.1, note (*)).
    Clear,
    /// Not translatable: the originating side retries on another circuit (cause 44,
    /// 7.2.4.1).
    Untranslatable,
}

/// What a SIP final response becomes on the ISUP side (RFC 3398 8.2.6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IsupOutcome {
    /// A REL with this cause value.
    Cause(u8),
    /// No mapping (487: the request was cancelled, the release follows the CANCEL).
    None,
    /// Decided by the Warning header (488, 606): 65 for a bearer capability problem, else 31.
    ByWarning,
}

/// RFC 3398 7.2.4.1: "ISDN Cause Code to Status Code Mapping". A cause not listed gives
/// 500 (7.2.4.1: "the default response '500 Server internal error' SHOULD be used"); cause 22
/// with a diagnostic (a new number) gives 301 instead of 410, see [`CauseMap::sip_for`].
pub const RFC3398_CAUSE_TO_SIP: &[(u8, SipOutcome)] = {
    use SipOutcome::*;
    &[
        // Normal event
        (1, Status(404)),  // unallocated number
        (2, Status(404)),  // no route to network
        (3, Status(404)),  // no route to destination
        (16, Clear),       // normal call clearing: BYE or CANCEL
        (17, Status(486)), // user busy
        (18, Status(408)), // no user responding
        (19, Status(480)), // no answer from the user
        (20, Status(480)), // subscriber absent
        (21, Status(403)), // call rejected (603 for location 'user', see CauseMap)
        (22, Status(410)), // number changed (w/o diagnostic; 301 with one)
        (23, Status(410)), // redirection to new destination
        (26, Status(404)), // non-selected user clearing
        (27, Status(502)), // destination out of order
        (28, Status(484)), // address incomplete
        (29, Status(501)), // facility rejected
        (31, Status(480)), // normal unspecified
        // Resource unavailable
        (34, Status(503)),    // no circuit available
        (38, Status(503)),    // network out of order
        (41, Status(503)),    // temporary failure
        (42, Status(503)),    // switching equipment congestion
        (44, Untranslatable), // requested circuit or channel not available (7.2.4.1 text)
        (47, Status(503)),    // resource unavailable
        // Service or option not available
        (55, Status(403)), // incoming calls barred within CUG
        (57, Status(403)), // bearer capability not authorized
        (58, Status(503)), // bearer capability not presently available
        (65, Status(488)), // bearer capability not implemented
        (70, Status(488)), // only restricted digital available
        (79, Status(501)), // service or option not implemented
        // Invalid message
        (87, Status(403)), // user not member of CUG
        (88, Status(503)), // incompatible destination
        // Protocol error
        (102, Status(504)), // recovery on timer expiry
        (111, Status(500)), // protocol error
        // Interworking
        (127, Status(500)), // interworking unspecified
    ]
};

/// RFC 3398 8.2.6.1: "SIP Status Code to ISDN Cause Code Mapping". A status not listed gives
/// 31 "normal, unspecified". The RFC's row "504 Version Not Supported" is 505 (its status
/// code in RFC 3261 21.5.7; RFC 4497's table has it as 505).
pub const RFC3398_SIP_TO_CAUSE: &[(u16, IsupOutcome)] = {
    use IsupOutcome::*;
    &[
        (400, Cause(41)),  // Bad Request: temporary failure
        (401, Cause(21)),  // Unauthorized: call rejected (after trying credentials)
        (402, Cause(21)),  // Payment required: call rejected
        (403, Cause(21)),  // Forbidden: call rejected
        (404, Cause(1)),   // Not found: unallocated number
        (405, Cause(63)),  // Method not allowed: service or option unavailable
        (406, Cause(79)),  // Not acceptable: service/option not implemented
        (407, Cause(21)),  // Proxy authentication required: call rejected
        (408, Cause(102)), // Request timeout: recovery on timer expiry
        (410, Cause(22)),  // Gone: number changed
        (413, Cause(127)), // Request Entity too long: interworking
        (414, Cause(127)), // Request-URI too long: interworking
        (415, Cause(79)),  // Unsupported media type: service/option not implemented
        (416, Cause(127)), // Unsupported URI Scheme: interworking
        (420, Cause(127)), // Bad extension: interworking
        (421, Cause(127)), // Extension Required: interworking
        (423, Cause(127)), // Interval Too Brief: interworking
        (480, Cause(18)),  // Temporarily unavailable: no user responding
        (481, Cause(41)),  // Call/Transaction Does not Exist: temporary failure
        (482, Cause(25)),  // Loop Detected: exchange routing error
        (483, Cause(25)),  // Too many hops: exchange routing error
        (484, Cause(28)),  // Address incomplete: invalid number format
        (485, Cause(1)),   // Ambiguous: unallocated number
        (486, Cause(17)),  // Busy here: user busy
        (487, None),       // Request Terminated: no mapping
        (488, ByWarning),  // Not Acceptable here: by Warning header
        (500, Cause(41)),  // Server internal error: temporary failure
        (501, Cause(79)),  // Not implemented: not implemented, unspecified
        (502, Cause(38)),  // Bad gateway: network out of order
        (503, Cause(41)),  // Service unavailable: temporary failure
        (504, Cause(102)), // Server time-out: recovery on timer expiry
        (505, Cause(127)), // Version Not Supported: interworking
        (513, Cause(127)), // Message Too Large: interworking
        (600, Cause(17)),  // Busy everywhere: user busy
        (603, Cause(21)),  // Decline: call rejected
        (604, Cause(1)),   // Does not exist anywhere: unallocated number
        (606, ByWarning),  // Not acceptable: by Warning header
    ]
};

/// The names [`CauseMap::profile`] knows, as `[sip] causes` spells them.
pub const PROFILES: [&str; 2] = ["rfc3398", "q1912.5"];

/// ITU-T Q.1912.5 (01/2018), I-IWU, receipt of a REL: ISUP cause -> SIP status. Only rows
/// read from a source are here, each with it (fixtures/causes/q1912-5.md has the full
/// record): the Recommendation's own tables could not be read, so this holds one row, quoted
/// from the Recommendation by a third party. Causes not listed keep the RFC 3398 row
/// ([`CauseMap::q1912_5`]) until the table is transcribed.
pub const Q1912_5_CAUSE_TO_SIP: &[(u8, SipOutcome)] = {
    use SipOutcome::*;
    &[
        // 47 resource unavailable, unspecified: 503 Service Unavailable. "the defined mapping
        // on Page 54 of Rec. ITU-T Q.1912.5 (01/2018)", as quoted in
        // github.com/signalwire/freeswitch issue 732 (same as RFC 3398 7.2.4.1).
        (47, Status(503)),
    ]
};

/// ITU-T Q.1912.5 (01/2018), O-IWU, receipt of a 4xx, 5xx or 6xx: SIP status -> ISUP cause.
/// No row of this table could be read (fixtures/causes/q1912-5.md); statuses keep the RFC
/// 3398 rows until it is transcribed.
pub const Q1912_5_SIP_TO_CAUSE: &[(u16, IsupOutcome)] = &[];

/// Whether [`Q1912_5_CAUSE_TO_SIP`] and [`Q1912_5_SIP_TO_CAUSE`] hold the whole of the
/// Recommendation's two tables, with its defaults. Until they do, the configuration refuses
/// `[sip] causes = "q1912.5"` (an operator choosing it would get RFC 3398 under another
/// name); [`CauseMap::q1912_5`] is still there for code and tests.
pub const Q1912_5_COMPLETE: bool = false;

/// Warning codes (RFC 3261 20.43) that speak of an unavailable bearer capability, mapped to
/// cause 65 "bearer capability not implemented" in a 488 or 606 (RFC 3398 8.2.6.1): 304
/// media type not available, 305 incompatible media format.
const BEARER_WARNINGS: [u16; 2] = [304, 305];

/// A cause mapping profile: the two tables, with per-row overrides applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CauseMap {
    /// The profile it started from, one of [`PROFILES`].
    name: &'static str,
    to_sip: BTreeMap<u8, SipOutcome>,
    to_isup: BTreeMap<u16, IsupOutcome>,
    /// RFC 3398 7.2.4.1 note (+): a "call rejected" (21) with location 'user' may be given as
    /// 603 rather than 403. Off by default.
    pub user_rejection_as_6xx: bool,
}

impl Default for CauseMap {
    fn default() -> CauseMap {
        CauseMap::rfc3398()
    }
}

impl CauseMap {
    /// The RFC 3398 tables, the default profile.
    pub fn rfc3398() -> CauseMap {
        CauseMap {
            name: "rfc3398",
            to_sip: RFC3398_CAUSE_TO_SIP.iter().copied().collect(),
            to_isup: RFC3398_SIP_TO_CAUSE.iter().copied().collect(),
            user_rejection_as_6xx: false,
        }
    }

    /// The ITU-T Q.1912.5 profile: the rows of [`Q1912_5_CAUSE_TO_SIP`] and
    /// [`Q1912_5_SIP_TO_CAUSE`] over the RFC 3398 tables, whose rows and defaults stand for
    /// whatever of the Recommendation is not transcribed yet ([`Q1912_5_COMPLETE`]).
    pub fn q1912_5() -> CauseMap {
        let mut map = CauseMap::rfc3398();
        map.name = "q1912.5";
        map.to_sip.extend(Q1912_5_CAUSE_TO_SIP.iter().copied());
        map.to_isup.extend(Q1912_5_SIP_TO_CAUSE.iter().copied());
        map
    }

    /// The profile called `name` in `[sip] causes`: "rfc3398" or "q1912.5" ([`PROFILES`]).
    pub fn profile(name: &str) -> Option<CauseMap> {
        match name {
            "rfc3398" => Some(CauseMap::rfc3398()),
            "q1912.5" => Some(CauseMap::q1912_5()),
            _ => None,
        }
    }

    /// The name of the profile this map started from (overrides keep it).
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Replaces the row for ISUP `cause` (a route's or peer's override).
    pub fn override_cause(&mut self, cause: u8, outcome: SipOutcome) {
        self.to_sip.insert(cause, outcome);
    }

    /// Replaces the row for SIP `status`.
    pub fn override_status(&mut self, status: u16, outcome: IsupOutcome) {
        self.to_isup.insert(status, outcome);
    }

    /// The SIP side of a REL received with `cause` (RFC 3398 7.2.4.1). `location` and whether
    /// the cause carried a diagnostic refine two rows (21 and 22).
    pub fn sip_for(&self, cause: u8, location: Location, has_diagnostic: bool) -> SipOutcome {
        let row = self
            .to_sip
            .get(&cause)
            .copied()
            .unwrap_or(SipOutcome::Status(500));
        match (cause, row) {
            // "22 number changed (w/ diagnostic) 301 Moved Permanently": the diagnostic holds
            // the new number, for a Contact.
            (22, SipOutcome::Status(410)) if has_diagnostic => SipOutcome::Status(301),
            (21, SipOutcome::Status(403))
                if self.user_rejection_as_6xx && location == Location::User =>
            {
                SipOutcome::Status(603)
            }
            _ => row,
        }
    }

    /// The ISUP cause of a REL for a SIP final response `status` (RFC 3398 8.2.6.1), with the
    /// location: 'user' for 6xx, a network location for 4xx and 5xx. `warning` is the code of
    /// a Warning header, if any, for 488 and 606. `None` when no REL cause follows from it
    /// (487).
    pub fn isup_for(&self, status: u16, warning: Option<u16>) -> Option<(u8, Location)> {
        let row = self
            .to_isup
            .get(&status)
            .copied()
            .unwrap_or(IsupOutcome::Cause(31));
        let cause = match row {
            IsupOutcome::Cause(c) => c,
            IsupOutcome::None => return None,
            IsupOutcome::ByWarning => match warning {
                Some(w) if BEARER_WARNINGS.contains(&w) => 65,
                _ => 31,
            },
        };
        let location = if status >= 600 {
            Location::User
        } else {
            Location::PublicNetworkLocalUser
        };
        Some((cause, location))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_have_one_row_per_code() {
        let mut causes: Vec<u8> = RFC3398_CAUSE_TO_SIP.iter().map(|r| r.0).collect();
        causes.sort_unstable();
        causes.dedup();
        assert_eq!(causes.len(), RFC3398_CAUSE_TO_SIP.len());
        let mut statuses: Vec<u16> = RFC3398_SIP_TO_CAUSE.iter().map(|r| r.0).collect();
        statuses.sort_unstable();
        statuses.dedup();
        assert_eq!(statuses.len(), RFC3398_SIP_TO_CAUSE.len());
        let mut causes: Vec<u8> = Q1912_5_CAUSE_TO_SIP.iter().map(|r| r.0).collect();
        causes.sort_unstable();
        causes.dedup();
        assert_eq!(causes.len(), Q1912_5_CAUSE_TO_SIP.len());
        let mut statuses: Vec<u16> = Q1912_5_SIP_TO_CAUSE.iter().map(|r| r.0).collect();
        statuses.sort_unstable();
        statuses.dedup();
        assert_eq!(statuses.len(), Q1912_5_SIP_TO_CAUSE.len());
    }

    #[test]
    fn every_profile_name_builds_a_map_of_that_name() {
        for name in PROFILES {
            assert_eq!(CauseMap::profile(name).map(|m| m.name()), Some(name));
        }
    }
}

//! Counters per signalling link and per linkset (what Q.752 calls MTP measurements; the
//! names here say what is counted).

use serde::Serialize;

/// Counters of one signalling link.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LinkStats {
    /// MSUs handed to level 2 for transmission, and their octets (SIO and SIF).
    pub msu_tx: u64,
    pub octets_tx: u64,
    /// MSUs received from level 2, and their octets.
    pub msu_rx: u64,
    pub octets_rx: u64,
    /// User part MSUs among them.
    pub user_msu_tx: u64,
    pub user_msu_rx: u64,
    /// Start commands given to level 2 (initial activation and every restoration).
    pub starts: u64,
    /// Times the link went out of service after having been in service at level 2.
    pub failures: u64,
    /// Signalling link test messages sent; tests passed; SLTMs of the far end answered.
    pub sltm_tx: u64,
    pub slt_passed: u64,
    pub sltm_answered: u64,
    /// SLTAs that did not match the test in progress (wrong pattern, SLC or OPC).
    pub slta_mismatch: u64,
    /// Tests that failed twice, each followed by a link restart (Q.707 2.2).
    pub slt_failures: u64,
    /// Changeovers from this link: all, with buffer updating (COO/COA), emergency (ECO/ECA or
    /// without acknowledgement), time-controlled.
    pub changeovers: u64,
    pub changeovers_with_retrieval: u64,
    pub emergency_changeovers: u64,
    pub time_controlled_changeovers: u64,
    /// Messages retrieved from level 2 and sent again on another link.
    pub retrieved_msus: u64,
    /// Changebacks to this link.
    pub changebacks: u64,
    /// Changebacks completed by T5 without a changeback acknowledgement.
    pub changebacks_timed: u64,
    /// Remote processor outages reported by level 2.
    pub remote_processor_outages: u64,
    /// Link congestion onsets reported by level 2.
    pub congestion_onsets: u64,
}

/// Counters of the linkset and of the signalling point.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LinksetStats {
    /// Times the linkset (and so the adjacent destination) became unavailable.
    pub unavailable: u64,
    /// MTP restarts completed (Q.704 9), by TRA or by T20.
    pub restarts: u64,
    pub tra_tx: u64,
    pub tra_rx: u64,
    /// User messages accepted for transmission and delivered to user parts.
    pub transfer_requests: u64,
    pub transfer_indications: u64,
    /// Received messages discarded: not decodable, wrong network indicator, DPC not ours
    /// (we are not a signalling transfer point).
    pub discarded_malformed: u64,
    pub discarded_wrong_ni: u64,
    pub discarded_not_for_us: u64,
    /// Received messages for a user part not present here (answered with UPU).
    pub discarded_unequipped_user_part: u64,
    /// User requests refused: destination inaccessible, or invalid request.
    pub refused_inaccessible: u64,
    pub refused_invalid: u64,
    /// Held messages (changeover or changeback buffer) discarded because the linkset became
    /// unavailable.
    pub discarded_held: u64,
    /// Retrieved messages that could not be sent on without risk of mis-sequencing or because
    /// no link was left.
    pub discarded_retrieved: u64,
    /// Signalling network management or test messages that were unexpected (no procedure
    /// waiting for them, unknown SLC, or not from the adjacent point) or not handled.
    pub snm_unexpected: u64,
    /// Own messages that could not be encoded (never expected).
    pub encode_errors: u64,
    /// Level 2 indications for a link not in the configuration.
    pub unknown_link: u64,
}

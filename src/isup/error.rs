//! Errors of the ISUP commands: each says why a command could not be carried out; the state of
//! the machine is unchanged when one is returned.

use super::circuit::CallStatus;
use sipt_codecs::isup::MessageType;

#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IsupError {
    /// The configuration is not usable.
    #[error("invalid ISUP configuration: {field}: {reason}")]
    InvalidConfig {
        field: &'static str,
        reason: &'static str,
    },
    /// The CIC is not one of this signalling relation's circuits.
    #[error("CIC {cic} is not equipped")]
    UnknownCic { cic: u16 },
    /// MTP has not resumed (or has paused): the destination is inaccessible.
    #[error(
        "the signalling relation is not available (MTP paused or remote user part unavailable)"
    )]
    RelationUnavailable,
    /// The circuit cannot take a new outgoing call (busy, blocked, being reset).
    #[error("CIC {cic} is not available for an outgoing call")]
    CircuitUnavailable { cic: u16 },
    /// The command does not fit the state of the call on the circuit.
    #[error("CIC {cic}: not possible while the call is {state:?}")]
    WrongState { cic: u16, state: CallStatus },
    /// The message given is not of a type this command sends.
    #[error("CIC {cic}: a {got:?} message cannot be sent by this command")]
    WrongMessage { cic: u16, got: MessageType },
    /// A continuity check is still to be reported on this call (Q.764 2.1.8).
    #[error("CIC {cic}: the continuity check is not yet done")]
    ContinuityPending { cic: u16 },
    /// A circuit group range outside what Q.763 3.43 allows for the message.
    #[error("range {range} not allowed for {message:?} (allowed {min}..={max})")]
    InvalidRange {
        message: MessageType,
        range: u8,
        min: u8,
        max: u8,
    },
    /// The circuit is not in the blocking state the command needs.
    #[error("CIC {cic}: not blocked")]
    NotBlocked { cic: u16 },
}

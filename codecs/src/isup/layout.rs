//! Message formats as data: for each message type of a variant, its mandatory fixed
//! parameters (code and length, in order), its mandatory variable parameters (in order) and
//! whether it has an optional part. One generic codec ([`super::message`]) walks these tables.

use super::codes::{code, MessageType};

/// The format of one message type (Q.763 1.4-1.8 and its message tables).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Mandatory fixed part: (parameter code, length in octets), in order.
    pub fixed: &'static [(u8, u8)],
    /// Mandatory variable part: parameter codes, in the order of their pointers.
    pub variable: &'static [u8],
    /// Whether the message has an optional part (and so a pointer to it).
    pub optional: bool,
}

impl Layout {
    /// How many mandatory parameters (fixed and variable) a message of this format has.
    pub const fn mandatory(&self) -> usize {
        self.fixed.len() + self.variable.len()
    }
}

const fn l(fixed: &'static [(u8, u8)], variable: &'static [u8], optional: bool) -> Layout {
    Layout {
        fixed,
        variable,
        optional,
    }
}

const NONE: Layout = l(&[], &[], false);
const OPTIONAL_ONLY: Layout = l(&[], &[], true);

const NCI: (u8, u8) = (code::NATURE_OF_CONNECTION_INDICATORS, 1);
const FCI: (u8, u8) = (code::FORWARD_CALL_INDICATORS, 2);
const CPC: (u8, u8) = (code::CALLING_PARTYS_CATEGORY, 1);
const TMR: (u8, u8) = (code::TRANSMISSION_MEDIUM_REQUIREMENT, 1);
const BCI: (u8, u8) = (code::BACKWARD_CALL_INDICATORS, 2);
const SRI: (u8, u8) = (code::SUSPEND_RESUME_INDICATORS, 1);
const CGSMT: (u8, u8) = (code::CIRCUIT_GROUP_SUPERVISION_MESSAGE_TYPE, 1);
const FACI: (u8, u8) = (code::FACILITY_INDICATOR, 1);

const IAM: Layout = l(&[NCI, FCI, CPC, TMR], &[code::CALLED_PARTY_NUMBER], true);
const SAM: Layout = l(&[], &[code::SUBSEQUENT_NUMBER], true);
const INR: Layout = l(&[(code::INFORMATION_REQUEST_INDICATORS, 2)], &[], true);
const INF: Layout = l(&[(code::INFORMATION_INDICATORS, 2)], &[], true);
const COT: Layout = l(&[(code::CONTINUITY_INDICATORS, 1)], &[], false);
const ACM_CON: Layout = l(&[BCI], &[], true);
const REL_CFN: Layout = l(&[], &[code::CAUSE_INDICATORS], true);
const SUS_RES: Layout = l(&[SRI], &[], true);
const RANGE_ONLY: Layout = l(&[], &[code::RANGE_AND_STATUS], false);
const CIRCUIT_GROUP: Layout = l(&[CGSMT], &[code::RANGE_AND_STATUS], false);
const CQR: Layout = l(
    &[],
    &[code::RANGE_AND_STATUS, code::CIRCUIT_STATE_INDICATOR],
    false,
);
const FAR_FAA: Layout = l(&[FACI], &[], true);
const FRJ: Layout = l(&[FACI], &[code::CAUSE_INDICATORS], true);
const CPG: Layout = l(&[(code::EVENT_INFORMATION, 1)], &[], true);
const USR: Layout = l(&[], &[code::USER_TO_USER_INFORMATION], true);

/// ITU-T Q.763 (1992 and later, RFC 3204 base `itu-t92+`) message formats. PAM (its content is
/// a whole embedded message), CRG and SDN (formats are a national matter) have none here and are
/// kept as octets.
pub fn itu(message_type: MessageType) -> Option<&'static Layout> {
    use MessageType::*;
    Some(match message_type {
        Iam => &IAM,
        Sam => &SAM,
        Inr => &INR,
        Inf => &INF,
        Cot => &COT,
        Acm | Con => &ACM_CON,
        Fot | Anm | Rlc | Nrm | Fac | Upt | Upa | Idr | Irs | Sgm | Lpr | Apm | Pri => {
            &OPTIONAL_ONLY
        }
        Rel | Cfn => &REL_CFN,
        Sus | Res => &SUS_RES,
        Ccr | Rsc | Blo | Ubl | Bla | Uba | Ucic | Lpa | Olm => &NONE,
        Grs | Gra | Cqm => &RANGE_ONLY,
        Cgb | Cgu | Cgba | Cgua => &CIRCUIT_GROUP,
        Cqr => &CQR,
        Far | Faa => &FAR_FAA,
        Frj => &FRJ,
        Cpg => &CPG,
        Usr => &USR,
        Pam | Crg | Sdn | Unknown(_) => return None,
    })
}

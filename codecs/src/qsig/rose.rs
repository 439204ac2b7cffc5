//! Remote operations APDUs (ITU-T X.880 / Q.932 ROSE, as ECMA-165 carries them in the Facility
//! information element): invoke `[1]`, returnResult `[2]`, returnError `[3]`, reject `[4]`.
//!
//! Arguments of the operations this crate knows (name identification, ECMA-164; call
//! diversion legs, ECMA-174) are typed; every other argument, result and error parameter is
//! kept as a raw BER element.

use serde::ser::SerializeMap;
use serde::Serialize;

use super::ber::{universal, Ber, Contents, TagClass};
use super::diversion::{
    DivertingLegInformation1, DivertingLegInformation2, DivertingLegInformation3,
};
use super::name::NameArg;

/// QSIG operation codes (local values) with their ASN.1 names, as Wireshark's packet-qsig
/// lists them (shared/specs/codes-qsig-operations.md).
pub const QSIG_OPERATIONS: &[(i64, &str)] = &[
    (0, "callingName"),
    (1, "calledName"),
    (2, "connectedName"),
    (3, "busyName"),
    (4, "pathReplacePropose"),
    (5, "pathReplaceSetup"),
    (6, "pathReplaceRetain"),
    (7, "callTransferIdentify"),
    (8, "callTransferAbandon"),
    (9, "callTransferInitiate"),
    (10, "callTransferSetup"),
    (11, "callTransferActive"),
    (12, "callTransferComplete"),
    (13, "callTransferUpdate"),
    (14, "subaddressTransfer"),
    (15, "activateDiversionQ"),
    (16, "deactivateDiversionQ"),
    (17, "interrogateDiversionQ"),
    (18, "checkRestriction"),
    (19, "callRerouteing"),
    (20, "divertingLegInformation1"),
    (21, "divertingLegInformation2"),
    (22, "divertingLegInformation3"),
    (23, "cfnrDivertedLegFailed"),
    (27, "ccnrRequest"),
    (28, "ccCancel"),
    (29, "ccExecPossible"),
    (30, "ccPathReserve"),
    (31, "ccRingout"),
    (32, "ccSuspend"),
    (33, "ccResume"),
    (34, "callOfferRequest"),
    (35, "doNotDisturbActivateQ"),
    (36, "doNotDisturbDeactivateQ"),
    (37, "doNotDisturbInterrogateQ"),
    (38, "doNotDisturbOverrideQ"),
    (39, "doNotDisturbOvrExecuteQ"),
    (40, "ccbsRequest"),
    (41, "pathRetain"),
    (42, "serviceAvailable"),
    (43, "callIntrusionRequest"),
    (44, "callIntrusionGetCIPL"),
    (45, "callIntrusionIsolate"),
    (46, "callIntrusionForcedRelease"),
    (47, "callIntrusionWOBRequest"),
    (48, "callIntrusionCompleted"),
    (49, "cfbOverride"),
    (50, "locUpdate"),
    (51, "locDelete"),
    (52, "locDeReg"),
    (53, "pisnEnquiry"),
    (54, "wtmiEnquiry"),
    (55, "wtmiDivert"),
    (56, "wtmiInform"),
    (57, "recallAlerting"),
    (58, "recallAnswered"),
    (59, "chargeRequest"),
    (60, "getFinalCharge"),
    (61, "aocFinal"),
    (62, "aocInterim"),
    (63, "aocRate"),
    (64, "aocComplete"),
    (65, "aocDivChargeReq"),
    (66, "cintLegInformation1"),
    (67, "cintLegInformation2"),
    (68, "cintCondition"),
    (69, "cintDisable"),
    (70, "cintEnable"),
    (71, "wtmoCall"),
    (72, "authWtmUser"),
    (73, "getWtatParam"),
    (74, "wtatParamEnq"),
    (75, "getWtanParam"),
    (76, "wtanParamEnq"),
    (77, "transferAuthParam"),
    (78, "synchronizationRequest"),
    (79, "synchronizationInfo"),
    (80, "mCMNewMsg"),
    (81, "mCMNoNewMsg"),
    (82, "mCMUpdateReq"),
    (84, "cmnRequest"),
    (85, "cmnInform"),
    (86, "pathReplaceInvite"),
    (87, "callInterruptionRequest"),
    (88, "callProtectionRequest"),
    (89, "pumRegistr"),
    (90, "pumDelReg"),
    (91, "pumDe-reg"),
    (92, "pumInterrog"),
    (93, "pumiEnquiry"),
    (94, "pumiDivert"),
    (95, "pumiInform"),
    (96, "pumoCall"),
    (97, "getRRCInf"),
    (98, "locInfoCheck"),
    (99, "ssctInitiate"),
    (100, "ssctSetup"),
    (101, "ssctPostDial"),
    (102, "ssctDigitInfo"),
    (103, "display"),
    (104, "keypad"),
    (105, "callIdentificationAssign"),
    (106, "callIdentificationUpdate"),
    (107, "smsSubmit"),
    (108, "smsDeliver"),
    (109, "smsStatusReport"),
    (110, "smsCommand"),
    (111, "scAlert"),
    (112, "mCRequest"),
    (113, "mCInform"),
    (114, "mCAlerting"),
    (115, "mCMUpdate"),
    (116, "mCMService"),
    (117, "mCMInterrogate"),
    (118, "mCMailboxFull"),
    (119, "mIDMailboxAuth"),
    (120, "mIDMailboxID"),
];

/// Operation codes typed by this crate (ECMA-164, ECMA-174).
pub mod opcode {
    pub const CALLING_NAME: i64 = 0;
    pub const CALLED_NAME: i64 = 1;
    pub const CONNECTED_NAME: i64 = 2;
    pub const BUSY_NAME: i64 = 3;
    pub const DIVERTING_LEG_INFORMATION1: i64 = 20;
    pub const DIVERTING_LEG_INFORMATION2: i64 = 21;
    pub const DIVERTING_LEG_INFORMATION3: i64 = 22;
}

/// The name of a QSIG local operation code.
pub fn operation_name(code: i64) -> Option<&'static str> {
    QSIG_OPERATIONS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, n)| *n)
}

/// Code ::= CHOICE { local INTEGER, global OBJECT IDENTIFIER } (X.880).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Code {
    Local(i64),
    /// The OBJECT IDENTIFIER contents octets.
    Global(Vec<u8>),
}

impl Code {
    fn from_ber(e: &Ber) -> Option<Code> {
        if e.is_universal(universal::INTEGER) {
            Some(Code::Local(e.integer()?))
        } else if e.is_universal(universal::OBJECT_IDENTIFIER) {
            Some(Code::Global(e.octets()?.to_vec()))
        } else {
            None
        }
    }
    fn to_ber(&self) -> Ber {
        match self {
            Code::Local(v) => Ber::from_integer(TagClass::Universal, universal::INTEGER, *v),
            Code::Global(o) => {
                Ber::primitive(TagClass::Universal, universal::OBJECT_IDENTIFIER, o.clone())
            }
        }
    }
    /// The local value, if it is one.
    pub fn local(&self) -> Option<i64> {
        match self {
            Code::Local(v) => Some(*v),
            Code::Global(_) => None,
        }
    }
}

impl Serialize for Code {
    /// A local value as its number, a global one in dotted form.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Code::Local(v) => s.serialize_i64(*v),
            Code::Global(o) => {
                let text = asn1_rs::Oid::new(std::borrow::Cow::Borrowed(o)).to_id_string();
                s.serialize_str(&text)
            }
        }
    }
}

/// An invoke argument: typed for the operations this crate knows, raw otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Argument {
    /// callingName, calledName, connectedName, busyName (ECMA-164).
    Name(NameArg),
    DivertingLegInformation1(DivertingLegInformation1),
    DivertingLegInformation2(DivertingLegInformation2),
    DivertingLegInformation3(DivertingLegInformation3),
    Raw(Ber),
}

impl Argument {
    /// The argument of operation `opcode`, typed when its contents fit the typed form
    /// (that is: the typed value, DER-encoded and decoded again, is the same).
    pub fn from_ber(opcode: &Code, e: &Ber) -> Argument {
        let typed = match opcode.local() {
            Some(opcode::CALLING_NAME..=opcode::BUSY_NAME) => {
                NameArg::from_ber(e).map(Argument::Name)
            }
            Some(opcode::DIVERTING_LEG_INFORMATION1) => {
                DivertingLegInformation1::from_ber(e).map(Argument::DivertingLegInformation1)
            }
            Some(opcode::DIVERTING_LEG_INFORMATION2) => {
                DivertingLegInformation2::from_ber(e).map(Argument::DivertingLegInformation2)
            }
            Some(opcode::DIVERTING_LEG_INFORMATION3) => {
                DivertingLegInformation3::from_ber(e).map(Argument::DivertingLegInformation3)
            }
            _ => None,
        };
        match typed {
            Some(t) if Argument::from_ber_untyped_check(opcode, &t) => t,
            _ => Argument::Raw(e.clone()),
        }
    }

    fn from_ber_untyped_check(opcode: &Code, t: &Argument) -> bool {
        // The typed form must be stable through its own encoding.
        let again = t.to_ber();
        let back = match opcode.local() {
            Some(opcode::CALLING_NAME..=opcode::BUSY_NAME) => {
                NameArg::from_ber(&again).map(Argument::Name)
            }
            Some(opcode::DIVERTING_LEG_INFORMATION1) => {
                DivertingLegInformation1::from_ber(&again).map(Argument::DivertingLegInformation1)
            }
            Some(opcode::DIVERTING_LEG_INFORMATION2) => {
                DivertingLegInformation2::from_ber(&again).map(Argument::DivertingLegInformation2)
            }
            Some(opcode::DIVERTING_LEG_INFORMATION3) => {
                DivertingLegInformation3::from_ber(&again).map(Argument::DivertingLegInformation3)
            }
            _ => None,
        };
        back.as_ref() == Some(t)
    }

    /// The argument as a BER element.
    pub fn to_ber(&self) -> Ber {
        match self {
            Argument::Name(a) => a.to_ber(),
            Argument::DivertingLegInformation1(a) => a.to_ber(),
            Argument::DivertingLegInformation2(a) => a.to_ber(),
            Argument::DivertingLegInformation3(a) => a.to_ber(),
            Argument::Raw(e) => e.clone(),
        }
    }
}

impl Serialize for Argument {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Argument::Name(a) => a.serialize(s),
            Argument::DivertingLegInformation1(a) => a.serialize(s),
            Argument::DivertingLegInformation2(a) => a.serialize(s),
            Argument::DivertingLegInformation3(a) => a.serialize(s),
            Argument::Raw(e) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("raw", e)?;
                m.end()
            }
        }
    }
}

/// InvokeId ::= INTEGER; in a reject it may be absent (NULL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum InvokeId {
    Present(i64),
    /// `absent NULL` (reject only)
    Absent,
}

fn invoke_id(e: &Ber) -> Option<i64> {
    if e.is_universal(universal::INTEGER) {
        e.integer()
    } else {
        None
    }
}

fn int_ber(class: TagClass, tag: u32, v: i64) -> Ber {
    Ber::from_integer(class, tag, v)
}

/// Invoke ::= [1] IMPLICIT SEQUENCE { invokeId, linkedId [0] IMPLICIT OPTIONAL, opcode,
/// argument OPTIONAL }.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Invoke {
    pub invoke_id: i64,
    pub linked_id: Option<i64>,
    pub opcode: Code,
    pub argument: Option<Argument>,
}

impl Invoke {
    /// An invoke of a local operation with a typed or raw argument.
    pub fn new(invoke_id: i64, opcode: i64, argument: Option<Argument>) -> Invoke {
        Invoke {
            invoke_id,
            linked_id: None,
            opcode: Code::Local(opcode),
            argument,
        }
    }

    fn from_elements(el: &[Ber]) -> Option<Invoke> {
        let (id, rest) = el.split_first()?;
        let invoke_id = invoke_id(id)?;
        let (linked_id, rest) = match rest.split_first()? {
            (l, rest) if l.is_context(0) => (Some(l.integer()?), rest),
            _ => (None, rest),
        };
        let (op, rest) = rest.split_first()?;
        let opcode = Code::from_ber(op)?;
        let argument = match rest {
            [] => None,
            [a] => Some(Argument::from_ber(&opcode, a)),
            _ => return None,
        };
        Some(Invoke {
            invoke_id,
            linked_id,
            opcode,
            argument,
        })
    }

    fn to_elements(&self) -> Vec<Ber> {
        let mut v = vec![int_ber(
            TagClass::Universal,
            universal::INTEGER,
            self.invoke_id,
        )];
        if let Some(l) = self.linked_id {
            v.push(int_ber(TagClass::Context, 0, l));
        }
        v.push(self.opcode.to_ber());
        if let Some(a) = &self.argument {
            v.push(a.to_ber());
        }
        v
    }

    /// The operation's name, for a known QSIG local code.
    pub fn operation(&self) -> Option<&'static str> {
        self.opcode.local().and_then(operation_name)
    }
}

impl Serialize for Invoke {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("invoke_id", &self.invoke_id)?;
        if let Some(l) = self.linked_id {
            m.serialize_entry("linked_id", &l)?;
        }
        m.serialize_entry("opcode", &self.opcode)?;
        if let Some(n) = self.operation() {
            m.serialize_entry("operation", n)?;
        }
        if let Some(a) = &self.argument {
            m.serialize_entry("argument", a)?;
        }
        m.end()
    }
}

/// ReturnResult ::= [2] IMPLICIT SEQUENCE { invokeId, result SEQUENCE { opcode, result }
/// OPTIONAL }.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ReturnResult {
    pub invoke_id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<OperationResult>,
}

/// The `result` SEQUENCE of a ReturnResult: the operation and its result value (raw).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct OperationResult {
    pub opcode: Code,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<Ber>,
}

impl ReturnResult {
    fn from_elements(el: &[Ber]) -> Option<ReturnResult> {
        let (id, rest) = el.split_first()?;
        let result = match rest {
            [] => None,
            [r] if r.is_universal(universal::SEQUENCE) => {
                let (op, rest) = r.elements()?.split_first()?;
                let opcode = Code::from_ber(op)?;
                let result = match rest {
                    [] => None,
                    [x] => Some(x.clone()),
                    _ => return None,
                };
                Some(OperationResult {
                    operation: opcode.local().and_then(operation_name),
                    opcode,
                    result,
                })
            }
            _ => return None,
        };
        Some(ReturnResult {
            invoke_id: invoke_id(id)?,
            result,
        })
    }

    fn to_elements(&self) -> Vec<Ber> {
        let mut v = vec![int_ber(
            TagClass::Universal,
            universal::INTEGER,
            self.invoke_id,
        )];
        if let Some(r) = &self.result {
            let mut s = vec![r.opcode.to_ber()];
            s.extend(r.result.iter().cloned());
            v.push(Ber::constructed(
                TagClass::Universal,
                universal::SEQUENCE,
                s,
            ));
        }
        v
    }
}

/// ReturnError ::= [3] IMPLICIT SEQUENCE { invokeId, errcode, parameter OPTIONAL }.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ReturnError {
    pub invoke_id: i64,
    pub errcode: Code,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameter: Option<Ber>,
}

impl ReturnError {
    fn from_elements(el: &[Ber]) -> Option<ReturnError> {
        match el {
            [id, code, rest @ ..] => Some(ReturnError {
                invoke_id: invoke_id(id)?,
                errcode: Code::from_ber(code)?,
                parameter: match rest {
                    [] => None,
                    [p] => Some(p.clone()),
                    _ => return None,
                },
            }),
            _ => None,
        }
    }

    fn to_elements(&self) -> Vec<Ber> {
        let mut v = vec![
            int_ber(TagClass::Universal, universal::INTEGER, self.invoke_id),
            self.errcode.to_ber(),
        ];
        v.extend(self.parameter.iter().cloned());
        v
    }
}

/// The problem of a Reject (X.880): which kind, and its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    /// `general [0] IMPLICIT GeneralProblem`
    General(i64),
    /// `invoke [1] IMPLICIT InvokeProblem`
    Invoke(i64),
    /// `returnResult [2] IMPLICIT ReturnResultProblem`
    ReturnResult(i64),
    /// `returnError [3] IMPLICIT ReturnErrorProblem`
    ReturnError(i64),
}

/// Reject ::= [4] IMPLICIT SEQUENCE { invokeId CHOICE { InvokeId, NULL }, problem }.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Reject {
    pub invoke_id: InvokeId,
    pub problem: Problem,
}

impl Reject {
    fn from_elements(el: &[Ber]) -> Option<Reject> {
        let [id, p] = el else { return None };
        let invoke_id = if id.is_universal(universal::NULL) && id.octets()?.is_empty() {
            InvokeId::Absent
        } else {
            InvokeId::Present(invoke_id(id)?)
        };
        if p.class != TagClass::Context {
            return None;
        }
        let v = p.integer()?;
        let problem = match p.tag {
            0 => Problem::General(v),
            1 => Problem::Invoke(v),
            2 => Problem::ReturnResult(v),
            3 => Problem::ReturnError(v),
            _ => return None,
        };
        Some(Reject { invoke_id, problem })
    }

    fn to_elements(&self) -> Vec<Ber> {
        let id = match self.invoke_id {
            InvokeId::Present(i) => int_ber(TagClass::Universal, universal::INTEGER, i),
            InvokeId::Absent => Ber::primitive(TagClass::Universal, universal::NULL, Vec::new()),
        };
        let (tag, v) = match self.problem {
            Problem::General(v) => (0, v),
            Problem::Invoke(v) => (1, v),
            Problem::ReturnResult(v) => (2, v),
            Problem::ReturnError(v) => (3, v),
        };
        vec![id, int_ber(TagClass::Context, tag, v)]
    }
}

/// One ROSE APDU.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rose {
    Invoke(Invoke),
    ReturnResult(ReturnResult),
    ReturnError(ReturnError),
    Reject(Reject),
}

impl Rose {
    /// The APDU in a `[1]`..`[4]` element, if it has ROSE's structure.
    pub fn from_ber(e: &Ber) -> Option<Rose> {
        if e.class != TagClass::Context {
            return None;
        }
        let el = match &e.contents {
            Contents::Constructed(el) => el,
            Contents::Primitive(_) => return None,
        };
        match e.tag {
            1 => Invoke::from_elements(el).map(Rose::Invoke),
            2 => ReturnResult::from_elements(el).map(Rose::ReturnResult),
            3 => ReturnError::from_elements(el).map(Rose::ReturnError),
            4 => Reject::from_elements(el).map(Rose::Reject),
            _ => None,
        }
    }

    /// The APDU as a BER element.
    pub fn to_ber(&self) -> Ber {
        let (tag, el) = match self {
            Rose::Invoke(x) => (1, x.to_elements()),
            Rose::ReturnResult(x) => (2, x.to_elements()),
            Rose::ReturnError(x) => (3, x.to_elements()),
            Rose::Reject(x) => (4, x.to_elements()),
        };
        Ber::constructed(TagClass::Context, tag, el)
    }
}

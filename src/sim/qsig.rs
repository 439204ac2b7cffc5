//! The simulator as a QSIG PBX: Q.921 and QSIG basic call ([`DChannel`]) in a
//! [`DChannelShell`].

use super::{Output, Scenario, SimError, Summary};
use crate::config::LinkConfig;

pub(super) async fn run(
    link: &LinkConfig,
    _scenario: Scenario,
    _finite: bool,
    _out: &mut Output,
) -> Result<Summary, SimError> {
    Err(SimError::Config {
        link: link.name.clone(),
        message: "QSIG is not simulated yet".into(),
    })
}

//! Helpers shared by the integration tests (`mod support;` in a test file): the Debian
//! libss7/libpri peers, the SOCK_SEQPACKET `frames` transport with a relay, and sipp.
//!
//! Each test crate uses a part of this, so unused items are expected.
#![allow(dead_code)]

pub mod gateway;
pub mod gateway_qsig;
pub mod peers;
pub mod relay;
pub mod sipp;

/// The `sipt-mgc` binary of this build.
pub fn sipt_mgc() -> &'static std::path::Path {
    std::path::Path::new(env!("CARGO_BIN_EXE_sipt-mgc"))
}

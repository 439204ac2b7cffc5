//! The async shells: the only place where the sans-IO link layers meet sockets, ttys and the
//! clock (DESIGN.md, "the flow of a call"). A shell owns a layer stack ([`Mtp`] or
//! [`DChannel`]) and its [`sipt_hardware::Link`]s; it hands received frames, transport error
//! notices and timer expiries in, and takes frames out when the layer has them and the
//! transport has room. Everything it decides is about time and I/O, never about protocol.
//!
//! [`Mtp`]: crate::ss7::stack::Mtp
//! [`DChannel`]: crate::isdn::dchannel::DChannel

mod dchannel;
mod mtp;

use std::time::Duration;

pub use dchannel::DChannelShell;
pub use mtp::{MtpShell, MtpShellOptions, Traced};

use crate::config::{LinkConfig, TransportKind};
use crate::time::Instant;

/// Maps the tokio clock to the layers' [`Instant`]: nanoseconds since the clock was made.
/// Shells that work together (the simulator's MTP and ISUP) share one clock.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    origin: tokio::time::Instant,
}

impl Clock {
    /// A clock whose origin is now.
    pub fn new() -> Clock {
        Clock {
            origin: tokio::time::Instant::now(),
        }
    }

    /// The layers' time now.
    pub fn now(&self) -> Instant {
        self.to_instant(tokio::time::Instant::now())
    }

    /// A tokio instant in the layers' time.
    pub fn to_instant(&self, t: tokio::time::Instant) -> Instant {
        let nanos = t.saturating_duration_since(self.origin).as_nanos();
        Instant::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }

    /// A layers' instant as a tokio instant (for `sleep_until`).
    pub fn to_tokio(&self, t: Instant) -> tokio::time::Instant {
        self.origin + Duration::from_nanos(t.as_nanos())
    }
}

impl Default for Clock {
    fn default() -> Clock {
        Clock::new()
    }
}

/// Something a shell saw on a transport, for the log: the layers have already been told.
#[derive(Debug)]
pub enum Notice {
    /// The transport of `link` connected (tty opened, socket connected or peer accepted).
    Established { link: u8 },
    /// The transport of `link` was lost; it is being reopened.
    Lost {
        link: u8,
        error: sipt_hardware::Error,
    },
    /// A frame received in error on `link` was dropped (and counted by the layer).
    RxError {
        link: u8,
        error: sipt_hardware::RxError,
    },
}

/// The transport configuration of a `[[link]]` (DESIGN.md, "Link transports").
pub fn transport_config(link: &LinkConfig) -> sipt_hardware::TransportConfig {
    let kind = match link.transport {
        TransportKind::Frames => sipt_hardware::TransportKind::Frames,
        TransportKind::Serial => sipt_hardware::TransportKind::Serial,
    };
    let mut t = sipt_hardware::TransportConfig::new(kind, link.path.clone());
    t.baud = link.baud;
    t
}

/// Waits until `deadline` (for ever when `None`).
async fn sleep_until(clock: &Clock, deadline: Option<Instant>) {
    match deadline {
        Some(t) => tokio::time::sleep_until(clock.to_tokio(t)).await,
        None => std::future::pending().await,
    }
}

/// The MTP primitive an MTP3 event is for ISUP (Q.704 11.2: MTP-PAUSE, MTP-RESUME,
/// MTP-STATUS), if it is one.
pub fn isup_indication(event: &crate::ss7::mtp3::Mtp3Event) -> Option<crate::isup::MtpIndication> {
    use crate::isup::{MtpIndication, MtpStatus, UnavailabilityCause};
    use crate::ss7::mtp3::{Mtp3Event, StatusCause};
    Some(match event {
        Mtp3Event::Pause { .. } => MtpIndication::Pause,
        Mtp3Event::Resume { .. } => MtpIndication::Resume,
        Mtp3Event::Status { cause, .. } => MtpIndication::Status(match cause {
            StatusCause::Congestion { level } => MtpStatus::Congestion {
                level: Some(*level),
            },
            StatusCause::UserPartUnavailable { cause, .. } => {
                MtpStatus::UserPartUnavailable(match cause.code() {
                    1 => UnavailabilityCause::UnequippedRemoteUser,
                    2 => UnavailabilityCause::InaccessibleRemoteUser,
                    _ => UnavailabilityCause::Unknown,
                })
            }
        }),
        _ => return None,
    })
}

/// An ISUP signalling relation as a linkset of `[[link]]`s configures it: the first link
/// gives the point codes and the CICs, every link its SLC (default: its position) and
/// transport.
#[derive(Debug)]
pub struct IsupRelation {
    pub opc: u32,
    pub dpc: u32,
    pub cics: Vec<u16>,
    /// The SLC of each link of the linkset, in order.
    pub slcs: Vec<u8>,
    /// MTP2/MTP3 for the linkset, not yet started.
    pub mtp: crate::ss7::stack::Mtp,
    /// Each link's SLC and transport, for [`MtpShell::spawn`].
    pub transports: Vec<(u8, sipt_hardware::TransportConfig)>,
}

/// The D-channel of a `protocol = "qsig"` link (not yet started): Q.921 and the QSIG call
/// layer both in the link's `role` (ECMA-143 uses the designation only for channel
/// collisions), its B-channels; the error names what is missing. Shared by the PBX simulator
/// and the gateway.
pub fn qsig_dchannel(
    link: &LinkConfig,
) -> Result<
    (
        crate::isdn::dchannel::DChannel,
        crate::config::Role,
        Vec<u8>,
    ),
    String,
> {
    /// libpri sends I frames longer than the 260 octets of Q.921's default N201 (a SETUP
    /// with facility elements can be): accept up to a full HDLC buffer.
    const N201: usize = 1024;
    /// Re-establishment after the data link went down (libpri keeps its end up the same way).
    const KEEP_UP: Duration = Duration::from_secs(1);
    let role = link.role.ok_or("a QSIG link needs role")?;
    let channels: Vec<u8> = link
        .channels
        .iter()
        .filter_map(|&c| u8::try_from(c).ok())
        .collect();
    if channels.is_empty() {
        return Err("a QSIG link needs channels".into());
    }
    let mut l2 = crate::isdn::q921::Config::new(match role {
        crate::config::Role::User => sipt_codecs::q921::Role::User,
        crate::config::Role::Network => sipt_codecs::q921::Role::Network,
    });
    l2.keep_up = Some(KEEP_UP);
    l2.n201 = N201;
    let l3 = crate::qsig::Config::new(role, channels.iter().copied());
    let dchannel = crate::isdn::dchannel::DChannel::new(l2, l3).map_err(|e| e.to_string())?;
    Ok((dchannel, role, channels))
}

/// The relation of `linkset` (its first link first); the error names what is missing.
pub fn isup_relation(linkset: &[&LinkConfig]) -> Result<IsupRelation, String> {
    let first = linkset.first().ok_or("no link")?;
    let opc = first.opc.ok_or("an ISUP link needs opc")?;
    let dpc = first.dpc.ok_or("an ISUP link needs dpc")?;
    let cics: Vec<u16> = first
        .cics
        .iter()
        .filter_map(|&c| u16::try_from(c).ok())
        .collect();
    if cics.is_empty() {
        return Err("an ISUP link needs cics".into());
    }
    let slcs: Vec<u8> = linkset
        .iter()
        .enumerate()
        .map(|(i, l)| l.slc.unwrap_or(u8::try_from(i).unwrap_or(0)))
        .collect();
    let mut m3 = crate::ss7::mtp3::Config::new(opc, dpc, slcs.clone());
    m3.network_indicator = sipt_codecs::mtp3::NetworkIndicator::from_code(first.network_indicator);
    let mtp = crate::ss7::stack::Mtp::new(m3, crate::ss7::mtp2::Mtp2Config::default())
        .map_err(|e| e.to_string())?;
    let transports = linkset
        .iter()
        .zip(&slcs)
        .map(|(l, &slc)| (slc, transport_config(l)))
        .collect();
    Ok(IsupRelation {
        opc,
        dpc,
        cics,
        slcs,
        mtp,
        transports,
    })
}

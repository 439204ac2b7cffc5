//! Unit tests of the pieces; the procedures are tested end to end in tests/mtp3_*.rs.

use super::*;

#[test]
fn peek_label_reads_sio_and_label() {
    let msu = Msu {
        sio: Sio::from_octet(0x85),
        label: RoutingLabel {
            dpc: PointCode(0x1234),
            opc: PointCode(0x0321),
            sls: 9,
        },
        user_part: UserPart::Other(vec![1, 2, 3]),
    };
    let mut out = Vec::new();
    msu.encode(&mut out).unwrap();
    let (si, label) = peek_label(&out).unwrap();
    assert_eq!(si, ServiceIndicator::Isup);
    assert_eq!(label, msu.label);
    assert_eq!(peek_label(&out[..4]), None);
    assert_eq!(peek_label(&[]), None);
}

#[test]
fn config_is_checked() {
    assert!(Config::new(1, 2, [0, 1]).validate().is_ok());
    assert_eq!(
        Config::new(1, 1, [0]).validate(),
        Err(ConfigError::SamePointCodes)
    );
    assert_eq!(
        Config::new(1, 2, []).validate(),
        Err(ConfigError::LinkCount { count: 0 })
    );
    assert_eq!(
        Config::new(1, 2, [0, 16]).validate(),
        Err(ConfigError::SlcOutOfRange { slc: 16 })
    );
    assert_eq!(
        Config::new(1, 2, [3, 3]).validate(),
        Err(ConfigError::DuplicateSlc { slc: 3 })
    );
    assert_eq!(
        Config::new(0x4000, 2, [0]).validate(),
        Err(ConfigError::PointCodeOutOfRange {
            field: "opc",
            value: 0x4000
        })
    );
    let mut c = Config::new(1, 2, [0]);
    c.user_parts.push(ServiceIndicator::Snm);
    assert_eq!(c.validate(), Err(ConfigError::NotAUserPart { si: 0 }));
    let mut c = Config::new(1, 2, [0]);
    c.timers.t17 = std::time::Duration::ZERO;
    assert_eq!(c.validate(), Err(ConfigError::ZeroTimer { timer: "t17" }));
}

#[test]
fn home_links_share_the_sls_values() {
    let m = Mtp3::new(Config::new(1, 2, [7, 2, 5])).unwrap();
    let homes: Vec<_> = (0..16).map(|s| m.home_link(s).unwrap()).collect();
    assert_eq!(&homes[..6], &[2, 5, 7, 2, 5, 7]);
}

#[test]
fn start_gives_emergency_start_to_every_link() {
    let mut m = Mtp3::new(Config::new(1, 2, [0, 1])).unwrap();
    m.start(Instant::ZERO);
    let cmds: Vec<_> = std::iter::from_fn(|| m.poll_l2()).collect();
    assert_eq!(
        cmds,
        vec![
            (0, L3ToL2::Emergency),
            (0, L3ToL2::Start),
            (1, L3ToL2::Emergency),
            (1, L3ToL2::Start)
        ]
    );
    assert_eq!(m.link_status(0), Some(LinkStatus::Aligning));
    assert_eq!(
        m.handle_user(
            Instant::ZERO,
            TransferRequest::new(ServiceIndicator::Isup, 0, [1])
        ),
        Err(TransferError::Inaccessible { dpc: PointCode(2) })
    );
}

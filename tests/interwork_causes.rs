//! Every row of RFC 3398's two cause tables, written out here from the RFC text (not read
//! from the code's tables), through `CauseMap`: 7.2.4.1 (ISUP cause -> SIP response) and
//! 8.2.6.1 (SIP response -> ISUP cause), with their defaults, notes and overrides.

use sipt_codecs::q850::Location;
use sipt_mgc::interwork::causes::{CauseMap, IsupOutcome, SipOutcome};

/// RFC 3398 7.2.4.1, row by row.
const ISUP_TO_SIP: &[(u8, u16)] = &[
    (1, 404),
    (2, 404),
    (3, 404),
    (17, 486),
    (18, 408),
    (19, 480),
    (20, 480),
    (21, 403),
    (22, 410),
    (23, 410),
    (26, 404),
    (27, 502),
    (28, 484),
    (29, 501),
    (31, 480),
    (34, 503),
    (38, 503),
    (41, 503),
    (42, 503),
    (47, 503),
    (55, 403),
    (57, 403),
    (58, 503),
    (65, 488),
    (70, 488),
    (79, 501),
    (87, 403),
    (88, 503),
    (102, 504),
    (111, 500),
    (127, 500),
];

/// RFC 3398 8.2.6.1, row by row (505 for the RFC's misprinted "504 Version Not Supported").
const SIP_TO_ISUP: &[(u16, u8)] = &[
    (400, 41),
    (401, 21),
    (402, 21),
    (403, 21),
    (404, 1),
    (405, 63),
    (406, 79),
    (407, 21),
    (408, 102),
    (410, 22),
    (413, 127),
    (414, 127),
    (415, 79),
    (416, 127),
    (420, 127),
    (421, 127),
    (423, 127),
    (480, 18),
    (481, 41),
    (482, 25),
    (483, 25),
    (484, 28),
    (485, 1),
    (486, 17),
    (500, 41),
    (501, 79),
    (502, 38),
    (503, 41),
    (504, 102),
    (505, 127),
    (513, 127),
    (600, 17),
    (603, 21),
    (604, 1),
];

#[test]
fn every_row_of_7_2_4_1() {
    let map = CauseMap::rfc3398();
    for &(cause, status) in ISUP_TO_SIP {
        assert_eq!(
            map.sip_for(cause, Location::PublicNetworkLocalUser, false),
            SipOutcome::Status(status),
            "cause {cause}"
        );
    }
    // 16: BYE or CANCEL, not a response; 44: not translated (another circuit is tried).
    assert_eq!(map.sip_for(16, Location::User, false), SipOutcome::Clear);
    assert_eq!(
        map.sip_for(44, Location::PublicNetworkLocalUser, false),
        SipOutcome::Untranslatable
    );
}

#[test]
fn notes_and_default_of_7_2_4_1() {
    let mut map = CauseMap::rfc3398();
    // "22 number changed (w/ diagnostic) 301 Moved Permanently".
    assert_eq!(
        map.sip_for(22, Location::User, true),
        SipOutcome::Status(301)
    );
    // Any cause not listed: 500.
    for cause in [0u8, 4, 6, 50, 95, 99, 100, 110, 126] {
        assert_eq!(
            map.sip_for(cause, Location::User, false),
            SipOutcome::Status(500),
            "cause {cause}"
        );
    }
    // Note (+): with the option, 21 from the user is 603; from the network still 403.
    map.user_rejection_as_6xx = true;
    assert_eq!(
        map.sip_for(21, Location::User, false),
        SipOutcome::Status(603)
    );
    assert_eq!(
        map.sip_for(21, Location::PublicNetworkRemoteUser, false),
        SipOutcome::Status(403)
    );
}

#[test]
fn every_row_of_8_2_6_1_with_its_location() {
    let map = CauseMap::rfc3398();
    for &(status, cause) in SIP_TO_ISUP {
        let location = if status >= 600 {
            Location::User
        } else {
            Location::PublicNetworkLocalUser
        };
        assert_eq!(
            map.isup_for(status, None),
            Some((cause, location)),
            "status {status}"
        );
    }
    // 487: no mapping.
    assert_eq!(map.isup_for(487, None), None);
}

#[test]
fn warning_rows_and_default_of_8_2_6_1() {
    let map = CauseMap::rfc3398();
    // 488 and 606 "by Warning header": 65 for a bearer capability problem, else 31.
    assert_eq!(
        map.isup_for(488, Some(304)),
        Some((65, Location::PublicNetworkLocalUser))
    );
    assert_eq!(map.isup_for(606, Some(305)), Some((65, Location::User)));
    assert_eq!(map.isup_for(606, Some(399)), Some((31, Location::User)));
    assert_eq!(
        map.isup_for(488, None),
        Some((31, Location::PublicNetworkLocalUser))
    );
    // Anything not listed: 31 normal, unspecified.
    for status in [409u16, 422, 428, 429, 489, 491, 494, 506, 580, 605, 699] {
        let (cause, _) = map.isup_for(status, None).unwrap();
        assert_eq!(cause, 31, "status {status}");
    }
}

#[test]
fn a_route_overrides_single_rows() {
    // Carriers disagree on rows such as 480 and 483: an operator matches theirs.
    let mut map = CauseMap::rfc3398();
    map.override_status(480, IsupOutcome::Cause(20));
    map.override_cause(18, SipOutcome::Status(480));
    assert_eq!(
        map.isup_for(480, None),
        Some((20, Location::PublicNetworkLocalUser))
    );
    assert_eq!(
        map.sip_for(18, Location::User, false),
        SipOutcome::Status(480)
    );
    // The other rows are untouched.
    assert_eq!(
        map.isup_for(483, None),
        Some((25, Location::PublicNetworkLocalUser))
    );
    assert_eq!(
        map.sip_for(17, Location::User, false),
        SipOutcome::Status(486)
    );
}

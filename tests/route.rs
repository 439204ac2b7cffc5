//! Routing as the gateway and operators see it: the `[[route]]` table (longest prefix, default
//! route, digit manipulation, alternates, cause overrides), circuit selection, the media
//! endpoint and SDP of a circuit, the new configuration keys and their errors, and
//! `sipt-mgc route` run as a process.

mod support;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;
use std::process::{Command, Output};

use sipt_codecs::isup::NatureOfAddress;
use sipt_codecs::q850::Location;
use sipt_mgc::config::{CauseProfile, Config, ConfigError, LinkConfig, SelectionPolicy};
use sipt_mgc::interwork::causes::SipOutcome;
use sipt_mgc::route::{
    describe, media_endpoint, sdp_for, tries_alternate, CircuitSelector, Codec, Decision,
    MediaEndpoint, NatureOfAddressChoice, RouteTable, Selection, Target,
};
use sipt_mgc::sip::sdp::{Direction, Sdp};
use support::relay::SocketDir;

const LINKS: &str = r#"
[[link]]
name = "e1-0"
protocol = "isup"
transport = "frames"
path = "unix:/tmp/e1-0.sock"
opc = 1
dpc = 2
cics = "1-15,17-31"
trunk_group = "pstn-a"

[[link]]
name = "e1-1"
protocol = "isup"
transport = "frames"
path = "unix:/tmp/e1-1.sock"
opc = 1
dpc = 2
cics = "33-63"
trunk_group = "pstn-a"

[[link]]
name = "pbx-1"
protocol = "qsig"
role = "network"
transport = "frames"
path = "unix:/tmp/pbx-1.sock"
channels = "1-15,17-31"
trunk_group = "pbx"
"#;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(Path::new("gw.toml"), text)
}

/// A table from `[[route]]` entries appended to [`LINKS`].
fn table(routes: &str) -> RouteTable {
    let config = parse(&format!("{LINKS}\n{routes}")).expect("valid config");
    RouteTable::from_config(&config).expect("valid routes")
}

fn lookup(t: &RouteTable, number: &str) -> Decision {
    t.lookup(number)
        .unwrap_or_else(|| panic!("{number}: no route"))
}

fn sip(uri: &str) -> Target {
    Target::Sip { uri: uri.into() }
}

fn trunk(group: &str) -> Target {
    Target::Trunk {
        group: group.into(),
    }
}

// ---------------------------------------------------------------- matching

const NESTED: &str = r#"
[[route]]
prefix = "+49"
to = "sip:{number}@10.0.0.49"
[[route]]
prefix = "+493012"
to = "sip:{number}@10.0.0.12"
[[route]]
prefix = "+4930"
to = "sip:{number}@10.0.0.30"
[[route]]
prefix = "0"
to = "trunk:pstn-a"
[[route]]
prefix = "030"
to = "trunk:pbx"
"#;

#[test]
fn the_longest_matching_prefix_wins_whatever_the_file_order() {
    let t = table(NESTED);
    for (number, prefix, target) in [
        ("+4930123456", "+493012", "sip:+4930123456@10.0.0.12"),
        ("+4930999", "+4930", "sip:+4930999@10.0.0.30"),
        ("+493", "+49", "sip:+493@10.0.0.49"),
        ("+4989123", "+49", "sip:+4989123@10.0.0.49"),
    ] {
        let d = lookup(&t, number);
        assert_eq!(d.prefix, prefix, "{number}");
        assert_eq!(d.targets, vec![sip(target)], "{number}");
    }
    assert_eq!(lookup(&t, "030123").targets, vec![trunk("pbx")]);
    assert_eq!(lookup(&t, "089123").targets, vec![trunk("pstn-a")]);
    // The "+" is part of the routing form: a national 4930... is not +4930...
    assert_eq!(t.lookup("4930123"), None);
    // A prefix longer than the number does not match it.
    assert_eq!(lookup(&t, "+49301").prefix, "+4930");
}

#[test]
fn the_empty_prefix_is_the_default_route() {
    let t = table(&format!(
        "{NESTED}\n[[route]]\nprefix = \"\"\nto = \"sip:{{number}}@10.0.0.1\"\n"
    ));
    let d = lookup(&t, "4930123");
    assert_eq!(d.prefix, "");
    assert_eq!(d.targets, vec![sip("sip:4930123@10.0.0.1")]);
    let d = lookup(&t, "+1555");
    assert_eq!(d.prefix, "");
    assert_eq!(d.number, "+1555");
    // More specific routes still win over the default.
    assert_eq!(lookup(&t, "+4930999").prefix, "+4930");
}

#[test]
fn no_route_without_a_match_or_for_what_is_not_a_number() {
    let t = table(NESTED);
    assert_eq!(t.lookup("+1555"), None);
    assert_eq!(t.lookup("123"), None);
    let t = table("[[route]]\nprefix = \"\"\nto = \"trunk:pstn-a\"\n");
    for not_a_number in ["", "+", "alice", "+49x30", "49+30", "sip:+4930"] {
        assert_eq!(t.lookup(not_a_number), None, "{not_a_number:?}");
    }
    // An empty table routes nothing.
    let empty = RouteTable::from_config(&parse(LINKS).unwrap()).unwrap();
    assert_eq!(empty.lookup("+4930123"), None);
}

#[test]
fn visual_separators_and_hex_signals_are_routing_form_too() {
    let t = table(NESTED);
    // RFC 3966 5.1.1 visual separators are ignored.
    let d = lookup(&t, "+49-30-12.34 (56)");
    assert_eq!(d.prefix, "+493012");
    assert_eq!(d.number, "+4930123456");
    // Address signals B-E, * and # (Q.763 3.9 f) are part of a number; case does not matter.
    let t = table("[[route]]\nprefix = \"*31#\"\nto = \"trunk:pbx\"\n[[route]]\nprefix = \"0b\"\nto = \"trunk:pstn-a\"\n");
    assert_eq!(lookup(&t, "*31#0301234").prefix, "*31#");
    assert_eq!(lookup(&t, "0B12").prefix, "0b");
    assert_eq!(lookup(&t, "0b12").number, "0b12");
}

// ---------------------------------------------------------------- digit manipulation

/// One route with `keys`, prefix "" so that every number matches; the number it produces.
fn manipulated(keys: &str, number: &str) -> Decision {
    let t = table(&format!(
        "[[route]]\nprefix = \"\"\nto = \"sip:{{number}}@gw\"\n{keys}\n"
    ));
    lookup(&t, number)
}

#[test]
fn every_manipulation() {
    // (route keys, number in, number out, noa, NOA of the called party number)
    use NatureOfAddress::*;
    use NatureOfAddressChoice as N;
    let cases: &[(&str, &str, &str, Option<N>, NatureOfAddress)] = &[
        ("", "+4930123", "+4930123", None, InternationalNumber),
        ("", "030123", "030123", None, UnknownNumber),
        // strip counts the "+"
        ("strip = 1", "+4930123", "4930123", None, UnknownNumber),
        ("strip = 3", "+4930123", "30123", None, UnknownNumber),
        ("strip = 1", "030123", "30123", None, UnknownNumber),
        ("strip = 0", "030123", "030123", None, UnknownNumber),
        // stripping more than there is leaves nothing
        ("strip = 20", "030123", "", None, UnknownNumber),
        (
            "strip = 20\nprepend = \"110\"",
            "030123",
            "110",
            None,
            UnknownNumber,
        ),
        // prepend after strip
        ("prepend = \"0\"", "30123", "030123", None, UnknownNumber),
        (
            "strip = 3\nprepend = \"0\"",
            "+4930123",
            "030123",
            None,
            UnknownNumber,
        ),
        (
            "strip = 1\nprepend = \"+49\"",
            "030123",
            "+4930123",
            None,
            InternationalNumber,
        ),
        // a prepended "+" replaces one that is left
        (
            "prepend = \"+1\"",
            "+555",
            "+1555",
            None,
            InternationalNumber,
        ),
        // noa: the "+" follows it
        (
            "noa = \"international\"",
            "4930123",
            "+4930123",
            Some(N::International),
            InternationalNumber,
        ),
        (
            "noa = \"international\"",
            "+4930123",
            "+4930123",
            Some(N::International),
            InternationalNumber,
        ),
        (
            "strip = 3\nnoa = \"national\"",
            "+4930123",
            "30123",
            Some(N::National),
            NationalNumber,
        ),
        (
            "noa = \"national\"",
            "+4930123",
            "4930123",
            Some(N::National),
            NationalNumber,
        ),
        (
            "strip = 5\nnoa = \"subscriber\"",
            "+4930123",
            "123",
            Some(N::Subscriber),
            SubscriberNumber,
        ),
        (
            "noa = \"unknown\"",
            "+4930123",
            "4930123",
            Some(N::Unknown),
            UnknownNumber,
        ),
        (
            "strip = 1\nprepend = \"49\"\nnoa = \"international\"",
            "030123",
            "+4930123",
            Some(N::International),
            InternationalNumber,
        ),
    ];
    for &(keys, number, out, noa, isup_noa) in cases {
        let d = manipulated(keys, number);
        assert_eq!(d.number, out, "{keys:?} on {number}");
        assert_eq!(d.noa, noa, "{keys:?} on {number}");
        assert_eq!(d.nature_of_address(), isup_noa, "{keys:?} on {number}");
        assert_eq!(d.digits(), out.trim_start_matches('+'), "{keys:?}");
        // {number} is the manipulated form.
        assert_eq!(d.targets, vec![sip(&format!("sip:{out}@gw"))], "{keys:?}");
    }
}

#[test]
fn noa_names_map_to_the_isup_indicator() {
    for (name, choice, code) in [
        ("international", NatureOfAddressChoice::International, 4),
        ("national", NatureOfAddressChoice::National, 3),
        ("subscriber", NatureOfAddressChoice::Subscriber, 1),
        ("unknown", NatureOfAddressChoice::Unknown, 2),
    ] {
        assert_eq!(NatureOfAddressChoice::from_name(name), Some(choice));
        assert_eq!(choice.name(), name);
        // Q.763 3.9 b
        assert_eq!(choice.to_isup().code(), code);
    }
    assert_eq!(NatureOfAddressChoice::from_name("National"), None);
}

#[test]
fn a_trunk_route_keeps_the_number_for_the_called_party_number() {
    // RFC 3398 12.2: a local country code is stripped and the NOA says national.
    let t = table(
        "[[route]]\nprefix = \"+49\"\nstrip = 3\nnoa = \"national\"\nto = \"trunk:pstn-a\"\n",
    );
    let d = lookup(&t, "+4930123456");
    assert_eq!(d.targets, vec![trunk("pstn-a")]);
    assert_eq!(d.number, "30123456");
    assert_eq!(d.digits(), "30123456");
    assert_eq!(d.nature_of_address(), NatureOfAddress::NationalNumber);
}

// ---------------------------------------------------------------- alternates

#[test]
fn alternates_follow_the_primary_target_in_order() {
    let t = table(
        r#"
[[route]]
prefix = "+4930"
strip = 1
to = "sip:{number}@127.0.0.1:5070"
alternates = ["sips:{number}@127.0.0.1:5071;transport=tls", "tel:{number}", "trunk:pstn-a", "trunk:pbx"]
"#,
    );
    let d = lookup(&t, "+4930123");
    assert_eq!(
        d.targets,
        vec![
            sip("sip:4930123@127.0.0.1:5070"),
            sip("sips:4930123@127.0.0.1:5071;transport=tls"),
            sip("tel:4930123"),
            trunk("pstn-a"),
            trunk("pbx"),
        ]
    );
    assert_eq!(d.targets[3].to_string(), "trunk:pstn-a");
    assert_eq!(d.targets[0].to_string(), "sip:4930123@127.0.0.1:5070");
    // Only 503, 408 and no final response at all move on to the next target.
    assert!(tries_alternate(None));
    assert!(tries_alternate(Some(503)));
    assert!(tries_alternate(Some(408)));
    for status in [300, 404, 480, 486, 487, 500, 502, 504, 600, 603] {
        assert!(!tries_alternate(Some(status)), "{status}");
    }
    // A trunk target's release: the route's cause map turns congestion causes into 503.
    let loc = Location::PublicNetworkLocalUser;
    for cause in [34, 38, 41, 42, 47] {
        assert_eq!(d.causes.sip_for(cause, loc, false), SipOutcome::Status(503));
    }
    // A route without alternates has its one target.
    let t = table("[[route]]\nprefix = \"\"\nto = \"sip:fixed@10.0.0.1\"\n");
    assert_eq!(lookup(&t, "123").targets, vec![sip("sip:fixed@10.0.0.1")]);
}

// ---------------------------------------------------------------- cause overrides

#[test]
fn cause_overrides_replace_single_rows_of_the_rfc3398_tables() {
    let t = table(
        r#"
[[route]]
prefix = "+4930"
to = "trunk:pstn-a"
cause_to_status = { 18 = 480, 31 = 404 }
status_to_cause = { 480 = 19, 483 = 24 }
[[route]]
prefix = ""
to = "trunk:pstn-a"
"#,
    );
    let d = lookup(&t, "+4930123");
    let loc = Location::PublicNetworkLocalUser;
    // overridden rows
    assert_eq!(d.causes.sip_for(18, loc, false), SipOutcome::Status(480));
    assert_eq!(d.causes.sip_for(31, loc, false), SipOutcome::Status(404));
    assert_eq!(d.causes.isup_for(480, None), Some((19, loc)));
    assert_eq!(d.causes.isup_for(483, None), Some((24, loc)));
    // the others stay RFC 3398's (7.2.4.1 and 8.2.6.1)
    assert_eq!(d.causes.sip_for(17, loc, false), SipOutcome::Status(486));
    assert_eq!(d.causes.sip_for(16, loc, false), SipOutcome::Clear);
    assert_eq!(d.causes.isup_for(486, None), Some((17, loc)));
    assert_eq!(d.causes.isup_for(404, None), Some((1, loc)));
    assert_eq!(d.cause_to_status, vec![(18, 480), (31, 404)]);
    assert_eq!(d.status_to_cause, vec![(480, 19), (483, 24)]);
    // another route has the plain profile
    let plain = lookup(&t, "+1555");
    assert_eq!(
        plain.causes,
        sipt_mgc::interwork::causes::CauseMap::rfc3398()
    );
    assert_eq!(
        plain.causes.sip_for(18, loc, false),
        SipOutcome::Status(408)
    );
    assert_eq!(plain.causes.isup_for(480, None), Some((18, loc)));
    assert!(plain.cause_to_status.is_empty() && plain.status_to_cause.is_empty());
}

#[test]
fn the_cause_profile_is_rfc3398_and_nothing_else() {
    let c = parse("[sip]\ncauses = \"rfc3398\"\n").unwrap();
    assert_eq!(c.sip.unwrap().causes, CauseProfile::Rfc3398);
    let c = parse("[sip]\nlisten = []\n").unwrap();
    assert_eq!(c.sip.unwrap().causes, CauseProfile::Rfc3398);
    let e = parse("[sip]\nlisten = []\ncauses = \"q1912.5\"\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "gw.toml:3: sip.causes: \"q1912.5\": the only cause profile is \"rfc3398\""
    );
}

// ---------------------------------------------------------------- describe

#[test]
fn describe_shows_every_part_of_the_decision() {
    let t = table(
        r#"
[[route]]
prefix = "+49"
strip = 3
noa = "national"
to = "trunk:pstn-a"
alternates = ["sip:+49{number}@10.0.0.2"]
cause_to_status = { 18 = 480 }
status_to_cause = { 480 = 19 }
"#,
    );
    let d = lookup(&t, "+4930123");
    assert_eq!(
        describe("+4930123", Some(&d)),
        "+4930123: route \"+49\"\n\
         \x20 number:    30123\n\
         \x20 noa:       national\n\
         \x20 target:    trunk:pstn-a\n\
         \x20 alternate: sip:+4930123@10.0.0.2\n\
         \x20 causes:    rfc3398 with cause 18 -> 480, 480 -> cause 19\n"
    );
    let t = table("[[route]]\nprefix = \"\"\nto = \"trunk:pbx\"\n");
    let text = describe("0301", Some(&lookup(&t, "0301")));
    assert!(
        text.contains("noa:       from the number (unknown)"),
        "{text}"
    );
    assert!(text.contains("causes:    rfc3398\n"), "{text}");
    assert_eq!(describe("0301", None), "0301: no route\n");
}

// ---------------------------------------------------------------- circuit selection

fn all(_: u16) -> bool {
    true
}

#[test]
fn sequential_takes_the_first_available_in_list_order() {
    let mut s = CircuitSelector::new(Selection::Sequential, vec![5, 3, 4, 1]);
    assert_eq!(s.select(all), Some(5));
    assert_eq!(s.select(all), Some(5), "no memory of the last choice");
    assert_eq!(s.select(|c| c != 5), Some(3));
    assert_eq!(s.select(|c| c == 1), Some(1));
    assert_eq!(s.select(|_| false), None);
    let mut empty = CircuitSelector::new(Selection::Sequential, vec![]);
    assert_eq!(empty.select(all), None);
}

#[test]
fn round_robin_continues_after_the_last_chosen_and_wraps_around() {
    let mut s = CircuitSelector::new(Selection::RoundRobin, vec![1, 2, 3, 4]);
    assert_eq!(s.select(all), Some(1));
    assert_eq!(s.select(all), Some(2));
    // gap: 3 busy
    assert_eq!(s.select(|c| c != 3), Some(4));
    // wrap-around
    assert_eq!(s.select(all), Some(1));
    // gap across the wrap: only 1 free, we are after 1
    assert_eq!(s.select(|c| c == 1), Some(1));
    assert_eq!(s.select(|c| c == 4 || c == 2), Some(2));
    assert_eq!(s.select(|_| false), None);
    // a failed selection does not move the position
    assert_eq!(s.select(all), Some(3));
    let mut empty = CircuitSelector::new(Selection::RoundRobin, vec![]);
    assert_eq!(empty.select(all), None);
}

#[test]
fn odd_and_even_prefer_their_parity_then_take_the_others_from_the_end() {
    let circuits: Vec<u16> = (1..=8).collect();
    let mut odd = CircuitSelector::new(Selection::Odd, circuits.clone());
    assert_eq!(odd.select(all), Some(1));
    assert_eq!(odd.select(|c| c != 1), Some(3));
    assert_eq!(odd.select(|c| c >= 6), Some(7));
    // no odd one free: the even ones, highest first (the far end takes them from the low end)
    assert_eq!(odd.select(|c| c % 2 == 0), Some(8));
    assert_eq!(odd.select(|c| c == 2 || c == 4), Some(4));
    assert_eq!(odd.select(|_| false), None);

    let mut even = CircuitSelector::new(Selection::Even, circuits);
    assert_eq!(even.select(all), Some(2));
    assert_eq!(even.select(|c| c != 2 && c != 4), Some(6));
    assert_eq!(even.select(|c| c % 2 == 1), Some(7));
    assert_eq!(even.select(|c| c == 1), Some(1));
    assert_eq!(even.select(|_| false), None);
}

#[test]
fn dual_seizure_two_ends_with_auto_prefer_disjoint_halves() {
    // Two gateways on one both-way group: point codes 1 and 2. Q.764 2.9.1.4: the higher
    // point code controls the even CICs.
    let config = parse(LINKS).unwrap();
    let low = &config.links[0]; // OPC 1, DPC 2
    assert_eq!(low.selection, SelectionPolicy::Auto);
    assert_eq!(Selection::for_link(low), Selection::Odd);
    let mut high_link = low.clone();
    high_link.opc = Some(2);
    high_link.dpc = Some(1);
    assert_eq!(Selection::for_link(&high_link), Selection::Even);

    let mut a = CircuitSelector::for_link(low);
    let mut b = CircuitSelector::for_link(&high_link);
    assert_eq!(a.selection(), Selection::Odd);
    assert_eq!(b.selection(), Selection::Even);
    // Both ends seize at once, each its own circuit: never the same.
    let mut busy: Vec<u16> = Vec::new();
    // link e1-0 has CICs 1-15,17-31: 16 odd and 14 even.
    for _ in 0..14 {
        let x = a.select(|c| !busy.contains(&c)).unwrap();
        let y = b.select(|c| !busy.contains(&c)).unwrap();
        assert_eq!(x % 2, 1, "A takes odd CICs");
        assert_eq!(y % 2, 0, "B takes even CICs");
        assert_ne!(x, y);
        busy.extend([x, y]);
    }
    // The even half is gone: B takes the odd CICs A has left, from the top, while A still
    // takes them from the bottom.
    assert_eq!(b.select(|c| !busy.contains(&c)), Some(31));
    busy.push(31);
    assert_eq!(a.select(|c| !busy.contains(&c)), Some(29));
    busy.push(29);
    assert_eq!(a.select(|c| !busy.contains(&c)), None);
    assert_eq!(b.select(|c| !busy.contains(&c)), None);
    assert_eq!(busy.len(), 30);

    // QSIG: no point codes; the roles (always opposite) decide.
    let pbx = &config.links[2];
    assert_eq!(Selection::for_link(pbx), Selection::Odd, "role network");
    let mut user = pbx.clone();
    user.role = Some(sipt_mgc::config::Role::User);
    assert_eq!(Selection::for_link(&user), Selection::Even);
    assert_eq!(CircuitSelector::for_link(pbx).select(|c| c > 15), Some(17));
}

#[test]
fn selection_keys_resolve_as_configured() {
    for (word, policy, resolved) in [
        (
            "sequential",
            SelectionPolicy::Sequential,
            Selection::Sequential,
        ),
        (
            "round-robin",
            SelectionPolicy::RoundRobin,
            Selection::RoundRobin,
        ),
        ("odd", SelectionPolicy::Odd, Selection::Odd),
        ("even", SelectionPolicy::Even, Selection::Even),
        ("auto", SelectionPolicy::Auto, Selection::Odd),
    ] {
        let text = LINKS.replacen(
            "trunk_group = \"pstn-a\"",
            &format!("trunk_group = \"pstn-a\"\nselection = \"{word}\""),
            1,
        );
        let c = parse(&text).unwrap();
        assert_eq!(c.links[0].selection, policy, "{word}");
        assert_eq!(Selection::for_link(&c.links[0]), resolved, "{word}");
    }
    // Each link of a trunk group has its own list.
    let c = parse(LINKS).unwrap();
    let mut second = CircuitSelector::for_link(&c.links[1]);
    assert_eq!(second.select(all), Some(33));
}

// ---------------------------------------------------------------- media

fn media_link(media: &str, codec: Option<&str>) -> LinkConfig {
    let keys = match codec {
        Some(c) => format!("media = \"{media}\"\ncodec = \"{c}\""),
        None => format!("media = \"{media}\""),
    };
    let text = LINKS.replacen(
        "trunk_group = \"pstn-a\"",
        &format!("trunk_group = \"pstn-a\"\n{keys}"),
        1,
    );
    parse(&text).unwrap().links.remove(0)
}

#[test]
fn a_circuit_port_is_the_base_plus_twice_its_index() {
    let link = media_link("127.0.0.1:40000", None);
    assert_eq!(
        link.media,
        Some(SocketAddr::from((Ipv4Addr::LOCALHOST, 40000)))
    );
    let at = |cic| media_endpoint(&link, cic);
    let local = IpAddr::V4(Ipv4Addr::LOCALHOST);
    assert_eq!(
        at(1),
        Some(MediaEndpoint {
            address: local,
            port: 40000,
            codec: Codec::Pcma
        })
    );
    assert_eq!(at(2).unwrap().port, 40002);
    assert_eq!(at(15).unwrap().port, 40028);
    // CIC 16 is not a circuit of the link (the E1's signalling timeslot); 17 is index 15.
    assert_eq!(at(16), None);
    assert_eq!(at(17).unwrap().port, 40030);
    assert_eq!(at(31).unwrap().port, 40058);
    assert_eq!(at(0), None);
    assert_eq!(at(4095), None);
    // No media configured: no endpoint.
    let plain = parse(LINKS).unwrap().links.remove(0);
    assert_eq!(plain.media, None);
    assert_eq!(media_endpoint(&plain, 1), None);
    // QSIG links number their B-channels the same way.
    let mut pbx = parse(LINKS).unwrap().links.remove(2);
    pbx.media = Some("[::1]:50000".parse().unwrap());
    assert_eq!(
        media_endpoint(&pbx, 17),
        Some(MediaEndpoint {
            address: IpAddr::V6(Ipv6Addr::LOCALHOST),
            port: 50030,
            codec: Codec::Pcma
        })
    );
}

#[test]
fn codecs_are_g711_with_their_static_payload_types() {
    assert_eq!(media_link("127.0.0.1:40000", None).codec, Codec::Pcma);
    assert_eq!(
        media_link("127.0.0.1:40000", Some("pcma")).codec,
        Codec::Pcma
    );
    let mu = media_link("127.0.0.1:40000", Some("pcmu"));
    assert_eq!(media_endpoint(&mu, 1).unwrap().codec, Codec::Pcmu);
    // RFC 3551 table 4
    assert_eq!(Codec::Pcmu.payload_type(), 0);
    assert_eq!(Codec::Pcma.payload_type(), 8);
    assert_eq!(Codec::Pcmu.rtpmap(), "PCMU/8000");
    assert_eq!(Codec::Pcma.rtpmap(), "PCMA/8000");
}

#[test]
fn the_sdp_of_a_circuit_parses_back_to_its_endpoint() {
    for (endpoint, addrtype) in [
        (
            MediaEndpoint {
                address: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7)),
                port: 40002,
                codec: Codec::Pcma,
            },
            "IP4",
        ),
        (
            MediaEndpoint {
                address: IpAddr::V6(Ipv6Addr::LOCALHOST),
                port: 50000,
                codec: Codec::Pcmu,
            },
            "IP6",
        ),
    ] {
        let text = sdp_for(&endpoint, 4711, 2);
        assert!(text.ends_with("\r\n") && !text.contains("\n\n"), "{text}");
        let sdp = Sdp::parse(text.as_bytes()).expect("our SDP parses");
        // the writer gives the same octets back (nothing was lost)
        assert_eq!(sdp.to_bytes(), text.as_bytes());
        let o = sdp.origin().expect("o=");
        assert_eq!(o.session_id, "4711");
        assert_eq!(o.session_version, 2);
        assert_eq!(o.addrtype, addrtype);
        assert_eq!(o.address, endpoint.address.to_string());
        let c = sdp.connection().expect("c=");
        assert_eq!((c.nettype.as_str(), c.addrtype.as_str()), ("IN", addrtype));
        assert_eq!(c.address.parse::<IpAddr>().unwrap(), endpoint.address);
        let [m] = sdp.media.as_slice() else {
            panic!("one media section: {text}");
        };
        assert_eq!(m.m.media, "audio");
        assert_eq!(m.m.proto, "RTP/AVP");
        assert_eq!(m.port(), endpoint.port);
        assert_eq!(m.payload_types(), vec![endpoint.codec.payload_type()]);
        let maps = m.rtpmaps();
        assert_eq!(maps.len(), 1);
        assert_eq!(maps[0].payload_type, endpoint.codec.payload_type());
        assert_eq!(
            format!("{}/{}", maps[0].encoding, maps[0].clock_rate),
            endpoint.codec.rtpmap()
        );
        assert_eq!(m.attributes("ptime").collect::<Vec<_>>(), vec![Some("20")]);
        assert_eq!(m.direction(&sdp), Direction::SendRecv);
        assert!(
            text.contains("\r\nt=0 0\r\n") && text.contains("\r\ns="),
            "{text}"
        );
    }
}

// ---------------------------------------------------------------- configuration errors

#[test]
fn new_keys_are_checked_with_file_line_and_field() {
    let route = |keys: &str| format!("{LINKS}\n[[route]]\nprefix = \"+49\"\n{keys}\n");
    // the route starts on the line after LINKS and the blank line
    let first = LINKS.lines().count() + 2;
    let cases: &[(String, usize, &str, &str)] = &[
        (
            route("to = \"http://x\""),
            first + 2,
            "route[0].to",
            "\"http://x\" is neither a SIP/tel URI nor trunk:GROUP",
        ),
        (
            route("to = \"trunk:nowhere\""),
            first + 2,
            "route[0].to",
            "no link has trunk_group \"nowhere\"",
        ),
        (
            route("to = \"trunk:\""),
            first + 2,
            "route[0].to",
            "\"trunk:\" is neither a SIP/tel URI nor trunk:GROUP",
        ),
        (
            route("to = \"trunk:pbx\"\nalternates = [\"sip:a@b\",\n  \"trunk:pstn-z\"]"),
            first + 4,
            "route[0].alternates[1]",
            "no link has trunk_group \"pstn-z\"",
        ),
        (
            route("to = \"trunk:pbx\"\nstrip = 33"),
            first + 3,
            "route[0].strip",
            "33 is outside 0..=32",
        ),
        (
            route("to = \"trunk:pbx\"\nprepend = \"0x\""),
            first + 3,
            "route[0].prepend",
            "\"0x\" is not digits (optionally after +)",
        ),
        (
            route("to = \"trunk:pbx\"\nnoa = \"intl\""),
            first + 3,
            "route[0].noa",
            "\"intl\": expected \"international\", \"national\", \"subscriber\" or \"unknown\"",
        ),
        (
            route("to = \"trunk:pbx\"\ncause_to_status = { 18 = 200 }"),
            first + 3,
            "route[0].cause_to_status.18",
            "200 is outside 300..=699",
        ),
        (
            route("to = \"trunk:pbx\"\ncause_to_status = { 128 = 480 }"),
            first + 3,
            "route[0].cause_to_status.128",
            "key \"128\" is not a number within 1..=127",
        ),
        (
            route("to = \"trunk:pbx\"\nstatus_to_cause = { 480 = 0 }"),
            first + 3,
            "route[0].status_to_cause.480",
            "0 is outside 1..=127",
        ),
        (
            route("to = \"trunk:pbx\"\nstatus_to_cause = { abc = 18 }"),
            first + 3,
            "route[0].status_to_cause.abc",
            "key \"abc\" is not a number within 300..=699",
        ),
        (
            format!(
                "{}\n[[route]]\nprefix = \"+49\"\nto = \"trunk:pbx\"\n",
                route("to = \"trunk:pbx\"")
            ),
            first + 4,
            "route[1].prefix",
            "\"+49\" is also route[0]'s prefix",
        ),
    ];
    for (text, line, field, message) in cases {
        let e = parse(text).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("gw.toml:{line}: {field}: {message}"),
            "{text}"
        );
    }
}

#[test]
fn new_link_keys_are_checked() {
    let link = |keys: &str| {
        LINKS.replacen(
            "trunk_group = \"pstn-a\"",
            &format!("trunk_group = \"pstn-a\"\n{keys}"),
            1,
        )
    };
    let line = 11; // the line after trunk_group of the first link
    for (keys, field, message) in [
        (
            "selection = \"random\"",
            "link[0].selection",
            "\"random\": expected \"sequential\", \"round-robin\", \"odd\", \"even\" or \"auto\"",
        ),
        (
            "codec = \"g729\"",
            "link[0].codec",
            "\"g729\": expected \"pcma\" or \"pcmu\"",
        ),
        (
            "media = \"localhost\"",
            "link[0].media",
            "\"localhost\" is not ADDRESS:PORT (the RTP base port)",
        ),
        (
            "media = \"127.0.0.1:40001\"",
            "link[0].media",
            "base port 40001 must be even and leave room for 30 RTP/RTCP port pairs",
        ),
        (
            "media = \"127.0.0.1:65480\"",
            "link[0].media",
            "base port 65480 must be even and leave room for 30 RTP/RTCP port pairs",
        ),
    ] {
        let e = parse(&link(keys)).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("gw.toml:{line}: {field}: {message}"),
            "{keys}"
        );
    }
    // 65474 + 2 * 29 + 1 = 65533: the last RTCP port fits
    assert!(parse(&link("media = \"127.0.0.1:65474\"")).is_ok());
}

#[test]
fn the_sample_config_loads_and_routes() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/config/routes.toml");
    let c = Config::load(&path).expect("fixtures/config/routes.toml is valid");
    assert_eq!(c.links[1].codec, Codec::Pcmu);
    assert_eq!(c.links[1].selection, SelectionPolicy::RoundRobin);
    let t = RouteTable::from_config(&c).unwrap();
    let d = lookup(&t, "+4930123");
    assert_eq!(d.targets.len(), 3);
    assert_eq!(lookup(&t, "+4989123").number, "89123");
    assert_eq!(lookup(&t, "030123").number, "+4930123");
    assert_eq!(lookup(&t, "1555").number, "+1555");
}

#[test]
fn a_hand_built_config_is_checked_again() {
    let mut c = parse(&format!(
        "{LINKS}\n[[route]]\nprefix = \"\"\nto = \"trunk:pbx\"\n"
    ))
    .unwrap();
    c.routes[0].alternates.push("trunk:gone".into());
    let e = RouteTable::from_config(&c).unwrap_err();
    assert_eq!(e.to_string(), "no link has trunk_group \"gone\"");
    c.routes[0].alternates.clear();
    c.routes.push(c.routes[0].clone());
    let e = RouteTable::from_config(&c).unwrap_err();
    assert_eq!(e.to_string(), "\"\" is the prefix of two routes");
    c.routes.truncate(1);
    c.routes[0].prefix = "4x".into();
    assert!(RouteTable::from_config(&c).is_err());
}

// ---------------------------------------------------------------- the command

fn sipt_mgc(args: &[&str]) -> Output {
    Command::new(support::sipt_mgc())
        .args(args)
        .output()
        .expect("running sipt-mgc")
}

const COMMAND_CONFIG: &str = r#"
[[link]]
name = "e1-0"
protocol = "isup"
transport = "frames"
path = "unix:/tmp/e1-0.sock"
opc = 1
dpc = 2
cics = "1-31"
trunk_group = "pstn-a"

[[route]]
prefix = "+4930"
to = "sip:{number}@127.0.0.1:5070"
alternates = ["trunk:pstn-a"]
cause_to_status = { 18 = 480 }

[[route]]
prefix = "+49"
strip = 3
noa = "national"
to = "trunk:pstn-a"
"#;

#[test]
fn route_command_prints_the_decision() {
    let dir = SocketDir::new("route");
    let config = dir.write("gw.toml", COMMAND_CONFIG);
    let out = sipt_mgc(&["route", "--config", &config, "+4930123"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text,
        "+4930123: route \"+4930\"\n\
         \x20 number:    +4930123\n\
         \x20 noa:       from the number (international)\n\
         \x20 target:    sip:+4930123@127.0.0.1:5070\n\
         \x20 alternate: trunk:pstn-a\n\
         \x20 causes:    rfc3398 with cause 18 -> 480\n"
    );
    let out = sipt_mgc(&["route", "--config", &config, "+4989123"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("number:    89123\n"), "{text}");
    assert!(text.contains("noa:       national\n"), "{text}");
    assert!(text.contains("target:    trunk:pstn-a\n"), "{text}");
}

#[test]
fn route_command_no_route_is_exit_1_with_one_line() {
    let dir = SocketDir::new("route");
    let config = dir.write("gw.toml", COMMAND_CONFIG);
    let out = sipt_mgc(&["route", "--config", &config, "+1555"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err, "sipt-mgc route: +1555: no route\n");
}

#[test]
fn route_command_bad_config_is_exit_2_naming_the_line() {
    let dir = SocketDir::new("route");
    let bad = COMMAND_CONFIG.replace(
        "alternates = [\"trunk:pstn-a\"]",
        "alternates = [\"trunk:pstn-b\"]",
    );
    let config = dir.write("bad.toml", &bad);
    let out = sipt_mgc(&["route", "--config", &config, "+4930123"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.ends_with(":15: route[0].alternates[0]: no link has trunk_group \"pstn-b\"\n"),
        "{err}"
    );
    assert!(
        err.starts_with(&format!("sipt-mgc route: {config}")),
        "{err}"
    );
    // a missing file is a config error too
    let out = sipt_mgc(&[
        "route",
        "--config",
        &dir.path("none.toml").to_string_lossy(),
        "1",
    ]);
    assert_eq!(out.status.code(), Some(2));

    // check-config validates the new keys as well
    let out = sipt_mgc(&["check-config", &config]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("route[0].alternates[0]"), "{err}");
    let good = dir.write("good.toml", COMMAND_CONFIG);
    let out = sipt_mgc(&["check-config", &good]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .contains("2 route(s)"));
}

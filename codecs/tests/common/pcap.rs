//! A classic libpcap file writer (the format of pcap-savefile(5)): a 24-octet global header and
//! a 16-octet header per record. Written here because the only maintained crate for it
//! (pcap-file) is a pre-release, and the format is a few lines.

use std::path::Path;

/// Link-layer header types (LINKTYPE_* of tcpdump.org/linktypes.html).
pub const LINKTYPE_RAW: u32 = 101; // IPv4/IPv6 packets, no link header
pub const LINKTYPE_MTP2_WITH_PHDR: u32 = 139;
pub const LINKTYPE_MTP2: u32 = 140;
pub const LINKTYPE_MTP3: u32 = 141;
pub const LINKTYPE_LINUX_LAPD: u32 = 177;
pub const LINKTYPE_LAPD: u32 = 203; // Q.921 frame, no pseudo-header
pub const LINKTYPE_USER0: u32 = 147;

/// The octets of a pcap file holding `records` of `linktype`, one second apart.
pub fn build(linktype: u32, records: &[Vec<u8>]) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes()); // magic, microsecond timestamps
    f.extend_from_slice(&2u16.to_le_bytes()); // version 2.4
    f.extend_from_slice(&4u16.to_le_bytes());
    f.extend_from_slice(&0i32.to_le_bytes()); // thiszone
    f.extend_from_slice(&0u32.to_le_bytes()); // sigfigs
    f.extend_from_slice(&65535u32.to_le_bytes()); // snaplen
    f.extend_from_slice(&linktype.to_le_bytes());
    for (i, r) in records.iter().enumerate() {
        f.extend_from_slice(&(1_700_000_000u32 + i as u32).to_le_bytes());
        f.extend_from_slice(&0u32.to_le_bytes());
        f.extend_from_slice(&(r.len() as u32).to_le_bytes());
        f.extend_from_slice(&(r.len() as u32).to_le_bytes());
        f.extend_from_slice(r);
    }
    f
}

/// Writes a pcap file.
pub fn write(path: &Path, linktype: u32, records: &[Vec<u8>]) {
    std::fs::write(path, build(linktype, records))
        .unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}

/// An IPv4 + UDP packet (for LINKTYPE_RAW) from 127.0.0.1:`sport` to 127.0.0.1:`dport`,
/// checksums zero (allowed for UDP over IPv4; tshark does not check the IP one by default).
pub fn ipv4_udp(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let udp_len = 8 + payload.len();
    let total = 20 + udp_len;
    let mut p = Vec::with_capacity(total);
    p.extend_from_slice(&[0x45, 0x00]);
    p.extend_from_slice(&(total as u16).to_be_bytes());
    p.extend_from_slice(&[0, 0, 0x40, 0x00, 64, 17, 0, 0]);
    p.extend_from_slice(&[127, 0, 0, 1, 127, 0, 0, 1]);
    let sum = {
        let mut s: u32 = 0;
        for c in p.chunks(2) {
            s += u32::from(u16::from_be_bytes([c[0], c[1]]));
        }
        while s > 0xffff {
            s = (s & 0xffff) + (s >> 16);
        }
        !(s as u16)
    };
    p[10..12].copy_from_slice(&sum.to_be_bytes());
    p.extend_from_slice(&sport.to_be_bytes());
    p.extend_from_slice(&dport.to_be_bytes());
    p.extend_from_slice(&(udp_len as u16).to_be_bytes());
    p.extend_from_slice(&[0, 0]);
    p.extend_from_slice(payload);
    p
}

//! Shared by the integration tests of sipt-codecs: the fixture runner, a pcap writer and a
//! tshark runner. Each test file uses the parts it needs.
#![allow(dead_code)]

pub mod fixtures;
pub mod isup;
pub mod pcap;
pub mod tshark;

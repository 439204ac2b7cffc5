//! `sipt-mgc decode KIND HEX` (being written).

//! SS7: MTP level 2 (Q.703) and level 3 (Q.704, Q.707) as sans-IO state machines.

pub mod l2;
pub mod mtp2;
pub mod mtp3;
pub mod stack;

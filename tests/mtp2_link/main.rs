//! MTP2 (Q.703) link scenarios between two `Mtp2` machines on a simulated 64 kbit/s line,
//! all in simulated time: alignment, error correction, flow control, processor outage,
//! retrieval, the error rate monitors, and properties over random line faults.

mod pair;

mod alignment;
mod monitors;
mod outage;
mod properties;
mod transfer;

//! SLTC, signalling link test control (ITU-T Q.707 2 and 5).
//!
//! When level 2 puts a link in service, and every T2 after, an SLTM with a test pattern is sent
//! on the link with its SLC in the label; the far end answers with an SLTA carrying the same
//! pattern. The test passes when an SLTA arrives on the link within T1 with the link's SLC, the
//! adjacent point as OPC and the pattern sent; only then does the link carry traffic. A test
//! that fails (T1 expires, or the SLTA does not match) is repeated once; a second failure
//! restarts the link (Q.707 2.2; the SLTA of the far end as libss7 sends it echoes the SLC of the
//! SLTM, as Q.707 5 wants).

use sipt_codecs::mtp3::{RoutingLabel, TestMessage, TestPattern};

use super::{LinkFailure, LinkStatus, LinkTimer, Mtp3};
use crate::ss7::l2::LinkId;
use crate::time::Instant;

impl Mtp3 {
    /// Sends an SLTM on link `slc` and starts T1; `attempt` is 1 or 2.
    pub(super) fn start_link_test(&mut self, now: Instant, slc: LinkId, attempt: u8) {
        let (apc, t1) = (self.cfg.apc, self.cfg.timers.slt_t1);
        let Some(link) = self.link_mut(slc) else {
            return;
        };
        link.slt_serial = link.slt_serial.wrapping_add(1);
        // A pattern that differs from test to test, so that a late SLTA of an earlier test does
        // not pass this one: "SIPT", the SLC, a serial number.
        link.slt_pattern = vec![0x53, 0x49, 0x50, 0x54, slc, link.slt_serial];
        link.slt_attempt = attempt;
        link.stats.sltm_tx += 1;
        link.start_timer(LinkTimer::SltT1, now, t1);
        link.stop_timer(LinkTimer::SltT2);
        let msg = TestMessage::Sltm(TestPattern::new(link.slt_pattern.clone()));
        self.send_test(slc, apc, slc, msg);
    }

    /// A test message (service indicator MTN) arrived on link `rx`.
    pub(super) fn test_message(
        &mut self,
        now: Instant,
        rx: LinkId,
        label: RoutingLabel,
        msg: TestMessage,
    ) {
        match msg {
            TestMessage::Sltm(p) => {
                // Answer on the link it came in on, with its SLC and pattern (Q.707 2.2).
                if let Some(link) = self.link_mut(rx) {
                    link.stats.sltm_answered += 1;
                }
                let answer = TestMessage::Slta(TestPattern::new(p.pattern));
                self.send_test(rx, label.opc, label.slc(), answer);
            }
            TestMessage::Slta(p) => self.slta_received(now, rx, label, &p.pattern),
            TestMessage::Other { .. } => self.stats.snm_unexpected += 1,
        }
    }

    fn slta_received(&mut self, now: Instant, rx: LinkId, label: RoutingLabel, pattern: &[u8]) {
        let (apc, t2) = (self.cfg.apc, self.cfg.timers.slt_t2);
        let Some(link) = self.link_mut(rx) else {
            return;
        };
        if !link.timer_running(LinkTimer::SltT1) {
            // No test waiting: a late or unsolicited SLTA.
            link.stats.slta_mismatch += 1;
            return;
        }
        link.stop_timer(LinkTimer::SltT1);
        let passed =
            label.opc == apc && label.slc() == rx && pattern == link.slt_pattern.as_slice();
        if !passed {
            link.stats.slta_mismatch += 1;
            self.test_attempt_failed(now, rx);
            return;
        }
        link.stats.slt_passed += 1;
        link.start_timer(LinkTimer::SltT2, now, t2);
        if link.status == LinkStatus::Testing {
            self.link_available(now, rx);
        }
    }

    pub(super) fn slt_t1_expired(&mut self, now: Instant, slc: LinkId) {
        self.test_attempt_failed(now, slc);
    }

    /// Q.707 2.2: repeat a failed test once; restart the link after the second failure.
    fn test_attempt_failed(&mut self, now: Instant, slc: LinkId) {
        let Some(link) = self.link_mut(slc) else {
            return;
        };
        if !matches!(link.status, LinkStatus::Testing | LinkStatus::Available) {
            return;
        }
        if link.slt_attempt < 2 {
            self.start_link_test(now, slc, 2);
        } else {
            link.stats.slt_failures += 1;
            self.stop_link(now, slc, LinkFailure::TestFailed);
        }
    }

    /// Q.707 T2: the periodic test of a link in service.
    pub(super) fn slt_t2_expired(&mut self, now: Instant, slc: LinkId) {
        let Some(link) = self.link(slc) else {
            return;
        };
        if link.status == LinkStatus::Available && !link.timer_running(LinkTimer::SltT1) {
            self.start_link_test(now, slc, 1);
        }
    }
}

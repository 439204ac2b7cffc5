//! The shell of one QSIG D-channel: [`DChannel`] (Q.921 and the QSIG call layer) over one
//! [`sipt_hardware::Link`]. A D-channel has no fill-in to make (idle HDLC flags carry
//! nothing a frames transport would pass up), and Q.921 finds a dead far end by itself (T203
//! polling, T200/N200), so this shell only moves frames and time.

use sipt_hardware::{Link, LinkEvent, TransportConfig};

use super::{sleep_until, Clock, Notice};
use crate::isdn::dchannel::DChannel;
use crate::time::{earliest, Instant};

/// One D-channel attached to its transport.
#[derive(Debug)]
pub struct DChannelShell {
    clock: Clock,
    dchannel: DChannel,
    link: Link,
    /// A frame is due but the transport queue was full.
    blocked: bool,
}

impl DChannelShell {
    /// Opens the transport and starts multiple frame establishment on it. Fails only when
    /// the transport cannot be set up at all. Must run inside a tokio runtime.
    pub fn spawn(
        clock: Clock,
        mut dchannel: DChannel,
        transport: &TransportConfig,
    ) -> Result<DChannelShell, sipt_hardware::Error> {
        let link = Link::spawn(transport)?;
        dchannel.start(clock.now());
        let mut shell = DChannelShell {
            clock,
            dchannel,
            link,
            blocked: false,
        };
        shell.flush();
        Ok(shell)
    }

    /// The layers' time now.
    pub fn now(&self) -> Instant {
        self.clock.now()
    }

    /// The clock the shell runs on.
    pub fn clock(&self) -> Clock {
        self.clock
    }

    /// The D-channel, for call control (commands through [`DChannel::with_calls`], events).
    /// Call [`DChannelShell::flush`] after giving it something to send.
    pub fn dchannel(&mut self) -> &mut DChannel {
        &mut self.dchannel
    }

    /// The transport statistics.
    pub fn stats(&self) -> sipt_hardware::StatsSnapshot {
        self.link.stats().snapshot()
    }

    /// For a link on a new PTY: the slave path the far end opens.
    pub fn pty_path(&self) -> Option<&std::path::Path> {
        self.link.pty_path()
    }

    /// Waits for a frame or notice from the transport, a timer of the D-channel, or
    /// `deadline`, whichever is first; hands it in and sends what is due. Cancel-safe.
    pub async fn step(&mut self, deadline: Option<Instant>) -> Option<Notice> {
        self.flush();
        let mut wake = earliest(deadline, self.dchannel.poll_timeout());
        if self.blocked {
            wake = earliest(
                wake,
                Some(self.clock.now() + std::time::Duration::from_millis(1)),
            );
        }
        let notice = tokio::select! {
            // A frame waiting is taken before a timer (as in the MTP shell).
            biased;
            e = self.link.recv() => match e {
                Some(e) => self.handle(e),
                None => {
                    sleep_until(&self.clock, wake).await;
                    None
                }
            },
            () = sleep_until(&self.clock, wake) => None,
        };
        let now = self.clock.now();
        if self.dchannel.poll_timeout().is_some_and(|t| t <= now) {
            self.dchannel.handle_timeout(now);
        }
        self.flush();
        notice
    }

    fn handle(&mut self, event: LinkEvent) -> Option<Notice> {
        let now = self.clock.now();
        match event {
            LinkEvent::Frame(frame) => {
                self.dchannel.handle_frame(now, &frame);
                None
            }
            // Q.921 4.3 / 5.8.4: a frame with a bad FCS is discarded without action; the
            // procedures recover by T200.
            LinkEvent::RxError(error) => Some(Notice::RxError { link: 0, error }),
            LinkEvent::Established => Some(Notice::Established { link: 0 }),
            LinkEvent::Lost(error) => Some(Notice::Lost { link: 0, error }),
        }
    }

    /// Sends every frame the D-channel has, while the transport has room.
    pub fn flush(&mut self) {
        let now = self.clock.now();
        let sender = self.link.sender();
        self.blocked = false;
        loop {
            if !sender.has_room() {
                self.blocked = true;
                return;
            }
            let mut frame = Vec::new();
            if !self.dchannel.poll_transmit(now, &mut frame) {
                return;
            }
            // A frame refused (too long for the transport, link task gone) is lost as on a
            // line hit; Q.921's T200 recovers it.
            let _ = sender.try_send_frame(frame);
        }
    }
}

//! DAHDI HDLC channels: the `frames` transport on a T1/E1 card (`/dev/dahdi/channel:N`).
//!
//! Written from DAHDI's `include/dahdi/user.h` (ioctl numbers, `struct dahdi_bufferinfo`,
//! event codes) and the way chan_dahdi opens libpri/libss7 signalling channels: open the
//! channel selector non-blocking, `DAHDI_SPECIFY` the channel number, `DAHDI_SET_BUFINFO` with
//! the immediate policy on both directions and 32 buffers of 1024 octets. The channel must be
//! configured for HDLC with FCS (`hardhdlc`/`dchan`/`mtp2` in system.conf): the card then
//! checks and generates the FCS, and each read is one frame followed by its 2 FCS octets.
//!
//! When a read fails with `ELAST` (500), a channel event is pending: `DAHDI_GETEVENT` fetches
//! it. Events are also signalled to poll(2) as POLLPRI, which is why the descriptor is
//! registered for priority readiness.
//!
//! **Untested on a card**: this machine has no DAHDI hardware or kernel modules. The unit
//! tests check the ioctl numbers and the struct layout against the header's definitions.

use std::ffi::c_int;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use tokio::io::unix::AsyncFd;
use tokio::io::{Interest, Ready};

/// `DAHDI_CODE`, the ioctl type of every DAHDI ioctl.
pub const DAHDI_CODE: u8 = 0xDA;
/// `ELAST`: the errno of a read or write while a channel event is pending.
pub const ELAST: i32 = 500;

/// `DAHDI_POLICY_IMMEDIATE`: start play/record immediately.
pub const POLICY_IMMEDIATE: c_int = 0;
/// The number of buffers chan_dahdi gives a signalling channel.
pub const SIGNALLING_NUMBUFS: c_int = 32;
/// The buffer size chan_dahdi gives a signalling channel: room for the longest frame.
pub const SIGNALLING_BUFSIZE: c_int = 1024;

/// `DAHDI_EVENT_NONE`.
pub const EVENT_NONE: c_int = 0;
/// `DAHDI_EVENT_ALARM`: the span went into alarm.
pub const EVENT_ALARM: c_int = 4;
/// `DAHDI_EVENT_NOALARM`: the span came out of alarm.
pub const EVENT_NOALARM: c_int = 5;
/// `DAHDI_EVENT_ABORT`: an HDLC abort was received.
pub const EVENT_ABORT: c_int = 6;
/// `DAHDI_EVENT_OVERRUN`: an HDLC frame overran the receive buffer.
pub const EVENT_OVERRUN: c_int = 7;
/// `DAHDI_EVENT_BADFCS`: a frame with a bad FCS was received and dropped.
pub const EVENT_BADFCS: c_int = 8;
/// `DAHDI_EVENT_REMOVED`: the channel was disconnected (its device went away).
pub const EVENT_REMOVED: c_int = 20;

/// `struct dahdi_bufferinfo` of dahdi/user.h.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BufferInfo {
    /// Policy for transmit buffers (`DAHDI_POLICY_*`).
    pub txbufpolicy: c_int,
    /// Policy for receive buffers.
    pub rxbufpolicy: c_int,
    /// How many buffers to use.
    pub numbufs: c_int,
    /// How big each buffer is.
    pub bufsize: c_int,
    /// How many read buffers are full (read-only).
    pub readbufs: c_int,
    /// How many write buffers are full (read-only).
    pub writebufs: c_int,
}

mod ioctl {
    use super::{BufferInfo, DAHDI_CODE};
    use std::ffi::c_int;

    // DAHDI_SPECIFY: _IOW(DAHDI_CODE, 38, int)
    nix::ioctl_write_ptr!(specify, DAHDI_CODE, 38, c_int);
    // DAHDI_SET_BUFINFO: _IOW(DAHDI_CODE, 27, struct dahdi_bufferinfo)
    nix::ioctl_write_ptr!(set_bufinfo, DAHDI_CODE, 27, BufferInfo);
    // DAHDI_GETEVENT: _IOR(DAHDI_CODE, 8, int)
    nix::ioctl_read!(get_event, DAHDI_CODE, 8, c_int);
}

/// The request number of `DAHDI_SPECIFY`.
pub const DAHDI_SPECIFY: u64 =
    nix::request_code_write!(DAHDI_CODE, 38, std::mem::size_of::<c_int>()) as u64;
/// The request number of `DAHDI_SET_BUFINFO`.
pub const DAHDI_SET_BUFINFO: u64 =
    nix::request_code_write!(DAHDI_CODE, 27, std::mem::size_of::<BufferInfo>()) as u64;
/// The request number of `DAHDI_GETEVENT`.
pub const DAHDI_GETEVENT: u64 =
    nix::request_code_read!(DAHDI_CODE, 8, std::mem::size_of::<c_int>()) as u64;

/// What one read of a DAHDI channel gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DahdiRead {
    /// A frame of this many octets (FCS included) is in the buffer.
    Frame(usize),
    /// A channel event (`DAHDI_EVENT_*`).
    Event(c_int),
}

/// An open DAHDI channel in HDLC mode.
#[derive(Debug)]
pub struct DahdiChannel {
    file: AsyncFd<File>,
    channel: u16,
}

impl DahdiChannel {
    /// Opens `device` (the channel selector `/dev/dahdi/channel`), selects `channel` and sets
    /// the signalling buffer policy.
    pub fn open(device: &Path, channel: u16) -> io::Result<DahdiChannel> {
        let file = File::options()
            .read(true)
            .write(true)
            .custom_flags(nix::libc::O_NONBLOCK)
            .open(device)?;
        let fd = file.as_raw_fd();
        let chan = c_int::from(channel);
        // SAFETY: `fd` is open for the duration of the call; DAHDI_SPECIFY reads one int
        // through the pointer, which points to a live c_int.
        unsafe { ioctl::specify(fd, &chan) }?;
        let info = BufferInfo {
            txbufpolicy: POLICY_IMMEDIATE,
            rxbufpolicy: POLICY_IMMEDIATE,
            numbufs: SIGNALLING_NUMBUFS,
            bufsize: SIGNALLING_BUFSIZE,
            readbufs: 0,
            writebufs: 0,
        };
        // SAFETY: as above; DAHDI_SET_BUFINFO reads one struct dahdi_bufferinfo, whose layout
        // BufferInfo repeats (#[repr(C)], six ints).
        unsafe { ioctl::set_bufinfo(fd, &info) }?;
        let file = crate::fd::register(
            file,
            Interest::READABLE | Interest::WRITABLE | Interest::PRIORITY,
        )?;
        Ok(DahdiChannel { file, channel })
    }

    /// The DAHDI channel number.
    pub fn channel(&self) -> u16 {
        self.channel
    }

    fn get_event(&self) -> io::Result<c_int> {
        let mut event: c_int = EVENT_NONE;
        // SAFETY: the descriptor is open; DAHDI_GETEVENT writes one int to a live c_int.
        unsafe { ioctl::get_event(self.file.get_ref().as_raw_fd(), &mut event) }?;
        Ok(event)
    }

    /// Reads one frame (with its 2 FCS octets) or the next channel event.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<DahdiRead> {
        loop {
            let mut guard = self
                .file
                .ready(Interest::READABLE | Interest::PRIORITY)
                .await?;
            if guard.ready().is_priority() {
                guard.clear_ready_matching(Ready::PRIORITY);
                match self.get_event()? {
                    EVENT_NONE => {}
                    event => return Ok(DahdiRead::Event(event)),
                }
            }
            let mut file: &File = guard.get_inner();
            match file.read(buf) {
                Ok(n) => return Ok(DahdiRead::Frame(n)),
                Err(e) if e.raw_os_error() == Some(ELAST) => {
                    return Ok(DahdiRead::Event(self.get_event()?));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    guard.clear_ready_matching(Ready::READABLE);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Writes one frame (with 2 FCS octets the card replaces).
    pub async fn send(&self, data: &[u8]) -> io::Result<usize> {
        loop {
            let mut guard = self.file.writable().await?;
            let mut file: &File = guard.get_inner();
            match file.write(data) {
                // An event is pending: the frame was not taken. The reader fetches the event
                // (POLLPRI); try again shortly.
                Err(e) if e.raw_os_error() == Some(ELAST) => {
                    drop(guard);
                    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => guard.clear_ready(),
                other => return other,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `_IOC(dir, type, nr, size)` of Linux's asm-generic/ioctl.h, which x86, ARM and RISC-V
    /// use: nr in bits 0-7, type in 8-15, size in 16-29, direction in 30-31 (write 1, read 2).
    fn ioc(dir: u64, ty: u64, nr: u64, size: u64) -> u64 {
        (dir << 30) | (size << 16) | (ty << 8) | nr
    }

    #[test]
    fn struct_layout_as_in_user_h() {
        // struct dahdi_bufferinfo: six ints, no padding.
        assert_eq!(std::mem::size_of::<BufferInfo>(), 24);
        assert_eq!(std::mem::align_of::<BufferInfo>(), 4);
    }

    #[test]
    #[cfg(any(
        target_arch = "x86_64",
        target_arch = "x86",
        target_arch = "aarch64",
        target_arch = "arm",
        target_arch = "riscv64"
    ))]
    fn ioctl_numbers_as_in_user_h() {
        // #define DAHDI_SPECIFY _IOW(DAHDI_CODE, 38, int)
        assert_eq!(DAHDI_SPECIFY, ioc(1, 0xDA, 38, 4));
        assert_eq!(DAHDI_SPECIFY, 0x4004_DA26);
        // #define DAHDI_SET_BUFINFO _IOW(DAHDI_CODE, 27, struct dahdi_bufferinfo)
        assert_eq!(DAHDI_SET_BUFINFO, ioc(1, 0xDA, 27, 24));
        assert_eq!(DAHDI_SET_BUFINFO, 0x4018_DA1B);
        // #define DAHDI_GETEVENT _IOR(DAHDI_CODE, 8, int)
        assert_eq!(DAHDI_GETEVENT, ioc(2, 0xDA, 8, 4));
        assert_eq!(DAHDI_GETEVENT, 0x8004_DA08);
    }

    #[tokio::test]
    async fn opening_a_missing_device_fails_cleanly() {
        let e = DahdiChannel::open(Path::new("/nonexistent/dahdi/channel"), 16);
        assert!(e.is_err());
    }
}

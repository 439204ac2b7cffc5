//! Pseudo-terminal pairs: the simulator's end of a `serial` link without hardware, and the
//! way tests connect two `serial` ends.
//!
//! [`Pty::open`] opens the master (`posix_openpt`, `grantpt`, `unlockpt`, `ptsname_r`), puts the
//! slave in raw mode (`cfmakeraw`: no echo, no line editing, no CR/NL translation, no XON/XOFF,
//! 8 data bits) and keeps the slave open itself, so that the master never sees a hang-up (reads
//! would fail with EIO while nobody has the slave open) between one far end and the next. The
//! far end opens [`Pty::slave_path`] like any tty (the `serial` transport does so with
//! tokio-serial, which sets raw 8N1 again).

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use nix::fcntl::{fcntl, FcntlArg, OFlag};
use nix::pty::{grantpt, posix_openpt, ptsname_r, unlockpt};
use nix::sys::stat::Mode;
use nix::sys::termios::{cfmakeraw, tcgetattr, tcsetattr, SetArg};
use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A PTY pair: the master, held by this process, and the path of the slave.
#[derive(Debug)]
pub struct Pty {
    master: OwnedFd,
    slave: Option<OwnedFd>,
    slave_path: PathBuf,
}

impl Pty {
    /// Opens a new PTY pair in raw mode.
    pub fn open() -> io::Result<Pty> {
        let master = posix_openpt(OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC)?;
        grantpt(&master)?;
        unlockpt(&master)?;
        let slave_path = PathBuf::from(ptsname_r(&master)?);
        let slave = nix::fcntl::open(
            &slave_path,
            OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )?;
        let mut termios = tcgetattr(&slave)?;
        cfmakeraw(&mut termios);
        tcsetattr(&slave, SetArg::TCSANOW, &termios)?;
        let master = OwnedFd::from(master);
        set_nonblocking(&master)?;
        Ok(Pty {
            master,
            slave: Some(slave),
            slave_path,
        })
    }

    /// The slave's path (`/dev/pts/N`): what the far end opens.
    pub fn slave_path(&self) -> &Path {
        &self.slave_path
    }

    /// Async I/O on the master (a new descriptor for the same master, registered with the
    /// current tokio runtime). Octets written here are read from the slave and the other way.
    pub fn master_io(&self) -> io::Result<PtyIo> {
        let fd = self.master.try_clone()?;
        Ok(PtyIo {
            fd: crate::fd::register_rw(fd)?,
        })
    }

    /// Gives up this process's own descriptor of the slave: once the far end closes it too,
    /// reads on the master fail (EIO), which a [`Link`](crate::Link) treats as a loss.
    pub fn take_slave(&mut self) -> Option<OwnedFd> {
        self.slave.take()
    }
}

fn set_nonblocking(fd: &OwnedFd) -> io::Result<()> {
    let flags = OFlag::from_bits_truncate(fcntl(fd, FcntlArg::F_GETFL)?);
    fcntl(fd, FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK))?;
    Ok(())
}

/// Async reads and writes on a PTY master (or any non-blocking character device descriptor).
#[derive(Debug)]
pub struct PtyIo {
    fd: AsyncFd<OwnedFd>,
}

impl AsyncRead for PtyIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            let mut guard = ready!(self.fd.poll_read_ready(cx))?;
            let unfilled = buf.initialize_unfilled();
            match guard.try_io(|fd| Ok(nix::unistd::read(fd.get_ref().as_fd(), unfilled)?)) {
                Ok(Ok(n)) => {
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                Ok(Err(e)) => return Poll::Ready(Err(e)),
                Err(_would_block) => continue,
            }
        }
    }
}

impl AsyncWrite for PtyIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        loop {
            let mut guard = ready!(self.fd.poll_write_ready(cx))?;
            match guard.try_io(|fd| Ok(nix::unistd::write(fd.get_ref().as_fd(), data)?)) {
                Ok(result) => return Poll::Ready(result),
                Err(_would_block) => continue,
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

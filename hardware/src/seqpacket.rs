//! Unix SOCK_SEQPACKET sockets on tokio (tokio has none): the `unix:` and `unix-listen:` ends
//! of a `frames` link. One `send` is one datagram is one `recv`, boundaries kept, in order,
//! reliable — the semantics of a DAHDI HDLC channel, where one read is one frame.

use std::io;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::sys::socket::{
    accept4, bind, connect, listen, recv, send, socket, socketpair, AddressFamily, Backlog,
    MsgFlags, SockFlag, SockType, UnixAddr,
};
use tokio::io::unix::AsyncFd;

const FLAGS: SockFlag = SockFlag::SOCK_NONBLOCK.union(SockFlag::SOCK_CLOEXEC);

fn new_socket() -> io::Result<OwnedFd> {
    Ok(socket(
        AddressFamily::Unix,
        SockType::SeqPacket,
        FLAGS,
        None,
    )?)
}

/// A connected SOCK_SEQPACKET socket.
#[derive(Debug)]
pub struct SeqpacketSocket {
    fd: AsyncFd<OwnedFd>,
}

impl SeqpacketSocket {
    /// Connects to a listening socket at `path`. Fails at once (ENOENT, ECONNREFUSED, or
    /// EAGAIN when the listener's backlog is full) rather than waiting: the caller retries.
    pub fn connect(path: &Path) -> io::Result<SeqpacketSocket> {
        let fd = new_socket()?;
        let addr = UnixAddr::new(path)?;
        connect(fd.as_raw_fd(), &addr)?;
        Self::from_fd(fd)
    }

    /// A connected pair (`socketpair`).
    pub fn pair() -> io::Result<(SeqpacketSocket, SeqpacketSocket)> {
        let (a, b) = socketpair(AddressFamily::Unix, SockType::SeqPacket, None, FLAGS)?;
        Ok((Self::from_fd(a)?, Self::from_fd(b)?))
    }

    fn from_fd(fd: OwnedFd) -> io::Result<SeqpacketSocket> {
        Ok(SeqpacketSocket {
            fd: crate::fd::register_rw(fd)?,
        })
    }

    /// Receives one datagram into `buf` and returns its length; a longer one is cut to
    /// `buf.len()` but its whole length is returned (`MSG_TRUNC`), so the result may exceed
    /// `buf.len()`. `Ok(0)` is end of file (the peer closed) — or an empty datagram, which no
    /// `frames` peer sends.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.fd
            .async_io(tokio::io::Interest::READABLE, |fd| {
                Ok(recv(
                    fd.as_raw_fd(),
                    buf,
                    MsgFlags::MSG_DONTWAIT | MsgFlags::MSG_TRUNC,
                )?)
            })
            .await
    }

    /// Sends `data` as one datagram. No SIGPIPE: a closed peer is an `EPIPE` error.
    pub async fn send(&self, data: &[u8]) -> io::Result<usize> {
        self.fd
            .async_io(tokio::io::Interest::WRITABLE, |fd| {
                Ok(send(
                    fd.as_raw_fd(),
                    data,
                    MsgFlags::MSG_DONTWAIT | MsgFlags::MSG_NOSIGNAL,
                )?)
            })
            .await
    }
}

/// A listening SOCK_SEQPACKET socket. The socket file is removed when it is dropped (if it is
/// still ours).
#[derive(Debug)]
pub struct SeqpacketListener {
    fd: AsyncFd<OwnedFd>,
    path: PathBuf,
    inode: (u64, u64),
}

impl SeqpacketListener {
    /// Listens at `path`. A stale socket file left by a process that died (nobody accepts on
    /// it) is replaced; a live one is `AddrInUse`.
    pub fn bind(path: &Path) -> io::Result<SeqpacketListener> {
        let fd = new_socket()?;
        let addr = UnixAddr::new(path)?;
        match bind(fd.as_raw_fd(), &addr) {
            Err(Errno::EADDRINUSE) if is_stale_socket(path) => {
                std::fs::remove_file(path)?;
                bind(fd.as_raw_fd(), &addr)?;
            }
            other => other?,
        }
        // One waiting peer beyond the one served: "one peer at a time" (DESIGN.md).
        listen(&fd.as_fd(), Backlog::new(1)?)?;
        let meta = std::fs::metadata(path)?;
        Ok(SeqpacketListener {
            fd: crate::fd::register_rw(fd)?,
            path: path.to_owned(),
            inode: (meta.dev(), meta.ino()),
        })
    }

    /// The path listened on.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Waits for the next peer.
    pub async fn accept(&self) -> io::Result<SeqpacketSocket> {
        let fd = self
            .fd
            .async_io(tokio::io::Interest::READABLE, |fd| {
                Ok(accept4(fd.as_raw_fd(), FLAGS)?)
            })
            .await?;
        // SAFETY: accept4 returned a new descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        SeqpacketSocket::from_fd(fd)
    }
}

impl Drop for SeqpacketListener {
    fn drop(&mut self) {
        if let Ok(meta) = std::fs::metadata(&self.path) {
            if (meta.dev(), meta.ino()) == self.inode {
                let _ = std::fs::remove_file(&self.path);
            }
        }
    }
}

/// Whether `path` is a socket file nobody listens on.
fn is_stale_socket(path: &Path) -> bool {
    let is_socket = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_socket());
    if !is_socket {
        return false;
    }
    match new_socket().and_then(|fd| {
        let addr = UnixAddr::new(path)?;
        connect(fd.as_raw_fd(), &addr)?;
        Ok(())
    }) {
        Err(e) => e.raw_os_error() == Some(Errno::ECONNREFUSED as i32),
        Ok(()) => false,
    }
}

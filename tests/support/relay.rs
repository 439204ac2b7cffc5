//! Unix SOCK_SEQPACKET sockets — the `frames` transport of DESIGN.md, one datagram per HDLC
//! frame plus its 2 FCS octets — and a relay that bridges two of them.
//!
//! std has no SOCK_SEQPACKET, and the test crates have no `libc` dependency, so the three
//! calls that create such a socket (`socket`, `bind`/`listen`, `connect`) are declared here
//! against the C library std links anyway (Linux values). Once created, the descriptor is an
//! ordinary std [`UnixListener`] / [`UnixStream`]: on a SEQPACKET socket `read` returns one
//! datagram and `write` sends one, which is all the relay needs.
//!
//! [`Relay`] listens on two paths, `a.sock` and `b.sock`; a peer connects to each, and every
//! frame from one is passed to the other through a filter that may forward, drop or replace it
//! (the lossy line of the fault tests), with every frame logged with its time. When either side
//! goes away the relay drops the other too, as a broken line would, and waits for a new pair.

use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::raw::{c_char, c_int};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

const AF_UNIX: c_int = 1;
const SOCK_SEQPACKET: c_int = 5;
const SOCK_CLOEXEC: c_int = 0o2_000_000;

#[repr(C)]
struct SockaddrUn {
    sun_family: u16,
    sun_path: [c_char; 108],
}

extern "C" {
    fn socket(domain: c_int, kind: c_int, protocol: c_int) -> c_int;
    fn bind(fd: c_int, addr: *const SockaddrUn, len: u32) -> c_int;
    fn listen(fd: c_int, backlog: c_int) -> c_int;
    fn connect(fd: c_int, addr: *const SockaddrUn, len: u32) -> c_int;
}

fn sockaddr(path: &Path) -> io::Result<SockaddrUn> {
    let bytes = path.as_os_str().as_encoded_bytes();
    let mut addr = SockaddrUn {
        sun_family: AF_UNIX as u16,
        sun_path: [0; 108],
    };
    if bytes.len() >= addr.sun_path.len() || bytes.contains(&0) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("socket path too long or has a NUL: {}", path.display()),
        ));
    }
    for (dst, &src) in addr.sun_path.iter_mut().zip(bytes) {
        *dst = src as c_char;
    }
    Ok(addr)
}

fn seqpacket_socket() -> io::Result<OwnedFd> {
    // SAFETY: socket(2) takes no pointers; a non-negative result is a new descriptor that
    // nothing else owns, so OwnedFd may take it.
    let fd = unsafe { socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: see above: `fd` is open and owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn raw(fd: &OwnedFd) -> c_int {
    use std::os::fd::AsRawFd;
    fd.as_raw_fd()
}

/// A listening SOCK_SEQPACKET socket at `path` (an old socket file there is removed first).
pub fn seqpacket_listen(path: &Path) -> io::Result<UnixListener> {
    let addr = sockaddr(path)?;
    let fd = seqpacket_socket()?;
    let _ = std::fs::remove_file(path);
    // SAFETY: `addr` is a valid sockaddr_un that outlives the call; the length is its size.
    if unsafe { bind(raw(&fd), &addr, std::mem::size_of::<SockaddrUn>() as u32) } < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: no pointers; `fd` is a bound socket we own.
    if unsafe { listen(raw(&fd), 8) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(UnixListener::from(fd))
}

/// Connects a SOCK_SEQPACKET socket to `path`.
pub fn seqpacket_connect(path: &Path) -> io::Result<UnixStream> {
    let addr = sockaddr(path)?;
    let fd = seqpacket_socket()?;
    // SAFETY: `addr` is a valid sockaddr_un that outlives the call; the length is its size.
    if unsafe { connect(raw(&fd), &addr, std::mem::size_of::<SockaddrUn>() as u32) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(UnixStream::from(fd))
}

/// A private directory for socket files, removed on drop. Under the system temporary
/// directory, because a Unix socket path must stay under 108 octets.
pub struct SocketDir {
    path: PathBuf,
}

impl SocketDir {
    pub fn new(tag: &str) -> SocketDir {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let n = COUNT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("sipt-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("creating a socket directory");
        SocketDir { path }
    }

    /// A path for a socket named `name` in this directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// Writes `text` to the file `name` here; returns its path.
    pub fn write(&self, name: &str, text: &str) -> String {
        let p = self.path(name);
        std::fs::write(&p, text).expect("writing a file");
        p.to_str().expect("utf-8").to_owned()
    }
}

impl Drop for SocketDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// The side of the relay a frame came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    A,
    B,
}

/// What the filter decides for one frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Forward,
    Drop,
    /// Send these octets instead (e.g. a corrupted FCS).
    Replace(Vec<u8>),
}

/// One frame that passed the relay, as it arrived, with the filter's verdict.
#[derive(Debug, Clone)]
pub struct RelayedFrame {
    /// Since the relay started.
    pub at: Duration,
    pub from: Side,
    pub bytes: Vec<u8>,
    pub verdict: Verdict,
}

type Filter = Box<dyn FnMut(Side, &[u8]) -> Verdict + Send>;

struct Shared {
    started: Instant,
    frames: Mutex<Vec<RelayedFrame>>,
    filter: Mutex<Filter>,
    live: Mutex<Vec<UnixStream>>,
    stop: AtomicBool,
    sessions: AtomicUsize,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Two SOCK_SEQPACKET listeners bridged frame by frame. See the module documentation.
pub struct Relay {
    dir: SocketDir,
    shared: Arc<Shared>,
}

impl Relay {
    /// Listens on `a.sock` and `b.sock` in a new socket directory and starts relaying.
    pub fn start(tag: &str) -> Relay {
        let dir = SocketDir::new(tag);
        let a = seqpacket_listen(&dir.path("a.sock")).expect("relay: listening on a.sock");
        let b = seqpacket_listen(&dir.path("b.sock")).expect("relay: listening on b.sock");
        let shared = Arc::new(Shared {
            started: Instant::now(),
            frames: Mutex::new(Vec::new()),
            filter: Mutex::new(Box::new(|_, _| Verdict::Forward)),
            live: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
            sessions: AtomicUsize::new(0),
        });
        let s = Arc::clone(&shared);
        thread::Builder::new()
            .name(format!("relay-{tag}"))
            .spawn(move || accept_loop(&s, &a, &b))
            .expect("relay: starting its thread");
        Relay { dir, shared }
    }

    /// Where side A's peer connects.
    pub fn path_a(&self) -> PathBuf {
        self.dir.path("a.sock")
    }

    /// Where side B's peer connects.
    pub fn path_b(&self) -> PathBuf {
        self.dir.path("b.sock")
    }

    /// Replaces the filter (by default every frame is forwarded).
    pub fn set_filter(&self, f: impl FnMut(Side, &[u8]) -> Verdict + Send + 'static) {
        *lock(&self.shared.filter) = Box::new(f);
    }

    /// Every frame so far, in the order the relay saw them.
    pub fn frames(&self) -> Vec<RelayedFrame> {
        lock(&self.shared.frames).clone()
    }

    /// How many A-B pairs have been bridged so far.
    pub fn sessions(&self) -> usize {
        self.shared.sessions.load(Ordering::SeqCst)
    }

    /// Breaks the line: both peers lose their connection; the relay then waits for a new pair.
    pub fn cut(&self) {
        for s in lock(&self.shared.live).drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.cut();
        // Wake the accept loop wherever it waits.
        let _ = seqpacket_connect(&self.path_a());
        let _ = seqpacket_connect(&self.path_b());
    }
}

fn accept_loop(shared: &Arc<Shared>, la: &UnixListener, lb: &UnixListener) {
    while !shared.stop.load(Ordering::SeqCst) {
        let Ok((a, _)) = la.accept() else { return };
        let Ok((b, _)) = lb.accept() else { return };
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        shared.sessions.fetch_add(1, Ordering::SeqCst);
        let clones = (a.try_clone(), b.try_clone(), a.try_clone(), b.try_clone());
        let (Ok(a2), Ok(b2), Ok(a3), Ok(b3)) = clones else {
            continue;
        };
        lock(&shared.live).extend([a3, b3]);
        let s1 = Arc::clone(shared);
        let s2 = Arc::clone(shared);
        let t1 = thread::spawn(move || pump(&s1, Side::A, a, b2));
        let t2 = thread::spawn(move || pump(&s2, Side::B, b, a2));
        let _ = t1.join();
        let _ = t2.join();
        lock(&shared.live).clear();
    }
}

fn pump(shared: &Shared, from: Side, mut src: UnixStream, mut dst: UnixStream) {
    let mut buf = vec![0u8; 4096];
    loop {
        let n = match src.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let frame = &buf[..n];
        let verdict = (lock(&shared.filter))(from, frame);
        lock(&shared.frames).push(RelayedFrame {
            at: shared.started.elapsed(),
            from,
            bytes: frame.to_vec(),
            verdict: verdict.clone(),
        });
        let sent = match &verdict {
            Verdict::Forward => dst.write(frame).map(|_| ()),
            Verdict::Drop => Ok(()),
            Verdict::Replace(other) => dst.write(other).map(|_| ()),
        };
        if sent.is_err() {
            break;
        }
    }
    // A line is up in both directions or in neither.
    let _ = src.shutdown(Shutdown::Both);
    let _ = dst.shutdown(Shutdown::Both);
}

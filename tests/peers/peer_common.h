/*
 * Shared parts of the test peers (ss7peer.c, pripeer.c): JSON lines on stdout, the `frames`
 * transport on a Unix SOCK_SEQPACKET socket, stdin command lines, a monotonic clock.
 *
 * These programs are test harnesses of sipt-mgc: they link the Debian libss7 / libpri and put
 * them on the far end of a `frames` link (one datagram = one HDLC frame without flags, then 2
 * FCS octets: what a DAHDI HDLC channel hands to libss7 and libpri). They are built by
 * tests/support/peers.rs with the system C compiler; they are not part of the gateway.
 *
 * Everything here is `static`: each program includes this file once.
 */
#ifndef SIPT_PEER_COMMON_H
#define SIPT_PEER_COMMON_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------- clock */

static struct timespec clock_origin;

static void clock_init(void)
{
	clock_gettime(CLOCK_MONOTONIC, &clock_origin);
}

/* Milliseconds since the program started (monotonic). */
static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long) (ts.tv_sec - clock_origin.tv_sec) * 1000L
		+ (long) (ts.tv_nsec - clock_origin.tv_nsec) / 1000000L;
}

/*
 * libss7 and libpri schedule on gettimeofday() and hand back an absolute `struct timeval`:
 * milliseconds from now until then, rounded up, never negative.
 */
static long ms_until_timeval(const struct timeval *when)
{
	struct timeval now;
	long ms;

	gettimeofday(&now, NULL);
	ms = (long) (when->tv_sec - now.tv_sec) * 1000L + (long) (when->tv_usec - now.tv_usec + 999) / 1000L;
	return ms < 0 ? 0 : ms;
}

/* ---------------------------------------------------------------- JSON lines on stdout */

static char jbuf[65536];
static size_t jlen;

static void jput(const char *s, size_t n)
{
	if (jlen + n >= sizeof(jbuf) - 4) {
		n = sizeof(jbuf) - 4 - jlen; /* truncate; the line still closes below */
	}
	memcpy(jbuf + jlen, s, n);
	jlen += n;
}

static void jputs(const char *s)
{
	jput(s, strlen(s));
}

static void jprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void jprintf(const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0) {
		jput(tmp, (size_t) n < sizeof(tmp) ? (size_t) n : sizeof(tmp) - 1);
	}
}

/* A JSON string: quotes, backslash and control characters escaped; octets >= 0x80 are written
 * as \u00XX (read as Latin-1) so that the line is always valid UTF-8 whatever the library
 * hands us. */
static void jstr(const char *s)
{
	const unsigned char *p = (const unsigned char *) s;

	jputs("\"");
	for (; *p; p++) {
		if (*p == '"' || *p == '\\') {
			char esc[2] = { '\\', (char) *p };
			jput(esc, 2);
		} else if (*p < 0x20 || *p >= 0x7f) {
			jprintf("\\u%04x", *p);
		} else {
			jput((const char *) p, 1);
		}
	}
	jputs("\"");
}

static void ev_begin(const char *name)
{
	jlen = 0;
	jputs("{\"event\":");
	jstr(name);
	jprintf(",\"t\":%ld", now_ms());
}

static void ev_str(const char *key, const char *val)
{
	jputs(",");
	jstr(key);
	jputs(":");
	jstr(val ? val : "");
}

static void ev_int(const char *key, long val)
{
	jputs(",");
	jstr(key);
	jprintf(":%ld", val);
}

static void ev_bool(const char *key, int val)
{
	jputs(",");
	jstr(key);
	jputs(val ? ":true" : ":false");
}

static void ev_hex(const char *key, const unsigned char *buf, int len)
{
	int i;

	jputs(",");
	jstr(key);
	jputs(":\"");
	for (i = 0; i < len; i++) {
		jprintf("%02x", buf[i]);
	}
	jputs("\"");
}

/* An array of small integers. */
static void __attribute__((unused)) ev_int_array(const char *key, const unsigned char *vals, int n)
{
	int i;

	jputs(",");
	jstr(key);
	jputs(":[");
	for (i = 0; i < n; i++) {
		jprintf(i ? ",%u" : "%u", vals[i]);
	}
	jputs("]");
}

static void write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				continue;
			}
			/* Nobody reads our events any more: nothing useful left to do. */
			_exit(4);
		}
		buf += n;
		len -= (size_t) n;
	}
}

static void ev_end(void)
{
	jputs("}\n");
	write_all(STDOUT_FILENO, jbuf, jlen);
}

/* One-call helpers. */
static void ev_simple(const char *name)
{
	ev_begin(name);
	ev_end();
}

static void ev_error(const char *what, const char *detail)
{
	ev_begin("error");
	ev_str("what", what);
	ev_str("detail", detail);
	ev_end();
}

/* A library's log line (libss7/libpri message and error callbacks), without its newline. */
static void ev_log(const char *level, const char *text)
{
	char line[1024];
	size_t n;

	snprintf(line, sizeof(line), "%s", text);
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) {
		line[--n] = '\0';
	}
	if (n == 0) {
		return;
	}
	ev_begin("log");
	ev_str("level", level);
	ev_str("text", line);
	ev_end();
}

/* ---------------------------------------------------------------- the `frames` transport */

enum tp_mode { TP_CONNECT, TP_LISTEN };

struct transport {
	enum tp_mode mode;
	char path[sizeof(((struct sockaddr_un *) 0)->sun_path)];
	int lfd;         /* listening socket (TP_LISTEN) */
	int fd;          /* the connected peer, -1 when none */
	long retry_at;   /* TP_CONNECT: next connect attempt */
	long ups;        /* how many times a peer was attached */
	long rx_frames, tx_frames, tx_dropped;
};

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int tp_init(struct transport *t, enum tp_mode mode, const char *path)
{
	struct sockaddr_un sa;

	memset(t, 0, sizeof(*t));
	t->mode = mode;
	t->lfd = -1;
	t->fd = -1;
	if (strlen(path) >= sizeof(t->path)) {
		ev_error("transport", "socket path too long");
		return -1;
	}
	snprintf(t->path, sizeof(t->path), "%s", path);
	if (mode == TP_CONNECT) {
		return 0;
	}
	t->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (t->lfd < 0) {
		ev_error("transport", strerror(errno));
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, t->path, strlen(t->path));
	unlink(t->path);
	if (bind(t->lfd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(t->lfd, 4) < 0) {
		ev_error("transport", strerror(errno));
		return -1;
	}
	ev_begin("listening");
	ev_str("path", t->path);
	ev_end();
	return 0;
}

static void tp_attached(struct transport *t)
{
	t->ups++;
	ev_begin("transport_up");
	ev_str("path", t->path);
	ev_int("count", t->ups);
	ev_end();
}

/* TP_CONNECT: try to connect when due (every 100 ms until the socket exists and answers).
 * Returns 1 when a peer was attached by this call. */
static int tp_try_connect(struct transport *t, long now)
{
	struct sockaddr_un sa;
	int fd;

	if (t->mode != TP_CONNECT || t->fd >= 0 || now < t->retry_at) {
		return 0;
	}
	t->retry_at = now + 100;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		return 0;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, t->path, strlen(t->path));
	if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
		close(fd);
		return 0;
	}
	set_nonblock(fd);
	t->fd = fd;
	tp_attached(t);
	return 1;
}

/* TP_LISTEN: the listening socket is readable. One peer at a time: a second one is refused
 * (closed) while the first is attached. Returns 1 when a peer was attached. */
static int tp_accept(struct transport *t)
{
	int fd = accept4(t->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0) {
		return 0;
	}
	if (t->fd >= 0) {
		close(fd);
		ev_begin("transport_refused");
		ev_str("reason", "a peer is already attached");
		ev_end();
		return 0;
	}
	t->fd = fd;
	tp_attached(t);
	return 1;
}

static void tp_detach(struct transport *t, const char *reason)
{
	if (t->fd < 0) {
		return;
	}
	close(t->fd);
	t->fd = -1;
	t->retry_at = now_ms() + 100;
	ev_begin("transport_down");
	ev_str("path", t->path);
	ev_str("reason", reason);
	ev_end();
}

/* Send one frame. A full socket buffer drops the frame, as a line drops what nobody clocks
 * out; a broken connection detaches. Returns 1 sent, 0 dropped, -1 detached. */
static int tp_send(struct transport *t, const unsigned char *buf, int len)
{
	ssize_t n;

	if (t->fd < 0) {
		t->tx_dropped++;
		return 0;
	}
	n = send(t->fd, buf, (size_t) len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n == len) {
		t->tx_frames++;
		return 1;
	}
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
		t->tx_dropped++;
		return 0;
	}
	tp_detach(t, n < 0 ? strerror(errno) : "short write");
	return -1;
}

/* Receive one frame. Returns its length, 0 when none is waiting, -1 when the peer is gone. */
static int tp_recv(struct transport *t, unsigned char *buf, int cap)
{
	ssize_t n;

	if (t->fd < 0) {
		return 0;
	}
	n = recv(t->fd, buf, (size_t) cap, MSG_DONTWAIT);
	if (n > 0) {
		t->rx_frames++;
		return (int) n;
	}
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
		return 0;
	}
	tp_detach(t, n == 0 ? "peer closed" : strerror(errno));
	return -1;
}

/* ---------------------------------------------------------------- stdin command lines */

static char inbuf[8192];
static size_t inlen;
static int stdin_eof;

/* Read what stdin has; calls `handle` for each complete line. Sets stdin_eof at end of input. */
static void stdin_pump(void (*handle)(char *line))
{
	ssize_t n = read(STDIN_FILENO, inbuf + inlen, sizeof(inbuf) - 1 - inlen);
	char *start, *nl;

	if (n == 0) {
		stdin_eof = 1;
		return;
	}
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR) {
			stdin_eof = 1;
		}
		return;
	}
	inlen += (size_t) n;
	inbuf[inlen] = '\0';
	start = inbuf;
	while ((nl = strchr(start, '\n'))) {
		*nl = '\0';
		if (nl > start && nl[-1] == '\r') {
			nl[-1] = '\0';
		}
		handle(start);
		start = nl + 1;
	}
	inlen = (size_t) (inbuf + inlen - start);
	memmove(inbuf, start, inlen);
	if (inlen == sizeof(inbuf) - 1) {
		ev_error("stdin", "command line too long, discarded");
		inlen = 0;
	}
}

/* Split a line into at most `max` whitespace-separated words in place. */
static int split_words(char *line, char **words, int max)
{
	int n = 0;
	char *save = NULL;
	char *w = strtok_r(line, " \t", &save);

	while (w && n < max) {
		words[n++] = w;
		w = strtok_r(NULL, " \t", &save);
	}
	return n;
}

/* A whole decimal number or -1. */
static long parse_num(const char *s)
{
	char *end;
	long v;

	if (!s || !*s) {
		return -1;
	}
	errno = 0;
	v = strtol(s, &end, 0);
	if (*end || errno || v < 0) {
		return -1;
	}
	return v;
}

/* "NAME=MS" into name and value; 0 on success. */
static int parse_assignment(char *arg, char **name, long *value)
{
	char *eq = strchr(arg, '=');

	if (!eq) {
		return -1;
	}
	*eq = '\0';
	*name = arg;
	*value = parse_num(eq + 1);
	return *value < 0 ? -1 : 0;
}

/* ---------------------------------------------------------------- scheduled actions */

/* Delayed actions of the auto modes (answer after a delay, release after a hold time):
 * a small fixed table, scanned on each pass of the loop. */
struct action {
	long due;     /* 0 = free slot */
	int kind;
	int id;       /* CIC or B-channel */
	int arg;
};

#define MAX_ACTIONS 512
static struct action actions[MAX_ACTIONS];

static void action_add(long due, int kind, int id, int arg)
{
	int i;

	for (i = 0; i < MAX_ACTIONS; i++) {
		if (!actions[i].due) {
			actions[i].due = due > 0 ? due : 1;
			actions[i].kind = kind;
			actions[i].id = id;
			actions[i].arg = arg;
			return;
		}
	}
	ev_error("actions", "table full, action dropped");
}

static void actions_cancel(int id)
{
	int i;

	for (i = 0; i < MAX_ACTIONS; i++) {
		if (actions[i].due && actions[i].id == id) {
			actions[i].due = 0;
		}
	}
}

static long actions_next_due(void)
{
	long next = LONG_MAX;
	int i;

	for (i = 0; i < MAX_ACTIONS; i++) {
		if (actions[i].due && actions[i].due < next) {
			next = actions[i].due;
		}
	}
	return next;
}

/* Runs every due action through `run` (which may add new ones). */
static void actions_run(long now, void (*run)(int kind, int id, int arg))
{
	int i;

	for (i = 0; i < MAX_ACTIONS; i++) {
		if (actions[i].due && actions[i].due <= now) {
			struct action a = actions[i];

			actions[i].due = 0;
			run(a.kind, a.id, a.arg);
		}
	}
}

/* ---------------------------------------------------------------- process */

static void process_init(void)
{
	clock_init();
	signal(SIGPIPE, SIG_IGN);
	set_nonblock(STDIN_FILENO);
	setvbuf(stdout, NULL, _IONBF, 0);
}

/* Poll timeout from an absolute due time (ms since start), capped at `cap` ms. */
static int poll_timeout(long due, long now, long cap)
{
	long ms = due - now;

	if (ms < 0) {
		ms = 0;
	}
	if (ms > cap) {
		ms = cap;
	}
	return (int) ms;
}

#endif /* SIPT_PEER_COMMON_H */

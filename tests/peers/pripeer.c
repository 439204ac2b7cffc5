/*
 * pripeer: libpri (Debian libpri-dev, Asterisk's Q.921/Q.931 stack) on one D-channel of the
 * `frames` transport, as a QSIG PBX (or another libpri switch type), for sipt-mgc's
 * integration tests.
 *
 *   pripeer (--connect PATH | --listen PATH) --node user|network [options]
 *
 * Options:
 *   --switch qsig|euroisdn_e1|euroisdn_t1|ni2|dms100|lucent5e|att4ess|ni1   (default qsig)
 *   --channels A-B        B-channels of this side (default 1-31)
 *   --timer NAME=VALUE    pri_set_timer by libpri's name (T200, T203, N200, K, T303, T305,
 *                         T308, T309, T313, ...); milliseconds or a count
 *   --auto-answer         answer every SETUP: ALERTING after --alert-delay ms (100), CONNECT
 *                         --answer-delay ms (200) after the ALERTING
 *   --proceeding          send CALL PROCEEDING at once on a SETUP (with --auto-answer)
 *   --release-after MS    clear an answered call after MS with --release-cause (16)
 *   --no-auto-release     do not go on clearing by itself (default: DISCONNECT is answered
 *                         with RELEASE, RELEASE with RELEASE COMPLETE)
 *   --no-facility         do not call pri_facility_enable() (no ROSE APDUs: no QSIG name)
 *   --trace               every frame in hex with its Q.921 fields
 *   --debug               libpri Q.921/Q.931 state debug output as log events
 *   --timeout S           exit after S seconds whatever happens (600)
 *
 * Commands on stdin, one per line:
 *   call CH CALLED CALLING [NAME...] [KEY=VALUE...] | proceeding CH | alert CH | answer CH
 *   hangup CH [CAUSE] | restart CH | ping | quit
 * CH is the B-channel; a call is known by its B-channel. The words of `call` after CALLING
 * are the calling name, except those with '=', which give the call redirecting information
 * (pri_sr_set_redirecting_parties before pri_setup; numbers with plan unknown, presentation
 * allowed; names in one word, '_' for a space):
 *   redirecting=NUM        the diverting party's number (redirecting.from)
 *   redirecting_name=NAME  its name
 *   reason=R               the reason of the last diversion
 *   count=N                the diversion counter (default 1)
 *   orig_called=NUM        the original called number (sent only with count >= 2)
 *   orig_called_name=NAME  its name (likewise)
 *   orig_reason=R          the reason of the first diversion (likewise)
 * R is unknown, busy (cfb), noreply (cfnr), unconditional (cfu), deflection, or libpri's
 * PRI_REDIR_* number. On QSIG libpri sends them as ECMA-174 divertingLegInformation2
 * (operation 21) in a Facility IE of the SETUP, mapping the reasons to the QSIG
 * DiversionReason (busy -> cfb, noreply -> cfnr, unconditional -> cfu, others -> unknown),
 * and then no Redirecting number IE; on other switch types, a Redirecting number IE (or
 * ETSI's divertingLegInformation2 in PTP mode).
 *
 * Output: one JSON object per line, {"event": NAME, "t": ms since start, ...}. Besides
 * libpri's events, every Q.931 message sent or received is reported as a "q931" event, and
 * with --trace every frame as a "frame" event.
 *
 * The "setup" event (a SETUP received) has the called and calling numbers and name and the
 * redirecting information libpri read (on QSIG from divertingLegInformation2):
 * redirecting_count (the diversion counter; 0: not redirected), redirecting (the diverting
 * number), redirecting_plan, redirecting_name, redirecting_reason (PRI_REDIR_*: 0 unknown,
 * 1 busy, 2 no reply, 15 unconditional), orig_called, orig_called_name and orig_reason
 * (-1 when there is no original called party).
 *
 * libpri is driven through pri_new_cb(): its read callback is handed the frame this program
 * received, its write callback sends the frame (libpri's 2 FCS octets included) on the socket.
 * libpri only writes when it has something to say (no fill-in on a D-channel).
 */
#include "peer_common.h"

#include <libpri.h>

#define MAX_CH 256

static struct pri *pri;
static struct transport tp;
static q931_call *calls[MAX_CH];

static int node = -1;
static int switchtype = PRI_SWITCH_QSIG;
static int ch_lo = 1, ch_hi = 31;
static int trace;
static int debug;
static long timeout_s = 600;
static int auto_answer;
static int alert_delay = 100, answer_delay = 200;
static int send_proceeding;
static long release_after = -1;
static int release_cause = PRI_CAUSE_NORMAL_CLEARING;
static int auto_release = 1;
static int facility = 1;

static unsigned char rxframe[1024];
static int rxframe_len;

enum { ACT_ALERT = 1, ACT_ANSWER, ACT_HANGUP };

/* ---------------------------------------------------------------- decoding for the event stream */

static const char *q931_name(unsigned char t)
{
	switch (t) {
	case 0x01: return "ALERTING";
	case 0x02: return "CALL PROCEEDING";
	case 0x03: return "PROGRESS";
	case 0x05: return "SETUP";
	case 0x07: return "CONNECT";
	case 0x0d: return "SETUP ACKNOWLEDGE";
	case 0x0f: return "CONNECT ACKNOWLEDGE";
	case 0x20: return "USER INFORMATION";
	case 0x21: return "SUSPEND REJECT";
	case 0x22: return "RESUME REJECT";
	case 0x24: return "HOLD";
	case 0x25: return "SUSPEND";
	case 0x26: return "RESUME";
	case 0x28: return "HOLD ACKNOWLEDGE";
	case 0x2d: return "SUSPEND ACKNOWLEDGE";
	case 0x2e: return "RESUME ACKNOWLEDGE";
	case 0x30: return "HOLD REJECT";
	case 0x31: return "RETRIEVE";
	case 0x33: return "RETRIEVE ACKNOWLEDGE";
	case 0x37: return "RETRIEVE REJECT";
	case 0x45: return "DISCONNECT";
	case 0x46: return "RESTART";
	case 0x4d: return "RELEASE";
	case 0x4e: return "RESTART ACKNOWLEDGE";
	case 0x5a: return "RELEASE COMPLETE";
	case 0x60: return "SEGMENT";
	case 0x62: return "FACILITY";
	case 0x64: return "REGISTER";
	case 0x6e: return "NOTIFY";
	case 0x75: return "STATUS ENQUIRY";
	case 0x79: return "CONGESTION CONTROL";
	case 0x7b: return "INFORMATION";
	case 0x7d: return "STATUS";
	default: return NULL;
	}
}

/* Role of the side that sent a frame: we for "tx", the far end (the opposite role) for "rx". */
static int sender_is_network(const char *dir)
{
	int we_are_network = node == PRI_NETWORK;

	return dir[0] == 't' ? we_are_network : !we_are_network;
}

/* Q.921 3.3.2 table 1: a command carries C/R = 1 from the network side, C/R = 0 from the
 * user side; a response the opposite. */
static int is_command(const char *dir, int cr)
{
	return sender_is_network(dir) ? cr == 1 : cr == 0;
}

struct l2 {
	int sapi, cr, tei;
	const char *kind;     /* I, RR, RNR, REJ, SABME, UA, DM, DISC, FRMR, UI, XID, ? */
	int ns, nr, pf;       /* -1 when the frame has none */
	int info;             /* offset of the information field, -1 when none */
};

static int l2_decode(const unsigned char *f, int len, struct l2 *l)
{
	memset(l, 0, sizeof(*l));
	l->ns = l->nr = l->pf = l->info = -1;
	l->kind = "?";
	if (len < 3) {
		return -1;
	}
	l->sapi = f[0] >> 2;
	l->cr = (f[0] >> 1) & 1;
	l->tei = f[1] >> 1;
	if (!(f[2] & 1)) {
		if (len < 4) {
			return -1;
		}
		l->kind = "I";
		l->ns = f[2] >> 1;
		l->nr = f[3] >> 1;
		l->pf = f[3] & 1;
		l->info = 4;
	} else if ((f[2] & 3) == 1) {
		if (len < 4) {
			return -1;
		}
		switch ((f[2] >> 2) & 3) {
		case 0: l->kind = "RR"; break;
		case 1: l->kind = "RNR"; break;
		case 2: l->kind = "REJ"; break;
		default: l->kind = "S?"; break;
		}
		l->nr = f[3] >> 1;
		l->pf = f[3] & 1;
	} else {
		l->pf = (f[2] >> 4) & 1;
		switch (f[2] & 0xef) {
		case 0x6f: l->kind = "SABME"; break;
		case 0x0f: l->kind = "DM"; break;
		case 0x03: l->kind = "UI"; l->info = 3; break;
		case 0x43: l->kind = "DISC"; break;
		case 0x63: l->kind = "UA"; break;
		case 0x87: l->kind = "FRMR"; break;
		case 0xaf: l->kind = "XID"; break;
		default: l->kind = "U?"; break;
		}
	}
	return 0;
}

static void ev_l2(const char *dir, const struct l2 *l)
{
	ev_str("frame", l->kind);
	ev_int("sapi", l->sapi);
	ev_int("tei", l->tei);
	ev_int("cr", l->cr);
	ev_bool("command", is_command(dir, l->cr));
	if (l->ns >= 0) ev_int("ns", l->ns);
	if (l->nr >= 0) ev_int("nr", l->nr);
	if (l->pf >= 0) ev_int("pf", l->pf);
}

/* A Q.931 message (Q.931 4.1-4.5): protocol discriminator, call reference, message type, and
 * the cause value if there is a Cause IE. */
static void ev_q931(const char *dir, const struct l2 *l, const unsigned char *m, int len)
{
	int crlen, off, cref = 0, flag = 0, i;
	const char *name;

	if (len < 3) {
		return;
	}
	crlen = m[1] & 0x0f;
	if (2 + crlen >= len) {
		return;
	}
	for (i = 0; i < crlen; i++) {
		unsigned char o = m[2 + i];

		if (i == 0) {
			flag = o >> 7;
			o &= 0x7f;
		}
		cref = (cref << 8) | o;
	}
	off = 2 + crlen;
	name = q931_name(m[off]);
	ev_begin("q931");
	ev_str("dir", dir);
	ev_str("msg", name ? name : "unknown");
	ev_int("type", m[off]);
	ev_int("pd", m[0]);
	ev_int("cref", cref);
	ev_int("cref_flag", flag);
	ev_l2(dir, l);
	/* Information elements: single-octet ones have bit 8 set; the others are id, length,
	 * contents (Q.931 4.5.1). */
	off++;
	while (off < len) {
		unsigned char id = m[off];
		int ielen;

		if (id & 0x80) {
			off++;
			continue;
		}
		if (off + 1 >= len) {
			break;
		}
		ielen = m[off + 1];
		if (off + 2 + ielen > len) {
			break;
		}
		if (id == 0x08 && ielen >= 2) {
			/* Cause (Q.850 2.1): octet 3 location, optional 3a, then the cause value. */
			int p = off + 2;

			ev_int("location", m[p] & 0x0f);
			if (!(m[p] & 0x80)) {
				p++;
			}
			if (p + 1 < off + 2 + ielen) {
				ev_int("cause", m[p + 1] & 0x7f);
			}
		} else if (id == 0x18 && ielen >= 1) {
			/* Channel identification: for a PRI interface the channel number is the last
			 * octet of the IE (Q.931 4.5.13). */
			if (ielen >= 3) {
				ev_int("channel", m[off + 2 + ielen - 1] & 0x7f);
			}
		}
		off += 2 + ielen;
	}
	ev_end();
}

static void frame_seen(const char *dir, const unsigned char *f, int len)
{
	struct l2 l;
	int body = len - 2; /* without the 2 FCS octets */

	if (l2_decode(f, body, &l) < 0) {
		ev_begin("frame");
		ev_str("dir", dir);
		ev_str("frame", "short");
		ev_hex("hex", f, len);
		ev_end();
		return;
	}
	if (trace) {
		ev_begin("frame");
		ev_str("dir", dir);
		ev_l2(dir, &l);
		ev_hex("hex", f, len);
		if (len >= 2) {
			ev_hex("fcs", f + len - 2, 2);
		}
		ev_end();
	}
	if (l.info >= 0 && l.sapi == 0 && body > l.info) {
		ev_q931(dir, &l, f + l.info, body - l.info);
	}
}

/* ---------------------------------------------------------------- libpri I/O */

static int cb_read(struct pri *p, void *buf, int buflen)
{
	int n = rxframe_len;

	(void) p;
	if (n <= 0) {
		return 0;
	}
	if (n > buflen) {
		n = buflen;
	}
	memcpy(buf, rxframe, (size_t) n);
	rxframe_len = 0;
	return n;
}

static int cb_write(struct pri *p, void *buf, int buflen)
{
	(void) p;
	frame_seen("tx", buf, buflen);
	tp_send(&tp, buf, buflen);
	/* A line without a peer swallows frames; libpri finds out through T200/T203. */
	return buflen;
}

static void cb_message(struct pri *p, char *m)
{
	(void) p;
	ev_log("message", m);
}

static void cb_error(struct pri *p, char *m)
{
	(void) p;
	ev_log("error", m);
}

/* ---------------------------------------------------------------- call table */

static int ch_of(int encoded)
{
	return encoded < 0 ? -1 : encoded & 0xff; /* libpri: channel | span << 8 | explicit << 16 */
}

static int find_call(q931_call *c)
{
	int i;

	for (i = 0; i < MAX_CH; i++) {
		if (calls[i] && calls[i] == c) {
			return i;
		}
	}
	return -1;
}

static void forget(q931_call *c)
{
	int ch = find_call(c);

	if (ch >= 0) {
		calls[ch] = NULL;
		actions_cancel(ch);
	}
}

static void run_action(int kind, int ch, int arg)
{
	q931_call *c = ch >= 0 && ch < MAX_CH ? calls[ch] : NULL;

	if (!c) {
		return;
	}
	switch (kind) {
	case ACT_ALERT:
		pri_acknowledge(pri, c, ch, 0);
		action_add(now_ms() + answer_delay, ACT_ANSWER, ch, 0);
		break;
	case ACT_ANSWER:
		pri_answer(pri, c, ch, 0);
		if (release_after >= 0) {
			action_add(now_ms() + release_after, ACT_HANGUP, ch, release_cause);
		}
		break;
	case ACT_HANGUP:
		pri_hangup(pri, c, arg);
		break;
	}
}

/* ---------------------------------------------------------------- libpri events */

static void ev_call(const char *name, int channel, int cref, q931_call *c)
{
	ev_begin(name);
	ev_int("channel", find_call(c) >= 0 ? find_call(c) : ch_of(channel));
	ev_int("cref", cref);
	ev_end();
}

/* The redirecting information of a SETUP (on QSIG: divertingLegInformation2, ECMA-174):
 * libpri's legacy ring fields, and the diversion counter from the PRI_SUBCMD_REDIRECTING
 * subcommand libpri adds when the counter is not 0 (0: no redirection). */
static void ev_redirecting(const pri_event_ring *r)
{
	int i, count = 0;

	if (r->subcmds) {
		for (i = 0; i < r->subcmds->counter_subcmd && i < PRI_MAX_SUBCOMMANDS; i++) {
			if (r->subcmds->subcmd[i].cmd == PRI_SUBCMD_REDIRECTING) {
				count = r->subcmds->subcmd[i].u.redirecting.count;
			}
		}
	}
	ev_int("redirecting_count", count);
	ev_str("redirecting", r->redirectingnum);
	ev_int("redirecting_plan", r->callingplanrdnis);
	ev_str("redirecting_name", r->redirectingname);
	ev_int("redirecting_reason", r->redirectingreason);
	ev_str("orig_called", r->origcallednum);
	ev_str("orig_called_name", r->origcalledname);
	ev_int("orig_reason", r->origredirectingreason);
}

static void handle_event(pri_event *e)
{
	int ch;

	switch (e->e) {
	case PRI_EVENT_DCHAN_UP:
		ev_simple("dchan_up");
		break;
	case PRI_EVENT_DCHAN_DOWN:
		ev_simple("dchan_down");
		break;
	case PRI_EVENT_RESTART:
		ev_begin("restart");
		ev_int("channel", ch_of(e->restart.channel));
		ev_end();
		ch = ch_of(e->restart.channel);
		if (ch >= 0 && ch < MAX_CH) {
			calls[ch] = NULL;
			actions_cancel(ch);
		}
		break;
	case PRI_EVENT_RESTART_ACK:
		ev_begin("restart_ack");
		ev_int("channel", ch_of(e->restartack.channel));
		ev_end();
		break;
	case PRI_EVENT_CONFIG_ERR:
		ev_begin("config_error");
		ev_str("text", e->err.err);
		ev_end();
		break;
	case PRI_EVENT_RING:
		ch = ch_of(e->ring.channel);
		ev_begin("setup");
		ev_int("channel", ch);
		ev_int("cref", e->ring.cref);
		ev_str("called", e->ring.callednum);
		ev_int("called_plan", e->ring.calledplan);
		ev_str("calling", e->ring.callingnum);
		ev_int("calling_plan", e->ring.callingplan);
		ev_int("calling_presentation", e->ring.callingpres);
		ev_str("calling_name", e->ring.callingname);
		ev_int("bearer_capability", e->ring.ctype);
		ev_int("layer1", e->ring.layer1);
		ev_bool("complete", e->ring.complete);
		ev_bool("flexible", e->ring.flexible);
		ev_redirecting(&e->ring);
		ev_end();
		if (ch >= ch_lo && ch <= ch_hi && ch < MAX_CH) {
			if (calls[ch]) {
				ev_error("setup", "B-channel already has a call");
			}
			calls[ch] = e->ring.call;
			if (auto_answer) {
				if (send_proceeding) {
					pri_proceeding(pri, e->ring.call, ch, 0);
				}
				action_add(now_ms() + alert_delay, ACT_ALERT, ch, 0);
			}
		} else if (auto_answer) {
			pri_hangup(pri, e->ring.call, 44); /* requested channel not available */
		}
		break;
	case PRI_EVENT_RINGING:
		ev_call("alerting", e->ringing.channel, e->ringing.cref, e->ringing.call);
		break;
	case PRI_EVENT_PROCEEDING:
		ev_call("proceeding", e->proceeding.channel, e->proceeding.cref, e->proceeding.call);
		break;
	case PRI_EVENT_PROGRESS:
		ev_call("progress", e->proceeding.channel, e->proceeding.cref, e->proceeding.call);
		break;
	case PRI_EVENT_SETUP_ACK:
		ev_call("setup_ack", e->setup_ack.channel, e->setup_ack.call ? 0 : 0, e->setup_ack.call);
		break;
	case PRI_EVENT_ANSWER:
		ev_call("connect", e->answer.channel, e->answer.cref, e->answer.call);
		if (release_after >= 0 && (ch = find_call(e->answer.call)) >= 0) {
			action_add(now_ms() + release_after, ACT_HANGUP, ch, release_cause);
		}
		break;
	case PRI_EVENT_CONNECT_ACK:
		ev_call("connect_ack", e->connect_ack.channel, 0, e->connect_ack.call);
		break;
	case PRI_EVENT_HANGUP_REQ:
		/* DISCONNECT received. */
		ev_begin("disconnect");
		ev_int("channel", find_call(e->hangup.call) >= 0 ? find_call(e->hangup.call) : ch_of(e->hangup.channel));
		ev_int("cref", e->hangup.cref);
		ev_int("cause", e->hangup.cause);
		ev_end();
		if ((ch = find_call(e->hangup.call)) >= 0) {
			actions_cancel(ch);
		}
		if (auto_release) {
			pri_hangup(pri, e->hangup.call, e->hangup.cause);
		}
		break;
	case PRI_EVENT_HANGUP:
		/* RELEASE (or RELEASE COMPLETE) received; pri_hangup() answers and frees. */
		ev_begin("release");
		ev_int("channel", find_call(e->hangup.call) >= 0 ? find_call(e->hangup.call) : ch_of(e->hangup.channel));
		ev_int("cref", e->hangup.cref);
		ev_int("cause", e->hangup.cause);
		ev_end();
		if (auto_release) {
			forget(e->hangup.call);
			pri_hangup(pri, e->hangup.call, e->hangup.cause);
		}
		break;
	case PRI_EVENT_HANGUP_ACK:
		/* Our RELEASE was answered; libpri freed the call. */
		ev_begin("release_ack");
		ev_int("channel", find_call(e->hangup.call) >= 0 ? find_call(e->hangup.call) : ch_of(e->hangup.channel));
		ev_int("cref", e->hangup.cref);
		ev_int("cause", e->hangup.cause);
		ev_end();
		forget(e->hangup.call);
		break;
	case PRI_EVENT_FACILITY:
		ev_begin("facility");
		ev_int("channel", ch_of(e->facility.channel));
		ev_int("cref", e->facility.cref);
		ev_str("calling_name", e->facility.callingname);
		ev_end();
		break;
	case PRI_EVENT_INFO_RECEIVED:
		ev_begin("information");
		ev_int("channel", ch_of(e->ring.channel));
		ev_str("called", e->ring.callednum);
		ev_end();
		break;
	case PRI_EVENT_NOTIFY:
		ev_begin("notify");
		ev_int("channel", ch_of(e->notify.channel));
		ev_int("info", e->notify.info);
		ev_end();
		break;
	default:
		ev_begin("other_event");
		ev_int("code", e->e);
		ev_str("name", pri_event2str(e->e));
		ev_end();
		break;
	}
}

/* ---------------------------------------------------------------- commands */

static int done;

static q931_call *call_on(const char *what, long ch)
{
	if (ch < 0 || ch >= MAX_CH || !calls[ch]) {
		ev_error(what, "no call on that B-channel");
		return NULL;
	}
	return calls[ch];
}

/* A redirection reason by libpri's name (PRI_REDIR_*: Q.931 4.5.15 / Q.952 codes, which
 * libpri maps to the QSIG DiversionReason of ECMA-174 for a QSIG link: busy -> cfb,
 * noreply -> cfnr, unconditional -> cfu, anything else -> unknown) or number; -1 if neither. */
static int parse_redir_reason(const char *s)
{
	long v;

	if (!strcasecmp(s, "unknown")) return PRI_REDIR_UNKNOWN;
	if (!strcasecmp(s, "busy") || !strcasecmp(s, "cfb")) return PRI_REDIR_FORWARD_ON_BUSY;
	if (!strcasecmp(s, "noreply") || !strcasecmp(s, "cfnr")) return PRI_REDIR_FORWARD_ON_NO_REPLY;
	if (!strcasecmp(s, "unconditional") || !strcasecmp(s, "cfu")) return PRI_REDIR_UNCONDITIONAL;
	if (!strcasecmp(s, "deflection")) return PRI_REDIR_DEFLECTION;
	v = parse_num(s);
	return v >= 0 && v <= 15 ? (int) v : -1;
}

static void party_number(struct pri_party_number *n, const char *digits)
{
	n->valid = 1;
	n->presentation = PRES_ALLOWED_USER_NUMBER_NOT_SCREENED;
	n->plan = PRI_UNKNOWN;
	snprintf(n->str, sizeof(n->str), "%s", digits);
}

static void party_name(struct pri_party_name *n, const char *name)
{
	n->valid = 1;
	n->presentation = PRI_PRES_ALLOWED;
	n->char_set = 1; /* iso8859-1 */
	snprintf(n->str, sizeof(n->str), "%s", name);
}

/* A name given as one word: '_' stands for a space ("Carol_Diverter"). */
static void unword(char *dst, size_t size, const char *src)
{
	size_t i;

	for (i = 0; i + 1 < size && src[i]; i++) {
		dst[i] = src[i] == '_' ? ' ' : src[i];
	}
	dst[i] = '\0';
}

/* call CH CALLED CALLING [NAME...] [KEY=VALUE...]: the words with '=' are the redirecting
 * information (header comment), the others after CALLING the calling name. */
static void cmd_call(char **w, int n)
{
	long ch = n > 1 ? parse_num(w[1]) : -1;
	char name[256], text[64];
	struct pri_sr *sr;
	struct pri_party_redirecting redir;
	int redirected = 0;
	q931_call *c;
	int i;

	if (n < 4 || ch < ch_lo || ch > ch_hi || ch >= MAX_CH) {
		ev_error("call", "usage: call CH CALLED CALLING [NAME...] [redirecting=NUM ...] (CH within --channels)");
		return;
	}
	if (calls[ch]) {
		ev_error("call", "B-channel busy");
		return;
	}
	memset(&redir, 0, sizeof(redir));
	name[0] = '\0';
	for (i = 4; i < n; i++) {
		char *eq = strchr(w[i], '=');
		size_t used = strlen(name);

		if (!eq) {
			snprintf(name + used, sizeof(name) - used, "%s%s", used ? " " : "", w[i]);
			continue;
		}
		*eq++ = '\0';
		redirected = 1;
		if (!strcmp(w[i], "redirecting")) {
			party_number(&redir.from.number, eq);
		} else if (!strcmp(w[i], "redirecting_name")) {
			unword(text, sizeof(text), eq);
			party_name(&redir.from.name, text);
		} else if (!strcmp(w[i], "orig_called")) {
			party_number(&redir.orig_called.number, eq);
		} else if (!strcmp(w[i], "orig_called_name")) {
			unword(text, sizeof(text), eq);
			party_name(&redir.orig_called.name, text);
		} else if (!strcmp(w[i], "reason") && parse_redir_reason(eq) >= 0) {
			redir.reason = parse_redir_reason(eq);
		} else if (!strcmp(w[i], "orig_reason") && parse_redir_reason(eq) >= 0) {
			redir.orig_reason = parse_redir_reason(eq);
		} else if (!strcmp(w[i], "count") && parse_num(eq) >= 1) {
			redir.count = (int) parse_num(eq);
		} else {
			ev_error("call", "unknown or bad KEY=VALUE (redirecting, redirecting_name, reason, count, orig_called, orig_called_name, orig_reason)");
			return;
		}
	}
	c = pri_new_call(pri);
	sr = pri_sr_new();
	if (!c || !sr) {
		ev_error("call", "pri_new_call failed");
		if (sr) pri_sr_free(sr);
		return;
	}
	pri_sr_set_channel(sr, (int) ch, 1, 0);
	pri_sr_set_bearer(sr, PRI_TRANS_CAP_SPEECH, PRI_LAYER_1_ALAW);
	pri_sr_set_called(sr, w[2], PRI_UNKNOWN, 1);
	pri_sr_set_caller(sr, w[3], name[0] ? name : NULL, PRI_UNKNOWN, PRES_ALLOWED_USER_NUMBER_NOT_SCREENED);
	if (redirected) {
		/* libpri: a count of 0 with a redirecting number is taken as 1. On a QSIG link
		 * (with pri_facility_enable) the SETUP then carries divertingLegInformation2 in a
		 * Facility IE and no Redirecting number IE (libpri 1.6 pri_call_add_standard_apdus,
		 * transmit_redirecting_number). */
		pri_sr_set_redirecting_parties(sr, &redir);
	}
	if (pri_setup(pri, c, sr)) {
		ev_error("call", "pri_setup failed");
		pri_sr_free(sr);
		return;
	}
	pri_sr_free(sr);
	calls[ch] = c;
}

static void handle_line(char *line)
{
	char *w[32];
	int n = split_words(line, w, 32);
	long a1 = n > 1 ? parse_num(w[1]) : -1;
	long a2 = n > 2 ? parse_num(w[2]) : -1;
	q931_call *c;

	if (n == 0 || w[0][0] == '#') {
		return;
	}
	if (!strcmp(w[0], "quit")) {
		done = 1;
	} else if (!strcmp(w[0], "ping")) {
		ev_begin("pong");
		ev_int("rx_frames", tp.rx_frames);
		ev_int("tx_frames", tp.tx_frames);
		ev_int("tx_dropped", tp.tx_dropped);
		ev_end();
	} else if (!pri) {
		ev_error(w[0], "no D-channel yet (transport never attached)");
	} else if (!strcmp(w[0], "call")) {
		cmd_call(w, n);
	} else if (!strcmp(w[0], "proceeding")) {
		if ((c = call_on("proceeding", a1))) pri_proceeding(pri, c, (int) a1, 0);
	} else if (!strcmp(w[0], "alert")) {
		if ((c = call_on("alert", a1))) pri_acknowledge(pri, c, (int) a1, 0);
	} else if (!strcmp(w[0], "answer")) {
		if ((c = call_on("answer", a1))) pri_answer(pri, c, (int) a1, 0);
	} else if (!strcmp(w[0], "hangup")) {
		actions_cancel((int) a1);
		if ((c = call_on("hangup", a1))) pri_hangup(pri, c, a2 < 0 ? PRI_CAUSE_NORMAL_CLEARING : (int) a2);
	} else if (!strcmp(w[0], "restart")) {
		if (a1 < 0) {
			ev_error("restart", "usage: restart CH");
		} else {
			pri_reset(pri, (int) a1);
		}
	} else {
		ev_error(w[0], "unknown command");
	}
}

/* ---------------------------------------------------------------- set-up */

static void usage(const char *why)
{
	fprintf(stderr, "pripeer: %s\n"
		"usage: pripeer (--connect PATH | --listen PATH) --node user|network [--switch qsig|...]\n"
		"       [--channels A-B] [--timer NAME=VALUE] [--auto-answer] [--proceeding] [--alert-delay MS]\n"
		"       [--answer-delay MS] [--release-after MS] [--release-cause N] [--no-auto-release]\n"
		"       [--no-facility] [--trace] [--debug] [--timeout S]\n", why);
	exit(2);
}

static int parse_switch(const char *s)
{
	if (!strcasecmp(s, "qsig")) return PRI_SWITCH_QSIG;
	if (!strcasecmp(s, "euroisdn_e1")) return PRI_SWITCH_EUROISDN_E1;
	if (!strcasecmp(s, "euroisdn_t1")) return PRI_SWITCH_EUROISDN_T1;
	if (!strcasecmp(s, "ni2")) return PRI_SWITCH_NI2;
	if (!strcasecmp(s, "ni1")) return PRI_SWITCH_NI1;
	if (!strcasecmp(s, "dms100")) return PRI_SWITCH_DMS100;
	if (!strcasecmp(s, "lucent5e")) return PRI_SWITCH_LUCENT5E;
	if (!strcasecmp(s, "att4ess")) return PRI_SWITCH_ATT4ESS;
	return -1;
}

#define MAX_TIMER_ARGS 32
static char *timer_args[MAX_TIMER_ARGS];
static int n_timers;

static void pump_schedule(void)
{
	pri_event *e;
	int guard = 0;

	while (guard++ < 1000 && (e = pri_schedule_run(pri))) {
		handle_event(e);
	}
}

static int start_pri(void)
{
	int i;
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);

	pri_set_message(cb_message);
	pri_set_error(cb_error);
	/* pri_new_cb() already starts Q.921 (it sends SABME at once): the socket is attached. */
	pri = pri_new_cb(devnull, node, switchtype, cb_read, cb_write, NULL);
	if (!pri) {
		ev_error("pri_new_cb", "failed");
		return -1;
	}
	if (facility) {
		/* As Asterisk's facilityenable=yes (its default): supplementary services in Facility
		 * IEs, e.g. the QSIG calling name (ECMA-164) in the SETUP. */
		pri_facility_enable(pri);
	}
	if (debug) {
		pri_set_debug(pri, PRI_DEBUG_Q921_STATE | PRI_DEBUG_Q931_STATE | PRI_DEBUG_Q931_ANOMALY);
	}
	for (i = 0; i < n_timers; i++) {
		char *name;
		long v;
		int idx;

		if (parse_assignment(timer_args[i], &name, &v)) {
			usage("bad --timer");
		}
		idx = pri_timer2idx(name);
		if (idx < 0 || pri_set_timer(pri, idx, (int) v)) {
			ev_error("timer", "unknown libpri timer");
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *connect_path = NULL, *listen_path = NULL;
	int i;

	process_init();
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

#define NEXT() do { if (!v) usage("missing value"); i++; } while (0)
		if (!strcmp(a, "--connect")) { NEXT(); connect_path = v; }
		else if (!strcmp(a, "--listen")) { NEXT(); listen_path = v; }
		else if (!strcmp(a, "--node")) {
			NEXT();
			if (!strcasecmp(v, "user") || !strcasecmp(v, "cpe")) node = PRI_CPE;
			else if (!strcasecmp(v, "network")) node = PRI_NETWORK;
			else usage("bad --node");
		}
		else if (!strcmp(a, "--switch")) { NEXT(); if ((switchtype = parse_switch(v)) < 0) usage("bad --switch"); }
		else if (!strcmp(a, "--channels")) {
			NEXT();
			if (sscanf(v, "%d-%d", &ch_lo, &ch_hi) != 2 || ch_lo < 1 || ch_hi < ch_lo || ch_hi >= MAX_CH)
				usage("bad --channels");
		}
		else if (!strcmp(a, "--timer")) { NEXT(); if (n_timers < MAX_TIMER_ARGS) timer_args[n_timers++] = argv[i]; }
		else if (!strcmp(a, "--auto-answer")) auto_answer = 1;
		else if (!strcmp(a, "--proceeding")) send_proceeding = 1;
		else if (!strcmp(a, "--alert-delay")) { NEXT(); if ((alert_delay = (int) parse_num(v)) < 0) usage("bad --alert-delay"); }
		else if (!strcmp(a, "--answer-delay")) { NEXT(); if ((answer_delay = (int) parse_num(v)) < 0) usage("bad --answer-delay"); }
		else if (!strcmp(a, "--release-after")) { NEXT(); if ((release_after = parse_num(v)) < 0) usage("bad --release-after"); }
		else if (!strcmp(a, "--release-cause")) { NEXT(); if ((release_cause = (int) parse_num(v)) < 0 || release_cause > 127) usage("bad --release-cause"); }
		else if (!strcmp(a, "--no-auto-release")) auto_release = 0;
		else if (!strcmp(a, "--no-facility")) facility = 0;
		else if (!strcmp(a, "--trace")) trace = 1;
		else if (!strcmp(a, "--debug")) debug = 1;
		else if (!strcmp(a, "--timeout")) { NEXT(); if ((timeout_s = parse_num(v)) <= 0) usage("bad --timeout"); }
		else usage("unknown option");
#undef NEXT
	}
	if (!connect_path == !listen_path) {
		usage("exactly one of --connect and --listen");
	}
	if (node < 0) {
		usage("--node user|network is required");
	}
	if (tp_init(&tp, connect_path ? TP_CONNECT : TP_LISTEN, connect_path ? connect_path : listen_path)) {
		return 1;
	}
	ev_begin("started");
	ev_str("peer", "pripeer");
	ev_str("library", pri_get_version());
	ev_str("node", node == PRI_NETWORK ? "network" : "user");
	ev_str("switch", pri_switch2str(switchtype));
	ev_int("ch_lo", ch_lo);
	ev_int("ch_hi", ch_hi);
	ev_end();

	while (!done) {
		struct pollfd pfd[3];
		int npfd = 0, ix_tp = -1, ix_listen = -1, ix_stdin;
		long now = now_ms(), due = now + 1000;
		struct timeval *next;
		int attached = 0;

		if (now >= timeout_s * 1000L) {
			ev_simple("timeout");
			return 3;
		}
		if (stdin_eof) {
			break;
		}
		attached = tp_try_connect(&tp, now);

		if (!attached) {
			if (pri && (next = pri_schedule_next(pri))) {
				long at = now + ms_until_timeval(next);

				if (at < due) due = at;
			}
			if (actions_next_due() < due) {
				due = actions_next_due();
			}
			if (tp.mode == TP_CONNECT && tp.fd < 0 && tp.retry_at < due) {
				due = tp.retry_at;
			}
			if (timeout_s * 1000L < due) {
				due = timeout_s * 1000L;
			}
			ix_stdin = npfd;
			pfd[npfd].fd = STDIN_FILENO;
			pfd[npfd++].events = POLLIN;
			if (tp.fd >= 0) {
				ix_tp = npfd;
				pfd[npfd].fd = tp.fd;
				pfd[npfd++].events = POLLIN;
			}
			if (tp.lfd >= 0) {
				ix_listen = npfd;
				pfd[npfd].fd = tp.lfd;
				pfd[npfd++].events = POLLIN;
			}
			if (poll(pfd, (nfds_t) npfd, poll_timeout(due, now, 1000)) < 0 && errno != EINTR) {
				ev_error("poll", strerror(errno));
				return 1;
			}
			if (pfd[ix_stdin].revents & (POLLIN | POLLHUP | POLLERR)) {
				stdin_pump(handle_line);
			}
			if (ix_listen >= 0 && (pfd[ix_listen].revents & POLLIN)) {
				attached = tp_accept(&tp);
			}
			if (pri && ix_tp >= 0 && tp.fd >= 0 && (pfd[ix_tp].revents & (POLLIN | POLLHUP | POLLERR))) {
				int k;

				for (k = 0; k < 64 && tp.fd >= 0; k++) {
					pri_event *e;
					int n = tp_recv(&tp, rxframe, sizeof(rxframe));

					if (n <= 0) {
						break;
					}
					frame_seen("rx", rxframe, n);
					rxframe_len = n;
					e = pri_check_event(pri);
					rxframe_len = 0;
					if (e) {
						handle_event(e);
					}
				}
			}
		}
		if (attached && !pri && start_pri()) {
			return 1;
		}
		if (pri) {
			pump_schedule();
			actions_run(now_ms(), run_action);
		}
	}
	ev_simple("exit");
	return 0;
}

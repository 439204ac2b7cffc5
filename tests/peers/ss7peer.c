/*
 * ss7peer: libss7 (Debian libss7-dev, Asterisk's MTP2/MTP3/ISUP) as a PSTN switch on one
 * signalling link of the `frames` transport, for sipt-mgc's integration tests.
 *
 *   ss7peer (--connect PATH | --listen PATH) --opc PC --dpc PC [options]
 *
 * Options:
 *   --ni int|int_spare|nat|nat_spare|0-3   network indicator (default nat)
 *   --variant itu|ansi                     libss7 switch type (default itu)
 *   --cics A-B                             circuits of this switch (default 1-31)
 *   --slc N                                signalling link code (default 0)
 *   --mtp3-timer NAME=MS                   ss7_set_mtp3_timer (t1..t23, q707_t1, q707_t2)
 *   --isup-timer NAME=MS                   ss7_set_isup_timer (t1, t5, t7, t16, t17, ...)
 *   --fill-ms N                            repeat unchanged FISU/LSSU at most every N ms (5;
 *                                          0 = only send changes)
 *   --auto-answer                          answer every IAM: ACM after --acm-delay ms (100),
 *                                          ANM --anm-delay ms (200) after the ACM
 *   --release-after MS                     release an answered call after MS (cause
 *                                          --release-cause, 16)
 *   --no-auto-reply                        do not answer REL/RSC/GRS/BLO/UBL/CGB/CGU by
 *                                          themselves (default: RLC/RLC/GRA/BLA/UBA/CGBA/CGUA)
 *   --reset-on-up                          send GRS (RSC for a lone CIC) over the CIC range
 *                                          when the linkset comes up, as Asterisk does
 *   --trace                                every frame in hex, except repeated identical
 *                                          fill-in (counted); --trace=all: every frame
 *   --debug                                libss7 debug output (MTP2|MTP3|ISUP) as log events
 *   --timeout S                            exit after S seconds whatever happens (600)
 *
 * Commands on stdin, one per line:
 *   call CIC CALLED CALLING [nai=N] [cnai=N] [pres=N] [scr=N] [cat=N]
 *   acm CIC | answer CIC | con CIC | cpg CIC EVENT | release CIC [CAUSE] | rlc CIC
 *   grs CIC RANGE | rsc CIC | blo CIC | ubl CIC | cgb CIC RANGE [TYPE] | cgu CIC RANGE [TYPE]
 *   alarm | noalarm | ping | quit
 * RANGE is the Q.763 range value: the command covers CIC..CIC+RANGE.
 *
 * Output: one JSON object per line, {"event": NAME, "t": ms since start, ...}.
 *
 * How the link is driven. libss7 in DAHDI D-channel mode (SS7_TRANSPORT_DAHDIDCHAN) asks
 * ss7_pollflags() for POLLOUT always, and each ss7_write() writes one signal unit: the next
 * MSU (new or retransmitted) if there is one, else the current fill-in (FISU, or the LSSU of
 * the alignment state). On a card the hardware clocks these out at 64 kbit/s; on a socket the
 * fd is always writable and libss7 would write fill-in as fast as the CPU goes. So libss7 gets
 * one end of an internal socketpair and this program pulls its signal units: after anything
 * that may change what libss7 sends (a frame received, a timer, a command) it pulls until it
 * gets fill-in, forwarding every MSU and the fill-in if it differs from the last fill-in sent;
 * and every --fill-ms it pulls and forwards one unit even if unchanged. Frames are forwarded
 * byte for byte, FCS octets included; received frames go to libss7 byte for byte.
 */
#include "peer_common.h"

#include <libss7.h>

#define MAX_CIC 4096

static struct ss7 *ss7;
static struct transport tp;
static int lib_fd = -1; /* libss7's end of the socketpair: ss7_read/ss7_write use it */
static int our_fd = -1; /* ours */
static int started;     /* ss7_start() done (first attach) */

static struct isup_call *calls[MAX_CIC];

static unsigned int opc, dpc;
static int ni = SS7_NI_NAT;
static int variant = SS7_ITU;
static int cic_lo = 1, cic_hi = 31;
static int slc;
static int fill_ms = 5;
static int trace; /* 0 off, 1 changes, 2 all */
static int debug;
static long timeout_s = 600;

static int auto_answer;
static int acm_delay = 100, anm_delay = 200;
static long release_after = -1;
static int release_cause = 16;
static int auto_reply = 1;
static int reset_on_up;

/* Fill-in bookkeeping. */
static unsigned char last_fill[16];
static int last_fill_len = -1;
static long last_tx_at;
static long fill_repeats;        /* identical fill-in frames sent since the last traced one */
static unsigned char last_rx[16];
static int last_rx_len = -1;
static long rx_repeats;

enum { ACT_ACM = 1, ACT_ANM, ACT_REL };

/* ---------------------------------------------------------------- decoding for the event stream */

static const char *isup_name(unsigned char t)
{
	switch (t) {
	case 0x01: return "IAM";
	case 0x02: return "SAM";
	case 0x03: return "INR";
	case 0x04: return "INF";
	case 0x05: return "COT";
	case 0x06: return "ACM";
	case 0x07: return "CON";
	case 0x08: return "FOT";
	case 0x09: return "ANM";
	case 0x0c: return "REL";
	case 0x0d: return "SUS";
	case 0x0e: return "RES";
	case 0x10: return "RLC";
	case 0x11: return "CCR";
	case 0x12: return "RSC";
	case 0x13: return "BLO";
	case 0x14: return "UBL";
	case 0x15: return "BLA";
	case 0x16: return "UBA";
	case 0x17: return "GRS";
	case 0x18: return "CGB";
	case 0x19: return "CGU";
	case 0x1a: return "CGBA";
	case 0x1b: return "CGUA";
	case 0x1f: return "FAR";
	case 0x20: return "FAA";
	case 0x21: return "FRJ";
	case 0x24: return "LPA";
	case 0x28: return "PAM";
	case 0x29: return "GRA";
	case 0x2a: return "CQM";
	case 0x2b: return "CQR";
	case 0x2c: return "CPG";
	case 0x2d: return "USR";
	case 0x2e: return "UCIC";
	case 0x2f: return "CFN";
	case 0x30: return "OLM";
	case 0x32: return "NRM";
	case 0x33: return "FAC";
	case 0x34: return "UPT";
	case 0x35: return "UPA";
	case 0x36: return "IDR";
	case 0x37: return "IRS";
	case 0x38: return "SGM";
	default: return NULL;
	}
}

/* Signalling network management messages by heading (Q.704 15: H0 low nibble, H1 high). */
static const char *snm_name(unsigned char h)
{
	switch (h) {
	case 0x11: return "COO";
	case 0x21: return "COA";
	case 0x51: return "CBD";
	case 0x61: return "CBA";
	case 0x12: return "ECO";
	case 0x22: return "ECA";
	case 0x13: return "RCT";
	case 0x23: return "TFC";
	case 0x14: return "TFP";
	case 0x34: return "TFR";
	case 0x54: return "TFA";
	case 0x15: return "RST";
	case 0x25: return "RSR";
	case 0x16: return "LIN";
	case 0x26: return "LUN";
	case 0x36: return "LIA";
	case 0x46: return "LUA";
	case 0x56: return "LID";
	case 0x66: return "LFU";
	case 0x76: return "LLT";
	case 0x86: return "LRT";
	case 0x17: return "TRA";
	case 0x18: return "DLC";
	case 0x28: return "CSS";
	case 0x38: return "CNS";
	case 0x48: return "CNP";
	case 0x1a: return "UPU";
	default: return NULL;
	}
}

static const char *lssu_name(unsigned char sf)
{
	switch (sf & 0x07) {
	case 0: return "SIO";
	case 1: return "SIN";
	case 2: return "SIE";
	case 3: return "SIOS";
	case 4: return "SIPO";
	case 5: return "SIB";
	default: return "LSSU?";
	}
}

/* Signal unit header fields (Q.703 2.2): BSN/BIB, FSN/FIB, LI. */
static void ev_su_header(const unsigned char *f, int len)
{
	if (len < 3) {
		return;
	}
	ev_int("bsn", f[0] & 0x7f);
	ev_int("bib", f[0] >> 7);
	ev_int("fsn", f[1] & 0x7f);
	ev_int("fib", f[1] >> 7);
	ev_int("li", f[2] & 0x3f);
}

/* The frame without its 2 FCS octets: what kind of signal unit. */
static const char *su_kind(const unsigned char *f, int len)
{
	int li;

	if (len < 3) {
		return "short";
	}
	li = f[2] & 0x3f;
	if (li == 0) {
		return "FISU";
	}
	if (li <= 2) {
		return len > 3 ? lssu_name(f[3]) : "LSSU?";
	}
	return "MSU";
}

/* An MSU in the event stream: SIO, routing label, and the message it carries. */
static void ev_msu(const char *dir, const unsigned char *f, int len)
{
	const unsigned char *sif;
	int sio, si, siflen, rl;
	unsigned int o = 0, d = 0, sls = 0;

	if (len < 4) {
		return;
	}
	sio = f[3];
	si = sio & 0x0f;
	sif = f + 4;
	siflen = len - 4;
	ev_begin("msu");
	ev_str("dir", dir);
	ev_su_header(f, len);
	ev_int("ni", sio >> 6);
	ev_int("si", si);
	if (variant == SS7_ITU && siflen >= 4) {
		/* Q.704 2.2: DPC 14 bits, OPC 14 bits, SLS 4 bits, least significant first. */
		d = sif[0] | ((sif[1] & 0x3f) << 8);
		o = (sif[1] >> 6) | (sif[2] << 2) | ((sif[3] & 0x0f) << 10);
		sls = sif[3] >> 4;
		rl = 4;
	} else if (variant == SS7_ANSI && siflen >= 7) {
		d = sif[0] | (sif[1] << 8) | (sif[2] << 16);
		o = sif[3] | (sif[4] << 8) | (sif[5] << 16);
		sls = sif[6];
		rl = 7;
	} else {
		ev_hex("sif", sif, siflen);
		ev_end();
		return;
	}
	ev_int("dpc", d);
	ev_int("opc", o);
	ev_int("sls", sls);
	sif += rl;
	siflen -= rl;
	if ((si == 0 || si == 1 || si == 2) && siflen >= 1) {
		const char *name;

		if (si == 0) {
			name = snm_name(sif[0]);
		} else {
			name = sif[0] == 0x11 ? "SLTM" : sif[0] == 0x21 ? "SLTA" : NULL;
		}
		ev_str("msg", name ? name : "unknown");
		ev_int("heading", sif[0]);
		if (si != 0 && siflen >= 2) {
			int n = sif[1] >> 4;

			if (n > siflen - 2) {
				n = siflen - 2;
			}
			ev_hex("test_pattern", sif + 2, n);
		}
	} else if (si == 5 && siflen >= 3) {
		const char *name = isup_name(sif[2]);
		int cic = variant == SS7_ITU ? (sif[0] | ((sif[1] & 0x0f) << 8)) : (sif[0] | ((sif[1] & 0x3f) << 8));

		ev_int("cic", cic);
		ev_str("msg", name ? name : "unknown");
		ev_int("type", sif[2]);
	}
	ev_end();
}

/* --trace: a frame in hex, with repeated identical fill-in folded into a count. */
static void trace_frame(const char *dir, const unsigned char *f, int len, long repeats)
{
	if (!trace) {
		return;
	}
	ev_begin("frame");
	ev_str("dir", dir);
	ev_str("su", su_kind(f, len - 2));
	ev_su_header(f, len - 2);
	ev_hex("hex", f, len);
	if (len >= 2) {
		ev_hex("fcs", f + len - 2, 2);
	}
	if (repeats) {
		ev_int("repeated_before", repeats);
	}
	ev_end();
}

/* ---------------------------------------------------------------- moving signal units */

static void forward(const unsigned char *f, int len, int is_fill)
{
	if (tp.fd < 0) {
		return;
	}
	if (is_fill && len == last_fill_len && !memcmp(f, last_fill, (size_t) len)) {
		fill_repeats++;
		if (trace == 2) {
			trace_frame("tx", f, len, 0);
		}
	} else {
		trace_frame("tx", f, len, fill_repeats);
		fill_repeats = 0;
	}
	if (is_fill && len <= (int) sizeof(last_fill)) {
		memcpy(last_fill, f, (size_t) len);
		last_fill_len = len;
	}
	if (!is_fill && len >= 5) {
		ev_msu("tx", f, len - 2);
	}
	tp_send(&tp, f, len);
	last_tx_at = now_ms();
}

/* Pull signal units from libss7 (see the top of this file). `force` sends the fill-in even
 * when it is the same as the last one. */
static void drain(int force)
{
	unsigned char f[1024];
	int i;

	if (!started || tp.fd < 0) {
		return;
	}
	for (i = 0; i < 256; i++) {
		int n;

		if (ss7_write(ss7, lib_fd) <= 0) {
			break;
		}
		n = (int) recv(our_fd, f, sizeof(f), MSG_DONTWAIT);
		if (n < 5) {
			break;
		}
		if ((f[2] & 0x3f) > 2) {
			forward(f, n, 0);
			continue;
		}
		if (force || n != last_fill_len || memcmp(f, last_fill, (size_t) n)) {
			forward(f, n, 1);
		}
		break;
	}
}

/* ---------------------------------------------------------------- call table */

static int cic_ok(int cic)
{
	return cic >= cic_lo && cic <= cic_hi && cic < MAX_CIC;
}

static void remember(int cic, struct isup_call *c)
{
	if (cic >= 0 && cic < MAX_CIC && c) {
		calls[cic] = c;
	}
}

/* Lets libss7 free the call if nothing is left on it; our pointer follows. */
static void release_if_clear(int cic, struct isup_call *c)
{
	if (cic >= 0 && cic < MAX_CIC && c && calls[cic] == c) {
		calls[cic] = isup_free_call_if_clear(ss7, c);
	}
}

/* libss7 is about to free `c`: forget it. */
static void cb_call_null(struct ss7 *s, struct isup_call *c, int lock)
{
	int i;

	(void) s;
	(void) lock;
	for (i = 0; i < MAX_CIC; i++) {
		if (calls[i] == c) {
			calls[i] = NULL;
			actions_cancel(i);
		}
	}
}

static const char *hangup_action_name(int a)
{
	switch (a) {
	case SS7_HANGUP_DO_NOTHING: return "nothing";
	case SS7_HANGUP_SEND_REL: return "send_rel";
	case SS7_HANGUP_SEND_RSC: return "send_rsc";
	case SS7_HANGUP_SEND_RLC: return "send_rlc";
	case SS7_HANGUP_FREE_CALL: return "free_call";
	case SS7_HANGUP_REEVENT_IAM: return "reevent_iam";
	default: return "unknown";
	}
}

/* libss7 asks the application to clear a circuit (ISUP timer expiry, unexpected message,
 * dual seizure). */
static int cb_hangup(struct ss7 *s, int cic, unsigned int pc, int cause, int do_hangup)
{
	struct isup_call *c;

	ev_begin("hangup_request");
	ev_int("cic", cic);
	ev_int("dpc", pc);
	ev_int("cause", cause);
	ev_str("action", hangup_action_name(do_hangup));
	ev_end();
	if (!cic_ok(cic)) {
		return SS7_CIC_NOT_EXISTS;
	}
	actions_cancel(cic);
	c = calls[cic];
	switch (do_hangup) {
	case SS7_HANGUP_SEND_REL:
		if (c) {
			isup_rel(s, c, cause);
			return SS7_CIC_USED;
		}
		return SS7_CIC_IDLE;
	case SS7_HANGUP_SEND_RLC:
		if (c) {
			isup_rlc(s, c);
			release_if_clear(cic, c);
			return SS7_CIC_USED;
		}
		return SS7_CIC_IDLE;
	case SS7_HANGUP_REEVENT_IAM:
		return SS7_CIC_USED;
	default:
		return SS7_CIC_IDLE;
	}
}

static void cb_notinservice(struct ss7 *s, int cic, unsigned int pc)
{
	(void) s;
	ev_begin("not_in_service");
	ev_int("cic", cic);
	ev_int("dpc", pc);
	ev_end();
}

static void cb_message(struct ss7 *s, char *m)
{
	(void) s;
	ev_log("message", m);
}

static void cb_error(struct ss7 *s, char *m)
{
	(void) s;
	ev_log("error", m);
}

/* ---------------------------------------------------------------- ISUP actions */

static void grs_range(int lo, int hi)
{
	int start;

	for (start = lo; start <= hi; start += 32) {
		int end = start + 31 > hi ? hi : start + 31;
		struct isup_call *c = calls[start] ? calls[start] : isup_new_call(ss7, start, dpc, 0);

		if (!c) {
			ev_error("grs", "isup_new_call failed");
			continue;
		}
		remember(start, c);
		if (end == start) {
			isup_rsc(ss7, c); /* a GRS range cannot be 0 (Q.763 3.43) */
		} else {
			isup_grs(ss7, c, end);
		}
	}
}

/* A GRS was received: the circuits in its range are idle now (Q.764 2.9.3.1). */
static void reset_cics(int lo, int hi, struct isup_call *keep)
{
	int cic;

	for (cic = lo; cic <= hi && cic < MAX_CIC; cic++) {
		if (cic < 0) {
			continue;
		}
		actions_cancel(cic);
		if (calls[cic] && calls[cic] != keep) {
			isup_free_call(ss7, calls[cic]);
			calls[cic] = NULL;
		}
	}
	if (keep) {
		isup_clear_callflags(ss7, keep, ~0UL);
	}
}

static void run_action(int kind, int cic, int arg)
{
	struct isup_call *c = cic_ok(cic) ? calls[cic] : NULL;

	if (!c) {
		return;
	}
	switch (kind) {
	case ACT_ACM:
		isup_acm(ss7, c);
		if (calls[cic] == c) {
			action_add(now_ms() + anm_delay, ACT_ANM, cic, 0);
		}
		break;
	case ACT_ANM:
		isup_anm(ss7, c);
		if (calls[cic] == c && release_after >= 0) {
			action_add(now_ms() + release_after, ACT_REL, cic, release_cause);
		}
		break;
	case ACT_REL:
		isup_rel(ss7, c, arg);
		break;
	}
}

/* ---------------------------------------------------------------- libss7 events */

static void ev_cic(const char *name, int cic, unsigned int pc)
{
	ev_begin(name);
	ev_int("cic", cic);
	ev_int("opc", pc);
	ev_end();
}

static void ev_range(const char *name, const ss7_event_cicrange *r, int with_status)
{
	int n = r->endcic - r->startcic + 1;

	ev_begin(name);
	ev_int("cic", r->startcic);
	ev_int("endcic", r->endcic);
	ev_int("range", r->endcic - r->startcic);
	ev_int("opc", r->opc);
	ev_int("type", r->type);
	if (with_status && n > 0 && n <= 255) {
		ev_int_array("status", r->status, n);
	}
	ev_end();
}

static void handle_event(ss7_event *e)
{
	unsigned char zero[255];

	memset(zero, 0, sizeof(zero));
	switch (e->e) {
	case SS7_EVENT_UP:
		ev_simple("ss7_up");
		if (reset_on_up) {
			grs_range(cic_lo, cic_hi);
		}
		break;
	case SS7_EVENT_DOWN:
		ev_simple("ss7_down");
		break;
	case MTP2_LINK_UP:
		ev_simple("mtp2_link_up");
		break;
	case MTP2_LINK_DOWN:
		ev_simple("mtp2_link_down");
		break;
	case ISUP_EVENT_IAM:
		remember(e->iam.cic, e->iam.call);
		ev_begin("iam");
		ev_int("cic", e->iam.cic);
		ev_int("opc", e->iam.opc);
		ev_str("called", e->iam.called_party_num);
		ev_int("called_nai", e->iam.called_nai);
		ev_str("calling", e->iam.calling_party_num);
		ev_int("calling_nai", e->iam.calling_nai);
		ev_int("presentation", e->iam.presentation_ind);
		ev_int("screening", e->iam.screening_ind);
		ev_int("category", e->iam.calling_party_cat);
		ev_int("transmission_medium", e->iam.transcap);
		if (e->iam.generic_name[0]) {
			ev_str("generic_name", e->iam.generic_name);
		}
		if (e->iam.redirecting_num[0]) {
			ev_str("redirecting", e->iam.redirecting_num);
		}
		if (e->iam.orig_called_num[0]) {
			ev_str("original_called", e->iam.orig_called_num);
		}
		ev_end();
		if (auto_answer && cic_ok(e->iam.cic)) {
			action_add(now_ms() + acm_delay, ACT_ACM, e->iam.cic, 0);
		}
		break;
	case ISUP_EVENT_SAM:
		ev_begin("sam");
		ev_int("cic", e->sam.cic);
		ev_str("called", e->sam.called_party_num);
		ev_end();
		break;
	case ISUP_EVENT_ACM:
		remember(e->acm.cic, e->acm.call);
		ev_begin("acm");
		ev_int("cic", e->acm.cic);
		ev_int("opc", e->acm.opc);
		ev_int("called_party_status", e->acm.called_party_status_ind);
		ev_end();
		break;
	case ISUP_EVENT_CPG:
		ev_begin("cpg");
		ev_int("cic", e->cpg.cic);
		ev_int("event_info", e->cpg.event);
		ev_end();
		break;
	case ISUP_EVENT_ANM:
	case ISUP_EVENT_CON:
		if (e->e == ISUP_EVENT_ANM) {
			remember(e->anm.cic, e->anm.call);
			ev_begin("anm");
			ev_int("cic", e->anm.cic);
			ev_str("connected", e->anm.connected_num);
		} else {
			remember(e->con.cic, e->con.call);
			ev_begin("con");
			ev_int("cic", e->con.cic);
			ev_str("connected", e->con.connected_num);
		}
		ev_end();
		if (release_after >= 0) {
			int cic = e->e == ISUP_EVENT_ANM ? e->anm.cic : e->con.cic;

			action_add(now_ms() + release_after, ACT_REL, cic, release_cause);
		}
		break;
	case ISUP_EVENT_REL:
		ev_begin("rel");
		ev_int("cic", e->rel.cic);
		ev_int("opc", e->rel.opc);
		ev_int("cause", e->rel.cause);
		ev_end();
		actions_cancel(e->rel.cic);
		remember(e->rel.cic, e->rel.call);
		if (auto_reply) {
			isup_rlc(ss7, e->rel.call);
			release_if_clear(e->rel.cic, e->rel.call);
		}
		break;
	case ISUP_EVENT_RLC:
		ev_cic("rlc", e->rlc.cic, e->rlc.opc);
		actions_cancel(e->rlc.cic);
		remember(e->rlc.cic, e->rlc.call);
		release_if_clear(e->rlc.cic, e->rlc.call);
		break;
	case ISUP_EVENT_GRS:
		ev_range("grs", &e->grs, 0);
		remember(e->grs.startcic, e->grs.call);
		if (auto_reply) {
			reset_cics(e->grs.startcic, e->grs.endcic, e->grs.call);
			isup_gra(ss7, e->grs.call, e->grs.endcic, zero);
			release_if_clear(e->grs.startcic, e->grs.call);
		}
		break;
	case ISUP_EVENT_GRA:
		ev_range("gra", &e->gra, 1);
		remember(e->gra.startcic, e->gra.call);
		release_if_clear(e->gra.startcic, e->gra.call);
		break;
	case ISUP_EVENT_RSC:
		ev_cic("rsc", e->rsc.cic, e->rsc.opc);
		remember(e->rsc.cic, e->rsc.call);
		if (auto_reply) {
			actions_cancel(e->rsc.cic);
			isup_rlc(ss7, e->rsc.call);
			release_if_clear(e->rsc.cic, e->rsc.call);
		}
		break;
	case ISUP_EVENT_BLO:
		ev_cic("blo", e->blo.cic, e->blo.opc);
		remember(e->blo.cic, e->blo.call);
		if (auto_reply) {
			isup_bla(ss7, e->blo.call);
			release_if_clear(e->blo.cic, e->blo.call);
		}
		break;
	case ISUP_EVENT_UBL:
		ev_cic("ubl", e->ubl.cic, e->ubl.opc);
		remember(e->ubl.cic, e->ubl.call);
		if (auto_reply) {
			isup_uba(ss7, e->ubl.call);
			release_if_clear(e->ubl.cic, e->ubl.call);
		}
		break;
	case ISUP_EVENT_BLA:
		ev_cic("bla", e->bla.cic, e->bla.opc);
		remember(e->bla.cic, e->bla.call);
		release_if_clear(e->bla.cic, e->bla.call);
		break;
	case ISUP_EVENT_UBA:
		ev_cic("uba", e->uba.cic, e->uba.opc);
		remember(e->uba.cic, e->uba.call);
		release_if_clear(e->uba.cic, e->uba.call);
		break;
	case ISUP_EVENT_CGB:
		ev_range("cgb", &e->cgb, 1);
		remember(e->cgb.startcic, e->cgb.call);
		if (auto_reply) {
			isup_cgba(ss7, e->cgb.call, e->cgb.endcic, e->cgb.status);
			release_if_clear(e->cgb.startcic, e->cgb.call);
		}
		break;
	case ISUP_EVENT_CGU:
		ev_range("cgu", &e->cgu, 1);
		remember(e->cgu.startcic, e->cgu.call);
		if (auto_reply) {
			isup_cgua(ss7, e->cgu.call, e->cgu.endcic, e->cgu.status);
			release_if_clear(e->cgu.startcic, e->cgu.call);
		}
		break;
	case ISUP_EVENT_CGBA:
		ev_range("cgba", &e->cgba, 1);
		remember(e->cgba.startcic, e->cgba.call);
		release_if_clear(e->cgba.startcic, e->cgba.call);
		break;
	case ISUP_EVENT_CGUA:
		ev_range("cgua", &e->cgua, 1);
		remember(e->cgua.startcic, e->cgua.call);
		release_if_clear(e->cgua.startcic, e->cgua.call);
		break;
	case ISUP_EVENT_CQM:
		ev_range("cqm", &e->cqm, 0);
		break;
	case ISUP_EVENT_COT:
		ev_begin("cot");
		ev_int("cic", e->cot.cic);
		ev_bool("passed", e->cot.passed);
		ev_end();
		break;
	case ISUP_EVENT_CCR:
		ev_cic("ccr", e->ccr.cic, e->ccr.opc);
		break;
	case ISUP_EVENT_CVT:
		ev_begin("cvt");
		ev_int("cic", e->cvt.cic);
		ev_end();
		break;
	case ISUP_EVENT_UCIC:
		ev_cic("ucic", e->ucic.cic, e->ucic.opc);
		break;
	case ISUP_EVENT_LPA:
		ev_cic("lpa", e->lpa.cic, e->lpa.opc);
		break;
	case ISUP_EVENT_SUS:
	case ISUP_EVENT_RES:
		ev_begin(e->e == ISUP_EVENT_SUS ? "sus" : "res");
		ev_int("cic", e->sus.cic);
		ev_int("indicator", e->sus.network_isdn_indicator);
		ev_end();
		break;
	case ISUP_EVENT_FAR:
		ev_cic("far", e->far.cic, e->far.opc);
		break;
	case ISUP_EVENT_FAA:
		ev_cic("faa", e->faa.cic, e->faa.opc);
		break;
	case ISUP_EVENT_FRJ:
		ev_cic("frj", e->frj.cic, e->frj.opc);
		break;
	case ISUP_EVENT_DIGITTIMEOUT:
		ev_begin("digit_timeout");
		ev_int("cic", e->digittimeout.cic);
		ev_end();
		break;
	default:
		ev_begin("unknown_event");
		ev_int("code", e->e);
		ev_str("name", ss7_event2str(e->e));
		ev_end();
		break;
	}
}

static void pump_events(void)
{
	ss7_event *e;
	int guard = 0;

	while (guard++ < 1000 && (e = ss7_check_event(ss7))) {
		handle_event(e);
	}
}

/* ---------------------------------------------------------------- commands */

static int done;

static struct isup_call *call_on(const char *what, int cic)
{
	if (!cic_ok(cic)) {
		ev_error(what, "CIC outside --cics");
		return NULL;
	}
	if (!calls[cic]) {
		calls[cic] = isup_new_call(ss7, cic, dpc, 0);
	}
	return calls[cic];
}

static void cmd_call(char **w, int n)
{
	int cic = (int) parse_num(w[1]);
	int nai = SS7_NAI_NATIONAL, cnai = SS7_NAI_NATIONAL;
	int pres = SS7_PRESENTATION_ALLOWED, scr = SS7_SCREENING_USER_PROVIDED, cat = 10;
	struct isup_call *c;
	int i;

	if (n < 4 || !cic_ok(cic)) {
		ev_error("call", "usage: call CIC CALLED CALLING [nai=N] [cnai=N] [pres=N] [scr=N] [cat=N]");
		return;
	}
	for (i = 4; i < n; i++) {
		char *name;
		long v;

		if (parse_assignment(w[i], &name, &v)) {
			ev_error("call", "bad option");
			return;
		}
		if (!strcmp(name, "nai")) nai = (int) v;
		else if (!strcmp(name, "cnai")) cnai = (int) v;
		else if (!strcmp(name, "pres")) pres = (int) v;
		else if (!strcmp(name, "scr")) scr = (int) v;
		else if (!strcmp(name, "cat")) cat = (int) v;
		else {
			ev_error("call", "unknown option");
			return;
		}
	}
	if (calls[cic]) {
		/* A left-over idle record (e.g. from a reset) would confuse libss7's dual seizure
		 * check; a busy one means the circuit is busy. */
		if (isup_free_call_if_clear(ss7, calls[cic])) {
			ev_error("call", "circuit busy");
			return;
		}
		calls[cic] = NULL;
	}
	c = isup_new_call(ss7, cic, dpc, 1);
	if (!c) {
		ev_error("call", "isup_new_call failed");
		return;
	}
	isup_set_called(c, w[2], (unsigned char) nai, ss7);
	isup_set_calling(c, w[3], (unsigned char) cnai, (unsigned char) pres, (unsigned char) scr);
	isup_set_calling_party_category(c, (unsigned int) cat);
	if (isup_iam(ss7, c) < 0) {
		ev_error("call", "isup_iam failed (linkset down?)");
		return; /* libss7 freed the call */
	}
	calls[cic] = c;
}

static void handle_line(char *line)
{
	char *w[16];
	int n = split_words(line, w, 16);
	long a1 = n > 1 ? parse_num(w[1]) : -1;
	long a2 = n > 2 ? parse_num(w[2]) : -1;
	struct isup_call *c;

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
	} else if (!strcmp(w[0], "call")) {
		cmd_call(w, n);
	} else if (!strcmp(w[0], "alarm")) {
		ss7_link_alarm(ss7, lib_fd);
	} else if (!strcmp(w[0], "noalarm")) {
		ss7_link_noalarm(ss7, lib_fd);
	} else if (n < 2 || a1 < 0) {
		ev_error(w[0], "unknown command or missing CIC");
	} else if (!strcmp(w[0], "acm")) {
		if ((c = call_on("acm", (int) a1))) isup_acm(ss7, c);
	} else if (!strcmp(w[0], "answer") || !strcmp(w[0], "anm")) {
		if ((c = call_on("answer", (int) a1))) isup_anm(ss7, c);
	} else if (!strcmp(w[0], "con")) {
		if ((c = call_on("con", (int) a1))) isup_con(ss7, c);
	} else if (!strcmp(w[0], "cpg")) {
		if ((c = call_on("cpg", (int) a1))) isup_cpg(ss7, c, a2 < 0 ? CPG_EVENT_ALERTING : (int) a2);
	} else if (!strcmp(w[0], "release") || !strcmp(w[0], "rel")) {
		actions_cancel((int) a1);
		if ((c = call_on("release", (int) a1))) isup_rel(ss7, c, a2 < 0 ? 16 : (int) a2);
	} else if (!strcmp(w[0], "rlc")) {
		if ((c = call_on("rlc", (int) a1))) {
			isup_rlc(ss7, c);
			release_if_clear((int) a1, c);
		}
	} else if (!strcmp(w[0], "grs")) {
		if (a2 < 1 || a2 > 31 || !cic_ok((int) a1)) {
			ev_error("grs", "usage: grs CIC RANGE (RANGE 1-31)");
		} else if ((c = call_on("grs", (int) a1))) {
			isup_grs(ss7, c, (int) (a1 + a2));
		}
	} else if (!strcmp(w[0], "rsc")) {
		if ((c = call_on("rsc", (int) a1))) isup_rsc(ss7, c);
	} else if (!strcmp(w[0], "blo")) {
		if ((c = call_on("blo", (int) a1))) isup_blo(ss7, c);
	} else if (!strcmp(w[0], "ubl")) {
		if ((c = call_on("ubl", (int) a1))) isup_ubl(ss7, c);
	} else if (!strcmp(w[0], "cgb") || !strcmp(w[0], "cgu")) {
		unsigned char state[255];
		long type = n > 3 ? parse_num(w[3]) : 0;

		memset(state, 1, sizeof(state));
		if (a2 < 1 || a2 > 31 || type < 0) {
			ev_error(w[0], "usage: cgb|cgu CIC RANGE [TYPE]");
		} else if ((c = call_on(w[0], (int) a1))) {
			if (w[0][2] == 'b') {
				isup_cgb(ss7, c, (int) (a1 + a2), state, (int) type);
			} else {
				isup_cgu(ss7, c, (int) (a1 + a2), state, (int) type);
			}
		}
	} else {
		ev_error(w[0], "unknown command");
	}
	drain(0);
}

/* ---------------------------------------------------------------- set-up */

static void usage(const char *why)
{
	fprintf(stderr, "ss7peer: %s\n"
		"usage: ss7peer (--connect PATH | --listen PATH) --opc PC --dpc PC [--ni NI] [--variant itu|ansi]\n"
		"       [--cics A-B] [--slc N] [--mtp3-timer NAME=MS] [--isup-timer NAME=MS] [--fill-ms N]\n"
		"       [--auto-answer] [--acm-delay MS] [--anm-delay MS] [--release-after MS] [--release-cause N]\n"
		"       [--no-auto-reply] [--reset-on-up] [--trace[=all]] [--debug] [--timeout S]\n", why);
	exit(2);
}

static int parse_ni(const char *s)
{
	if (!strcasecmp(s, "int") || !strcasecmp(s, "international")) return SS7_NI_INT;
	if (!strcasecmp(s, "int_spare")) return SS7_NI_INT_SPARE;
	if (!strcasecmp(s, "nat") || !strcasecmp(s, "national")) return SS7_NI_NAT;
	if (!strcasecmp(s, "nat_spare")) return SS7_NI_NAT_SPARE;
	{
		long v = parse_num(s);

		return v >= 0 && v <= 3 ? (int) v : -1;
	}
}

#define MAX_TIMER_ARGS 32
static char *mtp3_timer_args[MAX_TIMER_ARGS];
static int n_mtp3_timers;
static char *isup_timer_args[MAX_TIMER_ARGS];
static int n_isup_timers;

int main(int argc, char **argv)
{
	const char *connect_path = NULL, *listen_path = NULL;
	long have_opc = -1, have_dpc = -1;
	int sv[2];
	int i;

	process_init();
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

#define NEXT() do { if (!v) usage("missing value"); i++; } while (0)
		if (!strcmp(a, "--connect")) { NEXT(); connect_path = v; }
		else if (!strcmp(a, "--listen")) { NEXT(); listen_path = v; }
		else if (!strcmp(a, "--opc")) { NEXT(); have_opc = parse_num(v); }
		else if (!strcmp(a, "--dpc")) { NEXT(); have_dpc = parse_num(v); }
		else if (!strcmp(a, "--ni")) { NEXT(); if ((ni = parse_ni(v)) < 0) usage("bad --ni"); }
		else if (!strcmp(a, "--variant")) {
			NEXT();
			if (!strcasecmp(v, "itu")) variant = SS7_ITU;
			else if (!strcasecmp(v, "ansi")) variant = SS7_ANSI;
			else usage("bad --variant");
		}
		else if (!strcmp(a, "--cics")) {
			NEXT();
			if (sscanf(v, "%d-%d", &cic_lo, &cic_hi) != 2 || cic_lo < 0 || cic_hi < cic_lo || cic_hi >= MAX_CIC)
				usage("bad --cics");
		}
		else if (!strcmp(a, "--slc")) { NEXT(); if ((slc = (int) parse_num(v)) < 0 || slc > 15) usage("bad --slc"); }
		else if (!strcmp(a, "--mtp3-timer")) { NEXT(); if (n_mtp3_timers < MAX_TIMER_ARGS) mtp3_timer_args[n_mtp3_timers++] = argv[i]; }
		else if (!strcmp(a, "--isup-timer")) { NEXT(); if (n_isup_timers < MAX_TIMER_ARGS) isup_timer_args[n_isup_timers++] = argv[i]; }
		else if (!strcmp(a, "--fill-ms")) { NEXT(); if ((fill_ms = (int) parse_num(v)) < 0) usage("bad --fill-ms"); }
		else if (!strcmp(a, "--auto-answer")) auto_answer = 1;
		else if (!strcmp(a, "--acm-delay")) { NEXT(); if ((acm_delay = (int) parse_num(v)) < 0) usage("bad --acm-delay"); }
		else if (!strcmp(a, "--anm-delay")) { NEXT(); if ((anm_delay = (int) parse_num(v)) < 0) usage("bad --anm-delay"); }
		else if (!strcmp(a, "--release-after")) { NEXT(); if ((release_after = parse_num(v)) < 0) usage("bad --release-after"); }
		else if (!strcmp(a, "--release-cause")) { NEXT(); if ((release_cause = (int) parse_num(v)) < 0 || release_cause > 127) usage("bad --release-cause"); }
		else if (!strcmp(a, "--no-auto-reply")) auto_reply = 0;
		else if (!strcmp(a, "--reset-on-up")) reset_on_up = 1;
		else if (!strcmp(a, "--trace")) trace = 1;
		else if (!strcmp(a, "--trace=all")) trace = 2;
		else if (!strcmp(a, "--debug")) debug = 1;
		else if (!strcmp(a, "--timeout")) { NEXT(); if ((timeout_s = parse_num(v)) <= 0) usage("bad --timeout"); }
		else usage("unknown option");
#undef NEXT
	}
	if (!connect_path == !listen_path) {
		usage("exactly one of --connect and --listen");
	}
	if (have_opc < 0 || have_dpc < 0) {
		usage("--opc and --dpc are required");
	}
	opc = (unsigned int) have_opc;
	dpc = (unsigned int) have_dpc;

	ss7_set_message(cb_message);
	ss7_set_error(cb_error);
	ss7_set_call_null(cb_call_null);
	ss7_set_hangup(cb_hangup);
	ss7_set_notinservice(cb_notinservice);

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0) {
		ev_error("socketpair", strerror(errno));
		return 1;
	}
	lib_fd = sv[0];
	our_fd = sv[1];

	ss7 = ss7_new(variant);
	if (!ss7) {
		ev_error("ss7_new", "failed");
		return 1;
	}
	if (debug) {
		ss7_set_debug(ss7, SS7_DEBUG_MTP2 | SS7_DEBUG_MTP3 | SS7_DEBUG_ISUP);
	}
	ss7_set_network_ind(ss7, ni);
	ss7_set_pc(ss7, opc);
	if (ss7_add_link(ss7, SS7_TRANSPORT_DAHDIDCHAN, lib_fd, slc, dpc)) {
		ev_error("ss7_add_link", "failed");
		return 1;
	}
	for (i = 0; i < n_mtp3_timers; i++) {
		char *name;
		long ms;

		if (parse_assignment(mtp3_timer_args[i], &name, &ms)) usage("bad --mtp3-timer");
		ss7_set_mtp3_timer(ss7, name, (int) ms);
	}
	for (i = 0; i < n_isup_timers; i++) {
		char *name;
		long ms;

		if (parse_assignment(isup_timer_args[i], &name, &ms)) usage("bad --isup-timer");
		ss7_set_isup_timer(ss7, name, (int) ms);
	}

	if (tp_init(&tp, connect_path ? TP_CONNECT : TP_LISTEN, connect_path ? connect_path : listen_path)) {
		return 1;
	}
	ev_begin("started");
	ev_str("peer", "ss7peer");
	ev_str("library", ss7_get_version());
	ev_str("variant", variant == SS7_ITU ? "itu" : "ansi");
	ev_int("opc", opc);
	ev_int("dpc", dpc);
	ev_int("ni", ni);
	ev_int("slc", slc);
	ev_int("cic_lo", cic_lo);
	ev_int("cic_hi", cic_hi);
	ev_int("fill_ms", fill_ms);
	ev_end();

	while (!done) {
		struct pollfd pfd[3];
		int npfd = 0, ix_tp = -1, ix_listen = -1, ix_stdin;
		long now = now_ms(), due = now + 1000;
		struct timeval *next;

		if (now >= timeout_s * 1000L) {
			ev_simple("timeout");
			return 3;
		}
		if (stdin_eof) {
			break;
		}
		if (tp_try_connect(&tp, now)) {
			goto attached;
		}

		if ((next = ss7_schedule_next(ss7))) {
			long at = now + ms_until_timeval(next);

			if (at < due) due = at;
		}
		if (actions_next_due() < due) {
			due = actions_next_due();
		}
		if (tp.fd >= 0 && started && fill_ms > 0 && last_tx_at + fill_ms < due) {
			due = last_tx_at + fill_ms;
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
		if (ix_listen >= 0 && (pfd[ix_listen].revents & POLLIN) && tp_accept(&tp)) {
			goto attached;
		}
		if (ix_tp >= 0 && tp.fd >= 0 && (pfd[ix_tp].revents & (POLLIN | POLLHUP | POLLERR))) {
			int k;

			for (k = 0; k < 64 && tp.fd >= 0; k++) {
				unsigned char f[1024];
				int n = tp_recv(&tp, f, sizeof(f));

				if (n < 0) {
					/* Line lost: what a card reports as a red alarm. */
					ss7_link_alarm(ss7, lib_fd);
					pump_events();
					break;
				}
				if (n == 0) {
					break;
				}
				if (trace) {
					int fill = n >= 5 && (f[2] & 0x3f) <= 2;

					if (fill && trace == 1 && n == last_rx_len && !memcmp(f, last_rx, (size_t) n)) {
						rx_repeats++;
					} else {
						trace_frame("rx", f, n, rx_repeats);
						rx_repeats = 0;
					}
					if (n <= (int) sizeof(last_rx)) {
						memcpy(last_rx, f, (size_t) n);
						last_rx_len = n;
					}
				}
				if (n >= 5 && (f[2] & 0x3f) > 2) {
					ev_msu("rx", f, n - 2);
				}
				if (send(our_fd, f, (size_t) n, MSG_DONTWAIT) == n) {
					ss7_read(ss7, lib_fd);
				}
				pump_events();
				drain(0);
			}
		}

		ss7_schedule_run(ss7);
		pump_events();
		actions_run(now_ms(), run_action);
		pump_events();
		drain(0);
		if (tp.fd >= 0 && started && fill_ms > 0 && now_ms() - last_tx_at >= fill_ms) {
			drain(1);
		}
		continue;

attached:
		last_fill_len = -1;
		last_tx_at = 0;
		if (!started) {
			started = 1;
			ss7_start(ss7);
		} else {
			ss7_link_noalarm(ss7, lib_fd);
		}
		pump_events();
		drain(0);
	}
	ev_simple("exit");
	return 0;
}

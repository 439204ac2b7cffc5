#!/usr/bin/env python3
"""Opt-in load test of the real gateway: `sipt-mgc run` between the built-in PSTN simulator
(`sipt-mgc sim`, ISUP over a `frames` link: a Unix SOCK_SEQPACKET socket) and sipp, both ways.

  pstn-to-sip: the simulator's load mode places calls at --cps for --duration s, each held
               --hold s; the gateway routes 49... to a sipp UAS (fixtures/sip/sipp/uas_basic.xml)
               which answers them (RFC 3398 8: IAM -> INVITE, 180 -> ACM, 200 -> ANM; the
               simulator's REL -> BYE).
  sip-to-pstn: sipp as UAC (fixtures/sip/sipp/uac_basic.xml) calls 7001 at --cps (-r) for
               --duration s, each held --hold s (-d); the gateway routes 7... to the trunk and
               the simulator answers every IAM (RFC 3398 7).

For each it prints: calls/s sustained (answered calls over the window they were placed in),
failed calls (must be 0: the script exits 1 otherwise), the most calls held at once (from the
gateway's log: call_answered .. call_ended), and the gateway's RSS (VmRSS of
/proc/PID/status) before the load and at its peak, and the growth divided by the calls held.

With --relations N the trunk group "pstn" is N signalling relations of 4000 circuits each
(the gateway at point code 1, relation i's simulator at 2+i, each its own `sipt-mgc sim` on its
own socket, placing cps/N calls/s): an ITU-T CIC has 12 bits (Q.763 1.2), so 20 000 calls at
once need at least 5 relations, as a real gateway's E1s toward several exchanges would.

  cargo build --release
  python3 tests/load/gateway_load.py [--cps 50] [--hold 10] [--duration 30] [--relations 1]
                                     [--both|--pstn|--sip]

Needs sipp (Debian sip-tester). Every file (configurations, the gateway's log, the
simulator's events, sipp's statistics) is kept in the directory printed at the start.
Mind that the simulator, the gateway and sipp share the machine's cores: at high rates the
figure measured may be the machine's, not the gateway's (the CPU time of each is printed).
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SIPP_DIR = os.path.join(ROOT, "fixtures", "sip", "sipp")
CICS = 4000  # one relation: ITU-T CICs have 12 bits (Q.763 1.2)
STAGGER = 1.5  # seconds between the simulators' starts


def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def cpu_seconds(pid):
    """User + system CPU time of a process, from /proc/PID/stat."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


class Sampler(threading.Thread):
    """Samples the gateway's VmRSS every 100 ms."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0, False

    def run(self):
        while not self.stop:
            r = rss_kib(self.pid)
            if r is not None:
                self.peak = max(self.peak, r)
            time.sleep(0.1)


def wait_for(path, pred, timeout, what):
    end = time.time() + timeout
    while time.time() < end:
        try:
            with open(path) as f:
                for line in f:
                    try:
                        if pred(json.loads(line)):
                            return
                    except ValueError:
                        continue
        except OSError:
            pass
        time.sleep(0.1)
    sys.exit(f"timed out waiting for {what} in {path}")


def gateway_config(d, socks, gw_port, sipp_port):
    links = "".join(f"""
[[link]]
name = "e1-{i}"
protocol = "isup"
transport = "frames"
path = "unix-listen:{sock}"
opc = 1
dpc = {2 + i}
cics = "1-{CICS}"
trunk_group = "pstn"
""" for i, sock in enumerate(socks))
    text = f"""
[sip]
listen = ["udp:127.0.0.1:{gw_port}"]
trusted = []
{links}
[[route]]
prefix = "49"
to = "sip:{{number}}@127.0.0.1:{sipp_port}"

[[route]]
prefix = "7"
to = "trunk:pstn"
"""
    path = os.path.join(d, "gateway.toml")
    with open(path, "w") as f:
        f.write(text)
    return path


def sim_config(d, sock, i):
    path = os.path.join(d, f"sim-{i}.toml")
    with open(path, "w") as f:
        f.write(f"""
[[link]]
name = "pstn-{i}"
protocol = "isup"
transport = "frames"
path = "unix:{sock}"
opc = {2 + i}
dpc = 1
cics = "1-{CICS}"
""")
    return path


def sim_summary(path):
    with open(path) as f:
        for line in f:
            try:
                e = json.loads(line)
            except ValueError:
                continue
            if e.get("event") == "summary":
                return e
    return {}


def percentile(values, q):
    if not values:
        return None
    v = sorted(values)
    return v[min(len(v) - 1, int(q * len(v)))]


def added_latency(log):
    """p50, p99 and max of `added_us` (call_routed: the time from the set-up message in to
    the other leg's out, measured by the gateway's shell on the wall clock), in us."""
    added = []
    with open(log) as f:
        for line in f:
            try:
                e = json.loads(line)
            except ValueError:
                continue
            if e.get("event") == "call_routed" and e.get("added_us") is not None:
                added.append(e["added_us"])
    return percentile(added, 0.5), percentile(added, 0.99), max(added) if added else None


def held_calls(log):
    """The most calls answered and not yet ended at once, from the gateway's log."""
    held = peak = 0
    answered = ended = failed = 0
    with open(log) as f:
        for line in f:
            try:
                e = json.loads(line)
            except ValueError:
                continue
            ev = e.get("event")
            if ev == "call_answered":
                answered += 1
                held += 1
                peak = max(peak, held)
            elif ev == "call_ended":
                ended += 1
                if e.get("answered"):
                    held -= 1
                else:
                    failed += 1
    return peak, answered, ended, failed


def sipp_stats(csv):
    """(successful, failed) calls from the last line of sipp's -trace_stat file."""
    try:
        with open(csv) as f:
            lines = [l.strip() for l in f if l.strip()]
    except OSError:
        return None, None
    if len(lines) < 2:
        return None, None
    head, last = lines[0].split(";"), lines[-1].split(";")
    row = dict(zip(head, last))
    return int(row.get("SuccessfulCall(C)", 0)), int(row.get("FailedCall(C)", 0))


def sipp_args(d, name, port):
    return [
        "-i", "127.0.0.1", "-p", str(port), "-bind_local", "-nostdin",
        "-trace_err", "-error_file", os.path.join(d, f"{name}-errors.log"),
        "-trace_stat", "-stf", os.path.join(d, f"{name}-stats.csv"), "-fd", "1",
        "-trace_screen", "-screen_file", os.path.join(d, f"{name}-screen.log"),
    ]


def start_gateway(binary, d, name, gw_conf):
    log = os.path.join(d, f"{name}-gateway.jsonl")
    proc = subprocess.Popen([binary, "run", "--config", gw_conf],
                            stdout=open(log, "w"), stderr=open(log + ".err", "w"))
    return proc, log


def stop(proc, sig=signal.SIGINT, timeout=10):
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def report(name, window, answered_sip, failed, peak_held, rss0, rss_peak, cpu, log):
    rate = answered_sip / window if window > 0 else 0.0
    growth = max(rss_peak - rss0, 0)
    per_call = growth * 1024 / peak_held if peak_held else 0
    p50, p99, worst = added_latency(log)
    print(f"{name}: {rate:.1f} calls/s sustained over {window:.1f} s; failed calls {failed}; "
          f"most calls held at once {peak_held}; gateway RSS {rss0} KiB before, {rss_peak} KiB at peak "
          f"(+{growth} KiB: {per_call:.0f} bytes per call held); CPU s: {cpu}; "
          f"added latency (set-up in -> out) p50 {p50} us, p99 {p99} us, max {worst} us")


def pstn_to_sip(a, d):
    n = a.relations
    socks = [os.path.join(d, f"pstn-{i}.sock") for i in range(n)]
    gw_port, sipp_port = free_udp_port(), free_udp_port()
    gw_conf = gateway_config(d, socks, gw_port, sipp_port)
    # The simulators start STAGGER s apart, so that the circuit resets of each relation's start
    # (the gateway's GRS of its 4000 circuits, Q.764 2.9.3.1, and the simulator's) do not all
    # come at once; each one's load begins so that all begin together.
    loads = []
    for i in range(n):
        load = os.path.join(d, f"load-{i}.toml")
        with open(load, "w") as f:
            f.write(f"""
[load]
cps = {a.cps / n}
hold_ms = {int(a.hold * 1000)}
duration_ms = {int(a.duration * 1000)}
start_ms = {int(((n - 1 - i) * STAGGER + 3) * 1000)}
called = "4930xxxxxxxx"
calling = "4940111222"

[end]
wait_up_ms = 30000
settle_ms = 3000
""")
        loads.append(load)
    uas = subprocess.Popen(
        [a.sipp, "-sf", os.path.join(SIPP_DIR, "uas_basic.xml"), "-t", "u1", "-d", "2000"]
        + sipp_args(d, "p2s-sipp", sipp_port),
        stdout=open(os.path.join(d, "p2s-sipp.out"), "w"), stderr=subprocess.STDOUT)
    gw, log = start_gateway(a.binary, d, "p2s", gw_conf)
    wait_for(log, lambda e: e.get("event") == "started", 10, "the gateway's start")
    sampler = Sampler(gw.pid)
    sims, outs = [], []
    for i, sock in enumerate(socks):
        if i:
            time.sleep(STAGGER)
        out = os.path.join(d, f"p2s-sim-{i}.jsonl")
        outs.append(out)
        sims.append(subprocess.Popen(
            [a.binary, "sim", "--config", sim_config(d, sock, i), "--scenario", loads[i]],
            stdout=open(out, "w"), stderr=open(out + ".err", "w")))
    # Links up and the resets done before the first call: the RSS before the load.
    for out in outs:
        wait_for(out, lambda e: e.get("event") == "up", 40, "the link up")
    rss0 = rss_kib(gw.pid) or 0
    sampler.start()
    for sim in sims:
        sim.wait(a.duration + a.hold + 120)
    sampler.stop = True
    summaries = [sim_summary(out) for out in outs]
    time.sleep(1)
    cpu = {"gateway": cpu_seconds(gw.pid), "sipp": cpu_seconds(uas.pid)}
    stop(gw)
    stop(uas, signal.SIGUSR1)
    peak_held, answered, ended, failed_gw = held_calls(log)
    ok, failed_sipp = sipp_stats(os.path.join(d, "p2s-sipp-stats.csv"))
    placed = sum(s.get("calls_placed", 0) for s in summaries)
    sim_answered = sum(s.get("calls_answered", 0) for s in summaries)
    failures = [f for s in summaries for f in s.get("failures", ["no summary line"])]
    failures += ["no summary line from a simulator"] * sum(1 for s in summaries if not s)
    failed = len(failures) + failed_gw + (placed - sim_answered)
    # The load window is the configured duration: calls are placed over it.
    report("pstn-to-sip", a.duration, sim_answered, failed, peak_held,
           rss0, max(sampler.peak, rss0), cpu, log)
    codes = [sim.returncode for sim in sims]
    print(f"  simulators ({n}): placed {placed}, answered {sim_answered}, "
          f"failures {failures[:3]}; gateway: answered {answered}, ended {ended}, "
          f"failed {failed_gw}; sipp UAS: successful {ok}, failed {failed_sipp}; "
          f"sim exits {codes}")
    return failed == 0 and all(c == 0 for c in codes) and placed > 0


def sip_to_pstn(a, d):
    n = a.relations
    socks = [os.path.join(d, f"pstn2-{i}.sock") for i in range(n)]
    gw_port, sipp_port = free_udp_port(), free_udp_port()
    gw_conf = gateway_config(d, socks, gw_port, free_udp_port())
    gw, log = start_gateway(a.binary, d, "s2p", gw_conf)
    wait_for(log, lambda e: e.get("event") == "started", 10, "the gateway's start")
    sims, outs = [], []
    for i, sock in enumerate(socks):
        if i:
            time.sleep(STAGGER)
        out = os.path.join(d, f"s2p-sim-{i}.jsonl")
        outs.append(out)
        sims.append(subprocess.Popen([a.binary, "sim", "--config", sim_config(d, sock, i)],
                                     stdout=open(out, "w"), stderr=open(out + ".err", "w")))
    # A relation is available once the gateway's GRS is answered.
    for out in outs:
        wait_for(out, lambda e: e.get("event") == "up", 40, "the link up")
    time.sleep(2 + n)  # the gateway's GRS of every circuit answered
    rss0 = rss_kib(gw.pid) or 0
    sampler = Sampler(gw.pid)
    sampler.start()
    calls = int(a.cps * a.duration)
    t0 = time.time()
    uac = subprocess.run(
        [a.sipp, f"127.0.0.1:{gw_port}", "-sf", os.path.join(SIPP_DIR, "uac_basic.xml"),
         "-t", "u1", "-s", "7001", "-key", "calling", "4940111222",
         "-r", str(a.cps), "-m", str(calls), "-l", str(int(a.cps * (a.hold + 5)) + 10),
         "-d", str(int(a.hold * 1000)), "-timeout", f"{int(a.duration + a.hold + 120)}s",
         "-timeout_error"] + sipp_args(d, "s2p-sipp", sipp_port),
        stdout=open(os.path.join(d, "s2p-sipp.out"), "w"), stderr=subprocess.STDOUT)
    elapsed = time.time() - t0
    sampler.stop = True
    time.sleep(1)
    cpu = {"gateway": cpu_seconds(gw.pid), "sims": [cpu_seconds(s.pid) for s in sims]}
    for sim in sims:
        stop(sim)
    stop(gw)
    peak_held, answered, ended, failed_gw = held_calls(log)
    ok, failed_sipp = sipp_stats(os.path.join(d, "s2p-sipp-stats.csv"))
    failed = (failed_sipp if failed_sipp is not None else calls) + failed_gw
    report("sip-to-pstn", elapsed - a.hold, ok or 0, failed, peak_held, rss0,
           max(sampler.peak, rss0), cpu, log)
    print(f"  sipp UAC: {calls} calls, successful {ok}, failed {failed_sipp}, exit {uac.returncode}; "
          f"gateway: answered {answered}, ended {ended}, failed {failed_gw}")
    return failed == 0 and uac.returncode == 0 and ok == calls


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cps", type=float, default=20.0)
    p.add_argument("--hold", type=float, default=5.0, help="seconds each call is held")
    p.add_argument("--duration", type=float, default=20.0, help="seconds calls are placed for")
    p.add_argument("--relations", type=int, default=1,
                   help="signalling relations of 4000 circuits in the trunk group")
    p.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "sipt-mgc"))
    p.add_argument("--sipp", default=shutil.which("sipp") or "sipp")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--pstn", action="store_true", help="PSTN to SIP only")
    g.add_argument("--sip", action="store_true", help="SIP to PSTN only")
    a = p.parse_args()
    if not os.path.exists(a.binary):
        sys.exit(f"{a.binary} missing: cargo build --release")
    d = tempfile.mkdtemp(prefix="sipt-load-")
    print(f"files in {d}; {a.cps} calls/s for {a.duration} s, held {a.hold} s "
          f"(about {a.cps * a.hold:.0f} calls at once) on {a.relations} relation(s) of "
          f"{CICS} circuits")
    ok = True
    if not a.sip:
        ok &= pstn_to_sip(a, d)
    if not a.pstn:
        ok &= sip_to_pstn(a, d)
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

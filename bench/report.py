#!/usr/bin/python3
"""report - turn the raw numbers of bench/run into results.json,
results.md and PNG plots (gnuplot).

    report.py DATA RESULTS

DATA is the directory bench/run filled (metrics.tsv, *.us, *.stat.json,
*.curve, *.rss, *.res, meta.txt, versions.tsv, notes.txt); RESULTS gets
results.json, results.md, b1-latency.png, b2-latency.png, b3-drain.png.
Medians and 95th percentiles are those of bench/submit-latency: the
ceil(n/2)-th and the floor(0.95 n)-th smallest of n values.
"""
import json
import math
import os
import subprocess
import sys

PEERS = ["msmtp", "nullmailer", "dma"]
ALL = ["relayq"] + PEERS
GOAL_RSS_KB = 3 * 1024


def read(path, default=None):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return default


def load_json(path):
    text = read(path)
    return json.loads(text) if text else None


def us_list(path):
    text = read(path)
    if not text:
        return []
    return sorted(int(x) for x in text.split())


def stats(values_us):
    if not values_us:
        return None
    n = len(values_us)
    med = values_us[(n + 1) // 2 - 1]
    p95 = values_us[max(int(n * 0.95), 1) - 1]
    return {"n": n, "median_ms": med / 1000, "p95_ms": p95 / 1000,
            "min_ms": values_us[0] / 1000, "max_ms": values_us[-1] / 1000,
            "mean_ms": sum(values_us) / n / 1000}


def rss_runs(text):
    """The peak RSS of each run in a /usr/bin/time -a -f %M file, sorted
    (a run that failed adds a "Command exited" line, skipped here)."""
    return sorted(int(l) for l in (text or "").split("\n")
                  if l.strip().isdigit())


def num(text):
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def fmt(v, unit=""):
    if v is None:
        return "–"
    if isinstance(v, str):
        return v
    if isinstance(v, int):
        return "%d%s" % (v, unit)
    if v == 0:
        return "0" + unit
    a = abs(v)
    if a >= 100:
        s = "%.0f" % v
    elif a >= 10:
        s = "%.1f" % v
    elif a >= 1:
        s = "%.2f" % v
    else:
        s = "%.3g" % v
    return s + unit


def main():
    data, out = sys.argv[1], sys.argv[2]
    metrics = {}
    for line in (read(os.path.join(data, "metrics.tsv"), "") or "").splitlines():
        b, c, k, v = line.split("\t")
        metrics.setdefault(b, {}).setdefault(c, {})[k] = num(v)
    meta = dict(l.split("=", 1) for l in
                (read(os.path.join(data, "meta.txt"), "") or "").splitlines()
                if "=" in l)
    versions = [l.split("\t", 1) for l in
                (read(os.path.join(data, "versions.tsv"), "") or "").splitlines()]
    notes = [l for l in (read(os.path.join(data, "notes.txt"), "") or
                         "").splitlines() if l]
    contenders = meta.get("contenders", " ".join(ALL)).split()
    R = {"meta": meta, "versions": versions, "notes": notes}

    # harness
    h = {"host_true": stats(us_list(os.path.join(data, "harness-host.us"))),
         "ns_true": stats(us_list(os.path.join(data, "harness-ns.us"))),
         "nsenter_true": stats(us_list(os.path.join(data,
                                                    "harness-nsenter.us"))),
         "ns_floor": stats(us_list(os.path.join(data, "harness-floor.us"))),
         "ns_setup_ms": {k: v / 1000 for k, v in
                         metrics.get("harness", {}).get("ns-setup",
                                                        {}).items()}}
    runs = rss_runs(read(os.path.join(data, "b4-harness-1.rss")))
    h["true_rss_kb"] = runs[(len(runs) - 1) // 2] if runs else None
    R["harness"] = h

    # B1, B2
    for b in ("b1", "b2"):
        R[b] = {}
        for c in contenders:
            s = stats(us_list(os.path.join(data, "%s-%s.us" % (b, c))))
            if s is None:
                continue
            s.update(metrics.get(b, {}).get(c, {}))
            st = load_json(os.path.join(data, "%s-%s.stat.json" % (b, c)))
            if st:
                s["relay"] = st
            R[b][c] = s

    # B3
    R["b3"] = {}
    for v in ("relayq", "nullmailer", "dma", "dma-backoff", "ceiling-s1",
              "ceiling-s4"):
        st = load_json(os.path.join(data, "b3-%s.stat.json" % v))
        if st is None:
            continue
        m = metrics.get("b3", {}).get(v, {})
        n = m.get("n", st["received"])
        e = dict(m)
        e.update(st)
        if st.get("received", 0) >= n and st.get("last"):
            e["seconds"] = st["last"]
            e["rate"] = n / st["last"]
        else:
            e["seconds"] = None
            e["rate"] = None
        e["msgs_per_connection"] = (st["received"] / st["connections"]
                                    if st.get("connections") else None)
        R["b3"][v] = e
    ceil = [R["b3"][k]["rate"] for k in ("ceiling-s1", "ceiling-s4")
            if k in R["b3"] and R["b3"][k]["rate"]]
    R["b3_ceiling_rate"] = max(ceil) if ceil else None

    # B4
    R["b4"] = {}
    for c in contenders:
        e = {}
        for mb in (1, 100):
            runs = rss_runs(read(os.path.join(data, "b4-%s-%d.rss" % (c, mb))))
            e["rss_%dmb_kb" % mb] = runs[(len(runs) - 1) // 2] if runs else None
            e["rss_%dmb_runs_kb" % mb] = runs
        st = load_json(os.path.join(data, "b4-%s.stat.json" % c))
        if st:
            e["relay"] = st
        R["b4"][c] = e

    # B5
    R["b5"] = {}
    for c in ("relayq", "nullmailer"):
        runs = []
        for i in (1, 2, 3):
            t = read(os.path.join(data, "b5-%s-mailq-%d.res" % (c, i)))
            if t:
                _, us, code = t.split()
                runs.append({"seconds": int(us) / 1e6, "status": int(code)})
        if not runs:
            continue
        e = dict(metrics.get("b5", {}).get(c, {}))
        e["mailq_runs"] = runs
        e["mailq_seconds"] = sorted(r["seconds"] for r in runs)[len(runs) // 2]
        e["mailq_ok"] = all(r["status"] == 0 for r in runs)
        if c == "relayq":
            st = load_json(os.path.join(data, "b5-relayq-runner.stat.json"))
            e["runner_first_delivery_seconds"] = st.get("first") if st else None
            e["runner"] = st
        R["b5"][c] = e

    goals = evaluate(R)
    R["goals"] = goals
    md = markdown(R, contenders)
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(R, f, indent=1, sort_keys=True)
        f.write("\n")
    plots(R, data, out, contenders)
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write(md)


def g(d, *keys):
    for k in keys:
        if not isinstance(d, dict) or d.get(k) is None:
            return None
        d = d[k]
    return d


def best(values, lower=True):
    vals = [(v, k) for k, v in values.items() if v is not None]
    if not vals:
        return None, None
    return (min if lower else max)(vals)


def evaluate(R):
    goals = []

    def goal(name, measured, ok):
        goals.append({"goal": name, "measured": measured,
                      "met": None if ok is None else bool(ok)})

    r1 = g(R, "b1", "relayq", "median_ms")
    nd = [g(R, "b1", c, "median_ms") for c in ("nullmailer", "dma")]
    nd = [x for x in nd if x is not None]
    ms = g(R, "b1", "msmtp", "median_ms")
    if r1 is not None and nd:
        fl = (R["harness"].get("ns_floor") or {}).get("median_ms")
        goal("B1: relayq median ≤ 0.25 × the faster of nullmailer and dma",
             "%s ms vs %s ms: %.3f×" % (fmt(r1), fmt(min(nd)), r1 / min(nd))
             + ("" if fl is None else " (the floor, bench/floor.c: %s ms, "
                "%.3f×)" % (fmt(fl), fl / min(nd))),
             r1 <= 0.25 * min(nd))
    if r1 is not None and ms:
        goal("B1: relayq median ≤ 0.05 × msmtp",
             "%s ms vs %s ms: %.4f×" % (fmt(r1), fmt(ms), r1 / ms),
             r1 <= 0.05 * ms)
    r2 = g(R, "b2", "relayq", "median_ms")
    if r1 is not None and r2 is not None:
        goal("B2: relayq median within 20% of its B1 median",
             "%s ms vs %s ms: %+.1f%%" % (fmt(r2), fmt(r1),
                                         100 * (r2 - r1) / r1),
             r2 <= 1.2 * r1)
    rr = g(R, "b3", "relayq", "rate")
    dmas = [g(R, "b3", v, "rate") for v in ("dma", "dma-backoff")]
    dmas = [x for x in dmas if x]
    if rr and dmas:
        goal("B3: relayq ≥ 5 × dma's messages/s (dma's better run)",
             "%s vs %s msg/s: %.1f×" % (fmt(rr), fmt(max(dmas)),
                                        rr / max(dmas)),
             rr >= 5 * max(dmas))
    nr = g(R, "b3", "nullmailer", "rate")
    if rr and nr:
        goal("B3: relayq ≥ 20 × nullmailer's messages/s",
             "%s vs %s msg/s: %.1f×" % (fmt(rr), fmt(nr), rr / nr),
             rr >= 20 * nr)
    rc = g(R, "b3", "relayq", "connections")
    rn = g(R, "b3", "relayq", "received")
    if rc is not None and rn:
        goal("B3: relayq ≤ 1 connection per 50 messages",
             "%d connections for %d messages (1 per %.0f)" % (
                 rc, rn, rn / rc if rc else float("inf")),
             rc <= max(1, math.ceil(rn / 50)))
    if g(R, "b3", "relayq") is not None:
        dup = g(R, "b3", "relayq", "duplicates")
        goal("B3: relayq delivers each message once", "%s duplicates, %s of "
             "%s received" % (dup, rn, g(R, "b3", "relayq", "n")),
             dup == 0 and rn == g(R, "b3", "relayq", "n"))
    ce = R.get("b3_ceiling_rate")
    if rr and ce:
        goal("B3: relayq ≥ 50% of the relay's ceiling",
             "%s vs %s msg/s (smtp-source, plain, no AUTH): %.0f%%" % (
                 fmt(rr), fmt(ce), 100 * rr / ce), rr >= 0.5 * ce)
    a, b = g(R, "b4", "relayq", "rss_1mb_kb"), g(R, "b4", "relayq",
                                                 "rss_100mb_kb")
    if a is not None and b is not None:
        goal("B4: relayq's sendmail ≤ 3 MB peak RSS, flat (1 MB → 100 MB)",
             "%d KB → %d KB" % (a, b),
             a <= GOAL_RSS_KB and b <= GOAL_RSS_KB and b - a <= 256)
    mq = g(R, "b5", "relayq", "mailq_seconds")
    if mq is not None:
        goal("B5: relayq mailq on %s messages < 2 s" %
             R["meta"].get("B5_N", "?"), "%s s" % fmt(mq), mq < 2)
    fd = g(R, "b5", "relayq", "runner_first_delivery_seconds")
    if g(R, "b5", "relayq") is not None:
        goal("B5: first due message delivered ≤ 1 s after the runner starts",
             "%s s" % fmt(fd), fd is not None and fd <= 1)
    return goals


def markdown(R, contenders):
    peers = [c for c in PEERS if c in contenders]
    cols = ["relayq"] + peers
    has_defer = "dma-backoff" in R.get("b3", {})
    L = []
    m = R["meta"]
    L.append("# relayq benchmarks\n")
    L.append("%s, %s CPUs, kernel %s, %s (%s); %s s for the whole "
             "run; load average %s at the start, %s at the end.\n" % (
                 m.get("date", "?"), m.get("cpus", "?"), m.get("kernel", "?"),
                 m.get("relayq", "?"), m.get("commit", "?"),
                 m.get("seconds", "?"), m.get("loadavg_start", "?"),
                 m.get("loadavg_end", "?")))
    L.append("Peers (Debian 12): " + ", ".join(
        "%s %s" % (a, b) for a, b in R["versions"]) + ".\n")
    L.append("N: B1 %s; B2 %s (msmtp %s: it blocks for the whole delivery); "
             "B3 %s (nullmailer %s: one process and one connection per "
             "message, at a steady rate; dma without DEFER %s: that run "
             "waits for a 30 s poll whatever N is); B4 %s runs per size, "
             "the median; B5 %s "
             "(scale %s).\n" % (
                 m.get("B1_N"), m.get("B2_N"), m.get("B2_MSMTP_N"),
                 m.get("B3_N"), m.get("B3_NULLMAILER_N"),
                 m.get("B3_DMA_BACKOFF_N"), m.get("B4_N", "1"), m.get("B5_N"),
                 m.get("scale")))
    head = ["benchmark"] + cols
    if has_defer:
        head.append("dma, no DEFER")
    head += ["best peer", "relayq ÷ best"]
    L.append("| " + " | ".join(head) + " |")
    L.append("|" + "---|" * len(head))

    table = R.setdefault("table", [])

    def row(label, getter, lower=True, unit="", b3=False, compare=True,
            na=()):
        vals = {c: getter(c) for c in cols}
        extra = getter("dma-backoff") if (has_defer and b3) else None
        pv = {c: vals[c] for c in peers}
        if b3 and has_defer:
            pv["dma, no DEFER"] = extra
        if not compare or any(isinstance(x, str)
                              for x in list(pv.values()) + [vals["relayq"]]):
            bv, bk = None, None
        else:
            bv, bk = best(pv, lower)
        cells = [label] + ["n/a" if c in na else fmt(vals[c], unit)
                           for c in cols]
        if has_defer:
            cells.append(fmt(extra, unit) if b3 else "")
        cells.append("%s (%s)" % (fmt(bv, unit), bk) if bk else "")
        rv = vals["relayq"]
        ratio = rv / bv if rv is not None and bv else None
        cells.append("%.3g" % ratio if ratio is not None else "")
        L.append("| " + " | ".join(cells) + " |")
        t = {"benchmark": label, "values": dict(vals), "best_peer": bk,
             "best_value": bv, "relayq_ratio": ratio}
        if b3 and has_defer:
            t["values"]["dma-backoff"] = extra
        for c in na:
            t["values"][c] = "n/a"
        table.append(t)

    for b, name in (("b1", "B1 healthy"),
                    ("b2", "B2 greeting +2 s, caller blocked")):
        row("%s: median ms" % name, lambda c, b=b: g(R, b, c, "median_ms"))
        row("%s: p95 ms" % name, lambda c, b=b: g(R, b, c, "p95_ms"))
        row("%s: runs" % name, lambda c, b=b: g(R, b, c, "n"), compare=False)
    key = lambda c: c if c != "msmtp" else None
    q = ("msmtp",)
    row("B3 drain: messages", lambda c: g(R, "b3", key(c), "n"), b3=True,
        compare=False, na=q)
    row("B3 drain: seconds until all received",
        lambda c: g(R, "b3", key(c), "seconds"), b3=True, compare=False, na=q)
    row("B3 drain: messages/s", lambda c: g(R, "b3", key(c), "rate"),
        lower=False, b3=True, na=q)
    row("B3 drain: connections", lambda c: g(R, "b3", key(c), "connections"),
        b3=True, compare=False, na=q)
    row("B3 drain: messages per connection",
        lambda c: g(R, "b3", key(c), "msgs_per_connection"), lower=False,
        b3=True, na=q)
    row("B3 drain: received / duplicates", lambda c: (
        "%s / %s" % (g(R, "b3", key(c), "received"),
                     g(R, "b3", key(c), "duplicates"))
        if g(R, "b3", key(c)) else None), b3=True, na=q)
    row("B4 peak RSS, 1 MB message, KB",
        lambda c: g(R, "b4", c, "rss_1mb_kb"))
    row("B4 peak RSS, 100 MB message, KB",
        lambda c: g(R, "b4", c, "rss_100mb_kb"))
    row("B5 mailq, %s queued, s" % m.get("B5_N"),
        lambda c: g(R, "b5", c, "mailq_seconds"), na=q)
    row("B5 runner start → first delivery, s",
        lambda c: g(R, "b5", c, "runner_first_delivery_seconds"),
        compare=False, na=q)
    L.append("")
    L.append("n/a: msmtp has no queue. –: not measured (B5 compares "
             "relayq's mailq with nullmailer's only) or did not complete "
             "(see the notes). B3 compares rates: the runs have different "
             "numbers of messages. B4 is the peak RSS of the front end and "
             "of the children it waits for (nullmailer-inject waits for "
             "nullmailer-queue; relayq's sendmail and dma do not wait for "
             "the delivery they start).\n")

    ce = {k: g(R, "b3", k) for k in ("ceiling-s1", "ceiling-s4")}
    parts = ["%s session%s: %s msg/s over %s connection%s" % (
        k[-1], "" if k[-1] == "1" else "s", fmt(v.get("rate")),
        v.get("connections"), "" if v.get("connections") == 1 else "s")
        for k, v in ce.items() if v]
    if parts:
        L.append("Relay ceiling (Postfix smtp-source -d against a plain-mode "
                 "instance of the same relay, no TLS, no AUTH: smtp-source "
                 "has neither, nor pipelining): " + "; ".join(parts) + ".\n")

    h = R["harness"]
    L.append("## Harness cost\n")
    L.append("| what | median ms | p95 ms |")
    L.append("|---|---|---|")
    for k, label in (("host_true", "/bin/true from timeit, no namespace"),
                     ("ns_true", "/usr/sbin/sendmail = /bin/true from "
                      "timeit inside a contender-style namespace (what B1 "
                      "pays per run)"),
                     ("nsenter_true", "nsenter into the namespace + "
                      "/bin/true (paid once per timed batch)"),
                     ("ns_floor", "bench/floor.c from timeit inside the "
                      "namespace: a durable write and nothing else (read "
                      "stdin, create, write, rename, fsync the file and the "
                      "directory), the least any front end can cost")):
        s = h.get(k)
        if s:
            L.append("| %s | %s | %s |" % (label, fmt(s["median_ms"]),
                                         fmt(s["p95_ms"])))
    if h.get("ns_setup_ms"):
        L.append("\nNamespace setup (unshare, 5 overlays, the bind mounts), "
                 "once per contender: " + ", ".join(
                     "%s %s ms" % (k, fmt(v))
                     for k, v in sorted(h["ns_setup_ms"].items())) + ".")
    if h.get("true_rss_kb"):
        L.append("Peak RSS of /bin/true under /usr/bin/time in the same "
                 "path: %d KB.\n" % h["true_rss_kb"])

    L.append("## Goals (from the issue)\n")
    L.append("| goal | measured | met |")
    L.append("|---|---|---|")
    for x in R["goals"]:
        L.append("| %s | %s | %s |" % (x["goal"], x["measured"],
                                       {True: "yes", False: "**no**",
                                        None: "?"}[x["met"]]))
    L.append("")
    extra = []
    for b in ("b1", "b2"):
        for c in contenders:
            e = g(R, b, c)
            if e:
                extra.append("%s %s: %s of %s received within %s s of the "
                             "first submission, over %s connections." % (
                                 b.upper(), c, e.get("delivered"), e.get("n"),
                                 fmt(e.get("delivered_within")),
                                 g(e, "relay", "connections")))
    for v in ("relayq", "nullmailer", "dma", "dma-backoff"):
        e = g(R, "b3", v)
        if e:
            extra.append("B3 %s: queueing %s took %s s; %s were in the queue "
                         "when the relay came up; first message %s s after "
                         "the flush." % (v, e.get("n"),
                                         fmt(e.get("queue_seconds")),
                                         e.get("queued"), fmt(e.get("first"))))
    if extra:
        L.append("## Details\n")
        L.extend("- " + x for x in extra)
        L.append("")
    if R["notes"]:
        L.append("## Notes from the run\n")
        L.extend("- " + x for x in R["notes"])
        L.append("")
    L.append("## Method\n")
    L.extend([
        "- Each contender runs in its own private mount namespace: "
        "overlays on /etc, /usr/bin, /usr/sbin, /usr/lib and /var/spool "
        "(the same for all, including the harness), then bind mounts of "
        "the package's files onto its compiled-in paths; packages are "
        "unpacked with dpkg -x, never installed. relayq runs from a copy "
        "of the build with RELAYQ_CONFIG and RELAYQ_RUNNER.",
        "- Smart host: tests/smarthost/smarthost.py on 127.0.0.1, STARTTLS "
        "and AUTH PLAIN/LOGIN, certificate from a CA made by gen-certs.sh; "
        "a fresh instance for every measurement. Every contender first "
        "delivered a message over TLS with AUTH, and refused an instance "
        "whose certificate it had no reason to trust (dma pins the "
        "certificate's SHA-256: it has no CA trust file).",
        "- Latency: bench/timeit.c runs `/usr/sbin/sendmail -t -i` "
        "inside the namespace, stdin a 4 KB message; the contenders "
        "deliver in the background as they do in production (relayq's "
        "runner, nullmailer-send as user mail, dma's forked delivery), "
        "on the same 2 CPUs as the relay.",
        "- Drain: the relay is down (nothing on the port) while the "
        "messages are queued; relayq's runner and nullmailer-send try and "
        "back off; then the relay starts on the same port and the flush "
        "is `relayq flush`, a byte in nullmailer's trigger FIFO, or "
        "`dma -q`. Times come from the modification times of the relay's "
        "messages/*.json.",
        "- Scale: bench/mkqueue.py writes the queue files directly "
        "(relayq's format of src/envelope.h, nullmailer's "
        "sender/recipients/blank line/message); mailq output goes to "
        "/dev/null; bench/clock.c times it.",
        ""])
    L.append("## Plots\n")
    L.append("![B1 latency](b1-latency.png)\n")
    L.append("![B2 latency](b2-latency.png)\n")
    L.append("![B3 drain](b3-drain.png)\n")
    return "\n".join(L) + "\n"


COLORS = {"relayq": "#d62728", "msmtp": "#1f77b4", "nullmailer": "#2ca02c",
          "dma": "#9467bd", "dma-backoff": "#8c564b", "harness": "#7f7f7f",
          "ceiling-s1": "#000000", "ceiling-s4": "#555555"}


def plots(R, data, out, contenders):
    script = ["set terminal pngcairo size 1000,700 font 'sans,11'",
              "set grid", "set key below vertical maxrows 3 height 1"]
    have = False
    for b, title in (("b1", "B1: sendmail -t -i latency, 4 KB message, "
                      "relay healthy"),
                     ("b2", "B2: sendmail -t -i latency, relay greeting "
                      "delayed by 2 s")):
        series = []
        for c in contenders + ["harness"]:
            path = os.path.join(data, ("harness-ns.us" if c == "harness"
                                       else "%s-%s.us" % (b, c)))
            v = us_list(path)
            if not v:
                continue
            cdf = os.path.join(data, "%s-%s.cdf" % (b, c))
            with open(cdf, "w") as f:
                f.write("%.4f 0\n" % (v[0] / 1000))
                for i, x in enumerate(v, 1):
                    f.write("%.4f %.5f\n" % (x / 1000, i / len(v)))
            s = stats(v)
            label = ("harness (/bin/true)" if c == "harness" else c) + \
                " — median %s ms, n=%d" % (fmt(s["median_ms"]), s["n"])
            series.append("'%s' using 1:2 with steps lw 2 lc rgb '%s' "
                          "title '%s'" % (cdf, COLORS[c], label))
        if not series:
            continue
        have = True
        script += ["set output '%s/%s-latency.png'" % (out, b),
                   "set title '%s (cumulative distribution)'" % title,
                   "set logscale x", "set xlabel 'latency, ms (log scale)'",
                   "set ylabel 'fraction of submissions'",
                   "set yrange [0:1.02]", "set xrange [*:*]",
                   "plot " + ", ".join(series), "unset logscale x"]
    series, zoom = [], 0
    for v in ("relayq", "nullmailer", "dma", "dma-backoff", "ceiling-s1",
              "ceiling-s4"):
        path = os.path.join(data, "b3-%s.curve" % v)
        e = g(R, "b3", v)
        if not os.path.exists(path) or not e:
            continue
        label = {"dma": "dma (DEFER, then dma -q)",
                 "dma-backoff": "dma (no DEFER: deliveries wait in back-off)",
                 "ceiling-s1": "relay ceiling, smtp-source 1 session (plain)",
                 "ceiling-s4": "relay ceiling, smtp-source 4 sessions (plain)",
                 }.get(v, v)
        label += " — %s messages, %s" % (
            e.get("n"), "%s msg/s" % fmt(e.get("rate")) if e.get("rate")
            else "incomplete")
        style = "dashtype 2 " if v.startswith("ceiling") else ""
        series.append("'%s' using 1:2 with lines lw 2 %slc rgb '%s' "
                      "title '%s'" % (path, style, COLORS[v], label))
        if v in ("relayq", "ceiling-s1", "ceiling-s4") and e.get("last"):
            zoom = max(zoom, e["last"])
    if series:
        have = True
        script += ["set output '%s/b3-drain.png'" % out,
                   "set terminal pngcairo size 1000,1050 font 'sans,11'",
                   "set multiplot",
                   "set size 1,0.44", "set origin 0,0.56", "unset key",
                   "set title 'B3: drain of the queued messages after the "
                   "relay comes up (received vs time since the flush)'",
                   "set xlabel 'seconds since the flush'",
                   "set ylabel 'messages received'",
                   "set yrange [0:*]", "set xrange [0:*]",
                   "plot " + ", ".join(series),
                   "set size 1,0.56", "set origin 0,0",
                   "set key below vertical maxrows 6 height 1"]
        if zoom:
            script += ["set title 'the same, first %.2f s'" % (zoom * 1.3),
                       "set xrange [0:%.3f]" % (zoom * 1.3)]
        else:
            script += ["set title 'the same'"]
        script += ["plot " + ", ".join(series)]
        script += ["unset multiplot"]
    if not have:
        return
    gp = os.path.join(data, "plots.gp")
    with open(gp, "w") as f:
        f.write("\n".join(script) + "\n")
    subprocess.run(["gnuplot", gp], check=False)


if __name__ == "__main__":
    main()

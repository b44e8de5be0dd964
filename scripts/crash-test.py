"""Crash test: kill -9 at random points across propose → approve → deliver.

Runs the real `countersign` binary against a SQLite store (or PostgreSQL with
--database-url) and a real SMTP server (scripts/support/smtp_server.py, aiosmtpd) that
writes every message it accepts to a Maildir. Each iteration proposes one e-mail (routine,
so allowed; or a discount, so held — most held ones are then approved, some rejected),
kills one of the steps with SIGKILL after a random delay, re-runs that step as a restarted
process would, and checks `audit verify` after every restart. At the end it drains the
outbox and checks, against what the SMTP server received:

  - lost:      approved or allowed messages never delivered        (must be 0)
  - leaked:    held, rejected or denied messages delivered          (must be 0)
  - bad dups:  a message delivered twice that was never re-claimed
               after a killed worker, or copies with different Message-IDs (must be 0)
  - dups:      duplicates from a kill between the server's 250 and the outbox's
               "sent" mark (allowed; reported)

Usage: python crash-test.py --bin target/debug/countersign --iterations 200 [--seed N]
Exit code 0 when every invariant holds.
"""

import argparse
import email
import json
import mailbox
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--iterations", type=int, default=200)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--python", default=sys.executable)
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    work = tempfile.mkdtemp(prefix="countersign-crash-")
    db = args.database_url or f"sqlite://{work}/crash.db"
    maildir = os.path.join(work, "maildir")

    smtp = subprocess.Popen(
        [args.python, os.path.join(HERE, "support", "smtp_server.py"), maildir, "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    line = smtp.stdout.readline().split()
    if not line or line[0] != "READY":
        sys.exit("the SMTP test server did not start (is aiosmtpd installed? run scripts/python-tools)")
    port = line[1]

    def cs(*argv, stdin=None, check=True):
        r = subprocess.run(
            [args.bin, *argv, "--database-url", db], input=stdin, capture_output=True, text=True
        )
        if check and r.returncode != 0:
            raise SystemExit(f"countersign {' '.join(argv)} failed ({r.returncode}): {r.stderr.strip()}")
        return r

    def killed_run(argv, stdin, delay):
        """Starts the step, SIGKILLs it after `delay` seconds if still running."""
        p = subprocess.Popen(
            [args.bin, *argv, "--database-url", db],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        if stdin:
            try:
                p.stdin.write(stdin)
                p.stdin.close()
            except BrokenPipeError:
                pass
        time.sleep(delay)
        died = p.poll() is None
        if died:
            p.send_signal(signal.SIGKILL)
        p.wait()
        return died

    key = json.loads(
        cs("tools", "add", "crash-agent", "--kinds", "email.send", "--data-classes", "contact_details",
           "--format", "json").stdout
    )["api_key"]
    cs("reviewers", "add", "dee.desk", "--roles", "deal_desk,manager")
    cs("reviewers", "add", "sam.rep", "--roles", "rep")

    deliver = ["deliver", "--smtp-host", "127.0.0.1", "--smtp-port", port, "--lease-secs", "1",
               "--backoff-secs", "1", "--worker-id"]
    expect = {}  # action id -> "delivered" | "never"
    kills = defaultdict(int)
    started = time.time()
    for i in range(args.iterations):
        tid = f"crash-{seed}-{i}"
        routine = rng.random() < 0.5
        body = ("Hi Dana, see you at the workshop on Tuesday." if routine
                else "Hi Dana, we can do 15% off if you sign by Friday.")
        line = json.dumps({"id": tid, "kind": "email.send", "tool": "crash-agent", "on_behalf_of": "sam.rep",
                           "idempotency_key": f"key-{tid}",
                           "payload": {"to": f"dana+{i}@acme.example", "subject": f"Note {i}", "body": body}}) + "\n"
        outcome = "approve" if not routine and rng.random() < 0.75 else ("reject" if not routine else None)
        propose = ["propose", "-", "--tool-key", key, "--format", "json"]
        n_steps = 2 + (outcome is not None)
        victim = rng.randrange(n_steps)

        def step(n, name, argv, stdin=None):
            if n == victim and killed_run(argv, stdin, rng.uniform(0.0, 0.06)):
                kills[name] += 1
                cs("audit", "verify")  # after every restart the chain must be intact
            # The (re)started step: idempotent by key, or already done.
            return cs(*argv, stdin=stdin, check=False)

        r = step(0, "propose", propose, line)
        if r.returncode != 0:
            raise SystemExit(f"re-proposing {tid} failed: {r.stderr.strip()}")
        aid = json.loads(r.stdout.strip().splitlines()[-1])["action_id"]
        if outcome == "approve":
            step(1, "approve", ["approve", aid, "--revision", "1", "--reviewer", "dee.desk"])
        elif outcome == "reject":
            step(1, "reject", ["reject", aid, "--reviewer", "dee.desk", "--reason", "too generous"])
        step(n_steps - 1, "deliver", deliver + [f"w{i}"])
        expect[aid] = "delivered" if routine or outcome == "approve" else "never"
        if (i + 1) % 50 == 0:
            print(f"  {i + 1} iterations, {sum(kills.values())} kills", file=sys.stderr, flush=True)

    time.sleep(1.2)  # let leases of killed workers expire
    cs(*deliver, "final")
    cs("audit", "verify")
    elapsed = time.time() - started

    received = defaultdict(list)  # action id -> Message-IDs of copies
    for msg in mailbox.Maildir(maildir, create=False):
        mid = msg.get("Message-ID", "").strip()
        aid = mid.strip("<>").split("@", 1)[0]
        received[aid].append(mid)

    lost = [a for a, e in expect.items() if e == "delivered" and not received.get(a)]
    leaked = [a for a, e in expect.items() if e == "never" and received.get(a)]
    dups, bad_dups = [], []
    for aid, copies in received.items():
        if len(copies) > 1:
            view = json.loads(cs("show", aid, "--format", "json").stdout)
            attempts = (view.get("outbox") or {}).get("attempts", 0)
            if len(set(copies)) == 1 and attempts >= 2:
                dups.append(aid)
            else:
                bad_dups.append(aid)
    smtp.terminate()
    report = {
        "iterations": args.iterations, "seed": seed, "kills": dict(kills), "seconds": round(elapsed, 1),
        "expected_delivered": sum(1 for e in expect.values() if e == "delivered"),
        "expected_never": sum(1 for e in expect.values() if e == "never"),
        "lost": len(lost), "leaked": len(leaked), "duplicates": len(dups), "bad_duplicates": len(bad_dups),
    }
    print(json.dumps(report))
    if lost or leaked or bad_dups:
        print(f"FAILED: lost={lost[:5]} leaked={leaked[:5]} bad_dups={bad_dups[:5]} (database {db})", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()

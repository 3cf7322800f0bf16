"""What the SSH tunnel costs a sync: the same full and incremental `timesync sync --all`, directly and through a
real loopback OpenSSH sshd, back to back on the same machine.

    .venv/bin/python -m bench.tunnel_cost --scale small --repeat 2

Each variant gets its own simulators (one company, `--scale`, the vendors' real rate limits) and a fresh
database, then runs `timesync sync --all` (full) and `timesync sync --all --incremental` as the operator would,
each in its own process. It prints wall time, the MySQL connections each run opened (the server's
`Connections` counter, so nothing else should use the server meanwhile) and the tunnel/direct ratio.
The goal: through the tunnel <= 1.3x direct for both.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from resources.migrations import migrate
from simulators.stack import start_stack
from tests.conftest import REPO, database_named, db_env, drop_database, new_database_name
from tests.sshd import running_sshd

RUNS = (("full", ["sync", "--all"]), ("incremental", ["sync", "--all", "--incremental"]))


def server_connections(db_name: str) -> int:
    db = database_named(db_name)
    return int(db.query("SHOW GLOBAL STATUS LIKE 'Connections'")[0]["Value"])


def timesync(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    exe = REPO / ".venv" / "bin" / "timesync"
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("DB_", "SSH_", "USE_SSH"))}
    full_env.update(env)
    started = time.monotonic()
    done = subprocess.run([str(exe), *args], env=full_env, capture_output=True, text=True, timeout=3600, cwd=REPO)
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        raise RuntimeError(f"timesync {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return elapsed, done.stdout


def variant(label: str, scale: str, tunnel_env: dict[str, str] | None, home: Path) -> dict[str, Any]:
    name = new_database_name("ts_bench_tunnel")
    db = database_named(name)
    stack = start_stack(["acme"], scale=scale)
    try:
        migrate(db, log=lambda _line: None)
        env = {**stack.env("acme"), **db_env(db), "DAGSTER_HOME": str(home / f"{label}_{name}")}
        env.update(tunnel_env or {})
        out: dict[str, Any] = {}
        for run, args in RUNS:
            before = server_connections(name)
            seconds, stdout = timesync(args, env)
            # The run's own count, as its summary prints it; the server's counter includes this probe.
            out[run] = {"s": seconds, "connections": server_connections(name) - before - 1,
                        "reported": reported_connections(stdout)}
        return out
    finally:
        stack.stop()
        drop_database(name)


def reported_connections(stdout: str) -> int | None:
    for line in stdout.splitlines():
        if line.startswith("mysql connections opened:"):
            return int(line.split(":", 1)[1].split()[0])
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="small", choices=["tiny", "small", "medium"])
    parser.add_argument("--repeat", type=int, default=2)
    opts = parser.parse_args(argv)
    results: dict[str, list[dict[str, Any]]] = {"direct": [], "tunnel": []}
    with tempfile.TemporaryDirectory(prefix="bench_tunnel_") as tmp, running_sshd(Path(tmp) / "sshd") as sshd:
        home = Path(tmp)
        for i in range(opts.repeat):
            for label, tunnel_env in (("direct", None), ("tunnel", sshd.env())):
                r = variant(label, opts.scale, tunnel_env, home)
                results[label].append(r)
                print(f"  round {i + 1} {label:6}: " + ", ".join(
                    f"{run} {r[run]['s']:5.1f}s ({r[run]['connections']} connections)" for run, _ in RUNS),
                    file=sys.stderr)
    print(f"scale {opts.scale}, one company, median of {opts.repeat}:")
    print("| run | direct | through the tunnel | ratio | connections (direct / tunnel) |")
    print("|---|---|---|---|---|")
    for run, _ in RUNS:
        d = statistics.median(r[run]["s"] for r in results["direct"])
        t = statistics.median(r[run]["s"] for r in results["tunnel"])
        dc = statistics.median(r[run]["connections"] for r in results["direct"])
        tc = statistics.median(r[run]["connections"] for r in results["tunnel"])
        print(f"| {run} | {d:.1f} s | {t:.1f} s | {t / d:.2f}x | {dc:.0f} / {tc:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""A broadcast to 100,000 subscribers fanned out by the scheduler (one INSERT … SELECT),
on SQLite and on a throw-away PostgreSQL cluster: time and the process's memory growth.

    .venv/bin/python -m benchmarks.fanout      (also part of `make bench`)"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from telegram import Bot

from benchmarks.table import machine, print_table
from bot.config import load_settings
from bot.policy_pack import load_policy_pack
from bot.render import Renderer
from bot.store.db import make_engine, migrate, session_factory
from scheduler.runtime import SchedulerRuntime
from tests.support.postgres import start_cluster
from tests.support.subscribers import add_subscribers

SUBSCRIBERS = 100_000
HEADERS = ["measurement", "n", "mean ms", "p50 ms", "p95 ms", "p99 ms / note"]


def _rss_peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _reset_rss_peak() -> bool:
    """Linux resets the peak (VmHWM) to the current size on "5" in clear_refs."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def fan_out_rows_for(url: str, name: str) -> list[list[str]]:
    settings = load_settings()
    pack = load_policy_pack(settings.paths.policy)
    engine = make_engine(url)
    migrate(engine)
    add_subscribers(engine, SUBSCRIBERS)
    runtime = SchedulerRuntime(
        settings,
        session_factory(engine),
        Renderer(settings.paths.responses, pack),
        Bot("1:BENCH"),  # never called: nothing is sent here
        pack,
    )
    started = time.perf_counter()
    broadcast_id = runtime.broadcasts.draft("基准测试通知", 1).id
    drafted = time.perf_counter() - started
    started = time.perf_counter()
    runtime.broadcasts.confirm(broadcast_id)
    confirmed = time.perf_counter() - started
    before = _rss_peak_mb() if _reset_rss_peak() else None
    started = time.perf_counter()
    added = runtime.broadcasts.fan_out_due()
    elapsed = time.perf_counter() - started
    growth = f", peak +{_rss_peak_mb() - before:.0f} MB" if before is not None else ""
    engine.dispose()
    assert added == {broadcast_id: SUBSCRIBERS}, added
    return [
        [
            f"broadcast draft + confirm (the admin waits), {name}",
            str(SUBSCRIBERS),
            "-",
            "-",
            "-",
            f"draft {drafted * 1000:.0f} ms, confirm {confirmed * 1000:.0f} ms",
        ],
        [
            f"broadcast fan-out (the scheduler), {name}",
            str(SUBSCRIBERS),
            f"{elapsed * 1000 / SUBSCRIBERS:.4f}",
            "-",
            "-",
            f"total {elapsed:.2f} s (one statement){growth}",
        ],
    ]


def fan_out_rows(tmp: Path) -> list[list[str]]:
    rows = fan_out_rows_for(f"sqlite:///{tmp / 'fanout.db'}", "SQLite")
    try:
        cluster = start_cluster()
    except (RuntimeError, OSError) as error:  # no PostgreSQL server binaries here
        return [*rows, ["broadcast fan-out, PostgreSQL", "-", "-", "-", "-", f"skipped: {error}"]]
    try:
        rows += fan_out_rows_for(cluster.create_database("bench_fanout"), "PostgreSQL")
    finally:
        cluster.stop()
    return rows


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rows = fan_out_rows(Path(tmp))
    print(f"machine: {machine()}")
    print_table(HEADERS, rows)


if __name__ == "__main__":
    main()

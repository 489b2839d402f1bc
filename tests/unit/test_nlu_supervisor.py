"""The embedded NLU service is started again when its process exits, with growing waits
between restarts in a row, and every restart is counted in the metrics. A real child
process (a sleeping Python) stands for Rasa here; tests/integration/test_nlu_supervision.py
runs the real NluService against a Rasa stand-in over HTTP."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time

from bot.nlu_supervisor import Backoff, NluSupervisor
from bot.observability import Metrics


class ChildService:
    """A real process that runs until killed; `failures` starts fail before one works."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.process: subprocess.Popen[bytes] | None = None
        self.starts: list[float] = []
        self.pids: list[int] = []

    @property
    def exit_code(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def start(self, timeout: float = 600.0) -> None:
        self.starts.append(time.monotonic())
        if self.failures:
            self.failures -= 1
            raise RuntimeError("NLU service exited early")
        self.process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        self.pids.append(self.process.pid)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)


def restarts(metrics: Metrics, outcome: str) -> float:
    value = metrics.registry.get_sample_value("assistant_nlu_restarts_total", {"outcome": outcome})
    return value or 0.0


async def wait_until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


def test_backoff_doubles_up_to_its_cap():
    backoff = Backoff(first=1.0, most=60.0)
    assert [backoff.delay(n) for n in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]


async def test_a_killed_service_comes_back_and_is_counted():
    service = ChildService()
    service.start()
    metrics = Metrics()
    supervisor = NluSupervisor(
        service,
        start_timeout=10,
        backoff=Backoff(first=0.05),
        on_restart=lambda outcome: metrics.nlu_restarts.labels(outcome).inc(),
        check_seconds=0.02,
    )
    supervisor.start()
    try:
        service.kill()
        await wait_until(lambda: restarts(metrics, "started") == 1)
        assert len(service.pids) == 2 and service.exit_code is None  # a new process, running
        assert not supervisor.restarting
        service.kill()  # and again
        await wait_until(lambda: restarts(metrics, "started") == 2)
        assert len(service.pids) == 3 and service.exit_code is None
        assert restarts(metrics, "failed") == 0
    finally:
        await supervisor.aclose()
        service.stop()


async def test_failed_restarts_wait_longer_each_time_and_are_counted():
    service = ChildService()
    service.start()
    metrics = Metrics()
    supervisor = NluSupervisor(
        service,
        start_timeout=10,
        backoff=Backoff(first=0.2, most=10),
        on_restart=lambda outcome: metrics.nlu_restarts.labels(outcome).inc(),
        check_seconds=0.02,
    )
    supervisor.start()
    try:
        service.failures = 2
        service.kill()
        died = time.monotonic()
        await wait_until(lambda: restarts(metrics, "started") == 1, timeout=15)
        assert len(service.pids) == 2
        first, second, third = service.starts[1:]
        assert first - died >= 0.2 - 0.01  # 0.2 s, then 0.4 s, then 0.8 s
        assert second - first >= 0.4 - 0.01
        assert third - second >= 0.8 - 0.01
        assert restarts(metrics, "failed") == 2
        assert restarts(metrics, "started") == 1
    finally:
        await supervisor.aclose()
        service.stop()


class SlowStart(ChildService):
    """Its process exists at once but the start waits for it to become ready, like Rasa's
    ~20 s; stop() from another thread ends the wait (as nlu.service.NluService's does)."""

    def start(self, timeout: float = 600.0) -> None:
        super().start(timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None:
                raise RuntimeError("NLU service stopped while starting")
            time.sleep(0.02)
        raise TimeoutError


async def test_closing_during_a_restart_leaves_no_process_behind():
    service = SlowStart()
    service.process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    supervisor = NluSupervisor(
        service, start_timeout=300, backoff=Backoff(first=0.01), check_seconds=0.02
    )
    supervisor.start()
    service.kill()
    await wait_until(lambda: len(service.pids) == 1)  # the restart is under way
    restarted = service.pids[0]
    started = time.monotonic()
    await supervisor.aclose()
    assert time.monotonic() - started < 5  # not the start's 300 s
    assert service.process is None
    assert subprocess.run(["kill", "-0", str(restarted)], capture_output=True).returncode != 0

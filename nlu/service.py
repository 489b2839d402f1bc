"""Start and stop the embedded Rasa NLU server (`rasa run --enable-api`)."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx

from nlu.model import PROJECT, ensure_model, rasa_executable

log = logging.getLogger(__name__)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class NluService:
    """One Rasa server process on loopback, protected by a random auth token."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, log_dir: Path | None = None) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.token = secrets.token_urlsafe(24)
        self._log_dir = log_dir or PROJECT.parent / "var" / "log"
        self._process: subprocess.Popen[bytes] | None = None
        self.startup_seconds = 0.0

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def exit_code(self) -> int | None:
        """The server's exit status once it has ended by itself (a crash, a kill); None while
        it runs, and before start() or after stop(). The bot restarts it on a status."""
        process = self._process
        return None if process is None else process.poll()

    def start(self, timeout: float = 600.0) -> None:
        model = ensure_model()
        self._log_dir.mkdir(parents=True, exist_ok=True)
        log_file = (self._log_dir / "nlu-service.log").open("ab")
        command = [
            str(rasa_executable()),
            "run",
            "--enable-api",
            "--model",
            str(model.path),
            "--interface",
            self.host,
            "--port",
            str(self.port),
            # One argument: a token may start with "-", which argparse would read as an option.
            f"--auth-token={self.token}",
        ]
        started = time.monotonic()
        # Own process group, so stop() also ends Rasa's worker processes.
        self._process = subprocess.Popen(
            command,
            cwd=PROJECT,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
        )
        log_file.close()
        self._wait_ready(timeout)
        self.startup_seconds = time.monotonic() - started
        log.info("NLU service ready on %s in %.0f s", self.url, self.startup_seconds)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is None:  # stop() from another thread: give up at once
                raise RuntimeError("NLU service stopped while starting")
            if self._process.poll() is not None:
                raise RuntimeError(f"NLU service exited early; see {self._log_dir}/nlu-service.log")
            try:
                status = httpx.get(f"{self.url}/status", params={"token": self.token}, timeout=2)
                if status.status_code == 200 and status.json().get("model_file"):
                    # Warm-up: the first parse builds TensorFlow's graph.
                    httpx.post(
                        f"{self.url}/model/parse",
                        params={"token": self.token},
                        json={"text": "你好"},
                        timeout=60,
                    ).raise_for_status()
                    return
            except httpx.HTTPError:
                pass
            time.sleep(1.0)
        self.stop()
        raise TimeoutError(f"NLU service not ready after {timeout:.0f} s")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def __enter__(self) -> NluService:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main() -> None:
    """Serve the model in the foreground, e.g. to share one service between several runs:
    `.venv/bin/python -m nlu.service [PORT]` prints the NLU_URL and NLU_TOKEN to export."""
    import sys

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    service = NluService(port=int(sys.argv[1]) if len(sys.argv) > 1 else 0)
    service.start()
    # Blocked only now: the Rasa child must not inherit a blocked signal mask.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    print(f"export NLU_URL={service.url} NLU_TOKEN={service.token}", flush=True)
    try:
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    finally:
        service.stop()


if __name__ == "__main__":
    main()

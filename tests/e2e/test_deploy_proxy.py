"""The deployment's processes without Docker: Caddy with deploy/Caddyfile in front of two
webhook workers and a scheduler, all run from the image's file tree (tests/support/image.py)
with the image's environment, on PostgreSQL. Updates sent to the proxy are answered by both
workers in turn and still answered when one is killed; the proxy forwards the webhook path
only and refuses large bodies; every process answers its healthcheck and stops on SIGTERM.

Needs the `caddy` binary (scripts/ensure-proxy installs Debian's package for `make test`);
without it this module is skipped and tests/unit/test_deploy_config.py still checks the
configuration."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from nlu.service import free_port
from tests.conftest import ROOT, NluEndpoint
from tests.e2e.conftest import TOKEN
from tests.support.botapi import BotApiStandIn, text_update
from tests.support.image import image_env, stage_image_tree

pytestmark = pytest.mark.skipif(
    shutil.which("caddy") is None, reason="caddy not installed (scripts/ensure-proxy)"
)

SECRET = "deploy-Test_secret-0123456789"
QUESTION = "学徒制一年补多少钱"


class Stack:
    """The processes of the compose file, on this machine."""

    def __init__(self, app: Path, tmp: Path, base_env: dict[str, str]) -> None:
        self.app, self.tmp, self.base_env = app, tmp, base_env
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.metrics: dict[str, int] = {}

    def spawn(self, name: str, command: list[str], env: dict[str, str], cwd: Path) -> None:
        with (self.tmp / f"{name}.log").open("ab") as log:
            self.processes[name] = subprocess.Popen(
                command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT
            )

    def bot(self, name: str, args: list[str], **extra: str) -> None:
        self.metrics[name] = free_port()
        env = {**self.base_env, "METRICS_PORT": str(self.metrics[name]), **extra}
        self.spawn(name, [sys.executable, "-m", "bot", *args], env, self.app)

    def log(self, name: str) -> str:
        return (self.tmp / f"{name}.log").read_text(errors="replace")

    def healthcheck(self, name: str) -> subprocess.CompletedProcess[str]:
        """The image's healthcheck command, as Docker runs it inside the container."""
        env = {**self.base_env, "METRICS_PORT": str(self.metrics[name])}
        return subprocess.run(
            [sys.executable, "-m", "bot.healthcheck"],
            cwd=self.app,
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )

    def wait_healthy(self, name: str, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        while True:
            done = self.healthcheck(name)
            if done.returncode == 0:
                return done.stdout
            assert self.processes[name].poll() is None, self.log(name)[-3000:]
            assert time.monotonic() < deadline, f"{name} unhealthy: {done.stderr}"
            time.sleep(0.5)

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()


def _messages_counted(port: int) -> float:
    body = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in body.splitlines()
        if line.startswith("assistant_messages_total{")
    )


@pytest.fixture()
def stack(
    botapi: BotApiStandIn,
    nlu_endpoint: NluEndpoint,
    own_postgres_database: str,
    tmp_path: Path,
) -> Iterator[tuple[Stack, str]]:
    database = own_postgres_database
    app = stage_image_tree(tmp_path / "app")
    base_env = {
        **image_env(),  # 0.0.0.0 listen addresses, ports 8443 and 9108
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "DATABASE_URL": database,
        **nlu_endpoint.env(),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_BASE_URL": botapi.base_url,
    }
    running = Stack(app, tmp_path, base_env)
    proxy_port = free_port()
    public = f"http://127.0.0.1:{proxy_port}"
    try:
        workers = []
        for name in ("bot-1", "bot-2"):  # as in compose.yml
            port = free_port()
            workers.append(f"127.0.0.1:{port}")
            running.bot(
                name,
                ["run"],
                SCHEDULER_EMBEDDED="0",
                TELEGRAM_WEBHOOK_URL=f"{public}/telegram",
                TELEGRAM_WEBHOOK_SECRET=SECRET,
                TELEGRAM_WEBHOOK_PORT=str(port),
            )
        running.bot("scheduler", ["scheduler"])
        caddy_env = {
            "PATH": os.environ["PATH"],
            "HOME": str(tmp_path),
            "XDG_CONFIG_HOME": str(tmp_path / "caddy-config"),
            "XDG_DATA_HOME": str(tmp_path / "caddy-data"),
            "CADDY_DATA_DIR": str(tmp_path / "caddy-data"),
            "PUBLIC_HOST": public,
            "BOT_UPSTREAMS": " ".join(workers),
            "WEBHOOK_PATH": "telegram",
            "PROXY_HEALTH_PORT": str(free_port()),
        }
        caddyfile = str(ROOT / "deploy" / "Caddyfile")
        running.spawn(
            "proxy",
            ["caddy", "run", "--config", caddyfile, "--adapter", "caddyfile"],
            caddy_env,
            tmp_path,
        )
        yield running, public
    finally:
        running.stop_all()


def test_proxy_spreads_updates_over_two_workers_and_survives_one(
    stack: tuple[Stack, str], botapi: BotApiStandIn
):
    running, public = stack
    for name in ("bot-1", "bot-2", "scheduler"):
        health = running.wait_healthy(name)
        assert '"database": true' in health
    assert '"scheduler": true' in running.healthcheck("scheduler").stdout
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{public}/healthz", timeout=2).text == "ok":
                break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, running.log("proxy")[-3000:]
        time.sleep(0.2)

    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    with httpx.Client(base_url=public, timeout=30) as client:
        # Only the webhook path goes through; the workers' metrics stay inside.
        assert client.get("/metrics").status_code == 404
        assert client.post("/telegram", json=text_update(1, 801, QUESTION)).status_code == 403
        too_big = client.post("/telegram", headers=headers, content=b"x" * 2_000_000)
        assert too_big.status_code == 413  # by the proxy, no worker taken out of rotation

        chats = list(range(810, 818))
        for i, chat in enumerate(chats):
            update = text_update(10 + i, chat, QUESTION)
            assert client.post("/telegram", headers=headers, json=update).status_code == 200
        for chat in chats:
            botapi.wait_for_messages(chat, 1, timeout=60)
        counted = {n: _messages_counted(running.metrics[n]) for n in ("bot-1", "bot-2")}
        assert all(counted.values()), counted  # round robin: both workers answered
        assert sum(counted.values()) == len(chats)

        running.processes["bot-1"].kill()  # one worker dies: the other takes everything
        running.processes["bot-1"].wait()
        later = list(range(820, 824))
        for i, chat in enumerate(later):
            update = text_update(30 + i, chat, QUESTION)
            assert client.post("/telegram", headers=headers, json=update).status_code == 200
        for chat in later:
            botapi.wait_for_messages(chat, 1, timeout=60)
    assert not [s for s in botapi.calls("sendMessage") if s.chat_id == 801]  # the 403

    # docker stop sends SIGTERM to PID 1 (the exec-form command) and waits 30 s.
    for name in ("bot-2", "scheduler", "proxy"):
        process = running.processes[name]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=25) == 0, running.log(name)[-3000:]
    assert "scheduler stopped" in running.log("scheduler")

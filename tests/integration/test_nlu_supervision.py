"""The embedded NLU service killed under a running assistant comes back by itself: the real
running_assistant, its supervisor and nlu.service.NluService (process group, readiness
wait, same address and token), the real NluClient and dialogue, /healthz and /metrics over
HTTP. Only Rasa itself is replaced, by tests/support/fake_rasa.py (loading the real model a
second time would take a minute and 900 MB)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

import nlu.service
from bot.assistant import running_assistant
from bot.config import Settings
from bot.dialogue.types import Context
from bot.health import health_checks
from bot.observability import HealthServer, Metrics
from nlu.model import TrainedModel
from tests.conftest import ROOT


@pytest.fixture()
def fake_rasa(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """NluService starts tests/support/fake_rasa.py in place of `rasa run`."""
    executable = tmp_path / "rasa"
    script = ROOT / "tests" / "support" / "fake_rasa.py"
    executable.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{script}" "$@"\n')
    executable.chmod(0o755)
    model = TrainedModel(tmp_path / "nlu-fake.tar.gz", "fake", trained_now=False, seconds=0.0)
    monkeypatch.setattr(nlu.service, "rasa_executable", lambda: executable)
    monkeypatch.setattr(nlu.service, "ensure_model", lambda: model)


async def _status(url: str, token: str) -> dict | None:
    async with httpx.AsyncClient(timeout=2) as http:
        try:
            response = await http.get(f"{url}/status", params={"token": token})
        except httpx.HTTPError:
            return None
    return response.json() if response.status_code == 200 else None


async def _until(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def test_killed_nlu_service_is_restarted_counted_and_answers_again(
    fake_rasa: None, settings: Settings, tmp_path: Path
):
    embedded = replace(
        settings,
        nlu=replace(
            settings.nlu,
            url=None,
            token=None,
            retry_after_seconds=0.2,
            restart_first_seconds=0.5,
            restart_check_seconds=0.1,
        ),
        database_url=f"sqlite:///{tmp_path / 'assistant.db'}",
        paths=replace(settings.paths, var=tmp_path / "var"),
    )
    metrics = Metrics()
    context = Context()
    service = nlu.service.NluService(log_dir=tmp_path / "log")
    async with running_assistant(
        embedded, metrics=metrics, service_factory=lambda _: service
    ) as assistant:
        server = HealthServer(metrics, health_checks(assistant))
        port = await server.start("127.0.0.1", 0)
        health = f"http://127.0.0.1:{port}"
        url, token = service.url, service.token
        try:
            first = await assistant.dialogue.handle_text("学徒制一年补多少钱", context)
            assert first.kind == "answer"
            async with httpx.AsyncClient(timeout=5) as http:
                assert (await http.get(f"{health}/healthz")).status_code == 200
            status = await _status(url, token)
            assert status is not None
            killed = status["pid"]

            os.killpg(killed, signal.SIGKILL)  # the whole process group, as the OOM killer might
            down = await assistant.dialogue.handle_text("学徒制一年补多少钱", context)
            assert down.kind == "degraded"
            async with httpx.AsyncClient(timeout=5) as http:
                unhealthy = await http.get(f"{health}/healthz")
            assert unhealthy.status_code == 503
            assert unhealthy.json()["nlu"] is False and "nlu" in unhealthy.json()["problems"]

            async def counted() -> bool:
                async with httpx.AsyncClient(timeout=5) as http:
                    text = (await http.get(f"{health}/metrics")).text
                return 'assistant_nlu_restarts_total{outcome="started"} 1.0' in text

            await _until(counted)
            now = await _status(url, token)  # same address, same token
            assert now is not None and now["pid"] != killed
            assert not _alive(killed)
            await asyncio.sleep(0.3)  # the client's retry_after_seconds after the failure
            again = await assistant.dialogue.handle_text("学徒制一年补多少钱", context)
            assert again.kind == "answer"
            async with httpx.AsyncClient(timeout=5) as http:
                assert (await http.get(f"{health}/healthz")).status_code == 200
                metrics_text = (await http.get(f"{health}/metrics")).text
            assert 'assistant_nlu_restarts_total{outcome="failed"}' not in metrics_text
            restarted = now["pid"]
        finally:
            await server.stop()
    assert not _alive(restarted)  # stopped with the assistant

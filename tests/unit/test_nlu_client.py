"""The NLU client against a small HTTP server: parsing, timeouts, one log line per outage,
recovery when the service is back."""

from __future__ import annotations

import asyncio
import logging

import pytest
from aiohttp import web

from nlu.client import NluClient, NluUnavailable


class FakeRasa:
    def __init__(self) -> None:
        self.mode = "ok"  # ok | slow | error
        self.tokens: list[str | None] = []

    async def parse(self, request: web.Request) -> web.Response:
        self.tokens.append(request.query.get("token"))
        if self.mode == "slow":
            await asyncio.sleep(2)
        if self.mode == "error":
            return web.Response(status=500)
        body = await request.json()
        return web.json_response(
            {
                "text": body["text"],
                "intent": {"name": "apprentice_employee", "confidence": 0.91},
                "intent_ranking": [
                    {"name": "apprentice_employee", "confidence": 0.91},
                    {"name": "apprentice_student", "confidence": 0.05},
                ],
                "entities": [{"entity": "group", "value": "veteran", "start": 2, "end": 6}],
            }
        )


@pytest.fixture()
async def rasa():
    fake = FakeRasa()
    app = web.Application()
    app.router.add_post("/model/parse", fake.parse)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    yield fake, f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_parse_returns_the_dataclass_and_sends_the_token(rasa):
    fake, url = rasa
    client = NluClient(url, token="s3cret", timeout=1)
    result = await client.parse("学徒制补多少")
    await client.aclose()
    assert result.intent == "apprentice_employee" and result.confidence == pytest.approx(0.91)
    assert [r.name for r in result.ranking] == ["apprentice_employee", "apprentice_student"]
    assert result.entities[0].value == "veteran"
    assert fake.tokens == ["s3cret"]


async def test_outage_is_logged_once_and_recovers(rasa, caplog: pytest.LogCaptureFixture):
    fake, url = rasa
    caplog.set_level(logging.INFO, logger="nlu.client")
    client = NluClient(url, token="s3cret", timeout=0.3, retry_after=0.2)
    fake.mode = "slow"
    with pytest.raises(NluUnavailable):
        await client.parse("a")
    # While marked down, calls fail fast instead of waiting for another timeout.
    fake.mode = "error"
    for _ in range(3):
        with pytest.raises(NluUnavailable):
            await client.parse("b")
    await asyncio.sleep(0.25)
    with pytest.raises(NluUnavailable):
        await client.parse("c")
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "s3cret" not in caplog.text
    fake.mode = "ok"
    await asyncio.sleep(0.25)
    assert (await client.parse("d")).intent == "apprentice_employee"
    assert client.available and "back" in caplog.text
    await client.aclose()


async def test_unreachable_service_raises_unavailable():
    client = NluClient("http://127.0.0.1:9", timeout=0.5)
    with pytest.raises(NluUnavailable):
        await client.parse("你好")
    await client.aclose()

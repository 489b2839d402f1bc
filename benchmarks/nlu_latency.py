"""NLU parse latency through the bot's client and raw against /model/parse, and the full
turn (text in → reply rendered). Run: `make bench` (starts its own NLU service unless
NLU_URL is set)."""

from __future__ import annotations

import asyncio
import os
import time
from contextlib import ExitStack

import httpx

from benchmarks.table import latency_row, machine, print_table
from bot.assistant import build_dialogue
from bot.config import load_settings
from bot.dialogue.types import Context
from nlu.client import NluClient
from nlu.dataset import HELD_OUT_DIR, examples
from nlu.service import NluService

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))


async def measure(url: str, token: str | None) -> list[list[str]]:
    texts = [text for _, text in examples(HELD_OUT_DIR)] * ROUNDS
    raw: list[float] = []
    async with httpx.AsyncClient(timeout=30) as http:
        for text in texts:
            started = time.perf_counter()
            response = await http.post(
                f"{url}/model/parse",
                params={"token": token} if token else None,
                json={"text": text},
            )
            response.raise_for_status()
            raw.append(time.perf_counter() - started)
    client = NluClient(url, token, timeout=30)
    through_client: list[float] = []
    for text in texts:
        started = time.perf_counter()
        await client.parse(text)
        through_client.append(time.perf_counter() - started)
    assistant = build_dialogue(load_settings(), client)
    turns: list[float] = []
    for text in texts:
        started = time.perf_counter()
        await assistant.dialogue.handle_text(text, Context())
        turns.append(time.perf_counter() - started)
    await client.aclose()
    return [
        latency_row("raw POST /model/parse", raw),
        latency_row("bot NLU client", through_client),
        latency_row("full turn (text → rendered reply)", turns),
    ]


def main() -> None:
    with ExitStack() as stack:
        url, token = os.environ.get("NLU_URL"), os.environ.get("NLU_TOKEN")
        startup = "external"
        if not url:
            service = stack.enter_context(NluService())
            url, token = service.url, service.token
            startup = f"{service.startup_seconds:.1f} s (model cached)"
        rows = asyncio.run(measure(url, token))
    print(f"machine: {machine()}; NLU service start-up: {startup}")
    print_table(["measurement", "n", "mean ms", "p50 ms", "p95 ms", "p99 ms"], rows)


if __name__ == "__main__":
    main()

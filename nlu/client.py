"""Async HTTP client for the Rasa NLU service (POST /model/parse)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IntentScore:
    name: str
    confidence: float


@dataclass(frozen=True)
class Entity:
    entity: str
    value: str
    start: int
    end: int


@dataclass(frozen=True)
class NluResult:
    text: str
    intent: str
    confidence: float
    ranking: tuple[IntentScore, ...] = ()
    entities: tuple[Entity, ...] = field(default_factory=tuple)


class NluUnavailable(Exception):
    """The NLU service is down, slow or answered with an error."""


def parse_response(text: str, body: dict) -> NluResult:
    """Turn Rasa's /model/parse JSON into an NluResult."""
    intent = body.get("intent") or {}
    ranking = tuple(
        IntentScore(str(r.get("name")), float(r.get("confidence") or 0.0))
        for r in body.get("intent_ranking") or []
    )
    entities = tuple(
        Entity(
            str(e.get("entity")), str(e.get("value")), int(e.get("start", 0)), int(e.get("end", 0))
        )
        for e in body.get("entities") or []
    )
    return NluResult(
        text=text,
        intent=str(intent.get("name") or "nlu_fallback"),
        confidence=float(intent.get("confidence") or 0.0),
        ranking=ranking,
        entities=entities,
    )


class NluClient:
    """Calls the service; after a failure it skips calls for `retry_after` seconds so a dead
    service costs one timeout, not one per message, and logs the outage once."""

    def __init__(
        self,
        url: str,
        token: str | None = None,
        timeout: float = 5.0,
        retry_after: float = 10.0,
        on_latency: Callable[[float], None] | None = None,
    ) -> None:
        self._url = url.rstrip("/")
        self._token = token
        self._timeout = timeout
        self._retry_after = retry_after
        self._on_latency = on_latency
        self._down_since: float | None = None
        self._next_try = 0.0
        self._http = httpx.AsyncClient(timeout=timeout)

    @property
    def url(self) -> str:
        return self._url

    @property
    def available(self) -> bool:
        return self._down_since is None

    async def parse(self, text: str) -> NluResult:
        now = time.monotonic()
        if self._down_since is not None and now < self._next_try:
            raise NluUnavailable("NLU service marked down; retrying later")
        params = {"token": self._token} if self._token else None
        started = time.perf_counter()
        try:
            response = await self._http.post(
                f"{self._url}/model/parse", json={"text": text}, params=params
            )
            response.raise_for_status()
            result = parse_response(text, response.json())
            if self._on_latency is not None:
                self._on_latency(time.perf_counter() - started)
        except (httpx.HTTPError, ValueError) as exc:
            self._mark_down(exc)
            raise NluUnavailable(str(exc) or type(exc).__name__) from exc
        if self._down_since is not None:
            log.warning("NLU service is back after %.0f s", now - self._down_since)
            self._down_since = None
        return result

    def _mark_down(self, exc: Exception) -> None:
        now = time.monotonic()
        if self._down_since is None:
            # Logged once per outage; the URL carries no token (it goes in params).
            log.error("NLU service unavailable at %s: %s", self._url, type(exc).__name__)
            self._down_since = now
        self._next_try = now + self._retry_after

    async def healthy(self) -> bool:
        """GET /status answers: the model is loaded."""
        params = {"token": self._token} if self._token else None
        try:
            response = await self._http.get(f"{self._url}/status", params=params)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def aclose(self) -> None:
        await self._http.aclose()

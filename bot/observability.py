"""Health and metrics: GET /healthz and GET /metrics (Prometheus text) on a small HTTP
server beside the bot. Metrics live in one registry object passed to the parts that count."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

log = logging.getLogger(__name__)


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.messages = Counter(
            "assistant_messages_total", "Messages handled, by reply kind", ["kind"], registry=r
        )
        self.intents = Counter(
            "assistant_intents_total", "Replies by NLU intent", ["intent"], registry=r
        )
        self.fallbacks = Counter(
            "assistant_fallbacks_total", "Clarifications, declines and degraded replies", registry=r
        )
        self.nlu_latency = Histogram(
            "assistant_nlu_latency_seconds",
            "NLU parse latency",
            buckets=(0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2, 5),
            registry=r,
        )
        self.sends = Counter(
            "assistant_sends_total", "Outbox deliveries by outcome", ["status"], registry=r
        )
        self.reply_retries = Counter(
            "assistant_reply_retries_total",
            "Replies sent again after Telegram's flood control (429 RetryAfter) was waited out",
            registry=r,
        )
        self.nlu_restarts = Counter(
            "assistant_nlu_restarts_total",
            "Restarts of the embedded NLU service after it exited, by outcome",
            ["outcome"],
            registry=r,
        )
        self.throttled = Counter(
            "assistant_throttled_total",
            "Messages over their chat's rate: warned (请慢一点) or dropped unanswered",
            ["verdict"],
            registry=r,
        )
        self.queue_depth = Gauge(
            "assistant_outbox_pending", "Deliveries waiting to be sent", registry=r
        )

    def count_reply(self, kind: str, intent: str | None) -> None:
        self.messages.labels(kind).inc()
        if intent:
            self.intents.labels(intent).inc()
        if kind in {"clarify", "decline", "degraded"}:
            self.fallbacks.inc()


# A health check answers None when all is well, else what is wrong in a few words.
Check = Callable[[], Awaitable[str | None]]
CHECK_TIMEOUT_SECONDS = 10.0


class HealthServer:
    """A minimal HTTP/1.1 server: nothing here needs a web framework."""

    def __init__(
        self,
        metrics: Metrics,
        checks: dict[str, Check],
        refresh: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._metrics = metrics
        self._checks = checks
        self._refresh = refresh
        self._server: asyncio.Server | None = None

    async def start(self, host: str, port: int) -> int:
        self._server = await asyncio.start_server(self._handle, host, port)
        return int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = (await asyncio.wait_for(reader.readline(), 5)).decode("latin-1")
            while (await asyncio.wait_for(reader.readline(), 5)) not in (b"\r\n", b"\n", b""):
                pass  # headers are not needed
            parts = request_line.split()
            path = parts[1] if len(parts) > 1 else ""
            if path == "/healthz":
                problems = {name: await _safe(check) for name, check in self._checks.items()}
                failing = {name: why for name, why in problems.items() if why is not None}
                report: dict[str, object] = {"status": "unhealthy" if failing else "ok"}
                report.update({name: why is None for name, why in problems.items()})
                if failing:
                    report["problems"] = failing
                body = json.dumps(report, ensure_ascii=False).encode()
                await _respond(writer, 503 if failing else 200, "application/json", body)
            elif path == "/metrics":
                if self._refresh is not None:
                    await self._refresh()
                await _respond(
                    writer,
                    200,
                    "text/plain; version=0.0.4",
                    generate_latest(self._metrics.registry),
                )
            else:
                await _respond(writer, 404, "text/plain", b"not found\n")
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()


async def _safe(check: Check) -> str | None:
    try:
        return await asyncio.wait_for(check(), CHECK_TIMEOUT_SECONDS)
    except TimeoutError:
        return f"no answer within {CHECK_TIMEOUT_SECONDS:.0f} s"
    except Exception as exc:
        return f"check failed: {type(exc).__name__}"


async def _respond(
    writer: asyncio.StreamWriter, status: int, content_type: str, body: bytes
) -> None:
    reason = {200: "OK", 404: "Not Found", 503: "Service Unavailable"}[status]
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    writer.write(head.encode() + body)
    await writer.drain()

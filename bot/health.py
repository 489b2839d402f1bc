"""What GET /healthz checks in a running assistant: the NLU service answers, and the
database is there, takes writes and has the expected schema (bot/store/health.py)."""

from __future__ import annotations

import asyncio

from bot.assistant import Assistant
from bot.observability import Check
from bot.store.health import DatabaseHealth


def health_checks(assistant: Assistant) -> dict[str, Check]:
    """Build them once the database is migrated: the database check remembers its file."""
    database = DatabaseHealth(assistant.sessions.kw["bind"])

    async def database_problem() -> str | None:
        problems = await asyncio.to_thread(database.problems)
        return "; ".join(problems) or None

    async def nlu_problem() -> str | None:
        if await assistant.nlu.healthy():
            return None
        supervisor = assistant.nlu_supervisor
        if supervisor is not None and supervisor.restarting:
            return "the embedded NLU service exited and is being restarted"
        return f"no answer from the NLU service at {assistant.nlu.url}/status"

    return {"nlu": nlu_problem, "database": database_problem}

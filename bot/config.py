"""Settings: config.yml plus environment overrides. The only global state is what this returns."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = ROOT / "config.yml"


@dataclass(frozen=True)
class NluSettings:
    url: str | None
    host: str
    port: int
    timeout_seconds: float
    startup_timeout_seconds: float
    retry_after_seconds: float
    # Auth token of an external NLU server (NLU_TOKEN); the embedded one makes its own.
    token: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class DialogueSettings:
    confidence_threshold: float
    ambiguity_margin: float
    max_candidates: int
    max_input_chars: int
    followup_max_chars: int
    max_questions_per_message: int


@dataclass(frozen=True)
class TelegramSettings:
    base_url: str | None
    poll_timeout: float
    token: str | None = field(repr=False)


@dataclass(frozen=True)
class Paths:
    policy: Path
    responses: Path
    nlu_project: Path
    var: Path


@dataclass(frozen=True)
class Settings:
    nlu: NluSettings
    dialogue: DialogueSettings
    telegram: TelegramSettings
    admins: frozenset[int]
    paths: Paths
    database_url: str | None = field(default=None, repr=False)


def load_settings(path: Path | None = None, env: dict[str, str] | None = None) -> Settings:
    """Read config.yml and apply the environment
    (NLU_URL, NLU_TOKEN, TELEGRAM_BOT_TOKEN, TELEGRAM_BASE_URL, DATABASE_URL)."""
    path = path or Path(os.environ.get("ASSISTANT_CONFIG", DEFAULT_CONFIG))
    env = dict(os.environ) if env is None else env
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    base = path.resolve().parent

    nlu = raw.get("nlu", {})
    dialogue = raw.get("dialogue", {})
    telegram = raw.get("telegram", {})
    paths = raw.get("paths", {})
    return Settings(
        nlu=NluSettings(
            url=env.get("NLU_URL") or nlu.get("url") or None,
            host=str(nlu.get("host", "127.0.0.1")),
            port=int(nlu.get("port", 0)),
            timeout_seconds=float(nlu.get("timeout_seconds", 5)),
            startup_timeout_seconds=float(nlu.get("startup_timeout_seconds", 600)),
            retry_after_seconds=float(nlu.get("retry_after_seconds", 10)),
            token=env.get("NLU_TOKEN") or None,
        ),
        dialogue=DialogueSettings(
            confidence_threshold=float(dialogue.get("confidence_threshold", 0.55)),
            ambiguity_margin=float(dialogue.get("ambiguity_margin", 0.12)),
            max_candidates=int(dialogue.get("max_candidates", 3)),
            max_input_chars=int(dialogue.get("max_input_chars", 300)),
            followup_max_chars=int(dialogue.get("followup_max_chars", 12)),
            max_questions_per_message=int(dialogue.get("max_questions_per_message", 3)),
        ),
        telegram=TelegramSettings(
            base_url=env.get("TELEGRAM_BASE_URL") or telegram.get("base_url") or None,
            poll_timeout=float(telegram.get("poll_timeout", 10)),
            token=env.get("TELEGRAM_BOT_TOKEN") or None,
        ),
        admins=frozenset(int(a) for a in raw.get("admins") or []),
        paths=Paths(
            policy=base / paths.get("policy", "policy"),
            responses=base / paths.get("responses", "responses"),
            nlu_project=base / paths.get("nlu_project", "nlu"),
            var=base / paths.get("var", "var"),
        ),
        database_url=env.get("DATABASE_URL") or (raw.get("database") or {}).get("url") or None,
    )

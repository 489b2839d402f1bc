"""Settings: config.yml plus environment overrides. The only global state is what this returns."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

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
    # How often the embedded service's start-up says it is still loading.
    progress_seconds: float = 10.0
    # The embedded service is restarted when it exits: after first, 2 × first … up to max
    # seconds for restarts in a row; its process is looked at every check seconds.
    restart_first_seconds: float = 1.0
    restart_max_seconds: float = 60.0
    restart_check_seconds: float = 1.0


@dataclass(frozen=True)
class DialogueSettings:
    confidence_threshold: float
    ambiguity_margin: float
    max_candidates: int
    max_input_chars: int
    followup_max_chars: int
    max_questions_per_message: int
    # Longer messages are letters about one matter, read whole (see config.yml).
    letter_chars: int = 50
    # Declines, second opinion and clarification (see config.yml).
    decline_confidence_with_cue: float = 0.85
    second_opinion_min: float = 0.3
    classifier_weight: float = 0.5
    ranker_min_raw: float = 2.0
    candidate_floor: float = 0.15
    overruled_decline_min_score: float = 0.5
    previous_topic_bonus: float = 0.1
    self_description_max_chars: int = 30


@dataclass(frozen=True)
class TelegramSettings:
    base_url: str | None
    poll_timeout: float
    token: str | None = field(repr=False)
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_path: str = "telegram"
    webhook_secret: str | None = field(default=None, repr=False)
    # A reply Telegram asks to delay (429 RetryAfter) is sent once more after at most this.
    reply_retry_max_seconds: float = 60.0
    # Updates of different chats handled at once by one process.
    concurrent_updates: int = 8
    # Each chat's messages: a burst, then this many a second (bot/channels/throttle.py).
    throttle_burst: int = 5
    throttle_per_second: float = 1.0


@dataclass(frozen=True)
class SchedulerSettings:
    timezone: str
    messages_per_second: float
    per_chat_interval_seconds: float
    max_attempts: int
    report_due_day: int
    report_lead_working_days: int
    send_at: str
    quiet_hours: tuple[str, str]
    topics: dict[str, str]
    tip_day: str = "mon"
    tip_time: str = "10:00"
    tip_channel_id: int | None = None
    tip_keep_after_plan: bool = False
    standby_poll_seconds: float = 2.0
    embedded: bool = True
    # Personal reminders: at most this many scheduled per chat; the active scheduler holds
    # in memory only those due within the next horizon_hours.
    reminders_per_chat: int = 20
    reminder_horizon_hours: float = 6.0
    # Seconds between the active scheduler's looks for reminders set or cancelled elsewhere.
    reminder_sync_seconds: float = 30.0
    # The operator's extension or replacement of the departments' duties (None: the plan's).
    duties_from: date | None = None
    duties_until: date | None = None
    duties_basis: str | None = None


@dataclass(frozen=True)
class RetentionSettings:
    """How long what came from a person is kept (config.yml → retention), and the limits on
    department binding (config.yml → binding)."""

    unanswered_questions_days: int = 180
    delivered_texts_days: int = 180
    purge_at: str = "03:30"
    # A conversation's short-term state (the self-check in progress, a reminder waiting
    # for 确认, the last topic) is dropped after this many idle hours.
    conversation_idle_hours: float = 24.0
    # An admin's broadcast draft not confirmed within this many hours can no longer be sent.
    broadcast_draft_hours: float = 24.0
    bind_code_valid_days: int = 7
    failed_binds_per_hour: int = 5


@dataclass(frozen=True)
class WebhookLimits:
    max_body_bytes: int = 1_000_000
    log_rejections_every_seconds: float = 60.0


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
    scheduler: SchedulerSettings
    departments: dict[str, str]
    metrics_listen: str = "127.0.0.1"
    metrics_port: int = 0
    database_url: str | None = field(default=None, repr=False)
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    webhook_limits: WebhookLimits = field(default_factory=WebhookLimits)


def _duties(raw: dict[str, Any]) -> dict[str, Any]:
    """scheduler.duties: dates need the legal basis that sets them, and `from` an `until`."""
    start, until = raw.get("from"), raw.get("until")
    basis = str(raw["basis"]).strip() if raw.get("basis") else None
    for name, value in (("from", start), ("until", until)):
        if value is not None and not isinstance(value, date):
            raise ValueError(f"scheduler.duties.{name}: expected a date YYYY-MM-DD, got {value!r}")
    if (start or until) and not basis:
        raise ValueError("scheduler.duties: give the basis (the document) for the new dates")
    if start and not until:
        raise ValueError("scheduler.duties: a replacement schedule (from) needs an until date")
    return {"duties_from": start, "duties_until": until, "duties_basis": basis}


def load_settings(path: Path | None = None, env: dict[str, str] | None = None) -> Settings:
    """Read config.yml and apply the environment (NLU_URL, NLU_TOKEN, TELEGRAM_BOT_TOKEN,
    TELEGRAM_BASE_URL, TELEGRAM_WEBHOOK_*, METRICS_LISTEN, METRICS_PORT, DATABASE_URL)."""
    path = path or Path(os.environ.get("ASSISTANT_CONFIG", DEFAULT_CONFIG))
    env = dict(os.environ) if env is None else env
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    base = path.resolve().parent

    nlu = raw.get("nlu", {})
    dialogue = raw.get("dialogue", {})
    telegram = raw.get("telegram", {})
    scheduler = raw.get("scheduler", {})
    webhook = telegram.get("webhook") or {}
    throttle = telegram.get("throttle") or {}
    paths = raw.get("paths", {})
    retention = raw.get("retention") or {}
    binding = raw.get("binding") or {}
    return Settings(
        nlu=NluSettings(
            url=env.get("NLU_URL") or nlu.get("url") or None,
            host=str(nlu.get("host", "127.0.0.1")),
            port=int(nlu.get("port", 0)),
            timeout_seconds=float(nlu.get("timeout_seconds", 5)),
            startup_timeout_seconds=float(nlu.get("startup_timeout_seconds", 600)),
            retry_after_seconds=float(nlu.get("retry_after_seconds", 10)),
            token=env.get("NLU_TOKEN") or None,
            progress_seconds=float(nlu.get("progress_seconds", 10)),
            restart_first_seconds=float(nlu.get("restart_first_seconds", 1)),
            restart_max_seconds=float(nlu.get("restart_max_seconds", 60)),
            restart_check_seconds=float(nlu.get("restart_check_seconds", 1)),
        ),
        dialogue=DialogueSettings(
            confidence_threshold=float(dialogue.get("confidence_threshold", 0.55)),
            ambiguity_margin=float(dialogue.get("ambiguity_margin", 0.12)),
            max_candidates=int(dialogue.get("max_candidates", 3)),
            max_input_chars=int(dialogue.get("max_input_chars", 300)),
            followup_max_chars=int(dialogue.get("followup_max_chars", 12)),
            max_questions_per_message=int(dialogue.get("max_questions_per_message", 3)),
            letter_chars=int(dialogue.get("letter_chars", 50)),
            decline_confidence_with_cue=float(dialogue.get("decline_confidence_with_cue", 0.85)),
            second_opinion_min=float(dialogue.get("second_opinion_min", 0.3)),
            classifier_weight=float(dialogue.get("classifier_weight", 0.5)),
            ranker_min_raw=float(dialogue.get("ranker_min_raw", 2.0)),
            candidate_floor=float(dialogue.get("candidate_floor", 0.15)),
            overruled_decline_min_score=float(dialogue.get("overruled_decline_min_score", 0.5)),
            previous_topic_bonus=float(dialogue.get("previous_topic_bonus", 0.1)),
            self_description_max_chars=int(dialogue.get("self_description_max_chars", 30)),
        ),
        telegram=TelegramSettings(
            base_url=env.get("TELEGRAM_BASE_URL") or telegram.get("base_url") or None,
            poll_timeout=float(telegram.get("poll_timeout", 10)),
            token=env.get("TELEGRAM_BOT_TOKEN") or None,
            webhook_url=env.get("TELEGRAM_WEBHOOK_URL") or webhook.get("url") or None,
            # 127.0.0.1 unless told otherwise: the image sets 0.0.0.0 (deploy/Dockerfile).
            webhook_listen=env.get("TELEGRAM_WEBHOOK_LISTEN")
            or str(webhook.get("listen", "127.0.0.1")),
            webhook_port=int(env.get("TELEGRAM_WEBHOOK_PORT") or webhook.get("port", 8443)),
            webhook_path=str(webhook.get("path", "telegram")),
            webhook_secret=env.get("TELEGRAM_WEBHOOK_SECRET") or None,
            reply_retry_max_seconds=float(telegram.get("reply_retry_max_seconds", 60)),
            concurrent_updates=int(telegram.get("concurrent_updates", 8)),
            throttle_burst=int(throttle.get("burst", 5)),
            throttle_per_second=float(throttle.get("per_second", 1)),
        ),
        admins=frozenset(int(a) for a in raw.get("admins") or []),
        paths=Paths(
            policy=base / paths.get("policy", "policy"),
            responses=base / paths.get("responses", "responses"),
            nlu_project=base / paths.get("nlu_project", "nlu"),
            var=base / paths.get("var", "var"),
        ),
        scheduler=SchedulerSettings(
            timezone=str(scheduler.get("timezone", "Asia/Shanghai")),
            messages_per_second=float(scheduler.get("messages_per_second", 25)),
            per_chat_interval_seconds=float(scheduler.get("per_chat_interval_seconds", 1.0)),
            max_attempts=int(scheduler.get("max_attempts", 8)),
            report_due_day=int(scheduler.get("report_due_day", 1)),
            report_lead_working_days=int(scheduler.get("report_lead_working_days", 3)),
            send_at=str(scheduler.get("send_at", "09:00")),
            quiet_hours=tuple(scheduler.get("quiet_hours", ["22:00", "08:00"])),  # type: ignore[arg-type]
            topics=dict(scheduler.get("topics") or {"publicity": "政策宣传"}),
            tip_day=str((scheduler.get("weekly_tip") or {}).get("day", "mon")),
            tip_time=str((scheduler.get("weekly_tip") or {}).get("time", "10:00")),
            tip_channel_id=(scheduler.get("weekly_tip") or {}).get("channel_id"),
            tip_keep_after_plan=bool((scheduler.get("weekly_tip") or {}).get("keep_after_plan")),
            standby_poll_seconds=float(scheduler.get("standby_poll_seconds", 2)),
            reminders_per_chat=int((scheduler.get("reminders") or {}).get("per_chat", 20)),
            reminder_horizon_hours=float(
                (scheduler.get("reminders") or {}).get("horizon_hours", 6)
            ),
            reminder_sync_seconds=float((scheduler.get("reminders") or {}).get("sync_seconds", 30)),
            embedded=env.get("SCHEDULER_EMBEDDED", "1" if scheduler.get("embedded", True) else "0")
            not in {"0", "false", "no"},
            **_duties(scheduler.get("duties") or {}),
        ),
        departments={str(k): str(v) for k, v in (raw.get("departments") or {}).items()},
        metrics_listen=env.get("METRICS_LISTEN")
        or str((raw.get("observability") or {}).get("listen", "127.0.0.1")),
        metrics_port=int(
            env.get("METRICS_PORT") or (raw.get("observability") or {}).get("port", 0)
        ),
        database_url=env.get("DATABASE_URL") or (raw.get("database") or {}).get("url") or None,
        retention=RetentionSettings(
            unanswered_questions_days=int(retention.get("unanswered_questions_days", 180)),
            delivered_texts_days=int(retention.get("delivered_texts_days", 180)),
            purge_at=str(retention.get("purge_at", "03:30")),
            conversation_idle_hours=float(retention.get("conversation_idle_hours", 24)),
            broadcast_draft_hours=float(retention.get("broadcast_draft_hours", 24)),
            bind_code_valid_days=int(binding.get("code_valid_days", 7)),
            failed_binds_per_hour=int(binding.get("failed_binds_per_hour", 5)),
        ),
        webhook_limits=WebhookLimits(
            max_body_bytes=int(webhook.get("max_body_bytes", 1_000_000)),
            log_rejections_every_seconds=float(webhook.get("log_rejections_every_seconds", 60)),
        ),
    )

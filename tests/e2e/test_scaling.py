"""Two bot processes on one PostgreSQL: exactly one active scheduler (advisory lock); when
it dies the standby takes over and delivers what is due, nothing twice; a reminder set on
a webhook worker is sent by the running scheduler process."""

from __future__ import annotations

import subprocess
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import yaml
from sqlalchemy import select

from bot.clock import now_utc
from bot.store.db import make_engine, migrate, session_factory
from bot.store.models import Reminder
from nlu.service import free_port
from scheduler.outbox import Outbox, Outgoing
from tests.conftest import NluEndpoint, spawn_bot
from tests.e2e.conftest import telegram_env, write_test_config
from tests.support.botapi import BotApiStandIn


def _wait_for(path: Path, needle: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while needle not in path.read_text():
        assert time.monotonic() < deadline, f"{needle!r} not in {path.name}"
        time.sleep(0.1)


def _delivered(api: BotApiStandIn, text: str) -> Counter[int]:
    return Counter(s.chat_id for s in api.calls("sendMessage") if s.text == text)


CHATS = range(100, 105)


def _send_and_count(outbox: Outbox, api: BotApiStandIn, key: str, text: str) -> Counter[int]:
    """Queue one message for each of CHATS and wait until all are delivered."""
    outbox.enqueue([Outgoing(key, chat, text) for chat in CHATS])
    deadline = time.monotonic() + 30
    while sum(_delivered(api, text).values()) < len(CHATS):
        assert time.monotonic() < deadline, f"{key} not delivered"
        time.sleep(0.1)
    return _delivered(api, text)


def test_one_active_scheduler_and_standby_takeover(
    botapi: BotApiStandIn,
    nlu_endpoint: NluEndpoint,
    own_postgres_database: str,
    tmp_path: Path,
):
    url = own_postgres_database
    engine = make_engine(url)
    migrate(engine)
    outbox = Outbox(session_factory(engine))
    config = write_test_config(tmp_path)
    processes: dict[str, subprocess.Popen[bytes]] = {}
    logs = {name: tmp_path / f"{name}.log" for name in ("a", "b")}
    try:
        for name in ("a", "b"):
            env = telegram_env(nlu_endpoint, url, botapi, config)
            processes[name] = spawn_bot(["run"], env, logs[name])
            _wait_for(logs[name], "scheduler active" if name == "a" else "scheduler standby")

        _send_and_count(outbox, botapi, "notice:1", "第一条")
        time.sleep(3)  # give a second sender the chance to misbehave
        assert _delivered(botapi, "第一条") == Counter({c: 1 for c in range(100, 105)})
        assert "scheduler active" not in logs["b"].read_text()

        processes["a"].kill()  # the active one dies
        processes["a"].wait()
        _wait_for(logs["b"], "scheduler active", timeout=30)
        second = _send_and_count(outbox, botapi, "notice:2", "第二条")
        assert second == Counter({c: 1 for c in range(100, 105)})
        assert _delivered(botapi, "第一条") == Counter({c: 1 for c in range(100, 105)})
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=30)
        engine.dispose()


def test_webhook_worker_without_scheduler_and_a_scheduler_process(
    botapi: BotApiStandIn,
    nlu_endpoint: NluEndpoint,
    own_postgres_database: str,
    tmp_path: Path,
):
    """The split deployment: a worker handles updates (scheduler.embedded off), a separate
    `python -m bot scheduler` sends the broadcast it queued."""
    url = own_postgres_database
    config = write_test_config(tmp_path)
    env = telegram_env(nlu_endpoint, url, botapi, config)
    worker_log, scheduler_log = tmp_path / "worker.log", tmp_path / "scheduler.log"
    processes = []
    try:
        processes.append(spawn_bot(["run"], {**env, "SCHEDULER_EMBEDDED": "0"}, worker_log))
        botapi.push_text(7301, "/subscribe")
        menu = botapi.wait_for_text(7301, "请选择要订阅的内容", timeout=60)
        botapi.push_callback(7301, dict(menu.buttons)["政策宣传"], message_id=menu.message_id)
        botapi.wait_for_edits(7301, menu.message_id, 1)
        botapi.push_text(9001, "/broadcast 分开部署的广播")
        preview = botapi.wait_for_text(9001, "预览")
        botapi.push_callback(9001, dict(preview.buttons)["确认发送"], message_id=preview.message_id)
        botapi.wait_for_edit_text(9001, "已加入发送队列", preview.message_id)
        time.sleep(2)
        assert not [m for m in botapi.messages_to(7301) if "分开部署的广播" in m.text]
        assert "scheduler active" not in worker_log.read_text()

        processes.append(spawn_bot(["scheduler"], env, scheduler_log))
        botapi.wait_for_text(7301, "分开部署的广播", timeout=60)
        botapi.wait_for_text(9001, "📊")
        assert "scheduler active" in scheduler_log.read_text()
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)


def test_a_reminder_set_on_a_worker_is_sent_by_the_running_scheduler_process(
    botapi: BotApiStandIn,
    nlu_endpoint: NluEndpoint,
    own_postgres_database: str,
    tmp_path: Path,
):
    """The scheduler process is already active when a webhook worker saves a reminder: its
    next sync of the reminders due soon picks that one up, with no reload of the rest."""
    url = own_postgres_database
    config = write_test_config(tmp_path)
    settings = yaml.safe_load(config.read_text("utf-8"))
    settings["scheduler"]["reminders"]["sync_seconds"] = 1
    config.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    env = telegram_env(nlu_endpoint, url, botapi, config)
    worker_log, scheduler_log = tmp_path / "worker.log", tmp_path / "scheduler.log"
    engine = make_engine(url)
    processes = []
    try:
        processes.append(spawn_bot(["scheduler"], env, scheduler_log))
        _wait_for(scheduler_log, "scheduler active")
        worker_env = {**env, "SCHEDULER_EMBEDDED": "0", "METRICS_PORT": str(free_port())}
        processes.append(spawn_bot(["run"], worker_env, worker_log))
        botapi.push_text(7401, "/remind 明天上午9点 交学徒材料")
        confirm = botapi.wait_for_text(7401, "确认设置吗", timeout=60)
        botapi.push_callback(7401, "rc:ok", message_id=confirm.message_id)
        botapi.wait_for_edit_text(7401, "提醒已设置", confirm.message_id)
        # Due tomorrow: beyond the six-hour horizon, so not in memory yet. Brought forward
        # to a few seconds from now, it enters the window at the next sync.
        with session_factory(engine).begin() as session:
            reminder = session.scalars(select(Reminder)).one()
            reminder.due_at = now_utc() + timedelta(seconds=3)
        sent = botapi.wait_for_text(7401, "⏰", timeout=30)
        assert "交学徒材料" in sent.text and "晚了" not in sent.text
        time.sleep(3)  # more syncs: the sent reminder is not indexed again
        assert len([m for m in botapi.messages_to(7401) if "⏰" in m.text]) == 1
        assert "scheduler active" not in worker_log.read_text()
        assert "reminders: Synced(added=1, removed=0, indexed=1)" in scheduler_log.read_text()
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)
        engine.dispose()

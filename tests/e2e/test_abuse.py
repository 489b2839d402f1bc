"""The hostile-input suite, part two: what a careless or hostile user tries, through the
real bot over HTTP (SQLite and PostgreSQL). Personal numbers however written, forged
"已报送" periods, one code bound twice at once, a group member's /stop, huge callback
numbers, spreadsheet formulas in the unanswered-questions export, and retention."""

from __future__ import annotations

import csv
import io
import re
import time
import unicodedata
from datetime import timedelta

import yaml
from sqlalchemy import select

from bot.clock import now_utc
from bot.store.db import make_engine, session_factory
from bot.store.models import Delivery, DepartmentContact, UnansweredQuestion
from bot.store.retention import chat_key
from tests.conftest import ROOT, run_bot
from tests.e2e.conftest import ADMIN, BotProcess

CONTACT = 7301
_MARKED = re.compile(r"⟦(.*?)⟧")
CORPUS = yaml.safe_load((ROOT / "tests" / "privacy_corpus.yml").read_text("utf-8"))


def _new_code(bot: BotProcess, department: str = "jingxin") -> str:
    api = bot.api
    before = len(api.messages_to(ADMIN))
    api.push_text(ADMIN, f"/newcode {department}")
    message = api.wait_for_messages(ADMIN, before + 1, timeout=90)[-1]  # the bot may be starting
    found = re.search(r"<code>([A-Z0-9]+)</code>", message.text)
    assert found is not None, message.text
    return found.group(1)


def _sessions(bot: BotProcess):
    return session_factory(make_engine(bot.database_url))


_CHINESE = str.maketrans("零〇一幺壹二贰三叁四肆五伍六陆七柒八捌九玖", "001112233445566778899")


def _digits_only(text: str) -> str:
    """The digits of a text however written (full-width, Chinese), ASCII, run together."""
    return re.sub(r"[^0-9]", "", unicodedata.normalize("NFKC", text).translate(_CHINESE))


def test_personal_numbers_however_written_are_masked_everywhere(bot_process: BotProcess):
    """The masking corpus (≥100 spellings) through Telegram: each gets the warning, no reply
    echoes the number, and neither the log nor the database holds it; ordinary numbers
    ("3次", "4000元", years) are not flagged. Reminders and broadcasts mask the same way."""
    api = bot_process.api
    spellings = [c["text"] for c in CORPUS if c["kinds"]]
    ordinary = [c["text"] for c in CORPUS if not c["kinds"]][:20]
    assert len(spellings) >= 100
    chats = list(range(40000, 40010))
    for i, marked in enumerate(spellings):
        api.push_text(chats[i % len(chats)], _MARKED.sub(lambda m: m.group(1), marked))
    ordinary_chat = 40100
    for text in ordinary:
        api.push_text(ordinary_chat, text)
    deadline = time.monotonic() + 180
    while sum(len(api.messages_to(c)) for c in chats) < len(spellings):
        assert time.monotonic() < deadline, "not every message got a reply"
        time.sleep(0.1)
    api.wait_for_messages(ordinary_chat, len(ordinary), timeout=60)
    replies = [m for c in chats for m in api.messages_to(c)]
    assert all("不要在这里发送身份证号" in r.text for r in replies)
    assert not any("不要在这里发送身份证号" in r.text for r in api.messages_to(ordinary_chat))

    # Reminders and an admin's broadcast go through the same masking.
    api.push_text(CONTACT, "明天上午9点提醒我给 138 1234 5678 回电话")
    confirm = api.wait_for_text(CONTACT, "确认设置吗")
    assert "1234" not in confirm.text and "回电话" in confirm.text
    api.push_text(ADMIN, "/broadcast 咨询请联系 一三八一二三四五六七八")
    preview = api.wait_for_text(ADMIN, "预览")
    assert "一二三四" not in preview.text and "咨询请联系" in preview.text

    numbers = {_digits_only(m.group(1)) for c in spellings for m in _MARKED.finditer(c)}
    numbers = {n.removeprefix("0086").removeprefix("86") for n in numbers}
    assert len(numbers) >= 12 and all(len(n) >= 11 for n in numbers)
    with _sessions(bot_process)() as session:
        stored = [q.text for q in session.scalars(select(UnansweredQuestion))]
        stored += [d.text for d in session.scalars(select(Delivery))]
    bot_process.stop()
    log = bot_process.log_path.read_text()
    for number in numbers:
        assert number not in _digits_only(log), number
        assert all(number not in _digits_only(text) for text in stored), number
        assert all(number not in _digits_only(r.text) for r in replies), number


def test_forged_periods_and_huge_callback_numbers_are_refused(bot_process: BotProcess):
    api = bot_process.api
    code = _new_code(bot_process)
    api.push_text(CONTACT, f"/bind {code}")
    api.wait_for_text(CONTACT, "绑定成功")
    for data in ["r:2099-12", "r:9999-12", "r:2020-10"]:  # never asked about
        api.push_callback(CONTACT, data)
    api.wait_for_messages(CONTACT, 4)
    assert len([m for m in api.messages_to(CONTACT) if "没有向您发过" in m.text]) == 3
    count = len(api.messages_to(CONTACT))
    forged = [
        "r:99999999999999999999-12",
        "r:2020-99",
        "rx:99999999999999999999",
        "rx:²",
        "rq:99999999999999999999",
        "rq:-1",
    ]
    for data in forged:
        api.push_callback(CONTACT, data)
    api.push_callback(ADMIN, "b:99999999999999999999:ok")
    replies = api.wait_for_messages(CONTACT, count + len(forged))[count:]
    assert all("过期" in r.text for r in replies), [r.text for r in replies]
    api.wait_for_text(ADMIN, "过期")

    api.push_text(ADMIN, "/remindnow")
    reminder = api.wait_for_text(CONTACT, "月报提醒")
    ((_label, data),) = reminder.buttons
    api.push_callback(CONTACT, data, message_id=reminder.message_id)  # the period asked about
    api.wait_for_edit_text(CONTACT, "已记录", reminder.message_id)

    api.push_text(ADMIN, "/compliance")
    deadline = time.monotonic() + 20
    while not api.calls("sendDocument") and time.monotonic() < deadline:
        time.sleep(0.05)
    rows = list(csv.DictReader(io.StringIO(api.calls("sendDocument")[0].params["document"])))
    # The compliance CSV names a report by its due date (the period key's month).
    acknowledged = {r["应报日期"][:7] for r in rows if r["状态"] == "已确认"}
    assert acknowledged == {data.removeprefix("r:")}
    log = bot_process.log_path.read_text()
    assert "OverflowError" not in log and "Traceback" not in log
    assert api.errors == []


def test_one_code_bound_twice_at_once_and_failed_binds_limited(bot_process: BotProcess):
    api = bot_process.api
    code = _new_code(bot_process)
    first, second = 7401, 7402
    api.push_text(first, f"/bind {code}")
    api.push_text(second, f"/bind {code}")
    api.wait_for_messages(first, 1)
    api.wait_for_messages(second, 1)
    outcomes = [api.messages_to(first)[0].text, api.messages_to(second)[0].text]
    assert sum("绑定成功" in t for t in outcomes) == 1
    assert sum("无效或已被使用" in t for t in outcomes) == 1

    guesser = 7403
    for i in range(5):
        api.push_text(guesser, f"/bind WRONG{i}AB")
    api.wait_for_messages(guesser, 5)
    fresh = _new_code(bot_process, "jiaoyu")
    api.push_text(guesser, f"/bind {fresh}")  # right, but too many failures first
    assert "次数太多" in api.wait_for_messages(guesser, 6)[-1].text
    log = bot_process.log_path.read_text()
    assert log.count("failed bind from chat 7403") == 5
    assert "WRONG0AB" not in log and fresh not in log


def test_in_a_group_only_the_binder_or_an_administrator_may_stop(bot_process: BotProcess):
    api = bot_process.api
    group, binder, member, chat_admin = -100777, 7501, 7502, 7503
    api.chat_admins[group] = {chat_admin}
    api.push_text(group, "/newcode jingxin", sender=ADMIN)  # an admin, but in a group
    api.wait_for_text(group, "私聊")
    assert not any("<code>" in m.text for m in api.messages_to(group))

    code = _new_code(bot_process)
    api.push_text(group, f"/bind {code}", sender=binder)
    api.wait_for_text(group, "绑定成功")
    api.push_text(group, "/stop", sender=member)
    api.wait_for_text(group, "只有绑定本群的成员")
    api.push_text(ADMIN, "/remindnow")
    reminder = api.wait_for_text(group, "月报提醒")
    ((_label, data),) = reminder.buttons
    api.push_callback(group, data, message_id=reminder.message_id, sender=member)
    api.wait_for_messages(group, 5)
    with _sessions(bot_process)() as session:
        assert session.get(DepartmentContact, group) is not None  # still bound
    assert api.calls("getChatMember")

    assert api.edits_to(group) == []  # a refusal leaves the reminder and its button
    api.push_callback(group, data, message_id=reminder.message_id, sender=binder)
    api.wait_for_edit_text(group, "已记录", reminder.message_id)
    api.push_text(group, "/stop", sender=chat_admin)
    api.wait_for_text(group, "已停止所有消息")
    with _sessions(bot_process)() as session:
        assert session.get(DepartmentContact, group) is None
    assert api.errors == []


def test_stop_erases_questions_and_retention_purges_old_rows(bot_process: BotProcess):
    api = bot_process.api
    person, other = 7601, 7602
    for chat in (person, other):
        api.push_text(chat, "今天天气怎么样")  # declined, so recorded for the bureau
        api.wait_for_messages(chat, 1)
    sessions = _sessions(bot_process)
    with sessions() as session:
        hashes = set(session.scalars(select(UnansweredQuestion.chat_hash)))
    assert hashes == {chat_key(person), chat_key(other)}
    api.push_text(person, "/stop")
    api.wait_for_text(person, "已停止所有消息")
    with sessions() as session:
        hashes = set(session.scalars(select(UnansweredQuestion.chat_hash)))
    assert hashes == {chat_key(other)}

    # Older than the retention allows (180 days): gone at the next start's catch-up purge.
    with sessions.begin() as session:
        for row in session.scalars(select(UnansweredQuestion)):
            row.asked_at = now_utc() - timedelta(days=181)
    bot_process.kill()
    bot_process.restart()
    deadline = time.monotonic() + 60
    while True:
        with sessions() as session:
            if not session.scalars(select(UnansweredQuestion)).all():
                break
        assert time.monotonic() < deadline, "old unanswered questions were not purged"
        time.sleep(0.2)


def test_unanswered_export_neutralises_formulas(bot_process: BotProcess):
    """A question typed as a spreadsheet formula comes out of `report unanswered` as text."""
    api = bot_process.api
    formulas = ['=HYPERLINK("http://x") 今天天气怎么样', "-今天天气怎么样", "@今天天气怎么样"]
    for formula in formulas:
        api.push_text(7701, formula)  # each declined, so recorded for the bureau
    api.wait_for_messages(7701, len(formulas))
    done = run_bot(["report", "unanswered"], _env_of(bot_process))
    assert done.returncode == 0, done.stderr[-2000:]
    cells = {row["question"] for row in csv.DictReader(io.StringIO(done.stdout))}
    assert cells == {"'" + f for f in formulas}


def _env_of(bot: BotProcess) -> dict[str, str]:
    import os

    return {**os.environ, "DATABASE_URL": bot.database_url, "NLU_URL": "http://127.0.0.1:9"}

"""The scheduler end to end over HTTP: bind a department, get the reminder, press
"已报送" and watch the admin's list change; subscribe, get a broadcast, /stop; a broadcast
killed half-way resumes after restart with nobody messaged twice; a chat's 21st reminder
is refused."""

from __future__ import annotations

import csv
import io
import random
import re
import time
from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from bot.clock import now_utc
from bot.dialogue.payloads import (
    DECLINE_PREFIX,
    MENU,
    NONE_OF_THESE,
    REMINDER_PREFIXES,
    TOPIC_PREFIX,
)
from bot.render import Renderer, telegram_length
from bot.store.db import make_engine, migrate, session_factory
from bot.store.models import Delivery, Reminder
from scheduler.broadcasts import TEXT_LIMIT
from scheduler.reminders import Reminders
from scheduler.subscriptions import Subscriptions
from tests.conftest import CLOCK, TODAY
from tests.e2e.conftest import ADMIN, E2E_DUTIES_BASIS, TOKEN, BotProcess
from tests.support.hostile import corpus

CONTACT = 7001
PERSON = 7101


def test_department_binding_reminder_and_acknowledgement(bot_process: BotProcess):
    api = bot_process.api
    api.push_text(ADMIN, "/newcode jingxin")
    code = re.search(r"<code>([A-Z0-9]+)</code>", api.wait_for_text(ADMIN, "绑定码").text)
    assert code is not None
    api.push_text(CONTACT, f"/bind {code.group(1)}")
    api.wait_for_text(CONTACT, "绑定成功")
    api.push_text(CONTACT, f"/bind {code.group(1)}")  # one-time
    api.wait_for_text(CONTACT, "无效或已被使用")

    api.push_text(ADMIN, "/overdue")
    before = api.wait_for_text(ADMIN, "月报报送情况").text
    assert "经信" in before.split("尚未报送")[1]

    api.push_text(ADMIN, "/remindnow")
    api.wait_for_text(ADMIN, "月报提醒")
    reminder = api.wait_for_text(CONTACT, "月报提醒")
    assert "市人力社保局" in reminder.text and "/stop" in reminder.text
    assert f"依据：{E2E_DUTIES_BASIS}" in reminder.text  # past the plan: the operator's basis
    ((label, data),) = reminder.buttons
    assert label == "✅ 已报送" and data.startswith("r:")

    # "已报送" edits the reminder it belongs to (its button gone) and shows a toast.
    sent = len(api.messages_to(CONTACT))
    api.push_callback(CONTACT, data, message_id=reminder.message_id)
    recorded = api.wait_for_edit_text(CONTACT, "已记录", reminder.message_id)
    assert recorded.buttons == [] and "已记录报送" in api.toasts(CONTACT)
    api.push_callback(CONTACT, data, message_id=reminder.message_id)
    api.wait_for_edit_text(CONTACT, "不用重复", reminder.message_id)
    assert len(api.messages_to(CONTACT)) == sent  # no new message for either press

    count = len(api.messages_to(ADMIN))
    api.push_text(ADMIN, "/overdue")
    after = api.wait_for_messages(ADMIN, count + 1)[-1].text
    upcoming = after.split("月报</b>")[-1]  # the next report's section
    assert "经信" not in upcoming and "没有联系人" in upcoming

    api.push_text(CONTACT, "/overdue")  # not an admin
    api.wait_for_text(CONTACT, "只对市人力社保局的管理员开放")

    api.push_text(ADMIN, "/compliance")
    deadline = time.monotonic() + 20
    while not api.calls("sendDocument") and time.monotonic() < deadline:
        time.sleep(0.05)
    rows = list(csv.DictReader(io.StringIO(api.calls("sendDocument")[0].params["document"])))
    jingxin = [r for r in rows if r["部门"] == "经信" and r["状态"] == "已确认"]
    assert jingxin and jingxin[0]["确认人"].endswith(f"（{CONTACT}）")
    assert api.errors == []
    assert TOKEN.split(":")[1] not in bot_process.log_path.read_text()


def test_subscribe_broadcast_and_stop(bot_process: BotProcess):
    api = bot_process.api
    api.push_text(PERSON, "/subscribe")
    menu = api.wait_for_text(PERSON, "请选择要订阅的内容")
    # Each toggle edits the menu it was pressed on, with a toast.
    api.push_callback(PERSON, dict(menu.buttons)["政策宣传"], message_id=menu.message_id)
    on = api.wait_for_edits(PERSON, menu.message_id, 1)[-1]
    assert "✅ 政策宣传" in dict(on.buttons) and "已订阅：政策宣传" in api.toasts(PERSON)
    api.push_callback(PERSON, dict(on.buttons)["✅ 政策宣传"], message_id=menu.message_id)
    off = api.wait_for_edits(PERSON, menu.message_id, 2)[-1]
    assert "政策宣传" in dict(off.buttons) and "已取消订阅：政策宣传" in api.toasts(PERSON)
    api.push_callback(PERSON, dict(off.buttons)["政策宣传"], message_id=menu.message_id)
    api.wait_for_edits(PERSON, menu.message_id, 3)
    assert len(api.messages_to(PERSON)) == 1  # the menu, edited three times

    api.push_text(ADMIN, "/broadcast 本月起培训补贴可通过社保卡领取 <注意>")
    preview = api.wait_for_text(ADMIN, "预览")
    assert "将发给1位" in preview.text and "&lt;注意&gt;" in preview.text
    api.push_callback(ADMIN, dict(preview.buttons)["确认发送"], message_id=preview.message_id)
    queued = api.wait_for_edit_text(ADMIN, "已加入发送队列", preview.message_id)
    assert queued.buttons == []  # the preview cannot be confirmed again from its message
    message = api.wait_for_text(PERSON, "社保卡领取")
    assert "政策宣传" in message.text and "/unsubscribe" in message.text
    report = api.wait_for_text(ADMIN, "📊")
    assert "已送达 1" in report.text
    api.push_callback(ADMIN, dict(preview.buttons)["确认发送"], message_id=preview.message_id)
    api.wait_for_text(ADMIN, "过期")  # a confirmed draft cannot be sent twice

    api.push_text(PERSON, "/stop")
    api.wait_for_text(PERSON, "已停止所有消息")
    api.push_text(ADMIN, "/broadcast 第二条")
    assert "将发给0位" in api.wait_for_text(ADMIN, "第二条").text
    api.push_text(PERSON, "/broadcast 我也想发")
    api.wait_for_text(PERSON, "只对市人力社保局的管理员开放")
    assert api.errors == []


def test_broadcast_killed_at_random_points_resumes_without_duplicates(bot_process: BotProcess):
    api = bot_process.api
    engine = make_engine(bot_process.database_url)
    migrate(engine)
    sessions = session_factory(engine)
    subscribers = list(range(20000, 20090))
    subscriptions = Subscriptions(sessions, {"publicity": "政策宣传"}, ("00:00", "00:00"), CLOCK)
    for chat in subscribers:
        subscriptions.toggle(chat, "publicity")

    api.push_text(ADMIN, "/broadcast 恢复测试")
    preview = api.wait_for_text(ADMIN, "预览")
    api.push_callback(ADMIN, dict(preview.buttons)["确认发送"], message_id=preview.message_id)

    def delivered() -> int:
        return len([s for s in api.calls("sendMessage") if "恢复测试" in s.text])

    kill_points = sorted(random.Random(7).sample(range(5, 80), 3))
    for point in kill_points:  # SIGKILL at three random points of the broadcast, restart each time
        deadline = time.monotonic() + 60
        while delivered() < point:
            assert time.monotonic() < deadline, f"the broadcast stalled before {point}"
            time.sleep(0.005)
        bot_process.kill()
        bot_process.restart()
    api.wait_for_text(ADMIN, "📊", timeout=90)

    received = Counter(s.chat_id for s in api.calls("sendMessage") if "恢复测试" in s.text)
    assert max(received.values()) == 1  # nobody twice
    with sessions() as session:
        statuses = Counter(
            row.status
            for row in session.scalars(
                select(Delivery).where(Delivery.message_key.like("broadcast:%"))
            )
        )
    assert statuses["sent"] + statuses["uncertain"] == len(subscribers)
    assert statuses["uncertain"] <= len(kill_points)  # at most the one in flight per kill
    # Only deliveries in flight at a kill may be missing, and the ledger says so.
    assert len(set(subscribers) - set(received)) <= statuses["uncertain"]
    engine.dispose()


def test_personal_reminder_due_while_down_is_sent_once_late(bot_process: BotProcess):
    api = bot_process.api
    api.push_text(PERSON, "明天上午9点提醒我去申领补贴")
    confirm = api.wait_for_text(PERSON, "确认设置吗")
    assert "申领补贴" in confirm.text and "09:00" in confirm.text
    api.push_callback(PERSON, dict(confirm.buttons)["确认"], message_id=confirm.message_id)
    api.wait_for_edit_text(PERSON, "提醒已设置", confirm.message_id)
    api.push_text(PERSON, "/reminders")
    listing = api.wait_for_text(PERSON, "您的提醒")
    assert "去申领补贴" in listing.text and len(listing.buttons) == 1

    # The bot is down when the reminder falls due.
    bot_process.kill()
    engine = make_engine(bot_process.database_url)
    with session_factory(engine).begin() as session:
        reminder = session.scalars(select(Reminder)).one()
        reminder.due_at = now_utc() - timedelta(hours=2)
    bot_process.restart()
    late = api.wait_for_text(PERSON, "⏰", timeout=60)
    assert "晚了" in late.text and "社保卡" in late.text  # a claim reminder says what to bring

    bot_process.kill()
    bot_process.restart()
    api.push_text(PERSON, "/reminders")
    api.wait_for_text(PERSON, "还没有设置提醒")
    assert len([m for m in api.messages_to(PERSON) if "⏰" in m.text]) == 1
    engine.dispose()


def test_questions_mentioning_a_reminder_go_to_the_dialogue(bot_process: BotProcess):
    """ "会提醒我吗" is a policy question (policy/reminder_requests.yml): the dialogue, which
    asks the NLU, replies with its own buttons; "提醒我3月1日交月报" is still a request."""
    api = bot_process.api
    questions = ["补贴到账了会提醒我吗", "到时候会提醒我去领吗"]
    for count, question in enumerate(questions, start=1):
        api.push_text(PERSON, question)
        reply = api.wait_for_messages(PERSON, count)[-1]
        assert "没看出是什么时候" not in reply.text and "确认设置吗" not in reply.text
        payloads = [data for _label, data in reply.buttons]
        assert not any(data.startswith(REMINDER_PREFIXES) for data in payloads)
        assert any(
            data.startswith((TOPIC_PREFIX, DECLINE_PREFIX)) or data in (MENU, NONE_OF_THESE)
            for data in payloads
        ), payloads
    api.push_text(PERSON, "提醒我3月1日交月报")
    confirm = api.wait_for_text(PERSON, "确认设置吗")
    assert "交月报" in confirm.text and "03月01日" in confirm.text


def test_reminder_cancel_and_unclear_times(bot_process: BotProcess):
    api = bot_process.api
    api.push_text(PERSON, "提醒我交材料")
    api.wait_for_text(PERSON, "没看出是什么时候")
    api.push_text(PERSON, "2020年3月1日提醒我")
    api.wait_for_text(PERSON, "已经过去")
    api.push_text(PERSON, "/remind 下周五下午3点 交学徒材料")
    confirm = api.wait_for_text(PERSON, "交学徒材料")
    api.push_callback(PERSON, "rc:ok", message_id=confirm.message_id)
    api.wait_for_edit_text(PERSON, "提醒已设置", confirm.message_id)
    assert "提醒已设好" in api.toasts(PERSON)
    api.push_callback(PERSON, "rc:ok", message_id=confirm.message_id)  # pressed twice
    api.wait_for_text(PERSON, "过期")
    api.push_text(PERSON, "/reminders")
    listing = api.wait_for_text(PERSON, "您的提醒")
    ((_label, data),) = listing.buttons
    api.push_callback(9999, data, message_id=listing.message_id)  # someone else's button
    api.wait_for_text(9999, "过期")
    api.push_callback(PERSON, data, message_id=listing.message_id)
    api.wait_for_text(PERSON, "已取消提醒")
    assert api.errors == []


def test_the_reminder_over_the_cap_is_refused_with_a_clear_message(bot_process: BotProcess):
    api = bot_process.api
    api.push_text(PERSON, "/remind 明天上午9点 交材料")
    confirm = api.wait_for_text(PERSON, "确认设置吗")
    api.push_callback(PERSON, "rc:ok", message_id=confirm.message_id)
    api.wait_for_edit_text(PERSON, "提醒已设置", confirm.message_id)
    # Eighteen more, set earlier: the chat is at 19 of its 20 (config.yml).
    engine = make_engine(bot_process.database_url)
    store = Reminders(session_factory(engine))
    for i in range(18):
        store.create(PERSON, f"事项{i}", now_utc() + timedelta(days=2, hours=i))

    api.push_text(PERSON, "/remind 后天上午9点 第二十条")
    twentieth = api.wait_for_text(PERSON, "第二十条")
    assert "确认设置吗" in twentieth.text
    store.create(PERSON, "另一处刚设的", now_utc() + timedelta(days=3))  # now 20
    api.push_callback(PERSON, "rc:ok", message_id=twentieth.message_id)
    refused = api.wait_for_edit_text(PERSON, "上限", twentieth.message_id)
    assert "20条" in refused.text and "/reminders" in refused.text and refused.buttons == []

    sent = len(api.messages_to(PERSON))
    api.push_text(PERSON, "/remind 后天上午10点 第二十一条")
    over = api.wait_for_messages(PERSON, sent + 1)[-1]
    assert "上限" in over.text and "确认设置吗" not in over.text and over.buttons == []
    assert store.count_scheduled(PERSON) == 20

    # Cancelling one makes room again.
    api.push_text(PERSON, "/reminders")
    listing = api.wait_for_text(PERSON, "您的提醒")
    assert len(listing.buttons) == 20
    api.push_callback(PERSON, listing.buttons[0][1], message_id=listing.message_id)
    api.wait_for_text(PERSON, "已取消提醒")
    api.push_text(PERSON, "/remind 后天上午11点 又能设了")
    assert "确认设置吗" in api.wait_for_text(PERSON, "又能设了").text
    assert api.errors == []
    engine.dispose()


def test_hostile_input_over_telegram(bot_process: BotProcess):
    """500+ hostile messages, stickers, photos, edits, forged buttons and admin commands
    from a non-admin: each gets one valid reply; nothing crashes."""
    api = bot_process.api
    messages = [m for m in corpus() if m.strip()]
    chats = list(range(30000, 30010))
    for i, message in enumerate(messages):
        api.push_text(chats[i % len(chats)], message)
    extra = 0
    for chat in chats[:3]:
        api.push_sticker(chat)
        api.push_photo(chat)
        api.push_edited_text(chat, "{{ 7*7 }} 编辑后的补贴问题")
        for data in ["t:nope", "k:zzzzzz:a0.0", "r:2099-99", "b:1:ok", "rx:1", "s:nope", "x" * 64]:
            api.push_callback(chat, data)
        for command in ["/newcode jingxin", "/overdue", "/broadcast hi", "/compliance"]:
            api.push_text(chat, command)
        extra += 2 + 1 + 7 + 4
    expected = len(messages) + extra
    deadline = time.monotonic() + 180
    while sum(len(api.messages_to(c)) for c in chats) < expected:
        assert time.monotonic() < deadline, "not every message got a reply"
        time.sleep(0.1)
    replies = [m for c in chats for m in api.messages_to(c)]
    assert len(replies) == expected
    assert api.errors == []
    for reply in replies:
        assert reply.text.strip() and len(reply.text) <= 4096 and "49" not in reply.text
    refusals = [r for r in replies if "只对市人力社保局的管理员开放" in r.text]
    assert len(refusals) == 3 * 5  # four admin commands and the broadcast button, per chat
    assert bot_process.process is not None and bot_process.process.poll() is None


def test_scheduled_broadcast_cancelled_and_too_long_draft_refused(
    bot_process: BotProcess, renderer: Renderer
):
    api = bot_process.api
    api.push_text(PERSON, "/subscribe")
    menu = api.wait_for_text(PERSON, "请选择要订阅的内容")
    api.push_callback(PERSON, dict(menu.buttons)["政策宣传"], message_id=menu.message_id)
    api.wait_for_edit_text(PERSON, "请选择要订阅的内容", message_id=menu.message_id)

    api.push_text(ADMIN, "/broadcast 明天上午10点 | 明天的通知")
    preview = api.wait_for_text(ADMIN, "明天的通知")
    api.push_callback(ADMIN, dict(preview.buttons)["确认发送"], message_id=preview.message_id)
    queued = api.wait_for_edit_text(ADMIN, "已安排在", message_id=preview.message_id)
    assert "取消这次广播" in dict(queued.buttons)
    api.push_text(ADMIN, "/broadcasts")
    listed = api.wait_for_text(ADMIN, "待发的广播")
    assert "明天的通知" in listed.text
    [(label, data)] = listed.buttons
    assert label.startswith("取消 #")
    api.push_callback(ADMIN, data, message_id=listed.message_id)
    api.wait_for_edit_text(ADMIN, "已取消，这条消息不会发送", message_id=listed.message_id)
    api.push_callback(ADMIN, dict(queued.buttons)["取消这次广播"], message_id=queued.message_id)
    api.wait_for_text(ADMIN, "过期")  # cancelled once
    api.push_text(ADMIN, "/broadcasts")
    api.wait_for_text(ADMIN, "现在没有待发的广播")

    # The longest text that fits: its preview, longer with the time to send, shows the
    # beginning.
    footer = telegram_length(
        renderer.render("scheduled/broadcast_message.j2", TODAY, body="", topic_name="政策宣传")
    )
    api.push_text(ADMIN, "/broadcast 明天上午10点 | " + "长" * (TEXT_LIMIT - footer))
    preview = api.wait_for_text(ADMIN, "预览只显示开头")
    assert telegram_length(preview.text) <= TEXT_LIMIT and "确认发送" in dict(preview.buttons)
    # 4080 characters fit in a Telegram message, not with the subscriber footer added.
    api.push_text(ADMIN, "/broadcast " + "补" * 4080)
    refused = api.wait_for_text(ADMIN, "这条广播太长了")
    assert "最多4096字" in refused.text and not refused.buttons
    with session_factory(make_engine(bot_process.database_url))() as session:
        texts = [d.text for d in session.scalars(select(Delivery))]
    assert not [t for t in texts if "明天的通知" in t]
    assert not [m for m in api.messages_to(PERSON) if "明天的通知" in m.text]
    assert api.errors == []

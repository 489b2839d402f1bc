"""Every button payload prefix, in one place: short ASCII codes (Telegram's callback_data
is at most 64 bytes). A prefix must not begin another one: handlers are matched with
"^<prefix>" in registration order. Exact payloads (no argument) end in no colon.
tests/unit/test_payloads.py checks both rules."""

# ---- the dialogue (bot/dialogue/) ----
TOPIC_PREFIX = "t:"  # t:<topic id> answers that topic
DETAILS_PREFIX = "x:"  # x:<topic id> sends the rest of that topic's answer (responses/details/)
MENU = "m"  # the topic menu
DECLINE_PREFIX = "d:"  # d:<decline kind> gives that decline (offered by a clarification)
NONE_OF_THESE = "n"  # "都不是" after a clarification

# ---- the self-check (bot/eligibility/conversation.py) ----
CHECK_PREFIX = "k:"  # k:<state id>:<answer> is one self-check step
CHECK_START = "k:start"  # starts a self-check

# ---- personal reminders (bot/channels/telegram_reminders.py) ----
REMINDER_CONFIRM = "rc:"  # rc:ok / rc:no answer the proposal waiting in the chat's state
REMINDER_CANCEL = "rx:"  # rx:<reminder id> cancels that reminder (/reminders)
REMINDER_QUICK = "rq:"  # rq:<days> proposes a reminder that many days ahead at 09:00
REMINDER_MENU = "rm:"  # rm:claim asks when to be reminded
REMIND_CLAIM = REMINDER_MENU + "claim"  # "提醒我申领" after a self-check result

# ---- subscriptions (bot/channels/telegram_subscriptions.py) ----
SUBSCRIBE_PREFIX = "s:"  # s:<topic> toggles a subscription

# ---- department contacts (scheduler/duties.py) ----
ACK_PREFIX = "r:"  # r:<period key> is the "已报送" button under a report reminder

# ---- admins ----
BROADCAST_PREFIX = "b:"  # b:<broadcast id>:ok / :no confirms or cancels a broadcast
CATALOGUE_PREFIX = "cat:"  # cat:ok:<draft id> / cat:no:<draft id> imports a catalogue upload

PREFIXES: dict[str, str] = {
    "TOPIC_PREFIX": TOPIC_PREFIX,
    "DETAILS_PREFIX": DETAILS_PREFIX,
    "DECLINE_PREFIX": DECLINE_PREFIX,
    "CHECK_PREFIX": CHECK_PREFIX,
    "REMINDER_CONFIRM": REMINDER_CONFIRM,
    "REMINDER_CANCEL": REMINDER_CANCEL,
    "REMINDER_QUICK": REMINDER_QUICK,
    "REMINDER_MENU": REMINDER_MENU,
    "SUBSCRIBE_PREFIX": SUBSCRIBE_PREFIX,
    "ACK_PREFIX": ACK_PREFIX,
    "BROADCAST_PREFIX": BROADCAST_PREFIX,
    "CATALOGUE_PREFIX": CATALOGUE_PREFIX,
}
"""Every prefix that starts a payload with an argument, by name."""

EXACT: dict[str, str] = {
    "MENU": MENU,
    "NONE_OF_THESE": NONE_OF_THESE,
    "CHECK_START": CHECK_START,
    "REMIND_CLAIM": REMIND_CLAIM,
}
"""Payloads sent as they are (they may begin with a prefix of their own handler)."""

REMINDER_PREFIXES = (REMINDER_CONFIRM, REMINDER_CANCEL, REMINDER_QUICK, REMINDER_MENU)

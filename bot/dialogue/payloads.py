"""Button payloads shared by the dialogue's parts: short ASCII codes (Telegram allows 64 bytes)."""

TOPIC_PREFIX = "t:"  # t:<topic id> answers that topic
DETAILS_PREFIX = "x:"  # x:<topic id> sends the rest of that topic's answer (responses/details/)
MENU = "m"  # the topic menu
DECLINE_PREFIX = "d:"  # d:<decline kind> gives that decline (offered by a clarification)
NONE_OF_THESE = "n"  # "都不是" after a clarification
REMIND_CLAIM = "rm:claim"  # "提醒我申领" after a self-check (handled by the scheduler's channel)

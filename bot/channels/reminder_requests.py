"""Whether a message asks for a personal reminder or asks a question that mentions one
(policy/reminder_requests.yml): "提醒我3月1日交月报" is a request, "补贴到账了会提醒我吗" is
a policy question for the NLU."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path

import yaml

from nlu.normalize import normalize
from scheduler.when import NoTimeNamed, WhenError, parse_when


@dataclass(frozen=True)
class ReminderRequests:
    triggers: tuple[str, ...]
    question_words: tuple[str, ...]

    def is_request(self, raw: str, now: datetime, zone: tzinfo) -> bool:
        text = normalize(raw)
        if not any(word in text for word in self.triggers):
            return False
        if not any(word in text for word in self.question_words):
            return True  # "提醒我" with no time still goes to the parser, which asks when
        return _names_a_time(text, now, zone)


def _names_a_time(text: str, now: datetime, zone: tzinfo) -> bool:
    """A question with a time in it ("能在3月1日提醒我交月报吗") is still a request."""
    try:
        parse_when(text, now, zone)
    except NoTimeNamed:
        return False
    except WhenError:  # a time in the past or too far ahead: a request the parser explains
        return True
    return True


def load_reminder_requests(policy: Path) -> ReminderRequests:
    raw = yaml.safe_load((policy / "reminder_requests.yml").read_text("utf-8"))
    return ReminderRequests(
        tuple(str(w) for w in raw["triggers"]), tuple(str(w) for w in raw["question_words"])
    )

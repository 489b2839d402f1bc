"""End-to-end evaluation through the dialogue, as `ask --json` answers each question.

Two question sets, always reported apart: the real questions (nlu/real/questions.yml,
found in public sources) and the written held-out set (nlu/tests/, written by the team).

Measures, per question:
- direct: answered (or the self-check started) from a right section;
- one tap: direct, or a right section (or the right decline) offered as a clarification button;
- declined: an out-of-scope question declined with a pointer;
- dead end: a reply that is neither an answer nor carries any button.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from bot.dialogue.core import Dialogue
from bot.dialogue.types import Context, Reply
from bot.policy_pack import PolicyPack
from nlu.dataset import HELD_OUT_DIR, examples
from nlu.realset import RealQuestion

# The gates the test suite holds the real evaluation set to.
BARS = {"direct": 0.90, "one_tap": 0.97, "declined": 0.90, "dead_ends": 0}
ANSWER_KINDS = frozenset({"answer", "check", "smalltalk"})


@dataclass(frozen=True)
class Case:
    text: str
    expect: str  # answer | decline | check
    topics: tuple[str, ...]  # right topics (or decline kinds)
    sections: tuple[str, ...]
    group: str  # source type, or "written"


@dataclass(frozen=True)
class Outcome:
    case: Case
    reply: Reply
    direct: bool
    one_tap: bool
    dead_end: bool


@dataclass(frozen=True)
class Summary:
    n_in_scope: int
    n_out_of_scope: int
    direct: float
    one_tap: float
    declined: float
    dead_ends: int

    def meets(self, bars: dict[str, float] = BARS) -> list[str]:
        """The bars this summary falls short of (empty: all met)."""
        short = [
            f"{name} {getattr(self, name):.3f} < {bars[name]:.2f}"
            for name in ("direct", "one_tap", "declined")
            if getattr(self, name) < bars[name]
        ]
        if self.dead_ends > bars["dead_ends"]:
            short.append(f"dead ends {self.dead_ends}")
        return short


def real_cases(questions: Iterable[RealQuestion], split: str = "eval") -> list[Case]:
    return [
        Case(q.text, q.expect, (q.topic, *q.also), q.sections, q.source_type)
        for q in questions
        if split == "all" or q.split == split
    ]


def written_cases(pack: PolicyPack) -> list[Case]:
    """The team's held-out set; small talk has no right section and is left out."""
    cases = []
    for intent, text in examples(HELD_OUT_DIR):
        if intent in pack.topics:
            cases.append(Case(text, "answer", (intent,), pack.topics[intent].sections, "written"))
        elif intent in pack.out_of_scope:
            cases.append(Case(text, "decline", (intent,), (), "written"))
        elif intent in pack.flows:
            cases.append(Case(text, "check", (intent,), (), "written"))
    return cases


def judge(case: Case, reply: Reply) -> Outcome:
    has_buttons = any(reply.buttons)
    dead_end = reply.kind not in ANSWER_KINDS and not has_buttons
    if case.expect == "decline":
        direct = reply.kind == "decline"
        offered = reply.kind == "clarify" and any(c.topic in case.topics for c in reply.candidates)
    elif case.expect == "check":
        direct = reply.kind == "check"
        offered = reply.kind == "clarify" and any(c.topic in case.topics for c in reply.candidates)
    else:
        right = set(case.sections)
        direct = reply.kind == "answer" and bool(right & set(reply.sections))
        offered = reply.kind == "clarify" and any(
            right & set(c.sections) or c.topic in case.topics for c in reply.candidates
        )
    return Outcome(case, reply, direct, direct or offered, dead_end)


async def run(dialogue: Dialogue, cases: list[Case]) -> list[Outcome]:
    """Each question alone, with a fresh context, as `ask` answers it."""
    return [judge(case, await dialogue.handle_text(case.text, Context())) for case in cases]


def summarize(outcomes: list[Outcome]) -> Summary:
    in_scope = [o for o in outcomes if o.case.expect != "decline"]
    oos = [o for o in outcomes if o.case.expect == "decline"]
    return Summary(
        n_in_scope=len(in_scope),
        n_out_of_scope=len(oos),
        direct=_rate(o.direct for o in in_scope),
        one_tap=_rate(o.one_tap for o in in_scope),
        declined=_rate(o.direct for o in oos),
        dead_ends=sum(o.dead_end for o in outcomes),
    )


def _rate(flags: Iterable[bool]) -> float:
    values = list(flags)
    return sum(values) / len(values) if values else 1.0


def format_report(title: str, outcomes: list[Outcome], worst: int = 15) -> str:
    summary = summarize(outcomes)
    lines = [
        f"## {title}",
        f"in scope {summary.n_in_scope}: direct {summary.direct:.1%}, within one tap "
        f"{summary.one_tap:.1%}; out of scope {summary.n_out_of_scope}: declined "
        f"{summary.declined:.1%}; dead ends {summary.dead_ends}",
        "",
        _table("source type", outcomes, lambda o: [o.case.group]),
        "",
        _table("section", outcomes, lambda o: list(o.case.sections) or [o.case.expect]),
        "",
        "worst misses (expected → got):",
    ]
    misses = [o for o in outcomes if not o.one_tap or o.dead_end]
    misses += [o for o in outcomes if o.one_tap and not o.direct and o not in misses]
    for o in misses[:worst]:
        got = o.reply.intent or "-"
        offered = ",".join(c.topic for c in o.reply.candidates)
        lines.append(
            f"  {'✗' if not o.one_tap else '~'} {o.case.text[:40]!r} → {o.case.topics[0]} "
            f"{'/'.join(o.case.sections)} | {o.reply.kind}:{got} {'/'.join(o.reply.sections)}"
            + (f" [{offered}]" if offered else "")
        )
    return "\n".join(lines)


def _table(label: str, outcomes: list[Outcome], keys) -> str:
    rows: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        for key in keys(o):
            rows[key].append(o)
    header = f"{label:14} {'n':>4} {'direct':>7} {'1 tap':>7} {'dead':>5}"
    lines = [header]
    for key, group in sorted(rows.items(), key=lambda kv: -len(kv[1])):
        lines.append(
            f"{key:14} {len(group):>4} {_rate(o.direct for o in group):>7.1%} "
            f"{_rate(o.one_tap for o in group):>7.1%} {sum(o.dead_end for o in group):>5}"
        )
    return "\n".join(lines)


def confusions(outcomes: list[Outcome], top: int = 10) -> list[tuple[str, str, int]]:
    counted = Counter(
        (o.case.topics[0], o.reply.intent or o.reply.kind) for o in outcomes if not o.direct
    )
    return [(e, g, n) for (e, g), n in counted.most_common(top)]

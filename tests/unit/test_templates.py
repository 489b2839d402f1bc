"""Every template renders, fits one Telegram message and is valid Telegram HTML."""

from __future__ import annotations

import pytest

from bot.eligibility.conversation import load_questions
from bot.eligibility.service import load_checker
from bot.policy_pack import PolicyPack
from bot.render import Renderer
from tests.conftest import PLAN_DAY, ROOT, TODAY
from tests.support.telegram_html import telegram_html_error

_QUESTIONS = load_questions(ROOT / "policy")
# Extra variables some templates take.
EXTRA = {
    "messages/citation.j2": lambda pack: {
        "cited": [pack.sections["三(一)"], pack.sections["附则"]]
    },
    "messages/welcome.j2": lambda pack: {"name": "<小王 & 朋友>"},
    "messages/too_long.j2": lambda pack: {"limit": 300},
    "messages/other_city.j2": lambda pack: {"cities": ["杭州", "<苏州>"]},
    "messages/check_question.j2": lambda pack: {"question": _QUESTIONS[0], "number": 1},
    "messages/check_why.j2": lambda pack: {"question": _QUESTIONS[-1]},
    "messages/check_stale.j2": lambda pack: {"current": True},
    "messages/check_result.j2": lambda pack: {
        "result": load_checker(ROOT / "policy").check_raw(
            {"role": "worker", "as_of": "2020-01-01", "groups": ["urban_dibao"]}
        ),
        "documents": ["身份证件"],
    },
}


def _all_templates(renderer: Renderer) -> list[str]:
    return [n for folder in ("answers", "messages", "declines") for n in renderer.names(folder)]


def test_there_is_an_answer_template_for_every_topic(pack: PolicyPack, renderer: Renderer):
    answers = {n.removeprefix("answers/").removesuffix(".j2") for n in renderer.names("answers")}
    assert answers == set(pack.topics)


def test_there_is_a_decline_for_every_out_of_scope_kind(pack: PolicyPack, renderer: Renderer):
    declines = {n.removeprefix("declines/").removesuffix(".j2") for n in renderer.names("declines")}
    assert declines == set(pack.out_of_scope)
    messages = {n.removeprefix("messages/").removesuffix(".j2") for n in renderer.names("messages")}
    assert set(pack.smalltalk) <= messages


@pytest.mark.parametrize("today", [PLAN_DAY, TODAY], ids=["during-plan", "today"])
def test_every_template_renders_as_valid_short_telegram_html(
    pack: PolicyPack, renderer: Renderer, today
):
    names = _all_templates(renderer)
    assert len(names) > 40
    for name in names:
        extra = EXTRA.get(name, lambda _: {})(pack)
        text = renderer.render(name, today, **extra)
        assert text.strip(), name
        assert len(text) < 4096, name
        assert telegram_html_error(text) is None, (name, telegram_html_error(text))
        assert "None" not in text, name


def test_user_text_in_templates_is_escaped(pack: PolicyPack, renderer: Renderer):
    text = renderer.render("messages/welcome.j2", TODAY, name="<b>x</b>&{{1}}")
    assert "&lt;b&gt;x&lt;/b&gt;&amp;{{1}}" in text


def test_validity_answer_follows_the_date(renderer: Renderer):
    assert "已经到期" in renderer.render("answers/validity.j2", TODAY)
    assert "已经到期" not in renderer.render("answers/validity.j2", PLAN_DAY)


def test_the_checker_catches_what_telegram_rejects():
    assert telegram_html_error("<b>ok</b> &amp; &#39;fine&#39;") is None
    assert telegram_html_error("<div>no</div>") is not None
    assert telegram_html_error("<b>open") is not None
    assert telegram_html_error("a < b") is not None
    assert telegram_html_error("Tom & Jerry") is not None

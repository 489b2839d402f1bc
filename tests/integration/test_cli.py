"""`python -m bot ask` and `python -m bot chat` as operators and people use them,
against the real NLU service."""

from __future__ import annotations

import json

from tests.conftest import ASK_JSON_FIELDS, NluEndpoint, bot_env, run_bot


def test_ask_json_answers_and_declines(nlu_endpoint: NluEndpoint, database_url: str):
    done = run_bot(
        ["ask", "--json", "学徒制一年补多少钱", "我是外地户口，能领培训补贴吗？", "今天天气怎么样"],
        bot_env(nlu_endpoint, database_url),
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["q"] for line in lines] == [
        "学徒制一年补多少钱",
        "我是外地户口，能领培训补贴吗？",
        "今天天气怎么样",
    ]
    for line in lines:
        assert tuple(line) == ASK_JSON_FIELDS
    apprentice, residency, weather = lines
    assert [line["kind"] for line in lines] == ["answer", "answer", "decline"]
    assert apprentice["answered"] is True and "四(一)" in apprentice["sections"]
    assert "4000" in apprentice["text"]
    assert residency["answered"] is True and residency["sections"] == ["三(一)"]
    # A long answer: the summary in `text`, the rest (its 详细说明 button) in `details`.
    assert "居住证" in residency["text"] and "对口协作地区" not in residency["text"]
    assert "对口协作地区" in residency["details"]
    assert apprentice["details"] is None and weather["details"] is None
    assert weather["answered"] is False and weather["sections"] == []
    assert "12333" in weather["text"]


def test_ask_reads_one_question_per_stdin_line(nlu_endpoint: NluEndpoint, database_url: str):
    done = run_bot(
        ["ask", "--json"],
        bot_env(nlu_endpoint, database_url),
        stdin="培训期间有生活费吗\n\n学生学徒补贴多少\n",
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["intent"] for line in lines] == ["living_allowance", "apprentice_student"]


def test_ask_plain_text_output(nlu_endpoint: NluEndpoint, database_url: str):
    done = run_bot(["ask", "以工代训最长补几个月"], bot_env(nlu_endpoint, database_url))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("问：以工代训最长补几个月") and "6个月" in done.stdout


def test_console_chat_answers_declines_and_presses_buttons(
    nlu_endpoint: NluEndpoint, database_url: str
):
    session = "我是外地户口，能领培训补贴吗？\n今天天气怎么样\n1\n退出\n"
    done = run_bot(["chat"], bot_env(nlu_endpoint, database_url), stdin=session)
    assert done.returncode == 0, done.stderr
    replies = done.stdout.split("助手> ")
    # welcome, residency answer, weather decline, then button 1 of the decline (none) ...
    assert "职业技能提升行动政策助手" in replies[1]
    assert "居住证" in replies[2] and "三(一)" in replies[2]
    assert "12333" in replies[3] and "不在" in replies[3]
    assert "再见" in replies[-1]
    assert "<b>" not in done.stdout  # the console shows plain text


def test_console_chat_button_number_presses_the_button(
    nlu_endpoint: NluEndpoint, database_url: str
):
    # The welcome shows the menu: [1] is the self-check, [2] the first topic.
    done = run_bot(["chat"], bot_env(nlu_endpoint, database_url), stdin="2\n1\n")
    assert done.returncode == 0, done.stderr
    assert "谁能领职业培训补贴" in done.stdout and "三(一)" in done.stdout


def test_run_without_token_explains_in_chinese(nlu_endpoint: NluEndpoint, database_url: str):
    done = run_bot(["run"], bot_env(nlu_endpoint, database_url))
    assert done.returncode == 2 and "TELEGRAM_BOT_TOKEN" in done.stderr


def test_ask_json_lists_a_clarifications_candidates_in_button_order(
    nlu_endpoint: NluEndpoint, database_url: str
):
    done = run_bot(["ask", "--json", "补贴"], bot_env(nlu_endpoint, database_url))
    assert done.returncode == 0, done.stderr
    (line,) = [json.loads(x) for x in done.stdout.splitlines()]
    if line["kind"] == "clarify":
        assert line["answered"] is False and line["candidates"]
        scores = [c["score"] for c in line["candidates"]]
        assert scores == sorted(scores, reverse=True)
        assert all(set(c) == {"topic", "sections", "score"} for c in line["candidates"])
    else:
        assert line["candidates"] == []

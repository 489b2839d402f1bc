"""The self-check in the console chat gives the same verdicts as `check --json`."""

from __future__ import annotations

import json

import pytest

from tests.conftest import NluEndpoint, bot_env, run_bot
from tests.support.check_answers import (
    ENTERPRISE_FACTS,
    ENTERPRISE_PRESSES,
    WORKER_FACTS,
    WORKER_PRESSES,
    amount_words,
    verdict_lines,
)


@pytest.mark.parametrize(
    ("presses", "facts"),
    [(WORKER_PRESSES, WORKER_FACTS), (ENTERPRISE_PRESSES, ENTERPRISE_FACTS)],
    ids=["worker", "enterprise"],
)
def test_console_check_matches_check_json(
    nlu_endpoint: NluEndpoint, database_url: str, presses: list[str], facts: dict
):
    env = bot_env(nlu_endpoint, database_url)
    expected = json.loads(run_bot(["check", "--json"], env, stdin=json.dumps(facts)).stdout)
    assert expected["verdicts"]
    first = expected["verdicts"][0]
    detail = f"详细说明：{first['label']}"  # a button's label presses it in the console
    chat = run_bot(["chat"], env, stdin="\n".join(["/check", *presses, detail, "退出"]) + "\n")
    assert chat.returncode == 0, chat.stderr
    result, _, shown = chat.stdout.split("自查结果")[-1].partition(f"] {detail}")
    # The detail button gives the console the clause-by-clause reasons too.
    for reason in first["reasons"]:
        assert f"{reason['text']}（{reason['section']}）" in shown, (reason, shown)
    for line in verdict_lines(expected):
        assert line in result, (line, result)
    for verdict in expected["verdicts"]:
        words = amount_words(verdict)
        if words is not None:
            assert words in result, (words, result)
    print(chat.stdout)

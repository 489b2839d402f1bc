"""The catalogue as operators use it: `python -m bot catalogue check|import|show` on the real
example (CSV and XLSX) and a damaged copy, then amount questions through the real NLU
service, and `check --json` computing amounts from it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import NluEndpoint, bot_env, run_bot
from tests.support.catalogue import (
    EXAMPLE_CSV,
    EXAMPLE_SOURCE,
    EXAMPLE_VALID_FROM,
    damaged_csv,
    example_xlsx,
    write,
)

QUESTIONS = [
    "美容师中级补多少",
    "茶艺师证有补贴吗 多少钱",
    "焊工初级和中级差多少",
    "电工操作证补多少钱",
]
CITED = "2020年7月23日起执行"


def _env(database_url: str) -> dict[str, str]:
    # The catalogue commands need no NLU service.
    return bot_env(NluEndpoint("http://127.0.0.1:9", None), database_url)


def _import(path: Path, database_url: str, valid_from: str = EXAMPLE_VALID_FROM):
    return run_bot(
        ["catalogue", "import", str(path), "--valid-from", valid_from, "--source", EXAMPLE_SOURCE],
        _env(database_url),
    )


def test_a_damaged_copy_is_reported_with_row_numbers_and_changes_nothing(
    tmp_path: Path, database_url: str
):
    damaged = write(tmp_path / "damaged.csv", damaged_csv())
    checked = run_bot(["catalogue", "check", str(damaged)], _env(database_url))
    assert checked.returncode == 1
    for line in [
        "第3行：等级“中高级”不认识",
        "第4行：金额“一千五”不是数字",
        "第5行：各职业与第2行重复",
    ]:
        assert line in checked.stdout, checked.stdout
    assert "没有导入，原有数据不变" in checked.stdout
    assert _import(tmp_path / "missing.csv", database_url).returncode == 2
    assert _import(damaged, database_url).returncode == 1
    shown = run_bot(["catalogue", "show"], _env(database_url))
    assert shown.returncode == 0 and "还没有导入" in shown.stdout


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_real_example_imports_and_shows(tmp_path: Path, database_url: str, kind: str):
    path = EXAMPLE_CSV if kind == "csv" else write(tmp_path / "example.xlsx", example_xlsx())
    done = _import(path, database_url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "没有发现问题" in done.stdout and "这是第一个版本：新增9条" in done.stdout
    shown = run_bot(["catalogue", "show", "焊工"], _env(database_url))
    assert "各职业中级（四级）：1200元" in shown.stdout and EXAMPLE_SOURCE in shown.stdout
    again = _import(path, database_url, "2021-01-01")
    assert "新增0条，删除0条，金额变化0条" in again.stdout


@pytest.mark.nlu
def test_amount_questions_answer_with_the_figure_and_its_version(
    nlu_endpoint: NluEndpoint, database_url: str
):
    assert _import(EXAMPLE_CSV, database_url).returncode == 0
    done = run_bot(["ask", "--json", *QUESTIONS], bot_env(nlu_endpoint, database_url))
    assert done.returncode == 0, done.stderr
    beauty, tea, welder, electrician = (json.loads(line) for line in done.stdout.splitlines())
    for answer in (beauty, tea, welder):
        assert answer["kind"] == "answer" and "三(一)" in answer["sections"]
        assert CITED in answer["text"] and EXAMPLE_SOURCE in answer["text"]
        # The plan's conditions: a certificate, at most 3 a year, never the same twice.
        assert "取得证书" in answer["text"] and "每年不超过3次" in answer["text"]
        assert "同一职业同一等级一年内不重复享受" in answer["text"]
    assert "中级（四级）：1200元" in beauty["text"]
    assert "初级（五级）：1000元" in tea["text"]
    assert "高级技师（一级）：4000元" in tea["text"]
    assert "中级（四级）比初级（五级）多200元" in welder["text"]
    # Not in the catalogue (special-operation cards are left out of the excerpt): said so.
    assert "没有找到电工的补贴标准" in electrician["text"]
    assert "三(四)" in electrician["sections"]


@pytest.mark.nlu
def test_without_a_catalogue_the_honest_answer_stays(nlu_endpoint: NluEndpoint, database_url: str):
    done = run_bot(["ask", "--json", QUESTIONS[0]], bot_env(nlu_endpoint, database_url))
    answer = json.loads(done.stdout)
    assert "1200" not in answer["text"] and "目录清单" in answer["text"]
    assert "请向市人力社保局或拨打12333查询当年公布的目录清单" in answer["text"]


WORKER = {
    "role": "worker",
    "today": "2020-10-01",
    "residency": ["local_hukou"],
    "monthly_pension": False,
    "subsidies_this_year": 0,
    "same_occupation_level_this_year": False,
    "certificate": "skill_level",
    "groups": ["trade_friction_employee"],
}


def _check(facts: dict, database_url: str) -> dict[str, dict]:
    done = run_bot(["check", "--json"], _env(database_url), stdin=json.dumps(facts))
    assert done.returncode == 0, done.stderr
    return {v["subsidy"]: v for v in json.loads(done.stdout)["verdicts"]}


def test_the_self_check_computes_amounts_from_the_catalogue(database_url: str):
    assert _import(EXAMPLE_CSV, database_url).returncode == 0
    facts = WORKER | {"as_of": "2020-09-01", "occupation": "电焊工", "level": "level_3"}
    verdicts = _check(facts, database_url)
    base, uplift = verdicts["social_training"], verdicts["trade_friction_uplift"]
    assert (base["amount_yuan"], base["amount_basis"]) == (1500, "exact")
    assert base["catalogue"]["occupation"] == "焊工"
    assert base["catalogue"]["valid_from"] == EXAMPLE_VALID_FROM
    assert EXAMPLE_SOURCE in base["amount_note"]
    assert (uplift["amount_yuan"], uplift["amount_basis"]) == (1950, "at_most")
    assert "最多上浮30%" in uplift["amount_note"] and "2021年12月31日" in uplift["amount_note"]
    # A special-ability certificate has no other level.
    special = _check(
        WORKER | {"as_of": "2021-05-01", "certificate": "special_ability", "occupation": "美容"},
        database_url,
    )
    assert special["social_training"]["amount_yuan"] == 800
    # Before the first version, and after the plan: no figure is made up.
    early = _check(
        WORKER | {"as_of": "2020-03-01", "occupation": "焊工", "level": "level_3"}, database_url
    )
    assert early["social_training"]["amount_yuan"] is None
    assert early["social_training"]["catalogue"] is None
    late = _check(
        WORKER
        | {"as_of": "2022-03-01", "today": "2026-11-26", "occupation": "焊工", "level": "level_3"},
        database_url,
    )
    assert late["trade_friction_uplift"]["amount_yuan"] is None


def test_check_json_without_occupation_is_unchanged(database_url: str):
    """Backward compatible: the new facts are optional, and the old output needs no database."""
    verdicts = _check(WORKER | {"as_of": "2020-09-01"}, "sqlite:////nonexistent/dir/x.db")
    assert verdicts["social_training"]["amount_yuan"] is None
    assert verdicts["social_training"]["catalogue"] is None
    assert "目录清单" in verdicts["social_training"]["amount_note"]

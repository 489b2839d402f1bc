"""`python -m bot schedule [--year Y] [--ics FILE]`: the table, the file, and the years with
no dates (before the plan, after the duties end), in-process and as a real subprocess."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
import yaml
from icalendar import Calendar

from bot.cli import main
from tests.conftest import CLOCK, ROOT, run_bot


@pytest.fixture(autouse=True)
def repository_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_CONFIG", str(ROOT / "config.yml"))


def test_a_year_as_a_table_and_an_ics_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    ics = tmp_path / "2020.ics"
    assert main(["schedule", "--year", "2020", "--ics", str(ics)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("2020年部门报送日程（按国家法定工作日")
    assert "2020-09-28  周一  月报提醒：2020年9月月报，10月1日应报" in out
    assert "2020-10-09  周五  逾期跟进：2020年9月月报未确认的部门" in out
    assert "2020-12-15  周二  年度报告提醒：2020年绩效结果，年底前报送" in out
    assert "2020-01-02  周四  年初计划提醒：2020年培训计划报审" in out
    assert "依据：《XX市职业技能提升行动实施方案（2019—2021年）》" in out
    assert "<b>" not in out and "&amp;" not in out
    assert f"已写入 {ics}（50个日程" in out
    events = Calendar.from_ical(ics.read_bytes()).walk("VEVENT")
    assert len(events) == 50
    assert date(2020, 10, 9) in {e.decoded("DTSTART") for e in events}


def test_after_the_duties_end_it_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["schedule", "--year", "2022"]) == 0
    last = capsys.readouterr().out
    assert "2022-01-04  周二  逾期跟进：2021年12月月报" in last
    assert "报送提醒到1月4日结束" in last and "最后一次月报是1月1日应报的2021年12月报表" in last

    ics = tmp_path / "2023.ics"
    assert main(["schedule", "--year", "2023", "--ics", str(ics)]) == 1
    captured = capsys.readouterr()
    assert "2023年没有部门报送日程：报送提醒已于2022年1月4日结束" in captured.out
    assert "scheduler.duties" in captured.out  # where an operator extends them
    assert "未写入" in captured.err and not ics.exists()


def test_an_operator_extension_follows_config(tmp_path: Path, monkeypatch, capsys):
    config = yaml.safe_load((ROOT / "config.yml").read_text("utf-8"))
    config["scheduler"]["duties"] = {"until": date(2023, 6, 30), "basis": "《继续报送通知》"}
    config["paths"] = {name: str(ROOT / value) for name, value in config["paths"].items()}
    path = tmp_path / "config.yml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("ASSISTANT_CONFIG", str(path))
    assert main(["schedule", "--year", "2023"]) == 0
    out = capsys.readouterr().out
    assert "2023-06-28  周三  月报提醒：2023年6月月报，7月1日应报" in out
    assert "报送提醒到7月3日结束（依据：《继续报送通知》）" in out
    assert "2023-12" not in out


def test_bad_years_get_a_clear_message(capsys: pytest.CaptureFixture[str]):
    assert main(["schedule", "--year", "12"]) == 2
    assert "年份不对" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["schedule", "--year", "明年"])


def test_python_m_bot_schedule_defaults_to_this_year(tmp_path: Path):
    ics = tmp_path / "this-year.ics"
    env = {**os.environ, "ASSISTANT_CONFIG": str(ROOT / "config.yml")}
    result = run_bot(["schedule", "--ics", str(ics)], env, timeout=60)
    year = CLOCK.today().year
    assert result.stdout.startswith(f"{year}年部门报送日程")
    # Under the plan's own dates, this year (after 2022) has none: it says so, no file.
    if year > 2022:
        assert result.returncode == 1 and "没有部门报送日程" in result.stdout
        assert not ics.exists()
    else:
        assert result.returncode == 0 and ics.exists()

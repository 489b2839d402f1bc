"""config.yml → scheduler.duties and weekly_tip.keep_after_plan: the operator's override of
the plan's dates needs the legal basis that sets them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.config import load_settings
from tests.conftest import ROOT


def settings_with(tmp_path: Path, scheduler: str):
    path = tmp_path / "config.yml"
    path.write_text(f"scheduler:\n{scheduler}", encoding="utf-8")
    return load_settings(path, env={})


def test_by_default_the_duties_and_tips_follow_the_plan():
    config = load_settings(ROOT / "config.yml", env={}).scheduler
    assert config.duties_until is None and config.duties_from is None
    assert config.duties_basis is None and config.tip_keep_after_plan is False


def test_an_extension_with_its_basis(tmp_path: Path):
    config = settings_with(
        tmp_path,
        "  duties:\n    until: 2023-12-31\n"
        "    basis: 《关于继续报送的通知》（X人社发〔2022〕1号）\n"
        "  weekly_tip:\n    keep_after_plan: true\n",
    ).scheduler
    assert config.duties_until == date(2023, 12, 31) and config.duties_from is None
    assert config.duties_basis == "《关于继续报送的通知》（X人社发〔2022〕1号）"
    assert config.tip_keep_after_plan is True


@pytest.mark.parametrize(
    ("duties", "message"),
    [
        ("    until: 2023-12-31\n", "basis"),
        ("    from: 2023-01-01\n    basis: X\n", "until"),
        ("    until: next year\n    basis: X\n", "YYYY-MM-DD"),
    ],
)
def test_an_override_without_its_basis_or_dates_is_refused(
    tmp_path: Path, duties: str, message: str
):
    with pytest.raises(ValueError, match=message):
        settings_with(tmp_path, "  duties:\n" + duties)

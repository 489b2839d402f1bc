"""The packages' layering: bot/channels (Telegram, the console) may use the scheduler; the
scheduler and the dialogue never import bot.channels, so no import circle can form."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("package", ["scheduler", "bot/dialogue", "bot/eligibility", "bot/store"])
def test_lower_layers_never_import_the_channels(package: str) -> None:
    for path in sorted((ROOT / package).rglob("*.py")):
        channels = {
            m for m in _imports(path) if m == "bot.channels" or m.startswith("bot.channels.")
        }
        assert not channels, f"{path.relative_to(ROOT)} imports {sorted(channels)}"

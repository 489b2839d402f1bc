"""Render replies from the Jinja2 templates in responses/ (Telegram HTML, autoescaped)."""

from __future__ import annotations

import html
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound

from bot.policy_pack import PolicyPack

_TAG = re.compile(r"<[^>]+>")


def to_plain(telegram_html: str) -> str:
    """Telegram HTML → plain text (the console, JSON output, toasts, calendar files)."""
    return html.unescape(_TAG.sub("", telegram_html))


def telegram_length(telegram_html: str) -> int:
    """The length Telegram checks against its limits: the text after HTML is parsed
    (tags dropped, entities read), in UTF-16 code units."""
    return len(to_plain(telegram_html).encode("utf-16-le")) // 2


def _num(value: float) -> str:
    """4000.0 → '4000', 0.99 → '0.99'."""
    return f"{value:g}"


def _yuan(value: float | Decimal) -> str:
    """An amount of money as written: 1200.00 → '1200', 1300.5 → '1300.5' (never 1.3e+03)."""
    text = f"{Decimal(str(value)).quantize(Decimal('0.01')):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _pct(value: float) -> str:
    return f"{value * 100:g}%"


class Renderer:
    def __init__(self, templates: Path, pack: PolicyPack) -> None:
        # autoescape=True: select_autoescape would skip .j2 files, and user text must never
        # become Telegram HTML markup.
        self._env = Environment(
            loader=FileSystemLoader(templates),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        self._env.filters["num"] = _num
        self._env.filters["pct"] = _pct
        self._env.filters["yuan"] = _yuan
        self._pack = pack

    def base_context(self, today: date) -> dict[str, Any]:
        plan = self._pack.plan
        ended = plan.ended(today)
        return {
            "plan": plan,
            # Figures are the plan's own, as they stood during its period.
            "p": self._pack.parameter_values(max(plan.first_day, min(today, plan.end))),
            "in_force": plan.in_force(today),
            # After the plan's end answers speak of it in the past: "方案规定：…".
            "ended": ended,
            "said": "方案规定：" if ended else "",
            "catalogue_note": None,
            "dibao_note": None,
        }

    def render(self, template: str, today: date, **extra: Any) -> str:
        context = self.base_context(today) | extra
        return self._env.get_template(template).render(context).strip()

    def render_source(self, source: str, today: date, **extra: Any) -> str:
        """A template kept in a policy data file (e.g. a certificate's note)."""
        context = self.base_context(today) | extra
        return self._env.from_string(source).render(context).strip()

    def exists(self, template: str) -> bool:
        try:
            self._env.get_template(template)
        except TemplateNotFound:
            return False
        return True

    def names(self, folder: str) -> list[str]:
        return sorted(
            n for n in self._env.list_templates(extensions=["j2"]) if n.startswith(f"{folder}/")
        )

"""Check, preview and import a catalogue file: one service for the command line and for an
admin's upload in Telegram, so both give the same report."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from bot.catalogue.reader import ImportReport, read_catalogue
from bot.catalogue.spec import CatalogueSpec
from bot.catalogue.store import CatalogueStore, Diff, Version
from bot.render import Renderer

MAX_SHOWN = 15  # problems or changes listed in one message; the rest are counted
MAX_SOURCE = 300
_CAPTION = re.compile(r"^\s*(\d{4})[-./年](\d{1,2})[-./月](\d{1,2})日?\s*(.*)$", re.S)


class SourceError(ValueError):
    """Bad arguments (date, source); the message is shown as is."""


@dataclass(frozen=True)
class Preview:
    report: ImportReport
    diff: Diff | None  # None when the file has problems
    text: str  # Telegram HTML: the report, then what changes


def parse_caption(caption: str | None) -> tuple[date, str] | None:
    """ "2020-07-23 泰州市人社局 泰州市财政局《关于发布…的通知》" → (date, source)."""
    match = _CAPTION.match(caption or "")
    if match is None:
        return None
    try:
        valid_from = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None
    source = " ".join(match.group(4).split())
    return (valid_from, source) if source else None


def check_source(source: str) -> str:
    cleaned = " ".join(source.split())
    if not cleaned:
        raise SourceError("请写明依据的文件（发文单位、标题和文号）。")
    if len(cleaned) > MAX_SOURCE:
        raise SourceError(f"依据文字太长（超过{MAX_SOURCE}字）。")
    return cleaned


class CatalogueImporter:
    def __init__(
        self,
        store: CatalogueStore,
        spec: CatalogueSpec,
        renderer: Renderer,
        today: Callable[[], date],  # the clock's (bot.clock)
    ) -> None:
        self.store = store
        self.spec = spec
        self._renderer = renderer
        self._today = today

    def check(self, data: bytes, file_name: str) -> ImportReport:
        return read_catalogue(data, file_name, self.spec)

    def preview(self, data: bytes, file_name: str, valid_from: date, source: str) -> Preview:
        report = self.check(data, file_name)
        parts = [self.report_text(report)]
        changes = self.store.diff_for(report.entries, valid_from) if report.ok else None
        if changes is not None:
            parts.append(
                self._render("changes.j2", diff=changes, valid_from=valid_from, source=source)
            )
        return Preview(report, changes, "\n\n".join(parts))

    def import_file(
        self,
        data: bytes,
        file_name: str,
        valid_from: date,
        source: str,
        imported_by: int | None = None,
        draft: bool = False,
    ) -> tuple[Preview, int | None]:
        """The preview, and the new version's (or draft's) id; None when nothing was saved."""
        source = check_source(source)
        preview = self.preview(data, file_name, valid_from, source)
        if not preview.report.ok:
            return preview, None
        version_id = self.store.save(
            preview.report.entries, valid_from, source, file_name, imported_by, draft=draft
        )
        return preview, version_id

    def report_text(self, report: ImportReport) -> str:
        return self._render("report.j2", report=report)

    def show_text(self, occupation: str | None) -> str:
        name = self.spec.canonical_occupation(occupation) if occupation else None
        return self._render("show.j2", versions=self.store.versions(), occupation=name)

    def confirmed_text(self, version: Version) -> str:
        return self._render("confirmed.j2", version=version)

    def render_message(self, name: str) -> str:
        """A fixed message from responses/catalogue/ (upload help, cancelled …)."""
        return self._render(name)

    def _render(self, name: str, **extra: object) -> str:
        return self._renderer.render(
            f"catalogue/{name}",
            self._today(),
            label=self.spec.level_labels,
            max_shown=MAX_SHOWN,
            **extra,
        )

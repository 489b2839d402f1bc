"""`python -m bot catalogue import|check|show`: the operator's side of the catalogue."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from bot.config import Settings
from bot.render import to_plain


def add_parser(sub: argparse._SubParsersAction) -> None:
    catalogue = sub.add_parser("catalogue", help="the subsidy catalogue (目录清单)")
    actions = catalogue.add_subparsers(dest="action", required=True)
    do_import = actions.add_parser("import", help="import a table (XLSX or CSV) as a dated version")
    do_import.add_argument("file", type=Path)
    do_import.add_argument("--valid-from", required=True, help="in force from (YYYY-MM-DD)")
    do_import.add_argument("--source", required=True, help="the document: issuer, title, number")
    check = actions.add_parser("check", help="check a table and print the report; change nothing")
    check.add_argument("file", type=Path)
    show = actions.add_parser("show", help="list the versions, or one occupation's figures")
    show.add_argument("occupation", nargs="?")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Exit 0 when done, 1 when the file has problems (nothing imported), 2 for bad arguments."""
    from bot.assistant import open_database
    from bot.catalogue.importer import CatalogueImporter, SourceError
    from bot.catalogue.spec import load_spec
    from bot.catalogue.store import CatalogueStore
    from bot.clock import Clock
    from bot.policy_pack import load_policy_pack
    from bot.render import Renderer

    renderer = Renderer(settings.paths.responses, load_policy_pack(settings.paths.policy))
    store = CatalogueStore(open_database(settings), cache_seconds=0)
    clock = Clock.named(settings.scheduler.timezone)
    importer = CatalogueImporter(store, load_spec(settings.paths.policy), renderer, clock.today)
    if args.action == "show":
        print(to_plain(importer.show_text(args.occupation)))
        return 0
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        sys.stderr.write(f"error: cannot read {args.file}: {exc.strerror}\n")
        return 2
    if args.action == "check":
        report = importer.check(data, args.file.name)
        print(to_plain(importer.report_text(report)))
        return 0 if report.ok else 1
    try:
        valid_from = date.fromisoformat(args.valid_from)
        preview, version_id = importer.import_file(data, args.file.name, valid_from, args.source)
    except ValueError as exc:
        message = str(exc) if isinstance(exc, SourceError) else "--valid-from: expected YYYY-MM-DD"
        sys.stderr.write(f"error: {message}\n")
        return 2
    print(to_plain(preview.text))
    if version_id is None:
        return 1
    version = next(v for v in store.versions() if v.id == version_id)
    print(to_plain(importer.confirmed_text(version)))
    return 0

"""`python -m bot [chat|ask|run|schedule|…]`. Without a subcommand: Telegram if a token is
set, else chat."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bot.catalogue.cli import add_parser as add_catalogue_parser
from bot.config import load_settings
from bot.logging_setup import setup_logging


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="职业技能提升行动政策助手")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("chat", help="console chat")
    ask = sub.add_parser("ask", help="answer questions (arguments, or one per stdin line)")
    ask.add_argument("--json", action="store_true", help="one JSON object per line")
    ask.add_argument("questions", nargs="*")
    sub.add_parser("run", help="Telegram: long polling, or webhook (needs TELEGRAM_BOT_TOKEN)")
    sub.add_parser("scheduler", help="the scheduler alone (needs TELEGRAM_BOT_TOKEN)")
    check = sub.add_parser("check", help="eligibility self-check: JSON facts on stdin")
    check.add_argument("--json", action="store_true", required=True, help="JSON in and out")
    evaluate = sub.add_parser("evaluate", help="real and written questions through the dialogue")
    evaluate.add_argument(
        "--split", choices=["eval", "train", "all"], default="eval", help="real questions' split"
    )
    schedule = sub.add_parser(
        "schedule", help="the departments' dates of a year, printed and as an iCalendar file"
    )
    schedule.add_argument("--year", type=int, help="the year (default: this year)")
    schedule.add_argument("--ics", metavar="FILE", help="also write the dates as an .ics file")
    report = sub.add_parser("report", help="exports for the bureau")
    report.add_argument("what", choices=["unanswered"], help="declined and unsure questions (CSV)")
    report.add_argument("--output", "-o", help="file to write (default: stdout)")
    add_catalogue_parser(sub)
    return parser


# Subcommands import what they need: `check` must not pay for the database and HTTP stack.


async def _chat() -> None:
    from bot.assistant import running_assistant
    from bot.channels.commands import load_commands
    from bot.channels.console import StartupProgress, chat

    settings = load_settings()
    progress = StartupProgress(sys.stderr)
    async with running_assistant(settings, on_wait=progress) as assistant:
        progress.done()
        await chat(assistant.dialogue, commands=load_commands(settings.paths.responses).public)


async def _ask(questions: list[str], as_json: bool) -> None:
    from bot.assistant import running_assistant
    from bot.channels.console import ask

    async with running_assistant(load_settings()) as assistant:
        await ask(assistant.dialogue, questions, as_json, sys.stdout)


async def _evaluate(split: str) -> bool:
    """Print the real and the written sets' reports; True when the real set meets the bars."""
    from bot.assistant import running_assistant
    from bot.evaluation import format_report, real_cases, run, summarize, written_cases
    from nlu.realset import load_real

    async with running_assistant(load_settings()) as assistant:
        real = await run(assistant.dialogue, real_cases(load_real(), split))
        written = await run(assistant.dialogue, written_cases(assistant.pack))
    print(format_report(f"real questions ({split} split)", real))
    print()
    print(format_report("written held-out questions (nlu/tests)", written))
    short = summarize(real).meets()
    print("\nreal set:", "meets the bars" if not short else "below the bars: " + "; ".join(short))
    return not short


def _report_unanswered(output: str | None) -> None:
    from bot.assistant import open_database
    from bot.misses import MissLog, write_csv

    rows = MissLog(open_database(load_settings())).summary()
    if output:
        with open(output, "w", encoding="utf-8-sig", newline="") as out:  # Excel-friendly
            write_csv(rows, out)
    else:
        write_csv(rows, sys.stdout)


def _schedule(year: int | None, ics: str | None) -> int:
    """The year's department dates as a table on stdout; with --ics, also as a file. A year
    with no dates (the duties ended, or not begun) says why; no file is written then."""
    from pathlib import Path

    from bot.clock import Clock
    from bot.policy_pack import load_policy_pack
    from bot.render import Renderer, to_plain
    from scheduler.agenda import DutyRules, agenda
    from scheduler.ics import agenda_ics

    if year is not None and not 1900 < year < 9999:
        sys.stderr.write(f"年份不对：{year}。请写四位数的年份，例如 --year 2021。\n")
        return 2
    settings = load_settings()
    pack = load_policy_pack(settings.paths.policy)
    renderer = Renderer(settings.paths.responses, pack)
    clock = Clock.named(settings.scheduler.timezone)
    today = clock.today()
    dates = agenda(year or today.year, DutyRules.from_settings(settings, pack.plan))
    table = renderer.render("schedule/table.j2", today, agenda=dates, for_operator=True)
    sys.stdout.write(to_plain(table) + "\n")
    if ics is None:
        return 0
    if not dates.dates:
        sys.stderr.write(f"未写入 {ics}：{dates.year}年没有部门报送日程。\n")
        return 1
    Path(ics).write_bytes(agenda_ics(dates, renderer, clock))
    sys.stdout.write(f"已写入 {ics}（{len(dates.dates)}个日程，可导入手机日历）\n")
    return 0


def _check_json() -> int:
    """Facts on stdin → verdicts on stdout; bad input → a clear message on stderr, exit 2."""
    import json

    from bot.clock import Clock
    from bot.eligibility.facts import FactError
    from bot.eligibility.service import load_checker

    try:
        facts = json.loads(sys.stdin.read())
    except json.JSONDecodeError as exc:
        sys.stderr.write(f"error: the facts are not valid JSON ({exc.msg} at line {exc.lineno})\n")
        return 2
    settings = load_settings()
    figures = None
    if isinstance(facts, dict) and "occupation" in facts:
        # Only then the database: the subsidy catalogue's figure for that occupation.
        from bot.assistant import open_database
        from bot.catalogue.lookup import figure_source
        from bot.catalogue.spec import load_spec
        from bot.catalogue.store import CatalogueStore

        store = CatalogueStore(open_database(settings), cache_seconds=0)
        figures = figure_source(store, load_spec(settings.paths.policy))
    checker = load_checker(settings.paths.policy, figures)
    try:
        # A `today` in the facts wins over the clock's (tests and what-if questions).
        result = checker.check_raw(facts, Clock.named(settings.scheduler.timezone).today())
    except FactError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = load_settings()
    command = args.command or ("run" if settings.telegram.token else "chat")
    # Console output stays clean: only warnings go to stderr there.
    setup_logging(logging.INFO if command in {"run", "scheduler"} else logging.WARNING)
    if command == "chat":
        asyncio.run(_chat())
    elif command == "ask":
        questions = args.questions or [line.rstrip("\n") for line in sys.stdin if line.strip()]
        asyncio.run(_ask(questions, args.json))
    elif command == "check":
        return _check_json()
    elif command == "evaluate":
        return 0 if asyncio.run(_evaluate(args.split)) else 1
    elif command == "schedule":
        return _schedule(args.year, args.ics)
    elif command == "report":
        _report_unanswered(args.output)
    elif command == "catalogue":
        from bot.catalogue.cli import run as run_catalogue

        return run_catalogue(args, settings)
    elif command == "scheduler":
        if not settings.telegram.token:
            sys.stderr.write("TELEGRAM_BOT_TOKEN 未设置：调度进程需要机器人令牌来发送消息。\n")
            return 2
        from scheduler.standalone import run_scheduler

        asyncio.run(run_scheduler(settings))
    elif command == "run":
        if not settings.telegram.token:
            sys.stderr.write(
                "TELEGRAM_BOT_TOKEN 未设置：请先设置机器人令牌，或用 chat 命令在控制台试用。\n"
            )
            return 2
        from bot.channels.telegram import run

        run(settings)
    return 0

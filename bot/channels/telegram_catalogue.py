"""An admin sends the subsidy catalogue (XLSX or CSV) to the bot in a private chat: the same
report as `python -m bot catalogue check`, what would change, and a button to confirm.

The upload is kept as a draft version in the database between preview and confirmation, so
any worker (or a restarted one) can confirm it; a draft is never used for answers."""

from __future__ import annotations

import asyncio
import logging
import re

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bot.assistant import Assistant
from bot.catalogue.importer import CatalogueImporter, parse_caption
from bot.catalogue.reader import MAX_BYTES, ImportReport, Problem
from bot.catalogue.spec import load_spec
from bot.channels.inplace import replace_pressed
from bot.channels.telegram_common import admin_only, say, toast_text
from bot.channels.telegram_context import started
from bot.config import Settings
from bot.dialogue.payloads import CATALOGUE_PREFIX
from bot.dialogue.types import Button

log = logging.getLogger(__name__)

_CALLBACK = re.compile(rf"^{re.escape(CATALOGUE_PREFIX)}(ok|no):(\d{{1,12}})$")


def importer_for(assistant: Assistant, settings: Settings) -> CatalogueImporter | None:
    """The importer behind the admins' uploads; None without a catalogue store."""
    if assistant.catalogue is None:
        return None
    return CatalogueImporter(
        assistant.catalogue,
        load_spec(settings.paths.policy),
        assistant.renderer,
        assistant.clock.today,
    )


def _importer(context: ContextTypes.DEFAULT_TYPE) -> CatalogueImporter:
    importer = started(context).catalogue
    if importer is None:
        raise RuntimeError("the catalogue store is not open")
    return importer


@admin_only
async def on_catalogue_file(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    document = message.document
    importer = _importer(context)
    name = document.file_name or "catalogue"
    if document.file_size is not None and document.file_size > MAX_BYTES:
        report = ImportReport(name, problems=(Problem("too_large"),))
        await say(update, importer.report_text(report))
        return
    telegram_file = await document.get_file()
    data = bytes(await telegram_file.download_as_bytearray())
    caption = parse_caption(message.caption)
    if caption is None:
        # The check is still worth having; the import needs its date and source.
        report = await asyncio.to_thread(importer.check, data, name)
        help_text = importer.render_message("upload_help.j2")
        await say(update, f"{importer.report_text(report)}\n\n{help_text}")
        return
    valid_from, source = caption
    user = update.effective_user
    preview, draft_id = await asyncio.to_thread(
        importer.import_file, data, name, valid_from, source, user.id if user else None, True
    )
    log.info("catalogue upload %s by %s: draft %s", name, user.id if user else None, draft_id)
    if draft_id is None:
        await say(update, preview.text)
        return
    buttons = (
        (
            Button("✅ 确认导入", f"{CATALOGUE_PREFIX}ok:{draft_id}"),
            Button("取消", f"{CATALOGUE_PREFIX}no:{draft_id}"),
        ),
    )
    await say(update, preview.text, buttons)


@admin_only
async def on_catalogue_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """确认导入/取消 edit the preview they belong to, so it cannot be confirmed twice."""
    query = update.callback_query
    importer = _importer(context)
    match = _CALLBACK.match(query.data or "")
    if match is None:
        await query.answer(toast_text(context, "stale"))
        await say(update, importer.render_message("gone.j2"))
        return
    action, draft_id = match.group(1), int(match.group(2))
    if action == "no":
        await asyncio.to_thread(importer.store.discard, draft_id)
        await replace_pressed(
            query, importer.render_message("cancelled.j2"), toast=toast_text(context, "cancelled")
        )
        return
    version = await asyncio.to_thread(importer.store.confirm, draft_id)
    if version is None:
        await query.answer(toast_text(context, "stale"))
        await say(update, importer.render_message("gone.j2"))
        return
    user = update.effective_user
    log.info("catalogue version %s confirmed by %s", version.id, user.id if user else None)
    await replace_pressed(
        query, importer.confirmed_text(version), toast=toast_text(context, "catalogue_confirmed")
    )


def add_handlers(application: Application, settings: Settings) -> None:
    """Register before the channel's catch-all handlers (documents, buttons)."""
    admins = filters.User(user_id=list(settings.admins))
    application.add_handler(
        MessageHandler(filters.Document.ALL & filters.ChatType.PRIVATE & admins, on_catalogue_file)
    )
    application.add_handler(
        CallbackQueryHandler(on_catalogue_button, pattern=f"^{CATALOGUE_PREFIX}")
    )

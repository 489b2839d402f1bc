"""Assemble the assistant: policy pack, templates, NLU (embedded or external), dialogue."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import sessionmaker

from bot.catalogue.lookup import CatalogueFigures, figure_source
from bot.catalogue.spec import load_spec
from bot.catalogue.store import CatalogueStore
from bot.clock import Clock
from bot.config import Settings
from bot.dialogue.check_flow import CheckFlow
from bot.dialogue.core import Dialogue
from bot.dialogue.ranker import TopicRanker, topic_documents
from bot.eligibility.conversation import SelfCheck, load_questions
from bot.eligibility.service import load_checker
from bot.misses import MissLog
from bot.nlu_supervisor import Backoff, NluSupervisor
from bot.observability import Metrics
from bot.policy_pack import PolicyPack, load_policy_pack
from bot.render import Renderer
from bot.store.db import database_url, make_engine, migrate, session_factory
from nlu.client import NluClient
from nlu.dataset import TRAINING_DIR, examples
from nlu.normalize import normalize
from nlu.service import NluService

log = logging.getLogger(__name__)


@dataclass
class Assistant:
    settings: Settings
    pack: PolicyPack
    renderer: Renderer
    nlu: NluClient
    dialogue: Dialogue
    sessions: sessionmaker
    clock: Clock  # the process's one clock (bot.clock), handed on to the scheduler runtime
    catalogue: CatalogueStore | None = None
    # Watches the embedded NLU service (None with an external one).
    nlu_supervisor: NluSupervisor | None = None


def open_database(settings: Settings) -> sessionmaker:
    """Engine for the configured database, migrated to the newest schema."""
    # Each update in flight may hold its chat's lock (PostgreSQL) and one working session.
    connections = 2 * settings.telegram.concurrent_updates + 2
    engine = make_engine(database_url(settings.paths.var, settings.database_url), connections)
    migrate(engine)
    return session_factory(engine)


def build_check_flow(
    settings: Settings,
    renderer: Renderer,
    reminders: bool,
    catalogue: CatalogueStore | None = None,
    clock: Clock | None = None,
) -> CheckFlow:
    """With a catalogue store, the check asks occupation and level once a version is loaded."""
    policy = settings.paths.policy
    figures = figure_source(catalogue, load_spec(policy)) if catalogue is not None else None
    selfcheck = SelfCheck(
        load_checker(policy, figures),
        load_questions(policy),
        catalogue_loaded=(lambda: catalogue.latest() is not None) if catalogue else lambda: False,
    )
    clock = clock or Clock.named(settings.scheduler.timezone)
    return CheckFlow(selfcheck, renderer, clock.today, offer_reminder=reminders)


def build_ranker(settings: Settings, pack: PolicyPack) -> TopicRanker:
    """BM25 over the topics' labels, clauses, answers and the NLU's training examples (as the
    NLU learns them: normalised like the messages they are compared with)."""
    topics = {
        t.id: (t.label, " ".join(pack.sections[s].text for s in t.sections))
        for t in pack.topics.values()
    }
    known = set(pack.topics) | set(pack.out_of_scope)
    documents = topic_documents(
        topics,
        settings.paths.responses / "answers",
        ((intent, normalize(text)) for intent, text in examples(TRAINING_DIR) if intent in known),
    )
    return TopicRanker(documents, TRAINING_DIR.parent / "dict", pack.cues.stopwords)


def build_dialogue(
    settings: Settings,
    nlu: NluClient,
    reminders: bool = False,
    pack: PolicyPack | None = None,
    renderer: Renderer | None = None,
    clock: Clock | None = None,
) -> Assistant:
    """`reminders`: the channel can deliver reminders (Telegram with the scheduler).
    `clock`: the process's one clock (default: the system's, in scheduler.timezone)."""
    clock = clock or Clock.named(settings.scheduler.timezone)
    pack = pack or load_policy_pack(settings.paths.policy)
    renderer = renderer or Renderer(settings.paths.responses, pack)
    sessions = open_database(settings)
    catalogue = CatalogueStore(sessions)
    dialogue = Dialogue(
        pack,
        renderer,
        nlu,
        settings.dialogue,
        today=clock.today,
        misses=MissLog(sessions),
        check_flow=build_check_flow(settings, renderer, reminders, catalogue, clock),
        ranker=build_ranker(settings, pack),
        figures=CatalogueFigures(
            catalogue,
            load_spec(settings.paths.policy),
            renderer,
            on_error=lambda exc: log.warning("catalogue lookup failed: %s", type(exc).__name__),
        ),
    )
    return Assistant(settings, pack, renderer, nlu, dialogue, sessions, clock, catalogue)


class StartingService(Protocol):
    """What running_assistant needs of the embedded NLU service (nlu.service.NluService)."""

    url: str
    token: str

    @property
    def exit_code(self) -> int | None: ...

    def start(self, timeout: float = ...) -> None: ...

    def stop(self) -> None: ...


async def start_with_progress(
    service: StartingService,
    timeout: float,
    on_wait: Callable[[int], None] | None,
    every: float,
) -> None:
    """Start the service in a worker thread; meanwhile call on_wait(0) at once and then
    on_wait(elapsed seconds) every `every` seconds, so nobody stares at a silent terminal."""
    started = time.monotonic()
    task = asyncio.ensure_future(asyncio.to_thread(service.start, timeout))
    if on_wait is not None:
        on_wait(0)
    while True:
        done, _ = await asyncio.wait({task}, timeout=every)
        if done:
            task.result()  # the service's own error, if it failed
            return
        if on_wait is not None:
            on_wait(round(time.monotonic() - started))


@asynccontextmanager
async def running_assistant(
    settings: Settings,
    reminders: bool = False,
    metrics: Metrics | None = None,
    on_wait: Callable[[str], None] | None = None,
    service_factory: Callable[[Settings], StartingService] | None = None,
    clock: Clock | None = None,
) -> AsyncIterator[Assistant]:
    """Yield a ready assistant; start (and finally stop) the NLU service if none is configured.
    `on_wait` gets a progress line (responses/messages/nlu_starting.j2) while it loads."""
    clock = clock or Clock.named(settings.scheduler.timezone)
    pack = load_policy_pack(settings.paths.policy)
    renderer = Renderer(settings.paths.responses, pack)
    service: StartingService | None = None
    supervisor: NluSupervisor | None = None
    url, token = settings.nlu.url, settings.nlu.token
    if url is None:
        service = (service_factory or _embedded_service)(settings)
        log.info("starting the embedded NLU service (this takes a minute) …")

        def progress(seconds: int) -> None:
            if on_wait is not None:
                text = renderer.render("messages/nlu_starting.j2", clock.today(), seconds=seconds)
                on_wait(text)

        await start_with_progress(
            service, settings.nlu.startup_timeout_seconds, progress, settings.nlu.progress_seconds
        )
        url, token = service.url, service.token
        # Restarted on the same address and token when it exits: the client needs no news.
        supervisor = NluSupervisor(
            service,
            settings.nlu.startup_timeout_seconds,
            Backoff(settings.nlu.restart_first_seconds, settings.nlu.restart_max_seconds),
            on_restart=(lambda outcome: metrics.nlu_restarts.labels(outcome).inc())
            if metrics
            else None,
            check_seconds=settings.nlu.restart_check_seconds,
        )
        supervisor.start()
    client = NluClient(
        url,
        token,
        settings.nlu.timeout_seconds,
        settings.nlu.retry_after_seconds,
        on_latency=metrics.nlu_latency.observe if metrics else None,
    )
    try:
        assistant = build_dialogue(settings, client, reminders, pack, renderer, clock)
        assistant.nlu_supervisor = supervisor
        yield assistant
    finally:
        await client.aclose()
        if supervisor is not None:
            await supervisor.aclose()
        if service is not None:
            await asyncio.to_thread(service.stop)


def _embedded_service(settings: Settings) -> NluService:
    return NluService(settings.nlu.host, settings.nlu.port, settings.paths.var / "log")

"""The dialogue with a fake NLU, shared by the dialogue unit tests (a test file may override)."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.dialogue.core import Dialogue
from bot.policy_pack import PolicyPack
from bot.render import Renderer
from tests.conftest import TODAY
from tests.support.fake_nlu import FakeNlu


@pytest.fixture()
def fake() -> FakeNlu:
    return FakeNlu()


@pytest.fixture()
def dialogue(pack: PolicyPack, renderer: Renderer, fake: FakeNlu, settings: Settings) -> Dialogue:
    return Dialogue(pack, renderer, fake, settings.dialogue, today=lambda: TODAY)

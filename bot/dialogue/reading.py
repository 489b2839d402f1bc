"""What the dialogue reads in one message besides the classifier's intent: the certificate or
group named, policy cues, another programme's benefit … Read once per turn, then consulted
by every rule in bot/dialogue/core.py."""

from __future__ import annotations

from dataclasses import dataclass

from bot.dialogue.certificates import CertificateBook, Mention
from bot.dialogue.cues import Cues
from bot.dialogue.groups import Group, Groups


@dataclass(frozen=True)
class Reading:
    text: str
    mention: Mention | None  # the certificate or occupation named
    group: Group | None  # the group the person says they belong to
    policy_cue: bool
    ties_to_plan: bool  # a policy cue or a weaker hint
    other_benefit: bool  # another programme's benefit word (住房补贴, 低保金 …)
    administration: str | None  # the administration asked about (a certificate's 复审 …)
    abuse: bool
    asks_amount: bool
    asks_money: bool  # money asked outright, not a count or a duration
    asks_claim: bool  # how to claim, asked outright
    asks_subsidy: bool  # a subsidy asked for
    asks_payment_time: bool  # when the money arrives
    asks_if_plan_goes_on: bool  # the plan named, with a word of its going on
    asks_successor: bool  # what came after the plan
    asks_in_charge: bool  # who is in charge ("哪个部门管")

    @property
    def names_policy(self) -> bool:
        """A policy cue, or a certificate or occupation named ("厨师证")."""
        return self.policy_cue or self.mention is not None

    @property
    def about_other_benefit(self) -> bool:
        """Another programme's benefit and nothing about training."""
        return self.other_benefit and not self.names_policy


def read_message(text: str, cues: Cues, certificates: CertificateBook, groups: Groups) -> Reading:
    return Reading(
        text=text,
        mention=certificates.find(text),
        group=groups.find(text),
        policy_cue=cues.has_policy_cue(text),
        ties_to_plan=cues.ties_to_plan(text),
        other_benefit=cues.names_other_benefit(text),
        administration=cues.administration_asked(text),
        abuse=cues.is_abuse(text),
        asks_amount=cues.asks_amount(text),
        asks_money=cues.asks_money(text),
        asks_claim=cues.asks_claim(text),
        asks_subsidy=cues.asks_subsidy(text),
        asks_payment_time=cues.asks_payment_time(text),
        asks_if_plan_goes_on=cues.asks_if_plan_goes_on(text),
        asks_successor=cues.asks_successor(text),
        asks_in_charge=cues.asks_in_charge(text),
    )

"""The policy pack: document order, corrections, parameters, topics and NLU intents agree."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml

from bot.policy_pack import PolicyPack
from nlu.dataset import HELD_OUT_DIR, TRAINING_DIR, intents

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT_ORDER = [
    "序言",
    "一",
    "二(一)",
    "二(二)",
    "三(一)",
    "三(二)",
    "三(三)",
    "三(四)",
    "三(五)",
    "三(六)",
    "三(七)",
    "四(一)",
    "四(二)",
    "四(三)",
    "五(一)",
    "五(二)",
    "五(三)",
    "六(一)",
    "六(二)",
    "六(三)",
    "六(四)",
    "六(五)",
    "附则",
]


def _corrections() -> list[dict]:
    return yaml.safe_load((ROOT / "policy/corrections.yml").read_text("utf-8"))["corrections"]


def test_sections_are_complete_and_in_document_order(pack: PolicyPack):
    assert list(pack.sections) == DOCUMENT_ORDER


def test_scrambled_pages_are_rejoined(pack: PolicyPack):
    assert pack.sections["一"].text.endswith("提供强有力的技能人才保障。")
    assert "各行业（领域）主管部门应对其职业培训的真实有效" in pack.sections["六(三)"].text
    assert pack.sections["附则"].text.startswith("本办法自发文之日起实施")


def test_corrected_forms_are_present_and_seed_errors_gone(pack: PolicyPack):
    text = "".join(s.text for s in pack.sections.values())
    for wrong in [
        "平安",
        "原那么",
        "承当",
        "俣障",
        "催促",
        "开掘",
        "优先实用",
        "本方法",
        "工程制",
        "工程征集",
        "为12年",
        "培训I",
        "20(9)",
        "人社发2019",
        "人社发201951",
        "20192021",
        "2019-2021",
    ]:
        assert wrong not in text, wrong
    for right in [
        "安全技能培训",
        "项目制培训",
        "原则上",
        "承担",
        "组织保障",
        "督促",
        "挖掘",
        "优先使用",
        "本办法",
        "培养期限为1—2年",
        "产业发展",
        "确保资金安全",
        "（国办发〔2019〕24号）",
        "（X人社发〔2019〕66号）",
        "（X人社发〔2019〕51号）",
        "（X人社发〔2019〕158号）",
        "（2019—2021年）",
    ]:
        assert right in text, right
    # 工程 survives only where the plan means it (民生工程, 培育工程).
    assert text.count("工程") == text.count("民生工程") + text.count("培育工程")


def test_every_correction_is_recorded_against_real_sections(pack: PolicyPack):
    corrections = _corrections()
    assert len(corrections) >= 12
    seed = ROOT / "policy/source/plan-as-received.txt"
    # The seed wraps lines with spaces: compare without whitespace.
    seed_text = "".join(seed.read_text("utf-8").split())
    for item in corrections:
        for section in item["sections"]:
            assert section in pack.sections, item
        assert "".join(item["seed"].split(" … ")[0].split()) in seed_text, item["seed"]


def test_each_correction_shows_in_the_sections_it_names(pack: PolicyPack):
    """The corrected form is what the named sections say (a `…` marks a span across pages)."""
    for item in _corrections():
        for part in item["corrected"].split(" … "):
            cited = "".join(pack.sections[s].text for s in item["sections"])
            assert part in cited, (item["seed"], part)


def test_preamble_names_the_plans_legal_basis(pack: PolicyPack):
    """序言 comes before 一 and names the documents plan.yml's `basis` lists, in order."""
    preamble = pack.sections["序言"].text
    assert preamble.startswith("为深入贯彻国家、省职业技能提升行动部署要求，根据国务院办公厅")
    positions = [preamble.index(doc.split("（")[-1]) for doc in pack.plan.basis]
    assert len(positions) == 4 and positions == sorted(positions)
    # The seed cuts the sentence at 精神: nothing after it is invented.
    assert preamble.endswith("等文件精神……")


def test_parameters_are_dated_and_referenced(pack: PolicyPack):
    assert pack.parameters["social_training.max_times_per_year"].at(date(2020, 5, 1)) == 3
    assert pack.parameters["apprentice_student.max_yuan_per_year"].at(date(2020, 5, 1)) == 3000
    # The plan gives no figures after its period.
    assert pack.parameters["trade_friction_uplift.max_rate"].at(date(2022, 1, 1)) is None
    for parameter in pack.parameters.values():
        assert parameter.reference in pack.sections, parameter.name


def test_plan_period_is_data(pack: PolicyPack):
    assert pack.plan.end == date(2021, 12, 31)
    assert pack.plan.in_force(date(2021, 12, 31)) and not pack.plan.in_force(date(2022, 1, 1))


def test_topics_cite_real_sections_and_menu_is_known(pack: PolicyPack):
    for topic in pack.topics.values():
        assert topic.sections and all(s in pack.sections for s in topic.sections)
    assert set(pack.menu) <= set(pack.topics)


def test_nlu_intents_match_topics_and_replies(pack: PolicyPack):
    known = set(pack.topics) | pack.smalltalk | pack.out_of_scope | pack.flows
    assert intents(TRAINING_DIR) == known
    assert intents(HELD_OUT_DIR) == known


def test_every_section_has_a_topic(pack: PolicyPack):
    cited = {s for t in pack.topics.values() for s in t.sections}
    assert cited == set(pack.sections)

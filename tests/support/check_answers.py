"""A scripted self-check: the buttons a person presses, the facts those answers mean, and
the verdict lines a result must show (from `check --json`)."""

from __future__ import annotations

WORKER_PRESSES = [
    "个人（劳动者、学员）",
    "2021年",
    "职业技能等级证书",
    "有本市居住证",
    "没有领取",
    "1次",
    "没有",
    "受经贸摩擦影响企业的职工",
]
WORKER_FACTS = {
    "role": "worker",
    "as_of": "2021-07-01",
    "certificate": "skill_level",
    "residency": ["residence_permit"],
    "monthly_pension": False,
    "subsidies_this_year": 1,
    "same_occupation_level_this_year": False,
    "groups": ["trade_friction_employee"],
}
ENTERPRISE_PRESSES = [
    "企业（单位、人事）",
    "2020年",
    "企业新型学徒制",
    "职工学徒（本企业技能岗位职工）",
    "1年",
    "培训合格证书和职业资格证书",
    "4000元及以上",
    "不用了，看结果",
]
ENTERPRISE_FACTS = {
    "role": "enterprise",
    "as_of": "2020-07-01",
    "apprentice": {
        "type": "employee",
        "contract_years": 1,
        "certificates": ["training", "qualification"],
        "training_cost_per_year": 4000,
    },
}

ICONS = {"eligible": "✅", "conditional": "❓", "not_eligible": "❌"}


def verdict_lines(check_json: dict) -> list[str]:
    """'✅ 职业培训补贴' for each verdict, as the result message shows it (plain text)."""
    return [f"{ICONS[v['status']]} {v['label']}" for v in check_json["verdicts"]]


BASIS_WORDS = {"exact": "", "at_least": "不低于 ", "at_most": "不高于 "}


def amount_words(verdict: dict) -> str | None:
    """'不低于 4000 元' for a verdict with an amount, as the result message says it."""
    if verdict["amount_yuan"] is None:
        return None
    return f"{BASIS_WORDS[verdict['amount_basis']]}{verdict['amount_yuan']:g} 元"

"""The Chinese catalogue: every text the commands print, keyed by its English form.

``MESSAGES`` holds fixed texts (headers, help texts, labels, summaries with ``{fields}``);
``PATTERNS`` holds messages built at run time, as regular expressions over the English
message with named groups, and the Chinese template they fill (a group whose name ends in
``_msg`` is itself translated). ``LABELS`` names the contract outputs and common
parameters in Chinese, for ``--labels zh``. ``engine/i18n.py`` reads this module; nothing
else does.
"""

from __future__ import annotations

MESSAGES: dict[str, str] = {}

PATTERNS: list[tuple[str, str]] = []

LABELS: dict[str, str] = {
    "id": "户编号",
    "household_id": "户编号",
    "member_id": "成员编号",
    "income.countable_monthly": "家庭月收入（核算后）",
    "income.per_capita_monthly": "家庭月人均收入",
    "dibao.standard_annual": "低保标准（年）",
    "dibao.standard_monthly": "低保标准（月）",
    "dibao.eligible": "符合低保条件",
    "dibao.benefit_monthly": "月低保金",
    "dibao.single_person_members": "单人户纳入成员",
    "dibao.exit": "退出低保",
    "taper.applies": "适用渐退期",
    "taper.months_min": "渐退期最短月数",
    "taper.months_max": "渐退期最长月数",
    "taper.starts_on": "渐退期起始日",
    "taper.ends_on": "渐退期结束日",
    "taper.review_from": "渐退期复核起始日",
    "monitoring.include": "纳入监测",
    "monitoring.verification_due_on": "核查确定期限",
    "monitoring.measures_from": "帮扶措施起始日",
    "monitoring.exit": "退出监测",
    "monitoring.next_assessment_on": "下次收支测算日",
    "special_assistance.monthly": "特别救助金（月）",
    "temporary_assistance.approval_level": "临时救助审批层级",
    "medical_assistance.ratio": "医疗救助比例",
    "disability_subsidy.monthly": "残疾人补贴（月）",
    "key_recipient": "重点救助对象",
}

"""The contract: output names and types every region answers with, and shared parameter names.

These names are fixed by the household/determination contract other programs depend on;
the policy checker holds region rules to them and the output stage renders by them.
"""

from __future__ import annotations

from engine.language import types as t

# "none": no temporary assistance was requested, so there is nothing to approve.
TEMPORARY_LEVEL = t.Enum("approval level", frozenset({"township", "county", "none"}))

HOUSEHOLD_OUTPUTS: dict[str, t.Type] = {
    "income.countable_monthly": t.MONEY_MONTH,
    "income.per_capita_monthly": t.MONEY_MONTH,
    "dibao.standard_annual": t.MONEY_YEAR,
    "dibao.standard_monthly": t.MONEY_MONTH,
    "dibao.eligible": t.BOOL,
    "dibao.benefit_monthly": t.MONEY_MONTH,
    "dibao.single_person_members": t.ListOf(t.TEXT),
    "dibao.exit": t.BOOL,
    "taper.applies": t.BOOL,
    "taper.months_min": t.INT,
    "taper.months_max": t.INT,
    "taper.starts_on": t.DATE,
    "taper.ends_on": t.DATE,
    "taper.review_from": t.DATE,
    "monitoring.include": t.BOOL,
    "monitoring.verification_due_on": t.DATE,
    "monitoring.measures_from": t.DATE,
    "monitoring.exit": t.BOOL,
    "monitoring.next_assessment_on": t.DATE,
    "special_assistance.monthly": t.MONEY_MONTH,
    "temporary_assistance.approval_level": TEMPORARY_LEVEL,
}

MEMBER_OUTPUTS: dict[str, t.Type] = {
    "medical_assistance.ratio": t.RATE,
    "disability_subsidy.monthly": t.MONEY_MONTH,
    "key_recipient": t.BOOL,
}

COMMON_PARAMETERS: dict[str, t.Type] = {
    "dibao.standard_annual": t.MONEY_YEAR,
    "dibao.low_income_ratio": t.RATE,
    "taper.other_months_max": t.INT,
    "income.rigid_expenditure_share": t.RATE,
}

ALL_OUTPUTS = {**HOUSEHOLD_OUTPUTS, **MEMBER_OUTPUTS}

#: Codes of the household record the contract fixes ("Rules of the record"), in its order: every policy
#: tree's vocabulary holds them (a record written to the contract must read in any tree). ``education``
#: (an expense that names a level) and ``income_fell`` (an event that carries incomes) are named by the
#: record's own structure, so they are required too.
RECORD_CODES: dict[str, tuple[str, ...]] = {
    "income_kinds": (
        "wages", "business", "agriculture", "property", "private_transfer", "dividends", "industry_support",
        "basic_pension_base", "basic_pension_other", "honour_allowance", "survivor_compensation",
        "preferential_payment", "student_living_allowance", "student_hardship_subsidy", "land_compensation",
        "other"),
    "expense_kinds": ("medical", "education", "employment_cost", "disability", "other"),
    "event_kinds": ("income_exceeded", "monitoring_application", "shock", "expenditure_resolved", "income_fell"),
}
#: The causes the contract fixes for each event kind that has causes.
RECORD_CAUSES: dict[str, tuple[str, ...]] = {
    "income_exceeded": ("flexible_employment", "migrant_work", "self_employment", "industry_support", "dividends",
                        "death", "voluntary_exit", "land_compensation", "concealment", "other"),
    "shock": ("illness", "schooling", "disaster", "epidemic", "accident"),
}

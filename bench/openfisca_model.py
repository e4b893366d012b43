"""The benchmark rule in OpenFisca (run in its own environment by bench/batch.py).

Persons with their incomes by kind per month (yearly amounts already divided by 12),
grouped into households; the Hebi H5 exclusions, per-capita income, eligibility and
benefit as OpenFisca variables and dated parameters. Reads arrays from an .npz file,
builds the simulation and calculates, and prints the seconds and a checksum as JSON.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
from openfisca_core.entities import build_entity
from openfisca_core.model_api import MONTH, Variable, where
from openfisca_core.parameters import ParameterNode
from openfisca_core.simulation_builder import SimulationBuilder
from openfisca_core.taxbenefitsystems import TaxBenefitSystem

KINDS = ("wages", "business", "agriculture", "property", "private_transfer", "dividends", "industry_support",
         "basic_pension_base", "basic_pension_other", "honour_allowance", "survivor_compensation",
         "preferential_payment", "student_living_allowance", "student_hardship_subsidy", "land_compensation",
         "other")
EXCLUDED = {"honour_allowance", "survivor_compensation", "preferential_payment", "student_living_allowance",
            "student_hardship_subsidy"}

Person = build_entity(key="person", plural="persons", label="person", is_person=True)
Household = build_entity(key="household", plural="households", label="household",
                         roles=[{"key": "member", "plural": "members", "label": "member"}])


def income_variable(kind: str) -> type:
    return type(f"income_{kind}", (Variable,), {
        "value_type": float, "entity": Person, "definition_period": MONTH, "label": kind})


class countable_income(Variable):
    value_type = float
    entity = Household
    definition_period = MONTH

    def formula(household, period, parameters):
        p = parameters(period).dibao
        total = 0
        for kind in KINDS:
            if kind in EXCLUDED or (kind == "basic_pension_base" and p.pension_base_excluded):
                continue
            total = total + household.sum(household.members(f"income_{kind}", period))
        return total


class per_capita_income(Variable):
    value_type = float
    entity = Household
    definition_period = MONTH

    def formula(household, period, parameters):
        return household("countable_income", period) / household.nb_persons()


class eligible(Variable):
    value_type = bool
    entity = Household
    definition_period = MONTH

    def formula(household, period, parameters):
        return household("per_capita_income", period) < parameters(period).dibao.standard_annual / 12


class benefit(Variable):
    value_type = float
    entity = Household
    definition_period = MONTH

    def formula(household, period, parameters):
        standard = parameters(period).dibao.standard_annual / 12
        gap = (standard - household("per_capita_income", period)) * household.nb_persons()
        return where(household("eligible", period), gap, 0)


def system() -> TaxBenefitSystem:
    tbs = TaxBenefitSystem([Person, Household])
    tbs.add_variables(*[income_variable(k) for k in KINDS], countable_income, per_capita_income, eligible, benefit)
    tbs.parameters = ParameterNode("", data={"dibao": {
        "standard_annual": {"values": {"2016-01-01": 3000, "2017-07-01": 3210}},
        "pension_base_excluded": {"values": {"2016-01-01": True}},
    }})
    return tbs


def main() -> None:
    data = np.load(sys.argv[1])
    month = "2017-10"
    tbs = system()
    start = time.perf_counter()
    builder = SimulationBuilder()
    builder.create_entities(tbs)
    persons = len(data["member_household"])
    households = int(data["households"])
    builder.declare_person_entity("person", np.arange(persons))
    household_entity = builder.declare_entity("household", np.arange(households))
    builder.join_with_persons(household_entity, data["member_household"], np.array(["member"] * persons))
    simulation = builder.build(tbs)
    for index, kind in enumerate(KINDS):
        simulation.set_input(f"income_{kind}", month, data["monthly_by_kind"][index])
    result = simulation.calculate("benefit", month)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "total": float(np.sum(result, dtype=np.float64)),
                      "eligible": int(np.sum(simulation.calculate("eligible", month)))}))


if __name__ == "__main__":
    main()

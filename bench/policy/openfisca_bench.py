"""The ten benchmark policies written for OpenFisca 46 (one entity, dated parameters,
vectorised formulas), evaluated on the same CSV as Periclase. Prints whole-process and
compute-only times and writes one column of eligibility and one of amounts per policy.
Usage: python openfisca_bench.py enterprises.csv results.csv"""
import datetime
import sys
import time

START = time.perf_counter()

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from openfisca_core.entities import build_entity  # noqa: E402
from openfisca_core.parameters import ParameterNode  # noqa: E402
from openfisca_core.periods import DateUnit  # noqa: E402
from openfisca_core.simulations import SimulationBuilder  # noqa: E402
from openfisca_core.taxbenefitsystems import TaxBenefitSystem  # noqa: E402
from openfisca_core.variables import Variable  # noqa: E402

Enterprise = build_entity(key="enterprise", plural="enterprises", label="企业", is_person=True)
# The evaluation date (as Periclase's --date): whole years of existence are counted to it.
EVAL = np.datetime64("2025-06-30")

NUMERIC = ["region", "revenue", "revenue_3y", "rd_spend", "rd_spend_3y", "employees", "st_staff", "total_assets",
           "high_tech_income", "invention_patents", "ip_count", "equity_raised", "exports", "energy_use"]
INPUTS = {name: float for name in NUMERIC}
INPUTS.update({"specialized_sme": bool, "little_giant": bool, "high_tech": bool})


def input_variable(name, kind):
    return type(name, (Variable,), {"value_type": kind, "entity": Enterprise, "definition_period": DateUnit.YEAR,
                                    "label": name})


class founded(Variable):
    value_type = datetime.date
    entity = Enterprise
    definition_period = DateUnit.YEAR
    label = "成立日期"


class years_since_founded(Variable):
    value_type = int
    entity = Enterprise
    definition_period = DateUnit.YEAR
    label = "成立年数（至评估日）"

    def formula(enterprise, period):
        f = enterprise("founded", period)
        years = 2025 - (f.astype("datetime64[Y]").astype(int) + 1970)
        month = f.astype("datetime64[M]").astype(int) % 12 + 1
        day = (f - f.astype("datetime64[M]")).astype(int) + 1
        return years - ((month > 6) | ((month == 6) & (day > 30)))


def in_province(e, period):
    return (e("region", period) // 10000) == 21


def policy(name, eligible, amount=None):
    """An eligibility variable and an amount variable (0 when not eligible)."""
    ok = type(f"{name}_eligible", (Variable,), {
        "value_type": bool, "entity": Enterprise, "definition_period": DateUnit.YEAR, "label": name,
        "formula": lambda e, period, parameters: eligible(e, period, parameters)})

    def amount_formula(e, period, parameters):
        ok = e(f"{name}_eligible", period)
        return np.where(ok, amount(e, period, parameters) if amount else 0.0, 0.0)

    value = type(f"{name}_amount", (Variable,), {
        "value_type": float, "entity": Enterprise, "definition_period": DateUnit.YEAR, "label": name,
        "formula": amount_formula})
    return [ok, value]


def ratio_score(x, steps):
    out = np.zeros_like(x)
    for threshold, points in steps:  # ascending: a higher rung overwrites a lower one
        out = np.where(x >= threshold, points, out)
    return out


POLICIES = {
    "specialized-sme-award": (
        lambda e, p, P: e("specialized_sme", p) & in_province(e, p),
        lambda e, p, P: P(p.start).specialized_award.award),
    "little-giant-award": (
        lambda e, p, P: e("little_giant", p) & in_province(e, p),
        lambda e, p, P: P(p.start).little_giant_award.award),
    "high-tech-self-check": (
        lambda e, p, P: (e("years_since_founded", p) >= 1) & (e("ip_count", p) >= 1)
        & (e("st_staff", p) / e("employees", p) >= 0.10)
        & (e("rd_spend_3y", p) / e("revenue_3y", p)
           >= np.where(e("revenue", p) <= 5000, 0.05, np.where(e("revenue", p) <= 20000, 0.04, 0.03)))
        & (e("high_tech_income", p) / e("revenue", p) >= 0.60), None),
    "tech-sme-self-check": (
        lambda e, p, P: (e("employees", p) <= 500) & (e("revenue", p) <= 20000) & (e("total_assets", p) <= 20000)
        & (ratio_score(e("st_staff", p) / e("employees", p), [(0.10, 4), (0.15, 8), (0.20, 12), (0.25, 16), (0.30, 20)])
           + ratio_score(e("rd_spend", p) / e("revenue", p), [(0.02, 10), (0.03, 20), (0.04, 30), (0.05, 40), (0.06, 50)])
           + np.where(e("invention_patents", p) >= 1, 30, ratio_score(e("ip_count", p), [(1, 6), (2, 12), (3, 18), (4, 24)]))
           >= 60), None),
    "specialized-sme-self-check": (
        lambda e, p, P: (e("years_since_founded", p) >= 2) & (e("rd_spend", p) >= 100)
        & (e("rd_spend", p) / e("revenue", p) >= 0.03)
        & ((e("revenue", p) >= 1000) | (e("equity_raised", p) >= 2000)), None),
    "rd-reward": (
        lambda e, p, P: (e("revenue", p) >= 2000) & (e("rd_spend", p) / e("revenue", p) >= 0.03) & in_province(e, p),
        lambda e, p, P: np.minimum(e("rd_spend", p) * P(p.start).rd_reward.rate, P(p.start).rd_reward.cap)),
    "energy-award": (
        lambda e, p, P: (e("revenue", p) >= 5000) & (e("energy_use", p) / e("revenue", p) <= P(p.start).energy.intensity),
        lambda e, p, P: 50.0),
    "export-award": (lambda e, p, P: e("exports", p) >= 1000, lambda e, p, P: np.minimum(e("exports", p) * 0.01, 100)),
    "jobs-subsidy": (
        lambda e, p, P: (e("employees", p) >= 50) & (e("employees", p) <= 300),
        lambda e, p, P: np.minimum(e("employees", p) * 0.2, 50)),
    "high-tech-relief": (lambda e, p, P: e("high_tech", p), lambda e, p, P: e("high_tech_income", p) * 0.1),
}

PARAMETERS = {
    "specialized_award": {"award": {"values": {"2023-01-01": 20, "2025-01-01": 30}}},
    "little_giant_award": {"award": {"values": {"2023-01-01": 100}}},
    "rd_reward": {"rate": {"values": {"2023-01-01": 0.05, "2025-01-01": 0.08}}, "cap": {"values": {"2023-01-01": 200}}},
    "energy": {"intensity": {"values": {"2023-01-01": 0.5}}},
}


def system():
    tbs = TaxBenefitSystem([Enterprise])
    for name, kind in INPUTS.items():
        tbs.add_variable(input_variable(name, kind))
    tbs.add_variable(founded)
    tbs.add_variable(years_since_founded)
    for name, (eligible, amount) in POLICIES.items():
        for v in policy(name.replace("-", "_"), eligible, amount):
            tbs.add_variable(v)
    tbs.parameters = ParameterNode("", data=PARAMETERS)
    return tbs


def main():
    csv, out = sys.argv[1], sys.argv[2]
    tbs = system()
    frame = pd.read_csv(csv, keep_default_na=False)
    n = len(frame)
    sim = SimulationBuilder().build_default_simulation(tbs, n)
    period = "2025"
    for name in NUMERIC:
        sim.set_input(name, period, frame[name].to_numpy(dtype=float))
    honours = frame["honours"].astype(str)
    for name in ["specialized_sme", "little_giant", "high_tech"]:
        sim.set_input(name, period, honours.str.contains(name, regex=False).to_numpy())
    sim.set_input("founded", period, pd.to_datetime(frame["founded"]).to_numpy().astype("datetime64[D]"))
    t = time.perf_counter()
    results = {}
    for name in POLICIES:
        key = name.replace("-", "_")
        results[f"{name}:eligible"] = sim.calculate(f"{key}_eligible", period)
        results[f"{name}:amount"] = sim.calculate(f"{key}_amount", period)
    compute = time.perf_counter() - t
    table = pd.DataFrame({"id": frame["id"]})
    for k, v in results.items():
        table[k] = v.astype(int) if v.dtype == bool else v
    table.to_csv(out, index=False)
    whole = time.perf_counter() - START
    print(f"openfisca\t{n}\twhole {whole:.3f} s\tcompute {compute:.3f} s")


if __name__ == "__main__":
    main()

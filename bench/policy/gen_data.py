"""1,000,000 generated enterprises for the policy benchmark: every field the ten policies
read, no value missing (so both engines must agree exactly). Fixed seed.
Usage: python gen_data.py N OUT.csv"""
import sys

import numpy as np

n = int(sys.argv[1])
out = sys.argv[2]
rng = np.random.default_rng(20261122)
revenue = np.round(rng.lognormal(8.3, 1.2, n), 1)
cols = {
    "id": np.arange(1, n + 1),
    "region": rng.choice([210381, 210882, 210804, 210102, 340100, 411282], n),
    "founded": (np.datetime64("1995-01-01") + rng.integers(0, 11000, n)).astype("datetime64[D]").astype(str),
    "revenue": revenue,
    "revenue_3y": np.round(revenue * rng.uniform(2.4, 3.2, n), 1),
    "rd_spend": np.round(revenue * rng.uniform(0.0, 0.09, n), 1),
    "employees": rng.integers(5, 900, n),
    "total_assets": np.round(revenue * rng.uniform(0.6, 2.5, n), 1),
    "high_tech_income": np.round(revenue * rng.uniform(0.0, 1.0, n), 1),
    "invention_patents": rng.integers(0, 6, n),
    "ip_count": rng.integers(0, 15, n),
    "equity_raised": np.round(rng.uniform(0, 4000, n), 1),
    "exports": np.round(revenue * rng.uniform(0, 0.4, n), 1),
    "energy_use": np.round(revenue * rng.uniform(0.05, 1.2, n), 1),
}
cols["rd_spend_3y"] = np.round(cols["rd_spend"] * rng.uniform(2.2, 3.3, n), 1)
cols["st_staff"] = np.minimum(cols["employees"], rng.integers(0, 200, n))
honours = np.array(["", "specialized_sme", "specialized_sme;little_giant", "high_tech", "high_tech;specialized_sme"])
cols["honours"] = honours[rng.choice(len(honours), n, p=[0.7, 0.12, 0.03, 0.1, 0.05])]
order = ["id", "region", "founded", "honours", "revenue", "revenue_3y", "rd_spend", "rd_spend_3y", "employees",
         "st_staff", "total_assets", "high_tech_income", "invention_patents", "ip_count", "equity_raised",
         "exports", "energy_use"]
import pandas as pd

pd.DataFrame({k: cols[k] for k in order}).to_csv(out, index=False)

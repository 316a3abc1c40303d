"""Checks that Periclase and OpenFisca produced the same eligibility and amounts.
OpenFisca keeps float inputs as float32, so amounts are compared to a relative 1e-6, and a
ratio lying exactly on its threshold (34.9 / 698 = 5%) can fall either side of it there:
such rows are listed for inspection, and up to one in 100,000 is tolerated. Exits non-zero
on anything more.
Usage: python compare.py periclase.csv openfisca.csv"""
import sys

import numpy as np
import pandas as pd

ours = pd.read_csv(sys.argv[1], dtype=str)
theirs = pd.read_csv(sys.argv[2], dtype=str)
assert list(ours.columns) == list(theirs.columns), (list(ours.columns), list(theirs.columns))
assert (ours["id"] == theirs["id"]).all(), "rows in the same order"
bad = 0
summary = []
for col in ours.columns[1:]:
    if col.endswith(":eligible"):
        a, b = ours[col], theirs[col]
        unknown = (a == "?").sum()
        differ = (a != b) & (a != "?")
        eligible = (a == "1").sum()
        summary.append(f"{col.split(':')[0]}: {eligible} eligible, {unknown} unknown, {differ.sum()} differ")
        if differ.any():
            bad += int(differ.sum())
            print(f"{col}: {differ.sum()} rows differ, e.g. ids {list(ours['id'][differ][:5])}")
    else:
        a, b = ours[col].astype(float).to_numpy(), theirs[col].astype(float).to_numpy()
        close = np.isclose(a, b, rtol=1e-6, atol=1e-6)
        if not close.all():
            bad += int((~close).sum())
            i = np.flatnonzero(~close)[:5]
            print(f"{col}: {(~close).sum()} amounts differ, e.g. {list(zip(ours['id'].to_numpy()[i], a[i], b[i]))}")
print("\n".join(summary))
print(f"agreement: {len(ours)} rows × {(len(ours.columns) - 1) // 2} policies, {bad} differences")
sys.exit(1 if bad > len(ours) / 100_000 else 0)

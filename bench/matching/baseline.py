"""Plain baseline for `periclase match eval`: jieba tokens + BM25 (rank_bm25's Okapi, k1 1.5,
b 0.75) over each achievement's title + summary; the query is the demand's title +
description, as posted. Writes a run (demand, achievement, rank per line) for the same
evaluator: `periclase match eval --data DIR --run RUN`.

usage: baseline.py DATA_DIR RUN_OUT [DEPTH]
"""
import json
import sys

import jieba
from rank_bm25 import BM25Okapi

jieba.setLogLevel(60)


def tokens(text):
    # The same courtesy the default analyzers give: lower case, no blanks or punctuation.
    return [t for t in jieba.lcut_for_search(text.lower()) if any(c.isalnum() for c in t)]


def records(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def main():
    data, out = sys.argv[1], sys.argv[2]
    depth = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    achievements = records(f"{data}/achievements.jsonl")
    demands = records(f"{data}/demands.jsonl")
    bm25 = BM25Okapi([tokens(a["title"] + " " + a.get("summary", "")) for a in achievements])
    with open(out, "w", encoding="utf-8") as f:
        for d in demands:
            scores = bm25.get_scores(tokens(d["title"] + " " + d.get("description", "")))
            ranked = sorted(range(len(achievements)), key=lambda i: (-scores[i], i))[:depth]
            for rank, i in enumerate(ranked, 1):
                f.write(f"{d['id']}\t{achievements[i]['id']}\t{rank}\n")


if __name__ == "__main__":
    main()

"""Compares golden files written by tokenizer_golden.py (Python) with the committed ones (the Rust code
through the `tokenizers` npm binding): prints every differing case and a count per file.

    python3 scripts/golden/compare_tokenizer_goldens.py /tmp/py-goldens packages/tokenizer/test/fixtures
"""
import json
import os
import sys


def load(path):
    with open(path, encoding="utf-8") as f:
        return {r.get("id"): r for r in map(json.loads, filter(str.strip, f))}


def main():
    python_dir, node_dir = sys.argv[1], sys.argv[2]
    for name in sorted(os.listdir(python_dir)):
        if not name.endswith(".jsonl"):
            continue
        python, node = load(os.path.join(python_dir, name)), load(os.path.join(node_dir, name))
        skipped = differing = 0
        for case_id, row in python.items():
            if "skipped" in row:
                skipped += 1
                continue
            other = node.get(case_id, {})
            fields = [k for k, v in row.items() if k != "tokens" and other.get(k) != v]
            if fields:
                differing += 1
                print(f"DIFF {name} {case_id} {fields[0]}: python {str(row[fields[0]])[:100]} | node {str(other.get(fields[0]))[:100]}")
        print(f"{name}: {len(python)} cases, {skipped} skipped (Python cannot encode them), {differing} differing")


if __name__ == "__main__":
    main()

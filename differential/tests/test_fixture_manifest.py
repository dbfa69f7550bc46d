#!/usr/bin/python3
"""Checks differential/oracle/fixture_manifest.py against the committed
fixtures/MANIFEST.json, which the generators wrote before they shared it:
merging a generator's own current entries back must give the same bytes, and a
merge must change only the given files and block.

Usage: test_fixture_manifest.py REPO_ROOT
"""

import json
import os
import shutil
import sys
import tempfile

sys.dont_write_bytecode = True
ROOT = sys.argv[1]
FIXTURES = os.path.join(ROOT, "differential", "oracle", "fixtures")
sys.path.insert(0, os.path.join(ROOT, "differential", "oracle"))
import fixture_manifest as M  # noqa: E402

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


with open(os.path.join(FIXTURES, "MANIFEST.json"), "rb") as f:
    original = f.read()
committed = json.loads(original)

with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "MANIFEST.json")
    # Each merging generator's block, with its files' entries, merged back as is.
    for block in ("c10_fixtures", "kernel_fixtures"):
        shutil.copyfile(os.path.join(FIXTURES, "MANIFEST.json"), path)
        entries = {name: committed["files"][name] for name in committed[block]["files"]}
        M.merge(tmp, entries, block, committed[block])
        with open(path, "rb") as f:
            check(f.read() == original, "%s merged back is byte-identical" % block)

    # file_entry of a committed fixture equals the entry the generator recorded.
    for name in committed["c10_fixtures"]["files"] + ["kernel_strict.jsonl"]:
        with open(os.path.join(FIXTURES, name), "rb") as f:
            check(M.file_entry(f.read()) == committed["files"][name], "file_entry(%s) as recorded" % name)

    # A new file and block: only they are added, an existing file entry replaced.
    shutil.copyfile(os.path.join(FIXTURES, "MANIFEST.json"), path)
    new_entry = M.file_entry(b"a\nb\n")
    M.merge(tmp, {"new.jsonl": new_entry, "c10_routes.jsonl": new_entry}, "new_block", {"x": 1})
    with open(path, "rb") as f:
        data = f.read()
    got = json.loads(data)
    want = json.loads(original)
    want["files"]["new.jsonl"] = new_entry
    want["files"]["c10_routes.jsonl"] = new_entry
    want["new_block"] = {"x": 1}
    check(got == want, "merge changes only the given files and block")
    check(new_entry["lines"] == 2 and new_entry["bytes"] == 4, "file_entry counts lines and bytes")
    check(data.endswith(b"}\n") and data.decode("ascii") == json.dumps(want, indent=1, sort_keys=True) + "\n",
          "written with indent=1, sorted keys and a final newline")

    # No manifest yet: a fresh one with just the files and the block.
    os.remove(path)
    M.merge(tmp, {"new.jsonl": new_entry}, "new_block", {"x": 1})
    with open(path, encoding="ascii") as f:
        check(json.load(f) == {"files": {"new.jsonl": new_entry}, "new_block": {"x": 1}}, "fresh manifest")

print("ok" if not failures else "%d failure(s)" % len(failures))
sys.exit(1 if failures else 0)

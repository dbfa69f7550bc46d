"""fixtures/MANIFEST.json helpers shared by the generators that add to it.

gen_fixtures.py writes MANIFEST.json from scratch; gen_kernel_fixtures.py and
gen_c10_fixtures.py run after it and merge in only their own entries. They share
merge() so the file keeps one format (indent=1, sorted keys, ASCII, trailing
newline) whichever generator wrote it last.
"""

import hashlib
import json
import os


def file_entry(data):
    """The manifest entry of a fixture file's bytes: line count, size, sha256."""
    return {"lines": data.count(b"\n"), "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def merge(out_dir, entries, block_name, block):
    """Reads out_dir/MANIFEST.json (or starts an empty one), adds or replaces the
    given "files" entries and the top-level block_name, and writes it back; every
    other entry is left as it was."""
    mpath = os.path.join(out_dir, "MANIFEST.json")
    manifest = {"files": {}}
    if os.path.exists(mpath):
        with open(mpath, encoding="ascii") as f:
            manifest = json.load(f)
    manifest.setdefault("files", {}).update(entries)
    manifest[block_name] = block
    with open(mpath, "w", encoding="ascii", newline="\n") as f:
        f.write(json.dumps(manifest, indent=1, sort_keys=True) + "\n")

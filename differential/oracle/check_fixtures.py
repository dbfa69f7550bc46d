#!/usr/bin/python3
"""Torch-free consistency check of the fixture files (and of the documented bit layout).

Usage: python3 differential/oracle/check_fixtures.py [DIR]

Re-derives, without torch, from the bit layout described in README.md:
  * the raw bits each keyset text denotes (hex, key list, repr form),
  * raw results of or/and/sub/xor, has(), full_after's raw bits,
and compares them with the torch answers stored in the fixtures.  For table
queries (tables.jsonl, tables_random.jsonl) it checks the shape: entries for
Undefined plus the runtime keys in the order of torch's repr of the full keyset,
every source a registered key (or ambiguous/backend_fallback/missing), tag and
source consistent, and every registered runtime key filled by its own kernel.
Also checks MANIFEST.json line counts and sha256.  Exit status 1 on any mismatch.
"""

import hashlib
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PER_BACKEND = {1: 42, 6: 57, 9: 72, 12: 87, 24: 102}
BACKEND_MASK = (1 << 14) - 1


def keyset_of(k):
    """c10::DispatchKeySet(DispatchKey k), re-derived from the documented layout."""
    if k == 0 or k >= 117:
        return 0
    if k <= 41:
        return 1 << (13 + k)
    for f, ph in PER_BACKEND.items():
        if ph <= k <= ph + 14:
            b = k - ph
            return (1 << (13 + f)) | ((1 << (b - 1)) if b else 0)
    raise ValueError(k)


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "fixtures")
    names = {}
    for l in open(os.path.join(d, "keys.jsonl")):
        o = json.loads(l)
        if "id" in o["query"] and "name" in o["expect"]:
            names.setdefault(o["expect"]["name"], o["query"]["id"])

    def parse(t):
        if t.startswith("0x"):
            return int(t, 16)
        if t.startswith("DispatchKeySet("):
            body = t[len("DispatchKeySet("):-1]
            parts = [] if body == "" else body.split(", ")
        else:
            parts = t.split("|")
        acc = 0
        for p in parts:
            acc |= keyset_of(names[p])
        return acc

    # runtime keys in iteration order: torch's repr of the full 54-bit keyset
    full_repr = None
    for l in open(os.path.join(d, "keysets.jsonl")):
        a = json.loads(l)["expect"]
        if a.get("raw") == "0x3fffffffffffff":
            full_repr = a["repr"]
            break
    table_keys = ["Undefined"] + full_repr[len("DispatchKeySet("):-1].split(", ")
    alias_tag = {"CompositeImplicitAutograd": "math kernel",
                 "CompositeImplicitAutogradNestedTensor": "nested kernel",
                 "Autograd": "autograd kernel",
                 "CompositeExplicitAutograd": "default backend kernel",
                 "CompositeExplicitAutogradNonFunctional": "default backend kernel"}
    special_tag = {"missing": "missing", "backend_fallback": "backend fallback",
                   "ambiguous": "ambiguous autogradother"}

    bad = 0

    def expect(cond, what):
        nonlocal bad
        if not cond:
            bad += 1
            if bad < 20:
                print("MISMATCH:", what)

    for fn in sorted(os.listdir(d)):
        if not fn.endswith(".jsonl") or fn == "parse_rejections.jsonl":
            continue
        for l in open(os.path.join(d, fn)):
            o = json.loads(l)
            q, a = o["query"], o["expect"]
            if q["q"] == "probe":
                # torch's dispatch keyset is c10's (a | b | include) - exclude
                bits = [int(a[k], 16) for k in ("include_bits", "exclude_bits", "dispatch_keyset_bits")]
                ops = int(a["lhs"]["keyset_bits"], 16) | int(a["rhs"]["keyset_bits"], 16)
                expect(bits[2] == (ops | bits[0]) & (BACKEND_MASK | ~bits[1]), o["id"])
                continue
            if q["q"] == "keyset":
                expect(int(a["raw"], 16) == parse(q["keyset"]), l)
            elif q["q"] == "binop":
                x, y = parse(q["a"]), parse(q["b"])
                r = {"or": x | y, "and": x & y, "xor": x ^ y,
                     "sub": x & (BACKEND_MASK | ~y)}[q["op"]]
                expect(int(a["raw"], 16) == r, l)
            elif q["q"] == "has":
                k = keyset_of(names[q["key"]])
                expect(a["has"] == (parse(q["keyset"]) & k == k), l)
            elif q["q"] == "full_after":
                kid = names[q["key"]]
                f = kid if kid <= 41 else next(
                    (f for f, ph in PER_BACKEND.items() if ph <= kid <= ph + 14), 0)
                expect(int(a["raw"], 16) == ((1 << (13 + f)) - 1) | (1 << 53), l)
            elif q["q"] == "table":
                regs = q["registrations"]
                ents = a["entries"]
                expect(len(set(regs)) == len(regs) and list(ents) == table_keys, l[:200])
                for k, e in ents.items():
                    src, tag = e["source"], e["tag"]
                    if src in special_tag:
                        ok = tag == special_tag[src] and (not e["fallthrough"] or src == "backend_fallback")
                    else:
                        ok = src in regs and not e["fallthrough"] and tag == alias_tag.get(src, "kernel")
                        ok = ok and (src in alias_tag or src == k)
                    expect(ok, "table %s entry %s: %s" % (regs, k, e))
                for r in regs:
                    if r not in alias_tag:
                        expect(r in ents and ents[r]["source"] == r, "table %s: %s not filled by itself" % (regs, r))
            if "raw" in a:
                expect(int(a["raw"], 16) >> 54 == 0, l)
    man = json.load(open(os.path.join(d, "MANIFEST.json")))
    for fn, info in man["files"].items():
        data = open(os.path.join(d, fn), "rb").read()
        expect(hashlib.sha256(data).hexdigest() == info["sha256"], "sha256 " + fn)
        expect(data.count(b"\n") == info["lines"], "lines " + fn)
    print("check_fixtures: %s" % ("OK" if bad == 0 else "%d mismatches" % bad))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Generate JSON-lines differential fixtures for `ft-dispatch --batch` from torch 1.13.

Usage:
  /usr/bin/python3 differential/oracle/gen_fixtures.py [--seed N] [--out DIR] [--random-keysets N]
                                                       [--random-tables N]

Each line is {"query": Q, "expect": A}.  Every "expect" outside
parse_rejections.jsonl is computed by torch (see README.md for exactly what is
torch-computed and what is libft policy).  Output is a pure function of
(torch build, --seed, --random-keysets, --random-tables).
"""

import argparse
import hashlib
import itertools
import json
import os
import random
import sys
import warnings

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_oracle as T  # noqa: E402
from gen_facts import parse_dump  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "fixtures")
DEFAULT_SEED = 20221028
DEFAULT_RANDOM = 2500
DEFAULT_RANDOM_TABLES = 1000

# Per-backend functionality id -> its runtime-key placeholder id.
PER_BACKEND = {1: 42, 6: 57, 9: 72, 12: 87, 24: 102}
PER_BACKEND_BITS = sum(1 << (13 + f) for f in PER_BACKEND)
FUNC_MASK = T.KNOWN_MASK & ~T.BACKEND_MASK
ALIASES = [T.KEY_NAMES[a] for a in T.ALIAS_IDS]

# Key ids usable as a NAME inside keyset text and as has()'s key.  Excluded:
# Undefined (0; has(Undefined) is a debug-only assert in c10), 41 (EndOfFunctionalityKeys,
# whose DispatchKeySet is bit 54, outside the known domain) and the alias keys.
KEYSET_NAME_IDS = [i for i in range(1, T.ALIAS_FIRST) if i != 41]
PLACEHOLDER_IDS = [41] + sorted(PER_BACKEND.values())

TABLE_KEYS = ["CPU", "AutogradCPU", "SparseCPU", "CompositeExplicitAutograd",
              "CompositeImplicitAutograd", "Autograd", "CompositeExplicitAutogradNonFunctional"]


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=True)


def line(query, expect):
    return dumps({"query": query, "expect": expect})


# ---------------------------------------------------------------------------
# keyset text forms


def list_names(bits):
    """Key names whose DispatchKeySets OR to `bits` (torch-verified), or None."""
    backends = [b for b in range(T.NUM_BACKENDS) if bits >> b & 1]
    names = []
    has_pb = False
    for f in range(1, T.NUM_FUNCTIONALITY + 1):
        if not bits >> (13 + f) & 1:
            continue
        if f in PER_BACKEND:
            has_pb = True
            if backends:
                names += [T.KEY_NAMES[PER_BACKEND[f] + 1 + b] for b in backends]
            else:
                names.append(T.KEY_NAMES[f])
        else:
            names.append(T.KEY_NAMES[f])
    if not names or (backends and not has_pb):
        return None
    if union_of_names(names) != bits:
        raise AssertionError("list form does not reproduce 0x%x" % bits)
    return names


def union_of_names(names):
    acc = T.make(0)
    for n in names:
        acc = acc | T.DKS(T.key(T.NAME_TO_ID[n]))
    return T.raw(acc)


def repr_form(bits):
    """torch's str() of the keyset if parsing it back gives the same bits."""
    s = str(T.make(bits))
    names = T.parse_repr_names(s)
    if any(n not in T.NAME_TO_ID or T.NAME_TO_ID[n] not in KEYSET_NAME_IDS for n in names):
        return None
    return s if union_of_names(names) == bits else None


def forms(bits, rng=None):
    """All text forms of `bits`: [("hex", T), ("list", T), ("repr", T)] where available."""
    out = [("hex", T.hexs(bits))]
    names = list_names(bits)
    if names is not None:
        if rng is not None:
            names = names[:]
            rng.shuffle(names)
        out.append(("list", "|".join(names)))
    r = repr_form(bits)
    if r is not None:
        out.append(("repr", r))
    return out


def pick_text(rng, bits):
    return rng.choice(forms(bits, rng))[1]


# ---------------------------------------------------------------------------
# random keysets


def rand_bits(rng):
    bits = _rand_bits(rng)
    assert 0 <= bits <= T.KNOWN_MASK, hex(bits)
    return bits


def _rand_bits(rng):
    kind = rng.choices(
        ["uniform", "density", "sparse_bits", "runtime_keys", "pb_no_backend",
         "backend_only", "func_only", "runtime_plus_backend", "single_func_all_backends"],
        weights=[20, 10, 15, 20, 8, 6, 8, 10, 3])[0]
    if kind == "uniform":
        return rng.getrandbits(T.KNOWN_BITS)
    if kind == "density":
        p = rng.random()
        return sum(1 << i for i in range(T.KNOWN_BITS) if rng.random() < p)
    if kind == "sparse_bits":
        acc = 0
        for _ in range(rng.randint(1, 5)):
            acc |= 1 << rng.randrange(T.KNOWN_BITS)
        return acc
    if kind == "runtime_keys":
        acc = 0
        for _ in range(rng.randint(1, 4)):
            acc |= T.keyset_of(rng.choice(T.RUNTIME_KEY_IDS))
        return acc
    if kind == "pb_no_backend":
        acc = 0
        while acc == 0:
            acc = sum(1 << (13 + f) for f in PER_BACKEND if rng.random() < 0.5)
        if rng.random() < 0.5:
            acc |= rng.getrandbits(T.NUM_FUNCTIONALITY) << T.NUM_BACKENDS & ~PER_BACKEND_BITS
        return acc
    if kind == "backend_only":
        return rng.randint(1, T.BACKEND_MASK)
    if kind == "func_only":
        return rng.getrandbits(T.NUM_FUNCTIONALITY) << T.NUM_BACKENDS
    if kind == "runtime_plus_backend":
        acc = T.keyset_of(rng.choice(T.RUNTIME_KEY_IDS))
        return acc | rng.randint(0, T.BACKEND_MASK)
    # single_func_all_backends
    f = rng.choice(sorted(PER_BACKEND))
    return (1 << (13 + f)) | rng.randint(1, T.BACKEND_MASK)


def keyset_query(text):
    return {"q": "keyset", "keyset": text}


# ---------------------------------------------------------------------------
# families


def fam_keys():
    out = []
    for i in range(126):
        if i < T.KEY_ID_COUNT:
            out.append(line({"q": "key", "id": i}, {"id": i, "name": T.KEY_NAMES[i]}))
        else:
            # torch's toString prints "UnknownUnknown" for these (its default case);
            # they are not DispatchKey values in 1.13.
            assert T.key_name(i) == "UnknownUnknown"
            out.append(line({"q": "key", "id": i}, {"error": "unknown_key_id"}))
    for i in range(126):
        name = T.key_name(i)
        lid = T.NAME_TO_ID[name]
        if i >= T.KEY_ID_COUNT and lid != i:
            continue  # same name as a lower id; already emitted
        out.append(line({"q": "key", "name": name}, {"id": lid, "name": name}))
    for bad in ["cpu", "CatchAll", "StartOfDenseBackends", "EndOfFunctionalityKeys",
                "EndOfAliasKeys", "NotAKey", "AutogradCpu", "CPU_"]:
        assert bad not in T.NAME_TO_ID
        out.append(line({"q": "key", "name": bad}, {"error": "unknown_key_name"}))
    return out


def edge_bits():
    e = [0, T.KNOWN_MASK, T.BACKEND_MASK, FUNC_MASK, PER_BACKEND_BITS,
         FUNC_MASK & ~PER_BACKEND_BITS, PER_BACKEND_BITS | T.BACKEND_MASK]
    e += [1 << i for i in range(T.KNOWN_BITS)]
    e += [1 << (13 + f) for f in sorted(PER_BACKEND)]
    e += [(1 << (13 + f)) | T.BACKEND_MASK for f in sorted(PER_BACKEND)]
    e += [T.keyset_of(i) for i in PLACEHOLDER_IDS if i != 41]
    e += [T.raw(T.C._dispatch_autogradother_backends), T.raw(T.BACKEND_FUNCTIONALITY_KEYS)]
    seen, res = set(), []
    for x in e:
        if x not in seen:
            seen.add(x)
            res.append(x)
    return res


def fam_keysets(seed, n_random):
    rng = random.Random("%d:keysets" % seed)
    out = []
    # every single key (runtime keys, functionality keys, placeholders), in every form
    for i in range(T.ALIAS_FIRST):
        if i == 41:
            continue  # DispatchKeySet(EndOfFunctionalityKeys) is bit 54: see parse_rejections
        bits = T.keyset_of(i)
        ans = T.keyset_answer(T.DKS(T.key(i)))
        texts = [t for _, t in forms(bits)]
        if i in KEYSET_NAME_IDS and T.KEY_NAMES[i] not in texts:
            texts.append(T.KEY_NAMES[i])   # the bare key name as a one-item list
        for t in texts:
            out.append(line(keyset_query(t), ans))
    # raw edge cases
    for bits in edge_bits():
        ans = T.keyset_answer(T.make(bits))
        for _, t in forms(bits):
            out.append(line(keyset_query(t), ans))
    out = dedupe(out)
    seen = set(out)
    added = 0
    while added < n_random:
        bits = rand_bits(rng)
        x = line(keyset_query(pick_text(rng, bits)), T.keyset_answer(T.make(bits)))
        if x not in seen:
            seen.add(x)
            out.append(x)
            added += 1
    return out


def dedupe(lines):
    seen, res = set(), []
    for x in lines:
        if x not in seen:
            seen.add(x)
            res.append(x)
    return res


def binop(op, a_bits, b_bits):
    a, b = T.make(a_bits), T.make(b_bits)
    if op == "or":
        r = a | b
    elif op == "and":
        r = a & b
    elif op == "sub":
        r = a - b
    elif op == "xor":
        r = T.make(a_bits ^ b_bits)      # torch has no ^ binding: raw xor, torch does the rest
    else:
        raise ValueError(op)
    return T.keyset_answer(r)


def fam_binops_pairs(seed):
    rng = random.Random("%d:binops_pairs" % seed)
    out = []
    for ka in T.RUNTIME_KEY_IDS:
        for kb in T.RUNTIME_KEY_IDS:
            a, b = T.keyset_of(ka), T.keyset_of(kb)
            for op in ("or", "and", "sub"):
                q = {"q": "binop", "op": op, "a": pick_text(rng, a), "b": pick_text(rng, b)}
                out.append(line(q, binop(op, a, b)))
    return out


def fam_binops_random(seed, n_random):
    rng = random.Random("%d:binops_random" % seed)
    out, seen = [], set()
    while len(out) < n_random:
        op = rng.choice(["or", "and", "sub", "xor"])
        a = rand_bits(rng)
        r = rng.random()
        if r < 0.15:
            b = a & rand_bits(rng)          # subset of a
        elif r < 0.25:
            b = a | rand_bits(rng)          # superset of a
        elif r < 0.30:
            b = a
        else:
            b = rand_bits(rng)
        q = {"q": "binop", "op": op, "a": pick_text(rng, a), "b": pick_text(rng, b)}
        x = line(q, binop(op, a, b))
        if x not in seen:
            seen.add(x)
            out.append(x)
    return out


def has_answer(bits, kid):
    r = T.make(bits).has(T.key(kid))
    assert isinstance(r, bool)
    return {"has": r}


def fam_has(seed, n_random):
    rng = random.Random("%d:has" % seed)
    out = []
    for ks in T.RUNTIME_KEY_IDS:
        bits = T.keyset_of(ks)
        for k in KEYSET_NAME_IDS:
            q = {"q": "has", "keyset": pick_text(rng, bits), "key": T.KEY_NAMES[k]}
            out.append(line(q, has_answer(bits, k)))
    seen = set(out)
    added = 0
    while added < n_random:
        bits = rand_bits(rng)
        inside = [i for i in KEYSET_NAME_IDS if T.keyset_of(i) & bits == T.keyset_of(i)]
        k = rng.choice(inside if inside and rng.random() < 0.5 else KEYSET_NAME_IDS)
        q = {"q": "has", "keyset": pick_text(rng, bits), "key": T.KEY_NAMES[k]}
        x = line(q, has_answer(bits, k))
        if x not in seen:
            seen.add(x)
            out.append(x)
            added += 1
    return out


def fam_full_after():
    out = []
    for i in range(T.KEY_ID_COUNT):
        ks = T.C._dispatch_keyset_full_after(T.key(i))
        out.append(line({"q": "full_after", "key": T.KEY_NAMES[i]}, T.keyset_answer(ks)))
    return out


# ---------------------------------------------------------------------------
# dispatch tables


class TableMaker:
    def __init__(self, ns="ft_oracle_tables"):
        self.ns = ns
        self.lib = T.C._dispatch_library("DEF", ns, "")
        self.n = 0

    def dump(self, order):
        self.n += 1
        op = "op%d" % self.n
        self.lib.def_(op + "(Tensor a, Tensor b) -> Tensor")
        for k in order:
            self.lib.impl_tt_t(op, k, "FTREG<%s>" % k)
        qual = self.ns + "::" + op
        text = T.C._dispatch_dump_table(qual)
        try:
            T.C._dispatch_check_invariants(qual)
            inv = True
        except RuntimeError:
            inv = False
        return qual, text, inv


def table_entries(text, registered=TABLE_KEYS):
    dump = parse_dump(text)
    keys = ["Undefined"] + T.FULL_ITER_NAMES
    extra = set(dump) - set(keys)
    if extra:
        raise AssertionError("dump has keys outside Undefined+FULL: %s" % sorted(extra))
    entries = {}
    for k in keys:
        if k not in dump:
            entries[k] = {"source": "missing", "tag": "missing", "fallthrough": False}
            continue
        ft, debug, tag = dump[k]
        if debug.startswith("FTREG<") and debug.endswith(">"):
            src = debug[len("FTREG<"):-1]
            assert src in registered and tag != "backend fallback", (k, debug, tag)
        elif debug == "ambiguous_autogradother":
            src = "ambiguous"
            assert tag == "ambiguous autogradother", (k, tag)
        elif tag == "backend fallback":
            src = "backend_fallback"
        else:
            raise AssertionError("unclassified dump entry %s: %r [%s]" % (k, debug, tag))
        entries[k] = {"source": src, "tag": tag, "fallthrough": ft}
    return entries


def parseable_runtime_names():
    out = []
    for n in ["Undefined"] + T.FULL_ITER_NAMES:
        try:
            T.C._dispatch_key_parse(n)
            out.append(n)
        except RuntimeError:
            pass
    return out


def fam_tables(seed):
    rng = random.Random("%d:tables" % seed)
    tm = TableMaker()
    probe_names = parseable_runtime_names()
    out, report = [], []
    for mask in range(128):
        regs = [k for i, k in enumerate(TABLE_KEYS) if mask >> i & 1]
        if len(regs) <= 4:
            orders = [list(p) for p in itertools.permutations(regs)]
            orders.remove(regs)
        else:
            orders = [regs[::-1]]
            while len(orders) < 5:
                p = regs[:]
                rng.shuffle(p)
                if p != regs and p not in orders:
                    orders.append(p)
        orders = [regs] + orders
        canon_text = None
        failing, stale = [], {}
        for order in orders:
            qual, text, inv = tm.dump(order)
            if canon_text is None:
                canon_text = text
            elif text != canon_text:
                raise AssertionError("dump differs across registration orders for %s: %s" % (regs, order))
            if not inv:
                failing.append(order)
            present = parse_dump(text)
            mism = []
            for n in probe_names:
                cached = T.C._dispatch_has_computed_kernel_for_dispatch_key(qual, n)
                if cached != (n in present):
                    mism.append(n + (": cached valid, dump missing" if cached
                                     else ": cached invalid, dump present"))
            if mism:
                stale[" > ".join(order)] = mism
        entries = table_entries(canon_text)
        out.append(line({"q": "table", "registrations": regs}, {"entries": entries}))
        if failing or stale:
            report.append({
                "registrations": regs,
                "orders_tried": len(orders),
                "canonical_order_consistent": regs not in failing and " > ".join(regs) not in stale,
                "orders_failing_check_invariants": [" > ".join(o) for o in failing],
                "cached_validity_differs_from_dump": stale,
                "fresh_AutogradOther": entries["AutogradOther"],
            })
    return out, report, probe_names



# Random registration subsets over a large pool of registrable keys.

NESTED_ALIAS = "CompositeImplicitAutogradNestedTensor"
# Keys drawn more often than the rest of the pool (weight in brackets): the alias keys (6),
# the nested-tensor runtime keys (5), AutogradOther (4), and keys whose table entries interact
# with the alias rules (2): autogradother_backends members, keys CompositeExplicitAutograd-
# NonFunctional leaves out (XLA, Lazy, Sparse*), Autograd keys without a backend fallback.
RANDOM_TABLE_WEIGHTS = {
    "Autograd": 6, "CompositeImplicitAutograd": 6, NESTED_ALIAS: 6,
    "CompositeExplicitAutograd": 6, "CompositeExplicitAutogradNonFunctional": 6,
    "NestedTensorCPU": 5, "NestedTensorCUDA": 5, "AutogradNestedTensor": 5,
    "AutogradOther": 4,
    "CPU": 2, "CUDA": 2, "XLA": 2, "Lazy": 2, "Meta": 2, "MPS": 2, "HIP": 2, "PrivateUse1": 2,
    "AutogradCPU": 2, "AutogradCUDA": 2, "AutogradXLA": 2, "AutogradMeta": 2,
    "AutogradPrivateUse1": 2, "SparseCPU": 2, "SparseCUDA": 2, "SparseCsrCPU": 2,
    "SparseCsrCUDA": 2, "QuantizedCPU": 2, "MkldnnCPU": 2, "FPGA": 2,
}
NESTED_FORCE_P = 0.4     # share of random subsets that start from the nested alias


def registrable_pool():
    """(pool, skipped): the keys libft's table query accepts (runtime keys and aliases) on
    which torch's Library.impl accepts a kernel, in key-id order; `skipped` lists the
    runtime keys whose name c10::parseDispatchKey rejects (so no kernel can be registered)."""
    pool, skipped = [], []
    for n in T.FULL_ITER_NAMES + ALIASES:
        try:
            T.C._dispatch_key_parse(n)
        except RuntimeError:
            skipped.append(n)
            continue
        pool.append(n)
    pool.sort(key=lambda n: T.NAME_TO_ID[n])
    assert all(n in pool for n in RANDOM_TABLE_WEIGHTS), set(RANDOM_TABLE_WEIGHTS) - set(pool)
    return pool, skipped


def fam_tables_random(seed, n_random):
    rng = random.Random("%d:tables_random" % seed)
    tm = TableMaker("ft_oracle_tables_random")
    pool, skipped = registrable_pool()
    weights = [RANDOM_TABLE_WEIGHTS.get(n, 1) for n in pool]
    canon = lambda regs: sorted(regs, key=lambda n: T.NAME_TO_ID[n])  # noqa: E731

    subsets, seen = [], set()

    def add(regs, kind):
        fs = frozenset(regs)
        if fs in seen:
            return False
        seen.add(fs)
        subsets.append((canon(regs), kind))
        return True

    # systematic part: every pool key alone, and every pool key next to the nested alias
    for n in pool:
        add([n], "single")
    for n in pool:
        if n != NESTED_ALIAS:
            add([NESTED_ALIAS, n], "nested_pair")
    added = 0
    while added < n_random:
        size = rng.randint(1, 8)
        regs = [NESTED_ALIAS] if rng.random() < NESTED_FORCE_P else []
        while len(regs) < size:
            k = rng.choices(pool, weights)[0]
            if k not in regs:
                regs.append(k)
        if add(regs, "random"):
            added += 1

    out = []
    stats = {"orders_tried": 0, "subsets_with_order_dependent_cached_table": 0}
    for regs, kind in subsets:
        # canonical, reversed, and (from 3 keys on) a seeded shuffle different from both
        orders = [regs]
        if len(regs) > 1:
            orders.append(regs[::-1])
        if len(regs) > 2:
            p = regs[:]
            while p in orders:
                rng.shuffle(p)
            orders.append(p)
        canon_text, inv_fail = None, False
        for order in orders:
            _qual, text, inv = tm.dump(order)
            stats["orders_tried"] += 1
            if canon_text is None:
                canon_text = text
            elif text != canon_text:
                raise AssertionError("dump differs across registration orders for %s: %s" % (regs, order))
            inv_fail |= not inv
        stats["subsets_with_order_dependent_cached_table"] += inv_fail
        out.append(line({"q": "table", "registrations": regs},
                        {"entries": table_entries(canon_text, registered=regs)}))
    stats.update({
        "tables": len(out),
        "tables_by_kind": {k: sum(1 for _, kk in subsets if kk == k)
                           for k in ("single", "nested_pair", "random")},
        "random_subset_sizes": {str(z): sum(1 for r, kk in subsets if kk == "random" and len(r) == z)
                                for z in range(1, 9)},
        "random_with_nested_alias": sum(1 for r, kk in subsets if kk == "random" and NESTED_ALIAS in r),
        "tables_with_nested_alias": sum(1 for r, _ in subsets if NESTED_ALIAS in r),
        "tables_with_nested_kernel_tag": sum(1 for x in out if '"tag":"nested kernel"' in x),
        "pool": pool,
        "pool_weights_other_than_1": {n: RANDOM_TABLE_WEIGHTS[n] for n in pool if n in RANDOM_TABLE_WEIGHTS},
        "runtime_keys_skipped_not_parseable": skipped,
    })
    return out, stats


def csr_demo():
    """Show the stale cached AutogradOther entry through an actual call."""
    import torch
    lib = T.C._dispatch_library("DEF", "ft_oracle_demo", "")
    res = {}
    for op, order in (("cia_then_sparse", ["CompositeImplicitAutograd", "SparseCPU"]),
                      ("sparse_then_cia", ["SparseCPU", "CompositeImplicitAutograd"])):
        lib.def_(op + "(Tensor a, Tensor b) -> Tensor")
        for k in order:
            lib.impl_tt_t(op, k, "FTREG<%s>" % k)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = torch.eye(2).to_sparse_csr().requires_grad_()
        try:
            getattr(torch.ops.ft_oracle_demo, op)(t, t)
            outcome = "call succeeded (cached AutogradOther entry = CompositeImplicitAutograd kernel)"
        except RuntimeError as e:
            msg = str(e)
            outcome = ("call raised: ambiguous autogradother kernel"
                       if "registered to both CompositeImplicitAutograd and a backend" in msg
                       else "call raised: " + msg.splitlines()[0][:120])
        dump = parse_dump(T.C._dispatch_dump_table("ft_oracle_demo::" + op))
        res[op] = {"registration_order": order,
                   "input_keyset": str(T.C._dispatch_keys(t)),
                   "outcome": outcome,
                   "dump_AutogradOther": "%s [%s]" % (dump["AutogradOther"][1], dump["AutogradOther"][2])}
    return res


# ---------------------------------------------------------------------------
# fail-closed policy (not torch answers)


def fam_parse_rejections(seed):
    rng = random.Random("%d:parse_rejections" % seed)
    out = []
    err = lambda e: {"error": e}  # noqa: E731

    def ks(text, e):
        out.append(line(keyset_query(text), err(e)))

    # unknown bits 54..63
    for b in range(54, 64):
        ks(T.hexs(1 << b), "unknown_bits")
        ks(T.hexs((1 << b) | 0x4001), "unknown_bits")
    ks("0xffffffffffffffff", "unknown_bits")
    ks("0xffc0000000000000", "unknown_bits")
    for _ in range(40):
        bits = rand_bits(rng) | (rng.randint(1, 1023) << 54)
        ks(T.hexs(bits), "unknown_bits")
    # alias keys inside keyset text
    for a in ALIASES:
        ks(a, "alias_in_keyset")
        ks("CPU|" + a, "alias_in_keyset")
        ks(a + "|AutogradCPU", "alias_in_keyset")
        ks("DispatchKeySet(%s)" % a, "alias_in_keyset")
        ks("DispatchKeySet(CPU, %s)" % a, "alias_in_keyset")
    # unknown names
    for t in ["Foo", "cpu", "CatchAll", "CPU|cpu", "AutogradCpu|CPU", "StartOfDenseBackends",
              "DispatchKeySet(Bogus)", "DispatchKeySet(CPU, NotAKey)"]:
        ks(t, "unknown_key_name")
    # malformed
    for t in ["", "0x", "0xg", "0x4001zz", "0x4001|CPU", "0x10000000000000000",
              "0xfffffffffffffffff", "0x1" + "0" * 20, "CPU|", "|CPU", "CPU||AutogradCPU", "|",
              "DispatchKeySet(CPU", "DispatchKeySet(CPU, AutogradCPU)garbage",
              "DispatchKeySet(CPU, )", "DispatchKeySet(, CPU)", "DispatchKeySet(CPU, , AutogradCPU)",
              "DispatchKeySet"]:
        ks(t, "parse_error")
    # the same policy applies to keyset operands of other queries
    good = "CPU|AutogradCPU"
    for bad, e in [("0x40000000000000", "unknown_bits"), ("CPU|Autograd", "alias_in_keyset"),
                   ("Bogus", "unknown_key_name"), ("CPU|", "parse_error")]:
        out.append(line({"q": "binop", "op": "or", "a": bad, "b": good}, err(e)))
        out.append(line({"q": "binop", "op": "and", "a": good, "b": bad}, err(e)))
        out.append(line({"q": "has", "keyset": bad, "key": "CPU"}, err(e)))
    for bad in ["Bogus", "cpu", "CatchAll"]:
        out.append(line({"q": "has", "keyset": good, "key": bad}, err("unknown_key_name")))
        out.append(line({"q": "full_after", "key": bad}, err("unknown_key_name")))
    return out


# ---------------------------------------------------------------------------


def write(out_dir, name, lines, manifest):
    path = os.path.join(out_dir, name)
    data = ("\n".join(lines) + "\n").encode("ascii")
    with open(path, "wb") as f:
        f.write(data)
    manifest[name] = {"lines": len(lines), "bytes": len(data),
                      "sha256": hashlib.sha256(data).hexdigest()}
    print("%-32s %7d lines %9d bytes" % (name, len(lines), len(data)))


def main():
    ap = argparse.ArgumentParser(description="torch 1.13 oracle fixtures for ft-dispatch --batch")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--random-keysets", type=int, default=DEFAULT_RANDOM,
                    help="random keyset queries; also the number of random binop and random has queries")
    ap.add_argument("--random-tables", type=int, default=DEFAULT_RANDOM_TABLES,
                    help="random registration subsets in tables_random.jsonl (on top of the systematic ones)")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    files = {}
    files["keys.jsonl"] = fam_keys()
    files["keysets.jsonl"] = fam_keysets(args.seed, args.random_keysets)
    files["binops_pairs.jsonl"] = fam_binops_pairs(args.seed)
    files["binops_random.jsonl"] = fam_binops_random(args.seed, args.random_keysets)
    files["has.jsonl"] = fam_has(args.seed, args.random_keysets)
    files["full_after.jsonl"] = fam_full_after()
    tables, report, probe_names = fam_tables(args.seed)
    files["tables.jsonl"] = tables
    files["parse_rejections.jsonl"] = fam_parse_rejections(args.seed)
    files["tables_random.jsonl"], random_table_stats = fam_tables_random(args.seed, args.random_tables)

    manifest_files = {}
    for name in sorted(files):
        write(args.out, name, files[name], manifest_files)

    rep = {
        "torch_version": T.TORCH_VERSION,
        "seed": args.seed,
        "what": ("For each of the 128 table subsets, several registration orders were tried. "
                 "_dispatch_dump_table (fresh computation) was identical for every order of every subset. "
                 "Listed here: subsets where some order leaves the cached dispatch table different from the "
                 "fresh one (_dispatch_check_invariants fails), and, for keys whose name "
                 "_dispatch_has_computed_kernel_for_dispatch_key can parse, cached entries whose validity "
                 "differs from the dump."),
        "probe_key_names_not_parseable_by_torch": [n for n in ["Undefined"] + T.FULL_ITER_NAMES
                                                   if n not in probe_names],
        "affected_subsets": report,
        "sparse_csr_call_demo": csr_demo(),
    }
    data = (json.dumps(rep, indent=1, sort_keys=True) + "\n").encode("ascii")
    with open(os.path.join(args.out, "registration_order_report.json"), "wb") as f:
        f.write(data)
    manifest_files["registration_order_report.json"] = {
        "lines": data.count(b"\n"), "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}

    cmd = "/usr/bin/python3 differential/oracle/gen_fixtures.py --seed %d --random-keysets %d --random-tables %d" % (
        args.seed, args.random_keysets, args.random_tables)
    if os.path.abspath(args.out) != os.path.abspath(DEFAULT_OUT):
        cmd += " --out " + args.out
    manifest = {"torch_version": T.TORCH_VERSION, "seed": args.seed,
                "random_keysets": args.random_keysets, "random_tables": args.random_tables,
                "tables_random": random_table_stats, "command": cmd, "files": manifest_files}
    with open(os.path.join(args.out, "MANIFEST.json"), "w", encoding="ascii", newline="\n") as f:
        f.write(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    print("affected table subsets (registration order):", len(report))
    print("tables_random: %d tables, %d with %s, %d showing a nested kernel, %d orders tried, "
          "%d subsets with an order-dependent cached table" % (
              random_table_stats["tables"], random_table_stats["tables_with_nested_alias"], NESTED_ALIAS,
              random_table_stats["tables_with_nested_kernel_tag"], random_table_stats["orders_tried"],
              random_table_stats["subsets_with_order_dependent_cached_table"]))


if __name__ == "__main__":
    main()

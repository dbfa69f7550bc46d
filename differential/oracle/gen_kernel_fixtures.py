#!/usr/bin/python3
"""Generate kernel-value and gradient fixtures for `ft-dispatch --batch` from torch 1.13.

Usage:
  /usr/bin/python3 differential/oracle/gen_kernel_fixtures.py [--seed N] [--out DIR] [--programs N]

Writes (under --out, default differential/oracle/fixtures):
  kernel_values_f64.jsonl   {"q":"dispatch",...,"mode":"hardened"} on 0-dim f64 tensors
  kernel_values_f32.jsonl   the same for f32
  kernel_strict.jsonl       rsub/sqdiff in strict mode -> composite_fallback_rejected (libft policy)
  grads.jsonl               {"q":"grad",...} random autograd programs, torch's forward value and leaf grads
  grads_strict.jsonl        programs containing rsub/sqdiff in strict mode (libft policy)
  kernel_edge_report.json   the observed edge-case gradient table and NaN-bit observations (not a fixture)

and merges these files' entries into MANIFEST.json (written by gen_fixtures.py), leaving
every other entry untouched, plus a "kernel_fixtures" block with this command.

Every value/grad/bits "expect" is computed by torch on 0-dim CPU tensors.  Each torch
computation is run twice and the generator stops if the two runs differ.  Output is a
pure function of (torch build, --seed, --programs).
"""

import argparse
import ctypes
import ctypes.util
import json
import math
import os
import random
import struct
import sys

sys.dont_write_bytecode = True

# Pin ATen's CPU kernel capability before torch is imported.  With the native
# AVX2/AVX-512 dispatch, torch.log on a 0-dim tensor goes through a vectorised (Sleef)
# log that differs from glibc's log by 1 ulp in ~0.4% of inputs; pow's exponent
# gradient uses it.  "default" makes every elementwise function a plain libm call, so
# the fixtures do not depend on the generating machine's CPU.
os.environ["ATEN_CPU_CAPABILITY"] = "default"

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixture_manifest import file_entry, merge as merge_manifest  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "fixtures")
DEFAULT_SEED = 20221028
DEFAULT_PROGRAMS = 1000          # plain random hardened programs (edge families come on top)

DTYPES = {"f64": torch.float64, "f32": torch.float32}
TOLERANCE = {"ulps": 4, "rel": 1e-12}


def sqdiff(a, b):
    d = torch.sub(a, b)
    return torch.mul(d, d)


OPS = {
    "add": torch.add,
    "sub": torch.sub,
    "mul": torch.mul,
    "div": torch.div,
    "maximum": torch.maximum,
    "minimum": torch.minimum,
    "atan2": torch.atan2,
    "pow": torch.pow,
    "rsub": torch.rsub,
    "sqdiff": sqdiff,
}
OP_NAMES = list(OPS)
COMPOSITE_OPS = ["rsub", "sqdiff"]


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def line(query, expect, **extra):
    d = {"query": query, "expect": expect}
    d.update(extra)
    return dumps(d)


# ---------------------------------------------------------------------------
# numbers


def to_dtype(v, d):
    """v rounded to dtype d (exact for f64; float32 round trip for f32)."""
    return float(np.float32(v)) if d == "f32" else float(v)


def vtext(v):
    """Input value text: Python repr() of the double ('0.1', '-0.0', '5e-324', 'inf', 'nan')."""
    return repr(float(v))


def fmt(v):
    """C printf %.17g of a double, with nan / inf / -inf / -0 spelled out."""
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if v == 0.0 and math.copysign(1.0, v) < 0:
        return "-0"
    return "%.17g" % v


def tbits(t, d):
    b = t.detach().contiguous().numpy().tobytes()
    if d == "f64":
        assert len(b) == 8
        return "0x%016x" % struct.unpack("<Q", b)[0]
    assert len(b) == 4
    return "0x%08x" % struct.unpack("<I", b)[0]


def tval(t):
    return float(t.detach().item())


def special_values(d):
    if d == "f64":
        sub_min, sub_mid = 5e-324, 1e-310
        tiny, big = sys.float_info.min, sys.float_info.max
    else:
        sub_min = float(np.float32(2.0 ** -149))
        sub_mid = float(np.float32(1e-40))
        tiny = float(np.finfo(np.float32).tiny)
        big = float(np.finfo(np.float32).max)
    vals = [0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5, 3.0, -2.5, math.inf, -math.inf, math.nan,
            sub_min, sub_mid, tiny, big, 1e-10, 1e10, math.pi, math.e]
    return [to_dtype(v, d) for v in vals]


def random_values(rng, d, n):
    out = []
    for _ in range(n):
        sign = -1.0 if rng.random() < 0.5 else 1.0
        out.append(to_dtype(sign * rng.uniform(1.0, 10.0) * 10.0 ** rng.randint(-8, 8), d))
    return out


# ---------------------------------------------------------------------------
# A) kernel values


def kernel_eval(op, x, y, d):
    dt = DTYPES[d]
    res = []
    for _ in range(2):                       # determinism: evaluate twice, compare bits
        a = torch.tensor(x, dtype=dt)
        b = torch.tensor(y, dtype=dt)
        assert a.dim() == 0 and tbits(a, d) == tbits(torch.tensor(x, dtype=dt), d)
        r = OPS[op](a, b)
        assert r.dtype == dt and r.dim() == 0, (op, r)
        res.append((fmt(tval(r)), tbits(r, d)))
    if res[0] != res[1]:
        raise SystemExit("torch non-deterministic: %s %r %r %s: %r" % (op, x, y, d, res))
    return res[0]


def kernel_query(op, x, y, d, mode):
    return {"q": "dispatch", "op": op, "mode": mode,
            "lhs": {"value": vtext(x), "dtype": d}, "rhs": {"value": vtext(y), "dtype": d}}


def fam_kernel_values(seed, d, nan_obs):
    rng = random.Random("%d/kernel/%s" % (seed, d))
    specials = special_values(d)
    randoms = random_values(rng, d, 10)
    lines = []
    if d == "f64":
        grid = specials + randoms
        pairs_for = lambda op: [(x, y) for x in grid for y in grid]  # noqa: E731
    else:
        sp = [(x, y) for x in specials for y in specials]
        mixed = [(x, y) for x in specials + randoms for y in specials + randoms
                 if x in randoms or y in randoms]

        def pairs_for(op):
            return sp + rng.sample(mixed, 20)
    for op in OP_NAMES:
        for x, y in pairs_for(op):
            text, bits = kernel_eval(op, x, y, d)
            if text == "nan":
                nan_obs.setdefault((d, op, bits), []).append((vtext(x), vtext(y)))
            # "subset": these lines pin the value; the answer's decision is judged elsewhere
            lines.append(line(kernel_query(op, x, y, d, "hardened"),
                              {"ok": True, "value": text, "value_bits": bits}, match="subset"))
    return lines, randoms


def fam_kernel_strict(seed):
    rng = random.Random("%d/kernel_strict" % seed)
    lines = []
    for d in ("f64", "f32"):
        pool = special_values(d)
        for op in COMPOSITE_OPS:
            for _ in range(5):
                x, y = rng.choice(pool), rng.choice(pool)
                lines.append(line(kernel_query(op, x, y, d, "strict"),
                                  {"ok": False, "error": "composite_fallback_rejected"}))
    return lines


# ---------------------------------------------------------------------------
# B) gradients


def run_program_once(d, leaves, program, root):
    """Runs the program in torch and returns (answer, forward values).

    The answer's "order" lists, in backward execution order, the libft tape
    variables whose grad_fn ran: variables are the leaves, then one per op output,
    sqdiff contributing two (its sub, then its mul), as the C tape numbers them.
    The order is read from hooks on each grad_fn, so it is torch's engine's own."""
    dt = DTYPES[d]
    ts = [torch.tensor(v, dtype=dt, requires_grad=rg) for v, rg in leaves]
    vals = list(ts)
    tapevars = list(ts)
    for op, l, r in program:
        assert l < len(vals) and r < len(vals)
        if op == "sqdiff":
            diff = torch.sub(vals[l], vals[r])
            out = torch.mul(diff, diff)
            tapevars += [diff, out]
        else:
            out = OPS[op](vals[l], vals[r])
            tapevars.append(out)
        vals.append(out)
    R = vals[root]
    if not R.requires_grad:
        try:
            R.backward()
        except RuntimeError as e:
            assert "does not require grad" in str(e), str(e)
            return {"ok": False, "error": "root_does_not_require_grad"}, None
        raise AssertionError("backward on a root without grad did not raise")
    value = fmt(tval(R))
    order = []
    for i, t in enumerate(tapevars):
        if t.grad_fn is not None:
            t.grad_fn.register_hook(lambda grad_in, grad_out, i=i: order.append(i))
    R.backward()
    grads = []
    for t, (_, rg) in zip(ts, leaves):
        grads.append(fmt(tval(t.grad)) if rg and t.grad is not None else None)
    fwd = [tval(v) for v in vals]
    return {"ok": True, "error": None, "value": value, "grads": grads, "order": order}, fwd


def run_program(d, leaves, program, root):
    a, fwd = run_program_once(d, leaves, program, root)
    b, _ = run_program_once(d, leaves, program, root)
    if a != b:
        raise SystemExit("torch autograd non-deterministic: %r %r" % (a, b))
    return a, fwd


def grad_query(d, leaves, program, root, mode="hardened"):
    return {"q": "grad", "mode": mode, "dtype": d,
            "leaves": [{"value": vtext(v), "requires_grad": rg} for v, rg in leaves],
            "program": [{"op": op, "lhs": l, "rhs": r} for op, l, r in program],
            "root": root}


def forward_values(d, leaves, program):
    dt = DTYPES[d]
    vals = [torch.tensor(v, dtype=dt) for v, _ in leaves]
    out = [v for v, _ in leaves]
    for op, l, r in program:
        t = OPS[op](vals[l], vals[r])
        vals.append(t)
        out.append(tval(t))
    return out


NICE = [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, -0.5, -1.0, -1.5, -2.0, -3.0, 0.25, 0.75]


def leaf_value(rng, d):
    if rng.random() < 0.2:
        return to_dtype(rng.choice(NICE), d)
    v = rng.uniform(0.1, 3.0)
    if rng.random() < 0.4:
        v = -v
    return to_dtype(v, d)


def random_leaves(rng, d, n=None, force_grad=True):
    n = n or rng.randint(1, 4)
    leaves = [(leaf_value(rng, d), rng.random() < 0.6) for _ in range(n)]
    if force_grad and not any(rg for _, rg in leaves):
        j = rng.randrange(n)
        leaves[j] = (leaves[j][0], True)
    return leaves


def pick_index(rng, n_avail):
    if rng.random() < 0.5:
        return rng.randrange(max(0, n_avail - 3), n_avail)
    return rng.randrange(n_avail)


def random_step(rng, vals, ops=OP_NAMES, guided=True):
    """One random step over indices 0..len(vals)-1, steering pow/div towards finite results."""
    n = len(vals)
    op = rng.choice(ops)
    l = pick_index(rng, n)
    r = l if rng.random() < 0.1 else pick_index(rng, n)
    if guided:
        if op == "pow":
            pos = [i for i in range(n) if 0.05 < vals[i] < 1e3]
            if not (vals[l] > 0) and pos and rng.random() < 0.85:
                l = rng.choice(pos)
            small = [i for i in range(n) if abs(vals[i]) <= 4]
            if not (abs(vals[r]) <= 4) and small and rng.random() < 0.9:
                r = rng.choice(small)
        elif op == "div":
            ok = [i for i in range(n) if abs(vals[i]) > 1e-3]
            if not (abs(vals[r]) > 1e-3) and ok and rng.random() < 0.9:
                r = rng.choice(ok)
    return op, l, r


def finite_ok(fwd, ans):
    if not all(math.isfinite(v) and abs(v) < 1e30 for v in fwd):
        return False
    return all(g is None or g not in ("nan", "inf", "-inf") for g in ans["grads"])


def gen_random_program(rng, d, root_mode="last"):
    for _ in range(50):
        leaves = random_leaves(rng, d)
        nops = rng.randint(1, 12)
        program = []
        vals = [v for v, _ in leaves]
        for _ in range(nops):
            step = random_step(rng, vals)
            program.append(step)
            vals = forward_values(d, leaves, program)
        n_idx = len(leaves) + len(program)
        if root_mode == "last":
            root = n_idx - 1
        elif root_mode == "leaf":
            root = rng.randrange(len(leaves))
        else:  # an earlier program output (or a leaf when there is a single op)
            root = rng.randrange(n_idx - 1)
        ans, fwd = run_program(d, leaves, program, root)
        if ans["ok"] and finite_ok(fwd, ans):
            return leaves, program, root, ans
    return leaves, program, root, ans


def extend(rng, d, leaves, program, k_max=3):
    """Append 0..k_max random steps, each consuming the previous output."""
    program = list(program)
    for _ in range(rng.randint(0, k_max)):
        vals = forward_values(d, leaves, program)
        n = len(vals)
        op, _, r = random_step(rng, vals, guided=False)
        if rng.random() < 0.5:
            program.append((op, n - 1, r))
        else:
            program.append((op, r, n - 1))
    return program


def edge_programs(rng, d):
    """(family, leaves, program) triples aimed at the edge cases; root = last output."""
    T = lambda v: to_dtype(v, d)  # noqa: E731
    out = []
    # maximum / minimum ties
    for _ in range(20):
        v = leaf_value(rng, d)
        op = rng.choice(["maximum", "minimum"])
        kind = rng.randrange(4)
        if kind == 0:      # op(x, x)
            leaves, prog = [(v, True)], [(op, 0, 0)]
        elif kind == 1:    # two leaves, same value
            leaves, prog = [(v, True), (v, rng.random() < 0.7)], [(op, 0, 1)]
        elif kind == 2:    # tie between a leaf and a computed value: op(x, add(x, 0)) etc.
            leaves = [(v, True), (T(0.0), rng.random() < 0.5)]
            prog = [("add", 0, 1), (op, 0, 2)]
        else:              # op(mul(x,y), mul(y,x))
            leaves = [(v, True), (leaf_value(rng, d), True)]
            prog = [("mul", 0, 1), ("mul", 1, 0), (op, 2, 3)]
        out.append(("tie", leaves, extend(rng, d, leaves, prog)))
    for a, b in [(0.0, 0.0), (-0.0, 0.0), (1.5, 1.5), (-2.0, -2.0)]:
        for op in ("maximum", "minimum"):
            out.append(("tie", [(T(a), True), (T(b), True)], [(op, 0, 1)]))
    # pow with base 0 (and -0), exponent 0 / positive / negative
    for base in (0.0, -0.0):
        for e in (0.0, 0.5, 1.0, 2.0, 3.0, 2.5, -1.0):
            out.append(("pow_zero", [(T(base), True), (T(e), True)], [("pow", 0, 1)]))
    for _ in range(10):
        e = rng.choice([0.0, 1.0, 2.0, 0.5, 3.0])
        leaves = [(T(0.0), True), (T(e), rng.random() < 0.8)]
        out.append(("pow_zero", leaves, extend(rng, d, leaves, [("pow", 0, 1)])))
    # pow(x, 0) for non-zero x, and pow(x, x) / pow via computed zero exponent
    for b in (2.0, -2.0, 0.5):
        out.append(("pow_zero", [(T(b), True), (T(0.0), True)], [("pow", 0, 1)]))
    out.append(("pow_zero", [(T(1.5), True)], [("sub", 0, 0), ("pow", 1, 1)]))
    out.append(("pow_zero", [(T(1.5), True)], [("sub", 0, 0), ("pow", 0, 1)]))
    # pow with a negative base and integer exponent
    for _ in range(20):
        b = -rng.choice([0.5, 1.0, 1.5, 2.0, 3.0, rng.uniform(0.2, 3.0)])
        e = float(rng.choice([-2, -1, 1, 2, 3, 4]))
        leaves = [(T(b), True), (T(e), rng.random() < 0.8)]
        out.append(("pow_negbase", leaves, extend(rng, d, leaves, [("pow", 0, 1)])))
    out.append(("pow_negbase", [(T(-2.0), True), (T(0.5), True)], [("pow", 0, 1)]))  # nan
    # atan2 at (0, 0) and signed zeros
    for y in (0.0, -0.0):
        for x in (0.0, -0.0):
            out.append(("atan2_zero", [(T(y), True), (T(x), True)], [("atan2", 0, 1)]))
    out.append(("atan2_zero", [(T(0.0), True)], [("atan2", 0, 0)]))
    for _ in range(8):
        leaves = [(T(0.0), True), (T(0.0), rng.random() < 0.7)]
        out.append(("atan2_zero", leaves, extend(rng, d, leaves, [("atan2", 0, 1)])))
    out.append(("atan2_zero", [(T(1.25), True)], [("sub", 0, 0), ("atan2", 1, 1)]))
    # division by zero
    for x in (1.0, -1.0, 0.0, -0.0, 2.5):
        for z in (0.0, -0.0):
            out.append(("div_zero", [(T(x), True), (T(z), True)], [("div", 0, 1)]))
    for _ in range(6):
        leaves = [(leaf_value(rng, d), True), (T(0.0), True)]
        out.append(("div_zero", leaves, extend(rng, d, leaves, [("div", 0, 1)])))
    out.append(("div_zero", [(T(1.5), True)], [("sub", 0, 0), ("div", 0, 1)]))
    # NaN / inf leaves
    specials = [math.nan, math.inf, -math.inf]
    for op in OP_NAMES:
        for s in specials:
            out.append(("nonfinite", [(T(s), True), (T(1.5), True)], [(op, 0, 1)]))
    made = 0
    while made < 15:
        leaves = random_leaves(rng, d, n=rng.randint(1, 3))
        j = rng.randrange(len(leaves))
        leaves[j] = (T(rng.choice(specials)), True)
        vals = [v for v, _ in leaves]
        prog = []
        for _ in range(rng.randint(1, 5)):
            prog.append(random_step(rng, vals))
            vals = forward_values(d, leaves, prog)
        root = len(leaves) + len(prog) - 1
        if run_program(d, leaves, prog, root)[0]["ok"]:   # keep only roots that require grad
            out.append(("nonfinite", leaves, prog))
            made += 1
    return out


def fam_grads(seed, n_programs):
    rng = random.Random("%d/grads" % seed)
    lines = []
    counts = {}

    def emit(family, d, leaves, program, root, ans=None):
        if ans is None:
            ans, _ = run_program(d, leaves, program, root)
        counts[family] = counts.get(family, 0) + 1
        lines.append(line(grad_query(d, leaves, program, root), ans, tolerance=TOLERANCE))

    for i in range(n_programs):
        d = "f64" if i % 2 == 0 else "f32"
        leaves, program, root, ans = gen_random_program(rng, d)
        emit("random", d, leaves, program, root, ans)
    for i in range(64):          # ~5%: root is a leaf or an earlier output
        d = "f64" if i % 2 == 0 else "f32"
        leaves, program, root, ans = gen_random_program(rng, d, "leaf" if i % 4 < 2 else "earlier")
        emit("root_not_last", d, leaves, program, root, ans)
    for d in ("f64", "f32"):
        for family, leaves, program in edge_programs(rng, d):
            emit(family, d, leaves, program, len(leaves) + len(program) - 1)
    # root does not require grad
    made = 0
    while made < 24:
        d = "f64" if made % 2 == 0 else "f32"
        leaves = random_leaves(rng, d, force_grad=False)
        nleaf = len(leaves)
        if made % 3 == 0:                   # no leaf requires grad at all
            leaves = [(v, False) for v, _ in leaves]
        else:                               # some do, but the root does not depend on them
            leaves = [(v, j != 0) if nleaf > 1 else (v, False) for j, (v, _) in enumerate(leaves)]
        avail = [j for j in range(nleaf) if not leaves[j][1]]
        program = []
        nodes = list(avail)
        for _ in range(rng.randint(0, 4)):
            op = rng.choice(OP_NAMES)
            program.append((op, rng.choice(nodes), rng.choice(nodes)))
            nodes.append(nleaf + len(program) - 1)
            if nleaf > 1 and rng.random() < 0.3:   # unrelated grad-requiring work
                program.append((rng.choice(OP_NAMES), 0, rng.randrange(nleaf + len(program))))
        root = nodes[-1]
        ans, _ = run_program(d, leaves, program, root)
        if ans["ok"]:
            continue
        emit("root_no_grad", d, leaves, program, root, ans)
        made += 1
    return lines, counts


def fam_grads_strict(seed):
    rng = random.Random("%d/grads_strict" % seed)
    lines = []
    for i in range(30):
        d = "f64" if i % 2 == 0 else "f32"
        leaves = random_leaves(rng, d)
        vals = [v for v, _ in leaves]
        program = []
        nops = rng.randint(1, 6)
        at = rng.randrange(nops)
        for k in range(nops):
            ops = COMPOSITE_OPS if k == at else OP_NAMES
            program.append(random_step(rng, vals, ops=ops))
            vals = forward_values(d, leaves, program)
        assert any(op in COMPOSITE_OPS for op, _, _ in program)
        root = len(leaves) + len(program) - 1
        lines.append(line(grad_query(d, leaves, program, root, mode="strict"),
                          {"ok": False, "error": "composite_fallback_rejected"}, tolerance=TOLERANCE))
    return lines


# ---------------------------------------------------------------------------
# The edge table for the README (single ops, both operands requiring grad)

EDGE_TABLE = [
    ("maximum", 1.5, 1.5), ("minimum", 1.5, 1.5), ("maximum", 0.0, -0.0), ("minimum", -0.0, 0.0),
    ("maximum", 1.0, 2.0), ("maximum", math.nan, 1.0), ("minimum", 1.0, math.nan),
    ("pow", 0.0, 0.0), ("pow", 0.0, 0.5), ("pow", 0.0, 1.0), ("pow", 0.0, 2.0), ("pow", 0.0, -1.0),
    ("pow", -0.0, 2.0), ("pow", 2.0, 0.0), ("pow", -2.0, 0.0), ("pow", -2.0, 2.0), ("pow", -2.0, 3.0),
    ("pow", -2.0, 0.5), ("atan2", 0.0, 0.0), ("atan2", -0.0, -0.0), ("atan2", 1.0, 0.0),
    ("div", 1.0, 0.0), ("div", 1.0, -0.0), ("div", 0.0, 0.0), ("div", -1.0, 0.0),
    ("sqdiff", 2.0, 2.0), ("rsub", 1.0, 2.0), ("mul", math.inf, 0.0), ("sub", math.inf, math.inf),
]
SELF_TABLE = [("maximum", 1.5), ("minimum", 1.5), ("mul", 1.5), ("pow", 1.5), ("pow", 0.0),
              ("atan2", 0.0), ("div", 0.0), ("sqdiff", 1.5), ("sub", 1.5)]


def edge_report():
    rows = []
    for op, x, y in EDGE_TABLE:
        for d in ("f64", "f32"):
            ans, _ = run_program(d, [(x, True), (y, True)], [(op, 0, 1)], 2)
            rows.append({"op": op, "dtype": d, "lhs": vtext(x), "rhs": vtext(y),
                         "value": ans["value"], "grad_lhs": ans["grads"][0], "grad_rhs": ans["grads"][1]})
    same = []
    for op, x in SELF_TABLE:
        for d in ("f64", "f32"):
            ans, _ = run_program(d, [(x, True)], [(op, 0, 0)], 1)
            same.append({"op": op, "dtype": d, "x": vtext(x), "value": ans["value"], "grad_x": ans["grads"][0]})
    return {"two_leaves": rows, "same_leaf_twice": same}


# ---------------------------------------------------------------------------


def check_libm():
    """Stop unless torch's log/pow/atan2 on 0-dim tensors are glibc's (see ATEN_CPU_CAPABILITY above)."""
    rng = random.Random(7)
    for _ in range(4000):
        x, y = rng.uniform(1e-3, 100.0), rng.uniform(-5.0, 5.0)
        t = torch.tensor(x, dtype=torch.float64)
        if (torch.log(t).item() != math.log(x)
                or torch.pow(t, torch.tensor(y, dtype=torch.float64)).item() != math.pow(x, y)
                or torch.atan2(torch.tensor(y, dtype=torch.float64), t).item() != math.atan2(y, x)):
            raise SystemExit("torch's log/pow/atan2 differ from libm at x=%r y=%r "
                             "(is ATEN_CPU_CAPABILITY=default in effect?)" % (x, y))


# ---------------------------------------------------------------------------
# Replay of the grad fixtures with the formulas stated in README.md (no torch):
# reverse mode over the program steps from last to first (torch's engine runs nodes
# in decreasing sequence number; a tensor's incoming grads are summed in arrival
# order), per-op formulas of torch 1.13's derivatives.yaml, libm for pow/log/atan2.

_LIBM = ctypes.CDLL(ctypes.util.find_library("m"))
for _n, _t in (("pow", ctypes.c_double), ("log", ctypes.c_double), ("atan2", ctypes.c_double),
               ("powf", ctypes.c_float), ("logf", ctypes.c_float), ("atan2f", ctypes.c_float)):
    getattr(_LIBM, _n).restype = _t
    getattr(_LIBM, _n).argtypes = [_t] * (1 if _n.startswith("log") else 2)


def replay(q):
    F = np.float64 if q["dtype"] == "f64" else np.float32
    sfx = "" if F is np.float64 else "f"
    pw = lambda a, b: F(getattr(_LIBM, "pow" + sfx)(float(a), float(b)))  # noqa: E731
    lg = lambda a: F(getattr(_LIBM, "log" + sfx)(float(a)))  # noqa: E731
    at = lambda a, b: F(getattr(_LIBM, "atan2" + sfx)(float(a), float(b)))  # noqa: E731
    zero, one, two = F(0), F(1), F(2)
    fwd = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
           "div": lambda a, b: a / b, "rsub": lambda a, b: b - a, "sqdiff": lambda a, b: (a - b) * (a - b),
           # c10: NaN if either is NaN, else std::max / std::min (ties, including -0 vs 0, give lhs)
           "maximum": lambda a, b: F(math.nan) if (a != a or b != b) else (b if a < b else a),
           "minimum": lambda a, b: F(math.nan) if (a != a or b != b) else (b if b < a else a),
           "atan2": at, "pow": pw}

    def bwd(op, s, o, r, g):
        if op == "add":
            return g, g
        if op == "sub":
            return g, -g
        if op == "rsub":
            return -g, g
        if op == "mul":
            return g * o, g * s
        if op == "div":
            return g / o, -g * ((s / o) / o)
        if op == "sqdiff":
            d = s - o
            gd = g * d + g * d
            return gd, -gd
        if op in ("maximum", "minimum"):
            h = g / two if s == o else g
            lose_s = (s < o) if op == "maximum" else (s > o)
            lose_o = (s > o) if op == "maximum" else (s < o)
            return (zero if lose_s else h), (zero if lose_o else h)
        if op == "atan2":
            rc = one / (s * s + o * o)
            return (g * o) * rc, (g * -s) * rc
        if op == "pow":
            gs = zero if o == 0 else g * (o * pw(s, o - one))
            ge = g * (zero if (s == 0 and o >= 0) else r * lg(s))
            return gs, ge
        raise ValueError(op)

    vals = [F(float(l["value"])) for l in q["leaves"]]
    req = [l["requires_grad"] for l in q["leaves"]]
    nl = len(vals)
    for st in q["program"]:
        a, b = vals[st["lhs"]], vals[st["rhs"]]
        vals.append(F(fwd[st["op"]](a, b)))
        req.append(req[st["lhs"]] or req[st["rhs"]])
    root = q["root"]
    if not req[root]:
        return {"ok": False, "error": "root_does_not_require_grad"}
    buf = {root: one}
    for k in range(len(q["program"]) - 1, -1, -1):
        i = nl + k
        if i not in buf:
            continue
        st = q["program"][k]
        gl, gr = bwd(st["op"], vals[st["lhs"]], vals[st["rhs"]], vals[i], buf.pop(i))
        for idx, gv in ((st["lhs"], gl), (st["rhs"], gr)):
            if req[idx]:
                buf[idx] = F(gv) if idx not in buf else F(buf[idx] + gv)
    grads = [fmt(float(buf[j])) if req[j] and j in buf else None for j in range(nl)]
    return {"ok": True, "error": None, "value": fmt(float(vals[root])), "grads": grads}


def replay_grads(lines):
    exact = 0
    mismatches = []
    with np.errstate(all="ignore"):
        for ln in lines:
            o = json.loads(ln)
            got = replay(o["query"])
            # the formula replay checks values and grads; the order is torch's own record
            want = {k: v for k, v in o["expect"].items() if k != "order"}
            if got == want:
                exact += 1
            else:
                mismatches.append({"query": o["query"], "torch": o["expect"], "formulas": got})
    return {"lines": len(lines), "bit_exact": exact, "mismatches": mismatches}


def write(out_dir, name, data, entries):
    with open(os.path.join(out_dir, name), "wb") as f:
        f.write(data)
    entries[name] = file_entry(data)
    print("%-32s %7d lines %9d bytes" % (name, entries[name]["lines"], len(data)))


def main():
    ap = argparse.ArgumentParser(description="torch 1.13 kernel-value and gradient fixtures")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--programs", type=int, default=DEFAULT_PROGRAMS,
                    help="plain random hardened gradient programs (edge families are added on top)")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    check_libm()

    nan_obs = {}
    files = {}
    rand_vals = {}
    for d in ("f64", "f32"):
        files["kernel_values_%s.jsonl" % d], rand_vals[d] = fam_kernel_values(args.seed, d, nan_obs)
    files["kernel_strict.jsonl"] = fam_kernel_strict(args.seed)
    files["grads.jsonl"], counts = fam_grads(args.seed, args.programs)
    files["grads_strict.jsonl"] = fam_grads_strict(args.seed)

    entries = {}
    for name in sorted(files):
        write(args.out, name, ("\n".join(files[name]) + "\n").encode("ascii"), entries)

    report = {
        "torch_version": torch.__version__,
        "seed": args.seed,
        "aten_cpu_capability": os.environ["ATEN_CPU_CAPABILITY"],
        "random_grid_values": {d: [vtext(v) for v in rand_vals[d]] for d in rand_vals},
        "grad_program_families": counts,
        "nan_bits_by_op": [{"dtype": d, "op": op, "bits": bits, "count": len(v), "examples": v[:4]}
                           for (d, op, bits), v in sorted(nan_obs.items())],
        "edge_gradients": edge_report(),
        "formula_replay_of_grads_jsonl": replay_grads(files["grads.jsonl"]),
    }
    write(args.out, "kernel_edge_report.json",
          (json.dumps(report, indent=1, sort_keys=True) + "\n").encode("ascii"), entries)

    cmd = "/usr/bin/python3 differential/oracle/gen_kernel_fixtures.py --seed %d --programs %d" % (
        args.seed, args.programs)
    if os.path.abspath(args.out) != os.path.abspath(DEFAULT_OUT):
        cmd += " --out " + args.out
    # Merge into MANIFEST.json (owned by gen_fixtures.py): only our own entries change.
    merge_manifest(args.out, entries, "kernel_fixtures",
                   {"command": cmd, "seed": args.seed, "programs": args.programs,
                    "torch_version": torch.__version__, "files": sorted(entries),
                    "aten_cpu_capability": os.environ["ATEN_CPU_CAPABILITY"]})
    print("grad program families:", json.dumps(counts, sort_keys=True))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Generate fixtures/c10_routes.jsonl: how torch 1.13 derives a call's keyset and
route from real tensors and its grad/inference modes (libft's c10 profile).

Usage:
  /usr/bin/python3 differential/oracle/gen_c10_fixtures.py [--out DIR]

It defines a recording operator with torch.library, ftc10probe::probe(Tensor a,
Tensor b) -> Tensor, with a Python kernel under every dense backend key (CPU ..
PrivateUse3), every Autograd<backend> key torch can parse (all but AutogradHIP and
AutogradVE) plus AutogradOther, and the Python key. Each kernel appends its key to
a log; an autograd kernel then redispatches below autograd
(torch._C._AutoDispatchBelowAutograd), the Python-key kernel with Python excluded,
and a backend kernel returns a fresh tensor. So the log is the sequence of kernels
that really ran, in order.

Each line is one call probe(a, b) under one of four modes (enable_grad, no_grad,
inference_mode, inference_mode with enable_grad inside) on one backend, a and b each
ordinary or inference (made under inference_mode) and requiring grad or not. Lines
are ft-fixture-replay cases (differential/BATCH.md) of the batch query "probe",
which routes a libft operator with the same registrations under the c10 profile:

  {"id", ["match":"subset",] "query": {"q":"probe", "registrations", "profile":"c10",
     "grad_mode", "inference_mode", "lhs": {"value", "device", "requires_grad",
     "inference"}, "rhs": {...}},
   "expect": {"ok":true, "error":null, "lhs": {"keyset_bits", "keyset"}, "rhs": {...},
     "include_bits", "exclude_bits", "dispatch_keyset_bits", "dispatch_keyset",
     "route": [KEY...], "result": {"requires_grad", "inference", "grad_fn"}}}

Torch-computed: each operand's keys (torch._C._dispatch_keys, raw bits read with
torch_oracle's ctypes trick, and str()), the TLS include/exclude sets read inside
the mode, the dispatch keyset ((keys(a) | keys(b) | include) - exclude, computed
with torch's own DispatchKeySet operators: the dispatcher's computeDispatchKeySet,
which Python kernels cannot see directly), the route (the kernel log), and
"result": what torch.add(a, b) gives under the same mode (requires_grad, is_inference,
grad_fn is not None) - only for real tensors.

Real tensors exist on CPU and Meta. The other backends are faked with
torch.Tensor._make_wrapper_subclass(device=...), which builds a TensorImpl with that
device's keys but also adds Python and PythonTLSSnapshot. For those lines the
generator removes exactly those two keys from every keyset and the "Python" hop from
the route, and has no "result" ("match":"subset"); it asserts that the wrapper had
exactly those keys and one Python hop. CPU and Meta are also probed as wrappers, and
the generator asserts those rows equal the real ones after the removal. PrivateUse2/3
have no device type and cannot be probed.

The output is a pure function of the torch build; MANIFEST.json gets this file's
entry and a "c10_fixtures" block (other entries untouched; run after gen_fixtures.py).
"""

import argparse
import itertools
import json
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_oracle as T  # noqa: E402
from fixture_manifest import file_entry, merge as merge_manifest  # noqa: E402

torch = T.torch
from torch.library import Library  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "fixtures")
FILE = "c10_routes.jsonl"

# libft's backend names (ft_backend_name) -> torch device type.
DEVICES = [("CPU", "cpu"), ("CUDA", "cuda"), ("HIP", "hip"), ("XLA", "xla"), ("MPS", "mps"), ("IPU", "ipu"),
           ("XPU", "xpu"), ("HPU", "hpu"), ("VE", "ve"), ("Lazy", "lazy"), ("Meta", "meta"),
           ("PrivateUse1", "privateuseone")]
REAL = {"CPU", "Meta"}
BACKEND_KEYS = ["CPU", "CUDA", "HIP", "XLA", "MPS", "IPU", "XPU", "HPU", "VE", "Lazy", "Meta", "PrivateUse1",
                "PrivateUse2", "PrivateUse3"]
UNPARSEABLE = {"AutogradHIP", "AutogradVE"}  # torch.library: "could not parse dispatch key"
AUTOGRAD_KEYS = [k for k in ["Autograd" + b for b in BACKEND_KEYS] if k not in UNPARSEABLE] + ["AutogradOther"]
PYTHON_BITS = T.raw(T.DKS(T.DK.Python) | T.DKS(T.DK.PythonTLSSnapshot))
MODES = [  # name, grad_mode, inference_mode
    ("enable_grad", True, False),
    ("no_grad", False, False),
    ("inference_mode", False, True),
    ("inference_mode_enable_grad", True, True),
]
KINDS = [(inf, rg) for inf in (False, True) for rg in (False, True)]

LOG = []


class Fake(torch.Tensor):
    """A tensor of any device type with no storage: only its keys matter."""

    @staticmethod
    def __new__(cls, device, requires_grad=False):
        return torch.Tensor._make_wrapper_subclass(cls, (), dtype=torch.float64, device=device,
                                                   requires_grad=requires_grad)

    @classmethod
    def __torch_dispatch__(cls, func, types, args=(), kwargs=None):
        raise RuntimeError("Fake: %s reached __torch_dispatch__" % func)


def define_probe():
    lib = Library("ftc10probe", "DEF")
    lib.define("probe(Tensor a, Tensor b) -> Tensor")

    def backend(key):
        def kernel(a, b):
            LOG.append(key)
            if isinstance(a, Fake):
                return Fake(a.device)
            return torch.empty_like(a)
        return kernel

    def autograd(key):
        def kernel(a, b):
            LOG.append(key)
            guard = torch._C._AutoDispatchBelowAutograd()  # RAII: held until del
            try:
                return torch.ops.ftc10probe.probe(a, b)
            finally:
                del guard
        return kernel

    def python(a, b):
        LOG.append("Python")
        guard = torch._C.ExcludeDispatchKeyGuard(T.DKS(T.DK.Python))
        try:
            return torch.ops.ftc10probe.probe(a, b)
        finally:
            del guard

    for k in BACKEND_KEYS:
        lib.impl("probe", backend(k), k)
    for k in AUTOGRAD_KEYS:
        lib.impl("probe", autograd(k), k)
    lib.impl("probe", python, "Python")
    return lib  # keep it alive: the registrations die with it


def make_tensor(device, fake, inference, requires_grad, value):
    def build():
        if fake:
            return Fake(device, requires_grad)
        return torch.tensor(value, dtype=torch.float64, device=device, requires_grad=requires_grad)
    if inference:
        with torch.inference_mode():
            t = build()
    else:
        t = build()
    assert t.is_inference() == inference and t.requires_grad == requires_grad
    return t


class Mode:
    def __init__(self, grad_mode, inference_mode):
        self.grad_mode, self.inference_mode = grad_mode, inference_mode

    def __enter__(self):
        self.stack = []
        if self.inference_mode:
            self.stack.append(torch.inference_mode())
        self.stack.append(torch.enable_grad() if self.grad_mode else torch.no_grad())
        for c in self.stack:
            c.__enter__()
        assert torch.is_grad_enabled() == self.grad_mode
        assert torch.is_inference_mode_enabled() == self.inference_mode

    def __exit__(self, *exc):
        for c in reversed(self.stack):
            c.__exit__(*exc)


def hexs(bits):
    return "0x%x" % bits


def operand_expect(t, strip):
    bits = T.raw(torch._C._dispatch_keys(t)) & ~strip
    return {"keyset_bits": hexs(bits), "keyset": str(T.make(bits))}


def probe(backend, device, fake, mode, kinds):
    name, grad_mode, inference_mode = mode
    values = (1.5, 2.25)
    a = make_tensor(device, fake, kinds[0][0], kinds[0][1], values[0])
    b = make_tensor(device, fake, kinds[1][0], kinds[1][1], values[1])
    strip = PYTHON_BITS if fake else 0
    with Mode(grad_mode, inference_mode):
        inc = torch._C._dispatch_tls_local_include_set()
        exc = torch._C._dispatch_tls_local_exclude_set()
        ks = (torch._C._dispatch_keys(a) | torch._C._dispatch_keys(b) | inc) - exc
        del LOG[:]
        torch.ops.ftc10probe.probe(a, b)
        route = list(LOG)
        result = None
        if not fake:
            r = torch.add(a, b)  # an error here stops the generator: none is expected
            result = {"requires_grad": r.requires_grad, "inference": r.is_inference(),
                      "grad_fn": r.grad_fn is not None}
    if fake:
        # the wrapper adds exactly Python and PythonTLSSnapshot, and one Python hop
        for t in (a, b):
            assert T.raw(torch._C._dispatch_keys(t)) & PYTHON_BITS == PYTHON_BITS
        assert route.count("Python") == 1
        route = [k for k in route if k != "Python"]
    assert T.raw(inc) & PYTHON_BITS == 0 and T.raw(exc) & PYTHON_BITS == 0
    query = {"q": "probe", "registrations": BACKEND_KEYS + AUTOGRAD_KEYS, "profile": "c10",
             "grad_mode": grad_mode, "inference_mode": inference_mode}
    for side, t, v, kind in (("lhs", a, values[0], kinds[0]), ("rhs", b, values[1], kinds[1])):
        assert t.is_inference() == kind[0] and t.requires_grad == kind[1]
        query[side] = {"value": v, "device": backend, "requires_grad": kind[1], "inference": kind[0]}
    dks = T.raw(ks) & ~strip
    expect = {"ok": True, "error": None, "lhs": operand_expect(a, strip), "rhs": operand_expect(b, strip),
              "include_bits": hexs(T.raw(inc)), "exclude_bits": hexs(T.raw(exc)),
              "dispatch_keyset_bits": hexs(dks), "dispatch_keyset": str(T.make(dks)), "route": route}
    line = {"id": "c10/%s/%s/%s/lhs_%s/rhs_%s" % (backend, "wrapper" if fake else "real", name,
                                                   kind_name(kinds[0]), kind_name(kinds[1]))}
    if fake:
        line["match"] = "subset"
    else:
        expect["result"] = result
    line["query"] = query
    line["expect"] = expect
    return line


def kind_name(kind):
    return ("inference" if kind[0] else "ordinary") + ("_rg" if kind[1] else "")


def main():
    ap = argparse.ArgumentParser(description="torch 1.13 c10 keyset-derivation fixtures")
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    lib = define_probe()
    lines, by_key = [], {}
    for backend, device in DEVICES:
        for fake in ([False, True] if backend in REAL else [True]):
            for mode in MODES:
                for kinds in itertools.product(KINDS, KINDS):
                    line = probe(backend, device, fake, mode, kinds)
                    lines.append(line)
                    by_key.setdefault((backend, mode[0], kinds), []).append(line)
    # real and wrapper rows agree once the wrapper's own keys are removed
    for group in by_key.values():
        seen = {json.dumps({k: v for k, v in g["expect"].items() if k != "result"}, sort_keys=True) for g in group}
        assert len(seen) == 1, group[0]["id"]
    del lib
    data = "".join(json.dumps(x, separators=(",", ":"), ensure_ascii=True, allow_nan=False) + "\n"
                   for x in lines).encode("ascii")
    with open(os.path.join(args.out, FILE), "wb") as f:
        f.write(data)
    entry = file_entry(data)
    print("%-24s %6d lines %8d bytes" % (FILE, entry["lines"], entry["bytes"]))

    cmd = "/usr/bin/python3 differential/oracle/gen_c10_fixtures.py"
    if os.path.abspath(args.out) != os.path.abspath(DEFAULT_OUT):
        cmd += " --out " + args.out
    counts = {}
    for x in lines:
        k = "/".join(x["id"].split("/")[1:3])
        counts[k] = counts.get(k, 0) + 1
    merge_manifest(args.out, {FILE: entry}, "c10_fixtures",
                   {"command": cmd, "torch_version": torch.__version__, "files": [FILE],
                    "lines_per_backend": counts, "modes": [m[0] for m in MODES]})


if __name__ == "__main__":
    main()

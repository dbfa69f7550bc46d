#!/usr/bin/python3
"""The live PyTorch 1.13 oracle worker behind `ft-campaign --oracle torch`.

libftdiff (differential/src/torch_oracle.c) starts one of these per campaign
thread and talks to it over its stdin/stdout: one JSON object per line each
way, one answer per request, in order.  Protocol and method are documented in
differential/oracle/README.md ("Live oracle"); in short:

  hello   {"hello":"ft-torch-worker-1","ok":true,"torch":...}    (first line, unasked)
  request {"id":N,"q":"dispatch"|"program"|"table"|"keyset"|"ping",...}
  answer  {"id":N,"ok":true,...}  or  {"id":N,"ok":false,"error":TEXT}

Requests are data only.  Every field is type- and range-checked against a fixed
schema; operator names are looked up in a fixed table and key ids in the key
range; nothing read from a request is ever evaluated, imported or used as an
attribute name.  Operators this worker defines get names it makes up itself.

What torch decides here:
  * values and gradients: real 0-dim CPU tensors, ATEN_CPU_CAPABILITY=default
    (pinned before import, like the fixture generators) and checked against libm;
  * routes: a custom operator registered through the dispatcher's library API
    with a recording Python kernel per registration key ("mirror"), called on
    tensors whose key set is either c10's own (real tensors) or an explicit raw
    keyset written into TensorImpl::key_set_ (found and verified at start-up).
    c10 computes the dispatch keyset, masks fallthrough keys and picks the
    entry; the kernels only record which registration ran;
  * tables: _dispatch_dump_table of that operator (the fresh computation);
  * keyset algebra: c10's own operators on raw words (ctypes, as torch_oracle.py).
"""

import os
import sys

os.environ["ATEN_CPU_CAPABILITY"] = "default"  # before torch is imported: libm kernels
os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.dont_write_bytecode = True

import ctypes  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import warnings  # noqa: E402
from collections import OrderedDict  # noqa: E402

PROTOCOL = "ft-torch-worker-1"
_OUT = sys.stdout


def emit(obj):
    _OUT.write(json.dumps(obj, separators=(",", ":")) + "\n")
    _OUT.flush()


def die_hello(text):
    emit({"hello": PROTOCOL, "ok": False, "error": text})
    sys.exit(3)


try:
    import torch  # noqa: E402
except Exception as e:  # no torch: say so and leave (the harness reports oracle_unavailable)
    die_hello("cannot import torch: %s: %s" % (type(e).__name__, e))

if not torch.__version__.startswith("1.13"):
    die_hello("torch %s is not 1.13: the facts this oracle checks are 1.13's" % torch.__version__)

warnings.simplefilter("ignore")
torch.set_num_threads(1)

C = torch._C
DK = C.DispatchKey
DKS = C.DispatchKeySet

NUM_BACKENDS = 14
KNOWN_MASK = (1 << 54) - 1
BACKEND_MASK = (1 << NUM_BACKENDS) - 1
U64 = (1 << 64) - 1
KEY_IDS = 122
ALIAS_IDS = range(117, 122)
AUTOGRAD_ALIAS = 117
LINE_BASE = 100000  # a mirror kernel for key k is registered "at /dev/null:LINE_BASE+k"

# ---------------------------------------------------------------------------
# raw keysets (see torch_oracle.py: pybind11 simple layout, uint64 repr_)

_VALUE_PTR_OFFSET = 2 * ctypes.sizeof(ctypes.c_void_p)


def _ks_addr(ks):
    p = ctypes.c_void_p.from_address(id(ks) + _VALUE_PTR_OFFSET).value
    if not p:
        raise RuntimeError("DispatchKeySet without a value pointer")
    return p


def raw(ks):
    return ctypes.c_uint64.from_address(_ks_addr(ks)).value


def make(bits):
    ks = DKS(DK.Undefined)
    ctypes.c_uint64.from_address(_ks_addr(ks)).value = bits
    return ks


def ks_of(k):
    return raw(DKS(DK(k)))


KEY_NAMES = [C._dispatch_key_name(DK(i)) for i in range(KEY_IDS)]
NAME_TO_ID = {}
for _i, _n in enumerate(KEY_NAMES):
    NAME_TO_ID.setdefault(_n, _i)


def _repr_names(s):
    body = s[len("DispatchKeySet("):-1]
    return [] if body == "" else body.split(", ")


TABLE_KEYS = ["Undefined"] + _repr_names(str(make(KNOWN_MASK)))  # what dumpComputedTable walks
BFK = (DKS(DK.Dense) | DKS(DK.Quantized) | DKS(DK.Sparse)) | make(BACKEND_MASK)


def _check_keyset_trick():
    for k, want in ((DK.CPU, 0x4001), (DK.AutogradCPU, 0x2000000001), (DK.SparseCPU, 0x400001), (DK(40), 1 << 53)):
        if raw(DKS(k)) != want:
            die_hello("ctypes keyset read failed for %s" % k)
    ks = make(0x2000004001)
    if str(ks) != "DispatchKeySet(CPU, AutogradCPU)" or raw(DKS(DK.CPU) | DKS(DK.AutogradCPU)) != 0x2000004001:
        die_hello("ctypes keyset write failed")


_check_keyset_trick()

# ---------------------------------------------------------------------------
# TensorImpl::key_set_: the offset is found by scanning for the keyset c10 reports
# (_dispatch_keys) in several kinds of tensors, then proved by writing a marker
# and reading it back through c10.


def _find_key_set_offset():
    samples = [torch.tensor(1.0, dtype=torch.float64), torch.tensor(1.0, dtype=torch.float32),
               torch.empty((), device="meta"), torch.eye(2).to_sparse(), torch.tensor(2.0).requires_grad_()]
    cands = None
    for t in samples:
        want = raw(C._dispatch_keys(t))
        base = t._cdata
        offs = {o for o in range(8, 248, 8) if ctypes.c_uint64.from_address(base + o).value == want}
        cands = offs if cands is None else cands & offs
    if not cands or len(cands) != 1:
        die_hello("cannot locate TensorImpl::key_set_ (candidates %s)" % sorted(cands or []))
    off = cands.pop()
    t = torch.tensor(3.0)
    cell = ctypes.c_uint64.from_address(t._cdata + off)
    old = cell.value
    for marker in (0x2000004001, 0x8004001, 0):
        cell.value = marker
        if raw(C._dispatch_keys(t)) != marker:
            cell.value = old
            die_hello("TensorImpl::key_set_ write not seen by c10 at offset %d" % off)
    cell.value = old
    return off


KEY_SET_OFFSET = _find_key_set_offset()


def poke(t, bits):
    """Writes bits into t's key set; returns the old value."""
    cell = ctypes.c_uint64.from_address(t._cdata + KEY_SET_OFFSET)
    old = cell.value
    cell.value = bits
    return old


# ---------------------------------------------------------------------------
# TLS: c10's include/exclude sets. Only the exclude set can be written from Python
# (per key); the include set stays at its default and is emulated (see route()).

DEFAULT_INC = raw(C._dispatch_tls_local_include_set())
DEFAULT_EXC = raw(C._dispatch_tls_local_exclude_set())
FUNC_MASK = KNOWN_MASK & ~BACKEND_MASK
FUNC_KEYS = [DK(k) for k in range(1, 41)]  # functionality key k owns bit 13+k


class Tls:
    """Tracks the exclude set this worker has written, so changing it costs one
    call per differing bit, and restores the default after every request."""

    def __init__(self):
        self.exc = DEFAULT_EXC & FUNC_MASK

    def set_exclude(self, bits):
        bits &= FUNC_MASK
        diff = self.exc ^ bits
        f = 1
        while diff:
            b = 1 << (13 + f)
            if diff & b:
                C._dispatch_tls_set_dispatch_key_excluded(FUNC_KEYS[f - 1], bool(bits & b))
                diff &= ~b
            f += 1
        self.exc = bits

    def reset(self):
        self.set_exclude(DEFAULT_EXC)
        if not C.is_grad_enabled():
            torch.set_grad_enabled(True)


TLS = Tls()


def check_tls():
    if raw(C._dispatch_tls_local_include_set()) != DEFAULT_INC or \
            raw(C._dispatch_tls_local_exclude_set()) != DEFAULT_EXC or not C.is_grad_enabled():
        raise RuntimeError("TLS not back at its default after a request")


# ---------------------------------------------------------------------------
# tensors from raw IEEE bits

DTYPES = {"f64": torch.float64, "f32": torch.float32}
DTYPE_NAME = {torch.float64: "f64", torch.float32: "f32"}
INT_VIEW = {torch.float64: (torch.int64, 64), torch.float32: (torch.int32, 32)}


def tensor_of(bits, dtype, device=1, rg=False):
    dt = DTYPES[dtype]
    if device == 11:
        t = torch.empty((), dtype=dt, device="meta")
    else:
        it, w = INT_VIEW[dt]
        bits &= (1 << w) - 1
        t = torch.empty((), dtype=dt)
        t.view(it).fill_(bits - (1 << w) if bits >> (w - 1) else bits)
    if rg:
        t.requires_grad_(True)
    return t


def bits_of(t):
    t = t.detach()
    it, w = INT_VIEW[t.dtype]
    return t.view(it).item() & ((1 << w) - 1)


def hexs(x):
    return "0x%x" % x


def check_libm():
    """Stop unless torch's pow/atan2/log on 0-dim tensors are glibc's (capability pinned)."""
    rng = random.Random(7)
    for _ in range(500):
        x, y = rng.uniform(1e-3, 100.0), rng.uniform(-5.0, 5.0)
        t, u = torch.tensor(x, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)
        if torch.log(t).item() != math.log(x) or torch.pow(t, u).item() != math.pow(x, y) or \
                torch.atan2(u, t).item() != math.atan2(y, x):
            die_hello("torch's log/pow/atan2 differ from libm at %r, %r (ATEN_CPU_CAPABILITY)" % (x, y))


check_libm()

# ---------------------------------------------------------------------------
# built-in operators: torch's own kernels, as the kernel fixtures compute them


def _sqdiff(a, b):
    d = torch.sub(a, b)
    return torch.mul(d, d)


OPS = {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div, "maximum": torch.maximum,
       "minimum": torch.minimum, "atan2": torch.atan2, "pow": torch.pow, "rsub": torch.rsub, "sqdiff": _sqdiff}

# ---------------------------------------------------------------------------
# mirror operators

# Keys whose 1.13 backend fallback is a real (non-fallthrough) kernel: Python,
# functorch, Named, Conjugate, ... They would run machinery outside the model on
# tensors with written key sets, so each mirror gets a recording "sentinel" kernel
# on them (unless a registration already covers the key): c10's choice of that key
# is recorded, the fallback never runs.  Read from the table of an empty operator.
DUMP_LINE = re.compile(r"^(\w+): (fallthrough )?(.*) \[([^\]]+)\]$")


def parse_dump(text):
    out = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        m = DUMP_LINE.match(line)
        if not m:
            raise RuntimeError("unparsed dump line %r" % line)
        out[m.group(1)] = (bool(m.group(2)), m.group(3), m.group(4))
    return out


def _real_fallback_keys():
    lib = C._dispatch_library("FRAGMENT", "ftw", "", "", 0)
    lib.define("probe(Tensor a, Tensor b) -> Tensor", "")
    dump = parse_dump(C._dispatch_dump_table("ftw::probe"))
    keys = sorted(NAME_TO_ID[k] for k, (ft, _d, tag) in dump.items() if tag == "backend fallback" and not ft)
    del lib
    return keys


SENTINEL_KEYS = _real_fallback_keys()
PARSEABLE = set()
for _n in TABLE_KEYS + [KEY_NAMES[i] for i in ALIAS_IDS]:
    try:
        C._dispatch_key_parse(_n)
        PARSEABLE.add(NAME_TO_ID[_n])
    except RuntimeError:
        pass
AUTOGRAD_KEYS = {AUTOGRAD_ALIAS, NAME_TO_ID["AutogradOther"], NAME_TO_ID["AutogradNestedTensor"]} | \
    set(range(103, 117))
AUTOGRAD_FUNC = [DK(23), DK(24), DK(25)]  # AutogradOther, AutogradFunctionality, AutogradNestedTensor
# Registration order that keeps torch's cached table equal to the fresh one
# (README "registration-order finding"): runtime keys, then the aliases from
# CompositeExplicitAutogradNonFunctional down to Autograd.
ALIAS_ORDER = [121, 120, 119, 118, 117]

_REC = []          # registrations that ran, in order, for the current route
_RESULT = {}       # (key id, dtype) -> a tensor holding the key number


def _result(kid, dtype):
    return _RESULT[(kid, dtype)]


for _k in range(KEY_IDS):
    for _dt in DTYPES.values():
        _RESULT[(_k, _dt)] = torch.full((), float(_k), dtype=_dt)


class Mirror:
    """A custom operator ftw::opN(Tensor a, Tensor b) -> Tensor with a recording
    kernel per registration key (IMPL library registered at line LINE_BASE+key, so
    the dump names the source), then sentinels."""

    count = 0

    def __init__(self, regs):
        Mirror.count += 1
        self.name = "op%d" % Mirror.count
        self.qual = "ftw::" + self.name
        self.regs = set(regs)
        self.libs = []
        d = C._dispatch_library("FRAGMENT", "ftw", "", "", 0)
        d.define(self.name + "(Tensor a, Tensor b) -> Tensor", "")
        self.libs.append(d)
        self.op = C._jit_get_operation(self.qual)
        if isinstance(self.op, tuple):
            self.op = self.op[0]
        order = [k for k in regs if k not in ALIAS_IDS] + [k for k in ALIAS_ORDER if k in self.regs]
        for k in order:
            self._register(k)
        self.table = table_of(parse_dump(C._dispatch_dump_table(self.qual)))
        for k in SENTINEL_KEYS:
            if k not in self.regs:
                self._register(k)
        try:
            C._dispatch_check_invariants(self.qual)
            self.stale = False
        except RuntimeError:
            self.stale = True  # torch's cached table differs from the fresh one: routes not asked

    def _register(self, k):
        op = self.op
        if k in AUTOGRAD_KEYS:
            def kernel(a, b, k=k):
                _REC.append(k)
                saved = [C._dispatch_tls_is_dispatch_key_excluded(x) for x in AUTOGRAD_FUNC]
                for x in AUTOGRAD_FUNC:  # below autograd, as c10's autograd kernels redispatch
                    C._dispatch_tls_set_dispatch_key_excluded(x, True)
                try:
                    return op(a, b)
                finally:
                    for x, s in zip(AUTOGRAD_FUNC, saved):
                        C._dispatch_tls_set_dispatch_key_excluded(x, s)
        else:
            def kernel(a, b, k=k):
                _REC.append(k)
                return _result(k, a.dtype)
        lib = C._dispatch_library("IMPL", "ftw", "", "", LINE_BASE + k)
        lib.impl(self.name, KEY_NAMES[k], kernel)
        self.libs.append(lib)

    def close(self):
        while self.libs:  # kernels first, the schema last
            del self.libs[-1]


def table_of(dump):
    """[key, source, tag, fallthrough] for Undefined and every runtime key, in the
    dump's order, sources as libft names them."""
    out = []
    for k in TABLE_KEYS:
        if k not in dump:
            out.append([k, "missing", "missing", False])
            continue
        ft, debug, tag = dump[k]
        m = re.match(r"^registered at /dev/null:(\d+)$", debug)
        if m and int(m.group(1)) >= LINE_BASE and tag != "backend fallback":
            src = KEY_NAMES[int(m.group(1)) - LINE_BASE]
        elif debug == "ambiguous_autogradother":
            src = "ambiguous"
        elif tag == "backend fallback":
            src = "backend_fallback"
        else:
            raise RuntimeError("unclassified dump entry %s: %r [%s]" % (k, debug, tag))
        out.append([k, src, tag, ft])
    return out


MIRRORS = OrderedDict()
MIRROR_CACHE = 256


def mirror(regs):
    key = tuple(regs)
    m = MIRRORS.get(key)
    if m is not None:
        MIRRORS.move_to_end(key)
        return m
    m = Mirror(regs)
    MIRRORS[key] = m
    if len(MIRRORS) > MIRROR_CACHE:
        _, old = MIRRORS.popitem(last=False)
        old.close()
    return m


# ---------------------------------------------------------------------------
# routing through a mirror

NOT_RUN = re.compile(r"with arguments from the '(\w+)' backend")


def call_mirror(m, a, b):
    """The route's record and end; for "ok" also the result tensor, under "result"
    (read it only once the TLS is back at its default: reading dispatches)."""
    del _REC[:]
    try:
        r = m.op(a, b)
        return {"rec": list(_REC), "end": "ok", "result": r}
    except Exception as e:  # c10's answer: which entry failed, and how
        msg = str(e)
        ans = {"rec": list(_REC), "end": "error", "msg": msg.splitlines()[0][:200] if msg else type(e).__name__}
        if isinstance(e, NotImplementedError):
            mm = NOT_RUN.search(msg)
            if msg.startswith("There were no tensor arguments"):
                ans["end"], ans["key"] = "undefined", 0
            elif mm and mm.group(1) in NAME_TO_ID:
                ans["end"], ans["key"] = "not_implemented", NAME_TO_ID[mm.group(1)]
        elif "registered to both CompositeImplicitAutograd and a backend mapped to AutogradOther" in msg:
            ans["end"] = "ambiguous"
        return ans


def route(m, req):
    """c10's route for the request's keyset. Explicit keyset K: both operands carry K
    and the exclude set removes exactly the default include keys K lacks, so the
    dispatcher sees K. Derived: the operands' own key sets (real CPU/Meta tensors;
    other devices get c10's rule written in), the scenario's exclude set, and its
    include set emulated: keys beyond c10's default include are added to the lhs key
    set (a union either way), default include keys it lacks are excluded unless an
    operand carries them."""
    if m.stale:
        return {"refused": "stale_cached_table"}, None
    lhs, rhs = req["lhs"], req["rhs"]
    a = tensor_of(lhs["bits"], lhs["dtype"], 1)
    b = tensor_of(rhs["bits"], rhs["dtype"], 1)
    keys = None
    if req["keyset"] is not None:
        K = req["keyset"]
        if K & ~KNOWN_MASK:
            return {"refused": "unknown_bits"}, None
        la, lb = K, K
        exclude = DEFAULT_INC & ~K
    else:
        inc, exc = req["include"], req["exclude"]
        if (inc | exc) & ~KNOWN_MASK:
            return {"refused": "unknown_bits"}, None
        real = []
        for i, o in enumerate((lhs, rhs)):
            if o["device"] in (1, 11):
                t = tensor_of(o["bits"], o["dtype"], o["device"], o["rg"])
                real.append(raw(C._dispatch_keys(t)))
                if i == 0:
                    a = t
                else:
                    b = t
            else:
                real.append(req["c10"][i])
        extra = inc & ~DEFAULT_INC
        la, lb = real[0] | extra, real[1]
        exclude = (exc | (DEFAULT_INC & ~inc & ~(real[0] | real[1] | extra))) & FUNC_MASK
        keys = {"lhs": hexs(real[0]), "rhs": hexs(real[1]),
                "src": "".join("r" if o["device"] in (1, 11) else "w" for o in (lhs, rhs))}
    oa, ob = poke(a, la), poke(b, lb)
    try:
        TLS.set_exclude(exclude)
        eff = (make(la) | make(lb) | C._dispatch_tls_local_include_set()) - C._dispatch_tls_local_exclude_set()
        if keys is None:
            keys = {}
        keys["effective"] = hexs(raw(eff))
        keys["backend_key"] = int((eff & BFK).highestPriorityTypeId())
        torch.set_grad_enabled(req["grad_mode"])
        ans = call_mirror(m, a, b)
    finally:
        poke(a, oa)
        poke(b, ob)
        TLS.reset()
    if "result" in ans:
        ans["bits"] = hexs(bits_of(ans.pop("result")))
    return ans, keys


def value(op, req):
    """torch's own kernel on real 0-dim CPU tensors (default TLS, the scenario's grad mode)."""
    lhs, rhs = req["lhs"], req["rhs"]
    a = tensor_of(lhs["bits"], lhs["dtype"], 1, lhs["rg"])
    b = tensor_of(rhs["bits"], rhs["dtype"], 1, rhs["rg"])
    torch.set_grad_enabled(req["grad_mode"])
    try:
        r = OPS[op](a, b)
        return {"ok": True, "bits": hexs(bits_of(r)), "dtype": DTYPE_NAME.get(r.dtype, str(r.dtype)),
                "rg": bool(r.requires_grad)}
    except Exception as e:
        return {"ok": False, "error": type(e).__name__, "msg": str(e).splitlines()[0][:200] if str(e) else ""}
    finally:
        torch.set_grad_enabled(True)


# ---------------------------------------------------------------------------
# request validation: a fixed schema, nothing else

HEX = re.compile(r"^0x[0-9a-f]{1,16}$")


class Bad(Exception):
    pass


def _hex(v, what):
    if not isinstance(v, str) or not HEX.match(v):
        raise Bad("%s: want a 0x hex word" % what)
    return int(v, 16)


def _int(v, what, lo, hi):
    if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
        raise Bad("%s: want an integer %d..%d" % (what, lo, hi))
    return v


def _bool(v, what):
    if not isinstance(v, bool):
        raise Bad("%s: want true/false" % what)
    return v


def _obj(v, what, fields):
    if not isinstance(v, dict) or set(v) != set(fields):
        raise Bad("%s: want exactly the fields %s" % (what, sorted(fields)))
    return v


def _operand(v, what):
    _obj(v, what, ("bits", "dtype", "device", "rg"))
    if v["dtype"] not in DTYPES:
        raise Bad("%s.dtype" % what)
    return {"bits": _hex(v["bits"], what + ".bits"), "dtype": v["dtype"],
            "device": _int(v["device"], what + ".device", 1, NUM_BACKENDS), "rg": _bool(v["rg"], what + ".rg")}


def _regs(v, what):
    if not isinstance(v, list) or not 1 <= len(v) <= 16:
        raise Bad("%s: want 1..16 key ids" % what)
    regs = [_int(k, what, 0, KEY_IDS - 1) for k in v]
    if len(set(regs)) != len(regs):
        raise Bad("%s: a key twice" % what)
    return regs


def _registrable(regs):
    return all(k in PARSEABLE and k != 0 for k in regs)


# ---------------------------------------------------------------------------
# handlers


def h_dispatch(r):
    _obj(r, "request", ("id", "q", "mirror", "builtin", "lhs", "rhs", "keyset", "include", "exclude", "grad_mode",
                        "c10", "route", "table"))
    req = {"lhs": _operand(r["lhs"], "lhs"), "rhs": _operand(r["rhs"], "rhs"),
           "keyset": None if r["keyset"] is None else _hex(r["keyset"], "keyset"),
           "include": _hex(r["include"], "include"), "exclude": _hex(r["exclude"], "exclude"),
           "grad_mode": _bool(r["grad_mode"], "grad_mode")}
    if not isinstance(r["c10"], list) or len(r["c10"]) != 2:
        raise Bad("c10: want two words")
    req["c10"] = [_hex(w, "c10") & KNOWN_MASK for w in r["c10"]]
    op = r["builtin"]
    if op is not None and op not in OPS:
        raise Bad("builtin: not a built-in operator")
    regs = _regs(r["mirror"], "mirror")
    out = {}
    if op is not None and req["lhs"]["device"] == 1 and req["rhs"]["device"] == 1:
        out["value"] = value(op, req)
    want_route, want_table = _bool(r["route"], "route"), _bool(r["table"], "table")
    if want_route or want_table:
        if not _registrable(regs):
            out["route"] = {"refused": "unregistrable"}
        else:
            m = mirror(regs)
            if want_table:
                out["table"] = m.table
            if want_route:
                out["route"], keys = route(m, req)
                if keys is not None:
                    out["keys"] = keys
    return out


def h_table(r):
    _obj(r, "request", ("id", "q", "regs"))
    regs = _regs(r["regs"], "regs")
    if not _registrable(regs):
        return {"refused": "unregistrable"}
    return {"table": mirror(regs).table}


def h_program(r):
    _obj(r, "request", ("id", "q", "leaves", "ops", "root", "grad_mode", "include", "exclude"))
    leaves = r["leaves"]
    if not isinstance(leaves, list) or not 1 <= len(leaves) <= 8:
        raise Bad("leaves: want 1..8")
    leaves = [_operand(v, "leaf") for v in leaves]
    ops = r["ops"]
    if not isinstance(ops, list) or not 1 <= len(ops) <= 32:
        raise Bad("ops: want 1..32")
    prog = []
    for i, o in enumerate(ops):
        if not isinstance(o, list) or len(o) != 3 or o[0] not in OPS:
            raise Bad("ops[%d]: want [name, lhs, rhs]" % i)
        n = len(leaves) + i - 1
        prog.append((o[0], _int(o[1], "ops.lhs", 0, n), _int(o[2], "ops.rhs", 0, n)))
    root = _int(r["root"], "root", 0, len(leaves) + len(prog) - 1)
    grad_mode = _bool(r["grad_mode"], "grad_mode")
    inc, exc = _hex(r["include"], "include"), _hex(r["exclude"], "exclude")
    if inc != DEFAULT_INC or exc & ~KNOWN_MASK or any(v["device"] != 1 for v in leaves):
        return {"refused": "context"}
    vars_ = [tensor_of(v["bits"], v["dtype"], 1, v["rg"]) for v in leaves]
    ans = {"failed_at": None}
    try:
        TLS.set_exclude(exc)
        torch.set_grad_enabled(grad_mode)
        for i, (name, x, y) in enumerate(prog):
            try:
                vars_.append(OPS[name](vars_[x], vars_[y]))
            except Exception as e:
                ans["failed_at"] = i
                ans["error"] = "%s: %s" % (type(e).__name__, str(e).splitlines()[0][:160] if str(e) else "")
                break
    finally:
        TLS.reset()
    ans["values"] = [hexs(bits_of(v)) for v in vars_]
    ans["rg"] = [bool(v.requires_grad) for v in vars_]
    ans["backward"] = False
    if ans["failed_at"] is None and vars_[root].requires_grad:
        ans["backward"] = True
        try:
            vars_[root].backward()
            ans["grads"] = [None if v.grad is None else hexs(bits_of(v.grad)) for v in vars_[:len(leaves)]]
        except Exception as e:
            ans["backward_error"] = "%s: %s" % (type(e).__name__, str(e).splitlines()[0][:160] if str(e) else "")
    return ans


def h_keyset(r):
    _obj(r, "request", ("id", "q", "a", "b", "key"))
    a, b = _hex(r["a"], "a"), _hex(r["b"], "b")
    k = _int(r["key"], "key", 0, KEY_IDS - 1)
    A, B, Kk = make(a), make(b), DKS(DK(k))
    ans = {"or": hexs(raw(A | B)), "and": hexs(raw(A & B)), "sub": hexs(raw(A - B)),
           "add_key": hexs(raw(A | Kk)), "remove_key": hexs(raw(A - Kk)), "has": bool(A.has(DK(k))),
           "key_bits": hexs(raw(Kk))}
    ans["full_after"] = hexs(raw(C._dispatch_keyset_full_after(DK(k))))
    if not a & ~KNOWN_MASK:  # priorities and text only on words c10 can index
        ans["highest_priority"] = int(A.highestPriorityTypeId())
        ans["highest_priority_backend"] = int((A & BFK).highestPriorityTypeId())
        ans["repr"] = str(A)
    return ans


HANDLERS = {"dispatch": h_dispatch, "table": h_table, "program": h_program, "keyset": h_keyset,
            "ping": lambda r: {}}


def serve():
    emit({"hello": PROTOCOL, "ok": True, "torch": torch.__version__,
          "capability": os.environ["ATEN_CPU_CAPABILITY"], "key_set_offset": KEY_SET_OFFSET,
          "sentinels": [KEY_NAMES[k] for k in SENTINEL_KEYS]})
    for line in sys.stdin:
        rid = None
        try:
            r = json.loads(line)
            if not isinstance(r, dict):
                raise Bad("request: want an object")
            rid = _int(r.get("id"), "id", 0, 2 ** 62)
            h = HANDLERS.get(r.get("q"))
            if h is None:
                raise Bad("q: unknown query")
            ans = h(r)
            check_tls()
            ans["id"], ans["ok"] = rid, True
            emit(ans)
        except (Bad, ValueError) as e:
            emit({"id": rid, "ok": False, "error": "bad request: %s" % e})
        except Exception as e:  # a bug here, not torch's answer: reported as a harness error
            TLS.reset()
            emit({"id": rid, "ok": False, "error": "worker: %s: %s" % (type(e).__name__, e)})


if __name__ == "__main__":
    serve()

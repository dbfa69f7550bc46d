"""Shared helpers for the PyTorch 1.13 oracle generators.

Everything here talks to a real torch 1.13 (Debian's python3-torch).  Nothing in
the build or test of libft imports this module; it only runs when someone
regenerates the committed outputs (lib/src/ft_key_facts.c and fixtures/).

Raw-bits access
---------------
torch._C.DispatchKeySet is a pybind11 class that does not expose its uint64.
A pybind11 instance with the "simple" layout (one holder, no multiple
inheritance, which is what DispatchKeySet uses) is laid out as

    PyObject_HEAD            (ob_refcnt, ob_type: 2 pointers)
    void *value_ptr          (pointer to the held C++ object)
    ...

and the held c10::DispatchKeySet is a single `uint64_t repr_`.  So we read the
pointer at id(obj) + 2*sizeof(void*) and then the uint64 it points to.  Writing
through the same pointer lets us build any raw keyset (used to ask torch about
arbitrary 54-bit values).  The trick is verified at import time against known
values (CPU == 0x4001, AutogradCPU == 0x2000000001, and a few more); if the
layout ever differs, import fails loudly instead of producing garbage.
"""

import ctypes
import sys

import torch

C = torch._C
DK = C.DispatchKey
DKS = C.DispatchKeySet

TORCH_VERSION = torch.__version__

NUM_BACKENDS = 14                 # CPU .. PrivateUse3 -> bits 0..13
NUM_FUNCTIONALITY = 40            # Dense(1) .. PythonDispatcher(40) -> bits 14..53
KNOWN_BITS = 54
KNOWN_MASK = (1 << KNOWN_BITS) - 1
BACKEND_MASK = (1 << NUM_BACKENDS) - 1
KEY_ID_COUNT = 122                # 0..121
ALIAS_FIRST = 117
ALIAS_IDS = list(range(117, 122))

_PTR = ctypes.sizeof(ctypes.c_void_p)
_VALUE_PTR_OFFSET = 2 * _PTR      # after PyObject_HEAD


def _value_addr(ks):
    if not isinstance(ks, DKS):
        raise TypeError("not a DispatchKeySet: %r" % (ks,))
    p = ctypes.c_void_p.from_address(id(ks) + _VALUE_PTR_OFFSET).value
    if not p:
        raise RuntimeError("pybind11 instance has no value pointer")
    return p


def raw(ks):
    """The uint64 repr_ of a torch DispatchKeySet."""
    return ctypes.c_uint64.from_address(_value_addr(ks)).value


def make(bits):
    """A fresh torch DispatchKeySet whose repr_ is exactly `bits`."""
    if bits < 0 or bits >> 64:
        raise ValueError(bits)
    ks = DKS(DK.Undefined)          # repr_ == 0, freshly allocated
    ctypes.c_uint64.from_address(_value_addr(ks)).value = bits
    return ks


def key(i):
    """DispatchKey for any integer id (pybind11 enums accept any value)."""
    return DK(i)


def key_name(i):
    """c10::toString(DispatchKey(i))."""
    return C._dispatch_key_name(DK(i))


def keyset_of(i):
    """raw bits of DispatchKeySet(DispatchKey(i)) as torch builds it."""
    return raw(DKS(DK(i)))


def _self_check():
    checks = [(DK.CPU, 0x4001), (DK.AutogradCPU, 0x2000000001),
              (DK.SparseCPU, 0x400001), (DK.Undefined, 0), (DK(40), 1 << 53)]
    for k, want in checks:
        got = raw(DKS(k))
        if got != want:
            sys.exit("ctypes raw-bits trick failed: DispatchKeySet(%s) read 0x%x, want 0x%x"
                     % (k, got, want))
    ks = make(0x2000004001)
    if str(ks) != "DispatchKeySet(CPU, AutogradCPU)" or raw(ks) != 0x2000004001:
        sys.exit("ctypes write trick failed: %s" % ks)
    if raw(DKS(DK.CPU) | DKS(DK.AutogradCPU)) != 0x2000004001:
        sys.exit("ctypes raw-bits trick failed on a torch-computed union")


_self_check()

# ---------------------------------------------------------------------------
# Names

KEY_NAMES = [key_name(i) for i in range(KEY_ID_COUNT)]
NAME_TO_ID = {}
for _i, _n in enumerate(KEY_NAMES):
    NAME_TO_ID.setdefault(_n, _i)   # lowest id wins on a duplicate name


def parse_repr_names(s):
    """Names printed by torch's str(DispatchKeySet)."""
    assert s.startswith("DispatchKeySet(") and s.endswith(")"), s
    body = s[len("DispatchKeySet("):-1]
    return [] if body == "" else body.split(", ")


FULL_BITS = KNOWN_MASK
# The runtime keys torch iterates over in DispatchKeySet(FULL) (this is also what
# OperatorEntry::dumpComputedTable walks, after Undefined).
FULL_ITER_NAMES = parse_repr_names(str(make(FULL_BITS)))
RUNTIME_KEY_IDS = [NAME_TO_ID[n] for n in FULL_ITER_NAMES]

# backend_functionality_keys = {Dense, Quantized, Sparse} | full_backend_mask,
# built from torch objects.
BACKEND_FUNCTIONALITY_KEYS = (DKS(DK.Dense) | DKS(DK.Quantized) | DKS(DK.Sparse)) | make(BACKEND_MASK)


def hexs(x):
    return "0x%x" % x


def keyset_answer(ks):
    """The five keyset fields, all read from torch (raw via ctypes)."""
    s = str(ks)
    if s != repr(ks) or s != C._dispatch_keyset_to_string(ks):
        raise AssertionError("str/repr/_dispatch_keyset_to_string disagree: %r" % s)
    ht = ks.highestPriorityTypeId()
    hb = (ks & BACKEND_FUNCTIONALITY_KEYS).highestPriorityTypeId()
    return {
        "raw": hexs(raw(ks)),
        "repr": s,
        "highest_type": C._dispatch_key_name(ht),
        "highest_type_id": int(ht),
        "highest_backend_type": C._dispatch_key_name(hb),
    }

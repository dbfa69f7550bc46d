/* The session: a context, a tape and an evidence ledger (SPEC §8). */
#include <stdlib.h>
#include <string.h>

#include <stddef.h>

#include "array_grow.h"
#include "error_internal.h"
#include "ft/session.h"
#include "tape_internal.h"

/* With FT_LEDGER_KEEP_ALL, ledger memory comes from an arena: entries, decision
 * records and backward lists are carved from an inline block, then from 64 KiB
 * chunks, and freed together with the session. Nothing ever moves, so every
 * pointer handed out (to the sink, by ft_session_evidence_at) stays valid for
 * the session's life, and a short session allocates nothing beyond itself.
 * FT_LEDGER_KEEP_LAST keeps a ring of entries whose extra memory is malloc'd and
 * freed when the entry drops out; FT_LEDGER_SINK_ONLY builds each entry on the
 * stack and its lists in one reused scratch buffer. */
#define ARENA_INLINE   6144
#define ARENA_CHUNK    65536
#define ENTRIES_INLINE 16
#define BUCKETS_INLINE 8
#define SCRATCH_MIN    256

typedef struct arena_chunk {
    struct arena_chunk *next;
    size_t used, cap;
    max_align_t data[];
} arena_chunk_t;

typedef ft_evidence_t entry_t;

/* A decision as the ledger stores it: once per distinct content, shared by every
 * entry whose decision is identical (a session's calls mostly take a handful of
 * routes), and allocated only up to hops[hop_count]. */
typedef struct kept_decision {
    struct kept_decision *next; /* hash chain */
    uint64_t hash;
    size_t refs;     /* entries using it; with FT_LEDGER_KEEP_LAST it is freed at 0 */
    ft_decision_t d; /* last: the allocation ends after the hops used */
} kept_decision_t;

/* One entry of the FT_LEDGER_KEEP_LAST ring. */
typedef struct {
    entry_t e;
    void *owned; /* malloc'd memory the entry points into (op name or backward lists) */
} ring_slot_t;

struct ft_session {
    ft_dispatch_ctx_t ctx;
    const ft_registry_t *registry;
    ft_evidence_sink_fn sink;
    void *sink_payload;
    ft_clock_fn clock;
    void *clock_payload;
    ft_ledger_policy_t policy;
    size_t keep;  /* ring size (FT_LEDGER_KEEP_LAST) */
    size_t count; /* entries appended: the next sequence number */
    /* FT_LEDGER_KEEP_ALL: entries by sequence number */
    entry_t **entries;
    size_t cap;
    entry_t *entries_inline[ENTRIES_INLINE];
    /* FT_LEDGER_KEEP_LAST */
    ring_slot_t *ring;
    /* kept decisions by content hash (not with FT_LEDGER_SINK_ONLY) */
    kept_decision_t **buckets;
    size_t nbuckets, ndecisions;
    kept_decision_t *buckets_inline[BUCKETS_INLINE];
    /* FT_LEDGER_SINK_ONLY: the current entry's lists */
    void *scratch;
    size_t scratch_cap;
    arena_chunk_t *chunks;
    size_t arena_used;
    ft_error_t error;
    ft_tape_t tape;
    max_align_t arena_inline[ARENA_INLINE / sizeof(max_align_t)];
};

/* Blocks are rounded to the strictest alignment (16 on x86-64), not to
 * sizeof(max_align_t) (32 there), which would round a 144-byte entry to 160. */
#define ARENA_ALIGN _Alignof(max_align_t)

static size_t arena_round(size_t size) {
    return (size + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN;
}

/* arena_room past the inline block (`size` rounded). */
static void *arena_room_chunk(ft_session_t *s, size_t size) {
    arena_chunk_t *c = s->chunks;
    if (!c || c->used + size > c->cap) {
        const size_t cap = size > ARENA_CHUNK ? size : ARENA_CHUNK;
        if (!(c = malloc(sizeof *c + cap)))
            return NULL;
        c->used = 0;
        c->cap = cap;
        c->next = s->chunks;
        s->chunks = c;
    }
    return (unsigned char *)c->data + c->used;
}

/* Room for `size` bytes at the arena's end, not taken yet (arena_take does);
 * NULL when out of memory. */
static inline void *arena_room(ft_session_t *s, size_t size) {
    size = arena_round(size);
    if (s->arena_used + size <= sizeof s->arena_inline)
        return (unsigned char *)s->arena_inline + s->arena_used;
    return arena_room_chunk(s, size);
}

/* The same when the inline block or the current chunk has the room; NULL (and
 * nothing allocated) otherwise. */
static inline void *arena_room_here(ft_session_t *s, size_t size) {
    size = arena_round(size);
    if (s->arena_used + size <= sizeof s->arena_inline)
        return (unsigned char *)s->arena_inline + s->arena_used;
    arena_chunk_t *c = s->chunks;
    return c && c->used + size <= c->cap ? (unsigned char *)c->data + c->used : NULL;
}

/* Takes the first `size` bytes of the room arena_room returned at `p` (with no
 * allocation in between). A chunk's data never starts where the inline block's
 * free part does, so the comparison tells which one `p` is in. */
static inline void arena_take(ft_session_t *s, const void *p, size_t size) {
    size = arena_round(size);
    if (p == (const unsigned char *)s->arena_inline + s->arena_used)
        s->arena_used += size;
    else
        s->chunks->used += size;
}

static inline void *arena_alloc(ft_session_t *s, size_t size) {
    void *p = arena_room(s, size);
    if (p)
        arena_take(s, p, size);
    return p;
}

const char *ft_evidence_kind_name(ft_evidence_kind_t kind) {
    switch (kind) {
    case FT_EVIDENCE_DISPATCH:
        return "dispatch";
    case FT_EVIDENCE_BACKWARD:
        return "backward";
    case FT_EVIDENCE_MODE_CHANGE:
        return "mode_change";
    case FT_EVIDENCE_GRAD_MODE_CHANGE:
        return "grad_mode_change";
    case FT_EVIDENCE_INFERENCE_MODE_CHANGE:
        return "inference_mode_change";
    }
    return NULL;
}

ft_status ft_session_new(const ft_session_options_t *opts, ft_session_t **out) {
    static const ft_session_options_t defaults = FT_SESSION_OPTIONS_INIT;
    if (!out)
        return FT_EINVALID_ARGUMENT;
    if (!opts)
        opts = &defaults;
    if (!ft_mode_name(opts->mode) || !ft_profile_name(opts->profile))
        return FT_EINVALID_ARGUMENT;
    if (opts->ledger != FT_LEDGER_KEEP_ALL && opts->ledger != FT_LEDGER_KEEP_LAST &&
        opts->ledger != FT_LEDGER_SINK_ONLY)
        return FT_EINVALID_ARGUMENT;
    if (opts->ledger == FT_LEDGER_KEEP_LAST &&
        (opts->ledger_keep == 0 || opts->ledger_keep > SIZE_MAX / sizeof(ring_slot_t)))
        return FT_EINVALID_ARGUMENT;
    ft_session_t *s = malloc(sizeof *s); /* not calloc: the arena needs no zeroing */
    if (!s)
        return FT_ENOMEM;
    s->ctx = (ft_dispatch_ctx_t)FT_DISPATCH_CTX_INIT;
    s->ctx.mode = opts->mode;
    s->ctx.grad_mode = opts->grad_mode;
    s->ctx.profile = opts->profile;
    s->ctx.inference_mode = opts->inference_mode;
    s->registry = opts->registry;
    s->sink = opts->sink;
    s->sink_payload = opts->sink_payload;
    s->clock = opts->clock;
    s->clock_payload = opts->clock_payload;
    s->policy = opts->ledger;
    s->keep = opts->ledger == FT_LEDGER_KEEP_LAST ? opts->ledger_keep : 0;
    s->count = 0;
    s->entries = s->entries_inline;
    s->cap = ENTRIES_INLINE;
    s->ring = NULL;
    s->buckets = s->buckets_inline;
    s->nbuckets = BUCKETS_INLINE;
    s->ndecisions = 0;
    memset(s->buckets_inline, 0, sizeof s->buckets_inline);
    s->scratch = NULL;
    s->scratch_cap = 0;
    s->chunks = NULL;
    s->arena_used = 0;
    s->error.code = FT_OK; /* ftp_error_clear */
    s->error.message[0] = '\0';
    ftp_tape_init(&s->tape);
    /* untouched pages of a large ring cost nothing until entries reach them */
    if (s->policy == FT_LEDGER_KEEP_LAST && !(s->ring = malloc(s->keep * sizeof *s->ring))) {
        ft_session_free(s);
        return FT_ENOMEM;
    }
    /* the shared built-in registry: a default session allocates no registry */
    if (!s->registry)
        s->registry = ft_registry_builtins();
    *out = s;
    return FT_OK;
}

void ft_session_free(ft_session_t *s) {
    if (!s)
        return;
    if (s->policy == FT_LEDGER_KEEP_LAST) {
        const size_t kept = s->count < s->keep ? s->count : s->keep;
        for (size_t i = 0; s->ring && i < kept; i++)
            free(s->ring[i].owned);
        for (size_t b = 0; b < s->nbuckets; b++)
            for (kept_decision_t *k = s->buckets[b], *next; k; k = next) {
                next = k->next;
                free(k);
            }
    }
    if (s->ring) /* the common case calls free() for nothing */
        free(s->ring);
    for (arena_chunk_t *c = s->chunks, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    if (s->entries != s->entries_inline)
        free(s->entries);
    if (s->buckets != s->buckets_inline)
        free(s->buckets);
    if (s->scratch)
        free(s->scratch);
    ftp_tape_dispose(&s->tape);
    free(s);
}

const ft_registry_t *ft_session_registry(const ft_session_t *s) {
    return s ? s->registry : NULL;
}

const ft_tape_t *ft_session_tape(const ft_session_t *s) {
    return s ? &s->tape : NULL;
}

const ft_dispatch_ctx_t *ft_session_context(const ft_session_t *s) {
    return s ? &s->ctx : NULL;
}

const ft_error_t *ft_session_last_error(const ft_session_t *s) {
    static const ft_error_t no_session = {FT_EINVALID_ARGUMENT, "no session (NULL)"};
    return s ? &s->error : &no_session;
}

/* The tape's failure is the session's. */
static ft_status tape_failed(ft_session_t *s, ft_status st) {
    if (st != FT_OK)
        s->error = *ft_tape_last_error(&s->tape);
    return st;
}

static ft_status out_of_ledger_memory(ft_session_t *s) {
    return ftp_error_set(&s->error, FT_ENOMEM, "out of memory for ledger entry %zu", s->count);
}

/* --- storing entries ------------------------------------------------------- */

/* Doubles the FT_LEDGER_KEEP_ALL index; false (the error recorded) when out of
 * memory. */
static bool grow_index(ft_session_t *s) {
    if (ftp_array_grow((void **)&s->entries, &s->cap, s->cap + 1, sizeof *s->entries, s->entries_inline))
        return true;
    out_of_ledger_memory(s);
    return false;
}

/* Everything that can fail before an entry is appended, done before the
 * operation it records changes anything. Returns where to build the entry: with
 * FT_LEDGER_KEEP_ALL the entry itself, in the arena, with its index slot ready;
 * otherwise `local` (commit copies it into the ring, or shows it as it is).
 * NULL when out of memory. */
static inline entry_t *reserve(ft_session_t *s, entry_t *local) {
    if (s->policy != FT_LEDGER_KEEP_ALL)
        return local;
    if (s->count == s->cap && !grow_index(s))
        return NULL;
    entry_t *e = arena_alloc(s, sizeof *e);
    if (!e)
        out_of_ledger_memory(s);
    return e;
}

/* Grows the FT_LEDGER_SINK_ONLY scratch buffer to hold `size` bytes; false
 * when out of memory. */
static bool scratch_grow(ft_session_t *s, size_t size) {
    size_t cap = s->scratch_cap ? s->scratch_cap : SCRATCH_MIN;
    while (cap < size)
        cap *= 2;
    void *p = realloc(s->scratch, cap);
    if (!p)
        return false;
    s->scratch = p;
    s->scratch_cap = cap;
    return true;
}

/* Memory an entry points into (an op name, backward lists). *owned receives
 * what the entry must free when it drops out (FT_LEDGER_KEEP_LAST only).
 * Inline: with FT_LEDGER_KEEP_ALL it is an arena_alloc, with no call. */
static inline void *extra_alloc(ft_session_t *s, size_t size, void **owned) {
    switch (s->policy) {
    case FT_LEDGER_KEEP_ALL:
        return arena_alloc(s, size);
    case FT_LEDGER_KEEP_LAST:
        return *owned = malloc(size);
    case FT_LEDGER_SINK_ONLY:
        break;
    }
    /* the previous entry's lists are done with: its sink call has returned */
    if (size > s->scratch_cap && !scratch_grow(s, size))
        return NULL;
    return s->scratch;
}

static uint64_t mix(uint64_t h, uint64_t v) {
    h ^= v;
    h *= UINT64_C(0xff51afd7ed558ccd);
    return h ^ (h >> 32);
}

/* Over the fields that pick the route (operator, mode, keysets, outcome); the
 * rest follows from them in practice, and equality compares everything anyway. */
static uint64_t decision_hash(const ft_decision_t *d) {
    uint64_t h = mix(UINT64_C(0x9e3779b97f4a7c15) ^ (uint64_t)(uintptr_t)d->op,
                     d->effective_keyset.repr ^ (uint64_t)d->mode << 62 ^ (uint64_t)d->explicit_keyset << 61);
    return mix(h, d->keyset.repr ^ (uint64_t)(uint32_t)d->status << 32 ^ (uint64_t)d->hop_count);
}

/* Field by field: a decision on the stack has indeterminate padding. Strings
 * compare by address (they are static or the operator's). */
static bool same_decision(const ft_decision_t *a, const ft_decision_t *b) {
    if (a->op != b->op || a->mode != b->mode || a->explicit_keyset != b->explicit_keyset ||
        a->keyset.repr != b->keyset.repr || a->effective_keyset.repr != b->effective_keyset.repr ||
        a->selected_key != b->selected_key || a->backend_key != b->backend_key || a->kernel != b->kernel ||
        a->fallback_used != b->fallback_used || a->mode_split != b->mode_split || a->allowlist_id != b->allowlist_id ||
        a->status != b->status || a->unknown_mask != b->unknown_mask || a->hop_count != b->hop_count)
        return false;
    for (size_t i = 0; i < a->hop_count; i++) {
        const ft_hop_t *x = &a->hops[i], *y = &b->hops[i];
        if (x->key != y->key || x->source != y->source || x->tag != y->tag || x->fallthrough != y->fallthrough ||
            x->kernel_name != y->kernel_name)
            return false;
    }
    return true;
}

/* Doubles the buckets once there are more decisions than buckets. A failure
 * only leaves the chains longer. */
static void grow_buckets(ft_session_t *s) {
    const size_t n = s->nbuckets * 2;
    kept_decision_t **b = calloc(n, sizeof *b);
    if (!b)
        return;
    for (size_t i = 0; i < s->nbuckets; i++)
        for (kept_decision_t *k = s->buckets[i], *next; k; k = next) {
            next = k->next;
            k->next = b[k->hash & (n - 1)];
            b[k->hash & (n - 1)] = k;
        }
    if (s->buckets != s->buckets_inline)
        free(s->buckets);
    s->buckets = b;
    s->nbuckets = n;
}

/* Where the dispatcher writes a call's decision. With FT_LEDGER_KEEP_ALL and
 * room for a whole kept decision at the arena's end (never allocated for it: a
 * chunk is not started, nor the rest of one abandoned, for a decision that
 * mostly turns out to be kept already), there, so a new decision is kept where
 * it was written (keep_decision takes only the hops used) and none is copied;
 * otherwise `local`. */
static ft_decision_t *decision_room(ft_session_t *s, ft_decision_t *local) {
    kept_decision_t *k = s->policy == FT_LEDGER_KEEP_ALL ? arena_room_here(s, sizeof *k) : NULL;
    return k ? &k->d : local;
}

/* The ledger's copy of `d` (from decision_room(s, local)), shared with earlier
 * entries when identical; NULL when out of memory. With FT_LEDGER_SINK_ONLY, `d`
 * itself: it outlives the sink call. */
static const ft_decision_t *keep_decision(ft_session_t *s, ft_decision_t *d, const ft_decision_t *local) {
    if (s->policy == FT_LEDGER_SINK_ONLY)
        return d;
    const uint64_t h = decision_hash(d);
    for (kept_decision_t *k = s->buckets[h & (s->nbuckets - 1)]; k; k = k->next) {
        if (k->hash == h && same_decision(&k->d, d)) {
            k->refs++;
            return &k->d; /* arena room is left untaken */
        }
    }
    const size_t used = offsetof(ft_decision_t, hops) + d->hop_count * sizeof d->hops[0];
    const size_t size = offsetof(kept_decision_t, d) + used;
    kept_decision_t *k;
    if (d != local) { /* written in the arena's room */
        k = (kept_decision_t *)(void *)((unsigned char *)d - offsetof(kept_decision_t, d));
        arena_take(s, k, size);
    } else {
        if (!(k = s->policy == FT_LEDGER_KEEP_ALL ? arena_alloc(s, size) : malloc(size)))
            return NULL;
        memcpy(&k->d, d, used);
    }
    k->hash = h;
    k->refs = 1;
    if (s->ndecisions >= s->nbuckets)
        grow_buckets(s);
    kept_decision_t **head = &s->buckets[h & (s->nbuckets - 1)];
    k->next = *head;
    *head = k;
    s->ndecisions++;
    return &k->d;
}

/* An entry drops its decision (FT_LEDGER_KEEP_LAST): the last one frees it. */
static void release_decision(ft_session_t *s, const ft_decision_t *d) {
    kept_decision_t *k = (kept_decision_t *)(void *)((const unsigned char *)d - offsetof(kept_decision_t, d));
    if (--k->refs)
        return;
    for (kept_decision_t **p = &s->buckets[k->hash & (s->nbuckets - 1)]; *p; p = &(*p)->next) {
        if (*p == k) {
            *p = k->next;
            break;
        }
    }
    s->ndecisions--;
    free(k);
}

/* Appends the entry built in *e (its memory from reserve / extra_alloc /
 * keep_decision; with FT_LEDGER_KEEP_ALL, e is the reserved entry itself) and
 * shows it to the sink. Cannot fail. */
static inline void commit(ft_session_t *s, entry_t *e, void *owned) {
    e->seq = s->count;
    if (s->clock) {
        e->has_time = true;
        e->time = s->clock(s->clock_payload);
    }
    const entry_t *shown = e;
    switch (s->policy) {
    case FT_LEDGER_KEEP_ALL:
        s->entries[s->count] = e;
        break;
    case FT_LEDGER_KEEP_LAST: {
        ring_slot_t *slot = &s->ring[s->count % s->keep];
        if (s->count >= s->keep) { /* the oldest entry drops out */
            if (slot->e.decision)
                release_decision(s, slot->e.decision);
            free(slot->owned);
        }
        slot->e = *e;
        slot->owned = owned;
        shown = &slot->e;
        break;
    }
    case FT_LEDGER_SINK_ONLY:
        break;
    }
    s->count++;
    if (s->sink)
        s->sink(shown, s->sink_payload);
}

/* The fields every entry has, and those of the mode-change kinds; the hot
 * paths write the others once each (zeros and then the values would be two
 * stores per field, and this code is bound by stores). seq is commit's. */
static inline void entry_fill(entry_t *e, ft_evidence_kind_t kind, ft_status status) {
    e->kind = kind;
    e->status = status;
    e->has_time = false;
    e->time = 0;
    e->from = e->to = 0;
}

/* The runs of fields of the other kind, zeroed as blocks: a few 16-byte stores
 * instead of one per field (the padding goes too; NULL and 0.0 are all bits
 * zero on the targets libft supports). */
static inline void zero_backward_fields(entry_t *e) {
    memset(&e->root, 0, offsetof(entry_t, from) - offsetof(entry_t, root));
}

static inline void zero_dispatch_fields(entry_t *e) {
    memset(&e->op, 0, offsetof(entry_t, root) - offsetof(entry_t, op));
}

/* An entry with every field zero but those entry_fill sets, for the kinds that
 * set a few fields of their own after it. Block by block, not one memset of the
 * whole entry: for 144 bytes compilers emit `rep stos`, whose start-up alone
 * costs more than these stores. */
static inline void entry_init(entry_t *e, ft_evidence_kind_t kind, ft_status status) {
    entry_fill(e, kind, status);
    zero_dispatch_fields(e);
    zero_backward_fields(e);
}

static inline void scalar_zero(ft_scalar_t *v) {
    v->value = 0;
    v->dtype = (ft_dtype_t)0;
    v->device = (ft_backend_t)0;
    v->requires_grad = false;
    v->tape_var = 0;
    v->inference = false;
}

/* --- the operations -------------------------------------------------------- */

ft_status ft_session_set_mode(ft_session_t *s, ft_mode_t mode) {
    if (!s)
        return FT_EINVALID_ARGUMENT;
    if (!ft_mode_name(mode))
        return ftp_error_set(&s->error, FT_EINVALID_ARGUMENT, "mode %d is neither strict (%d) nor hardened (%d)",
                             (int)mode, (int)FT_MODE_STRICT, (int)FT_MODE_HARDENED);
    entry_t local, *e = reserve(s, &local);
    if (!e)
        return FT_ENOMEM; /* the mode stays */
    entry_init(e, FT_EVIDENCE_MODE_CHANGE, FT_OK);
    e->from = (int)s->ctx.mode;
    e->to = (int)mode;
    s->ctx.mode = mode;
    commit(s, e, NULL);
    return FT_OK;
}

/* Sets one of the context's switches and logs the change as an entry of
 * `kind` (from, to); nothing changes when the entry cannot be stored. */
static ft_status set_switch(ft_session_t *s, ft_evidence_kind_t kind, bool *flag, bool enabled) {
    entry_t local, *e = reserve(s, &local);
    if (!e)
        return FT_ENOMEM;
    entry_init(e, kind, FT_OK);
    e->from = *flag;
    e->to = enabled;
    *flag = enabled;
    commit(s, e, NULL);
    return FT_OK;
}

ft_status ft_session_set_grad_mode(ft_session_t *s, bool enabled) {
    return s ? set_switch(s, FT_EVIDENCE_GRAD_MODE_CHANGE, &s->ctx.grad_mode, enabled) : FT_EINVALID_ARGUMENT;
}

ft_status ft_session_set_inference_mode(ft_session_t *s, bool enabled) {
    return s ? set_switch(s, FT_EVIDENCE_INFERENCE_MODE_CHANGE, &s->ctx.inference_mode, enabled) : FT_EINVALID_ARGUMENT;
}

ft_status ft_session_set_include(ft_session_t *s, ft_keyset_t include) {
    if (!s)
        return FT_EINVALID_ARGUMENT;
    s->ctx.include = include;
    return FT_OK;
}

ft_status ft_session_set_exclude(ft_session_t *s, ft_keyset_t exclude) {
    if (!s)
        return FT_EINVALID_ARGUMENT;
    s->ctx.exclude = exclude;
    return FT_OK;
}

ft_status ft_session_leaf(ft_session_t *s, double value, ft_dtype_t dtype, bool requires_grad, ft_var_t *out) {
    if (!s)
        return FT_EINVALID_ARGUMENT;
    ft_scalar_t v =
        ft_scalar_make(dtype == FT_DTYPE_F32 ? (double)(float)value : value, dtype, FT_BACKEND_CPU, requires_grad);
    v.inference = s->ctx.profile == FT_PROFILE_C10 && s->ctx.inference_mode; /* torch: made in inference mode */
    if (!out || (dtype != FT_DTYPE_F64 && dtype != FT_DTYPE_F32))
        return tape_failed(s, ft_tape_leaf(&s->tape, &v, out)); /* it says what is wrong */
    return tape_failed(s, ftp_tape_add_leaf(&s->tape, &v, out));
}

ft_status ft_session_clear_tape(ft_session_t *s) {
    if (!s)
        return FT_EINVALID_ARGUMENT;
    ft_tape_clear(&s->tape);
    return FT_OK;
}

/* A call that fails before routing (`op` NULL: `opname` named no operator; or
 * an operand is no current variable) and its entry, which has no decision. */
static ft_status call_unrouted(ft_session_t *s, const ft_op_t *op, const char *opname, ft_var_t lhs, ft_var_t rhs) {
    entry_t local, *e = reserve(s, &local);
    if (!e)
        return FT_ENOMEM; /* nothing ran */
    ft_status st;
    char shown[FTP_ERROR_NAME_BUF];
    if (!op)
        st = ftp_error_set(&s->error, FT_EUNKNOWN_OP, "no operator named '%s'", ftp_error_name(opname, shown));
    else
        st = tape_failed(s, ftp_tape_unknown_var(&s->tape, ftp_tape_has_var(&s->tape, lhs) ? rhs : lhs));
    entry_init(e, FT_EVIDENCE_DISPATCH, st);
    e->lhs = lhs;
    e->rhs = rhs;
    void *owned = NULL;
    if (op) {
        e->op = ft_op_name(op);
    } else { /* the name as asked for, so a failed lookup is still evidence of what was tried */
        const size_t n = strlen(opname) + 1;
        char *copy = extra_alloc(s, n, &owned);
        /* the operation's status wins over the failure to record it; nothing to
         * give back (the entry has no decision, and owned is NULL) */
        if (!copy)
            return st;
        memcpy(copy, opname, n);
        e->op = copy;
    }
    commit(s, e, owned);
    return st;
}

/* op(lhs, rhs) on current variables, and its entry. */
static ft_status call_routed(ft_session_t *s, const ft_op_t *op, ft_var_t lhs, ft_var_t rhs, ft_var_t *out) {
    entry_t local, *e = reserve(s, &local);
    if (!e)
        return FT_ENOMEM; /* nothing ran */
    ft_decision_t own, *d = decision_room(s, &own);
    ft_var_t result = 0;
    const ft_status st = tape_failed(s, ftp_tape_apply(&s->tape, &s->ctx, op, lhs, rhs, &result, d));
    const char *name = ft_op_name(op);
    const ft_decision_t *kept = keep_decision(s, d, &own);
    if (!kept) /* nothing taken: the entry was not filled in, the decision not kept */
        /* the operation's status wins; a failure to record it is reported only
         * when the operation itself succeeded */
        return st != FT_OK ? st : out_of_ledger_memory(s);
    /* filled in after every call, each field once (entry_fill) */
    entry_fill(e, FT_EVIDENCE_DISPATCH, st);
    e->op = name;
    e->decision = kept;
    e->lhs = lhs;
    e->rhs = rhs;
    zero_backward_fields(e);
    if (st == FT_OK) {
        e->out = result;
        e->value = ftp_tape_var(&s->tape, result)->value;
        *out = result;
    } else {
        e->out = 0;
        scalar_zero(&e->value);
    }
    commit(s, e, NULL);
    return st;
}

/* op(lhs, rhs) and its entry. `op` NULL: `opname` named no operator. */
static inline ft_status call(ft_session_t *s, const ft_op_t *op, const char *opname, ft_var_t lhs, ft_var_t rhs,
                             ft_var_t *out) {
    if (!op || !ftp_tape_has_var(&s->tape, lhs) || !ftp_tape_has_var(&s->tape, rhs))
        return call_unrouted(s, op, opname, lhs, rhs);
    return call_routed(s, op, lhs, rhs, out);
}

ft_status ft_session_call(ft_session_t *s, const char *opname, ft_var_t lhs, ft_var_t rhs, ft_var_t *out) {
    if (!s)
        return FT_EINVALID_ARGUMENT;
    if (!opname || !out)
        return ftp_error_set(&s->error, FT_EINVALID_ARGUMENT, "ft_session_call: %s is NULL", opname ? "out" : "op");
    const ft_op_t *op = NULL;
    ft_registry_find(s->registry, opname, &op);
    return call(s, op, opname, lhs, rhs, out);
}

ft_status ft_session_call_op(ft_session_t *s, const ft_op_t *op, ft_var_t lhs, ft_var_t rhs, ft_var_t *out) {
    if (!s)
        return FT_EINVALID_ARGUMENT;
    if (!op || !out)
        return ftp_error_set(&s->error, FT_EINVALID_ARGUMENT, "ft_session_call_op: %s is NULL", op ? "out" : "op");
    if (!ft_registry_contains(s->registry, op))
        return ftp_error_set(&s->error, FT_EINVALID_ARGUMENT,
                             "operator '%s' belongs to another registry than the session's", ft_op_name(op));
    return call(s, op, NULL, lhs, rhs, out);
}

ft_status ft_session_backward(ft_session_t *s, ft_var_t root, bool retain_graph, ft_backward_report_t *report) {
    if (!s)
        return FT_EINVALID_ARGUMENT;
    entry_t local, *e = reserve(s, &local);
    if (!e)
        return FT_ENOMEM; /* nothing ran */
    const ft_backward_options_t opts = {retain_graph};
    ft_backward_report_t rep = {root, 0, NULL, 0, NULL};
    const ft_status st = tape_failed(s, ft_tape_backward(&s->tape, root, &opts, &rep));
    void *owned = NULL;
    bool kept = true;
    size_t steps = 0, grad_count = 0;
    const ft_var_t *order_kept = NULL, *grad_vars = NULL;
    const double *grads_kept = NULL;
    if (st == FT_OK) {
        /* one block: grads, then the reached leaves' ids, then the order (never
         * empty, so the pointers are never NULL) */
        const size_t nl = rep.leaf_count, ns = rep.steps;
        const size_t bytes = nl * sizeof(double) + (nl + ns) * sizeof(ft_var_t);
        const size_t size = bytes ? bytes : sizeof(double);
        unsigned char *block = extra_alloc(s, size, &owned);
        if (!block) {
            kept = false;
        } else {
            double *grads = (double *)(void *)block;
            ft_var_t *vars = (ft_var_t *)(void *)(block + nl * sizeof(double));
            ft_var_t *order = vars + nl;
            for (size_t i = 0; i < ns; i++) /* mostly a few: a loop beats memcpy's call */
                order[i] = rep.order[i];
            /* the leaves this backward reached (not every leaf of the session) */
            size_t k = 0;
            for (size_t i = 0; i < nl; i++) {
                const tape_var_t *v = ftp_tape_var(&s->tape, rep.leaves[i]);
                if (v->node == 0 && v->has_grad) { /* ft_tape_grad's "defined" */
                    vars[k] = rep.leaves[i];
                    grads[k++] = v->grad;
                }
            }
            steps = ns;
            order_kept = order;
            grad_count = k;
            grad_vars = vars;
            grads_kept = grads;
        }
    }
    if (report)
        *report = rep;
    if (!kept) /* nothing taken */
        return out_of_ledger_memory(s);
    /* filled in after every call (see call_routed) */
    entry_fill(e, FT_EVIDENCE_BACKWARD, st);
    zero_dispatch_fields(e);
    e->root = root;
    e->retain_graph = retain_graph;
    e->steps = steps;
    e->order = order_kept;
    e->grad_count = grad_count;
    e->grad_vars = grad_vars;
    e->grads = grads_kept;
    commit(s, e, owned);
    return st;
}

ft_status ft_session_value(const ft_session_t *s, ft_var_t var, ft_scalar_t *out) {
    return s ? ft_tape_value(&s->tape, var, out) : FT_EINVALID_ARGUMENT;
}

ft_status ft_session_grad(const ft_session_t *s, ft_var_t var, double *value, bool *defined) {
    if (!s || !value || !defined || !ftp_tape_has_var(&s->tape, var))
        return s ? ft_tape_grad(&s->tape, var, value, defined) : FT_EINVALID_ARGUMENT; /* its error */
    const tape_var_t *v = ftp_tape_var(&s->tape, var); /* ft_tape_grad, without the call */
    *defined = v->node == 0 && v->has_grad;
    *value = *defined ? v->grad : 0;
    return FT_OK;
}

size_t ft_session_evidence_count(const ft_session_t *s) {
    return s ? s->count : 0;
}

size_t ft_session_evidence_first(const ft_session_t *s) {
    if (!s)
        return 0;
    switch (s->policy) {
    case FT_LEDGER_KEEP_ALL:
        return 0;
    case FT_LEDGER_KEEP_LAST:
        return s->count > s->keep ? s->count - s->keep : 0;
    case FT_LEDGER_SINK_ONLY:
        break;
    }
    return s->count;
}

const ft_evidence_t *ft_session_evidence_at(const ft_session_t *s, size_t seq) {
    if (!s || seq < ft_session_evidence_first(s) || seq >= s->count)
        return NULL;
    return s->policy == FT_LEDGER_KEEP_ALL ? s->entries[seq] : &s->ring[seq % s->keep].e;
}

/* ft-replay's --minimize and --write-fixture (replay_shrink.h). */
#define _POSIX_C_SOURCE 200809L
#include "replay_shrink.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ft/json_text.h"
#include "ftdiff/refmodel.h"
#include "ftf/ids.h"

/* ---- signatures ---------------------------------------------------------------------------------------- */

void ftr_signature_of(const ftd_check_result_t *r, unsigned modes, ftr_signature_t *sig) {
    memset(sig, 0, sizeof *sig);
    for (int m = 0; m < 2; m++) {
        if (!(modes & (1u << m)) || !r->mode[m].ran)
            continue;
        const ftd_mode_result_t *mr = &r->mode[m];
        sig->failed |= mr->verdict == FTD_VERDICT_BLOCKING || mr->verdict == FTD_VERDICT_HARNESS_ERROR;
        for (size_t i = 0; i < mr->findings.count; i++)
            sig->comparators[m] |= UINT64_C(1) << mr->findings.items[i].comparator;
    }
}

static bool same_signature(const ftr_signature_t *a, const ftr_signature_t *b) {
    return a->failed == b->failed && a->comparators[0] == b->comparators[0] && a->comparators[1] == b->comparators[1];
}

static bool holds(ftd_libft_t *lib, const ftd_allowlist_t *allow, const ftd_scenario_t *s, unsigned modes,
                  const ftr_signature_t *want) {
    if (!ftd_scenario_valid(s))
        return false;
    ftd_check_result_t r;
    ftd_check_scenario(lib, allow, s, 3u, NULL, &r);
    ftr_signature_t got;
    ftr_signature_of(&r, modes, &got);
    return same_signature(&got, want);
}

/* ---- shrinking ------------------------------------------------------------------------------------------ */

/* Drops the ops the root does not depend on, renumbering the rest. */
static void drop_dead_ops(ftd_scenario_t *s) {
    const size_t vars = s->leaf_count + s->op_count;
    bool live[FTD_MAX_VARS] = {false};
    live[s->root] = true;
    for (size_t i = s->op_count; i-- > 0;) {
        const size_t v = s->leaf_count + i;
        if (live[v])
            live[s->ops[i].lhs] = live[s->ops[i].rhs] = true;
    }
    uint32_t map[FTD_MAX_VARS] = {0};
    for (size_t v = 0; v < s->leaf_count; v++)
        map[v] = (uint32_t)v;
    size_t kept = 0;
    for (size_t i = 0; i < s->op_count; i++) {
        const size_t v = s->leaf_count + i;
        if (!live[v])
            continue;
        ftd_program_op_t op = s->ops[i];
        op.lhs = map[op.lhs];
        op.rhs = map[op.rhs];
        map[v] = (uint32_t)(s->leaf_count + kept);
        s->ops[kept++] = op;
    }
    (void)vars;
    s->root = map[s->root];
    s->op_count = kept;
    /* then the leaves nothing refers to (one leaf always stays) */
    bool used[FTD_MAX_LEAVES] = {false};
    for (size_t i = 0; i < s->op_count; i++) {
        if (s->ops[i].lhs < s->leaf_count)
            used[s->ops[i].lhs] = true;
        if (s->ops[i].rhs < s->leaf_count)
            used[s->ops[i].rhs] = true;
    }
    if (s->root < s->leaf_count)
        used[s->root] = true;
    uint32_t lmap[FTD_MAX_LEAVES];
    size_t nl = 0;
    for (size_t v = 0; v < s->leaf_count; v++)
        if (used[v]) {
            lmap[v] = (uint32_t)nl;
            s->leaves[nl++] = s->leaves[v];
        }
    if (nl == 0)
        return;
    const uint32_t shift = (uint32_t)(s->leaf_count - nl);
#define RENUMBER(x) ((x) < s->leaf_count ? lmap[(x)] : (x)-shift)
    for (size_t i = 0; i < s->op_count; i++) {
        s->ops[i].lhs = RENUMBER(s->ops[i].lhs);
        s->ops[i].rhs = RENUMBER(s->ops[i].rhs);
    }
    s->root = RENUMBER(s->root);
#undef RENUMBER
    s->leaf_count = nl;
}

/* Simple values to try in place of an operand's bits, by dtype. */
static const uint64_t simple_f64[] = {UINT64_C(0x3ff0000000000000), UINT64_C(0x4000000000000000),
                                      UINT64_C(0x0000000000000000), UINT64_C(0x3fe0000000000000)};
static const uint64_t simple_f32[] = {0x3f800000u, 0x40000000u, 0x00000000u, 0x3f000000u};

static bool simplify_operand(ftd_libft_t *lib, const ftd_allowlist_t *allow, ftd_scenario_t *s, ftd_operand_t *o,
                             unsigned modes, const ftr_signature_t *want) {
    bool changed = false;
    const uint64_t *pool = o->dtype == FT_DTYPE_F32 ? simple_f32 : simple_f64;
    for (size_t k = 0; k < 4; k++) {
        if (o->bits == pool[k])
            break; /* already as simple as the ones before it failed to be */
        const ftd_operand_t keep = *o;
        o->bits = pool[k];
        if (holds(lib, allow, s, modes, want)) {
            changed = true;
            break;
        }
        *o = keep;
    }
    if (o->requires_grad) {
        o->requires_grad = false;
        if (holds(lib, allow, s, modes, want))
            changed = true;
        else
            o->requires_grad = true;
    }
    return changed;
}

static bool clear_bits(ftd_libft_t *lib, const ftd_allowlist_t *allow, ftd_scenario_t *s, uint64_t *word,
                       unsigned modes, const ftr_signature_t *want) {
    bool changed = false;
    for (int b = 63; b >= 0; b--) {
        const uint64_t bit = UINT64_C(1) << b;
        if (!(*word & bit))
            continue;
        *word &= ~bit;
        if (holds(lib, allow, s, modes, want))
            changed = true;
        else
            *word |= bit;
    }
    return changed;
}

static bool drop_regs(ftd_libft_t *lib, const ftd_allowlist_t *allow, ftd_scenario_t *s, unsigned modes,
                      const ftr_signature_t *want) {
    bool changed = false;
    for (size_t i = s->op.reg_count; i-- > 0;) {
        const ftd_opref_t keep = s->op;
        memmove(&s->op.regs[i], &s->op.regs[i + 1], (s->op.reg_count - i - 1) * sizeof s->op.regs[0]);
        s->op.reg_count--;
        if (holds(lib, allow, s, modes, want))
            changed = true;
        else
            s->op = keep;
    }
    return changed;
}

static bool shrink_program(ftd_libft_t *lib, const ftd_allowlist_t *allow, ftd_scenario_t *s, unsigned modes,
                           const ftr_signature_t *want) {
    bool changed = false;
    {
        ftd_scenario_t t = *s;
        drop_dead_ops(&t);
        if (!ftd_scenario_equal(&t, s) && holds(lib, allow, &t, modes, want)) {
            *s = t;
            changed = true;
        }
    }
    /* an earlier root, and what it does not need dropped */
    for (uint32_t r = 0; r < s->root; r++) {
        ftd_scenario_t t = *s;
        t.root = r;
        drop_dead_ops(&t);
        if (holds(lib, allow, &t, modes, want)) {
            *s = t;
            changed = true;
            break;
        }
    }
    /* cut a dependency: an operand replaced by a leaf */
    for (size_t i = 0; i < s->op_count; i++)
        for (int side = 0; side < 2; side++) {
            ftd_scenario_t t = *s;
            uint32_t *v = side ? &t.ops[i].rhs : &t.ops[i].lhs;
            for (uint32_t leaf = 0; leaf < t.leaf_count && *v >= t.leaf_count; leaf++) {
                *v = leaf;
                ftd_scenario_t u = t;
                drop_dead_ops(&u);
                if (holds(lib, allow, &u, modes, want)) {
                    *s = u;
                    changed = true;
                    break;
                }
            }
        }
    for (size_t i = 0; i < s->leaf_count; i++)
        changed |= simplify_operand(lib, allow, s, &s->leaves[i], modes, want);
    return changed;
}

int ftr_minimize(ftd_libft_t *lib, const ftd_allowlist_t *allow, ftd_scenario_t *s, unsigned modes,
                 const ftr_signature_t *want, unsigned *rounds) {
    if (!holds(lib, allow, s, modes, want))
        return -1;
    unsigned n = 0;
    for (bool changed = true; changed && n < 32; n++) {
        changed = false;
        switch (s->kind) {
        case FTD_KIND_DISPATCH: {
            changed |= simplify_operand(lib, allow, s, &s->lhs, modes, want);
            changed |= simplify_operand(lib, allow, s, &s->rhs, modes, want);
            if (s->has_keyset)
                changed |= clear_bits(lib, allow, s, &s->keyset, modes, want);
            const ftd_scenario_t keep = *s;
            ftd_scenario_init(s, FTD_KIND_DISPATCH); /* the default context */
            s->op = keep.op, s->lhs = keep.lhs, s->rhs = keep.rhs;
            s->has_keyset = keep.has_keyset, s->keyset = keep.keyset;
            if (!(s->grad_mode == keep.grad_mode && s->include == keep.include && s->exclude == keep.exclude)) {
                if (holds(lib, allow, s, modes, want))
                    changed = true;
                else
                    *s = keep;
            }
            if (s->op.custom)
                changed |= drop_regs(lib, allow, s, modes, want);
            break;
        }
        case FTD_KIND_PROGRAM:
            changed |= shrink_program(lib, allow, s, modes, want);
            break;
        case FTD_KIND_TABLE:
            changed |= drop_regs(lib, allow, s, modes, want);
            break;
        case FTD_KIND_KEYSET:
            changed |= clear_bits(lib, allow, s, &s->a, modes, want);
            changed |= clear_bits(lib, allow, s, &s->b, modes, want);
            break;
        }
    }
    if (rounds)
        *rounds = n;
    return 0;
}

/* ---- fixture cases ---------------------------------------------------------------------------------------- */

static void put_key(FILE *f, const char *field, ft_key_t k) {
    char q[96];
    const char *n = ft_key_name(k);
    ft_json_string(n ? n : "Undefined", strlen(n ? n : "Undefined"), q, sizeof q);
    fprintf(f, ",\"%s\":%s", field, q);
}

static void put_expectation(FILE *f, const ftd_dispatch_outcome_t *e) {
    char q[160];
    fprintf(f, "{\"error\":");
    if (e->status == FT_OK)
        fputs("null", f);
    else
        fprintf(f, "\"%s\"", ft_status_code(e->status));
    if (e->has_value)
        fprintf(f,
                e->dtype == FT_DTYPE_F32 ? ",\"value_bits\":\"0x%08" PRIx64 "\""
                                         : ",\"value_bits\":\"0x%016" PRIx64 "\"",
                e->value_bits);
    put_key(f, "selected_key", e->selected_key);
    put_key(f, "backend_key", e->backend_key);
    if (e->kernel[0]) {
        ft_json_string(e->kernel, strlen(e->kernel), q, sizeof q);
        fprintf(f, ",\"kernel\":%s", q);
    } else {
        fputs(",\"kernel\":null", f);
    }
    fprintf(f, ",\"mode_split\":\"%s\",\"fallback_used\":%s", ft_mode_split_name(e->mode_split),
            e->fallback_used ? "true" : "false");
    fputs(",\"route\":[", f);
    for (size_t i = 0; i < e->hop_count; i++) {
        const ftd_hop_t *h = &e->hops[i];
        fprintf(f, "%s{\"key\":\"%s\",\"source\":\"%s\",\"tag\":\"%s\",\"fallthrough\":%s,\"kernel\":", i ? "," : "",
                ft_key_name(h->key), ft_table_source_name(h->tag, h->source), ft_table_tag_name(h->tag),
                h->fallthrough ? "true" : "false");
        if (h->kernel[0]) {
            ft_json_string(h->kernel, strlen(h->kernel), q, sizeof q);
            fputs(q, f);
        } else {
            fputs("null", f);
        }
        fputc('}', f);
    }
    fputs("]}", f);
}

int ftr_write_fixture(const char *path, const ftd_scenario_t *s, const char *scenario_id, char *why) {
    if (s->kind != FTD_KIND_DISPATCH) {
        snprintf(why, 160, "only dispatch scenarios become fixture cases (this one is a %s scenario)",
                 ftd_kind_name(s->kind));
        return -1;
    }
    char text[8192];
    const size_t n = ftd_scenario_encode(s, text, sizeof text);
    if (n == 0 || n >= sizeof text) {
        snprintf(why, 160, "the scenario cannot be encoded");
        return -1;
    }
    struct stat sb;
    const bool fresh = stat(path, &sb) != 0 || sb.st_size == 0;
    FILE *f = fopen(path, "a");
    if (!f) {
        snprintf(why, 160, "cannot open %.100s: %s", path, strerror(errno));
        return -1;
    }
    if (fresh)
        fputs("{\"format\":\"ft-fixture-v1\",\"fixture\":\"replay_cases.json\",\"suite\":\"replay\","
              "\"packet\":\"FT-P2C-002\"}\n",
              f);
    /* the case is named after the scenario it came from: "gen/0123…" -> gen_0123… */
    char name[FTF_SCENARIO_ID_SIZE];
    size_t k = 0;
    for (const char *p = scenario_id; *p && k + 1 < sizeof name; p++)
        name[k++] = (*p == '/' || *p == ':') ? '_' : *p;
    name[k] = '\0';
    fprintf(f, "{\"case\":\"%s\",\"contracts\":[\"replay\"],\"scenario\":%s,\"expect\":{", name, text);
    /* the expectation is the canonical one: the reference model's answer */
    for (int m = 0; m < 2; m++) {
        ftd_dispatch_outcome_t e;
        ftd_ref_dispatch(s, m ? FT_MODE_HARDENED : FT_MODE_STRICT, &e);
        fprintf(f, "%s\"%s\":", m ? "," : "", m ? "hardened" : "strict");
        put_expectation(f, &e);
    }
    fputs("}}\n", f);
    if (fclose(f) != 0) {
        snprintf(why, 160, "cannot write %.100s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

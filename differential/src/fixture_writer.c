/* The canonical text of a fixture (ftdiff/fixture.h, ftd_fixture_serialize):
 * what fixture_loader.c reads, written back with a fixed key order, so that a
 * loaded fixture can be compared with its reloaded self byte for byte. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ft/json_text.h"
#include "ftdiff/fixture.h"
#include "refmodel_internal.h"

typedef struct {
    char *buf;
    size_t len, cap;
    bool failed;
} wr_t;

static void put(wr_t *w, const char *s, size_t n) {
    if (w->failed)
        return;
    if (w->len + n + 1 > w->cap) {
        size_t cap = w->cap ? w->cap : 1024;
        while (w->len + n + 1 > cap)
            cap *= 2;
        char *p = realloc(w->buf, cap);
        if (!p) {
            w->failed = true;
            return;
        }
        w->buf = p;
        w->cap = cap;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

static void puts_(wr_t *w, const char *s) {
    put(w, s, strlen(s));
}

static void put_str(wr_t *w, const char *s) {
    const size_t n = strlen(s), need = ft_json_string(s, n, NULL, 0);
    char small[256];
    char *tmp = need < sizeof small ? small : malloc(need + 1);
    if (!tmp) {
        w->failed = true;
        return;
    }
    ft_json_string(s, n, tmp, need + 1);
    put(w, tmp, need);
    if (tmp != small)
        free(tmp);
}

static void put_hex(wr_t *w, uint64_t v) {
    char t[24];
    snprintf(t, sizeof t, "\"0x%" PRIx64 "\"", v);
    puts_(w, t);
}

static void put_key(wr_t *w, ft_key_t k) {
    char name[FTDR_NAME_MAX];
    if (!ftdr_key_name(k, name)) {
        w->failed = true;
        return;
    }
    put_str(w, name);
}

/* A finite double as a JSON real that reads back to the same double: %.17g,
 * with ".0" when that looks like an integer (jansson reads "-0" as the
 * integer 0, losing the sign). */
static void put_real(wr_t *w, double v) {
    if (!isfinite(v)) {
        w->failed = true;
        return;
    }
    char t[40];
    snprintf(t, sizeof t, "%.17g", v);
    if (!strpbrk(t, ".eE"))
        strcat(t, ".0");
    puts_(w, t);
}

static void put_route(wr_t *w, const ftd_dispatch_outcome_t *o) {
    puts_(w, "[");
    for (size_t i = 0; i < o->hop_count && i < FTD_MAX_HOPS; i++) {
        const ftd_hop_t *h = &o->hops[i];
        puts_(w, i ? ",{\"key\":" : "{\"key\":");
        put_key(w, h->key);
        puts_(w, ",\"source\":");
        /* the loader reads the tag's own word ("missing", "backend_fallback",
           ...) as no source, and a key name as that key */
        const char *word = h->source == FT_KEY_UNDEFINED ? ft_table_source_name(h->tag, FT_KEY_UNDEFINED) : NULL;
        if (word)
            put_str(w, word);
        else
            put_key(w, h->source);
        puts_(w, ",\"tag\":");
        const char *tag = ft_table_tag_name(h->tag);
        if (!tag)
            w->failed = true;
        else
            put_str(w, tag);
        puts_(w, h->fallthrough ? ",\"fallthrough\":true,\"kernel\":" : ",\"fallthrough\":false,\"kernel\":");
        if (h->kernel[0])
            put_str(w, h->kernel);
        else
            puts_(w, "null");
        puts_(w, "}");
    }
    puts_(w, "]");
}

static void put_expectation(wr_t *w, const ftd_expectation_t *e) {
    const ftd_dispatch_outcome_t *o = &e->want;
    puts_(w, "{\"error\":");
    if (o->status == FT_OK)
        puts_(w, "null");
    else if (ft_status_code(o->status))
        put_str(w, ft_status_code(o->status));
    else
        w->failed = true;
    if (e->fields & FTD_EXPECT_VALUE) {
        puts_(w, ",\"value_bits\":");
        put_hex(w, o->value_bits);
    }
    if (e->fields & FTD_EXPECT_TOLERANCE) {
        puts_(w, ",\"tolerance\":{\"abs\":");
        put_real(w, e->abs_tol);
        puts_(w, ",\"rel\":");
        put_real(w, e->rel_tol);
        puts_(w, "}");
    }
    if (e->fields & FTD_EXPECT_SELECTED) {
        puts_(w, ",\"selected_key\":");
        put_key(w, o->selected_key);
    }
    if (e->fields & FTD_EXPECT_BACKEND) {
        puts_(w, ",\"backend_key\":");
        put_key(w, o->backend_key);
    }
    if (e->fields & FTD_EXPECT_KERNEL) {
        puts_(w, ",\"kernel\":");
        if (o->kernel[0])
            put_str(w, o->kernel);
        else
            puts_(w, "null");
    }
    if (e->fields & FTD_EXPECT_MODE_SPLIT) {
        puts_(w, ",\"mode_split\":");
        const char *split = ft_mode_split_name(o->mode_split);
        if (!split)
            w->failed = true;
        else
            put_str(w, split);
    }
    if (e->fields & FTD_EXPECT_FALLBACK)
        puts_(w, o->fallback_used ? ",\"fallback_used\":true" : ",\"fallback_used\":false");
    if (e->fields & FTD_EXPECT_REQUIRES_GRAD)
        puts_(w, o->requires_grad ? ",\"requires_grad\":true" : ",\"requires_grad\":false");
    if (e->fields & FTD_EXPECT_KEYSET) {
        puts_(w, ",\"keyset_bits\":");
        put_hex(w, o->keyset);
    }
    if (e->fields & FTD_EXPECT_EFFECTIVE_KEYSET) {
        puts_(w, ",\"effective_keyset_bits\":");
        put_hex(w, o->effective_keyset);
    }
    if (e->fields & FTD_EXPECT_ROUTE) {
        puts_(w, ",\"route\":");
        put_route(w, o);
    }
    puts_(w, "}");
}

static void put_case(wr_t *w, const ftd_fixture_case_t *c) {
    static const char *const modes[2] = {"strict", "hardened"};
    puts_(w, "{\"case\":");
    put_str(w, c->name);
    if (c->contract_count) {
        puts_(w, ",\"contracts\":[");
        for (size_t i = 0; i < c->contract_count && i < FTD_MAX_CONTRACTS; i++) {
            if (i)
                puts_(w, ",");
            put_str(w, c->contracts[i]);
        }
        puts_(w, "]");
    }
    puts_(w, ",\"scenario\":");
    const size_t n = ftd_scenario_encode(&c->scenario, NULL, 0);
    char *sc = n ? malloc(n + 1) : NULL;
    if (!sc) {
        w->failed = true;
        return;
    }
    ftd_scenario_encode(&c->scenario, sc, n + 1);
    put(w, sc, n);
    free(sc);
    puts_(w, ",\"expect\":{");
    bool first = true;
    for (int m = 0; m < 2; m++) {
        if (!c->expect[m].present)
            continue;
        puts_(w, first ? "\"" : ",\"");
        puts_(w, modes[m]);
        puts_(w, "\":");
        put_expectation(w, &c->expect[m]);
        first = false;
    }
    puts_(w, "}}\n");
}

int ftd_fixture_serialize(const ftd_fixture_t *f, char **text, size_t *len) {
    wr_t w = {NULL, 0, 0, false};
    puts_(&w, "{\"format\":\"ft-fixture-v1\",\"fixture\":");
    put_str(&w, f->fixture_id);
    puts_(&w, ",\"suite\":");
    put_str(&w, f->suite);
    puts_(&w, ",\"packet\":");
    put_str(&w, f->packet);
    puts_(&w, "}\n");
    for (size_t i = 0; i < f->count; i++)
        put_case(&w, &f->cases[i]);
    if (w.failed || !w.buf) {
        free(w.buf);
        return -1;
    }
    *text = w.buf;
    *len = w.len;
    return 0;
}

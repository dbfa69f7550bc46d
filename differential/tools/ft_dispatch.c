/* ft-dispatch: introspection of libft's dispatcher, like torch._C._dispatch_*.
 *
 *   ft-dispatch keyset <text>            parse a keyset and show what c10 derives from it
 *   ft-dispatch table <op>               computed table of a registered operator
 *   ft-dispatch table --registrations K1,K2,...   table for a registration set
 *   ft-dispatch route <op> [options]     route (and run) one call
 *   ft-dispatch keys | ops               list keys / operators
 *   ft-dispatch --batch [--allow-unknown-fields]   JSON-lines queries on stdin (see BATCH.md)
 */
#include <stdlib.h>
#include <string.h>

#include "ftdiff/dispatch_batch.h"

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

static const char usage_text[] =
    "usage: ft-dispatch <command> [args]\n"
    "\n"
    "commands:\n"
    "  keyset <text>                 parse a keyset (hex, A|B, or DispatchKeySet(...)) and describe it\n"
    "  table <op>                    computed dispatch table of a built-in operator\n"
    "  table --registrations K,...   computed table for kernels registered under keys K,...\n"
    "  route <op> [--mode strict|hardened] [--keyset T]\n"
    "             [--lhs X] [--rhs Y] [--dtype f64|f32] [--device CPU] [--requires-grad] [--no-grad-mode]\n"
    "             [--profile packet|c10] [--inference-mode] [--inference]\n"
    "                                route one call (with --keyset and no operands: decide only);\n"
    "                                --profile: how the keyset is derived (packet, the default, or\n"
    "                                torch's c10), --inference-mode: torch.inference_mode() (c10),\n"
    "                                --inference: the operands are inference tensors (c10)\n"
    "  keys                          every key id with its name and kind\n"
    "  ops                           registered operators and their registrations\n"
    "  --batch [--allow-unknown-fields]\n"
    "                                answer JSON-lines queries from stdin, one answer line each\n"
    "                                (see differential/BATCH.md); a field a query does not know is\n"
    "                                answered unknown_field unless --allow-unknown-fields is given\n"
    "  --version, --help\n"
    "\n"
    "exit status: 0 success, 1 the query failed (bad keyset, route error), 2 usage error\n";

static int usage_error(const char *msg) {
    fprintf(stderr, "ft-dispatch: %s\n\n%s", msg, usage_text);
    return EXIT_USAGE;
}

static const char *kind_of(ft_key_t k) {
    if (k == FT_KEY_UNDEFINED)
        return "undefined";
    if (ft_key_is_alias(k))
        return "alias";
    if (ft_key_is_placeholder(k))
        return "placeholder";
    if (ft_key_is_per_backend_functionality(k))
        return "per-backend functionality";
    if (ft_key_is_per_backend(k))
        return "runtime per-backend";
    if (ft_key_is_functionality(k))
        return "functionality";
    return "marker";
}

static int cmd_keys(void) {
    for (int k = 0; k < FT_KEY_ID_COUNT; k++) {
        char hex[19];
        printf("%3d  %-40s %-26s %s\n", k, ft_key_name((ft_key_t)k), kind_of((ft_key_t)k),
               ft_keyset_format_hex(ft_keyset_from_key((ft_key_t)k), hex));
    }
    return EXIT_OK;
}

static int cmd_keyset(const char *text) {
    ft_keyset_t ks;
    ft_parse_error_t err;
    if (ft_keyset_parse(text, strlen(text), &ks, &err) != FT_OK) {
        fprintf(stderr, "ft-dispatch: %s at byte %zu: %s\n", ft_status_code(err.code), err.offset, err.text);
        return EXIT_FAILED;
    }
    char hex[19], repr[FT_KEYSET_TEXT_MAX], canon[FT_KEYSET_TEXT_MAX];
    ft_keyset_format(ks, repr, sizeof repr);
    ft_keyset_format_canonical(ks, canon, sizeof canon);
    ft_status v = ft_keyset_validate(ks);
    printf("raw:                  %s\n", ft_keyset_format_hex(ks, hex));
    printf("repr:                 %s\n", repr);
    printf("canonical:            %s\n", canon);
    printf("highest type:         %s (%d)\n", ft_key_name(ft_keyset_highest_priority_type_id(ks)),
           (int)ft_keyset_highest_priority_type_id(ks));
    printf("highest backend type: %s\n", ft_key_name(ft_keyset_highest_priority_backend_type_id(ks)));
    printf("dispatchable:         %s\n", v == FT_OK ? "yes" : ft_status_code(v));
    return EXIT_OK;
}

/* One line per entry, in the spirit of torch's _dispatch_dump_table:
 * "Key  kernel  [tag] from Source". Without an operator (--registrations) the
 * kernel column names the registration key instead. */
static void print_entry(const ft_table_entry_t *e) {
    const bool has_source = e->source != FT_KEY_UNDEFINED;
    const char *what = e->registration                     ? e->registration->kernel_name
                       : has_source                        ? ft_key_name(e->source)
                       : e->tag == FT_TAG_BACKEND_FALLBACK ? (e->fallthrough ? "fallthrough" : "fallback kernel")
                                                           : "-";
    printf("%-32s %-28s [%s]%s%s\n", ft_key_name(e->key), what, ft_table_tag_name(e->tag),
           e->registration ? " from " : "", e->registration ? ft_key_name(e->source) : "");
}

static int cmd_table(ftd_batch_t *b, int argc, char **argv) {
    const ft_key_t *runtime;
    size_t n = ft_key_runtime_list(&runtime);
    if (argc == 2 && strcmp(argv[0], "--registrations") == 0) {
        ft_key_t keys[FT_KEY_ID_COUNT];
        size_t count = 0;
        for (const char *tok = argv[1]; *tok;) {
            const char *comma = strchr(tok, ',');
            size_t len = comma ? (size_t)(comma - tok) : strlen(tok);
            if (count == FT_KEY_ID_COUNT || ft_key_from_name_n(tok, len, &keys[count]) != FT_OK) {
                fprintf(stderr, "ft-dispatch: unknown_key_name: %.*s\n", (int)len, tok);
                return EXIT_FAILED;
            }
            count++;
            tok += len + (comma != NULL);
        }
        ft_error_t why;
        if (ft_table_check_keys(keys, count, &why) != FT_OK) {
            fprintf(stderr, "ft-dispatch: %s: %s\n", ft_status_code(why.code), why.message);
            return EXIT_FAILED;
        }
        for (size_t i = 0; i < n; i++) {
            ft_table_entry_t e;
            if (ft_table_compute_entry(keys, count, runtime[i], &e) != FT_OK) {
                fprintf(stderr, "ft-dispatch: invalid_registration: registrations must be runtime or alias keys\n");
                return EXIT_FAILED;
            }
            print_entry(&e);
        }
        return EXIT_OK;
    }
    if (argc != 1)
        return usage_error("table takes an operator name or --registrations K1,K2,...");
    const ft_op_t *op;
    if (ft_registry_find(ftd_batch_registry(b), argv[0], &op) != FT_OK) {
        fprintf(stderr, "ft-dispatch: unknown_op: %s (see 'ft-dispatch ops')\n", argv[0]);
        return EXIT_FAILED;
    }
    for (size_t i = 0; i < n; i++) {
        ft_table_entry_t e;
        ft_op_table_entry(op, runtime[i], &e);
        print_entry(&e);
    }
    return EXIT_OK;
}

static int cmd_ops(ftd_batch_t *b) {
    const ft_registry_t *reg = ftd_batch_registry(b);
    for (size_t i = 0; i < ft_registry_op_count(reg); i++) {
        const ft_op_t *op = ft_registry_op_at(reg, i);
        const ft_registration_t *regs;
        size_t n = ft_op_registrations(op, &regs);
        printf("%s:", ft_op_name(op));
        for (size_t j = 0; j < n; j++)
            printf(" %s=%s", ft_key_name(regs[j].key), regs[j].kernel_name);
        printf("\n");
    }
    return EXIT_OK;
}

/* An argument as a JSON string. Arguments are caller bytes and need not be UTF-8;
 * jansson refuses such text, and a silently missing field would change the
 * query, so they go through the batch's repair rule (the repaired text then fails
 * as an unknown operator, mode, keyset or value, like any other wrong word). */
static json_t *arg_json(const char *arg) {
    return ftd_json_text(arg, strlen(arg));
}

/* route: builds a batch "dispatch" query from flags so both paths share one
 * implementation, then prints the answer readably. */
static int cmd_route(ftd_batch_t *b, int argc, char **argv) {
    if (argc < 1)
        return usage_error("route needs an operator name");
    json_t *q = json_pack("{s:s, s:o}", "q", "dispatch", "op", arg_json(argv[0]));
    json_t *lhs = json_pack("{s:f}", "value", 1.0), *rhs = json_pack("{s:f}", "value", 2.0);
    bool operands = false;
    if (!q || !lhs || !rhs) {
        json_decref(q), json_decref(lhs), json_decref(rhs);
        fprintf(stderr, "ft-dispatch: out of memory\n");
        return EXIT_FAILED;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--requires-grad") == 0) {
            json_object_set_new(lhs, "requires_grad", json_true());
            json_object_set_new(rhs, "requires_grad", json_true());
            operands = true;
        } else if (strcmp(a, "--no-grad-mode") == 0) {
            json_object_set_new(q, "grad_mode", json_false());
        } else if (strcmp(a, "--inference-mode") == 0) {
            json_object_set_new(q, "inference_mode", json_true());
        } else if (strcmp(a, "--inference") == 0) {
            json_object_set_new(lhs, "inference", json_true());
            json_object_set_new(rhs, "inference", json_true());
            operands = true;
        } else if (!v) {
            json_decref(q), json_decref(lhs), json_decref(rhs);
            return usage_error("option needs a value");
        } else {
            i++;
            if (strcmp(a, "--mode") == 0)
                json_object_set_new(q, "mode", arg_json(v));
            else if (strcmp(a, "--profile") == 0)
                json_object_set_new(q, "profile", arg_json(v));
            else if (strcmp(a, "--keyset") == 0)
                json_object_set_new(q, "keyset", arg_json(v));
            else if (strcmp(a, "--lhs") == 0 || strcmp(a, "--rhs") == 0) {
                json_object_set_new(a[2] == 'l' ? lhs : rhs, "value", arg_json(v));
                operands = true;
            } else if (strcmp(a, "--dtype") == 0 || strcmp(a, "--device") == 0) {
                json_object_set_new(lhs, a + 2, arg_json(v));
                json_object_set_new(rhs, a + 2, arg_json(v));
                operands = true;
            } else {
                json_decref(q), json_decref(lhs), json_decref(rhs);
                return usage_error("unknown route option");
            }
        }
    }
    if (operands || !json_object_get(q, "keyset")) {
        json_object_set(q, "lhs", lhs);
        json_object_set(q, "rhs", rhs);
    }
    json_decref(lhs);
    json_decref(rhs);
    json_t *ans = ftd_batch_answer(b, q);
    json_decref(q);
    int rc = EXIT_OK;
    const json_t *d = json_object_get(ans, "decision");
    if (!d) {
        fprintf(stderr, "ft-dispatch: %s: %s\n", json_string_value(json_object_get(ans, "error")),
                json_string_value(json_object_get(ans, "message")));
        json_decref(ans);
        return EXIT_FAILED;
    }
    printf("keyset:     %s -> effective %s\n", json_string_value(json_object_get(d, "keyset_bits")),
           json_string_value(json_object_get(d, "effective_keyset_bits")));
    const json_t *hop;
    size_t i;
    json_array_foreach(json_object_get(d, "route"), i, hop) {
        const json_t *k = json_object_get(hop, "kernel");
        printf("  hop %zu:    %-16s [%s] %s\n", i, json_string_value(json_object_get(hop, "key")),
               json_string_value(json_object_get(hop, "tag")), json_is_string(k) ? json_string_value(k) : "");
    }
    printf("decision:   %s\n", json_string_value(json_object_get(d, "message")));
    printf("mode split: %s, fallback_used: %s\n", json_string_value(json_object_get(d, "mode_split")),
           json_is_true(json_object_get(d, "fallback_used")) ? "true" : "false");
    if (json_is_string(json_object_get(ans, "value")))
        printf("value:      %s\n", json_string_value(json_object_get(ans, "value")));
    if (!json_is_true(json_object_get(ans, "ok")))
        rc = EXIT_FAILED;
    json_decref(ans);
    return rc;
}

int main(int argc, char **argv) {
    if (argc < 2)
        return usage_error("missing command");
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage_text, stdout);
        return EXIT_OK;
    }
    /* `ft-dispatch route --help` and the like: help, not an operator named --help */
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage_text, stdout);
            return EXIT_OK;
        }
    if (strcmp(cmd, "--version") == 0) {
        printf("ft-dispatch (libft %s, PyTorch %s dispatch model)\n", ft_version(), FT_TORCH_MODEL);
        return EXIT_OK;
    }
    if (strcmp(cmd, "keys") == 0)
        return cmd_keys();
    if (strcmp(cmd, "keyset") == 0)
        return argc == 3 ? cmd_keyset(argv[2]) : usage_error("keyset takes one text argument");

    ftd_batch_t *b = ftd_batch_new();
    if (!b) {
        fprintf(stderr, "ft-dispatch: out of memory\n");
        return EXIT_FAILED;
    }
    int rc;
    if (strcmp(cmd, "--batch") == 0) {
        const bool allow = argc == 3 && strcmp(argv[2], "--allow-unknown-fields") == 0;
        if (argc == 2 || allow) {
            ftd_batch_allow_unknown_fields(b, allow);
            rc = ftd_batch_run(b, stdin, stdout) < 0 ? EXIT_FAILED : EXIT_OK;
        } else {
            rc = usage_error("--batch takes only --allow-unknown-fields");
        }
    } else if (strcmp(cmd, "table") == 0) {
        rc = cmd_table(b, argc - 2, argv + 2);
    } else if (strcmp(cmd, "route") == 0) {
        rc = cmd_route(b, argc - 2, argv + 2);
    } else if (strcmp(cmd, "ops") == 0) {
        rc = cmd_ops(b);
    } else {
        rc = usage_error("unknown command");
    }
    ftd_batch_free(b);
    return rc;
}

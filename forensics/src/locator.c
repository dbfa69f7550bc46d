/* The locator sidecar `<log>.ftidx`: build, write, map, look up, check
 * (forensics/INDEX_FORMAT.md has the byte layout; the constants below follow
 * it). Also the cheap top-level field scan shared by the locator, the failure
 * index and `ft-forensics cat`. */
#define _POSIX_C_SOURCE 200809L

#include "ftf/locator.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ftf/atomic_file.h"
#include "json_scan.h"

/*
 * .ftidx, version 1 (all integers little-endian):
 *
 *   offset size  field
 *   0      8     magic "FTIDX" 0x1a '\n' 0x00
 *   8      4     version (1)
 *   12     4     header size (96)
 *   16     8     log size in bytes when built
 *   24     8     head hash: SipHash-1-3(0,0) of the log's first `head length` bytes
 *   32     8     tail hash: the same over its last min(64 KiB, size) bytes
 *   40     8     entry count N
 *   48     8     distinct id count
 *   56     8     head length: the log's first gzip member (BSIZE + 1 of its BC field), or
 *                 min(4 KiB, size) when the log does not start with a BGZF member
 *   64     8     string table size S
 *   72     8     table hash: SipHash-1-3(0,0) of entries then strings
 *   80     4     entry size (32)
 *   84     4     reserved (0)
 *   88     8     header hash: SipHash-1-3(0,0) of bytes 0..87
 *   96     32*N  entries, sorted by (id bytes, member offset, offset)
 *   96+32N S     ids, distinct, sorted, concatenated (no separators)
 *
 * entry:
 *   0  8  member offset    8  4  offset in member   12 4 length
 *   16 4  id offset (in the string table)   20 1 id length (1..255)
 *   21 1  outcome (ftf_outcome_t; 0xff unknown)   22 1 mode (0 strict, 1 hardened, 0xff)
 *   23 1  reserved (0)     24 8  seq (all ones: none)
 */
#define LOC_MAGIC       "FTIDX\x1a\n"
#define LOC_MAGIC_SIZE  8
#define LOC_HEADER_SIZE 96u
#define LOC_ENTRY_SIZE  32u

/* ---- little-endian helpers ------------------------------------------------ */

static void put32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}
static void put64(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}
static uint32_t get32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get64(const unsigned char *p) {
    return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* ---- ftf_record_peek ------------------------------------------------------ */

/* As ftfp_json_skip_string; *escaped tells whether the string held a backslash
 * (for keys and wanted values, which are short). */
static const char *scan_string(const char *p, const char *end, bool *escaped) {
    const char *q = ftfp_json_skip_string(p, end);
    if (q)
        *escaped = memchr(p + 1, '\\', (size_t)(q - 1 - (p + 1))) != NULL;
    return q;
}

typedef struct {
    const char *name;
    size_t len;
    unsigned bit;
} peek_key_t;

static const peek_key_t peek_keys[] = {
    {"record", 6, FTF_PEEK_RECORD}, {"scenario_id", 11, FTF_PEEK_SCENARIO_ID}, {"outcome", 7, FTF_PEEK_OUTCOME},
    {"mode", 4, FTF_PEEK_MODE},     {"reason_code", 11, FTF_PEEK_REASON_CODE}, {"run_id", 6, FTF_PEEK_RUN_ID},
    {"seq", 3, FTF_PEEK_SEQ},
};

static void peek_set(ftf_record_fields_t *f, unsigned bit, const char *s, size_t n) {
    switch (bit) {
    case FTF_PEEK_RECORD:
        f->record = s, f->record_len = n;
        break;
    case FTF_PEEK_SCENARIO_ID:
        f->scenario_id = s, f->scenario_id_len = n;
        break;
    case FTF_PEEK_OUTCOME:
        f->outcome = s, f->outcome_len = n;
        break;
    case FTF_PEEK_MODE:
        f->mode = s, f->mode_len = n;
        break;
    case FTF_PEEK_REASON_CODE:
        f->reason_code = s, f->reason_code_len = n;
        break;
    case FTF_PEEK_RUN_ID:
        f->run_id = s, f->run_id_len = n;
        break;
    default:
        break;
    }
}

ftf_peek_result_t ftf_record_peek(const char *line, size_t len, unsigned want, ftf_record_fields_t *out) {
    ftf_record_fields_t f;
    memset(&f, 0, sizeof f);
    f.seq = FTF_LOCATOR_NO_SEQ;
    if (out)
        *out = f;
    if (!line || !out)
        return FTF_PEEK_NOT_OBJECT;
    want &= FTF_PEEK_ALL;
    const char *p = line, *end = line + len;
    p = ftfp_json_skip_ws(p, end);
    if (p == end || *p != '{')
        return FTF_PEEK_NOT_OBJECT;
    p = ftfp_json_skip_ws(p + 1, end);
    unsigned found = 0;
    if (p < end && *p == '}')
        goto done;
    while (found != want) {
        if (p >= end || *p != '"')
            return FTF_PEEK_UNDECIDED;
        bool kesc;
        const char *k = p + 1, *kend = scan_string(p, end, &kesc);
        if (!kend || kesc)
            return FTF_PEEK_UNDECIDED; /* an escaped key might spell a wanted one */
        const size_t klen = (size_t)(kend - 1 - k);
        unsigned bit = 0;
        for (size_t i = 0; i < sizeof peek_keys / sizeof peek_keys[0]; i++)
            if (peek_keys[i].len == klen && memcmp(peek_keys[i].name, k, klen) == 0)
                bit = peek_keys[i].bit;
        bit &= want;
        if (bit & found)
            return FTF_PEEK_UNDECIDED; /* duplicate key: the full parser decides */
        p = ftfp_json_skip_ws(kend, end);
        if (p >= end || *p != ':')
            return FTF_PEEK_UNDECIDED;
        p = ftfp_json_skip_ws(p + 1, end);
        if (p >= end)
            return FTF_PEEK_UNDECIDED;
        const char *v = p;
        if (*p == '"') {
            if (!(p = ftfp_json_skip_string(p, end)))
                return FTF_PEEK_UNDECIDED;
            if (bit) {
                if (bit == FTF_PEEK_SEQ || memchr(v + 1, '\\', (size_t)(p - v - 2)))
                    return FTF_PEEK_UNDECIDED;
                peek_set(&f, bit, v + 1, (size_t)(p - v - 2));
            }
        } else if (*p == '{' || *p == '[') {
            if (bit)
                return FTF_PEEK_UNDECIDED; /* wrong type for any wanted field */
            if (!(p = ftfp_json_skip_value(p, end)))
                return FTF_PEEK_UNDECIDED;
        } else {
            p = ftfp_json_skip_value(p, end);
            if (p == v)
                return FTF_PEEK_UNDECIDED;
            if (bit == FTF_PEEK_SEQ) {
                uint64_t s = 0;
                const size_t n = (size_t)(p - v);
                bool plain = n <= 19 && !(n > 1 && v[0] == '0');
                for (size_t i = 0; plain && i < n; i++) {
                    if (v[i] < '0' || v[i] > '9')
                        plain = false;
                    else
                        s = s * 10 + (uint64_t)(v[i] - '0');
                }
                if (!plain)
                    return FTF_PEEK_UNDECIDED;
                f.seq = s;
            } else if (bit) {
                return FTF_PEEK_UNDECIDED; /* a wanted string field holding a scalar */
            }
        }
        found |= bit;
        p = ftfp_json_skip_ws(p, end);
        if (p >= end)
            return FTF_PEEK_UNDECIDED;
        if (*p == '}')
            break;
        if (*p != ',')
            return FTF_PEEK_UNDECIDED;
        p = ftfp_json_skip_ws(p + 1, end);
    }
done:
    *out = f;
    return FTF_PEEK_OK;
}

/* ---- builder ------------------------------------------------------------- */

typedef struct {
    uint64_t member_offset;
    uint64_t seq;
    const char *id; /* set just before sorting (the arena moves while adding) */
    uint32_t offset, length;
    uint32_t id_off;
    unsigned char id_len, outcome, mode;
} loc_item_t;

struct ftf_locator_builder {
    loc_item_t *items;
    size_t n, cap;
    char *ids;
    size_t ids_len, ids_cap;
    ftf_event_storage_t storage;
};

ftf_status ftf_locator_builder_new(ftf_locator_builder_t **out) {
    if (!out)
        return FTF_EINVALID_ARGUMENT;
    *out = calloc(1, sizeof **out);
    if (!*out)
        return FTF_ENOMEM;
    ftf_event_storage_init(&(*out)->storage);
    return FTF_OK;
}

void ftf_locator_builder_free(ftf_locator_builder_t *b) {
    if (!b)
        return;
    free(b->items);
    free(b->ids);
    ftf_event_storage_dispose(&b->storage);
    free(b);
}

size_t ftf_locator_builder_count(const ftf_locator_builder_t *b) {
    return b ? b->n : 0;
}

ftf_status ftf_locator_builder_add(ftf_locator_builder_t *b, const char *scenario_id, size_t id_len,
                                   const ftf_log_pos_t *pos, unsigned outcome, unsigned mode, uint64_t seq) {
    if (!b || !scenario_id || !pos)
        return FTF_EINVALID_ARGUMENT;
    if (ftf_scenario_id_classify(scenario_id, id_len) == FTF_SCENARIO_ID_INVALID)
        return FTF_EINVALID_SCENARIO_ID;
    if (pos->offset >= FTF_LOG_MEMBER_DATA_MAX || pos->length > FTF_LOG_MEMBER_DATA_MAX)
        return FTF_EINVALID_ARGUMENT;
    if (b->n >= FTF_LOCATOR_MAX_ENTRIES || b->ids_len > UINT32_MAX - id_len)
        return FTF_ELIMIT;
    if (b->n == b->cap) {
        const size_t cap = b->cap ? b->cap * 2 : 1024;
        loc_item_t *items = realloc(b->items, cap * sizeof *items);
        if (!items)
            return FTF_ENOMEM;
        b->items = items, b->cap = cap;
    }
    if (b->ids_cap - b->ids_len < id_len) {
        size_t cap = b->ids_cap ? b->ids_cap * 2 : 16384;
        while (cap - b->ids_len < id_len)
            cap *= 2;
        char *ids = realloc(b->ids, cap);
        if (!ids)
            return FTF_ENOMEM;
        b->ids = ids, b->ids_cap = cap;
    }
    memcpy(b->ids + b->ids_len, scenario_id, id_len);
    loc_item_t *it = &b->items[b->n++];
    it->member_offset = pos->member_offset;
    it->offset = (uint32_t)pos->offset;
    it->length = (uint32_t)pos->length;
    it->seq = seq;
    it->id = NULL;
    it->id_off = (uint32_t)b->ids_len;
    it->id_len = (unsigned char)id_len;
    it->outcome = (unsigned char)(outcome <= FTF_OUTCOME_CRASH ? outcome : FTF_LOCATOR_UNKNOWN);
    it->mode = (unsigned char)(mode <= FT_MODE_HARDENED ? mode : FTF_LOCATOR_UNKNOWN);
    b->ids_len += id_len;
    return FTF_OK;
}

static unsigned outcome_code(const char *s, size_t n) {
    static const char *const names[] = {"pass", "fail", "allowlisted", "skipped", "crash"};
    for (unsigned i = 0; i < 5; i++)
        if (strlen(names[i]) == n && memcmp(names[i], s, n) == 0)
            return i;
    return FTF_LOCATOR_UNKNOWN;
}

static unsigned mode_code(const char *s, size_t n) {
    if (n == 6 && memcmp(s, "strict", 6) == 0)
        return FT_MODE_STRICT;
    if (n == 8 && memcmp(s, "hardened", 8) == 0)
        return FT_MODE_HARDENED;
    return FTF_LOCATOR_UNKNOWN;
}

ftf_status ftf_locator_builder_add_line(ftf_locator_builder_t *b, const char *line, size_t len,
                                        const ftf_log_pos_t *pos, bool *indexed) {
    if (indexed)
        *indexed = false;
    if (!b || !line || !pos)
        return FTF_EINVALID_ARGUMENT;
    ftf_record_fields_t f;
    const ftf_peek_result_t pr = ftf_record_peek(
        line, len, FTF_PEEK_RECORD | FTF_PEEK_SCENARIO_ID | FTF_PEEK_OUTCOME | FTF_PEEK_MODE | FTF_PEEK_SEQ, &f);
    if (pr == FTF_PEEK_NOT_OBJECT)
        return FTF_OK;
    const char *id;
    size_t id_len;
    unsigned outcome, mode;
    uint64_t seq;
    if (pr == FTF_PEEK_OK) {
        if (!f.record || f.record_len != 5 || memcmp(f.record, "event", 5) != 0 || !f.scenario_id)
            return FTF_OK;
        id = f.scenario_id, id_len = f.scenario_id_len;
        outcome = f.outcome ? outcome_code(f.outcome, f.outcome_len) : FTF_LOCATOR_UNKNOWN;
        mode = f.mode ? mode_code(f.mode, f.mode_len) : FTF_LOCATOR_UNKNOWN;
        seq = f.seq;
    } else {
        ftf_record_t rec;
        const ftf_status st = ftf_record_parse(line, len, &rec, &b->storage, NULL);
        if (st == FTF_ENOMEM)
            return st;
        if (st != FTF_OK || rec.kind != FTF_RECORD_KIND_EVENT)
            return FTF_OK;
        id = rec.event.scenario_id, id_len = strlen(id);
        outcome = (unsigned)rec.event.outcome, mode = (unsigned)rec.event.mode, seq = rec.event.seq;
    }
    const ftf_status st = ftf_locator_builder_add(b, id, id_len, pos, outcome, mode, seq);
    if (st == FTF_EINVALID_SCENARIO_ID || st == FTF_EINVALID_ARGUMENT)
        return FTF_OK; /* not an indexable event: counted by the caller as skipped */
    if (st == FTF_OK && indexed)
        *indexed = true;
    return st;
}

static int item_cmp(const void *pa, const void *pb) {
    const loc_item_t *a = pa, *b = pb;
    const size_t n = a->id_len < b->id_len ? a->id_len : b->id_len;
    int c = memcmp(a->id, b->id, n);
    if (c)
        return c;
    if (a->id_len != b->id_len)
        return a->id_len < b->id_len ? -1 : 1;
    if (a->member_offset != b->member_offset)
        return a->member_offset < b->member_offset ? -1 : 1;
    if (a->offset != b->offset)
        return a->offset < b->offset ? -1 : 1;
    return 0;
}

/* Identity of a log as the header records it. */
typedef struct {
    uint64_t size, head_len, head, tail;
} log_ident_t;

#define LOC_HEAD_FALLBACK 4096u

static ftf_status read_full(int fd, unsigned char *buf, size_t n, uint64_t at) {
    size_t got = 0;
    while (got < n) {
        const ssize_t k = pread(fd, buf + got, n - got, (off_t)(at + got));
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return FTF_EIO;
        got += (size_t)k;
    }
    return FTF_OK;
}

/* Size of the BGZF member at the start of buf (n bytes), or 0. The head is
 * the first member: it holds the run header, so it names the log, and
 * appending or truncating later members leaves it alone. */
static uint64_t first_member_size(const unsigned char *b, size_t n) {
    if (n < 18 || b[0] != 0x1f || b[1] != 0x8b || b[2] != 8 || !(b[3] & 4))
        return 0;
    const size_t xlen = (size_t)b[10] | (size_t)b[11] << 8;
    for (size_t i = 12; i + 4 <= 12 + xlen && i + 4 <= n;) {
        const size_t slen = (size_t)b[i + 2] | (size_t)b[i + 3] << 8;
        if (b[i] == 'B' && b[i + 1] == 'C' && slen == 2 && i + 6 <= n)
            return ((uint64_t)b[i + 4] | (uint64_t)b[i + 5] << 8) + 1;
        i += 4 + slen;
    }
    return 0;
}

/* Reads the log's identity. With head_len 0 the head is chosen (first member);
 * otherwise the first head_len bytes are hashed (FTF_ESTALE_INDEX when the log
 * is now shorter than that). */
static ftf_status log_identify(const char *path, uint64_t head_len, log_ident_t *id) {
    const int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? FTF_ENOT_FOUND : FTF_EIO;
    ftf_status st = FTF_OK;
    unsigned char *buf = malloc(FTF_LOCATOR_HASH_SPAN);
    struct stat sb;
    if (!buf) {
        st = FTF_ENOMEM;
        goto done;
    }
    if (fstat(fd, &sb) != 0 || sb.st_size < 0) {
        st = FTF_EIO;
        goto done;
    }
    id->size = (uint64_t)sb.st_size;
    if (head_len == 0) {
        const size_t peek = id->size < 32 ? (size_t)id->size : 32;
        if ((st = read_full(fd, buf, peek, 0)) != FTF_OK)
            goto done;
        head_len = first_member_size(buf, peek);
        if (head_len == 0 || head_len > id->size)
            head_len = id->size < LOC_HEAD_FALLBACK ? id->size : LOC_HEAD_FALLBACK;
    } else if (head_len > id->size || head_len > FTF_LOCATOR_HASH_SPAN) {
        st = FTF_ESTALE_INDEX;
        goto done;
    }
    id->head_len = head_len;
    if ((st = read_full(fd, buf, (size_t)head_len, 0)) != FTF_OK)
        goto done;
    id->head = ftf_siphash13(0, 0, buf, (size_t)head_len);
    const size_t span = id->size < FTF_LOCATOR_HASH_SPAN ? (size_t)id->size : FTF_LOCATOR_HASH_SPAN;
    if ((st = read_full(fd, buf, span, id->size - span)) != FTF_OK)
        goto done;
    id->tail = ftf_siphash13(0, 0, buf, span);
done:
    free(buf);
    close(fd);
    return st;
}

/* The whole sidecar in memory. */
typedef struct {
    unsigned char *data;
    size_t len;
} loc_image_t;

static ftf_status builder_serialize(ftf_locator_builder_t *b, const log_ident_t *ident, loc_image_t *img) {
    for (size_t i = 0; i < b->n; i++)
        b->items[i].id = b->ids + b->items[i].id_off;
    if (b->n > 1)
        qsort(b->items, b->n, sizeof *b->items, item_cmp);
    /* distinct ids, in sorted order */
    size_t strings = 0, ids = 0;
    for (size_t i = 0; i < b->n; i++)
        if (i == 0 || b->items[i].id_len != b->items[i - 1].id_len ||
            memcmp(b->items[i].id, b->items[i - 1].id, b->items[i].id_len) != 0)
            strings += b->items[i].id_len, ids++;
    if (strings > UINT32_MAX)
        return FTF_ELIMIT;
    img->len = LOC_HEADER_SIZE + (size_t)LOC_ENTRY_SIZE * b->n + strings;
    img->data = calloc(1, img->len);
    if (!img->data)
        return FTF_ENOMEM;
    unsigned char *h = img->data, *e = h + LOC_HEADER_SIZE, *s = e + (size_t)LOC_ENTRY_SIZE * b->n;
    uint32_t soff = 0, cur_off = 0;
    for (size_t i = 0; i < b->n; i++, e += LOC_ENTRY_SIZE) {
        const loc_item_t *it = &b->items[i];
        if (i == 0 || it->id_len != b->items[i - 1].id_len || memcmp(it->id, b->items[i - 1].id, it->id_len) != 0) {
            memcpy(s + soff, it->id, it->id_len);
            cur_off = soff;
            soff += it->id_len;
        }
        put64(e, it->member_offset);
        put32(e + 8, it->offset);
        put32(e + 12, it->length);
        put32(e + 16, cur_off);
        e[20] = it->id_len, e[21] = it->outcome, e[22] = it->mode, e[23] = 0;
        put64(e + 24, it->seq);
    }
    memcpy(h, LOC_MAGIC, LOC_MAGIC_SIZE);
    put32(h + 8, FTF_LOCATOR_VERSION);
    put32(h + 12, LOC_HEADER_SIZE);
    put64(h + 16, ident->size);
    put64(h + 24, ident->head);
    put64(h + 32, ident->tail);
    put64(h + 40, b->n);
    put64(h + 48, ids);
    put64(h + 56, ident->head_len);
    put64(h + 64, strings);
    put64(h + 72, ftf_siphash13(0, 0, h + LOC_HEADER_SIZE, img->len - LOC_HEADER_SIZE));
    put32(h + 80, LOC_ENTRY_SIZE);
    put32(h + 84, 0);
    put64(h + 88, ftf_siphash13(0, 0, h, 88));
    return FTF_OK;
}

static char *default_index_path(const char *log_path) {
    const size_t n = strlen(log_path);
    char *p = malloc(n + sizeof FTF_LOCATOR_SUFFIX);
    if (p) {
        memcpy(p, log_path, n);
        memcpy(p + n, FTF_LOCATOR_SUFFIX, sizeof FTF_LOCATOR_SUFFIX);
    }
    return p;
}

ftf_status ftf_locator_builder_write(ftf_locator_builder_t *b, const char *log_path, const char *index_path) {
    if (!b || !log_path)
        return FTF_EINVALID_ARGUMENT;
    log_ident_t ident;
    ftf_status st = log_identify(log_path, 0, &ident);
    if (st != FTF_OK)
        return st == FTF_ENOT_FOUND ? FTF_EIO : st;
    loc_image_t img = {NULL, 0};
    if ((st = builder_serialize(b, &ident, &img)) != FTF_OK)
        return st;
    char *def = NULL;
    if (!index_path && !(index_path = def = default_index_path(log_path))) {
        free(img.data);
        return FTF_ENOMEM;
    }
    st = ftf_file_write_atomic(index_path, img.data, img.len);
    free(def);
    free(img.data);
    return st;
}

/* Reads the log into a builder. */
static ftf_status build_from_log(const char *log_path, ftf_locator_builder_t *b, ftf_locator_build_stats_t *stats,
                                 ftf_log_report_t *report) {
    ftf_log_reader_t *r;
    ftf_status st = ftf_log_reader_open(&log_path, 1, NULL, &r);
    if (st != FTF_OK)
        return st;
    ftf_log_record_t rec;
    int k;
    uint64_t skipped = 0;
    while ((k = ftf_log_reader_next(r, &rec)) == 1) {
        bool indexed;
        if ((st = ftf_locator_builder_add_line(b, rec.line, rec.len, &rec.pos, &indexed)) != FTF_OK)
            break;
        skipped += !indexed;
    }
    if (st == FTF_OK && k < 0)
        st = (ftf_status)k;
    const ftf_log_report_t *rep = ftf_log_reader_report(r);
    if (st == FTF_OK && rep->io_errors && rep->records == 0 && rep->members == 0 && rep->eof_members == 0)
        st = FTF_EIO; /* could not open or read the log at all */
    if (stats) {
        stats->records = rep->records;
        stats->entries = b->n;
        stats->skipped = skipped;
        stats->damaged = ftf_log_report_damaged(rep);
    }
    if (report)
        *report = *rep;
    ftf_log_reader_free(r);
    return st;
}

ftf_status ftf_locator_build_from_log(const char *log_path, const char *index_path, ftf_locator_build_stats_t *stats,
                                      ftf_log_report_t *report) {
    if (!log_path)
        return FTF_EINVALID_ARGUMENT;
    if (stats)
        memset(stats, 0, sizeof *stats);
    ftf_locator_builder_t *b;
    ftf_status st = ftf_locator_builder_new(&b);
    if (st != FTF_OK)
        return st;
    if ((st = build_from_log(log_path, b, stats, report)) == FTF_OK)
        st = ftf_locator_builder_write(b, log_path, index_path);
    ftf_locator_builder_free(b);
    return st;
}

/* ---- loading ------------------------------------------------------------- */

struct ftf_locator {
    const unsigned char *map;
    size_t map_len;
    ftf_locator_info_t info;
    const unsigned char *entries, *strings;
    uint64_t strings_size;
};

void ftf_locator_free(ftf_locator_t *loc) {
    if (!loc)
        return;
    if (loc->map)
        munmap((void *)loc->map, loc->map_len);
    free(loc);
}

static ftf_status parse_header(ftf_locator_t *loc) {
    const unsigned char *h = loc->map;
    if (loc->map_len < LOC_HEADER_SIZE || memcmp(h, LOC_MAGIC, LOC_MAGIC_SIZE) != 0)
        return FTF_ECORRUPT;
    loc->info.version = get32(h + 8);
    if (loc->info.version != FTF_LOCATOR_VERSION)
        return FTF_EUNSUPPORTED_VERSION;
    if (get32(h + 12) != LOC_HEADER_SIZE || get32(h + 80) != LOC_ENTRY_SIZE || get32(h + 84) != 0 ||
        get64(h + 88) != ftf_siphash13(0, 0, h, 88))
        return FTF_ECORRUPT;
    loc->info.log_size = get64(h + 16);
    loc->info.head_hash = get64(h + 24);
    loc->info.head_len = get64(h + 56);
    loc->info.tail_hash = get64(h + 32);
    loc->info.entries = get64(h + 40);
    loc->info.ids = get64(h + 48);
    loc->strings_size = get64(h + 64);
    loc->info.table_hash = get64(h + 72);
    const uint64_t body = loc->map_len - LOC_HEADER_SIZE;
    if (loc->info.head_len > FTF_LOCATOR_HASH_SPAN || loc->info.head_len > loc->info.log_size ||
        (loc->info.head_len == 0 && loc->info.log_size != 0) || loc->info.entries > FTF_LOCATOR_MAX_ENTRIES ||
        loc->info.ids > loc->info.entries || loc->strings_size > UINT32_MAX ||
        loc->info.entries * LOC_ENTRY_SIZE > body || body - loc->info.entries * LOC_ENTRY_SIZE != loc->strings_size)
        return FTF_ECORRUPT;
    loc->entries = h + LOC_HEADER_SIZE;
    loc->strings = loc->entries + loc->info.entries * LOC_ENTRY_SIZE;
    return FTF_OK;
}

static ftf_status check_against_log(const ftf_locator_t *loc, const char *log_path) {
    log_ident_t now;
    if (loc->info.head_len == 0) { /* built for an empty log */
        const ftf_status st = log_identify(log_path, 0, &now);
        if (st != FTF_OK)
            return st == FTF_ENOT_FOUND ? FTF_EIO : st;
        return now.size == 0 ? FTF_OK : FTF_ESTALE_INDEX;
    }
    const ftf_status st = log_identify(log_path, loc->info.head_len, &now);
    if (st != FTF_OK)
        return st == FTF_ENOT_FOUND ? FTF_EIO : st; /* ESTALE: truncated into its first member */
    if (now.head != loc->info.head_hash)
        return FTF_EFOREIGN_INDEX;
    if (now.size != loc->info.log_size || now.tail != loc->info.tail_hash)
        return FTF_ESTALE_INDEX;
    return FTF_OK;
}

ftf_status ftf_locator_open(const char *log_path, const char *index_path, unsigned flags, ftf_locator_t **out) {
    if (!out || (!log_path && !index_path) || (!log_path && !(flags & FTF_LOCATOR_OPEN_NO_CHECK)))
        return FTF_EINVALID_ARGUMENT;
    *out = NULL;
    char *def = NULL;
    if (!index_path && !(index_path = def = default_index_path(log_path)))
        return FTF_ENOMEM;
    ftf_status st = FTF_OK;
    ftf_locator_t *loc = calloc(1, sizeof *loc);
    const int fd = open(index_path, O_RDONLY | O_CLOEXEC);
    free(def);
    if (!loc) {
        st = FTF_ENOMEM;
        goto fail;
    }
    if (fd < 0) {
        st = errno == ENOENT ? FTF_ENOT_FOUND : FTF_EIO;
        goto fail;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0 || sb.st_size < 0) {
        st = FTF_EIO;
        goto fail;
    }
    if ((uint64_t)sb.st_size < LOC_HEADER_SIZE || (uint64_t)sb.st_size > SIZE_MAX) {
        st = FTF_ECORRUPT;
        goto fail;
    }
    loc->map_len = (size_t)sb.st_size;
    void *m = mmap(NULL, loc->map_len, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
        st = FTF_EIO;
        goto fail;
    }
    loc->map = m;
    close(fd);
    if ((st = parse_header(loc)) != FTF_OK)
        goto fail_closed;
    if (!(flags & FTF_LOCATOR_OPEN_NO_CHECK) && (st = check_against_log(loc, log_path)) != FTF_OK)
        goto fail_closed;
    *out = loc;
    return FTF_OK;
fail:
    if (fd >= 0)
        close(fd);
fail_closed:
    ftf_locator_free(loc);
    return st;
}

size_t ftf_locator_count(const ftf_locator_t *loc) {
    return loc ? (size_t)loc->info.entries : 0;
}

void ftf_locator_info(const ftf_locator_t *loc, ftf_locator_info_t *out) {
    if (loc && out)
        *out = loc->info;
}

/* Entry i's id bytes, bounds-checked. */
static ftf_status entry_id(const ftf_locator_t *loc, size_t i, const char **id, size_t *len) {
    const unsigned char *e = loc->entries + i * LOC_ENTRY_SIZE;
    const uint64_t off = get32(e + 16), n = e[20];
    if (n == 0 || off + n > loc->strings_size)
        return FTF_ECORRUPT;
    *id = (const char *)loc->strings + off;
    *len = (size_t)n;
    return FTF_OK;
}

ftf_status ftf_locator_entry_at(const ftf_locator_t *loc, size_t i, ftf_locator_entry_t *out) {
    if (!loc || !out || i >= loc->info.entries)
        return FTF_EINVALID_ARGUMENT;
    const char *id;
    size_t n;
    ftf_status st = entry_id(loc, i, &id, &n);
    if (st != FTF_OK)
        return st;
    const unsigned char *e = loc->entries + i * LOC_ENTRY_SIZE;
    memcpy(out->scenario_id, id, n);
    out->scenario_id[n] = '\0';
    out->pos.member_offset = get64(e);
    out->pos.offset = get32(e + 8);
    out->pos.length = get32(e + 12);
    out->outcome = e[21];
    out->mode = e[22];
    out->seq = get64(e + 24);
    return FTF_OK;
}

static int id_cmp(const char *a, size_t alen, const char *b, size_t blen) {
    const int c = memcmp(a, b, alen < blen ? alen : blen);
    return c ? c : alen < blen ? -1 : alen > blen ? 1 : 0;
}

ftf_status ftf_locator_find(const ftf_locator_t *loc, const char *scenario_id, size_t *first, size_t *count) {
    if (!loc || !scenario_id || !first || !count)
        return FTF_EINVALID_ARGUMENT;
    *first = 0, *count = 0;
    if (!ftf_scenario_id_valid(scenario_id))
        return FTF_EINVALID_SCENARIO_ID;
    const size_t klen = strlen(scenario_id);
    size_t lo = 0, hi = (size_t)loc->info.entries;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        const char *id;
        size_t n;
        if (entry_id(loc, mid, &id, &n) != FTF_OK)
            return FTF_ECORRUPT;
        if (id_cmp(id, n, scenario_id, klen) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t end = lo;
    while (end < loc->info.entries) {
        const char *id;
        size_t n;
        if (entry_id(loc, end, &id, &n) != FTF_OK)
            return FTF_ECORRUPT;
        if (id_cmp(id, n, scenario_id, klen) != 0)
            break;
        end++;
    }
    if (end == lo)
        return FTF_ENOT_FOUND;
    *first = lo, *count = end - lo;
    return FTF_OK;
}

ftf_status ftf_locator_check(const char *log_path, const char *index_path) {
    ftf_locator_t *loc;
    const ftf_status st = ftf_locator_open(log_path, index_path, 0, &loc);
    ftf_locator_free(st == FTF_OK ? loc : NULL);
    return st;
}

ftf_status ftf_locator_verify(const char *log_path, const char *index_path) {
    ftf_locator_t *loc;
    ftf_status st = ftf_locator_open(log_path, index_path, 0, &loc);
    if (st != FTF_OK)
        return st;
    ftf_locator_builder_t *b = NULL;
    loc_image_t img = {NULL, 0};
    log_ident_t ident;
    if ((st = ftf_locator_builder_new(&b)) != FTF_OK || (st = build_from_log(log_path, b, NULL, NULL)) != FTF_OK ||
        (st = log_identify(log_path, 0, &ident)) != FTF_OK || (st = builder_serialize(b, &ident, &img)) != FTF_OK)
        goto done;
    if (img.len != loc->map_len || memcmp(img.data, loc->map, img.len) != 0)
        st = FTF_ESTALE_INDEX;
done:
    free(img.data);
    ftf_locator_builder_free(b);
    ftf_locator_free(loc);
    return st == FTF_ENOT_FOUND ? FTF_EIO : st;
}

/* The HTML report (ftf/report.h, forensics/REPORT.md): one self-contained
 * page from a failure index document, the logs' per-run counts and the JSON
 * files found beside them. Everything shown that comes from an input goes
 * through ftf_report_escape_html; only constants and numbers printed here are
 * written raw. The page's style and script are constants whose SHA-256
 * hashes are the only ones its Content-Security-Policy allows. */
#define _POSIX_C_SOURCE 200809L

#include "ftf/report.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ft/json_text.h"
#include "ft/version.h"
#include "ftf/ids.h"
#include "ftf/locator.h"
#include "ftf/log.h"

/* ---- escaping ------------------------------------------------------------------ */

/* The code point of the valid UTF-8 sequence s[0 .. n). */
static uint32_t utf8_decode(const unsigned char *s, size_t n) {
    if (n == 2)
        return ((uint32_t)(s[0] & 0x1f) << 6) | (s[1] & 0x3f);
    if (n == 3)
        return ((uint32_t)(s[0] & 0x0f) << 12) | ((uint32_t)(s[1] & 0x3f) << 6) | (s[2] & 0x3f);
    return ((uint32_t)(s[0] & 0x07) << 18) | ((uint32_t)(s[1] & 0x3f) << 12) | ((uint32_t)(s[2] & 0x3f) << 6) |
           (s[3] & 0x3f);
}

/* Characters shown as \uXXXX: C1 controls and the marks that reorder text. */
static bool shown_escaped(uint32_t cp) {
    return (cp >= 0x80 && cp <= 0x9f) || cp == 0x061c || cp == 0x200e || cp == 0x200f ||
           (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

ftf_status ftf_report_escape_html(const char *s, size_t len, ftf_buf_t *out) {
    if (!out || (!s && len))
        return FTF_EINVALID_ARGUMENT;
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, start = 0;
    ftf_status st = ftf_buf_reserve(out, len);
    while (st == FTF_OK && i < len) {
        const unsigned c = u[i];
        const char *rep = NULL;
        char tmp[16];
        size_t adv = 1;
        if (c < 0x80) {
            switch (c) {
            case '&':
                rep = "&amp;";
                break;
            case '<':
                rep = "&lt;";
                break;
            case '>':
                rep = "&gt;";
                break;
            case '"':
                rep = "&quot;";
                break;
            case '\'':
                rep = "&#39;";
                break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    snprintf(tmp, sizeof tmp, "\\x%02x", c);
                    rep = tmp;
                }
            }
        } else {
            const size_t n = ft_utf8_seq_len(u + i, len - i);
            if (n == 0) {
                snprintf(tmp, sizeof tmp, "\\x%02x", c);
                rep = tmp;
            } else {
                const uint32_t cp = utf8_decode(u + i, n);
                if (shown_escaped(cp)) {
                    snprintf(tmp, sizeof tmp, "\\u%04x", (unsigned)cp);
                    rep = tmp;
                }
                adv = n;
            }
        }
        if (rep) {
            st = ftf_buf_append(out, s + start, i - start);
            if (st == FTF_OK)
                st = ftf_buf_append(out, rep, strlen(rep));
            start = i + adv;
        }
        i += adv;
    }
    if (st == FTF_OK && i > start)
        st = ftf_buf_append(out, s + start, i - start);
    if (st == FTF_OK && !out->data)
        st = ftf_buf_append(out, "", 0);
    return st;
}

/* ---- SHA-256 (FIPS 180-4), for the page's Content-Security-Policy -------------- */

static const uint32_t sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static uint32_t ror32(uint32_t x, unsigned n) {
    return (x >> n) | (x << (32 - n));
}

static void sha256_block(uint32_t h[8], const unsigned char *p) {
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] =
            ((uint32_t)p[4 * i] << 24) | ((uint32_t)p[4 * i + 1] << 16) | ((uint32_t)p[4 * i + 2] << 8) | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        const uint32_t s0 = ror32(w[i - 15], 7) ^ ror32(w[i - 15], 18) ^ (w[i - 15] >> 3);
        const uint32_t s1 = ror32(w[i - 2], 17) ^ ror32(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
    for (int i = 0; i < 64; i++) {
        const uint32_t t1 = k + (ror32(e, 6) ^ ror32(e, 11) ^ ror32(e, 25)) + ((e & f) ^ (~e & g)) + sha256_k[i] + w[i];
        const uint32_t t2 = (ror32(a, 2) ^ ror32(a, 13) ^ ror32(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        k = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += k;
}

static void sha256(const void *data, size_t len, unsigned char out[32]) {
    uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    const unsigned char *p = data;
    size_t left = len;
    for (; left >= 64; left -= 64, p += 64)
        sha256_block(h, p);
    unsigned char tail[128] = {0};
    memcpy(tail, p, left);
    tail[left] = 0x80;
    const size_t tn = left < 56 ? 64 : 128;
    const uint64_t bits = (uint64_t)len * 8;
    for (int i = 0; i < 8; i++)
        tail[tn - 1 - i] = (unsigned char)(bits >> (8 * i));
    sha256_block(h, tail);
    if (tn == 128)
        sha256_block(h, tail + 64);
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 4; j++)
            out[4 * i + j] = (unsigned char)(h[i] >> (24 - 8 * j));
}

/* ---- the page's style and script (constants: the CSP allows exactly these) ---- */

static const char *const page_style[] = {
    ":root{--fg:#1d2430;--muted:#5b6577;--line:#d5dae3;--alt:#f4f6f9;--accent:#2f5fb3;--bad:#b3261e;",
    "--warn:#9a5b00;--ok:#2e7d32;--bar:#4a78c2;--bar2:#c25b4a}\n",
    "*{box-sizing:border-box}\n",
    "body{margin:0;font:14px/1.45 system-ui,-apple-system,\"Segoe UI\",Roboto,\"Noto Sans\",\"DejaVu Sans\",",
    "sans-serif;color:var(--fg);background:#fff}\n",
    "header{padding:14px 24px 10px;border-bottom:1px solid var(--line);background:var(--alt)}\n",
    "h1{margin:0 0 2px;font-size:22px}\n",
    "h2{font-size:18px;margin:30px 0 10px;border-bottom:1px solid var(--line);padding-bottom:4px}\n",
    "h3{font-size:14px;margin:16px 0 6px}\n",
    "main{padding:0 24px 40px}\n",
    "nav{margin-top:6px}nav a{margin-right:14px;color:var(--accent);text-decoration:none}\n",
    ".meta,.note{color:var(--muted);font-size:12px}\n",
    ".cards{display:flex;flex-wrap:wrap;gap:10px;margin:14px 0}\n",
    ".card{border:1px solid var(--line);border-radius:6px;padding:6px 14px;min-width:118px}\n",
    ".card b{display:block;font-size:22px;font-variant-numeric:tabular-nums}\n",
    ".card span{color:var(--muted);font-size:12px}\n",
    ".card.alarm b{color:var(--bad)}\n",
    "table{border-collapse:collapse;margin:6px 0 12px;font-size:13px}\n",
    "th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}\n",
    "th{background:var(--alt);font-weight:600;white-space:nowrap}\n",
    "tbody tr:nth-child(even){background:#fafbfc}\n",
    ".n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n",
    "th button{font:inherit;font-weight:600;background:none;border:0;padding:0;cursor:pointer;color:inherit}\n",
    "th[aria-sort=ascending] button::after{content:\" \\25B2\"}\n",
    "th[aria-sort=descending] button::after{content:\" \\25BC\"}\n",
    "code{font:12px/1.4 ui-monospace,\"DejaVu Sans Mono\",Menlo,Consolas,monospace;overflow-wrap:break-word}\n",
    "td.sig,td.rep{overflow-wrap:anywhere}td.sig{min-width:200px}td.rep{min-width:300px}\n",
    "td.sig code,td.rep code{overflow-wrap:anywhere}.nw{white-space:nowrap}\n",
    ".sev{display:inline-block;padding:0 6px;border-radius:3px;font-size:12px;color:#fff;background:#78828f}\n",
    ".sev-critical{background:#6a1b9a}.sev-high{background:var(--bad)}.sev-medium{background:var(--warn)}\n",
    ".sev-low{background:#546e7a}.sev-info,.sev-none{background:#90a4ae}\n",
    ".bad{color:var(--bad);font-weight:600}.ok{color:var(--ok)}.warn{color:var(--warn)}\n",
    ".cmd{display:flex;align-items:flex-start;gap:6px;margin-top:3px}\n",
    "button.copy{font-size:11px;padding:0 6px;border:1px solid var(--line);border-radius:3px;background:#fff;",
    "cursor:pointer;white-space:nowrap}\n",
    ".offscreen{position:fixed;left:-9999px;top:0}\n",
    ".charts{display:flex;flex-wrap:wrap;gap:18px 36px}\n",
    "svg text{font:11px system-ui,sans-serif;fill:var(--fg)}\n",
    "svg .bar{fill:var(--bar)}svg .bar2{fill:var(--bar2)}svg .axis{stroke:var(--line)}\n",
    "details summary{cursor:pointer;color:var(--muted);font-size:12px}\n",
    ".empty{color:var(--muted);font-style:italic}\n",
    "#selftest-result{display:block;font:12px monospace;color:var(--muted)}\n",
    NULL};

static const char *const page_script[] = {
    "(function () {\n",
    "  \"use strict\";\n",
    "  function key(row, i, num) {\n",
    "    var c = row.cells[i];\n",
    "    if (!c) return num ? 0 : \"\";\n",
    "    return num ? Number(c.getAttribute(\"data-n\")) : c.textContent;\n",
    "  }\n",
    "  function cmp(a, b) { return a < b ? -1 : a > b ? 1 : 0; }\n",
    "  function sortBy(th) {\n",
    "    var table = th.closest(\"table\"), i = th.cellIndex, num = th.getAttribute(\"data-type\") === \"n\";\n",
    "    var dir = th.getAttribute(\"aria-sort\") === \"ascending\" ? -1 : 1;\n",
    "    var heads = table.tHead.rows[0].cells;\n",
    "    for (var k = 0; k < heads.length; k++) heads[k].removeAttribute(\"aria-sort\");\n",
    "    th.setAttribute(\"aria-sort\", dir === 1 ? \"ascending\" : \"descending\");\n",
    "    var body = table.tBodies[0];\n",
    "    var rows = Array.prototype.map.call(body.rows, function (r, j) {\n",
    "      return { r: r, j: j, k: key(r, i, num) };\n",
    "    });\n",
    "    rows.sort(function (a, b) { return dir * cmp(a.k, b.k) || a.j - b.j; });\n",
    "    rows.forEach(function (x) { body.appendChild(x.r); });\n",
    "  }\n",
    "  function copy(btn) {\n",
    "    var text = btn.getAttribute(\"data-copy\") || \"\";\n",
    "    function done(ok) {\n",
    "      btn.textContent = ok ? \"copied\" : \"select and copy\";\n",
    "      setTimeout(function () { btn.textContent = \"copy\"; }, 1500);\n",
    "    }\n",
    "    function fallback() {\n",
    "      var ta = document.createElement(\"textarea\"), ok = false;\n",
    "      ta.value = text;\n",
    "      ta.setAttribute(\"readonly\", \"\");\n",
    "      ta.className = \"offscreen\";\n",
    "      document.body.appendChild(ta);\n",
    "      ta.select();\n",
    "      try { ok = document.execCommand(\"copy\"); } catch (e) { ok = false; }\n",
    "      document.body.removeChild(ta);\n",
    "      done(ok);\n",
    "    }\n",
    "    if (navigator.clipboard && navigator.clipboard.writeText)\n",
    "      navigator.clipboard.writeText(text).then(function () { done(true); }, fallback);\n",
    "    else fallback();\n",
    "  }\n",
    "  document.addEventListener(\"click\", function (e) {\n",
    "    var t = e.target;\n",
    "    if (!(t instanceof Element)) return;\n",
    "    var b = t.closest(\"th > button\");\n",
    "    if (b) { sortBy(b.parentElement); return; }\n",
    "    b = t.closest(\"button.copy\");\n",
    "    if (b) copy(b);\n",
    "  });\n",
    "  function sorted(table, i, num, dir) {\n",
    "    var rows = table.tBodies[0].rows;\n",
    "    for (var r = 1; r < rows.length; r++)\n",
    "      if (dir * cmp(key(rows[r - 1], i, num), key(rows[r], i, num)) > 0) return false;\n",
    "    return true;\n",
    "  }\n",
    "  function selftest() {\n",
    "    var notes = [], ok = true, rows = 0, columns = 0, i, a;\n",
    "    function fail(m) { ok = false; notes.push(m); }\n",
    "    if (document.scripts.length !== 1) fail(\"scripts=\" + document.scripts.length);\n",
    "    if (document.querySelectorAll(\"style\").length !== 1) fail(\"styles\");\n",
    "    var foreign = document.querySelectorAll(\"img,iframe,object,embed,link,base,form,input,textarea,\" +\n",
    "      \"select,audio,video,source,frame,frameset,applet,portal,svg script,foreignObject\");\n",
    "    if (foreign.length) fail(\"unexpected element \" + foreign[0].tagName);\n",
    "    var all = document.getElementsByTagName(\"*\");\n",
    "    for (i = 0; i < all.length; i++)\n",
    "      for (a = 0; a < all[i].attributes.length; a++)\n",
    "        if (/^on/i.test(all[i].attributes[a].name)) fail(\"handler attribute \" + all[i].attributes[a].name);\n",
    "    var links = document.querySelectorAll(\"[href],[src],[action],[formaction],[xlink\\\\:href]\");\n",
    "    for (i = 0; i < links.length; i++) {\n",
    "      var h = links[i].getAttribute(\"href\");\n",
    "      if (h === null || h.charAt(0) !== \"#\") fail(\"reference in \" + links[i].tagName);\n",
    "    }\n",
    "    var tables = document.querySelectorAll(\"table.sortable\");\n",
    "    for (var t = 0; t < tables.length; t++) {\n",
    "      rows = Math.max(rows, tables[t].tBodies[0].rows.length);\n",
    "      var heads = tables[t].tHead.rows[0].cells;\n",
    "      for (i = 0; i < heads.length; i++) {\n",
    "        var btn = heads[i].querySelector(\"button\");\n",
    "        if (!btn) continue;\n",
    "        var num = heads[i].getAttribute(\"data-type\") === \"n\";\n",
    "        btn.click();\n",
    "        if (heads[i].getAttribute(\"aria-sort\") !== \"ascending\" || !sorted(tables[t], i, num, 1))\n",
    "          fail(\"not ascending by \" + heads[i].textContent);\n",
    "        btn.click();\n",
    "        if (heads[i].getAttribute(\"aria-sort\") !== \"descending\" || !sorted(tables[t], i, num, -1))\n",
    "          fail(\"not descending by \" + heads[i].textContent);\n",
    "        columns++;\n",
    "      }\n",
    "    }\n",
    "    if (!columns) fail(\"no sortable column\");\n",
    "    var copies = document.querySelectorAll(\"button.copy\");\n",
    "    for (i = 0; i < copies.length; i++) {\n",
    "      var code = copies[i].parentElement.querySelector(\"code\");\n",
    "      if (!code || code.textContent !== copies[i].getAttribute(\"data-copy\")) fail(\"copy text differs\");\n",
    "    }\n",
    "    document.getElementById(\"selftest-result\").textContent = (ok ? \"SELFTEST PASS\" : \"SELFTEST FAIL\") +\n",
    "      \" rows=\" + rows + \" columns=\" + columns + \" copies=\" + copies.length +\n",
    "      (notes.length ? \" \" + notes.join(\"; \") : \"\");\n",
    "    if (copies.length) copies[0].click();\n",
    "  }\n",
    "  if (location.hash === \"#selftest\") selftest();\n",
    "})();\n",
    NULL};

/* ---- page writer ---------------------------------------------------------------- */

typedef struct {
    ftf_buf_t *o;
    ftf_status st;
} pg_t;

static void rawn(pg_t *p, const char *s, size_t n) {
    if (p->st == FTF_OK)
        p->st = ftf_buf_append(p->o, s, n);
}

static void raw(pg_t *p, const char *s) {
    rawn(p, s, strlen(s));
}

/* printf for constants and numbers only: never an input's text. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 2, 3)))
#endif
static void
rawf(pg_t *p, const char *fmt, ...) {
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    const int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        rawn(p, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void escn(pg_t *p, const char *s, size_t n) {
    if (p->st == FTF_OK && s)
        p->st = ftf_report_escape_html(s, n, p->o);
}

static void esc(pg_t *p, const char *s) {
    if (s)
        escn(p, s, strlen(s));
}

/* A count with thousands separators. */
static void num(pg_t *p, uint64_t v) {
    char d[32], g[48];
    const int n = snprintf(d, sizeof d, "%llu", (unsigned long long)v);
    size_t k = 0;
    for (int i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0)
            g[k++] = ',';
        g[k++] = d[i];
    }
    rawn(p, g, k);
}

/* <td class="n" data-n="v">v</td> */
static void td_num(pg_t *p, uint64_t v) {
    rawf(p, "<td class=\"n\" data-n=\"%llu\">", (unsigned long long)v);
    num(p, v);
    raw(p, "</td>");
}

/* Text cut to about `max` characters as shown (UTF-8 aware; what the escaper
 * shows as "\\xNN" or "\\uNNNN" counts as that many), with an ellipsis when
 * cut. */
static void esc_cut(pg_t *p, const char *s, size_t max) {
    if (!s)
        return;
    const size_t len = strlen(s);
    size_t i = 0, chars = 0;
    while (i < len && chars < max) {
        const unsigned char c = (unsigned char)s[i];
        const size_t n = c < 0x80 ? 1 : ft_utf8_seq_len((const unsigned char *)s + i, len - i);
        if (c < 0x20 || c == 0x7f || n == 0)
            chars += 4;
        else if (n > 1 && shown_escaped(utf8_decode((const unsigned char *)s + i, n)))
            chars += 6;
        else
            chars++;
        i += n ? n : 1;
    }
    escn(p, s, i);
    if (i < len)
        raw(p, "\xe2\x80\xa6");
}

/* ---- JSON accessors for untrusted documents ------------------------------------ */

static const char *jstr(const json_t *o, const char *k) {
    return json_string_value(json_object_get(o, k)); /* NULL unless a string */
}

/* A non-negative integer (or a non-negative real, truncated); 0 otherwise. */
static uint64_t ju64(const json_t *o, const char *k) {
    const json_t *v = json_object_get(o, k);
    if (json_is_integer(v))
        return json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v) : 0;
    if (json_is_real(v)) {
        const double d = json_real_value(v);
        return d > 0 && d < 1.8e19 ? (uint64_t)d : 0;
    }
    return 0;
}

static bool jnum(const json_t *o, const char *k, double *out) {
    const json_t *v = json_object_get(o, k);
    if (!json_is_number(v))
        return false;
    *out = json_number_value(v);
    return true;
}

static bool jbool(const json_t *o, const char *k) {
    return json_is_true(json_object_get(o, k));
}

static json_t *jarr(const json_t *o, const char *k) {
    json_t *v = json_object_get(o, k);
    return json_is_array(v) ? v : NULL;
}

static json_t *jobj(const json_t *o, const char *k) {
    json_t *v = json_object_get(o, k);
    return json_is_object(v) ? v : NULL;
}

/* A number as shown in a cell: integers plainly, reals with `prec` decimals;
 * "–" when absent. */
/* A real as text: `prec` decimals, or %g when it is too large for that. */
static const char *real_text(char out[48], double d, int prec) {
    if (d > -1e15 && d < 1e15)
        snprintf(out, 48, "%.*f", prec, d);
    else
        snprintf(out, 48, "%.6g", d);
    return out;
}

static void td_jnum(pg_t *p, const json_t *o, const char *k, int prec) {
    const json_t *v = json_object_get(o, k);
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        td_num(p, (uint64_t)json_integer_value(v));
    } else if (json_is_number(v)) {
        char t[48];
        real_text(t, json_number_value(v), prec);
        rawf(p, "<td class=\"n\" data-n=\"%s\">%s</td>", t, t);
    } else {
        raw(p, "<td class=\"n\" data-n=\"-1\">\xe2\x80\x93</td>");
    }
}

/* ---- the tally ------------------------------------------------------------------- */

#define MODES    3 /* strict, hardened, other */
#define OUTCOMES 5

typedef struct {
    char *run_id;
    uint64_t c[MODES][OUTCOMES];
} tally_run_t;

struct ftf_report_tally {
    tally_run_t *runs;
    size_t n, cap;
    size_t last;
    uint64_t total[MODES][OUTCOMES];
};

static int mode_index(const char *s, size_t n) {
    if (n == 6 && memcmp(s, "strict", 6) == 0)
        return 0;
    if (n == 8 && memcmp(s, "hardened", 8) == 0)
        return 1;
    return 2;
}

static int outcome_index(const char *s, size_t n) {
    static const char *const names[OUTCOMES] = {"pass", "fail", "allowlisted", "skipped", "crash"};
    for (int i = 0; i < OUTCOMES; i++)
        if (strlen(names[i]) == n && memcmp(names[i], s, n) == 0)
            return i; /* the order of ftf_outcome_t */
    return -1;
}

static ftf_status tally_add(ftf_report_tally_t *t, const char *run, size_t run_len, int mode, int outcome) {
    tally_run_t *r = NULL;
    if (t->n && strlen(t->runs[t->last].run_id) == run_len && memcmp(t->runs[t->last].run_id, run, run_len) == 0)
        r = &t->runs[t->last];
    for (size_t i = 0; !r && i < t->n; i++)
        if (strlen(t->runs[i].run_id) == run_len && memcmp(t->runs[i].run_id, run, run_len) == 0)
            r = &t->runs[i], t->last = i;
    if (!r) {
        if (t->n == t->cap) {
            const size_t cap = t->cap ? 2 * t->cap : 8;
            tally_run_t *v = realloc(t->runs, cap * sizeof *v);
            if (!v)
                return FTF_ENOMEM;
            t->runs = v, t->cap = cap;
        }
        r = &t->runs[t->n];
        memset(r, 0, sizeof *r);
        if (!(r->run_id = malloc(run_len + 1)))
            return FTF_ENOMEM;
        memcpy(r->run_id, run, run_len);
        r->run_id[run_len] = '\0';
        t->last = t->n++;
    }
    r->c[mode][outcome]++;
    t->total[mode][outcome]++;
    return FTF_OK;
}

static int tally_run_cmp(const void *a, const void *b) {
    return strcmp(((const tally_run_t *)a)->run_id, ((const tally_run_t *)b)->run_id);
}

void ftf_report_tally_free(ftf_report_tally_t *t) {
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        free(t->runs[i].run_id);
    free(t->runs);
    free(t);
}

ftf_status ftf_report_tally_logs(const char *const *paths, size_t count, ftf_report_tally_t **out) {
    if (!out || (!paths && count))
        return FTF_EINVALID_ARGUMENT;
    *out = NULL;
    for (size_t i = 0; i < count; i++)
        if (!paths[i] || strcmp(paths[i], "-") == 0)
            return FTF_EINVALID_ARGUMENT;
    ftf_report_tally_t *t = calloc(1, sizeof *t);
    if (!t)
        return FTF_ENOMEM;
    ftf_status st = FTF_OK;
    if (count) {
        ftf_log_reader_t *r = NULL;
        st = ftf_log_reader_open(paths, count, NULL, &r);
        ftf_event_storage_t storage = FTF_EVENT_STORAGE_INIT;
        ftf_log_record_t rec;
        int k = 0;
        while (st == FTF_OK && (k = ftf_log_reader_next(r, &rec)) == 1) {
            ftf_record_fields_t f;
            const ftf_peek_result_t pk = ftf_record_peek(
                rec.line, rec.len, FTF_PEEK_RECORD | FTF_PEEK_OUTCOME | FTF_PEEK_MODE | FTF_PEEK_RUN_ID, &f);
            if (pk == FTF_PEEK_NOT_OBJECT)
                continue;
            if (pk == FTF_PEEK_OK && f.record && !(f.record_len == 5 && memcmp(f.record, "event", 5) == 0))
                continue; /* a run header or another record kind */
            const int oc = pk == FTF_PEEK_OK && f.outcome ? outcome_index(f.outcome, f.outcome_len) : -1;
            if (pk == FTF_PEEK_OK && f.record && f.run_id && f.mode &&
                (oc == FTF_OUTCOME_PASS || oc == FTF_OUTCOME_SKIPPED || oc == FTF_OUTCOME_ALLOWLISTED)) {
                st = tally_add(t, f.run_id, f.run_id_len, mode_index(f.mode, f.mode_len), oc);
                continue;
            }
            ftf_record_t pr;
            const ftf_status ps = ftf_record_parse(rec.line, rec.len, &pr, &storage, NULL);
            if (ps == FTF_ENOMEM)
                st = ps;
            else if (ps == FTF_OK && pr.kind == FTF_RECORD_KIND_EVENT) {
                const char *mode = ft_mode_name(pr.event.mode);
                st = tally_add(t, pr.event.run_id, strlen(pr.event.run_id), mode_index(mode, strlen(mode)),
                               (int)pr.event.outcome);
            }
        }
        if (st == FTF_OK && k < 0 && (ftf_status)k == FTF_ENOMEM)
            st = FTF_ENOMEM;
        ftf_event_storage_dispose(&storage);
        ftf_log_reader_free(r);
    }
    if (st != FTF_OK) {
        ftf_report_tally_free(t);
        return st;
    }
    if (t->n > 1)
        qsort(t->runs, t->n, sizeof *t->runs, tally_run_cmp);
    *out = t;
    return FTF_OK;
}

uint64_t ftf_report_tally_count(const ftf_report_tally_t *t, const char *mode, ftf_outcome_t outcome) {
    if (!t || !mode || (unsigned)outcome >= OUTCOMES)
        return 0;
    return t->total[mode_index(mode, strlen(mode))][outcome];
}

static const tally_run_t *tally_find(const ftf_report_tally_t *t, const char *run_id) {
    if (!t || !run_id)
        return NULL;
    const tally_run_t k = {(char *)run_id, {{0}}};
    return bsearch(&k, t->runs, t->n, sizeof *t->runs, tally_run_cmp);
}

static uint64_t run_failures(const tally_run_t *r) {
    uint64_t s = 0;
    for (int m = 0; m < MODES; m++)
        s += r->c[m][FTF_OUTCOME_FAIL] + r->c[m][FTF_OUTCOME_CRASH];
    return s;
}

static uint64_t run_events(const tally_run_t *r) {
    uint64_t s = 0;
    for (int m = 0; m < MODES; m++)
        for (int o = 0; o < OUTCOMES; o++)
            s += r->c[m][o];
    return s;
}

/* ---- the model: what the page is built from ------------------------------------- */

typedef struct {
    const char *run_id, *start, *tool, *tool_version, *libft_version, *env;
    const tally_run_t *t;
    uint64_t new_buckets; /* buckets first seen in this run */
} run_row_t;

typedef struct {
    const json_t *b;
    size_t first_rank, last_rank;
} bucket_row_t;

typedef struct {
    const char *label; /* NULL: the "others" row */
    uint64_t count;
} bar_t;

typedef struct {
    const json_t *doc;
    const ftf_report_inputs_t *in;
    json_t **reports; /* parsed diff reports (NULL where unreadable or not one) */
    json_t **fuzz, **cov;
    run_row_t *runs;
    size_t nruns;
    bucket_row_t *buckets;
    size_t nbuckets;
    const char **files; /* inputs[].file, in document order */
    size_t nfiles;
    ftf_buf_t notes; /* escaped HTML <li> items */
} model_t;

static void note(model_t *m, const char *what, const char *path, const char *detail) {
    pg_t p = {&m->notes, FTF_OK};
    raw(&p, "<li>");
    if (path) {
        raw(&p, "<code>");
        esc(&p, path);
        raw(&p, "</code>: ");
    }
    esc(&p, what);
    if (detail) {
        raw(&p, ": ");
        esc(&p, detail);
    }
    raw(&p, "</li>\n");
}

static size_t file_pos(const model_t *m, const char *file) {
    if (!file)
        return SIZE_MAX;
    for (size_t i = 0; i < m->nfiles; i++)
        if (m->files[i] && strcmp(m->files[i], file) == 0)
            return i;
    return SIZE_MAX;
}

typedef struct {
    size_t file;
    const char *run;
    uint64_t seq;
    size_t bucket;
} seen_key_t;

static int seen_cmp(const void *pa, const void *pb) {
    const seen_key_t *a = pa, *b = pb;
    if (a->file != b->file)
        return a->file < b->file ? -1 : 1;
    const int c = strcmp(a->run ? a->run : "", b->run ? b->run : "");
    if (c)
        return c;
    if (a->seq != b->seq)
        return a->seq < b->seq ? -1 : 1;
    return a->bucket < b->bucket ? -1 : a->bucket > b->bucket;
}

/* Ranks of the buckets' first (which = "first_seen") or last seen positions. */
static ftf_status rank_seen(model_t *m, const char *which, bool first) {
    if (!m->nbuckets)
        return FTF_OK;
    seen_key_t *k = calloc(m->nbuckets, sizeof *k);
    if (!k)
        return FTF_ENOMEM;
    for (size_t i = 0; i < m->nbuckets; i++) {
        const json_t *s = jobj(m->buckets[i].b, which);
        k[i].file = file_pos(m, jstr(s, "file"));
        k[i].run = jstr(s, "run_id");
        k[i].seq = ju64(s, "seq");
        k[i].bucket = i;
    }
    qsort(k, m->nbuckets, sizeof *k, seen_cmp);
    for (size_t r = 0; r < m->nbuckets; r++) {
        if (first)
            m->buckets[k[r].bucket].first_rank = r;
        else
            m->buckets[k[r].bucket].last_rank = r;
    }
    free(k);
    return FTF_OK;
}

static int run_row_cmp(const void *pa, const void *pb) {
    const run_row_t *a = pa, *b = pb;
    if (!a->start != !b->start)
        return a->start ? -1 : 1; /* runs with a start time first */
    if (a->start) {
        const int c = strcmp(a->start, b->start);
        if (c)
            return c;
    }
    return strcmp(a->run_id, b->run_id);
}

static json_t *load_json(model_t *m, const ftf_report_file_t *f) {
    if (!f->data) {
        note(m, f->error ? f->error : "cannot read", f->path, NULL);
        return NULL;
    }
    json_error_t err;
    json_t *j = json_loadb(f->data, f->len, JSON_REJECT_DUPLICATES, &err);
    if (!j) {
        note(m, "not JSON", f->path, err.text);
        return NULL;
    }
    if (!json_is_object(j)) {
        note(m, "not a JSON object", f->path, NULL);
        json_decref(j);
        return NULL;
    }
    return j;
}

static void model_dispose(model_t *m) {
    const ftf_report_inputs_t *in = m->in;
    for (size_t i = 0; m->reports && i < in->diff_report_count; i++)
        json_decref(m->reports[i]);
    for (size_t i = 0; m->fuzz && i < in->fuzz_stats_count; i++)
        json_decref(m->fuzz[i]);
    for (size_t i = 0; m->cov && i < in->coverage_count; i++)
        json_decref(m->cov[i]);
    free(m->reports), free(m->fuzz), free(m->cov), free(m->runs), free(m->buckets), free(m->files);
    ftf_buf_dispose(&m->notes);
}

static ftf_status model_build(model_t *m) {
    const ftf_report_inputs_t *in = m->in;
    const json_t *doc = m->doc;
    /* side files */
    m->reports = calloc(in->diff_report_count + 1, sizeof *m->reports);
    m->fuzz = calloc(in->fuzz_stats_count + 1, sizeof *m->fuzz);
    m->cov = calloc(in->coverage_count + 1, sizeof *m->cov);
    if (!m->reports || !m->fuzz || !m->cov)
        return FTF_ENOMEM;
    for (size_t i = 0; i < in->diff_report_count; i++) {
        json_t *j = load_json(m, &in->diff_reports[i]);
        const char *schema = jstr(j, "schema");
        if (j && (!schema || strcmp(schema, "ft-differential-report-v1") != 0)) {
            note(m, "not a differential report (schema ft-differential-report-v1)", in->diff_reports[i].path, NULL);
            json_decref(j);
            j = NULL;
        }
        m->reports[i] = j;
    }
    for (size_t i = 0; i < in->fuzz_stats_count; i++) {
        json_t *j = load_json(m, &in->fuzz_stats[i]);
        if (j && !jarr(j, "targets")) {
            note(m, "fuzz statistics without a \"targets\" array", in->fuzz_stats[i].path, NULL);
            json_decref(j);
            j = NULL;
        }
        m->fuzz[i] = j;
    }
    for (size_t i = 0; i < in->coverage_count; i++) {
        json_t *j = load_json(m, &in->coverage[i]);
        if (j && !jarr(j, "targets")) {
            note(m, "coverage summary without a \"targets\" array", in->coverage[i].path, NULL);
            json_decref(j);
            j = NULL;
        }
        m->cov[i] = j;
    }
    /* input files, for the order of first/last seen */
    const json_t *inputs = jarr(doc, "inputs");
    m->nfiles = json_array_size(inputs);
    m->files = calloc(m->nfiles + 1, sizeof *m->files);
    if (!m->files)
        return FTF_ENOMEM;
    for (size_t i = 0; i < m->nfiles; i++)
        m->files[i] = jstr(json_array_get(inputs, i), "file");
    /* buckets, in the index's order */
    const json_t *buckets = jarr(doc, "buckets");
    const size_t nb = json_array_size(buckets);
    m->buckets = calloc(nb + 1, sizeof *m->buckets);
    if (!m->buckets)
        return FTF_ENOMEM;
    for (size_t i = 0; i < nb; i++) {
        const json_t *b = json_array_get(buckets, i);
        if (json_is_object(b))
            m->buckets[m->nbuckets++].b = b;
    }
    ftf_status st = rank_seen(m, "first_seen", true);
    if (st == FTF_OK)
        st = rank_seen(m, "last_seen", false);
    if (st != FTF_OK)
        return st;
    /* runs: the index's run headers, then runs the tally saw without a header */
    const json_t *runs = jarr(doc, "runs");
    const ftf_report_tally_t *t = in->tally;
    const size_t cap = json_array_size(runs) + (t ? t->n : 0);
    m->runs = calloc(cap + 1, sizeof *m->runs);
    if (!m->runs)
        return FTF_ENOMEM;
    for (size_t i = 0; i < json_array_size(runs); i++) {
        const json_t *r = json_array_get(runs, i);
        const char *id = jstr(r, "run_id");
        if (!id)
            continue;
        bool dup = false;
        for (size_t k = 0; k < m->nruns && !dup; k++)
            dup = strcmp(m->runs[k].run_id, id) == 0;
        if (dup)
            continue;
        run_row_t *row = &m->runs[m->nruns++];
        row->run_id = id;
        row->start = jstr(r, "start_time");
        row->tool = jstr(r, "tool");
        row->tool_version = jstr(r, "tool_version");
        row->libft_version = jstr(r, "libft_version");
        row->env = jstr(r, "env_fingerprint");
        row->t = tally_find(t, id);
    }
    for (size_t i = 0; t && i < t->n; i++) {
        bool known = false;
        for (size_t k = 0; k < m->nruns && !known; k++)
            known = strcmp(m->runs[k].run_id, t->runs[i].run_id) == 0;
        if (!known) {
            run_row_t *row = &m->runs[m->nruns++];
            row->run_id = t->runs[i].run_id;
            row->t = &t->runs[i];
        }
    }
    qsort(m->runs, m->nruns, sizeof *m->runs, run_row_cmp);
    for (size_t i = 0; i < m->nbuckets; i++) {
        const char *first_run = jstr(jobj(m->buckets[i].b, "first_seen"), "run_id");
        for (size_t k = 0; first_run && k < m->nruns; k++)
            if (strcmp(m->runs[k].run_id, first_run) == 0) {
                m->runs[k].new_buckets++;
                break;
            }
    }
    return FTF_OK;
}

/* ---- page parts ------------------------------------------------------------------ */

static void card(pg_t *p, const char *label, uint64_t v, bool alarm) {
    raw(p, alarm ? "<div class=\"card alarm\"><b>" : "<div class=\"card\"><b>");
    num(p, v);
    raw(p, "</b><span>");
    raw(p, label);
    raw(p, "</span></div>\n");
}

static void card_text(pg_t *p, const char *label, const char *text) {
    raw(p, "<div class=\"card\"><b>");
    raw(p, text);
    raw(p, "</b><span>");
    raw(p, label);
    raw(p, "</span></div>\n");
}

static uint64_t report_sum(const model_t *m, const char *group, const char *sub, const char *k) {
    uint64_t s = 0;
    for (size_t i = 0; i < m->in->diff_report_count; i++) {
        const json_t *o = m->reports[i];
        if (!o)
            continue;
        if (group)
            o = jobj(o, group);
        if (sub)
            o = jobj(o, sub);
        s += ju64(o, k);
    }
    return s;
}

static size_t report_count(const model_t *m) {
    size_t n = 0;
    for (size_t i = 0; i < m->in->diff_report_count; i++)
        n += m->reports[i] != NULL;
    return n;
}

static void section_summary(pg_t *p, const model_t *m) {
    const json_t *tot = jobj(m->doc, "totals");
    const size_t nrep = report_count(m);
    raw(p, "<section id=\"summary\"><h2>Summary</h2>\n<div class=\"cards\">\n");
    card(p, "runs", m->nruns, false);
    if (nrep) {
        card(p, "scenarios", report_sum(m, NULL, NULL, "scenarios"), false);
        card(p, "scenario \xc3\x97 mode runs", report_sum(m, NULL, NULL, "runs"), false);
        card(p, "runs failed", report_sum(m, NULL, NULL, "failed"), report_sum(m, NULL, NULL, "failed") > 0);
    }
    card(p, "events", ju64(tot, "events"), false);
    card(p, "failures", ju64(tot, "failures"), ju64(tot, "failures") > 0);
    card(p, "buckets", ju64(tot, "buckets"), ju64(tot, "buckets") > 0);
    card(p, "allowlisted", ju64(tot, "allowlisted"), false);
    card(p, "logs", ju64(tot, "files"), false);
    card(p, "damaged logs", ju64(tot, "damaged_files"), ju64(tot, "damaged_files") > 0);
    if (ju64(tot, "unknown_reason_failures"))
        card(p, "unknown reasons", ju64(tot, "unknown_reason_failures"), true);
    if (ju64(tot, "invalid_records"))
        card(p, "invalid records", ju64(tot, "invalid_records"), true);
    if (!nrep)
        card_text(p, "scenarios", "\xe2\x80\x93");
    raw(p, "</div>\n");

    /* per mode */
    raw(p, "<h3>Per mode</h3>\n<table><thead><tr><th>mode</th><th class=\"n\">events</th><th class=\"n\">pass</th>"
           "<th class=\"n\">fail</th><th class=\"n\">crash</th><th class=\"n\">allowlisted</th>"
           "<th class=\"n\">skipped</th><th class=\"n\">dispatch runs</th><th class=\"n\">fallback used</th>"
           "<th class=\"n\">fallback rate</th></tr></thead><tbody>\n");
    static const char *const modes[MODES] = {"strict", "hardened", "other"};
    const ftf_report_tally_t *t = m->in->tally;
    for (int mi = 0; mi < MODES; mi++) {
        uint64_t ev = 0;
        for (int o = 0; t && o < OUTCOMES; o++)
            ev += t->total[mi][o];
        const uint64_t runs = report_sum(m, "fallback_rate", modes[mi], "dispatch_runs");
        const uint64_t used = report_sum(m, "fallback_rate", modes[mi], "fallback_used");
        if (mi == 2 && !ev && !runs)
            continue;
        rawf(p, "<tr><td>%s</td>", modes[mi]);
        if (t) {
            td_num(p, ev);
            static const int order[OUTCOMES] = {FTF_OUTCOME_PASS, FTF_OUTCOME_FAIL, FTF_OUTCOME_CRASH,
                                                FTF_OUTCOME_ALLOWLISTED, FTF_OUTCOME_SKIPPED};
            for (int o = 0; o < OUTCOMES; o++)
                td_num(p, t->total[mi][order[o]]);
        } else {
            raw(p, "<td class=\"empty\" colspan=\"6\">needs the logs</td>");
        }
        if (nrep) {
            td_num(p, runs);
            td_num(p, used);
            const double rate = runs ? 100.0 * (double)used / (double)runs : 0.0;
            const bool alarm = mi == 0 && used > 0;
            rawf(p, "<td class=\"n%s\" data-n=\"%.4f\">%.2f %%%s</td>", alarm ? " bad" : "", rate, rate,
                 alarm ? " (must be 0)" : "");
        } else {
            raw(p, "<td class=\"empty\" colspan=\"3\">no differential report</td>");
        }
        raw(p, "</tr>\n");
    }
    raw(p, "</tbody></table>\n");
    if (t)
        raw(p, "<p class=\"note\">Events by outcome, read from the logs: one event per scenario and mode, "
               "and one more per failing comparator.</p>\n");

    /* campaigns: verdicts and oracle status */
    if (nrep) {
        static const char *const verdicts[] = {"pass",           "expected_error_observed", "allowlisted_drift",
                                               "blocking_drift", "oracle_unavailable",      "harness_error"};
        raw(p, "<h3>Verdicts</h3>\n<table><thead><tr><th>verdict</th><th class=\"n\">scenario \xc3\x97 mode runs</th>"
               "</tr></thead><tbody>\n");
        for (size_t v = 0; v < sizeof verdicts / sizeof verdicts[0]; v++) {
            const uint64_t c = report_sum(m, "verdicts", NULL, verdicts[v]);
            const bool alarm = c && v >= 3;
            rawf(p, "<tr><td>%s</td><td class=\"n%s\" data-n=\"%llu\">", verdicts[v], alarm ? " bad" : "",
                 (unsigned long long)c);
            num(p, c);
            raw(p, "</td></tr>\n");
        }
        raw(p, "</tbody></table>\n");
        raw(p, "<h3>Campaigns and oracle status</h3>\n<table><thead><tr><th>report</th><th>run</th>"
               "<th class=\"n\">seed</th><th class=\"n\">scenarios</th><th class=\"n\">runs</th>"
               "<th class=\"n\">passed</th><th class=\"n\">failed</th><th>oracle</th></tr></thead><tbody>\n");
        for (size_t i = 0; i < m->in->diff_report_count; i++) {
            const json_t *r = m->reports[i];
            if (!r)
                continue;
            raw(p, "<tr><td><code>");
            esc(p, m->in->diff_reports[i].path);
            raw(p, "</code></td><td class=\"nw\"><code>");
            esc(p, jstr(r, "run_id"));
            raw(p, "</code></td>");
            const json_t *seed = json_object_get(r, "seed");
            if (json_is_integer(seed))
                rawf(p, "<td class=\"n\"><code>0x%llx</code></td>", (unsigned long long)json_integer_value(seed));
            else
                raw(p, "<td class=\"n\">\xe2\x80\x93</td>");
            td_jnum(p, r, "scenarios", 0);
            td_jnum(p, r, "runs", 0);
            td_jnum(p, r, "passed", 0);
            const uint64_t failed = ju64(r, "failed");
            rawf(p, "<td class=\"n%s\" data-n=\"%llu\">", failed ? " bad" : "", (unsigned long long)failed);
            num(p, failed);
            raw(p, "</td>");
            /* oracle: kind, its verdicts that are not zero, its workers */
            const json_t *orc = jobj(r, "oracle");
            raw(p, "<td>");
            const char *kind = jstr(orc, "kind");
            if (!orc)
                raw(p, "<span class=\"empty\">not reported</span>");
            else if (!kind || strcmp(kind, "none") == 0)
                raw(p, "none (not asked)");
            else {
                esc(p, kind);
                const json_t *ov = jobj(orc, "verdicts");
                const char *k;
                const json_t *v;
                bool any = false;
                json_object_foreach((json_t *)ov, k, v) {
                    if (!json_is_integer(v) || json_integer_value(v) == 0)
                        continue;
                    const bool bad = strcmp(k, "blocking_drift") == 0 || strcmp(k, "harness_error") == 0 ||
                                     strcmp(k, "oracle_unavailable") == 0;
                    raw(p, any ? ", " : ": ");
                    raw(p, bad ? "<span class=\"bad\">" : "<span>");
                    esc(p, k);
                    raw(p, " ");
                    num(p, (uint64_t)json_integer_value(v));
                    raw(p, "</span>");
                    any = true;
                }
                const json_t *w = json_object_get(orc, "workers");
                if (json_is_object(w)) {
                    raw(p, "<br><span class=\"note\">workers:");
                    json_object_foreach((json_t *)w, k, v) {
                        raw(p, " ");
                        esc(p, k);
                        raw(p, "=");
                        if (json_is_integer(v))
                            num(p, json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v) : 0);
                        else if (json_is_string(v))
                            esc(p, json_string_value(v));
                        else if (json_is_boolean(v))
                            raw(p, json_is_true(v) ? "true" : "false");
                        else
                            raw(p, "\xe2\x80\xa6");
                    }
                    raw(p, "</span>");
                }
            }
            raw(p, "</td></tr>\n");
        }
        raw(p, "</tbody></table>\n");

    } else {
        raw(p, "<p class=\"empty\">No differential-report.json beside the inputs: verdicts, fallback rates and "
               "oracle status are not shown.</p>\n");
    }
    raw(p, "</section>\n");
}

/* Per comparator over the reports: runs, failures, inconclusive (a check that
 * was never reached shows). */
static void section_checks(pg_t *p, const model_t *m) {
    if (!report_count(m))
        return;
    raw(p, "<section id=\"checks\"><h2>Comparators</h2>\n"
           "<p class=\"note\">Executions of each check over the campaigns: a check never reached shows here.</p>\n"
           "<table id=\"comparator-table\" class=\"sortable\"><thead><tr>"
           "<th data-type=\"s\"><button type=\"button\">comparator</button></th>"
           "<th class=\"n\" data-type=\"n\"><button type=\"button\">runs</button></th>"
           "<th class=\"n\" data-type=\"n\"><button type=\"button\">failures</button></th>"
           "<th class=\"n\" data-type=\"n\"><button type=\"button\">inconclusive</button></th>"
           "</tr></thead><tbody>\n");
    /* names in first-seen order over the reports */
    const char **names = NULL;
    size_t nn = 0, cap = 0;
    for (size_t i = 0; i < m->in->diff_report_count; i++) {
        const json_t *cmps = jobj(m->reports[i], "comparators");
        const char *k;
        const json_t *v;
        json_object_foreach((json_t *)cmps, k, v) {
            bool seen = false;
            for (size_t q = 0; q < nn && !seen; q++)
                seen = strcmp(names[q], k) == 0;
            if (seen || !json_is_object(v))
                continue;
            if (nn == cap) {
                const size_t nc = cap ? 2 * cap : 32;
                const char **nv = realloc(names, nc * sizeof *nv);
                if (!nv) {
                    p->st = FTF_ENOMEM;
                    break;
                }
                names = nv, cap = nc;
            }
            names[nn++] = k;
        }
    }
    for (size_t q = 0; q < nn; q++) {
        uint64_t runs = 0, fails = 0, inc = 0;
        for (size_t i = 0; i < m->in->diff_report_count; i++) {
            const json_t *c = jobj(jobj(m->reports[i], "comparators"), names[q]);
            runs += ju64(c, "runs"), fails += ju64(c, "failures"), inc += ju64(c, "inconclusive");
        }
        raw(p, "<tr><td>");
        esc(p, names[q]);
        if (!runs)
            raw(p, " <span class=\"warn\">(never reached)</span>");
        raw(p, "</td>");
        td_num(p, runs);
        rawf(p, "<td class=\"n%s\" data-n=\"%llu\">", fails ? " bad" : "", (unsigned long long)fails);
        num(p, fails);
        raw(p, "</td>");
        td_num(p, inc);
        raw(p, "</tr>\n");
    }
    free(names);
    raw(p, "</tbody></table>\n");
    raw(p, "</section>\n");
}

static const char *severity_class(const char *sev) {
    static const char *const known[] = {"critical", "high", "medium", "low", "info", "none"};
    for (size_t i = 0; sev && i < sizeof known / sizeof known[0]; i++)
        if (strcmp(sev, known[i]) == 0)
            return known[i];
    return NULL;
}

static int severity_rank(const char *sev) {
    static const char *const order[] = {"none", "info", "low", "medium", "high", "critical"};
    for (int i = 0; sev && i < 6; i++)
        if (strcmp(sev, order[i]) == 0)
            return i;
    return -1;
}

/* Shell-quotes `s` (POSIX sh) onto b: bare when it is only safe characters. */
static ftf_status shell_quote(ftf_buf_t *b, const char *s) {
    bool bare = *s != '\0';
    for (const char *c = s; *c && bare; c++)
        bare = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
               strchr("_./:-+=,@%", *c) != NULL;
    if (bare)
        return ftf_buf_append(b, s, strlen(s));
    ftf_status st = ftf_buf_append(b, "'", 1);
    for (const char *c = s; st == FTF_OK && *c; c++)
        st = *c == '\'' ? ftf_buf_append(b, "'\\''", 4) : ftf_buf_append(b, c, 1);
    return st == FTF_OK ? ftf_buf_append(b, "'", 1) : st;
}

/* A path fit for a command line shown to be copied: printable UTF-8, no
 * control characters. */
static bool printable_path(const char *s) {
    if (!s || !*s || strcmp(s, "-") == 0 || !ft_utf8_valid(s, strlen(s)))
        return false;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            return false;
    return true;
}

/* The replay command this page offers for a bucket's representative, built
 * from checked parts only (never the logged command): ft-replay --dir LOG
 * --run RUN --mode MODE SCENARIO_ID. False when the scenario id is invalid. */
static bool replay_command(const json_t *b, ftf_buf_t *cmd) {
    const json_t *rep = jobj(b, "representative");
    const char *id = jstr(rep, "scenario_id"), *run = jstr(rep, "run_id"), *file = jstr(rep, "file");
    const char *mode = jstr(jobj(b, "signature_fields"), "mode");
    if (!id || !ftf_scenario_id_valid(id))
        return false;
    ftf_status st = ftf_buf_append(cmd, "ft-replay", 9);
    if (st == FTF_OK && printable_path(file)) {
        st = ftf_buf_append(cmd, " --dir ", 7);
        if (st == FTF_OK)
            st = shell_quote(cmd, file);
    }
    if (st == FTF_OK && run && ftf_run_id_valid(run, strlen(run))) {
        st = ftf_buf_append(cmd, " --run ", 7);
        if (st == FTF_OK)
            st = ftf_buf_append(cmd, run, strlen(run));
    }
    if (st == FTF_OK && mode && (strcmp(mode, "strict") == 0 || strcmp(mode, "hardened") == 0)) {
        st = ftf_buf_append(cmd, " --mode ", 8);
        if (st == FTF_OK)
            st = ftf_buf_append(cmd, mode, strlen(mode));
    }
    if (st == FTF_OK)
        st = ftf_buf_append(cmd, " ", 1);
    if (st == FTF_OK)
        st = shell_quote(cmd, id);
    return st == FTF_OK;
}

/* The number of run `run_id` in the runs table (1-based), 0 when not there. */
static size_t run_number(const model_t *m, const char *run_id) {
    for (size_t i = 0; run_id && i < m->nruns; i++)
        if (strcmp(m->runs[i].run_id, run_id) == 0)
            return i + 1;
    return 0;
}

static void seen_cell(pg_t *p, const model_t *m, const json_t *s, size_t rank) {
    rawf(p, "<td class=\"nw\" data-n=\"%zu\" title=\"", rank);
    const char *file = jstr(s, "file"), *run = jstr(s, "run_id");
    esc(p, run);
    raw(p, " in ");
    esc(p, file);
    raw(p, "\">");
    const size_t rn = run_number(m, run);
    if (rn) {
        raw(p, "run ");
        num(p, rn);
    } else {
        raw(p, "<code>");
        esc(p, run);
        raw(p, "</code>");
    }
    raw(p, ", seq ");
    num(p, ju64(s, "seq"));
    const char *start = jstr(s, "start_time");
    if (start) {
        raw(p, "<br><span class=\"note\">");
        esc(p, start);
        raw(p, "</span>");
    }
    raw(p, "</td>");
}

static void section_buckets(pg_t *p, const model_t *m) {
    raw(p, "<section id=\"buckets\"><h2>Failure buckets</h2>\n");
    if (!m->nbuckets) {
        raw(p, "<p class=\"empty\">No failures: no buckets.</p></section>\n");
        return;
    }
    raw(p, "<p class=\"note\">Click a column to sort. First and last seen are positions in the order (log file, "
           "run, seq), runs numbered as in <a href=\"#runs\">Runs</a>: events carry no clock. The command "
           "offered for copying is built here from the representative's checked scenario id, run and log; the "
           "command as logged is shown apart, never run.</p>\n");
    raw(p, "<table id=\"bucket-table\" class=\"sortable\"><thead><tr>"
           "<th class=\"n\" data-type=\"n\"><button type=\"button\">#</button></th>"
           "<th data-type=\"s\"><button type=\"button\">signature</button></th>"
           "<th data-type=\"s\"><button type=\"button\">class</button></th>"
           "<th data-type=\"n\"><button type=\"button\">severity</button></th>"
           "<th class=\"n\" data-type=\"n\"><button type=\"button\">count</button></th>"
           "<th data-type=\"n\"><button type=\"button\">first seen</button></th>"
           "<th data-type=\"n\"><button type=\"button\">last seen</button></th>"
           "<th data-type=\"s\"><button type=\"button\">modes</button></th>"
           "<th data-type=\"s\"><button type=\"button\">representative</button></th>"
           "</tr></thead><tbody>\n");
    ftf_buf_t cmd = FTF_BUF_INIT;
    for (size_t i = 0; i < m->nbuckets && p->st == FTF_OK; i++) {
        const json_t *b = m->buckets[i].b;
        const json_t *tri = jobj(b, "triage");
        const char *cls = jstr(tri, "class");
        if (!cls)
            cls = jstr(jobj(b, "signature_fields"), "class");
        const char *sev = jstr(tri, "severity");
        raw(p, "<tr>");
        td_num(p, i + 1);
        raw(p, "<td class=\"sig\"><code>");
        esc(p, jstr(b, "signature"));
        raw(p, "</code><br><span class=\"note\">");
        esc(p, jstr(b, "bucket_id"));
        raw(p, "</span></td><td>");
        esc(p, cls);
        if (tri && !jbool(tri, "known_reason"))
            raw(p, " <span class=\"warn\">(unknown reason)</span>");
        const char *owner = jstr(tri, "owner");
        if (owner) {
            raw(p, "<br><span class=\"note\">");
            esc(p, owner);
            raw(p, "</span>");
        }
        rawf(p, "</td><td data-n=\"%d\">", severity_rank(sev));
        const char *sc = severity_class(sev);
        if (sc)
            rawf(p, "<span class=\"sev sev-%s\">%s</span>", sc, sc);
        else {
            raw(p, "<span class=\"sev\">");
            esc(p, sev ? sev : "?");
            raw(p, "</span>");
        }
        raw(p, "</td>");
        td_num(p, ju64(b, "count"));
        seen_cell(p, m, jobj(b, "first_seen"), m->buckets[i].first_rank);
        seen_cell(p, m, jobj(b, "last_seen"), m->buckets[i].last_rank);
        raw(p, "<td>");
        const json_t *modes = jarr(b, "modes");
        for (size_t k = 0; k < json_array_size(modes); k++) {
            if (k)
                raw(p, ", ");
            esc(p, json_string_value(json_array_get(modes, k)));
        }
        raw(p, "</td><td class=\"rep\">");
        const json_t *rep = jobj(b, "representative");
        raw(p, "<code>");
        esc(p, jstr(rep, "scenario_id"));
        raw(p, "</code>");
        cmd.len = 0;
        if (cmd.data)
            cmd.data[0] = '\0';
        if (replay_command(b, &cmd)) {
            raw(p, "<div class=\"cmd\"><code>");
            escn(p, cmd.data, cmd.len);
            raw(p, "</code><button type=\"button\" class=\"copy\" data-copy=\"");
            escn(p, cmd.data, cmd.len);
            raw(p, "\">copy</button></div>");
        } else {
            raw(p, "<div class=\"warn\">invalid scenario id: no replay command offered</div>");
        }
        raw(p, "<details><summary>");
        num(p, ju64(b, "scenario_count"));
        raw(p, ju64(b, "scenario_count") == 1 ? " scenario" : " scenarios");
        raw(p, "; location, logged command</summary><div class=\"note\">log <code>");
        esc(p, jstr(rep, "file"));
        raw(p, "</code> member ");
        num(p, ju64(rep, "member_offset"));
        raw(p, " offset ");
        num(p, ju64(rep, "offset"));
        raw(p, "<br>as logged (not run): <code>");
        esc(p, jstr(rep, "replay_command"));
        raw(p, "</code></div></details></td></tr>\n");
    }
    ftf_buf_dispose(&cmd);
    raw(p, "</tbody></table>\n");

    /* allowlisted drifts and unknown reasons */
    const json_t *al = jobj(m->doc, "allowlisted");
    const json_t *drifts = jarr(al, "drifts");
    if (json_array_size(drifts)) {
        raw(p, "<h3>Allowlisted drifts (not failures)</h3>\n<table><thead><tr><th>drift id</th><th>reason</th>"
               "<th class=\"n\">count</th></tr></thead><tbody>\n");
        for (size_t i = 0; i < json_array_size(drifts); i++) {
            const json_t *d = json_array_get(drifts, i);
            raw(p, "<tr><td><code>");
            esc(p, jstr(d, "drift_id"));
            raw(p, "</code></td><td>");
            esc(p, jstr(d, "reason_code"));
            raw(p, "</td>");
            td_num(p, ju64(d, "count"));
            raw(p, "</tr>\n");
        }
        raw(p, "</tbody></table>\n");
    }
    const json_t *unk = jarr(m->doc, "unknown_reasons");
    if (json_array_size(unk)) {
        raw(p, "<h3>Reason codes the triage table does not know</h3>\n<table><thead><tr><th>reason code</th>"
               "<th class=\"n\">count</th></tr></thead><tbody>\n");
        for (size_t i = 0; i < json_array_size(unk); i++) {
            const json_t *u = json_array_get(unk, i);
            raw(p, "<tr><td><code>");
            esc(p, jstr(u, "reason_code"));
            raw(p, "</code></td>");
            td_num(p, ju64(u, "count"));
            raw(p, "</tr>\n");
        }
        raw(p, "</tbody></table>\n");
    }
    raw(p, "</section>\n");
}

/* ---- charts ----------------------------------------------------------------------- */

static int bar_label_cmp(const void *pa, const void *pb) {
    const bar_t *a = pa, *b = pb;
    return strcmp(a->label, b->label);
}

static int bar_count_cmp(const void *pa, const void *pb) {
    const bar_t *a = pa, *b = pb;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return strcmp(a->label, b->label);
}

#define BARS_MAX 20

/* A horizontal bar chart of failures per value of signature field `field`. */
static void chart_field(pg_t *p, const model_t *m, const char *field, const char *title) {
    bar_t *bars = calloc(m->nbuckets + 1, sizeof *bars);
    if (!bars) {
        p->st = FTF_ENOMEM;
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < m->nbuckets; i++) {
        const json_t *sf = jobj(m->buckets[i].b, "signature_fields");
        const char *kind = jstr(sf, "kind");
        const char *v = jstr(sf, field);
        if (kind && strcmp(kind, "crash") == 0 && (!v || strcmp(v, "-") == 0))
            v = "(crash)";
        else if (!v || strcmp(v, "-") == 0)
            v = "(none)";
        bars[n].label = v;
        bars[n++].count = ju64(m->buckets[i].b, "count");
    }
    /* merge equal labels */
    qsort(bars, n, sizeof *bars, bar_label_cmp);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k && strcmp(bars[k - 1].label, bars[i].label) == 0)
            bars[k - 1].count += bars[i].count;
        else
            bars[k++] = bars[i];
    }
    n = k;
    qsort(bars, n, sizeof *bars, bar_count_cmp);
    uint64_t others = 0;
    size_t others_n = 0;
    if (n > BARS_MAX) {
        for (size_t i = BARS_MAX - 1; i < n; i++)
            others += bars[i].count, others_n++;
        n = BARS_MAX - 1;
    }
    uint64_t max = others;
    for (size_t i = 0; i < n; i++)
        max = bars[i].count > max ? bars[i].count : max;
    const size_t rows = n + (others_n ? 1 : 0);
    const int label_w = 230, bar_w = 250, row_h = 20;
    rawf(p, "<div class=\"chart\"><h3>%s</h3>\n", title);
    if (!rows) {
        raw(p, "<p class=\"empty\">no failures</p></div>\n");
        free(bars);
        return;
    }
    rawf(p, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%zu\" role=\"img\">\n",
         label_w + bar_w + 70, rows * (size_t)row_h + 6);
    for (size_t i = 0; i < rows; i++) {
        const bool oth = i == n;
        const uint64_t c = oth ? others : bars[i].count;
        const int w = max ? (int)((double)c / (double)max * bar_w + 0.5) : 0;
        const size_t y = i * (size_t)row_h + 3;
        raw(p, "<g><title>");
        if (oth)
            rawf(p, "%zu others", others_n);
        else
            esc(p, bars[i].label);
        raw(p, ": ");
        num(p, c);
        raw(p, "</title>");
        rawf(p, "<text x=\"%d\" y=\"%zu\" text-anchor=\"end\">", label_w - 6, y + 13);
        if (oth)
            rawf(p, "(%zu others)", others_n);
        else
            esc_cut(p, bars[i].label, 30);
        rawf(p, "</text><rect class=\"bar\" x=\"%d\" y=\"%zu\" width=\"%d\" height=\"%d\"/>", label_w, y, w > 0 ? w : 1,
             row_h - 5);
        rawf(p, "<text x=\"%d\" y=\"%zu\">", label_w + (w > 0 ? w : 1) + 5, y + 13);
        num(p, c);
        raw(p, "</text></g>\n");
    }
    raw(p, "</svg></div>\n");
    free(bars);
}

#define TIMELINE_MAX 200

static void chart_timeline(pg_t *p, const model_t *m) {
    const bool tally = m->in->tally != NULL;
    raw(p, "<div class=\"chart\"><h3>");
    raw(p, tally ? "Failures per run" : "Buckets first seen per run");
    raw(p, "</h3>\n");
    if (!m->nruns) {
        raw(p, "<p class=\"empty\">no runs</p></div>\n");
        return;
    }
    const size_t first = m->nruns > TIMELINE_MAX ? m->nruns - TIMELINE_MAX : 0;
    const size_t n = m->nruns - first;
    uint64_t max = 0;
    for (size_t i = first; i < m->nruns; i++) {
        const uint64_t v = tally ? (m->runs[i].t ? run_failures(m->runs[i].t) : 0) : m->runs[i].new_buckets;
        max = v > max ? v : max;
    }
    const int left = 48, h = 150, top = 18;
    const int step = n > 60 ? 6 : n > 20 ? 14 : 28;
    const int bw = step - (step > 10 ? 6 : 1);
    const int width = left + (int)n * step + 20;
    rawf(p, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" role=\"img\">\n",
         width < 320 ? 320 : width, top + h + 20);
    rawf(p, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", left - 2, top + h, left + (int)n * step,
         top + h);
    rawf(p, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n", left - 2, top, left - 2, top + h);
    rawf(p, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", left - 6, top + 4);
    num(p, max);
    rawf(p, "</text><text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>\n", left - 6, top + h);
    for (size_t i = 0; i < n; i++) {
        const run_row_t *r = &m->runs[first + i];
        const uint64_t v = tally ? (r->t ? run_failures(r->t) : 0) : r->new_buckets;
        const int bh = max ? (int)((double)v / (double)max * h + 0.5) : 0;
        const int x = left + (int)i * step;
        raw(p, "<g><title>run ");
        num(p, first + i + 1);
        raw(p, ": ");
        esc(p, r->run_id);
        if (r->start) {
            raw(p, " (");
            esc(p, r->start);
            raw(p, ")");
        }
        if (tally) {
            raw(p, ", ");
            num(p, v);
            raw(p, " failure event(s) of ");
            num(p, r->t ? run_events(r->t) : 0);
        }
        raw(p, ", ");
        num(p, r->new_buckets);
        raw(p, " new bucket(s)</title>");
        rawf(p, "<rect class=\"%s\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\"/>", r->new_buckets ? "bar2" : "bar", x,
             top + h - (bh > 0 ? bh : 0), bw, bh > 0 ? bh : 0);
        if (n <= 20 || i % 10 == 0 || i + 1 == n) {
            rawf(p, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">", x + bw / 2, top + h + 14);
            num(p, first + i + 1);
            raw(p, "</text>");
        }
        raw(p, "</g>\n");
    }
    raw(p, "</svg><p class=\"note\">Runs in start-time order, numbered as in the runs table; red: a bucket was "
           "first seen in that run.</p>");
    if (first)
        rawf(p, "<p class=\"note\">The last %d runs of %zu.</p>", TIMELINE_MAX, m->nruns);
    raw(p, "</div>\n");
}

static void section_charts(pg_t *p, const model_t *m) {
    raw(p, "<section id=\"charts\"><h2>Failures by comparator, op and selected key; over runs</h2>\n"
           "<div class=\"charts\">\n");
    chart_field(p, m, "comparator", "Failures per comparator");
    chart_field(p, m, "op", "Failures per op");
    chart_field(p, m, "selected_key", "Failures per selected key");
    chart_timeline(p, m);
    raw(p, "</div></section>\n");
}

static void section_runs(pg_t *p, const model_t *m) {
    raw(p, "<section id=\"runs\"><h2>Runs</h2>\n");
    if (!m->nruns) {
        raw(p, "<p class=\"empty\">No runs.</p></section>\n");
        return;
    }
    raw(p, "<table id=\"run-table\" class=\"sortable\"><thead><tr>"
           "<th class=\"n\" data-type=\"n\"><button type=\"button\">#</button></th>"
           "<th data-type=\"s\"><button type=\"button\">run</button></th>"
           "<th data-type=\"s\"><button type=\"button\">start time</button></th>"
           "<th data-type=\"s\"><button type=\"button\">tool</button></th>"
           "<th data-type=\"s\"><button type=\"button\">environment</button></th>"
           "<th class=\"n\" data-type=\"n\"><button type=\"button\">events</button></th>"
           "<th class=\"n\" data-type=\"n\"><button type=\"button\">failures</button></th>"
           "<th class=\"n\" data-type=\"n\"><button type=\"button\">new buckets</button></th>"
           "</tr></thead><tbody>\n");
    for (size_t i = 0; i < m->nruns; i++) {
        const run_row_t *r = &m->runs[i];
        raw(p, "<tr>");
        td_num(p, i + 1);
        raw(p, "<td><code>");
        esc(p, r->run_id);
        raw(p, "</code></td><td>");
        if (r->start)
            esc(p, r->start);
        else
            raw(p, "<span class=\"empty\">no run header</span>");
        raw(p, "</td><td>");
        esc(p, r->tool);
        if (r->tool_version) {
            raw(p, " ");
            esc(p, r->tool_version);
        }
        if (r->libft_version) {
            raw(p, " (libft ");
            esc(p, r->libft_version);
            raw(p, ")");
        }
        raw(p, "</td><td><code>");
        esc(p, r->env);
        raw(p, "</code></td>");
        if (r->t) {
            td_num(p, run_events(r->t));
            td_num(p, run_failures(r->t));
        } else {
            raw(p, "<td class=\"n\" data-n=\"-1\">\xe2\x80\x93</td><td class=\"n\" data-n=\"-1\">\xe2\x80\x93</td>");
        }
        td_num(p, r->new_buckets);
        raw(p, "</tr>\n");
    }
    raw(p, "</tbody></table></section>\n");
}

static void section_damage(pg_t *p, const model_t *m) {
    raw(p, "<section id=\"logs\"><h2>Logs and their damage</h2>\n");
    const json_t *inputs = jarr(m->doc, "inputs");
    if (!json_array_size(inputs)) {
        raw(p, "<p class=\"empty\">No logs in the index.</p></section>\n");
        return;
    }
    raw(p, "<table><thead><tr><th>log</th><th class=\"n\">records</th><th class=\"n\">events</th>"
           "<th class=\"n\">failures</th><th class=\"n\">invalid records</th><th>state</th><th>damage</th>"
           "</tr></thead><tbody>\n");
    static const char *const counters[] = {"corrupt_members", "corrupt_bytes",      "corrupt_lines", "torn_tails",
                                           "torn_bytes",      "torn_lines",         "junk_bytes",    "long_lines",
                                           "bad_lines",       "unterminated_lines", "io_errors"};
    for (size_t i = 0; i < json_array_size(inputs); i++) {
        const json_t *f = json_array_get(inputs, i);
        const json_t *d = jobj(f, "damage");
        const bool damaged = jbool(f, "damaged");
        const bool open = ju64(d, "missing_eof") > 0;
        raw(p, "<tr><td><code>");
        esc(p, jstr(f, "file"));
        raw(p, "</code></td>");
        td_num(p, ju64(f, "records"));
        td_num(p, ju64(f, "events"));
        td_num(p, ju64(f, "failures"));
        td_num(p, ju64(f, "invalid_records"));
        raw(p, "<td>");
        raw(p, damaged ? "<span class=\"bad\">damaged</span>"
               : open  ? "<span class=\"warn\">open</span> (no end-of-file member yet)"
                       : "<span class=\"ok\">intact</span>");
        if (ju64(d, "foreign_members")) {
            raw(p, "<br><span class=\"note\">not BGZF: ");
            num(p, ju64(d, "foreign_members"));
            raw(p, " plain gzip member(s)</span>");
        }
        raw(p, "</td><td>");
        bool any = false;
        for (size_t c = 0; c < sizeof counters / sizeof counters[0]; c++) {
            const uint64_t v = ju64(d, counters[c]);
            if (!v)
                continue;
            raw(p, any ? ", " : "");
            num(p, v);
            raw(p, " ");
            raw(p, counters[c]);
            any = true;
        }
        const char *fd = jstr(d, "first_damage");
        if (fd && strcmp(fd, "none") != 0) {
            raw(p, any ? "<br>" : "");
            raw(p, "first: ");
            esc(p, fd);
            raw(p, " at offset ");
            num(p, ju64(d, "first_offset"));
            const char *det = jstr(d, "first_detail");
            if (det) {
                raw(p, ": <code>");
                esc(p, det);
                raw(p, "</code>");
            }
            any = true;
        }
        if (!any) {
            raw(p, "<span class=\"note\">none (");
            num(p, ju64(d, "members"));
            raw(p, " members)</span>");
        }
        raw(p, "</td></tr>\n");
    }
    raw(p, "</tbody></table>\n");
    const json_t *inv = jobj(m->doc, "invalid_records");
    if (json_object_size(inv)) {
        raw(p, "<h3>Invalid records (rejected by the parser)</h3>\n<table><thead><tr><th>why</th>"
               "<th class=\"n\">count</th></tr></thead><tbody>\n");
        const char *k;
        const json_t *v;
        json_object_foreach((json_t *)inv, k, v) {
            raw(p, "<tr><td>");
            esc(p, k);
            raw(p, "</td>");
            td_num(p, json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v) : 0);
            raw(p, "</tr>\n");
        }
        raw(p, "</tbody></table>\n");
    }
    raw(p, "</section>\n");
}

/* One coverage figure: KEY_pct (a number), or KEY {covered, count, percent}
 * as ci/coverage.sh writes it (ft-coverage-v1), with a small bar. */
static void coverage_cell(pg_t *p, const json_t *t, const char *key) {
    char name[32];
    snprintf(name, sizeof name, "%s_pct", key);
    double v;
    const json_t *o = jobj(t, key);
    if (!jnum(t, name, &v) && !jnum(o, "percent", &v)) {
        raw(p, "<td class=\"n\" data-n=\"-1\">\xe2\x80\x93</td>");
        return;
    }
    const double c = v < 0 ? 0 : v > 100 ? 100 : v;
    char text[48];
    real_text(text, v, 1);
    rawf(p, "<td class=\"n\" data-n=\"%s\">%s %%", text, text);
    if (json_is_integer(json_object_get(o, "covered")) && json_is_integer(json_object_get(o, "count"))) {
        raw(p, " <span class=\"note\">");
        num(p, ju64(o, "covered"));
        raw(p, "/");
        num(p, ju64(o, "count"));
        raw(p, "</span>");
    }
    rawf(p,
         " <svg xmlns=\"http://www.w3.org/2000/svg\" width=\"60\" height=\"9\"><rect class=\"axis\" x=\"0\" "
         "y=\"0\" width=\"60\" height=\"9\" fill=\"none\"/><rect class=\"bar\" x=\"0\" y=\"0\" width=\"%.1f\" "
         "height=\"9\"/></svg></td>",
         c * 0.6);
}

static void section_fuzz(pg_t *p, const model_t *m) {
    size_t nf = 0, nc = 0;
    for (size_t i = 0; i < m->in->fuzz_stats_count; i++)
        nf += m->fuzz[i] != NULL;
    for (size_t i = 0; i < m->in->coverage_count; i++)
        nc += m->cov[i] != NULL;
    if (!nf && !nc)
        return;
    raw(p, "<section id=\"fuzz\"><h2>Fuzzing</h2>\n");
    if (nf) {
        raw(p, "<h3>Fuzz targets</h3>\n<table><thead><tr><th>target</th><th>engine</th><th class=\"n\">execs</th>"
               "<th class=\"n\">exec/s</th><th class=\"n\">edges</th><th class=\"n\">corpus</th>"
               "<th class=\"n\">new crashes</th><th class=\"n\">known crashes</th><th>from</th></tr></thead>"
               "<tbody>\n");
        for (size_t i = 0; i < m->in->fuzz_stats_count; i++) {
            const json_t *ts = jarr(m->fuzz[i], "targets");
            for (size_t k = 0; k < json_array_size(ts); k++) {
                const json_t *t = json_array_get(ts, k);
                if (!json_is_object(t))
                    continue;
                raw(p, "<tr><td><code>");
                esc(p, jstr(t, "target"));
                raw(p, "</code></td><td>");
                esc(p, jstr(t, "engine"));
                raw(p, "</td>");
                td_jnum(p, t, "execs", 0);
                td_jnum(p, t, "exec_per_s", 1);
                td_jnum(p, t, "edges", 0);
                td_jnum(p, t, "corpus", 0);
                const uint64_t fresh = ju64(t, "new_crashes");
                if (fresh) {
                    rawf(p, "<td class=\"n bad\" data-n=\"%llu\">", (unsigned long long)fresh);
                    num(p, fresh);
                    raw(p, "</td>");
                } else {
                    td_jnum(p, t, "new_crashes", 0);
                }
                td_jnum(p, t, "known_crashes", 0);
                raw(p, "<td class=\"note\"><code>");
                esc(p, m->in->fuzz_stats[i].path);
                raw(p, "</code></td></tr>\n");
            }
        }
        raw(p, "</tbody></table>\n");
    }
    if (nc) {
        raw(p, "<h3>Coverage</h3>\n<table><thead><tr><th>target</th><th class=\"n\">lines</th>"
               "<th class=\"n\">branches</th><th class=\"n\">functions</th><th>from</th></tr></thead><tbody>\n");
        for (size_t i = 0; i < m->in->coverage_count; i++) {
            const json_t *ts = jarr(m->cov[i], "targets");
            for (size_t k = 0; k < json_array_size(ts); k++) {
                const json_t *t = json_array_get(ts, k);
                if (!json_is_object(t))
                    continue;
                raw(p, "<tr><td><code>");
                esc(p, jstr(t, "target"));
                raw(p, "</code></td>");
                static const char *const keys[3] = {"lines", "branches", "functions"};
                for (int q = 0; q < 3; q++)
                    coverage_cell(p, t, keys[q]);
                raw(p, "<td class=\"note\"><code>");
                esc(p, m->in->coverage[i].path);
                raw(p, "</code></td></tr>\n");
            }
        }
        raw(p, "</tbody></table>\n");
    }
    raw(p, "</section>\n");
}

static void raw_lines(pg_t *p, const char *const *lines) {
    for (size_t i = 0; lines[i]; i++)
        raw(p, lines[i]);
}

/* 'sha256-<base64>' of the concatenated lines, as the CSP spells a hash. */
static void csp_hash(pg_t *p, const char *const *lines) {
    ftf_buf_t text = FTF_BUF_INIT;
    pg_t tp = {&text, FTF_OK};
    raw_lines(&tp, lines);
    if (tp.st != FTF_OK) {
        p->st = tp.st;
        ftf_buf_dispose(&text);
        return;
    }
    unsigned char h[32];
    char b64[48];
    sha256(text.data, text.len, h);
    ftf_buf_dispose(&text);
    ftf_base64_encode(h, sizeof h, b64, sizeof b64);
    raw(p, "'sha256-");
    raw(p, b64);
    raw(p, "'");
}

static ftf_status render_doc(const json_t *doc, const ftf_report_inputs_t *in, ftf_buf_t *out) {
    static const ftf_report_inputs_t none = FTF_REPORT_INPUTS_INIT;
    model_t m;
    memset(&m, 0, sizeof m);
    m.doc = doc;
    m.in = in ? in : &none;
    pg_t pg = {out, FTF_OK}, *p = &pg;
    p->st = model_build(&m);
    for (size_t i = 0; i < m.in->note_count; i++)
        if (m.in->notes && m.in->notes[i])
            note(&m, m.in->notes[i], NULL, NULL);
    const char *title = m.in->title ? m.in->title : "ft-forensics report";
    raw(p, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
           "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src ");
    csp_hash(p, page_style);
    raw(p, "; script-src ");
    csp_hash(p, page_script);
    raw(p, "; img-src 'none'; base-uri 'none'; form-action 'none'\">\n"
           "<meta name=\"referrer\" content=\"no-referrer\">\n"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
    esc(p, title);
    raw(p, "</title>\n<style>");
    raw_lines(p, page_style);
    raw(p, "</style>\n</head>\n<body>\n<header><h1>");
    esc(p, title);
    raw(p, "</h1><div class=\"meta\">");
    esc(p, jstr(doc, "schema"));
    raw(p, " \xc2\xb7 ");
    num(p, ju64(jobj(doc, "totals"), "files"));
    raw(p, " log(s) \xc2\xb7 ");
    num(p, report_count(&m));
    raw(p, " differential report(s) \xc2\xb7 ft-forensics (libft ");
    esc(p, ft_version());
    raw(p, ")</div>\n<nav><a href=\"#summary\">Summary</a><a href=\"#buckets\">Buckets</a>"
           "<a href=\"#charts\">Charts</a>");
    if (report_count(&m))
        raw(p, "<a href=\"#checks\">Comparators</a>");
    raw(p, "<a href=\"#runs\">Runs</a><a href=\"#logs\">Logs</a>");
    bool fuzz = false;
    for (size_t i = 0; i < m.in->fuzz_stats_count && m.fuzz; i++)
        fuzz |= m.fuzz[i] != NULL;
    for (size_t i = 0; i < m.in->coverage_count && m.cov; i++)
        fuzz |= m.cov[i] != NULL;
    if (fuzz)
        raw(p, "<a href=\"#fuzz\">Fuzzing</a>");
    if (m.notes.len)
        raw(p, "<a href=\"#notes\">Notes</a>");
    raw(p, "</nav><output id=\"selftest-result\"></output></header>\n<main>\n");
    if (p->st == FTF_OK) {
        section_summary(p, &m);
        section_buckets(p, &m);
        section_charts(p, &m);
        section_checks(p, &m);
        section_runs(p, &m);
        section_damage(p, &m);
        section_fuzz(p, &m);
    }
    if (m.notes.len) {
        raw(p, "<section id=\"notes\"><h2>Notes</h2>\n<ul>\n");
        rawn(p, m.notes.data, m.notes.len);
        raw(p, "</ul></section>\n");
    }
    raw(p, "</main>\n<script>");
    raw_lines(p, page_script);
    raw(p, "</script>\n</body></html>\n");
    model_dispose(&m);
    return p->st;
}

ftf_status ftf_report_render_index_json(const char *json, size_t len, const ftf_report_inputs_t *in, ftf_buf_t *out,
                                        char why[160]) {
    if (!json || !out)
        return FTF_EINVALID_ARGUMENT;
    if (why)
        why[0] = '\0';
    json_error_t err;
    json_t *doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &err);
    if (!doc || !json_is_object(doc)) {
        if (why)
            snprintf(why, 160, "%s", doc ? "not a JSON object" : err.text);
        json_decref(doc);
        return FTF_EBAD_RECORD;
    }
    const char *schema = jstr(doc, "schema");
    if (!schema || strcmp(schema, FTF_FAILURE_INDEX_SCHEMA) != 0) {
        if (why)
            snprintf(why, 160, "schema is not %s", FTF_FAILURE_INDEX_SCHEMA);
        json_decref(doc);
        return FTF_EUNSUPPORTED_VERSION;
    }
    const size_t mark = out->len;
    const ftf_status st = render_doc(doc, in, out);
    json_decref(doc);
    if (st != FTF_OK && out->data) {
        out->len = mark;
        out->data[mark] = '\0';
    }
    return st;
}

ftf_status ftf_report_render(const ftf_failure_index_t *idx, const ftf_report_inputs_t *in, ftf_buf_t *out) {
    if (!idx || !out)
        return FTF_EINVALID_ARGUMENT;
    ftf_buf_t j = FTF_BUF_INIT;
    ftf_status st = ftf_failure_index_render(idx, FTF_INDEX_JSON_COMPACT, &j);
    if (st == FTF_OK)
        st = ftf_report_render_index_json(j.data, j.len, in, out, NULL);
    ftf_buf_dispose(&j);
    return st == FTF_EBAD_RECORD || st == FTF_EUNSUPPORTED_VERSION ? FTF_ENOMEM : st;
}

#!/usr/bin/env python3
"""Writes the malformed-line corpus for the batch interface to corpus/batch_line/.

One file per line (the line's bytes, no newline), named by the SHA-1 of its
content, so re-running adds nothing twice and other tools (the fuzzer) can add
their own inputs to the same directory by the same rule. The test
batch_line_corpus_answers_are_documented_errors feeds every file to
ftd_batch_answer_line; batch_line_corpus_names_are_sha1 checks the names.

Every line here is malformed: each must be answered with a documented error code
(never out_of_memory) and a message that is valid UTF-8. The families aim at the
places where caller bytes reach a message: jansson's error text quotes the input
near the error (cut at an arbitrary byte, and at 160 bytes), and the keyset
parser's error text quotes the keyset text.

usage: gen_batch_line_corpus.py [DIR]   (default: corpus/batch_line of the tree)
"""
import hashlib
import os
import sys

# Bytes that are not valid UTF-8 on their own or in the place they are put: a lone
# continuation byte, bytes never valid, truncated 2/3/4-byte sequences, an encoded
# surrogate, an overlong, a code point above U+10FFFF.
INVALID = [b"\x80", b"\xbf", b"\xff", b"\xfe", b"\xc3", b"\xd1", b"\xe2\x82", b"\xf0\x9f\x98",
           b"\xed\xa0\x80", b"\xc0\xaf", b"\xf4\x90\x80\x80"]
# Valid multibyte characters of each length: cut anywhere inside, they become invalid.
MULTI = ["\u00d1", "\u045b", "\u20ac", "\U0001f600"]
# One escape of each shape: a one-letter escape, an escaped quote (which ends the
# string when its backslash is damaged), \u with four hex digits, a surrogate pair.
ESCAPES = [b"\\n", b"\\\"", b"\\u00e9", b"\\ud83d\\ude00"]


def lines():
    out = []
    # The reported line: a quote, a backslash, then U+045B (jansson quotes '"\' and
    # half of the character), and the same shape with every multibyte length.
    for ch in MULTI:
        c = ch.encode()
        out += [b'"\\' + c, b'"\\' + c + b'"', b'["\\' + c + b'"]', b'{"q":"\\' + c + b'"}',
                b'{"q":"keyset","keyset":"\\' + c + b'"}']

    # Invalid UTF-8 at every position of an escape: before it, in place of each of
    # its bytes, after it, inside a keyset value and inside a key.
    for esc in ESCAPES:
        for bad in INVALID:
            for pos in range(len(esc) + 1):
                variants = [esc[:pos] + bad + esc[pos:]]  # inserted
                if pos < len(esc):
                    variants.append(esc[:pos] + bad + esc[pos + 1:])  # replacing
                for v in variants:
                    out.append(b'{"q":"keyset","keyset":"' + v + b'"}')
                    out.append(b'"' + v)
        # a valid multibyte character in every place of the escape
        for ch in MULTI:
            for pos in range(1, len(esc) + 1):
                out.append(b'{"q":"keyset","' + esc[:pos] + ch.encode() + esc[pos:] + b'":1}')

    # Truncated escapes: at the end of the line, before a closing quote, and before
    # a multibyte character that jansson then quotes.
    for t in [b"\\", b"\\u", b"\\u0", b"\\u00", b"\\u00e", b"\\ud83d", b"\\ud83d\\", b"\\ud83d\\u",
              b"\\ud83d\\ude0", b"\\x41", b"\\U0041"]:
        out += [b'"' + t, b'"' + t + b'"', b'{"q":"keyset","keyset":"' + t + b'"}']
        for ch in MULTI:
            out.append(b'"' + t + ch.encode() + b'"')

    # Surrogates: lone high, lone low, reversed pair, high then a non-surrogate, in
    # values and keys; and UTF-8-encoded surrogates (never valid UTF-8).
    for s in [b"\\ud83d", b"\\ude00", b"\\ude00\\ud83d", b"\\ud83d\\u0041", b"\\udbff\\udbff", b"\\ud800x"]:
        out += [b'"' + s + b'"', b'{"q":"keyset","keyset":"' + s + b'"}', b'{"q":"' + s + b'"}',
                b'{"' + s + b'":1}']
    for enc in [b"\xed\xa0\xbd", b"\xed\xb8\x80", b"\xed\xa0\xbd\xed\xb8\x80"]:
        out += [b'"' + enc + b'"', b'{"q":"keyset","keyset":"' + enc + b'"}']

    # NUL bytes: escaped (not allowed in strings or keys) and raw, at each place.
    base = b'{"q":"keyset","keyset":"CPU"}'
    for pos in range(len(base) + 1):
        out.append(base[:pos] + b"\x00" + base[pos:])
    out += [b'"\\u0000"', b'{"q":"keyset","keyset":"\\u0000CPU"}', b'{"q\\u0000":"keyset"}',
            b'{"q":"keyset","keyset":"CPU\\u0000"}', b"\x00", b"\x00\x00\x00"]

    # Deep nesting around jansson's depth limit (2048), closed and unclosed, at the
    # top and inside a query field.
    for depth in [2047, 2048, 2049, 4096]:
        out.append(b"[" * depth + b"]" * depth)
        out.append(b"[" * depth)
        out.append(b'{"a":' * depth + b"1" + b"}" * depth)
        out.append(b'{"q":"keyset","keyset":' + b"[" * depth + b"]" * depth + b"}")
    out.append(b"[" * 50000)  # far past the limit: the parser must stop, not recurse

    # Long tokens: jansson's error text stops at 160 bytes, wherever that falls in a
    # character. Padding 0..3 puts the cut at every byte of every length.
    for ch in MULTI:
        for pad in range(4):
            body = b"a" * pad + ch.encode() * 100
            out += [b'"' + body + b"\\q", b'"' + body, b'{"q":"keyset","keyset":"' + body + b"\\q\"}"]
            # the keyset parser's own error text quotes the (valid) keyset text
            out.append(b'{"q":"keyset","keyset":"CPU|' + body + b'"}')
            out.append(b'{"q":"dispatch","op":"add","keyset":"' + body + b'"}')

    # Well-formed JSON, malformed query: shapes, types, duplicates, unknown fields
    # (a misspelt field must not read as absent).
    out += [b"{}", b"[]", b"null", b"42", b'"keyset"', b'{"q":"keyset","q":"has"}', b'{"q":null}',
            b'{"q":"keyset","keyset":"CPU","mdoe":"x"}',
            b'{"q":"dispatch","op":"add","mdoe":"hardened","keyset":"CPU"}',
            b'{"q":"dispatch","op":"add","lhs":{"value":1,"requires_grd":true},"rhs":{"value":2}}',
            b'{"q":"grad","leaves":[{"value":1,"requires_grd":true}],"program":[],"root":0}',
            b'{"q":"grad","leaves":[{"value":1}],"program":[{"op":"add","lhs":0,"rhs":0,"x":1}],"root":1}',
            b'{"q":"key","id":1e400}', b'{"q":"grad","leaves":[],"program":[],"root":0}',
            b'{"q":"key","name":"\xc3\x91"}', b'{"q":"table","registrations":["\\u00d1"]}']
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    dest = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "corpus", "batch_line")
    os.makedirs(dest, exist_ok=True)
    seen = set()
    for line in lines():
        assert b"\n" not in line, line  # one line each: the batch splits at newlines
        name = hashlib.sha1(line).hexdigest()
        if name in seen:
            continue
        seen.add(name)
        with open(os.path.join(dest, name), "wb") as f:
            f.write(line)
    print(f"{len(seen)} lines in {os.path.normpath(dest)}")


if __name__ == "__main__":
    main()

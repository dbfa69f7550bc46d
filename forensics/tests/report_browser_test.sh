#!/bin/sh
# ft-forensics report in a real headless browser (Debian's chromium).
#
#   report_browser_test.sh FT_FORENSICS FT_CAMPAIGN SOURCE_DIR OUT_DIR
#
# Runs a small campaign with a deliberately wrong fixture (so there are
# failure buckets), adds a log of hostile events (markup, quotes, control
# characters and a bidi override in op, key, reason, comparator and replay
# command; markup and a non-UTF-8 byte in its file name) with hostile fuzz
# statistics and coverage beside it, renders the report twice (same bytes),
# then loads it in chromium: with #selftest the page's own script checks that
# it holds no element or attribute it did not put there, sorts every sortable
# column both ways and checks the order, and compares each copy button's text
# with the command shown, writing the verdict into the DOM (--dump-dom shows
# it); the browser's log must hold no console message (an error, a CSP
# refusal); and a screenshot is taken into OUT_DIR/report.png.
#
# Installs nothing: without chromium it exits 77, which ctest reports as
# skipped (SKIP_RETURN_CODE), never as a pass. ci/deps.sh installs chromium.
set -u

ftf=$1
campaign=$2
src=$3
out=$4

browser=
for b in chromium chromium-browser; do
    if command -v "$b" >/dev/null 2>&1; then
        browser=$(command -v "$b")
        break
    fi
done
if [ -z "$browser" ]; then
    echo "SKIP: chromium is not installed (ci/deps.sh installs it)"
    exit 77
fi
command -v jq >/dev/null 2>&1 || {
    echo "FAIL: jq is needed (ci/deps.sh installs it)"
    exit 1
}

fail() {
    echo "FAIL: $*"
    exit 1
}

work=$(mktemp -d "${TMPDIR:-/tmp}/ftf-report-browser.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT INT TERM
mkdir -p "$out" || exit 1
rm -f "$out/report.html" "$out/report.png" "$out/dom.html" "$out/browser.log"

# 1. a campaign that finds something: a wrong fixture beside the real ones
"$campaign" --scenarios 300 --no-oracle-fixtures --no-progress --jobs 2 \
    --fixtures "$src/differential/tests/data/fixtures_wrong" --fixtures "$src/differential/fixtures" \
    --out "$work/campaign" >"$work/campaign.out" 2>&1
rc=$?
[ "$rc" -eq 1 ] || fail "campaign exit $rc, want 1 (blocking drift from the wrong fixture): $(tail -3 "$work/campaign.out")"

# 2. hostile events, in a log with a hostile name (plain gzip JSONL)
mkdir "$work/hostile"
bad=$(printf '\377')
hostile_log="$work/hostile/<img src=x onerror=alert(1)>$bad.gz"
zcat "$work/campaign/campaign.jsonl.gz" | jq -c 'select(.outcome == "fail" and has("comparator"))' | head -1 \
    >"$work/fail.json"
[ -s "$work/fail.json" ] || fail "no failing comparator event in the campaign log"
jq -c '
  def h1: "<script>alert(1)</script>";
  def h2: "\"'"'"'><img src=x onerror=alert(1)>";
  .run_id = "run-00000000000000aa" | .mode = "hardened" |
  (range(0; 3) as $i | .seq = $i |
   .op = ("op" + h1 + "\u001b[31m") |
   .selected_key = ("key" + h2 + "\u202eevil") |
   .kernel = ("kernel" + h1) |
   .reason_code = (if $i == 0 then "fixture" else "reason" + h2 end) |
   .comparator = ("cmp" + ($i | tostring) + h1) |
   .replay_command = ("ft-replay " + h2 + "; rm -rf /"))
' "$work/fail.json" | gzip -c >"$hostile_log" || fail "cannot write the hostile log"
cat >"$work/hostile/fuzz-stats.json" <<'EOF'
{"targets":[
 {"target":"keyset_parse<script>alert(1)</script>","engine":"libfuzzer\"'><img src=x onerror=alert(1)>",
  "execs":1234567,"exec_per_s":20575.5,"edges":812,"corpus":97,"new_crashes":1,"known_crashes":2},
 {"target":"route_select","engine":"afl","execs":99000,"exec_per_s":1650,"edges":640,"corpus":51,
  "new_crashes":0,"known_crashes":0}]}
EOF
cat >"$work/hostile/coverage-summary.json" <<'EOF'
{"targets":[{"target":"all<img src=x onerror=alert(1)>","lines_pct":71.25,"branches_pct":55.5},
            {"target":"keyset_parse","lines_pct":42.0,"branches_pct":30.1}]}
EOF

# 3. the report, twice: same bytes
"$ftf" report --title "Campaign <script>alert(1)</script> report" --out "$out/report.html" \
    "$work/campaign" "$work/hostile" >"$work/report.out" 2>&1
rc=$?
[ "$rc" -eq 0 ] || fail "ft-forensics report exit $rc: $(cat "$work/report.out")"
"$ftf" report --title "Campaign <script>alert(1)</script> report" --out "$work/again.html" \
    "$work/hostile" "$work/campaign" >/dev/null 2>&1 || fail "second render"
cmp -s "$out/report.html" "$work/again.html" || fail "two renders of the same inputs differ"
[ "$(grep -c '<script' "$out/report.html")" -eq 1 ] || fail "more than one <script in the page"
! grep -q '<img' "$out/report.html" || fail "an <img tag reached the page"
grep -q 'cmp1&lt;script&gt;alert(1)&lt;/script&gt;' "$out/report.html" || fail "hostile comparator not shown"
grep -q 'keyset_parse&lt;script&gt;' "$out/report.html" || fail "fuzz statistics not shown"

# 4. the browser: self-test in the DOM, no console message
load() { # load URL EXTRA_ARGS...: a fresh profile each time
    load_url=$1
    shift
    profile=$(mktemp -d "$work/profile.XXXXXX")
    timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync --disable-extensions \
        --user-data-dir="$profile" --enable-logging=stderr --v=0 "$@" "$load_url"
}
url="file://$out/report.html"
load "$url#selftest" --dump-dom >"$out/dom.html" 2>"$out/browser.log"
rc=$?
[ "$rc" -eq 0 ] || fail "chromium --dump-dom exit $rc (log: $out/browser.log)"
verdict=$(sed -n 's|.*<output id="selftest-result">\([^<]*\)</output>.*|\1|p' "$out/dom.html" | head -1)
echo "page self-test: $verdict"
case $verdict in
"SELFTEST PASS rows="*) ;;
*) fail "the page's self-test did not pass (see $out/dom.html)" ;;
esac
rows=$(echo "$verdict" | sed 's/.*rows=\([0-9]*\).*/\1/')
[ "$rows" -ge 3 ] || fail "only $rows rows sorted"
if grep ':CONSOLE' "$out/browser.log"; then
    fail "console messages while loading the page (above)"
fi

# 5. a screenshot
load "$url" --screenshot="$out/report.png" --window-size=1280,2000 >/dev/null 2>"$work/shot.log"
rc=$?
[ "$rc" -eq 0 ] && [ -s "$out/report.png" ] || fail "no screenshot (chromium exit $rc)"
if grep ':CONSOLE' "$work/shot.log"; then
    fail "console messages while loading the page for the screenshot (above)"
fi
echo "PASS: $out/report.html, screenshot $out/report.png"

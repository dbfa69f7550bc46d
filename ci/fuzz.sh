#!/usr/bin/env bash
# Time-boxed fuzzing of the fuzz targets (fuzz/CONTRACT.md) under libFuzzer and
# AFL++, with every finding ingested into forensics (SPEC §12, issue 9).
#
# Per target and engine: fuzz for --seconds with --jobs workers, going on after
# crashes until the budget ends; collect the crash files the engine saved
# (afl-fuzz exits 0 with crashes saved, so they are counted here, from its
# crashes/ directories); triage them with `ft-forensics ingest --no-log`
# (signature of each); minimise one input per distinct signature
# (-minimize_crash, afl-tmin) and keep the minimised input only if it still has
# that signature; ingest the representatives into
# OUT/forensics/<target>-<engine>.log.gz (one event each, with the replay
# command of the plain replay driver on the stored input, which is then run to
# check it reproduces). The workers' own events (each worker writes its own
# shard: FT_FUZZ_FORENSICS_DIR per worker) and the ingested logs are merged by
# `ft-forensics index` into OUT/failure-index.json. Findings whose signature is
# a bucket of --baseline are known; the rest are new. Ends with a table and the
# list of findings.
#
# Exit: 0 no new finding; 1 a new finding (not in --baseline); 2 usage; 3 the
# run itself failed (a build, an engine that could not run).
set -euo pipefail
caller=$PWD
cd "$(dirname "$0")/.."
root=$PWD

all_targets=(keyset_parse route_select autograd_program forensics_reader fixture_parser)

usage() {
    cat <<'EOF'
usage: ci/fuzz.sh [options] [TARGET...]

Fuzzes each TARGET (default: all of keyset_parse route_select autograd_program
forensics_reader fixture_parser) for a time budget under libFuzzer and/or AFL++,
ingests every distinct finding into forensics and prints a per-target table.

  --engine E          libfuzzer | afl | both (default both)
  --seconds S         fuzzing time per target and engine (default 60)
  --jobs N            parallel workers per target (default 1): libFuzzer runs N
                      -fork=1 workers on one corpus directory, AFL++ one -M and
                      N-1 -S instances on one sync directory; each worker writes
                      its own forensics shard
  --merge             fold the new coverage into corpus/<target>/ (libFuzzer
                      -merge=1, afl-cmin; files named by their SHA-1; nothing
                      is removed)
  --baseline FILE     a failure-index.json: findings whose signature is one of
                      its buckets' are known, not new (CI fails on new ones only)
  --sarif FILE        also write the new findings as SARIF 2.1.0
  --out DIR           output directory (default build/fuzz-out; emptied first)
  --build-root DIR    where the fuzz-<engine> build directories are (default build)
  --no-build          use the binaries already in the build directories
  --minimize-seconds M  per distinct crash (default S/4, within 5..60)
  --max-triage N      crash files triaged per target and engine, smallest first
                      (default 100)
  -h, --help

Environment: FT_FUZZ_NO_DEPS=1 skips ci/deps.sh.
Exit: 0 no new finding, 1 a new finding, 2 usage, 3 the run failed.
EOF
}

say() { printf 'ci/fuzz.sh: %s\n' "$*" >&2; }
die() {
    say "$*"
    exit 3
}
usage_error() {
    say "$* (--help for usage)"
    exit 2
}

engine=both seconds=60 jobs=1 merge=false baseline='' sarif='' out=build/fuzz-out build_root=build
do_build=true min_seconds='' max_triage=100
targets=()
abs_path() { case $1 in /*) printf '%s' "$1" ;; *) printf '%s/%s' "$caller" "$1" ;; esac }
while [ $# -gt 0 ]; do
    case $1 in
    --engine)
        [ $# -ge 2 ] || usage_error "--engine needs a value"
        engine=$2
        shift
        ;;
    --seconds | --jobs | --minimize-seconds | --max-triage)
        [ $# -ge 2 ] && [[ $2 =~ ^[0-9]+$ ]] && [ "$2" -gt 0 ] || usage_error "$1 needs a positive number"
        case $1 in
        --seconds) seconds=$2 ;;
        --jobs) jobs=$2 ;;
        --minimize-seconds) min_seconds=$2 ;;
        --max-triage) max_triage=$2 ;;
        esac
        shift
        ;;
    --merge) merge=true ;;
    --no-build) do_build=false ;;
    --baseline | --sarif | --out | --build-root)
        [ $# -ge 2 ] || usage_error "$1 needs a value"
        case $1 in
        --baseline) baseline=$(abs_path "$2") ;;
        --sarif) sarif=$(abs_path "$2") ;;
        --out) out=$(abs_path "$2") ;;
        --build-root) build_root=$(abs_path "$2") ;;
        esac
        shift
        ;;
    -h | --help)
        usage
        exit 0
        ;;
    -*) usage_error "unknown option $1" ;;
    *) targets+=("$1") ;;
    esac
    shift
done
case $engine in
libfuzzer) engines=(libfuzzer) ;;
afl) engines=(afl) ;;
both) engines=(libfuzzer afl) ;;
*) usage_error "--engine takes libfuzzer, afl or both" ;;
esac
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
    known_target=false
    for k in "${all_targets[@]}"; do [ "$t" = "$k" ] && known_target=true; done
    $known_target || usage_error "unknown target $t (one of: ${all_targets[*]})"
done
[ -z "$baseline" ] || [ -f "$baseline" ] || usage_error "--baseline $baseline: no such file"
[ -n "$min_seconds" ] || min_seconds=$((seconds / 4 < 5 ? 5 : seconds / 4 > 60 ? 60 : seconds / 4))
ncpu=$(nproc 2>/dev/null || echo 2)

# Paths relative to the repository root when they are inside it: replay
# commands recorded in events then work from any clone's root.
rel() {
    local r=$1
    case $1 in "$root" | "$root"/) r=. ;; "$root"/*) r=${1#"$root"/} ;; esac
    printf '%s' "$r"
}
out=$(rel "$out")
build_root=$(rel "$build_root")
out_abs=$(realpath -m -- "$out")
if [ "$out_abs" = / ] || [ "$out_abs" = "$root" ] || [ "${root#"$out_abs"/}" != "$root" ]; then
    usage_error "--out $out holds the source tree (it is emptied first)"
fi

[ "${FT_FUZZ_NO_DEPS:-0}" = 1 ] || ./ci/deps.sh

# ---- build ----------------------------------------------------------------------
bin_of() { printf '%s/fuzz-%s/fuzz/fuzz_%s' "$build_root" "$1" "$2"; }
ftf=$build_root/fuzz-replay/forensics/ft-forensics

build_engine() { # ENGINE EXTRA-TARGET...
    local e=$1 dir=$build_root/fuzz-$1 log
    shift
    log=$(mktemp "${TMPDIR:-/tmp}/ft-fuzz-build.XXXXXX")
    local tlist=()
    for t in "${targets[@]}"; do tlist+=(--target "fuzz_$t"); done
    for x in "$@"; do tlist+=(--target "$x"); done
    say "building fuzz-$e in $dir"
    if ! timeout 1800 cmake --preset "fuzz-$e" -B "$dir" >"$log" 2>&1 ||
        ! timeout 3600 cmake --build "$dir" -j "$ncpu" "${tlist[@]}" >>"$log" 2>&1; then
        tail -40 "$log" >&2
        rm -f "$log"
        die "building fuzz-$e failed"
    fi
    rm -f "$log"
}
if $do_build; then
    build_engine replay ft-forensics
    for e in "${engines[@]}"; do build_engine "$e"; done
fi
[ -x "$ftf" ] || die "no $ftf (build the fuzz-replay preset, or drop --no-build)"
for e in replay "${engines[@]}"; do
    for t in "${targets[@]}"; do
        [ -x "$(bin_of "$e" "$t")" ] || die "no $(bin_of "$e" "$t") (build the fuzz-$e preset, or drop --no-build)"
    done
done

# ---- output ---------------------------------------------------------------------
case $out in /tmp/* | /var/tmp/*) say "note: afl-cmin refuses /tmp; --merge under $out uses AFL_ALLOW_TMP=1" ;; esac
rm -rf "$out"
mkdir -p "$out/forensics"
findings=$out/findings.jsonl
summary=$out/summary.tsv
: >"$findings"
: >"$summary"
failed=()

# what the engines and targets run with: no caller's sanitizer options (afl-fuzz
# sets its own, libFuzzer's defaults are what we want), never the repo root as
# the targets' forensics directory
unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
export AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1 \
    AFL_SKIP_CRASHES=1 AFL_NO_CRASH_README=1 AFL_QUIET=1

# libFuzzer flags from fuzz/<target>.options ([libfuzzer] key = value) and the dict
libfuzzer_flags() {
    local t=$1 section='' line key val
    [ ! -f "fuzz/$t.dict" ] || printf '%s\n' "-dict=fuzz/$t.dict"
    [ -f "fuzz/$t.options" ] || return 0
    while IFS= read -r line || [ -n "$line" ]; do
        line=${line%%#*}
        line=$(printf '%s' "$line" | tr -d '\r')
        if [[ $line =~ ^[[:space:]]*\[([A-Za-z_]+)\][[:space:]]*$ ]]; then
            section=${BASH_REMATCH[1]}
        elif [ "$section" = libfuzzer ] && [[ $line =~ ^[[:space:]]*([A-Za-z_]+)[[:space:]]*=[[:space:]]*([^[:space:]]*)[[:space:]]*$ ]]; then
            key=${BASH_REMATCH[1]} val=${BASH_REMATCH[2]}
            case $key in dict | max_total_time | runs | jobs | workers | fork | artifact_prefix) ;;
            *) printf '%s\n' "-$key=$val" ;;
            esac
        fi
    done <"fuzz/$t.options"
}

# the seeds of a target: corpus/<target>/ (may be missing or empty)
seed_dir() { printf '%s' "corpus/$1"; }

count_files() { # DIR... -> number of regular files (names), duplicates by name counted once
    local d
    for d in "$@"; do [ -d "$d" ] && find "$d" -maxdepth 1 -type f ! -name '.*' -printf '%f\n'; done | sort -u | wc -l
}

run_libfuzzer() { # TARGET WORK -> stats in WORK/stats
    local t=$1 w=$2 bin flags=() pids=() i
    bin=$(bin_of libfuzzer "$t")
    mapfile -t flags < <(libfuzzer_flags "$t")
    mkdir -p "$w/corpus" "$w/crashes" "$w/logs"
    local seeds=()
    [ -d "$(seed_dir "$t")" ] && seeds=("$(seed_dir "$t")")
    for ((i = 1; i <= jobs; i++)); do
        mkdir -p "$w/shards/libfuzzer-w$i"
        FT_FUZZ_FORENSICS_DIR=$w/shards/libfuzzer-w$i timeout -k 10 $((seconds + 120)) "$bin" \
            -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 -max_total_time="$seconds" \
            -artifact_prefix="$w/crashes/w$i-" -print_final_stats=1 ${flags[@]+"${flags[@]}"} \
            "$w/corpus" ${seeds[@]+"${seeds[@]}"} >"$w/logs/libfuzzer-w$i.log" 2>&1 &
        pids+=($!)
    done
    local rc=0 p
    for p in "${pids[@]}"; do wait "$p" || rc=$?; done
    # the fork-mode parent's status lines: "#EXECS: cov: C ft: F corp: N exec/s E oom/timeout/crash: a/b/c time: Ts"
    local execs=0 edges=0 ran=0 l n c
    for ((i = 1; i <= jobs; i++)); do
        l=$(grep -E '^#[0-9]+: cov: [0-9]+' "$w/logs/libfuzzer-w$i.log" | tail -1 || true)
        [ -n "$l" ] || continue
        ran=$((ran + 1))
        n=${l%%:*}
        n=${n#\#}
        c=$(printf '%s' "$l" | sed -E 's/^.* cov: ([0-9]+) .*$/\1/')
        execs=$((execs + n))
        [ "$c" -le "$edges" ] || edges=$c
    done
    if [ "$ran" -eq 0 ]; then
        say "$t/libfuzzer: no worker ran (exit $rc); see $w/logs/"
        tail -20 "$w/logs/libfuzzer-w1.log" >&2 || true
        return 1
    fi
    find "$w/crashes" -maxdepth 1 -type f \( -name '*crash-*' -o -name '*leak-*' -o -name '*timeout-*' \
        -o -name '*oom-*' \) >"$w/crash-files"
    printf '%s\t%s\t%s\n' "$execs" "$edges" "$(count_files "$w/corpus" ${seeds[@]+"${seeds[@]}"})" >"$w/stats"
}

run_afl() { # TARGET WORK
    local t=$1 w=$2 bin pids=() i dict=()
    bin=$(bin_of afl "$t")
    mkdir -p "$w/seeds" "$w/sync" "$w/logs"
    if [ -d "$(seed_dir "$t")" ]; then
        find "$(seed_dir "$t")" -maxdepth 1 -type f ! -name '.*' -size -1024k -exec cp -t "$w/seeds" {} +
    fi
    [ -n "$(ls -A "$w/seeds")" ] || printf '\n' >"$w/seeds/empty"
    [ ! -f "fuzz/$t.dict" ] || dict=(-x "fuzz/$t.dict")
    for ((i = 1; i <= jobs; i++)); do
        local role=(-M main) name=main
        [ "$i" -eq 1 ] || role=(-S "w$i") name=w$i
        mkdir -p "$w/shards/afl-$name"
        FT_FUZZ_FORENSICS_DIR=$w/shards/afl-$name timeout -k 10 $((seconds + 120)) \
            afl-fuzz -i "$w/seeds" -o "$w/sync" "${role[@]}" -V "$seconds" ${dict[@]+"${dict[@]}"} -- "$bin" \
            >"$w/logs/afl-$name.log" 2>&1 &
        pids+=($!)
    done
    local rc=0 p
    for p in "${pids[@]}"; do wait "$p" || rc=$?; done
    : >"$w/crash-files"
    local execs=0 edges=0 ran=0 s v
    for s in "$w"/sync/*/fuzzer_stats; do
        [ -f "$s" ] || continue
        ran=$((ran + 1))
        v=$(sed -nE 's/^execs_done *: *([0-9]+).*/\1/p' "$s")
        execs=$((execs + ${v:-0}))
        v=$(sed -nE 's/^edges_found *: *([0-9]+).*/\1/p' "$s")
        [ "${v:-0}" -le "$edges" ] || edges=$v
    done
    find "$w/sync" -path '*/crashes/id:*' -type f >>"$w/crash-files"
    if [ "$ran" -eq 0 ]; then
        # afl-fuzz refuses to start when every seed crashes: those seeds are the findings
        say "$t/afl: afl-fuzz did not run (exit $rc); trying its seeds as findings; see $w/logs/"
        tail -5 "$w/logs/afl-main.log" >&2 || true
        find "$w/seeds" -type f >>"$w/crash-files"
        if [ ! -s "$w/crash-files" ]; then
            return 1
        fi
        printf '0\t0\t%s\n' "$(count_files "$w/seeds")" >"$w/stats"
        printf 'seeds' >"$w/afl-failed"
        return 0
    fi
    printf '%s\t%s\t%s\n' "$execs" "$edges" "$(count_files "$w"/sync/*/queue)" >"$w/stats"
}

# minimise RAW into OUT with ENGINE's tool (best effort; OUT missing when it failed)
minimize() { # ENGINE TARGET RAW OUT WORK
    local e=$1 t=$2 raw=$3 dst=$4 w=$5 bin
    bin=$(bin_of "$e" "$t")
    mkdir -p "$w/min-forensics"
    if [ "$e" = libfuzzer ]; then
        FT_FUZZ_FORENSICS_DIR=$w/min-forensics timeout -k 5 $((min_seconds + 60)) "$bin" -minimize_crash=1 \
            -max_total_time="$min_seconds" -exact_artifact_path="$dst" "$raw" >>"$w/logs/minimize.log" 2>&1 || true
    else
        FT_FUZZ_FORENSICS_DIR=$w/min-forensics timeout -k 5 "$min_seconds" \
            afl-tmin -i "$raw" -o "$dst" -- "$bin" >>"$w/logs/minimize.log" 2>&1 || true
    fi
    [ -s "$dst" ] || rm -f "$dst"
}

# ingest, whatever its exit status says about new findings (0/1); 2/3 are errors
ingest() { # ARGS...
    local rc=0
    timeout -k 10 1800 "$ftf" ingest "$@" || rc=$?
    [ "$rc" -le 1 ] || say "ft-forensics ingest exited $rc"
    return 0
}

# ---- fuzz -----------------------------------------------------------------------
for t in "${targets[@]}"; do
    for e in "${engines[@]}"; do
        w=$out/work/$e/$t
        mkdir -p "$w"
        say "$t: $e for ${seconds}s ($jobs worker(s))"
        if ! "run_$e" "$t" "$w"; then
            failed+=("$t/$e")
            printf '%s\t%s\t-\t-\t-\t-\t-\t-\t-\n' "$t" "$e" >>"$summary"
            continue
        fi
        ncrash=$(wc -l <"$w/crash-files")
        # triage: one signature per crash file (smallest first, at most max_triage)
        mapfile -t raw < <(xargs -r -d '\n' stat -c '%s	%n' <"$w/crash-files" | sort -n -k1,1 | cut -f2- |
            sed -n "1,${max_triage}p")
        reps=()
        if [ ${#raw[@]} -gt 0 ]; then
            ingest --no-log --json --timeout 25 --target "$t" --engine "$e" --binary "$(bin_of "$e" "$t")" \
                "${raw[@]}" >"$w/triage.jsonl"
            # one representative (the smallest) per signature
            mapfile -t reps < <(jq -r -s 'map(select(.reproduced)) | group_by(.signature)
                | map(min_by(.size)) | sort_by(.signature) | .[] | [.artifact, .signature] | @tsv' \
                "$w/triage.jsonl")
        fi
        if [ -f "$w/afl-failed" ] && [ ${#reps[@]} -eq 0 ]; then
            say "$t/afl: afl-fuzz could not run and no seed crashes: see $w/logs/"
            failed+=("$t/$e")
        fi
        finals=()
        mkdir -p "$w/minimized"
        for r in ${reps[@]+"${reps[@]}"}; do
            file=${r%%$'\t'*}
            sig=${r#*$'\t'}
            base=$(basename "$file")
            min=$w/minimized/${base//[^A-Za-z0-9_.-]/_}
            minimize "$e" "$t" "$file" "$min" "$w"
            if [ -f "$min" ]; then
                ingest --no-log --json --timeout 25 --target "$t" --engine "$e" --binary "$(bin_of "$e" "$t")" \
                    "$min" >"$w/min-check.json"
                if [ "$(jq -r '.signature // ""' "$w/min-check.json")" = "$sig" ]; then
                    finals+=("$min")
                    continue
                fi
                say "$t/$e: minimised input changed its signature; keeping the original"
            fi
            finals+=("$file")
        done
        new=0 known=0
        if [ ${#finals[@]} -gt 0 ]; then
            base_args=()
            [ -z "$baseline" ] || base_args=(--baseline "$baseline")
            ingest --json --timeout 25 --target "$t" --engine "$e" --binary "$(bin_of "$e" "$t")" \
                --replay-binary "$(bin_of replay "$t")" --out "$out/forensics/$t-$e.log.gz" \
                ${base_args[@]+"${base_args[@]}"} "${finals[@]}" >"$w/ingest.jsonl"
            # does the recorded replay command reproduce it? (its argv run by ingest, not by a shell)
            : >"$w/ingest+replay.jsonl"
            while IFS= read -r line; do
                input=$(jq -r '.input_file' <<<"$line")
                ok=false
                if [ -f "$input" ]; then
                    ingest --no-log --json --timeout 25 --target "$t" --engine replay \
                        --binary "$(bin_of replay "$t")" "$input" >"$w/replay-check.json"
                    [ "$(jq -r '.signature // ""' "$w/replay-check.json")" != "$(jq -r '.signature' <<<"$line")" ] ||
                        ok=true
                fi
                jq -c --argjson ok "$ok" '. + {replay_reproduces: $ok}' <<<"$line" >>"$w/ingest+replay.jsonl"
            done < <(jq -c 'select(.reproduced)' "$w/ingest.jsonl")
            cat "$w/ingest+replay.jsonl" >>"$findings"
            new=$(jq -s 'map(select(.new)) | length' "$w/ingest+replay.jsonl")
            known=$(jq -s 'map(select(.known)) | length' "$w/ingest+replay.jsonl")
        fi
        IFS=$'\t' read -r execs edges corpus <"$w/stats"
        rate=$((execs / seconds))
        note=''
        [ ! -f "$w/afl-failed" ] || note=' (seeds)'
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$e$note" "$execs" "$rate" "$edges" "$corpus" \
            "$new" "$known" "$ncrash" >>"$summary"
    done
done

# ---- merge into corpus/ ------------------------------------------------------------
if $merge; then
    for t in "${targets[@]}"; do
        mkdir -p "corpus/$t"
        before=$(count_files "corpus/$t")
        for e in "${engines[@]}"; do
            w=$out/work/$e/$t
            [ -d "$w" ] || continue
            if [ "$e" = libfuzzer ]; then
                [ -d "$w/corpus" ] || continue
                FT_FUZZ_FORENSICS_DIR=$w/min-forensics timeout -k 10 1800 "$(bin_of libfuzzer "$t")" -merge=1 \
                    "corpus/$t" "$w/corpus" >>"$w/logs/merge.log" 2>&1 || say "$t: libFuzzer -merge=1 failed (see $w/logs/merge.log)"
            else
                mkdir -p "$w/cmin-in"
                find "corpus/$t" "$w"/sync/*/queue -maxdepth 1 -type f ! -name '.*' -exec cp -t "$w/cmin-in" {} + \
                    2>/dev/null || true
                rm -rf "$w/cmin-out"
                tmp_ok=()
                case $w in /tmp/* | /var/tmp/*) tmp_ok=(AFL_ALLOW_TMP=1) ;; esac
                if env ${tmp_ok[@]+"${tmp_ok[@]}"} FT_FUZZ_FORENSICS_DIR="$w/min-forensics" timeout -k 10 1800 \
                    afl-cmin -i "$w/cmin-in" -o "$w/cmin-out" -- "$(bin_of afl "$t")" >>"$w/logs/merge.log" 2>&1; then
                    for f in "$w"/cmin-out/*; do
                        [ -f "$f" ] || continue
                        h=$(sha1sum "$f" | cut -c1-40)
                        [ -e "corpus/$t/$h" ] || cp "$f" "corpus/$t/$h"
                    done
                else
                    say "$t: afl-cmin failed (see $w/logs/merge.log)"
                fi
            fi
        done
        say "$t: corpus/$t: $before -> $(count_files "corpus/$t") file(s)"
    done
fi

# ---- index, SARIF, table ------------------------------------------------------------
index_inputs=("$out/forensics")
# (forensics/ sorts before work/: a bucket's representative is an ingested event)
for d in "$out"/work/*/*/shards; do [ -d "$d" ] && index_inputs+=("$d"); done
have_logs=$(find "${index_inputs[@]}" -name '*.gz' -type f -print -quit 2>/dev/null || true)
if [ -n "$have_logs" ]; then
    irc=0
    timeout -k 10 600 "$ftf" index -o "$out/failure-index.json" "${index_inputs[@]}" 2>"$out/index.err" || irc=$?
    [ "$irc" -le 1 ] || { cat "$out/index.err" >&2; failed+=(index); }
fi

if [ -n "$sarif" ]; then
    mkdir -p "$(dirname "$sarif")"
    version=$(sed -nE 's/^#define FT_VERSION_STRING "([^"]+)".*/\1/p' lib/include/ft/version.h)
    jq -s --arg root "$root/" --arg version "$version" '
      map(select(.new)) as $new
      | {
          "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
          version: "2.1.0",
          runs: [{
            tool: {driver: {
              name: "ft-fuzz", version: $version,
              rules: ($new | map({id: .class, name: .class,
                                  shortDescription: {text: ("fuzz finding: " + .class)},
                                  properties: {severity: .severity}}) | unique_by(.id))}},
            originalUriBaseIds: {SRCROOT: {uri: ("file://" + $root)}},
            results: ($new | map({
              ruleId: .class,
              level: (if .severity == "critical" or .severity == "high" then "error" else "warning" end),
              message: {text: .signature},
              locations: [{physicalLocation: (
                if .location != null and (.location.file | startswith($root))
                then {artifactLocation: {uri: (.location.file | ltrimstr($root)), uriBaseId: "SRCROOT"},
                      region: {startLine: (if .location.line > 0 then .location.line else 1 end)}}
                elif .location != null and (.location.file | startswith("/") | not) and (.location.file | test("/"))
                then {artifactLocation: {uri: .location.file, uriBaseId: "SRCROOT"},
                      region: {startLine: (if .location.line > 0 then .location.line else 1 end)}}
                else {artifactLocation: {uri: ("fuzz/" + .target + ".c"), uriBaseId: "SRCROOT"},
                      region: {startLine: 1}}
                end)}],
              partialFingerprints: {"ftSignature/v1": .bucket_id},
              properties: {scenario_id, target, engine, crash_type, reason_code,
                           replay_command, replay_reproduces, log}
            }))
          }]
        }' "$findings" >"$sarif.tmp" && mv "$sarif.tmp" "$sarif"
fi

printf '\n%-18s %-12s %12s %9s %7s %7s %5s %6s %8s\n' TARGET ENGINE EXECS EXEC/S EDGES CORPUS NEW KNOWN CRASHES
while IFS=$'\t' read -r t e execs rate edges corpus new known ncrash; do
    printf '%-18s %-12s %12s %9s %7s %7s %5s %6s %8s\n' "$t" "$e" "$execs" "$rate" "$edges" "$corpus" "$new" "$known" "$ncrash"
done <"$summary"
printf '(EDGES: libFuzzer cov, AFL++ edges_found; CORPUS: files after the run; NEW/KNOWN: distinct signatures\n'
against='no baseline'
[ -z "$baseline" ] || against="--baseline $(rel "$baseline")"
printf ' against %s; CRASHES: crash files the engines saved)\n' "$against"
nfind=$(jq -s 'length' "$findings")
if [ "$nfind" -gt 0 ]; then
    printf '\nfindings (forensics: %s):\n' "$out/forensics"
    jq -r -s '.[] | "  \(if .new then "NEW  " else "known" end) \(.target)/\(.engine) \(.signature)\n        \(.scenario_id)\n        replay: \(.replay_command)  [\(if .replay_reproduces then "reproduces" else "does not reproduce without the engine build" end)]"' "$findings"
fi
[ ! -f "$out/failure-index.json" ] || printf '\nfailure index: %s\n' "$out/failure-index.json"
[ -z "$sarif" ] || printf 'SARIF: %s\n' "$(rel "$sarif")"
nnew=$(jq -s 'map(select(.new)) | length' "$findings")
if [ ${#failed[@]} -gt 0 ]; then
    say "failed: ${failed[*]}"
    exit 3
fi
if [ "$nnew" -gt 0 ]; then
    say "$nnew new finding(s)"
    exit 1
fi
exit 0

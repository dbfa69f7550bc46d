#!/usr/bin/env bash
# Mutation proof (issue 8 item 7): every patch in ci/mutants/ puts one realistic
# bug into lib/, and the differential campaign must catch each one as blocking
# drift.
#
# One scratch copy of the tree (git archive HEAD, or the working tree with
# --worktree) and one Release build of ft-campaign (tests and bench off) are made
# under $TMPDIR. The unmutated baseline runs first and must pass with 0 failed: a
# mutation proof over a failing baseline proves nothing. Then, for each mutant:
# apply (exact context, it must apply cleanly), incremental build, a quick
# campaign (fixtures + --scenarios N generated), revert. A mutant is killed when
# ft-campaign exits 1 with blocking drift; the table shows the largest failure-
# index bucket that names a comparator.
#
# Exit status: 0 every mutant killed over a passing baseline; 1 a mutant survived,
# a patch did not apply or revert, a build broke, the campaign could not run
# (exit 3, a crash) or the baseline failed; 2 usage error.
set -euo pipefail
caller=$PWD
cd "$(dirname "$0")/.."
root=$PWD
mutants_dir=$root/ci/mutants

usage() {
    cat <<'EOF'
usage: ci/mutation.sh [options] [NAME...] [-- FT-CAMPAIGN-ARGS...]

Applies each patch in ci/mutants/ (or the NAMEs given: file name, with or
without .patch, its short name without the number, or its number) to a scratch
copy of lib/, rebuilds ft-campaign and runs a quick campaign; every mutant must
be killed (exit 1, blocking drift) over a baseline that passes (0 failed).
Arguments after -- go to every ft-campaign run (e.g. -- --no-oracle-fixtures).

  --list               list the mutants and what each breaks, then exit
  --keep               keep the scratch directory (build, campaign outputs)
  --worktree           copy the working tree (tracked and untracked files, not
                       ignored ones) instead of HEAD
  --scenarios N        generated scenarios per campaign (default 20000, or
                       $FT_MUTATION_SCENARIOS)
  --jobs N             build and campaign threads (default: all cores)
  --dir DIR            take the patches from DIR instead of ci/mutants/ (for
                       trying a bug by hand; same rules)
  --allow-failing-baseline
                       development aid while the reference model is incomplete:
                       go on after a failing baseline and call a mutant
                       "differs" when it adds blocking runs to the baseline's
                       (its top changed bucket is shown); the script still
                       exits 1
  -h, --help
EOF
}

list=false keep=false worktree=false allow_failing=false
scenarios=${FT_MUTATION_SCENARIOS:-20000}
jobs=$(nproc 2>/dev/null || echo 2)
names=() campaign_args=()
while [ $# -gt 0 ]; do
    case $1 in
    --)
        shift
        campaign_args=("$@")
        break
        ;;
    --list) list=true ;;
    --keep) keep=true ;;
    --worktree) worktree=true ;;
    --allow-failing-baseline) allow_failing=true ;;
    --scenarios | --jobs)
        [ $# -ge 2 ] && [[ $2 =~ ^[0-9]+$ ]] || { echo "ci/mutation.sh: $1 needs a number" >&2; exit 2; }
        if [ "$1" = --scenarios ]; then scenarios=$2; else jobs=$2; fi
        shift
        ;;
    --dir)
        [ $# -ge 2 ] && mutants_dir=$(cd "$caller" && cd "$2" 2>/dev/null && pwd) ||
            { echo "ci/mutation.sh: --dir needs a directory" >&2; exit 2; }
        shift
        ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "ci/mutation.sh: unknown option $1 (--help for usage)" >&2; exit 2 ;;
    *) names+=("$1") ;;
    esac
    shift
done
[ "$jobs" -ge 1 ] || { echo "ci/mutation.sh: --jobs must be at least 1" >&2; exit 2; }

# ---- the mutants ------------------------------------------------------------------

shopt -s nullglob
all=("$mutants_dir"/*.patch)
shopt -u nullglob
[ ${#all[@]} -gt 0 ] || { echo "ci/mutation.sh: no patches in $mutants_dir" >&2; exit 1; }

mutant_name() { local b=${1##*/}; echo "${b%.patch}"; }
# The header: the leading "# " lines before the diff.
mutant_header() { sed -n '/^\(---\|diff \)/q; s/^# \{0,1\}//p' "$1"; }

selected=()
if [ ${#names[@]} -eq 0 ]; then
    selected=("${all[@]}")
else
    for want in "${names[@]}"; do
        want=${want##*/}
        want=${want%.patch}
        hit=
        for p in "${all[@]}"; do
            n=$(mutant_name "$p")
            if [ "$want" = "$n" ] || [ "$want" = "${n#*-}" ] || [ "$want" = "${n%%-*}" ]; then
                hit=$p
                break
            fi
        done
        [ -n "$hit" ] || { echo "ci/mutation.sh: no mutant named $want (ci/mutation.sh --list)" >&2; exit 2; }
        selected+=("$hit")
    done
fi

if $list; then
    for p in "${selected[@]}"; do
        printf '%s\n' "$(mutant_name "$p")"
        mutant_header "$p" | sed 's/^/    /'
    done
    exit 0
fi

for tool in tar cmake jq; do
    command -v "$tool" >/dev/null || { echo "ci/mutation.sh: needs $tool (ci/deps.sh installs it)" >&2; exit 1; }
done
command -v git >/dev/null || command -v patch >/dev/null || { echo "ci/mutation.sh: needs git or patch" >&2; exit 1; }

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
t_start=$(now)

scratch=$(cd "$(mktemp -d "${TMPDIR:-/tmp}/ft-mutation.XXXXXX")" && pwd -P)
cleanup() {
    if $keep; then
        echo "scratch directory kept: $scratch"
    else
        rm -rf "$scratch"
    fi
}
trap cleanup EXIT

src=$scratch/src build=$scratch/build out=$scratch/out logs=$scratch/logs
mkdir -p "$src" "$out" "$logs"

# ---- scratch copy and baseline build ------------------------------------------------

if ! command -v git >/dev/null || ! git rev-parse --verify -q HEAD >/dev/null 2>&1; then
    # not a git checkout (a release tarball): the tree as it is, without outputs
    tar --exclude=./build --exclude=./artifacts --exclude=./.git -cf - . | tar -xf - -C "$src"
    origin="source tree (no git)"
elif $worktree; then
    git ls-files -z -c -o --exclude-standard | tar --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -xf - -C "$src"
    origin="working tree"
else
    git archive --format=tar HEAD | tar -xf - -C "$src"
    origin="HEAD $(git rev-parse --short HEAD)"
fi
cp -a "$src/lib" "$scratch/lib.pristine"

echo "mutation proof: ${#selected[@]} mutants, $scenarios generated scenarios per campaign, $jobs jobs, $origin"
[ ${#campaign_args[@]} -eq 0 ] || echo "ft-campaign arguments: ${campaign_args[*]}"
echo "scratch: $scratch"

# Release, no tests, no bench: only what ft-campaign needs.
if ! cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DFT_BUILD_TESTS=OFF -DFT_BUILD_BENCH=OFF \
    -DFT_BUILD_TOOLS=ON >"$logs/configure.log" 2>&1; then
    tail -n 30 "$logs/configure.log" >&2
    echo "ci/mutation.sh: configuring the scratch build failed" >&2
    exit 1
fi

# git apply as a plain patch tool on the scratch copy: exact context, no fuzz. The
# ceiling keeps git from finding a repository around $TMPDIR (it would then apply
# paths relative to that repository and skip the rest). Without git: patch, no fuzz.
apply() { # [--check|-R] patch
    if command -v git >/dev/null; then
        (cd "$src" && GIT_CEILING_DIRECTORIES=$scratch git apply -p1 "$@")
    else
        local opts=(-d "$src" -p1 -F0 -N -s --no-backup-if-mismatch)
        case $1 in
        --check) opts+=(--dry-run) ;;
        -R) opts=(-d "$src" -p1 -F0 -R -s --no-backup-if-mismatch) ;;
        esac
        [ $# -eq 1 ] || shift
        patch "${opts[@]}" <"$1"
    fi
}

build_campaign() { # log file
    cmake --build "$build" --target ft-campaign -j "$jobs" >"$1" 2>&1
}

# Runs the campaign into $out/$1; sets rc, blocking, failed.
run_campaign() {
    local dir=$out/$1
    rm -rf "$dir"
    mkdir -p "$dir"
    rc=0
    "$build/differential/ft-campaign" --scenarios "$scenarios" --no-progress --jobs "$jobs" --out "$dir" \
        ${campaign_args[@]+"${campaign_args[@]}"} >"$logs/$1.campaign.log" 2>&1 || rc=$?
    blocking=$(sed -n 's/^verdicts:.* blocking_drift \([0-9]*\).*/\1/p' "$logs/$1.campaign.log" | tail -n 1)
    failed=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$logs/$1.campaign.log" | tail -n 1)
    blocking=${blocking:-0} failed=${failed:-?}
}

# The largest bucket that names a comparator (buckets are sorted by count), else
# the largest bucket: "signature (count) e.g. representative-scenario".
top_signature() { # failure-index.json
    [ -f "$1" ] || { echo "-"; return; }
    jq -r '([.buckets[] | select(.signature_fields.comparator != "-")] + .buckets) as $b
           | if ($b | length) == 0 then "-"
             else "\($b[0].signature) (\($b[0].count)) e.g. \($b[0].representative.scenario_id // "?")" end' "$1"
}

# Baseline vs mutant failure indexes: how many buckets differ (signature, count or
# first scenarios), and the one that changed most, preferring comparator buckets.
index_delta() { # base.json mutant.json
    jq -rn --slurpfile a "$1" --slurpfile b "$2" '
        def m(x): x | map({key: .signature, value: {count, s: (.scenarios[:64])}}) | from_entries;
        (m($a[0].buckets)) as $A | (m($b[0].buckets)) as $B
        | [($A + $B | keys[]) as $k
           | select($A[$k] != $B[$k])
           | {k: $k, d: (($B[$k].count // 0) - ($A[$k].count // 0)),
              c: (($k | split("|"))[2] != "-")}]
        | sort_by([(if .c then 0 else 1 end), -(.d | fabs), .k])
        | if length == 0 then "0" else "\(length) \(.[0].k) (\(if .[0].d >= 0 then "+" else "" end)\(.[0].d))" end'
}

t=$(now)
if ! build_campaign "$logs/baseline.build.log"; then
    tail -n 40 "$logs/baseline.build.log" >&2
    echo "ci/mutation.sh: the unmutated tree does not build" >&2
    exit 1
fi
build_s=$(elapsed "$t")
t=$(now)
run_campaign baseline
run_s=$(elapsed "$t")
baseline_ok=true base_blocking=$blocking
if [ "$rc" -ne 0 ]; then
    baseline_ok=false
    echo
    echo "BASELINE FAILS: the unmutated tree gives ft-campaign exit $rc ($failed failed, $blocking blocking);"
    echo "a mutation proof over a failing baseline proves nothing. Largest buckets:"
    if [ -f "$out/baseline/failure-index.json" ]; then
        jq -r '.buckets[:8][] | "  \(.count)\t\(.signature)"' "$out/baseline/failure-index.json"
    else
        tail -n 5 "$logs/baseline.campaign.log" | sed 's/^/  /'
    fi
    if ! $allow_failing; then
        echo "ci/mutation.sh: baseline failed (build ${build_s}s, campaign ${run_s}s)" >&2
        exit 1
    fi
    echo "(--allow-failing-baseline: mutants are judged by their difference from the baseline's failure index)"
fi
echo
w=8
for p in "${selected[@]}"; do
    n=$(mutant_name "$p")
    [ ${#n} -le $w ] || w=${#n}
done
printf "%-${w}s %-15s %7s %7s  %s\n" mutant verdict build_s run_s "top failure-index bucket"
printf "%-${w}s %-15s %7s %7s  %s\n" baseline "$($baseline_ok && echo pass || echo FAILS)" "$build_s" "$run_s" \
    "$($baseline_ok && echo - || top_signature "$out/baseline/failure-index.json")"

# ---- the mutants ------------------------------------------------------------------

killed=0 survived=0 broken=0
for p in "${selected[@]}"; do
    name=$(mutant_name "$p")
    verdict= build_s=- run_s=- sig=-
    # a mutant may only touch lib/
    if grep -E '^\+\+\+ ' "$p" | grep -Evq '^\+\+\+ b/lib/'; then
        verdict=bad_patch sig="patches a file outside lib/"
    elif ! apply --check "$p" >"$logs/$name.patch.log" 2>&1; then
        verdict=not_applied sig="$(grep -m1 'error' "$logs/$name.patch.log" || head -n 1 "$logs/$name.patch.log")"
    elif ! apply "$p" >>"$logs/$name.patch.log" 2>&1; then
        echo "ci/mutation.sh: $name passed git apply --check but did not apply; stopping" >&2
        exit 1
    else
        t=$(now)
        if ! build_campaign "$logs/$name.build.log"; then
            build_s=$(elapsed "$t")
            verdict=build_broken sig="$(grep -m1 -E 'error' "$logs/$name.build.log" | cut -c1-120)"
        else
            build_s=$(elapsed "$t")
            t=$(now)
            run_campaign "$name"
            run_s=$(elapsed "$t")
            index=$out/$name/failure-index.json
            if [ "$rc" -eq 1 ] && [ "$blocking" -gt 0 ] && $baseline_ok; then
                verdict=killed sig=$(top_signature "$index")
            elif [ "$rc" -le 1 ] && ! $baseline_ok; then
                # more blocking runs than the baseline: some run that passed now
                # fails; a different index with no more blocking runs proves less
                delta=$(index_delta "$out/baseline/failure-index.json" "$index")
                if [ "$delta" = 0 ]; then
                    verdict=survived sig="failure index identical to the baseline's"
                elif [ "$blocking" -gt "$base_blocking" ]; then
                    verdict=differs sig="${delta#* } [blocking +$((blocking - base_blocking)), ${delta%% *} buckets differ]"
                else
                    verdict=survived sig="${delta#* } [blocking +0, ${delta%% *} buckets differ]"
                fi
            elif [ "$rc" -eq 0 ]; then
                verdict=survived sig="0 failed"
            elif [ "$rc" -eq 1 ]; then
                verdict=harness_error sig="exit 1 without blocking drift: $(tail -n 1 "$logs/$name.campaign.log")"
            else
                verdict=campaign_failed sig="ft-campaign exit $rc: $(grep -m1 'ft-campaign:' "$logs/$name.campaign.log" || tail -n 1 "$logs/$name.campaign.log")"
            fi
            $keep || rm -rf "$out/$name"
        fi
        if ! apply -R "$p" >>"$logs/$name.patch.log" 2>&1 ||
            ! diff -r -q "$scratch/lib.pristine" "$src/lib" >/dev/null; then
            printf "%-${w}s %-15s\n" "$name" "$verdict"
            echo "ci/mutation.sh: reverting $name left lib/ changed; stopping" >&2
            exit 1
        fi
        # the reverted files must be rebuilt: make them newer than their objects
        grep -E '^\+\+\+ b/' "$p" | sed 's/^+++ b\///; s/\t.*//' | while read -r f; do touch "$src/$f"; done
    fi
    case $verdict in
    killed | differs) killed=$((killed + 1)) ;;
    survived) survived=$((survived + 1)) ;;
    *) broken=$((broken + 1)) ;;
    esac
    printf "%-${w}s %-15s %7s %7s  %s\n" "$name" "$verdict" "$build_s" "$run_s" "$sig"
done

total_s=$(elapsed "$t_start")
echo
if $baseline_ok; then
    echo "mutation proof: $killed killed, $survived survived, $broken not applied/built/run, of ${#selected[@]} in ${total_s}s"
else
    echo "mutation proof: baseline FAILS; $killed add blocking drift to it, $survived do not, $broken not applied/built/run, of ${#selected[@]} in ${total_s}s"
fi
$baseline_ok && [ "$survived" -eq 0 ] && [ "$broken" -eq 0 ]

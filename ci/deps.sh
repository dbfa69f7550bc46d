#!/usr/bin/env bash
# Installs what building and testing need, from Debian's packages. Idempotent and
# silent when everything is already there.
# Fuzzing (ci/fuzz.sh, ci/coverage.sh, .clusterfuzzlite/build.sh) needs the sanitizer and libFuzzer
# runtimes (libclang-rt-14-dev), llvm (llvm-profdata, llvm-cov, llvm-symbolizer), afl++ and zip.
#
# python3-torch (PyTorch 1.13) is only for the live oracle (ft-campaign --oracle
# torch and the ctest torch_oracle_live, which reports SKIP without it); libft, the
# build and the default campaign never need it. FT_DEPS_NO_TORCH=1 leaves it out;
# if it cannot be installed, that is said and the rest goes on.
set -euo pipefail

packages=(cmake make gcc clang clang-format pkg-config libjansson-dev zlib1g-dev jq tabix libclang-rt-14-dev llvm afl++ zip unzip chromium)
optional=()
[ "${FT_DEPS_NO_TORCH:-0}" = 1 ] || optional+=(python3-torch)

installed() {
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

missing=()
for p in "${packages[@]}"; do
    installed "$p" || missing+=("$p")
done
missing_optional=()
for p in "${optional[@]}"; do
    installed "$p" || missing_optional+=("$p")
done
[ ${#missing[@]} -eq 0 ] && [ ${#missing_optional[@]} -eq 0 ] && exit 0

sudo=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || {
        echo "ci/deps.sh: need root or sudo to install: ${missing[*]} ${missing_optional[*]}" >&2
        exit 1
    }
    sudo=(sudo)
fi
echo "ci/deps.sh: installing ${missing[*]} ${missing_optional[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ ${#missing_optional[@]} -gt 0 ] &&
    ! "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing_optional[@]}" >/dev/null; then
    echo "ci/deps.sh: could not install ${missing_optional[*]}: the live torch oracle tests will SKIP" >&2
fi

#!/usr/bin/env bash
# run_install_test.sh BUILD_DIR SOURCE_DIR C_COMPILER
# Installs BUILD_DIR into a scratch prefix, then builds and runs tests/install/consumer.c
# against it four ways: CMake package (shared, static) and pkg-config (shared, static).
set -euo pipefail
build=$1 src=$2 cc=$3
command -v pkg-config >/dev/null || { echo "pkg-config is not installed (ci/deps.sh installs it)"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

cmake --install "$build" --prefix "$prefix" >/dev/null
for f in include/ft/ft.h include/ft/dispatch.h; do
    [ -f "$prefix/$f" ] || { echo "not installed: $f"; exit 1; }
done
libdir=$(dirname "$(find "$prefix" -name 'libft.a' | head -n 1)")
[ -f "$libdir/libft.a" ] && ls "$libdir"/libft.so* >/dev/null || { echo "libraries not installed"; exit 1; }

echo "-- find_package(FrankenTorch)"
cmake -S "$src/tests/install" -B "$work/cmake" -DCMAKE_C_COMPILER="$cc" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/cmake" >/dev/null
"$work/cmake/consumer_shared"
"$work/cmake/consumer_static"
# (ldd's output is captured first: with pipefail, `ldd | grep -q` fails whenever
# grep exits early and ldd dies of SIGPIPE)
deps=$(ldd "$work/cmake/consumer_shared")
grep -q "$libdir/libft.so" <<<"$deps" || { echo "consumer_shared does not use the installed libft.so"; exit 1; }

echo "-- pkg-config ft"
export PKG_CONFIG_PATH=$libdir/pkgconfig
[ "$(pkg-config --modversion ft)" = "$(sed -n 's/^#define FT_VERSION_STRING "\(.*\)"/\1/p' "$prefix/include/ft/version.h")" ]
# shellcheck disable=SC2046
"$cc" -std=c11 -Wall -Werror -o "$work/pc_shared" "$src/tests/install/consumer.c" $(pkg-config --cflags --libs ft) \
    -Wl,-rpath,"$libdir"
"$work/pc_shared"
# shellcheck disable=SC2046
"$cc" -std=c11 -Wall -Werror -o "$work/pc_static" "$src/tests/install/consumer.c" $(pkg-config --cflags ft) \
    -L"$libdir" -Wl,-Bstatic -lft -Wl,-Bdynamic $(pkg-config --libs-only-l --static ft | sed 's/-lft//')
"$work/pc_static"
deps=$(ldd "$work/pc_static")
! grep -q libft.so <<<"$deps" || { echo "pc_static links libft.so"; exit 1; }
echo "install test: 4 consumers built and ran"

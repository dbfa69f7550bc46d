# The fuzzing engine switch (fuzz/CONTRACT.md): FT_FUZZ_ENGINE decides how every
# fuzz target in fuzz/ is built and linked, following OSS-Fuzz's
# $LIB_FUZZING_ENGINE convention. Included by the top-level CMakeLists.txt
# before any library, because the engines that instrument (libfuzzer) must
# instrument the code under test too.
#
#   ""          no engine. With FT_BUILD_TESTS the targets are still built with
#               the plain replay driver, so ctest replays every corpus in the
#               default and asan builds.
#   libfuzzer   clang -fsanitize=fuzzer-no-link on everything, -fsanitize=fuzzer
#               on the targets (sanitizers: FT_SANITIZE, e.g. address,undefined)
#   afl         CMAKE_C_COMPILER afl-clang-fast (it instruments everything);
#               targets link AFL++'s libAFLDriver (persistent mode, shared-memory
#               input) through -fsanitize=fuzzer
#   replay      fuzz/replay_driver.c, any compiler (gcc included)
#   -f...       a flag, as OSS-Fuzz passes $LIB_FUZZING_ENGINE
#               ("-fsanitize=fuzzer"); compile flags come from CFLAGS
#   /path/x.a   a fuzzing engine library ($LIB_FUZZING_ENGINE as a path); linked
#               with the C++ driver, since engines are C++
#
# Sets FT_FUZZ_ENGINE_KIND (none, libfuzzer, afl, replay, flag, library) and
# FT_FUZZ_ENGINE_NAME (what events record: libfuzzer, afl or replay; for an
# OSS-Fuzz value, "afl" when $FUZZING_ENGINE says so, else libfuzzer).
# Every engine defines FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION everywhere.

set(FT_FUZZ_ORACLE_COVERAGE counters CACHE STRING "libfuzzer: coverage of libftdiff (counters, none, full; fuzz/CMakeLists.txt)")

if(FT_FUZZ_ENGINE STREQUAL "")
  set(FT_FUZZ_ENGINE_KIND none)
  set(FT_FUZZ_ENGINE_NAME replay)
elseif(FT_FUZZ_ENGINE STREQUAL "libfuzzer")
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "FT_FUZZ_ENGINE=libfuzzer needs clang (CMAKE_C_COMPILER=clang)")
  endif()
  set(FT_FUZZ_ENGINE_KIND libfuzzer)
  set(FT_FUZZ_ENGINE_NAME libfuzzer)
  add_compile_options(-fsanitize=fuzzer-no-link)
elseif(FT_FUZZ_ENGINE STREQUAL "afl")
  get_filename_component(_ft_cc_name "${CMAKE_C_COMPILER}" NAME)
  if(NOT _ft_cc_name MATCHES "^afl-")
    message(FATAL_ERROR "FT_FUZZ_ENGINE=afl needs CMAKE_C_COMPILER=afl-clang-fast (got ${CMAKE_C_COMPILER})")
  endif()
  set(FT_FUZZ_ENGINE_KIND afl)
  set(FT_FUZZ_ENGINE_NAME afl)
elseif(FT_FUZZ_ENGINE STREQUAL "replay")
  set(FT_FUZZ_ENGINE_KIND replay)
  set(FT_FUZZ_ENGINE_NAME replay)
elseif(FT_FUZZ_ENGINE MATCHES "^-")
  set(FT_FUZZ_ENGINE_KIND flag)
elseif(EXISTS "${FT_FUZZ_ENGINE}")
  set(FT_FUZZ_ENGINE_KIND library)
else()
  message(FATAL_ERROR "FT_FUZZ_ENGINE: '${FT_FUZZ_ENGINE}' is none of libfuzzer, afl, replay, a flag or a library")
endif()

if(FT_FUZZ_ENGINE_KIND STREQUAL "flag" OR FT_FUZZ_ENGINE_KIND STREQUAL "library")
  if("$ENV{FUZZING_ENGINE}" STREQUAL "afl")
    set(FT_FUZZ_ENGINE_NAME afl)
  else()
    set(FT_FUZZ_ENGINE_NAME libfuzzer)
  endif()
endif()

if(NOT FT_FUZZ_ENGINE_KIND STREQUAL "none")
  add_compile_definitions(FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION)
  if(NOT FT_BUILD_TOOLS)
    message(FATAL_ERROR "FT_FUZZ_ENGINE needs FT_BUILD_TOOLS=ON (the targets link libftdiff and libftforensics)")
  endif()
endif()

# Finds Debian's libtorch-dev 1.13 without its CMake package (which drags in
# Caffe2/CUDA probing): headers under /usr/include, libtorch, libtorch_cpu and
# libc10 in the library path. On success defines the imported target
# ft_libtorch_113 and sets <ok_var> TRUE and <version_var> ("1.13.x").
function(ft_find_libtorch_113 ok_var version_var)
  set(${ok_var} FALSE PARENT_SCOPE)
  find_path(FT_TORCH_INCLUDE_DIR torch/library.h)
  find_path(FT_TORCH_API_INCLUDE_DIR torch/version.h PATH_SUFFIXES torch/csrc/api/include)
  find_library(FT_TORCH_LIB torch)
  find_library(FT_TORCH_CPU_LIB torch_cpu)
  find_library(FT_C10_LIB c10)
  mark_as_advanced(FT_TORCH_INCLUDE_DIR FT_TORCH_API_INCLUDE_DIR FT_TORCH_LIB FT_TORCH_CPU_LIB FT_C10_LIB)
  if(NOT FT_TORCH_INCLUDE_DIR OR NOT FT_TORCH_API_INCLUDE_DIR OR NOT FT_TORCH_LIB OR NOT FT_TORCH_CPU_LIB
     OR NOT FT_C10_LIB OR NOT EXISTS "${FT_TORCH_INCLUDE_DIR}/ATen/core/dispatch/Dispatcher.h"
     OR NOT EXISTS "${FT_TORCH_API_INCLUDE_DIR}/torch/version.h")
    return()
  endif()
  file(STRINGS "${FT_TORCH_API_INCLUDE_DIR}/torch/version.h" _v REGEX "#define TORCH_VERSION_(MAJOR|MINOR|PATCH) ")
  string(REGEX MATCH "MAJOR ([0-9]+)" _m "${_v}")
  set(_major "${CMAKE_MATCH_1}")
  string(REGEX MATCH "MINOR ([0-9]+)" _m "${_v}")
  set(_minor "${CMAKE_MATCH_1}")
  string(REGEX MATCH "PATCH ([0-9]+)" _m "${_v}")
  set(_patch "${CMAKE_MATCH_1}")
  if(NOT _major STREQUAL "1" OR NOT _minor STREQUAL "13")
    message(STATUS "libtorch ${_major}.${_minor} found, the c10 benchmark wants 1.13")
    return()
  endif()
  if(NOT TARGET ft_libtorch_113)
    add_library(ft_libtorch_113 INTERFACE IMPORTED)
    set_target_properties(ft_libtorch_113 PROPERTIES
      INTERFACE_INCLUDE_DIRECTORIES "${FT_TORCH_INCLUDE_DIR};${FT_TORCH_API_INCLUDE_DIR}"
      INTERFACE_LINK_LIBRARIES "${FT_TORCH_LIB};${FT_TORCH_CPU_LIB};${FT_C10_LIB}")
  endif()
  set(${ok_var} TRUE PARENT_SCOPE)
  set(${version_var} "${_major}.${_minor}.${_patch}" PARENT_SCOPE)
endfunction()

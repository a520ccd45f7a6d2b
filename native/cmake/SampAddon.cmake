# samp_add_addon(<name> SOURCES <src>... [LINK <lib>...] [CUDA])
#
# Adds one Node-API addon: a shared library named <name>.node (no "lib" prefix) that links the
# shared N-API helpers (samp_napi: NAPI_VERSION=8, NAPI_CPP_EXCEPTIONS, the Node-API and
# node-addon-api include dirs) plus what cmake-js passes (CMAKE_JS_SRC, CMAKE_JS_LIB).
# CUDA: the addon uses the CUDA runtime, linked statically (CUDA::cudart_static).
# Under cmake-js the file lands in <package>/build/Release/, where the package's loader looks.
function(samp_add_addon name)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "CUDA" "" "SOURCES;LINK")
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "samp_add_addon(${name}): SOURCES is required")
  endif()
  if(ARG_CUDA AND NOT SAMP_HAVE_CUDA)
    message(FATAL_ERROR "samp_add_addon(${name} CUDA): the CUDA language is not enabled")
  endif()

  add_library(${name} SHARED ${ARG_SOURCES} ${CMAKE_JS_SRC})
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    SUFFIX ".node"
    CXX_VISIBILITY_PRESET hidden
    CUDA_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  target_link_libraries(${name} PRIVATE samp_napi ${ARG_LINK})
  if(CMAKE_JS_LIB)
    target_link_libraries(${name} PRIVATE ${CMAKE_JS_LIB})
  endif()
  samp_target_warnings(${name})

  if(ARG_CUDA)
    set_target_properties(${name} PROPERTIES CUDA_RUNTIME_LIBRARY Static)
    target_link_libraries(${name} PRIVATE CUDA::cudart_static)
  endif()

  if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
    # Keep the symbols of static libraries (cudart_static among them) private to this addon, so
    # two addons in one process never resolve each other's copies.
    target_link_options(${name} PRIVATE "LINKER:--exclude-libs,ALL")
  endif()

  # Windows: cmake-js asks for node.lib to be generated from node-api-headers' .def file.
  if(MSVC AND CMAKE_JS_NODELIB_DEF AND CMAKE_JS_NODELIB_TARGET)
    execute_process(COMMAND ${CMAKE_AR} /def:${CMAKE_JS_NODELIB_DEF} /out:${CMAKE_JS_NODELIB_TARGET}
                            ${CMAKE_STATIC_LINKER_FLAGS})
  endif()
endfunction()

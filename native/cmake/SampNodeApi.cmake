# samp_find_node_api(): sets SAMP_NODE_API_INCLUDE_DIRS to the directories holding node_api.h
# (Node-API C headers) and napi.h (node-addon-api), searching in this order:
#   1. -DSAMP_NODE_API_HEADERS_DIR / -DSAMP_NODE_ADDON_API_DIR
#   2. CMAKE_JS_INC (cmake-js passes node-api-headers, and node-addon-api when it resolves)
#   3. `node -p "require('node-api-headers').include_dir"` / `require('node-addon-api').include_dir`
#      run from the build directory (a package's build/ resolves its own node_modules)
# Fails with every directory tried and the fixes.
set(SAMP_NODE_API_HEADERS_DIR "" CACHE PATH "Directory holding node_api.h (default: found)")
set(SAMP_NODE_ADDON_API_DIR "" CACHE PATH "Directory holding napi.h (default: found)")

function(_samp_node_query module out_var)
  set(${out_var} "" PARENT_SCOPE)
  find_program(SAMP_NODE_EXECUTABLE NAMES node nodejs)
  if(NOT SAMP_NODE_EXECUTABLE)
    return()
  endif()
  execute_process(
    COMMAND "${SAMP_NODE_EXECUTABLE}" -p "require('${module}').include_dir"
    WORKING_DIRECTORY "${CMAKE_BINARY_DIR}"
    OUTPUT_VARIABLE dir RESULT_VARIABLE rc ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(rc EQUAL 0 AND dir)
    set(${out_var} "${dir}" PARENT_SCOPE)
  endif()
endfunction()

function(_samp_find_header header explicit_dir module out_var tried_var)
  set(tried "")
  foreach(dir IN ITEMS ${explicit_dir} ${CMAKE_JS_INC})
    list(APPEND tried "${dir}")
    if(EXISTS "${dir}/${header}")
      set(${out_var} "${dir}" PARENT_SCOPE)
      set(${tried_var} "${tried}" PARENT_SCOPE)
      return()
    endif()
  endforeach()
  _samp_node_query(${module} dir)
  if(dir)
    list(APPEND tried "${dir}")
    if(EXISTS "${dir}/${header}")
      set(${out_var} "${dir}" PARENT_SCOPE)
      set(${tried_var} "${tried}" PARENT_SCOPE)
      return()
    endif()
  else()
    list(APPEND tried "require('${module}') from ${CMAKE_BINARY_DIR}")
  endif()
  set(${out_var} "" PARENT_SCOPE)
  set(${tried_var} "${tried}" PARENT_SCOPE)
endfunction()

function(samp_find_node_api)
  _samp_find_header(node_api.h "${SAMP_NODE_API_HEADERS_DIR}" node-api-headers api_dir api_tried)
  _samp_find_header(napi.h "${SAMP_NODE_ADDON_API_DIR}" node-addon-api addon_dir addon_tried)
  if(NOT api_dir OR NOT addon_dir)
    string(REPLACE ";" "\n    " api_tried "${api_tried}")
    string(REPLACE ";" "\n    " addon_tried "${addon_tried}")
    message(FATAL_ERROR
      "Node-API headers not found.\n"
      "  node_api.h (node-api-headers): ${api_dir}\n  tried:\n    ${api_tried}\n"
      "  napi.h (node-addon-api): ${addon_dir}\n  tried:\n    ${addon_tried}\n"
      "Fixes: build through a package (npx -y pnpm@10.34.8 --filter @samp/encoder-cpu-vnni build:native) "
      "after `npx -y pnpm@10.34.8 install`; or pass -DSAMP_NODE_API_HEADERS_DIR=<dir> "
      "-DSAMP_NODE_ADDON_API_DIR=<dir>; or -DSAMP_BUILD_ADDONS=OFF to build only the unit tests.")
  endif()
  set(SAMP_NODE_API_INCLUDE_DIRS "${api_dir};${addon_dir}" PARENT_SCOPE)
  message(STATUS "Node-API headers: ${api_dir}; node-addon-api: ${addon_dir}")
endfunction()

# Warnings for samp's own targets, and the SAMP_SANITIZE wiring (ASan/UBSan/…).

# samp_target_warnings(<target>): warnings for samp's own C++ sources (third-party headers are
# included as SYSTEM and stay quiet).
function(samp_target_warnings target)
  if(MSVC)
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:/W4>)
  else()
    target_compile_options(${target} PRIVATE
      $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor>
      $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-Wall>)
  endif()
endfunction()

# SAMP_SANITIZE=address,undefined (any of address, undefined, leak, thread) instruments every
# target, CUDA host code included. Loading an instrumented .node into Node needs the runtime
# first: LD_PRELOAD="$(gcc -print-file-name=libasan.so)" node …; with CUDA add
# ASAN_OPTIONS=protect_shadow_gap=0 (the driver maps memory where ASan's shadow gap sits).
if(SAMP_SANITIZE)
  if(MSVC)
    message(FATAL_ERROR "SAMP_SANITIZE is wired for GCC/Clang only")
  endif()
  string(REPLACE "," ";" _samp_sanitizers "${SAMP_SANITIZE}")
  foreach(_s IN LISTS _samp_sanitizers)
    if(NOT _s MATCHES "^(address|undefined|leak|thread)$")
      message(FATAL_ERROR "SAMP_SANITIZE: unknown sanitizer '${_s}' (use address, undefined, leak, thread)")
    endif()
  endforeach()
  if("address" IN_LIST _samp_sanitizers AND "thread" IN_LIST _samp_sanitizers)
    message(FATAL_ERROR "SAMP_SANITIZE: address and thread cannot be combined")
  endif()
  string(REPLACE ";" "," _samp_sanitize_flag "${_samp_sanitizers}")
  # nvcc splits -Xcompiler values at commas, so CUDA host code gets one flag per sanitizer.
  set(_samp_cuda_sanitize "")
  foreach(_s IN LISTS _samp_sanitizers)
    list(APPEND _samp_cuda_sanitize "-Xcompiler=-fsanitize=${_s}")
  endforeach()
  add_compile_options(
    "$<$<COMPILE_LANGUAGE:CXX>:-fsanitize=${_samp_sanitize_flag};-fno-omit-frame-pointer;-fno-sanitize-recover=all>"
    "$<$<COMPILE_LANGUAGE:CUDA>:${_samp_cuda_sanitize};-Xcompiler=-fno-omit-frame-pointer>")
  add_link_options("-fsanitize=${_samp_sanitize_flag}")
  message(STATUS "Sanitizers: ${_samp_sanitize_flag}")
endif()

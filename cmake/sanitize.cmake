# SGXREF_SANITIZE: the sanitizers every object is built with (docs/reliability.md).
#   address,undefined  the clang gate's build (scripts/test): ASan and UBSan, UBSan's
#                      first report ending the run (no recovery: a report that only
#                      printed would pass the test); with clang the objects also carry
#                      libFuzzer's coverage (fuzzer-no-link), so the fuzz targets link
#                      the very libraries the tests ran on.
#   thread             scripts/sanitize tsan.
set(SGXREF_SANITIZE "" CACHE STRING "Sanitizers: none (empty or OFF), address,undefined or thread")
if(SGXREF_SANITIZE STREQUAL "address,undefined")
  set(sanitizers -fsanitize=address,undefined -fno-sanitize-recover=all)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    add_compile_options(-fsanitize=fuzzer-no-link)
  endif()
elseif(SGXREF_SANITIZE STREQUAL "thread")
  set(sanitizers -fsanitize=thread)
elseif(SGXREF_SANITIZE)
  message(FATAL_ERROR "SGXREF_SANITIZE: '${SGXREF_SANITIZE}' is none of address,undefined and thread")
endif()
if(sanitizers)
  add_compile_options(${sanitizers} -fno-omit-frame-pointer)
  add_link_options(${sanitizers})
endif()

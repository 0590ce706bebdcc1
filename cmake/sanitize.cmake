# SGXREF_SANITIZE: the clang gate's build (scripts/test, docs/reliability.md). Every
# object is built with ASan and UBSan, and UBSan's first report ends the run (no
# recovery: a report that only prints would pass the test). With clang the objects also
# carry libFuzzer's coverage (fuzzer-no-link), so a fuzz target links the same libraries
# the tests ran on.
option(SGXREF_SANITIZE "Build with ASan, UBSan and (clang) libFuzzer's coverage" OFF)
if(SGXREF_SANITIZE)
  set(sanitizers -fsanitize=address,undefined -fno-sanitize-recover=all)
  add_compile_options(${sanitizers} -fno-omit-frame-pointer)
  add_link_options(${sanitizers})
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    add_compile_options(-fsanitize=fuzzer-no-link)
  endif()
endif()

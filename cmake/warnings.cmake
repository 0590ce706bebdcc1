# Every target of the project gets the same warning set through sgxref_warnings.
add_library(sgxref_warnings INTERFACE)
target_compile_options(sgxref_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow
  -Wnon-virtual-dtor -Wold-style-cast -Wimplicit-fallthrough)
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  target_compile_options(sgxref_warnings INTERFACE -Wthread-safety)
endif()
if(SGXREF_WERROR)
  target_compile_options(sgxref_warnings INTERFACE -Werror)
endif()

// File: the binaries whose driver carries a checker bug (cli/driver_bug.h), found beside
// this one and run as child processes.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace sgxref::cli {

// The bug a variant's switches put in (without "bug."), if any; a variant with two has
// no driver to replay on, and throws std::invalid_argument.
std::optional<std::string> bug_of(const std::vector<std::string>& switches);

// The path of the binary whose driver has `bug`; throws std::runtime_error when it was
// not built. It is looked for beside this program, or in `dir` once set (the Python
// module, which runs inside python3, sets the CLI's build directory).
std::string bug_binary(const std::string& bug);
void set_bug_binary_dir(const std::string& dir);

// Runs `path` with `args` and waits: its exit status (128 + N when killed by signal N).
// With `output`, the child's stdout goes to that file.
int run_binary(const std::string& path, const std::vector<std::string>& args,
               const std::string& output = "");

}  // namespace sgxref::cli

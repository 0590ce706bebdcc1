// File: running a host command from a test, so a test can compare our code with an
// answer computed without it (the openssl CLI, Python's integers and hashlib).
#pragma once

#include <cstddef>
#include <string>

namespace sgxref::testlib {

// Runs `cmd` with /bin/sh and returns its standard output. Throws std::runtime_error
// (the test then fails with the command in the message) if it cannot run or exits
// with a nonzero status.
std::string run_host_command(const std::string& cmd);

// A file under $TMPDIR (or /tmp) holding the given bytes, removed when destroyed.
class TempFile {
 public:
  TempFile(const void* data, size_t n);
  explicit TempFile(const std::string& text) : TempFile(text.data(), text.size()) {}
  ~TempFile();
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace sgxref::testlib

#include "cli/bug_binary.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

extern char** environ;

namespace sgxref::cli {

std::optional<std::string> bug_of(const std::vector<std::string>& switches) {
  std::optional<std::string> bug;
  for (const std::string& s : switches) {
    if (s.rfind("bug.", 0) != 0) continue;
    if (bug) throw std::invalid_argument("two bug switches (bug." + *bug + ", " + s + "): no driver has both");
    bug = s.substr(4);
  }
  return bug;
}

namespace {

std::string& binary_dir() {
  static std::string dir;
  return dir;
}

}  // namespace

void set_bug_binary_dir(const std::string& dir) { binary_dir() = dir; }

std::string bug_binary(const std::string& bug) {
  const std::filesystem::path dir = binary_dir().empty()
                                        ? std::filesystem::read_symlink("/proc/self/exe").parent_path()
                                        : std::filesystem::path(binary_dir());
  const std::filesystem::path p = dir / ("sgxref-bug-" + bug);
  if (access(p.c_str(), X_OK) != 0)
    throw std::runtime_error("no driver with bug." + bug + " was built (" + p.string() + ")");
  return p.string();
}

int run_binary(const std::string& path, const std::vector<std::string>& args,
               const std::string& output) {
  std::vector<char*> argv{const_cast<char*>(path.c_str())};
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (!output.empty())
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = 0;
  const int err = posix_spawn(&pid, path.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) throw std::runtime_error("cannot run " + path + ": " + std::strerror(err));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error("waitpid: " + std::string(std::strerror(errno)));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace sgxref::cli

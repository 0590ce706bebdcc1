#include "cli/memory_budget.h"

#include <sys/resource.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>

#include "hw/address.h"
#include "hw/epcm_entry.h"
#include "hw/page_locks.h"

namespace sgxref::cli {

namespace {

namespace fs = std::filesystem;

// What the machine allocates when it is built (hw/epc.h, hw/ram.h): per EPC page its
// 4 KiB of bytes, its EPCM entry and its lock state; per frame of simulated RAM one
// pointer (the frames themselves come lazily).
constexpr uint64_t kPerEpcPage = hw::kPageSize + sizeof(hw::EpcmEntry) + sizeof(hw::PageLockState);
constexpr uint64_t kPerRamFrame = sizeof(std::atomic<uint8_t*>);
// Everything else a run allocates: the RAM frames it touches, the CPUs, the signing
// key, OpenSSL's and the C++ runtime's heaps. The self-check measured about 2 MiB;
// the margin keeps the estimate an upper bound as the runs grow.
constexpr uint64_t kHeadroom = uint64_t(16) << 20;

uint64_t machine_bytes(const hw::Config& cfg) {
  return uint64_t(cfg.epc_pages) * kPerEpcPage + uint64_t(cfg.ram_pages) * kPerRamFrame +
         kHeadroom;
}

std::string bytes_text(uint64_t n) {
  return std::to_string(n) + " bytes (" + std::to_string(n >> 20) + " MiB)";
}

// The tightest limit offered so far, with the words that say where it comes from.
struct Tightest {
  std::optional<uint64_t> bytes;
  std::string source;

  void offer(uint64_t available, std::string why) {
    if (bytes && *bytes <= available) return;
    bytes = available;
    source = std::move(why);
  }
};

// The value in bytes of a `Key:   N kB` line of a /proc file such as /proc/meminfo.
std::optional<uint64_t> proc_kib(const char* path, std::string_view key) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > key.size() && line.starts_with(key) && line[key.size()] == ':') {
      std::istringstream value(line.substr(key.size() + 1));
      uint64_t kib = 0;
      if (value >> kib) return kib * 1024;
      return std::nullopt;
    }
  }
  return std::nullopt;
}

// `resource`'s soft limit less what this process already uses of it (`in_use_key` of
// /proc/self/status): the address space (VmSize) for RLIMIT_AS, the private writable
// mappings (VmData) for RLIMIT_DATA. The EPC's allocation counts against both.
void offer_rlimit(Tightest& t, int resource, const char* name, std::string_view in_use_key) {
  rlimit lim{};
  if (getrlimit(resource, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY) return;
  const uint64_t limit = lim.rlim_cur;
  const uint64_t used = proc_kib("/proc/self/status", in_use_key).value_or(0);
  t.offer(limit > used ? limit - used : 0,
          std::string(name) + " soft limit " + std::to_string(limit) + " less " +
              std::to_string(used) + " already in use");
}

// A cgroup v2 file holding one number; nothing for "max" (no limit) or no such file.
std::optional<uint64_t> cgroup_number(const fs::path& file) {
  std::ifstream in(file);
  uint64_t n = 0;
  if (in >> n) return n;
  return std::nullopt;
}

// Where the cgroup v2 hierarchy is mounted (/sys/fs/cgroup on a unified system,
// elsewhere on a hybrid one), from /proc/self/mounts.
std::optional<fs::path> cgroup2_mount() {
  std::ifstream in("/proc/self/mounts");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string device, mount_point, type;
    if (fields >> device >> mount_point >> type && type == "cgroup2") return fs::path(mount_point);
  }
  return std::nullopt;
}

// A limit set on this process's cgroup or on any cgroup above it binds this process, so
// every level's memory.max less memory.current is offered.
void offer_cgroup(Tightest& t) {
  const std::optional<fs::path> mount = cgroup2_mount();
  if (!mount) return;
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  std::string own;  // this process's cgroup v2 path: the "0::/path" line
  while (std::getline(in, line)) {
    if (line.starts_with("0::")) own = line.substr(3);
  }
  if (own.empty()) return;
  const auto offer_level = [&t](const fs::path& dir) {
    const std::optional<uint64_t> max = cgroup_number(dir / "memory.max");
    if (!max) return;
    const uint64_t current = cgroup_number(dir / "memory.current").value_or(0);
    t.offer(*max > current ? *max - current : 0,
            "cgroup " + dir.string() + " memory.max " + std::to_string(*max) + " less " +
                std::to_string(current) + " in use");
  };
  fs::path dir = *mount;
  offer_level(dir);
  for (const fs::path& part : fs::path(own).relative_path()) {
    if (part.empty()) continue;
    dir /= part;
    offer_level(dir);
  }
}

}  // namespace

std::optional<std::string> machine_does_not_fit(const hw::Config& cfg) {
  Tightest available;
  offer_rlimit(available, RLIMIT_AS, "RLIMIT_AS", "VmSize");
  offer_rlimit(available, RLIMIT_DATA, "RLIMIT_DATA", "VmData");
  offer_cgroup(available);
  if (const std::optional<uint64_t> free = proc_kib("/proc/meminfo", "MemAvailable")) {
    available.offer(*free, "MemAvailable of /proc/meminfo");
  }
  const uint64_t need = machine_bytes(cfg);
  if (!available.bytes || need <= *available.bytes) return std::nullopt;
  return "a machine of " + std::to_string(cfg.epc_pages) + " EPC pages needs about " +
         bytes_text(need) + " but only " + bytes_text(*available.bytes) +
         " are available (" + available.source + "); give a smaller --epc-pages";
}

}  // namespace sgxref::cli

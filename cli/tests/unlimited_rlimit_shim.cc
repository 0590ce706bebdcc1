// A test fixture, never linked into sgxref: an LD_PRELOAD module whose getrlimit (and
// getrlimit64) reports RLIMIT_AS and RLIMIT_DATA as unlimited while the kernel still
// enforces them. Under `prlimit --as=...` it blinds sgxref's memory budget
// (cli/memory_budget.cc) to the address-space limit, so an EPC too large for it reaches
// the allocation and std::bad_alloc, which main() must catch and report with status 1.
#include <sys/resource.h>

namespace {

int report(int resource, rlimit* lim) {
  if (prlimit(0, static_cast<__rlimit_resource>(resource), nullptr, lim) != 0) return -1;
  if (resource == RLIMIT_AS || resource == RLIMIT_DATA) {
    lim->rlim_cur = RLIM_INFINITY;
    lim->rlim_max = RLIM_INFINITY;
  }
  return 0;
}

}  // namespace

extern "C" int getrlimit(__rlimit_resource_t resource, rlimit* lim) noexcept {
  return report(resource, lim);
}

extern "C" int getrlimit64(__rlimit_resource_t resource, rlimit64* lim) noexcept {
  static_assert(sizeof(rlimit64) == sizeof(rlimit), "an LP64 target");
  rlimit l{};
  if (report(resource, &l) != 0) return -1;
  lim->rlim_cur = l.rlim_cur;
  lim->rlim_max = l.rlim_max;
  return 0;
}

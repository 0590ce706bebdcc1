#include "scenarios/ksgxd_on_retry.h"

#include <stdexcept>
#include <string>

#include "kernel/task.h"
#include "sched/thread.h"

namespace sgxref::scenarios {

namespace {

// More retries than any one access needs (each step brings the group below its limit):
// past them the access waits for something no step gives, and the call would never end.
constexpr uint64_t kMaxSpins = 1000;  // beyond the patience

}  // namespace

void KsgxdOnRetry::run(kernel::Process& process, const std::function<void()>& body) {
  spins_ = 0;
  error_ = nullptr;
  sched::Thread t(this, "enclave thread", [&] {
    kernel::Task task(process, "enclave thread");
    kernel::TaskScope scope(task);
    body();
  });
  t.join();
  if (error_) std::rethrow_exception(error_);
}

void KsgxdOnRetry::yielded(const char* point) {
  if (++spins_ > patience_ + kMaxSpins) {
    throw std::runtime_error(std::string("spun at ") + point + " " + std::to_string(kMaxSpins) +
                             " times with ksgxd stepping in between");
  }
  if (spins_ > patience_) steps_ += uint64_t(step());
}

int KsgxdOnRetry::step() {
  kernel::Task ksgxd(kernel_, "ksgxd");
  kernel::TaskScope scope(ksgxd);
  return sgx_.ksgxd_step();
}

// Only the enclave thread runs on this scheduler, and the caller waits for it outside:
// whatever it waits for would never come, so this is a bug in the world, not a wait.
void KsgxdOnRetry::blocked(const void*, const char* point) {
  throw std::runtime_error(std::string("the enclave thread blocked at ") + point);
}

}  // namespace sgxref::scenarios

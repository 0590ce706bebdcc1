#include "testlib/pause_at.h"

#include <thread>

namespace sgxref::testlib {

void PauseAt::at(const char* point) {
  std::unique_lock<std::mutex> l(mu_);
  if (parked_ || done_ || point_ != point) return;
  parked_ = true;
  cv_.notify_all();
  cv_.wait(l, [this] { return released_; });
}

// Threads not parked run freely, so a contended lock just retries.
void PauseAt::blocked(const void*) { std::this_thread::yield(); }

void PauseAt::released(const void*) {}

void PauseAt::wait_until_parked() {
  std::unique_lock<std::mutex> l(mu_);
  cv_.wait(l, [this] { return parked_; });
}

void PauseAt::done() {
  std::lock_guard<std::mutex> l(mu_);
  done_ = true;
  cv_.notify_all();
}

void PauseAt::wait_until_parked_or_done() {
  std::unique_lock<std::mutex> l(mu_);
  cv_.wait(l, [this] { return parked_ || done_; });
}

void PauseAt::release() {
  std::lock_guard<std::mutex> l(mu_);
  released_ = true;
  cv_.notify_all();
}

}  // namespace sgxref::testlib

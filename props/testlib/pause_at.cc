#include "testlib/pause_at.h"

#include <thread>

namespace sgxref::testlib {

int PauseAt::add_thread(const char*) {
  std::lock_guard<std::mutex> l(mu_);
  return threads_++;
}

void PauseAt::started() {}

// As a plain std::thread would: an exception out of a parked thread ends the process.
void PauseAt::ended(std::exception_ptr error) {
  if (error) std::rethrow_exception(error);
}

void PauseAt::at(const char* point) {
  std::unique_lock<std::mutex> l(mu_);
  if (parked_ || done_ || point_ != point) return;
  parked_ = true;
  cv_.notify_all();
  cv_.wait(l, [this] { return released_; });
}

// Its threads run freely, so a contended lock just retries.
void PauseAt::blocked(const void*, const char*) { std::this_thread::yield(); }

void PauseAt::released(const void*) noexcept {}

void PauseAt::unlocked(const void*, const char* point) noexcept { at(point); }

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

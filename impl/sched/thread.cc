#include "sched/thread.h"

#include <utility>

namespace sgxref::sched {

Thread::Thread(const char* name, std::function<void()> body)
    : Thread(current(), name, std::move(body)) {}

Thread::Thread(Scheduler* s, const char* name, std::function<void()> body) : s_(s) {
  if (s_ == nullptr) {
    t_ = std::thread(std::move(body));
    return;
  }
  id_ = s_->add_thread(name);
  t_ = std::thread([this, body = std::move(body)] { run(body); });
}

Thread::~Thread() {
  try {
    join();
  } catch (const Aborted&) {
    // A destructor must not throw. The run has ended, so the thread unwinds and ends
    // too; this one meets Aborted again at its next point.
    t_.join();
  }
}

void Thread::run(const std::function<void()>& body) {
  detail::t_scheduler = s_;
  detail::t_id = id_;
  std::exception_ptr error;
  try {
    s_->started();
    body();
  } catch (const Aborted&) {
    // The run ended elsewhere; the scheduler already knows why.
  } catch (...) {
    error = std::current_exception();
  }
  done_.store(true, std::memory_order_release);
  s_->released(&done_);
  s_->ended(error);
}

void Thread::join() {
  if (!t_.joinable()) return;
  if (s_ != nullptr && current() == s_) {
    while (!done_.load(std::memory_order_acquire)) s_->blocked(&done_, "join");
  }
  t_.join();
}

}  // namespace sgxref::sched

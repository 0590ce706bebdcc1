#include "kernel/kthread.h"

#include "kernel/kernel.h"

namespace sgxref::kernel {

namespace {
constinit thread_local const std::atomic<bool>* t_should_stop = nullptr;
}

Kthread::Kthread(Kernel& k, const char* name, WaitQueue& sleeps_on, std::function<void()> fn)
    : task_(k, name), wq_(sleeps_on) {
  thread_ = std::make_unique<sched::Thread>(name, [this, fn = std::move(fn)] {
    TaskScope scope(task_);
    t_should_stop = &should_stop_;
    fn();
    t_should_stop = nullptr;
  });
}

Kthread::~Kthread() { stop(); }

void Kthread::stop() {
  if (!thread_) return;
  should_stop_.store(true, std::memory_order_release);
  wq_.wake_up();
  thread_->join();
  thread_.reset();
}

bool kthread_should_stop() {
  if (t_should_stop == nullptr) return false;
  return t_should_stop->load(std::memory_order_acquire) ||
         current().kernel().faults().should_fail(FailPoint::kKsgxdStopped);
}

}  // namespace sgxref::kernel

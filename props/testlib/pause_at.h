// File: a test scheduler that parks the first of its threads reaching a named scheduling
// point until the test releases it, so a test can hold one leaf in the middle of its
// work (its architectural locks taken) while another leaf runs on another thread; and
// overlap(), which runs one such test from start to end. Its threads otherwise run free:
// it observes, it does not order.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <utility>

#include "sched/scheduler.h"
#include "sched/thread.h"

namespace sgxref::testlib {

class PauseAt : public sched::Scheduler {
 public:
  explicit PauseAt(std::string point) : point_(std::move(point)) {}

  int add_thread(const char* name) override;
  void started() override;
  void ended(std::exception_ptr error) override;
  void at(const char* point) override;
  void blocked(const void* resource, const char* point) override;
  void released(const void* resource) noexcept override;
  void unlocked(const void* resource, const char* point) noexcept override;

  // Blocks the test thread until some thread has parked at the point.
  void wait_until_parked();
  // Lets the parked thread continue; later arrivals at the point pass straight through.
  void release();
  // The thread meant to park returned without reaching the point: arrivals pass through
  // and wait_until_parked_or_done() returns.
  void done();
  void wait_until_parked_or_done();

 private:
  std::string point_;
  std::mutex mu_;
  std::condition_variable cv_;
  int threads_ = 0;
  bool parked_ = false;
  bool released_ = false;
  bool done_ = false;
};

// Runs `parked` on a thread of its own until it reaches scheduling point `point`, then
// `while_parked` on this thread, then lets `parked` finish; returns what `parked`
// returned. `parked` must reach the point.
template <typename Parked, typename WhileParked>
auto overlap(std::string point, const Parked& parked, const WhileParked& while_parked) {
  PauseAt pause(std::move(point));
  decltype(parked()) result{};
  sched::Thread t(&pause, "parked", [&] { result = parked(); });
  pause.wait_until_parked();
  while_parked();
  pause.release();
  t.join();
  return result;
}

// As overlap(), but `parked` may return before it reaches the point (a leaf refused by a
// check that comes before its locks): `while_parked` then runs after it.
template <typename Parked, typename WhileParked>
auto overlap_if_parked(std::string point, const Parked& parked, const WhileParked& while_parked) {
  PauseAt pause(std::move(point));
  decltype(parked()) result{};
  sched::Thread t(&pause, "parked", [&] {
    result = parked();
    pause.done();
  });
  pause.wait_until_parked_or_done();
  while_parked();
  pause.release();
  t.join();
  return result;
}

}  // namespace sgxref::testlib

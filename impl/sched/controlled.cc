#include "sched/controlled.h"

#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

#include "sched/thread.h"

namespace sgxref::sched {

namespace {
enum class Status { kReady, kRunning, kBlocked, kEnded };
}  // namespace

struct Controlled::Slot {
  explicit Slot(const char* n) : name(n) {}

  std::string name;
  Status status = Status::kReady;
  const char* point = "start";  // where it stands; while blocked, what it waits for
  const void* blocked_on = nullptr;
  std::condition_variable cv;  // its turn came, or the run ended
};

namespace {

std::string describe(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "an exception that is not a std::exception";
  }
}

}  // namespace

Controlled::Controlled(std::unique_ptr<Strategy> strategy) : strategy_(std::move(strategy)) {}

Controlled::~Controlled() = default;

Outcome Controlled::run(std::function<void()> main) {
  if (current() != nullptr) throw std::logic_error("sched::Controlled::run on a scheduled thread");
  {
    Lock l(mu_);
    if (ran_) throw std::logic_error("sched::Controlled runs once");
    ran_ = true;
  }
  Thread thread0(this, "main", std::move(main));
  {
    Lock l(mu_);
    if (const std::optional<int> first = decide(-1, false)) give(*first);
    all_ended_.wait(l, [&] { return ended_ == slots_.size(); });
  }
  thread0.join();
  return outcome_;
}

const Outcome& Controlled::outcome() const {
  if (!ran_) throw std::logic_error("sched::Controlled::outcome before run");
  return outcome_;
}

int Controlled::add_thread(const char* name) {
  Lock l(mu_);
  // Spawns happen under the baton (or from run() for thread 0), so ids follow program
  // order; a thread spawned from outside would race the run.
  const bool thread0 = ran_ && slots_.empty();
  if (!thread0 && detail::t_scheduler != this) {
    throw std::logic_error("sched::Controlled: threads are spawned by run() or by its threads");
  }
  slots_.push_back(std::make_unique<Slot>(name));
  outcome_.threads.emplace_back(name);
  return int(slots_.size()) - 1;
}

void Controlled::started() {
  Lock l(mu_);
  Slot& me = self();
  me.cv.wait(l, [&] { return me.status == Status::kRunning || over_; });
  if (over_) leave(l);
}

void Controlled::ended(std::exception_ptr error) {
  Lock l(mu_);
  self().status = Status::kEnded;
  ++ended_;
  if (!over_) {
    if (error) {
      end_run(Outcome::End::kThrew, "thread " + std::to_string(detail::t_id) + " (" + self().name +
                                        ") threw: " + describe(error));
    } else if (const std::optional<int> next = decide(detail::t_id, false)) {
      give(*next);
    }
  }
  if (ended_ == slots_.size()) all_ended_.notify_all();
}

void Controlled::at(const char* point) {
  Lock l(mu_);
  if (!over_) {
    self().point = point;
    if (const std::optional<int> next = decide(detail::t_id, true)) pass(l, *next);
  }
  if (over_) leave(l);
}

void Controlled::yielded(const char* point) {
  Lock l(mu_);
  if (!over_) {
    self().point = point;
    if (const std::optional<int> next = decide(detail::t_id, true, true)) pass(l, *next);
  }
  if (over_) leave(l);
}

void Controlled::blocked(const void* resource, const char* point) {
  Lock l(mu_);
  if (!over_) {
    Slot& me = self();
    me.status = Status::kBlocked;
    me.blocked_on = resource;
    me.point = point;
    if (const std::optional<int> next = decide(detail::t_id, false)) pass(l, *next);
  }
  if (over_) leave(l);
}

void Controlled::released(const void* resource) noexcept {
  Lock l(mu_);
  wake(resource);
}

void Controlled::unlocked(const void* resource, const char* point) noexcept {
  Lock l(mu_);
  wake(resource);
  if (over_) return;
  self().point = point;
  if (const std::optional<int> next = decide(detail::t_id, true)) pass(l, *next);
}

Controlled::Slot& Controlled::self() { return *slots_[size_t(detail::t_id)]; }

void Controlled::wake(const void* resource) {
  for (const std::unique_ptr<Slot>& s : slots_) {
    if (s->status == Status::kBlocked && s->blocked_on == resource) {
      s->status = Status::kReady;
      s->blocked_on = nullptr;
    }
  }
}

// Asks the strategy who goes on and records the step; nullopt when nobody does, the run
// having completed or ended (over_).
std::optional<int> Controlled::decide(int current, bool can_continue, bool yielded) {
  Decision d{current, can_continue, yielded, {}};
  for (size_t id = 0; id < slots_.size(); ++id) {
    const Slot& s = *slots_[id];
    const bool continues = int(id) == current && can_continue;
    if (continues || s.status == Status::kReady) d.runnable.push_back({int(id), s.point});
  }
  if (d.runnable.empty()) {
    if (ended_ == slots_.size()) {
      std::string left = strategy_->unfinished();
      if (!left.empty()) end_run(Outcome::End::kDivergence, std::move(left));
      return std::nullopt;
    }
    std::string why = "no thread can run:";
    for (size_t id = 0; id < slots_.size(); ++id) {
      const Slot& s = *slots_[id];
      if (s.status != Status::kBlocked) continue;
      why += " " + std::to_string(id) + " (" + s.name + ") waits for " + s.point + ";";
    }
    why.pop_back();
    end_run(Outcome::End::kDeadlock, std::move(why));
    return std::nullopt;
  }
  Pick p = strategy_->pick(d);
  const Candidate* chosen = nullptr;
  for (const Candidate& c : d.runnable) {
    if (c.thread == p.thread) chosen = &c;
  }
  if (p.divergence.empty() && chosen == nullptr) {
    p.divergence = "the strategy picked thread " + std::to_string(p.thread) + ", which cannot run";
  }
  if (!p.divergence.empty()) {
    end_run(Outcome::End::kDivergence, std::move(p.divergence));
    return std::nullopt;
  }
  outcome_.schedule.push_back({chosen->thread, chosen->point});
  return chosen->thread;
}

void Controlled::give(int next) {
  Slot& s = *slots_[size_t(next)];
  s.status = Status::kRunning;
  s.cv.notify_one();
}

// Hands the baton from the calling thread to `next` and waits for it to come back.
void Controlled::pass(Lock& l, int next) {
  Slot& me = self();
  if (next == detail::t_id) return;
  if (me.status == Status::kRunning) me.status = Status::kReady;
  give(next);
  me.cv.wait(l, [&] { return me.status == Status::kRunning || over_; });
}

void Controlled::end_run(Outcome::End end, std::string why) {
  over_ = true;
  outcome_.end = end;
  outcome_.why = std::move(why);
  for (const std::unique_ptr<Slot>& s : slots_) s->cv.notify_all();
}

// The run is over: the thread leaves by throwing, except while it is already unwinding
// (a lock guard's destructor reached a point), when it returns and its caller retries.
void Controlled::leave(Lock& l) {
  l.unlock();
  if (std::uncaught_exceptions() == 0) throw Aborted{};
  std::this_thread::yield();
}

}  // namespace sgxref::sched

// The run queue: taking a CPU loads the task's page table there and records the CPU in
// its mm's cpumask, clearing the previous mm's bit (x86 switch_mm); a kernel thread has
// no mm and leaves the previous one loaded with its bit set (lazy TLB); with every CPU
// taken, take() waits for one to be given back. And ipi_mask skips the caller's CPU.
#include <gtest/gtest.h>

#include <atomic>
#include <set>

#include "ipi_counter.h"
#include "kernel_fixture.h"
#include "sched/controlled.h"
#include "sched/strategy.h"
#include "sched/thread.h"

namespace sgxref::kernel::test {
namespace {

constexpr uint64_t P = kPageSize;
constexpr LAddr kAt = 0x1000'0000;

class RunQueueTest : public KernelTest {
 protected:
  void SetUp() override {
    KernelTest::SetUp();
    other_ = std::make_unique<Process>(k_);
    // The same address in both processes, holding 1 in p() and 2 in other().
    ASSERT_EQ(anon(P, kRw, kAt), long(kAt));
    poke(kAt, 1);
    Task t(*other_, "other");
    TaskScope s(t);
    ASSERT_EQ(other_->mmap(kAt, P, kRw, kAnon | MAP_FIXED, -1, 0), long(kAt));
    poke(kAt, 2);
  }
  void TearDown() override {
    other_.reset();
    KernelTest::TearDown();
  }

  Process& other() { return *other_; }
  RunQueue& rq() { return k_.run_queue(); }

  // What user code on `c` reads at kAt: which page table the CPU walks.
  static uint64_t seen_by(hw::Cpu& c) {
    uint64_t v = 0;
    const hw::Result r = c.load(kAt, &v, sizeof v);
    EXPECT_FALSE(r.faulted()) << r;
    return v;
  }

  std::unique_ptr<Process> other_;
};

TEST_F(RunQueueTest, TakingACpuLoadsTheTasksPageTableAndSetsItsBit) {
  Task t(p(), "t");
  hw::Cpu& c = rq().take(t);
  EXPECT_EQ(t.cpu(), &c);
  EXPECT_EQ(seen_by(c), 1u);
  EXPECT_NE(mm().cpumask() & (1ull << c.id()), 0u);
  rq().give_back(t);
  EXPECT_EQ(t.cpu(), nullptr);
}

TEST_F(RunQueueTest, AnotherMmTakingTheCpuClearsTheFirstMmsBit) {
  Task t(p(), "t");
  Task u(other(), "u");
  hw::Cpu& c = rq().take(t);
  const uint32_t id = c.id();
  rq().give_back(t);
  EXPECT_NE(mm().cpumask() & (1ull << id), 0u) << "the mm stays loaded after the task stops";
  hw::Cpu& d = rq().take(u);
  ASSERT_EQ(d.id(), id) << "the first free CPU again";
  EXPECT_EQ(seen_by(d), 2u);
  EXPECT_EQ(mm().cpumask() & (1ull << id), 0u) << "switch_mm cleared it";
  EXPECT_NE(other().mm().cpumask() & (1ull << id), 0u);
  rq().give_back(u);
}

TEST_F(RunQueueTest, TheSameMmTakingTheCpuAgainKeepsItsBit) {
  Task t(p(), "t");
  Task t2(p(), "t2");
  const uint32_t id = rq().take(t).id();
  rq().give_back(t);
  hw::Cpu& c = rq().take(t2);
  EXPECT_EQ(c.id(), id);
  EXPECT_NE(mm().cpumask() & (1ull << id), 0u);
  EXPECT_EQ(seen_by(c), 1u);
  rq().give_back(t2);
}

TEST_F(RunQueueTest, AKernelThreadLeavesThePreviousMmLoadedAndItsBitSet) {
  Task t(p(), "t");
  Task kworker(k_, "kworker");
  const uint32_t id = rq().take(t).id();
  rq().give_back(t);
  hw::Cpu& c = rq().take(kworker);
  ASSERT_EQ(c.id(), id);
  EXPECT_NE(mm().cpumask() & (1ull << id), 0u) << "lazy TLB";
  EXPECT_EQ(seen_by(c), 1u) << "the previous page table is still the CPU's";
  rq().give_back(kworker);

  // The next user task switches from the lazily kept mm.
  Task u(other(), "u");
  hw::Cpu& d = rq().take(u);
  ASSERT_EQ(d.id(), id);
  EXPECT_EQ(mm().cpumask() & (1ull << id), 0u);
  EXPECT_EQ(seen_by(d), 2u);
  rq().give_back(u);
}

TEST_F(RunQueueTest, TasksRunningAtOnceGetDistinctCpus) {
  const uint32_t n = m_.cpu_count();
  std::vector<std::unique_ptr<Task>> tasks;
  std::set<uint32_t> ids;
  for (uint32_t i = 0; i < n; ++i) {
    tasks.push_back(std::make_unique<Task>(p(), "t"));
    ids.insert(rq().take(*tasks.back()).id());
  }
  EXPECT_EQ(ids.size(), n);
  EXPECT_EQ(mm().cpumask(), (1ull << n) - 1);
  for (auto& t : tasks) rq().give_back(*t);
}

TEST_F(RunQueueTest, CpuHoldTakesACpuOnlyWhenTheTaskHoldsNone) {
  ASSERT_EQ(task_->cpu(), nullptr);
  {
    CpuHold outer;
    hw::Cpu* c = task_->cpu();
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(&this_cpu(), c);
    {
      CpuHold inner;
      EXPECT_EQ(task_->cpu(), c);
    }
    EXPECT_EQ(task_->cpu(), c) << "the inner hold took nothing, so gave nothing back";
  }
  EXPECT_EQ(task_->cpu(), nullptr);
  EXPECT_THROW(this_cpu(), std::logic_error);
}

TEST_F(RunQueueTest, KernelCodeOutsideATaskIsAHarnessError) {
  scope_.reset();
  EXPECT_THROW(current(), std::logic_error);
  scope_.emplace(*task_);
}

// Every CPU taken: a fifth task waits in take() and gets the CPU given back, never
// before, in every schedule the strategies find.
class Oversubscribed {
 public:
  Oversubscribed(Process& p, RunQueue& rq, uint32_t cpus) : p_(p), rq_(rq) {
    for (uint32_t i = 0; i < cpus; ++i) tasks_.push_back(std::make_unique<Task>(p, "t"));
  }
  void run() {
    for (auto& t : tasks_) rq_.take(*t);
    hw::Cpu* freed = tasks_[2]->cpu();
    sched::Thread waiter("waiter", [this] {
      Task w(p_, "waiter");
      hw::Cpu& c = rq_.take(w);
      got = int(c.id());
      given_back_first = given_back.load();
      rq_.give_back(w);
    });
    sched::point("test.before_give_back");
    took_early = got >= 0;
    given_back.store(true);
    expected = int(freed->id());
    rq_.give_back(*tasks_[2]);
    waiter.join();
    for (size_t i = 0; i < tasks_.size(); ++i) {
      if (i != 2) rq_.give_back(*tasks_[i]);
    }
  }

  std::atomic<bool> given_back{false};
  bool given_back_first = false;
  bool took_early = false;
  int got = -1;
  int expected = -2;

 private:
  Process& p_;
  RunQueue& rq_;
  std::vector<std::unique_ptr<Task>> tasks_;
};

TEST_F(RunQueueTest, WithEveryCpuBusyTakeWaitsUntilOneIsGivenBack) {
  for (uint64_t seed = 1; seed <= 60; ++seed) {
    Oversubscribed o(p(), rq(), m_.cpu_count());
    sched::Controlled s(seed % 2 == 0 ? sched::random(seed) : sched::pct(seed, 3, 60));
    const sched::Outcome out = s.run([&] { o.run(); });
    ASSERT_TRUE(out.completed()) << "seed " << seed << ": " << out.report();
    EXPECT_FALSE(o.took_early) << "seed " << seed;
    EXPECT_TRUE(o.given_back_first) << "seed " << seed;
    EXPECT_EQ(o.got, o.expected) << "seed " << seed;
  }
}

TEST_F(RunQueueTest, IpiMaskSkipsTheCallersOwnCpu) {
  IpiCounter watch;
  watch.run([&] {
    Task t(p(), "t");
    TaskScope s(t);
    CpuHold cpu;
    const uint32_t self = this_cpu().id();
    const uint64_t all = (1ull << m_.cpu_count()) - 1;
    k_.ipi_mask(all);
    EXPECT_EQ(watch.ipis(), int(m_.cpu_count()) - 1);
    watch.reset();
    k_.ipi_mask(1ull << self);
    EXPECT_EQ(watch.ipis(), 0);
    k_.ipi_mask(all & ~(1ull << self));
    EXPECT_EQ(watch.ipis(), int(m_.cpu_count()) - 1);
    watch.reset();
    k_.ipi_mask(~uint64_t(0));
    EXPECT_EQ(watch.ipis(), int(m_.cpu_count()) - 1) << "bits past the last CPU are ignored";
  });
  watch.reset();
  watch.run([&] {
    // A task holding no CPU (and code outside any task) skips nothing.
    Task t(p(), "t");
    TaskScope s(t);
    k_.ipi_mask(0b0101);
    EXPECT_EQ(watch.ipis(), 2);
  });
}

}  // namespace
}  // namespace sgxref::kernel::test

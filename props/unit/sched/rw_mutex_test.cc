// sched::RwMutex: readers share it and a writer excludes readers and writers, whether
// its threads run free or under a controlled run; under a controlled run a writer that
// finds readers inside blocks until they leave.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "programs.h"
#include "sched/exhaustive.h"
#include "sched/rw_mutex.h"
#include "sched/strategy.h"

namespace sgxref::sched {
namespace {

// How many threads are inside the lock at once, at most, by kind. Each one passes a
// point while inside, so a strategy can bring another in then.
class Occupancy {
 public:
  void read() {
    ReaderLock l(mu_);
    enter(readers_);
    point("inside.read");
    --readers_;
  }
  void write() {
    WriterLock l(mu_);
    enter(writers_);
    point("inside.write");
    --writers_;
  }
  int most_readers() const { return most_readers_; }
  bool writer_was_alone() const { return writer_alone_; }

 private:
  void enter(std::atomic<int>& kind) {
    ++kind;
    most_readers_ = std::max(most_readers_.load(), readers_.load());
    if (writers_ > 1 || (writers_ > 0 && readers_ > 0)) writer_alone_ = false;
  }

  RwMutex mu_{"mmap_lock"};
  std::atomic<int> readers_{0};
  std::atomic<int> writers_{0};
  std::atomic<int> most_readers_{0};
  std::atomic<bool> writer_alone_{true};
};

TEST(SchedRwMutex, FreeReadersShareIt) {
  RwMutex mu("mmap_lock");
  std::atomic<int> inside{0};
  // Each reader waits inside until both are: exclusive readers would never get there.
  auto reader = [&] {
    ReaderLock l(mu);
    ++inside;
    while (inside.load() < 2) std::this_thread::yield();
  };
  test::Watchdog dog("free readers");
  std::thread a(reader);
  std::thread b(reader);
  a.join();
  b.join();
  EXPECT_EQ(inside.load(), 2);
}

TEST(SchedRwMutex, FreeWriterExcludesReadersAndWriters) {
  RwMutex mu("mmap_lock");
  {
    WriterLock l(mu);
    std::thread other([&] {
      const bool read = mu.try_lock_shared();
      if (read) mu.unlock_shared();
      const bool wrote = mu.try_lock();
      if (wrote) mu.unlock();
      EXPECT_FALSE(read);
      EXPECT_FALSE(wrote);
    });
    other.join();
  }
  {
    ReaderLock l(mu);
    std::thread other([&] {
      const bool wrote = mu.try_lock();
      if (wrote) mu.unlock();
      EXPECT_FALSE(wrote);
    });
    other.join();
  }
}

TEST(SchedRwMutex, ControlledReadersShareItInSomeSchedule) {
  test::Watchdog dog("controlled readers");
  int most = 0;
  const Exploration e = exhaustive(2, 1000, [&](Controlled& s) {
    Occupancy o;
    const Outcome out = s.run([&] {
      Thread a("reader.a", [&] { o.read(); });
      Thread b("reader.b", [&] { o.read(); });
    });
    most = std::max(most, o.most_readers());
    return out.completed();
  });
  EXPECT_FALSE(e.failure) << e.failure->report();
  EXPECT_EQ(most, 2);
}

TEST(SchedRwMutex, ControlledWriterIsAloneInEverySchedule) {
  test::Watchdog dog("controlled writer");
  const Exploration e = exhaustive(2, 10000, [&](Controlled& s) {
    Occupancy o;
    const Outcome out = s.run([&] {
      Thread r1("reader.a", [&] { o.read(); });
      Thread w("writer", [&] { o.write(); });
      Thread r2("reader.b", [&] { o.read(); });
    });
    return out.completed() && o.writer_was_alone();
  });
  EXPECT_FALSE(e.failure) << e.failure->report();
  EXPECT_FALSE(e.capped);
  std::printf("reader/writer/reader: %d schedules with at most 2 preemptions\n", e.schedules);
}

TEST(SchedRwMutex, ControlledWriterBlocksUntilTheReaderLeaves) {
  test::Watchdog dog("writer blocks");
  // The reader is preempted inside; the writer tries, blocks, and the reader goes on.
  Occupancy o;
  Controlled s(replay({{0, "start"},
                       {1, "start"},
                       {1, "mmap_lock"},
                       {2, "start"},
                       {2, "mmap_lock"},
                       {1, "inside.read"},
                       {1, "mmap_lock"}}));
  const Outcome out = s.run([&] {
    Thread r("reader", [&] { o.read(); });
    Thread w("writer", [&] { o.write(); });
  });
  ASSERT_TRUE(out.completed()) << out.report();
  EXPECT_TRUE(o.writer_was_alone());
  // After its first try the writer cannot go on, so the reader does; once the reader
  // has released the lock, the writer retries and takes it.
  EXPECT_EQ(to_string(out.schedule),
            "0@start 1@start 1@mmap_lock 2@start 2@mmap_lock 1@inside.read 1@mmap_lock "
            "2@mmap_lock 2@inside.write 2@mmap_lock 0@join");
}

}  // namespace
}  // namespace sgxref::sched

#include "sched/scheduler.h"

namespace sgxref::sched {

namespace detail {
std::atomic<Scheduler*> g_scheduler{nullptr};
}

void install(Scheduler* s) { detail::g_scheduler.store(s, std::memory_order_release); }

}  // namespace sgxref::sched

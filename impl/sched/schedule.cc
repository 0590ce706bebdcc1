#include "sched/schedule.h"

namespace sgxref::sched {
namespace {

const char* name(Outcome::End end) {
  switch (end) {
    case Outcome::End::kCompleted:
      return "completed";
    case Outcome::End::kDeadlock:
      return "deadlock";
    case Outcome::End::kDivergence:
      return "divergence";
    case Outcome::End::kThrew:
      return "a thread threw";
    case Outcome::End::kCheckFailed:
      return "check failed";
  }
  return "?";
}

}  // namespace

std::string to_string(const Schedule& schedule) {
  std::string out;
  for (const Step& s : schedule) {
    if (!out.empty()) out += ' ';
    out += std::to_string(s.thread) + '@' + s.point;
  }
  return out;
}

std::string Outcome::report() const {
  std::string out = name(end);
  if (!why.empty()) out += ": " + why;
  out += "\nthreads:";
  for (size_t i = 0; i < threads.size(); ++i) out += ' ' + std::to_string(i) + '=' + threads[i];
  out += "\nschedule: " + to_string(schedule);
  return out;
}

}  // namespace sgxref::sched

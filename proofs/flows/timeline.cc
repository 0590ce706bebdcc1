#include "flows/timeline.h"

#include <algorithm>
#include <iomanip>
#include <sstream>
#include <string>

namespace sgxref::proofs::flows {

namespace {

std::string rights(bool r, bool w, bool x) {
  return std::string(r ? "R" : "-") + (w ? "W" : "-") + (x ? "X" : "-");
}

const char* errno_name(int64_t rv) {
  switch (rv) {
    case ret::kOk:
      return "0";
    case ret::kEinval:
      return "-EINVAL";
    case ret::kEfault:
      return "-EFAULT";
    case ret::kEagain:
      return "-EAGAIN";
  }
  return "?";
}

std::string state_after(const System& sys, const Layout& l, const World<C>& w) {
  std::ostringstream os;
  for (size_t i = 0; i < l.data_pages; ++i) {
    const int64_t page = l.data_page(i);
    const PageRecord<C>& rec = w.drv.pages[size_t(page)];
    os << (i ? ", " : "") << "p" << page << " ";
    if (rec.resident) {
      const arch::Epcm<C>& e = w.hw.epcm[size_t(rec.slot)];
      os << rights(e.r, e.w, e.x) << (e.type == arch::pt::kTrim ? " TRIM" : "") << (e.modified ? " M" : "")
         << (e.pr ? " PR" : "")
         << (e.stamped ? " stamp-age " + std::to_string(e.stamp_age) : "")
         << (e.blocked ? " blocked" : "");
    } else {
      const arch::Blob<C>& b = w.hw.blob[size_t(page)];
      if (b.valid) {
        os << "evicted (" << rights(b.r, b.w, b.x) << (b.pr ? " PR" : "") << ")";
      } else {
        os << "lost (no EPC page, no blob)";
      }
    }
  }
  if (!w.drv.secs_resident) os << "; SECS evicted";
  for (size_t e = 0; e < l.enclave_threads; ++e) {
    const arch::Cpu<C>& c = w.hw.cpu[size_t(Layout::enclave_cpu(e))];
    os << "; cpu" << Layout::enclave_cpu(e) << " "
       << (c.mode ? "in, entry-age " + std::to_string(c.entry_age) : std::string("out"));
    for (size_t i = 0; i < l.data_pages; ++i) {
      const arch::TlbEntry<C>& t = c.tlb[size_t(l.data_page(i))];
      if (t.valid) os << ", tlb p" << l.data_page(i) << " " << rights(t.r, t.w, t.x);
    }
  }
  if (ended(C{}, sys, w, 0))
    os << "; " << sys.threads[0].name << " returned " << errno_name(w.th[0].rv) << ", count "
       << w.th[0].count;
  return os.str();
}

}  // namespace

void print_timeline(std::ostream& os, const System& sys, const Layout& l, const Counterexample& cex) {
  size_t width = 8;
  for (const Program& p : sys.threads) width = std::max(width, p.name.size());
  for (const FlowStep& s : cex.steps) width = std::max(width, s.point.size());
  width += 2;
  os << "  step  ";
  for (const Program& p : sys.threads) os << std::left << std::setw(int(width)) << p.name;
  os << "state after the step\n";
  for (size_t k = 0; k < cex.steps.size(); ++k) {
    const FlowStep& s = cex.steps[k];
    os << "  " << std::right << std::setw(4) << k + 1 << "  ";
    for (size_t t = 0; t < sys.threads.size(); ++t)
      os << std::left << std::setw(int(width))
         << (t != s.thread ? "" : s.point.empty() ? "(runs on)" : s.point);
    os << state_after(sys, l, cex.worlds[k + 1]) << "\n";
  }
  os << "  " << cex.property << " is broken after step " << cex.steps.size() << "\n";
}

}  // namespace sgxref::proofs::flows

#include "flows/timeline.h"

#include <algorithm>
#include <iomanip>
#include <sstream>
#include <string>

namespace sgxref::proofs::flows {

namespace {

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
    case ret::kEperm:
      return "-EPERM";
  }
  return "?";
}

}  // namespace

std::string rights_text(const Rights& r) {
  return std::string(r.r ? "R" : "-") + (r.w ? "W" : "-") + (r.x ? "X" : "-");
}

StepState state_of(const System& sys, const Layout& l, const World<C>& w) {
  StepState s;
  for (size_t i = 0; i < l.data_pages; ++i) {
    PageState p;
    p.page = l.data_page(i);
    const PageRecord<C>& rec = w.drv.pages[size_t(p.page)];
    p.resident = rec.resident;
    p.removed = !rec.resident && !l.reclaimer;
    if (rec.resident) {
      const arch::Epcm<C>& e = w.hw.epcm[size_t(rec.slot)];
      p.rights = {e.r, e.w, e.x};
      p.trim = e.type == arch::pt::kTrim;
      p.modified = e.modified;
      p.pr = e.pr;
      p.stamped = e.stamped;
      p.stamp_age = e.stamp_age;
      p.blocked = e.blocked;
    } else {
      const arch::Blob<C>& b = w.hw.blob[size_t(p.page)];
      p.evicted = b.valid;
      p.blob_rights = {b.r, b.w, b.x};
      p.blob_pr = b.pr;
    }
    s.pages.push_back(p);
  }
  s.secs_resident = w.drv.secs_resident;
  for (size_t e = 0; e < l.enclave_threads; ++e) {
    CpuState cs;
    cs.cpu = Layout::enclave_cpu(e);
    const arch::Cpu<C>& c = w.hw.cpu[size_t(cs.cpu)];
    cs.in = c.mode;
    cs.entry_age = c.entry_age;
    for (size_t i = 0; i < l.data_pages; ++i) {
      const arch::TlbEntry<C>& t = c.tlb[size_t(l.data_page(i))];
      if (t.valid) cs.tlb.push_back({l.data_page(i), {t.r, t.w, t.x}});
    }
    s.cpus.push_back(cs);
  }
  if (ended(C{}, sys, w, 0))
    s.ioctl = IoctlState{sys.threads[0].name, w.th[0].rv, errno_name(w.th[0].rv), w.th[0].count};
  return s;
}

std::string state_text(const StepState& s) {
  std::ostringstream os;
  for (size_t i = 0; i < s.pages.size(); ++i) {
    const PageState& p = s.pages[i];
    os << (i ? ", " : "") << "p" << p.page << " ";
    if (p.resident) {
      os << rights_text(p.rights) << (p.trim ? " TRIM" : "") << (p.modified ? " M" : "") << (p.pr ? " PR" : "")
         << (p.stamped ? " stamp-age " + std::to_string(p.stamp_age) : "") << (p.blocked ? " blocked" : "");
    } else if (p.removed) {
      os << "removed";
    } else if (p.evicted) {
      os << "evicted (" << rights_text(p.blob_rights) << (p.blob_pr ? " PR" : "") << ")";
    } else {
      os << "lost (no EPC page, no blob)";
    }
  }
  if (!s.secs_resident) os << "; SECS evicted";
  for (const CpuState& c : s.cpus) {
    os << "; cpu" << c.cpu << " " << (c.in ? "in, entry-age " + std::to_string(c.entry_age) : std::string("out"));
    for (const auto& [page, r] : c.tlb) os << ", tlb p" << page << " " << rights_text(r);
  }
  if (s.ioctl) os << "; " << s.ioctl->thread << " returned " << s.ioctl->ret << ", count " << s.ioctl->count;
  return os.str();
}


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
    os << state_text(state_of(sys, l, cex.worlds[k + 1])) << "\n";
  }
  os << "  " << cex.property << " is broken after step " << cex.steps.size() << "\n";
}

}  // namespace sgxref::proofs::flows

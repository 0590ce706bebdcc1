#include "flows/catalogue.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "flows/eaug_fault.h"
#include "flows/enclave_thread.h"
#include "flows/modify_ioctl.h"
#include "flows/reclaimer.h"
#include "flows/remove_pages.h"

namespace sgxref::proofs::flows {

std::vector<std::string> flow_names() {
  return {"restrict", "restrict-reclaim", "modify-types", "modify-types-reclaim", "eaug-reclaim", "remove"};
}

bool takes_enclave_threads(const std::string& flow) { return flow != "eaug-reclaim"; }

Layout layout_for(const std::string& flow, size_t data_pages, size_t enclave_threads) {
  const std::vector<std::string> known = flow_names();
  if (std::find(known.begin(), known.end(), flow) == known.end()) {
    std::string names;
    for (const std::string& f : known) names += (names.empty() ? "" : ", ") + f;
    throw std::invalid_argument("unknown flow '" + flow + "'; the checker knows " + names);
  }
  const bool eaug = flow == "eaug-reclaim";
  if (!takes_enclave_threads(flow) && enclave_threads != 0)
    throw std::invalid_argument(flow + " runs without enclave threads (their TCS keeps the SECS in)");
  Layout l;
  l.data_pages = data_pages;
  l.enclave_threads = enclave_threads;
  l.holes = eaug ? 1 : 0;
  l.reclaimer = flow == "restrict-reclaim" || flow == "modify-types-reclaim" || eaug;
  l.trimmed = flow == "remove";
  return l;
}

System racing(Program ioctl, bool trim, const Variant& v, const Layout& l) {
  const size_t threads = 1 + (l.reclaimer ? 1 : 0) + l.enclave_threads;
  System sys{built_world(l, threads), {std::move(ioctl)}};
  if (l.reclaimer) sys.threads.push_back(reclaimer(l, v));
  for (size_t e = 0; e < l.enclave_threads; ++e)
    sys.threads.push_back(enclave_thread(l, e, sys.length(0), trim ? trimmed() : restricted_rights()));
  return sys;
}

System build_system(const std::string& flow, const Variant& v, const Layout& l) {
  if (flow == "eaug-reclaim") return racing(eaug_fault(l, v), false, v, l);
  if (flow == "remove") return racing(remove_pages(l, v), true, v, l);
  const bool trim = flow == "modify-types" || flow == "modify-types-reclaim";
  return racing(trim ? modify_types(l, v) : restrict_permissions(l, v), trim, v, l);
}

}  // namespace sgxref::proofs::flows

#include "flows/catalogue.h"

#include <stdexcept>

#include "flows/enclave_thread.h"
#include "flows/reclaimer.h"
#include "flows/restrict_permissions.h"

namespace sgxref::proofs::flows {

std::vector<std::string> flow_names() { return {"restrict", "restrict-reclaim"}; }

Layout layout_for(const std::string& flow, size_t data_pages, size_t enclave_threads) {
  if (flow != "restrict" && flow != "restrict-reclaim") {
    std::string known;
    for (const std::string& f : flow_names()) known += (known.empty() ? "" : ", ") + f;
    throw std::invalid_argument("unknown flow '" + flow + "'; the checker knows " + known);
  }
  Layout l;
  l.data_pages = data_pages;
  l.enclave_threads = enclave_threads;
  l.reclaimer = flow == "restrict-reclaim";
  return l;
}

System build_system(const std::string&, const Variant& v, const Layout& l) {
  const size_t threads = 1 + (l.reclaimer ? 1 : 0) + l.enclave_threads;
  System sys{built_world(l, threads), {restrict_permissions(l, v)}};
  if (l.reclaimer) sys.threads.push_back(reclaimer(l, v));
  for (size_t e = 0; e < l.enclave_threads; ++e)
    sys.threads.push_back(enclave_thread(l, e, sys.length(0)));
  return sys;
}

}  // namespace sgxref::proofs::flows

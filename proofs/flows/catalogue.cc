#include "flows/catalogue.h"

#include <stdexcept>

#include "flows/enclave_thread.h"
#include "flows/restrict_permissions.h"

namespace sgxref::proofs::flows {

std::vector<std::string> flow_names() { return {"restrict"}; }

System build_system(const std::string& flow, const Variant& v, const Layout& l) {
  if (flow != "restrict") {
    std::string known;
    for (const std::string& f : flow_names()) known += (known.empty() ? "" : ", ") + f;
    throw std::invalid_argument("unknown flow '" + flow + "'; the checker knows " + known);
  }
  System sys{built_world(l, 1 + l.enclave_threads), {restrict_permissions(l, v)}};
  for (size_t e = 0; e < l.enclave_threads; ++e)
    sys.threads.push_back(enclave_thread(l, e, sys.length(0)));
  return sys;
}

}  // namespace sgxref::proofs::flows

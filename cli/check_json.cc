#include "cli/check_json.h"

#include <string>

namespace sgxref::cli {

namespace {

namespace fl = proofs::flows;

const char* verdict_word(fl::Verdict3 v) {
  switch (v) {
    case fl::Verdict3::kSafe:
      return "SAFE";
    case fl::Verdict3::kUnsafe:
      return "UNSAFE";
    case fl::Verdict3::kVacuous:
      return "VACUOUS";
  }
  return "?";
}

nlohmann::json entry_json(const fl::Row& r) {
  nlohmann::json threads = nlohmann::json::array();
  for (const fl::Program& p : r.system.threads) threads.push_back({{"name", p.name}, {"cpu", p.cpu}});
  nlohmann::json j = {{"flow", r.entry.flow},
                      {"variant", r.variant},
                      {"switches", r.entry.switches},
                      {"threads", threads},
                      {"pages", r.layout.data_pages},
                      {"bound", r.bound},
                      {"depth", r.result.depth},
                      {"verdict", verdict_word(r.result.verdict)},
                      {"seconds", r.result.seconds}};
  j["property"] = r.result.cex ? nlohmann::json(r.result.cex->property) : nlohmann::json(nullptr);
  if (r.result.cex) {
    nlohmann::json steps = nlohmann::json::array();
    for (const fl::FlowStep& s : r.result.cex->steps) steps.push_back({{"thread", s.thread}, {"point", s.point}});
    j["counterexample"] = {{"property", r.result.cex->property}, {"steps", steps}};
  }
  return j;
}

}  // namespace

nlohmann::json check_json(const std::vector<fl::Row>& rows) {
  nlohmann::json entries = nlohmann::json::array();
  for (const fl::Row& r : rows) entries.push_back(entry_json(r));
  return {{"format", "sgxref-check-1"}, {"entries", entries}};
}

}  // namespace sgxref::cli

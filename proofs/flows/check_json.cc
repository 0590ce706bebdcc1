#include "flows/check_json.h"

#include <stdexcept>
#include <string>

namespace sgxref::proofs::flows {

namespace {

constexpr const char* kFormat = "sgxref-check-1";

nlohmann::json entry_json(const Row& r) {
  nlohmann::json threads = nlohmann::json::array();
  for (const Program& p : r.system.threads) threads.push_back({{"name", p.name}, {"cpu", p.cpu}});
  nlohmann::json j = {{"flow", r.entry.flow},
                      {"variant", r.variant},
                      {"switches", r.entry.switches},
                      {"threads", threads},
                      {"pages", r.layout.data_pages},
                      {"enclave_threads", r.layout.enclave_threads},
                      {"bound", r.bound},
                      {"depth", r.result.depth},
                      {"verdict", verdict_name(r.result.verdict)},
                      {"seconds", r.result.seconds}};
  if (r.entry.file) j["flow_file"] = r.entry.file->origin;
  j["property"] = r.result.cex ? nlohmann::json(r.result.cex->property) : nlohmann::json(nullptr);
  if (r.result.cex) {
    nlohmann::json steps = nlohmann::json::array();
    for (const FlowStep& s : r.result.cex->steps) steps.push_back({{"thread", s.thread}, {"point", s.point}});
    j["counterexample"] = {{"property", r.result.cex->property}, {"steps", steps}};
  }
  return j;
}

}  // namespace

nlohmann::json check_json(const std::vector<Row>& rows) {
  nlohmann::json entries = nlohmann::json::array();
  for (const Row& r : rows) entries.push_back(entry_json(r));
  return {{"format", kFormat}, {"entries", entries}};
}

std::vector<CounterexampleEntry> read_counterexamples(const nlohmann::json& j) {
  const auto bad = [](const std::string& what) { return std::invalid_argument(what); };
  // Only the JSON's own shape is asked about here, so nothing below can throw
  // nlohmann's exceptions, which the CLI does not take for a refusal.
  if (!j.is_object() || !j.contains("format") || j["format"] != kFormat)
    throw bad(std::string("not a check's JSON (its \"format\" is not \"") + kFormat + "\")");
  if (!j.contains("entries") || !j["entries"].is_array()) throw bad("\"entries\" is not an array");
  const nlohmann::json& entries = j["entries"];
  std::vector<CounterexampleEntry> out;
  for (size_t i = 0; i < entries.size(); ++i) {
    const nlohmann::json& e = entries[i];
    if (!e.contains("counterexample") || e["counterexample"].is_null()) continue;
    const std::string at = "entry " + std::to_string(i) + ": ";
    if (e.contains("flow_file"))
      throw bad(at + "its flow is the flow file " + e["flow_file"].dump() +
                "'s, not the driver's, so there is nothing to replay it on");
    // nlohmann's get<size_t> casts a float or a negative number unchecked (undefined
    // for one out of range), so a count must be an unsigned integer already.
    const auto whole = [&](const nlohmann::json& o, const char* key) {
      const nlohmann::json& v = o.at(key);
      if (!v.is_number_unsigned()) throw bad(at + "\"" + key + "\" is not a whole number");
      return v.get<size_t>();
    };
    try {
      CounterexampleEntry c;
      c.index = i;
      c.entry.flow = e.at("flow").get<std::string>();
      c.entry.switches = e.at("switches").get<std::vector<std::string>>();
      c.entry.enclave_threads = whole(e, "enclave_threads");
      c.entry.pages = whole(e, "pages");
      const nlohmann::json& cex = e.at("counterexample");
      c.property = cex.at("property").get<std::string>();
      for (const nlohmann::json& s : cex.at("steps"))
        c.steps.push_back({whole(s, "thread"), s.at("point").get<std::string>()});
      out.push_back(std::move(c));
    } catch (const nlohmann::json::exception& x) {
      throw bad(at + x.what());
    }
  }
  return out;
}

}  // namespace sgxref::proofs::flows

#include "flows/flow_file.h"

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "flows/world.h"

namespace sgxref::proofs::flows::file {

namespace {

using Json = nlohmann::json;
using Kind = Op::Kind;

// The steps' pc has kPcBits bits, and the end of the program is one past its last step.
constexpr size_t kMaxSteps = (size_t(1) << kPcBits) - 1;

const std::map<std::string, Cond>& conditions() {
  static const std::map<std::string, Cond> m{
      {"page.in", Cond::kPageIn},       {"page.busy", Cond::kPageBusy},
      {"page.failed", Cond::kPageFailed}, {"secs.in", Cond::kSecsIn},
      {"secs.busy", Cond::kSecsBusy},   {"secs.failed", Cond::kSecsFailed},
      {"ok", Cond::kOk},                {"faulted", Cond::kFaulted},
      {"page.reg", Cond::kPageReg},     {"page.tcs", Cond::kPageTcs},
      {"secs.resident", Cond::kSecsResident}, {"more", Cond::kMore},
      {"started", Cond::kStarted},      {"rv.ok", Cond::kRvOk},
      {"tail", Cond::kTail}};
  return m;
}

const std::map<std::string, Kind>& kinds() {
  static const std::map<std::string, Kind> m{
      {"reach_lock", Kind::kReachLock}, {"unlock", Kind::kUnlock},
      {"load_page", Kind::kLoadPage},   {"load_secs", Kind::kLoadSecs},
      {"emodpr", Kind::kEmodpr},        {"emodt", Kind::kEmodt},
      {"etrack", Kind::kEtrack},        {"ipi", Kind::kIpi},
      {"warn", Kind::kWarn},            {"set", Kind::kSet},
      {"next_page", Kind::kNextPage},   {"goto", Kind::kGoto},
      {"fail", Kind::kFail},            {"return", Kind::kReturn}};
  return m;
}

const std::map<std::string, int64_t>& errors() {
  static const std::map<std::string, int64_t> m{
      {"OK", ret::kOk}, {"EINVAL", ret::kEinval}, {"EFAULT", ret::kEfault}, {"EAGAIN", ret::kEagain}};
  return m;
}

const std::string& name_of(const std::string& s) { return s; }
template <class V>
const std::string& name_of(const std::pair<const std::string, V>& entry) { return entry.first; }

// The names a map's keys or a set give, comma-separated.
template <class C>
std::string names(const C& c) {
  std::string out;
  for (const auto& e : c) out += (out.empty() ? "" : ", ") + name_of(e);
  return out;
}

// Where the reader is, for its errors: "FILE: steps[2] ('modify'): ops[1]".
class Reader {
 public:
  explicit Reader(std::string origin) : where_(std::move(origin)) {}

  [[noreturn]] void fail(const std::string& why) const { throw std::invalid_argument(where_ + ": " + why); }
  Reader at(const std::string& place) const { return Reader(where_ + ": " + place); }

  void only_keys(const Json& j, const std::set<std::string>& known) const {
    if (!j.is_object()) fail("want an object");
    for (const auto& [key, value] : j.items()) {
      if (known.count(key) == 0) fail("unknown key '" + key + "'; it takes " + names(known));
    }
  }
  const Json& need(const Json& j, const std::string& key) const {
    if (!j.contains(key)) fail("'" + key + "' is missing");
    return j.at(key);
  }
  std::string text(const Json& j, const std::string& key) const {
    const Json& v = need(j, key);
    if (!v.is_string() || v.get<std::string>().empty()) fail("'" + key + "' wants a non-empty string");
    return v.get<std::string>();
  }
  bool flag(const Json& j, const std::string& key, bool otherwise) const {
    if (!j.contains(key)) return otherwise;
    if (!j.at(key).is_boolean()) fail("'" + key + "' wants true or false");
    return j.at(key).get<bool>();
  }
  size_t number(const Json& j, const std::string& key, size_t otherwise, size_t lo, size_t hi) const {
    if (!j.contains(key)) return otherwise;
    const Json& v = j.at(key);
    if (!v.is_number_unsigned() || v.get<uint64_t>() < lo || v.get<uint64_t>() > hi)
      fail("'" + key + "' wants a whole number from " + std::to_string(lo) + " to " + std::to_string(hi));
    return size_t(v.get<uint64_t>());
  }

 private:
  std::string where_;
};

std::vector<Literal> read_when(const Reader& r, const Json& op) {
  if (!op.contains("when")) return {};
  const Json& w = op.at("when");
  std::vector<Json> items = w.is_array() ? std::vector<Json>(w.begin(), w.end()) : std::vector<Json>{w};
  std::vector<Literal> out;
  for (const Json& item : items) {
    if (!item.is_string()) r.fail("'when' wants a condition or a list of them, such as \"!page.reg\"");
    std::string name = item.get<std::string>();
    const bool negated = !name.empty() && name[0] == '!';
    if (negated) name.erase(0, 1);
    const auto it = conditions().find(name);
    if (it == conditions().end())
      r.fail("unknown condition '" + name + "'; a 'when' reads " + names(conditions()) + ", each may start with '!'");
    out.push_back({it->second, negated});
  }
  return out;
}

bool is_leaf(Kind k) { return k == Kind::kEmodpr || k == Kind::kEmodt || k == Kind::kEtrack || k == Kind::kIpi; }
bool is_lock(Kind k) { return k == Kind::kReachLock || k == Kind::kUnlock; }
bool is_load(Kind k) { return k == Kind::kLoadPage || k == Kind::kLoadSecs; }
bool jumps(Kind k) { return k == Kind::kGoto || k == Kind::kFail || k == Kind::kReturn || k == Kind::kReachLock; }

}  // namespace

std::string point_of(Kind k) {
  switch (k) {
    case Kind::kReachLock:
    case Kind::kUnlock:
      return "encl->lock";
    case Kind::kLoadPage:
    case Kind::kLoadSecs:
      return "eldu.end";
    case Kind::kEmodpr:
      return "emodpr.end";
    case Kind::kEmodt:
      return "emodt.end";
    case Kind::kEtrack:
      return "etrack.end";
    case Kind::kIpi:
      return "ipi_mask.end";
    default:
      return "";
  }
}

namespace {

// What each op needs beside "op" and "when", read; labels are resolved later.
Op read_op(const Reader& r, const Json& j, std::string& target) {
  if (!j.is_object() || !j.contains("op") || !j.at("op").is_string())
    r.fail("an op is an object naming its \"op\": " + names(kinds()));
  const auto it = kinds().find(j.at("op").get<std::string>());
  if (it == kinds().end()) r.fail("unknown op '" + j.at("op").get<std::string>() + "'; ops are " + names(kinds()));
  const Reader here = r.at(it->first);
  Op op{it->second, read_when(here, j)};
  switch (op.kind) {
    case Kind::kReachLock:
    case Kind::kGoto:
      here.only_keys(j, {"op", "when", "to"});
      target = here.text(j, "to");
      break;
    case Kind::kFail: {
      here.only_keys(j, {"op", "when", "to", "rv"});
      target = here.text(j, "to");
      const std::string rv = here.text(j, "rv");
      if (!errors().count(rv) || rv == "OK") here.fail("'rv' wants one of EINVAL, EFAULT, EAGAIN");
      op.value = errors().at(rv);
      break;
    }
    case Kind::kSet: {
      here.only_keys(j, {"op", "when", "var", "value"});
      op.var = here.text(j, "var");
      const Json& v = here.need(j, "value");
      if (op.var == "rv") {
        if (!v.is_string() || !errors().count(v.get<std::string>()))
          here.fail("'rv' takes " + names(errors()));
        op.value = errors().at(v.get<std::string>());
      } else if (op.var == "tail") {
        if (!v.is_boolean()) here.fail("'tail' takes true or false");
        op.value = v.get<bool>() ? 1 : 0;
      } else {
        here.fail("unknown var '" + op.var + "'; set takes rv or tail");
      }
      break;
    }
    default:
      here.only_keys(j, {"op", "when"});
  }
  if (is_lock(op.kind) && !op.when.empty())
    here.fail("a lock is taken or dropped on every path through its step: no 'when'");
  return op;
}

// The rules the driver's code keeps by construction: one scheduling point per step, a
// condition read after what sets it, the mutex taken before a step inside it and
// dropped before a step outside it or the return.
void check_step(const Reader& r, const FlowFile& f, size_t s) {
  const Step& step = f.steps[s];
  std::set<Cond> known{Cond::kPageReg, Cond::kPageTcs, Cond::kSecsResident, Cond::kMore,
                       Cond::kStarted, Cond::kRvOk, Cond::kTail};
  size_t loads = 0, leaves = 0, locks = 0;
  bool unlocked = false;
  for (size_t i = 0; i < step.ops.size(); ++i) {
    const Op& op = step.ops[i];
    const Reader here = r.at("ops[" + std::to_string(i) + "]");
    for (const Literal& l : op.when) {
      if (known.count(l.cond) == 0)
        here.fail("a 'when' reads an outcome no earlier op of the step sets (page.* but page.reg and "
                  "page.tcs need load_page, secs.in, secs.busy and secs.failed load_secs, ok and "
                  "faulted a leaf)");
    }
    const Kind k = op.kind;
    if (is_load(k) && (loads != 0 || leaves != 0)) here.fail("a step loads once, before its leaf");
    if (is_leaf(k) && leaves != 0)
      here.fail("a step ends at one scheduling point: put each leaf in a step of its own");
    if ((is_lock(k) && loads + leaves + locks != 0) || ((is_leaf(k) || is_load(k)) && locks != 0))
      here.fail("encl->lock's point is a step of its own: no other lock, load or leaf beside it");
    loads += is_load(k);
    leaves += is_leaf(k);
    locks += is_lock(k);
    if (k == Kind::kLoadPage) known.insert({Cond::kPageIn, Cond::kPageBusy, Cond::kPageFailed});
    if (k == Kind::kLoadSecs) known.insert({Cond::kSecsIn, Cond::kSecsBusy, Cond::kSecsFailed});
    if (k == Kind::kEmodpr || k == Kind::kEmodt || k == Kind::kEtrack) known.insert({Cond::kOk, Cond::kFaulted});
    if (k == Kind::kReachLock && step.mutex) here.fail("reach_lock inside encl->lock: the mutex is not recursive");
    if (k == Kind::kReachLock && !f.steps[op.to].mutex)
      here.fail("reach_lock goes to step '" + f.steps[op.to].label + "', which does not hold the mutex (\"mutex\": true)");
    if (k == Kind::kUnlock && !step.mutex) here.fail("unlock in a step that does not hold the mutex");
    if (is_load(k) && !step.mutex)
      here.fail("a load outside encl->lock: the driver changes its page records under the mutex only");
    if (k == Kind::kUnlock) unlocked = true;
    if ((k == Kind::kGoto || k == Kind::kFail) && step.mutex != f.steps[op.to].mutex && !unlocked) {
      here.fail(step.mutex ? "goes to step '" + f.steps[op.to].label + "' holding the mutex: unlock first"
                           : "goes to step '" + f.steps[op.to].label +
                                 "', which holds the mutex, without taking it: reach_lock there");
    }
    if ((k == Kind::kGoto || k == Kind::kFail) && unlocked && f.steps[op.to].mutex)
      here.fail("goes to step '" + f.steps[op.to].label + "', inside the mutex, after dropping it");
    if (k == Kind::kReturn && step.mutex && !unlocked) here.fail("returns holding the mutex: unlock first");
  }
  // Falling off the step goes to the next one (or returns after the last).
  const bool ends = !step.ops.empty() && jumps(step.ops.back().kind) && step.ops.back().when.empty();
  if (ends) return;
  const bool last = s + 1 == f.steps.size();
  const bool next_mutex = !last && f.steps[s + 1].mutex;
  const bool holds = step.mutex && !unlocked;
  if (last && holds) r.fail("can run off the last step holding the mutex: unlock and return");
  if (!last && holds != next_mutex)
    r.fail(holds ? "can run on into step '" + f.steps[s + 1].label + "' holding the mutex: unlock first"
                 : "can run on into step '" + f.steps[s + 1].label + "', which holds the mutex: reach_lock there");
}

}  // namespace

FlowFile parse_flow_file(const std::string& text, const std::string& origin) {
  const Reader r(origin);
  Json j;
  try {
    j = Json::parse(text);
  } catch (const Json::exception& e) {  // a syntax error, or a number too large (out_of_range)
    r.fail(std::string("not JSON: ") + e.what());
  }
  r.only_keys(j, {"sgxref_flow", "name", "about", "reclaimer", "pages", "enclave_threads", "depth", "steps"});
  if (!j.contains("sgxref_flow") || j.at("sgxref_flow") != 1) r.fail("\"sgxref_flow\": 1 is missing (the format's version)");
  FlowFile f;
  f.origin = origin;
  f.name = r.text(j, "name");
  if (f.name.find_first_of(" \t\n,") != std::string::npos) r.fail("'name' is one word (no spaces or commas)");
  f.about = j.contains("about") ? r.text(j, "about") : "";
  f.reclaimer = r.flag(j, "reclaimer", false);
  f.pages = r.number(j, "pages", 2, 1, 8);
  f.enclave_threads = r.number(j, "enclave_threads", 1, 0, 3);
  f.depth = r.number(j, "depth", 0, 1, 200);
  const Json& steps = r.need(j, "steps");
  if (!steps.is_array() || steps.empty() || steps.size() > kMaxSteps)
    r.fail("'steps' wants a list of 1 to " + std::to_string(kMaxSteps) + " steps");
  std::map<std::string, size_t> labels;
  std::vector<std::vector<std::string>> targets(steps.size());
  for (size_t s = 0; s < steps.size(); ++s) {
    const Reader at = r.at("steps[" + std::to_string(s) + "]");
    at.only_keys(steps[s], {"label", "mutex", "ops"});
    Step step{at.text(steps[s], "label"), at.flag(steps[s], "mutex", false), {}, ""};
    if (!labels.emplace(step.label, s).second) at.fail("label '" + step.label + "' is used twice");
    const Reader in = r.at("steps[" + std::to_string(s) + "] ('" + step.label + "')");
    const Json& ops = in.need(steps[s], "ops");
    if (!ops.is_array() || ops.empty()) in.fail("'ops' wants a non-empty list");
    for (size_t i = 0; i < ops.size(); ++i) {
      targets[s].emplace_back();
      step.ops.push_back(read_op(in.at("ops[" + std::to_string(i) + "]"), ops[i], targets[s].back()));
    }
    f.steps.push_back(step);
  }
  bool emodpr = false, emodt = false;
  for (size_t s = 0; s < f.steps.size(); ++s) {
    Step& step = f.steps[s];
    const Reader in = r.at("steps[" + std::to_string(s) + "] ('" + step.label + "')");
    for (size_t i = 0; i < step.ops.size(); ++i) {
      const std::string& t = targets[s][i];
      if (t.empty()) continue;
      if (!labels.count(t)) in.at("ops[" + std::to_string(i) + "]").fail("no step is labelled '" + t + "'");
      step.ops[i].to = labels.at(t);
    }
    for (const Op& op : step.ops) {
      const std::string p = point_of(op.kind);
      if (!p.empty() && (step.point.empty() || step.point == "eldu.end")) step.point = p;
      emodpr = emodpr || op.kind == Kind::kEmodpr;
      emodt = emodt || op.kind == Kind::kEmodt;
    }
  }
  for (size_t s = 0; s < f.steps.size(); ++s)
    check_step(r.at("steps[" + std::to_string(s) + "] ('" + f.steps[s].label + "')"), f, s);
  if (emodpr == emodt)
    r.fail("the flow changes its pages with emodpr (RESTRICT_PERMISSIONS) or with emodt (MODIFY_TYPES), one of them");
  f.trim = emodt;
  return f;
}

FlowFile read_flow_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument(path + ": cannot read the flow file");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_flow_file(text.str(), path);
}

}  // namespace sgxref::proofs::flows::file

#include "driver/alternatives.h"

#include <array>

namespace sgxref::driver {

namespace {

// One alternative: its name, its values in enum order (Linux's first), and how to read
// and write it as that index.
struct Knob {
  const char* name;
  std::vector<const char*> values;
  int (*get)(const Alternatives&);
  void (*set)(Alternatives&, int);
};

const std::array<Knob, 4>& knobs() {
  using A = Alternatives;
  static const std::array<Knob, 4> k = {{
      {"restrict.etrack",
       {"per-page", "batched"},
       [](const A& a) { return int(a.restrict_etrack); },
       [](A& a, int v) { a.restrict_etrack = A::RestrictEtrack(v); }},
      {"restrict.lock",
       {"per-page", "whole-range"},
       [](const A& a) { return int(a.restrict_lock); },
       [](A& a, int v) { a.restrict_lock = A::RestrictLock(v); }},
      {"reclaim.ipi-mask",
       {"after-etrack", "before-etrack"},
       [](const A& a) { return int(a.reclaim_ipi_mask); },
       [](A& a, int v) { a.reclaim_ipi_mask = A::IpiMask(v); }},
      {"eaug.via",
       {"fault", "ioctl"},
       [](const A& a) { return int(a.eaug_via); },
       [](A& a, int v) { a.eaug_via = A::EaugVia(v); }},
  }};
  return k;
}

std::string joined(const std::vector<const char*>& values, const char* sep) {
  std::string s;
  for (const char* v : values) {
    if (!s.empty()) s += sep;
    s += v;
  }
  return s;
}

}  // namespace

std::string set_alternative(Alternatives& alt, const std::string& name_eq_value) {
  const size_t eq = name_eq_value.find('=');
  if (eq == std::string::npos) {
    return "alternative '" + name_eq_value + "': expected NAME=VALUE";
  }
  const std::string name = name_eq_value.substr(0, eq);
  const std::string value = name_eq_value.substr(eq + 1);
  for (const Knob& k : knobs()) {
    if (name != k.name) continue;
    for (size_t i = 0; i < k.values.size(); ++i) {
      if (value == k.values[i]) {
        k.set(alt, int(i));
        return "";
      }
    }
    return "alternative " + name + ": unknown value '" + value + "' (one of " +
           joined(k.values, ", ") + ")";
  }
  std::vector<const char*> names;
  for (const Knob& k : knobs()) names.push_back(k.name);
  return "unknown alternative '" + name + "' (one of " + joined(names, ", ") + ")";
}

std::vector<std::string> describe(const Alternatives& alt) {
  std::vector<std::string> out;
  for (const Knob& k : knobs()) out.push_back(std::string(k.name) + "=" + k.values[k.get(alt)]);
  return out;
}

std::vector<std::string> off_linux(const Alternatives& alt) {
  std::vector<std::string> out;
  for (const Knob& k : knobs()) {
    if (k.get(alt) != 0) out.push_back(std::string(k.name) + "=" + k.values[k.get(alt)]);
  }
  return out;
}

std::vector<std::string> alternative_choices() {
  std::vector<std::string> out;
  for (const Knob& k : knobs()) out.push_back(std::string(k.name) + "=" + joined(k.values, "|"));
  return out;
}

}  // namespace sgxref::driver

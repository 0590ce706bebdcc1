// Fuzz target: a check's JSON as `sgxref replay FILE` reads it
// (proofs/flows/check_json.h read_counterexamples), any bytes as the file. Bytes that
// are not JSON are the CLI's own refusal. From JSON, the reader must return the
// counterexamples or refuse with std::invalid_argument (anything else thrown, or a
// crash, is a bug: the CLI reports only that). Each counterexample of Linux's driver
// (no bug switch: the others run in another binary) is then built as the CLI builds it
// and its steps replayed on a fresh driver; the entry may be refused as the CLI refuses
// it (std::invalid_argument for an unknown flow or switch, std::logic_error for steps
// that do not fit the flow, std::runtime_error), never with a crash or a sanitizer
// report.
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "flows/catalogue_run.h"
#include "flows/check_json.h"
#include "fuzz/require.h"
#include "replay/flow_replay.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fl = sgxref::proofs::flows;
  const nlohmann::json j = nlohmann::json::parse(data, data + size, nullptr, false);
  if (j.is_discarded()) return 0;
  std::vector<fl::CounterexampleEntry> entries;
  try {
    entries = fl::read_counterexamples(j);
  } catch (const std::invalid_argument&) {
    return 0;
  }
  for (const fl::CounterexampleEntry& c : entries) {
    bool bug = false;
    for (const std::string& s : c.entry.switches) bug = bug || s.rfind("bug.", 0) == 0;
    if (bug) continue;
    try {
      const fl::Built b = fl::build_entry(c.entry);
      (void)sgxref::proofs::replay::replay_on_driver(b.system, b.layout, b.variant, c.steps);
    } catch (const std::invalid_argument&) {
    } catch (const std::logic_error&) {
    } catch (const std::runtime_error&) {
    }
  }
  return 0;
}

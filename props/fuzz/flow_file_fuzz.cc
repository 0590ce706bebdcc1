// Fuzz target: a flow file (`sgxref check --flow-file`, proofs/flows/flow_file.h), any
// bytes as its text. The reader must either take it or refuse it with
// std::invalid_argument naming the file (what the CLI reports; anything else thrown,
// or a crash, is a bug). A file it takes must make an entry whose system builds, within
// the reader's bounds, and whose first random schedule replays on a fresh driver (the
// check's --samples path) without a crash or sanitizer report; an error the replay
// reports about the flow (std::logic_error: a schedule that does not fit) is its answer.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include "flows/catalogue_run.h"
#include "flows/flow_file.h"
#include "fuzz/require.h"
#include "replay/flow_replay.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fl = sgxref::proofs::flows;
  using sgxref::fuzz::require;
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::shared_ptr<const fl::file::FlowFile> f;
  try {
    f = std::make_shared<const fl::file::FlowFile>(fl::file::parse_flow_file(text, "fuzz.json"));
  } catch (const std::invalid_argument& e) {
    require(std::string(e.what()).find("fuzz.json") != std::string::npos,
            "a refused flow file is named in the error");
    return 0;
  }
  require(f->pages >= 1 && f->pages <= 8 && f->enclave_threads <= 3 && !f->steps.empty(),
          "a flow file taken is within the reader's bounds");
  const fl::Built b = fl::build_entry(fl::file_entry(f, {}));
  try {
    (void)sgxref::proofs::replay::replay_random_runs(b.system, b.layout, b.variant, 1, 64);
  } catch (const std::logic_error&) {
  }
  return 0;
}

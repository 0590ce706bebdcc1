// Conformance of the driver's virtual EPC (impl/driver/virt.cc) with model/uapi's
// (vepc.h): random sequences of a VMM's calls on /dev/sgx_vepc (open, mmap shared or
// private, a touch of one of an instance's four pages, SGX_IOC_VEPC_REMOVE_ALL with a
// zero or non-zero argument, close), its guest's ECREATE and EADD on the EPC pages behind
// touched pages (the SECS often in another instance, so that releases leave zombies), and
// reclaim of a small debug enclave beside them, which must leave every vEPC page alone,
// and debugger reads of its pages. The EPC is small: vEPC pages and zombies fill it, so
// a touch meets an EPC with nothing left to reclaim (SIGBUS), a read one with no room
// for the page and its SECS (-ENOMEM, the SECS then pinned until a read succeeds), and
// the CREATE of another enclave (closed again) one with no room for its VA page and SECS
// (-ENOMEM). After
// every command its answer must be the model's, and the driver's own state must agree
// with the model's (vepc_world.h): each instance's allocated pages, where they sit, their
// EPCM entries, the zombie count, D5's accounting of every EPC page, no WARN. At the end
// of a case every instance is closed and the enclave released: every EPC page must be
// free but for the zombies the model keeps.
//
// A failure prints RapidCheck's seed, a RC_PARAMS="reproduce=..." line that replays the
// minimal sequence, and the sequence itself. Each state below must be reached in at least
// kMinCases test cases.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include <cstdio>
#include <iterator>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "conformance/budget.h"
#include "uapi/vepc.h"
#include "uapi_conformance/uapi_coverage.h"
#include "uapi_conformance/uapi_generators.h"
#include "uapi_conformance/reclaim_command.h"
#include "uapi_conformance/vepc_world.h"

namespace sgxref::props {
namespace {

// The same budget as the other properties of this binary: RapidCheck reads RC_PARAMS
// once per process, so whichever runs first sets it for all.
constexpr int kCiCases = 4000;
constexpr int kMaxCommands = 60;
constexpr uint64_t kMinCases = 50;
constexpr size_t kMaxInstances = 3;

using Model = mu::Vepc;
using Ref = mu::VepcPageRef;
using Kind = mu::GuestPage::Kind;

UapiCoverage& coverage() {
  static UapiCoverage c;
  return c;
}

std::vector<std::string> required() {
  return {"REMOVE_ALL counted a SECS",   "a SECS became a zombie",
          "a zombie freed by a later release", "guest leaf refused",
          "private mmap refused",        "touch SIGBUS, the EPC full",
          "touch SIGBUS, the SECS pinned", "enclave read -ENOMEM, the EPC full",
          "enclave read -ENOMEM, the SECS loaded", "CREATE -ENOMEM, the EPC full"};
}

struct Harness {
  VepcWorld world;
  Model expected = room();

  static Model room() {
    Model m;
    m.room = VepcWorld::kEpcPages - VepcWorld::kVaPages;
    return m;
  }
};

void expect_state(Harness& h, const Model& next) {
  h.expected = next;
  const std::string d = h.world.differences(next);
  if (!d.empty()) RC_FAIL("state differs from the model's:\n" + d);
}

void expect_same(const char* what, long got, long want) {
  if (got != want) {
    RC_FAIL(std::string(what) + ": driver " + std::to_string(got) + ", model " +
            std::to_string(want));
  }
}

template <class T>
T one_of(const std::vector<T>& v) {
  if (v.empty()) RC_DISCARD("nothing to choose from");
  return v[pick<size_t>(0, v.size())];
}

std::vector<int> instances(const Model& m, bool only_unmapped = false) {
  std::vector<int> ids;
  for (const auto& [id, in] : m.open) {
    if (!only_unmapped || !in.mapped) ids.push_back(id);
  }
  return ids;
}

// The touched pages, or those that hold `kind`.
std::vector<Ref> pages(const Model& m, bool only_secs = false) {
  std::vector<Ref> refs;
  for (const auto& [id, in] : m.open) {
    for (const auto& [index, p] : in.pages) {
      if (!only_secs || p.kind == Kind::kSecs) refs.push_back({id, index});
    }
  }
  return refs;
}

bool touched(const Model& m, Ref r) {
  const auto it = m.open.find(r.instance);
  return it != m.open.end() && it->second.pages.count(r.index) != 0;
}

std::ostream& operator<<(std::ostream& os, Ref r) {
  return os << "#" << r.instance << "[" << r.index << "]";
}

struct VepcOpen : rc::state::Command<Model, Harness> {
  void checkPreconditions(const Model& m) const override { RC_PRE(m.open.size() < kMaxInstances); }
  void apply(Model& m) const override { (void)mu::vepc_open(m); }
  void run(const Model& m, Harness& h) const override {
    Model next = m;
    const int id = mu::vepc_open(next);
    expect_same("open", h.world.open(id), 0);
    expect_state(h, next);
  }
  void show(std::ostream& os) const override { os << "VepcOpen"; }
};

struct VepcMmap : rc::state::Command<Model, Harness> {
  int id;
  bool shared = pick(0, 6) != 0;

  explicit VepcMmap(const Model& m) : id(one_of(instances(m, true))) {}
  void checkPreconditions(const Model& m) const override {
    // Two checks: RC_PRE captures its expression's operands, so `&&` inside it would not
    // short-circuit, and the lookup would throw while shrinking removes the open (an
    // exception ends RapidCheck's sequence of shrinks).
    RC_PRE(m.open.count(id) != 0);
    RC_PRE(!m.open.at(id).mapped);
  }
  void apply(Model& m) const override { (void)mu::vepc_mmap(m, id, shared); }
  void run(const Model& m, Harness& h) const override {
    Model next = m;
    const long want = mu::vepc_mmap(next, id, shared);
    expect_same("mmap", h.world.mmap(id, shared), want);
    expect_state(h, next);
    if (!shared) coverage().note("private mmap refused");
  }
  void show(std::ostream& os) const override {
    os << "VepcMmap{#" << id << (shared ? " shared}" : " private}");
  }
};

// Nine times in ten an instance that is mapped, if there is one.
int some_touchable(const Model& m) {
  std::vector<int> mapped;
  for (const auto& [id, in] : m.open) {
    if (in.mapped) mapped.push_back(id);
  }
  if (mapped.empty() || pick(0, 10) == 0) return one_of(instances(m));
  return one_of(mapped);
}

// Three times in four an index the instance has no page at yet, if there is one.
uint64_t some_index(const Model& m, int id) {
  std::vector<uint64_t> fresh;
  for (uint64_t i = 0; i < VepcWorld::kPages; ++i) {
    if (m.open.at(id).pages.count(i) == 0) fresh.push_back(i);
  }
  if (fresh.empty() || pick(0, 4) == 0) return pick<uint64_t>(0, VepcWorld::kPages);
  return one_of(fresh);
}

const char* name(mu::Touch t) {
  switch (t) {
    case mu::Touch::kMapped: return "mapped";
    case mu::Touch::kSigsegv: return "SIGSEGV";
    case mu::Touch::kSigbus: return "SIGBUS";
  }
  return "?";
}

struct VepcTouch : rc::state::Command<Model, Harness> {
  int id;
  uint64_t index;

  explicit VepcTouch(const Model& m) : id(some_touchable(m)), index(some_index(m, id)) {}
  void checkPreconditions(const Model& m) const override { RC_PRE(m.open.count(id) != 0); }
  void apply(Model& m) const override { (void)mu::vepc_touch(m, id, index); }
  void run(const Model& m, Harness& h) const override {
    Model next = m;
    const mu::Touch want = mu::vepc_touch(next, id, index);
    if (const mu::Touch got = h.world.touch(id, index); got != want) {
      RC_FAIL(std::string("touch: driver ") + name(got) + ", model " + name(want));
    }
    expect_state(h, next);
    if (want == mu::Touch::kSigbus) {
      coverage().note(m.secs_pinned ? "touch SIGBUS, the SECS pinned" : "touch SIGBUS, the EPC full");
    }
  }
  void show(std::ostream& os) const override { os << "VepcTouch{" << Ref{id, index} << "}"; }
};

// A debugger reads the enclave beside the instances: the build's word, or -ENOMEM once
// vEPC pages leave no room for the page and its SECS.
struct EnclaveRead : rc::state::Command<Model, Harness> {
  uint64_t page = pick<uint64_t>(0, VepcWorld::kRegPages);
  uint64_t at = 8 * pick<uint64_t>(0, mu::kPage / 8);

  void apply(Model& m) const override { (void)mu::enclave_read(m); }
  void run(const Model& m, Harness& h) const override {
    Model next = m;
    uint64_t value = 0;
    const long want = mu::enclave_read(next);
    expect_same("enclave read", h.world.enclave_read(page, at, value), want);
    if (want == 0 && value != h.world.enclave_word(page, at)) {
      RC_FAIL("enclave read: the word at " + std::to_string(at) + " of page " +
              std::to_string(page) + " is not the build's");
    }
    expect_state(h, next);
    if (want != 0) {
      coverage().note(next.secs_pinned ? "enclave read -ENOMEM, the SECS loaded"
                                       : "enclave read -ENOMEM, the EPC full");
    }
  }
  void show(std::ostream& os) const override {
    os << "EnclaveRead{page " << page << ", +" << at << "}";
  }
};

// Three times in four a free page, if there is one.
Ref some_target(const Model& m) {
  std::vector<Ref> free;
  for (const Ref& r : pages(m)) {
    if (m.open.at(r.instance).pages.at(r.index).kind == Kind::kFree) free.push_back(r);
  }
  if (!free.empty() && pick(0, 4) != 0) return one_of(free);
  return one_of(pages(m));
}

struct GuestEcreate : rc::state::Command<Model, Harness> {
  Ref at;

  explicit GuestEcreate(const Model& m) : at(some_target(m)) {}
  void checkPreconditions(const Model& m) const override { RC_PRE(touched(m, at)); }
  void apply(Model& m) const override { (void)mu::guest_ecreate(m, at); }
  void run(const Model& m, Harness& h) const override {
    Model next = m;
    const bool want = mu::guest_ecreate(next, at);
    expect_same("ECREATE", h.world.ecreate(at), want);
    expect_state(h, next);
    if (!want) coverage().note("guest leaf refused");
  }
  void show(std::ostream& os) const override { os << "GuestEcreate{" << at << "}"; }
};

// The SECS: two times in three one in another instance, else any SECS, else any page.
Ref some_secs(const Model& m, Ref at) {
  std::vector<Ref> elsewhere;
  const std::vector<Ref> secs = pages(m, true);
  for (const Ref& r : secs) {
    if (r.instance != at.instance) elsewhere.push_back(r);
  }
  if (!elsewhere.empty() && pick(0, 3) != 0) return one_of(elsewhere);
  if (!secs.empty() && pick(0, 8) != 0) return one_of(secs);
  return one_of(pages(m));
}


struct GuestEadd : rc::state::Command<Model, Harness> {
  Ref at;
  Ref secs;

  explicit GuestEadd(const Model& m) : at(some_target(m)), secs(some_secs(m, at)) {}
  void checkPreconditions(const Model& m) const override {
    RC_PRE(touched(m, at));
    RC_PRE(touched(m, secs));
  }
  void apply(Model& m) const override { (void)mu::guest_eadd(m, at, secs); }
  void run(const Model& m, Harness& h) const override {
    Model next = m;
    const bool want = mu::guest_eadd(next, at, secs);
    expect_same("EADD", h.world.eadd(at, secs), want);
    expect_state(h, next);
    if (!want) coverage().note("guest leaf refused");
  }
  void show(std::ostream& os) const override {
    os << "GuestEadd{" << at << " into the SECS at " << secs << "}";
  }
};

struct VepcRemoveAll : rc::state::Command<Model, Harness> {
  int id;
  uint64_t arg = pick(0, 8) == 0 ? pick<uint64_t>(1, 1000) : 0;

  explicit VepcRemoveAll(const Model& m) : id(one_of(instances(m))) {}
  void checkPreconditions(const Model& m) const override { RC_PRE(m.open.count(id) != 0); }
  void apply(Model& m) const override { (void)mu::vepc_remove_all(m, id, arg); }
  void run(const Model& m, Harness& h) const override {
    Model next = m;
    const long want = mu::vepc_remove_all(next, id, arg);
    expect_same("REMOVE_ALL", h.world.remove_all(id, arg), want);
    expect_state(h, next);
    if (want > 0) coverage().note("REMOVE_ALL counted a SECS");
  }
  void show(std::ostream& os) const override {
    os << "VepcRemoveAll{#" << id;
    if (arg != 0) os << ", arg " << arg;
    os << "}";
  }
};

// Half of the time an instance whose release may leave a zombie or free one (it holds a
// SECS with children, or a zombie's child), if there is one.
int some_closable(const Model& m) {
  std::vector<int> interesting;
  for (const auto& [id, in] : m.open) {
    for (const auto& [index, p] : in.pages) {
      const bool secs_with_children =
          p.kind == Kind::kSecs && m.has_children({id, index});
      const bool zombies_child = p.kind == Kind::kChild && m.zombies.count(p.secs) != 0;
      if (secs_with_children || zombies_child) interesting.push_back(id);
    }
  }
  if (interesting.empty() || pick(0, 2) == 0) return one_of(instances(m));
  return one_of(interesting);
}

struct VepcClose : rc::state::Command<Model, Harness> {
  int id;

  explicit VepcClose(const Model& m) : id(some_closable(m)) {}
  void checkPreconditions(const Model& m) const override { RC_PRE(m.open.count(id) != 0); }
  void apply(Model& m) const override { mu::vepc_close(m, id); }
  void run(const Model& m, Harness& h) const override {
    Model next = m;
    mu::vepc_close(next, id);
    expect_same("close", h.world.close(id), 0);
    expect_state(h, next);
    for (const Ref& z : next.zombies) {
      if (z.instance == id) coverage().note("a SECS became a zombie");
    }
    for (const Ref& z : m.zombies) {
      if (next.zombies.count(z) == 0) coverage().note("a zombie freed by a later release");
    }
  }
  void show(std::ostream& os) const override { os << "VepcClose{#" << id << "}"; }
};

// Reclaim, invisible to the model (of the enclave beside the instances).
using Reclaim = ReclaimCommand<Model, Harness>;

// Another enclave created and closed: -ENOMEM once reclaim can free no room for it.
struct EnclaveCreate : rc::state::Command<Model, Harness> {
  void run(const Model& m, Harness& h) const override {
    const long want = mu::enclave_create(m);
    expect_same("CREATE", h.world.create_enclave(), want);
    expect_state(h, m);
    if (want != 0) coverage().note("CREATE -ENOMEM, the EPC full");
  }
  void show(std::ostream& os) const override { os << "EnclaveCreate"; }
};

using CommandPtr = std::shared_ptr<const rc::state::Command<Model, Harness>>;

template <class C>
rc::Gen<CommandPtr> command(const Model& m) {
  return rc::state::gen::execOneOfWithArgs<C>()(m);
}

// The next command, weighted by what the state allows, so that whole flows (open, map,
// touch, ECREATE here, EADD there, close) happen within a case.
rc::Gen<CommandPtr> some_command(const Model& m) {
  bool unmapped = false;
  bool untouched = false;  // a page of a mapped instance
  for (const auto& [id, in] : m.open) {
    unmapped = unmapped || !in.mapped;
    untouched = untouched || (in.mapped && in.pages.size() < VepcWorld::kPages);
  }
  const size_t any_open = m.open.empty() ? 0 : 1;
  const size_t any_page = pages(m).empty() ? 0 : 1;
  // Touches, reads and CREATEs where they meet an EPC the instances fill.
  const bool full = m.room - m.pinned() < 2;
  const size_t read = full ? 6 : 1;
  return rc::gen::weightedOneOf<CommandPtr>({
      {m.open.size() < kMaxInstances ? 3 : 0, command<VepcOpen>(m)},
      {unmapped ? 3 : 0, command<VepcMmap>(m)},
      {(untouched ? 8 : 1) * (full ? 2 : 1) * any_open, command<VepcTouch>(m)},
      {3 * any_page, command<GuestEcreate>(m)},
      {6 * any_page, command<GuestEadd>(m)},
      {2 * any_open, command<VepcRemoveAll>(m)},
      {3 * any_open, command<VepcClose>(m)},
      {1, command<Reclaim>(m)},
      {read, command<EnclaveRead>(m)},
      {read, command<EnclaveCreate>(m)},
  });
}

TEST(UapiConformance, VepcFollowsModel) {
  const char* name = "the virtual EPC follows model/uapi";
  const std::string budget = conformance::set_budget(kCiCases, kMaxCommands);
  std::printf("%s: RC_PARAMS=\"%s\"\n", name, budget.c_str());
  coverage() = UapiCoverage(required());
  const bool ok = rc::check(name, [] {
    Harness h;
    // A case starts as a VMM does, with two instances open and mapped (compared as
    // commands are), so that the commands spend themselves on the guest and on release.
    for (int i = 0; i < 2; ++i) {
      const int id = mu::vepc_open(h.expected);
      (void)mu::vepc_mmap(h.expected, id, true);
      if (h.world.open(id) != 0 || h.world.mmap(id, true) != 0) RC_FAIL("instance did not map");
    }
    expect_state(h, h.expected);
    rc::state::check(h.expected, h, &some_command);
    const std::string left = h.world.teardown_differences(h.expected);
    if (!left.empty()) RC_FAIL("after every instance's and the enclave's release:\n" + left);
    coverage().end_case();
  });
  std::printf("%s coverage:\n%s", name, coverage().report().c_str());
  EXPECT_TRUE(ok);
  for (const std::string& e : coverage().required()) {
    EXPECT_GE(coverage().cases(e), kMinCases) << e << " too rare";
  }
}

}  // namespace
}  // namespace sgxref::props

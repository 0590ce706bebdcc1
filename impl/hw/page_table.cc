#include "hw/page_table.h"

namespace sgxref::hw {

namespace {

constexpr uint64_t kPresent = 1ull << 0;
constexpr uint64_t kWritable = 1ull << 1;
constexpr uint64_t kUser = 1ull << 2;
constexpr uint64_t kAccessed = 1ull << 5;
constexpr uint64_t kNx = 1ull << 63;
constexpr uint64_t kFrameMask = 0x000F'FFFF'FFFF'F000ull;

}  // namespace

PageTable::PageTable() = default;

PageTable::~PageTable() {
  for (auto& s : root_.slots)
    destroy(reinterpret_cast<Node*>(s.load(std::memory_order_relaxed)), 2);
}

void PageTable::destroy(Node* n, int level) {
  if (n == nullptr) return;
  if (level > 0) {
    for (auto& s : n->slots)
      destroy(reinterpret_cast<Node*>(s.load(std::memory_order_relaxed)), level - 1);
  }
  delete n;
}

uint64_t PageTable::encode(const Pte& pte) {
  if (!pte.present) return 0;
  return kPresent | kUser | (pte.writable ? kWritable : 0) | (pte.accessed ? kAccessed : 0) |
         (pte.nx ? kNx : 0) | (pte.pa & kFrameMask);
}

Pte PageTable::decode(uint64_t raw) {
  if ((raw & kPresent) == 0) return Pte{};
  return Pte{.present = true,
             .writable = (raw & kWritable) != 0,
             .nx = (raw & kNx) != 0,
             .pa = raw & kFrameMask,
             .accessed = (raw & kAccessed) != 0};
}

void PageTable::set(LAddr la, const Pte& pte) {
  Node* n = &root_;
  for (int level = kLevels - 1; level > 0; --level) {
    std::atomic<uint64_t>& s = n->slots[index(la, level)];
    uint64_t child = s.load(std::memory_order_acquire);
    if (child == 0) {
      // Two threads may grow the same branch; the loser frees its node.
      auto* fresh = new Node;
      if (s.compare_exchange_strong(child, reinterpret_cast<uint64_t>(fresh),
                                    std::memory_order_acq_rel, std::memory_order_acquire)) {
        child = reinterpret_cast<uint64_t>(fresh);
      } else {
        delete fresh;
      }
    }
    n = reinterpret_cast<Node*>(child);
  }
  n->slots[index(la, 0)].store(encode(pte), std::memory_order_release);
}

std::atomic<uint64_t>* PageTable::leaf(LAddr la) const {
  // Only root_ is const here: the nodes below it were allocated mutable.
  Node* n = nullptr;
  for (int level = kLevels - 1; level > 0; --level) {
    const Node& parent = n != nullptr ? *n : root_;
    const uint64_t child = parent.slots[index(la, level)].load(std::memory_order_acquire);
    if (child == 0) return nullptr;
    n = reinterpret_cast<Node*>(child);
  }
  return &n->slots[index(la, 0)];
}

Pte PageTable::get(LAddr la) const {
  const std::atomic<uint64_t>* s = leaf(la);
  return s != nullptr ? decode(s->load(std::memory_order_acquire)) : Pte{};
}

bool PageTable::mark_accessed(LAddr la, const Pte& seen) {
  if (seen.accessed) return true;
  std::atomic<uint64_t>* s = leaf(la);
  if (s == nullptr) return false;
  uint64_t expected = encode(seen);
  return s->compare_exchange_strong(expected, expected | kAccessed, std::memory_order_acq_rel,
                                    std::memory_order_acquire);
}

bool PageTable::test_and_clear_accessed(LAddr la) {
  std::atomic<uint64_t>* s = leaf(la);
  return s != nullptr && (s->fetch_and(~kAccessed, std::memory_order_acq_rel) & kAccessed) != 0;
}

std::vector<std::pair<LAddr, Pte>> PageTable::entries() const {
  std::vector<std::pair<LAddr, Pte>> out;
  collect(&root_, kLevels - 1, 0, out);
  return out;
}

void PageTable::collect(const Node* n, int level, LAddr prefix,
                        std::vector<std::pair<LAddr, Pte>>& out) const {
  for (int i = 0; i < kFanout; ++i) {
    const uint64_t raw = n->slots[i].load(std::memory_order_acquire);
    if (raw == 0) continue;
    LAddr la = prefix | (LAddr(i) << (kPageShift + 9 * level));
    if (level == 0) {
      out.emplace_back(la, decode(raw));
      continue;
    }
    // Bit 47 set means the upper canonical half: sign-extend.
    if (level == kLevels - 1 && (la >> 47) != 0) la |= 0xFFFF'0000'0000'0000ull;
    collect(reinterpret_cast<const Node*>(raw), level - 1, la, out);
  }
}

}  // namespace sgxref::hw

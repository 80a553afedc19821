// range_index.cpp - B+-tree with optimistic lock coupling (see range_index.h
// for the node layout, the version protocol and the thread-safety rules).
//
// Every operation is a loop of attempts; an attempt returns Outcome::kRestart
// when a version check fails, and nothing an attempt did before that is
// visible (writers change nodes only under locks taken by upgrade, after
// which nothing can fail except allocation, which comes before any change).
#include "memopt/range_index.h"

#include <cstring>
#include <new>

#include <sched.h>

#include "memopt/arena.h"
#include "memopt/engine.h"

namespace memopt {

using range_index_detail::Bound;
using range_index_detail::KeySlotCopy;
using range_index_detail::Node;

namespace range_index_detail {

constexpr uint64_t kObsoleteBit = 1;
constexpr uint64_t kLockedBit = 2;
constexpr int kMaxHeight = 32;
// The arena puts a 24-byte header before each block; asking for this much
// makes a node fill exactly one kNodeBlockBytes size class.
constexpr size_t kNodeBytes = RangeIndex::kNodeBlockBytes - 24;

// One entry (leaf) or separator (inner) apart from its prefix: the key's
// words, the row and the key's length share 32 bytes, so reading the entry a
// bisection ends on touches one or two cache lines.
struct Slot {
  std::atomic<uint64_t> word[2];
  std::atomic<uint64_t> row;
  std::atomic<uint64_t> size;
};

struct Node {
  std::atomic<uint64_t> version;
  std::atomic<uint32_t> count;  // entries (leaf) or separators (inner)
  uint32_t level;               // 0 for leaves; fixed before publication
};

constexpr size_t kEntryBytes = sizeof(uint64_t) + sizeof(Slot);  // prefix + slot
constexpr int kLeafCapacity = static_cast<int>((kNodeBytes - sizeof(Node)) / kEntryBytes);
constexpr int kInnerCapacity =
    static_cast<int>((kNodeBytes - sizeof(Node) - sizeof(void *)) / (kEntryBytes + sizeof(void *)));

// Prefixes come first, densely: a bisection reads only them (8 bytes an
// entry), then the slot it ends on.
struct Leaf : Node {
  std::atomic<uint64_t> prefixes[kLeafCapacity];
  Slot slots[kLeafCapacity];
};

struct Inner : Node {
  std::atomic<uint64_t> prefixes[kInnerCapacity];
  Slot slots[kInnerCapacity];
  std::atomic<Node *> children[kInnerCapacity + 1];
};

static_assert(sizeof(Leaf) <= kNodeBytes && sizeof(Inner) <= kNodeBytes, "node too large");
static_assert(kInnerCapacity >= 4 && kLeafCapacity >= 4, "node too small");

KeyRef KeySlotCopy::Ref() const {
  if (size <= RangeIndex::kInlineKeyBytes) return KeyRef{words, static_cast<uint32_t>(size)};
  return KeyRef{reinterpret_cast<const void *>(words[0]), static_cast<uint32_t>(size)};
}

}  // namespace range_index_detail

namespace {

using range_index_detail::Inner;
using range_index_detail::kInnerCapacity;
using range_index_detail::kLeafCapacity;
using range_index_detail::kLockedBit;
using range_index_detail::kMaxHeight;
using range_index_detail::kObsoleteBit;
using range_index_detail::Leaf;
using range_index_detail::Slot;

constexpr uint64_t kMaxRow = ~uint64_t{0};

// --- Version words -------------------------------------------------------

void Pause(int spins) {
  if (spins < 64) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  } else {
    sched_yield();  // the lock holder may have been preempted
  }
}

// Waits while `word` is locked; false if the node is obsolete.
bool ReadVersion(const std::atomic<uint64_t> &word, uint64_t *version) {
  for (int spins = 0;; ++spins) {
    uint64_t value = word.load(std::memory_order_acquire);
    if (value & kObsoleteBit) return false;
    if (!(value & kLockedBit)) {
      *version = value;
      return true;
    }
    Pause(spins);
  }
}

// Fields are loaded with acquire and stored with release, so a load that saw
// a writer's store also sees its lock: this re-check then fails.
bool Validate(const std::atomic<uint64_t> &word, uint64_t version) {
  return word.load(std::memory_order_acquire) == version;
}

bool Upgrade(std::atomic<uint64_t> &word, uint64_t version) {
  return word.compare_exchange_strong(version, version | kLockedBit, std::memory_order_acquire,
                                      std::memory_order_relaxed);
}

// Only the holder writes a locked word (every other writer's CAS expects an
// unlocked one), so unlocking is a plain store, not an atomic add.
void Unlock(std::atomic<uint64_t> &word) {
  word.store(word.load(std::memory_order_relaxed) + kLockedBit, std::memory_order_release);
}

void UnlockObsolete(std::atomic<uint64_t> &word) {
  word.store(word.load(std::memory_order_relaxed) + (kLockedBit | kObsoleteBit),
             std::memory_order_release);
}

// --- Node fields -----------------------------------------------------------

bool IsLeaf(const Node *node) { return node->level == 0; }
Inner *AsInner(Node *node) { return static_cast<Inner *>(node); }
const Inner *AsInner(const Node *node) { return static_cast<const Inner *>(node); }

int Capacity(const Node *node) { return IsLeaf(node) ? kLeafCapacity : kInnerCapacity; }

// The node's two arrays (leaves and inner nodes place them differently).
struct Arrays {
  std::atomic<uint64_t> *prefixes;
  Slot *slots;
};

Arrays ArraysOf(const Node *node) {
  Node *mutable_node = const_cast<Node *>(node);
  if (IsLeaf(node)) {
    Leaf *leaf = static_cast<Leaf *>(mutable_node);
    return Arrays{leaf->prefixes, leaf->slots};
  }
  Inner *inner = AsInner(mutable_node);
  return Arrays{inner->prefixes, inner->slots};
}

const std::atomic<uint64_t> *Prefixes(const Node *node) { return ArraysOf(node).prefixes; }

// The count, clamped so that a value read mid-change never indexes past the
// arrays (the version check rejects what was read with it anyway).
int Count(const Node *node) {
  int count = static_cast<int>(node->count.load(std::memory_order_acquire));
  return count < Capacity(node) ? count : Capacity(node);
}

void SetCount(Node *node, int count) {
  node->count.store(static_cast<uint32_t>(count), std::memory_order_release);
}

KeySlotCopy LoadKey(const Arrays &arrays, int index) {
  const Slot &slot = arrays.slots[index];
  KeySlotCopy copy;
  copy.words[0] = slot.word[0].load(std::memory_order_acquire);
  copy.words[1] = slot.word[1].load(std::memory_order_acquire);
  copy.size = slot.size.load(std::memory_order_acquire);
  copy.prefix = arrays.prefixes[index].load(std::memory_order_acquire);
  return copy;
}

KeySlotCopy LoadKey(const Node *node, int index) { return LoadKey(ArraysOf(node), index); }

uint64_t LoadRow(const Arrays &arrays, int index) {
  return arrays.slots[index].row.load(std::memory_order_acquire);
}

Bound EntryAt(const Node *node, int index) {
  Arrays arrays = ArraysOf(node);
  return Bound{LoadKey(arrays, index), LoadRow(arrays, index), 0};
}

void StoreEntry(Node *node, int index, const KeySlotCopy &key, uint64_t row) {
  Arrays arrays = ArraysOf(node);
  Slot &slot = arrays.slots[index];
  slot.word[0].store(key.words[0], std::memory_order_release);
  slot.word[1].store(key.words[1], std::memory_order_release);
  slot.row.store(row, std::memory_order_release);
  slot.size.store(key.size, std::memory_order_release);
  arrays.prefixes[index].store(key.prefix, std::memory_order_release);
}

void MoveEntry(Node *node, int from, int to) {
  Bound entry = EntryAt(node, from);
  StoreEntry(node, to, entry.key, entry.row);
}

Node *ChildAt(const Node *node, int index) {
  return AsInner(node)->children[index].load(std::memory_order_acquire);
}

void SetChild(Node *node, int index, Node *child) {
  AsInner(node)->children[index].store(child, std::memory_order_release);
}

bool IsOutOfLine(const KeySlotCopy &key) { return key.size > RangeIndex::kInlineKeyBytes; }

// A key the caller passes in, for comparisons only (long keys are borrowed),
// with its prefix when the comparator gives prefixes.
KeySlotCopy BorrowKey(KeyRef key, const KeyComparator &cmp) {
  KeySlotCopy copy{{0, 0}, key.size, 0};
  if (IsOutOfLine(copy))
    copy.words[0] = reinterpret_cast<uint64_t>(key.data);
  else if (key.size > 0)
    std::memcpy(copy.words, key.data, key.size);
  if (cmp.prefix != nullptr) copy.prefix = cmp.prefix(cmp.context, key);
  return copy;
}

// An entry's key against `bound`'s key: <0, 0, >0 (rows not compared).
int CompareKeyToBound(const KeySlotCopy &key, const Bound &bound, const KeyComparator &cmp,
                      bool *failed) {
  if (bound.infinity != 0) return -bound.infinity;
  return cmp.compare(cmp.context, key.Ref(), bound.key.Ref(), failed);
}

int CompareRows(uint64_t row, uint64_t other) { return row < other ? -1 : row > other ? 1 : 0; }

}  // namespace

namespace range_index_detail {
enum class Outcome : int { kDone, kRestart, kComparatorFailed, kOutOfMemory, kExists, kNotFound };
}  // namespace range_index_detail

struct RangeIndex::Path {
  struct Step {
    Node *node;
    uint64_t version;
    int child;        // index followed from this node (inner nodes)
    bool last_child;  // child was the node's last one
  };
  uint64_t root_version;
  // steps[depth] is the last node reached. 0 until Descend sets it: a
  // Descend that restarts before its first step leaves it so, and callers
  // take a reference to steps[depth] before they look at the outcome.
  int depth = 0;
  Step steps[kMaxHeight];

  // Whether the leaf reached has no leaf before (after) it: the path took
  // the first (last) child at every level. A leaf's range only shrinks when
  // its own version changes, so this holds while that version does.
  bool FirstLeaf() const {
    for (int level = 0; level < depth; ++level)
      if (steps[level].child != 0) return false;
    return true;
  }
  bool LastLeaf() const {
    for (int level = 0; level < depth; ++level)
      if (!steps[level].last_child) return false;
    return true;
  }
};

namespace {

using range_index_detail::Outcome;

// Entry `i` against `bound` (<0, 0, >0) into *result, keys first; *same_key
// when the keys are equal.
Outcome CompareEntry(const Node *node, uint64_t version, int i, const Bound &bound,
                     const KeyComparator &cmp, int *result, bool *same_key) {
  Arrays arrays = ArraysOf(node);
  KeySlotCopy key = LoadKey(arrays, i);
  if (!Validate(node->version, version)) return Outcome::kRestart;
  bool failed = false;
  *result = CompareKeyToBound(key, bound, cmp, &failed);
  if (failed) return Outcome::kComparatorFailed;
  *same_key = *result == 0;
  if (*result == 0) {  // rows matter only between equal keys
    uint64_t row = LoadRow(arrays, i);
    if (!Validate(node->version, version)) return Outcome::kRestart;
    *result = CompareRows(row, bound.row);
  }
  return Outcome::kDone;
}

// Whether the entries on either side of a bisection's answer have the key
// of the bound: -1 not compared (there is none in the node), 0 no, 1 yes.
// A bisection compares both neighbours of its answer on the way (that is
// how low and high came to rest there), so this costs no comparison.
struct Beside {
  int below = -1;
  int above = -1;
};

// The first index in [low, high) whose prefix fails `before` (which holds
// for a leading part of the range), or high.
template <typename Before>
int PrefixBound(const std::atomic<uint64_t> *prefixes, int low, int high, Before before) {
  while (low < high) {
    int middle = (low + high) / 2;
    if (before(prefixes[middle].load(std::memory_order_acquire)))
      low = middle + 1;
    else
      high = middle;
  }
  return low;
}

// First index whose entry is > bound (strict) or >= bound; *exact when an
// entry equals it. Every key is validated before the comparator sees it.
// With a prefix function the comparator sees only keys whose prefix equals
// the bound's. `edge` (-1 first, +1 last) names an entry to try before
// bisecting: its prefix, or the entry itself when there are no prefixes.
Outcome Bisect(const Node *node, uint64_t version, const Bound &bound, const KeyComparator &cmp,
               bool strict, int *index, int *count, bool *exact, int edge = 0,
               Beside *beside = nullptr) {
  int low = 0;
  int high = Count(node);
  *count = high;
  *exact = false;
  Beside seen;
  auto narrow = [&](int probe) {
    int result;
    bool same_key = false;
    Outcome outcome = CompareEntry(node, version, probe, bound, cmp, &result, &same_key);
    if (outcome != Outcome::kDone) return outcome;
    if (result == 0) *exact = true;
    if (result < 0 || (result == 0 && strict)) {  // the answer is after `probe`
      low = probe + 1;
      seen.below = same_key;
    } else {
      high = probe;
      seen.above = same_key;
    }
    return Outcome::kDone;
  };
  if (cmp.prefix != nullptr && bound.infinity == 0) {
    // Entries whose prefix is below (above) the bound's have smaller
    // (larger) keys: only the run of equal prefixes needs the comparator.
    // Prefixes read torn make the final validation fail.
    const std::atomic<uint64_t> *prefixes = Prefixes(node);
    uint64_t prefix = bound.key.prefix;
    auto prefix_at = [prefixes](int i) { return prefixes[i].load(std::memory_order_acquire); };
    if (edge > 0 && high > 0 && prefix_at(high - 1) < prefix) {
      low = high;  // an ascending run goes past the last entry
    } else if (edge < 0 && high > 0 && prefix < prefix_at(0)) {
      high = 0;  // a descending run goes before the first
    } else {
      // Ask for all their cache lines at once (about 13 when full): the
      // misses then overlap instead of coming one per probe (measured: a
      // quarter off a random lookup in a 1M-entry index).
      for (int line = 0; line < high; line += 8) __builtin_prefetch(prefixes + line);
      high = PrefixBound(prefixes, low, high, [prefix](uint64_t p) { return p <= prefix; });
      low = PrefixBound(prefixes, low, high, [prefix](uint64_t p) { return p < prefix; });
    }
    if (low > 0) seen.below = 0;
    if (high < *count) seen.above = 0;
  } else if (edge != 0 && high > 0) {
    Outcome outcome = narrow(edge < 0 ? 0 : high - 1);
    if (outcome != Outcome::kDone) return outcome;
  }
  while (low < high) {
    Outcome outcome = narrow((low + high) / 2);
    if (outcome != Outcome::kDone) return outcome;
  }
  *index = low;
  if (beside != nullptr) *beside = seen;
  return Validate(node->version, version) ? Outcome::kDone : Outcome::kRestart;
}

// Opens a gap at `index` (entries, and for inner nodes the children right of
// it). Caller holds the lock and knows it fits.
void ShiftRight(Node *node, int index, int count) {
  Arrays arrays = ArraysOf(node);
#if defined(__SANITIZE_THREAD__)
  // The lock holder's own reads need no ordering (relaxed); stores stay
  // release for optimistic readers.
  constexpr auto kOwn = std::memory_order_relaxed;
  constexpr auto kPublish = std::memory_order_release;
  for (int i = count; i > index; --i) {
    arrays.prefixes[i].store(arrays.prefixes[i - 1].load(kOwn), kPublish);
    Slot &to = arrays.slots[i];
    const Slot &from = arrays.slots[i - 1];
    to.word[0].store(from.word[0].load(kOwn), kPublish);
    to.word[1].store(from.word[1].load(kOwn), kPublish);
    to.row.store(from.row.load(kOwn), kPublish);
    to.size.store(from.size.load(kOwn), kPublish);
  }
#else
  // Front inserts (runs of descending keys) shift whole leaves: one memmove
  // per array instead of an atomic load and store per word. Optimistic
  // readers may then see torn words, but they use no key or row before
  // validating the version, which changes at unlock (a release store after
  // these), so they restart. The ThreadSanitizer build keeps the loop,
  // which says the same in the C++ memory model.
  size_t moved = static_cast<size_t>(count - index);
  auto shift = [&](auto *array) {
    std::memmove(static_cast<void *>(array + index + 1), static_cast<const void *>(array + index),
                 moved * sizeof(array[0]));
  };
  shift(arrays.prefixes);
  shift(arrays.slots);
#endif
  // Child pointers move word by word even so: a reader follows a child
  // before it validates the parent, so it must never see a torn pointer.
  if (!IsLeaf(node))
    for (int i = count + 1; i > index + 1; --i) SetChild(node, i, ChildAt(node, i - 1));
}

void InsertEntry(Node *leaf, int index, const KeySlotCopy &key, uint64_t row) {
  int count = Count(leaf);
  ShiftRight(leaf, index, count);
  StoreEntry(leaf, index, key, row);
  SetCount(leaf, count + 1);
}

// Separator `index` with `right` as the child after it (the node that split
// off child `index`).
void InsertSeparator(Node *inner, int index, const Bound &separator, Node *right) {
  int count = Count(inner);
  ShiftRight(inner, index, count);
  StoreEntry(inner, index, separator.key, separator.row);
  SetChild(inner, index + 1, right);
  SetCount(inner, count + 1);
}

void RemoveEntry(Node *leaf, int index) {
  int count = Count(leaf);
  for (int i = index; i + 1 < count; ++i) MoveEntry(leaf, i + 1, i);
  SetCount(leaf, count - 1);
}

// Removes child `child` and a separator next to it (the one on its left, or
// for child 0 the one on its right), so a neighbour takes over its range.
// Returns the removed separator's key, for retirement.
KeySlotCopy RemoveChild(Node *inner, int child) {
  int count = Count(inner);
  int separator = child > 0 ? child - 1 : 0;
  KeySlotCopy removed = LoadKey(inner, separator);
  for (int i = separator; i + 1 < count; ++i) MoveEntry(inner, i + 1, i);
  for (int i = child; i < count; ++i) SetChild(inner, i, ChildAt(inner, i + 1));
  SetChild(inner, count, nullptr);  // never leave a stale child behind
  SetCount(inner, count - 1);
  return removed;
}

}  // namespace

// --- Allocation --------------------------------------------------------------

void *RangeIndex::Allocate(size_t bytes) {
  Arena *arena = engine_->arena();
  void *memory = arena->Allocate(bytes, MemoryKind::kIndex);
  if (memory == nullptr && engine_->ReclaimMemory() > 0)
    memory = arena->Allocate(bytes, MemoryKind::kIndex);
  if (memory != nullptr)
    bytes_.fetch_add(static_cast<int64_t>(Arena::BlockBytes(memory)), std::memory_order_relaxed);
  return memory;
}

Node *RangeIndex::NewNode(int level) {
  size_t bytes = level == 0 ? sizeof(Leaf) : sizeof(Inner);
  void *memory = Allocate(bytes);
  if (memory == nullptr) return nullptr;
  // Zeroed: readers may look at slots past the count before validating.
  std::memset(memory, 0, bytes);
  Node *node =
      level == 0 ? static_cast<Node *>(new (memory) Leaf) : static_cast<Node *>(new (memory) Inner);
  node->level = static_cast<uint32_t>(level);
  (level == 0 ? leaves_ : inner_nodes_).fetch_add(1, std::memory_order_relaxed);
  return node;
}

void RangeIndex::RetireNode(Node *node, uint64_t now) {
  (IsLeaf(node) ? leaves_ : inner_nodes_).fetch_sub(1, std::memory_order_relaxed);
  bytes_.fetch_sub(static_cast<int64_t>(Arena::BlockBytes(node)), std::memory_order_relaxed);
  engine_->arena()->Retire(node, now);
}

void RangeIndex::FreeUnpublishedNode(Node *node) {
  (IsLeaf(node) ? leaves_ : inner_nodes_).fetch_sub(1, std::memory_order_relaxed);
  bytes_.fetch_sub(static_cast<int64_t>(Arena::BlockBytes(node)), std::memory_order_relaxed);
  engine_->arena()->Free(node);
}

void RangeIndex::FreeUnpublishedKey(const KeySlotCopy &key) {
  if (!IsOutOfLine(key)) return;
  void *block = reinterpret_cast<void *>(key.words[0]);
  bytes_.fetch_sub(static_cast<int64_t>(Arena::BlockBytes(block)), std::memory_order_relaxed);
  engine_->arena()->Free(block);
}

void RangeIndex::RetireKey(const KeySlotCopy &key, uint64_t now) {
  if (!IsOutOfLine(key)) return;
  void *block = reinterpret_cast<void *>(key.words[0]);
  bytes_.fetch_sub(static_cast<int64_t>(Arena::BlockBytes(block)), std::memory_order_relaxed);
  engine_->arena()->Retire(block, now);
}

namespace {

// Makes a borrowed key (BorrowKey) the index's own: a long key's bytes move
// into a new block. False when out of memory.
template <typename AllocateFn>
bool OwnKey(AllocateFn allocate, KeySlotCopy *slot) {
  if (!IsOutOfLine(*slot)) return true;
  void *block = allocate(slot->size);
  if (block == nullptr) return false;
  std::memcpy(block, reinterpret_cast<const void *>(slot->words[0]), slot->size);
  slot->words[0] = reinterpret_cast<uint64_t>(block);
  return true;
}

}  // namespace

// --- Creation and destruction -------------------------------------------------

Status RangeIndex::Create(Engine *engine, RangeIndex **index) {
  *index = nullptr;
  void *memory = engine->arena()->Allocate(sizeof(RangeIndex), MemoryKind::kIndex);
  if (memory == nullptr) return Status::kOutOfMemory;
  RangeIndex *created = new (memory) RangeIndex();
  created->engine_ = engine;
  Node *root = created->NewNode(0);
  if (root == nullptr) {
    engine->arena()->Free(memory);
    return Status::kOutOfMemory;
  }
  created->root_.store(root, std::memory_order_release);
  *index = created;
  return Status::kOk;
}

void RangeIndex::DestroySubtree(Node *node, uint64_t now) {
  int count = Count(node);
  for (int i = 0; i < count; ++i) RetireKey(LoadKey(node, i), now);
  if (!IsLeaf(node))
    for (int i = 0; i <= count; ++i) DestroySubtree(ChildAt(node, i), now);
  RetireNode(node, now);
}

void RangeIndex::Destroy(Engine *engine) {
  // Retired rather than freed: a reader of an earlier transaction may still
  // be finishing a walk.
  uint64_t now = engine->Now();
  DestroySubtree(root_.load(std::memory_order_acquire), now);
  engine->arena()->Retire(this, now);
}

// --- Descent -------------------------------------------------------------------

// Walks from the root to the leaf whose range holds `target` (with
// `just_below`: the leaf that holds the entries just below it, so that a
// backward search from a leaf's lower fence moves to the previous leaf),
// recording the path. With `stop_at_full`, stops at the first full node
// (*full = true).
Outcome RangeIndex::Descend(const Bound &target, const KeyComparator &cmp, bool just_below,
                            bool stop_at_full, Path *path, bool *full, int edge) const {
  if (full != nullptr) *full = false;
  if (!ReadVersion(root_version_, &path->root_version)) return Outcome::kRestart;
  Node *node = root_.load(std::memory_order_acquire);
  uint64_t version;
  if (!ReadVersion(node->version, &version)) return Outcome::kRestart;
  if (!Validate(root_version_, path->root_version)) return Outcome::kRestart;
  for (path->depth = 0;; ++path->depth) {
    Path::Step &step = path->steps[path->depth];
    step = Path::Step{node, version, -1, false};
    if (stop_at_full && Count(node) >= Capacity(node)) {
      *full = true;
      return Outcome::kDone;
    }
    if (IsLeaf(node)) return Outcome::kDone;
    if (path->depth + 1 >= kMaxHeight) return Outcome::kRestart;  // torn level; cannot last
    // Child i holds [sep[i-1], sep[i]): take the number of separators <=
    // target (or < target, for just_below).
    int child, count;
    bool exact;
    Outcome outcome = Bisect(node, version, target, cmp, !just_below, &child, &count, &exact, edge);
    if (outcome != Outcome::kDone) return outcome;
    Node *next = ChildAt(node, child);
    uint64_t next_version;
    if (next == nullptr || !ReadVersion(next->version, &next_version)) return Outcome::kRestart;
    if (!Validate(node->version, version)) return Outcome::kRestart;
    step.child = child;
    step.last_child = child == count;
    node = next;
    version = next_version;
  }
}

// The separator bounding the path's leaf from above (`upper`) or below: the
// nearest one beside the path, or +inf / -inf. Read only when a scan needs
// it; the node's version, unchanged since the descent, vouches for it.
Outcome RangeIndex::Fence(const Path &path, bool upper, Bound *fence) {
  for (int level = path.depth - 1; level >= 0; --level) {
    const Path::Step &step = path.steps[level];
    int index = upper ? step.child : step.child - 1;
    int count = Count(step.node);
    Bound separator{};
    if (index >= 0 && index < count) separator = EntryAt(step.node, index);
    if (!Validate(step.node->version, step.version)) return Outcome::kRestart;
    if (index >= 0 && index < count) {
      *fence = separator;
      return Outcome::kDone;
    }
  }
  *fence = Bound{KeySlotCopy{}, 0, upper ? +1 : -1};
  return Outcome::kDone;
}

// --- Insert ----------------------------------------------------------------------

// Moves the upper half of locked `node` into a new right sibling; *separator
// is the first entry of the right half (leaf; with its own copy of a long
// key) or the middle separator, which moves up (inner). Allocates before it
// changes anything, so kOutOfMemory leaves `node` as it was.
// `run` (+1 / -1) says a run of ascending (descending) inserts is filling
// this leaf at the index's last (first) edge: the leaf then keeps all but a
// tenth (only a tenth), as nbtree splits its rightmost page, so a run
// leaves leaves 90% full behind it instead of half full.
Outcome RangeIndex::SplitLocked(Node *node, Node **right, Bound *separator, int run) {
  int count = Count(node);
  int middle = count / 2;
  if (IsLeaf(node) && run != 0) middle = run > 0 ? count - count / 10 : count / 10;
  Node *sibling = NewNode(static_cast<int>(node->level));
  if (sibling == nullptr) return Outcome::kOutOfMemory;
  *separator = EntryAt(node, middle);
  if (IsLeaf(node)) {
    // The entry may be removed later while the separator stays: own the key.
    if (IsOutOfLine(separator->key) &&
        !OwnKey([this](size_t bytes) { return Allocate(bytes); }, &separator->key)) {
      FreeUnpublishedNode(sibling);
      return Outcome::kOutOfMemory;
    }
    for (int i = middle; i < count; ++i) {
      Bound entry = EntryAt(node, i);
      StoreEntry(sibling, i - middle, entry.key, entry.row);
    }
    SetCount(sibling, count - middle);
  } else {
    for (int i = middle + 1; i < count; ++i) {
      Bound entry = EntryAt(node, i);
      StoreEntry(sibling, i - middle - 1, entry.key, entry.row);
    }
    for (int i = middle + 1; i <= count; ++i) {
      SetChild(sibling, i - middle - 1, ChildAt(node, i));
      SetChild(node, i, nullptr);
    }
    SetCount(sibling, count - middle - 1);
  }
  SetCount(node, middle);
  *right = sibling;
  return Outcome::kDone;
}

Outcome RangeIndex::SplitChild(Node *parent, uint64_t parent_version, int child_index, Node *node,
                               uint64_t version, int run) {
  if (!Upgrade(parent->version, parent_version)) return Outcome::kRestart;
  if (!Upgrade(node->version, version)) {
    Unlock(parent->version);
    return Outcome::kRestart;
  }
  Node *right = nullptr;
  Bound separator;
  Outcome outcome = SplitLocked(node, &right, &separator, run);
  if (outcome == Outcome::kDone) InsertSeparator(parent, child_index, separator, right);
  Unlock(node->version);
  Unlock(parent->version);
  return outcome == Outcome::kDone ? Outcome::kRestart : outcome;
}

Outcome RangeIndex::SplitRoot(uint64_t root_version, Node *node, uint64_t version, int run) {
  if (!Upgrade(root_version_, root_version)) return Outcome::kRestart;
  if (!Upgrade(node->version, version)) {
    Unlock(root_version_);
    return Outcome::kRestart;
  }
  Node *root = NewNode(static_cast<int>(node->level) + 1);
  Node *right = nullptr;
  Bound separator;
  Outcome outcome =
      root == nullptr ? Outcome::kOutOfMemory : SplitLocked(node, &right, &separator, run);
  if (outcome == Outcome::kDone) {
    StoreEntry(root, 0, separator.key, separator.row);
    SetChild(root, 0, node);
    SetChild(root, 1, right);
    SetCount(root, 1);
    root_.store(root, std::memory_order_release);
  } else if (root != nullptr) {
    FreeUnpublishedNode(root);
  }
  Unlock(node->version);
  Unlock(root_version_);
  return outcome == Outcome::kDone ? Outcome::kRestart : outcome;
}

Outcome RangeIndex::TryInsert(const Bound &target, const KeySlotCopy &slot,
                              const KeyComparator &cmp, EqualKeys *equal_keys) {
  Path path;
  bool full;
  int edge = insert_edge_.load(std::memory_order_relaxed);
  Outcome outcome = Descend(target, cmp, false, /*stop_at_full=*/true, &path, &full, edge);
  if (outcome != Outcome::kDone) return outcome;
  Path::Step &step = path.steps[path.depth];
  if (full) {
    int run = edge > 0 && path.LastLeaf() ? 1 : edge < 0 && path.FirstLeaf() ? -1 : 0;
    if (path.depth == 0) return SplitRoot(path.root_version, step.node, step.version, run);
    Path::Step &parent = path.steps[path.depth - 1];
    return SplitChild(parent.node, parent.version, parent.child, step.node, step.version, run);
  }
  int index, count;
  bool exact;
  Beside beside;
  outcome = Bisect(step.node, step.version, target, cmp, /*strict=*/false, &index, &count, &exact,
                   edge, &beside);
  if (outcome != Outcome::kDone) return outcome;
  if (exact) return Outcome::kExists;
  if (!Upgrade(step.node->version, step.version)) return Outcome::kRestart;
  InsertEntry(step.node, index, slot, target.row);
  Unlock(step.node->version);
  // Equal keys are adjacent in (key, row) order: beside the new entry in
  // this leaf, or across its edge in the leaf before or after.
  if (beside.below == 1 || beside.above == 1)
    *equal_keys = EqualKeys::kSome;
  else if ((beside.below == 0 || path.FirstLeaf()) && (beside.above == 0 || path.LastLeaf()))
    *equal_keys = EqualKeys::kNone;
  else
    *equal_keys = EqualKeys::kUnknown;
  int landed = index == 0 ? -1 : index == count ? 1 : 0;
  if (landed != edge) insert_edge_.store(landed, std::memory_order_relaxed);
  entries_.fetch_add(1, std::memory_order_relaxed);
  return Outcome::kDone;
}

Status RangeIndex::Insert(KeyRef key, Row *row, const KeyComparator &cmp, bool *comparator_failed,
                          EqualKeys *equal_keys) {
  *comparator_failed = false;
  EqualKeys seen = EqualKeys::kUnknown;
  KeySlotCopy slot = BorrowKey(key, cmp);
  if (!OwnKey([this](size_t bytes) { return Allocate(bytes); }, &slot)) return Status::kOutOfMemory;
  Bound target{slot, reinterpret_cast<uint64_t>(row), 0};
  Outcome outcome;
  do {
    outcome = TryInsert(target, slot, cmp, &seen);
  } while (outcome == Outcome::kRestart);
  if (equal_keys != nullptr) *equal_keys = outcome == Outcome::kDone ? seen : EqualKeys::kUnknown;
  if (outcome == Outcome::kDone) return Status::kOk;
  FreeUnpublishedKey(slot);
  if (outcome == Outcome::kComparatorFailed) *comparator_failed = true;
  return outcome == Outcome::kOutOfMemory ? Status::kOutOfMemory : Status::kOk;
}

// --- Remove ------------------------------------------------------------------------

Outcome RangeIndex::TryRemove(const Bound &target, const KeyComparator &cmp, bool *leaf_emptied) {
  Path path;
  Outcome outcome = Descend(target, cmp, false, false, &path, nullptr);
  if (outcome != Outcome::kDone) return outcome;
  Path::Step &step = path.steps[path.depth];
  int index, count;
  bool exact;
  outcome = Bisect(step.node, step.version, target, cmp, /*strict=*/false, &index, &count, &exact);
  if (outcome != Outcome::kDone) return outcome;
  if (!exact) return Outcome::kNotFound;
  if (!Upgrade(step.node->version, step.version)) return Outcome::kRestart;
  KeySlotCopy removed = LoadKey(step.node, index);
  RemoveEntry(step.node, index);
  *leaf_emptied = count == 1 && path.depth > 0;
  Unlock(step.node->version);
  entries_.fetch_sub(1, std::memory_order_relaxed);
  RetireKey(removed, engine_->Now());  // the clock is read after the unlink
  return Outcome::kDone;
}

// Unlinks the empty leaf on `target`'s path, with every single-child inner
// node above it, from the nearest ancestor that has another child.
Outcome RangeIndex::TryPruneEmptyLeaf(const Bound &target, const KeyComparator &cmp) {
  Path path;
  Outcome outcome = Descend(target, cmp, false, false, &path, nullptr);
  if (outcome != Outcome::kDone) return outcome;
  int leaf = path.depth;
  if (leaf == 0 || Count(path.steps[leaf].node) != 0) return Outcome::kDone;
  int keeper = leaf - 1;
  while (keeper >= 0 && Count(path.steps[keeper].node) == 0) --keeper;
  if (keeper < 0) return Outcome::kDone;  // a single chain: TryCollapseRoot shortens it
  // Top-down, by upgrade only: a version that moved means the counts read
  // above may be stale, so start again.
  for (int level = keeper; level <= leaf; ++level) {
    if (Upgrade(path.steps[level].node->version, path.steps[level].version)) continue;
    for (int locked = keeper; locked < level; ++locked) Unlock(path.steps[locked].node->version);
    return Outcome::kRestart;
  }
  KeySlotCopy separator = RemoveChild(path.steps[keeper].node, path.steps[keeper].child);
  Unlock(path.steps[keeper].node->version);
  for (int level = keeper + 1; level <= leaf; ++level)
    UnlockObsolete(path.steps[level].node->version);
  uint64_t now = engine_->Now();  // after the unlink
  RetireKey(separator, now);
  for (int level = keeper + 1; level <= leaf; ++level) RetireNode(path.steps[level].node, now);
  return Outcome::kDone;
}

// Replaces an inner root that has a single child by that child.
Outcome RangeIndex::TryCollapseRoot() {
  uint64_t root_version, version;
  if (!ReadVersion(root_version_, &root_version)) return Outcome::kRestart;
  Node *root = root_.load(std::memory_order_acquire);
  if (!ReadVersion(root->version, &version)) return Outcome::kRestart;
  if (!Validate(root_version_, root_version)) return Outcome::kRestart;
  if (IsLeaf(root) || Count(root) != 0) return Outcome::kDone;
  if (!Upgrade(root_version_, root_version)) return Outcome::kRestart;
  if (!Upgrade(root->version, version)) {
    Unlock(root_version_);
    return Outcome::kRestart;
  }
  root_.store(ChildAt(root, 0), std::memory_order_release);
  UnlockObsolete(root->version);
  Unlock(root_version_);
  RetireNode(root, engine_->Now());
  return Outcome::kRestart;  // the new root may have a single child too
}

Status RangeIndex::Remove(KeyRef key, Row *row, const KeyComparator &cmp, bool *comparator_failed) {
  *comparator_failed = false;
  Bound target{BorrowKey(key, cmp), reinterpret_cast<uint64_t>(row), 0};
  bool leaf_emptied = false;
  Outcome outcome;
  do {
    outcome = TryRemove(target, cmp, &leaf_emptied);
  } while (outcome == Outcome::kRestart);
  if (outcome == Outcome::kComparatorFailed) *comparator_failed = true;
  if (outcome != Outcome::kDone)
    return outcome == Outcome::kNotFound ? Status::kNotFound : Status::kOk;
  if (leaf_emptied) {
    // Tidying only: if the comparator fails here the empty leaf stays, which
    // scans step over.
    do {
      outcome = TryPruneEmptyLeaf(target, cmp);
    } while (outcome == Outcome::kRestart);
    while (TryCollapseRoot() == Outcome::kRestart) {
    }
  }
  return Status::kOk;
}

// --- Stats -------------------------------------------------------------------------

RangeIndexStats RangeIndex::Stats() const {
  RangeIndexStats stats{};
  auto positive = [](int64_t value) { return value > 0 ? static_cast<uint64_t>(value) : 0; };
  stats.entries = positive(entries_.load(std::memory_order_relaxed));
  stats.leaves = positive(leaves_.load(std::memory_order_relaxed));
  stats.inner_nodes = positive(inner_nodes_.load(std::memory_order_relaxed));
  stats.bytes = positive(bytes_.load(std::memory_order_relaxed));
  stats.height = root_.load(std::memory_order_acquire)->level + 1;
  return stats;
}

// --- Iterator ------------------------------------------------------------------------

RangeIndex::Iterator::Iterator(const RangeIndex *index, const KeyComparator &cmp)
    : index_(index), cmp_(cmp) {}

RangeIndex::Iterator RangeIndex::Scan(SeekMode mode, KeyRef key, const KeyComparator &cmp) const {
  Iterator iterator(this, cmp);
  iterator.Seek(mode, key);
  return iterator;
}

bool RangeIndex::Iterator::Seek(SeekMode mode, KeyRef key) {
  comparator_failed_ = false;
  bool unbounded = mode == SeekMode::kFirst || mode == SeekMode::kLast;
  Bound bound{unbounded ? KeySlotCopy{} : BorrowKey(key, cmp_), 0, 0};
  switch (mode) {
    case SeekMode::kFirst:
      bound.infinity = -1;
      return FindForward(bound, false);
    case SeekMode::kLast:
      bound.infinity = +1;
      return FindBackward(bound, false);
    case SeekMode::kGreaterOrEqual:  // >= (key, lowest row)
      return FindForward(bound, false);
    case SeekMode::kGreater:  // > (key, highest row)
      bound.row = kMaxRow;
      return FindForward(bound, true);
    case SeekMode::kLessOrEqual:  // <= (key, highest row)
      bound.row = kMaxRow;
      return FindBackward(bound, false);
    case SeekMode::kLess:  // < (key, lowest row)
      return FindBackward(bound, true);
  }
  valid_ = false;
  return false;
}

// The first entry > `from` (strict) or >= `from`. When the leaf holding
// `from` has none, the next candidates start at its upper fence.
bool RangeIndex::Iterator::FindForward(Bound from, bool strict) {
  valid_ = false;
  for (;;) {
    Path path;
    Outcome outcome = index_->Descend(from, cmp_, false, false, &path, nullptr);
    int index = 0, count = 0;
    bool exact;
    const Path::Step &leaf = path.steps[path.depth];
    if (outcome == Outcome::kDone)
      outcome = Bisect(leaf.node, leaf.version, from, cmp_, strict, &index, &count, &exact);
    if (outcome == Outcome::kDone && index >= count) outcome = Fence(path, /*upper=*/true, &from);
    if (outcome == Outcome::kRestart) continue;
    if (outcome == Outcome::kComparatorFailed) {
      comparator_failed_ = true;
      return false;
    }
    if (index >= count) {
      if (from.infinity > 0) return false;
      strict = false;  // entries >= the fence
      continue;
    }
    Bound entry = EntryAt(leaf.node, index);
    if (!Validate(leaf.node->version, leaf.version)) continue;
    SetCurrent(entry, leaf.node, leaf.version, index);
    return true;
  }
}

// The last entry < `from` (strict) or <= `from`; continues below the leaf's
// lower fence when the leaf has none.
bool RangeIndex::Iterator::FindBackward(Bound from, bool strict) {
  valid_ = false;
  for (;;) {
    Path path;
    Outcome outcome = index_->Descend(from, cmp_, /*just_below=*/strict, false, &path, nullptr);
    int index = 0, count = 0;
    bool exact;
    const Path::Step &leaf = path.steps[path.depth];
    // The first entry not wanted; the one before it is the answer.
    if (outcome == Outcome::kDone)
      outcome = Bisect(leaf.node, leaf.version, from, cmp_, !strict, &index, &count, &exact);
    if (outcome == Outcome::kDone && index == 0) outcome = Fence(path, /*upper=*/false, &from);
    if (outcome == Outcome::kRestart) continue;
    if (outcome == Outcome::kComparatorFailed) {
      comparator_failed_ = true;
      return false;
    }
    if (index == 0) {
      if (from.infinity < 0) return false;
      strict = true;  // entries < the fence
      continue;
    }
    Bound entry = EntryAt(leaf.node, index - 1);
    if (!Validate(leaf.node->version, leaf.version)) continue;
    SetCurrent(entry, leaf.node, leaf.version, index - 1);
    return true;
  }
}

void RangeIndex::Iterator::SetCurrent(const Bound &entry, const Node *leaf, uint64_t version,
                                      int position) {
  current_ = entry;
  leaf_ = leaf;
  leaf_version_ = version;
  position_ = position;
  valid_ = true;
}

// Moves to the neighbouring slot of the leaf if the leaf has not changed
// since the current entry was read there (then it is the next entry).
bool RangeIndex::Iterator::StepInLeaf(int delta) {
  int position = position_ + delta;
  if (!Validate(leaf_->version, leaf_version_)) return false;
  if (position < 0 || position >= Count(leaf_)) return false;
  Bound entry = EntryAt(leaf_, position);
  if (!Validate(leaf_->version, leaf_version_)) return false;
  current_ = entry;
  position_ = position;
  return true;
}

bool RangeIndex::Iterator::Next() {
  if (!valid_) return false;
  if (StepInLeaf(+1)) return true;
  return FindForward(current_, true);
}

bool RangeIndex::Iterator::Prev() {
  if (!valid_) return false;
  if (StepInLeaf(-1)) return true;
  return FindBackward(current_, true);
}

}  // namespace memopt

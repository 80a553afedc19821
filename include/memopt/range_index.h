// range_index.h - a concurrent ordered index: a B+-tree with optimistic lock
// coupling (Leis et al., "The ART of practical synchronization", DaMoN 2016).
// It is the structure behind the `memopt_range` index access method.
//
// Entries are (key, row) pairs ordered by key (a caller-supplied comparator
// over opaque byte strings), then by the Row's address, so a key may have any
// number of rows and each (key, row) pair is unique. Every separator in an
// inner node is a whole (key, row) pair too, so the duplicates of one key can
// span many leaves and still be found exactly.
//
// Node layout (one arena block of kNodeBlockBytes, MemoryKind::kIndex):
//   NodeHeader { version word, count, level (0 = leaf) }
//   prefix[capacity]    the comparator's 64-bit prefix of each key (0 when
//                       it has no prefix function)
//   Slot[capacity]      { word[2], row, size }: a key of up to
//                       kInlineKeyBytes bytes sits in word[0..1]; a longer
//                       one is copied into its own arena block (just the
//                       bytes; MemoryKind::kIndex) and word[0] points to it.
//                       Such a block is immutable from publication until it
//                       is retired. The caller's bytes are never kept. `row`
//                       is the Row* of the entry (leaf) or separator (inner).
//   child[capacity + 1] inner nodes only: child i holds the entries e with
//                       sep[i-1] <= e < sep[i].
// With 4 KB blocks a leaf holds 101 entries and an inner node 84 separators
// (4 KB measured best for scans, within noise of 1-2 KB for lookups). A
// bisection reads the dense prefix array (prefetched whole: its misses
// overlap), then the one slot it ends on; without prefixes it reads slots.
//
// Prefixes (PostgreSQL's abbreviated keys, kept in the index): a comparator
// may say how to map each key to an unsigned 64-bit number that orders as
// the keys do, ties allowed. Every node stores its keys' prefixes, and a
// search bisects those with plain integer compares, calling the comparator
// only on the run whose prefix equals the one sought: for a unique integer
// key that is one entry at the leaf and usually none above, against about
// seven calls per level without. Every comparator used on one index must
// have the same prefix function, or none (then the stored prefixes are 0
// and searches ignore them).
//
// A separator is a copy of the first entry of the
// right half at a leaf split, with its own copy of a long key (the entry may
// be removed while the separator stays); an inner split moves its middle
// separator up as it is.
// Every field is a std::atomic, loaded with acquire and stored with release
// (plain moves on x86): a reader that saw a writer's store then also sees the
// writer's lock when it re-checks the version, with no fences, and optimistic
// readers never race in the C++ sense (ThreadSanitizer-clean).
//
// The version word (per node, plus one in the index guarding the root
// pointer): bit 0 = obsolete, bit 1 = locked, the rest counts changes.
//  - Readers take no lock: they read the version (waiting while it is locked,
//    restarting from the root if it is obsolete), read fields, then check the
//    version again; a different version means what they read may be torn, and
//    they restart. Descending, a reader reads the child's version before
//    re-checking the parent's (lock coupling without locks).
//  - A reader copies a slot's key and re-checks the version BEFORE it calls
//    the comparator, so the comparator only ever sees a key that was really
//    in the index (never torn bytes); an out-of-line key block is immutable,
//    so it is passed as it is.
//  - A child pointer is followed (its version read) before the parent is
//    re-checked, so slots are never left holding a stale child: a vacated
//    child slot is set to nullptr. Any pointer read was thus reachable during
//    the reader's transaction, and retirement keeps it readable.
//  - Writers search optimistically too, then upgrade: a CAS from the version
//    they read to version|locked. If it succeeds the node is exactly as they
//    read it, so the position found stays right and no comparator runs while
//    a lock is held. Unlock adds 2 (clears the lock bit, bumps the count);
//    unlinking a node unlocks it with the obsolete bit set.
//  - Insert splits full nodes on the way down (Leis's eager split): it locks
//    the parent (or the root word) and the node, moves the upper half to a new
//    right sibling, and puts the separator into the parent, which cannot be
//    full because it was split first had it been. Then it restarts.
//  - Inserts probe the end of each node where the previous insert landed
//    (insert_edge_) before bisecting, so runs of ascending or descending
//    keys cost one comparison per level. Such a run splits the index's last
//    (first) leaf unevenly, leaving nine tenths behind, as nbtree splits its
//    rightmost page: leaves a run fills end up 90% full, not half.
//  - The bisection that places an insert has compared both neighbours of
//    its place; under the leaf's lock they are still there, so Insert tells
//    for free whether another entry had the same key (a uniqueness check
//    then needs no search).
//  - Remove takes out one entry under the leaf's lock. Nodes are never merged
//    (underfull nodes stay), but a leaf that becomes empty is unlinked from
//    the nearest ancestor with two or more children (locking that ancestor and
//    the chain below it top-down, by upgrade only, releasing all on failure),
//    and an inner root with one child is replaced by that child. So a tree
//    emptied by removals shrinks back to one leaf.
//  - Whatever is unlinked (nodes, key blocks of removed entries and
//    separators) is retired with Arena::Retire(block, Now()) after the unlink,
//    so readers that may still hold it keep it until they end.
//
// Iteration: an Iterator remembers the (key, row) it is on and the leaf,
// version and position where it found it. Next/Prev step within the leaf if
// its version is unchanged; otherwise (or at the leaf's end) they search from
// the root for the first entry > (resp. last entry <) the remembered pair.
// When a leaf has no such entry, the search continues from the leaf's fence:
// the nearest separator beside the path it came down, read then (and checked
// against that node's version from the descent). A backward search from a
// lower fence descends to the child just below it. A leaf's range only
// shrinks when its own version changes (it splits); unlinking a neighbour
// only widens it; so no entry is skipped, and empty leaves are stepped over. Hence a
// scan yields entries in strict (key, row) order, each at most once, and every
// entry present for the whole scan exactly once, across any concurrent
// inserts, removes, splits and unlinks.
//
// Thread safety: Insert, Remove, Stats and iterators may be used concurrently
// from any threads or processes. Every call (writers too: they read nodes
// optimistically) must run inside a transaction that has called
// Transaction::Begin, which keeps retired nodes and keys readable. An Iterator
// is used by one thread; the KeyRef from Key() stays valid until the iterator
// moves or the transaction ends. Destroy requires that no one else uses the
// index.
//
// Comparator failures: when the comparator reports failure, the operation
// stops, holds no lock, leaves the index as it was, returns kOk and sets
// *comparator_failed (an Iterator becomes invalid and comparator_failed() is
// true).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "memopt/status.h"

namespace memopt {

class Engine;
struct Row;

struct KeyRef {
  const void *data;
  uint32_t size;
};

// Compares two keys: <0, 0, >0. On failure sets *failed = true and returns 0.
// `prefix`, if set, maps any key to a number such that prefix(a) < prefix(b)
// implies compare(a, b) < 0; it must not fail. See "Prefixes" above.
struct KeyComparator {
  using Compare = int (*)(const void *context, KeyRef a, KeyRef b, bool *failed);
  using Prefix = uint64_t (*)(const void *context, KeyRef key);
  Compare compare;
  const void *context;
  Prefix prefix = nullptr;
};

struct RangeIndexStats {
  uint64_t entries;
  uint64_t leaves;
  uint64_t inner_nodes;
  uint64_t height;  // levels, 1 for a lone leaf
  uint64_t bytes;   // arena bytes of nodes and out-of-line keys (whole blocks)
};

// Where a scan starts.
enum class SeekMode {
  kFirst,           // smallest entry (key ignored)
  kLast,            // largest entry (key ignored)
  kGreaterOrEqual,  // first entry with key >= key
  kGreater,         // first entry with key > key
  kLessOrEqual,     // last entry with key <= key
  kLess,            // last entry with key < key
};

namespace range_index_detail {
struct Node;
enum class Outcome : int;  // of one attempt at an operation
// A copy of one key slot taken under a validated version: inline bytes, or a
// pointer to an immutable KeyBlock.
struct KeySlotCopy {
  uint64_t words[2];
  uint64_t size;
  uint64_t prefix;
  KeyRef Ref() const;
};
// An entry or separator remembered outside the tree, or -inf / +inf. (For
// a caller's long key, words[0] points at the caller's bytes.)
struct Bound {
  KeySlotCopy key;
  uint64_t row;
  int infinity;  // -1: below everything, +1: above everything, 0: (key, row)
};
}  // namespace range_index_detail

class RangeIndex {
 public:
  static constexpr uint32_t kInlineKeyBytes = 16;
  static constexpr size_t kNodeBlockBytes = 4096;  // an arena size class

  // Allocates an empty index in the engine's arena; kOutOfMemory.
  static Status Create(Engine *engine, RangeIndex **index);

  // What an insert saw beside its new entry, compared while it looked for
  // the place and unchanged when the entry went in (the leaf's version
  // vouches): whether another entry had an equal key at that moment. A
  // uniqueness check that needs no other row may stop at kNone; kUnknown
  // (the entry is first or last in its leaf and a neighbour leaf may hold
  // the key, or the pair was present) asks the caller to search.
  enum class EqualKeys { kUnknown, kNone, kSome };

  // Adds (key, row). Adding a pair that is present is a no-op. kOutOfMemory
  // leaves the index valid and without the pair. `equal_keys`, if given,
  // receives what the insert saw beside the entry (kUnknown on failure).
  Status Insert(KeyRef key, Row *row, const KeyComparator &cmp, bool *comparator_failed,
                EqualKeys *equal_keys = nullptr);
  // Removes (key, row); kNotFound if it is not there.
  Status Remove(KeyRef key, Row *row, const KeyComparator &cmp, bool *comparator_failed);

  class Iterator {
   public:
    Iterator(const RangeIndex *index, const KeyComparator &cmp);
    // Positions on the entry `mode` names; returns Valid().
    bool Seek(SeekMode mode, KeyRef key = KeyRef{nullptr, 0});
    // The next larger / smaller entry; returns Valid(). An invalid iterator
    // stays invalid until the next Seek.
    bool Next();
    bool Prev();
    bool Valid() const { return valid_; }
    KeyRef Key() const { return current_.key.Ref(); }
    Row *GetRow() const { return reinterpret_cast<Row *>(current_.row); }
    bool comparator_failed() const { return comparator_failed_; }

   private:
    bool FindForward(range_index_detail::Bound from, bool strict);
    bool FindBackward(range_index_detail::Bound from, bool strict);
    bool StepInLeaf(int delta);
    void SetCurrent(const range_index_detail::Bound &entry, const range_index_detail::Node *leaf,
                    uint64_t version, int position);

    const RangeIndex *index_;
    KeyComparator cmp_;
    bool valid_ = false;
    bool comparator_failed_ = false;
    range_index_detail::Bound current_{};
    const range_index_detail::Node *leaf_ = nullptr;  // where current_ was found
    uint64_t leaf_version_ = 0;
    int position_ = 0;
  };

  // An iterator positioned by Seek(mode, key).
  Iterator Scan(SeekMode mode, KeyRef key, const KeyComparator &cmp) const;

  RangeIndexStats Stats() const;

  // Retires every node, key and the index itself. No concurrent users.
  void Destroy(Engine *engine);

 private:
  friend class Iterator;
  struct Path;
  using Outcome = range_index_detail::Outcome;

  RangeIndex() = default;
  Outcome Descend(const range_index_detail::Bound &target, const KeyComparator &cmp,
                  bool just_below, bool stop_at_full, Path *path, bool *full, int edge = 0) const;
  static Outcome Fence(const Path &path, bool upper, range_index_detail::Bound *fence);
  Outcome TryInsert(const range_index_detail::Bound &target,
                    const range_index_detail::KeySlotCopy &slot, const KeyComparator &cmp,
                    EqualKeys *equal_keys);
  Outcome TryRemove(const range_index_detail::Bound &target, const KeyComparator &cmp,
                    bool *leaf_emptied);
  Outcome TryPruneEmptyLeaf(const range_index_detail::Bound &target, const KeyComparator &cmp);
  Outcome TryCollapseRoot();
  Outcome SplitRoot(uint64_t root_version, range_index_detail::Node *node, uint64_t version,
                    int run);
  Outcome SplitChild(range_index_detail::Node *parent, uint64_t parent_version, int child_index,
                     range_index_detail::Node *node, uint64_t version, int run);
  Outcome SplitLocked(range_index_detail::Node *node, range_index_detail::Node **right,
                      range_index_detail::Bound *separator, int run);
  range_index_detail::Node *NewNode(int level);
  void FreeUnpublishedNode(range_index_detail::Node *node);
  void FreeUnpublishedKey(const range_index_detail::KeySlotCopy &key);
  void *Allocate(size_t bytes);
  void RetireNode(range_index_detail::Node *node, uint64_t now);
  void RetireKey(const range_index_detail::KeySlotCopy &slot, uint64_t now);
  void DestroySubtree(range_index_detail::Node *node, uint64_t now);

  Engine *engine_ = nullptr;
  std::atomic<uint64_t> root_version_{0};  // guards root_ like a node's version
  std::atomic<range_index_detail::Node *> root_{nullptr};
  // Counters on their own cache line: every writer updates them, and readers
  // of root_ should not pay for that. (Padding, not alignas: arena blocks are
  // only 8-byte aligned.)
  char padding_[64];
  std::atomic<int64_t> entries_{0};
  std::atomic<int64_t> leaves_{0};
  std::atomic<int64_t> inner_nodes_{0};
  std::atomic<int64_t> bytes_{0};
  // Where the last insert landed in its leaf: -1 first, +1 last, 0 between.
  // Only a hint (relaxed; any value is correct): inserts of ascending or
  // descending keys compare with that end of each node first, one
  // comparison instead of a binary search per level.
  std::atomic<int> insert_edge_{0};
};

}  // namespace memopt

// hash_index.h - a concurrent, growing hash index: 64-bit hash -> Row*.
//
// The structure behind the `memopt_hash` index access method. Callers hash
// the key (well mixed, 64 bits) and store (hash, row) pairs; a lookup returns
// every row stored under a hash, and the caller rechecks the key on the
// visible version (DESIGN.md, "Indexes").
//
// Why not libcuckoo: its lookups lock the two candidate buckets and its
// resize takes every lock, so readers would block; it also allocates through
// std::allocator and keeps std::vector / std::list members, which cannot live
// in an arena shared by forked processes. This is our own.
//
// Design: a split-ordered list (Shalev & Shavit, "Split-Ordered Lists:
// Lock-Free Extensible Hash Tables", JACM 2006) over a Harris-Michael
// lock-free linked list (Michael, SPAA 2002). All entries sit in ONE sorted
// linked list, ordered by the bit-reversed hash. Bucket b is a sentinel node
// whose key is reverse(b); because the order is bit-reversed, the entries of
// bucket b (hash & (size - 1) == b) lie right after its sentinel, and
// doubling the table splits every bucket's run in two without moving a single
// entry: the new bucket b + size only needs its sentinel linked into the
// middle of bucket b's run. So growth is one CAS on `size_`: nothing is ever
// migrated, nobody ever waits for a resize, and `initial_buckets` is only a
// starting size (the table doubles whenever entries > 2 * buckets).
//
// Layout (all in the arena, kind kIndex):
//  - HashIndex: the size, the entry counter and a directory of segments.
//  - Segments of sentinels: segment 0 holds buckets [0, 8), segment s >= 1
//    holds [4 << s, 8 << s). A segment is allocated (and all its sentinels
//    formatted as unlinked) the first time a writer needs one of its buckets.
//  - Entry nodes, one arena block each (24 bytes + the arena's header).
//
// A Node is {next, key, word}:
//  - key: the split-order key. Entries: reverse(hash) | 1 (always odd).
//    Sentinels: reverse(bucket) (always even, so never equal to an entry's).
//    Immutable once the node is reachable.
//  - word: entries: the row pointer, with bit 0 holding hash bit 63 (the bit
//    that `| 1` overwrote in key); immutable once reachable. Sentinels: the
//    link state kUnlinked -> kLinking -> kLinked (see below).
//  - next: the successor's address | kMarked. kMarked set means THIS node is
//    removed (logically deleted); a marked next is never changed again.
// Entries with equal keys (several rows under one hash) are ordered by word,
// so a (hash, row) pair has exactly one place in the list.
//
// Thread safety and atomic protocol. Every method may be called from any
// thread or process at any time, except Create (before publication) and
// Destroy (no concurrent users). Callers must be inside a transaction
// (Transaction::Begin) while they call Insert, Remove, Lookup or ForEach, or
// hold any pointer they obtained from them: that is what keeps retired nodes
// readable (Arena::Retire / Engine::ReclaimMemory).
//  - Lookup and ForEach only read: acquire loads of next, skipping marked
//    nodes. They take no locks and never wait. (When a bucket's sentinel is
//    not yet linked but its segment exists, Lookup links it: one lock-free
//    CAS, no allocation; otherwise it starts at the nearest linked ancestor
//    bucket, which is always correct, only slower.)
//  - Insert: allocates the node first, then finds its place and publishes it
//    with one CAS (release) on the predecessor's next, expecting the
//    unmarked successor it saw. A failed CAS retries the search.
//  - Remove: marks the node's next (CAS, the linearization point), then
//    unlinks it with a CAS on the predecessor's next. Whoever's CAS unlinks a
//    marked node (Remove, or any later Insert/Remove search that passes it)
//    retires it, reading the clock only after the unlink, so every
//    transaction that could have reached the node keeps it readable.
//  - Sentinel word: kUnlinked -> kLinking by CAS (one winner, who links the
//    sentinel with the same CAS protocol as an entry), then kLinked (release
//    store). Others never wait for kLinking: they use the parent bucket.
//    Sentinels are never removed; segments are freed only by Destroy.
//  - size_: only grows, by CAS (size -> 2 * size). A thread that reads an old
//    size uses an ancestor bucket, which precedes the right one in the list.
//  - count_: fetch_add / fetch_sub, relaxed (an estimate for growth/stats).
//  - segments_[s]: nullptr -> segment, CAS once (the loser frees its copy).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "memopt/timestamp.h"
#include "memopt/status.h"
#include "memopt/version.h"

namespace memopt {

class Engine;

struct HashIndexStats {
  uint64_t buckets;        // current bucket count (a power of two)
  uint64_t entries;        // (hash, row) pairs stored
  uint64_t longest_chain;  // most entries in one bucket
  double load_factor;      // entries / buckets
  uint64_t bytes;          // usable bytes of the index's blocks (nodes, segments, header)
  uint64_t bucket_bytes;   // of which: sentinel segments (kept until Destroy)
};

class HashIndex {
 public:
  // Creates an index with at least `initial_buckets` buckets (rounded up to
  // a power of two; a starting size, not a limit). kOutOfMemory.
  static Status Create(Engine *engine, uint64_t initial_buckets, HashIndex **index);

  // Adds (hash, row); a no-op (kOk) if the pair is present. kOutOfMemory when
  // the arena is full (the index stays valid). `row` must be non-null and at
  // least 2-byte aligned (arena blocks are 8-byte aligned).
  Status Insert(uint64_t hash, Row *row);
  // Removes (hash, row); kNotFound when it is not present. Never allocates.
  Status Remove(uint64_t hash, Row *row);

  // Calls fn(Row *) for every row stored under `hash`, until fn returns
  // false. Lock-free; may miss an entry inserted concurrently, or return one
  // removed concurrently, but never misses one present throughout the call.
  // fn may call Insert or Remove on this index.
  template <typename Fn>
  void Lookup(uint64_t hash, Fn &&fn) const;

  // Calls fn(uint64_t hash, Row *row) for every entry, in no useful order.
  // If fn returns bool, false stops the walk. Same guarantees as Lookup.
  template <typename Fn>
  void ForEach(Fn &&fn) const;

  // Walks the whole index (for views and tests, not hot paths).
  HashIndexStats Stats() const;
  uint64_t bucket_count() const { return size_.load(std::memory_order_relaxed); }
  uint64_t entry_count() const { return count_.load(std::memory_order_relaxed); }

  // Retires the index and everything in it. The caller guarantees that no
  // one uses the index any more (it has been made unreachable).
  void Destroy(Engine *engine);

  static constexpr uint64_t kMaxBuckets = 1ULL << 40;
  static constexpr uint64_t kMaxLoad = 2;  // grow when entries > kMaxLoad * buckets

 private:
  struct Node {
    std::atomic<uintptr_t> next;
    uint64_t key;
    std::atomic<uint64_t> word;
  };
  // Where a search stopped: `*prev` held `current` (unmarked) when seen, and
  // `current` is the first node not ordered before the probe (or nullptr).
  struct Position {
    std::atomic<uintptr_t> *prev;
    Node *current;
    bool found;
  };

  static constexpr uintptr_t kMarked = 1;
  static constexpr uint64_t kTopHashBit = 1;
  static constexpr uint64_t kUnlinked = 0, kLinking = 1, kLinked = 2;  // sentinel word
  static constexpr int kFirstSegmentLog2 = 3;
  static constexpr uint64_t kFirstSegmentBuckets = 1ULL << kFirstSegmentLog2;
  static constexpr int kSegments = 64 - kFirstSegmentLog2 + 1;

  HashIndex() = default;

  static uint64_t ReverseBits(uint64_t value) {
    value = __builtin_bswap64(value);
    value = ((value >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((value & 0x0F0F0F0F0F0F0F0FULL) << 4);
    value = ((value >> 2) & 0x3333333333333333ULL) | ((value & 0x3333333333333333ULL) << 2);
    value = ((value >> 1) & 0x5555555555555555ULL) | ((value & 0x5555555555555555ULL) << 1);
    return value;
  }
  static uint64_t EntryKey(uint64_t hash) { return ReverseBits(hash) | 1; }
  static uint64_t EntryWord(uint64_t hash, Row *row) {
    return reinterpret_cast<uintptr_t>(row) | (hash >> 63);
  }
  static bool IsEntry(const Node *node) { return (node->key & 1) != 0; }
  static Row *RowOf(uint64_t word) { return reinterpret_cast<Row *>(word & ~kTopHashBit); }
  static uint64_t HashOf(const Node *node) {
    uint64_t word = node->word.load(std::memory_order_relaxed);
    return ReverseBits((node->key & ~uint64_t{1}) | (word & kTopHashBit));
  }
  static Node *Target(uintptr_t link) { return reinterpret_cast<Node *>(link & ~kMarked); }

  // Segment arithmetic (see the file comment).
  static int SegmentOf(uint64_t bucket);
  static uint64_t SegmentFirstBucket(int segment);
  static uint64_t SegmentBuckets(int segment);
  static uint64_t ParentOf(uint64_t bucket);

  // The node a search for `hash` starts from: its bucket's sentinel, or the
  // nearest linked ancestor's. Writers may allocate segments; readers not.
  const Node *ReaderStart(uint64_t hash) const;
  Node *BucketStart(uint64_t bucket, bool may_allocate);
  Node *SentinelFor(uint64_t bucket, bool may_allocate);
  Node *AllocateSegment(int segment);
  void LinkSentinel(Node *start, Node *sentinel);

  Position Find(Node *start, uint64_t key, uint64_t word);
  void RetireNode(Node *node);
  void *AllocateBlock(size_t bytes);
  void MaybeGrow(uint64_t entries);
  bool Contains(uint64_t hash, Row *row) const;

  Engine *engine_;
  std::atomic<uint64_t> size_;
  char pad0_[48];  // keep the counters written by every insert off size_'s line
  std::atomic<uint64_t> count_;
  std::atomic<uint64_t> bytes_;
  std::atomic<uint64_t> bucket_bytes_;
  char pad1_[40];
  std::atomic<Node *> segments_[kSegments];
};

template <typename Fn>
void HashIndex::Lookup(uint64_t hash, Fn &&fn) const {
  const uint64_t key = EntryKey(hash);
  const uint64_t top_bit = hash >> 63;
  const Node *node = Target(ReaderStart(hash)->next.load(std::memory_order_acquire));
  // The list is sorted by key: stop at the first node past ours.
  while (node != nullptr && node->key <= key) {
    uintptr_t next = node->next.load(std::memory_order_acquire);
    if (node->key == key && (next & kMarked) == 0) {
      uint64_t word = node->word.load(std::memory_order_relaxed);
      if ((word & kTopHashBit) == top_bit && !fn(RowOf(word))) return;
    }
    node = Target(next);
  }
}

template <typename Fn>
void HashIndex::ForEach(Fn &&fn) const {
  // Bucket 0's sentinel heads the whole list (its key, 0, is the smallest).
  const Node *head = segments_[0].load(std::memory_order_acquire);
  for (const Node *node = Target(head->next.load(std::memory_order_acquire)); node != nullptr;) {
    uintptr_t next = node->next.load(std::memory_order_acquire);
    if (IsEntry(node) && (next & kMarked) == 0) {
      Row *row = RowOf(node->word.load(std::memory_order_relaxed));
      if constexpr (std::is_same_v<decltype(fn(uint64_t{}, row)), bool>) {
        if (!fn(HashOf(node), row)) return;
      } else {
        fn(HashOf(node), row);
      }
    }
    node = Target(next);
  }
}

}  // namespace memopt

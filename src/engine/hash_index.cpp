// hash_index.cpp - split-ordered list over a Harris-Michael lock-free list.
// See hash_index.h for the layout and the atomic protocol.
#include "memopt/hash_index.h"

#include <new>

#include "memopt/engine.h"

namespace memopt {

namespace {

uint64_t RoundUpToPowerOfTwo(uint64_t value) {
  if (value <= 1) return 1;
  return uint64_t{1} << (64 - __builtin_clzll(value - 1));
}

int Log2(uint64_t value) { return 63 - __builtin_clzll(value); }

}  // namespace

// ---------------------------------------------------------------------------
// Creation and destruction.

Status HashIndex::Create(Engine *engine, uint64_t initial_buckets, HashIndex **index) {
  *index = nullptr;
  if (initial_buckets > kMaxBuckets) initial_buckets = kMaxBuckets;
  void *memory = engine->arena()->Allocate(sizeof(HashIndex), MemoryKind::kIndex);
  if (memory == nullptr) return Status::kOutOfMemory;
  HashIndex *created = new (memory) HashIndex();
  created->engine_ = engine;
  created->size_.store(RoundUpToPowerOfTwo(initial_buckets), std::memory_order_relaxed);
  created->count_.store(0, std::memory_order_relaxed);
  created->bytes_.store(Arena::BlockBytes(memory), std::memory_order_relaxed);
  created->bucket_bytes_.store(0, std::memory_order_relaxed);
  for (std::atomic<Node *> &segment : created->segments_)
    segment.store(nullptr, std::memory_order_relaxed);
  // Bucket 0's sentinel heads the list; it is linked from the start so that
  // every search has a place to begin.
  Node *first = created->AllocateSegment(0);
  if (first == nullptr) {
    engine->arena()->Free(memory);
    return Status::kOutOfMemory;
  }
  first->word.store(kLinked, std::memory_order_relaxed);
  created->segments_[0].store(first, std::memory_order_release);
  *index = created;
  return Status::kOk;
}

void HashIndex::Destroy(Engine *engine) {
  Arena *arena = engine->arena();
  Timestamp now = engine->Now();  // the caller made the index unreachable before
  Node *head = segments_[0].load(std::memory_order_acquire);
  for (Node *node = Target(head->next.load(std::memory_order_acquire)); node != nullptr;) {
    Node *next = Target(node->next.load(std::memory_order_acquire));
    if (IsEntry(node)) arena->Retire(node, now);  // sentinels go with their segment
    node = next;
  }
  for (std::atomic<Node *> &segment : segments_)
    arena->Retire(segment.load(std::memory_order_acquire), now);
  arena->Retire(this, now);
}

// ---------------------------------------------------------------------------
// Buckets and segments.

int HashIndex::SegmentOf(uint64_t bucket) {
  if (bucket < kFirstSegmentBuckets) return 0;
  return Log2(bucket) - kFirstSegmentLog2 + 1;
}

uint64_t HashIndex::SegmentFirstBucket(int segment) {
  return segment == 0 ? 0 : kFirstSegmentBuckets << (segment - 1);
}

uint64_t HashIndex::SegmentBuckets(int segment) {
  return segment == 0 ? kFirstSegmentBuckets : kFirstSegmentBuckets << (segment - 1);
}

// Bucket b splits off from b without its highest bit: that bucket's run of
// the list contains b's run, and its sentinel comes first.
uint64_t HashIndex::ParentOf(uint64_t bucket) { return bucket & ~(uint64_t{1} << Log2(bucket)); }

void *HashIndex::AllocateBlock(size_t bytes) {
  Arena *arena = engine_->arena();
  void *block = arena->Allocate(bytes, MemoryKind::kIndex);
  // Retired memory may be all that stands between us and success.
  if (block == nullptr && engine_->ReclaimMemory() > 0)
    block = arena->Allocate(bytes, MemoryKind::kIndex);
  return block;
}

// Allocates and formats a segment (all sentinels unlinked) but does not
// publish it.
HashIndex::Node *HashIndex::AllocateSegment(int segment) {
  uint64_t first_bucket = SegmentFirstBucket(segment);
  uint64_t buckets = SegmentBuckets(segment);
  if (buckets > kMaxBuckets) return nullptr;
  void *memory = AllocateBlock(buckets * sizeof(Node));
  if (memory == nullptr) return nullptr;
  Node *sentinels = static_cast<Node *>(memory);
  for (uint64_t i = 0; i < buckets; ++i) {
    Node *sentinel = new (&sentinels[i]) Node();
    sentinel->next.store(0, std::memory_order_relaxed);
    sentinel->key = ReverseBits(first_bucket + i);
    sentinel->word.store(kUnlinked, std::memory_order_relaxed);
  }
  uint64_t usable = Arena::BlockBytes(memory);
  bytes_.fetch_add(usable, std::memory_order_relaxed);
  bucket_bytes_.fetch_add(usable, std::memory_order_relaxed);
  return sentinels;
}

HashIndex::Node *HashIndex::SentinelFor(uint64_t bucket, bool may_allocate) {
  int segment = SegmentOf(bucket);
  Node *sentinels = segments_[segment].load(std::memory_order_acquire);
  if (sentinels == nullptr && may_allocate) {
    Node *created = AllocateSegment(segment);
    if (created == nullptr) return nullptr;
    if (segments_[segment].compare_exchange_strong(sentinels, created, std::memory_order_acq_rel)) {
      sentinels = created;
    } else {  // another thread published one first; ours was never visible
      uint64_t usable = Arena::BlockBytes(created);
      bytes_.fetch_sub(usable, std::memory_order_relaxed);
      bucket_bytes_.fetch_sub(usable, std::memory_order_relaxed);
      engine_->arena()->Free(created);
    }
  }
  if (sentinels == nullptr) return nullptr;
  return &sentinels[bucket - SegmentFirstBucket(segment)];
}

HashIndex::Node *HashIndex::BucketStart(uint64_t bucket, bool may_allocate) {
  if (bucket == 0) return segments_[0].load(std::memory_order_acquire);
  Node *sentinel = SentinelFor(bucket, may_allocate);
  if (sentinel != nullptr) {
    uint64_t state = sentinel->word.load(std::memory_order_acquire);
    if (state == kLinked) return sentinel;
    // One thread links it; the others do not wait, they start further up.
    if (state == kUnlinked &&
        sentinel->word.compare_exchange_strong(state, kLinking, std::memory_order_acq_rel)) {
      LinkSentinel(BucketStart(ParentOf(bucket), may_allocate), sentinel);
      sentinel->word.store(kLinked, std::memory_order_release);
      return sentinel;
    }
  }
  return BucketStart(ParentOf(bucket), may_allocate);
}

const HashIndex::Node *HashIndex::ReaderStart(uint64_t hash) const {
  uint64_t bucket = hash & (size_.load(std::memory_order_acquire) - 1);
  // Linking a sentinel is a lock-free write that allocates nothing; it keeps
  // later lookups in this bucket short.
  return const_cast<HashIndex *>(this)->BucketStart(bucket, /*may_allocate=*/false);
}

void HashIndex::LinkSentinel(Node *start, Node *sentinel) {
  for (;;) {
    Position position = Find(start, sentinel->key, 0);
    // Only the thread that moved the sentinel to kLinking links it, so it
    // cannot be in the list already.
    sentinel->next.store(reinterpret_cast<uintptr_t>(position.current), std::memory_order_relaxed);
    uintptr_t expected = reinterpret_cast<uintptr_t>(position.current);
    if (position.prev->compare_exchange_strong(expected, reinterpret_cast<uintptr_t>(sentinel),
                                               std::memory_order_acq_rel))
      return;
  }
}

// ---------------------------------------------------------------------------
// The list.

// Michael's search: walks from `start` to the first node not ordered before
// (key, word), unlinking (and retiring) every marked node on the way, so a
// returned position never has a marked node between prev and current.
HashIndex::Position HashIndex::Find(Node *start, uint64_t key, uint64_t word) {
retry:
  std::atomic<uintptr_t> *prev = &start->next;
  Node *current = Target(prev->load(std::memory_order_acquire));
  for (;;) {
    if (current == nullptr) return {prev, nullptr, false};
    uintptr_t next = current->next.load(std::memory_order_acquire);
    if ((next & kMarked) != 0) {
      uintptr_t expected = reinterpret_cast<uintptr_t>(current);
      // Fails when prev changed or prev's own node got marked: start over.
      if (!prev->compare_exchange_strong(expected, next & ~kMarked, std::memory_order_acq_rel))
        goto retry;
      RetireNode(current);
      current = Target(next);
      continue;
    }
    if (current->key > key) return {prev, current, false};
    if (current->key == key) {
      // Sentinels (even keys) are unique per key; entries also compare rows.
      if (!IsEntry(current)) return {prev, current, true};
      uint64_t current_word = current->word.load(std::memory_order_relaxed);
      if (current_word >= word) return {prev, current, current_word == word};
    }
    prev = &current->next;
    current = Target(next);
  }
}

void HashIndex::RetireNode(Node *node) {
  bytes_.fetch_sub(Arena::BlockBytes(node), std::memory_order_relaxed);
  // The clock is read after the unlink: any transaction that could still
  // hold `node` started no later than this timestamp.
  engine_->arena()->Retire(node, engine_->Now());
}

bool HashIndex::Contains(uint64_t hash, Row *row) const {
  bool found = false;
  Lookup(hash, [&](Row *candidate) {
    found = candidate == row;
    return !found;
  });
  return found;
}

// ---------------------------------------------------------------------------
// Insert and remove.

Status HashIndex::Insert(uint64_t hash, Row *row) {
  const uint64_t key = EntryKey(hash);
  const uint64_t word = EntryWord(hash, row);
  // Allocate before searching, so the arena is the only thing that can fail
  // and nothing is half-linked when it does.
  Node *entry = static_cast<Node *>(AllocateBlock(sizeof(Node)));
  if (entry == nullptr) return Contains(hash, row) ? Status::kOk : Status::kOutOfMemory;
  new (entry) Node();
  entry->key = key;
  entry->word.store(word, std::memory_order_relaxed);
  bytes_.fetch_add(Arena::BlockBytes(entry), std::memory_order_relaxed);

  Node *start =
      BucketStart(hash & (size_.load(std::memory_order_acquire) - 1), /*may_allocate=*/true);
  for (;;) {
    Position position = Find(start, key, word);
    if (position.found) {  // the pair is already there; ours was never visible
      bytes_.fetch_sub(Arena::BlockBytes(entry), std::memory_order_relaxed);
      engine_->arena()->Free(entry);
      return Status::kOk;
    }
    uintptr_t expected = reinterpret_cast<uintptr_t>(position.current);
    entry->next.store(expected, std::memory_order_relaxed);
    if (position.prev->compare_exchange_strong(expected, reinterpret_cast<uintptr_t>(entry),
                                               std::memory_order_acq_rel))
      break;
  }
  MaybeGrow(count_.fetch_add(1, std::memory_order_relaxed) + 1);
  return Status::kOk;
}

Status HashIndex::Remove(uint64_t hash, Row *row) {
  const uint64_t key = EntryKey(hash);
  const uint64_t word = EntryWord(hash, row);
  Node *start =
      BucketStart(hash & (size_.load(std::memory_order_acquire) - 1), /*may_allocate=*/false);
  for (;;) {
    Position position = Find(start, key, word);
    if (!position.found) return Status::kNotFound;
    Node *victim = position.current;
    uintptr_t next = victim->next.load(std::memory_order_acquire);
    // Marked already: a concurrent Remove won; the next search unlinks it
    // and reports kNotFound.
    if ((next & kMarked) != 0) continue;
    if (!victim->next.compare_exchange_strong(next, next | kMarked, std::memory_order_acq_rel))
      continue;
    count_.fetch_sub(1, std::memory_order_relaxed);
    uintptr_t expected = reinterpret_cast<uintptr_t>(victim);
    if (position.prev->compare_exchange_strong(expected, next, std::memory_order_acq_rel))
      RetireNode(victim);
    else
      Find(start, key, word);  // unlinks and retires it (or someone else did)
    return Status::kOk;
  }
}

// Doubling is one CAS: buckets of the new half get their sentinels lazily.
void HashIndex::MaybeGrow(uint64_t entries) {
  uint64_t size = size_.load(std::memory_order_relaxed);
  while (entries > size * kMaxLoad && size < kMaxBuckets) {
    if (size_.compare_exchange_weak(size, size * 2, std::memory_order_acq_rel)) size *= 2;
  }
}

// ---------------------------------------------------------------------------
// Statistics.

HashIndexStats HashIndex::Stats() const {
  HashIndexStats stats{};
  stats.buckets = size_.load(std::memory_order_acquire);
  stats.bytes = bytes_.load(std::memory_order_relaxed);
  stats.bucket_bytes = bucket_bytes_.load(std::memory_order_relaxed);
  // A bucket's entries are contiguous in split order: count runs.
  const uint64_t mask = stats.buckets - 1;
  uint64_t run_bucket = ~uint64_t{0};
  uint64_t run = 0;
  ForEach([&](uint64_t hash, Row *) {
    ++stats.entries;
    uint64_t bucket = hash & mask;
    run = bucket == run_bucket ? run + 1 : 1;
    run_bucket = bucket;
    if (run > stats.longest_chain) stats.longest_chain = run;
  });
  stats.load_factor = static_cast<double>(stats.entries) / static_cast<double>(stats.buckets);
  return stats;
}

}  // namespace memopt

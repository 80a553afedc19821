// arena.cpp - size classes, Treiber free lists and deferred (retired) frees.
// See arena.h for the layout and the thread-safety rules.
#include "memopt/arena.h"

#include <new>

namespace memopt {

namespace {

constexpr uint64_t kOffsetMask = (1ULL << 48) - 1;
constexpr int kMinClassLog2 = 5;  // class 0 holds 32 bytes
// How many classes larger than the requested one Allocate may take from a
// free list when the bump region is exhausted (at most 2x the request).
constexpr int kLargerClassesToTry = 4;

// A shared counter read as signed: deferred counts (ArenaCounts) can leave
// one briefly below zero.
uint64_t NotBelowZero(uint64_t counter) { return static_cast<int64_t>(counter) < 0 ? 0 : counter; }

uint64_t PackTagged(uint64_t old_head, uint64_t offset) {
  return (((old_head >> 48) + 1) << 48) | offset;
}

}  // namespace

struct Arena::BlockHeader {
  uint32_t size_class;
  uint32_t kind;
  std::atomic<uint64_t> link;  // next block offset in a free or retired list
  uint64_t retire_ts;
};
// Blocks must stay 8-byte aligned: BlockHeader is 24 bytes.

const char *MemoryKindName(MemoryKind kind) {
  switch (kind) {
    case MemoryKind::kRow:
      return "rows";
    case MemoryKind::kVersion:
      return "versions";
    case MemoryKind::kTable:
      return "tables";
    case MemoryKind::kDirectory:
      return "version directories";
    case MemoryKind::kIndex:
      return "indexes";
    case MemoryKind::kOther:
      return "other";
    case MemoryKind::kCount:
      break;
  }
  return "unknown";
}

Arena *Arena::Create(void *base, size_t bytes) {
  size_t control = (sizeof(Arena) + 63) & ~size_t{63};
  if (bytes < control + 4096) return nullptr;
  Arena *arena = new (base) Arena();
  arena->begin_ = control;
  arena->end_ = bytes;
  arena->bump_.store(control, std::memory_order_relaxed);
  return arena;
}

size_t Arena::ClassSize(int size_class) {
  int log2 = size_class / 4 + kMinClassLog2;
  uint64_t base = 1ULL << log2;
  return base + (size_class % 4) * (base >> 2);
}

int Arena::ClassForSize(size_t bytes) {
  if (bytes <= (1ULL << kMinClassLog2)) return 0;
  int log2 = 63 - __builtin_clzll(bytes);
  uint64_t base = 1ULL << log2;
  uint64_t step = base >> 2;
  uint64_t steps = (bytes - base + step - 1) / step;  // 0..4
  return (log2 - kMinClassLog2) * 4 + static_cast<int>(steps);
}

Arena::BlockHeader *Arena::HeaderOf(const void *block) const {
  return reinterpret_cast<BlockHeader *>(const_cast<char *>(static_cast<const char *>(block)) -
                                         sizeof(BlockHeader));
}

size_t Arena::UsableSize(const void *block) {
  const BlockHeader *header =
      reinterpret_cast<const BlockHeader *>(static_cast<const char *>(block) - sizeof(BlockHeader));
  return ClassSize(header->size_class) - sizeof(BlockHeader);
}

size_t Arena::BlockBytes(const void *block) { return UsableSize(block) + sizeof(BlockHeader); }

Arena::BlockHeader *Arena::Carve(size_t block_bytes) {
  uint64_t offset = bump_.load(std::memory_order_relaxed);
  do {
    if (offset + block_bytes > end_ || offset + block_bytes < offset) return nullptr;
  } while (!bump_.compare_exchange_weak(offset, offset + block_bytes, std::memory_order_relaxed));
  return reinterpret_cast<BlockHeader *>(base() + offset);
}

Arena::BlockHeader *Arena::PopFree(int size_class, ArenaCounts *deferred) {
  std::atomic<uint64_t> &head = free_heads_[size_class];
  uint64_t old_head = head.load(std::memory_order_acquire);
  for (;;) {
    uint64_t offset = old_head & kOffsetMask;
    if (offset == 0) return nullptr;
    BlockHeader *header = reinterpret_cast<BlockHeader *>(base() + offset);
    // The block may be popped and reused under us; the tag makes the CAS
    // fail in that case, and reading its link is harmless.
    uint64_t next = header->link.load(std::memory_order_relaxed);
    if (head.compare_exchange_weak(old_head, PackTagged(old_head, next),
                                   std::memory_order_acq_rel)) {
      if (deferred != nullptr)
        deferred->free_list_bytes -= ClassSize(size_class);
      else
        free_list_bytes_.fetch_sub(ClassSize(size_class), std::memory_order_relaxed);
      // The next pop of this class reads that block's link and its caller
      // writes the block: fetch it now, as freed blocks are rarely cached.
      if (next != 0) __builtin_prefetch(base() + next, 1);
      return header;
    }
  }
}

void Arena::PushFree(BlockHeader *header) {
  free_list_bytes_.fetch_add(ClassSize(header->size_class), std::memory_order_relaxed);
  PushChain(free_heads_[header->size_class], header, header);
}

void Arena::PushChain(std::atomic<uint64_t> &head, BlockHeader *first, BlockHeader *last) {
  uint64_t first_offset = reinterpret_cast<char *>(first) - base();
  uint64_t old_head = head.load(std::memory_order_relaxed);
  do {
    last->link.store(old_head & kOffsetMask, std::memory_order_relaxed);
  } while (!head.compare_exchange_weak(old_head, PackTagged(old_head, first_offset),
                                       std::memory_order_release, std::memory_order_relaxed));
}

// Formats [offset, offset + bytes) as free blocks: as many of `size_class`
// as fit, then the rest as the largest classes that fit.
void Arena::FormatFreeBlocks(uint64_t offset, uint64_t bytes, int size_class) {
  for (uint64_t block = ClassSize(size_class); bytes >= block; bytes -= block, offset += block) {
    AtOffset(offset)->size_class = size_class;
    PushFree(AtOffset(offset));
  }
  FormatLargestBlocks(offset, bytes);
}

// The bump region is used up and no block up to 2x the size is free: cut a
// free block of a larger class into blocks of `size_class` (memory freed by
// large values can then hold small rows).
Arena::BlockHeader *Arena::SplitLargerFreeBlock(int size_class) {
  for (int larger = size_class + kLargerClassesToTry + 1; larger < kClassCount; ++larger) {
    BlockHeader *header = PopFree(larger);
    if (header == nullptr) continue;
    uint64_t offset = reinterpret_cast<char *>(header) - base();
    uint64_t block = ClassSize(size_class);
    FormatFreeBlocks(offset + block, ClassSize(larger) - block, size_class);
    header->size_class = size_class;
    return header;
  }
  return nullptr;
}

// Pushes [offset, offset + bytes) as free blocks of the largest classes
// that fit, keeping every remainder 0 or at least one class-0 block. All
// sizes are multiples of 8 and every multiple of 8 from 32 to 56 is a class,
// so a run of 32 bytes or more splits exactly; less is lost (counted in
// split_waste_bytes_).
void Arena::FormatLargestBlocks(uint64_t offset, uint64_t bytes) {
  while (bytes >= ClassSize(0)) {
    int piece = ClassForSize(bytes);
    if (piece >= kClassCount) piece = kClassCount - 1;
    while (ClassSize(piece) > bytes ||
           (bytes - ClassSize(piece) != 0 && bytes - ClassSize(piece) < ClassSize(0)))
      --piece;
    AtOffset(offset)->size_class = piece;
    PushFree(AtOffset(offset));
    offset += ClassSize(piece);
    bytes -= ClassSize(piece);
  }
  split_waste_bytes_.fetch_add(bytes, std::memory_order_relaxed);
}

// Sorts a chain of blocks (offsets linked through `link`, 0 ends it) by
// offset: merge sort, no memory needed beyond the blocks themselves.
uint64_t Arena::SortChain(uint64_t head) {
  if (head == 0 || AtOffset(head)->link.load(std::memory_order_relaxed) == 0) return head;
  uint64_t slow = head;
  uint64_t fast = AtOffset(head)->link.load(std::memory_order_relaxed);
  while (fast != 0 && AtOffset(fast)->link.load(std::memory_order_relaxed) != 0) {
    slow = AtOffset(slow)->link.load(std::memory_order_relaxed);
    fast = AtOffset(AtOffset(fast)->link.load(std::memory_order_relaxed))
               ->link.load(std::memory_order_relaxed);
  }
  uint64_t second = AtOffset(slow)->link.load(std::memory_order_relaxed);
  AtOffset(slow)->link.store(0, std::memory_order_relaxed);
  uint64_t a = SortChain(head);
  uint64_t b = SortChain(second);
  uint64_t merged = 0;
  uint64_t tail = 0;
  while (a != 0 || b != 0) {
    uint64_t *take = (b == 0 || (a != 0 && a < b)) ? &a : &b;
    uint64_t node = *take;
    *take = AtOffset(node)->link.load(std::memory_order_relaxed);
    if (tail == 0)
      merged = node;
    else
      AtOffset(tail)->link.store(node, std::memory_order_relaxed);
    tail = node;
  }
  AtOffset(tail)->link.store(0, std::memory_order_relaxed);
  return merged;
}

// Merges free blocks that lie next to each other in the region, so memory
// freed as many small blocks (a large statement rolled back, say) can serve
// larger requests again. Runs when an allocation finds nothing although much
// memory is free; one thread at a time (others simply fail their request).
// Free blocks are taken off the lists with ordinary pops, so concurrent
// allocators and freers stay safe; blocks freed meanwhile wait for next time.
bool Arena::Defragment() {
  // Sorting every free block is O(n log n): do it again only once a
  // sixty-fourth of the arena has been freed since the last time.
  uint64_t free_now = free_list_bytes_.load(std::memory_order_relaxed);
  if (free_now < free_bytes_at_defragment_.load(std::memory_order_relaxed) + total_bytes() / 64)
    return false;
  uint32_t expected = 0;
  if (!defragmenting_.compare_exchange_strong(expected, 1, std::memory_order_acquire)) return false;
  uint64_t chain = 0;
  for (int size_class = 0; size_class < kClassCount; ++size_class)
    for (BlockHeader *header; (header = PopFree(size_class)) != nullptr;) {
      header->link.store(chain, std::memory_order_relaxed);
      chain = reinterpret_cast<char *>(header) - base();
    }
  chain = SortChain(chain);
  while (chain != 0) {
    uint64_t run_start = chain;
    uint64_t run_end = chain;
    while (chain == run_end) {  // the next block starts where the run ends
      run_end += ClassSize(AtOffset(chain)->size_class);
      chain = AtOffset(chain)->link.load(std::memory_order_relaxed);
    }
    FormatLargestBlocks(run_start, run_end - run_start);
  }
  free_bytes_at_defragment_.store(free_list_bytes_.load(std::memory_order_relaxed),
                                  std::memory_order_relaxed);
  defragmenting_.store(0, std::memory_order_release);
  return true;
}

void *Arena::Allocate(size_t bytes, MemoryKind kind) {
  ArenaCounts counts;
  void *block = Allocate(bytes, kind, &counts);
  Flush(&counts);
  return block;
}

void *Arena::Allocate(size_t bytes, MemoryKind kind, ArenaCounts *deferred) {
  size_t total = bytes + sizeof(BlockHeader);
  if (total < bytes) return nullptr;
  int size_class = ClassForSize(total);
  if (size_class >= kClassCount) return nullptr;
  BlockHeader *header = PopFree(size_class, deferred);
  if (header == nullptr) {
    header = Carve(ClassSize(size_class));
    if (header != nullptr) header->size_class = size_class;
  }
  for (int larger = size_class + 1;
       header == nullptr && larger < kClassCount && larger <= size_class + kLargerClassesToTry;
       ++larger)
    header = PopFree(larger);
  if (header == nullptr) header = SplitLargerFreeBlock(size_class);
  if (header == nullptr &&
      free_list_bytes_.load(std::memory_order_relaxed) >= 2 * ClassSize(size_class) &&
      Defragment()) {
    header = PopFree(size_class);
    if (header == nullptr) header = SplitLargerFreeBlock(size_class);
  }
  if (header == nullptr) return nullptr;
  header->kind = static_cast<uint32_t>(kind);
  deferred->kind_bytes[header->kind] += ClassSize(header->size_class);
  deferred->kind_blocks[header->kind] += 1;
  if (++deferred->allocations >= ArenaCounts::kFlushEvery) Flush(deferred);
  return header + 1;
}

void Arena::Flush(ArenaCounts *deferred) {
  for (int kind = 0; kind < static_cast<int>(MemoryKind::kCount); ++kind) {
    if (deferred->kind_bytes[kind] != 0)
      kind_bytes_[kind].fetch_add(static_cast<uint64_t>(deferred->kind_bytes[kind]),
                                  std::memory_order_relaxed);
    if (deferred->kind_blocks[kind] != 0)
      kind_blocks_[kind].fetch_add(static_cast<uint64_t>(deferred->kind_blocks[kind]),
                                   std::memory_order_relaxed);
  }
  if (deferred->free_list_bytes != 0)
    free_list_bytes_.fetch_add(static_cast<uint64_t>(deferred->free_list_bytes),
                               std::memory_order_relaxed);
  *deferred = ArenaCounts();
}

void Arena::Free(void *block) {
  if (block == nullptr) return;
  BlockHeader *header = HeaderOf(block);
  kind_bytes_[header->kind].fetch_sub(ClassSize(header->size_class), std::memory_order_relaxed);
  kind_blocks_[header->kind].fetch_sub(1, std::memory_order_relaxed);
  PushFree(header);
}

void Arena::Retire(void *block, uint64_t now) {
  if (block == nullptr) return;
  BlockHeader *header = HeaderOf(block);
  header->retire_ts = now;
  kind_bytes_[header->kind].fetch_sub(ClassSize(header->size_class), std::memory_order_relaxed);
  kind_blocks_[header->kind].fetch_sub(1, std::memory_order_relaxed);
  retired_bytes_.fetch_add(ClassSize(header->size_class), std::memory_order_relaxed);
  PushChain(retired_head_, header, header);
}

size_t Arena::Reclaim(uint64_t oldest_reader_start) {
  uint64_t offset = retired_head_.exchange(0, std::memory_order_acq_rel) & kOffsetMask;
  BlockHeader *kept_head = nullptr;
  BlockHeader *kept_tail = nullptr;
  size_t freed = 0;
  while (offset != 0) {
    BlockHeader *header = reinterpret_cast<BlockHeader *>(base() + offset);
    offset = header->link.load(std::memory_order_relaxed);
    if (header->retire_ts < oldest_reader_start) {
      retired_bytes_.fetch_sub(ClassSize(header->size_class), std::memory_order_relaxed);
      PushFree(header);
      ++freed;
      continue;
    }
    header->link.store(kept_head ? reinterpret_cast<char *>(kept_head) - base() : 0,
                       std::memory_order_relaxed);
    kept_head = header;
    if (kept_tail == nullptr) kept_tail = header;
  }
  if (kept_head == nullptr) return freed;
  PushChain(retired_head_, kept_head, kept_tail);
  return freed;
}

ArenaStats Arena::Stats() const {
  ArenaStats stats{};
  stats.total_bytes = end_ - begin_;
  stats.bump_used_bytes = bump_.load(std::memory_order_relaxed) - begin_;
  stats.free_list_bytes = NotBelowZero(free_list_bytes_.load(std::memory_order_relaxed));
  stats.retired_bytes = retired_bytes_.load(std::memory_order_relaxed);
  stats.split_waste_bytes = split_waste_bytes_.load(std::memory_order_relaxed);
  for (int i = 0; i < static_cast<int>(MemoryKind::kCount); ++i) {
    stats.kinds[i].bytes = NotBelowZero(kind_bytes_[i].load(std::memory_order_relaxed));
    stats.kinds[i].blocks = NotBelowZero(kind_blocks_[i].load(std::memory_order_relaxed));
  }
  return stats;
}

}  // namespace memopt

// arena.h - a concurrent size-class allocator over one fixed region.
//
// The region is PostgreSQL's shared memory in the server and an ordinary
// buffer in unit tests; the arena keeps only offsets and pointers into it, so
// it works in every process that maps the region at the same address.
//
// Layout: [Arena control block][blocks...]. Every block starts with a
// BlockHeader; callers see the bytes after it. Blocks come from the bump
// pointer the first time and from a per-class free list after that. A class
// is a size rounded up to 2^k * {1, 1.25, 1.5, 1.75}, so at most 25% of a
// block is slack. When the bump region is used up, a request may take a free
// block up to four classes larger, or cut a larger free block into blocks of
// its class. If that finds nothing although much memory is free, free
// blocks that lie next to each other are merged (Defragment) and the request
// tried once more.
//
// Thread safety: every method may be called from any thread or process at any
// time. Free lists are Treiber stacks whose head packs a 16-bit tag with a
// 48-bit offset, so a block that is popped and pushed again (ABA) cannot
// confuse a concurrent pop. Retired blocks (see Retire) wait on one lock-free
// stack until no reader can hold them.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace memopt {

// What a block is used for; counted separately for the memory view.
enum class MemoryKind : uint32_t { kRow = 0, kVersion, kTable, kDirectory, kIndex, kOther, kCount };
const char *MemoryKindName(MemoryKind kind);

struct MemoryKindStats {
  uint64_t bytes;   // bytes in live blocks of this kind, headers included
  uint64_t blocks;  // live blocks of this kind
};

struct ArenaStats {
  uint64_t total_bytes;        // size of the region
  uint64_t bump_used_bytes;    // carved from the region so far
  uint64_t free_list_bytes;    // carved, freed, waiting for reuse
  uint64_t retired_bytes;      // freed, waiting until no reader can see them
  uint64_t split_waste_bytes;  // lost when free blocks were cut up (under 32 bytes each)
  MemoryKindStats kinds[static_cast<int>(MemoryKind::kCount)];
};

// Counter updates one thread adds up before the arena's shared counters see
// them. Each shared counter is an atomic add on a line every allocator
// writes; an insert allocates two blocks and would pay for six such adds.
// A transaction defers its allocations' counts here and flushes them at
// its end and every kFlushEvery allocations, so Stats() lags a running
// transaction by at most that many blocks. Owned by one thread.
struct ArenaCounts {
  static constexpr int kFlushEvery = 4096;
  int64_t kind_bytes[static_cast<int>(MemoryKind::kCount)] = {};
  int64_t kind_blocks[static_cast<int>(MemoryKind::kCount)] = {};
  int64_t free_list_bytes = 0;
  int allocations = 0;  // since the last flush
};

class Arena {
 public:
  // Formats an arena over [base, base + bytes). `base` must be 64-byte
  // aligned. Returns nullptr when the region is too small.
  static Arena *Create(void *base, size_t bytes);

  // Returns a block of at least `bytes` bytes, 8-byte aligned, or nullptr when
  // the arena is full. Never blocks.
  void *Allocate(size_t bytes, MemoryKind kind);
  // The same, counting the block in `deferred` (flushed when it has counted
  // ArenaCounts::kFlushEvery allocations) rather than in the shared counters.
  void *Allocate(size_t bytes, MemoryKind kind, ArenaCounts *deferred);
  // Adds `deferred` to the shared counters and clears it.
  void Flush(ArenaCounts *deferred);

  // Returns a block to its free list at once. Only for blocks no other thread
  // can still be reading.
  void Free(void *block);

  // Frees `block` once every reader that started at or before `now` has
  // finished (see Reclaim). Readers may go on using the block until then.
  void Retire(void *block, uint64_t now);

  // Frees every retired block whose retire time is older than
  // `oldest_reader_start`. Returns the number of blocks freed.
  size_t Reclaim(uint64_t oldest_reader_start);

  // Usable bytes in a block handed out by Allocate.
  static size_t UsableSize(const void *block);
  // Arena bytes the block occupies, header and class slack included: what a
  // table or index really costs.
  static size_t BlockBytes(const void *block);

  ArenaStats Stats() const;
  uint64_t total_bytes() const { return end_ - begin_; }
  uint64_t retired_bytes() const { return retired_bytes_.load(std::memory_order_relaxed); }

 private:
  struct BlockHeader;
  static constexpr int kClassCount = 160;

  Arena() = default;
  static int ClassForSize(size_t bytes);
  static size_t ClassSize(int size_class);
  BlockHeader *HeaderOf(const void *block) const;
  BlockHeader *PopFree(int size_class, ArenaCounts *deferred = nullptr);
  void PushFree(BlockHeader *header);
  // Pushes the chain first..last (linked through `link`) onto a tagged stack.
  void PushChain(std::atomic<uint64_t> &head, BlockHeader *first, BlockHeader *last);
  BlockHeader *Carve(size_t block_bytes);
  BlockHeader *SplitLargerFreeBlock(int size_class);
  void FormatFreeBlocks(uint64_t offset, uint64_t bytes, int size_class);
  void FormatLargestBlocks(uint64_t offset, uint64_t bytes);
  uint64_t SortChain(uint64_t head);
  bool Defragment();
  BlockHeader *AtOffset(uint64_t offset) const {
    return reinterpret_cast<BlockHeader *>(base() + offset);
  }
  char *base() const { return reinterpret_cast<char *>(const_cast<Arena *>(this)); }

  uint64_t begin_ = 0;  // offset of the first block
  uint64_t end_ = 0;    // offset just past the region
  std::atomic<uint64_t> bump_{0};
  std::atomic<uint64_t> free_list_bytes_{0};
  std::atomic<uint64_t> retired_bytes_{0};
  std::atomic<uint64_t> retired_head_{0};  // tagged offset of a BlockHeader
  std::atomic<uint64_t> split_waste_bytes_{0};
  std::atomic<uint32_t> defragmenting_{0};  // try-lock of Defragment
  std::atomic<uint64_t> free_bytes_at_defragment_{0};
  // Deferred counts (ArenaCounts) make these lag, so a block freed before
  // its allocation was flushed can take one below zero for a while: they
  // wrap, and Stats() reads them as signed and clamps at zero.
  std::atomic<uint64_t> kind_bytes_[static_cast<int>(MemoryKind::kCount)] = {};
  std::atomic<uint64_t> kind_blocks_[static_cast<int>(MemoryKind::kCount)] = {};
  std::atomic<uint64_t> free_heads_[kClassCount] = {};  // tagged offsets
};

}  // namespace memopt

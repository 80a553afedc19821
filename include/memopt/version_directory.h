// version_directory.h - the table's slot array: slot number -> Version*.
//
// Every version of a table is in its directory from creation until garbage
// collection frees it, so a scan of all slots visits every version that any
// snapshot can see, exactly once. A slot number is the version's TID.
//
// Slots live in chunks allocated on first use: chunk k < kGrowingChunks holds
// kFirstChunkSlots << k slots, every later chunk kMaxChunkSlots. Pointers to
// the growing chunks sit in the directory; pointers to the later ones in a
// table of kMaxChunks - kGrowingChunks entries allocated (and installed by
// CAS) when the first of them is needed, so a small table stays small. Free slots
// form a lock-free stack threaded through the slots themselves: a free slot
// holds (next_free << 1) | 1, which no 8-byte-aligned pointer can be.
//
// Thread safety: all methods are safe to call concurrently. A slot handed out
// by Acquire belongs to the caller until it calls Release; Release must only be
// called once no reader can still need the version (after its retirement is
// decided by the garbage collector).
#pragma once

#include <atomic>
#include <cstdint>

#include "memopt/arena.h"
#include "memopt/status.h"

namespace memopt {

struct Version;

class VersionDirectory {
 public:
  static constexpr uint64_t kFirstChunkSlots = 256;
  static constexpr int kGrowingChunks = 9;  // 256 .. 65536 slots
  static constexpr uint64_t kMaxChunkSlots = 65536;
  static constexpr int kMaxChunks = kGrowingChunks + 4096;
  static constexpr uint64_t kNoSlot = ~0ULL;  // never a valid slot

  void Init();

  // Reserves a slot; kTableFull or kOutOfMemory when none can be had.
  Status Acquire(Arena *arena, uint64_t *slot);
  // Publishes `version` in a slot obtained from Acquire.
  void Set(uint64_t slot, Version *version);
  // Empties a slot and makes it reusable.
  void Release(uint64_t slot);
  // The version in `slot`, or nullptr for a free or never-used slot or one
  // beyond the high-water mark. Safe for any slot number (user-typed TIDs).
  Version *Get(uint64_t slot) const;
  // The words of the chunk holding `slot`, starting at `slot`, for scans
  // that walk many slots: *chunk_end is one past the chunk's last slot.
  // nullptr (with *chunk_end set) when the chunk does not exist. A word
  // holds a Version* or 0 or an odd free-list link (see the file comment).
  const std::atomic<uint64_t> *Span(uint64_t slot, uint64_t *chunk_end) const;
  static bool WordIsVersion(uint64_t word) { return word != 0 && (word & 1) == 0; }
  // One past the highest slot ever handed out.
  uint64_t high_water() const { return high_water_.load(std::memory_order_acquire); }
  // Frees the chunks (only when the table is dropped and unreachable).
  void RetireChunks(Arena *arena, uint64_t now);

  static uint64_t Capacity();

 private:
  static void Locate(uint64_t slot, int *chunk, uint64_t *index);
  static uint64_t ChunkSlots(int chunk);
  std::atomic<uint64_t> *ChunkFor(Arena *arena, int chunk);

  std::atomic<uint64_t> high_water_;
  std::atomic<uint64_t> free_head_;  // tag << 32 | (slot + 1); 0 in low half = empty
  using ChunkPointer = std::atomic<std::atomic<uint64_t> *>;
  // The pointer to `chunk`'s words, or nullptr if no such chunk exists yet.
  std::atomic<uint64_t> *LoadChunk(int chunk) const;
  // Where `chunk`'s pointer lives, creating the table of large-chunk
  // pointers if needed; nullptr when the arena is full.
  ChunkPointer *ChunkPointerFor(Arena *arena, int chunk);

  ChunkPointer growing_chunks_[kGrowingChunks];
  std::atomic<ChunkPointer *> large_chunks_;  // kMaxChunks - kGrowingChunks pointers
};

}  // namespace memopt

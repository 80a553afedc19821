// version_directory.cpp - chunked slot array with a lock-free free-slot stack.
// See version_directory.h for the encoding of free slots.
#include "memopt/version_directory.h"

#include <cstring>

namespace memopt {

namespace {

constexpr uint64_t kGrowingSlots =
    VersionDirectory::kFirstChunkSlots * ((1ULL << VersionDirectory::kGrowingChunks) - 1);
constexpr uint64_t kLowMask = 0xffffffffULL;

}  // namespace

void VersionDirectory::Init() {
  high_water_.store(0, std::memory_order_relaxed);
  free_head_.store(0, std::memory_order_relaxed);
  for (auto &chunk : growing_chunks_) chunk.store(nullptr, std::memory_order_relaxed);
  large_chunks_.store(nullptr, std::memory_order_relaxed);
}

uint64_t VersionDirectory::Capacity() {
  return kGrowingSlots + static_cast<uint64_t>(kMaxChunks - kGrowingChunks) * kMaxChunkSlots;
}

uint64_t VersionDirectory::ChunkSlots(int chunk) {
  return chunk < kGrowingChunks ? kFirstChunkSlots << chunk : kMaxChunkSlots;
}

void VersionDirectory::Locate(uint64_t slot, int *chunk, uint64_t *index) {
  if (slot < kGrowingSlots) {
    uint64_t shifted = slot + kFirstChunkSlots;
    int log2 = 63 - __builtin_clzll(shifted);
    *chunk = log2 - 8;  // kFirstChunkSlots == 1 << 8
    *index = shifted - (kFirstChunkSlots << *chunk);
    return;
  }
  uint64_t rest = slot - kGrowingSlots;
  *chunk = kGrowingChunks + static_cast<int>(rest / kMaxChunkSlots);
  *index = rest % kMaxChunkSlots;
}

std::atomic<uint64_t> *VersionDirectory::LoadChunk(int chunk) const {
  if (chunk < kGrowingChunks) return growing_chunks_[chunk].load(std::memory_order_acquire);
  if (chunk >= kMaxChunks) return nullptr;
  const ChunkPointer *large = large_chunks_.load(std::memory_order_acquire);
  return large != nullptr ? large[chunk - kGrowingChunks].load(std::memory_order_acquire) : nullptr;
}

VersionDirectory::ChunkPointer *VersionDirectory::ChunkPointerFor(Arena *arena, int chunk) {
  if (chunk < kGrowingChunks) return &growing_chunks_[chunk];
  ChunkPointer *large = large_chunks_.load(std::memory_order_acquire);
  if (large == nullptr) {
    size_t bytes = sizeof(ChunkPointer) * (kMaxChunks - kGrowingChunks);
    void *memory = arena->Allocate(bytes, MemoryKind::kDirectory);
    if (memory == nullptr) return nullptr;
    std::memset(memory, 0, bytes);
    auto *fresh = static_cast<ChunkPointer *>(memory);
    if (large_chunks_.compare_exchange_strong(large, fresh, std::memory_order_acq_rel))
      large = fresh;
    else
      arena->Free(memory);  // another session installed it first
  }
  return &large[chunk - kGrowingChunks];
}

std::atomic<uint64_t> *VersionDirectory::ChunkFor(Arena *arena, int chunk) {
  std::atomic<uint64_t> *slots = LoadChunk(chunk);
  if (slots != nullptr) return slots;
  ChunkPointer *pointer = ChunkPointerFor(arena, chunk);
  if (pointer == nullptr) return nullptr;
  size_t bytes = ChunkSlots(chunk) * sizeof(std::atomic<uint64_t>);
  void *memory = arena->Allocate(bytes, MemoryKind::kDirectory);
  if (memory == nullptr) return nullptr;
  std::memset(memory, 0, bytes);
  auto *fresh = static_cast<std::atomic<uint64_t> *>(memory);
  slots = nullptr;
  if (pointer->compare_exchange_strong(slots, fresh, std::memory_order_acq_rel)) return fresh;
  arena->Free(memory);  // another session installed it first
  return slots;
}

Status VersionDirectory::Acquire(Arena *arena, uint64_t *slot) {
  uint64_t head = free_head_.load(std::memory_order_acquire);
  while ((head & kLowMask) != 0) {
    uint64_t candidate = (head & kLowMask) - 1;
    int chunk;
    uint64_t index;
    Locate(candidate, &chunk, &index);
    uint64_t word = LoadChunk(chunk)[index].load(std::memory_order_acquire);
    if ((word & 1) == 0) {  // popped by someone else meanwhile
      head = free_head_.load(std::memory_order_acquire);
      continue;
    }
    uint64_t next = ((head >> 32) + 1) << 32 | (word >> 1);
    if (free_head_.compare_exchange_weak(head, next, std::memory_order_acq_rel)) {
      *slot = candidate;
      return Status::kOk;
    }
  }
  uint64_t fresh = high_water_.fetch_add(1, std::memory_order_acq_rel);
  if (fresh >= Capacity()) {
    high_water_.fetch_sub(1, std::memory_order_acq_rel);
    return Status::kTableFull;
  }
  int chunk;
  uint64_t index;
  Locate(fresh, &chunk, &index);
  // On failure the slot number stays unused: its chunk does not exist, so
  // Get answers nullptr for it, and a later Acquire may still create the chunk.
  if (ChunkFor(arena, chunk) == nullptr) return Status::kOutOfMemory;
  *slot = fresh;
  return Status::kOk;
}

void VersionDirectory::Set(uint64_t slot, Version *version) {
  int chunk;
  uint64_t index;
  Locate(slot, &chunk, &index);
  LoadChunk(chunk)[index].store(reinterpret_cast<uint64_t>(version), std::memory_order_release);
}

void VersionDirectory::Release(uint64_t slot) {
  int chunk;
  uint64_t index;
  Locate(slot, &chunk, &index);
  std::atomic<uint64_t> &word = LoadChunk(chunk)[index];
  uint64_t head = free_head_.load(std::memory_order_acquire);
  uint64_t next;
  do {
    word.store(((head & kLowMask) << 1) | 1, std::memory_order_release);
    next = ((head >> 32) + 1) << 32 | (slot + 1);
  } while (!free_head_.compare_exchange_weak(head, next, std::memory_order_acq_rel));
}

Version *VersionDirectory::Get(uint64_t slot) const {
  if (slot >= high_water()) return nullptr;
  int chunk;
  uint64_t index;
  Locate(slot, &chunk, &index);
  std::atomic<uint64_t> *slots = LoadChunk(chunk);
  if (slots == nullptr) return nullptr;
  uint64_t word = slots[index].load(std::memory_order_acquire);
  return WordIsVersion(word) ? reinterpret_cast<Version *>(word) : nullptr;
}

const std::atomic<uint64_t> *VersionDirectory::Span(uint64_t slot, uint64_t *chunk_end) const {
  int chunk;
  uint64_t index;
  Locate(slot, &chunk, &index);
  *chunk_end = slot - index + ChunkSlots(chunk);
  const std::atomic<uint64_t> *slots = LoadChunk(chunk);
  return slots != nullptr ? slots + index : nullptr;
}

void VersionDirectory::RetireChunks(Arena *arena, uint64_t now) {
  for (auto &chunk : growing_chunks_) arena->Retire(chunk.exchange(nullptr), now);
  ChunkPointer *large = large_chunks_.exchange(nullptr, std::memory_order_acq_rel);
  if (large == nullptr) return;
  for (int i = 0; i < kMaxChunks - kGrowingChunks; ++i) arena->Retire(large[i].load(), now);
  arena->Retire(large, now);
}

}  // namespace memopt

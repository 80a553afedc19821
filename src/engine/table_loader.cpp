// table_loader.cpp - building a table from durable images (see table_loader.h).
//
// The table is private to the loading thread, so versions are replaced and
// freed at once, without the retire protocol that published tables need.
#include "memopt/table_loader.h"

#include <cstring>
#include <new>

namespace memopt {

void *TableLoader::Allocate(size_t bytes, MemoryKind kind) {
  void *memory = engine_->arena()->Allocate(bytes, kind);
  if (memory == nullptr && engine_->ReclaimMemory() > 0)
    memory = engine_->arena()->Allocate(bytes, kind);
  return memory;
}

Version *TableLoader::MakeVersion(const char *payload, size_t bytes) {
  void *memory = Allocate(sizeof(Version) + bytes, MemoryKind::kVersion);
  if (memory == nullptr) return nullptr;
  Version *version = static_cast<Version *>(memory);
  version->begin.store(kLoadedTimestamp, std::memory_order_relaxed);
  version->end.store(kInfinity, std::memory_order_relaxed);
  version->older.store(nullptr, std::memory_order_relaxed);
  version->row = nullptr;
  version->slot = UINT32_MAX;
  version->cmin = version->cmax = 0;
  version->payload_bytes = static_cast<uint32_t>(bytes);
  memcpy(version->payload(), payload, bytes);
  return version;
}

TableLoader::Entry *TableLoader::EntryFor(uint64_t durable_id, uint64_t seq) {
  if (durable_id > max_durable_id_) max_durable_id_ = durable_id;
  if (seq > max_seq_) max_seq_ = seq;
  auto found = rows_.try_emplace(durable_id, Entry{nullptr, 0});
  Entry *entry = &found.first->second;
  if (!found.second && entry->seq > seq) return nullptr;
  entry->seq = seq;
  return entry;
}

Status TableLoader::Put(uint64_t durable_id, uint64_t seq, const char *payload, size_t bytes,
                        size_t delta_bytes) {
  Entry *entry;
  try {
    entry = EntryFor(durable_id, seq);
  } catch (const std::bad_alloc &) {
    return Status::kOutOfMemory;
  }
  if (entry == nullptr) return Status::kOk;  // a newer change of this row is loaded
  Version *version = MakeVersion(payload, bytes);
  if (version == nullptr) return Status::kOutOfMemory;
  Arena *arena = engine_->arena();
  Row *row = entry->row;
  if (row != nullptr) {  // a newer image of a loaded row replaces the old one
    Version *old = row->newest.load(std::memory_order_relaxed);
    version->row = row;
    version->slot = old->slot;
    table_->directory().Set(old->slot, version);
    row->newest.store(version, std::memory_order_relaxed);
    row->durable_chain = delta_bytes > 0 ? DeltaChain::Add(row->durable_chain, delta_bytes) : 0;
    table_->AddBytes(static_cast<int64_t>(Arena::BlockBytes(version)) -
                     static_cast<int64_t>(Arena::BlockBytes(old)));
    arena->Free(old);
    return Status::kOk;
  }
  row = static_cast<Row *>(Allocate(sizeof(Row), MemoryKind::kRow));
  uint64_t slot = 0;
  Status status = row == nullptr ? Status::kOutOfMemory : table_->directory().Acquire(arena, &slot);
  if (status != Status::kOk) {
    if (row != nullptr) arena->Free(row);
    arena->Free(version);
    return status;
  }
  row->newest.store(version, std::memory_order_relaxed);
  row->gc_next.store(nullptr, std::memory_order_relaxed);
  row->gc_state.store(kRowIdle, std::memory_order_relaxed);
  row->key_share_lockers.store(0, std::memory_order_relaxed);
  row->durable_chain = 0;
  row->index_lock.store(0, std::memory_order_relaxed);
  row->durable_id = durable_id;
  version->row = row;
  version->slot = static_cast<uint32_t>(slot);
  table_->directory().Set(slot, version);
  entry->row = row;
  table_->AddLiveRows(1);
  table_->AddVersions(1);
  table_->AddBytes(Arena::BlockBytes(version) + Arena::BlockBytes(row));
  live_rows_ += 1;
  return Status::kOk;
}

Status TableLoader::Remove(uint64_t durable_id, uint64_t seq) {
  Entry *entry;
  try {
    entry = EntryFor(durable_id, seq);
  } catch (const std::bad_alloc &) {
    return Status::kOutOfMemory;
  }
  if (entry == nullptr || entry->row == nullptr) return Status::kOk;
  Row *row = entry->row;
  Version *version = row->newest.load(std::memory_order_relaxed);
  table_->directory().Release(version->slot);
  table_->AddLiveRows(-1);
  table_->AddVersions(-1);
  table_->AddBytes(-static_cast<int64_t>(Arena::BlockBytes(version) + Arena::BlockBytes(row)));
  engine_->arena()->Free(version);
  engine_->arena()->Free(row);
  entry->row = nullptr;
  live_rows_ -= 1;
  return Status::kOk;
}

bool TableLoader::Current(uint64_t durable_id, uint64_t *seq, const char **payload,
                          size_t *bytes) const {
  auto found = rows_.find(durable_id);
  *seq = found == rows_.end() ? 0 : found->second.seq;
  if (found == rows_.end() || found->second.row == nullptr) return false;
  const Version *version = found->second.row->newest.load(std::memory_order_relaxed);
  *payload = version->payload();
  *bytes = version->payload_bytes;
  return true;
}

void TableLoader::Finish() { table_->ContinueDurableCounters(max_durable_id_, max_seq_); }

}  // namespace memopt

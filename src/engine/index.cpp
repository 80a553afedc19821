// index.cpp - Index: creation, destruction and the sweep of dead rows'
// entries (see index.h).
#include "memopt/index.h"

#include <sched.h>

#include <new>

#include "memopt/engine.h"

namespace memopt {

Status Index::Create(Engine *engine, IndexKind kind, uint32_t relation, uint32_t object_id,
                     uint64_t initial_buckets, Index **index) {
  void *memory = engine->arena()->Allocate(sizeof(Index), MemoryKind::kIndex);
  if (memory == nullptr) return Status::kOutOfMemory;
  Index *created = new (memory) Index();
  created->kind_ = kind;
  created->relation_ = relation;
  created->object_id_ = object_id;
  created->hash_ = nullptr;
  created->range_ = nullptr;
  created->next.store(nullptr, std::memory_order_relaxed);
  Status status = kind == IndexKind::kHash
                      ? HashIndex::Create(engine, initial_buckets, &created->hash_)
                      : RangeIndex::Create(engine, &created->range_);
  if (status != Status::kOk) {
    engine->arena()->Free(memory);
    return status;
  }
  *index = created;
  return Status::kOk;
}

void Index::Destroy(Engine *engine) {
  if (hash_ != nullptr) hash_->Destroy(engine);
  if (range_ != nullptr) range_->Destroy(engine);
  engine->arena()->Retire(this, engine->Now());
}

uint64_t Index::entry_count() const {
  if (hash_ != nullptr) return hash_->entry_count();
  return range_->Stats().entries;
}

void RowIndexLock::LockShared(Row *row) {
  uint32_t word = row->index_lock.load(std::memory_order_relaxed);
  for (;;) {
    if (word & kSweeper) {
      sched_yield();
      word = row->index_lock.load(std::memory_order_relaxed);
      continue;
    }
    if (row->index_lock.compare_exchange_weak(word, word + 1, std::memory_order_acquire,
                                              std::memory_order_relaxed))
      return;
  }
}

uint64_t Index::RemoveDeadEntries(const KeyComparator &cmp, bool *comparator_failed) {
  uint64_t removed = 0;
  *comparator_failed = false;
  if (hash_ != nullptr) {
    hash_->ForEach([&](uint64_t hash, Row *row) {
      if (IsDead(row) && hash_->Remove(hash, row) == Status::kOk) ++removed;
    });
    return removed;
  }
  RangeIndex::Iterator it(range_, cmp);
  for (bool valid = it.Seek(SeekMode::kFirst); valid; valid = it.Next()) {
    if (!IsDead(it.GetRow())) continue;
    if (range_->Remove(it.Key(), it.GetRow(), cmp, comparator_failed) == Status::kOk) ++removed;
    if (*comparator_failed) return removed;
  }
  if (it.comparator_failed()) *comparator_failed = true;
  return removed;
}

}  // namespace memopt

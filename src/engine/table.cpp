// table.cpp - table counters and the GC queue (see table.h).
#include "memopt/table.h"

#include <sched.h>

namespace memopt {

void Table::Init(const TableKey &key, bool durable) {
  key_ = key;
  durable_ = durable;
  next_durable_id_.store(1, std::memory_order_relaxed);
  next_batch_seq_.store(1, std::memory_order_relaxed);
  frozen_pages_.store(0, std::memory_order_relaxed);
  live_rows_.store(0, std::memory_order_relaxed);
  versions_.store(0, std::memory_order_relaxed);
  bytes_.store(0, std::memory_order_relaxed);
  gc_queue_.store(nullptr, std::memory_order_relaxed);
  gc_lock_.store(0, std::memory_order_relaxed);
  indexes_.store(nullptr, std::memory_order_relaxed);
  index_count_.store(0, std::memory_order_relaxed);
  index_lock_.store(0, std::memory_order_relaxed);
  parked_rows_.store(nullptr, std::memory_order_relaxed);
  parked_count_.store(0, std::memory_order_relaxed);
  for (std::atomic<Timestamp> &released : key_lock_released_)
    released.store(0, std::memory_order_relaxed);
  next_in_bucket = nullptr;
  directory_.Init();
}

void Table::NoteKeyLockRelease(const Row *row, Timestamp tick) {
  std::atomic<Timestamp> &released = key_lock_released_[KeyLockBucket(row)];
  Timestamp seen = released.load(std::memory_order_seq_cst);
  while (seen < tick && !released.compare_exchange_weak(seen, tick, std::memory_order_seq_cst)) {
  }
}

void Table::ContinueDurableCounters(uint64_t max_durable_id, uint64_t max_batch_seq) {
  next_durable_id_.store(max_durable_id + 1, std::memory_order_relaxed);
  next_batch_seq_.store(max_batch_seq + 1, std::memory_order_relaxed);
}

TableStats Table::Stats() const {
  TableStats stats;
  stats.key = key_;
  stats.live_rows = live_rows_.load(std::memory_order_relaxed);
  stats.versions = versions_.load(std::memory_order_relaxed);
  stats.bytes = bytes_.load(std::memory_order_relaxed);
  stats.slots = directory_.high_water();
  return stats;
}

void Table::PushGc(Row *row) {
  Row *head = gc_queue_.load(std::memory_order_relaxed);
  do {
    row->gc_next.store(head, std::memory_order_relaxed);
  } while (!gc_queue_.compare_exchange_weak(head, row, std::memory_order_release,
                                            std::memory_order_relaxed));
}

void Table::QueueForGc(Row *row) {
  uint8_t expected = kRowIdle;
  if (row->gc_state.compare_exchange_strong(expected, kRowQueued, std::memory_order_acq_rel))
    PushGc(row);
}

bool Table::TryLockGc() {
  uint32_t expected = 0;
  return gc_lock_.compare_exchange_strong(expected, 1, std::memory_order_acquire);
}

void Table::LockGc() {
  while (!TryLockGc()) sched_yield();
}

void Table::LockIndexes() {
  for (;;) {
    uint32_t expected = 0;
    if (index_lock_.compare_exchange_weak(expected, 1, std::memory_order_acquire)) return;
    sched_yield();
  }
}

void Table::AddIndex(Index *index) {
  LockIndexes();
  LinkIndexLocked(index);
  UnlockIndexes();
}

Index *Table::AddIndexUnlessPresent(Index *index) {
  LockIndexes();
  Index *existing = FindIndex(index->relation());
  if (existing == nullptr) LinkIndexLocked(index);
  UnlockIndexes();
  return existing != nullptr ? existing : index;
}

void Table::LinkIndexLocked(Index *index) {
  index->next.store(indexes_.load(std::memory_order_relaxed), std::memory_order_relaxed);
  indexes_.store(index, std::memory_order_release);
  index_count_.fetch_add(1, std::memory_order_seq_cst);
}

void Table::RemoveIndex(Index *index) {
  LockIndexes();
  std::atomic<Index *> *link = &indexes_;
  for (Index *cursor = link->load(std::memory_order_relaxed); cursor != nullptr;
       cursor = link->load(std::memory_order_relaxed)) {
    if (cursor == index) {
      link->store(cursor->next.load(std::memory_order_relaxed), std::memory_order_release);
      index_count_.fetch_sub(1, std::memory_order_seq_cst);
      break;
    }
    link = &cursor->next;
  }
  UnlockIndexes();
}

Index *Table::FindIndex(uint32_t relation) const {
  for (Index *index = first_index(); index != nullptr;
       index = index->next.load(std::memory_order_acquire))
    if (index->relation() == relation) return index;
  return nullptr;
}

void Table::ParkDeadRow(Row *row) {
  parked_count_.fetch_add(1, std::memory_order_relaxed);
  Row *head = parked_rows_.load(std::memory_order_relaxed);
  do {
    row->gc_next.store(head, std::memory_order_relaxed);
  } while (!parked_rows_.compare_exchange_weak(head, row, std::memory_order_release,
                                               std::memory_order_relaxed));
}

void Table::ReturnParkedRows(Row *rows) {
  while (rows != nullptr) {
    Row *next = rows->gc_next.load(std::memory_order_relaxed);
    parked_count_.fetch_sub(1, std::memory_order_relaxed);  // ParkDeadRow counts it again
    ParkDeadRow(rows);
    rows = next;
  }
}

}  // namespace memopt

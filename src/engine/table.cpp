// table.cpp - table counters and the GC queue (see table.h).
#include "memopt/table.h"

#include <sched.h>

namespace memopt {

void Table::Init(const TableKey &key) {
  key_ = key;
  live_rows_.store(0, std::memory_order_relaxed);
  versions_.store(0, std::memory_order_relaxed);
  bytes_.store(0, std::memory_order_relaxed);
  gc_queue_.store(nullptr, std::memory_order_relaxed);
  gc_lock_.store(0, std::memory_order_relaxed);
  next_in_bucket = nullptr;
  directory_.Init();
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
  uint32_t expected = kRowIdle;
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

}  // namespace memopt

// table.h - one memory-optimized table: its versions and their bookkeeping.
//
// A table is named by a TableKey (PostgreSQL's tablespace, database and
// relfilenode; the engine only compares them) and owns a VersionDirectory.
// Counters are kept for views and the planner.
//
// Garbage collection: a transaction that commits an update or delete queues
// the row (Row::gc_state Idle -> Queued, lock-free push on gc_queue). Whoever
// holds gc_lock (a try-lock) drains the queue: it cuts from each row's chain
// the versions no running transaction can see and retires them, and frees rows
// whose delete is older than every reader. Dropping a table takes gc_lock too,
// so the queue never outlives its table.
#pragma once

#include <atomic>
#include <cstdint>

#include "memopt/version.h"
#include "memopt/version_directory.h"

namespace memopt {

struct TableKey {
  uint32_t space;
  uint32_t database;
  uint32_t relation;
  bool operator==(const TableKey &other) const {
    return space == other.space && database == other.database && relation == other.relation;
  }
};

struct TableStats {
  TableKey key;
  uint64_t live_rows;  // rows whose newest committed version is not deleted
  uint64_t versions;   // versions in the directory (live, old and uncommitted)
  uint64_t bytes;      // arena bytes of the table's rows and versions (whole blocks)
  uint64_t slots;      // directory high-water mark
};

class Table {
 public:
  void Init(const TableKey &key);

  const TableKey &key() const { return key_; }
  VersionDirectory &directory() { return directory_; }
  const VersionDirectory &directory() const { return directory_; }
  TableStats Stats() const;

  // Counters, changed by transactions and the garbage collector.
  void AddLiveRows(int64_t delta) { live_rows_.fetch_add(delta, std::memory_order_relaxed); }
  void AddVersions(int64_t delta) { versions_.fetch_add(delta, std::memory_order_relaxed); }
  void AddBytes(int64_t delta) { bytes_.fetch_add(delta, std::memory_order_relaxed); }
  uint64_t live_rows() const { return live_rows_.load(std::memory_order_relaxed); }

  // GC queue (see the file comment).
  void QueueForGc(Row *row);
  Row *TakeGcQueue() { return gc_queue_.exchange(nullptr, std::memory_order_acq_rel); }
  bool TryLockGc();
  void LockGc();
  void UnlockGc() { gc_lock_.store(0, std::memory_order_release); }
  bool gc_queue_empty() const { return gc_queue_.load(std::memory_order_relaxed) == nullptr; }

  // Registry chain, read and written by the Engine under its registry lock.
  Table *next_in_bucket;

 private:
  void PushGc(Row *row);

  TableKey key_;
  std::atomic<uint64_t> live_rows_;
  std::atomic<uint64_t> versions_;
  std::atomic<uint64_t> bytes_;
  std::atomic<Row *> gc_queue_;
  std::atomic<uint32_t> gc_lock_;
  VersionDirectory directory_;
};

}  // namespace memopt

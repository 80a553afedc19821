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
//
// Indexes: a singly linked list of Index objects (index.h). AddIndex and
// RemoveIndex take index_lock_ (a spinlock); readers walk the list without a
// lock inside a transaction (a removed Index is retired, not freed).
// index_count_ is read by the garbage collector, seq_cst, AFTER it marks a
// row dead; AddIndex increments it BEFORE the build reads any row. So either
// the collector sees the index and parks the row, or the build sees the row
// dead and skips it: an index never gains an entry for a retired row.
//
// Durability: a durable table's committed changes are logged by the host in
// batches, each with a sequence number from NextBatchSeq (taken under the
// host's per-table append lock) and naming rows by Row::durable_id (from
// NextDurableId). durable() is fixed at Init. frozen_pages is the host's
// note of how many leading pages of the table's file need no more freezing;
// only VACUUM (under the append lock) changes it.
//
// Key-share locks (Transaction::LockKeyShare): key_lock_released_ keeps,
// per bucket of rows (by address), the newest clock tick at which a
// committed transaction let go of a key-share lock on one of them. Written
// by the releasing transaction before it decrements the row's lockers
// (seq_cst max), read by a writer after it read the lockers. A false share
// of a bucket costs a spurious conflict, never a missed one.
//
// Parked rows: dead rows of a table that has indexes, pushed by the garbage
// collector or by the undo of an insert (lock-free stack through
// Row::gc_next) and retired by VACUUM after it has removed their entries from
// every index (SweepDeadRows).
#pragma once

#include <atomic>
#include <cstdint>

#include "memopt/index.h"
#include "memopt/status.h"
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
  void Init(const TableKey &key, bool durable = false);

  const TableKey &key() const { return key_; }
  bool durable() const { return durable_; }
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

  // Indexes (see the file comment).
  void AddIndex(Index *index);
  // Adds `index` unless one with its relation is there; returns the one in the list.
  Index *AddIndexUnlessPresent(Index *index);
  // Unlinks `index`; the caller destroys it.
  void RemoveIndex(Index *index);
  Index *FindIndex(uint32_t relation) const;
  Index *first_index() const { return indexes_.load(std::memory_order_acquire); }
  uint32_t index_count() const { return index_count_.load(std::memory_order_seq_cst); }
  void LockIndexes();
  void UnlockIndexes() { index_lock_.store(0, std::memory_order_release); }

  // Parked dead rows (see the file comment).
  void ParkDeadRow(Row *row);
  // Puts back rows taken with TakeParkedRows (a sweep that could not finish).
  void ReturnParkedRows(Row *rows);
  Row *TakeParkedRows() { return parked_rows_.exchange(nullptr, std::memory_order_acq_rel); }
  uint64_t parked_row_count() const { return parked_count_.load(std::memory_order_relaxed); }
  void AddParked(int64_t delta) { parked_count_.fetch_add(delta, std::memory_order_relaxed); }

  // Durability (see the file comment).
  uint64_t NextDurableId() { return next_durable_id_.fetch_add(1, std::memory_order_relaxed); }
  // Every durable id handed out so far is below this.
  uint64_t DurableIdLimit() const { return next_durable_id_.load(std::memory_order_relaxed); }
  uint64_t NextBatchSeq() { return next_batch_seq_.fetch_add(1, std::memory_order_relaxed); }
  // Loading: ids and sequence numbers continue after the largest on disk.
  void ContinueDurableCounters(uint64_t max_durable_id, uint64_t max_batch_seq);
  uint64_t frozen_pages() const { return frozen_pages_.load(std::memory_order_relaxed); }
  void set_frozen_pages(uint64_t pages) { frozen_pages_.store(pages, std::memory_order_relaxed); }

  // Key-share locks (see the file comment).
  // 8 kB per table. Rows are 32 bytes and allocated in runs, so a bucket is
  // shared only by rows 1024 rows apart in the arena (64 buckets made
  // snapshot deleters of rows near a busy referenced row fail spuriously).
  static constexpr unsigned kKeyLockBuckets = 1024;
  void NoteKeyLockRelease(const Row *row, Timestamp tick);
  Timestamp LastKeyLockRelease(const Row *row) const {
    return key_lock_released_[KeyLockBucket(row)].load(std::memory_order_seq_cst);
  }

  // Registry chain, read and written by the Engine under its registry lock.
  Table *next_in_bucket;

 private:
  void PushGc(Row *row);
  void LinkIndexLocked(Index *index);
  static unsigned KeyLockBucket(const Row *row) {
    return static_cast<unsigned>((reinterpret_cast<uintptr_t>(row) >> 5) % kKeyLockBuckets);
  }

  TableKey key_;
  bool durable_;
  std::atomic<uint64_t> next_durable_id_;
  std::atomic<uint64_t> next_batch_seq_;
  std::atomic<uint64_t> frozen_pages_;
  std::atomic<uint64_t> live_rows_;
  std::atomic<uint64_t> versions_;
  std::atomic<uint64_t> bytes_;
  std::atomic<Row *> gc_queue_;
  std::atomic<uint32_t> gc_lock_;
  std::atomic<Index *> indexes_;
  std::atomic<uint32_t> index_count_;
  std::atomic<uint32_t> index_lock_;
  std::atomic<Row *> parked_rows_;
  std::atomic<uint64_t> parked_count_;
  std::atomic<Timestamp> key_lock_released_[kKeyLockBuckets];
  VersionDirectory directory_;
};

}  // namespace memopt

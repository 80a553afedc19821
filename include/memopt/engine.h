// engine.h - the root of memopt's shared state.
//
// Engine::Create formats a region (PostgreSQL's shared memory, or a buffer in
// tests) as: [Engine][TxnSlot x max_sessions][registry buckets][Arena ...].
// Every process that maps the region at the same address uses the same Engine
// pointer; nothing in it refers to process-local memory.
//
// The commit clock: commit timestamps are clock_.fetch_add(1) + 1 and a read
// timestamp is clock_.load(), so a transaction sees exactly the commits that
// took their timestamp before it read the clock.
//
// Table registry: a fixed array of buckets; lookups walk the chains without a
// lock (a dropped table is unlinked, then retired, so a concurrent reader in a
// transaction can finish its walk); creation and removal take registry_lock_.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>

#include "memopt/arena.h"
#include "memopt/status.h"
#include "memopt/table.h"
#include "memopt/txn_slot.h"

namespace memopt {

// Counters since the engine was created (memopt.transaction_stats). Any
// session adds with relaxed atomics; readers see approximate totals.
struct EngineStats {
  std::atomic<uint64_t> commits;
  std::atomic<uint64_t> aborts;
  std::atomic<uint64_t> write_conflicts;
  std::atomic<uint64_t> read_validation_failures;
  std::atomic<uint64_t> phantom_validation_failures;
  std::atomic<uint64_t> dependency_failures;
  std::atomic<uint64_t> dependencies_taken;
  std::atomic<uint64_t> unique_conflicts;  // counted by the host's unique check
};

struct EngineOptions {
  uint32_t max_sessions = 128;
};

class Engine {
 public:
  // Bytes Create needs beyond the arena for `options` (the arena takes the
  // rest of the region).
  static size_t OverheadBytes(const EngineOptions &options);
  // Formats [base, base + bytes); nullptr if the region is too small.
  static Engine *Create(void *base, size_t bytes, const EngineOptions &options);

  Arena *arena() { return arena_; }
  TxnSlot *slots() { return slots_; }
  const TxnSlot *slots() const { return slots_; }
  uint32_t max_sessions() const { return max_sessions_; }

  EngineStats &stats() { return stats_; }

  Timestamp Now() const { return clock_.load(std::memory_order_seq_cst); }
  Timestamp NextCommitTimestamp() { return clock_.fetch_add(1, std::memory_order_seq_cst) + 1; }

  // Claims a free slot for a session; nullptr when all are taken.
  TxnSlot *ClaimSlot(int32_t process_id);
  void ReleaseSlot(TxnSlot *slot);

  // The oldest read timestamp any transaction uses (Now() when none runs):
  // versions that ended at or before it are invisible to every reader.
  Timestamp OldestReadTimestamp() const;

  // Frees retired memory that no running transaction can still reach.
  size_t ReclaimMemory();

  // Tables. OpenTable returns the table with `key`, creating it if there is
  // none (atomically: concurrent callers get the same table); kOutOfMemory.
  Status OpenTable(const TableKey &key, Table **table, bool durable = false);
  // Loading a table before anyone sees it: NewTable makes one outside the
  // registry; PublishTable enters it unless a table with its key is there
  // already (returns the one in the registry: if that is not `table`, the
  // caller discards `table`); DiscardTable frees an unpublished table.
  Status NewTable(const TableKey &key, bool durable, Table **table);
  Table *PublishTable(Table *table);
  void DiscardTable(Table *table);
  Table *FindTable(const TableKey &key) const;
  // Unlinks the table and frees everything in it. The caller guarantees that
  // no transaction still uses it (PostgreSQL holds AccessExclusiveLock).
  void DropTable(Table *table);
  // Calls `fn` for every table (registry lock held: fn must not create or
  // drop tables).
  void ForEachTable(const std::function<void(Table *)> &fn);

  // Garbage collection for one table: trims old versions and frees dead rows
  // queued by committed transactions. Returns false if another session was
  // collecting it.
  bool CollectGarbage(Table *table);
  // Retires rows taken with Table::TakeParkedRows once no index entry points
  // to them any more (Index::RemoveDeadEntries on every index of the table).
  void RetireParkedRows(Table *table, Row *rows);

  // Indexes. CreateIndex adds an empty index to `table` (kOutOfMemory);
  // DropIndex unlinks and retires one (no transaction may still use it:
  // PostgreSQL holds AccessExclusiveLock on the index).
  Status CreateIndex(Table *table, IndexKind kind, uint32_t relation, uint32_t object_id,
                     uint64_t initial_buckets, Index **index);
  void DropIndex(Table *table, Index *index);
  // The index of `table` named `relation`, created empty if there is none
  // (atomically, like OpenTable); kOutOfMemory.
  Status OpenIndex(Table *table, IndexKind kind, uint32_t relation, uint32_t object_id,
                   uint64_t initial_buckets, Index **index);

 private:
  static constexpr uint32_t kRegistryBuckets = 4096;
  static uint32_t BucketOf(const TableKey &key);
  Table *FindLocked(const TableKey &key) const;
  void RetireContents(Table *table);
  void LockRegistry();
  void UnlockRegistry();

  std::atomic<uint64_t> clock_;
  EngineStats stats_;
  uint32_t max_sessions_;
  std::atomic<uint32_t> registry_lock_;
  TxnSlot *slots_;
  std::atomic<Table *> *buckets_;
  Arena *arena_;
};

// Retires a dead row, or parks it when the table has indexes (garbage_collector.cpp).
void RetireOrParkRow(Arena *arena, Table *table, Row *row, Timestamp now);

}  // namespace memopt

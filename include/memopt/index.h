// index.h - one memopt index of a table: a HashIndex or a RangeIndex, named
// by PostgreSQL's index relfilenode, in its table's list of indexes.
//
// Entries map keys to Rows, never to versions: an update that keeps the key
// adds nothing, and a lookup walks the row's chain to the version its reader
// sees and rechecks the key (DESIGN.md, "Indexes").
//
// Life of an entry: added when a version carrying its key is created
// (aminsert, or the build); an entry whose row has died is removed by
// Table::SweepDeadRows before the row's memory is retired, so an index never
// points to freed memory. Dead rows of a table with indexes are therefore not
// retired by the garbage collector but parked on the table
// (Table::ParkDeadRow) until VACUUM sweeps its indexes.
//
// Stale entries of live rows (a key an update replaced, once no version of
// the row carries it) are removed by VACUUM too, and that races with a
// writer whose new version brings the key back: the writer links the version,
// then adds (key, row), which is a no-op while the stale pair is still there;
// a sweeper that read the chain before the link would then remove the pair
// the new version needs. RowIndexLock excludes the two: a writer holds it
// shared while it adds an entry (after linking its version), the sweeper
// holds it exclusive while it re-checks that the row's newest version is
// the one whose chain it read and removes the pair. A sweeper that finds
// writers present skips the row until the next VACUUM; writers wait only
// for the few instructions of one removal.
//
// Thread safety: the fields are immutable after Create except `next`, which
// only the table changes, under its index lock (see table.h). The structures
// behind `hash` and `range` have their own protocols (hash_index.h,
// range_index.h).
#pragma once

#include <atomic>
#include <cstdint>

#include "memopt/hash_index.h"
#include "memopt/range_index.h"
#include "memopt/status.h"
#include "memopt/version.h"

namespace memopt {

class Engine;

enum class IndexKind : uint32_t { kHash = 1, kRange = 2 };

// Row::index_lock: bit 31 = a sweeper removing a stale entry, low bits = the
// number of writers adding entries (see the file comment).
struct RowIndexLock {
  static constexpr uint32_t kSweeper = 1u << 31;
  static void LockShared(Row *row);
  static void UnlockShared(Row *row) { row->index_lock.fetch_sub(1, std::memory_order_release); }
  // False (and nothing held) if a writer or another sweeper is there.
  static bool TryLockExclusive(Row *row) {
    uint32_t expected = 0;
    return row->index_lock.compare_exchange_strong(expected, kSweeper, std::memory_order_acquire);
  }
  static void UnlockExclusive(Row *row) { row->index_lock.store(0, std::memory_order_release); }
};

class Index {
 public:
  // Allocates an empty index; `initial_buckets` matters for kHash only.
  static Status Create(Engine *engine, IndexKind kind, uint32_t relation, uint32_t object_id,
                       uint64_t initial_buckets, Index **index);
  // Retires the index, its structure and all its entries (no concurrent users).
  void Destroy(Engine *engine);

  IndexKind kind() const { return kind_; }
  uint32_t relation() const { return relation_; }    // PostgreSQL relfilenode of the index
  uint32_t object_id() const { return object_id_; }  // pg_class OID of the index
  HashIndex *hash() const { return hash_; }
  RangeIndex *range() const { return range_; }
  uint64_t entry_count() const;

  // Removes every entry whose row is dead (Row::gc_state == kRowDead).
  // Returns how many were removed. `cmp` is used for range indexes; if it
  // fails, the sweep stops early with *comparator_failed set.
  uint64_t RemoveDeadEntries(const KeyComparator &cmp, bool *comparator_failed);

  std::atomic<Index *> next;  // in the table's list; see the file comment

 private:
  IndexKind kind_;
  uint32_t relation_;
  uint32_t object_id_;
  HashIndex *hash_;
  RangeIndex *range_;
};

}  // namespace memopt

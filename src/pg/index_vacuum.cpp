// index_vacuum.cpp - VACUUM's part in index maintenance.
//
// Dead rows of a table with indexes are parked by the garbage collector
// (table.h) because entries may still point to them. VACUUM (and autovacuum)
// takes the parked rows, removes every entry whose row is dead from each of
// the table's engine indexes, and only then retires the rows: PostgreSQL's
// own order of heap pruning, index bulk-delete, then reuse of line pointers.
// The table AM's relation_vacuum does all of it (a table AM owns VACUUM), so
// the index AMs' ambulkdelete and amvacuumcleanup have nothing left to do.
//
// Stale entries of live rows (a key an update replaced, once the garbage
// collector has cut the old version from the chain) are removed first: for
// each entry, the keys of the row's remaining versions are computed; if none
// equals the entry's, the entry is removed under the row's exclusive index
// lock, provided the row's newest version is still the one the keys were
// computed from (index.h explains the race this closes).
#include "index_internal.h"

extern "C" {
#include "access/genam.h"
#include "access/relation.h"
#include "utils/memutils.h"
#include "utils/relcache.h"
#include "utils/rel.h"
}

namespace {

struct StaleSweep {
  Relation heap;
  Relation index;
  const MemoptIndexInfo *info;
  MemoptKeyReader *reader;
  MemoptCompareContext *compare;
  uint64 removed;
};

// Whether some version in the chain from `newest` carries the entry's key
// (given as a hash, or as an encoded key for range indexes).
bool ChainCarries(StaleSweep *sweep, memopt::Version *newest, uint64 hash, memopt::KeyRef key) {
  Datum values[INDEX_MAX_KEYS];
  bool isnull[INDEX_MAX_KEYS];
  for (memopt::Version *version = newest; version != nullptr;
       version = version->older.load(std::memory_order_acquire)) {
    if (!memopt_version_key(sweep->reader, version, values, isnull)) continue;
    if (sweep->info->kind == memopt::IndexKind::kHash) {
      if (memopt_key_hash(sweep->info, nullptr, values, isnull) == hash) return true;
      continue;
    }
    MemoryContext old =
        MemoryContextSwitchTo(GetPerTupleExprContext(sweep->reader->estate)->ecxt_per_tuple_memory);
    memopt::KeyRef own =
        memopt_key_encode(sweep->info, nullptr, sweep->info->natts, values, isnull);
    MemoryContextSwitchTo(old);
    if (memopt_key_compare(sweep->compare, own, key) == 0) return true;
  }
  return false;
}

// Removes (hash or key, row) if it is stale; see the file comment.
void RemoveIfStale(StaleSweep *sweep, memopt::Index *engine_index, memopt::Row *row, uint64 hash,
                   memopt::KeyRef key) {
  if (memopt::IsDead(row)) return;
  memopt::Version *newest = row->newest.load(std::memory_order_acquire);
  if (newest == nullptr || ChainCarries(sweep, newest, hash, key)) return;
  if (!memopt::RowIndexLock::TryLockExclusive(row)) return;  // a writer is there: next time
  bool failed = false;
  memopt::Status status = memopt::Status::kNotFound;
  if (row->newest.load(std::memory_order_acquire) == newest) {
    if (engine_index->kind() == memopt::IndexKind::kHash)
      status = engine_index->hash()->Remove(hash, row);
    else
      status = engine_index->range()->Remove(key, row, memopt_comparator(sweep->compare), &failed);
  }
  memopt::RowIndexLock::UnlockExclusive(row);
  if (failed) memopt_rethrow_comparison_error(sweep->compare);
  if (status == memopt::Status::kOk) sweep->removed++;
}

struct HashEntry {
  uint64 hash;
  memopt::Row *row;
};

void SweepStaleHash(StaleSweep *sweep, memopt::Index *engine_index) {
  // The walk collects first: no PostgreSQL code runs inside the engine's walk.
  size_t capacity = engine_index->entry_count() + 64;
  HashEntry *entries = nullptr;
  size_t found;
  for (;;) {
    entries =
        static_cast<HashEntry *>(palloc_extended(sizeof(HashEntry) * capacity, MCXT_ALLOC_HUGE));
    found = 0;
    engine_index->hash()->ForEach([&](uint64_t hash, memopt::Row *row) {
      if (found < capacity) entries[found] = HashEntry{hash, row};
      ++found;
    });
    if (found <= capacity) break;
    pfree(entries);
    capacity = found * 2;
  }
  for (size_t i = 0; i < found; ++i) {
    if (i % 1024 == 0) CHECK_FOR_INTERRUPTS();
    RemoveIfStale(sweep, engine_index, entries[i].row, entries[i].hash, memopt::KeyRef{nullptr, 0});
  }
  pfree(entries);
}

void SweepStaleRange(StaleSweep *sweep, memopt::Index *engine_index) {
  memopt::RangeIndex::Iterator it(engine_index->range(), memopt_comparator(sweep->compare));
  uint64 visited = 0;
  for (bool valid = it.Seek(memopt::SeekMode::kFirst); valid; valid = it.Next()) {
    if (++visited % 1024 == 0) CHECK_FOR_INTERRUPTS();
    RemoveIfStale(sweep, engine_index, it.GetRow(), 0, it.Key());
  }
  if (it.comparator_failed()) memopt_rethrow_comparison_error(sweep->compare);
}

// Removes the stale entries of one engine index whose PostgreSQL index is `index`.
uint64 SweepStale(Relation heap, Relation index, memopt::Index *engine_index) {
  MemoptCompareContext compare{memopt_index_info(index), nullptr, nullptr};
  StaleSweep sweep{heap, index, compare.info, memopt_key_reader_acquire(heap, index), &compare, 0};
  if (engine_index->kind() == memopt::IndexKind::kHash)
    SweepStaleHash(&sweep, engine_index);
  else
    SweepStaleRange(&sweep, engine_index);
  memopt_key_reader_release(index, sweep.reader);
  return sweep.removed;
}

// Sweeps one engine index; false if it could not be (no PostgreSQL index to
// compare its keys with).
bool SweepIndex(memopt::Index *engine_index, uint64 *removed) {
  if (engine_index->kind() == memopt::IndexKind::kHash) {
    bool failed = false;
    *removed += engine_index->RemoveDeadEntries(memopt::KeyComparator{nullptr, nullptr}, &failed);
    return true;
  }
  Relation index = try_relation_open(engine_index->object_id(), AccessShareLock);
  if (index == nullptr) return false;
  if (index->rd_node.relNode != engine_index->relation()) {
    relation_close(index, AccessShareLock);
    return false;
  }
  MemoptCompareContext compare{memopt_index_info(index), nullptr, nullptr};
  bool failed = false;
  *removed += engine_index->RemoveDeadEntries(memopt_comparator(&compare), &failed);
  relation_close(index, AccessShareLock);
  if (failed) memopt_rethrow_comparison_error(&compare);
  return true;
}

// Stale entries of live rows, for every index of `heap` whose engine index
// exists (the others hold nothing).
uint64 SweepStaleEntries(Relation heap, memopt::Table *table) {
  uint64 removed = 0;
  List *indexes = RelationGetIndexList(heap);
  ListCell *cell;
  foreach (cell, indexes) {
    Relation index = index_open(lfirst_oid(cell), RowExclusiveLock);
    memopt::Index *engine_index = table->FindIndex(index->rd_node.relNode);
    if (engine_index != nullptr && index->rd_indam->ambuild == memopt_index_build)
      removed += SweepStale(heap, index, engine_index);
    index_close(index, RowExclusiveLock);
  }
  list_free(indexes);
  return removed;
}

}  // namespace

void memopt_sweep_indexes(Relation heap, memopt::Table *table) {
  uint64 stale = SweepStaleEntries(heap, table);
  if (stale > 0)
    ereport(DEBUG1, (errmsg("memopt: removed %lu stale index entries of \"%s\"",
                            static_cast<unsigned long>(stale), RelationGetRelationName(heap))));
  memopt::Row *parked = table->TakeParkedRows();
  if (parked == nullptr) return;
  uint64 removed = 0;
  volatile bool complete = true;
  PG_TRY();
  {
    for (memopt::Index *index = table->first_index(); index != nullptr && complete;
         index = index->next.load(std::memory_order_acquire))
      complete = SweepIndex(index, &removed);
  }
  PG_CATCH();
  {
    table->ReturnParkedRows(parked);
    PG_RE_THROW();
  }
  PG_END_TRY();
  if (!complete) {
    table->ReturnParkedRows(parked);
    ereport(DEBUG1, (errmsg("memopt: dead rows of \"%s\" kept: an index could not be swept",
                            RelationGetRelationName(heap))));
    return;
  }
  memopt_engine()->RetireParkedRows(table, parked);
  ereport(DEBUG1, (errmsg("memopt: removed %lu index entries of dead rows of \"%s\"",
                          static_cast<unsigned long>(removed), RelationGetRelationName(heap))));
}

IndexBulkDeleteResult *memopt_index_bulk_delete(IndexVacuumInfo *info, IndexBulkDeleteResult *stats,
                                                IndexBulkDeleteCallback callback,
                                                void *callback_state) {
  (void)info;
  (void)callback;
  (void)callback_state;
  if (stats == nullptr)
    stats = static_cast<IndexBulkDeleteResult *>(palloc0(sizeof(IndexBulkDeleteResult)));
  return stats;
}

IndexBulkDeleteResult *memopt_index_vacuum_cleanup(IndexVacuumInfo *info,
                                                   IndexBulkDeleteResult *stats) {
  (void)info;
  return stats;
}

bool memopt_index_validate(Oid opclass) {
  (void)opclass;
  return true;
}

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
// Stale entries of live rows (a key an update replaced, once no reader can
// see the old version) are not removed yet: lookups skip them by rechecking
// the key, and they go when the row dies. See docs/design.md.
#include "index_internal.h"

extern "C" {
#include "access/relation.h"
#include "utils/rel.h"
}

namespace {

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

}  // namespace

void memopt_sweep_indexes(Relation heap, memopt::Table *table) {
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

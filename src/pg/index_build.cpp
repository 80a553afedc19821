// index_build.cpp - CREATE INDEX (and REINDEX, and the rebuilds of TRUNCATE)
// on memopt tables: the table AM's index_build_range_scan and the ambuild
// of both memopt index access methods.
//
// The build indexes every version in the table's directory, not only those
// the building transaction sees: an older snapshot may still read an old
// version through the new index, and lookups recheck keys on the version
// they reach, so extra entries cost only memory until VACUUM. Concurrent
// writers cannot exist (CREATE INDEX holds ShareLock; CONCURRENTLY is refused
// by the utility hook). Rows the garbage collector has marked dead are
// skipped; the engine index is in the table's list before the scan starts,
// so the collector parks any row that dies during it (table.h).
#include "index_internal.h"

extern "C" {
#include "catalog/index.h"
#include "commands/progress.h"
#include "utils/backend_progress.h"
}

#include "tableam_internal.h"

namespace {

struct BuildState {
  Relation heap;
  memopt::Index *engine_index;
  MemoptKeyReader *reader;
  memopt::Table *table;
  bool unique;
  double entries;
};

void BuildCallback(Relation index, ItemPointer tid, Datum *values, bool *isnull,
                   bool tuple_is_alive, void *opaque) {
  auto *state = static_cast<BuildState *>(opaque);
  uint64_t slot;
  memopt::Version *version =
      memopt_tid_to_slot(tid, &slot) ? state->table->directory().Get(slot) : nullptr;
  if (version == nullptr) return;
  // Only the current image of a row takes part in the uniqueness check.
  bool check = state->unique && tuple_is_alive;
  memopt_index_add_entry(state->heap, index, state->engine_index, state->reader, version, values,
                         isnull, check, true, true);
  state->entries += 1;
}

// A version no transaction will ever see again.
bool IsGone(const memopt::Version *version) {
  return version->begin.load(std::memory_order_acquire) == memopt::kInfinity ||
         version->row->gc_state.load(std::memory_order_seq_cst) == memopt::kRowDead;
}

}  // namespace

double memopt_index_build_range_scan(Relation table_rel, Relation index_rel,
                                     struct IndexInfo *index_info, bool allow_sync, bool anyvisible,
                                     bool progress, BlockNumber start_blockno,
                                     BlockNumber numblocks, IndexBuildCallback callback,
                                     void *callback_state, TableScanDesc scan) {
  (void)allow_sync;
  (void)anyvisible;
  (void)start_blockno;
  (void)numblocks;
  if (index_rel->rd_indam->ambuild != memopt_index_build)  // EXCLUDE USING gist, ...
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("index \"%s\" of memopt table \"%s\" must use a memopt index access "
                           "method",
                           RelationGetRelationName(index_rel), RelationGetRelationName(table_rel)),
                    errhint("%s", memopt_index_hint())));
  if (scan != nullptr)
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("parallel index builds are not supported on memopt tables")));
  memopt::Table *table = memopt_table_for(table_rel);
  EState *estate = CreateExecutorState();
  ExprContext *econtext = GetPerTupleExprContext(estate);
  TupleTableSlot *slot = table_slot_create(table_rel, nullptr);
  econtext->ecxt_scantuple = slot;
  ExprState *predicate = ExecPrepareQual(index_info->ii_Predicate, estate);
  Datum values[INDEX_MAX_KEYS];
  bool isnull[INDEX_MAX_KEYS];
  double tuples = 0;
  uint64_t end = table->directory().high_water();
  if (progress)
    pgstat_progress_update_param(PROGRESS_SCAN_BLOCKS_TOTAL, memopt_analyze_blocks(end));
  for (uint64_t position = 0; position < end; ++position) {
    CHECK_FOR_INTERRUPTS();
    memopt::Version *version = table->directory().Get(position);
    if (version == nullptr || IsGone(version)) continue;
    ResetExprContext(econtext);
    memopt_store_version(version, table_rel, slot);
    if (predicate != nullptr && !ExecQual(predicate, econtext)) continue;
    FormIndexDatum(index_info, slot, estate, values, isnull);
    ItemPointerData tid;
    memopt_slot_to_tid(position, &tid);
    // The current image of its row: not replaced or deleted by a committed
    // (or our own, or another running) transaction.
    bool current = memopt::EndIsOpen(memopt_engine()->slots(), version);
    callback(index_rel, &tid, values, isnull, current, callback_state);
    if (current) tuples += 1;
  }
  ExecDropSingleTupleTableSlot(slot);
  FreeExecutorState(estate);
  index_info->ii_ExpressionsState = NIL;
  index_info->ii_PredicateState = nullptr;
  return tuples;
}

IndexBuildResult *memopt_index_build(Relation heap, Relation index, IndexInfo *index_info) {
  if (heap->rd_tableam != memopt_table_am_routine())
    ereport(ERROR,
            (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
             errmsg("index \"%s\" cannot be built on table \"%s\"", RelationGetRelationName(index),
                    RelationGetRelationName(heap)),
             errdetail("Index access method \"%s\" works only on memopt tables.",
                       memopt_index_info(index)->kind == memopt::IndexKind::kHash ? "memopt_hash"
                                                                                  : "memopt_range"),
             errhint("Use btree or hash for tables of other access methods.")));
  BuildState state;
  state.heap = heap;
  state.table = memopt_table_for(heap);
  state.engine_index = memopt_index_create(heap, index);
  state.reader = memopt_key_reader_acquire(heap, index);
  state.unique = index_info->ii_Unique;
  state.entries = 0;
  double tuples =
      table_index_build_scan(heap, index, index_info, false, true, BuildCallback, &state, nullptr);
  memopt_key_reader_release(index, state.reader);
  auto *result = static_cast<IndexBuildResult *>(palloc0(sizeof(IndexBuildResult)));
  result->heap_tuples = tuples;
  result->index_tuples = state.entries;
  return result;
}

// Loading a durable table after a restart (durable_load.cpp): `table` is
// not published yet, and memopt_table_for(heap) returns it to the scan.
// Loaded rows were unique when they committed: no checks.
void memopt_index_build_at_load(Relation heap, Relation index, memopt::Table *table) {
  if (index->rd_indam->ambuild != memopt_index_build) return;
  const MemoptIndexInfo *info = memopt_index_info(index);
  uint64_t buckets = info->kind == memopt::IndexKind::kHash ? memopt_hash_bucket_option(index) : 0;
  BuildState state;
  state.heap = heap;
  state.table = table;
  memopt::Status status =
      memopt_engine()->CreateIndex(table, info->kind, index->rd_node.relNode,
                                   RelationGetRelid(index), buckets, &state.engine_index);
  if (status != memopt::Status::kOk) memopt_report_status(status, heap);
  state.reader = memopt_key_reader_acquire(heap, index);
  state.unique = false;
  state.entries = 0;
  IndexInfo *index_info = BuildIndexInfo(index);
  table_index_build_scan(heap, index, index_info, false, false, BuildCallback, &state, nullptr);
  memopt_key_reader_release(index, state.reader);
}

void memopt_index_build_empty(Relation index) {
  (void)index;  // unlogged tables: the init fork of an in-memory index holds nothing
}

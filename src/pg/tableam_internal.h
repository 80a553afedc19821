// tableam_internal.h - the table AM callbacks, defined in the tableam_*.cpp
// file of their phase and collected into one TableAmRoutine in
// tableam_handler.cpp.
#pragma once

#include "memopt_pg.h"

extern "C" {
#include "storage/lmgr.h"
}

// tableam_scan.cpp
TableScanDesc memopt_scan_begin(Relation rel, Snapshot snapshot, int nkeys, ScanKey key,
                                ParallelTableScanDesc pscan, uint32 flags);
void memopt_scan_end(TableScanDesc scan);
void memopt_scan_rescan(TableScanDesc scan, ScanKey key, bool set_params, bool allow_strat,
                        bool allow_sync, bool allow_pagemode);
bool memopt_scan_getnextslot(TableScanDesc scan, ScanDirection direction, TupleTableSlot *slot);
void memopt_scan_set_tidrange(TableScanDesc scan, ItemPointer mintid, ItemPointer maxtid);
bool memopt_scan_getnextslot_tidrange(TableScanDesc scan, ScanDirection direction,
                                      TupleTableSlot *slot);
Size memopt_parallelscan_estimate(Relation rel);
Size memopt_parallelscan_initialize(Relation rel, ParallelTableScanDesc pscan);
void memopt_parallelscan_reinitialize(Relation rel, ParallelTableScanDesc pscan);
memopt::Version *memopt_fetch_tid(Relation rel, ItemPointer tid, Snapshot snapshot);
bool memopt_tuple_fetch_row_version(Relation rel, ItemPointer tid, Snapshot snapshot,
                                    TupleTableSlot *slot);
bool memopt_tuple_tid_valid(TableScanDesc scan, ItemPointer tid);
void memopt_tuple_get_latest_tid(TableScanDesc scan, ItemPointer tid);
bool memopt_tuple_satisfies_snapshot(Relation rel, TupleTableSlot *slot, Snapshot snapshot);
struct IndexFetchTableData *memopt_index_fetch_begin(Relation rel);
void memopt_index_fetch_reset(struct IndexFetchTableData *data);
void memopt_index_fetch_end(struct IndexFetchTableData *data);
bool memopt_index_fetch_tuple(struct IndexFetchTableData *data, ItemPointer tid, Snapshot snapshot,
                              TupleTableSlot *slot, bool *call_again, bool *all_dead);
BlockNumber memopt_analyze_blocks(uint64_t slots);
bool memopt_scan_analyze_next_block(TableScanDesc scan, BlockNumber blockno,
                                    BufferAccessStrategy bstrategy);
bool memopt_scan_analyze_next_tuple(TableScanDesc scan, TransactionId oldest_xmin, double *liverows,
                                    double *deadrows, TupleTableSlot *slot);

// tableam_modify.cpp
void memopt_tuple_insert(Relation rel, TupleTableSlot *slot, CommandId cid, int options,
                         struct BulkInsertStateData *bistate);
void memopt_tuple_insert_speculative(Relation rel, TupleTableSlot *slot, CommandId cid, int options,
                                     struct BulkInsertStateData *bistate, uint32 spec_token);
void memopt_tuple_complete_speculative(Relation rel, TupleTableSlot *slot, uint32 spec_token,
                                       bool succeeded);
void memopt_multi_insert(Relation rel, TupleTableSlot **slots, int nslots, CommandId cid,
                         int options, struct BulkInsertStateData *bistate);
TM_Result memopt_tuple_delete(Relation rel, ItemPointer tid, CommandId cid, Snapshot snapshot,
                              Snapshot crosscheck, bool wait, TM_FailureData *tmfd,
                              bool changing_part);
TM_Result memopt_tuple_update(Relation rel, ItemPointer otid, TupleTableSlot *slot, CommandId cid,
                              Snapshot snapshot, Snapshot crosscheck, bool wait,
                              TM_FailureData *tmfd, LockTupleMode *lockmode, bool *update_indexes);
void memopt_finish_bulk_insert(Relation rel, int options);

// row_locks.cpp
TM_Result memopt_tuple_lock(Relation rel, ItemPointer tid, Snapshot snapshot, TupleTableSlot *slot,
                            CommandId cid, LockTupleMode mode, LockWaitPolicy wait_policy,
                            uint8 flags, TM_FailureData *tmfd);
// Waits until memopt transaction `holder`, which holds a row lock (or a
// claim) on the row at `tid`, has ended.
void memopt_wait_for_row_lock(Relation rel, ItemPointer tid, uint64_t holder, XLTW_Oper oper);

// update_chain.cpp
// True if the executor may follow `version`'s row to its newest version
// (READ COMMITTED's EvalPlanQual): memopt's level is read committed and a
// transaction that has committed ended `version`.
bool memopt_follows_updates(const memopt::Version *version);
// The newest committed version of `version`'s row (or this transaction's own
// newest), or nullptr when the row has been deleted.
memopt::Version *memopt_newest_version(const memopt::Version *version);
// Fills `tmfd` for a version ended by a committed transaction: TM_Updated
// with the newest version's TID, or TM_Deleted.
TM_Result memopt_report_changed_row(const memopt::Version *version, TM_FailureData *tmfd);

// tableam_ddl.cpp
void memopt_relation_set_new_filenode(Relation rel, const RelFileNode *newrnode, char persistence,
                                      TransactionId *freeze_xid, MultiXactId *min_multi);
void memopt_relation_nontransactional_truncate(Relation rel);
void memopt_relation_copy_data(Relation rel, const RelFileNode *newrnode);
void memopt_relation_copy_for_cluster(Relation old_table, Relation new_table, Relation old_index,
                                      bool use_sort, TransactionId oldest_xmin,
                                      TransactionId *xid_cutoff, MultiXactId *multi_cutoff,
                                      double *num_tuples, double *tups_vacuumed,
                                      double *tups_recently_dead);
void memopt_relation_vacuum(Relation rel, struct VacuumParams *params,
                            BufferAccessStrategy bstrategy);
uint64 memopt_relation_size(Relation rel, ForkNumber fork);
bool memopt_relation_needs_toast_table(Relation rel);
Oid memopt_relation_toast_am(Relation rel);
void memopt_relation_fetch_toast_slice(Relation toastrel, Oid valueid, int32 attrsize,
                                       int32 sliceoffset, int32 slicelength,
                                       struct varlena *result);
void memopt_relation_estimate_size(Relation rel, int32 *attr_widths, BlockNumber *pages,
                                   double *tuples, double *allvisfrac);
TransactionId memopt_index_delete_tuples(Relation rel, TM_IndexDeleteOp *delstate);
double memopt_index_build_range_scan(Relation table_rel, Relation index_rel,
                                     struct IndexInfo *index_info, bool allow_sync, bool anyvisible,
                                     bool progress, BlockNumber start_blockno,
                                     BlockNumber numblocks, IndexBuildCallback callback,
                                     void *callback_state, TableScanDesc scan);
void memopt_index_validate_scan(Relation table_rel, Relation index_rel,
                                struct IndexInfo *index_info, Snapshot snapshot,
                                struct ValidateIndexState *state);

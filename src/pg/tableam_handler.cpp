// tableam_handler.cpp - the memopt table access method: one TableAmRoutine
// whose callbacks live in tableam_scan.cpp, tableam_modify.cpp and
// tableam_ddl.cpp.
//
// Slots are memopt's MinimalTuple slots (slot.cpp): scans store pointers to
// the MinimalTuples in shared memory without copying. Bitmap-scan callbacks stay NULL, so the
// planner never builds bitmap heap scans on memopt tables.
#include "memopt_pg.h"

extern "C" {
#include "executor/tuptable.h"
}

#include "tableam_internal.h"

namespace {

const TupleTableSlotOps *SlotCallbacks(Relation rel) {
  (void)rel;
  return memopt_slot_ops();
}

bool RefuseSampleScan(TableScanDesc scan, struct SampleScanState *scanstate) {
  (void)scanstate;
  ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                  errmsg("TABLESAMPLE is not supported on memopt table \"%s\"",
                         RelationGetRelationName(scan->rs_rd))));
  pg_unreachable();
}

bool RefuseSampleTuple(TableScanDesc scan, struct SampleScanState *scanstate,
                       TupleTableSlot *slot) {
  (void)slot;
  return RefuseSampleScan(scan, scanstate);
}

TableAmRoutine MakeRoutine() {
  TableAmRoutine routine;
  memset(&routine, 0, sizeof(routine));
  routine.type = T_TableAmRoutine;
  routine.slot_callbacks = SlotCallbacks;
  routine.scan_begin = memopt_scan_begin;
  routine.scan_end = memopt_scan_end;
  routine.scan_rescan = memopt_scan_rescan;
  routine.scan_getnextslot = memopt_scan_getnextslot;
  routine.scan_set_tidrange = memopt_scan_set_tidrange;
  routine.scan_getnextslot_tidrange = memopt_scan_getnextslot_tidrange;
  routine.parallelscan_estimate = memopt_parallelscan_estimate;
  routine.parallelscan_initialize = memopt_parallelscan_initialize;
  routine.parallelscan_reinitialize = memopt_parallelscan_reinitialize;
  routine.index_fetch_begin = memopt_index_fetch_begin;
  routine.index_fetch_reset = memopt_index_fetch_reset;
  routine.index_fetch_end = memopt_index_fetch_end;
  routine.index_fetch_tuple = memopt_index_fetch_tuple;
  routine.tuple_fetch_row_version = memopt_tuple_fetch_row_version;
  routine.tuple_tid_valid = memopt_tuple_tid_valid;
  routine.tuple_get_latest_tid = memopt_tuple_get_latest_tid;
  routine.tuple_satisfies_snapshot = memopt_tuple_satisfies_snapshot;
  routine.index_delete_tuples = memopt_index_delete_tuples;
  routine.tuple_insert = memopt_tuple_insert;
  routine.tuple_insert_speculative = memopt_tuple_insert_speculative;
  routine.tuple_complete_speculative = memopt_tuple_complete_speculative;
  routine.multi_insert = memopt_multi_insert;
  routine.tuple_delete = memopt_tuple_delete;
  routine.tuple_update = memopt_tuple_update;
  routine.tuple_lock = memopt_tuple_lock;
  routine.finish_bulk_insert = memopt_finish_bulk_insert;
  routine.relation_set_new_filenode = memopt_relation_set_new_filenode;
  routine.relation_nontransactional_truncate = memopt_relation_nontransactional_truncate;
  routine.relation_copy_data = memopt_relation_copy_data;
  routine.relation_copy_for_cluster = memopt_relation_copy_for_cluster;
  routine.relation_vacuum = memopt_relation_vacuum;
  routine.scan_analyze_next_block = memopt_scan_analyze_next_block;
  routine.scan_analyze_next_tuple = memopt_scan_analyze_next_tuple;
  routine.index_build_range_scan = memopt_index_build_range_scan;
  routine.index_validate_scan = memopt_index_validate_scan;
  routine.relation_size = memopt_relation_size;
  routine.relation_needs_toast_table = memopt_relation_needs_toast_table;
  routine.relation_toast_am = memopt_relation_toast_am;
  routine.relation_fetch_toast_slice = memopt_relation_fetch_toast_slice;
  routine.relation_estimate_size = memopt_relation_estimate_size;
  routine.scan_bitmap_next_block = nullptr;
  routine.scan_bitmap_next_tuple = nullptr;
  routine.scan_sample_next_block = RefuseSampleScan;
  routine.scan_sample_next_tuple = RefuseSampleTuple;
  return routine;
}

const TableAmRoutine memopt_routine = MakeRoutine();

}  // namespace

const TableAmRoutine *memopt_table_am_routine(void) { return &memopt_routine; }

extern "C" {
PG_FUNCTION_INFO_V1(memopt_tableam_handler);
Datum memopt_tableam_handler(PG_FUNCTION_ARGS) {
  (void)fcinfo;
  PG_RETURN_POINTER(&memopt_routine);
}
}

// range_am.cpp - the memopt_range index access method: handler and scans.
//
// An index is the engine's RangeIndex (range_index.h), a B+-tree of encoded
// keys (index_keys.cpp) to rows, ordered as btree orders them (ASC, NULLS
// LAST), so the planner uses it for equality, ranges, ORDER BY in both
// directions, min/max and merge joins (mark/restore). A scan is a
// MemoptRangeCursor (range_cursor.cpp) over the scan keys; each version it
// yields is returned by TID, with its key values for index-only scans.
#include "index_internal.h"

extern "C" {
#include "access/nbtree.h"
#include "access/stratnum.h"
}

namespace {

struct RangeScan {
  MemoptRangeCursor cursor;
  bool started;  // cursor started since the last rescan
};

bool RangeGetTuple(IndexScanDesc scan, ScanDirection direction) {
  auto *state = static_cast<RangeScan *>(scan->opaque);
  if (!state->started) {
    memopt_range_cursor_start(&state->cursor, scan->heapRelation, scan->indexRelation,
                              scan->keyData, scan->numberOfKeys, scan->xs_snapshot);
    state->started = true;
  }
  Datum values[INDEX_MAX_KEYS];
  bool isnull[INDEX_MAX_KEYS];
  memopt::Version *version =
      memopt_range_cursor_next(&state->cursor, ScanDirectionIsBackward(direction), values, isnull);
  if (version == nullptr) return false;
  memopt_index_return_key(scan, values, isnull);
  memopt_slot_to_tid(version->slot, &scan->xs_heaptid);
  scan->xs_recheck = false;
  return true;
}

IndexScanDesc RangeBeginScan(Relation index, int nkeys, int norderbys) {
  IndexScanDesc scan = RelationGetIndexScan(index, nkeys, norderbys);
  scan->opaque = palloc0(sizeof(RangeScan));
  return scan;
}

void RangeRescan(IndexScanDesc scan, ScanKey keys, int nkeys, ScanKey orderbys, int norderbys) {
  (void)orderbys;
  (void)norderbys;
  if (keys != nullptr && nkeys > 0) memmove(scan->keyData, keys, nkeys * sizeof(ScanKeyData));
  auto *state = static_cast<RangeScan *>(scan->opaque);
  memopt_range_cursor_reset(&state->cursor);
  state->started = false;
}

void RangeEndScan(IndexScanDesc scan) {
  auto *state = static_cast<RangeScan *>(scan->opaque);
  memopt_range_cursor_end(&state->cursor);
  pfree(state);
}

void RangeMarkPosition(IndexScanDesc scan) {
  memopt_range_cursor_mark(&static_cast<RangeScan *>(scan->opaque)->cursor);
}

void RangeRestorePosition(IndexScanDesc scan) {
  memopt_range_cursor_restore(&static_cast<RangeScan *>(scan->opaque)->cursor);
}

IndexAmRoutine MakeRoutine() {
  IndexAmRoutine routine = memopt_index_routine_base();
  routine.amstrategies = BTMaxStrategyNumber;  // support function 1: btree's comparison
  routine.amcanorder = true;
  routine.amcanbackward = true;
  routine.amoptionalkey = true;
  routine.amsearchnulls = true;
  routine.amsearcharray = true;  // "= ANY (array)": range_cursor.cpp, array_keys.cpp
  // INCLUDE columns are formed with the key (FormIndexDatum) and returned by
  // index-only scans, but neither compared nor stored: the entry leads to
  // the row, which has them.
  routine.amcaninclude = true;
  routine.amoptions = memopt_range_options;
  routine.ambeginscan = RangeBeginScan;
  routine.amrescan = RangeRescan;
  routine.amgettuple = RangeGetTuple;
  routine.amendscan = RangeEndScan;
  routine.ammarkpos = RangeMarkPosition;
  routine.amrestrpos = RangeRestorePosition;
  return routine;
}

const IndexAmRoutine range_routine = MakeRoutine();

}  // namespace

extern "C" {
PG_FUNCTION_INFO_V1(memopt_range_handler);
Datum memopt_range_handler(PG_FUNCTION_ARGS) {
  (void)fcinfo;
  auto *routine = makeNode(IndexAmRoutine);
  *routine = range_routine;
  PG_RETURN_POINTER(routine);
}
}

// range_am.cpp - the memopt_range index access method: handler and scans.
//
// An index is the engine's RangeIndex (range_index.h), a B+-tree of encoded
// keys (index_keys.cpp) to rows, ordered as btree orders them (ASC, NULLS
// LAST), so the planner uses it for equality, ranges, ORDER BY in both
// directions, min/max and merge joins (mark/restore).
//
// Scan keys become bounds the way btree's _bt_first uses them: "=" keys on
// the leading columns, then at most one lower and one upper bound on the
// next column, give the prefix the scan seeks to and the prefix past which
// it stops. Every key is then tested on each entry's key (so keys that are
// not bounds still filter), and an entry is returned only if the version of
// its row that the scan's snapshot sees carries that very key: a row has
// entries for the keys of its older and newer versions too.
#include "index_internal.h"

#include <new>

extern "C" {
#include "access/nbtree.h"
#include "access/stratnum.h"
#include "utils/lsyscache.h"
}

namespace {

struct RangeScan {
  MemoptKeyReader *reader;
  MemoptCompareContext compare;
  MemoptSearchColumn search[INDEX_MAX_KEYS];
  memopt::ReadView view;
  memopt::Index *engine_index;
  bool prepared;
  bool impossible;  // a key compares with NULL: nothing matches
  bool started;
  memopt::KeyRef lower, upper;  // search prefixes; data == nullptr: unbounded
  bool lower_strict, upper_strict;
  alignas(memopt::RangeIndex::Iterator) char iterator[sizeof(memopt::RangeIndex::Iterator)];
  alignas(memopt::RangeIndex::Iterator) char mark[sizeof(memopt::RangeIndex::Iterator)];
  bool marked_started;
};

memopt::RangeIndex::Iterator *IteratorOf(RangeScan *state) {
  return reinterpret_cast<memopt::RangeIndex::Iterator *>(state->iterator);
}

// The column's search type for a key whose argument has `subtype`; false if
// the key cannot be a bound (no comparison function for that pair of types,
// or the column already has a bound of another type).
bool UseAsBound(const MemoptIndexColumn &column, MemoptSearchColumn *search, bool *typed,
                Oid subtype) {
  bool cross = OidIsValid(subtype) && subtype != column.type;
  if (*typed) return search->cross == cross && (!cross || search->type == subtype);
  if (cross) {
    Oid function = get_opfamily_proc(column.opfamily, column.type, subtype, BTORDER_PROC);
    if (!OidIsValid(function)) return false;
    fmgr_info(function, &search->compare);
    get_typlenbyvalalign(subtype, &search->typlen, &search->typbyval, &search->typalign);
    search->type = subtype;
  }
  search->cross = cross;
  *typed = true;
  return true;
}

// Works out the bounds (see the file comment).
void Prepare(IndexScanDesc scan, RangeScan *state) {
  const MemoptIndexInfo *info = memopt_index_info(scan->indexRelation);
  Datum lower[INDEX_MAX_KEYS], upper[INDEX_MAX_KEYS];
  bool lower_null[INDEX_MAX_KEYS], upper_null[INDEX_MAX_KEYS];
  int nlower = 0, nupper = 0;
  state->impossible = false;
  state->lower_strict = state->upper_strict = false;
  memset(state->search, 0, sizeof state->search);
  for (int i = 0; i < scan->numberOfKeys; ++i) {
    ScanKey key = &scan->keyData[i];
    if ((key->sk_flags & SK_ISNULL) && !(key->sk_flags & (SK_SEARCHNULL | SK_SEARCHNOTNULL)))
      state->impossible = true;
  }
  for (int column = 0; column < info->natts && !state->impossible; ++column) {
    ScanKey equal = nullptr, low = nullptr, high = nullptr;
    bool typed = false;
    for (int i = 0; i < scan->numberOfKeys; ++i) {
      ScanKey key = &scan->keyData[i];
      if (key->sk_attno != column + 1 || (key->sk_flags & SK_SEARCHNOTNULL)) continue;
      if (key->sk_flags & SK_SEARCHNULL) {
        if (equal == nullptr) equal = key;
        continue;
      }
      ScanKey *slot = key->sk_strategy == BTEqualStrategyNumber          ? &equal
                      : key->sk_strategy >= BTGreaterEqualStrategyNumber ? &low
                                                                         : &high;
      if (*slot == nullptr &&
          UseAsBound(info->columns[column], &state->search[column], &typed, key->sk_subtype))
        *slot = key;
    }
    if (equal != nullptr) {
      bool is_null = (equal->sk_flags & SK_SEARCHNULL) != 0;
      lower[column] = upper[column] = is_null ? 0 : equal->sk_argument;
      lower_null[column] = upper_null[column] = is_null;
      nlower = nupper = column + 1;
      continue;
    }
    if (low != nullptr) {
      lower[column] = low->sk_argument;
      lower_null[column] = false;
      nlower = column + 1;
      state->lower_strict = low->sk_strategy == BTGreaterStrategyNumber;
    }
    if (high != nullptr) {
      upper[column] = high->sk_argument;
      upper_null[column] = false;
      nupper = column + 1;
      state->upper_strict = high->sk_strategy == BTLessStrategyNumber;
    }
    break;
  }
  state->compare = MemoptCompareContext{info, state->search, nullptr};
  state->lower = nlower > 0 ? memopt_key_encode(info, state->search, nlower, lower, lower_null)
                            : memopt::KeyRef{nullptr, 0};
  state->upper = nupper > 0 ? memopt_key_encode(info, state->search, nupper, upper, upper_null)
                            : memopt::KeyRef{nullptr, 0};
  state->engine_index = memopt_index_for(scan->heapRelation, scan->indexRelation);
  state->view = memopt_view_for(scan->xs_snapshot);
  new (state->iterator) memopt::RangeIndex::Iterator(state->engine_index->range(),
                                                     memopt_comparator(&state->compare));
  state->prepared = true;
  state->started = false;
}

void CheckComparison(RangeScan *state) {
  if (state->compare.error != nullptr || IteratorOf(state)->comparator_failed())
    memopt_rethrow_comparison_error(&state->compare);
}

// Positions the iterator at the first entry in `direction`.
bool Start(RangeScan *state, bool backward) {
  memopt::RangeIndex::Iterator *it = IteratorOf(state);
  bool valid;
  if (!backward)
    valid = state->lower.data == nullptr
                ? it->Seek(memopt::SeekMode::kFirst)
                : it->Seek(state->lower_strict ? memopt::SeekMode::kGreater
                                               : memopt::SeekMode::kGreaterOrEqual,
                           state->lower);
  else
    valid = state->upper.data == nullptr
                ? it->Seek(memopt::SeekMode::kLast)
                : it->Seek(state->upper_strict ? memopt::SeekMode::kLess
                                               : memopt::SeekMode::kLessOrEqual,
                           state->upper);
  CheckComparison(state);
  return valid;
}

// True while the entry is inside the bound the scan moves towards.
bool WithinBound(RangeScan *state, memopt::KeyRef entry, bool backward) {
  memopt::KeyRef bound = backward ? state->lower : state->upper;
  if (bound.data == nullptr) return true;
  int order = memopt_key_compare(&state->compare, entry, bound);
  bool strict = backward ? state->lower_strict : state->upper_strict;
  if (backward) return strict ? order > 0 : order >= 0;
  return strict ? order < 0 : order <= 0;
}

bool KeysMatch(IndexScanDesc scan, const MemoptIndexInfo *info, memopt::KeyRef entry) {
  Datum values[INDEX_MAX_KEYS];
  bool isnull[INDEX_MAX_KEYS];
  memopt_key_decode(info, nullptr, entry, values, isnull);
  for (int i = 0; i < scan->numberOfKeys; ++i) {
    ScanKey key = &scan->keyData[i];
    int column = key->sk_attno - 1;
    if (key->sk_flags & SK_SEARCHNULL) {
      if (!isnull[column]) return false;
      continue;
    }
    if (isnull[column]) return false;  // also for IS NOT NULL
    if (key->sk_flags & SK_SEARCHNOTNULL) continue;
    if (!DatumGetBool(
            FunctionCall2Coll(&key->sk_func, key->sk_collation, values[column], key->sk_argument)))
      return false;
  }
  return true;
}

// The version of the entry's row that the scan sees, if it carries the key;
// values/isnull get that version's key.
memopt::Version *VisibleWithKey(RangeScan *state, const MemoptIndexInfo *info, memopt::Row *row,
                                memopt::KeyRef entry, Datum *values, bool *isnull) {
  memopt::Version *version = memopt_visible_version(row, state->view);
  if (version == nullptr) return nullptr;
  if (!memopt_version_key(state->reader, version, values, isnull)) return nullptr;
  return memopt_key_compare_values(info, entry, values, isnull) == 0 ? version : nullptr;
}

bool RangeGetTuple(IndexScanDesc scan, ScanDirection direction) {
  auto *state = static_cast<RangeScan *>(scan->opaque);
  if (!state->prepared) Prepare(scan, state);
  if (state->impossible) return false;
  if (state->reader == nullptr)
    state->reader = memopt_key_reader_acquire(scan->heapRelation, scan->indexRelation);
  const MemoptIndexInfo *info = memopt_index_info(scan->indexRelation);
  bool backward = ScanDirectionIsBackward(direction);
  memopt::RangeIndex::Iterator *it = IteratorOf(state);
  bool valid;
  if (!state->started || !it->Valid()) {
    valid = Start(state, backward);  // also after running off either end
    state->started = true;
  } else {
    valid = backward ? it->Prev() : it->Next();
    CheckComparison(state);
  }
  for (; valid; valid = backward ? it->Prev() : it->Next()) {
    CHECK_FOR_INTERRUPTS();
    CheckComparison(state);
    memopt::KeyRef entry = it->Key();
    if (!WithinBound(state, entry, backward)) return false;  // stays here for a turn back
    if (!KeysMatch(scan, info, entry)) continue;
    Datum values[INDEX_MAX_KEYS];
    bool isnull[INDEX_MAX_KEYS];
    memopt::Version *version = VisibleWithKey(state, info, it->GetRow(), entry, values, isnull);
    if (version == nullptr) continue;
    memopt_index_return_key(scan, values, isnull);
    memopt_slot_to_tid(version->slot, &scan->xs_heaptid);
    scan->xs_recheck = false;
    return true;
  }
  CheckComparison(state);
  return false;
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
  if (state->lower.data != nullptr) pfree(const_cast<void *>(state->lower.data));
  if (state->upper.data != nullptr) pfree(const_cast<void *>(state->upper.data));
  state->lower = state->upper = memopt::KeyRef{nullptr, 0};
  state->prepared = false;
}

void RangeEndScan(IndexScanDesc scan) {
  auto *state = static_cast<RangeScan *>(scan->opaque);
  if (state->reader != nullptr) memopt_key_reader_release(scan->indexRelation, state->reader);
  pfree(state);
}

void RangeMarkPosition(IndexScanDesc scan) {
  auto *state = static_cast<RangeScan *>(scan->opaque);
  memcpy(state->mark, state->iterator, sizeof state->mark);
  state->marked_started = state->started;
}

void RangeRestorePosition(IndexScanDesc scan) {
  auto *state = static_cast<RangeScan *>(scan->opaque);
  memcpy(state->iterator, state->mark, sizeof state->iterator);
  state->started = state->marked_started;
}

IndexAmRoutine MakeRoutine() {
  IndexAmRoutine routine;
  memset(&routine, 0, sizeof routine);
  routine.type = T_IndexAmRoutine;
  routine.amstrategies = BTMaxStrategyNumber;
  routine.amsupport = 1;  // comparison function
  routine.amcanorder = true;
  routine.amcanbackward = true;
  routine.amcanunique = true;
  routine.amcanmulticol = true;
  routine.amoptionalkey = true;
  routine.amsearchnulls = true;
  routine.amkeytype = InvalidOid;
  routine.ambuild = memopt_index_build;
  routine.ambuildempty = memopt_index_build_empty;
  routine.aminsert = memopt_index_insert;
  routine.ambulkdelete = memopt_index_bulk_delete;
  routine.amvacuumcleanup = memopt_index_vacuum_cleanup;
  routine.amcanreturn = memopt_index_can_return;
  routine.amcostestimate = memopt_index_cost_estimate;
  routine.amoptions = memopt_range_options;
  routine.amvalidate = memopt_index_validate;
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

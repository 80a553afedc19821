// range_cursor.cpp - walking a memopt_range index the way a scan asks:
// the bounds, order and checks shared by the memopt_range index AM
// (range_am.cpp) and the MemoptRange custom scan (custom_range.cpp).
//
// Bounds and directions here are in the index's order: on a DESC column a
// key "x > c" is the upper bound (the entries before c), as btree commutes
// such keys in _bt_fix_scankey_strategy.
//
// Scan keys become bounds the way btree's _bt_first uses them: "=" keys on
// the leading columns, then at most one lower and one upper bound on the
// next column, give the prefix the cursor seeks to and the prefix past which
// it stops. Every key is then tested on each entry's key (so keys that are
// not bounds still filter), and an entry yields a version only if the
// version of its row that the snapshot sees carries that very key: a row has
// entries for the keys of its older and newer versions too. So versions come
// in key order, each row at most once. Keys with arrays ("= ANY") run one
// walk per combination of their elements, in key order (array_keys.cpp).
#include "index_internal.h"

#include <new>

extern "C" {
#include "access/nbtree.h"
#include "access/stratnum.h"
#include "utils/lsyscache.h"
}

namespace {

memopt::RangeIndex::Iterator *IteratorOf(MemoptRangeCursor *state) {
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

// Records the scan for serializable validation: its bounds, or the whole
// index when a bound has another type than its column (validation compares
// with the index's own comparator).
void NoteScan(MemoptRangeCursor *state, const MemoptIndexInfo *info) {
  memopt::RangeBound low, high;
  bool cross = false;
  for (int column = 0; column < info->natts; ++column) cross |= state->search[column].cross;
  if (!cross) {
    low = memopt::RangeBound{state->lower.data != nullptr, state->lower_strict, state->lower};
    high = memopt::RangeBound{state->upper.data != nullptr, state->upper_strict, state->upper};
  }
  memopt_note_range_scan(state->heap, state->engine_index, low, high);
}

bool IsStrict(ScanKey key) {
  return key->sk_strategy == BTLessStrategyNumber || key->sk_strategy == BTGreaterStrategyNumber;
}

// Works out the bounds (see the file comment).
void Prepare(MemoptRangeCursor *state) {
  const MemoptIndexInfo *info = memopt_index_info(state->index);
  Datum lower[INDEX_MAX_KEYS], upper[INDEX_MAX_KEYS];
  bool lower_null[INDEX_MAX_KEYS], upper_null[INDEX_MAX_KEYS];
  int nlower = 0, nupper = 0;
  state->impossible = false;
  state->lower_strict = state->upper_strict = false;
  state->bound_keys = 0;
  memset(state->search, 0, sizeof state->search);
  for (int i = 0; i < state->nkeys; ++i) {
    ScanKey key = &state->keys[i];
    if ((key->sk_flags & SK_ISNULL) && !(key->sk_flags & (SK_SEARCHNULL | SK_SEARCHNOTNULL)))
      state->impossible = true;
  }
  for (int column = 0; column < info->natts && !state->impossible; ++column) {
    ScanKey equal = nullptr, low = nullptr, high = nullptr;
    bool typed = false, not_null = false;
    for (int i = 0; i < state->nkeys; ++i) {
      ScanKey key = &state->keys[i];
      if (key->sk_attno != column + 1) continue;
      not_null |= !(key->sk_flags & SK_SEARCHNULL);  // IS NOT NULL, and every operator
      if (key->sk_flags & SK_SEARCHNOTNULL) continue;
      if (key->sk_flags & SK_SEARCHNULL) {
        if (equal == nullptr) equal = key;
        continue;
      }
      // On a DESC column, "x > c" bounds the entries that come before c.
      bool above = key->sk_strategy >= BTGreaterEqualStrategyNumber;
      ScanKey *slot = key->sk_strategy == BTEqualStrategyNumber   ? &equal
                      : above != info->columns[column].descending ? &low
                                                                  : &high;
      if (*slot == nullptr &&
          UseAsBound(info->columns[column], &state->search[column], &typed, key->sk_subtype))
        *slot = key;
    }
    for (ScanKey used : {equal, low, high})
      if (used != nullptr && used - state->keys < 64)
        state->bound_keys |= uint64{1} << (used - state->keys);
    if (equal != nullptr) {
      state->bound_keys &= ~(low != nullptr ? uint64{1} << (low - state->keys) : 0) &
                           ~(high != nullptr ? uint64{1} << (high - state->keys) : 0);
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
      state->lower_strict = IsStrict(low);
    }
    if (high != nullptr) {
      upper[column] = high->sk_argument;
      upper_null[column] = false;
      nupper = column + 1;
      state->upper_strict = IsStrict(high);
    }
    // Where the NULLs sit on the open side, a column that cannot be NULL
    // stops short of them, as btree's _bt_first does.
    bool nulls_first = info->columns[column].nulls_first;
    if (not_null && (nulls_first ? low : high) == nullptr) {
      (nulls_first ? lower : upper)[column] = 0;
      (nulls_first ? lower_null : upper_null)[column] = true;
      (nulls_first ? nlower : nupper) = column + 1;
      (nulls_first ? state->lower_strict : state->upper_strict) = true;
    }
    break;
  }
  state->compare = MemoptCompareContext{info, state->search, nullptr};
  state->lower = nlower > 0 ? memopt_key_encode(info, state->search, nlower, lower, lower_null)
                            : memopt::KeyRef{nullptr, 0};
  state->upper = nupper > 0 ? memopt_key_encode(info, state->search, nupper, upper, upper_null)
                            : memopt::KeyRef{nullptr, 0};
  state->engine_index = memopt_index_for(state->heap, state->index);
  state->view = memopt_view_for(state->snapshot);
  if (state->snapshot->snapshot_type == SNAPSHOT_MVCC) NoteScan(state, info);
  new (state->iterator) memopt::RangeIndex::Iterator(state->engine_index->range(),
                                                     memopt_comparator(&state->compare));
  state->prepared = true;
  state->started = false;
}

void CheckComparison(MemoptRangeCursor *state) {
  if (state->compare.error != nullptr || IteratorOf(state)->comparator_failed())
    memopt_rethrow_comparison_error(&state->compare);
}

// Positions the iterator at the first entry in `direction`.
bool Start(MemoptRangeCursor *state, bool backward) {
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
bool WithinBound(MemoptRangeCursor *state, memopt::KeyRef entry, bool backward) {
  memopt::KeyRef bound = backward ? state->lower : state->upper;
  if (bound.data == nullptr) return true;
  int order = memopt_key_compare(&state->compare, entry, bound);
  bool strict = backward ? state->lower_strict : state->upper_strict;
  if (backward) return strict ? order > 0 : order >= 0;
  return strict ? order < 0 : order <= 0;
}

// Whether the entry satisfies the scan keys. Keys that are bounds hold by
// the entry's position between them, except that NULL sorts inside one of
// them (after a lower bound with NULLS LAST, before an upper one with NULLS
// FIRST) while no operator accepts it.
bool KeysMatch(MemoptRangeCursor *state, const MemoptIndexInfo *info, memopt::KeyRef entry) {
  Datum values[INDEX_MAX_KEYS];
  bool isnull[INDEX_MAX_KEYS];
  memopt_key_decode(info, nullptr, entry, values, isnull);
  for (int i = 0; i < state->nkeys; ++i) {
    ScanKey key = &state->keys[i];
    int column = key->sk_attno - 1;
    if (key->sk_flags & SK_SEARCHNULL) {
      if (!isnull[column]) return false;
      continue;
    }
    if (isnull[column]) return false;  // also for IS NOT NULL
    if (key->sk_flags & SK_SEARCHNOTNULL) continue;
    if (i < 64 && (state->bound_keys >> i) & 1) continue;
    if (!DatumGetBool(
            FunctionCall2Coll(&key->sk_func, key->sk_collation, values[column], key->sk_argument)))
      return false;
  }
  return true;
}

// The version of the entry's row that the scan sees, if it carries the key;
// values/isnull get that version's key.
memopt::Version *VisibleWithKey(MemoptRangeCursor *state, const MemoptIndexInfo *info,
                                memopt::Row *row, memopt::KeyRef entry, Datum *values,
                                bool *isnull) {
  memopt::Version *version = memopt_visible_version(row, state->view);
  if (version == nullptr) return nullptr;
  if (!memopt_version_key(state->reader, version, values, isnull)) return nullptr;
  return memopt_key_compare_values(info, entry, values, isnull) == 0 ? version : nullptr;
}

// An entry of a dead row: the garbage collector parked the row until VACUUM
// sweeps its indexes (index.h). Take the entry out now, as btree's scans
// mark dead items, so that scans which start where rows were deleted (a work
// queue's head) do not walk every entry VACUUM has not reached yet. VACUUM
// still retires the row; it no longer finds this entry. The iterator finds
// its place again by its (key, row) (range_index.h, "Iteration").
void RemoveDeadEntry(MemoptRangeCursor *state, memopt::KeyRef entry, memopt::Row *row) {
  MemoptCompareContext compare{memopt_index_info(state->index), nullptr, nullptr};
  bool failed = false;
  state->engine_index->range()->Remove(entry, row, memopt_comparator(&compare), &failed);
  if (failed) memopt_rethrow_comparison_error(&compare);
}

// Walks the current combination of array keys again from its start in the
// direction (bounds and iterator made anew).
void Restart(MemoptRangeCursor *state) {
  memopt_range_cursor_reset(state);
  Prepare(state);
}

// The next version for the current scalar keys (one combination of array
// keys); nullptr at its end.
memopt::Version *NextForKeys(MemoptRangeCursor *state, bool backward, Datum *values, bool *isnull) {
  if (state->impossible) return nullptr;
  const MemoptIndexInfo *info = memopt_index_info(state->index);
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
    if (!WithinBound(state, entry, backward)) return nullptr;  // stays here for a turn back
    memopt::Row *row = it->GetRow();
    if (memopt::IsDead(row)) {
      RemoveDeadEntry(state, entry, row);
      continue;
    }
    if (!KeysMatch(state, info, entry)) continue;
    memopt::Version *version = VisibleWithKey(state, info, row, entry, values, isnull);
    if (version != nullptr) return version;
  }
  CheckComparison(state);
  return nullptr;
}

}  // namespace

void memopt_range_cursor_start(MemoptRangeCursor *state, Relation heap, Relation index,
                               ScanKey keys, int nkeys, Snapshot snapshot) {
  memopt_range_cursor_reset(state);
  state->heap = heap;
  state->index = index;
  memopt_array_keys_setup(&state->arrays, memopt_index_info(index), keys, nkeys, true);
  state->keys = state->arrays.keys;
  state->nkeys = nkeys;
  state->arrays_positioned = false;
  state->snapshot = snapshot;
  Prepare(state);
  if (state->reader == nullptr) state->reader = memopt_key_reader_acquire(heap, index);
}

// With array keys, a combination's end moves on to the next combination in
// the direction; past the last one the cursor stays on it, so a call in the
// other direction turns back inside it, as without arrays.
memopt::Version *memopt_range_cursor_next(MemoptRangeCursor *state, bool backward, Datum *values,
                                          bool *isnull) {
  if (state->arrays.ndigits > 0 && !state->arrays_positioned) {
    state->arrays_positioned = true;
    if (backward) {
      memopt_array_keys_first(&state->arrays, true);
      Restart(state);
    }
  }
  for (;;) {
    memopt::Version *version = NextForKeys(state, backward, values, isnull);
    if (version != nullptr || !memopt_array_keys_step(&state->arrays, backward)) return version;
    Restart(state);
  }
}

void memopt_range_cursor_reset(MemoptRangeCursor *state) {
  if (state->lower.data != nullptr) pfree(const_cast<void *>(state->lower.data));
  if (state->upper.data != nullptr) pfree(const_cast<void *>(state->upper.data));
  state->lower = state->upper = memopt::KeyRef{nullptr, 0};
  state->prepared = false;
}

void memopt_range_cursor_end(MemoptRangeCursor *state) {
  memopt_range_cursor_reset(state);
  memopt_array_keys_free(&state->arrays);
  if (state->reader != nullptr) memopt_key_reader_release(state->index, state->reader);
  state->reader = nullptr;
}

void memopt_range_cursor_mark(MemoptRangeCursor *state) {
  memcpy(state->mark, state->iterator, sizeof state->mark);
  state->marked_started = state->started;
  memopt_array_keys_mark(&state->arrays);
}

void memopt_range_cursor_restore(MemoptRangeCursor *state) {
  // The iterator's position is good under any bounds; the marked
  // combination's bounds are made again first.
  if (memopt_array_keys_restore(&state->arrays)) Restart(state);
  memcpy(state->iterator, state->mark, sizeof state->iterator);
  state->started = state->marked_started;
}

// native_value_set.cpp - the value sets of hashed IN subqueries and long
// IN lists of constants in natively compiled routines (runtime_api.h
// memopt_rt_set_*; ast.h Expr::value_set).
//
// `x IN (SELECT item FROM ...)` whose subquery reads nothing of the rows
// around it puts the subquery's items in a set once per execution of the
// statement, then looks each x up, as PostgreSQL's hashed SubPlan does,
// instead of running the subquery again for every row. `x IN ('a', 'b',
// ...)` puts its items in a set once per call. An IN list that is one index
// lookup per item takes its distinct items from a set, in order.
//
// A set is an array of Datums, sorted (and rid of repeats) at the first
// probe after values were added and searched by bisection with the type's
// default btree comparator (SortSupport; text by the default collation).
// That comparator's "equal" is the type's `=`, which also makes NaN equal
// to NaN, as the generated comparisons do. Values of by-reference types are
// copied into the set's memory context, a child of the call's, so an error
// frees everything with the call; a reset empties that context, not the
// comparator's.
#include "native_internal.h"

extern "C" {
#include "parser/parse_oper.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/sortsupport.h"
}

namespace native = memopt::native;

struct MemoptNativeValueSet {
  MemoryContext context;         // the comparator's state; nullptr until the first reset
  MemoryContext values_context;  // the values, emptied by each reset
  int16 typlen;
  bool typbyval;
  SortSupportData order;
  Datum *values;
  size_t count;
  size_t capacity;
  bool has_null;
  bool sorted;
};

namespace {

MemoptNativeValueSet *SetOf(MemoptNativeCall *call, int32_t set) {
  return &memopt_native_call_value_sets(call)[set];
}

void SetUp(MemoptNativeValueSet *set, Oid type, MemoryContext parent) {
  set->context = AllocSetContextCreate(parent, "memopt native IN set", ALLOCSET_SMALL_SIZES);
  set->values_context =
      AllocSetContextCreate(set->context, "memopt native IN set values", ALLOCSET_DEFAULT_SIZES);
  get_typlenbyval(type, &set->typlen, &set->typbyval);
  Oid less;
  get_sort_group_operators(type, true, false, false, &less, nullptr, nullptr, nullptr);
  set->order = SortSupportData{};
  set->order.ssup_cxt = set->context;
  set->order.ssup_collation = memopt_native_collation(type);
  PrepareSortSupportFromOrderingOp(less, &set->order);
}

int CompareValues(const void *a, const void *b, void *order) {
  return ApplySortComparator(*static_cast<const Datum *>(a), false, *static_cast<const Datum *>(b),
                             false, static_cast<SortSupport>(order));
}

// Sorts the values once they changed, keeping one of equal ones.
void SortDistinct(MemoptNativeValueSet *set) {
  if (set->sorted) return;
  qsort_arg(set->values, set->count, sizeof(Datum), CompareValues, &set->order);
  size_t kept = 0;
  for (size_t i = 0; i < set->count; ++i)
    if (kept == 0 || CompareValues(&set->values[kept - 1], &set->values[i], &set->order) != 0)
      set->values[kept++] = set->values[i];
  set->count = kept;
  set->sorted = true;
}

bool Contains(MemoptNativeValueSet *set, Datum value) {
  SortDistinct(set);
  size_t low = 0, high = set->count;
  while (low < high) {
    size_t middle = low + (high - low) / 2;
    int c = ApplySortComparator(set->values[middle], false, value, false, &set->order);
    if (c == 0) return true;
    if (c < 0)
      low = middle + 1;
    else
      high = middle;
  }
  return false;
}

}  // namespace

MemoptNativeValueSet *memopt_native_value_sets_begin(const MemoptNativeRoutine *routine,
                                                     MemoryContext context) {
  size_t count = static_cast<size_t>(routine->routine->value_sets);
  return static_cast<MemoptNativeValueSet *>(
      MemoryContextAllocZero(context, sizeof(MemoptNativeValueSet) * (count + 1)));
}

extern "C" {

void memopt_rt_set_reset(MemoptNativeCall *call, int32_t set_number, int32_t type) {
  MemoptNativeValueSet *set = SetOf(call, set_number);
  if (set->context == nullptr)
    SetUp(set, memopt_native_type_oid(static_cast<native::Type>(type)),
          memopt_native_call_context(call));
  else
    MemoryContextReset(set->values_context);
  set->values = nullptr;
  set->count = set->capacity = 0;
  set->has_null = false;
  set->sorted = true;
}

void memopt_rt_set_add(MemoptNativeCall *call, int32_t set_number, uint64_t value, bool isnull) {
  MemoptNativeValueSet *set = SetOf(call, set_number);
  if (isnull) {
    set->has_null = true;
    return;
  }
  MemoryContext old = MemoryContextSwitchTo(set->values_context);
  if (set->count == set->capacity) {
    set->capacity = set->capacity == 0 ? 64 : set->capacity * 2;
    set->values =
        set->values == nullptr
            ? static_cast<Datum *>(palloc(sizeof(Datum) * set->capacity))
            : static_cast<Datum *>(repalloc_huge(set->values, sizeof(Datum) * set->capacity));
  }
  set->values[set->count++] = datumCopy(static_cast<Datum>(value), set->typbyval, set->typlen);
  set->sorted = false;
  MemoryContextSwitchTo(old);
}

// `count` values that are not NULL (a list of constants).
void memopt_rt_set_add_all(MemoptNativeCall *call, int32_t set_number, const uint64_t *values,
                           int64_t count) {
  for (int64_t i = 0; i < count; ++i) memopt_rt_set_add(call, set_number, values[i], false);
}

int32_t memopt_rt_set_probe(MemoptNativeCall *call, int32_t set_number, uint64_t value,
                            bool isnull) {
  MemoptNativeValueSet *set = SetOf(call, set_number);
  bool empty = set->count == 0 && !set->has_null;
  if (empty) return MEMOPT_SET_NOT_FOUND;
  if (isnull) return MEMOPT_SET_UNKNOWN;
  if (Contains(set, static_cast<Datum>(value))) return MEMOPT_SET_FOUND;
  return set->has_null ? MEMOPT_SET_UNKNOWN : MEMOPT_SET_NOT_FOUND;
}

const uint64_t *memopt_rt_set_members(MemoptNativeCall *call, int32_t set_number, int64_t *count) {
  MemoptNativeValueSet *set = SetOf(call, set_number);
  SortDistinct(set);
  *count = static_cast<int64_t>(set->count);
  return reinterpret_cast<const uint64_t *>(set->values);
}

bool memopt_rt_set_filled(MemoptNativeCall *call, int32_t set_number) {
  return SetOf(call, set_number)->context != nullptr;
}

}  // extern "C"

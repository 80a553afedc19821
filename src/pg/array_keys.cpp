// array_keys.cpp - scan keys "column op ANY (array)" (SK_SEARCHARRAY) for
// memopt_range and memopt_hash scans, run the way btree runs them.
//
// An equality key with an array becomes one scalar key per distinct,
// non-null element, in the index column's order (DESC reverses it); with
// several such keys the scan runs every combination, the key on the lowest
// column changing slowest, so a forward scan still returns its rows in index
// order (and a backward one in reverse) and the planner may rely on that
// order as it does for btree.
// An inequality key with an array needs only its extreme element
// ("x < ANY (a)" is "x < max(a)"). Elements are sorted and compared with the
// opfamily's comparison function for the element type, under the key's
// collation. memopt_hash (no order, no comparison function) takes the
// elements as they come and removes the rows found twice itself.
// Everything lives in one memory context, reset at every setup, so rescans
// of a nested loop's inner side do not pile up copies.
#include "index_internal.h"

#include <algorithm>
#include <utility>

extern "C" {
#include "access/nbtree.h"
#include "access/stratnum.h"
#include "utils/array.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
}

namespace {

struct ElementOrder {
  FmgrInfo *compare;
  Oid collation;
};

int CompareElements(const void *a, const void *b, void *arg) {
  auto *order = static_cast<ElementOrder *>(arg);
  return DatumGetInt32(FunctionCall2Coll(order->compare, order->collation,
                                         *static_cast<const Datum *>(a),
                                         *static_cast<const Datum *>(b)));
}

// The array's non-null elements, when `ordered` sorted and without
// duplicates; *count of them (0: nothing can match).
Datum *Elements(const MemoptIndexColumn &column, ScanKey key, bool ordered, int *count) {
  ArrayType *array = DatumGetArrayTypeP(key->sk_argument);
  Oid element_type = ARR_ELEMTYPE(array);
  int16 typlen;
  bool typbyval;
  char typalign;
  get_typlenbyvalalign(element_type, &typlen, &typbyval, &typalign);
  Datum *elements;
  bool *nulls;
  int total;
  deconstruct_array(array, element_type, typlen, typbyval, typalign, &elements, &nulls, &total);
  int kept = 0;
  for (int i = 0; i < total; ++i)
    if (!nulls[i]) elements[kept++] = elements[i];  // "= NULL" is never true
  *count = kept;
  if (!ordered) return elements;
  // The operator's right-hand type, as btree takes it: the array's own
  // element type may be a binary-compatible one (varchar[] for text).
  Oid compare_type = OidIsValid(key->sk_subtype) ? key->sk_subtype : column.type;
  FmgrInfo compare;
  Oid function = get_opfamily_proc(column.opfamily, compare_type, compare_type, BTORDER_PROC);
  if (!OidIsValid(function))
    elog(ERROR, "memopt: no btree comparison function for type %u in operator family %u",
         compare_type, column.opfamily);
  fmgr_info(function, &compare);
  ElementOrder order{&compare, key->sk_collation};
  qsort_arg(elements, kept, sizeof(Datum), CompareElements, &order);
  int distinct = 0;
  for (int i = 0; i < kept; ++i)
    if (distinct == 0 || CompareElements(&elements[distinct - 1], &elements[i], &order) != 0)
      elements[distinct++] = elements[i];
  *count = distinct;
  return elements;
}

}  // namespace

bool memopt_array_keys_setup(MemoptArrayKeys *arrays, const MemoptIndexInfo *info, ScanKey keys,
                             int nkeys, bool ordered) {
  bool any = false;
  for (int i = 0; i < nkeys; ++i) any |= (keys[i].sk_flags & SK_SEARCHARRAY) != 0;
  arrays->keys = keys;
  arrays->nkeys = nkeys;
  arrays->ndigits = 0;
  if (!any) return false;
  if (arrays->context == nullptr)
    arrays->context =
        AllocSetContextCreate(CurrentMemoryContext, "memopt array keys", ALLOCSET_SMALL_SIZES);
  MemoryContextReset(arrays->context);
  MemoryContext caller = MemoryContextSwitchTo(arrays->context);
  arrays->keys = static_cast<ScanKey>(palloc(sizeof(ScanKeyData) * nkeys));
  memcpy(arrays->keys, keys, sizeof(ScanKeyData) * nkeys);
  arrays->digits = static_cast<MemoptArrayKeys::Digit *>(palloc(sizeof(*arrays->digits) * nkeys));
  for (int i = 0; i < nkeys; ++i) {
    ScanKey key = &arrays->keys[i];
    if (!(key->sk_flags & SK_SEARCHARRAY)) continue;
    key->sk_flags &= ~SK_SEARCHARRAY;
    if (key->sk_flags & SK_ISNULL) continue;  // a NULL array: the cursor finds nothing
    int count;
    Datum *elements = Elements(info->columns[key->sk_attno - 1], key, ordered, &count);
    if (count == 0) {
      key->sk_flags |= SK_ISNULL;  // nothing to match: the cursor finds nothing
      continue;
    }
    if (!ordered || key->sk_strategy == BTEqualStrategyNumber) {  // a hash index has only "="
      if (ordered && info->columns[key->sk_attno - 1].descending)
        std::reverse(elements, elements + count);  // in the index's order
      arrays->digits[arrays->ndigits++] = MemoptArrayKeys::Digit{i, elements, count, 0, 0};
      key->sk_argument = elements[0];
    } else {
      bool below = key->sk_strategy < BTEqualStrategyNumber;  // x < ANY (a): below the largest
      key->sk_argument = elements[below ? count - 1 : 0];
    }
  }
  // The lowest column's digit first: it changes slowest.
  auto *digits = arrays->digits;
  for (int i = 1; i < arrays->ndigits; ++i)
    for (int j = i;
         j > 0 && arrays->keys[digits[j - 1].key].sk_attno > arrays->keys[digits[j].key].sk_attno;
         --j)
      std::swap(digits[j - 1], digits[j]);
  MemoryContextSwitchTo(caller);
  return true;
}

void memopt_array_keys_first(MemoptArrayKeys *arrays, bool backward) {
  for (int d = 0; d < arrays->ndigits; ++d) {
    MemoptArrayKeys::Digit &digit = arrays->digits[d];
    digit.current = backward ? digit.count - 1 : 0;
    arrays->keys[digit.key].sk_argument = digit.elements[digit.current];
  }
}

bool memopt_array_keys_step(MemoptArrayKeys *arrays, bool backward) {
  for (int d = arrays->ndigits - 1; d >= 0; --d) {
    MemoptArrayKeys::Digit &digit = arrays->digits[d];
    if (backward ? digit.current == 0 : digit.current == digit.count - 1) continue;
    digit.current += backward ? -1 : 1;
    arrays->keys[digit.key].sk_argument = digit.elements[digit.current];
    for (int later = d + 1; later < arrays->ndigits; ++later) {
      MemoptArrayKeys::Digit &reset = arrays->digits[later];
      reset.current = backward ? reset.count - 1 : 0;
      arrays->keys[reset.key].sk_argument = reset.elements[reset.current];
    }
    return true;
  }
  return false;  // the last combination in this direction: left as it is
}

void memopt_array_keys_mark(MemoptArrayKeys *arrays) {
  for (int d = 0; d < arrays->ndigits; ++d) arrays->digits[d].marked = arrays->digits[d].current;
}

bool memopt_array_keys_restore(MemoptArrayKeys *arrays) {
  bool changed = false;
  for (int d = 0; d < arrays->ndigits; ++d) {
    MemoptArrayKeys::Digit &digit = arrays->digits[d];
    changed |= digit.current != digit.marked;
    digit.current = digit.marked;
    arrays->keys[digit.key].sk_argument = digit.elements[digit.current];
  }
  return changed;
}

void memopt_array_keys_free(MemoptArrayKeys *arrays) {
  if (arrays->context != nullptr) MemoryContextDelete(arrays->context);
  *arrays = MemoptArrayKeys{};
}

// native_sort.cpp - the sorts of natively compiled queries: GROUP BY (stage
// 0) and ORDER BY (stage 1) rows, put in by generated code and read back in
// order (runtime_api.h memopt_rt_sort_*).
//
// A sort is PostgreSQL's tuplesort over a row of the stage's types
// (ast.h SortStage), ordered by each key type's default btree operator
// class, as ORDER BY and GROUP BY order them in SQL (text by the database's
// default collation). It spills to disk past work_mem. Rows come back
// through two slots used in turn, so the row before the current one stays
// readable: GROUP BY compares each row with the one before and finishes a
// group from it.
//
// Memory: a sort lives in the call's memory context, from its first row to
// memopt_rt_sort_close (at the end of its statement) or the end of the
// call, whichever comes first; an error frees it with that context.
#include "native_internal.h"

extern "C" {
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "parser/parse_oper.h"
#include "utils/tuplesort.h"
}

namespace native = memopt::native;

struct NativeSort {
  Tuplesortstate *sort;  // nullptr: not running
  TupleDesc desc;
  TupleTableSlot *input;     // virtual: the row being put
  TupleTableSlot *slots[2];  // minimal tuples: rows read back
  int current;               // slot of the row returned last
  bool sorted;               // performsort done: rows are being read
};

struct MemoptNativeSorts {
  const MemoptNativeRoutine *routine;
  MemoryContext context;
  NativeSort *sorts;  // [statement * 2 + stage]
  size_t count;
};

namespace {

NativeSort *SortOf(MemoptNativeCall *call, int32_t stmt, int32_t stage) {
  MemoptNativeSorts *sorts = memopt_native_call_sorts(call);
  size_t index = static_cast<size_t>(stmt) * 2 + static_cast<size_t>(stage);
  Assert(index < sorts->count);
  return &sorts->sorts[index];
}

const native::SortStage &StageOf(MemoptNativeCall *call, int32_t stmt, int32_t stage) {
  const native::Stmt *statement = memopt_native_call_sorts(call)->routine->code->statements()[stmt];
  return stage == 0 ? statement->group_stage : statement->order_stage;
}

void BeginSort(NativeSort *sort, const native::SortStage &stage, MemoryContext context) {
  MemoryContext old = MemoryContextSwitchTo(context);
  int natts = static_cast<int>(stage.types.size());
  if (sort->desc == nullptr) {
    sort->desc = CreateTemplateTupleDesc(natts);
    for (int i = 0; i < natts; ++i)
      TupleDescInitEntry(sort->desc, static_cast<AttrNumber>(i + 1), nullptr,
                         memopt_native_type_oid(stage.types[i]), -1, 0);
    sort->input = MakeSingleTupleTableSlot(sort->desc, &TTSOpsVirtual);
    for (TupleTableSlot *&slot : sort->slots)
      slot = MakeSingleTupleTableSlot(sort->desc, &TTSOpsMinimalTuple);
  }
  int nkeys = static_cast<int>(stage.keys.size());
  AttrNumber *columns = static_cast<AttrNumber *>(palloc(sizeof(AttrNumber) * nkeys));
  Oid *operators = static_cast<Oid *>(palloc(sizeof(Oid) * nkeys));
  Oid *collations = static_cast<Oid *>(palloc(sizeof(Oid) * nkeys));
  bool *nulls_first = static_cast<bool *>(palloc(sizeof(bool) * nkeys));
  for (int k = 0; k < nkeys; ++k) {
    const native::SortStage::Key &key = stage.keys[k];
    Oid type = memopt_native_type_oid(stage.types[key.column]);
    Oid less, greater;
    get_sort_group_operators(type, true, false, true, &less, nullptr, &greater, nullptr);
    columns[k] = static_cast<AttrNumber>(key.column + 1);
    operators[k] = key.descending ? greater : less;
    collations[k] = memopt_native_collation(type);
    nulls_first[k] = key.nulls_first;
  }
  sort->sort = tuplesort_begin_heap(sort->desc, nkeys, columns, operators, collations, nulls_first,
                                    work_mem, nullptr, TUPLESORT_NONE);
  sort->sorted = false;
  sort->current = 0;
  MemoryContextSwitchTo(old);
}

void EndSort(NativeSort *sort) {
  if (sort->sort == nullptr) return;
  for (TupleTableSlot *slot : sort->slots) ExecClearTuple(slot);
  tuplesort_end(sort->sort);
  sort->sort = nullptr;
}

}  // namespace

MemoptNativeSorts *memopt_native_sorts_begin(const MemoptNativeRoutine *routine,
                                             MemoryContext context) {
  auto *sorts =
      static_cast<MemoptNativeSorts *>(MemoryContextAllocZero(context, sizeof(MemoptNativeSorts)));
  sorts->routine = routine;
  sorts->context = context;
  sorts->count = routine->code->statements().size() * 2;
  sorts->sorts = static_cast<NativeSort *>(
      MemoryContextAllocZero(context, sizeof(NativeSort) * (sorts->count + 1)));
  return sorts;
}

void memopt_native_sorts_end(MemoptNativeSorts *sorts) {
  for (size_t i = 0; i < sorts->count; ++i) {
    EndSort(&sorts->sorts[i]);
    NativeSort &sort = sorts->sorts[i];
    if (sort.desc == nullptr) continue;
    ExecDropSingleTupleTableSlot(sort.input);
    for (TupleTableSlot *slot : sort.slots) ExecDropSingleTupleTableSlot(slot);
  }
}

void memopt_native_sorts_close(MemoptNativeSorts *sorts, int32_t first, int32_t end) {
  for (size_t i = static_cast<size_t>(first) * 2; i < static_cast<size_t>(end) * 2; ++i)
    EndSort(&sorts->sorts[i]);
}

extern "C" {

void memopt_rt_sort_put(MemoptNativeCall *call, int32_t stmt, int32_t stage, const uint64_t *values,
                        const bool *nulls) {
  NativeSort *sort = SortOf(call, stmt, stage);
  if (sort->sort == nullptr)
    BeginSort(sort, StageOf(call, stmt, stage), memopt_native_call_sorts(call)->context);
  memopt_native_store_row(sort->input, values, nulls);
  tuplesort_puttupleslot(sort->sort, sort->input);  // copies the row
}

bool memopt_rt_sort_next(MemoptNativeCall *call, int32_t stmt, int32_t stage,
                         const uint64_t **values, const bool **nulls) {
  NativeSort *sort = SortOf(call, stmt, stage);
  if (sort->sort == nullptr) return false;  // no row was put
  if (!sort->sorted) {
    tuplesort_performsort(sort->sort);
    sort->sorted = true;
  }
  sort->current ^= 1;
  TupleTableSlot *slot = sort->slots[sort->current];
  if (!tuplesort_gettupleslot(sort->sort, true, true, slot, nullptr)) return false;
  slot_getallattrs(slot);
  *values = reinterpret_cast<const uint64_t *>(slot->tts_values);
  *nulls = slot->tts_isnull;
  return true;
}

void memopt_rt_sort_close(MemoptNativeCall *call, int32_t stmt, int32_t stage) {
  EndSort(SortOf(call, stmt, stage));
}

}  // extern "C"

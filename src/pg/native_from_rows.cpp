// native_from_rows.cpp - the rows of a subquery in FROM of a natively
// compiled query (ast.h TableRef::query): generated code computes the
// subquery once per run of its query and puts each row here; its FROM item
// then reads them from the first, again for each row of the items before
// it (runtime_api.h memopt_rt_from_put, memopt_rt_open / next).
//
// The rows are a tuplestore of the subquery's select-list types, which
// spills to a temporary file past work_mem, as PostgreSQL's Material node.
// A row read stays valid until the next read. The store lives in the call's
// memory context from the first row put until memopt_native_rows_end (the
// end of its query, the next run, or the end of the call); a temporary file
// belongs to the resource owner current at the first row, which the store
// never outlives: the statements of a block are closed before its
// subtransaction ends (native_block.cpp).
#include "native_internal.h"

extern "C" {
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "utils/tuplestore.h"
}

namespace native = memopt::native;

struct MemoptNativeRows {
  Tuplestorestate *store;
  TupleTableSlot *input;   // virtual: the row being put
  TupleTableSlot *output;  // minimal tuple: the row read last
};

MemoptNativeRows *memopt_native_rows_begin(const native::Stmt &query, MemoryContext context) {
  MemoryContext old = MemoryContextSwitchTo(context);
  int natts = static_cast<int>(query.select_list.size());
  TupleDesc desc = CreateTemplateTupleDesc(natts);
  for (int i = 0; i < natts; ++i)
    TupleDescInitEntry(desc, static_cast<AttrNumber>(i + 1), nullptr,
                       memopt_native_type_oid(query.select_list[i]->type), -1, 0);
  auto *rows = static_cast<MemoptNativeRows *>(palloc0(sizeof(MemoptNativeRows)));
  rows->input = MakeSingleTupleTableSlot(desc, &TTSOpsVirtual);
  rows->output = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
  rows->store = tuplestore_begin_heap(false, false, work_mem);  // can rewind
  MemoryContextSwitchTo(old);
  return rows;
}

void memopt_native_rows_put(MemoptNativeRows *rows, const uint64_t *values, const bool *nulls) {
  memopt_native_store_row(rows->input, values, nulls);
  tuplestore_puttupleslot(rows->store, rows->input);  // copies the row
}

void memopt_native_rows_rewind(MemoptNativeRows *rows) { tuplestore_rescan(rows->store); }

bool memopt_native_rows_next(MemoptNativeRows *rows, const uint64_t **values, const bool **nulls) {
  if (!tuplestore_gettupleslot(rows->store, true, false, rows->output)) return false;
  slot_getallattrs(rows->output);
  *values = reinterpret_cast<const uint64_t *>(rows->output->tts_values);
  *nulls = rows->output->tts_isnull;
  return true;
}

void memopt_native_rows_end(MemoptNativeRows *rows) {
  ExecDropSingleTupleTableSlot(rows->input);
  ExecDropSingleTupleTableSlot(rows->output);
  tuplestore_end(rows->store);
  pfree(rows);
}

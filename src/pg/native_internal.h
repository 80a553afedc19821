// native_internal.h - what the glue files of LANGUAGE native_compilation
// share: the routines compiled in this backend (native_routine.cpp), the
// catalog lookups that feed the binder (native_catalog.cpp) and the runtime
// the generated code calls (native_runtime.cpp, native_sort.cpp).
#pragma once

#include "memopt_pg.h"

#include "binder.h"
#include "codegen.h"

extern "C" {
#include "nodes/execnodes.h"
}

// One routine compiled in this backend. Owned by native_routine.cpp's cache;
// `stale` is set by a relcache invalidation of a table it uses, and the next
// call compiles it again.
struct MemoptNativeRoutine {
  Oid fn_oid;
  TransactionId fn_xmin;  // identity of the pg_proc row it was compiled from
  ItemPointerData fn_tid;
  bool stale;
  memopt::Isolation isolation;
  bool delayed_durability;
  double compile_ms;                      // when it was compiled, by whichever backend
  memopt::native::Routine *routine;       // new'd; the tree the code refers to
  memopt::native::CompiledRoutine *code;  // new'd
  // Per table of `routine`, the privileges its statements need
  // (native_runtime.cpp): computed at the first call, in TopMemoryContext.
  AclMode *table_modes;
};

// native_catalog.cpp: the routine's signature from its pg_proc row; each
// table name resolved (TableDesc::found false with the reason otherwise);
// pg_depend records on the tables and columns a bound routine uses.
void memopt_native_describe(HeapTuple proc_tuple, memopt::native::Signature *signature);
// fn_oid: the routine, for a compilation after CREATE (InvalidOid at CREATE);
// routine_schema: its schema (for unqualified names not on the search path).
void memopt_native_resolve_tables(memopt::native::Routine *routine, Oid fn_oid, Oid routine_schema);
void memopt_native_resolve_callees(memopt::native::Routine *routine);
// The SQLSTATEs of EXCEPTION WHEN condition names (unknown names get none).
void memopt_native_resolve_conditions(memopt::native::Routine *routine);
void memopt_native_record_dependencies(Oid fn_oid, const memopt::native::Routine &routine);
// The PostgreSQL type of a language type (text for kText, kNull, kUnknown).
Oid memopt_native_type_oid(memopt::native::Type type);
// The collation the language orders and compares values of PostgreSQL
// type `type_oid` by: the database's default for text and bpchar, none else.
Oid memopt_native_collation(Oid type_oid);

// native_modules.cpp: object files of compiled routines under
// $PGDATA/memopt_native (emptied at postmaster start), by routine.
void memopt_native_modules_reset(void);
bool memopt_native_module_read(Oid fn_oid, uint64 fingerprint, std::string *object,
                               double *compile_ms);
void memopt_native_module_write(Oid fn_oid, uint64 fingerprint, double compile_ms,
                                const std::string &object);
void memopt_native_module_remove(Oid fn_oid);

// native_routine.cpp: whether this backend has the routine's current code;
// a dropped routine's code and file go (object_access.cpp).
bool memopt_native_is_loaded(Oid fn_oid);
void memopt_native_routine_dropped(Oid fn_oid);

// native_runtime.cpp: runs a compiled routine for one call.
Datum memopt_native_execute(MemoptNativeRoutine *routine, FunctionCallInfo fcinfo);
// The call's scratch memory: runtime results, reset by generated code.
MemoryContext memopt_native_call_scratch(MemoptNativeCall *call);
// The sorts of the call (below).
struct MemoptNativeSorts *memopt_native_call_sorts(MemoptNativeCall *call);

// EXCEPTION blocks (native_block.cpp): the frames of the call's blocks, by
// depth, made by memopt_native_blocks_begin in the call's context; closing
// the cursors and sorts of statements [first, end) and forgetting a write
// statement an error stopped.
struct MemoptNativeBlockFrame *memopt_native_call_blocks(MemoptNativeCall *call);
struct MemoptNativeBlockFrame *memopt_native_blocks_begin(int depth, MemoryContext context);
void memopt_native_call_close_statements(MemoptNativeCall *call, int32_t first, int32_t end);

// The call's memory context (its variables' values; freed at its end).
MemoryContext memopt_native_call_context(MemoptNativeCall *call);
// The value sets of the call's hashed IN subqueries (native_value_set.cpp),
// made by memopt_native_value_sets_begin in the call's context.
struct MemoptNativeValueSet *memopt_native_call_value_sets(MemoptNativeCall *call);
struct MemoptNativeValueSet *memopt_native_value_sets_begin(const MemoptNativeRoutine *routine,
                                                            MemoryContext context);

// native_sort.cpp: the GROUP BY and ORDER BY sorts of one call's queries,
// in `context`; _end frees whatever is still running.
struct MemoptNativeSorts *memopt_native_sorts_begin(const MemoptNativeRoutine *routine,
                                                    MemoryContext context);
void memopt_native_sorts_end(struct MemoptNativeSorts *sorts);
// Ends the sorts of statements [first, end) that are still running.
void memopt_native_sorts_close(struct MemoptNativeSorts *sorts, int32_t first, int32_t end);
// Makes virtual slot `slot` hold a row generated code handed over: a
// Datum and a null flag per column (copied; the Datums are not).
void memopt_native_store_row(TupleTableSlot *slot, const uint64_t *values, const bool *nulls);

// native_from_rows.cpp: the rows of one run of a subquery in FROM, of its
// select list's types, in `context`; read from the first after each rewind.
struct MemoptNativeRows *memopt_native_rows_begin(const memopt::native::Stmt &query,
                                                  MemoryContext context);
void memopt_native_rows_put(struct MemoptNativeRows *rows, const uint64_t *values,
                            const bool *nulls);
void memopt_native_rows_rewind(struct MemoptNativeRows *rows);
bool memopt_native_rows_next(struct MemoptNativeRows *rows, const uint64_t **values,
                             const bool **nulls);
void memopt_native_rows_end(struct MemoptNativeRows *rows);
// The runtime functions' addresses, for the code generator.
void memopt_native_runtime_symbols(memopt::native::CodegenOptions *options);

// native_triggers.cpp: the triggers of one INSERT, UPDATE or DELETE
// statement of a routine, on a table that has triggers. _begin opens the
// statement (trigger.c's query level, BEFORE STATEMENT triggers; for UPDATE
// the columns it sets, which UPDATE OF triggers test); _end fires the AFTER
// STATEMENT triggers and the queued AFTER events. A before_ function's false
// means a BEFORE ROW trigger skipped the row; it may have changed `slot`.
struct MemoptNativeTriggers {
  ResultRelInfo *target;  // nullptr while no statement is open
  CmdType command;
  struct TransitionCaptureState *transitions;  // nullptr without transition tables
  // Never evaluated: memopt_tuple_lock follows rows only at memopt's read
  // committed level, and routines run at snapshot or above.
  EPQState epq;
  bool epq_ready;
};
void memopt_native_triggers_begin(EState *estate, ResultRelInfo *target, CmdType command,
                                  const std::vector<int> &updated_columns,
                                  MemoptNativeTriggers *statement);
void memopt_native_triggers_end(EState *estate, MemoptNativeTriggers *statement);
bool memopt_native_before_insert(EState *estate, MemoptNativeTriggers *statement,
                                 TupleTableSlot *slot);
void memopt_native_after_insert(EState *estate, MemoptNativeTriggers *statement,
                                TupleTableSlot *slot);
bool memopt_native_before_update(EState *estate, MemoptNativeTriggers *statement, ItemPointer tid,
                                 TupleTableSlot *slot);
void memopt_native_after_update(EState *estate, MemoptNativeTriggers *statement,
                                ItemPointer old_tid, TupleTableSlot *slot);
bool memopt_native_before_delete(EState *estate, MemoptNativeTriggers *statement, ItemPointer tid);
void memopt_native_after_delete(EState *estate, MemoptNativeTriggers *statement, ItemPointer tid);

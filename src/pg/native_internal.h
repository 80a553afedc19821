// native_internal.h - what the glue files of LANGUAGE native_compilation
// share: the routines compiled in this backend (native_routine.cpp), the
// catalog lookups that feed the binder (native_catalog.cpp) and the runtime
// the generated code calls (native_runtime.cpp, native_sort.cpp).
#pragma once

#include "memopt_pg.h"

#include "binder.h"
#include "codegen.h"

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
};

// native_catalog.cpp: the routine's signature from its pg_proc row; each
// table name resolved (TableDesc::found false with the reason otherwise);
// pg_depend records on the tables and columns a bound routine uses.
void memopt_native_describe(HeapTuple proc_tuple, memopt::native::Signature *signature);
// fn_oid: the routine, for a compilation after CREATE (InvalidOid at CREATE);
// routine_schema: its schema (for unqualified names not on the search path).
void memopt_native_resolve_tables(memopt::native::Routine *routine, Oid fn_oid, Oid routine_schema);
void memopt_native_resolve_callees(memopt::native::Routine *routine);
void memopt_native_record_dependencies(Oid fn_oid, const memopt::native::Routine &routine);
// The PostgreSQL type of a language type (text for kText, kNull, kUnknown).
Oid memopt_native_type_oid(memopt::native::Type type);

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

// native_sort.cpp: the GROUP BY and ORDER BY sorts of one call's queries,
// in `context`; _end frees whatever is still running.
struct MemoptNativeSorts *memopt_native_sorts_begin(const MemoptNativeRoutine *routine,
                                                    MemoryContext context);
void memopt_native_sorts_end(struct MemoptNativeSorts *sorts);
// The runtime functions' addresses, for the code generator.
void memopt_native_runtime_symbols(memopt::native::CodegenOptions *options);

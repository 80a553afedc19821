// native_routine.cpp - LANGUAGE native_compilation: the validator run by
// CREATE FUNCTION / PROCEDURE, the call handler, and this backend's cache of
// compiled routines.
//
// Compilation: parse (parser.h) -> resolve tables (native_catalog.cpp) ->
// bind (binder.h) -> generate and JIT-compile (codegen.h). The validator does
// all of it at CREATE, so an unsupported construct is refused there with its
// line and column, and records the pg_depend entries on the tables and
// columns used (with check_function_bodies = off it records what it can
// resolve and reports nothing, so pg_restore works). The call handler compiles
// a routine on its first call in a backend (and again after the routine or a
// table it uses changed) from the catalog, never from anything kept on disk.
//
// Error boundary: every C++ object of a compilation lives in one heap
// CompileWork, freed on every path by PG_FINALLY; parsing, binding and code
// generation never call PostgreSQL.
#include "native_internal.h"

#include <chrono>
#include <unordered_map>

#include "parser.h"

extern "C" {
#include "access/htup_details.h"
#include "catalog/pg_proc.h"
#include "commands/defrem.h"
#include "commands/proclang.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/regproc.h"
#include "utils/syscache.h"

PG_FUNCTION_INFO_V1(memopt_native_call_handler);
PG_FUNCTION_INFO_V1(memopt_native_validator);
PG_FUNCTION_INFO_V1(memopt_native_recompile);
}

namespace native = memopt::native;

namespace {

std::unordered_map<Oid, MemoptNativeRoutine *> *compiled = nullptr;
bool invalidation_registered = false;

struct CompileWork {
  std::string source;
  native::Routine routine;
  native::SourceError error;
  std::string codegen_error;
  std::string prebuilt_object;  // from native_modules.cpp, when loaded
  std::unique_ptr<native::CompiledRoutine> code;
};

void FreeRoutine(MemoptNativeRoutine *entry) {
  delete entry->code;
  delete entry->routine;
  if (entry->table_modes != nullptr) pfree(entry->table_modes);
  pfree(entry);
}

// A table changed (ALTER, DROP, TRUNCATE, index changes): routines using it
// compile again on their next call.
void OnRelcacheInvalidation(Datum arg, Oid relid) {
  (void)arg;
  if (compiled == nullptr) return;
  for (auto &entry : *compiled) {
    if (!OidIsValid(relid)) {
      entry.second->stale = true;
      continue;
    }
    for (const native::TableDesc &table : entry.second->routine->tables)
      if (table.oid == relid) entry.second->stale = true;
  }
}

// Byte offset of (line, column) in `source`, as a 1-based character position.
int CharacterPosition(const char *source, native::SourcePos pos) {
  int line = 1;
  const char *p = source;
  while (*p != '\0' && line < pos.line)
    if (*p++ == '\n') ++line;
  const char *line_start = p;
  int column = 1;
  while (*p != '\0' && *p != '\n' && column < pos.column) {
    ++p;
    ++column;
  }
  return pg_mbstrlen_with_len(source, static_cast<int>(line_start - source)) + (column - 1) + 1;
}

void ReportSourceError(const native::SourceError &error, const char *source, const char *name) {
  const std::string &code = error.sqlstate;
  int sqlstate = code.size() == 5 ? MAKE_SQLSTATE(code[0], code[1], code[2], code[3], code[4])
                                  : ERRCODE_SYNTAX_ERROR;
  if (error.pos.line == 0)  // about the signature, not the body
    ereport(ERROR, (errcode(sqlstate), errmsg_internal("%s", error.message.c_str()),
                    error.hint.empty() ? 0 : errhint("%s", error.hint.c_str())));
  ereport(ERROR,
          (errcode(sqlstate), errmsg_internal("%s", error.message.c_str()),
           error.hint.empty() ? 0 : errhint("%s", error.hint.c_str()),
           errcontext("natively compiled routine \"%s\", line %d, column %d", name, error.pos.line,
                      error.pos.column),
           internalerrposition(CharacterPosition(source, error.pos)), internalerrquery(source)));
}

// While CREATE runs, a position in the body becomes a position in the
// statement (as PL/pgSQL's errors show it).
void TransposeErrorPosition(void *arg) {
  function_parse_error_transpose(static_cast<const char *>(arg));
}

memopt::Isolation IsolationFromOption(const std::string &option) {
  if (option == "serializable") return memopt::Isolation::kSerializable;
  if (option == "repeatable read") return memopt::Isolation::kRepeatableRead;
  return memopt::Isolation::kSnapshot;
}

// Parses, resolves and binds the routine of `proc_tuple` into work->routine;
// with `report` false, returns false instead of raising source errors.
// fn_oid: InvalidOid at CREATE (table names resolve as written).
bool ParseAndBind(HeapTuple proc_tuple, Oid fn_oid, CompileWork *work, bool report) {
  const char *name = NameStr(((Form_pg_proc)GETSTRUCT(proc_tuple))->proname);
  bool parsed = native::Parse(work->source, &work->routine.body, &work->error);
  if (!parsed) {
    if (report) ReportSourceError(work->error, work->source.c_str(), name);
    return false;
  }
  memopt_native_describe(proc_tuple, &work->routine.signature);
  memopt_native_resolve_tables(&work->routine, fn_oid,
                               ((Form_pg_proc)GETSTRUCT(proc_tuple))->pronamespace);
  memopt_native_resolve_callees(&work->routine);
  memopt_native_resolve_conditions(&work->routine);
  if (!native::Bind(&work->routine, &work->error)) {
    if (report) ReportSourceError(work->error, work->source.c_str(), name);
    return false;
  }
  return true;
}

void GenerateCode(CompileWork *work, bool prebuilt) {
  native::CodegenOptions options;
  memopt_native_runtime_symbols(&options);
  if (prebuilt) options.prebuilt_object = &work->prebuilt_object;
  options.interrupt_pending = reinterpret_cast<const volatile int *>(&InterruptPending);
  options.jump_buffer_size = sizeof(sigjmp_buf);
  work->code = native::Compile(work->routine, options, &work->codegen_error);
  if (work->code == nullptr)
    ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
                    errmsg("could not compile natively compiled routine \"%s\"",
                           work->routine.signature.routine_name.c_str()),
                    errdetail_internal("%s", work->codegen_error.c_str())));
}

HeapTuple ProcTuple(Oid fn_oid) {
  HeapTuple tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn_oid));
  if (!HeapTupleIsValid(tuple)) elog(ERROR, "cache lookup failed for function %u", fn_oid);
  return tuple;
}

std::string ProcSource(HeapTuple tuple) {
  bool isnull;
  Datum source = SysCacheGetAttr(PROCOID, tuple, Anum_pg_proc_prosrc, &isnull);
  if (isnull) elog(ERROR, "null prosrc");
  return std::string(TextDatumGetCString(source));
}

MemoptNativeRoutine *CompileFromCatalog(Oid fn_oid) {
  HeapTuple tuple = ProcTuple(fn_oid);
  CompileWork *work = new CompileWork;
  MemoptNativeRoutine *entry = nullptr;
  PG_TRY();
  {
    work->source = ProcSource(tuple);
    auto start = std::chrono::steady_clock::now();
    ParseAndBind(tuple, fn_oid, work, true);
    uint64 fingerprint = native::Fingerprint(work->source, work->routine);
    double ms = 0;
    bool prebuilt = memopt_native_module_read(fn_oid, fingerprint, &work->prebuilt_object, &ms);
    GenerateCode(work, prebuilt);
    if (!prebuilt) {
      ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
               .count();
      memopt_native_module_write(fn_oid, fingerprint, ms, work->code->object());
    }
    entry = static_cast<MemoptNativeRoutine *>(
        MemoryContextAllocZero(TopMemoryContext, sizeof(*entry)));
    entry->fn_oid = fn_oid;
    entry->fn_xmin = HeapTupleHeaderGetRawXmin(tuple->t_data);
    entry->fn_tid = tuple->t_self;
    entry->isolation = IsolationFromOption(work->routine.body.options.isolation);
    entry->delayed_durability = work->routine.body.options.delayed_durability;
    entry->compile_ms = ms;
    entry->routine = new native::Routine(std::move(work->routine));
    entry->code = work->code.release();
  }
  PG_FINALLY();
  {
    delete work;
    ReleaseSysCache(tuple);
  }
  PG_END_TRY();
  return entry;
}

bool Current(const MemoptNativeRoutine *entry, HeapTuple tuple) {
  return !entry->stale && entry->fn_xmin == HeapTupleHeaderGetRawXmin(tuple->t_data) &&
         ItemPointerEquals(const_cast<ItemPointer>(&entry->fn_tid), &tuple->t_self);
}

void Forget(Oid fn_oid) {
  auto it = compiled->find(fn_oid);
  if (it == compiled->end()) return;
  FreeRoutine(it->second);
  compiled->erase(it);
}

MemoptNativeRoutine *RoutineFor(Oid fn_oid) {
  if (compiled == nullptr) compiled = new std::unordered_map<Oid, MemoptNativeRoutine *>();
  if (!invalidation_registered) {
    CacheRegisterRelcacheCallback(OnRelcacheInvalidation, 0);
    invalidation_registered = true;
  }
  auto it = compiled->find(fn_oid);
  if (it != compiled->end()) {
    HeapTuple tuple = ProcTuple(fn_oid);
    bool current = Current(it->second, tuple);
    ReleaseSysCache(tuple);
    if (current) return it->second;
    Forget(fn_oid);
  }
  MemoptNativeRoutine *entry = CompileFromCatalog(fn_oid);
  (*compiled)[fn_oid] = entry;
  return entry;
}

}  // namespace

bool memopt_native_is_loaded(Oid fn_oid) {
  if (compiled == nullptr) return false;
  auto it = compiled->find(fn_oid);
  if (it == compiled->end()) return false;
  HeapTuple tuple = ProcTuple(fn_oid);
  bool current = Current(it->second, tuple);
  ReleaseSysCache(tuple);
  return current;
}

// DROP FUNCTION / PROCEDURE (object access hook): the code and its file go.
void memopt_native_routine_dropped(Oid fn_oid) {
  if (compiled != nullptr) Forget(fn_oid);
  memopt_native_module_remove(fn_oid);
}

extern "C" Datum memopt_native_call_handler(PG_FUNCTION_ARGS) {
  MemoptNativeRoutine *routine = RoutineFor(fcinfo->flinfo->fn_oid);
  return memopt_native_execute(routine, fcinfo);
}

// CREATE FUNCTION / PROCEDURE ... LANGUAGE native_compilation.
extern "C" Datum memopt_native_validator(PG_FUNCTION_ARGS) {
  Oid fn_oid = PG_GETARG_OID(0);
  if (!CheckFunctionValidatorAccess(fcinfo->flinfo->fn_oid, fn_oid)) PG_RETURN_VOID();
  HeapTuple tuple = ProcTuple(fn_oid);
  CompileWork *work = new CompileWork;
  ErrorContextCallback callback;
  PG_TRY();
  {
    work->source = ProcSource(tuple);
    callback.callback = TransposeErrorPosition;
    callback.arg = const_cast<char *>(work->source.c_str());
    callback.previous = error_context_stack;
    error_context_stack = &callback;
    bool checked = check_function_bodies;
    if (ParseAndBind(tuple, InvalidOid, work, checked)) {
      memopt_native_record_dependencies(fn_oid, work->routine);
      if (checked) {  // code generation errors surface at CREATE; the file serves first calls
        auto start = std::chrono::steady_clock::now();
        GenerateCode(work, false);
        double ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                .count();
        memopt_native_module_write(fn_oid, native::Fingerprint(work->source, work->routine), ms,
                                   work->code->object());
      }
    }
    error_context_stack = callback.previous;
  }
  PG_FINALLY();
  {
    delete work;
    ReleaseSysCache(tuple);
  }
  PG_END_TRY();
  if (compiled != nullptr) Forget(fn_oid);  // CREATE OR REPLACE: the old code is gone
  PG_RETURN_VOID();
}

// memopt.recompile(regprocedure): compiles the routine again in this backend
// now (other backends compile it again when the catalog tells them to).
extern "C" Datum memopt_native_recompile(PG_FUNCTION_ARGS) {
  Oid fn_oid = PG_GETARG_OID(0);
  HeapTuple tuple = ProcTuple(fn_oid);
  Oid language = ((Form_pg_proc)GETSTRUCT(tuple))->prolang;
  ReleaseSysCache(tuple);
  if (language != get_language_oid("native_compilation", false))
    ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
                    errmsg("function %s is not natively compiled", format_procedure(fn_oid))));
  if (compiled != nullptr) Forget(fn_oid);
  MemoptNativeRoutine *routine = RoutineFor(fn_oid);
  PG_RETURN_FLOAT8(routine->compile_ms);
}

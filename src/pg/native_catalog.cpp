// native_catalog.cpp - catalog facts for the native compiler: a routine's
// signature, the tables its body names, and the dependencies it records.
//
// Only memopt tables may be used, and none with row-level security (the
// generated code does not apply policies, so such a table is refused rather
// than read around them). A routine compiled again after CREATE binds its
// table names through its pg_depend entries first, so renaming a table it
// uses does not break it (BindTableNames).
#include "native_internal.h"

#include "index_internal.h"

extern "C" {
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/dependency.h"
#include "catalog/index.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/proclang.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
}

#include <algorithm>
#include <fstream>
#include <sstream>
#include <unordered_map>

namespace native = memopt::native;

namespace {

native::Type TypeForOid(Oid type, int32 typmod) {
  switch (type) {
    case BOOLOID:
      return native::Type::kBool;
    case INT2OID:
      return native::Type::kInt2;
    case INT4OID:
      return native::Type::kInt4;
    case INT8OID:
      return native::Type::kInt8;
    case FLOAT4OID:
      return native::Type::kFloat4;
    case FLOAT8OID:
      return native::Type::kFloat8;
    case TEXTOID:
      return native::Type::kText;
    case VARCHAROID:  // varchar(n): assignments check the length (ColumnDesc::typmod)
      return native::Type::kText;
    case BPCHAROID:  // char(n): assignments pad or check (ColumnDesc::typmod)
      return native::Type::kBpchar;
    case NUMERICOID:  // numeric(p, s): assignments round (ColumnDesc::typmod)
      return native::Type::kNumeric;
    case DATEOID:
      return native::Type::kDate;
    case UUIDOID:
      return native::Type::kUuid;
    case BYTEAOID:
      return native::Type::kBytea;
    default:
      break;
  }
  switch (type) {  // time(p), timestamp(p), interval(p): assignments round (ColumnDesc::typmod)
    case TIMEOID:
      return native::Type::kTime;
    case TIMESTAMPOID:
      return native::Type::kTimestamp;
    case TIMESTAMPTZOID:
      return native::Type::kTimestampTz;
    case INTERVALOID:
      return native::Type::kInterval;
    default:
      return native::Type::kUnknown;
  }
}

}  // namespace

Oid memopt_native_type_oid(native::Type type) {
  switch (type) {
    case native::Type::kBool:
      return BOOLOID;
    case native::Type::kInt2:
      return INT2OID;
    case native::Type::kInt4:
      return INT4OID;
    case native::Type::kInt8:
      return INT8OID;
    case native::Type::kFloat4:
      return FLOAT4OID;
    case native::Type::kFloat8:
      return FLOAT8OID;
    case native::Type::kNumeric:
      return NUMERICOID;
    case native::Type::kDate:
      return DATEOID;
    case native::Type::kTime:
      return TIMEOID;
    case native::Type::kTimestamp:
      return TIMESTAMPOID;
    case native::Type::kTimestampTz:
      return TIMESTAMPTZOID;
    case native::Type::kInterval:
      return INTERVALOID;
    case native::Type::kUuid:
      return UUIDOID;
    case native::Type::kBytea:
      return BYTEAOID;
    case native::Type::kBpchar:
      return BPCHAROID;
    default:
      return TEXTOID;
  }
}

Oid memopt_native_collation(Oid type_oid) {
  return type_oid == TEXTOID || type_oid == BPCHAROID ? DEFAULT_COLLATION_OID : InvalidOid;
}

namespace {

void Refuse(native::TableDesc *desc, const char *sqlstate, const std::string &message,
            const std::string &hint) {
  desc->found = false;
  desc->sqlstate = sqlstate;
  desc->message = message;
  desc->hint = hint;
}

void DescribeColumns(Relation rel, native::TableDesc *desc) {
  TupleDesc tupdesc = RelationGetDescr(rel);
  for (int i = 0; i < tupdesc->natts; ++i) {
    Form_pg_attribute attr = TupleDescAttr(tupdesc, i);
    native::ColumnDesc column;
    column.name = NameStr(attr->attname);
    column.dropped = attr->attisdropped;
    if (!column.dropped) {
      column.type = TypeForOid(attr->atttypid, attr->atttypmod);
      if (column.type != native::Type::kUnknown && attr->atttypmod >= 0)
        column.typmod = attr->atttypmod;
      column.type_name = format_type_with_typemod(attr->atttypid, attr->atttypmod);
    }
    column.not_null = attr->attnotnull;
    column.has_default = attr->atthasdef;
    column.generated = attr->attgenerated == ATTRIBUTE_GENERATED_STORED;
    column.identity_always = attr->attidentity == ATTRIBUTE_IDENTITY_ALWAYS;
    desc->columns.push_back(column);
  }
}

void DescribeIndexes(Relation rel, native::TableDesc *desc) {
  List *indexes = RelationGetIndexList(rel);
  ListCell *cell;
  foreach (cell, indexes) {
    Relation index = index_open(lfirst_oid(cell), AccessShareLock);
    Form_pg_index form = index->rd_index;
    native::IndexDesc entry;
    entry.oid = RelationGetRelid(index);
    entry.unique = form->indisunique;
    entry.ordered =
        memopt_index_am_kind(index->rd_rel->relam) == static_cast<int>(memopt::IndexKind::kRange);
    bool usable = form->indisvalid && form->indisready &&
                  heap_attisnull(index->rd_indextuple, Anum_pg_index_indpred, nullptr);
    for (int k = 0; usable && k < form->indnkeyatts; ++k) {
      AttrNumber attnum = form->indkey.values[k];
      if (attnum <= 0)
        usable = false;  // an expression
      else
        entry.columns.push_back(attnum - 1);
    }
    if (!usable) entry.columns.clear();
    desc->indexes.push_back(entry);
    index_close(index, AccessShareLock);
  }
  list_free(indexes);
}

// The relation a name means on the search path; an unqualified name not on
// it is looked for in the routine's own schema too (pg_restore creates
// routines with an empty search_path).
Oid RelidForName(const std::vector<std::string> &name, Oid routine_schema) {
  List *names = NIL;
  for (const std::string &part : name) names = lappend(names, makeString(pstrdup(part.c_str())));
  Oid relid = RangeVarGetRelid(makeRangeVarFromNameList(names), AccessShareLock, true);
  if (!OidIsValid(relid) && name.size() == 1 && OidIsValid(routine_schema)) {
    relid = get_relname_relid(name[0].c_str(), routine_schema);
    if (OidIsValid(relid)) LockRelationOid(relid, AccessShareLock);
  }
  return relid;
}

// The tables `fn_oid` depends on (pg_depend, whole-table entries).
std::vector<Oid> TablesDependedOn(Oid fn_oid) {
  std::vector<Oid> tables;
  Relation depend = table_open(DependRelationId, AccessShareLock);
  ScanKeyData keys[2];
  ScanKeyInit(&keys[0], Anum_pg_depend_classid, BTEqualStrategyNumber, F_OIDEQ,
              ObjectIdGetDatum(ProcedureRelationId));
  ScanKeyInit(&keys[1], Anum_pg_depend_objid, BTEqualStrategyNumber, F_OIDEQ,
              ObjectIdGetDatum(fn_oid));
  SysScanDesc scan = systable_beginscan(depend, DependDependerIndexId, true, nullptr, 2, keys);
  HeapTuple tuple;
  while (HeapTupleIsValid(tuple = systable_getnext(scan))) {
    Form_pg_depend form = (Form_pg_depend)GETSTRUCT(tuple);
    if (form->refclassid == RelationRelationId && form->refobjsubid == 0)
      tables.push_back(form->refobjid);
  }
  systable_endscan(scan);
  table_close(depend, AccessShareLock);
  return tables;
}

// Which relation each table name of a compiled routine means. A name that
// still names a table the routine depends on means it; when names do not
// (a table was renamed) and exactly one depended-on table is left over, the
// one unmatched name means that table. Otherwise names resolve as written.
std::vector<Oid> BindTableNames(const std::vector<std::vector<std::string>> &names, Oid fn_oid,
                                Oid routine_schema) {
  std::vector<Oid> relids;
  for (const auto &name : names) relids.push_back(RelidForName(name, routine_schema));
  if (!OidIsValid(fn_oid)) return relids;
  std::vector<Oid> depended = TablesDependedOn(fn_oid);
  auto is_depended = [&depended](Oid relid) {
    return std::find(depended.begin(), depended.end(), relid) != depended.end();
  };
  std::vector<Oid> left_over;
  for (Oid relid : depended)
    if (std::find(relids.begin(), relids.end(), relid) == relids.end()) left_over.push_back(relid);
  int unmatched = 0;
  for (Oid relid : relids) unmatched += is_depended(relid) ? 0 : 1;
  if (unmatched != 1 || left_over.size() != 1) return relids;
  for (Oid &relid : relids)
    if (!is_depended(relid)) {
      LockRelationOid(left_over[0], AccessShareLock);
      if (SearchSysCacheExists1(RELOID, ObjectIdGetDatum(left_over[0]))) relid = left_over[0];
    }
  return relids;
}

void ResolveTable(native::TableDesc *desc, Oid relid) {
  std::string written =
      desc->name.size() == 2 ? desc->name[0] + "." + desc->name[1] : desc->name[0];
  if (!OidIsValid(relid)) {
    Refuse(desc, "42P01", "relation \"" + written + "\" does not exist", "");
    return;
  }
  Relation rel = table_open(relid, NoLock);
  desc->oid = relid;
  desc->display_name = RelationGetRelationName(rel);
  if (rel->rd_rel->relkind != RELKIND_RELATION || rel->rd_tableam != memopt_table_am_routine()) {
    Refuse(desc, "0A000", "natively compiled routines can only access memopt tables",
           "\"" + written + "\" is not a memopt table; create it with USING memopt.");
  } else if (rel->rd_rel->relrowsecurity) {
    Refuse(desc, "0A000",
           "natively compiled routines cannot access table \"" + written +
               "\", which has row-level security enabled",
           "Disable row-level security on the table, or use PL/pgSQL.");
  } else {
    desc->found = true;
    DescribeColumns(rel, desc);
    DescribeIndexes(rel, desc);
  }
  table_close(rel, NoLock);
}

}  // namespace

void memopt_native_describe(HeapTuple proc_tuple, native::Signature *signature) {
  Form_pg_proc proc = (Form_pg_proc)GETSTRUCT(proc_tuple);
  signature->routine_name = NameStr(proc->proname);
  signature->is_procedure = proc->prokind == PROKIND_PROCEDURE;
  signature->returns_set = proc->proretset;
  signature->returns_void = proc->prorettype == VOIDOID;
  if (!signature->returns_void) {
    signature->result = TypeForOid(proc->prorettype, -1);  // kUnknown for record
    signature->result_type_name = format_type_be(proc->prorettype);
  }
  Oid *types;
  char **names;
  char *modes;
  int count = get_func_arg_info(proc_tuple, &types, &names, &modes);
  for (int i = 0; i < count; ++i) {
    native::ParamDesc param;
    if (names != nullptr && names[i] != nullptr) param.name = names[i];
    param.type = TypeForOid(types[i], -1);
    param.type_name = format_type_be(types[i]);
    char mode = modes != nullptr ? modes[i] : PROARGMODE_IN;
    param.mode = mode == PROARGMODE_IN      ? native::ParamMode::kIn
                 : mode == PROARGMODE_INOUT ? native::ParamMode::kInOut
                 : mode == PROARGMODE_TABLE ? native::ParamMode::kTable
                                            : native::ParamMode::kOut;
    if (mode == PROARGMODE_VARIADIC)
      ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                      errmsg("natively compiled routines cannot have VARIADIC parameters")));
    signature->params.push_back(param);
  }
}

void memopt_native_resolve_tables(native::Routine *routine, Oid fn_oid, Oid routine_schema) {
  std::vector<std::vector<std::string>> names = native::CollectTableNames(routine->body);
  std::vector<Oid> relids = BindTableNames(names, fn_oid, routine_schema);
  for (size_t i = 0; i < names.size(); ++i) {
    routine->tables.emplace_back();
    routine->tables.back().name = names[i];
    ResolveTable(&routine->tables.back(), relids[i]);
  }
}

Oid LanguageOf(Oid fn_oid) {
  HeapTuple tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn_oid));
  if (!HeapTupleIsValid(tuple)) return InvalidOid;
  Oid language = ((Form_pg_proc)GETSTRUCT(tuple))->prolang;
  ReleaseSysCache(tuple);
  return language;
}

// The routine a call names: the one natively compiled routine of that name
// on the search path taking that many arguments.
void ResolveCallee(native::CalleeDesc *callee) {
  Oid language = get_language_oid("native_compilation", false);
  FuncCandidateList candidates =
      FuncnameGetCandidates(list_make1(makeString(pstrdup(callee->name.c_str()))),
                            static_cast<int>(callee->nargs), NIL, false, false, false, true);
  Oid found = InvalidOid;
  int matches = 0;
  for (FuncCandidateList c = candidates; c != nullptr; c = c->next) {
    if (LanguageOf(c->oid) != language) continue;
    found = c->oid;
    ++matches;
  }
  std::string what = "function " + callee->name + " with " + std::to_string(callee->nargs) +
                     (callee->nargs == 1 ? " argument" : " arguments");
  if (matches == 0) {
    callee->sqlstate = "42883";
    callee->message = candidates == nullptr ? what + " does not exist"
                                            : what + " is not a natively compiled routine";
    callee->hint =
        "Natively compiled routines can call other natively compiled routines and the "
        "built-in functions that docs/native-compilation.md lists.";
    return;
  }
  if (matches > 1) {
    callee->sqlstate = "42725";
    callee->message = "call of " + callee->name + " is ambiguous";
    return;
  }
  HeapTuple tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(found));
  if (!HeapTupleIsValid(tuple)) elog(ERROR, "cache lookup failed for function %u", found);
  Form_pg_proc proc = (Form_pg_proc)GETSTRUCT(tuple);
  callee->oid = found;
  callee->is_procedure = proc->prokind == PROKIND_PROCEDURE;
  callee->result = TypeForOid(proc->prorettype, -1);
  bool outputs = !heap_attisnull(tuple, Anum_pg_proc_proargmodes, nullptr);
  for (int i = 0; i < proc->pronargs; ++i)
    callee->params.push_back(TypeForOid(proc->proargtypes.values[i], -1));
  bool supported = !proc->proretset && !outputs &&
                   (callee->is_procedure || callee->result != native::Type::kUnknown);
  for (native::Type type : callee->params) supported = supported && type != native::Type::kUnknown;
  ReleaseSysCache(tuple);
  if (!supported) {
    callee->sqlstate = "0A000";
    callee->message = "calls of " + callee->name +
                      " are not supported yet: natively compiled routines call routines with "
                      "IN parameters and a scalar result (or none)";
    return;
  }
  callee->found = true;
}

void memopt_native_resolve_callees(native::Routine *routine) {
  for (const auto &name : native::CollectCalleeNames(routine->body)) {
    routine->callees.emplace_back();
    routine->callees.back().name = name.first;
    routine->callees.back().nargs = name.second;
    ResolveCallee(&routine->callees.back());
  }
}

namespace {

// PL/pgSQL's condition names: errcodes.txt's fourth column for errors (the
// file PostgreSQL generates its tables from, installed in its share
// directory), read once per backend.
using ConditionNames = std::unordered_map<std::string, std::vector<std::string>>;

const ConditionNames &ConditionNameTable() {
  static ConditionNames *names = nullptr;
  if (names != nullptr) return *names;
  char share[MAXPGPATH];
  get_share_path(my_exec_path, share);
  std::string path = std::string(share) + "/errcodes.txt";
  std::ifstream file(path);
  if (!file)
    ereport(ERROR, (errcode_for_file_access(),
                    errmsg("could not open file \"%s\" for reading", path.c_str())));
  auto *table = new ConditionNames();
  std::string line;
  while (std::getline(file, line)) {
    std::istringstream fields(line);
    std::string sqlstate, kind, macro, name;
    if (!(fields >> sqlstate >> kind >> macro >> name)) continue;  // comments, sections
    if (sqlstate.size() == 5 && kind == "E") (*table)[name].push_back(sqlstate);
  }
  names = table;
  return *names;
}

}  // namespace

void memopt_native_resolve_conditions(native::Routine *routine) {
  std::vector<native::ExceptionCondition *> conditions =
      native::CollectExceptionConditions(&routine->body);
  if (conditions.empty()) return;
  const ConditionNames &names = ConditionNameTable();
  for (native::ExceptionCondition *condition : conditions) {
    auto found = names.find(condition->name);
    if (found != names.end()) condition->sqlstates = found->second;
  }
}

void memopt_native_record_dependencies(Oid fn_oid, const native::Routine &routine) {
  ObjectAddress self;
  ObjectAddressSet(self, ProcedureRelationId, fn_oid);
  for (const native::CalleeDesc &callee : routine.callees) {
    if (!callee.found || callee.oid == fn_oid) continue;  // no dependency on itself
    ObjectAddress referenced;
    ObjectAddressSet(referenced, ProcedureRelationId, callee.oid);
    recordDependencyOn(&self, &referenced, DEPENDENCY_NORMAL);
  }
  std::vector<std::vector<bool>> used = native::ColumnsUsed(routine);
  for (size_t t = 0; t < routine.tables.size(); ++t) {
    const native::TableDesc &table = routine.tables[t];
    if (!table.found) continue;
    ObjectAddress referenced;
    ObjectAddressSet(referenced, RelationRelationId, table.oid);
    recordDependencyOn(&self, &referenced, DEPENDENCY_NORMAL);
    for (size_t c = 0; c < used[t].size(); ++c) {
      if (!used[t][c]) continue;
      ObjectAddressSubSet(referenced, RelationRelationId, table.oid, static_cast<int32>(c + 1));
      recordDependencyOn(&self, &referenced, DEPENDENCY_NORMAL);
    }
  }
}

// native_catalog.cpp - catalog facts for the native compiler: a routine's
// signature, the tables its body names, and the dependencies it records.
//
// Only memopt tables may be used, and none with row-level security (the
// generated code does not apply policies, so such a table is refused rather
// than read around them).
#include "native_internal.h"

extern "C" {
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/dependency.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "nodes/makefuncs.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
}

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
    case VARCHAROID:  // varchar(n) would need its length checked
      return typmod < 0 ? native::Type::kText : native::Type::kUnknown;
    default:
      return native::Type::kUnknown;
  }
}

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
      column.type_name = format_type_with_typemod(attr->atttypid, attr->atttypmod);
    }
    column.not_null = attr->attnotnull;
    column.has_default = attr->atthasdef;
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

void ResolveTable(native::TableDesc *desc) {
  List *names = NIL;
  for (const std::string &part : desc->name)
    names = lappend(names, makeString(pstrdup(part.c_str())));
  RangeVar *range = makeRangeVarFromNameList(names);
  std::string written =
      desc->name.size() == 2 ? desc->name[0] + "." + desc->name[1] : desc->name[0];
  Oid relid = RangeVarGetRelid(range, AccessShareLock, true);
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
    default:
      return TEXTOID;
  }
}

void memopt_native_describe(HeapTuple proc_tuple, native::Signature *signature) {
  Form_pg_proc proc = (Form_pg_proc)GETSTRUCT(proc_tuple);
  signature->routine_name = NameStr(proc->proname);
  signature->is_procedure = proc->prokind == PROKIND_PROCEDURE;
  if (proc->proretset)
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("natively compiled functions cannot return sets yet")));
  signature->returns_void = proc->prorettype == VOIDOID;
  if (!signature->returns_void) {
    signature->result = TypeForOid(proc->prorettype, -1);
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
                                            : native::ParamMode::kOut;
    if (mode == PROARGMODE_VARIADIC)
      ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                      errmsg("natively compiled routines cannot have VARIADIC parameters")));
    signature->params.push_back(param);
  }
}

void memopt_native_resolve_tables(native::Routine *routine) {
  for (auto &name : native::CollectTableNames(routine->body)) {
    routine->tables.emplace_back();
    routine->tables.back().name = name;
    ResolveTable(&routine->tables.back());
  }
}

void memopt_native_record_dependencies(Oid fn_oid, const native::Routine &routine) {
  ObjectAddress self;
  ObjectAddressSet(self, ProcedureRelationId, fn_oid);
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

// native_advisor.cpp - memopt.native_advisor(regprocedure): what in a
// PL/pgSQL routine would keep it from compiling natively, line by line (the
// analogue of SQL Server's Native Compilation Advisor). The scan is
// advisor.h's; this file adds what needs the catalog: parameter and result
// types, and whether each table named is a memopt table without row-level
// security.
#include "native_internal.h"

#include "advisor.h"

extern "C" {
#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_proc.h"
#include "commands/proclang.h"
#include "funcapi.h"
#include "nodes/makefuncs.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/syscache.h"

PG_FUNCTION_INFO_V1(memopt_native_advisor);
}

namespace native = memopt::native;

namespace {

// Signature findings have no line in the body: line 0.
void AdviseOnSignature(HeapTuple tuple, std::vector<native::AdvisorFinding> *findings) {
  native::Signature signature;
  memopt_native_describe(tuple, &signature);
  for (const native::ParamDesc &param : signature.params)
    if (param.type == native::Type::kUnknown)
      findings->push_back(native::AdvisorFinding{
          0, "parameter " + (param.name.empty() ? std::string("(unnamed)") : param.name),
          "type " + param.type_name + " is not supported"});
  bool has_outputs = false;
  for (const native::ParamDesc &param : signature.params)
    has_outputs = has_outputs || param.mode != native::ParamMode::kIn;
  if (!signature.returns_void && !has_outputs && signature.result == native::Type::kUnknown)
    findings->push_back(native::AdvisorFinding{0, "RETURNS " + signature.result_type_name,
                                               "return type is not supported"});
}

void AdviseOnTable(const native::TableMention &mention,
                   std::vector<native::AdvisorFinding> *findings) {
  List *names = NIL;
  for (const std::string &part : mention.name)
    names = lappend(names, makeString(pstrdup(part.c_str())));
  Oid relid = RangeVarGetRelid(makeRangeVarFromNameList(names), NoLock, true);
  if (!OidIsValid(relid)) return;  // not a table (a CTE, a function, a variable)
  std::string name = mention.name.back();
  if (!memopt_is_memopt_table(relid))
    findings->push_back(native::AdvisorFinding{
        mention.line, "table " + name,
        "only memopt tables can be used: ALTER TABLE " + name + " SET ACCESS METHOD memopt"});
  else if (get_rel_relkind(relid) == RELKIND_RELATION) {
    HeapTuple rel = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
    if (HeapTupleIsValid(rel)) {
      if (((Form_pg_class)GETSTRUCT(rel))->relrowsecurity)
        findings->push_back(native::AdvisorFinding{mention.line, "table " + name,
                                                   "tables with row-level security are refused"});
      ReleaseSysCache(rel);
    }
  }
}

}  // namespace

extern "C" Datum memopt_native_advisor(PG_FUNCTION_ARGS) {
  Oid fn_oid = PG_GETARG_OID(0);
  ReturnSetInfo *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
  InitMaterializedSRF(fcinfo, 0);
  HeapTuple tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn_oid));
  if (!HeapTupleIsValid(tuple)) elog(ERROR, "cache lookup failed for function %u", fn_oid);
  if (((Form_pg_proc)GETSTRUCT(tuple))->prolang != get_language_oid("plpgsql", false))
    ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
                    errmsg("function %s is not written in PL/pgSQL", format_procedure(fn_oid))));
  bool isnull;
  Datum source = SysCacheGetAttr(PROCOID, tuple, Anum_pg_proc_prosrc, &isnull);
  auto *findings = new std::vector<native::AdvisorFinding>();
  auto *tables = new std::vector<native::TableMention>();
  PG_TRY();
  {
    AdviseOnSignature(tuple, findings);
    native::AdvisePlpgsql(TextDatumGetCString(source), findings, tables);
    for (const native::TableMention &mention : *tables) AdviseOnTable(mention, findings);
    std::stable_sort(findings->begin(), findings->end(),
                     [](const native::AdvisorFinding &a, const native::AdvisorFinding &b) {
                       return a.line < b.line;
                     });
    for (const native::AdvisorFinding &finding : *findings) {
      Datum values[3] = {Int32GetDatum(finding.line),
                         CStringGetTextDatum(finding.construct.c_str()),
                         CStringGetTextDatum(finding.reason.c_str())};
      bool nulls[3] = {false, false, false};
      tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
    }
  }
  PG_FINALLY();
  {
    delete findings;
    delete tables;
    ReleaseSysCache(tuple);
  }
  PG_END_TRY();
  return (Datum)0;
}

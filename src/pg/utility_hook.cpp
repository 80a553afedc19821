// utility_hook.cpp - statements memopt must see before PostgreSQL runs them.
//
// CREATE INDEX (including the indexes behind PRIMARY KEY and UNIQUE, which
// arrive here as subcommands) on a memopt table is refused until memopt's own
// index access methods exist: btree and the other built-in AMs would store
// TIDs on disk, which memopt versions do not have.
//
// WITH (durability = ...) on a memopt table is taken out of CREATE TABLE
// (and CREATE TABLE AS) before PostgreSQL validates the options, since a
// table AM cannot declare its own reloptions in PostgreSQL 15. Every memopt
// table is schema-only until durability exists, so schema_only is accepted
// and schema_and_data is refused with a hint.
#include "memopt_pg.h"

extern "C" {
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "commands/defrem.h"
#include "nodes/parsenodes.h"
#include "tcop/utility.h"
#include "utils/lsyscache.h"
}

#include "hooks.h"

namespace {

ProcessUtility_hook_type previous_utility = nullptr;

void RefuseIndexOnMemopt(IndexStmt *stmt) {
  Oid relid = RangeVarGetRelid(stmt->relation, NoLock, true);
  if (!OidIsValid(relid)) return;  // PostgreSQL reports the missing table itself
  Relation rel = RelationIdGetRelation(relid);
  if (rel == nullptr) return;
  bool is_memopt = rel->rd_tableam == memopt_table_am_routine();
  RelationClose(rel);
  if (!is_memopt) return;
  ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                  errmsg("cannot create index on memopt table \"%s\"", stmt->relation->relname),
                  errdetail("%s", stmt->primary ? "PRIMARY KEY constraints need an index."
                                  : stmt->isconstraint && stmt->unique
                                      ? "UNIQUE constraints need an index."
                                      : "memopt tables do not support indexes yet."),
                  errhint("%s", memopt_index_hint())));
}

bool CreatesMemoptTable(const char *access_method) {
  const char *am = access_method != nullptr ? access_method : default_table_access_method;
  return am != nullptr && strcmp(am, "memopt") == 0;
}

// Validates and removes a durability option; returns the remaining options.
List *TakeDurabilityOption(List *options) {
  List *rest = NIL;
  ListCell *cell;
  foreach (cell, options) {
    DefElem *option = lfirst_node(DefElem, cell);
    if (option->defnamespace != nullptr || strcmp(option->defname, "durability") != 0) {
      rest = lappend(rest, option);
      continue;
    }
    const char *value = defGetString(option);
    if (strcmp(value, "schema_only") == 0) continue;
    if (strcmp(value, "schema_and_data") == 0)
      ereport(ERROR,
              (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
               errmsg("memopt tables with durability = schema_and_data are not supported yet"),
               errdetail("In this version every memopt table is schema-only: its rows are "
                         "lost at every server restart."),
               errhint("Use durability = schema_only, or a heap table for data that must "
                       "survive a restart.")));
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                    errmsg("invalid value for memopt option \"durability\": \"%s\"", value),
                    errhint("Valid values are \"schema_only\" and \"schema_and_data\".")));
  }
  return rest;
}

bool HasDurabilityOption(List *options) {
  ListCell *cell;
  foreach (cell, options) {
    DefElem *option = lfirst_node(DefElem, cell);
    if (option->defnamespace == nullptr && strcmp(option->defname, "durability") == 0) return true;
  }
  return false;
}

// Takes WITH (durability = ...) out of a CREATE TABLE [AS] of a memopt
// table. Returns the statement to run (a copy when the tree is read-only).
PlannedStmt *StripDurability(PlannedStmt *pstmt, bool read_only_tree) {
  Node *stmt = pstmt->utilityStmt;
  List **options = nullptr;
  const char *access_method = nullptr;
  if (IsA(stmt, CreateStmt)) {
    options = &reinterpret_cast<CreateStmt *>(stmt)->options;
    access_method = reinterpret_cast<CreateStmt *>(stmt)->accessMethod;
  } else if (IsA(stmt, CreateTableAsStmt) && reinterpret_cast<CreateTableAsStmt *>(stmt)->into) {
    IntoClause *into = reinterpret_cast<CreateTableAsStmt *>(stmt)->into;
    options = &into->options;
    access_method = into->accessMethod;
  }
  if (options == nullptr || !HasDurabilityOption(*options) || !CreatesMemoptTable(access_method))
    return pstmt;
  if (read_only_tree)  // copyObject uses typeof, which C++ lacks
    return StripDurability(static_cast<PlannedStmt *>(copyObjectImpl(pstmt)), false);
  *options = TakeDurabilityOption(*options);
  return pstmt;
}

void MemoptProcessUtility(PlannedStmt *pstmt, const char *query_string, bool read_only_tree,
                          ProcessUtilityContext context, ParamListInfo params,
                          QueryEnvironment *query_env, DestReceiver *dest, QueryCompletion *qc) {
  if (IsA(pstmt->utilityStmt, IndexStmt))
    RefuseIndexOnMemopt(reinterpret_cast<IndexStmt *>(pstmt->utilityStmt));
  PlannedStmt *stripped = StripDurability(pstmt, read_only_tree);
  if (stripped != pstmt) read_only_tree = false;
  pstmt = stripped;
  if (previous_utility != nullptr)
    previous_utility(pstmt, query_string, read_only_tree, context, params, query_env, dest, qc);
  else
    standard_ProcessUtility(pstmt, query_string, read_only_tree, context, params, query_env, dest,
                            qc);
}

}  // namespace

void memopt_install_utility_hook(void) {
  previous_utility = ProcessUtility_hook;
  ProcessUtility_hook = MemoptProcessUtility;
}

// utility_hook.cpp - statements memopt must see before PostgreSQL runs them.
//
// CREATE INDEX (including the indexes behind PRIMARY KEY and UNIQUE, which
// arrive here as subcommands) on a memopt table is refused until memopt's own
// index access methods exist: btree and the other built-in AMs would store
// TIDs on disk, which memopt versions do not have.
#include "memopt_pg.h"

extern "C" {
#include "catalog/namespace.h"
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

void MemoptProcessUtility(PlannedStmt *pstmt, const char *query_string, bool read_only_tree,
                          ProcessUtilityContext context, ParamListInfo params,
                          QueryEnvironment *query_env, DestReceiver *dest, QueryCompletion *qc) {
  if (IsA(pstmt->utilityStmt, IndexStmt))
    RefuseIndexOnMemopt(reinterpret_cast<IndexStmt *>(pstmt->utilityStmt));
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

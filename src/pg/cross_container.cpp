// cross_container.cpp - transactions that use both heap and memopt tables.
//
// Each container keeps its own promise: heap tables PostgreSQL's (snapshots,
// SSI at SERIALIZABLE), memopt tables memopt's validation (isolation.h).
// Neither sees the other's reads and writes, so a transaction that mixes
// them gets each container's level on that container's tables, and no more.
// That is a documented, usable guarantee at READ COMMITTED and REPEATABLE
// READ, but at SERIALIZABLE it would silently be weaker than the name: a
// cycle of dependencies running through both containers is caught by
// neither. So a SERIALIZABLE transaction whose memopt level is serializable
// may use heap tables or memopt tables, not both (README, "Isolation levels").
//
// The check runs in ExecutorStart: every query's range table says which
// relations it touches (system catalogs do not count). It costs nothing
// outside SERIALIZABLE transactions.
#include "memopt_pg.h"

extern "C" {
#include "access/transam.h"
#include "access/xact.h"
#include "executor/executor.h"
#include "storage/proc.h"
#include "utils/lsyscache.h"
}

#include "guc.h"
#include "hooks.h"

namespace {

ExecutorStart_hook_type previous_executor_start = nullptr;

// What the current transaction has used (reset when lxid changes).
LocalTransactionId seen_in = InvalidLocalTransactionId;
Oid first_heap_table = InvalidOid;
bool used_memopt = false;

bool MemoptLevelIsSerializable(void) {
  memopt::Transaction *txn = memopt_txn_if_active();
  if (txn != nullptr) return txn->isolation() == memopt::Isolation::kSerializable;
  return memopt_isolation_level == MEMOPT_ISOLATION_SERIALIZABLE ||
         (memopt_isolation_level == MEMOPT_ISOLATION_AUTO && IsolationIsSerializable());
}

void CheckRangeTable(List *range_table) {
  if (seen_in != MyProc->lxid) {
    seen_in = MyProc->lxid;
    first_heap_table = InvalidOid;
    used_memopt = false;
  }
  ListCell *cell;
  foreach (cell, range_table) {
    auto *rte = static_cast<RangeTblEntry *>(lfirst(cell));
    if (rte->rtekind != RTE_RELATION || rte->relid < FirstNormalObjectId) continue;
    if (rte->relkind != RELKIND_RELATION && rte->relkind != RELKIND_MATVIEW) continue;
    if (memopt_is_memopt_table(rte->relid))
      used_memopt = true;
    else if (!OidIsValid(first_heap_table))
      first_heap_table = rte->relid;
  }
  if (!used_memopt || !OidIsValid(first_heap_table) || !MemoptLevelIsSerializable()) return;
  const char *name = get_rel_name(first_heap_table);
  ereport(ERROR,
          (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
           errmsg("cannot use table \"%s\" and memopt tables in the same serializable transaction",
                  name != nullptr ? name : "?"),
           errdetail("PostgreSQL's serializable checks do not see memopt tables and memopt's "
                     "validation does not see other tables, so together they cannot guarantee "
                     "serializability."),
           errhint("Use REPEATABLE READ for this transaction, or choose a memopt level with "
                   "memopt.isolation_level.")));
}

void CheckedExecutorStart(QueryDesc *query, int eflags) {
  if (IsolationIsSerializable() && !(eflags & EXEC_FLAG_EXPLAIN_ONLY))
    CheckRangeTable(query->plannedstmt->rtable);
  if (previous_executor_start != nullptr)
    previous_executor_start(query, eflags);
  else
    standard_ExecutorStart(query, eflags);
}

}  // namespace

void memopt_install_cross_container_check(void) {
  previous_executor_start = ExecutorStart_hook;
  ExecutorStart_hook = CheckedExecutorStart;
}

// on_conflict.cpp - INSERT ... ON CONFLICT into memopt tables.
//
// PostgreSQL 15 runs ON CONFLICT with any index AM whose "=" has btree's
// strategy number 3: the arbiter check is an ordinary index scan
// (check_exclusion_or_unique_constraint), the speculative insertion is the
// table AM's tuple_insert_speculative / complete_speculative, and aminsert
// reports a duplicate by returning false under UNIQUE_CHECK_PARTIAL. Only
// BuildSpeculativeIndexInfo, run by ExecOpenIndices at executor start, insists
// on btree ("unexpected non-btree speculative unique index") before it looks
// up exactly what memopt_range's operator classes provide (strategy 3).
//
// BuildSpeculativeIndexInfo runs inside ExecOpenIndices, which ExecInsert
// calls for the result relation before its first row. So right after
// ExecutorStart, this file opens the indexes of each memopt result relation
// of an INSERT ... ON CONFLICT itself, with the relcache entries of its
// unique memopt_range indexes showing btree's AM OID for that one call
// (locked first, so that taking the lock again cannot rebuild the entry
// meanwhile; restored in PG_FINALLY). ExecInsert then finds the indexes
// open. Nothing else runs in between; the index AM routine (rd_indam) stays
// memopt's throughout. A memopt_hash unique index has no strategy 3, and
// partitions and WITH queries open their indexes later, out of reach: such
// statements are refused at planning with a hint.
//
// Concurrency follows memopt's rules: a conflicting row inserted by a
// transaction that has not committed is a 40001 (memopt never waits), and
// DO UPDATE of a row changed since the snapshot is a 40001 too.
#include "index_internal.h"

extern "C" {
#include "access/relation.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "executor/executor.h"
#include "nodes/execnodes.h"
#include "nodes/plannodes.h"
#include "parser/parsetree.h"
#include "storage/lmgr.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/relcache.h"
}

#include "hooks.h"

namespace {

ExecutorStart_hook_type previous_executor_start = nullptr;

// A unique index of a memopt table that cannot be an ON CONFLICT arbiter.
char *UnusableUniqueIndex(Oid relid) {
  Relation relation = RelationIdGetRelation(relid);
  if (relation == nullptr) return nullptr;
  List *indexes = RelationGetIndexList(relation);
  RelationClose(relation);
  char *name = nullptr;
  ListCell *cell;
  foreach (cell, indexes) {
    Relation index = RelationIdGetRelation(lfirst_oid(cell));
    if (index == nullptr) continue;
    if (name == nullptr && index->rd_index->indisunique &&
        memopt_index_am_kind(index->rd_rel->relam) != static_cast<int>(memopt::IndexKind::kRange))
      name = pstrdup(RelationGetRelationName(index));
    RelationClose(index);
  }
  list_free(indexes);
  return name;
}

struct Swapped {
  Relation index;
  Oid am;
};

// Opens the indexes of a memopt result relation for speculative insertion
// (see the file comment).
void OpenIndicesForOnConflict(ResultRelInfo *result) {
  Relation relation = result->ri_RelationDesc;
  if (relation->rd_tableam != memopt_table_am_routine() || !relation->rd_rel->relhasindex ||
      result->ri_IndexRelationDescs != nullptr)
    return;
  List *indexes = RelationGetIndexList(relation);
  List *swapped = NIL;
  ListCell *cell;
  foreach (cell, indexes) {
    LockRelationOid(lfirst_oid(cell), RowExclusiveLock);  // the lock ExecOpenIndices takes
    Relation index = RelationIdGetRelation(lfirst_oid(cell));
    if (index == nullptr) continue;
    if (!index->rd_index->indisunique ||
        memopt_index_am_kind(index->rd_rel->relam) != static_cast<int>(memopt::IndexKind::kRange)) {
      RelationClose(index);
      continue;
    }
    auto *entry = static_cast<Swapped *>(palloc(sizeof(Swapped)));
    *entry = Swapped{index, index->rd_rel->relam};
    swapped = lappend(swapped, entry);
  }
  list_free(indexes);
  PG_TRY();
  {
    foreach (cell, swapped)
      static_cast<Swapped *>(lfirst(cell))->index->rd_rel->relam = BTREE_AM_OID;
    ExecOpenIndices(result, true);
  }
  PG_FINALLY();
  {
    foreach (cell, swapped) {
      auto *entry = static_cast<Swapped *>(lfirst(cell));
      entry->index->rd_rel->relam = entry->am;
      RelationClose(entry->index);
    }
  }
  PG_END_TRY();
  list_free_deep(swapped);
}

void OnExecutorStart(QueryDesc *query, int eflags) {
  if (previous_executor_start != nullptr)
    previous_executor_start(query, eflags);
  else
    standard_ExecutorStart(query, eflags);
  if (query->plannedstmt->commandType != CMD_INSERT || query->planstate == nullptr ||
      !IsA(query->planstate, ModifyTableState))
    return;
  auto *state = reinterpret_cast<ModifyTableState *>(query->planstate);
  if (reinterpret_cast<ModifyTable *>(state->ps.plan)->onConflictAction == ONCONFLICT_NONE) return;
  for (int i = 0; i < state->mt_nrels; ++i) OpenIndicesForOnConflict(&state->resultRelInfo[i]);
}

}  // namespace

namespace {

void RefuseOnConflict(Oid relid, const char *detail, const char *hint) {
  ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                  errmsg("INSERT ... ON CONFLICT is not supported on memopt table \"%s\"",
                         get_rel_name(relid)),
                  errdetail_internal("%s", detail), errhint("%s", hint)));
}

void CheckInsert(Query *query, bool nested) {
  if (query->commandType != CMD_INSERT || query->onConflict == nullptr) return;
  Oid relid = rt_fetch(query->resultRelation, query->rtable)->relid;
  if (get_rel_relkind(relid) == RELKIND_PARTITIONED_TABLE) {
    List *children = find_all_inheritors(relid, NoLock, nullptr);
    ListCell *cell;
    foreach (cell, children)
      if (memopt_is_memopt_table(lfirst_oid(cell)))
        RefuseOnConflict(lfirst_oid(cell),
                         "ON CONFLICT through a partitioned table is not supported when a "
                         "partition is a memopt table.",
                         "Insert into the partition itself.");
    return;
  }
  if (!memopt_is_memopt_table(relid)) return;
  if (nested)
    RefuseOnConflict(relid, "ON CONFLICT inside WITH is not supported on memopt tables.",
                     "Run the INSERT ... ON CONFLICT as a statement of its own.");
  char *index = UnusableUniqueIndex(relid);
  if (index != nullptr)
    RefuseOnConflict(relid,
                     psprintf("Its unique index \"%s\" is a memopt_hash index; PostgreSQL 15 "
                              "checks ON CONFLICT only through ordered indexes.",
                              index),
                     "Use memopt_range for the table's unique indexes.");
}

}  // namespace

void memopt_check_on_conflict(Query *parse) {
  CheckInsert(parse, false);
  ListCell *cell;
  foreach (cell, parse->cteList) {
    auto *cte = lfirst_node(CommonTableExpr, cell);
    if (cte->ctequery != nullptr && IsA(cte->ctequery, Query))
      CheckInsert(reinterpret_cast<Query *>(cte->ctequery), true);
  }
}

void memopt_install_on_conflict_hook(void) {
  previous_executor_start = ExecutorStart_hook;
  ExecutorStart_hook = OnExecutorStart;
}

// on_conflict.cpp - INSERT ... ON CONFLICT into memopt tables.
//
// PostgreSQL 15 runs ON CONFLICT with any index AM whose "=" has btree's
// strategy number 3: the arbiter check is an ordinary index scan
// (check_exclusion_or_unique_constraint), the speculative insertion is the
// table AM's tuple_insert_speculative / complete_speculative, and aminsert
// reports a duplicate by returning false under UNIQUE_CHECK_PARTIAL. Only
// BuildSpeculativeIndexInfo, run by ExecOpenIndices at executor start, insists
// on btree ("unexpected non-btree speculative unique index") before it looks
// up, in each key column's operator family, the "=" of strategy 3.
//
// BuildSpeculativeIndexInfo runs inside ExecOpenIndices, which ExecInsert
// calls for the result relation before its first row. So right after
// ExecutorStart, this file opens the indexes of each memopt result relation
// of an INSERT ... ON CONFLICT itself, with the relcache entries of its
// unique memopt indexes showing btree's AM OID for that one call (locked
// first, so that taking the lock again cannot rebuild the entry meanwhile;
// restored in PG_FINALLY). memopt_range's operator families have btree's
// strategies. A memopt_hash family's "=" is strategy 1, so for that call its
// columns show a btree family whose strategy 3 is the very same operator
// (the one the hash index's lookups use); the scan that checks the arbiter
// then probes the hash index with that operator. The index's own key
// description (memopt_index_info) is cached before, so it never sees the
// substitutes. Nothing else runs in between; the index AM routine (rd_indam)
// stays memopt's throughout. An INSERT in WITH is opened the same way, found
// in es_auxmodifytables. Partitions open their indexes later (at tuple
// routing), out of reach: such statements are refused at planning with a
// hint, and so is a memopt_hash index whose "=" is in no btree family.
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

// A btree operator family whose "=" (strategy 3) for `type` is `equal`, or
// InvalidOid.
Oid BtreeFamilyWithEquality(Oid equal, Oid type) {
  List *families = get_mergejoin_opfamilies(equal);
  Oid found = InvalidOid;
  ListCell *cell;
  foreach (cell, families)
    if (get_opfamily_member(lfirst_oid(cell), type, type, BTEqualStrategyNumber) == equal) {
      found = lfirst_oid(cell);
      break;
    }
  list_free(families);
  return found;
}

// The btree family to show for column `column` of a unique memopt_hash index
// while ExecOpenIndices runs (see the file comment), or InvalidOid.
Oid SubstituteFamily(Relation index, int column) {
  Oid type = index->rd_opcintype[column];
  Oid equal = get_opfamily_member(index->rd_opfamily[column], type, type, HTEqualStrategyNumber);
  return OidIsValid(equal) ? BtreeFamilyWithEquality(equal, type) : InvalidOid;
}

bool IsHashIndex(Relation index) {
  return memopt_index_am_kind(index->rd_rel->relam) == static_cast<int>(memopt::IndexKind::kHash);
}

// A unique memopt_hash index of the table that cannot be an ON CONFLICT
// arbiter: some key column's "=" belongs to no btree operator family.
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
    if (name == nullptr && index->rd_index->indisunique && IsHashIndex(index))
      for (int i = 0; i < IndexRelationGetNumberOfKeyAttributes(index); ++i)
        if (!OidIsValid(SubstituteFamily(index, i))) {
          name = pstrdup(RelationGetRelationName(index));
          break;
        }
    RelationClose(index);
  }
  list_free(indexes);
  return name;
}

// A unique memopt index whose relcache entry shows btree while
// ExecOpenIndices runs: what it really holds and what it shows.
struct Swapped {
  Relation index;
  Oid am;
  Oid families[INDEX_MAX_KEYS];
  Oid shown_families[INDEX_MAX_KEYS];
};

// Looks up what `index` is to show; may raise an error, so runs before any
// entry changes.
Swapped *PrepareSwap(Relation index) {
  auto *entry = static_cast<Swapped *>(palloc(sizeof(Swapped)));
  entry->index = index;
  entry->am = index->rd_rel->relam;
  bool hash = IsHashIndex(index);
  for (int i = 0; i < IndexRelationGetNumberOfKeyAttributes(index); ++i) {
    entry->families[i] = index->rd_opfamily[i];
    entry->shown_families[i] = hash ? SubstituteFamily(index, i) : index->rd_opfamily[i];
    if (!OidIsValid(entry->shown_families[i]))
      ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                      errmsg("memopt_hash index \"%s\" cannot check INSERT ... ON CONFLICT",
                             RelationGetRelationName(index)),
                      errhint("Use memopt_range for that unique index.")));
  }
  return entry;
}

void Show(Swapped *entry, bool as_btree) {
  Relation index = entry->index;
  for (int i = 0; i < IndexRelationGetNumberOfKeyAttributes(index); ++i)
    index->rd_opfamily[i] = as_btree ? entry->shown_families[i] : entry->families[i];
  index->rd_rel->relam = as_btree ? BTREE_AM_OID : entry->am;
}

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
    if (!index->rd_index->indisunique || memopt_index_am_kind(index->rd_rel->relam) == 0) {
      RelationClose(index);
      continue;
    }
    memopt_index_info(index);  // cached from the real families, before any swap
    swapped = lappend(swapped, PrepareSwap(index));
  }
  list_free(indexes);
  PG_TRY();
  {
    foreach (cell, swapped) Show(static_cast<Swapped *>(lfirst(cell)), true);
    ExecOpenIndices(result, true);
  }
  PG_FINALLY();
  {
    foreach (cell, swapped) {
      auto *entry = static_cast<Swapped *>(lfirst(cell));
      Show(entry, false);
      RelationClose(entry->index);
    }
  }
  PG_END_TRY();
  list_free_deep(swapped);
}

void OpenIndicesOfModifyTable(PlanState *planstate) {
  if (planstate == nullptr || !IsA(planstate, ModifyTableState)) return;
  auto *state = reinterpret_cast<ModifyTableState *>(planstate);
  auto *plan = reinterpret_cast<ModifyTable *>(state->ps.plan);
  if (plan->operation != CMD_INSERT || plan->onConflictAction == ONCONFLICT_NONE) return;
  for (int i = 0; i < state->mt_nrels; ++i) OpenIndicesForOnConflict(&state->resultRelInfo[i]);
}

void OnExecutorStart(QueryDesc *query, int eflags) {
  if (previous_executor_start != nullptr)
    previous_executor_start(query, eflags);
  else
    standard_ExecutorStart(query, eflags);
  if (!query->plannedstmt->hasModifyingCTE && query->plannedstmt->commandType != CMD_INSERT) return;
  OpenIndicesOfModifyTable(query->planstate);
  // INSERTs in WITH: ExecInitModifyTable lists them here.
  ListCell *cell;
  foreach (cell, query->estate->es_auxmodifytables)
    OpenIndicesOfModifyTable(static_cast<PlanState *>(lfirst(cell)));
}

}  // namespace

namespace {

void RefuseOnConflict(Oid relid, const char *detail, const char *hint) {
  ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                  errmsg("INSERT ... ON CONFLICT is not supported on memopt table \"%s\"",
                         get_rel_name(relid)),
                  errdetail_internal("%s", detail), errhint("%s", hint)));
}

void CheckInsert(Query *query) {
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
  char *index = UnusableUniqueIndex(relid);
  if (index != nullptr)
    RefuseOnConflict(relid,
                     psprintf("The equality operator of its unique memopt_hash index \"%s\" "
                              "belongs to no btree operator family.",
                              index),
                     "Use memopt_range for that unique index.");
}

}  // namespace

void memopt_check_on_conflict(Query *parse) {
  CheckInsert(parse);
  ListCell *cell;
  foreach (cell, parse->cteList) {
    auto *cte = lfirst_node(CommonTableExpr, cell);
    if (cte->ctequery != nullptr && IsA(cte->ctequery, Query))
      CheckInsert(reinterpret_cast<Query *>(cte->ctequery));
  }
}

void memopt_install_on_conflict_hook(void) {
  previous_executor_start = ExecutorStart_hook;
  ExecutorStart_hook = OnExecutorStart;
}

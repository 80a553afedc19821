// planner.cpp - planner adjustments for memopt tables.
//
// Parallel workers would each need the leader's memopt transaction (its read
// timestamp and its uncommitted writes), which lives in the leader's memory.
// So a memopt relation is never parallel-safe: it gets no partial paths, and
// no join that contains it runs below a Gather.
#include "memopt_pg.h"

extern "C" {
#include "nodes/pathnodes.h"
#include "optimizer/paths.h"
}

#include "hooks.h"

namespace {

set_rel_pathlist_hook_type previous_set_rel_pathlist = nullptr;

bool IsMemoptRelation(Oid relid) {
  Relation relation = RelationIdGetRelation(relid);
  if (relation == nullptr) return false;
  bool memopt = relation->rd_tableam == memopt_table_am_routine();
  RelationClose(relation);
  return memopt;
}

void OnSetRelPathlist(PlannerInfo *root, RelOptInfo *rel, Index rti, RangeTblEntry *rte) {
  if (previous_set_rel_pathlist != nullptr) previous_set_rel_pathlist(root, rel, rti, rte);
  if (rte->rtekind != RTE_RELATION || !IsMemoptRelation(rte->relid)) return;
  rel->consider_parallel = false;
  rel->partial_pathlist = NIL;
}

}  // namespace

void memopt_install_planner_hook(void) {
  previous_set_rel_pathlist = set_rel_pathlist_hook;
  set_rel_pathlist_hook = OnSetRelPathlist;
}

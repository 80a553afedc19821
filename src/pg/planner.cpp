// planner.cpp - planner adjustments for memopt tables.
//
// Parallel workers would each need the leader's memopt transaction (its read
// timestamp and its uncommitted writes), which lives in the leader's memory.
// So a memopt relation is never parallel-safe: it gets no partial paths, and
// no join that contains it runs below a Gather. Custom scan paths are added
// here too (custom_lookup.cpp).
//
// INSERT ... ON CONFLICT is checked here too (on_conflict.cpp).
#include "memopt_pg.h"

extern "C" {
#include "nodes/pathnodes.h"
#include "optimizer/paths.h"
#include "optimizer/planner.h"
#include "parser/parsetree.h"
#include "utils/relcache.h"
}

#include "hooks.h"
#include "index_internal.h"

namespace {

set_rel_pathlist_hook_type previous_set_rel_pathlist = nullptr;
planner_hook_type previous_planner = nullptr;

void OnSetRelPathlist(PlannerInfo *root, RelOptInfo *rel, Index rti, RangeTblEntry *rte) {
  if (previous_set_rel_pathlist != nullptr) previous_set_rel_pathlist(root, rel, rti, rte);
  if (rte->rtekind != RTE_RELATION || !memopt_is_memopt_table(rte->relid)) return;
  rel->consider_parallel = false;
  rel->partial_pathlist = NIL;
  memopt_add_lookup_paths(root, rel);
  memopt_add_range_paths(root, rel);
  memopt_add_seq_path(root, rel);
}

PlannedStmt *OnPlan(Query *parse, const char *query_string, int cursor_options,
                    ParamListInfo bound_params) {
  memopt_check_on_conflict(parse);
  if (previous_planner != nullptr)
    return previous_planner(parse, query_string, cursor_options, bound_params);
  return standard_planner(parse, query_string, cursor_options, bound_params);
}

}  // namespace

void memopt_install_planner_hook(void) {
  previous_planner = planner_hook;
  planner_hook = OnPlan;
  previous_set_rel_pathlist = set_rel_pathlist_hook;
  set_rel_pathlist_hook = OnSetRelPathlist;
}

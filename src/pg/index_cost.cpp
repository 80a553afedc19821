// index_cost.cpp - planner cost estimates for memopt_hash and memopt_range.
//
// Both start from PostgreSQL's genericcostestimate (selectivity from the
// clauses and ANALYZE statistics). Then:
//  - there is no I/O: the index's "pages" cost nothing, and the table's rows
//    are fetched from memory, which the correlation of 1 tells cost_index
//    (it then charges the sequential, not the random, page cost);
//  - a hash index can only be probed with an equality clause on every key
//    column; without one it would walk every entry, so it is costed out.
#include "index_internal.h"

extern "C" {
#include "nodes/pathnodes.h"
#include "optimizer/cost.h"
#include "utils/selfuncs.h"
}

namespace {

bool EveryColumnHasAClause(IndexPath *path) {
  Bitmapset *columns = nullptr;
  ListCell *cell;
  foreach (cell, path->indexclauses) {
    IndexClause *clause = lfirst_node(IndexClause, cell);
    columns = bms_add_member(columns, clause->indexcol);
  }
  int key_columns = path->indexinfo->nkeycolumns;
  bool all = bms_num_members(columns) == key_columns;
  bms_free(columns);
  return all;
}

}  // namespace

void memopt_index_cost_estimate(struct PlannerInfo *root, struct IndexPath *path, double loop_count,
                                Cost *startup_cost, Cost *total_cost, Selectivity *selectivity,
                                double *correlation, double *pages) {
  GenericCosts costs;
  memset(&costs, 0, sizeof costs);
  genericcostestimate(root, path, loop_count, &costs);
  // genericcostestimate charges random_page_cost per index page; memopt
  // indexes have none on disk.
  costs.indexTotalCost -= costs.numIndexPages * costs.spc_random_page_cost;
  if (costs.indexTotalCost < costs.indexStartupCost) costs.indexTotalCost = costs.indexStartupCost;
  bool is_hash = !path->indexinfo->amoptionalkey;  // memopt_range scans without keys too
  if (is_hash && !EveryColumnHasAClause(path)) {
    costs.indexStartupCost = disable_cost;
    costs.indexTotalCost = disable_cost;
  }
  *startup_cost = costs.indexStartupCost;
  *total_cost = costs.indexTotalCost;
  *selectivity = costs.indexSelectivity;
  *correlation = 1.0;
  *pages = 0;
}

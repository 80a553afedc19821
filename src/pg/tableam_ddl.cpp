// tableam_ddl.cpp - table AM callbacks for DDL and maintenance: new
// relfilenodes (CREATE, TRUNCATE, rewrites), SET TABLESPACE, VACUUM FULL /
// CLUSTER, VACUUM, sizes for the planner and ANALYZE, and the refusals
// (TOAST, indexes).
//
// Each relfilenode has its own engine table (table_map.cpp) and a relation
// file, which holds the durable batches of a permanent table
// (durable_format.h) and stays empty otherwise. Engine tables are dropped
// when the transaction's outcome says so (table_lifecycle.cpp); the files
// follow PostgreSQL's own pending deletes. Rows copied into a new
// relfilenode are writes of the transaction, so its commit logs them there.
#include "memopt_pg.h"

extern "C" {
#include "access/multixact.h"
#include "access/xact.h"
#include "catalog/storage.h"
#include "catalog/storage_xlog.h"
#include "commands/vacuum.h"
#include "pgstat.h"
#include "storage/smgr.h"
#include "utils/relcache.h"
}

#include "memopt/table_scan.h"
#include "index_internal.h"
#include "tableam_internal.h"

namespace {

// Copies every row `source` currently holds (as this transaction sees it,
// including its own changes) into `target`, as inserts of this transaction.
double CopyRows(Relation source_rel, memopt::Table *target, Relation target_rel) {
  memopt_prepare_write();
  memopt::Transaction *txn = memopt_txn();
  memopt::Table *source = memopt_table_for(source_rel);
  CommandId cid = GetCurrentCommandId(true);
  int level = memopt_write_level();
  memopt::TableScan scan(memopt_engine(), source, memopt_view_for(SnapshotSelf));
  double rows = 0;
  for (memopt::Version *version = scan.Next(); version != nullptr; version = scan.Next()) {
    memopt::Version *copy = txn->NewVersion(target, version->payload_bytes);
    if (copy == nullptr) memopt_report_status(memopt::Status::kOutOfMemory, target_rel);
    memcpy(copy->payload(), version->payload(), version->payload_bytes);
    memopt::Status status = txn->Insert(target, copy, cid, level);
    if (status != memopt::Status::kOk) {
      txn->DiscardVersion(target, copy);
      memopt_report_status(status, target_rel);
    }
    rows += 1;
  }
  return rows;
}

void CreateRelationFile(const RelFileNode &node, char persistence) {
  SMgrRelation srel = RelationCreateStorage(node, persistence, true);
  if (persistence == RELPERSISTENCE_UNLOGGED) {
    smgrcreate(srel, INIT_FORKNUM, false);
    log_smgrcreate(&node, INIT_FORKNUM);
    smgrimmedsync(srel, INIT_FORKNUM);
  }
  smgrclose(srel);
}

}  // namespace

void memopt_relation_set_new_filenode(Relation rel, const RelFileNode *newrnode, char persistence,
                                      TransactionId *freeze_xid, MultiXactId *min_multi) {
  // Durable batches carry xids: VACUUM freezes them (durable_freeze.cpp).
  // memopt stores no multixacts.
  *freeze_xid = persistence == RELPERSISTENCE_PERMANENT ? RecentXmin : InvalidTransactionId;
  *min_multi = InvalidMultiXactId;
  CreateRelationFile(*newrnode, persistence);
  memopt_drop_at_abort(memopt_key_for_node(*newrnode));
  if (!RelFileNodeEquals(rel->rd_node, *newrnode))
    memopt_drop_at_commit(memopt_key_for_node(rel->rd_node));
}

// TRUNCATE of a relation created (or given a new relfilenode) in this same
// subtransaction: empty it in place. If the subtransaction aborts, the whole
// relfilenode goes anyway.
void memopt_relation_nontransactional_truncate(Relation rel) {
  memopt::Engine *engine = memopt_engine();
  memopt::Table *table = engine->FindTable(memopt_key_for_node(rel->rd_node));
  if (table == nullptr) return;
  memopt::Transaction *txn = memopt_txn_if_active();
  if (txn != nullptr) txn->ForgetTable(table);
  memopt_forget_cached_tables();
  engine->DropTable(table);
}

// ALTER TABLE ... SET TABLESPACE: the rows move to the new relfilenode's
// engine table; the old one goes at commit.
void memopt_relation_copy_data(Relation rel, const RelFileNode *newrnode) {
  // The engine indexes hang off the engine table and PostgreSQL does not
  // rebuild indexes here: moving would leave them behind.
  List *indexes = RelationGetIndexList(rel);
  bool has_indexes = indexes != NIL;
  list_free(indexes);
  if (has_indexes)
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("cannot move memopt table \"%s\" with indexes to another tablespace",
                           RelationGetRelationName(rel)),
                    errdetail("memopt keeps its rows and indexes in memory; the tablespace only "
                              "holds an empty file."),
                    errhint("Drop the indexes, move the table, and create them again.")));
  CreateRelationFile(*newrnode, rel->rd_rel->relpersistence);
  memopt_drop_at_abort(memopt_key_for_node(*newrnode));
  memopt::Table *target = nullptr;
  memopt::Status status =
      memopt_engine()->OpenTable(memopt_key_for_node(*newrnode), &target,
                                 rel->rd_rel->relpersistence == RELPERSISTENCE_PERMANENT);
  if (status != memopt::Status::kOk) memopt_report_status(status, rel);
  CopyRows(rel, target, rel);
  memopt_drop_at_commit(memopt_key_for_node(rel->rd_node));
  RelationDropStorage(rel);
}

// VACUUM FULL and CLUSTER: copy the current rows into the new relation
// (no order: memopt tables have no clustering).
void memopt_relation_copy_for_cluster(Relation old_table, Relation new_table, Relation old_index,
                                      bool use_sort, TransactionId oldest_xmin,
                                      TransactionId *xid_cutoff, MultiXactId *multi_cutoff,
                                      double *num_tuples, double *tups_vacuumed,
                                      double *tups_recently_dead) {
  (void)old_index;
  (void)use_sort;
  (void)oldest_xmin;
  (void)xid_cutoff;
  (void)multi_cutoff;
  *num_tuples = CopyRows(old_table, memopt_table_for(new_table), new_table);
  *tups_vacuumed = 0;
  *tups_recently_dead = 0;
}

// VACUUM (and autovacuum, which triggers on the inserts, updates and deletes
// counted in pgstat): collect old versions now, then report what is left to
// pg_class and to the statistics collector, as heap's vacuum does. Versions
// that survive are still visible to some running transaction.
void memopt_relation_vacuum(Relation rel, struct VacuumParams *params,
                            BufferAccessStrategy bstrategy) {
  (void)params;
  (void)bstrategy;
  memopt::Engine *engine = memopt_engine();
  memopt::Table *table = memopt_table_for(rel);
  engine->CollectGarbage(table);
  memopt_sweep_indexes(rel, table);
  engine->ReclaimMemory();
  TransactionId frozen_xid = memopt_freeze_batches(rel, table);
  (void)memopt_prune_batches(rel, table);
  memopt::TableStats stats = table->Stats();
  uint64_t old_versions = stats.versions > stats.live_rows ? stats.versions - stats.live_rows : 0;
  // relhasindex as heap's vacuum sets it: false would hide the indexes from the planner.
  List *indexes = RelationGetIndexList(rel);
  bool has_indexes = indexes != NIL;
  list_free(indexes);
  vac_update_relstats(rel, memopt_analyze_blocks(stats.slots), static_cast<double>(stats.live_rows),
                      0, has_indexes, frozen_xid, InvalidMultiXactId, nullptr, nullptr, false);
  pgstat_report_vacuum(RelationGetRelid(rel), rel->rd_rel->relisshared,
                       static_cast<PgStat_Counter>(stats.live_rows),
                       static_cast<PgStat_Counter>(old_versions));
}

uint64 memopt_relation_size(Relation rel, ForkNumber fork) {
  if (fork != MAIN_FORKNUM && fork != InvalidForkNumber) return 0;
  return static_cast<uint64>(
             memopt_analyze_blocks(memopt_table_for(rel)->directory().high_water())) *
         BLCKSZ;
}

bool memopt_relation_needs_toast_table(Relation rel) {
  (void)rel;
  return false;
}

Oid memopt_relation_toast_am(Relation rel) {
  (void)rel;
  return InvalidOid;
}

void memopt_relation_fetch_toast_slice(Relation toastrel, Oid valueid, int32 attrsize,
                                       int32 sliceoffset, int32 slicelength,
                                       struct varlena *result) {
  (void)toastrel;
  (void)valueid;
  (void)attrsize;
  (void)sliceoffset;
  (void)slicelength;
  (void)result;
  ereport(ERROR,
          (errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("memopt tables have no TOAST table")));
}

// The planner's size estimate comes from the engine's counters, not from
// pg_class: they are exact and free to read.
void memopt_relation_estimate_size(Relation rel, int32 *attr_widths, BlockNumber *pages,
                                   double *tuples, double *allvisfrac) {
  (void)attr_widths;
  memopt::Table *table = memopt_table_for(rel);
  *tuples = static_cast<double>(table->live_rows());
  *pages = memopt_analyze_blocks(table->directory().high_water());
  *allvisfrac = 0;
}

const char *memopt_index_hint(void) {
  return "Use USING memopt_range (ordered: equality, ranges, ORDER BY) or USING memopt_hash "
         "(equality only).";
}

TransactionId memopt_index_delete_tuples(Relation rel, TM_IndexDeleteOp *delstate) {
  (void)delstate;
  ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                  errmsg("memopt table \"%s\" does not support index deletion by TID",
                         RelationGetRelationName(rel))));
  pg_unreachable();
}

void memopt_index_validate_scan(Relation table_rel, Relation index_rel,
                                struct IndexInfo *index_info, Snapshot snapshot,
                                struct ValidateIndexState *state) {
  (void)index_rel;
  (void)index_info;
  (void)snapshot;
  (void)state;
  ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                  errmsg("concurrent index builds are not supported on memopt table \"%s\"",
                         RelationGetRelationName(table_rel)),
                  errhint("memopt builds indexes in memory; leave out CONCURRENTLY.")));
}

// xact.cpp - ties the memopt transaction to PostgreSQL's transaction events.
//
//  PRE_PREPARE   refuse: a memopt transaction cannot be prepared.
//  PRE_COMMIT    validate and wait for commit dependencies (validation.cpp),
//                append the batches of durable tables (durable_write.cpp),
//                then announce the xid until publish
//  COMMIT        publish the commit timestamp (never fails), then drop the
//                engine tables that DDL of this transaction replaced.
//  ABORT         undo every write, then drop tables this transaction created.
//  ABORT_SUB     undo the writes of the subtransaction and deeper.
//  COMMIT_SUB    hand the subtransaction's writes to its parent.
#include "memopt_pg.h"

extern "C" {
#include "access/xact.h"
}

#include "hooks.h"

namespace {

void OnXactEvent(XactEvent event, void *arg) {
  (void)arg;
  memopt::Transaction *txn = memopt_txn_if_active();
  switch (event) {
    case XACT_EVENT_PRE_PREPARE:
      if (txn != nullptr || memopt_lifecycle_pending())
        ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                        errmsg("cannot PREPARE a transaction that has accessed memopt tables")));
      break;
    case XACT_EVENT_PRE_COMMIT:
      // From here until Commit publishes, readers whose snapshots see our
      // xid as committed wait for us (session.cpp, FreshReadTs).
      if (txn != nullptr) memopt_validate_commit(txn);
      if (txn != nullptr && txn->write_count() > 0) {
        memopt_log_commit(txn);
        txn->AnnouncePublishing(GetTopTransactionIdIfAny());
      }
      break;
    case XACT_EVENT_COMMIT:
    case XACT_EVENT_PARALLEL_COMMIT:
    case XACT_EVENT_PREPARE:
      if (txn != nullptr) txn->Commit();
      memopt_lifecycle_at_end(true);
      break;
    case XACT_EVENT_ABORT:
    case XACT_EVENT_PARALLEL_ABORT:
      if (txn != nullptr) txn->Abort();
      memopt_lifecycle_at_end(false);
      break;
    default:
      break;
  }
}

void OnSubXactEvent(SubXactEvent event, SubTransactionId my_subid, SubTransactionId parent_subid,
                    void *arg) {
  (void)my_subid;
  (void)parent_subid;
  (void)arg;
  int level = GetCurrentTransactionNestLevel();
  memopt::Transaction *txn = memopt_txn_if_active();
  switch (event) {
    case SUBXACT_EVENT_ABORT_SUB:
      if (txn != nullptr) txn->RollbackToLevel(level);
      memopt_lifecycle_at_subxact_end(false, level);
      break;
    case SUBXACT_EVENT_COMMIT_SUB:
      if (txn != nullptr) txn->ReleaseLevel(level, level - 1);
      memopt_lifecycle_at_subxact_end(true, level);
      break;
    default:
      break;
  }
}

}  // namespace

void memopt_install_xact_callbacks(void) {
  RegisterXactCallback(OnXactEvent, nullptr);
  RegisterSubXactCallback(OnSubXactEvent, nullptr);
}

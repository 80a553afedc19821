// update_chain.cpp - READ COMMITTED's re-check of a row that a transaction
// changed and committed after the statement's snapshot (PostgreSQL's
// EvalPlanQual), for memopt tables.
//
// Under heap, an UPDATE, DELETE or SELECT ... FOR UPDATE in READ COMMITTED
// that meets a row updated by a transaction which has since committed does
// not fail: the table AM reports TM_Updated (or TM_Deleted), the executor
// locks the row's newest version (table_tuple_lock with
// TUPLE_LOCK_FLAG_FIND_LAST_VERSION, which writes that version's TID back),
// re-tests the statement's quals on it (EvalPlanQual) and acts on it.
// memopt does the same when its own level is read committed:
//
//   - tuple_update / tuple_delete report a version ended by a committed
//     transaction as TM_Updated (the row has a newer version) or TM_Deleted;
//   - tuple_lock with FIND_LAST_VERSION locks the row's newest committed
//     version instead of the one named, and says so (tmfd->traversed);
//     without the flag (ON CONFLICT DO UPDATE) it reports TM_Updated, and
//     the executor starts the arbiter check again.
//
// Writers still never wait for writers: a row that a running transaction
// has changed fails at once with 40001, as before. Every other memopt level
// (snapshot, repeatable read, serializable; also when memopt.isolation_level
// forces one under PostgreSQL's READ COMMITTED) keeps failing with 40001,
// as heap does in REPEATABLE READ.
#include "memopt_pg.h"

extern "C" {
#include "access/xact.h"
}

#include "tableam_internal.h"

bool memopt_follows_updates(const memopt::Version *version) {
  return memopt_txn()->isolation() == memopt::Isolation::kReadCommitted &&
         !IsolationUsesXactSnapshot() && memopt::EndCommitted(memopt_engine()->slots(), version);
}

memopt::Version *memopt_newest_version(const memopt::Version *version) {
  // The newest committed state plus this transaction's own changes. A
  // version another running transaction is replacing is still the newest
  // committed one (its end holds that transaction's id).
  memopt::ReadView view = memopt_view_for(SnapshotSelf);
  const memopt::TxnSlot *slots = memopt_engine()->slots();
  for (memopt::Version *candidate = version->row->newest.load(std::memory_order_acquire);
       candidate != nullptr; candidate = candidate->older.load(std::memory_order_acquire)) {
    if (memopt::IsVisible(slots, candidate, view)) return candidate;
  }
  return nullptr;
}

TM_Result memopt_report_changed_row(const memopt::Version *version, TM_FailureData *tmfd) {
  memopt::Version *newest = memopt_newest_version(version);
  // Heap reports the updater's xid and command; nothing here reads them.
  tmfd->xmax = InvalidTransactionId;
  tmfd->cmax = InvalidCommandId;
  tmfd->traversed = false;
  memopt_slot_to_tid(newest != nullptr ? newest->slot : version->slot, &tmfd->ctid);
  return newest != nullptr ? TM_Updated : TM_Deleted;
}

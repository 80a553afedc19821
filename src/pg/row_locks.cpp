// row_locks.cpp - SELECT ... FOR UPDATE / FOR NO KEY UPDATE / FOR SHARE /
// FOR KEY SHARE on memopt tables (the table AM's tuple_lock), and waiting
// for a row's lock holder.
//
// FOR UPDATE, FOR NO KEY UPDATE and FOR SHARE take the engine's row lock
// (Transaction::LockRow): until this transaction ends, other transactions'
// updates, deletes and row locks of the row wait for it, as with heap
// tables; readers never do. FOR SHARE locks as FOR NO KEY UPDATE does (one
// holder at a time: the engine has no shared row lock). FOR KEY SHARE, which
// foreign key checks take, is the engine's key-share lock and never waits
// (Transaction::LockKeyShare).
//
// Waiting goes through PostgreSQL's lock manager: the holder's xid is
// assigned before it locks (memopt_prepare_write) and kept in its slot, and
// a waiter waits on that xid as heap waits on a row's xmax, so deadlocks are
// detected, lock_timeout applies and pg_locks shows the wait. PostgreSQL
// releases the xid lock only after memopt's commit or abort callback has
// released the row, so a waiter that wakes up finds the row free, or ended
// by the holder's commit: then READ COMMITTED goes on with the row's newest
// version (update_chain.cpp) and the other levels fail with 40001.
#include "memopt_pg.h"

extern "C" {
#include "access/xact.h"
}

#include "tableam_internal.h"

namespace {

// What to do when the row cannot be locked: skip it (SKIP LOCKED), fail
// with 55P03 (NOWAIT) or fail with 40001.
TM_Result CannotLock(Relation rel, ItemPointer tid, LockWaitPolicy wait_policy,
                     TM_FailureData *tmfd) {
  if (wait_policy == LockWaitSkip) {
    tmfd->ctid = *tid;
    tmfd->traversed = false;
    return TM_WouldBlock;
  }
  if (wait_policy == LockWaitError)
    ereport(ERROR, (errcode(ERRCODE_LOCK_NOT_AVAILABLE),
                    errmsg("could not obtain lock on row in relation \"%s\"",
                           RelationGetRelationName(rel))));
  memopt_report_status(memopt::Status::kWriteConflict, rel);
  pg_unreachable();
}

// FOR UPDATE, FOR NO KEY UPDATE, FOR SHARE: kOk once locked (or already
// ours), after waiting for a holder when `wait_policy` says so; kRowLocked
// when the row is held and we may not wait; kWriteConflict when another
// transaction has ended the version.
memopt::Status LockExclusively(Relation rel, ItemPointer tid, memopt::Version *version,
                               LockWaitPolicy wait_policy) {
  memopt_prepare_write();  // our xid, which whoever waits for us waits on
  memopt::Transaction *txn = memopt_txn();
  memopt::Table *table = memopt_table_for(rel);
  for (;;) {
    memopt::Status status = txn->LockRow(table, version, memopt_write_level());
    if (status == memopt::Status::kOutOfMemory) memopt_report_status(status, rel);
    if (status != memopt::Status::kRowLocked || wait_policy != LockWaitBlock) return status;
    memopt_wait_for_row_lock(rel, tid, txn->blocker(), XLTW_Lock);
  }
}

memopt::Status LockVersion(Relation rel, ItemPointer tid, memopt::Version *version,
                           LockTupleMode mode, LockWaitPolicy wait_policy) {
  if (mode != LockTupleKeyShare) return LockExclusively(rel, tid, version, wait_policy);
  memopt::Status status = memopt_txn()->LockKeyShare(memopt_table_for(rel), version);
  if (status == memopt::Status::kOutOfMemory) memopt_report_status(status, rel);
  return status;
}

}  // namespace

void memopt_wait_for_row_lock(Relation rel, ItemPointer tid, uint64_t holder, XLTW_Oper oper) {
  const memopt::TxnSlot *slots = memopt_engine()->slots();
  // The holder stored its xid before it locked the row, and the engine read
  // the lock (seq_cst) before telling us about it.
  TransactionId xid = slots[memopt::TxnIdSlot(holder)].host_xid.load(std::memory_order_acquire);
  if (!memopt::IsRunning(memopt::ResolveTxn(slots, holder).state)) return;  // gone meanwhile
  if (TransactionIdIsValid(xid) && xid != GetTopTransactionIdIfAny()) {
    XactLockTableWait(xid, rel, tid, oper);
    return;
  }
  // A holder without an xid (none of PostgreSQL's: every backend assigns one
  // before it locks or writes): poll.
  CHECK_FOR_INTERRUPTS();
  pg_usleep(1000L);
}

// A row changed by a transaction that committed after our snapshot is
// followed to its newest version under READ COMMITTED (update_chain.cpp):
// with TUPLE_LOCK_FLAG_FIND_LAST_VERSION that version is locked, stored in
// `slot` and named in `tid` (tmfd->traversed), else TM_Updated or TM_Deleted
// tells the caller. At other levels such a row is skipped by SKIP LOCKED,
// refused with 55P03 by NOWAIT and with 40001 otherwise. (trigger.c's
// GetTupleForTrigger passes an uninitialized tmfd: every path sets
// traversed.)
TM_Result memopt_tuple_lock(Relation rel, ItemPointer tid, Snapshot snapshot, TupleTableSlot *slot,
                            CommandId cid, LockTupleMode mode, LockWaitPolicy wait_policy,
                            uint8 flags, TM_FailureData *tmfd) {
  (void)snapshot;  // as heap: the version named is locked, whoever sees it
  tmfd->traversed = false;
  memopt::Version *version = memopt_fetch_tid(rel, tid, SnapshotAny);
  if (version == nullptr) return CannotLock(rel, tid, wait_policy, tmfd);
  if (version->begin.load() == memopt_txn()->id() && version->cmin >= cid) {
    // A row this very command wrote (INSERT ... ON CONFLICT DO UPDATE meeting
    // a row it inserted): PostgreSQL reports it from TM_Invisible.
    memopt_store_version(version, rel, slot);
    return TM_Invisible;
  }
  for (;;) {
    memopt::Status status = LockVersion(rel, tid, version, mode, wait_policy);
    // A key-share lock is the row's, and LockKeyShare does not look at the
    // version again once we hold one: an ended version still needs following.
    if (status == memopt::Status::kOk && mode == LockTupleKeyShare &&
        memopt_follows_updates(version))
      status = memopt::Status::kWriteConflict;
    if (status == memopt::Status::kOk) break;
    if (status != memopt::Status::kWriteConflict || !memopt_follows_updates(version))
      return CannotLock(rel, tid, wait_policy, tmfd);
    if ((flags & TUPLE_LOCK_FLAG_FIND_LAST_VERSION) == 0)
      return memopt_report_changed_row(version, tmfd);
    version = memopt_newest_version(version);
    if (version == nullptr) {
      tmfd->ctid = *tid;
      tmfd->xmax = InvalidTransactionId;
      tmfd->cmax = InvalidCommandId;
      return TM_Deleted;
    }
    memopt_slot_to_tid(version->slot, tid);
    tmfd->ctid = *tid;  // MERGE takes the new TID from here, the others from tid
    if (version->begin.load() == memopt_txn()->id() && version->cmin >= cid) {
      // This command already wrote the row's newest version.
      tmfd->xmax = GetTopTransactionIdIfAny();
      tmfd->cmax = version->cmin;
      return TM_SelfModified;
    }
    tmfd->traversed = true;
  }
  memopt_store_version(version, rel, slot);
  return TM_Ok;
}

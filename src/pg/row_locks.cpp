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
// by the holder's commit (40001: memopt never follows a row to a newer
// version, not even under READ COMMITTED).
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

// FOR UPDATE, FOR NO KEY UPDATE, FOR SHARE: true once locked (or already
// ours), false when the row cannot be locked.
bool LockExclusively(Relation rel, ItemPointer tid, memopt::Version *version,
                     LockWaitPolicy wait_policy) {
  memopt_prepare_write();  // our xid, which whoever waits for us waits on
  memopt::Transaction *txn = memopt_txn();
  memopt::Table *table = memopt_table_for(rel);
  for (;;) {
    memopt::Status status = txn->LockRow(table, version, memopt_write_level());
    if (status == memopt::Status::kOk) return true;
    if (status == memopt::Status::kOutOfMemory) memopt_report_status(status, rel);
    if (status != memopt::Status::kRowLocked || wait_policy != LockWaitBlock) return false;
    memopt_wait_for_row_lock(rel, tid, txn->blocker(), XLTW_Lock);
  }
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

// Row locks never follow a row to a newer version: callers (trigger.c's
// GetTupleForTrigger passes an uninitialized tmfd) must not see one. A row
// changed by a transaction that committed after our snapshot is skipped by
// SKIP LOCKED, refused with 55P03 by NOWAIT and with 40001 otherwise.
TM_Result memopt_tuple_lock(Relation rel, ItemPointer tid, Snapshot snapshot, TupleTableSlot *slot,
                            CommandId cid, LockTupleMode mode, LockWaitPolicy wait_policy,
                            uint8 flags, TM_FailureData *tmfd) {
  (void)flags;
  tmfd->traversed = false;
  memopt::Version *version = memopt_fetch_tid(rel, tid, snapshot);
  if (version == nullptr) {
    // A row this very command wrote (INSERT ... ON CONFLICT DO UPDATE meeting
    // a row it inserted): PostgreSQL reports it from TM_Invisible.
    memopt::Version *own = memopt_fetch_tid(rel, tid, SnapshotAny);
    if (own != nullptr && own->begin.load() == memopt_txn()->id() && own->cmin >= cid) {
      memopt_store_version(own, rel, slot);
      return TM_Invisible;
    }
    return CannotLock(rel, tid, wait_policy, tmfd);
  }
  bool locked;
  if (mode == LockTupleKeyShare) {
    memopt::Status status = memopt_txn()->LockKeyShare(memopt_table_for(rel), version);
    if (status == memopt::Status::kOutOfMemory) memopt_report_status(status, rel);
    locked = status == memopt::Status::kOk;
  } else {
    locked = LockExclusively(rel, tid, version, wait_policy);
  }
  if (!locked) return CannotLock(rel, tid, wait_policy, tmfd);
  memopt_store_version(version, rel, slot);
  return TM_Ok;
}

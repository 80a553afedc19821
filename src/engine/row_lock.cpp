// row_lock.cpp - row locks: FOR UPDATE, FOR NO KEY UPDATE and FOR SHARE
// (transaction.h, "Row locks").
//
// Protocol, for a version V (the row's newest committed image):
//   lock:     CAS V.end from kInfinity, or from a lock word whose owner has
//             ended, to our lock word; then check that V's creator has
//             committed (as ClaimEnd does), else put kInfinity back.
//   writer:   ClaimEnd CASes the same field, so of a locker and a writer at
//             most one wins; a writer that meets a lock word of a running
//             transaction returns kRowLocked, the holder's own writer turns
//             the lock into its claim (and its undo turns it back).
//   release:  CAS our lock word back to kInfinity. It fails, harmlessly, when
//             our own write replaced it (the claim is published or undone
//             with the write) or when another transaction took the lock over
//             after we ended.
//   readers:  a lock word is kInfinity to them (visibility.cpp).
// A holder that ended without releasing (it cannot: Commit and Abort both
// release) would only leave a lock word that the next claimant takes over.
#include <algorithm>
#include <new>

#include "memopt/transaction.h"

namespace memopt {

Status Transaction::LockRow(Table *table, Version *version, int level) {
  // Our own new image: nobody else can claim it while we run.
  if (version->begin.load(std::memory_order_acquire) == txn_id_) return Status::kOk;
  try {
    if (row_locks_.size() == row_locks_.capacity())
      row_locks_.reserve(std::max<size_t>(16, row_locks_.size() * 2));
  } catch (const std::bad_alloc &) {
    return Status::kOutOfMemory;
  }
  const TxnSlot *slots = engine_->slots();
  const uint64_t my_lock = MakeLockWord(txn_id_);
  for (;;) {
    uint64_t expected = version->end.load(std::memory_order_seq_cst);
    if (expected == txn_id_ || expected == my_lock) return Status::kOk;
    if (!IsOpenEnd(expected)) {
      if (!IsTxnId(expected)) return Status::kWriteConflict;  // ended by a commit
      TxnOutcome writer = ResolveTxn(slots, expected);
      if (writer.state == TxnState::kIdle || writer.state == TxnState::kAborted)
        continue;  // re-stamped, or about to be reopened: look again
      if (writer.state == TxnState::kCommitted) return Status::kWriteConflict;
      blocker_ = expected;
      return Status::kRowLocked;
    }
    if (IsLockWord(expected) && IsRunning(ResolveTxn(slots, LockOwner(expected)).state)) {
      blocker_ = LockOwner(expected);
      return Status::kRowLocked;
    }
    if (!version->end.compare_exchange_strong(expected, my_lock, std::memory_order_seq_cst))
      continue;
    if (!CreatorCommitted(slots, version, txn_id_)) {
      version->end.store(kInfinity, std::memory_order_release);
      return Status::kWriteConflict;
    }
    row_locks_.push_back(RowLock{table, version, level});  // cannot throw: reserved above
    return Status::kOk;
  }
}

void Transaction::ReleaseRowLocks(int level) {
  const uint64_t my_lock = MakeLockWord(txn_id_);
  while (!row_locks_.empty() && row_locks_.back().level >= level) {
    uint64_t expected = my_lock;
    row_locks_.back().version->end.compare_exchange_strong(expected, kInfinity,
                                                           std::memory_order_seq_cst);
    row_locks_.pop_back();
  }
}

// The table is being emptied or dropped by this transaction: its versions go
// with it, so their locks are dropped without touching them.
void Transaction::ForgetRowLocks(const Table *table) {
  row_locks_.erase(std::remove_if(row_locks_.begin(), row_locks_.end(),
                                  [table](const RowLock &lock) { return lock.table == table; }),
                   row_locks_.end());
}

}  // namespace memopt

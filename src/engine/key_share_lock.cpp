// key_share_lock.cpp - key-share row locks (transaction.h, "Key-share locks").
//
// Protocol, for a row R:
//   locker:  R.key_share_lockers += 1; then read R.newest's end field; if it
//            is not open, -= 1 and fail.
//   writer:  claim the end field (ClaimEnd); then read R.key_share_lockers
//            (minus its own lock) and, at kSnapshot and above, the table's
//            last release tick for R's bucket; if either says "locked" the
//            writer undoes its claim and fails.
//   release: write the bucket's tick (committers only), then R -= 1.
// All of these are seq_cst, so a locker and a writer racing on one row never
// both succeed, and a writer that reads 0 lockers also sees the tick of every
// release that led there.
#include <algorithm>
#include <new>

#include "memopt/transaction.h"

namespace memopt {

namespace {

constexpr uint8_t kMaxKeyShareLockers = UINT8_MAX;

}  // namespace

Status Transaction::LockKeyShare(Table *table, Version *version) {
  Row *row = version->row;
  if (key_locked_rows_.count(row) != 0) return Status::kOk;
  try {
    if (key_locks_.size() == key_locks_.capacity())
      key_locks_.reserve(std::max<size_t>(64, key_locks_.size() * 2));
    key_locked_rows_.insert(row);
  } catch (const std::bad_alloc &) {
    return Status::kOutOfMemory;
  }
  uint8_t lockers = row->key_share_lockers.load(std::memory_order_seq_cst);
  do {
    if (lockers == kMaxKeyShareLockers) {
      key_locked_rows_.erase(row);
      return Status::kWriteConflict;
    }
  } while (!row->key_share_lockers.compare_exchange_weak(lockers, lockers + 1,
                                                         std::memory_order_seq_cst));
  bool mine = version->end.load(std::memory_order_seq_cst) == txn_id_;
  if (!mine && !EndIsOpen(engine_->slots(), version)) {
    row->key_share_lockers.fetch_sub(1, std::memory_order_seq_cst);
    key_locked_rows_.erase(row);
    return Status::kWriteConflict;
  }
  key_locks_.push_back(KeyLock{table, row});  // cannot throw: reserved above
  return Status::kOk;
}

Status Transaction::CheckKeyShareLocks(const Table *table, const Row *row) const {
  // Every delete and update asks: look up our own locks only when the row
  // has a locker at all.
  unsigned lockers = row->key_share_lockers.load(std::memory_order_seq_cst);
  if (lockers != 0 && lockers > key_locked_rows_.count(row)) return Status::kKeyShareLocked;
  if (isolation_ < Isolation::kSnapshot) return Status::kOk;
  Timestamp read_ts = validation_read_ts_ != 0 ? validation_read_ts_ : first_read_ts_;
  if (table->LastKeyLockRelease(row) > read_ts) return Status::kKeyShareLocked;
  return Status::kOk;
}

void Transaction::ReleaseKeyShareLocks(bool committed) {
  if (key_locks_.empty()) return;
  // One tick after every read timestamp taken so far: a writer whose read
  // timestamp is older than our release may not see what we committed.
  Timestamp tick = committed ? engine_->NextCommitTimestamp() : 0;
  for (const KeyLock &lock : key_locks_) {
    if (committed) lock.table->NoteKeyLockRelease(lock.row, tick);
    lock.row->key_share_lockers.fetch_sub(1, std::memory_order_seq_cst);
  }
  key_locks_.clear();
  key_locked_rows_.clear();
}

// The table is being emptied or dropped by this transaction: its rows go
// with it, so their locks are dropped without touching them.
void Transaction::ForgetKeyShareLocks(const Table *table) {
  auto first = std::remove_if(key_locks_.begin(), key_locks_.end(),
                              [table](const KeyLock &lock) { return lock.table == table; });
  for (auto it = first; it != key_locks_.end(); ++it) key_locked_rows_.erase(it->row);
  key_locks_.erase(first, key_locks_.end());
}

}  // namespace memopt

// row_lock_test.cpp - row locks (Transaction::LockRow, FOR UPDATE): what
// they block and what they do not, the holder's own writes, savepoints,
// locks left by ended transactions, and lockers racing from several threads.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "test_engine.h"

namespace memopt {
namespace {

using test::CommitInserts;
using test::MakeTable;
using test::OutsideView;
using test::Scaled;
using test::TestEngine;
using test::UpdateValue;
using test::ValueOf;
using test::VisibleVersion;

class RowLockTest : public test::OneRowTwoSessions {};

TEST_F(RowLockTest, BlocksWritersAndLockersButNotReaders) {
  a_.Begin();
  b_.Begin();
  ASSERT_EQ(a_.LockRow(table_, row_, 1), Status::kOk);
  EXPECT_EQ(a_.row_lock_count(), 1u);
  EXPECT_EQ(a_.write_count(), 0u);
  EXPECT_TRUE(IsLockWord(row_->end.load()));
  Status status;
  EXPECT_EQ(UpdateValue(b_, table_, row_, 2, 0, 1, &status), nullptr);
  EXPECT_EQ(status, Status::kRowLocked);
  EXPECT_EQ(b_.blocker(), a_.id());
  EXPECT_EQ(b_.Delete(table_, row_, 0, 1), Status::kRowLocked);
  EXPECT_EQ(b_.LockRow(table_, row_, 1), Status::kRowLocked);
  EXPECT_EQ(b_.write_count(), 0u);
  EXPECT_EQ(b_.row_lock_count(), 0u);
  // Readers see the locked version as they saw it before.
  EXPECT_EQ(VisibleVersion(engine_.get(), row_->row, b_.View(b_.first_read_ts(), 0)), row_);
  EXPECT_EQ(VisibleVersion(engine_.get(), row_->row, OutsideView(engine_->Now())), row_);
  EXPECT_TRUE(EndIsOpen(engine_->slots(), row_));
  // Key-share locks are compatible (FOR NO KEY UPDATE and FOR KEY SHARE).
  EXPECT_EQ(b_.LockKeyShare(table_, row_), Status::kOk);
  a_.Commit();  // a lock-only transaction: released at commit
  EXPECT_EQ(row_->end.load(), kInfinity);
  EXPECT_EQ(b_.LockRow(table_, row_, 1), Status::kOk);
  b_.Commit();
  EXPECT_EQ(row_->end.load(), kInfinity);
}

// EndCommitted tells READ COMMITTED's re-check (update_chain.cpp) which
// conflicts it may follow: only an end set by a transaction that committed,
// never a lock, a running writer's claim or an aborted one's.
TEST_F(RowLockTest, EndCommittedOnlyForCommittedEnds) {
  const TxnSlot *slots = engine_->slots();
  EXPECT_FALSE(EndCommitted(slots, row_));  // open
  a_.Begin();
  ASSERT_EQ(a_.LockRow(table_, row_, 1), Status::kOk);
  EXPECT_FALSE(EndCommitted(slots, row_));  // locked
  Status status;
  Version *updated = UpdateValue(a_, table_, row_, 2, 1, 1, &status);
  ASSERT_NE(updated, nullptr) << StatusName(status);
  EXPECT_FALSE(EndCommitted(slots, row_));  // claimed by a running writer
  a_.Abort();
  EXPECT_FALSE(EndCommitted(slots, row_));  // reopened
  a_.Begin();
  updated = UpdateValue(a_, table_, row_, 3, 1, 1, &status);
  ASSERT_NE(updated, nullptr) << StatusName(status);
  a_.Commit();
  EXPECT_TRUE(EndCommitted(slots, row_));      // replaced by a committed version
  EXPECT_FALSE(EndCommitted(slots, updated));  // which is open
  b_.Begin();
  ASSERT_EQ(b_.Delete(table_, updated, 0, 1), Status::kOk);
  b_.Commit();
  EXPECT_TRUE(EndCommitted(slots, updated));  // deleted by a committed transaction
}

TEST_F(RowLockTest, AbortReleases) {
  a_.Begin();
  ASSERT_EQ(a_.LockRow(table_, row_, 1), Status::kOk);
  a_.Abort();
  EXPECT_EQ(row_->end.load(), kInfinity);
  EXPECT_EQ(a_.row_lock_count(), 0u);
}

TEST_F(RowLockTest, HolderUpdatesAndUndoRestoresItsLock) {
  a_.Begin();
  b_.Begin();
  ASSERT_EQ(a_.LockRow(table_, row_, 1), Status::kOk);
  Status status;
  Version *updated = UpdateValue(a_, table_, row_, 2, 1, 2, &status);
  ASSERT_NE(updated, nullptr) << StatusName(status);
  EXPECT_EQ(row_->end.load(), a_.id());  // the lock became a claim
  a_.RollbackToLevel(2);                 // undo the update, keep the level-1 lock
  EXPECT_EQ(row_->end.load(), MakeLockWord(a_.id()));
  EXPECT_EQ(b_.Delete(table_, row_, 0, 1), Status::kRowLocked);
  // Delete over the lock, then commit: the delete is published.
  ASSERT_EQ(a_.Delete(table_, row_, 2, 1), Status::kOk);
  Timestamp committed = a_.Commit();
  EXPECT_EQ(row_->end.load(), committed);
  EXPECT_EQ(b_.Delete(table_, row_, 0, 1), Status::kWriteConflict);
  b_.Abort();
}

TEST_F(RowLockTest, SavepointRollbackReleasesItsLocksOnly) {
  Version *other = CommitInserts(engine_.get(), table_, {5})[0];
  a_.Begin();
  ASSERT_EQ(a_.LockRow(table_, row_, 1), Status::kOk);
  ASSERT_EQ(a_.LockRow(table_, other, 2), Status::kOk);
  a_.RollbackToLevel(2);
  EXPECT_EQ(other->end.load(), kInfinity);
  EXPECT_EQ(row_->end.load(), MakeLockWord(a_.id()));
  // A released savepoint hands its locks to the parent level.
  ASSERT_EQ(a_.LockRow(table_, other, 2), Status::kOk);
  a_.ReleaseLevel(2, 1);
  a_.RollbackToLevel(2);
  EXPECT_EQ(other->end.load(), MakeLockWord(a_.id()));
  a_.Commit();
  EXPECT_EQ(other->end.load(), kInfinity);
  EXPECT_EQ(row_->end.load(), kInfinity);
}

TEST_F(RowLockTest, OwnChangesNeedNoLock) {
  a_.Begin();
  Status status;
  Version *updated = UpdateValue(a_, table_, row_, 2, 0, 1, &status);
  ASSERT_NE(updated, nullptr);
  EXPECT_EQ(a_.LockRow(table_, updated, 1), Status::kOk);  // our new image
  EXPECT_EQ(a_.LockRow(table_, row_, 1), Status::kOk);     // claimed by us
  EXPECT_EQ(a_.LockRow(table_, row_, 1), Status::kOk);
  EXPECT_EQ(a_.row_lock_count(), 0u);
  EXPECT_EQ(updated->end.load(), kInfinity);
  a_.Commit();
}

TEST_F(RowLockTest, ChangedRowsCannotBeLocked) {
  a_.Begin();
  b_.Begin();
  ASSERT_EQ(b_.Delete(table_, row_, 0, 1), Status::kOk);
  EXPECT_EQ(a_.LockRow(table_, row_, 1), Status::kRowLocked);  // the deleter runs: wait for it
  EXPECT_EQ(a_.blocker(), b_.id());
  b_.Commit();
  EXPECT_EQ(a_.LockRow(table_, row_, 1), Status::kWriteConflict);
  EXPECT_EQ(a_.row_lock_count(), 0u);
  a_.Abort();
}

TEST_F(RowLockTest, UncommittedVersionsCannotBeLocked) {
  a_.Begin();
  b_.Begin();
  Version *inserted = test::InsertValue(b_, table_, 7);
  ASSERT_NE(inserted, nullptr);
  EXPECT_EQ(a_.LockRow(table_, inserted, 1), Status::kWriteConflict);
  EXPECT_EQ(inserted->end.load(), kInfinity);
  b_.Abort();
  a_.Abort();
}

// A lock word whose owner has ended (which Commit and Abort never leave, but
// which a claimant must survive) is taken over.
TEST_F(RowLockTest, LockOfAnEndedTransactionIsFree) {
  a_.Begin();
  uint64_t stale = MakeLockWord(a_.id());
  a_.Commit();
  row_->end.store(stale);
  EXPECT_TRUE(IsVisible(engine_->slots(), row_, OutsideView(engine_->Now())));
  b_.Begin();
  ASSERT_EQ(b_.LockRow(table_, row_, 1), Status::kOk);
  EXPECT_EQ(row_->end.load(), MakeLockWord(b_.id()));
  b_.Abort();
  row_->end.store(stale);
  b_.Begin();
  EXPECT_EQ(b_.Delete(table_, row_, 0, 1), Status::kOk);
  b_.Commit();
}

// A lock does not end the version: a repeatable read transaction that read
// it still validates after the locker committed.
TEST_F(RowLockTest, LocksDoNotFailReadValidation) {
  Version *other = CommitInserts(engine_.get(), table_, {9})[0];
  b_.Begin();
  b_.SetIsolation(Isolation::kRepeatableRead);
  ASSERT_EQ(b_.NoteRead(table_, row_), Status::kOk);
  a_.Begin();
  ASSERT_EQ(a_.LockRow(table_, row_, 1), Status::kOk);
  Status status;
  ASSERT_NE(UpdateValue(b_, table_, other, 10, 0, 1, &status), nullptr);
  ValidationFailure failure;
  EXPECT_EQ(b_.Prepare(ValidationHooks{}, &failure), Status::kOk);
  b_.Commit();
  a_.Commit();
}

TEST_F(RowLockTest, ForgetTableDropsLocksWithoutTouchingRows) {
  a_.Begin();
  ASSERT_EQ(a_.LockRow(table_, row_, 1), Status::kOk);
  a_.ForgetTable(table_);
  EXPECT_EQ(a_.row_lock_count(), 0u);
  row_->end.store(kInfinity);  // the forgotten table's rows go with it
  a_.Commit();
}

// Counter increments that lock the row first (SELECT ... FOR UPDATE, then
// UPDATE): a transaction that holds the lock must never lose its update to
// another writer, and no increment is lost.
TEST(RowLockStress, LockedIncrementsNeverConflict) {
  TestEngine engine;
  ASSERT_NE(engine.get(), nullptr);
  Table *table = MakeTable(engine.get(), 1);
  Row *counter = CommitInserts(engine.get(), table, {0})[0]->row;
  const int increments = Scaled(3000);
  std::atomic<int> errors{0}, committed{0}, waits{0};
  auto worker = [&](int32_t pid) {
    Transaction txn(engine.get());
    if (txn.Attach(pid) != Status::kOk) return void(errors++);
    for (int done = 0; done < increments;) {
      txn.Begin();
      Version *current = VisibleVersion(engine.get(), counter, txn.View(engine->Now(), 0));
      Status status = current != nullptr ? txn.LockRow(table, current, 1) : Status::kNotFound;
      if (status != Status::kOk) {
        if (status == Status::kRowLocked)
          waits++;
        else if (status != Status::kWriteConflict)
          errors++;
        txn.Abort();
        std::this_thread::yield();
        continue;
      }
      std::this_thread::yield();  // hold the lock a while
      Version *next = UpdateValue(txn, table, current, ValueOf(current) + 1, 1, 1, &status);
      if (next == nullptr) {
        errors++;  // a held lock must let its holder write
        txn.Abort();
        continue;
      }
      txn.Commit();
      committed++;
      ++done;
    }
  };
  std::vector<std::thread> threads;
  for (int32_t pid = 1; pid <= 4; ++pid) threads.emplace_back(worker, pid);
  for (std::thread &thread : threads) thread.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(committed.load(), 4 * increments);
  Version *last = VisibleVersion(engine.get(), counter, OutsideView(engine->Now()));
  EXPECT_EQ(ValueOf(last), 4 * increments);
  EXPECT_EQ(last->end.load(), kInfinity);
}

}  // namespace
}  // namespace memopt

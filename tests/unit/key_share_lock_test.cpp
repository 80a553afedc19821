// key_share_lock_test.cpp - key-share row locks (Transaction::LockKeyShare):
// what they block, what they do not, when they are released, and a race of
// lockers against deleters from several threads.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "test_engine.h"

namespace memopt {
namespace {

using test::CommitInserts;
using test::InsertValue;
using test::MakeTable;
using test::Scaled;
using test::TestEngine;
using test::UpdateValue;

class KeyShareLockTest : public test::OneRowTwoSessions {};

TEST_F(KeyShareLockTest, LockersShareAndBlockDeletes) {
  a_.Begin();
  b_.Begin();
  ASSERT_EQ(a_.LockKeyShare(table_, row_), Status::kOk);
  ASSERT_EQ(a_.LockKeyShare(table_, row_), Status::kOk);  // counted once
  ASSERT_EQ(b_.LockKeyShare(table_, row_), Status::kOk);
  EXPECT_EQ(row_->row->key_share_lockers.load(), 2);
  EXPECT_EQ(b_.Delete(table_, row_, 0, 1), Status::kKeyShareLocked);
  EXPECT_EQ(b_.write_count(), 0u);
  EXPECT_EQ(row_->end.load(), kInfinity);  // the claim was undone
  EXPECT_EQ(b_.CheckKeyShareLocks(table_, row_->row), Status::kKeyShareLocked);
  b_.Abort();  // releases without a tick
  EXPECT_EQ(row_->row->key_share_lockers.load(), 1);
  // Our own lock does not stop our own delete.
  EXPECT_EQ(a_.Delete(table_, row_, 0, 1), Status::kOk);
  a_.Commit();
  EXPECT_EQ(row_->row->key_share_lockers.load(), 0);
}

TEST_F(KeyShareLockTest, UpdatesThatKeepTheKeyPass) {
  a_.Begin();
  b_.Begin();
  ASSERT_EQ(a_.LockKeyShare(table_, row_), Status::kOk);
  // The engine does not know keys: an update checks only when the host says
  // it changes one (CheckKeyShareLocks).
  Status status;
  Version *updated = UpdateValue(b_, table_, row_, 2, 0, 1, &status);
  ASSERT_NE(updated, nullptr);
  EXPECT_EQ(b_.CheckKeyShareLocks(table_, updated->row), Status::kKeyShareLocked);
  b_.Commit();
  a_.Commit();
}

TEST_F(KeyShareLockTest, LockFailsOnAChangedRow) {
  a_.Begin();
  b_.Begin();
  ASSERT_EQ(b_.Delete(table_, row_, 0, 1), Status::kOk);
  EXPECT_EQ(a_.LockKeyShare(table_, row_), Status::kWriteConflict);  // deleter running
  EXPECT_EQ(row_->row->key_share_lockers.load(), 0);
  b_.Commit();
  EXPECT_EQ(a_.LockKeyShare(table_, row_), Status::kWriteConflict);  // deleter committed
  a_.Abort();
}

TEST_F(KeyShareLockTest, ReleaseAfterSnapshotBlocksSnapshotWriters) {
  b_.Begin();
  b_.SetIsolation(Isolation::kSnapshot);
  a_.Begin();
  ASSERT_EQ(a_.LockKeyShare(table_, row_), Status::kOk);
  a_.Commit();  // released after b's snapshot: b may not see what a committed
  EXPECT_EQ(row_->row->key_share_lockers.load(), 0);
  EXPECT_EQ(b_.Delete(table_, row_, 0, 1), Status::kKeyShareLocked);
  b_.Abort();
  // Read committed takes a new snapshot per statement: no conflict.
  b_.Begin();
  a_.Begin();
  ASSERT_EQ(a_.LockKeyShare(table_, row_), Status::kOk);
  a_.Commit();
  EXPECT_EQ(b_.Delete(table_, row_, 0, 1), Status::kOk);
  b_.Abort();
  // A snapshot taken after the release does not conflict.
  b_.Begin();
  b_.SetIsolation(Isolation::kSnapshot);
  EXPECT_EQ(b_.Delete(table_, row_, 0, 1), Status::kOk);
  b_.Commit();
}

// The release tick is per bucket of rows: a committed release makes
// snapshot deleters of the other rows of its bucket fail too, so buckets
// must be few rows each.
TEST_F(KeyShareLockTest, ReleaseTickSparesOtherRows) {
  std::vector<int64_t> values(2000);
  for (size_t i = 0; i < values.size(); ++i) values[i] = i + 2;
  std::vector<Version *> rows = CommitInserts(engine_.get(), table_, values);
  b_.Begin();
  b_.SetIsolation(Isolation::kSnapshot);
  a_.Begin();
  ASSERT_EQ(a_.LockKeyShare(table_, rows[0]), Status::kOk);
  a_.Commit();
  EXPECT_EQ(b_.Delete(table_, rows[0], 0, 1), Status::kKeyShareLocked);
  size_t refused = 0;
  for (size_t i = 1; i < rows.size(); ++i)
    if (b_.Delete(table_, rows[i], 0, 1) != Status::kOk) ++refused;
  EXPECT_LE(refused, 8u);  // 64 buckets refused 31 of these 1999 rows
  b_.Abort();
}

TEST_F(KeyShareLockTest, AbortAndForgetReleaseWithoutTick) {
  b_.Begin();
  b_.SetIsolation(Isolation::kSnapshot);
  a_.Begin();
  ASSERT_EQ(a_.LockKeyShare(table_, row_), Status::kOk);
  a_.Abort();
  EXPECT_EQ(b_.Delete(table_, row_, 0, 1), Status::kOk);
  b_.Abort();
  a_.Begin();
  ASSERT_EQ(a_.LockKeyShare(table_, row_), Status::kOk);
  EXPECT_EQ(a_.key_share_lock_count(), 1u);
  a_.ForgetTable(table_);
  EXPECT_EQ(a_.key_share_lock_count(), 0u);
  row_->row->key_share_lockers.store(0);  // the forgotten table's rows go with it
  a_.Commit();
}

// Two lockers and a deleter race over a few rows. The deleter never commits
// (it aborts, so rows stay), but a delete that succeeds while a locker holds
// the row would be the bug the lock exists to prevent.
TEST(KeyShareLockStress, NoDeleteWhileALockIsHeld) {
  TestEngine engine;
  ASSERT_NE(engine.get(), nullptr);
  Table *table = MakeTable(engine.get(), 1);
  constexpr int kRows = 8;
  std::vector<Version *> rows = CommitInserts(engine.get(), table, {0, 1, 2, 3, 4, 5, 6, 7});
  std::vector<std::atomic<int>> holders(kRows);
  for (auto &h : holders) h.store(0);
  const int rounds = Scaled(30000);
  std::atomic<int> errors{0}, violations{0}, deletes{0}, locks{0};
  auto locker = [&](int32_t pid) {
    Transaction txn(engine.get());
    if (txn.Attach(pid) != Status::kOk) return void(errors++);
    for (int round = 0; round < rounds; ++round) {
      int i = (round * 7 + pid) % kRows;
      txn.Begin();
      Status status = txn.LockKeyShare(table, rows[i]);
      if (status == Status::kOk) {
        holders[i].fetch_add(1, std::memory_order_seq_cst);
        locks++;
        for (int spin = 0; spin < 50; ++spin) std::this_thread::yield();
        holders[i].fetch_sub(1, std::memory_order_seq_cst);
      } else if (status != Status::kWriteConflict) {
        errors++;
      }
      if (round % 2 == 0)
        txn.Commit();
      else
        txn.Abort();
    }
  };
  auto deleter = [&](int32_t pid) {
    Transaction txn(engine.get());
    if (txn.Attach(pid) != Status::kOk) return void(errors++);
    for (int round = 0; round < rounds; ++round) {
      int i = round % kRows;
      txn.Begin();
      Status status = txn.Delete(table, rows[i], 0, 1);
      if (status == Status::kOk) {
        deletes++;
        if (holders[i].load(std::memory_order_seq_cst) != 0) violations++;
      } else if (status != Status::kKeyShareLocked && status != Status::kWriteConflict) {
        errors++;
      }
      txn.Abort();
    }
  };
  std::thread l1(locker, 1), l2(locker, 2), d(deleter, 3);
  l1.join();
  l2.join();
  d.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(violations.load(), 0);
  EXPECT_GT(locks.load(), 0);
  EXPECT_GT(deletes.load(), 0);
  for (Version *row : rows) EXPECT_EQ(row->row->key_share_lockers.load(), 0);
}

}  // namespace
}  // namespace memopt

// transaction_test.cpp - inserts, updates, deletes, write-write conflicts,
// abort and savepoints.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "test_engine.h"

namespace memopt {
namespace {

using test::CommitInserts;
using test::InsertValue;
using test::MakeTable;
using test::OutsideView;
using test::ScanValues;
using test::TestEngine;
using test::UpdateValue;
using test::ValueOf;
using test::VisibleVersion;

class TransactionTest : public test::TwoSessions {
 protected:
  std::vector<int64_t> Values(Transaction &txn, uint32_t command_id) {
    return ScanValues(engine_.get(), table_, txn.View(txn.first_read_ts(), command_id));
  }
  std::vector<int64_t> CommittedValues() {
    return ScanValues(engine_.get(), table_, OutsideView(engine_->Now()));
  }
  int64_t VisibleValue(Transaction &txn, const Row *row, uint32_t command_id) {
    Version *version =
        VisibleVersion(engine_.get(), row, txn.View(txn.first_read_ts(), command_id));
    return version != nullptr ? ValueOf(version) : -1;
  }
};

TEST_F(TransactionTest, AttachFailsWhenAllSlotsAreTaken) {
  TestEngine small(size_t{16} << 20, 3);
  ASSERT_NE(small.get(), nullptr);
  std::vector<std::unique_ptr<Transaction>> sessions;
  for (int i = 0; i < 3; ++i) {
    sessions.emplace_back(new Transaction(small.get()));
    EXPECT_EQ(sessions.back()->Attach(i + 1), Status::kOk);
    EXPECT_TRUE(sessions.back()->attached());
  }
  Transaction extra(small.get());
  EXPECT_EQ(extra.Attach(99), Status::kNotFound);
  EXPECT_FALSE(extra.attached());
  sessions.pop_back();  // releases its slot
  EXPECT_EQ(extra.Attach(99), Status::kOk);
  EXPECT_EQ(extra.Attach(99), Status::kOk);  // idempotent
}

TEST_F(TransactionTest, TxnIdsAreUniqueAcrossSessionsAndTransactions) {
  std::vector<uint64_t> ids;
  for (int i = 0; i < 5; ++i) {
    a_.Begin();
    EXPECT_TRUE(a_.active());
    EXPECT_TRUE(IsTxnId(a_.id()));
    ids.push_back(a_.id());
    a_.Commit();
    EXPECT_FALSE(a_.active());
    b_.Begin();
    ids.push_back(b_.id());
    b_.Abort();
  }
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(std::unique(ids.begin(), ids.end()), ids.end());
}

TEST_F(TransactionTest, InsertCommitVisibleToLaterReadersOnly) {
  b_.Begin();  // an earlier snapshot
  a_.Begin();
  Version *v = InsertValue(a_, table_, 42, 0);
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(a_.write_count(), 1u);
  EXPECT_EQ(table_->Stats().versions, 1u);
  EXPECT_EQ(table_->Stats().live_rows, 0u);  // counted at commit
  EXPECT_EQ(v->row->newest.load(), v);
  EXPECT_EQ(Values(a_, 1), std::vector<int64_t>{42});
  EXPECT_TRUE(Values(b_, 1).empty());
  Timestamp ts = a_.Commit();
  EXPECT_GT(ts, b_.first_read_ts());
  EXPECT_EQ(table_->Stats().live_rows, 1u);
  EXPECT_TRUE(Values(b_, 1).empty());  // snapshot taken before the commit
  EXPECT_EQ(CommittedValues(), std::vector<int64_t>{42});
  EXPECT_TRUE(ScanValues(engine_.get(), table_, OutsideView(ts - 1)).empty());
  b_.Commit();
  b_.Begin();
  EXPECT_EQ(Values(b_, 0), std::vector<int64_t>{42});
  b_.Commit();
}

TEST_F(TransactionTest, ReadOnlyCommitTakesNoTimestamp) {
  Timestamp before = engine_->Now();
  a_.Begin();
  EXPECT_EQ(a_.Commit(), 0u);
  EXPECT_EQ(engine_->Now(), before);
}

TEST_F(TransactionTest, CommitTimestampsIncrease) {
  Timestamp last = 0;
  for (int i = 0; i < 10; ++i) {
    a_.Begin();
    InsertValue(a_, table_, i, 0);
    Timestamp ts = a_.Commit();
    EXPECT_GT(ts, last);
    last = ts;
  }
  EXPECT_EQ(CommittedValues().size(), 10u);
}

TEST_F(TransactionTest, UpdateKeepsOldVersionForOlderSnapshot) {
  Version *v0 = CommitInserts(engine_.get(), table_, {1})[0];
  Row *row = v0->row;
  b_.Begin();  // sees v0
  a_.Begin();
  Status status;
  Version *v1 = UpdateValue(a_, table_, v0, 2, 0, 1, &status);
  ASSERT_EQ(status, Status::kOk);
  EXPECT_EQ(row->newest.load(), v1);
  EXPECT_EQ(v1->older.load(), v0);
  EXPECT_EQ(v1->row, row);
  EXPECT_NE(v1->slot, v0->slot);
  EXPECT_EQ(table_->Stats().versions, 2u);
  Timestamp ts = a_.Commit();
  EXPECT_EQ(v0->end.load(), ts);
  EXPECT_EQ(v1->begin.load(), ts);
  EXPECT_EQ(VisibleValue(b_, row, 0), 1);
  EXPECT_EQ(Values(b_, 0), std::vector<int64_t>{1});
  EXPECT_EQ(CommittedValues(), std::vector<int64_t>{2});
  EXPECT_EQ(table_->Stats().live_rows, 1u);
  // The old version is kept while b can see it.
  EXPECT_EQ(table_->Stats().versions, 2u);
  b_.Commit();
}

TEST_F(TransactionTest, OwnUpdatesChainWithinOneTransaction) {
  Version *v0 = CommitInserts(engine_.get(), table_, {0})[0];
  a_.Begin();
  Version *current = v0;
  for (uint32_t command = 0; command < 5; ++command) {
    // Each command sees the previous command's version.
    EXPECT_EQ(VisibleValue(a_, v0->row, command), static_cast<int64_t>(command));
    Status status;
    current = UpdateValue(a_, table_, current, command + 1, command, 1, &status);
    ASSERT_EQ(status, Status::kOk);
  }
  EXPECT_EQ(VisibleValue(a_, v0->row, 5), 5);
  EXPECT_EQ(Values(a_, 5), std::vector<int64_t>{5});
  EXPECT_EQ(CommittedValues(), std::vector<int64_t>{0});
  a_.Commit();
  EXPECT_EQ(CommittedValues(), std::vector<int64_t>{5});
}

TEST_F(TransactionTest, WriteConflictWhileFirstUpdaterActive) {
  Version *v0 = CommitInserts(engine_.get(), table_, {1})[0];
  a_.Begin();
  b_.Begin();
  Status status;
  ASSERT_NE(UpdateValue(a_, table_, v0, 2, 0, 1, &status), nullptr);
  EXPECT_EQ(UpdateValue(b_, table_, v0, 3, 0, 1, &status), nullptr);
  EXPECT_EQ(status, Status::kWriteConflict);
  EXPECT_EQ(b_.Delete(table_, v0, 0, 1), Status::kWriteConflict);
  EXPECT_EQ(b_.write_count(), 0u);  // failed writes are not recorded
  EXPECT_EQ(v0->end.load(), a_.id());
  EXPECT_EQ(table_->Stats().versions, 2u);
  a_.Commit();
  b_.Abort();
  EXPECT_EQ(CommittedValues(), std::vector<int64_t>{2});
}

TEST_F(TransactionTest, WriteConflictAfterFirstUpdaterCommitted) {
  Version *v0 = CommitInserts(engine_.get(), table_, {1})[0];
  b_.Begin();  // snapshot sees v0
  a_.Begin();
  Status status;
  ASSERT_NE(UpdateValue(a_, table_, v0, 2, 0, 1, &status), nullptr);
  a_.Commit();
  EXPECT_EQ(VisibleValue(b_, v0->row, 0), 1);
  EXPECT_EQ(UpdateValue(b_, table_, v0, 3, 0, 1, &status), nullptr);
  EXPECT_EQ(status, Status::kWriteConflict);
  EXPECT_EQ(b_.Delete(table_, v0, 0, 1), Status::kWriteConflict);
  b_.Abort();
  EXPECT_EQ(CommittedValues(), std::vector<int64_t>{2});
  // A later transaction updates the newest version without conflict.
  b_.Begin();
  Version *v1 = VisibleVersion(engine_.get(), v0->row, b_.View(b_.first_read_ts(), 0));
  ASSERT_NE(v1, nullptr);
  EXPECT_EQ(ValueOf(v1), 2);
  ASSERT_NE(UpdateValue(b_, table_, v1, 3, 0, 1, &status), nullptr);
  b_.Commit();
  EXPECT_EQ(CommittedValues(), std::vector<int64_t>{3});
}

TEST_F(TransactionTest, DeleteConflictsWithUpdate) {
  Version *v0 = CommitInserts(engine_.get(), table_, {1})[0];
  a_.Begin();
  b_.Begin();
  ASSERT_EQ(a_.Delete(table_, v0, 0, 1), Status::kOk);
  Status status;
  EXPECT_EQ(UpdateValue(b_, table_, v0, 3, 0, 1, &status), nullptr);
  EXPECT_EQ(status, Status::kWriteConflict);
  b_.Abort();
  a_.Commit();
  EXPECT_TRUE(CommittedValues().empty());
  EXPECT_EQ(table_->Stats().live_rows, 0u);
}

TEST_F(TransactionTest, SelfModified) {
  Version *v0 = CommitInserts(engine_.get(), table_, {1})[0];
  a_.Begin();
  Status status;
  ASSERT_NE(UpdateValue(a_, table_, v0, 2, 3, 1, &status), nullptr);
  // Twice in the same command.
  EXPECT_EQ(UpdateValue(a_, table_, v0, 3, 3, 1, &status), nullptr);
  EXPECT_EQ(status, Status::kSelfModified);
  // In a later command too (the old version is no longer the one to change).
  EXPECT_EQ(UpdateValue(a_, table_, v0, 3, 4, 1, &status), nullptr);
  EXPECT_EQ(status, Status::kSelfModified);
  EXPECT_EQ(a_.Delete(table_, v0, 4, 1), Status::kSelfModified);
  EXPECT_EQ(a_.write_count(), 1u);
  EXPECT_EQ(table_->Stats().versions, 2u);
  a_.Commit();
  EXPECT_EQ(CommittedValues(), std::vector<int64_t>{2});

  // Delete then delete again.
  a_.Begin();
  Version *v1 = VisibleVersion(engine_.get(), v0->row, a_.View(a_.first_read_ts(), 0));
  ASSERT_NE(v1, nullptr);
  EXPECT_EQ(a_.Delete(table_, v1, 0, 1), Status::kOk);
  EXPECT_EQ(a_.Delete(table_, v1, 0, 1), Status::kSelfModified);
  a_.Abort();
  EXPECT_EQ(CommittedValues(), std::vector<int64_t>{2});
}

TEST_F(TransactionTest, AbortUndoesEverything) {
  std::vector<Version *> base = CommitInserts(engine_.get(), table_, {1, 2, 3});
  uint64_t versions_before = table_->Stats().versions;
  uint64_t bytes_before = table_->Stats().bytes;
  Row *row1 = base[0]->row;
  a_.Begin();
  Status status;
  Version *updated = UpdateValue(a_, table_, base[0], 10, 0, 1, &status);
  ASSERT_NE(updated, nullptr);
  // Updated twice: the second update replaces a's own version.
  ASSERT_NE(UpdateValue(a_, table_, updated, 11, 1, 1, &status), nullptr);
  ASSERT_EQ(a_.Delete(table_, base[1], 1, 1), Status::kOk);
  ASSERT_NE(InsertValue(a_, table_, 4, 1), nullptr);
  Version *inserted = InsertValue(a_, table_, 5, 1);
  ASSERT_NE(inserted, nullptr);
  ASSERT_EQ(a_.Delete(table_, inserted, 2, 1), Status::kOk);  // insert then delete
  EXPECT_EQ(a_.write_count(), 6u);
  EXPECT_EQ(Values(a_, 3), (std::vector<int64_t>{3, 11, 4}));
  a_.Abort();
  EXPECT_FALSE(a_.active());
  EXPECT_EQ(row1->newest.load(), base[0]);
  for (Version *v : base) EXPECT_EQ(v->end.load(), kInfinity);
  EXPECT_EQ(CommittedValues(), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(table_->Stats().versions, versions_before);
  EXPECT_EQ(table_->Stats().bytes, bytes_before);
  EXPECT_EQ(table_->Stats().live_rows, 3u);

  // Another transaction can now update and delete the reopened versions.
  b_.Begin();
  ASSERT_NE(UpdateValue(b_, table_, base[0], 20, 0, 1, &status), nullptr);
  EXPECT_EQ(b_.Delete(table_, base[1], 0, 1), Status::kOk);
  b_.Commit();
  EXPECT_EQ(CommittedValues(), (std::vector<int64_t>{3, 20}));
}

// A transaction's allocations reach the arena's per-kind counts at its end
// (ArenaCounts), for a commit and for an abort, whose undo frees them.
TEST_F(TransactionTest, ArenaCountsTransactionsAllocationsByTheirEnd) {
  auto blocks = [this](MemoryKind kind) {
    return engine_->arena()->Stats().kinds[static_cast<int>(kind)].blocks;
  };
  uint64_t rows_before = blocks(MemoryKind::kRow);
  uint64_t versions_before = blocks(MemoryKind::kVersion);
  a_.Begin();
  for (int64_t i = 0; i < 10; ++i) ASSERT_NE(InsertValue(a_, table_, i, 0), nullptr);
  a_.Commit();
  EXPECT_EQ(blocks(MemoryKind::kRow), rows_before + 10);
  EXPECT_EQ(blocks(MemoryKind::kVersion), versions_before + 10);

  b_.Begin();
  for (int64_t i = 10; i < 15; ++i) ASSERT_NE(InsertValue(b_, table_, i, 0), nullptr);
  b_.Abort();
  EXPECT_EQ(blocks(MemoryKind::kRow), rows_before + 10);
  EXPECT_EQ(blocks(MemoryKind::kVersion), versions_before + 10);
}

TEST_F(TransactionTest, AbortOfActiveTxnLetsOthersWrite) {
  Version *v0 = CommitInserts(engine_.get(), table_, {1})[0];
  a_.Begin();
  b_.Begin();
  Status status;
  ASSERT_NE(UpdateValue(a_, table_, v0, 2, 0, 1, &status), nullptr);
  EXPECT_EQ(UpdateValue(b_, table_, v0, 3, 0, 1, &status), nullptr);
  EXPECT_EQ(status, Status::kWriteConflict);
  a_.Abort();
  // b's transaction keeps going and may now update v0.
  ASSERT_NE(UpdateValue(b_, table_, v0, 3, 0, 1, &status), nullptr);
  EXPECT_EQ(status, Status::kOk);
  b_.Commit();
  EXPECT_EQ(CommittedValues(), std::vector<int64_t>{3});
}

TEST_F(TransactionTest, DestructorAbortsActiveTransaction) {
  Version *v0 = CommitInserts(engine_.get(), table_, {1})[0];
  {
    Transaction c(engine_.get());
    ASSERT_EQ(c.Attach(7), Status::kOk);
    c.Begin();
    Status status;
    ASSERT_NE(UpdateValue(c, table_, v0, 2, 0, 1, &status), nullptr);
    InsertValue(c, table_, 9, 0);
  }
  EXPECT_EQ(v0->end.load(), kInfinity);
  EXPECT_EQ(v0->row->newest.load(), v0);
  EXPECT_EQ(CommittedValues(), std::vector<int64_t>{1});
}

TEST_F(TransactionTest, RollbackToLevelUndoesOnlyThatLevelAndDeeper) {
  std::vector<Version *> base = CommitInserts(engine_.get(), table_, {100, 200, 300});
  a_.Begin();
  Status status;
  // Level 1: update row 100, insert 1.
  Version *l1 = UpdateValue(a_, table_, base[0], 101, 0, 1, &status);
  ASSERT_NE(l1, nullptr);
  ASSERT_NE(InsertValue(a_, table_, 1, 0, 1), nullptr);
  // Level 2: update row 100 again, delete row 200, insert 2.
  Version *l2 = UpdateValue(a_, table_, l1, 102, 1, 2, &status);
  ASSERT_NE(l2, nullptr);
  ASSERT_EQ(a_.Delete(table_, base[1], 1, 2), Status::kOk);
  ASSERT_NE(InsertValue(a_, table_, 2, 1, 2), nullptr);
  // Level 3: update row 300, insert 3.
  ASSERT_NE(UpdateValue(a_, table_, base[2], 301, 2, 3, &status), nullptr);
  ASSERT_NE(InsertValue(a_, table_, 3, 2, 3), nullptr);
  EXPECT_EQ(Values(a_, 3), (std::vector<int64_t>{1, 102, 2, 301, 3}));
  EXPECT_EQ(a_.write_count(), 7u);

  a_.RollbackToLevel(3);
  EXPECT_EQ(a_.write_count(), 5u);
  EXPECT_EQ(Values(a_, 3), (std::vector<int64_t>{300, 1, 102, 2}));
  EXPECT_EQ(base[2]->end.load(), kInfinity);
  EXPECT_EQ(base[2]->row->newest.load(), base[2]);

  a_.RollbackToLevel(2);
  EXPECT_EQ(a_.write_count(), 2u);
  EXPECT_EQ(Values(a_, 3), (std::vector<int64_t>{200, 300, 101, 1}));
  EXPECT_EQ(base[0]->row->newest.load(), l1);
  EXPECT_EQ(l1->end.load(), kInfinity);     // reopened: a may update it again
  EXPECT_EQ(base[0]->end.load(), a_.id());  // still replaced by level 1

  // Level 2 again: updating l1 works after the rollback.
  Version *again = UpdateValue(a_, table_, l1, 105, 3, 2, &status);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(Values(a_, 4), (std::vector<int64_t>{200, 300, 1, 105}));
  a_.Commit();
  EXPECT_EQ(CommittedValues(), (std::vector<int64_t>{200, 300, 1, 105}));
  EXPECT_EQ(table_->Stats().live_rows, 4u);
}

TEST_F(TransactionTest, ReleaseLevelMovesWritesToParent) {
  std::vector<Version *> base = CommitInserts(engine_.get(), table_, {100, 200});
  a_.Begin();
  Status status;
  ASSERT_NE(InsertValue(a_, table_, 1, 0, 1), nullptr);
  // SAVEPOINT s2; SAVEPOINT s3; writes at 3; RELEASE s3 (into 2).
  ASSERT_NE(InsertValue(a_, table_, 3, 1, 3), nullptr);
  ASSERT_NE(UpdateValue(a_, table_, base[0], 103, 1, 3, &status), nullptr);
  a_.ReleaseLevel(3, 2);
  // A new level-3 subtransaction writes and rolls back: only its write goes.
  ASSERT_EQ(a_.Delete(table_, base[1], 2, 3), Status::kOk);
  EXPECT_EQ(Values(a_, 3), (std::vector<int64_t>{1, 3, 103}));
  a_.RollbackToLevel(3);
  EXPECT_EQ(Values(a_, 3), (std::vector<int64_t>{200, 1, 3, 103}));
  // Release 2 into 1, then a new level 2 rolls back: the released writes stay.
  a_.ReleaseLevel(2, 1);
  ASSERT_NE(InsertValue(a_, table_, 22, 3, 2), nullptr);
  a_.RollbackToLevel(2);
  EXPECT_EQ(Values(a_, 4), (std::vector<int64_t>{200, 1, 3, 103}));
  EXPECT_EQ(a_.write_count(), 3u);
  a_.Commit();
  EXPECT_EQ(CommittedValues(), (std::vector<int64_t>{200, 1, 3, 103}));
}

TEST_F(TransactionTest, RollbackOfSavepointWithoutWritesIsHarmless) {
  CommitInserts(engine_.get(), table_, {1});
  a_.Begin();
  ASSERT_NE(InsertValue(a_, table_, 2, 0, 1), nullptr);
  a_.RollbackToLevel(2);
  a_.RollbackToLevel(3);
  a_.ReleaseLevel(3, 2);
  EXPECT_EQ(a_.write_count(), 1u);
  a_.Commit();
  EXPECT_EQ(CommittedValues(), (std::vector<int64_t>{1, 2}));
}

TEST_F(TransactionTest, RolledBackUpdateLetsOthersWrite) {
  Version *v0 = CommitInserts(engine_.get(), table_, {1})[0];
  a_.Begin();
  Status status;
  ASSERT_NE(UpdateValue(a_, table_, v0, 2, 0, 2, &status), nullptr);
  a_.RollbackToLevel(2);
  // a is still active, but its update is gone: b may update v0.
  b_.Begin();
  ASSERT_NE(UpdateValue(b_, table_, v0, 3, 0, 1, &status), nullptr);
  b_.Commit();
  EXPECT_EQ(UpdateValue(a_, table_, v0, 4, 1, 1, &status), nullptr);
  EXPECT_EQ(status, Status::kWriteConflict);
  a_.Commit();
  EXPECT_EQ(CommittedValues(), std::vector<int64_t>{3});
}

TEST_F(TransactionTest, WritesToTwoTables) {
  Table *other = MakeTable(engine_.get(), 2);
  a_.Begin();
  InsertValue(a_, table_, 1, 0);
  InsertValue(a_, other, 2, 0);
  a_.Commit();
  EXPECT_EQ(CommittedValues(), std::vector<int64_t>{1});
  EXPECT_EQ(ScanValues(engine_.get(), other, OutsideView(engine_->Now())), std::vector<int64_t>{2});
  EXPECT_EQ(engine_->FindTable(TableKey{1663, 5, 2}), other);
  EXPECT_EQ(engine_->FindTable(TableKey{1663, 5, 3}), nullptr);
}

TEST_F(TransactionTest, ForgetTableDropsWritesWithoutUndo) {
  Table *other = MakeTable(engine_.get(), 2);
  a_.Begin();
  InsertValue(a_, table_, 1, 0);
  InsertValue(a_, other, 2, 0);
  a_.ForgetTable(other);
  EXPECT_EQ(a_.write_count(), 1u);
  engine_->DropTable(other);
  a_.Commit();
  EXPECT_EQ(CommittedValues(), std::vector<int64_t>{1});
  EXPECT_EQ(engine_->FindTable(TableKey{1663, 5, 2}), nullptr);
}

TEST_F(TransactionTest, OutOfMemoryIsReportedNotFatal) {
  TestEngine small(size_t{2} << 20, 4);
  ASSERT_NE(small.get(), nullptr);
  Table *table = MakeTable(small.get(), 1);
  Transaction txn(small.get());
  ASSERT_EQ(txn.Attach(1), Status::kOk);
  txn.Begin();
  int inserted = 0;
  for (;;) {
    Version *v = txn.NewVersion(table, 4000);
    if (v == nullptr) break;
    Status status = txn.Insert(table, v, 0, 1);
    if (status != Status::kOk) {
      EXPECT_EQ(status, Status::kOutOfMemory);
      txn.DiscardVersion(table, v);
      break;
    }
    ++inserted;
    ASSERT_LT(inserted, 10000);
  }
  EXPECT_GT(inserted, 100);
  txn.Abort();
  EXPECT_EQ(table->Stats().versions, 0u);
  small->ReclaimMemory();
  // After the abort and reclaim, the memory can be used again.
  txn.Begin();
  for (int i = 0; i < inserted; ++i) {
    Version *v = txn.NewVersion(table, 4000);
    ASSERT_NE(v, nullptr) << i;
    ASSERT_EQ(txn.Insert(table, v, 0, 1), Status::kOk) << i;
  }
  txn.Commit();
  EXPECT_EQ(table->Stats().live_rows, static_cast<uint64_t>(inserted));
}

}  // namespace
}  // namespace memopt

namespace memopt {
namespace {

// INSERT ... ON CONFLICT gives back an insert that met a conflict: only the
// latest write, and only if it is that insert.
TEST(TransactionUndoLatestInsert, UndoesOnlyTheLatestInsert) {
  test::TestEngine engine;
  Table *table = test::MakeTable(engine.get(), 1);
  Transaction txn(engine.get());
  ASSERT_EQ(txn.Attach(1), Status::kOk);
  txn.Begin();
  Version *first = test::InsertValue(txn, table, 1);
  Version *second = test::InsertValue(txn, table, 2);
  EXPECT_EQ(txn.UndoLatestInsert(first), Status::kNotFound);
  EXPECT_EQ(txn.UndoLatestInsert(second), Status::kOk);
  EXPECT_EQ(txn.write_count(), 1u);
  txn.Commit();
  Transaction reader(engine.get());
  ASSERT_EQ(reader.Attach(2), Status::kOk);
  reader.Begin();
  EXPECT_EQ(test::ScanValues(engine.get(), table, reader.View(reader.first_read_ts(), 0)),
            std::vector<int64_t>{1});
  reader.Commit();
}

}  // namespace
}  // namespace memopt

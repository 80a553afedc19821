// garbage_collector_test.cpp - old versions and dead rows are collected when
// no reader can see them (and not before), retired memory is reclaimed, and
// dropping a table gives its memory back.
#include <gtest/gtest.h>

#include <vector>

#include "test_engine.h"

namespace memopt {
namespace {

using test::CommitInserts;
using test::InsertValue;
using test::MakeTable;
using test::OutsideView;
using test::PayloadIntact;
using test::ScanValues;
using test::TestEngine;
using test::UpdateValue;
using test::ValueOf;
using test::VisibleVersion;

uint64_t KindBytes(Engine *engine, MemoryKind kind) {
  return engine->arena()->Stats().kinds[static_cast<int>(kind)].bytes;
}
uint64_t KindBlocks(Engine *engine, MemoryKind kind) {
  return engine->arena()->Stats().kinds[static_cast<int>(kind)].blocks;
}

class GarbageCollectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(engine_.get(), nullptr);
    table_ = MakeTable(engine_.get(), 1);
    ASSERT_EQ(writer_.Attach(100), Status::kOk);
    ASSERT_EQ(reader_.Attach(101), Status::kOk);
  }
  // One transaction that replaces the row's visible version by `value`.
  void UpdateRow(Row *row, int64_t value) {
    writer_.Begin();
    Version *current = VisibleVersion(engine_.get(), row, writer_.View(writer_.first_read_ts(), 0));
    ASSERT_NE(current, nullptr);
    Status status;
    ASSERT_NE(UpdateValue(writer_, table_, current, value, 0, 1, &status), nullptr);
    writer_.Commit();
  }
  int64_t ReaderSees(Row *row) {
    Version *version = VisibleVersion(engine_.get(), row, reader_.View(reader_.first_read_ts(), 0));
    EXPECT_NE(version, nullptr);
    if (version == nullptr) return -1;
    EXPECT_TRUE(PayloadIntact(version));
    return ValueOf(version);
  }
  // Collects a few times: rows a running reader still needs stay queued.
  void CollectAll() {
    for (int i = 0; i < 3 && !table_->gc_queue_empty(); ++i) engine_->CollectGarbage(table_);
  }

  TestEngine engine_;
  Table *table_ = nullptr;
  Transaction writer_{engine_.get()};
  Transaction reader_{engine_.get()};
};

TEST_F(GarbageCollectorTest, ManyUpdatesKeepOneVersionAndBoundedMemory) {
  Row *row = CommitInserts(engine_.get(), table_, {0})[0]->row;
  const int kUpdates = 10000;
  uint64_t bump_after_warmup = 0;
  for (int i = 1; i <= kUpdates; ++i) {
    UpdateRow(row, i);
    ASSERT_EQ(table_->Stats().versions, 1u) << "after update " << i;
    if (i == 100) {
      engine_->ReclaimMemory();
      bump_after_warmup = engine_->arena()->Stats().bump_used_bytes;
    }
  }
  EXPECT_EQ(table_->Stats().live_rows, 1u);
  EXPECT_LE(table_->Stats().slots, 4u);  // slots are reused
  EXPECT_EQ(KindBlocks(engine_.get(), MemoryKind::kVersion), 1u);
  EXPECT_EQ(KindBlocks(engine_.get(), MemoryKind::kRow), 1u);
  engine_->ReclaimMemory();
  ArenaStats stats = engine_->arena()->Stats();
  EXPECT_EQ(stats.retired_bytes, 0u);
  // Memory did not grow across the updates: blocks come back from free lists.
  EXPECT_LE(stats.bump_used_bytes, bump_after_warmup + 4096);
  EXPECT_EQ(ScanValues(engine_.get(), table_, OutsideView(engine_->Now())),
            std::vector<int64_t>{kUpdates});
}

TEST_F(GarbageCollectorTest, LongReaderKeepsItsVersionUntilItEnds) {
  Row *row = CommitInserts(engine_.get(), table_, {0})[0]->row;
  reader_.Begin();
  Transaction middle(engine_.get());
  ASSERT_EQ(middle.Attach(102), Status::kOk);
  const int kUpdates = 300;
  for (int i = 1; i <= kUpdates; ++i) {
    UpdateRow(row, i);
    if (i == 100) middle.Begin();
    engine_->ReclaimMemory();
    ASSERT_EQ(ReaderSees(row), 0) << "after update " << i;
  }
  EXPECT_EQ(ValueOf(VisibleVersion(engine_.get(), row, middle.View(middle.first_read_ts(), 0))),
            100);
  EXPECT_GT(table_->Stats().versions, 1u);
  EXPECT_EQ(ScanValues(engine_.get(), table_, reader_.View(reader_.first_read_ts(), 0)),
            std::vector<int64_t>{0});
  EXPECT_EQ(ScanValues(engine_.get(), table_, middle.View(middle.first_read_ts(), 0)),
            std::vector<int64_t>{100});
  EXPECT_EQ(engine_->OldestReadTimestamp(), reader_.first_read_ts());

  reader_.Commit();
  // Only the middle reader remains: versions older than its one can go.
  CollectAll();
  EXPECT_EQ(ValueOf(VisibleVersion(engine_.get(), row, middle.View(middle.first_read_ts(), 0))),
            100);
  uint64_t with_middle = table_->Stats().versions;
  EXPECT_LT(with_middle, static_cast<uint64_t>(kUpdates + 1));
  EXPECT_GE(with_middle, 2u);
  middle.Commit();
  CollectAll();
  EXPECT_EQ(table_->Stats().versions, 1u);
  engine_->ReclaimMemory();
  EXPECT_EQ(engine_->arena()->Stats().retired_bytes, 0u);
  EXPECT_EQ(KindBlocks(engine_.get(), MemoryKind::kVersion), 1u);
  EXPECT_EQ(ScanValues(engine_.get(), table_, OutsideView(engine_->Now())),
            std::vector<int64_t>{kUpdates});
}

TEST_F(GarbageCollectorTest, ReclaimWaitsForRunningReaders) {
  // A block retired now may be in use by any transaction running now.
  reader_.Begin();
  void *block = engine_->arena()->Allocate(128, MemoryKind::kOther);
  ASSERT_NE(block, nullptr);
  engine_->arena()->Retire(block, engine_->Now());
  EXPECT_EQ(engine_->ReclaimMemory(), 0u);
  EXPECT_EQ(engine_->ReclaimMemory(), 0u);
  EXPECT_GT(engine_->arena()->Stats().retired_bytes, 0u);
  reader_.Commit();
  EXPECT_EQ(engine_->ReclaimMemory(), 1u);
  EXPECT_EQ(engine_->arena()->Stats().retired_bytes, 0u);
  // A transaction that starts after the retirement does not hold it back.
  void *second = engine_->arena()->Allocate(128, MemoryKind::kOther);
  engine_->arena()->Retire(second, engine_->Now());
  engine_->NextCommitTimestamp();
  reader_.Begin();
  EXPECT_EQ(engine_->ReclaimMemory(), 1u);
  reader_.Commit();
}

TEST_F(GarbageCollectorTest, DeletedRowsAreFreed) {
  std::vector<int64_t> values;
  for (int i = 0; i < 100; ++i) values.push_back(i);
  std::vector<Version *> versions = CommitInserts(engine_.get(), table_, values);
  uint64_t row_blocks = KindBlocks(engine_.get(), MemoryKind::kRow);
  EXPECT_EQ(table_->Stats().live_rows, 100u);
  EXPECT_EQ(table_->Stats().versions, 100u);
  EXPECT_GT(table_->Stats().bytes, 0u);

  reader_.Begin();  // keeps the deleted rows alive
  writer_.Begin();
  for (Version *v : versions) ASSERT_EQ(writer_.Delete(table_, v, 0, 1), Status::kOk);
  writer_.Commit();
  EXPECT_EQ(table_->Stats().live_rows, 0u);
  EXPECT_EQ(table_->Stats().versions, 100u);
  EXPECT_EQ(ScanValues(engine_.get(), table_, reader_.View(reader_.first_read_ts(), 0)).size(),
            100u);
  EXPECT_TRUE(ScanValues(engine_.get(), table_, OutsideView(engine_->Now())).empty());
  CollectAll();
  engine_->ReclaimMemory();
  EXPECT_EQ(table_->Stats().versions, 100u);
  for (Version *v : versions) ASSERT_TRUE(PayloadIntact(v));

  reader_.Commit();
  CollectAll();
  EXPECT_EQ(table_->Stats().versions, 0u);
  EXPECT_EQ(table_->Stats().bytes, 0u);
  EXPECT_EQ(KindBlocks(engine_.get(), MemoryKind::kRow), row_blocks - 100);
  EXPECT_EQ(KindBlocks(engine_.get(), MemoryKind::kVersion), 0u);
  engine_->ReclaimMemory();
  EXPECT_EQ(engine_->arena()->Stats().retired_bytes, 0u);
  // Every slot is free again.
  for (uint64_t slot = 0; slot < table_->Stats().slots; ++slot)
    EXPECT_EQ(table_->directory().Get(slot), nullptr);
}

TEST_F(GarbageCollectorTest, InsertAndDeleteInOneTransaction) {
  writer_.Begin();
  for (int i = 0; i < 10; ++i) {
    Version *v = InsertValue(writer_, table_, i, 0);
    ASSERT_NE(v, nullptr);
    ASSERT_EQ(writer_.Delete(table_, v, 1, 1), Status::kOk);
  }
  writer_.Commit();
  EXPECT_EQ(table_->Stats().live_rows, 0u);
  EXPECT_EQ(table_->Stats().versions, 0u);
  EXPECT_EQ(table_->Stats().bytes, 0u);
  EXPECT_EQ(KindBlocks(engine_.get(), MemoryKind::kRow), 0u);
}

TEST_F(GarbageCollectorTest, ChainBuiltInOneTransactionCollapses) {
  // Insert and update five times in one transaction: the intermediate
  // versions begin and end at the same commit and go at once.
  writer_.Begin();
  Version *current = InsertValue(writer_, table_, 0, 0);
  ASSERT_NE(current, nullptr);
  Row *row = current->row;
  Status status;
  for (uint32_t command = 1; command <= 5; ++command) {
    current = UpdateValue(writer_, table_, current, command, command, 1, &status);
    ASSERT_NE(current, nullptr);
  }
  EXPECT_EQ(table_->Stats().versions, 6u);
  writer_.Commit();
  EXPECT_EQ(table_->Stats().versions, 1u);
  EXPECT_EQ(table_->Stats().live_rows, 1u);
  EXPECT_EQ(row->newest.load(), current);
  EXPECT_EQ(current->older.load(), nullptr);
  EXPECT_EQ(ScanValues(engine_.get(), table_, OutsideView(engine_->Now())),
            std::vector<int64_t>{5});

  // Update then delete in one transaction: the row goes entirely.
  writer_.Begin();
  Version *updated = UpdateValue(writer_, table_, current, 6, 0, 1, &status);
  ASSERT_NE(updated, nullptr);
  ASSERT_EQ(writer_.Delete(table_, updated, 1, 1), Status::kOk);
  writer_.Commit();
  EXPECT_EQ(table_->Stats().versions, 0u);
  EXPECT_EQ(table_->Stats().live_rows, 0u);
  EXPECT_EQ(table_->Stats().bytes, 0u);
  EXPECT_EQ(KindBlocks(engine_.get(), MemoryKind::kRow), 0u);
  EXPECT_TRUE(ScanValues(engine_.get(), table_, OutsideView(engine_->Now())).empty());
}

TEST_F(GarbageCollectorTest, DeleteOfQueuedRowIsCollected) {
  Row *row = CommitInserts(engine_.get(), table_, {0})[0]->row;
  reader_.Begin();
  UpdateRow(row, 1);  // queued; kept for the reader
  EXPECT_FALSE(table_->gc_queue_empty());
  writer_.Begin();
  Version *head = VisibleVersion(engine_.get(), row, writer_.View(writer_.first_read_ts(), 0));
  ASSERT_NE(head, nullptr);
  ASSERT_EQ(writer_.Delete(table_, head, 0, 1), Status::kOk);
  writer_.Commit();
  EXPECT_EQ(table_->Stats().versions, 2u);
  EXPECT_EQ(ReaderSees(row), 0);
  reader_.Commit();
  CollectAll();
  EXPECT_TRUE(table_->gc_queue_empty());
  EXPECT_EQ(table_->Stats().versions, 0u);
  EXPECT_EQ(KindBlocks(engine_.get(), MemoryKind::kRow), 0u);
}

TEST_F(GarbageCollectorTest, UncommittedHeadIsKept) {
  Version *v0 = CommitInserts(engine_.get(), table_, {0})[0];
  Row *row = v0->row;
  UpdateRow(row, 1);
  UpdateRow(row, 2);
  EXPECT_EQ(table_->Stats().versions, 1u);
  // An uncommitted update on top; another row's commit triggers collection.
  Transaction pending(engine_.get());
  ASSERT_EQ(pending.Attach(103), Status::kOk);
  pending.Begin();
  Version *committed = VisibleVersion(engine_.get(), row, pending.View(pending.first_read_ts(), 0));
  Status status;
  Version *uncommitted = UpdateValue(pending, table_, committed, 3, 0, 1, &status);
  ASSERT_NE(uncommitted, nullptr);
  table_->QueueForGc(row);
  engine_->CollectGarbage(table_);
  EXPECT_EQ(table_->Stats().versions, 2u);
  EXPECT_EQ(row->newest.load(), uncommitted);
  EXPECT_EQ(uncommitted->older.load(), committed);
  pending.Abort();
  EXPECT_EQ(table_->Stats().versions, 1u);
  EXPECT_EQ(row->newest.load(), committed);
  EXPECT_EQ(ScanValues(engine_.get(), table_, OutsideView(engine_->Now())),
            std::vector<int64_t>{2});
}

TEST_F(GarbageCollectorTest, DropTableFreesItsMemory) {
  ArenaStats before = engine_->arena()->Stats();
  Table *doomed = MakeTable(engine_.get(), 77);
  ASSERT_NE(doomed, nullptr);
  EXPECT_EQ(engine_->FindTable(TableKey{1663, 5, 77}), doomed);
  std::vector<int64_t> values;
  for (int i = 0; i < 2000; ++i) values.push_back(i);
  std::vector<Version *> versions = CommitInserts(engine_.get(), doomed, values);
  // Some rows deleted and collected; then old versions and deleted rows that
  // stay (a reader runs during the updates and the collector does not run
  // after it ends): the drop must free each block exactly once.
  writer_.Begin();
  for (int i = 1700; i < 1800; ++i)
    ASSERT_EQ(writer_.Delete(doomed, versions[i], 0, 1), Status::kOk);
  writer_.Commit();  // collects these at once (no reader)
  EXPECT_EQ(doomed->Stats().versions, 1900u);
  reader_.Begin();
  writer_.Begin();
  Status status;
  for (int i = 0; i < 1000; ++i)
    ASSERT_NE(UpdateValue(writer_, doomed, versions[i], -i, 0, 1, &status), nullptr);
  for (int i = 1500; i < 1700; ++i)
    ASSERT_EQ(writer_.Delete(doomed, versions[i], 0, 1), Status::kOk);
  writer_.Commit();
  reader_.Commit();
  EXPECT_EQ(doomed->Stats().versions, 2900u);
  EXPECT_FALSE(doomed->gc_queue_empty());
  EXPECT_GT(KindBytes(engine_.get(), MemoryKind::kDirectory),
            before.kinds[static_cast<int>(MemoryKind::kDirectory)].bytes);

  engine_->DropTable(doomed);
  EXPECT_EQ(engine_->FindTable(TableKey{1663, 5, 77}), nullptr);
  engine_->ReclaimMemory();
  ArenaStats after = engine_->arena()->Stats();
  for (MemoryKind kind :
       {MemoryKind::kRow, MemoryKind::kVersion, MemoryKind::kTable, MemoryKind::kDirectory}) {
    int k = static_cast<int>(kind);
    EXPECT_EQ(after.kinds[k].bytes, before.kinds[k].bytes) << MemoryKindName(kind);
    EXPECT_EQ(after.kinds[k].blocks, before.kinds[k].blocks) << MemoryKindName(kind);
  }
  EXPECT_EQ(after.retired_bytes, 0u);
  // The memory is reusable: the same table again comes from free lists.
  uint64_t bump = engine_->arena()->Stats().bump_used_bytes;
  Table *again = MakeTable(engine_.get(), 77);
  CommitInserts(engine_.get(), again, values);
  EXPECT_EQ(engine_->arena()->Stats().bump_used_bytes, bump);
  EXPECT_EQ(again->Stats().live_rows, 2000u);
  // The other table is untouched.
  CommitInserts(engine_.get(), table_, {1, 2, 3});
  EXPECT_EQ(ScanValues(engine_.get(), table_, OutsideView(engine_->Now())),
            (std::vector<int64_t>{1, 2, 3}));
}

TEST_F(GarbageCollectorTest, ConcurrentCollectorsDoNotCollide) {
  Row *row = CommitInserts(engine_.get(), table_, {0})[0]->row;
  reader_.Begin();
  for (int i = 1; i <= 50; ++i) UpdateRow(row, i);
  reader_.Commit();
  table_->QueueForGc(row);
  ASSERT_TRUE(table_->TryLockGc());
  EXPECT_FALSE(engine_->CollectGarbage(table_));  // someone else holds the lock
  EXPECT_GT(table_->Stats().versions, 1u);
  table_->UnlockGc();
  EXPECT_TRUE(engine_->CollectGarbage(table_));
  EXPECT_EQ(table_->Stats().versions, 1u);
  EXPECT_FALSE(engine_->CollectGarbage(table_));  // nothing queued
}

}  // namespace
}  // namespace memopt

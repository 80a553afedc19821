// index_test.cpp - Index objects on a table: dead rows of an indexed table
// are parked, not retired, until their entries are swept from every index;
// undone inserts too; dropping a table frees its indexes. Under ASan the
// stress test would catch an entry that outlives its row.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include "memopt/index.h"
#include "test_engine.h"

namespace memopt {
namespace {

using test::InsertValue;
using test::MakeTable;
using test::PayloadIntact;
using test::TestEngine;
using test::ValueOf;

int CompareInt64(const void *, KeyRef a, KeyRef b, bool *) {
  int64_t x, y;
  std::memcpy(&x, a.data, sizeof x);
  std::memcpy(&y, b.data, sizeof y);
  return x < y ? -1 : x > y ? 1 : 0;
}
const KeyComparator kInt64{CompareInt64, nullptr};

uint64_t KindBlocks(Engine *engine, MemoryKind kind) {
  return engine->arena()->Stats().kinds[static_cast<int>(kind)].blocks;
}

class IndexTest : public ::testing::TestWithParam<IndexKind> {
 protected:
  void SetUp() override {
    ASSERT_NE(engine_.get(), nullptr);
    table_ = MakeTable(engine_.get(), 1);
    ASSERT_EQ(txn_.Attach(1), Status::kOk);
    txn_.Begin();
    ASSERT_EQ(engine_->CreateIndex(table_, GetParam(), 77, 7, 8, &index_), Status::kOk);
    txn_.Commit();
  }
  // Adds (value, row) to the index; call inside a begun transaction.
  void AddEntry(int64_t value, Row *row) {
    bool failed = false;
    if (index_->kind() == IndexKind::kHash)
      ASSERT_EQ(index_->hash()->Insert(static_cast<uint64_t>(value), row), Status::kOk);
    else
      ASSERT_EQ(index_->range()->Insert(KeyRef{&value, sizeof value}, row, kInt64, &failed),
                Status::kOk);
    ASSERT_FALSE(failed);
  }
  std::vector<Version *> InsertIndexed(int first, int count) {
    std::vector<Version *> versions;
    txn_.Begin();
    for (int i = first; i < first + count; ++i) {
      Version *version = InsertValue(txn_, table_, i);
      AddEntry(i, version->row);
      versions.push_back(version);
    }
    txn_.Commit();
    return versions;
  }
  // What VACUUM does: sweep every index, then retire the parked rows.
  uint64_t Sweep() {
    engine_->CollectGarbage(table_);
    txn_.Begin();
    Row *parked = table_->TakeParkedRows();
    bool failed = false;
    uint64_t removed = index_->RemoveDeadEntries(kInt64, &failed);
    EXPECT_FALSE(failed);
    engine_->RetireParkedRows(table_, parked);
    txn_.Commit();
    engine_->ReclaimMemory();
    return removed;
  }

  TestEngine engine_;
  Table *table_ = nullptr;
  Index *index_ = nullptr;
  Transaction txn_{engine_.get()};
};

TEST_P(IndexTest, DeadRowsAreParkedUntilTheirEntriesAreSwept) {
  std::vector<Version *> versions = InsertIndexed(0, 10);
  txn_.Begin();
  for (int i = 0; i < 5; ++i) ASSERT_EQ(txn_.Delete(table_, versions[i], 0, 1), Status::kOk);
  txn_.Commit();  // collects: no reader is older, so the five rows die
  EXPECT_EQ(table_->parked_row_count(), 5u);
  EXPECT_EQ(index_->entry_count(), 10u);
  for (int i = 0; i < 5; ++i) {
    Row *row = versions[i]->row;  // parked: still readable, with no versions
    EXPECT_EQ(row->gc_state.load(), kRowDead);
    EXPECT_EQ(row->newest.load(), nullptr);
  }
  uint64_t rows_before = KindBlocks(engine_.get(), MemoryKind::kRow);
  EXPECT_EQ(Sweep(), 5u);
  EXPECT_EQ(index_->entry_count(), 5u);
  EXPECT_EQ(table_->parked_row_count(), 0u);
  EXPECT_EQ(KindBlocks(engine_.get(), MemoryKind::kRow), rows_before - 5);
}

// An update that changes the key leaves an entry per key (the glue adds the
// new one; the old one serves readers of the old version). When the row
// dies, the sweep removes both; until then both lead to the same row.
TEST_P(IndexTest, KeyChangingUpdateKeepsBothEntriesUntilTheRowDies) {
  std::vector<Version *> versions = InsertIndexed(10, 1);
  Row *row = versions[0]->row;
  txn_.Begin();
  Status status;
  Version *updated = test::UpdateValue(txn_, table_, versions[0], 20, 0, 1, &status);
  ASSERT_NE(updated, nullptr);
  AddEntry(20, row);
  txn_.Commit();
  EXPECT_EQ(index_->entry_count(), 2u);
  int found = 0;
  if (index_->kind() == IndexKind::kHash) {
    for (uint64_t hash : {10u, 20u})
      index_->hash()->Lookup(hash, [&](Row *r) {
        found += r == row;
        return true;
      });
  } else {
    txn_.Begin();
    RangeIndex::Iterator it(index_->range(), kInt64);
    for (bool valid = it.Seek(SeekMode::kFirst); valid; valid = it.Next())
      found += it.GetRow() == row;
    txn_.Commit();
  }
  EXPECT_EQ(found, 2);
  EXPECT_EQ(Sweep(), 0u);  // the row is alive: nothing to remove here
  txn_.Begin();
  ASSERT_EQ(txn_.Delete(table_, updated, 0, 1), Status::kOk);
  txn_.Commit();
  EXPECT_EQ(Sweep(), 2u);
  EXPECT_EQ(index_->entry_count(), 0u);
}

TEST_P(IndexTest, UndoneInsertIsParkedWithNoNewestVersion) {
  txn_.Begin();
  Version *version = InsertValue(txn_, table_, 42);
  Row *row = version->row;
  AddEntry(42, row);
  txn_.Abort();
  EXPECT_EQ(table_->parked_row_count(), 1u);
  EXPECT_EQ(row->newest.load(), nullptr);
  EXPECT_EQ(Sweep(), 1u);
  EXPECT_EQ(index_->entry_count(), 0u);
}

TEST_P(IndexTest, SweepKeepsLiveRowsAndFindsNothingTwice) {
  std::vector<Version *> versions = InsertIndexed(0, 100);
  EXPECT_EQ(Sweep(), 0u);
  EXPECT_EQ(index_->entry_count(), 100u);
  for (Version *version : versions) EXPECT_TRUE(PayloadIntact(version));
}

TEST_P(IndexTest, DroppingTheTableFreesIndexesAndParkedRows) {
  std::vector<Version *> versions = InsertIndexed(0, 300);
  txn_.Begin();
  for (int i = 0; i < 100; ++i) ASSERT_EQ(txn_.Delete(table_, versions[i], 0, 1), Status::kOk);
  txn_.Commit();
  EXPECT_EQ(table_->parked_row_count(), 100u);
  engine_->DropTable(table_);
  engine_->ReclaimMemory();
  EXPECT_EQ(KindBlocks(engine_.get(), MemoryKind::kIndex), 0u);
  EXPECT_EQ(KindBlocks(engine_.get(), MemoryKind::kRow), 0u);
  EXPECT_EQ(KindBlocks(engine_.get(), MemoryKind::kVersion), 0u);
}

TEST_P(IndexTest, DropIndexStopsParking) {
  engine_->DropIndex(table_, index_);
  EXPECT_EQ(table_->index_count(), 0u);
  EXPECT_EQ(table_->FindIndex(77), nullptr);
  txn_.Begin();
  Version *version = InsertValue(txn_, table_, 1);
  (void)version;
  txn_.Abort();
  EXPECT_EQ(table_->parked_row_count(), 0u);
}

// Writers insert and delete indexed rows while readers look rows up through
// the index and a sweeper runs VACUUM's sweep: a reader must never reach a
// row whose memory was reused (ASan and the payload checksum would tell).
TEST_P(IndexTest, ConcurrentWritersReadersAndSweeper) {
  const int kRounds = test::Scaled(test::kUnderTsan ? 1000 : 5000);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> bad{0}, committed{0};
  auto writer = [&](int id) {
    Transaction txn(engine_.get());
    ASSERT_EQ(txn.Attach(10 + id), Status::kOk);
    for (int round = 0; round < kRounds; ++round) {
      int64_t key = id * 1000000 + round;
      txn.Begin();
      Version *version = InsertValue(txn, table_, key);
      bool failed = false;
      if (index_->kind() == IndexKind::kHash)
        index_->hash()->Insert(static_cast<uint64_t>(key % 64), version->row);
      else
        index_->range()->Insert(KeyRef{&key, sizeof key}, version->row, kInt64, &failed);
      if (round % 3 == 0) {
        txn.Abort();
        continue;
      }
      txn.Commit();
      committed.fetch_add(1);
      txn.Begin();
      EXPECT_EQ(txn.Delete(table_, version, 0, 1), Status::kOk);
      txn.Commit();
    }
  };
  auto reader = [&] {
    Transaction txn(engine_.get());
    ASSERT_EQ(txn.Attach(30), Status::kOk);
    while (!stop.load()) {
      txn.Begin();
      auto check = [&](Row *row) {
        Version *version = row->newest.load(std::memory_order_acquire);
        if (version != nullptr && !PayloadIntact(version)) bad.fetch_add(1);
        return true;
      };
      if (index_->kind() == IndexKind::kHash) {
        for (uint64_t hash = 0; hash < 64; ++hash) index_->hash()->Lookup(hash, check);
      } else {
        RangeIndex::Iterator it(index_->range(), kInt64);
        for (bool valid = it.Seek(SeekMode::kFirst); valid; valid = it.Next()) check(it.GetRow());
      }
      txn.Commit();
    }
  };
  auto sweeper = [&] {
    Transaction txn(engine_.get());
    ASSERT_EQ(txn.Attach(31), Status::kOk);
    while (!stop.load()) {
      txn.Begin();
      Row *parked = table_->TakeParkedRows();
      bool failed = false;
      index_->RemoveDeadEntries(kInt64, &failed);
      engine_->RetireParkedRows(table_, parked);
      txn.Commit();
      std::this_thread::yield();
    }
  };
  std::thread writers[2] = {std::thread(writer, 0), std::thread(writer, 1)};
  std::thread reading(reader), sweeping(sweeper);
  for (std::thread &thread : writers) thread.join();
  stop.store(true);
  reading.join();
  sweeping.join();
  EXPECT_EQ(bad.load(), 0u);
  EXPECT_EQ(committed.load(), 2u * (kRounds - (kRounds + 2) / 3));
  Sweep();
  Sweep();
  EXPECT_EQ(index_->entry_count(), 0u);
  EXPECT_EQ(table_->parked_row_count(), 0u);
}

// RowIndexLock: writers (shared) and a sweeper (exclusive) never overlap;
// writers overlap each other; a sweeper that finds writers gives up.
TEST(RowIndexLockTest, SweeperExcludesWritersAndGivesWay) {
  Row row{};
  row.index_lock.store(0);
  ASSERT_TRUE(RowIndexLock::TryLockExclusive(&row));
  EXPECT_FALSE(RowIndexLock::TryLockExclusive(&row));
  RowIndexLock::UnlockExclusive(&row);
  RowIndexLock::LockShared(&row);
  RowIndexLock::LockShared(&row);
  EXPECT_FALSE(RowIndexLock::TryLockExclusive(&row));
  RowIndexLock::UnlockShared(&row);
  RowIndexLock::UnlockShared(&row);
  EXPECT_TRUE(RowIndexLock::TryLockExclusive(&row));
  RowIndexLock::UnlockExclusive(&row);

  const int kRounds = test::Scaled(test::kUnderTsan ? 20000 : 200000);
  std::atomic<int> writers_inside{0}, sweepers_inside{0}, overlaps{0}, sweeps{0};
  std::atomic<bool> stop{false};
  auto writer = [&] {
    for (int i = 0; i < kRounds; ++i) {
      RowIndexLock::LockShared(&row);
      writers_inside.fetch_add(1);
      if (sweepers_inside.load() != 0) overlaps.fetch_add(1);
      writers_inside.fetch_sub(1);
      RowIndexLock::UnlockShared(&row);
    }
  };
  auto sweeper = [&] {
    while (!stop.load()) {
      if (!RowIndexLock::TryLockExclusive(&row)) continue;
      sweepers_inside.fetch_add(1);
      if (writers_inside.load() != 0) overlaps.fetch_add(1);
      sweeps.fetch_add(1);
      sweepers_inside.fetch_sub(1);
      RowIndexLock::UnlockExclusive(&row);
    }
  };
  std::thread sweeping(sweeper);
  std::thread writers[2] = {std::thread(writer), std::thread(writer)};
  for (std::thread &thread : writers) thread.join();
  stop.store(true);
  sweeping.join();
  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_EQ(row.index_lock.load(), 0u);
  std::printf("[ locks    ] %d sweeps between %d writer sections\n", sweeps.load(), 2 * kRounds);
}

INSTANTIATE_TEST_SUITE_P(Kinds, IndexTest, ::testing::Values(IndexKind::kHash, IndexKind::kRange),
                         [](const ::testing::TestParamInfo<IndexKind> &info) {
                           return info.param == IndexKind::kHash ? "Hash" : "Range";
                         });

}  // namespace
}  // namespace memopt

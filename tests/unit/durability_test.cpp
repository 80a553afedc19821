// durability_test.cpp - what a commit hands to the durability log
// (Transaction::CollectDurableChanges) and how a table is rebuilt from it
// (TableLoader).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "memopt/table_loader.h"
#include "test_engine.h"

namespace memopt {
namespace {

using test::InsertValue;
using test::OutsideView;
using test::Payload;
using test::ScanValues;
using test::TestEngine;
using test::UpdateValue;
using test::ValueOf;

Table *MakeDurableTable(Engine *engine, uint32_t relation) {
  Table *table = nullptr;
  EXPECT_EQ(engine->OpenTable(TableKey{1663, 5, relation}, &table, true), Status::kOk);
  return table;
}

Payload PayloadOf(int64_t value) { return Payload{value, test::Checksum(value)}; }

class DurableChangesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(engine_.get(), nullptr);
    durable_ = MakeDurableTable(engine_.get(), 1);
    volatile_ = test::MakeTable(engine_.get(), 2);
    ASSERT_EQ(txn_.Attach(100), Status::kOk);
  }
  std::vector<Transaction::RowChange> Changes() {
    std::vector<Transaction::RowChange> changes(txn_.write_count());
    changes.resize(txn_.CollectDurableChanges(changes.data()));
    return changes;
  }
  // Commits, giving every inserted row a durable id as the host's log would.
  void CommitLogged() {
    for (const Transaction::RowChange &change : Changes())
      if (change.row->durable_id == 0) change.row->durable_id = change.table->NextDurableId();
    txn_.Commit();
  }

  TestEngine engine_;
  Table *durable_ = nullptr;
  Table *volatile_ = nullptr;
  Transaction txn_{engine_.get()};
};

TEST_F(DurableChangesTest, OnlyDurableTablesAreLogged) {
  txn_.Begin();
  Version *kept = InsertValue(txn_, durable_, 1);
  InsertValue(txn_, volatile_, 2);
  std::vector<Transaction::RowChange> changes = Changes();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].table, durable_);
  EXPECT_EQ(changes[0].image, kept);
  txn_.Abort();
}

TEST_F(DurableChangesTest, EachRowOnceWithItsNewestImage) {
  txn_.Begin();
  Version *first = InsertValue(txn_, durable_, 1);
  Status status;
  Version *second = UpdateValue(txn_, durable_, first, 2, 1, 1, &status);
  ASSERT_EQ(status, Status::kOk);
  Version *third = UpdateValue(txn_, durable_, second, 3, 2, 1, &status);
  ASSERT_EQ(status, Status::kOk);
  std::vector<Transaction::RowChange> changes = Changes();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].image, third);
  EXPECT_EQ(changes[0].base, nullptr);  // inserted here: no logged image before
  txn_.Abort();
}

// An update's base is the committed version the transaction replaced, also
// when it updated the row again: the image the row's last batch logged.
TEST_F(DurableChangesTest, AnUpdatesBaseIsTheCommittedVersion) {
  txn_.Begin();
  Version *committed = InsertValue(txn_, durable_, 1);
  CommitLogged();
  txn_.Begin();
  Status status;
  Version *second = UpdateValue(txn_, durable_, committed, 2, 0, 1, &status);
  ASSERT_EQ(status, Status::kOk);
  Version *third = UpdateValue(txn_, durable_, second, 3, 1, 1, &status);
  ASSERT_EQ(status, Status::kOk);
  std::vector<Transaction::RowChange> changes = Changes();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].image, third);
  EXPECT_EQ(changes[0].base, committed);
  txn_.Abort();
}

TEST_F(DurableChangesTest, InsertThenDeleteLogsNothing) {
  txn_.Begin();
  Version *created = InsertValue(txn_, durable_, 1);
  ASSERT_EQ(txn_.Delete(durable_, created, 1, 1), Status::kOk);
  EXPECT_TRUE(Changes().empty());
  txn_.Abort();
}

TEST_F(DurableChangesTest, DeleteOfALoggedRowIsLogged) {
  txn_.Begin();
  Version *created = InsertValue(txn_, durable_, 1);
  CommitLogged();
  uint64_t id = created->row->durable_id;
  EXPECT_NE(id, 0u);
  txn_.Begin();
  ASSERT_EQ(txn_.Delete(durable_, created, 0, 1), Status::kOk);
  std::vector<Transaction::RowChange> changes = Changes();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].image, nullptr);
  EXPECT_EQ(changes[0].row->durable_id, id);
  txn_.Commit();
}

TEST_F(DurableChangesTest, UndoneWritesAreNotLogged) {
  txn_.Begin();
  InsertValue(txn_, durable_, 1, 0, 1);
  InsertValue(txn_, durable_, 2, 0, 2);
  txn_.RollbackToLevel(2);
  std::vector<Transaction::RowChange> changes = Changes();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(ValueOf(changes[0].image), 1);
  txn_.Abort();
}

TEST_F(DurableChangesTest, ChangesAreGroupedByTable) {
  Table *other = MakeDurableTable(engine_.get(), 3);
  txn_.Begin();
  for (int i = 0; i < 10; ++i) InsertValue(txn_, i % 2 == 0 ? durable_ : other, i);
  std::vector<Transaction::RowChange> changes = Changes();
  ASSERT_EQ(changes.size(), 10u);
  int switches = 0;
  for (size_t i = 1; i < changes.size(); ++i) switches += changes[i].table != changes[i - 1].table;
  EXPECT_EQ(switches, 1);
  txn_.Abort();
}

class TableLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(engine_.get(), nullptr);
    ASSERT_EQ(engine_->NewTable(TableKey{1663, 5, 9}, true, &table_), Status::kOk);
  }
  Status Put(TableLoader &loader, uint64_t id, uint64_t seq, int64_t value) {
    Payload payload = PayloadOf(value);
    return loader.Put(id, seq, reinterpret_cast<const char *>(&payload), sizeof payload);
  }
  std::vector<int64_t> Values() {
    std::vector<int64_t> values = ScanValues(engine_.get(), table_, OutsideView(engine_->Now()));
    std::sort(values.begin(), values.end());
    return values;
  }

  TestEngine engine_;
  Table *table_ = nullptr;
};

TEST_F(TableLoaderTest, NewestChangeOfEachRowWinsInAnyOrder) {
  TableLoader loader(engine_.get(), table_);
  ASSERT_EQ(Put(loader, 1, 1, 10), Status::kOk);
  ASSERT_EQ(Put(loader, 2, 1, 20), Status::kOk);
  ASSERT_EQ(Put(loader, 1, 3, 11), Status::kOk);  // update
  ASSERT_EQ(Put(loader, 1, 2, 99), Status::kOk);  // older than the update: ignored
  ASSERT_EQ(loader.Remove(2, 4), Status::kOk);
  ASSERT_EQ(Put(loader, 2, 2, 98), Status::kOk);  // older than the delete: ignored
  ASSERT_EQ(Put(loader, 3, 5, 30), Status::kOk);
  loader.Finish();
  EXPECT_EQ(Values(), (std::vector<int64_t>{11, 30}));
  EXPECT_EQ(loader.live_rows(), 2u);
  EXPECT_EQ(table_->live_rows(), 2u);
  EXPECT_EQ(table_->Stats().versions, 2u);
  EXPECT_EQ(table_->NextDurableId(), 4u);
  EXPECT_EQ(table_->NextBatchSeq(), 6u);
  engine_->DiscardTable(table_);
}

TEST_F(TableLoaderTest, LoadedRowsAreVisibleToOldReadersAndUpdatable) {
  Transaction old_reader(engine_.get());
  ASSERT_EQ(old_reader.Attach(1), Status::kOk);
  old_reader.Begin();  // reads at the clock's current value
  TableLoader loader(engine_.get(), table_);
  ASSERT_EQ(Put(loader, 7, 1, 70), Status::kOk);
  loader.Finish();
  ASSERT_EQ(engine_->PublishTable(table_), table_);
  EXPECT_EQ(ScanValues(engine_.get(), table_, old_reader.View(old_reader.first_read_ts(), 0)),
            (std::vector<int64_t>{70}));
  old_reader.Commit();

  Transaction writer(engine_.get());
  ASSERT_EQ(writer.Attach(2), Status::kOk);
  writer.Begin();
  std::vector<Version *> versions =
      test::ScanAll(engine_.get(), table_, writer.View(writer.first_read_ts(), 0));
  ASSERT_EQ(versions.size(), 1u);
  EXPECT_EQ(versions[0]->row->durable_id, 7u);
  Status status;
  ASSERT_NE(UpdateValue(writer, table_, versions[0], 71, 0, 1, &status), nullptr);
  writer.Commit();
  EXPECT_EQ(Values(), (std::vector<int64_t>{71}));
  engine_->DropTable(table_);
}

// What the host applies deltas to: the newest loaded image, with its batch;
// each row counts the deltas since its last whole image, and their bytes.
TEST_F(TableLoaderTest, CurrentImagesAndDeltaCounts) {
  TableLoader loader(engine_.get(), table_);
  ASSERT_EQ(Put(loader, 1, 4, 10), Status::kOk);
  ASSERT_EQ(loader.Remove(2, 6), Status::kOk);
  uint64_t seq = 99;
  const char *payload = nullptr;
  size_t bytes = 0;
  ASSERT_TRUE(loader.Current(1, &seq, &payload, &bytes));
  EXPECT_EQ(seq, 4u);
  ASSERT_EQ(bytes, sizeof(Payload));
  EXPECT_EQ(reinterpret_cast<const Payload *>(payload)->value, 10);
  EXPECT_FALSE(loader.Current(2, &seq, &payload, &bytes));
  EXPECT_EQ(seq, 6u);
  EXPECT_FALSE(loader.Current(3, &seq, &payload, &bytes));
  EXPECT_EQ(seq, 0u);

  Payload next = PayloadOf(11);
  for (uint64_t delta_seq = 5; delta_seq < 8; ++delta_seq)
    ASSERT_EQ(loader.Put(1, delta_seq, reinterpret_cast<const char *>(&next), sizeof next, 4),
              Status::kOk);
  ASSERT_TRUE(loader.Current(1, &seq, &payload, &bytes));
  EXPECT_EQ(seq, 7u);
  loader.Finish();
  std::vector<Version *> versions =
      test::ScanAll(engine_.get(), table_, OutsideView(engine_->Now()));
  ASSERT_EQ(versions.size(), 1u);
  EXPECT_EQ(DeltaChain::Deltas(versions[0]->row->durable_chain), 3u);
  EXPECT_EQ(DeltaChain::Bytes(versions[0]->row->durable_chain), 12u);
  EXPECT_EQ(Values(), (std::vector<int64_t>{11}));
  engine_->DiscardTable(table_);
}

TEST(DeltaChainTest, CountsSaturateAtTheirLimits) {
  uint16_t chain = 0;
  for (int i = 0; i < 9; ++i) chain = DeltaChain::Add(chain, 1000);
  EXPECT_EQ(DeltaChain::Deltas(chain), DeltaChain::kMaxDeltas);
  EXPECT_EQ(DeltaChain::Bytes(chain), DeltaChain::kMaxBytes);
  EXPECT_EQ(DeltaChain::Bytes(DeltaChain::Add(0, 37)), 37u);
  EXPECT_EQ(DeltaChain::Deltas(DeltaChain::Add(0, 37)), 1u);
}

TEST_F(TableLoaderTest, PublishingTwiceKeepsTheFirstTable) {
  ASSERT_EQ(engine_->PublishTable(table_), table_);
  Table *second = nullptr;
  ASSERT_EQ(engine_->NewTable(table_->key(), true, &second), Status::kOk);
  EXPECT_EQ(engine_->PublishTable(second), table_);
  engine_->DiscardTable(second);
  EXPECT_EQ(engine_->FindTable(table_->key()), table_);
}

TEST_F(TableLoaderTest, ArenaExhaustionIsReported) {
  TestEngine tiny(size_t{2} << 20, 4);
  ASSERT_NE(tiny.get(), nullptr);
  Table *table = nullptr;
  ASSERT_EQ(tiny->NewTable(TableKey{1663, 5, 1}, true, &table), Status::kOk);
  TableLoader loader(tiny.get(), table);
  std::vector<char> big(64 * 1024, 'x');
  Status status = Status::kOk;
  for (uint64_t id = 1; id < 1000 && status == Status::kOk; ++id)
    status = loader.Put(id, 1, big.data(), big.size());
  EXPECT_EQ(status, Status::kOutOfMemory);
  tiny->DiscardTable(table);
}

}  // namespace
}  // namespace memopt

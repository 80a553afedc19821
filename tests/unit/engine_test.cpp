// engine_test.cpp - the shared root: region layout, session slots, the commit
// clock and its horizon, and the table registry.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "test_engine.h"

namespace memopt {
namespace {

using test::TestEngine;

TEST(EngineTest, CreateRejectsBadOptionsAndTinyRegions) {
  EngineOptions options;
  alignas(64) static char tiny[4096];
  EXPECT_EQ(Engine::Create(tiny, sizeof tiny, options), nullptr);
  options.max_sessions = 0;
  TestEngine zero(size_t{16} << 20, 0);
  EXPECT_EQ(zero.get(), nullptr);
  TestEngine too_many(size_t{16} << 20, kMaxSlots + 1);
  EXPECT_EQ(too_many.get(), nullptr);
  options.max_sessions = 8;
  size_t overhead = Engine::OverheadBytes(options);
  EXPECT_GT(overhead, 8 * sizeof(TxnSlot));
  TestEngine ok(size_t{16} << 20, 8);
  ASSERT_NE(ok.get(), nullptr);
  EXPECT_EQ(ok->max_sessions(), 8u);
  EXPECT_LE(ok->arena()->total_bytes() + overhead, ok.bytes());
}

TEST(EngineTest, SlotsAreClaimedAndReleased) {
  TestEngine engine(size_t{16} << 20, 4);
  ASSERT_NE(engine.get(), nullptr);
  std::set<TxnSlot *> claimed;
  for (int i = 0; i < 4; ++i) {
    TxnSlot *slot = engine->ClaimSlot(100 + i);
    ASSERT_NE(slot, nullptr);
    EXPECT_EQ(slot->process_id.load(), 100 + i);
    EXPECT_EQ(slot->read_ts.load(), kInfinity);
    claimed.insert(slot);
  }
  EXPECT_EQ(claimed.size(), 4u);
  EXPECT_EQ(engine->ClaimSlot(200), nullptr);
  TxnSlot *first = *claimed.begin();
  engine->ReleaseSlot(first);
  EXPECT_EQ(first->process_id.load(), 0);
  EXPECT_EQ(engine->ClaimSlot(201), first);
}

TEST(EngineTest, ClockAndOldestReadTimestamp) {
  TestEngine engine;
  ASSERT_NE(engine.get(), nullptr);
  Timestamp start = engine->Now();
  EXPECT_EQ(engine->OldestReadTimestamp(), start);  // nobody reading
  Timestamp ts = engine->NextCommitTimestamp();
  EXPECT_EQ(ts, start + 1);
  EXPECT_EQ(engine->Now(), ts);

  Transaction a(engine.get()), b(engine.get());
  ASSERT_EQ(a.Attach(1), Status::kOk);
  ASSERT_EQ(b.Attach(2), Status::kOk);
  a.Begin();
  EXPECT_EQ(a.first_read_ts(), engine->Now());
  engine->NextCommitTimestamp();
  engine->NextCommitTimestamp();
  b.Begin();
  EXPECT_EQ(engine->OldestReadTimestamp(), a.first_read_ts());
  EXPECT_GT(b.first_read_ts(), a.first_read_ts());
  EXPECT_EQ(a.NewReadTimestamp(), engine->Now());
  a.Commit();
  EXPECT_EQ(engine->OldestReadTimestamp(), b.first_read_ts());
  b.Abort();
  EXPECT_EQ(engine->OldestReadTimestamp(), engine->Now());
}

TEST(EngineTest, OpenFindDropTables) {
  TestEngine engine;
  ASSERT_NE(engine.get(), nullptr);
  Table *t1 = nullptr;
  Table *t2 = nullptr;
  Table *again = nullptr;
  ASSERT_EQ(engine->OpenTable(TableKey{1, 2, 3}, &t1), Status::kOk);
  ASSERT_EQ(engine->OpenTable(TableKey{1, 2, 4}, &t2), Status::kOk);
  ASSERT_NE(t1, nullptr);
  EXPECT_NE(t1, t2);
  ASSERT_EQ(engine->OpenTable(TableKey{1, 2, 3}, &again), Status::kOk);
  EXPECT_EQ(again, t1);  // opening an existing key gives the same table
  EXPECT_EQ(engine->FindTable(TableKey{1, 2, 3}), t1);
  EXPECT_EQ(engine->FindTable(TableKey{1, 2, 4}), t2);
  EXPECT_EQ(engine->FindTable(TableKey{1, 3, 3}), nullptr);
  EXPECT_EQ(engine->FindTable(TableKey{2, 2, 3}), nullptr);
  EXPECT_TRUE(t1->key() == (TableKey{1, 2, 3}));
  TableStats stats = t1->Stats();
  EXPECT_EQ(stats.live_rows, 0u);
  EXPECT_EQ(stats.versions, 0u);
  EXPECT_EQ(stats.slots, 0u);

  int count = 0;
  engine->ForEachTable([&](Table *) { ++count; });
  EXPECT_EQ(count, 2);
  engine->DropTable(t1);
  EXPECT_EQ(engine->FindTable(TableKey{1, 2, 3}), nullptr);
  EXPECT_EQ(engine->FindTable(TableKey{1, 2, 4}), t2);
  count = 0;
  engine->ForEachTable([&](Table *) { ++count; });
  EXPECT_EQ(count, 1);
}

TEST(EngineTest, ManyTablesShareBuckets) {
  TestEngine engine;
  ASSERT_NE(engine.get(), nullptr);
  const uint32_t kTables = 4200;  // more than the registry's 4096 buckets
  std::vector<Table *> tables;
  for (uint32_t i = 0; i < kTables; ++i) {
    Table *table = nullptr;
    ASSERT_EQ(engine->OpenTable(TableKey{0, 1, i}, &table), Status::kOk);
    tables.push_back(table);
  }
  for (uint32_t i = 0; i < kTables; i += 7)
    EXPECT_EQ(engine->FindTable(TableKey{0, 1, i}), tables[i]);
  for (uint32_t i = 0; i < kTables; i += 2) engine->DropTable(tables[i]);
  for (uint32_t i = 0; i < kTables; ++i)
    ASSERT_EQ(engine->FindTable(TableKey{0, 1, i}), i % 2 == 0 ? nullptr : tables[i]) << i;
  int count = 0;
  engine->ForEachTable([&](Table *) { ++count; });
  EXPECT_EQ(count, static_cast<int>(kTables / 2));
  engine->ReclaimMemory();
  EXPECT_EQ(engine->arena()->Stats().kinds[static_cast<int>(MemoryKind::kTable)].blocks,
            kTables / 2);
}

TEST(EngineTest, ConcurrentOpenGivesOneTable) {
  TestEngine engine;
  ASSERT_NE(engine.get(), nullptr);
  const int kThreads = 4;
  const uint32_t kKeys = 300;
  std::vector<std::vector<Table *>> seen(kThreads, std::vector<Table *>(kKeys, nullptr));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (uint32_t k = 0; k < kKeys; ++k) {
        uint32_t key = (k * 7 + t) % kKeys;
        if (engine->OpenTable(TableKey{9, 9, key}, &seen[t][key]) != Status::kOk)
          seen[t][key] = nullptr;
      }
    });
  for (auto &thread : threads) thread.join();
  for (uint32_t k = 0; k < kKeys; ++k) {
    ASSERT_NE(seen[0][k], nullptr);
    for (int t = 1; t < kThreads; ++t) EXPECT_EQ(seen[t][k], seen[0][k]) << "key " << k;
    EXPECT_EQ(engine->FindTable(TableKey{9, 9, k}), seen[0][k]);
  }
  EXPECT_EQ(engine->arena()->Stats().kinds[static_cast<int>(MemoryKind::kTable)].blocks, kKeys);
}

TEST(EngineTest, OpenTableReportsOutOfMemory) {
  TestEngine engine(size_t{1} << 20, 4);
  ASSERT_NE(engine.get(), nullptr);
  uint32_t opened = 0;
  Status status = Status::kOk;
  for (uint32_t i = 0; i < 100000 && status == Status::kOk; ++i) {
    Table *table = nullptr;
    status = engine->OpenTable(TableKey{0, 0, i}, &table);
    if (status == Status::kOk) ++opened;
  }
  EXPECT_EQ(status, Status::kOutOfMemory);
  EXPECT_GT(opened, 0u);
  EXPECT_EQ(engine->FindTable(TableKey{0, 0, opened}), nullptr);
  // Dropping one makes room for another.
  engine->DropTable(engine->FindTable(TableKey{0, 0, 0}));
  engine->ReclaimMemory();
  Table *table = nullptr;
  EXPECT_EQ(engine->OpenTable(TableKey{0, 0, opened}, &table), Status::kOk);
}

TEST(EngineTest, StatusNames) {
  for (Status status : {Status::kOk, Status::kWriteConflict, Status::kSelfModified,
                        Status::kOutOfMemory, Status::kTableFull, Status::kNotFound})
    EXPECT_STRNE(StatusName(status), "unknown");
}

}  // namespace
}  // namespace memopt

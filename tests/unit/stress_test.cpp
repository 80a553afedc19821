// stress_test.cpp - threads playing concurrent backends, each with its own
// Transaction and slot: bank transfers checked by snapshot readers, a counter
// incremented under conflicts (no lost updates), and insert/delete churn under
// scans and garbage collection.
//
// Iteration counts scale with MEMOPT_STRESS_SCALE (and are smaller under
// ThreadSanitizer). Assertions check outcomes only, never timing.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <random>
#include <thread>
#include <vector>

#include "test_engine.h"

namespace memopt {
namespace {

using test::CommitInserts;
using test::InsertValue;
using test::MakeTable;
using test::MakeVersion;
using test::OutsideView;
using test::PayloadIntact;
using test::Scaled;
using test::TestEngine;
using test::ValueOf;
using test::VisibleVersion;

int Iterations(int normal, int under_tsan) {
  return Scaled(test::kUnderTsan ? under_tsan : normal);
}

// Lets every thread start its loop at once, so they really overlap.
class StartGate {
 public:
  explicit StartGate(int threads) : waiting_(threads) {}
  void Arrive() {
    waiting_.fetch_sub(1);
    while (waiting_.load() > 0) std::this_thread::yield();
  }

 private:
  std::atomic<int> waiting_;
};

// Replaces `current` with `value`; false on a conflict (version discarded).
bool TryUpdate(Transaction &txn, Table *table, Version *current, int64_t value, uint32_t command,
               std::atomic<int> *errors) {
  Version *created = MakeVersion(txn, table, value);
  if (created == nullptr) {
    errors->fetch_add(1);
    return false;
  }
  Status status = txn.Update(table, current, created, command, 1);
  if (status == Status::kOk) return true;
  txn.DiscardVersion(table, created);
  if (status != Status::kWriteConflict) errors->fetch_add(1);
  return false;
}

TEST(StressTest, BankTransfersKeepTheTotal) {
  TestEngine engine;
  ASSERT_NE(engine.get(), nullptr);
  Table *accounts = MakeTable(engine.get(), 1);
  Table *counters = MakeTable(engine.get(), 2);
  const int kAccounts = 64;
  const int kWriters = 4;
  const int kReaders = 2;
  const int64_t kInitial = 1000;
  const int kTransfers = Iterations(50000, 8000);  // committed transfers per writer

  std::vector<int64_t> initial(kAccounts, kInitial);
  std::vector<Row *> rows;
  for (Version *v : CommitInserts(engine.get(), accounts, initial)) rows.push_back(v->row);
  // One counter row per writer: committed transfers, updated in the same
  // transaction as the transfer (no conflicts between writers on it).
  std::vector<Row *> counter_rows;
  for (Version *v : CommitInserts(engine.get(), counters, std::vector<int64_t>(kWriters, 0)))
    counter_rows.push_back(v->row);

  std::atomic<int> errors{0};
  std::atomic<int> writers_done{0};
  std::atomic<long> conflicts{0};
  std::atomic<long> snapshots{0};
  std::vector<std::vector<int64_t>> deltas(kWriters, std::vector<int64_t>(kAccounts, 0));
  std::vector<int> committed(kWriters, 0);
  std::vector<std::thread> threads;
  StartGate gate(kWriters + kReaders);

  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      Transaction txn(engine.get());
      if (txn.Attach(1000 + w) != Status::kOk) {
        errors.fetch_add(1);
        writers_done.fetch_add(1);
        return;
      }
      std::mt19937 random(42 + w);
      gate.Arrive();
      while (committed[w] < kTransfers && errors.load() == 0) {
        int a = random() % kAccounts;
        int b = random() % (kAccounts - 1);
        if (b >= a) ++b;
        int64_t amount = 1 + random() % 100;
        txn.Begin();
        ReadView view = txn.View(txn.first_read_ts(), 0);
        Version *va = VisibleVersion(engine.get(), rows[a], view);
        Version *vb = VisibleVersion(engine.get(), rows[b], view);
        Version *vc = VisibleVersion(engine.get(), counter_rows[w], view);
        if (va == nullptr || vb == nullptr || vc == nullptr || !PayloadIntact(va) ||
            !PayloadIntact(vb) || !PayloadIntact(vc)) {
          errors.fetch_add(1);
          txn.Abort();
          break;
        }
        if (ValueOf(vc) != committed[w]) errors.fetch_add(1);
        if (random() % 4 == 0) std::this_thread::yield();
        bool ok = TryUpdate(txn, accounts, va, ValueOf(va) - amount, 0, &errors);
        if (ok && random() % 4 == 0) std::this_thread::yield();
        ok = ok && TryUpdate(txn, accounts, vb, ValueOf(vb) + amount, 0, &errors) &&
             TryUpdate(txn, counters, vc, committed[w] + 1, 0, &errors);
        if (!ok) {
          txn.Abort();
          conflicts.fetch_add(1);
          std::this_thread::yield();
          continue;
        }
        txn.Commit();
        ++committed[w];
        deltas[w][a] -= amount;
        deltas[w][b] += amount;
      }
      writers_done.fetch_add(1);
    });
  }

  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&, r] {
      Transaction txn(engine.get());
      if (txn.Attach(2000 + r) != Status::kOk) {
        errors.fetch_add(1);
        return;
      }
      std::vector<int64_t> last_counters(kWriters, 0);
      int round = 0;
      gate.Arrive();
      do {
        txn.Begin();
        ReadView view = txn.View(txn.first_read_ts(), 0);
        int64_t total = 0;
        if (round++ % 2 == 0) {
          // Through each row's version chain.
          for (Row *row : rows) {
            if (row == rows[kAccounts / 2]) std::this_thread::yield();  // let writers commit
            Version *v = VisibleVersion(engine.get(), row, view);
            if (v == nullptr || !PayloadIntact(v)) {
              errors.fetch_add(1);
              continue;
            }
            total += ValueOf(v);
          }
        } else {
          // Through a table scan: exactly one version per account.
          TableScan scan(engine.get(), accounts, view);
          int seen = 0;
          for (Version *v = scan.Next(); v != nullptr; v = scan.Next()) {
            if (!PayloadIntact(v)) errors.fetch_add(1);
            total += ValueOf(v);
            ++seen;
          }
          if (seen != kAccounts) errors.fetch_add(1);
        }
        if (total != kAccounts * kInitial) errors.fetch_add(1);
        // Later snapshots never see fewer committed transfers.
        for (int w = 0; w < kWriters; ++w) {
          Version *v = VisibleVersion(engine.get(), counter_rows[w], view);
          if (v == nullptr || ValueOf(v) < last_counters[w]) {
            errors.fetch_add(1);
            continue;
          }
          last_counters[w] = ValueOf(v);
        }
        txn.Commit();
        snapshots.fetch_add(1);
      } while (writers_done.load() < kWriters && errors.load() < 100);
    });
  }
  for (auto &thread : threads) thread.join();
  std::printf("  bank: %d transfers committed, %ld conflicts, %ld snapshots checked\n",
              kWriters * kTransfers, conflicts.load(), snapshots.load());
  EXPECT_EQ(errors.load(), 0);
  EXPECT_GT(snapshots.load(), 0);

  // Final state: the exact total, every account equal to its initial balance
  // plus the committed deltas, and the counters equal to the commits.
  ReadView now = OutsideView(engine->Now());
  int64_t total = 0;
  for (int a = 0; a < kAccounts; ++a) {
    int64_t expected = kInitial;
    for (int w = 0; w < kWriters; ++w) expected += deltas[w][a];
    Version *v = VisibleVersion(engine.get(), rows[a], now);
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(ValueOf(v), expected) << "account " << a;
    total += ValueOf(v);
  }
  EXPECT_EQ(total, kAccounts * kInitial);
  int64_t counted = 0;
  for (int w = 0; w < kWriters; ++w) {
    EXPECT_EQ(committed[w], kTransfers);
    Version *v = VisibleVersion(engine.get(), counter_rows[w], now);
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(ValueOf(v), committed[w]);
    counted += ValueOf(v);
  }
  EXPECT_EQ(counted, static_cast<int64_t>(kWriters) * kTransfers);

  // With no transaction left, collection brings every row to one version.
  for (Table *table : {accounts, counters})
    for (int i = 0; i < 3 && !table->gc_queue_empty(); ++i) engine->CollectGarbage(table);
  EXPECT_EQ(accounts->Stats().versions, static_cast<uint64_t>(kAccounts));
  EXPECT_EQ(counters->Stats().versions, static_cast<uint64_t>(kWriters));
  EXPECT_EQ(accounts->Stats().live_rows, static_cast<uint64_t>(kAccounts));
  engine->ReclaimMemory();
  EXPECT_EQ(engine->arena()->Stats().retired_bytes, 0u);
  EXPECT_EQ(engine->arena()->Stats().kinds[static_cast<int>(MemoryKind::kVersion)].blocks,
            static_cast<uint64_t>(kAccounts + kWriters));
}

TEST(StressTest, NoLostUpdates) {
  TestEngine engine;
  ASSERT_NE(engine.get(), nullptr);
  Table *table = MakeTable(engine.get(), 1);
  Row *counter = CommitInserts(engine.get(), table, {0})[0]->row;
  const int kThreads = 4;
  const int kIncrements = Iterations(50000, 8000);  // committed per thread
  std::atomic<int> errors{0};
  std::atomic<long> conflicts{0};
  std::vector<int> successes(kThreads, 0);
  std::vector<std::thread> threads;
  StartGate gate(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Transaction txn(engine.get());
      if (txn.Attach(100 + t) != Status::kOk) {
        errors.fetch_add(1);
        return;
      }
      int64_t last_seen = -1;
      std::mt19937 random(99 + t);
      gate.Arrive();
      while (successes[t] < kIncrements && errors.load() == 0) {
        txn.Begin();
        Version *v = VisibleVersion(engine.get(), counter, txn.View(txn.first_read_ts(), 0));
        if (v == nullptr || !PayloadIntact(v) || ValueOf(v) < last_seen) {
          errors.fetch_add(1);
          txn.Abort();
          break;
        }
        last_seen = ValueOf(v);
        // Give others a chance to commit in between (a descheduled backend).
        if (random() % 2 == 0) std::this_thread::yield();
        if (!TryUpdate(txn, table, v, ValueOf(v) + 1, 0, &errors)) {
          txn.Abort();
          conflicts.fetch_add(1);
          std::this_thread::yield();
          continue;
        }
        txn.Commit();
        ++successes[t];
      }
    });
  }
  for (auto &thread : threads) thread.join();
  std::printf("  counter: %d increments committed, %ld conflicts\n", kThreads * kIncrements,
              conflicts.load());
  EXPECT_EQ(errors.load(), 0);
  int64_t total = 0;
  for (int t = 0; t < kThreads; ++t) total += successes[t];
  EXPECT_EQ(total, static_cast<int64_t>(kThreads) * kIncrements);
  Version *v = VisibleVersion(engine.get(), counter, OutsideView(engine->Now()));
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(ValueOf(v), total);
  for (int i = 0; i < 3 && !table->gc_queue_empty(); ++i) engine->CollectGarbage(table);
  EXPECT_EQ(table->Stats().versions, 1u);
}

TEST(StressTest, InsertDeleteChurnWithScansAndGc) {
  TestEngine engine;
  ASSERT_NE(engine.get(), nullptr);
  Table *table = MakeTable(engine.get(), 1);
  Table *counters = MakeTable(engine.get(), 2);
  const int kChurners = 3;
  const int kScanners = 2;
  const int kRounds = Iterations(50000, 8000);  // transactions per churner
  // Counter row per churner: its committed inserts minus its committed
  // deletes, written in the same transaction, so every snapshot must scan
  // exactly sum(counters) rows.
  std::vector<Row *> counter_rows;
  for (Version *v : CommitInserts(engine.get(), counters, std::vector<int64_t>(kChurners, 0)))
    counter_rows.push_back(v->row);

  std::atomic<int> errors{0};
  std::atomic<int> churners_done{0};
  std::atomic<long> scans{0};
  std::atomic<long> deletes{0};
  std::atomic<long> inserts{0};
  std::vector<std::thread> threads;
  StartGate gate(kChurners + kScanners);

  for (int c = 0; c < kChurners; ++c) {
    threads.emplace_back([&, c] {
      Transaction txn(engine.get());
      if (txn.Attach(300 + c) != Status::kOk) {
        errors.fetch_add(1);
        churners_done.fetch_add(1);
        return;
      }
      std::mt19937 random(7 + c);
      int64_t next_value = int64_t{c} << 40;
      gate.Arrive();
      for (int round = 0; round < kRounds && errors.load() == 0; ++round) {
        txn.Begin();
        ReadView view = txn.View(txn.first_read_ts(), 0);
        Version *counter = VisibleVersion(engine.get(), counter_rows[c], view);
        if (counter == nullptr) {
          errors.fetch_add(1);
          txn.Abort();
          break;
        }
        int64_t delta = 0;
        bool ok = true;
        int action = random() % 10;
        if (action < 5) {
          // Insert a few rows (at level 2 some of the time, then roll back).
          int count = 1 + random() % 4;
          for (int i = 0; i < count; ++i)
            if (InsertValue(txn, table, next_value++, 0, 1) != nullptr)
              ++delta;
            else
              errors.fetch_add(1);
          if (random() % 4 == 0) {
            InsertValue(txn, table, next_value++, 0, 2);
            txn.RollbackToLevel(2);
          }
        } else {
          // Delete some visible rows found by a scan (any churner's rows).
          TableScan scan(engine.get(), table, view);
          int skip = random() % 8;
          int wanted = 1 + random() % 3;
          for (Version *v = scan.Next(); v != nullptr && wanted > 0; v = scan.Next()) {
            if (!PayloadIntact(v)) errors.fetch_add(1);
            if (skip-- > 0) continue;
            Status status = txn.Delete(table, v, 0, 1);
            if (status == Status::kOk) {
              --delta;
              --wanted;
            } else if (status == Status::kWriteConflict) {
              ok = false;
              break;
            } else {
              errors.fetch_add(1);
            }
          }
        }
        if (random() % 4 == 0) std::this_thread::yield();
        if (ok && !TryUpdate(txn, counters, counter, ValueOf(counter) + delta, 1, &errors))
          ok = false;  // only this churner writes its counter
        if (!ok || random() % 10 == 0) {
          txn.Abort();
          continue;
        }
        txn.Commit();
        if (delta > 0) inserts.fetch_add(delta);
        if (delta < 0) deletes.fetch_add(-delta);
      }
      churners_done.fetch_add(1);
    });
  }

  for (int s = 0; s < kScanners; ++s) {
    threads.emplace_back([&, s] {
      Transaction txn(engine.get());
      if (txn.Attach(400 + s) != Status::kOk) {
        errors.fetch_add(1);
        return;
      }
      gate.Arrive();
      do {
        txn.Begin();
        ReadView view = txn.View(txn.first_read_ts(), 0);
        int64_t expected = 0;
        for (Row *row : counter_rows) {
          Version *v = VisibleVersion(engine.get(), row, view);
          if (v == nullptr) {
            errors.fetch_add(1);
            continue;
          }
          expected += ValueOf(v);
        }
        TableScan scan(engine.get(), table, view);
        int64_t forward = 0;
        for (Version *v = scan.Next(); v != nullptr; v = scan.Next()) {
          if (!PayloadIntact(v)) errors.fetch_add(1);
          if (++forward % 64 == 0) std::this_thread::yield();
        }
        // The collector may run meanwhile (from this thread too).
        if (s == 0) engine->CollectGarbage(table);
        TableScan back(engine.get(), table, view);
        int64_t backward = 0;
        for (Version *v = back.Previous(); v != nullptr; v = back.Previous()) ++backward;
        if (forward != expected || backward != expected) errors.fetch_add(1);
        txn.Commit();
        if (s == 1) engine->ReclaimMemory();
        scans.fetch_add(1);
      } while (churners_done.load() < kChurners && errors.load() < 100);
    });
  }
  for (auto &thread : threads) thread.join();
  std::printf("  churn: %ld rows inserted, %ld deleted, %ld snapshot scans\n", inserts.load(),
              deletes.load(), scans.load());
  EXPECT_EQ(errors.load(), 0);
  EXPECT_GT(scans.load(), 0);
  EXPECT_GT(inserts.load(), 0);
  EXPECT_GT(deletes.load(), 0);

  // Final counts agree everywhere.
  ReadView now = OutsideView(engine->Now());
  int64_t expected = 0;
  for (Row *row : counter_rows) expected += ValueOf(VisibleVersion(engine.get(), row, now));
  EXPECT_EQ(expected, inserts.load() - deletes.load());
  int64_t scanned = static_cast<int64_t>(test::ScanAll(engine.get(), table, now).size());
  EXPECT_EQ(scanned, expected);
  EXPECT_EQ(static_cast<int64_t>(table->Stats().live_rows), expected);
  for (Table *t : {table, counters})
    for (int i = 0; i < 3 && !t->gc_queue_empty(); ++i) engine->CollectGarbage(t);
  // Nothing is running: only the live versions remain.
  EXPECT_EQ(static_cast<int64_t>(table->Stats().versions), expected);
  EXPECT_EQ(counters->Stats().versions, static_cast<uint64_t>(kChurners));
  engine->ReclaimMemory();
  EXPECT_EQ(engine->arena()->Stats().retired_bytes, 0u);
  EXPECT_EQ(static_cast<int64_t>(
                engine->arena()->Stats().kinds[static_cast<int>(MemoryKind::kRow)].blocks),
            expected + kChurners);
}

}  // namespace
}  // namespace memopt

// validation_test.cpp - commit-time validation (Transaction::Prepare), commit
// dependencies, and a randomized serializability check: threads run
// SERIALIZABLE read-modify-write transactions, and the history of those that
// committed must replay serially in commit-timestamp order with every read
// returning what the serial order says.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "memopt/index.h"
#include "test_engine.h"

namespace memopt {
namespace {

using test::CommitInserts;
using test::InsertValue;
using test::MakeTable;
using test::Scaled;
using test::TestEngine;
using test::UpdateValue;
using test::ValueOf;
using test::VisibleVersion;

class ValidationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(engine_.get(), nullptr);
    table_ = MakeTable(engine_.get(), 1);
    rows_.clear();
    for (Version *v : CommitInserts(engine_.get(), table_, {10, 20, 30})) rows_.push_back(v->row);
    ASSERT_EQ(a_.Attach(100), Status::kOk);
    ASSERT_EQ(b_.Attach(101), Status::kOk);
  }
  // Reads row `i` as `txn` sees it and records the read.
  Version *Read(Transaction &txn, size_t i) {
    Version *version = VisibleVersion(engine_.get(), rows_[i], txn.View(txn.first_read_ts(), 1));
    if (version != nullptr) {
      EXPECT_EQ(txn.NoteRead(table_, version), Status::kOk);
    }
    return version;
  }
  void Write(Transaction &txn, size_t i, int64_t value) {
    Version *current = VisibleVersion(engine_.get(), rows_[i], txn.View(txn.first_read_ts(), 1));
    ASSERT_NE(current, nullptr);
    Status status;
    ASSERT_NE(UpdateValue(txn, table_, current, value, 1, 1, &status), nullptr);
  }
  // Another transaction updates row i to `value` and commits.
  void CommitUpdate(size_t i, int64_t value) {
    b_.Begin();
    Write(b_, i, value);
    b_.Commit();
  }
  Status Prepare(Transaction &txn) {
    ValidationFailure failure;
    return txn.Prepare(ValidationHooks{}, &failure);
  }

  TestEngine engine_;
  Table *table_ = nullptr;
  std::vector<Row *> rows_;
  Transaction a_{engine_.get()};
  Transaction b_{engine_.get()};
};

TEST_F(ValidationTest, RepeatableReadFailsWhenAReadRowChangedBeforeCommit) {
  a_.Begin();
  a_.SetIsolation(Isolation::kRepeatableRead);
  Read(a_, 0);
  Write(a_, 2, 31);
  CommitUpdate(0, 11);
  ValidationFailure failure;
  EXPECT_EQ(a_.Prepare(ValidationHooks{}, &failure), Status::kReadValidationFailed);
  EXPECT_EQ(failure.table, table_);
  EXPECT_EQ(ValueOf(failure.version), 10);
  a_.Abort();
}

TEST_F(ValidationTest, SnapshotDoesNotValidateReads) {
  a_.Begin();
  a_.SetIsolation(Isolation::kSnapshot);
  Read(a_, 0);
  Write(a_, 2, 31);
  CommitUpdate(0, 11);
  EXPECT_EQ(Prepare(a_), Status::kOk);
  a_.Commit();
}

TEST_F(ValidationTest, ChangesCommittedAfterOurTimestampDoNotMatter) {
  a_.Begin();
  a_.SetIsolation(Isolation::kSerializable);
  Read(a_, 0);
  Write(a_, 2, 31);
  b_.Begin();
  Write(b_, 0, 11);  // still active when we validate: it serializes after us
  EXPECT_EQ(Prepare(a_), Status::kOk);
  a_.Commit();
  b_.Commit();
}

TEST_F(ValidationTest, ReadOnlyTransactionsSkipValidation) {
  a_.Begin();
  a_.SetIsolation(Isolation::kSerializable);
  Read(a_, 0);
  ASSERT_EQ(a_.NoteTableScan(table_), Status::kOk);
  CommitUpdate(0, 11);
  EXPECT_EQ(Prepare(a_), Status::kOk);  // serialized at its read timestamp
  a_.Commit();
}

TEST_F(ValidationTest, OwnUpdatesOfReadRowsPass) {
  a_.Begin();
  a_.SetIsolation(Isolation::kRepeatableRead);
  Read(a_, 0);
  Write(a_, 0, 12);
  EXPECT_EQ(Prepare(a_), Status::kOk);
  a_.Commit();
}

TEST_F(ValidationTest, SerializableTableScanSeesPhantomInsert) {
  a_.Begin();
  a_.SetIsolation(Isolation::kSerializable);
  ASSERT_EQ(a_.NoteTableScan(table_), Status::kOk);
  Write(a_, 2, 31);
  CommitInserts(engine_.get(), table_, {40});
  ValidationFailure failure;
  EXPECT_EQ(a_.Prepare(ValidationHooks{}, &failure), Status::kPhantomValidationFailed);
  EXPECT_EQ(ValueOf(failure.version), 40);
  a_.Abort();
}

TEST_F(ValidationTest, RepeatableReadIgnoresPhantoms) {
  a_.Begin();
  a_.SetIsolation(Isolation::kRepeatableRead);
  ASSERT_EQ(a_.NoteTableScan(table_), Status::kOk);  // not kept at this level by callers,
  Write(a_, 2, 31);                                  // and not validated if it were
  CommitInserts(engine_.get(), table_, {40});
  EXPECT_EQ(Prepare(a_), Status::kOk);
  a_.Commit();
}

TEST_F(ValidationTest, InsertThatWasAlreadyVisibleIsNoPhantom) {
  CommitInserts(engine_.get(), table_, {40});
  a_.Begin();
  a_.SetIsolation(Isolation::kSerializable);
  ASSERT_EQ(a_.NoteTableScan(table_), Status::kOk);
  Write(a_, 2, 31);
  EXPECT_EQ(Prepare(a_), Status::kOk);
  a_.Commit();
}

TEST_F(ValidationTest, HashProbeSeesPhantomUnderItsHashOnly) {
  Index *index = nullptr;
  ASSERT_EQ(engine_->CreateIndex(table_, IndexKind::kHash, 900, 901, 16, &index), Status::kOk);
  a_.Begin();
  a_.SetIsolation(Isolation::kSerializable);
  ASSERT_EQ(a_.NoteHashProbe(table_, index, 7), Status::kOk);
  Write(a_, 2, 31);
  // Another transaction inserts a row under hash 8: no phantom for us.
  b_.Begin();
  Version *other = InsertValue(b_, table_, 50);
  ASSERT_EQ(index->hash()->Insert(8, other->row), Status::kOk);
  b_.Commit();
  EXPECT_EQ(Prepare(a_), Status::kOk);
  a_.Commit();

  a_.Begin();
  a_.SetIsolation(Isolation::kSerializable);
  ASSERT_EQ(a_.NoteHashProbe(table_, index, 7), Status::kOk);
  Write(a_, 2, 32);
  b_.Begin();
  Version *phantom = InsertValue(b_, table_, 60);
  ASSERT_EQ(index->hash()->Insert(7, phantom->row), Status::kOk);
  b_.Commit();
  EXPECT_EQ(Prepare(a_), Status::kPhantomValidationFailed);
  a_.Abort();
}

// Range keys: 8-byte integers compared as numbers.
int CompareInts(const void *, KeyRef a, KeyRef b, bool *) {
  int64_t x, y;
  std::memcpy(&x, a.data, sizeof x);
  std::memcpy(&y, b.data, sizeof y);
  return x < y ? -1 : x > y ? 1 : 0;
}

bool IntComparator(void *, const Index *, KeyComparator *out) {
  *out = KeyComparator{CompareInts, nullptr};
  return true;
}

TEST_F(ValidationTest, RangeScanSeesPhantomsInsideItsBoundsOnly) {
  Index *index = nullptr;
  ASSERT_EQ(engine_->CreateIndex(table_, IndexKind::kRange, 902, 903, 0, &index), Status::kOk);
  KeyComparator cmp{CompareInts, nullptr};
  auto insert_keyed = [&](int64_t key) {
    b_.Begin();
    Version *version = InsertValue(b_, table_, key);
    bool failed = false;
    ASSERT_EQ(index->range()->Insert(KeyRef{&key, sizeof key}, version->row, cmp, &failed),
              Status::kOk);
    b_.Commit();
  };
  int64_t low_key = 100, high_key = 200;
  RangeBound low{true, false, KeyRef{&low_key, sizeof low_key}};
  RangeBound high{true, true, KeyRef{&high_key, sizeof high_key}};  // [100, 200)
  ValidationHooks hooks{IntComparator, nullptr};
  ValidationFailure failure;

  a_.Begin();
  a_.SetIsolation(Isolation::kSerializable);
  ASSERT_EQ(a_.NoteRangeScan(table_, index, low, high), Status::kOk);
  Write(a_, 2, 31);
  insert_keyed(200);  // just outside
  insert_keyed(99);
  EXPECT_EQ(a_.Prepare(hooks, &failure), Status::kOk);
  a_.Commit();

  a_.Begin();
  a_.SetIsolation(Isolation::kSerializable);
  ASSERT_EQ(a_.NoteRangeScan(table_, index, low, high), Status::kOk);
  Write(a_, 2, 32);
  insert_keyed(150);
  EXPECT_EQ(a_.Prepare(hooks, &failure), Status::kPhantomValidationFailed);
  EXPECT_EQ(ValueOf(failure.version), 150);
  a_.Abort();
}

TEST_F(ValidationTest, ReaderOfPreparingWriterDependsOnIt) {
  for (bool writer_commits : {true, false}) {
    a_.Begin();
    Write(a_, 0, 11);
    ASSERT_EQ(Prepare(a_), Status::kOk);  // Preparing, with its timestamp
    b_.Begin();                           // reads after that timestamp
    b_.SetIsolation(Isolation::kSnapshot);
    EXPECT_EQ(ValueOf(Read(b_, 0)), 11);  // speculatively
    EXPECT_EQ(b_.dependency_count(), 1u);
    ValidationFailure failure;
    uint64_t pending = 0;
    EXPECT_EQ(b_.CheckDependencies(&failure, &pending), Status::kPending);
    EXPECT_EQ(pending, a_.id());
    // Updating a row whose newest version is not committed yet conflicts.
    Version *speculative = VisibleVersion(engine_.get(), rows_[0], b_.View(b_.first_read_ts(), 1));
    Status status;
    EXPECT_EQ(UpdateValue(b_, table_, speculative, 12, 1, 1, &status), nullptr);
    EXPECT_EQ(status, Status::kWriteConflict);
    if (writer_commits) {
      a_.Commit();
      EXPECT_EQ(b_.CheckDependencies(&failure, &pending), Status::kOk);
      b_.Commit();
    } else {
      a_.Abort();
      EXPECT_EQ(b_.CheckDependencies(&failure, &pending), Status::kDependencyFailed);
      b_.Abort();
    }
  }
}

TEST_F(ValidationTest, ReaderBeforeThePreparingTimestampHasNoDependency) {
  b_.Begin();  // read timestamp before a_'s commit timestamp
  b_.SetIsolation(Isolation::kSnapshot);
  a_.Begin();
  Write(a_, 0, 11);
  ASSERT_EQ(Prepare(a_), Status::kOk);
  EXPECT_EQ(ValueOf(Read(b_, 0)), 10);
  EXPECT_EQ(b_.dependency_count(), 0u);
  a_.Commit();
  b_.Commit();
}

TEST_F(ValidationTest, ValidationCountsAPreparingWriterAsCommitted) {
  a_.Begin();
  a_.SetIsolation(Isolation::kRepeatableRead);
  Read(a_, 0);
  Write(a_, 2, 31);
  b_.Begin();
  Write(b_, 0, 11);
  ASSERT_EQ(Prepare(b_), Status::kOk);  // earlier timestamp than ours
  EXPECT_EQ(Prepare(a_), Status::kReadValidationFailed);
  a_.Abort();
  b_.Commit();
}

// --- randomized serializability check ---

struct Access {
  int row;
  int64_t value;
};
struct Committed {
  Timestamp order;  // commit timestamp, or the read timestamp of a reader
  bool read_only;
  std::vector<Access> reads;
  std::vector<Access> writes;
};

TEST(ValidationStressTest, SerializableHistoriesHaveASerialOrder) {
  TestEngine engine;
  ASSERT_NE(engine.get(), nullptr);
  Table *table = MakeTable(engine.get(), 1);
  const int kRows = 6;
  const int kThreads = 4;
  const int kTransactions = Scaled(test::kUnderTsan ? 1500 : 12000);
  std::vector<Row *> rows;
  for (Version *v : CommitInserts(engine.get(), table, std::vector<int64_t>(kRows, 0)))
    rows.push_back(v->row);

  std::mutex history_lock;
  std::vector<Committed> history;
  std::atomic<int> errors{0};
  std::atomic<int> aborts{0};
  auto worker = [&](int seed) {
    Transaction txn(engine.get());
    if (txn.Attach(200 + seed) != Status::kOk) {
      errors++;
      return;
    }
    std::mt19937 random(seed);
    for (int i = 0; i < kTransactions; ++i) {
      txn.Begin();
      txn.SetIsolation(Isolation::kSerializable);
      ReadView view = txn.View(txn.first_read_ts(), 1);
      Committed record{0, false, {}, {}};
      int64_t sum = 0;
      bool scan = random() % 4 == 0;
      if (scan) {  // read every row through a scan (phantom validation)
        if (txn.NoteTableScan(table) != Status::kOk) errors++;
        TableScan table_scan(engine.get(), table, view);
        for (Version *v = table_scan.Next(); v != nullptr; v = table_scan.Next()) {
          int row = static_cast<int>(std::find(rows.begin(), rows.end(), v->row) - rows.begin());
          if (txn.NoteRead(table, v) != Status::kOk) errors++;
          record.reads.push_back(Access{row, ValueOf(v)});
          sum += ValueOf(v);
        }
      } else {
        for (int r = 0; r < 2; ++r) {
          int row = static_cast<int>(random() % kRows);
          Version *v = VisibleVersion(engine.get(), rows[row], view);
          if (txn.NoteRead(table, v) != Status::kOk) errors++;
          record.reads.push_back(Access{row, ValueOf(v)});
          sum += ValueOf(v);
        }
      }
      bool ok = true;
      if (random() % 3 != 0) {  // write a function of what was read
        int row = static_cast<int>(random() % kRows);
        Version *current = VisibleVersion(engine.get(), rows[row], view);
        if (txn.NoteRead(table, current) != Status::kOk) errors++;
        record.reads.push_back(Access{row, ValueOf(current)});
        // Bounded, so sums of a few rows never overflow.
        int64_t value = (sum + ValueOf(current) + 1 + seed) % 1000003;
        Status status;
        ok = UpdateValue(txn, table, current, value, 1, 1, &status) != nullptr;
        if (!ok && status != Status::kWriteConflict) errors++;
        if (ok) record.writes.push_back(Access{row, value});
      }
      ValidationFailure failure;
      if (ok) ok = txn.Prepare(ValidationHooks{}, &failure) == Status::kOk;
      if (ok) {
        uint64_t pending;
        Status status;
        while ((status = txn.CheckDependencies(&failure, &pending)) == Status::kPending)
          std::this_thread::yield();
        ok = status == Status::kOk;
      }
      if (!ok) {
        txn.Abort();
        aborts++;
        continue;
      }
      record.read_only = record.writes.empty();
      record.order = record.read_only ? txn.first_read_ts() : txn.commit_ts();
      txn.Commit();
      std::lock_guard<std::mutex> guard(history_lock);
      history.push_back(std::move(record));
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(worker, t + 1);
  for (std::thread &thread : threads) thread.join();
  ASSERT_EQ(errors.load(), 0);

  // Writers at their commit timestamp; a reader at its read timestamp comes
  // after the writer with the same timestamp (it sees that commit).
  std::sort(history.begin(), history.end(), [](const Committed &a, const Committed &b) {
    if (a.order != b.order) return a.order < b.order;
    return !a.read_only && b.read_only;
  });
  std::vector<int64_t> state(kRows, 0);
  size_t writers = 0;
  for (size_t i = 0; i < history.size(); ++i) {
    for (const Access &read : history[i].reads)
      ASSERT_EQ(read.value, state[read.row])
          << "transaction " << i << " of the serial order read row " << read.row;
    for (const Access &write : history[i].writes) state[write.row] = write.value;
    if (!history[i].read_only) ++writers;
  }
  EXPECT_GT(writers, 0u);
  std::printf("serializability check: %zu committed (%zu writers), %d aborted\n", history.size(),
              writers, aborts.load());
}

}  // namespace
}  // namespace memopt

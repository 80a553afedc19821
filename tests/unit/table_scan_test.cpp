// table_scan_test.cpp - slot-order scans in both directions, ranges,
// Halloween protection and fetching versions by slot (TID).
#include <gtest/gtest.h>

#include <vector>

#include "test_engine.h"

namespace memopt {
namespace {

using test::CommitInserts;
using test::InsertValue;
using test::MakeTable;
using test::OutsideView;
using test::ScanValues;
using test::UpdateValue;
using test::ValueOf;

class TableScanTest : public test::TwoSessions {
 protected:
  void SetUp() override {
    TwoSessions::SetUp();
    if (HasFatalFailure()) return;
    // Slots 0..9 hold 0..9; then 2 and 5 are deleted and 7 becomes 70
    // (slot 10).
    base_ = CommitInserts(engine_.get(), table_, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
    // A reader that keeps the replaced and deleted versions from being
    // collected (until a test ends it).
    ASSERT_EQ(holder_.Attach(102), Status::kOk);
    holder_.Begin();
    a_.Begin();
    EXPECT_EQ(a_.Delete(table_, base_[2], 0, 1), Status::kOk);
    EXPECT_EQ(a_.Delete(table_, base_[5], 0, 1), Status::kOk);
    Status status;
    updated_ = UpdateValue(a_, table_, base_[7], 70, 0, 1, &status);
    EXPECT_EQ(status, Status::kOk);
    EXPECT_EQ(updated_->slot, 10u);
    a_.Commit();
  }
  ReadView Now() const { return OutsideView(engine_->Now()); }
  static std::vector<int64_t> Forward(TableScan &scan) {
    std::vector<int64_t> values;
    for (Version *v = scan.Next(); v != nullptr; v = scan.Next()) values.push_back(ValueOf(v));
    return values;
  }
  static std::vector<int64_t> Backward(TableScan &scan) {
    std::vector<int64_t> values;
    for (Version *v = scan.Previous(); v != nullptr; v = scan.Previous())
      values.push_back(ValueOf(v));
    return values;
  }

  Transaction holder_{engine_.get()};
  std::vector<Version *> base_;
  Version *updated_ = nullptr;
};

TEST_F(TableScanTest, ForwardAndBackward) {
  TableScan scan(engine_.get(), table_, Now());
  EXPECT_EQ(Forward(scan), (std::vector<int64_t>{0, 1, 3, 4, 6, 8, 9, 70}));
  EXPECT_EQ(scan.Next(), nullptr);  // stays at the end
  scan.Restart();
  EXPECT_EQ(Backward(scan), (std::vector<int64_t>{70, 9, 8, 6, 4, 3, 1, 0}));
  EXPECT_EQ(scan.Previous(), nullptr);  // stays at the start
  scan.Restart();
  EXPECT_EQ(Forward(scan), (std::vector<int64_t>{0, 1, 3, 4, 6, 8, 9, 70}));
}

TEST_F(TableScanTest, ChangingDirection) {
  TableScan scan(engine_.get(), table_, Now());
  EXPECT_EQ(ValueOf(scan.Next()), 0);
  EXPECT_EQ(ValueOf(scan.Next()), 1);
  EXPECT_EQ(ValueOf(scan.Next()), 3);
  EXPECT_EQ(ValueOf(scan.Previous()), 1);
  EXPECT_EQ(ValueOf(scan.Previous()), 0);
  EXPECT_EQ(scan.Previous(), nullptr);
  EXPECT_EQ(ValueOf(scan.Next()), 0);
  // Past the end, a backward step returns the last row.
  Forward(scan);
  EXPECT_EQ(ValueOf(scan.Previous()), 70);
  EXPECT_EQ(ValueOf(scan.Previous()), 9);
  EXPECT_EQ(ValueOf(scan.Next()), 70);
  EXPECT_EQ(scan.Next(), nullptr);
}

TEST_F(TableScanTest, SetRange) {
  TableScan scan(engine_.get(), table_, Now());
  scan.SetRange(3, 6);
  EXPECT_EQ(Forward(scan), (std::vector<int64_t>{3, 4, 6}));
  scan.Restart();
  EXPECT_EQ(Backward(scan), (std::vector<int64_t>{6, 4, 3}));
  scan.SetRange(2, 2);  // a deleted row's slot
  EXPECT_TRUE(Forward(scan).empty());
  scan.SetRange(7, 7);  // the old version of the updated row
  EXPECT_TRUE(Forward(scan).empty());
  scan.SetRange(10, 10);
  EXPECT_EQ(Forward(scan), std::vector<int64_t>{70});
  scan.SetRange(8, 1000000);  // beyond the high-water mark
  EXPECT_EQ(Forward(scan), (std::vector<int64_t>{8, 9, 70}));
  scan.Restart();
  EXPECT_EQ(Backward(scan), (std::vector<int64_t>{70, 9, 8}));
  scan.SetRange(6, 3);  // empty
  EXPECT_TRUE(Forward(scan).empty());
  EXPECT_TRUE(Backward(scan).empty());
  scan.SetRange(500, ~0ULL);
  EXPECT_TRUE(Forward(scan).empty());
  EXPECT_TRUE(Backward(scan).empty());
  scan.SetRange(0, ~0ULL);
  EXPECT_EQ(Forward(scan).size(), 8u);
}

TEST_F(TableScanTest, SeesExactlyTheVisibleRows) {
  // An old snapshot (before the deletes and the update) through set_view.
  TableScan scan(engine_.get(), table_, OutsideView(base_[0]->begin.load()));
  EXPECT_EQ(Forward(scan), (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  scan.set_view(OutsideView(base_[0]->begin.load() - 1));
  scan.Restart();
  EXPECT_TRUE(Forward(scan).empty());

  // Uncommitted work of a: a sees it from the next command, b never.
  a_.Begin();
  b_.Begin();
  Status status;
  InsertValue(a_, table_, 100, 0);
  ASSERT_NE(UpdateValue(a_, table_, base_[0], 1000, 0, 1, &status), nullptr);
  ASSERT_EQ(a_.Delete(table_, base_[1], 0, 1), Status::kOk);
  EXPECT_EQ(ScanValues(engine_.get(), table_, a_.View(a_.first_read_ts(), 0)),
            (std::vector<int64_t>{0, 1, 3, 4, 6, 8, 9, 70}));
  EXPECT_EQ(ScanValues(engine_.get(), table_, a_.View(a_.first_read_ts(), 1)),
            (std::vector<int64_t>{3, 4, 6, 8, 9, 70, 100, 1000}));
  EXPECT_EQ(ScanValues(engine_.get(), table_, b_.View(b_.first_read_ts(), 1)),
            (std::vector<int64_t>{0, 1, 3, 4, 6, 8, 9, 70}));
  a_.Commit();
  EXPECT_EQ(ScanValues(engine_.get(), table_, b_.View(b_.first_read_ts(), 1)),
            (std::vector<int64_t>{0, 1, 3, 4, 6, 8, 9, 70}));
  EXPECT_EQ(ScanValues(engine_.get(), table_, Now()),
            (std::vector<int64_t>{3, 4, 6, 8, 9, 70, 100, 1000}));
  b_.Commit();
}

TEST_F(TableScanTest, HalloweenProtection) {
  a_.Begin();
  const uint32_t command = 1;
  TableScan scan(engine_.get(), table_, a_.View(a_.first_read_ts(), command));
  std::vector<int64_t> seen;
  // UPDATE t SET v = v + 1000 (new versions land in later slots) and an
  // INSERT ... SELECT of every row, in the same command as the scan.
  for (Version *v = scan.Next(); v != nullptr; v = scan.Next()) {
    seen.push_back(ValueOf(v));
    ASSERT_LT(seen.size(), 100u) << "the scan sees its own command's writes";
    Status status;
    ASSERT_NE(UpdateValue(a_, table_, v, ValueOf(v) + 1000, command, 1, &status), nullptr);
    InsertValue(a_, table_, ValueOf(v) + 2000, command);
  }
  EXPECT_EQ(seen, (std::vector<int64_t>{0, 1, 3, 4, 6, 8, 9, 70}));
  // The next command sees the result.
  std::vector<int64_t> after = ScanValues(engine_.get(), table_, a_.View(a_.first_read_ts(), 2));
  EXPECT_EQ(after.size(), 16u);
  a_.Commit();
  EXPECT_EQ(ScanValues(engine_.get(), table_, Now()).size(), 16u);
}

TEST_F(TableScanTest, BackwardHalloweenProtection) {
  a_.Begin();
  TableScan scan(engine_.get(), table_, a_.View(a_.first_read_ts(), 0));
  int seen = 0;
  for (Version *v = scan.Previous(); v != nullptr; v = scan.Previous()) {
    ++seen;
    ASSERT_LT(seen, 100);
    InsertValue(a_, table_, ValueOf(v) + 2000, 0);
  }
  EXPECT_EQ(seen, 8);
  a_.Abort();
}

TEST_F(TableScanTest, FetchVersion) {
  Engine *engine = engine_.get();
  ReadView now = Now();
  // Visible current versions.
  EXPECT_EQ(FetchVersion(engine, table_, 0, now, false), base_[0]);
  EXPECT_EQ(FetchVersion(engine, table_, 10, now, false), updated_);
  // Replaced and deleted versions: only with any_version (SnapshotAny).
  EXPECT_EQ(FetchVersion(engine, table_, 7, now, false), nullptr);
  EXPECT_EQ(FetchVersion(engine, table_, 7, now, true), base_[7]);
  EXPECT_EQ(FetchVersion(engine, table_, 2, now, false), nullptr);
  EXPECT_EQ(FetchVersion(engine, table_, 2, now, true), base_[2]);
  // An older view sees the old version but not the new one.
  ReadView old = OutsideView(base_[0]->begin.load());
  EXPECT_EQ(FetchVersion(engine, table_, 7, old, false), base_[7]);
  EXPECT_EQ(FetchVersion(engine, table_, 10, old, false), nullptr);
  EXPECT_EQ(FetchVersion(engine, table_, 10, old, true), updated_);

  // Another transaction's uncommitted insert.
  a_.Begin();
  Version *pending = InsertValue(a_, table_, 5000, 0);
  ASSERT_NE(pending, nullptr);
  EXPECT_EQ(FetchVersion(engine, table_, pending->slot, Now(), false), nullptr);
  EXPECT_EQ(FetchVersion(engine, table_, pending->slot, Now(), true), pending);
  EXPECT_EQ(FetchVersion(engine, table_, pending->slot, a_.View(a_.first_read_ts(), 1), false),
            pending);
  uint64_t pending_slot = pending->slot;
  a_.Abort();
  // Undone: its slot is empty now.
  EXPECT_EQ(FetchVersion(engine, table_, pending_slot, Now(), true), nullptr);

  // Garbage slot numbers (a user typing ctid = '(123456,7)').
  for (uint64_t slot :
       {uint64_t{11}, uint64_t{12}, uint64_t{1000}, uint64_t{123456 * 291 + 6}, uint64_t{1} << 40,
        (uint64_t{1} << 48) - 1, ~uint64_t{0} - 1, ~uint64_t{0}}) {
    EXPECT_EQ(FetchVersion(engine, table_, slot, now, false), nullptr) << slot;
    EXPECT_EQ(FetchVersion(engine, table_, slot, now, true), nullptr) << slot;
  }
}

TEST_F(TableScanTest, FetchVersionAfterGarbageCollection) {
  // While the holder runs, nothing can go.
  engine_->CollectGarbage(table_);
  EXPECT_EQ(table_->Stats().versions, 11u);
  EXPECT_EQ(FetchVersion(engine_.get(), table_, 7, Now(), true), base_[7]);
  // No reader is running: collecting frees the deleted rows and the old
  // version of the updated row, and their slots read as empty.
  holder_.Commit();
  engine_->CollectGarbage(table_);
  EXPECT_EQ(table_->Stats().versions, 8u);
  ReadView now = Now();
  for (uint64_t slot : {uint64_t{2}, uint64_t{5}, uint64_t{7}}) {
    EXPECT_EQ(FetchVersion(engine_.get(), table_, slot, now, true), nullptr) << slot;
    EXPECT_EQ(FetchVersion(engine_.get(), table_, slot, now, false), nullptr) << slot;
  }
  EXPECT_EQ(FetchVersion(engine_.get(), table_, 10, now, false), updated_);
  TableScan scan(engine_.get(), table_, now);
  EXPECT_EQ(Forward(scan), (std::vector<int64_t>{0, 1, 3, 4, 6, 8, 9, 70}));
}

TEST_F(TableScanTest, EmptyTable) {
  Table *empty = MakeTable(engine_.get(), 2);
  TableScan scan(engine_.get(), empty, Now());
  EXPECT_EQ(scan.Next(), nullptr);
  EXPECT_EQ(scan.Previous(), nullptr);
  EXPECT_EQ(FetchVersion(engine_.get(), empty, 0, Now(), true), nullptr);
}

}  // namespace
}  // namespace memopt

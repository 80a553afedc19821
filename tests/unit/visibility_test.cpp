// visibility_test.cpp - Hekaton's visibility rules case by case, first on
// hand-made versions and transaction slots, then through real transactions.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "memopt/timestamp.h"
#include "memopt/txn_slot.h"
#include "memopt/visibility.h"
#include "test_engine.h"

namespace memopt {
namespace {

using test::InsertValue;
using test::MakeTable;
using test::OutsideView;
using test::UpdateValue;
using test::ValueOf;

class VisibilityTest : public ::testing::Test {
 protected:
  static constexpr int kSlots = 4;
  void SetUp() override {
    for (TxnSlot &slot : slots_) {
      slot.txn_id.store(0);
      slot.status.store(0);
      slot.read_ts.store(kInfinity);
      slot.in_use.store(1);
      slot.process_id.store(0);
      slot.sequence = 0;
    }
    // Slot 0 is "me", the others are other sessions.
    mine_ = Start(0, 7);
  }
  uint64_t Start(uint32_t slot, uint64_t sequence) {
    uint64_t id = MakeTxnId(sequence, slot);
    slots_[slot].txn_id.store(id);
    slots_[slot].status.store(MakeTxnStatus(TxnState::kActive, 0));
    return id;
  }
  void SetState(uint32_t slot, TxnState state, Timestamp ts = 0) {
    slots_[slot].status.store(MakeTxnStatus(state, ts));
  }
  static void Make(Version *version, uint64_t begin, uint64_t end, uint32_t cmin = 0,
                   uint32_t cmax = 0) {
    version->begin.store(begin);
    version->end.store(end);
    version->older.store(nullptr);
    version->row = nullptr;
    version->slot = 0;
    version->cmin = cmin;
    version->cmax = cmax;
    version->payload_bytes = 0;
  }
  bool Sees(const Version &version, Timestamp read_ts, uint32_t command_id = 0) {
    return IsVisible(slots_, &version, ReadView{read_ts, mine_, command_id});
  }
  bool OtherSees(const Version &version, Timestamp read_ts) {
    return IsVisible(slots_, &version, ReadView{read_ts, 0, 0});
  }

  TxnSlot slots_[kSlots];
  uint64_t mine_ = 0;
  Version version_;
};

TEST_F(VisibilityTest, TxnIdEncoding) {
  uint64_t id = MakeTxnId(12345, 77);
  EXPECT_TRUE(IsTxnId(id));
  EXPECT_EQ(TxnIdSlot(id), 77u);
  EXPECT_FALSE(IsTxnId(kInfinity));
  EXPECT_FALSE(IsTxnId(42));
  EXPECT_NE(MakeTxnId(1, 3), MakeTxnId(2, 3));
  uint64_t status = MakeTxnStatus(TxnState::kCommitted, 999);
  EXPECT_EQ(StatusState(status), TxnState::kCommitted);
  EXPECT_EQ(StatusTimestamp(status), 999u);
}

TEST_F(VisibilityTest, CommittedTimestampsBoundaries) {
  Make(&version_, 10, kInfinity);
  EXPECT_FALSE(Sees(version_, 9));
  EXPECT_TRUE(Sees(version_, 10));  // begin == read_ts: visible
  EXPECT_TRUE(Sees(version_, 11));
  EXPECT_TRUE(Sees(version_, kInfinity - 1));

  Make(&version_, 10, 20);
  EXPECT_FALSE(Sees(version_, 9));
  EXPECT_TRUE(Sees(version_, 10));
  EXPECT_TRUE(Sees(version_, 19));
  EXPECT_FALSE(Sees(version_, 20));  // end == read_ts: already replaced
  EXPECT_FALSE(Sees(version_, 21));
  EXPECT_FALSE(OtherSees(version_, 20));
  EXPECT_TRUE(OtherSees(version_, 15));

  // Created and replaced at the same commit: never visible.
  Make(&version_, 10, 10);
  for (Timestamp ts : {9, 10, 11}) EXPECT_FALSE(Sees(version_, ts));
}

TEST_F(VisibilityTest, UndoneVersionIsNeverVisible) {
  Make(&version_, kInfinity, kInfinity);
  EXPECT_FALSE(Sees(version_, 1));
  EXPECT_FALSE(Sees(version_, 1000000));
  EXPECT_FALSE(Sees(version_, kInfinity - 1));
  EXPECT_FALSE(OtherSees(version_, kInfinity - 1));
}

TEST_F(VisibilityTest, OwnInsertVisibleFromNextCommand) {
  Make(&version_, mine_, kInfinity, /*cmin=*/3);
  EXPECT_FALSE(Sees(version_, 100, 0));
  EXPECT_FALSE(Sees(version_, 100, 3));  // the inserting command does not see it
  EXPECT_TRUE(Sees(version_, 100, 4));
  EXPECT_TRUE(Sees(version_, 100, 1000));
  // The read timestamp does not matter for one's own versions.
  EXPECT_TRUE(Sees(version_, 1, 4));
  // Nobody else sees it while it is uncommitted.
  EXPECT_FALSE(OtherSees(version_, 100));
  EXPECT_FALSE(OtherSees(version_, kInfinity - 1));
}

TEST_F(VisibilityTest, OwnDeleteInvisibleFromNextCommand) {
  Make(&version_, 5, mine_, 0, /*cmax=*/3);
  EXPECT_TRUE(Sees(version_, 10, 2));
  EXPECT_TRUE(Sees(version_, 10, 3));  // the deleting command still sees it
  EXPECT_FALSE(Sees(version_, 10, 4));
  EXPECT_FALSE(Sees(version_, 10, 100));
  // The begin rule still applies.
  EXPECT_FALSE(Sees(version_, 4, 2));
  // Others see it: the delete is not committed.
  EXPECT_TRUE(OtherSees(version_, 10));
  EXPECT_FALSE(OtherSees(version_, 4));
}

TEST_F(VisibilityTest, OwnInsertThenOwnDelete) {
  Make(&version_, mine_, mine_, /*cmin=*/2, /*cmax=*/4);
  EXPECT_FALSE(Sees(version_, 10, 2));
  EXPECT_TRUE(Sees(version_, 10, 3));
  EXPECT_TRUE(Sees(version_, 10, 4));
  EXPECT_FALSE(Sees(version_, 10, 5));
  EXPECT_FALSE(OtherSees(version_, 10));
}

TEST_F(VisibilityTest, OtherActiveTransaction) {
  uint64_t other = Start(1, 3);
  // Its insert is invisible, at any read timestamp and command.
  Make(&version_, other, kInfinity, 0);
  EXPECT_FALSE(Sees(version_, 100, 0));
  EXPECT_FALSE(Sees(version_, 100, 1000));
  // Its delete or update does not hide the version (the erratum's case).
  Make(&version_, 5, other, 0, 0);
  EXPECT_TRUE(Sees(version_, 100, 0));
  EXPECT_TRUE(Sees(version_, 100, 1000));
  EXPECT_FALSE(Sees(version_, 4, 0));
  EXPECT_FALSE(EndIsOpen(slots_, &version_));  // but nobody else may update it
}

TEST_F(VisibilityTest, OtherCommittedTransaction) {
  uint64_t other = Start(2, 11);
  SetState(2, TxnState::kCommitted, 50);
  Make(&version_, other, kInfinity);
  EXPECT_FALSE(Sees(version_, 49));  // committed after my read timestamp
  EXPECT_TRUE(Sees(version_, 50));
  EXPECT_TRUE(Sees(version_, 51));
  Make(&version_, 5, other);
  EXPECT_TRUE(Sees(version_, 49));  // replaced after my read timestamp
  EXPECT_FALSE(Sees(version_, 50));
  EXPECT_FALSE(Sees(version_, 51));
  EXPECT_FALSE(EndIsOpen(slots_, &version_));
  TxnOutcome outcome = ResolveTxn(slots_, other);
  EXPECT_EQ(outcome.state, TxnState::kCommitted);
  EXPECT_EQ(outcome.commit_ts, 50u);
}

TEST_F(VisibilityTest, OtherAbortedTransaction) {
  uint64_t other = Start(3, 5);
  SetState(3, TxnState::kAborted);
  Make(&version_, other, kInfinity);
  EXPECT_FALSE(Sees(version_, 100));
  EXPECT_FALSE(Sees(version_, kInfinity - 1));
  Make(&version_, 5, other);
  EXPECT_TRUE(Sees(version_, 100));  // its delete never happened
  EXPECT_TRUE(EndIsOpen(slots_, &version_));
  EXPECT_EQ(ResolveTxn(slots_, other).state, TxnState::kAborted);
}

TEST_F(VisibilityTest, EndIsOpen) {
  Make(&version_, 5, kInfinity);
  EXPECT_TRUE(EndIsOpen(slots_, &version_));
  Make(&version_, 5, 9);
  EXPECT_FALSE(EndIsOpen(slots_, &version_));
  Make(&version_, 5, mine_);
  EXPECT_FALSE(EndIsOpen(slots_, &version_));
}

TEST_F(VisibilityTest, ResolveTxnOfSlotThatMovedOn) {
  uint64_t old_id = Start(1, 3);
  Start(1, 4);  // same slot, next transaction
  EXPECT_EQ(ResolveTxn(slots_, old_id).state, TxnState::kIdle);
}

// A reader that finds a txn id whose slot has moved on reloads the word, which
// the finished owner has re-stamped by then (or is about to).
TEST_F(VisibilityTest, ReloadsWordWhenOwnerMovedOn) {
  uint64_t old_id = Start(1, 3);
  Make(&version_, old_id, kInfinity);
  Start(1, 4);
  std::atomic<bool> started{false};
  std::thread stamper([&] {
    started.store(true);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    version_.begin.store(12, std::memory_order_release);
  });
  while (!started.load()) std::this_thread::yield();
  EXPECT_TRUE(Sees(version_, 12));
  stamper.join();
  EXPECT_FALSE(Sees(version_, 11));
}

// A reader that finds the owner taking its commit timestamp waits for it.
TEST_F(VisibilityTest, WaitsWhileOwnerIsCommitting) {
  uint64_t other = Start(2, 9);
  SetState(2, TxnState::kCommitting);
  Make(&version_, other, kInfinity);
  std::thread committer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    SetState(2, TxnState::kCommitted, 30);
  });
  EXPECT_FALSE(Sees(version_, 29));
  EXPECT_TRUE(Sees(version_, 30));
  committer.join();
}

// ---------------------------------------------------------------------------
// The same rules through real transactions.

class TxnVisibilityTest : public test::TwoSessions {
 protected:
  bool Sees(Transaction &txn, const Version *version, uint32_t command_id = 0) {
    return IsVisible(engine_->slots(), version, txn.View(txn.first_read_ts(), command_id));
  }
};

TEST_F(TxnVisibilityTest, UncommittedInsertAndCommit) {
  a_.Begin();
  b_.Begin();
  Version *v = InsertValue(a_, table_, 1, 0);
  ASSERT_NE(v, nullptr);
  EXPECT_TRUE(IsTxnId(v->begin.load()));
  EXPECT_FALSE(Sees(a_, v, 0));
  EXPECT_TRUE(Sees(a_, v, 1));
  EXPECT_FALSE(Sees(b_, v, 5));
  Timestamp ts = a_.Commit();
  EXPECT_GT(ts, 0u);
  EXPECT_EQ(v->begin.load(), ts);
  EXPECT_FALSE(Sees(b_, v, 5));  // b's snapshot is older
  b_.Commit();
  b_.Begin();
  EXPECT_GE(b_.first_read_ts(), ts);
  EXPECT_TRUE(Sees(b_, v));
  EXPECT_TRUE(IsVisible(engine_->slots(), v, OutsideView(ts)));
  EXPECT_FALSE(IsVisible(engine_->slots(), v, OutsideView(ts - 1)));
  b_.Commit();
}

TEST_F(TxnVisibilityTest, UpdatedByUncommittedTxnStillVisibleToOthers) {
  Version *v0 = test::CommitInserts(engine_.get(), table_, {10})[0];
  a_.Begin();
  b_.Begin();
  Status status;
  Version *v1 = UpdateValue(a_, table_, v0, 11, 0, 1, &status);
  ASSERT_EQ(status, Status::kOk);
  EXPECT_EQ(v0->end.load(), a_.id());
  // b sees the old version and not the new one.
  EXPECT_TRUE(Sees(b_, v0));
  EXPECT_FALSE(Sees(b_, v1));
  EXPECT_EQ(ValueOf(test::VisibleVersion(engine_.get(), v0->row, b_.View(b_.first_read_ts(), 0))),
            10);
  // a sees the old one in the updating command, the new one afterwards.
  EXPECT_TRUE(Sees(a_, v0, 0));
  EXPECT_FALSE(Sees(a_, v1, 0));
  EXPECT_FALSE(Sees(a_, v0, 1));
  EXPECT_TRUE(Sees(a_, v1, 1));
  Timestamp ts = a_.Commit();
  // b's snapshot still sees v0; a new snapshot sees v1.
  EXPECT_TRUE(Sees(b_, v0));
  EXPECT_FALSE(Sees(b_, v1));
  EXPECT_FALSE(IsVisible(engine_->slots(), v0, OutsideView(ts)));
  EXPECT_TRUE(IsVisible(engine_->slots(), v1, OutsideView(ts)));
  b_.Commit();
}

TEST_F(TxnVisibilityTest, AbortedWritesAreInvisible) {
  Version *v0 = test::CommitInserts(engine_.get(), table_, {10})[0];
  a_.Begin();
  Version *inserted = InsertValue(a_, table_, 20, 0);
  ASSERT_NE(inserted, nullptr);
  ASSERT_EQ(a_.Delete(table_, v0, 0, 1), Status::kOk);
  b_.Begin();
  EXPECT_TRUE(Sees(b_, v0));
  EXPECT_FALSE(Sees(b_, inserted));
  a_.Abort();
  EXPECT_EQ(v0->end.load(), kInfinity);
  EXPECT_TRUE(Sees(b_, v0));
  b_.Commit();
  b_.Begin();
  EXPECT_TRUE(Sees(b_, v0));
  EXPECT_EQ(test::ScanValues(engine_.get(), table_, b_.View(b_.first_read_ts(), 0)),
            std::vector<int64_t>{10});
  b_.Commit();
}

}  // namespace
}  // namespace memopt

// range_index_test.cpp - the ordered range index (B+-tree with optimistic lock
// coupling): order, seek semantics, duplicates, long keys, comparator
// failures, out of memory, concurrent writers with scanners, memory return.
//
// Rows are never dereferenced by the index, so tests use made-up Row
// addresses. Keys are native int64 (Int64Comparator) or byte strings
// (BytesComparator, memcmp order).
#include "memopt/range_index.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "test_engine.h"

namespace memopt {
namespace {

using test::Scaled;
using test::TestEngine;

// --- Keys, rows and comparators ---------------------------------------------------

Row *RowAt(uint64_t n) { return reinterpret_cast<Row *>((n + 1) * 64); }
uint64_t RowNumber(const Row *row) { return reinterpret_cast<uint64_t>(row) / 64 - 1; }

struct IntKey {
  int64_t value;
  KeyRef ref() const { return KeyRef{&value, sizeof value}; }
};

int64_t KeyValue(KeyRef key) {
  int64_t value;
  EXPECT_EQ(key.size, sizeof value);
  std::memcpy(&value, key.data, sizeof value);
  return value;
}

// Int64 order; can be told to fail on its n-th call from now, or whenever
// one side is a chosen key.
struct FailingInt64 {
  std::atomic<int64_t> calls_until_failure{-1};  // <0: never
  std::atomic<bool> poison_enabled{false};
  int64_t poison = 0;
  std::atomic<uint64_t> failures{0};
};

int CompareInt64(const void *context, KeyRef a, KeyRef b, bool *failed) {
  auto *state = static_cast<FailingInt64 *>(const_cast<void *>(context));
  int64_t x, y;
  std::memcpy(&x, a.data, sizeof x);
  std::memcpy(&y, b.data, sizeof y);
  if (state != nullptr) {
    bool fail = state->poison_enabled.load(std::memory_order_relaxed) &&
                (x == state->poison || y == state->poison);
    if (state->calls_until_failure.load(std::memory_order_relaxed) >= 0 &&
        state->calls_until_failure.fetch_sub(1) == 0)
      fail = true;
    if (fail) {
      state->failures.fetch_add(1);
      *failed = true;
      return 0;
    }
  }
  return x < y ? -1 : x > y ? 1 : 0;
}

// Which prefixes the comparators give, for the whole test: every test runs
// with none, with exact ones (an int64's order as unsigned) and with coarse
// ones (64 neighbouring keys share one, so bisections end in runs of ties).
enum class Prefixes { kNone, kExact, kCoarse };
Prefixes prefix_mode = Prefixes::kNone;

uint64_t Int64Prefix(const void *, KeyRef key) {
  int64_t value;
  std::memcpy(&value, key.data, sizeof value);
  uint64_t exact = static_cast<uint64_t>(value) ^ (uint64_t{1} << 63);
  return prefix_mode == Prefixes::kExact ? exact : exact >> 6;
}

// memcmp order: the first 8 bytes, zero-padded, big-endian.
uint64_t BytesPrefix(const void *, KeyRef key) {
  unsigned char first[8] = {};
  std::memcpy(first, key.data, std::min<size_t>(key.size, sizeof first));
  uint64_t prefix = 0;
  for (unsigned char byte : first) prefix = prefix << 8 | byte;
  return prefix_mode == Prefixes::kExact ? prefix : prefix >> 12;
}

KeyComparator Int64Comparator(FailingInt64 *state = nullptr) {
  return KeyComparator{CompareInt64, state, prefix_mode == Prefixes::kNone ? nullptr : Int64Prefix};
}

int CompareBytes(const void *, KeyRef a, KeyRef b, bool *) {
  int result = std::memcmp(a.data, b.data, std::min(a.size, b.size));
  if (result != 0) return result;
  return a.size < b.size ? -1 : a.size > b.size ? 1 : 0;
}

KeyComparator BytesComparator() {
  return KeyComparator{CompareBytes, nullptr,
                       prefix_mode == Prefixes::kNone ? nullptr : BytesPrefix};
}

using Entry = std::pair<int64_t, uint64_t>;  // key, row number
using TextEntry = std::pair<std::string, uint64_t>;
using TextEntries = std::vector<TextEntry>;

// --- Fixture -----------------------------------------------------------------------

class RangeIndexTest : public ::testing::TestWithParam<Prefixes> {
 protected:
  void SetUp() override {
    prefix_mode = GetParam();
    Open();
  }
  void TearDown() override {
    if (txn_ != nullptr && txn_->active()) txn_->Commit();
    if (index_ != nullptr) index_->Destroy(engine_->get());
    txn_.reset();
  }

  void Open(size_t bytes = size_t{256} << 20) {
    engine_ = std::make_unique<TestEngine>(bytes);
    ASSERT_NE(engine_->get(), nullptr);
    ASSERT_EQ(RangeIndex::Create(engine_->get(), &index_), Status::kOk);
    txn_ = std::make_unique<Transaction>(engine_->get());
    ASSERT_EQ(txn_->Attach(1), Status::kOk);
    txn_->Begin();  // every index call runs inside a transaction
  }

  Status Insert(int64_t key, uint64_t row, const KeyComparator &cmp = Int64Comparator()) {
    bool failed = true;
    Status status = index_->Insert(IntKey{key}.ref(), RowAt(row), cmp, &failed);
    EXPECT_FALSE(failed);
    return status;
  }
  Status Remove(int64_t key, uint64_t row, const KeyComparator &cmp = Int64Comparator()) {
    bool failed = true;
    Status status = index_->Remove(IntKey{key}.ref(), RowAt(row), cmp, &failed);
    EXPECT_FALSE(failed);
    return status;
  }

  std::vector<Entry> ScanForward(const KeyComparator &cmp = Int64Comparator()) {
    std::vector<Entry> seen;
    for (auto it = index_->Scan(SeekMode::kFirst, KeyRef{nullptr, 0}, cmp); it.Valid(); it.Next())
      seen.emplace_back(KeyValue(it.Key()), RowNumber(it.GetRow()));
    return seen;
  }
  std::vector<Entry> ScanBackward(const KeyComparator &cmp = Int64Comparator()) {
    std::vector<Entry> seen;
    for (auto it = index_->Scan(SeekMode::kLast, KeyRef{nullptr, 0}, cmp); it.Valid(); it.Prev())
      seen.emplace_back(KeyValue(it.Key()), RowNumber(it.GetRow()));
    return seen;
  }

  // Entries (key, RowAt(row)) sort by key, then by address: as row numbers.
  static std::vector<Entry> Sorted(std::set<Entry> entries) {
    return std::vector<Entry>(entries.begin(), entries.end());
  }

  std::unique_ptr<TestEngine> engine_;
  std::unique_ptr<Transaction> txn_;
  RangeIndex *index_ = nullptr;
};

// --- Order and seeks ---------------------------------------------------------------

TEST_P(RangeIndexTest, EmptyIndex) {
  for (SeekMode mode : {SeekMode::kFirst, SeekMode::kLast, SeekMode::kGreaterOrEqual,
                        SeekMode::kGreater, SeekMode::kLessOrEqual, SeekMode::kLess})
    EXPECT_FALSE(index_->Scan(mode, IntKey{5}.ref(), Int64Comparator()).Valid());
  EXPECT_EQ(Remove(5, 1), Status::kNotFound);
  RangeIndexStats stats = index_->Stats();
  EXPECT_EQ(stats.entries, 0u);
  EXPECT_EQ(stats.leaves, 1u);
  EXPECT_EQ(stats.inner_nodes, 0u);
  EXPECT_EQ(stats.height, 1u);
}

TEST_P(RangeIndexTest, ForwardAndBackwardOrder) {
  std::vector<int64_t> keys;
  for (int64_t i = 0; i < 20000; ++i) keys.push_back(i * 2 - 7000);
  std::shuffle(keys.begin(), keys.end(), std::mt19937_64(1));
  std::set<Entry> expected;
  for (int64_t key : keys) {
    ASSERT_EQ(Insert(key, key + 10000), Status::kOk);
    expected.insert({key, key + 10000});
  }
  std::vector<Entry> forward = ScanForward();
  EXPECT_EQ(forward, Sorted(expected));
  std::vector<Entry> backward = ScanBackward();
  std::reverse(backward.begin(), backward.end());
  EXPECT_EQ(backward, Sorted(expected));
  RangeIndexStats stats = index_->Stats();
  EXPECT_EQ(stats.entries, 20000u);
  EXPECT_GT(stats.height, 1u);
  EXPECT_GT(stats.leaves, 1u);
}

// Runs of ascending and descending keys take the insert-edge shortcut
// (insert_edge_); interleaving them with duplicates, re-inserts of present
// pairs and keys landing in the middle must keep the order exact.
TEST_P(RangeIndexTest, RunsOfAscendingAndDescendingKeysKeepTheOrder) {
  std::set<Entry> expected;
  auto add = [&](int64_t key, uint64_t row) {
    ASSERT_EQ(Insert(key, row), Status::kOk);
    expected.insert({key, row});
  };
  for (int64_t k = 0; k < 3000; ++k) add(k, 1);       // ascending: last entry each time
  for (int64_t k = -1; k > -3000; --k) add(k, 1);     // descending: first entry each time
  for (int64_t k = 0; k < 3000; k += 3) add(k, 2);    // duplicates of present keys, in the middle
  for (int64_t k = 2999; k >= 0; k -= 7) add(k, 1);   // present pairs: no-ops
  for (int64_t k = 5000; k > 3000; --k) add(k, 3);    // a descending run above everything
  for (int64_t k = -5000; k < -3000; ++k) add(k, 3);  // an ascending run below everything
  EXPECT_EQ(ScanForward(), Sorted(expected));
  std::vector<Entry> backward = ScanBackward();
  std::reverse(backward.begin(), backward.end());
  EXPECT_EQ(backward, Sorted(expected));
  EXPECT_EQ(index_->Stats().entries, expected.size());
  for (int64_t k = -5000; k <= 5000; k += 97) {  // removals still find every pair
    if (expected.count({k, 3}) == 0) continue;
    EXPECT_EQ(Remove(k, 3), Status::kOk);
    expected.erase({k, 3});
  }
  EXPECT_EQ(ScanForward(), Sorted(expected));
}

TEST_P(RangeIndexTest, InsertOfPresentPairIsNoOpAndRemoveOfAbsentIsNotFound) {
  ASSERT_EQ(Insert(1, 1), Status::kOk);
  ASSERT_EQ(Insert(1, 1), Status::kOk);
  ASSERT_EQ(Insert(1, 2), Status::kOk);
  EXPECT_EQ(index_->Stats().entries, 2u);
  EXPECT_EQ(ScanForward(), (std::vector<Entry>{{1, 1}, {1, 2}}));
  EXPECT_EQ(Remove(1, 3), Status::kNotFound);
  EXPECT_EQ(Remove(2, 1), Status::kNotFound);
  EXPECT_EQ(Remove(1, 1), Status::kOk);
  EXPECT_EQ(Remove(1, 1), Status::kNotFound);
  EXPECT_EQ(ScanForward(), (std::vector<Entry>{{1, 2}}));
}

// Every probe from below the smallest to above the largest key, against a
// reference, for all four seek modes; keys have 1..3 rows so seeks must land
// on the first (>=, >) or last (<=, <) row of a key, across leaf boundaries.
TEST_P(RangeIndexTest, SeekSemanticsAtEveryBoundary) {
  std::set<Entry> expected;
  for (int64_t i = 0; i < 3000; ++i)
    for (uint64_t r = 0; r <= static_cast<uint64_t>(i % 3); ++r) {
      ASSERT_EQ(Insert(i * 3, i * 10 + r), Status::kOk);
      expected.insert({i * 3, i * 10 + r});
    }
  const Entry kNone{-1, ~0ULL};
  auto at = [&](SeekMode mode, int64_t probe) {
    auto it = index_->Scan(mode, IntKey{probe}.ref(), Int64Comparator());
    return it.Valid() ? Entry{KeyValue(it.Key()), RowNumber(it.GetRow())} : kNone;
  };
  for (int64_t probe = -2; probe <= 3000 * 3 + 2; ++probe) {
    auto ge = expected.lower_bound({probe, 0});
    auto gt = expected.upper_bound({probe, ~0ULL});
    auto le = expected.upper_bound({probe, ~0ULL});
    auto lt = expected.lower_bound({probe, 0});
    ASSERT_EQ(at(SeekMode::kGreaterOrEqual, probe), ge == expected.end() ? kNone : *ge) << probe;
    ASSERT_EQ(at(SeekMode::kGreater, probe), gt == expected.end() ? kNone : *gt) << probe;
    ASSERT_EQ(at(SeekMode::kLessOrEqual, probe), le == expected.begin() ? kNone : *std::prev(le))
        << probe;
    ASSERT_EQ(at(SeekMode::kLess, probe), lt == expected.begin() ? kNone : *std::prev(lt)) << probe;
  }
  EXPECT_EQ(at(SeekMode::kFirst, 0), *expected.begin());
  EXPECT_EQ(at(SeekMode::kLast, 0), *expected.rbegin());
}

// Next and Prev may alternate; after running off an end the iterator stays
// invalid.
TEST_P(RangeIndexTest, ChangingDirection) {
  for (int64_t i = 0; i < 1000; ++i) ASSERT_EQ(Insert(i, i), Status::kOk);
  auto it = index_->Scan(SeekMode::kGreaterOrEqual, IntKey{500}.ref(), Int64Comparator());
  ASSERT_TRUE(it.Valid());
  for (int64_t step = 0; step < 300; ++step) ASSERT_TRUE(it.Next());
  EXPECT_EQ(KeyValue(it.Key()), 800);
  for (int64_t step = 0; step < 600; ++step) ASSERT_TRUE(it.Prev());
  EXPECT_EQ(KeyValue(it.Key()), 200);
  ASSERT_TRUE(it.Next());
  EXPECT_EQ(KeyValue(it.Key()), 201);
  while (it.Prev()) {
  }
  EXPECT_FALSE(it.Valid());
  EXPECT_FALSE(it.Next());
  EXPECT_TRUE(it.Seek(SeekMode::kLess, IntKey{0}.ref()) == false);
  EXPECT_TRUE(it.Seek(SeekMode::kLessOrEqual, IntKey{0}.ref()));
  EXPECT_EQ(KeyValue(it.Key()), 0);
}

// An iterator whose entry, leaf and neighbouring leaves are removed (and the
// empty leaves unlinked) between steps goes on from where it was.
TEST_P(RangeIndexTest, IteratorSurvivesRemovalOfItsLeaves) {
  for (int64_t i = 0; i < 10000; ++i) ASSERT_EQ(Insert(i, 0), Status::kOk);
  uint64_t leaves_before = index_->Stats().leaves;
  auto forward = index_->Scan(SeekMode::kGreaterOrEqual, IntKey{5000}.ref(), Int64Comparator());
  auto backward = index_->Scan(SeekMode::kLessOrEqual, IntKey{5000}.ref(), Int64Comparator());
  ASSERT_TRUE(forward.Valid() && backward.Valid());
  ASSERT_EQ(Remove(5000, 0), Status::kOk);  // only the current entry
  ASSERT_TRUE(forward.Next());
  EXPECT_EQ(KeyValue(forward.Key()), 5001);
  ASSERT_TRUE(backward.Prev());
  EXPECT_EQ(KeyValue(backward.Key()), 4999);
  for (int64_t i = 4000; i <= 8000; ++i) {
    if (i == 5000) continue;
    ASSERT_EQ(Remove(i, 0), Status::kOk);
  }
  EXPECT_LT(index_->Stats().leaves, leaves_before - 30);  // emptied leaves are gone
  ASSERT_TRUE(forward.Next());
  EXPECT_EQ(KeyValue(forward.Key()), 8001);
  ASSERT_TRUE(backward.Prev());
  EXPECT_EQ(KeyValue(backward.Key()), 3999);
  ASSERT_EQ(Insert(6000, 0), Status::kOk);  // behind both: not seen
  ASSERT_TRUE(forward.Next());
  EXPECT_EQ(KeyValue(forward.Key()), 8002);
  ASSERT_TRUE(backward.Prev());
  EXPECT_EQ(KeyValue(backward.Key()), 3998);
  ASSERT_TRUE(forward.Prev());
  ASSERT_TRUE(forward.Prev());
  EXPECT_EQ(KeyValue(forward.Key()), 6000);
  ASSERT_TRUE(forward.Prev());
  EXPECT_EQ(KeyValue(forward.Key()), 3999);
}

TEST_P(RangeIndexTest, ManyRowsOfOneKeySpanLeaves) {
  const uint64_t kRows = 5000;
  std::vector<uint64_t> rows;
  for (uint64_t r = 0; r < kRows; ++r) rows.push_back(r);
  std::shuffle(rows.begin(), rows.end(), std::mt19937_64(2));
  ASSERT_EQ(Insert(9, 0), Status::kOk);
  ASSERT_EQ(Insert(11, 0), Status::kOk);
  for (uint64_t r : rows) ASSERT_EQ(Insert(10, r), Status::kOk);

  auto it = index_->Scan(SeekMode::kGreaterOrEqual, IntKey{10}.ref(), Int64Comparator());
  for (uint64_t r = 0; r < kRows; ++r, it.Next()) {
    ASSERT_TRUE(it.Valid());
    ASSERT_EQ(KeyValue(it.Key()), 10);
    ASSERT_EQ(RowNumber(it.GetRow()), r);
  }
  ASSERT_TRUE(it.Valid());
  EXPECT_EQ(KeyValue(it.Key()), 11);

  for (uint64_t r = 0; r < kRows; r += 2) ASSERT_EQ(Remove(10, r), Status::kOk);
  it = index_->Scan(SeekMode::kLessOrEqual, IntKey{10}.ref(), Int64Comparator());
  for (uint64_t r = kRows - 1; r < kRows; r -= 2, it.Prev()) {
    ASSERT_TRUE(it.Valid());
    ASSERT_EQ(RowNumber(it.GetRow()), r);
  }
  ASSERT_TRUE(it.Valid());
  EXPECT_EQ(KeyValue(it.Key()), 9);
  EXPECT_EQ(index_->Stats().entries, kRows / 2 + 2);
}

// What an insert reports about equal keys beside it is never wrong: kSome
// only if the key was there, kNone only if it was not.
TEST_P(RangeIndexTest, EqualKeysReportIsNeverWrong) {
  std::mt19937_64 random(11);
  std::multiset<int64_t> present;
  int unknown = 0;
  const int kInserts = 60000;
  for (int i = 0; i < kInserts; ++i) {
    int64_t key = static_cast<int64_t>(random() % 20000);
    RangeIndex::EqualKeys seen;
    bool failed = true;
    ASSERT_EQ(index_->Insert(IntKey{key}.ref(), RowAt(static_cast<uint64_t>(i)), Int64Comparator(),
                             &failed, &seen),
              Status::kOk);
    bool was_there = present.count(key) > 0;
    if (seen == RangeIndex::EqualKeys::kSome) {
      ASSERT_TRUE(was_there) << key;
    }
    if (seen == RangeIndex::EqualKeys::kNone) {
      ASSERT_FALSE(was_there) << key;
    }
    if (seen == RangeIndex::EqualKeys::kUnknown) ++unknown;
    present.insert(key);
  }
  // Only entries landing at an inner edge of a leaf are unknown.
  EXPECT_LT(unknown, kInserts / 20);
}

// Runs of distinct ascending or descending keys (a serial key, the issue's
// insert loop) always know there is no equal key: no search after insert.
TEST_P(RangeIndexTest, DistinctKeysInRunsNeverNeedASearch) {
  for (int64_t key : {1, 2}) {
    RangeIndex::EqualKeys seen;
    bool failed = true;
    ASSERT_EQ(index_->Insert(IntKey{key}.ref(), RowAt(0), Int64Comparator(), &failed, &seen),
              Status::kOk);
  }
  for (int64_t n = 0; n < 20000; ++n) {
    for (int64_t key : {-n - 1, n + 3}) {
      RangeIndex::EqualKeys seen;
      bool failed = true;
      ASSERT_EQ(index_->Insert(IntKey{key}.ref(), RowAt(1), Int64Comparator(), &failed, &seen),
                Status::kOk);
      ASSERT_EQ(seen, RangeIndex::EqualKeys::kNone) << key;
    }
  }
  RangeIndex::EqualKeys seen;
  bool failed = true;
  ASSERT_EQ(index_->Insert(IntKey{-7}.ref(), RowAt(2), Int64Comparator(), &failed, &seen),
            Status::kOk);
  EXPECT_NE(seen, RangeIndex::EqualKeys::kNone);
}

TEST_P(RangeIndexTest, RemoveInterleavedWithInserts) {
  std::mt19937_64 random(3);
  std::set<Entry> expected;
  const int rounds = test::kUnderTsan ? 20000 : 200000;
  for (int round = 0; round < rounds; ++round) {
    int64_t key = static_cast<int64_t>(random() % 5000);
    uint64_t row = random() % 4;
    if (random() % 2 == 0) {
      ASSERT_EQ(Insert(key, row), Status::kOk);
      expected.insert({key, row});
    } else {
      bool present = expected.erase({key, row}) > 0;
      ASSERT_EQ(Remove(key, row), present ? Status::kOk : Status::kNotFound);
    }
  }
  EXPECT_EQ(ScanForward(), Sorted(expected));
  EXPECT_EQ(index_->Stats().entries, expected.size());
}

// Keys of 1..2000 bytes: short ones inline, long ones out of line.
TEST_P(RangeIndexTest, ByteKeysOfManyLengths) {
  std::mt19937_64 random(4);
  std::set<std::pair<std::string, uint64_t>> expected;
  for (uint64_t i = 0; i < 6000; ++i) {
    size_t length = 1 + random() % (i % 4 == 0 ? 2000 : 24);
    std::string key(length, '\0');
    for (char &c : key) c = static_cast<char>('a' + random() % 3);
    bool failed = true;
    ASSERT_EQ(index_->Insert(KeyRef{key.data(), static_cast<uint32_t>(key.size())}, RowAt(i),
                             BytesComparator(), &failed),
              Status::kOk);
    ASSERT_FALSE(failed);
    expected.insert({key, i});
  }
  TextEntries seen;
  for (auto it = index_->Scan(SeekMode::kFirst, KeyRef{nullptr, 0}, BytesComparator()); it.Valid();
       it.Next())
    seen.emplace_back(std::string(static_cast<const char *>(it.Key().data), it.Key().size),
                      RowNumber(it.GetRow()));
  // std::string orders like memcmp-then-length; ties by row number = address.
  ASSERT_EQ(seen, TextEntries(expected.begin(), expected.end()));

  for (const auto &[key, row] : expected) {
    bool failed = true;
    ASSERT_EQ(index_->Remove(KeyRef{key.data(), static_cast<uint32_t>(key.size())}, RowAt(row),
                             BytesComparator(), &failed),
              Status::kOk);
  }
  EXPECT_EQ(index_->Stats().entries, 0u);
  EXPECT_EQ(index_->Stats().leaves, 1u);
}

TEST_P(RangeIndexTest, MillionRandomInsertsThenOrderedCheck) {
  int count = Scaled(1000000);
  if (test::kUnderTsan) count /= 10;
  std::mt19937_64 random(5);
  std::vector<Entry> expected;
  expected.reserve(count);
  for (int i = 0; i < count; ++i) {
    int64_t key = static_cast<int64_t>(random() >> 1) - (int64_t{1} << 62);
    ASSERT_EQ(Insert(key, static_cast<uint64_t>(i)), Status::kOk);
    expected.emplace_back(key, static_cast<uint64_t>(i));
  }
  std::sort(expected.begin(), expected.end());
  size_t index = 0;
  for (auto it = index_->Scan(SeekMode::kFirst, KeyRef{nullptr, 0}, Int64Comparator()); it.Valid();
       it.Next(), ++index) {
    ASSERT_LT(index, expected.size());
    ASSERT_EQ(KeyValue(it.Key()), expected[index].first);
    ASSERT_EQ(RowNumber(it.GetRow()), expected[index].second);
  }
  EXPECT_EQ(index, expected.size());
  RangeIndexStats stats = index_->Stats();
  EXPECT_EQ(stats.entries, static_cast<uint64_t>(count));
  std::printf("[ stats    ] %d entries: %llu leaves, %llu inner nodes, height %llu, %.1f MB\n",
              count, static_cast<unsigned long long>(stats.leaves),
              static_cast<unsigned long long>(stats.inner_nodes),
              static_cast<unsigned long long>(stats.height), stats.bytes / 1048576.0);
}

// --- Comparator failures ---------------------------------------------------------

// A comparator failing on its n-th call, for every n an operation reaches:
// the operation reports it, changes nothing, and the index stays usable.
TEST_P(RangeIndexTest, ComparatorFailureMidwayChangesNothing) {
  FailingInt64 state;
  KeyComparator cmp = Int64Comparator(&state);
  std::set<Entry> expected;
  for (int64_t i = 0; i < 20000; ++i) {
    ASSERT_EQ(Insert(i * 2, 0, cmp), Status::kOk);
    expected.insert({i * 2, 0});
  }
  const std::vector<Entry> before = Sorted(expected);
  for (int64_t n = 0; n < 40; ++n) {
    bool failed = false;
    state.calls_until_failure = n;
    Status status = index_->Insert(IntKey{1001}.ref(), RowAt(7), cmp, &failed);
    bool insert_failed = failed;
    EXPECT_EQ(status, Status::kOk);
    if (!failed) {
      ASSERT_EQ(Remove(1001, 7, Int64Comparator()), Status::kOk);
    }

    state.calls_until_failure = n;
    status = index_->Remove(IntKey{2000}.ref(), RowAt(0), cmp, &failed);
    bool remove_failed = failed;
    EXPECT_EQ(status, Status::kOk);
    if (!failed) {
      ASSERT_EQ(Insert(2000, 0), Status::kOk);  // put it back
    }

    state.calls_until_failure = n;
    auto it = index_->Scan(SeekMode::kGreater, IntKey{3000}.ref(), cmp);
    bool scan_failed = it.comparator_failed();
    EXPECT_EQ(it.Valid(), !scan_failed);
    state.calls_until_failure = -1;

    ASSERT_EQ(ScanForward(), before) << "after failing at call " << n;
    EXPECT_EQ(index_->Stats().entries, before.size());
    // Without prefixes every operation compares at each level; with them
    // only on ties (2000 and 3000 are present, 1001 is not).
    if (n < 3 && prefix_mode == Prefixes::kNone) {
      EXPECT_TRUE(insert_failed && remove_failed && scan_failed) << n;
    }
    if (n == 0) {
      EXPECT_TRUE(remove_failed && scan_failed);
    }
  }
  EXPECT_GT(state.failures.load(), prefix_mode == Prefixes::kNone ? 30u : 1u);

  // Failing on one stored key: every operation whose path compares with it.
  state.poison = 10000;
  state.poison_enabled = true;
  uint64_t failures_before = state.failures.load();
  for (int64_t key = 9990; key <= 10010; ++key) {
    bool failed = false;
    EXPECT_EQ(index_->Insert(IntKey{key}.ref(), RowAt(9), cmp, &failed), Status::kOk);
    if (!failed) {
      ASSERT_EQ(Remove(key, 9, Int64Comparator()), Status::kOk);
    }
  }
  state.poison_enabled = false;
  EXPECT_GT(state.failures.load(), failures_before);
  EXPECT_EQ(ScanForward(), before);

  // Still usable.
  ASSERT_EQ(Insert(10001, 9), Status::kOk);
  ASSERT_EQ(Remove(10000, 0), Status::kOk);
  expected.insert({10001, 9});
  expected.erase({10000, 0});
  EXPECT_EQ(ScanForward(), Sorted(expected));
}

// A scan whose comparator fails while it moves past a leaf end stops, and a
// new scan works.
TEST_P(RangeIndexTest, ComparatorFailureDuringIteration) {
  FailingInt64 state;
  KeyComparator cmp = Int64Comparator(&state);
  for (int64_t i = 0; i < 5000; ++i) ASSERT_EQ(Insert(i, 0), Status::kOk);
  auto it = index_->Scan(SeekMode::kFirst, KeyRef{nullptr, 0}, cmp);
  state.calls_until_failure = 0;  // the next comparison: at the first leaf end
  int steps = 0;
  while (it.Next()) ++steps;
  EXPECT_TRUE(it.comparator_failed());
  EXPECT_LT(steps, 4999);
  state.calls_until_failure = -1;
  EXPECT_EQ(ScanForward().size(), 5000u);
}

// --- Out of memory -----------------------------------------------------------------

TEST_P(RangeIndexTest, OutOfMemoryLeavesIndexValid) {
  index_->Destroy(engine_->get());
  index_ = nullptr;
  txn_->Commit();
  txn_.reset();
  Open(size_t{3} << 20);  // a small arena
  std::set<std::pair<std::string, uint64_t>> expected;
  std::mt19937_64 random(6);
  int out_of_memory = 0;
  for (uint64_t i = 0; out_of_memory < 50 && i < 1000000; ++i) {
    std::string key(1 + random() % (i % 3 == 0 ? 300 : 12), 'k');
    for (char &c : key) c = static_cast<char>('a' + random() % 26);
    bool failed = true;
    Status status = index_->Insert(KeyRef{key.data(), static_cast<uint32_t>(key.size())}, RowAt(i),
                                   BytesComparator(), &failed);
    ASSERT_FALSE(failed);
    if (status == Status::kOutOfMemory) {
      ++out_of_memory;
      continue;
    }
    ASSERT_EQ(status, Status::kOk);
    expected.insert({key, i});
  }
  ASSERT_EQ(out_of_memory, 50);
  auto check = [&] {
    TextEntries seen;
    for (auto it = index_->Scan(SeekMode::kFirst, KeyRef{nullptr, 0}, BytesComparator());
         it.Valid(); it.Next())
      seen.emplace_back(std::string(static_cast<const char *>(it.Key().data), it.Key().size),
                        RowNumber(it.GetRow()));
    ASSERT_EQ(seen, TextEntries(expected.begin(), expected.end()));
    EXPECT_EQ(index_->Stats().entries, expected.size());
  };
  check();

  // Free half, let the memory come back, and put the same entries back: they
  // fit in the room they left (nodes are not merged, so leaves keep it).
  txn_->Commit();
  txn_->Begin();
  std::vector<TextEntry> removed;
  size_t seen = 0;
  for (auto it = expected.begin(); it != expected.end();) {
    if (++seen % 2 == 0) {
      ++it;
      continue;
    }
    bool failed = true;
    ASSERT_EQ(index_->Remove(KeyRef{it->first.data(), static_cast<uint32_t>(it->first.size())},
                             RowAt(it->second), BytesComparator(), &failed),
              Status::kOk);
    removed.push_back(*it);
    it = expected.erase(it);
  }
  txn_->Commit();
  engine_->get()->ReclaimMemory();
  txn_->Begin();
  check();
  for (const TextEntry &entry : removed) {
    bool failed = true;
    ASSERT_EQ(index_->Insert(KeyRef{entry.first.data(), static_cast<uint32_t>(entry.first.size())},
                             RowAt(entry.second), BytesComparator(), &failed),
              Status::kOk);
    expected.insert(entry);
  }
  check();
}

// --- Memory --------------------------------------------------------------------------

TEST_P(RangeIndexTest, MemoryReturnsAfterRemovingEverything) {
  Arena *arena = engine_->get()->arena();
  const int kIndex = static_cast<int>(MemoryKind::kIndex);
  uint64_t empty_bytes = arena->Stats().kinds[kIndex].bytes;
  const int count = test::kUnderTsan ? 20000 : 100000;
  std::vector<std::string> keys;
  for (int i = 0; i < count; ++i) {
    std::string key = std::to_string(i * 7919 % 100003);
    if (i % 5 == 0) key.append(40, 'x');  // out of line
    keys.push_back(key);
    bool failed = true;
    ASSERT_EQ(index_->Insert(KeyRef{key.data(), static_cast<uint32_t>(key.size())}, RowAt(i),
                             BytesComparator(), &failed),
              Status::kOk);
  }
  EXPECT_GT(index_->Stats().height, 2u);
  EXPECT_GT(arena->Stats().kinds[kIndex].bytes, empty_bytes + (size_t{1} << 20));
  for (int i = 0; i < count; ++i) {
    bool failed = true;
    ASSERT_EQ(index_->Remove(KeyRef{keys[i].data(), static_cast<uint32_t>(keys[i].size())},
                             RowAt(i), BytesComparator(), &failed),
              Status::kOk);
  }
  RangeIndexStats stats = index_->Stats();
  EXPECT_EQ(stats.entries, 0u);
  EXPECT_EQ(stats.leaves, 1u);
  EXPECT_EQ(stats.inner_nodes, 0u);
  EXPECT_EQ(stats.height, 1u);
  EXPECT_FALSE(index_->Scan(SeekMode::kFirst, KeyRef{nullptr, 0}, BytesComparator()).Valid());

  txn_->Commit();  // no reader left
  engine_->get()->ReclaimMemory();
  EXPECT_EQ(arena->Stats().retired_bytes, 0u);
  EXPECT_EQ(arena->Stats().kinds[kIndex].bytes, empty_bytes);

  index_->Destroy(engine_->get());
  index_ = nullptr;
  engine_->get()->ReclaimMemory();
  EXPECT_EQ(arena->Stats().kinds[kIndex].bytes, 0u);
  EXPECT_EQ(arena->Stats().retired_bytes, 0u);
}

// A removed entry's key and an unlinked leaf stay readable for a reader that
// started before, and are freed after it ends.
TEST_P(RangeIndexTest, RetiredMemoryWaitsForReaders) {
  std::string long_key(100, 'q');
  bool failed = true;
  for (int i = 0; i < 1000; ++i) {  // short keys in the same (byte) order as the long one
    char key[16];
    int length = std::snprintf(key, sizeof key, "k%06d", i);
    ASSERT_EQ(index_->Insert(KeyRef{key, static_cast<uint32_t>(length)}, RowAt(0),
                             BytesComparator(), &failed),
              Status::kOk);
  }
  ASSERT_EQ(index_->Insert(KeyRef{long_key.data(), 100}, RowAt(1), BytesComparator(), &failed),
            Status::kOk);
  Transaction reader(engine_->get());
  ASSERT_EQ(reader.Attach(2), Status::kOk);
  txn_->Commit();
  reader.Begin();
  txn_->Begin();
  ASSERT_EQ(index_->Remove(KeyRef{long_key.data(), 100}, RowAt(1), BytesComparator(), &failed),
            Status::kOk);
  txn_->Commit();
  engine_->get()->ReclaimMemory();
  EXPECT_GT(engine_->get()->arena()->Stats().retired_bytes, 0u);
  reader.Commit();
  engine_->get()->ReclaimMemory();
  EXPECT_EQ(engine_->get()->arena()->Stats().retired_bytes, 0u);
  txn_->Begin();
}

// --- Concurrency ---------------------------------------------------------------------

// Four writers insert and remove keys of their own ranges (some between the
// stable keys, so leaves holding stable entries split under the scanners;
// some in a region with no stable keys, so leaves empty and are unlinked)
// while two scanners scan random ranges both ways. Every scan must see the
// stable entries of its range exactly, in order, once each, and everything it
// sees in strictly increasing (key, row) order.
class RangeIndexConcurrency : public ::testing::TestWithParam<Prefixes> {};

TEST_P(RangeIndexConcurrency, ScansSeeStableEntriesDuringSplitsAndRemoves) {
  prefix_mode = GetParam();
  TestEngine engine(size_t{512} << 20);
  RangeIndex *index = nullptr;
  ASSERT_EQ(RangeIndex::Create(engine.get(), &index), Status::kOk);
  const KeyComparator cmp = Int64Comparator();
  constexpr int kWriters = 4;
  constexpr int64_t kStableSpan = 40000;  // stable keys: multiples of 4 below this
  constexpr int64_t kDuplicateKey = 20000;
  constexpr int64_t kEmptyRegion = 100000;  // writers only, from here
  constexpr int64_t kRegionPerWriter = 25000;
  constexpr uint64_t kChurnRows = uint64_t{1} << 36;  // row numbers of churn entries

  std::vector<Entry> stable;
  {
    Transaction setup(engine.get());
    ASSERT_EQ(setup.Attach(1), Status::kOk);
    setup.Begin();
    for (int64_t key = 0; key < kStableSpan; key += 4) stable.emplace_back(key, key);
    for (uint64_t r = 0; r < 300; ++r) stable.emplace_back(kDuplicateKey, kStableSpan + r);
    for (const Entry &entry : stable) {
      bool failed;
      ASSERT_EQ(index->Insert(IntKey{entry.first}.ref(), RowAt(entry.second), cmp, &failed),
                Status::kOk);
    }
    setup.Commit();
  }
  std::sort(stable.begin(), stable.end());

  const int rounds = test::kUnderTsan ? Scaled(4) : Scaled(150);
  std::atomic<int> writers_running{kWriters};
  std::atomic<uint64_t> scans{0}, scanned_entries{0}, failures{0};

  auto writer = [&](int w) {
    Transaction txn(engine.get());
    ASSERT_EQ(txn.Attach(10 + w), Status::kOk);
    std::mt19937_64 random(100 + w);
    for (int round = 0; round < rounds; ++round) {
      txn.Begin();
      std::vector<Entry> batch;
      for (int i = 0; i < 3000; ++i) {
        int64_t key;
        if (i % 2 == 0) {  // between stable keys, in this writer's quarter
          key = w * (kStableSpan / kWriters) +
                static_cast<int64_t>(random() % (kStableSpan / kWriters));
          if (key % 4 == 0) ++key;
        } else if (i % 7 == 1) {
          key = kDuplicateKey;  // more rows for the duplicated key
        } else {
          key = kEmptyRegion + w * kRegionPerWriter +
                static_cast<int64_t>(random() % kRegionPerWriter);
        }
        Entry entry{key, kChurnRows + (static_cast<uint64_t>(w) << 24) + round * 4096 + i};
        bool failed;
        if (index->Insert(IntKey{key}.ref(), RowAt(entry.second), cmp, &failed) != Status::kOk ||
            failed)
          failures.fetch_add(1);
        batch.push_back(entry);
      }
      std::shuffle(batch.begin(), batch.end(), random);
      for (const Entry &entry : batch) {
        bool failed;
        if (index->Remove(IntKey{entry.first}.ref(), RowAt(entry.second), cmp, &failed) !=
                Status::kOk ||
            failed)
          failures.fetch_add(1);
      }
      txn.Commit();
      if (round % 4 == 3) engine->ReclaimMemory();
    }
    writers_running.fetch_sub(1);
  };

  auto scanner = [&](int s) {
    Transaction txn(engine.get());
    ASSERT_EQ(txn.Attach(20 + s), Status::kOk);
    std::mt19937_64 random(200 + s);
    while (writers_running.load() > 0 || scans.load() < 20) {
      txn.Begin();
      int64_t low = static_cast<int64_t>(random() % (kEmptyRegion + kWriters * kRegionPerWriter));
      int64_t high = low + static_cast<int64_t>(random() % 60000);
      bool forward = random() % 2 == 0;
      auto first = std::lower_bound(stable.begin(), stable.end(), Entry{low, 0});
      auto last = std::upper_bound(stable.begin(), stable.end(), Entry{high, ~0ULL});
      std::vector<Entry> want(first, last);
      if (!forward) std::reverse(want.begin(), want.end());
      std::vector<Entry> got;
      Entry previous{0, 0};
      bool has_previous = false, ordered = true;
      auto it = forward ? index->Scan(SeekMode::kGreaterOrEqual, IntKey{low}.ref(), cmp)
                        : index->Scan(SeekMode::kLessOrEqual, IntKey{high}.ref(), cmp);
      for (; it.Valid(); forward ? it.Next() : it.Prev()) {
        Entry entry{KeyValue(it.Key()), RowNumber(it.GetRow())};
        if (entry.first < low || entry.first > high) break;
        if (has_previous && (forward ? !(previous < entry) : !(entry < previous))) ordered = false;
        previous = entry;
        has_previous = true;
        if (entry.second < kChurnRows) got.push_back(entry);
        scanned_entries.fetch_add(1, std::memory_order_relaxed);
      }
      EXPECT_FALSE(it.comparator_failed());
      txn.Commit();
      EXPECT_TRUE(ordered) << "scan [" << low << ", " << high << "] out of order";
      ASSERT_EQ(got, want) << "scan [" << low << ", " << high << "] forward=" << forward;
      scans.fetch_add(1);
    }
  };

  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) threads.emplace_back(writer, w);
  for (int s = 0; s < 2; ++s) threads.emplace_back(scanner, s);
  for (auto &thread : threads) thread.join();
  std::printf("[ stress   ] %d rounds x %d writers, %llu scans, %llu entries scanned\n", rounds,
              kWriters, static_cast<unsigned long long>(scans.load()),
              static_cast<unsigned long long>(scanned_entries.load()));
  EXPECT_EQ(failures.load(), 0u);

  Transaction txn(engine.get());
  ASSERT_EQ(txn.Attach(1), Status::kOk);
  txn.Begin();
  std::vector<Entry> all;
  for (auto it = index->Scan(SeekMode::kFirst, KeyRef{nullptr, 0}, cmp); it.Valid(); it.Next())
    all.emplace_back(KeyValue(it.Key()), RowNumber(it.GetRow()));
  EXPECT_EQ(all, stable);
  EXPECT_EQ(index->Stats().entries, stable.size());
  for (const Entry &entry : stable) {
    bool failed;
    ASSERT_EQ(index->Remove(IntKey{entry.first}.ref(), RowAt(entry.second), cmp, &failed),
              Status::kOk);
  }
  txn.Commit();
  engine->ReclaimMemory();
  RangeIndexStats stats = index->Stats();
  EXPECT_EQ(stats.entries, 0u);
  EXPECT_EQ(stats.leaves, 1u);
  EXPECT_EQ(stats.inner_nodes, 0u);
  index->Destroy(engine.get());
  engine->ReclaimMemory();
  EXPECT_EQ(engine->arena()->Stats().kinds[static_cast<int>(MemoryKind::kIndex)].bytes, 0u);
}

std::string PrefixName(const ::testing::TestParamInfo<Prefixes> &info) {
  switch (info.param) {
    case Prefixes::kNone:
      return "NoPrefixes";
    case Prefixes::kExact:
      return "ExactPrefixes";
    case Prefixes::kCoarse:
      return "CoarsePrefixes";
  }
  return "?";
}

INSTANTIATE_TEST_SUITE_P(All, RangeIndexTest,
                         ::testing::Values(Prefixes::kNone, Prefixes::kExact, Prefixes::kCoarse),
                         PrefixName);
INSTANTIATE_TEST_SUITE_P(All, RangeIndexConcurrency,
                         ::testing::Values(Prefixes::kNone, Prefixes::kCoarse), PrefixName);

}  // namespace
}  // namespace memopt

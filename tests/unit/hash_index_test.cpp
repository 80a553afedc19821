// hash_index_test.cpp - the concurrent hash index (include/memopt/hash_index.h):
// basics, duplicates under one hash, growth from one bucket, a full arena,
// writers and readers at once (during resizes too), and memory coming back.
//
// Rows are fake, never-dereferenced pointers that encode an id, so a lookup
// can check that what it got is exactly what was stored under that hash.
// Threads that touch the index run inside a Transaction, which is what keeps
// retired nodes readable; they restart it now and then so memory is reclaimed
// (and reused) while others run. Iteration counts scale with
// MEMOPT_STRESS_SCALE and are smaller under ThreadSanitizer.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <random>
#include <thread>
#include <vector>

#include "memopt/hash_index.h"
#include "test_engine.h"

namespace memopt {
namespace {

using test::Scaled;
using test::TestEngine;

int Iterations(int normal, int under_tsan) {
  return Scaled(test::kUnderTsan ? under_tsan : normal);
}

// splitmix64's finalizer: callers of the index pass well-mixed hashes.
uint64_t Mix(uint64_t value) {
  value += 0x9e3779b97f4a7c15ULL;
  value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9ULL;
  value = (value ^ (value >> 27)) * 0x94d049bb133111ebULL;
  return value ^ (value >> 31);
}

Row *FakeRow(uint64_t id) { return reinterpret_cast<Row *>((id + 1) << 3); }
uint64_t IdOf(const Row *row) { return (reinterpret_cast<uintptr_t>(row) >> 3) - 1; }

std::vector<Row *> RowsUnder(const HashIndex *index, uint64_t hash) {
  std::vector<Row *> rows;
  index->Lookup(hash, [&](Row *row) {
    rows.push_back(row);
    return true;
  });
  return rows;
}

bool Has(const HashIndex *index, uint64_t hash, Row *row) {
  bool found = false;
  index->Lookup(hash, [&](Row *candidate) {
    found = candidate == row;
    return !found;
  });
  return found;
}

uint64_t IndexBytes(Engine *engine) {
  return engine->arena()->Stats().kinds[static_cast<int>(MemoryKind::kIndex)].bytes;
}

// A session for one thread: attached and inside a transaction.
class Session {
 public:
  Session(Engine *engine, int32_t id) : engine_(engine), txn_(engine) {
    EXPECT_EQ(txn_.Attach(id), Status::kOk);
    txn_.Begin();
  }
  ~Session() {
    if (txn_.active()) txn_.Commit();
  }
  // Ends the transaction and starts another, so reclamation can move on.
  // Advancing the clock stands in for the commits of the engine's writers:
  // a transaction that starts at the same clock value as a retirement still
  // counts as a possible holder, so without it nothing would ever be freed.
  void Restart() {
    txn_.Commit();
    engine_->NextCommitTimestamp();
    txn_.Begin();
  }

 private:
  Engine *engine_;
  Transaction txn_;
};

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

TEST(HashIndexTest, InsertLookupRemove) {
  TestEngine engine;
  HashIndex *index = nullptr;
  ASSERT_EQ(HashIndex::Create(engine.get(), 16, &index), Status::kOk);
  Session session(engine.get(), 1);
  const uint64_t hash = Mix(1);

  EXPECT_TRUE(RowsUnder(index, hash).empty());
  EXPECT_EQ(index->Insert(hash, FakeRow(1)), Status::kOk);
  EXPECT_EQ(RowsUnder(index, hash), std::vector<Row *>{FakeRow(1)});
  EXPECT_TRUE(RowsUnder(index, Mix(2)).empty());

  // Adding a pair twice is a no-op.
  EXPECT_EQ(index->Insert(hash, FakeRow(1)), Status::kOk);
  EXPECT_EQ(RowsUnder(index, hash).size(), 1u);
  EXPECT_EQ(index->entry_count(), 1u);

  // One row under several hashes.
  EXPECT_EQ(index->Insert(Mix(2), FakeRow(1)), Status::kOk);
  EXPECT_EQ(RowsUnder(index, Mix(2)), std::vector<Row *>{FakeRow(1)});

  EXPECT_EQ(index->Remove(hash, FakeRow(1)), Status::kOk);
  EXPECT_EQ(index->Remove(hash, FakeRow(1)), Status::kNotFound);
  EXPECT_EQ(index->Remove(Mix(3), FakeRow(1)), Status::kNotFound);
  EXPECT_TRUE(RowsUnder(index, hash).empty());
  EXPECT_EQ(RowsUnder(index, Mix(2)), std::vector<Row *>{FakeRow(1)});
  EXPECT_EQ(index->entry_count(), 1u);
  index->Destroy(engine.get());
}

TEST(HashIndexTest, ExtremeHashesAreKeptApart) {
  TestEngine engine;
  HashIndex *index = nullptr;
  ASSERT_EQ(HashIndex::Create(engine.get(), 1, &index), Status::kOk);
  Session session(engine.get(), 1);
  // Hashes that differ only in the top bit, or are 0 / all ones / bucket
  // numbers, share list positions with sentinels or each other.
  const std::vector<uint64_t> hashes = {0, 1ULL << 63, 1,  (1ULL << 63) | 1, ~0ULL, ~0ULL >> 1,
                                        2, 8,          16, 1ULL << 40};
  for (size_t i = 0; i < hashes.size(); ++i)
    ASSERT_EQ(index->Insert(hashes[i], FakeRow(i)), Status::kOk);
  for (size_t i = 0; i < hashes.size(); ++i)
    EXPECT_EQ(RowsUnder(index, hashes[i]), std::vector<Row *>{FakeRow(i)}) << "hash " << hashes[i];

  // ForEach gives back the exact hashes.
  std::vector<std::pair<uint64_t, Row *>> seen;
  index->ForEach([&](uint64_t hash, Row *row) { seen.emplace_back(hash, row); });
  std::vector<std::pair<uint64_t, Row *>> expected;
  for (size_t i = 0; i < hashes.size(); ++i) expected.emplace_back(hashes[i], FakeRow(i));
  std::sort(seen.begin(), seen.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(seen, expected);
  index->Destroy(engine.get());
}

TEST(HashIndexTest, ManyRowsUnderOneHash) {
  TestEngine engine;
  HashIndex *index = nullptr;
  ASSERT_EQ(HashIndex::Create(engine.get(), 4, &index), Status::kOk);
  Session session(engine.get(), 1);
  const uint64_t hash = Mix(42);
  const uint64_t kRows = 5000;
  for (uint64_t id = 0; id < kRows; ++id) {
    ASSERT_EQ(index->Insert(hash, FakeRow(id)), Status::kOk);
    ASSERT_EQ(index->Insert(Mix(id + 1000000), FakeRow(id)), Status::kOk);  // neighbours
  }
  std::vector<Row *> rows = RowsUnder(index, hash);
  ASSERT_EQ(rows.size(), kRows);
  std::sort(rows.begin(), rows.end());
  for (uint64_t id = 0; id < kRows; ++id) EXPECT_EQ(rows[id], FakeRow(id));

  // fn returning false stops the walk.
  int calls = 0;
  index->Lookup(hash, [&](Row *) { return ++calls < 5; });
  EXPECT_EQ(calls, 5);

  for (uint64_t id = 0; id < kRows; id += 2)
    ASSERT_EQ(index->Remove(hash, FakeRow(id)), Status::kOk);
  rows = RowsUnder(index, hash);
  ASSERT_EQ(rows.size(), kRows / 2);
  for (Row *row : rows) EXPECT_EQ(IdOf(row) % 2, 1u);
  index->Destroy(engine.get());
}

TEST(HashIndexTest, GrowsFromOneBucketAndFindsEverything) {
  TestEngine engine;
  HashIndex *index = nullptr;
  ASSERT_EQ(HashIndex::Create(engine.get(), 1, &index), Status::kOk);
  Session session(engine.get(), 1);
  const uint64_t kEntries = Iterations(1000000, 200000);
  for (uint64_t id = 0; id < kEntries; ++id)
    ASSERT_EQ(index->Insert(Mix(id), FakeRow(id)), Status::kOk);

  for (uint64_t id = 0; id < kEntries; ++id) {
    std::vector<Row *> rows = RowsUnder(index, Mix(id));
    ASSERT_EQ(rows, std::vector<Row *>{FakeRow(id)}) << "id " << id;
  }
  EXPECT_TRUE(RowsUnder(index, Mix(kEntries + 1)).empty());

  HashIndexStats stats = index->Stats();
  std::printf(
      "[ stats    ] %llu entries, %llu buckets, load %.2f, longest chain %llu, %llu bytes\n",
      static_cast<unsigned long long>(stats.entries),
      static_cast<unsigned long long>(stats.buckets), stats.load_factor,
      static_cast<unsigned long long>(stats.longest_chain),
      static_cast<unsigned long long>(stats.bytes));
  EXPECT_EQ(stats.entries, kEntries);
  EXPECT_LE(stats.load_factor, double{HashIndex::kMaxLoad});
  EXPECT_GE(stats.load_factor, 0.5);
  EXPECT_LE(stats.longest_chain, 16u);  // Poisson(2) tail over 1M buckets: ~11
  uint64_t walked = 0;
  index->ForEach([&](uint64_t hash, Row *row) {
    EXPECT_EQ(hash, Mix(IdOf(row)));
    ++walked;
  });
  EXPECT_EQ(walked, kEntries);
  index->Destroy(engine.get());
}

TEST(HashIndexTest, FullArenaReturnsOutOfMemoryAndStaysUsable) {
  TestEngine engine(size_t{2} << 20, 8);
  ASSERT_NE(engine.get(), nullptr);
  HashIndex *index = nullptr;
  ASSERT_EQ(HashIndex::Create(engine.get(), 1, &index), Status::kOk);
  Session session(engine.get(), 1);

  uint64_t inserted = 0;
  Status status = Status::kOk;
  while ((status = index->Insert(Mix(inserted), FakeRow(inserted))) == Status::kOk) ++inserted;
  EXPECT_EQ(status, Status::kOutOfMemory);
  ASSERT_GT(inserted, 1000u);
  EXPECT_EQ(index->entry_count(), inserted);
  // A pair that is already there is still a no-op, not an error.
  EXPECT_EQ(index->Insert(Mix(0), FakeRow(0)), Status::kOk);
  HashIndex *another = nullptr;
  EXPECT_EQ(HashIndex::Create(engine.get(), 1, &another), Status::kOutOfMemory);
  EXPECT_EQ(another, nullptr);

  for (uint64_t id = 0; id < inserted; ++id) ASSERT_TRUE(Has(index, Mix(id), FakeRow(id))) << id;
  EXPECT_FALSE(Has(index, Mix(inserted), FakeRow(inserted)));

  // Removing makes room again (retired nodes are reclaimed on demand).
  for (uint64_t id = 0; id < 100; ++id) ASSERT_EQ(index->Remove(Mix(id), FakeRow(id)), Status::kOk);
  session.Restart();
  for (uint64_t id = inserted; id < inserted + 100; ++id)
    ASSERT_EQ(index->Insert(Mix(id), FakeRow(id)), Status::kOk) << id;
  for (uint64_t id = 100; id < inserted + 100; ++id)
    ASSERT_TRUE(Has(index, Mix(id), FakeRow(id))) << id;
  EXPECT_EQ(index->Stats().entries, inserted);
}

TEST(HashIndexTest, MemoryComesBackAfterRemovingEverything) {
  TestEngine engine;
  Engine *e = engine.get();
  const uint64_t before_create = IndexBytes(e);
  HashIndex *index = nullptr;
  ASSERT_EQ(HashIndex::Create(e, 1, &index), Status::kOk);
  const uint64_t start = IndexBytes(e);
  const uint64_t kEntries = 100000;

  auto fill_and_empty = [&]() {
    Session session(e, 1);
    for (uint64_t id = 0; id < kEntries; ++id)
      ASSERT_EQ(index->Insert(Mix(id), FakeRow(id)), Status::kOk);
    for (uint64_t id = 0; id < kEntries; ++id)
      ASSERT_EQ(index->Remove(Mix(id), FakeRow(id)), Status::kOk);
  };
  fill_and_empty();
  e->ReclaimMemory();  // no transaction runs: every removed node is freed
  HashIndexStats stats = index->Stats();
  EXPECT_EQ(stats.entries, 0u);
  EXPECT_EQ(e->arena()->retired_bytes(), 0u);
  // What stays is the bucket sentinels of the grown table (never shrunk),
  // plus the arena's headers and size-class rounding on those few blocks.
  const uint64_t after_first = IndexBytes(e);
  EXPECT_LE(after_first - start, stats.bucket_bytes * 5 / 4 + 4096);
  EXPECT_LT(stats.bytes - stats.bucket_bytes, 4096u);  // just the header: no entry left

  // A second round leaks nothing.
  fill_and_empty();
  e->ReclaimMemory();
  EXPECT_EQ(IndexBytes(e), after_first);

  index->Destroy(e);
  e->ReclaimMemory();
  EXPECT_EQ(IndexBytes(e), before_create);
}

TEST(HashIndexTest, ForEachCanRemoveWhatItVisits) {
  TestEngine engine;
  HashIndex *index = nullptr;
  ASSERT_EQ(HashIndex::Create(engine.get(), 8, &index), Status::kOk);
  Session session(engine.get(), 1);
  for (uint64_t id = 0; id < 10000; ++id)
    ASSERT_EQ(index->Insert(Mix(id % 2500), FakeRow(id)), Status::kOk);
  // Drop the entries of "dead" rows, as the garbage collector would.
  index->ForEach([&](uint64_t hash, Row *row) {
    if (IdOf(row) % 3 == 0) {
      EXPECT_EQ(index->Remove(hash, row), Status::kOk);
    }
  });
  uint64_t left = 0;
  index->ForEach([&](uint64_t hash, Row *row) {
    EXPECT_NE(IdOf(row) % 3, 0u);
    EXPECT_EQ(hash, Mix(IdOf(row) % 2500));
    ++left;
    return true;
  });
  EXPECT_EQ(left, 10000u - 3334u);
  EXPECT_EQ(index->entry_count(), left);
  index->Destroy(engine.get());
}

// Four writers insert and remove disjoint ids; each id pair (2k, 2k+1)
// shares one hash. Even ids are inserted before the readers start and never
// removed: readers must always find them. Odd ids churn. Ids past the end
// were never inserted: readers must never find them. Everything a reader
// gets must have been stored under that hash. The table starts at one
// bucket, so it grows (and sentinels get linked) while all this runs.
TEST(HashIndexTest, ConcurrentWritersAndReaders) {
  TestEngine engine(size_t{1} << 30);
  Engine *e = engine.get();
  HashIndex *index = nullptr;
  ASSERT_EQ(HashIndex::Create(e, 1, &index), Status::kOk);
  const int kWriters = 4;
  const int kReaders = 2;
  const uint64_t kPairsPerWriter = Iterations(20000, 3000);
  const int kRounds = Iterations(6, 2);
  const uint64_t kPairs = kPairsPerWriter * kWriters;
  auto hash_of = [](uint64_t id) { return Mix(id / 2); };
  {
    Session session(e, 100);
    for (uint64_t pair = 0; pair < kPairs; pair += 4)  // a quarter now, the rest while readers run
      ASSERT_EQ(index->Insert(hash_of(2 * pair), FakeRow(2 * pair)), Status::kOk);
  }

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> errors{0}, lookups{0}, churn{0};
  StartGate gate(kWriters + kReaders + 1);
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      Session session(e, w + 1);
      gate.Arrive();
      const uint64_t first = w * kPairsPerWriter, last = first + kPairsPerWriter;
      for (uint64_t pair = first; pair < last; ++pair)  // the permanent entries still missing
        if (pair % 4 != 0 && index->Insert(hash_of(2 * pair), FakeRow(2 * pair)) != Status::kOk)
          ++errors;
      for (int round = 0; round < kRounds; ++round) {
        for (uint64_t pair = first; pair < last; ++pair)
          if (index->Insert(hash_of(2 * pair + 1), FakeRow(2 * pair + 1)) != Status::kOk) ++errors;
        session.Restart();
        for (uint64_t pair = first; pair < last; ++pair)
          if (index->Remove(hash_of(2 * pair + 1), FakeRow(2 * pair + 1)) != Status::kOk) ++errors;
        session.Restart();
        churn += 2 * kPairsPerWriter;
      }
    });
  }
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&, r] {
      Session session(e, 10 + r);
      std::mt19937_64 random(r);
      gate.Arrive();
      uint64_t done = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        // A pair whose permanent entry is known present (inserted before the start).
        uint64_t pair = (random() % (kPairs / 4)) * 4;
        bool found_permanent = false;
        index->Lookup(hash_of(2 * pair), [&](Row *row) {
          uint64_t id = IdOf(row);
          if (id / 2 != pair) ++errors;  // garbage or another hash's row
          if (id == 2 * pair) found_permanent = true;
          return true;
        });
        if (!found_permanent) ++errors;
        // Never inserted.
        index->Lookup(hash_of(2 * (kPairs + random() % kPairs)), [&](Row *) {
          ++errors;
          return true;
        });
        if (++done % 256 == 0) session.Restart();
      }
      lookups += done;
    });
  }
  threads.emplace_back([&] {  // reclaims memory as the engine's sessions would
    gate.Arrive();
    while (!stop.load(std::memory_order_relaxed)) {
      e->ReclaimMemory();
      std::this_thread::yield();
    }
  });
  for (int w = 0; w < kWriters; ++w) threads[w].join();
  stop = true;
  for (size_t t = kWriters; t < threads.size(); ++t) threads[t].join();
  std::printf("[ stress   ] %llu lookups, %llu inserts/removes, %llu buckets\n",
              static_cast<unsigned long long>(lookups.load()),
              static_cast<unsigned long long>(churn.load()),
              static_cast<unsigned long long>(index->bucket_count()));
  EXPECT_EQ(errors.load(), 0u);

  Session session(e, 100);
  for (uint64_t pair = 0; pair < kPairs; ++pair) {
    ASSERT_EQ(RowsUnder(index, hash_of(2 * pair)), std::vector<Row *>{FakeRow(2 * pair)}) << pair;
  }
  HashIndexStats stats = index->Stats();
  EXPECT_EQ(stats.entries, kPairs);
  EXPECT_EQ(index->entry_count(), kPairs);
  EXPECT_LE(stats.load_factor, double{HashIndex::kMaxLoad});
}

// Four threads insert the same pairs, then remove the same pairs: each pair
// is stored once and removed exactly once (a node retired twice would show
// as index memory going below its starting value).
TEST(HashIndexTest, RacingInsertsAndRemovesOfTheSamePairs) {
  TestEngine engine;
  Engine *e = engine.get();
  HashIndex *index = nullptr;
  ASSERT_EQ(HashIndex::Create(e, 1, &index), Status::kOk);
  const uint64_t start_bytes = IndexBytes(e);
  const uint64_t kPairs = Iterations(50000, 5000);
  const int kThreads = 4;
  std::atomic<uint64_t> errors{0}, removed{0};
  std::vector<std::thread> threads;
  StartGate insert_gate(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Session session(e, t + 1);
      insert_gate.Arrive();
      // Several rows per hash (id / 3), so equal keys race too.
      for (uint64_t id = 0; id < kPairs; ++id)
        if (index->Insert(Mix(id / 3), FakeRow(id)) != Status::kOk) ++errors;
    });
  }
  for (std::thread &thread : threads) thread.join();
  threads.clear();
  EXPECT_EQ(errors.load(), 0u);
  EXPECT_EQ(index->entry_count(), kPairs);
  EXPECT_EQ(index->Stats().entries, kPairs);

  StartGate remove_gate(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Session session(e, t + 1);
      remove_gate.Arrive();
      for (uint64_t id = 0; id < kPairs; ++id) {
        Status status = index->Remove(Mix(id / 3), FakeRow(id));
        if (status == Status::kOk)
          ++removed;
        else if (status != Status::kNotFound)
          ++errors;
      }
    });
  }
  for (std::thread &thread : threads) thread.join();
  EXPECT_EQ(errors.load(), 0u);
  EXPECT_EQ(removed.load(), kPairs);
  EXPECT_EQ(index->entry_count(), 0u);
  EXPECT_EQ(index->Stats().entries, 0u);
  e->ReclaimMemory();
  HashIndexStats stats = index->Stats();
  EXPECT_LT(stats.bytes - stats.bucket_bytes, 4096u);  // just the header: no entry left
  EXPECT_GE(IndexBytes(e), start_bytes);
  EXPECT_LE(IndexBytes(e) - start_bytes, stats.bucket_bytes * 5 / 4 + 4096);
  index->Destroy(e);
}

// One writer inserts ids in order into a table that starts at one bucket, so
// it doubles about twenty times; readers look up ids already published (must
// be found) and ids beyond them that will never be inserted.
TEST(HashIndexTest, LookupsDuringResizes) {
  TestEngine engine(size_t{1} << 30);
  Engine *e = engine.get();
  HashIndex *index = nullptr;
  ASSERT_EQ(HashIndex::Create(e, 1, &index), Status::kOk);
  const uint64_t kEntries = Iterations(1000000, 100000);
  std::atomic<uint64_t> published{0};
  std::atomic<uint64_t> errors{0}, lookups{0};
  std::atomic<bool> stop{false};
  StartGate gate(3);
  std::thread writer([&] {
    Session session(e, 1);
    gate.Arrive();
    for (uint64_t id = 0; id < kEntries; ++id) {
      if (index->Insert(Mix(id), FakeRow(id)) != Status::kOk) ++errors;
      published.store(id + 1, std::memory_order_release);
      if (id % 4096 == 0) session.Restart();
    }
  });
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&, r] {
      Session session(e, 2 + r);
      std::mt19937_64 random(r + 7);
      gate.Arrive();
      uint64_t done = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        uint64_t limit = published.load(std::memory_order_acquire);
        if (limit > 0) {
          uint64_t id = random() % limit;
          if (!Has(index, Mix(id), FakeRow(id))) ++errors;
        }
        uint64_t never = kEntries + random() % kEntries;
        index->Lookup(Mix(never), [&](Row *) {
          ++errors;
          return false;
        });
        if (++done % 256 == 0) session.Restart();
      }
      lookups += done;
    });
  }
  writer.join();
  stop = true;
  for (std::thread &reader : readers) reader.join();
  std::printf("[ resizes  ] %llu lookups while growing to %llu buckets\n",
              static_cast<unsigned long long>(lookups.load()),
              static_cast<unsigned long long>(index->bucket_count()));
  EXPECT_EQ(errors.load(), 0u);
  EXPECT_GE(index->bucket_count(), kEntries / HashIndex::kMaxLoad);
}

}  // namespace
}  // namespace memopt

// range_index_bench.cpp - throughput of memopt::RangeIndex on one core
// (informational; Google Benchmark, no assertions).
//
// Build and run from the repository root:
//   g++ -O2 -std=c++17 -Iinclude bench/engine/range_index_bench.cpp src/engine/*.cpp \
//       -lbenchmark -lpthread -o /tmp/range_bench && /tmp/range_bench
//
// Keys are random native int64 values compared by a function pointer (as the
// PostgreSQL glue calls its comparator); rows are made-up addresses. The
// second argument P says whether the comparator gives prefixes (1, as the
// glue does for integer keys) or not (0, as for text): compare the two in
// one run.
//  - BM_Build/N/P:        inserts N random keys into an empty index (items/s).
//  - BM_BuildRun/N/P/D:   inserts 0..N-1 ascending (D = 1) or descending
//                         (D = -1), as a serial key fills its index.
//  - BM_PointLookup/N/P:  seeks >= a random present key in an index of N keys
//                         and checks it (lookups/s).
//  - BM_RangeScan/N/P:    seeks a random key and reads the next 1000 entries
//                         (rows/s).
// Indexes of each size are built once and shared by the lookup and scan runs.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <vector>

#include "memopt/engine.h"
#include "memopt/range_index.h"
#include "memopt/transaction.h"

namespace memopt {
namespace {

int CompareInt64(const void *, KeyRef a, KeyRef b, bool *) {
  int64_t x, y;
  std::memcpy(&x, a.data, sizeof x);
  std::memcpy(&y, b.data, sizeof y);
  return x < y ? -1 : x > y ? 1 : 0;
}
uint64_t Int64Prefix(const void *, KeyRef key) {
  int64_t value;
  std::memcpy(&value, key.data, sizeof value);
  return static_cast<uint64_t>(value) ^ (uint64_t{1} << 63);
}
KeyComparator Comparator(bool prefixed) {
  return KeyComparator{CompareInt64, nullptr, prefixed ? Int64Prefix : nullptr};
}

Row *RowAt(uint64_t n) { return reinterpret_cast<Row *>((n + 1) * 64); }

// An engine over a lazily touched heap region, one index and one running
// transaction (every index call runs inside one).
struct BenchIndex {
  explicit BenchIndex(size_t bytes) : memory(std::aligned_alloc(64, bytes)) {
    engine = Engine::Create(memory, bytes, EngineOptions{});
    RangeIndex::Create(engine, &index);
    txn = std::make_unique<Transaction>(engine);
    txn->Attach(1);
    txn->Begin();
  }
  ~BenchIndex() {
    txn.reset();
    std::free(memory);
  }
  void *memory;
  Engine *engine = nullptr;
  RangeIndex *index = nullptr;
  std::unique_ptr<Transaction> txn;
  std::vector<int64_t> keys;
};

size_t RegionFor(int64_t keys) { return static_cast<size_t>(keys) * 100 + (size_t{256} << 20); }

std::vector<int64_t> RandomKeys(int64_t count, uint64_t seed) {
  std::mt19937_64 random(seed);
  std::vector<int64_t> keys(count);
  for (int64_t &key : keys) key = static_cast<int64_t>(random());
  return keys;
}

void Fill(BenchIndex *bench, const KeyComparator &cmp) {
  bool failed;
  for (size_t i = 0; i < bench->keys.size(); ++i)
    bench->index->Insert(KeyRef{&bench->keys[i], sizeof(int64_t)}, RowAt(i), cmp, &failed);
}

BenchIndex *Shared(int64_t count, bool prefixed) {
  static std::map<std::pair<int64_t, bool>, std::unique_ptr<BenchIndex>> built;
  auto &slot = built[{count, prefixed}];
  if (!slot) {
    slot = std::make_unique<BenchIndex>(RegionFor(count));
    slot->keys = RandomKeys(count, 42);
    Fill(slot.get(), Comparator(prefixed));
  }
  return slot.get();
}

void BuildFrom(benchmark::State &state, const std::vector<int64_t> &keys) {
  int64_t count = static_cast<int64_t>(keys.size());
  for (auto _ : state) {
    state.PauseTiming();
    auto bench = std::make_unique<BenchIndex>(RegionFor(count));
    bench->keys = keys;
    state.ResumeTiming();
    Fill(bench.get(), Comparator(state.range(1) != 0));
    state.PauseTiming();
    RangeIndexStats stats = bench->index->Stats();
    state.counters["MB"] = stats.bytes / 1048576.0;
    state.counters["height"] = static_cast<double>(stats.height);
    state.counters["bytes_per_entry"] = static_cast<double>(stats.bytes) / stats.entries;
    bench.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * count);
}

void BM_Build(benchmark::State &state) { BuildFrom(state, RandomKeys(state.range(0), 7)); }
BENCHMARK(BM_Build)
    ->ArgsProduct({{1000000, 10000000}, {0, 1}})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

void BM_BuildRun(benchmark::State &state) {
  std::vector<int64_t> keys(state.range(0));
  for (size_t i = 0; i < keys.size(); ++i)
    keys[i] = state.range(2) > 0 ? static_cast<int64_t>(i) : static_cast<int64_t>(keys.size() - i);
  BuildFrom(state, keys);
}
BENCHMARK(BM_BuildRun)
    ->ArgsProduct({{1000000}, {0, 1}, {1, -1}})
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond);

void BM_PointLookup(benchmark::State &state) {
  const KeyComparator cmp = Comparator(state.range(1) != 0);
  BenchIndex *bench = Shared(state.range(0), state.range(1) != 0);
  std::mt19937_64 random(1);
  const std::vector<int64_t> &keys = bench->keys;
  int64_t misses = 0;
  for (auto _ : state) {
    int64_t key = keys[random() % keys.size()];
    auto it = bench->index->Scan(SeekMode::kGreaterOrEqual, KeyRef{&key, sizeof key}, cmp);
    int64_t found;
    if (!it.Valid()) {
      ++misses;
      continue;
    }
    std::memcpy(&found, it.Key().data, sizeof found);
    misses += found != key;
    benchmark::DoNotOptimize(it.GetRow());
  }
  if (misses != 0) state.SkipWithError("lookup missed a present key");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PointLookup)->ArgsProduct({{1000000, 10000000}, {0, 1}});

void BM_RangeScan(benchmark::State &state) {
  const KeyComparator cmp = Comparator(state.range(1) != 0);
  BenchIndex *bench = Shared(state.range(0), state.range(1) != 0);
  std::mt19937_64 random(2);
  const int kRows = 1000;
  int64_t rows = 0;
  for (auto _ : state) {
    int64_t key = static_cast<int64_t>(random());
    auto it = bench->index->Scan(SeekMode::kGreaterOrEqual, KeyRef{&key, sizeof key}, cmp);
    for (int i = 0; i < kRows && it.Valid(); ++i, it.Next()) {
      benchmark::DoNotOptimize(it.GetRow());
      ++rows;
    }
  }
  state.SetItemsProcessed(rows);
}
BENCHMARK(BM_RangeScan)->ArgsProduct({{1000000, 10000000}, {0, 1}});

}  // namespace
}  // namespace memopt

BENCHMARK_MAIN();

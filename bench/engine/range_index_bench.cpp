// range_index_bench.cpp - throughput of memopt::RangeIndex on one core
// (informational; Google Benchmark, no assertions).
//
// Build and run from the repository root:
//   g++ -O2 -std=c++17 -Iinclude bench/engine/range_index_bench.cpp src/engine/*.cpp -lbenchmark
//   -lpthread -o /tmp/range_bench && /tmp/range_bench
//
// Keys are random native int64 values compared by a function pointer (as the
// PostgreSQL glue will call its comparator); rows are made-up addresses.
//  - BM_Build/N:        inserts N random keys into an empty index (items/s).
//  - BM_PointLookup/N:  seeks >= a random present key in an index of N keys
//                       and checks it (lookups/s).
//  - BM_RangeScan/N:    seeks a random key and reads the next 1000 entries
//                       (rows/s).
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
const KeyComparator kCmp{CompareInt64, nullptr};

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

void Fill(BenchIndex *bench) {
  bool failed;
  for (size_t i = 0; i < bench->keys.size(); ++i)
    bench->index->Insert(KeyRef{&bench->keys[i], sizeof(int64_t)}, RowAt(i), kCmp, &failed);
}

BenchIndex *Shared(int64_t count) {
  static std::map<int64_t, std::unique_ptr<BenchIndex>> built;
  auto &slot = built[count];
  if (!slot) {
    slot = std::make_unique<BenchIndex>(RegionFor(count));
    slot->keys = RandomKeys(count, 42);
    Fill(slot.get());
  }
  return slot.get();
}

void BM_Build(benchmark::State &state) {
  int64_t count = state.range(0);
  std::vector<int64_t> keys = RandomKeys(count, 7);
  for (auto _ : state) {
    state.PauseTiming();
    auto bench = std::make_unique<BenchIndex>(RegionFor(count));
    bench->keys = keys;
    state.ResumeTiming();
    Fill(bench.get());
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
BENCHMARK(BM_Build)->Arg(1000000)->Arg(10000000)->Iterations(1)->Unit(benchmark::kMillisecond);

void BM_PointLookup(benchmark::State &state) {
  BenchIndex *bench = Shared(state.range(0));
  std::mt19937_64 random(1);
  const std::vector<int64_t> &keys = bench->keys;
  int64_t misses = 0;
  for (auto _ : state) {
    int64_t key = keys[random() % keys.size()];
    auto it = bench->index->Scan(SeekMode::kGreaterOrEqual, KeyRef{&key, sizeof key}, kCmp);
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
BENCHMARK(BM_PointLookup)->Arg(1000000)->Arg(10000000);

void BM_RangeScan(benchmark::State &state) {
  BenchIndex *bench = Shared(state.range(0));
  std::mt19937_64 random(2);
  const int kRows = 1000;
  int64_t rows = 0;
  for (auto _ : state) {
    int64_t key = static_cast<int64_t>(random());
    auto it = bench->index->Scan(SeekMode::kGreaterOrEqual, KeyRef{&key, sizeof key}, kCmp);
    for (int i = 0; i < kRows && it.Valid(); ++i, it.Next()) {
      benchmark::DoNotOptimize(it.GetRow());
      ++rows;
    }
  }
  state.SetItemsProcessed(rows);
}
BENCHMARK(BM_RangeScan)->Arg(1000000)->Arg(10000000);

}  // namespace
}  // namespace memopt

BENCHMARK_MAIN();

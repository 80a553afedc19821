// hash_index_bench.cpp - throughput of memopt::HashIndex (Google Benchmark).
//
// Build and run from the repository root:
//   g++ -O2 -std=c++17 -Iinclude bench/engine/hash_index_bench.cpp src/engine/*.cpp \
//       -lbenchmark -lpthread -o /tmp/hash_bench && /tmp/hash_bench
//
// What it measures (numbers are informational, nothing is asserted):
//  - Lookup/N/threads:1   point lookups of present keys in an index of N entries
//  - Lookup/N/threads:2   the same from two threads at once (items/s is the sum)
//  - Build/N              inserting N entries into an index that starts at one
//                         bucket (so every doubling happens on the way), and
//                         into one created with bucket_count = N.
// Rows are fake pointers (the index never dereferences them); hashes are
// splitmix64 of a counter, as a caller's well-mixed key hash would be. Each
// benchmark thread runs inside its own Transaction, as backends would.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <map>
#include <mutex>

#include "memopt/engine.h"
#include "memopt/hash_index.h"
#include "memopt/transaction.h"

namespace {

using memopt::Engine;
using memopt::HashIndex;
using memopt::Row;

uint64_t Mix(uint64_t value) {
  value += 0x9e3779b97f4a7c15ULL;
  value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9ULL;
  value = (value ^ (value >> 27)) * 0x94d049bb133111ebULL;
  return value ^ (value >> 31);
}

Row *FakeRow(uint64_t id) { return reinterpret_cast<Row *>((id + 1) << 3); }

// One engine over a large buffer (pages are touched only when used).
Engine *SharedEngine() {
  static Engine *engine = [] {
    const size_t bytes = size_t{8} << 30;
    void *memory = std::aligned_alloc(64, bytes);
    return memory != nullptr ? Engine::Create(memory, bytes, memopt::EngineOptions{}) : nullptr;
  }();
  return engine;
}

HashIndex *BuildIndex(uint64_t entries, uint64_t initial_buckets) {
  Engine *engine = SharedEngine();
  HashIndex *index = nullptr;
  if (engine == nullptr ||
      HashIndex::Create(engine, initial_buckets, &index) != memopt::Status::kOk)
    return nullptr;
  memopt::Transaction txn(engine);
  if (txn.Attach(1) != memopt::Status::kOk) return nullptr;
  txn.Begin();
  for (uint64_t id = 0; id < entries; ++id)
    if (index->Insert(Mix(id), FakeRow(id)) != memopt::Status::kOk) return nullptr;
  txn.Commit();
  return index;
}

// Lookup benchmarks share one index per size, built on first use.
HashIndex *IndexWith(uint64_t entries) {
  static std::mutex mutex;
  static std::map<uint64_t, HashIndex *> indexes;
  std::lock_guard<std::mutex> guard(mutex);
  HashIndex *&index = indexes[entries];
  if (index == nullptr) index = BuildIndex(entries, 1);
  return index;
}

void Lookup(benchmark::State &state) {
  const uint64_t entries = static_cast<uint64_t>(state.range(0));
  HashIndex *index = IndexWith(entries);
  if (index == nullptr) {
    state.SkipWithError("could not build the index (arena too small?)");
    return;
  }
  memopt::Transaction txn(SharedEngine());
  if (txn.Attach(100 + state.thread_index()) != memopt::Status::kOk) {
    state.SkipWithError("no session slot");
    return;
  }
  txn.Begin();
  uint64_t random = 0x2545f4914f6cdd1dULL * (state.thread_index() + 1);
  uint64_t misses = 0;
  for (auto _ : state) {
    random ^= random << 13, random ^= random >> 7, random ^= random << 17;  // xorshift64
    uint64_t id = random % entries;
    Row *found = nullptr;
    index->Lookup(Mix(id), [&](Row *row) {
      found = row;
      return false;
    });
    if (found != FakeRow(id)) ++misses;
    benchmark::DoNotOptimize(found);
  }
  txn.Commit();
  state.SetItemsProcessed(state.iterations());
  state.counters["misses"] = static_cast<double>(misses);
  if (state.thread_index() == 0)
    state.counters["buckets"] = static_cast<double>(index->bucket_count());
}
BENCHMARK(Lookup)->Arg(1000000)->Arg(10000000)->Threads(1)->Threads(2)->UseRealTime();

void Build(benchmark::State &state) {
  const uint64_t entries = static_cast<uint64_t>(state.range(0));
  const uint64_t initial_buckets = static_cast<uint64_t>(state.range(1));
  Engine *engine = SharedEngine();
  for (auto _ : state) {
    HashIndex *index = BuildIndex(entries, initial_buckets);
    if (index == nullptr) {
      state.SkipWithError("could not build the index (arena too small?)");
      return;
    }
    state.PauseTiming();
    state.counters["bytes_per_entry"] = static_cast<double>(index->Stats().bytes) / entries;
    index->Destroy(engine);
    engine->ReclaimMemory();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * entries);
}
BENCHMARK(Build)
    ->Args({10000000, 1})
    ->Args({10000000, 10000000})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();

// test_engine.h - shared helpers for the engine's unit tests.
//
// TestEngine formats an Engine over a 64-byte aligned heap buffer (pages are
// touched lazily, so a large buffer costs little) and frees it at the end.
// The other helpers give versions a small checked payload (an int64 value
// plus a checksum) and find what a ReadView sees.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "memopt/arena.h"
#include "memopt/engine.h"
#include "memopt/status.h"
#include "memopt/table.h"
#include "memopt/table_scan.h"
#include "memopt/transaction.h"
#include "memopt/version.h"
#include "memopt/visibility.h"

namespace memopt {
namespace test {

// Multiplies iteration counts of the stress tests (MEMOPT_STRESS_SCALE, a
// positive number; default 1; e.g. 0.25 for a quick sanitizer run).
inline double StressScale() {
  const char *text = std::getenv("MEMOPT_STRESS_SCALE");
  if (text == nullptr || *text == '\0') return 1.0;
  double scale = std::atof(text);
  return scale > 0 ? scale : 1.0;
}
inline int Scaled(int count) {
  double scaled = count * StressScale();
  return scaled < 1 ? 1 : static_cast<int>(scaled);
}
#if defined(__SANITIZE_THREAD__)
constexpr bool kUnderTsan = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
constexpr bool kUnderTsan = true;
#else
constexpr bool kUnderTsan = false;
#endif
#else
constexpr bool kUnderTsan = false;
#endif

class TestEngine {
 public:
  explicit TestEngine(size_t bytes = size_t{256} << 20, uint32_t max_sessions = 128)
      : bytes_(bytes) {
    memory_ = std::aligned_alloc(64, bytes);
    EngineOptions options;
    options.max_sessions = max_sessions;
    engine_ = memory_ != nullptr ? Engine::Create(memory_, bytes, options) : nullptr;
  }
  ~TestEngine() { std::free(memory_); }
  TestEngine(const TestEngine &) = delete;
  TestEngine &operator=(const TestEngine &) = delete;

  Engine *get() const { return engine_; }
  Engine *operator->() const { return engine_; }
  size_t bytes() const { return bytes_; }

 private:
  size_t bytes_;
  void *memory_ = nullptr;
  Engine *engine_ = nullptr;
};

inline Table *MakeTable(Engine *engine, uint32_t relation) {
  Table *table = nullptr;
  EXPECT_EQ(engine->OpenTable(TableKey{1663, 5, relation}, &table), Status::kOk);
  return table;
}

// Payload: value, then a checksum that a torn or reused block would break.
struct Payload {
  int64_t value;
  uint64_t check;
};
constexpr uint64_t kPayloadMagic = 0x6d656d6f70742121ULL;
inline uint64_t Checksum(int64_t value) {
  return static_cast<uint64_t>(value) * 0x9e3779b97f4a7c15ULL ^ kPayloadMagic;
}

inline Version *MakeVersion(Transaction &txn, Table *table, int64_t value) {
  Version *version = txn.NewVersion(table, sizeof(Payload));
  if (version == nullptr) return nullptr;
  Payload payload{value, Checksum(value)};
  std::memcpy(version->payload(), &payload, sizeof payload);
  return version;
}

// The payload's value; a failure (not a crash) when there is no version.
inline int64_t ValueOf(const Version *version) {
  if (version == nullptr) {
    ADD_FAILURE() << "expected a version, got nullptr";
    return INT64_MIN;
  }
  Payload payload;
  std::memcpy(&payload, version->payload(), sizeof payload);
  return payload.value;
}

inline bool PayloadIntact(const Version *version) {
  if (version->payload_bytes != sizeof(Payload)) return false;
  Payload payload;
  std::memcpy(&payload, version->payload(), sizeof payload);
  return payload.check == Checksum(payload.value);
}

// Inserts a row with `value` at `command_id` / `level`; returns its version.
inline Version *InsertValue(Transaction &txn, Table *table, int64_t value, uint32_t command_id = 0,
                            int level = 1) {
  Version *version = MakeVersion(txn, table, value);
  EXPECT_NE(version, nullptr);
  if (version == nullptr) return nullptr;
  Status status = txn.Insert(table, version, command_id, level);
  EXPECT_EQ(status, Status::kOk);
  if (status != Status::kOk) {
    txn.DiscardVersion(table, version);
    return nullptr;
  }
  return version;
}

// Replaces `current` by a new version holding `value`. On failure the new
// version is discarded and nullptr returned; `*status` says why.
inline Version *UpdateValue(Transaction &txn, Table *table, Version *current, int64_t value,
                            uint32_t command_id, int level, Status *status) {
  Version *created = MakeVersion(txn, table, value);
  if (created == nullptr) {
    *status = Status::kOutOfMemory;
    return nullptr;
  }
  *status = txn.Update(table, current, created, command_id, level);
  if (*status != Status::kOk) {
    txn.DiscardVersion(table, created);
    return nullptr;
  }
  return created;
}

// The newest version of `row` that `view` sees (walks newest to oldest), or
// nullptr when the row is invisible to it.
inline Version *VisibleVersion(const Engine *engine, const Row *row, const ReadView &view) {
  for (Version *version = row->newest.load(std::memory_order_acquire); version != nullptr;
       version = version->older.load(std::memory_order_acquire))
    if (IsVisible(engine->slots(), version, view)) return version;
  return nullptr;
}

// Every version a full forward scan returns.
inline std::vector<Version *> ScanAll(const Engine *engine, Table *table, const ReadView &view) {
  std::vector<Version *> seen;
  TableScan scan(engine, table, view);
  for (Version *version = scan.Next(); version != nullptr; version = scan.Next())
    seen.push_back(version);
  return seen;
}

inline std::vector<int64_t> ScanValues(const Engine *engine, Table *table, const ReadView &view) {
  std::vector<int64_t> values;
  for (Version *version : ScanAll(engine, table, view)) values.push_back(ValueOf(version));
  return values;
}

// A view with no transaction of its own, reading at `read_ts`.
inline ReadView OutsideView(Timestamp read_ts) { return ReadView{read_ts, 0, 0}; }

// Commits a fresh transaction that inserts `values`; returns the versions.
inline std::vector<Version *> CommitInserts(Engine *engine, Table *table,
                                            const std::vector<int64_t> &values) {
  Transaction txn(engine);
  EXPECT_EQ(txn.Attach(1), Status::kOk);
  txn.Begin();
  std::vector<Version *> versions;
  for (int64_t value : values) versions.push_back(InsertValue(txn, table, value));
  txn.Commit();
  return versions;
}

// A fixture with one table (relation 1) and two attached sessions `a_` and
// `b_`. Derived fixtures that extend SetUp call this one first.
class TwoSessions : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(engine_.get(), nullptr);
    table_ = MakeTable(engine_.get(), 1);
    ASSERT_EQ(a_.Attach(100), Status::kOk);
    ASSERT_EQ(b_.Attach(101), Status::kOk);
  }

  TestEngine engine_;
  Table *table_ = nullptr;
  Transaction a_{engine_.get()};
  Transaction b_{engine_.get()};
};

// TwoSessions with one committed row of value 1 (`row_`).
class OneRowTwoSessions : public TwoSessions {
 protected:
  void SetUp() override {
    TwoSessions::SetUp();
    if (HasFatalFailure()) return;
    row_ = CommitInserts(engine_.get(), table_, {1})[0];
  }

  Version *row_ = nullptr;
};

}  // namespace test
}  // namespace memopt

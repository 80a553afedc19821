// read_set.h - what a transaction read, for commit-time validation.
//
// Hekaton keeps, per transaction, a read set (pointers to every version it
// read) and a scan set (enough to repeat every scan). Transaction::Prepare
// checks the read set under kRepeatableRead and both under kSerializable
// (isolation.h). All of it is process-local: only the owning transaction
// touches these records, and the versions and index nodes they point to stay
// readable until it ends (memory is retired, never freed under a running
// transaction).
#pragma once

#include <cstdint>
#include <string>

#include "memopt/range_index.h"
#include "memopt/status.h"
#include "memopt/version.h"

namespace memopt {

class Index;
class Table;

struct ReadEntry {
  Table *table;
  const Version *version;
};

// One end of a range scan over a memopt range index, in the index's own key
// encoding. Unbounded ends scan to the index's first or last entry.
struct RangeBound {
  bool bounded = false;
  bool strict = false;  // excludes the key itself
  KeyRef key{nullptr, 0};
};

// A filter a table scan applied to the stored rows themselves (the host's
// engine quals): phantom validation then counts only versions it accepts.
// `state` is an opaque copy the host's function reads.
struct ScanFilter {
  bool (*accepts)(const std::string &state, const Version *version) = nullptr;
  std::string state;
};

struct ScanRecord {
  enum class Kind : uint8_t { kTable, kHashProbe, kRange };
  Kind kind;
  Table *table;
  ScanFilter filter;   // kTable: accepts == nullptr means every row
  const Index *index;  // kHashProbe, kRange
  uint64_t hash;       // kHashProbe
  // kRange: bounds; the key bytes are copied here.
  bool low_bounded, low_strict, high_bounded, high_strict;
  std::string low, high;
};

// A commit dependency: the reader decided about `version` as if `owner`
// (then Preparing) would commit. on_begin: it saw the version (the owner
// created it); otherwise it skipped it (the owner replaced or deleted it).
struct Dependency {
  const Version *version;
  uint64_t owner;
  bool on_begin;
};

// What the host gives validation: the comparator of a range index, which
// the engine cannot build (keys are opaque). Returns false if it cannot; the
// scan then fails validation (conservatively).
struct ValidationHooks {
  bool (*range_comparator)(void *context, const Index *index, KeyComparator *comparator) = nullptr;
  void *context = nullptr;
};

// Why validation failed: the status, the table, and the version read (read
// validation) or found (phantom), or the version depended on.
struct ValidationFailure {
  Status status = Status::kOk;
  Table *table = nullptr;
  const Version *version = nullptr;
};

}  // namespace memopt

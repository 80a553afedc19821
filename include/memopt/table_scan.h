// table_scan.h - reading a table's versions as one reader sees them.
//
// A TableScan walks the version directory in slot order (forward or
// backward) and returns the versions visible to its ReadView. Each visible
// row is returned once: at most one version of a row is visible to a view.
// Versions created after the scan started are filtered by visibility, so a
// scan never sees its own statement's writes (Halloween protection through
// command ids).
//
// Pointers returned stay valid until the reader's transaction ends (memory
// is retired, not freed, while any transaction that started before could
// hold it).
#pragma once

#include <cstdint>

#include "memopt/engine.h"
#include "memopt/table.h"
#include "memopt/visibility.h"

namespace memopt {

class TableScan {
 public:
  TableScan(const Engine *engine, Table *table, const ReadView &view)
      : slots_(engine->slots()), table_(table), view_(view) {}

  // Limits the scan to slots [first, last]; the default is the whole table.
  void SetRange(uint64_t first, uint64_t last);
  void Restart();
  Version *Next();      // nullptr at the end
  Version *Previous();  // backward scan; nullptr at the start
  void set_view(const ReadView &view) { view_ = view; }
  // The next slot a forward scan looks at.
  uint64_t position() const { return next_; }

 private:
  const TxnSlot *slots_;
  Table *table_;
  ReadView view_;
  uint64_t first_ = 0;
  uint64_t last_ = ~0ULL;
  uint64_t next_ = 0;          // forward cursor
  uint64_t previous_ = ~0ULL;  // backward cursor; ~0 = from the end
  bool started_backward_ = false;
  // The directory chunk the forward cursor is in: words_ holds slot
  // span_first_; the span ends before span_end_ (0 = none cached).
  const std::atomic<uint64_t> *words_ = nullptr;
  uint64_t span_first_ = 0;
  uint64_t span_end_ = 0;
};

// How many versions slots [first, end) of `table` hold, visible or not.
uint64_t CountVersions(Table *table, uint64_t first, uint64_t end);

// The version in `slot` of `table` if it exists and `view` sees it (or, with
// any_version, whether or not it is visible); nullptr otherwise. Safe for any
// slot number, including ones typed by a user.
Version *FetchVersion(const Engine *engine, Table *table, uint64_t slot, const ReadView &view,
                      bool any_version);

}  // namespace memopt

// table_loader.h - fills a table that nobody sees yet from its durable images.
//
// After a restart the host reads a durable table's page stream and feeds
// every committed change to a TableLoader: Put (the image a row had after
// batch `seq`) and Remove (batch `seq` deleted the row). Changes may arrive
// in any order: for each durable id the change with the highest sequence
// number wins, so a removed row leaves a tombstone until the loader is
// destroyed. Each row's chain of deltas since its last whole image
// (Row::durable_chain) continues from the entries loaded. Loaded versions begin at
// kLoadedTimestamp, so every transaction sees them, whatever its read timestamp.
//
// Thread safety: one thread, on a table created with Engine::NewTable and not
// yet published. Memory for the map of durable ids is the process heap, not
// the arena: it dies with the loader.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>

#include "memopt/engine.h"
#include "memopt/status.h"

namespace memopt {

class TableLoader {
 public:
  TableLoader(Engine *engine, Table *table) : engine_(engine), table_(table) {}
  TableLoader(const TableLoader &) = delete;
  TableLoader &operator=(const TableLoader &) = delete;

  // kOutOfMemory when the arena (or the process heap) is exhausted.
  // `delta_bytes`, if not 0: the image was made from the row's loaded one by
  // a delta entry of that size (the caller applies deltas, through Current,
  // after every whole image is in).
  Status Put(uint64_t durable_id, uint64_t seq, const char *payload, size_t bytes,
             size_t delta_bytes = 0);
  // The row's image loaded so far and its batch; false if there is none or
  // the row is deleted (*seq is then the delete's batch, or 0).
  bool Current(uint64_t durable_id, uint64_t *seq, const char **payload, size_t *bytes) const;
  Status Remove(uint64_t durable_id, uint64_t seq);
  // Makes the table's durable ids and batch numbers continue after those
  // seen. Call once, after the last change.
  void Finish();

  uint64_t live_rows() const { return live_rows_; }

 private:
  struct Entry {
    Row *row;  // nullptr: a tombstone
    uint64_t seq;
  };
  void *Allocate(size_t bytes, MemoryKind kind);
  Version *MakeVersion(const char *payload, size_t bytes);
  // The entry of `durable_id`, or nullptr if a change newer than `seq` is
  // known. Records `seq` as the row's latest change.
  Entry *EntryFor(uint64_t durable_id, uint64_t seq);

  Engine *engine_;
  Table *table_;
  std::unordered_map<uint64_t, Entry> rows_;
  uint64_t live_rows_ = 0;
  uint64_t max_durable_id_ = 0;
  uint64_t max_seq_ = 0;
};

}  // namespace memopt

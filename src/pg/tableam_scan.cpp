// tableam_scan.cpp - table AM read paths: sequential and TID-range scans,
// fetches by TID, snapshot checks, and ANALYZE sampling.
//
// A scan reads the engine's version directory in slot order and returns the
// versions its snapshot sees (memopt_view_for), as slots that point into
// shared memory. Slot numbers are TIDs (tid.cpp).
//
// ANALYZE: PostgreSQL samples blocks 0 .. relation_size / BLCKSZ and
// prefetches each one from the (empty) relation file, so relation_size stays
// below one segment (memopt_analyze_blocks) and each sampled "block" covers a
// proportional range of slots.
#include "memopt_pg.h"

#include <new>

extern "C" {
#include "pgstat.h"
}

#include "memopt/table_scan.h"
#include "tableam_internal.h"

namespace {

struct MemoptScanDesc {
  TableScanDescData base;
  memopt::Table *table;
  memopt::TableScan *scan;  // in scan_storage
  bool any_version;
  bool note_reads;  // a query's scan under an MVCC snapshot: feeds validation
  alignas(memopt::TableScan) char scan_storage[sizeof(memopt::TableScan)];
};

MemoptScanDesc *AsMemopt(TableScanDesc scan) { return reinterpret_cast<MemoptScanDesc *>(scan); }

bool StoreNext(MemoptScanDesc *scan, ScanDirection direction, TupleTableSlot *slot) {
  memopt::Version *version =
      ScanDirectionIsBackward(direction) ? scan->scan->Previous() : scan->scan->Next();
  if (version == nullptr) {
    ExecClearTuple(slot);
    return false;
  }
  memopt_store_version(version, scan->base.rs_rd, slot);
  if (scan->note_reads) memopt_note_read(scan->base.rs_rd, scan->table, version);
  return true;
}

}  // namespace

TableScanDesc memopt_scan_begin(Relation rel, Snapshot snapshot, int nkeys, ScanKey key,
                                ParallelTableScanDesc pscan, uint32 flags) {
  (void)key;
  (void)pscan;
  auto *scan = static_cast<MemoptScanDesc *>(palloc0(sizeof(MemoptScanDesc)));
  scan->base.rs_rd = rel;
  scan->base.rs_snapshot = snapshot;
  scan->base.rs_nkeys = nkeys;
  scan->base.rs_flags = flags;
  scan->base.rs_parallel = pscan;
  scan->table = memopt_table_for(rel);
  scan->any_version = snapshot == nullptr || snapshot->snapshot_type == SNAPSHOT_ANY;
  memopt::ReadView view =
      snapshot != nullptr ? memopt_view_for(snapshot) : memopt_view_for(SnapshotSelf);
  scan->scan = new (scan->scan_storage) memopt::TableScan(memopt_engine(), scan->table, view);
  scan->note_reads = snapshot != nullptr && snapshot->snapshot_type == SNAPSHOT_MVCC &&
                     (flags & (SO_TYPE_SEQSCAN | SO_TYPE_TIDRANGESCAN | SO_TYPE_SAMPLESCAN));
  if (scan->note_reads) memopt_note_table_scan(rel, scan->table);
  if (flags & SO_TYPE_SEQSCAN) pgstat_count_heap_scan(rel);
  return &scan->base;
}

void memopt_scan_end(TableScanDesc scan) {
  if (scan->rs_flags & SO_TEMP_SNAPSHOT) UnregisterSnapshot(scan->rs_snapshot);
  pfree(scan);
}

void memopt_scan_rescan(TableScanDesc scan, ScanKey key, bool set_params, bool allow_strat,
                        bool allow_sync, bool allow_pagemode) {
  (void)key;
  (void)set_params;
  (void)allow_strat;
  (void)allow_sync;
  (void)allow_pagemode;
  AsMemopt(scan)->scan->Restart();
}

bool memopt_scan_getnextslot(TableScanDesc scan, ScanDirection direction, TupleTableSlot *slot) {
  if (!StoreNext(AsMemopt(scan), direction, slot)) return false;
  pgstat_count_heap_getnext(scan->rs_rd);
  return true;
}

namespace {

// The first slot at or after `tid`, for any TID (offsets out of 1..291 included).
uint64_t FirstSlotFrom(ItemPointer tid) {
  uint64_t block = ItemPointerGetBlockNumberNoCheck(tid);
  OffsetNumber offset = ItemPointerGetOffsetNumberNoCheck(tid);
  if (offset < 1) return block * 291;
  if (offset > 291) return (block + 1) * 291;
  return block * 291 + offset - 1;
}

// One past the last slot at or before `tid`.
uint64_t SlotsThrough(ItemPointer tid) {
  uint64_t block = ItemPointerGetBlockNumberNoCheck(tid);
  OffsetNumber offset = ItemPointerGetOffsetNumberNoCheck(tid);
  if (offset < 1) return block * 291;
  if (offset > 291) return (block + 1) * 291;
  return block * 291 + offset;
}

}  // namespace

void memopt_scan_set_tidrange(TableScanDesc scan, ItemPointer mintid, ItemPointer maxtid) {
  uint64_t first = mintid != nullptr ? FirstSlotFrom(mintid) : 0;
  uint64_t end = maxtid != nullptr ? SlotsThrough(maxtid) : ~0ULL;
  if (end <= first) {  // empty range: a range no slot can be in
    first = ~0ULL - 1;
    end = ~0ULL - 1;
  }
  AsMemopt(scan)->scan->SetRange(first, end - 1);
}

bool memopt_scan_getnextslot_tidrange(TableScanDesc scan, ScanDirection direction,
                                      TupleTableSlot *slot) {
  return StoreNext(AsMemopt(scan), direction, slot);
}

// Parallel scans are never planned on memopt tables (planner.cpp); these
// only describe an empty shared state.
Size memopt_parallelscan_estimate(Relation rel) {
  (void)rel;
  return sizeof(ParallelTableScanDescData);
}

Size memopt_parallelscan_initialize(Relation rel, ParallelTableScanDesc pscan) {
  pscan->phs_relid = RelationGetRelid(rel);
  pscan->phs_syncscan = false;
  pscan->phs_snapshot_any = false;
  return sizeof(ParallelTableScanDescData);
}

void memopt_parallelscan_reinitialize(Relation rel, ParallelTableScanDesc pscan) {
  (void)rel;
  (void)pscan;
}

// Fetches the version named by `tid` if `snapshot` sees it (any version for
// SnapshotAny). Garbage TIDs find nothing.
memopt::Version *memopt_fetch_tid(Relation rel, ItemPointer tid, Snapshot snapshot) {
  // A dirty snapshot reports the xids a caller should wait for in xmin/xmax
  // (check_exclusion_or_unique_constraint waits and retries on them); memopt
  // never asks anyone to wait, and the fields are not initialized for us.
  if (snapshot->snapshot_type == SNAPSHOT_DIRTY) {
    snapshot->xmin = snapshot->xmax = InvalidTransactionId;
    snapshot->speculativeToken = 0;
  }
  uint64_t slot;
  if (!memopt_tid_to_slot(tid, &slot)) return nullptr;
  memopt::Table *table = memopt_table_for(rel);
  bool any = snapshot->snapshot_type == SNAPSHOT_ANY;
  memopt::ReadView view = any ? memopt_view_for(SnapshotSelf) : memopt_view_for(snapshot);
  return memopt::FetchVersion(memopt_engine(), table, slot, view, any);
}

bool memopt_tuple_fetch_row_version(Relation rel, ItemPointer tid, Snapshot snapshot,
                                    TupleTableSlot *slot) {
  memopt::Version *version = memopt_fetch_tid(rel, tid, snapshot);
  if (version == nullptr) return false;
  memopt_store_version(version, rel, slot);
  if (snapshot->snapshot_type == SNAPSHOT_MVCC) memopt_note_read(rel, nullptr, version);
  return true;
}

bool memopt_tuple_tid_valid(TableScanDesc scan, ItemPointer tid) {
  uint64_t slot;
  return memopt_tid_to_slot(tid, &slot) && slot < AsMemopt(scan)->table->directory().high_water();
}

void memopt_tuple_get_latest_tid(TableScanDesc scan, ItemPointer tid) {
  MemoptScanDesc *memopt_scan = AsMemopt(scan);
  uint64_t slot;
  if (!memopt_tid_to_slot(tid, &slot)) return;
  memopt::Version *version = memopt_scan->table->directory().Get(slot);
  if (version == nullptr) return;
  memopt::ReadView view = memopt_view_for(scan->rs_snapshot);
  for (memopt::Version *candidate = version->row->newest.load(); candidate != nullptr;
       candidate = candidate->older.load()) {
    if (memopt::IsVisible(memopt_engine()->slots(), candidate, view)) {
      memopt_slot_to_tid(candidate->slot, tid);
      return;
    }
  }
}

bool memopt_tuple_satisfies_snapshot(Relation rel, TupleTableSlot *slot, Snapshot snapshot) {
  return memopt_fetch_tid(rel, &slot->tts_tid, snapshot) != nullptr;
}

// Index fetches: TID -> version, for index AMs (memopt's own come later).
struct IndexFetchTableData *memopt_index_fetch_begin(Relation rel) {
  auto *fetch = static_cast<IndexFetchTableData *>(palloc0(sizeof(IndexFetchTableData)));
  fetch->rel = rel;
  return fetch;
}

void memopt_index_fetch_reset(struct IndexFetchTableData *data) { (void)data; }

void memopt_index_fetch_end(struct IndexFetchTableData *data) { pfree(data); }

bool memopt_index_fetch_tuple(struct IndexFetchTableData *data, ItemPointer tid, Snapshot snapshot,
                              TupleTableSlot *slot, bool *call_again, bool *all_dead) {
  *call_again = false;
  if (all_dead != nullptr) *all_dead = false;
  return memopt_tuple_fetch_row_version(data->rel, tid, snapshot, slot);
}

BlockNumber memopt_analyze_blocks(uint64_t slots) {
  uint64_t blocks = (slots + 290) / 291;
  return static_cast<BlockNumber>(Min(blocks, static_cast<uint64_t>(RELSEG_SIZE - 1)));
}

bool memopt_scan_analyze_next_block(TableScanDesc scan, BlockNumber blockno,
                                    BufferAccessStrategy bstrategy) {
  (void)bstrategy;
  MemoptScanDesc *memopt_scan = AsMemopt(scan);
  uint64_t slots = memopt_scan->table->directory().high_water();
  BlockNumber blocks = memopt_analyze_blocks(slots);
  if (blockno >= blocks) return false;
  uint64_t per_block = (slots + blocks - 1) / blocks;
  memopt_scan->scan->SetRange(blockno * per_block, (blockno + 1) * per_block - 1);
  return true;
}

// Samples the visible rows of the current range. Versions in the range
// that the scan does not see (replaced or deleted ones that GC has not
// collected yet, or uncommitted ones) count as dead rows, so ANALYZE reports
// them to pgstat and autovacuum knows there is garbage to collect.
bool memopt_scan_analyze_next_tuple(TableScanDesc scan, TransactionId oldest_xmin, double *liverows,
                                    double *deadrows, TupleTableSlot *slot) {
  (void)oldest_xmin;
  MemoptScanDesc *memopt_scan = AsMemopt(scan);
  uint64_t first = memopt_scan->scan->position();
  bool found = StoreNext(memopt_scan, ForwardScanDirection, slot);
  uint64_t passed = memopt_scan->scan->position() - first - (found ? 1 : 0);
  *deadrows +=
      static_cast<double>(memopt::CountVersions(memopt_scan->table, first, first + passed));
  if (found) *liverows += 1;
  return found;
}

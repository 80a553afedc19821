// views.cpp - SQL-callable functions behind the memopt.tables,
// memopt.indexes and memopt.memory views.
//
// Table statistics are copied out of the engine while its registry lock is
// held, into memory allocated before taking it: nothing that can ereport runs
// under the lock.
#include "memopt_pg.h"

extern "C" {
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"
}

namespace {

void PutTableRow(ReturnSetInfo *rsinfo, const memopt::TableStats &stats) {
  Datum values[7];
  bool nulls[7] = {false, false, false, false, false, false, false};
  values[0] = ObjectIdGetDatum(stats.key.space);
  values[1] = ObjectIdGetDatum(stats.key.database);
  values[2] = ObjectIdGetDatum(stats.key.relation);
  values[3] = Int64GetDatum(static_cast<int64>(stats.live_rows));
  values[4] = Int64GetDatum(static_cast<int64>(stats.versions));
  values[5] = Int64GetDatum(static_cast<int64>(stats.bytes));
  values[6] = Int64GetDatum(static_cast<int64>(stats.slots));
  tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

void PutMemoryRow(ReturnSetInfo *rsinfo, const char *kind, uint64_t bytes, uint64_t blocks,
                  bool blocks_known) {
  Datum values[3] = {CStringGetTextDatum(kind), Int64GetDatum(static_cast<int64>(bytes)),
                     Int64GetDatum(static_cast<int64>(blocks))};
  bool nulls[3] = {false, false, !blocks_known};
  tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

struct IndexRow {
  memopt::TableKey table;
  memopt::Index *index;
};

void PutIndexRow(ReturnSetInfo *rsinfo, const IndexRow &row) {
  Datum values[10];
  bool nulls[10] = {false, false, false, false, false, false, false, false, false, false};
  values[0] = ObjectIdGetDatum(row.table.space);
  values[1] = ObjectIdGetDatum(row.index->relation());
  bool hash = row.index->kind() == memopt::IndexKind::kHash;
  values[2] = CStringGetTextDatum(hash ? "hash" : "range");
  if (hash) {
    memopt::HashIndexStats stats = row.index->hash()->Stats();
    values[3] = Int64GetDatum(static_cast<int64>(stats.entries));
    values[4] = Int64GetDatum(static_cast<int64>(stats.bytes));
    values[5] = Int64GetDatum(static_cast<int64>(stats.buckets));
    values[6] = Float8GetDatum(stats.load_factor);
    values[7] = Int64GetDatum(static_cast<int64>(stats.longest_chain));
    nulls[8] = nulls[9] = true;
  } else {
    memopt::RangeIndexStats stats = row.index->range()->Stats();
    values[3] = Int64GetDatum(static_cast<int64>(stats.entries));
    values[4] = Int64GetDatum(static_cast<int64>(stats.bytes));
    nulls[5] = nulls[6] = nulls[7] = true;
    values[8] = Int64GetDatum(static_cast<int64>(stats.height));
    values[9] = Int64GetDatum(static_cast<int64>(stats.leaves));
  }
  tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

}  // namespace

extern "C" {

// One row per engine index of this database's tables. The walks over the
// indexes run outside the registry lock, inside this session's memopt
// transaction, which keeps every index it found readable.
PG_FUNCTION_INFO_V1(memopt_index_stats);
Datum memopt_index_stats(PG_FUNCTION_ARGS) {
  InitMaterializedSRF(fcinfo, 0);
  ReturnSetInfo *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
  memopt::Engine *engine = memopt_engine();
  (void)memopt_txn();
  size_t count = 0;
  engine->ForEachTable([&](memopt::Table *table) { count += table->index_count(); });
  size_t capacity = count + 16;
  auto *rows = static_cast<IndexRow *>(palloc(sizeof(IndexRow) * capacity));
  size_t filled = 0;
  engine->ForEachTable([&](memopt::Table *table) {
    if (table->key().database != MyDatabaseId) return;
    for (memopt::Index *index = table->first_index(); index != nullptr && filled < capacity;
         index = index->next.load(std::memory_order_acquire))
      rows[filled++] = IndexRow{table->key(), index};
  });
  for (size_t i = 0; i < filled; ++i) PutIndexRow(rsinfo, rows[i]);
  pfree(rows);
  return (Datum)0;
}

PG_FUNCTION_INFO_V1(memopt_table_stats);
Datum memopt_table_stats(PG_FUNCTION_ARGS) {
  InitMaterializedSRF(fcinfo, 0);
  ReturnSetInfo *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
  memopt::Engine *engine = memopt_engine();
  size_t count = 0;
  engine->ForEachTable([&](memopt::Table *) { ++count; });
  size_t capacity = count + 16;  // tables created meanwhile are shown next time
  auto *stats = static_cast<memopt::TableStats *>(palloc(sizeof(memopt::TableStats) * capacity));
  size_t filled = 0;
  // Only this database's tables: others' names and sizes are not ours to show.
  engine->ForEachTable([&](memopt::Table *table) {
    if (filled < capacity && table->key().database == MyDatabaseId)
      stats[filled++] = table->Stats();
  });
  for (size_t i = 0; i < filled; ++i) PutTableRow(rsinfo, stats[i]);
  pfree(stats);
  return (Datum)0;
}

PG_FUNCTION_INFO_V1(memopt_memory_stats);
Datum memopt_memory_stats(PG_FUNCTION_ARGS) {
  InitMaterializedSRF(fcinfo, 0);
  ReturnSetInfo *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
  memopt::ArenaStats stats = memopt_engine()->arena()->Stats();
  PutMemoryRow(rsinfo, "arena size", stats.total_bytes, 0, false);
  PutMemoryRow(
      rsinfo, "in use",
      stats.bump_used_bytes - stats.free_list_bytes - stats.retired_bytes - stats.split_waste_bytes,
      0, false);
  PutMemoryRow(rsinfo, "free for reuse", stats.free_list_bytes, 0, false);
  PutMemoryRow(rsinfo, "waiting for readers", stats.retired_bytes, 0, false);
  PutMemoryRow(rsinfo, "lost to splitting", stats.split_waste_bytes, 0, false);
  PutMemoryRow(rsinfo, "never used", stats.total_bytes - stats.bump_used_bytes, 0, false);
  for (int i = 0; i < static_cast<int>(memopt::MemoryKind::kCount); ++i)
    PutMemoryRow(rsinfo, memopt::MemoryKindName(static_cast<memopt::MemoryKind>(i)),
                 stats.kinds[i].bytes, stats.kinds[i].blocks, true);
  return (Datum)0;
}

}  // extern "C"

// views.cpp - SQL-callable functions behind the memopt.tables and
// memopt.memory views.
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

}  // namespace

extern "C" {

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

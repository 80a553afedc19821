// views.cpp - SQL-callable functions behind the memopt.tables,
// memopt.indexes, memopt.memory, memopt.transactions and
// memopt.transaction_stats views.
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

const char *StateName(memopt::TxnState state) {
  switch (state) {
    case memopt::TxnState::kActive:
      return "active";
    case memopt::TxnState::kCommitting:
    case memopt::TxnState::kPreparing:
      return "validating";
    case memopt::TxnState::kCommitted:
      return "committed";
    case memopt::TxnState::kAborted:
      return "aborted";
    default:
      return "idle";
  }
}

// One running transaction's slot, copied field by field (the owner keeps
// changing it; the row is a best-effort picture, as in pg_stat_activity).
void PutTransactionRow(ReturnSetInfo *rsinfo, const memopt::TxnSlot &slot) {
  uint64_t read_ts = slot.read_ts.load(std::memory_order_acquire);
  if (read_ts == memopt::kInfinity || slot.in_use.load(std::memory_order_acquire) == 0) return;
  uint64_t txn_id = slot.txn_id.load(std::memory_order_acquire);
  uint64_t status = slot.status.load(std::memory_order_acquire);
  memopt::TxnState state = memopt::StatusState(status);
  if (state == memopt::TxnState::kIdle) return;
  Datum values[11];
  bool nulls[11] = {false};
  values[0] = Int64GetDatum(static_cast<int64>(txn_id & ~memopt::kTxnIdMark));
  values[1] = Int32GetDatum(slot.process_id.load(std::memory_order_relaxed));
  TransactionId xid = slot.host_xid.load(std::memory_order_relaxed);
  values[2] = TransactionIdGetDatum(xid);
  nulls[2] = !TransactionIdIsValid(xid);
  values[3] = CStringGetTextDatum(StateName(state));
  auto level = static_cast<memopt::Isolation>(slot.isolation.load(std::memory_order_relaxed));
  values[4] = CStringGetTextDatum(memopt::IsolationName(level));
  values[5] = Int64GetDatum(static_cast<int64>(read_ts));
  values[6] = Int64GetDatum(static_cast<int64>(memopt::StatusTimestamp(status)));
  nulls[6] = memopt::StatusTimestamp(status) == 0;
  values[7] = Int32GetDatum(static_cast<int32>(slot.read_count.load(std::memory_order_relaxed)));
  values[8] = Int32GetDatum(static_cast<int32>(slot.scan_count.load(std::memory_order_relaxed)));
  values[9] = Int32GetDatum(static_cast<int32>(slot.write_count.load(std::memory_order_relaxed)));
  values[10] =
      Int32GetDatum(static_cast<int32>(slot.dependency_count.load(std::memory_order_relaxed)));
  tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

}  // namespace

extern "C" {

PG_FUNCTION_INFO_V1(memopt_transaction_info);
Datum memopt_transaction_info(PG_FUNCTION_ARGS) {
  InitMaterializedSRF(fcinfo, 0);
  ReturnSetInfo *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
  memopt::Engine *engine = memopt_engine();
  for (uint32_t i = 0; i < engine->max_sessions(); ++i)
    PutTransactionRow(rsinfo, engine->slots()[i]);
  return (Datum)0;
}

PG_FUNCTION_INFO_V1(memopt_transaction_stats);
Datum memopt_transaction_stats(PG_FUNCTION_ARGS) {
  TupleDesc desc;
  if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE)
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("function returning record called in context that cannot accept type "
                           "record")));
  memopt::EngineStats &stats = memopt_engine()->stats();
  const std::atomic<uint64_t> *counters[] = {
      &stats.commits,
      &stats.aborts,
      &stats.write_conflicts,
      &stats.unique_conflicts,
      &stats.read_validation_failures,
      &stats.phantom_validation_failures,
      &stats.dependency_failures,
      &stats.dependencies_taken,
  };
  Datum values[8];
  bool nulls[8] = {false};
  for (int i = 0; i < 8; ++i)
    values[i] = Int64GetDatum(static_cast<int64>(counters[i]->load(std::memory_order_relaxed)));
  return HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls));
}

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

// memopt_pg.h - what glue files share: the engine, the session's transaction,
// relation -> table mapping, TIDs, and errors.
//
// Every function here may ereport. None of them leaves a C++ object with a
// destructor on the stack across a call that can ereport (DESIGN.md,
// "Layers": a longjmp skips destructors).
#pragma once

#include "pg_includes.h"

extern "C" {
#include "access/skey.h"
#include "access/tableam.h"
#include "storage/itemptr.h"
#include "utils/rel.h"
#include "utils/snapshot.h"
#include "utils/snapmgr.h"
}

#include "memopt/engine.h"
#include "memopt/table.h"
#include "memopt/transaction.h"
#include "memopt/visibility.h"

// memopt_hash's starting bucket count when WITH (bucket_count) is not given.
constexpr int kMemoptDefaultBuckets = 1024;

// shmem.cpp: the engine created at postmaster start, and the striped locks
// that serialize unique checks of equal keys (index_insert.cpp).
memopt::Engine *memopt_engine(void);
struct LWLock;
LWLock *memopt_unique_check_lock(uint64 key_hash);
// Held exclusively to append to a durable table's pages, to load it and to
// freeze it (one of a few striped locks; never hold two).
LWLock *memopt_durable_table_lock(const memopt::TableKey &key);

// session.cpp: this backend's memopt transaction, begun on first use in the
// current PostgreSQL transaction.
memopt::Transaction *memopt_txn(void);
// The transaction, begun at `level` if it was not running (a running one
// keeps its level: the caller checks it).
memopt::Transaction *memopt_txn_at_level(memopt::Isolation level);
// The transaction if one is running, else nullptr (does not begin one).
memopt::Transaction *memopt_txn_if_active(void);
// What `snapshot` lets this transaction see.
memopt::ReadView memopt_view_for(Snapshot snapshot);
// Marks the transaction as writing: assigns a PostgreSQL xid (so a commit
// record is written and other sessions' snapshots change at our commit).
void memopt_prepare_write(void);
// The savepoint level writes are recorded at.
int memopt_write_level(void);

// validation.cpp: the read set and scan set (no-ops at levels that do not
// validate them; call for reads under an MVCC snapshot only; `table` may be
// nullptr, looked up from `rel` when needed), and commit-time validation
// with commit dependencies (PRE_COMMIT, before the WAL is written; raises
// 40001 on failure).
// memopt_xact_tracks_* are set when the memopt transaction begins, so that
// read paths pay one load when nothing is kept.
extern bool memopt_xact_tracks_reads;
extern bool memopt_xact_tracks_scans;
void memopt_note_read_slow(Relation rel, memopt::Table *table, memopt::Version *version);
inline void memopt_note_read(Relation rel, memopt::Table *table, memopt::Version *version) {
  if (memopt_xact_tracks_reads) memopt_note_read_slow(rel, table, version);
}
void memopt_note_table_scan(Relation rel, memopt::Table *table,
                            memopt::ScanFilter filter = memopt::ScanFilter{});
void memopt_note_hash_probe(Relation rel, const memopt::Index *index, uint64 hash);
void memopt_note_range_scan(Relation rel, const memopt::Index *index, const memopt::RangeBound &low,
                            const memopt::RangeBound &high);
void memopt_validate_commit(memopt::Transaction *txn);

// table_map.cpp: the engine table behind a relation (made on first use, by
// durable_load.cpp).
memopt::TableKey memopt_key_for_node(const RelFileNode &node);
memopt::Table *memopt_table_for(Relation rel);

// durable_load.cpp: the engine table of `rel`, loaded from its pages (with
// its indexes) if this is its first use since the server started.
memopt::Table *memopt_open_table(Relation rel);
// The table this backend is loading, if its key is `key`.
memopt::Table *memopt_table_being_loaded(const memopt::TableKey &key);

// durable_write.cpp: appends the batches of a committing transaction (PRE_COMMIT).
void memopt_log_commit(memopt::Transaction *txn);

// durable_freeze.cpp: VACUUM's freezing of a durable table's batches; returns
// the table's new relfrozenxid (InvalidTransactionId: leave it).
TransactionId memopt_freeze_batches(Relation rel, memopt::Table *table);
// durable_prune.cpp: VACUUM's removal of dead entries from a durable table's
// pages (their space goes to the free space map); returns the bytes freed.
uint64 memopt_prune_batches(Relation rel, memopt::Table *table);
// Called when this session drops engine tables in the middle of a transaction.
void memopt_forget_cached_tables(void);
Oid memopt_am_oid(void);
// Whether `relid` is a memopt table (false for a missing relation).
bool memopt_is_memopt_table(Oid relid);
// Whether a direct partition of `relid` is a memopt table (partition_guard.cpp).
bool memopt_has_memopt_partition(Oid relid);

// tid.cpp: a version's directory slot <-> ItemPointer (block = slot / 291,
// offset = slot % 291 + 1). The encoding is inline: scans call it per row.
constexpr uint64_t kMemoptSlotsPerBlock = 291;
inline void memopt_slot_to_tid(uint64_t slot, ItemPointer tid) {
  ItemPointerSet(tid, static_cast<BlockNumber>(slot / kMemoptSlotsPerBlock),
                 static_cast<OffsetNumber>(slot % kMemoptSlotsPerBlock + 1));
}
bool memopt_tid_to_slot(ItemPointer tid, uint64_t *slot);

// errors.cpp: ereport(ERROR) for a failed engine status.
void memopt_report_status(memopt::Status status, Relation rel) pg_attribute_noreturn();

// table_lifecycle.cpp: engine tables created or replaced by DDL are dropped
// when the (sub)transaction ends the right way.
void memopt_drop_at_commit(const memopt::TableKey &key);
void memopt_drop_at_abort(const memopt::TableKey &key);
void memopt_drop_index_at_commit(const memopt::TableKey &table, uint32_t index_relation);
void memopt_drop_index_at_abort(const memopt::TableKey &table, uint32_t index_relation);
void memopt_drop_database_at_commit(Oid database);
void memopt_lifecycle_at_end(bool commit);
bool memopt_lifecycle_pending(void);
void memopt_lifecycle_at_subxact_end(bool commit, int nest_level);

// tuple_form.cpp: builds a version holding `slot` as a flattened
// MinimalTuple in the arena.
memopt::Version *memopt_form_version(memopt::Transaction *txn, memopt::Table *table, Relation rel,
                                     TupleTableSlot *slot);
// Whether an update from `before` to `after` changed a column any index of
// `rel` reads (key, expression or predicate; binary comparison, so "maybe"
// counts as changed). When none did, every index entry of the row still
// holds and the update adds none (heap's HOT rule, for memopt's row entries).
bool memopt_indexed_columns_changed(Relation rel, const memopt::Version *before,
                                    const memopt::Version *after);
// The same for the columns of `rel`'s unique indexes that a foreign key could
// reference (PostgreSQL's "key" columns, which FOR KEY SHARE protects).
bool memopt_key_columns_changed(Relation rel, const memopt::Version *before,
                                const memopt::Version *after);

// tableam_modify.cpp: the table AM's insert of one row (the slot's values),
// returning the new version.
memopt::Version *memopt_insert_row(Relation rel, TupleTableSlot *slot, CommandId cid);

// direct_insert.cpp: INSERT of one row into a table and its indexes without
// the executor's index path, where every index allows it (natively compiled
// code checks once per call).
bool memopt_direct_insert_applies(struct ResultRelInfo *result_rel);
void memopt_direct_insert(struct ResultRelInfo *result_rel, TupleTableSlot *slot, CommandId cid);

// slot.cpp: memopt's slot type, and storing a version in any slot (no copy
// for memopt and MinimalTuple slots) with its TID and table.
const TupleTableSlotOps *memopt_slot_ops(void);
void memopt_store_version(memopt::Version *version, Relation rel, TupleTableSlot *slot);

// tableam_handler.cpp: identifies memopt relations (rel->rd_tableam).
const TableAmRoutine *memopt_table_am_routine(void);

// native_routine.cpp: a natively compiled routine is being dropped (its code
// and object file go; a no-op for other routines).
void memopt_native_routine_dropped(Oid fn_oid);

// tableam_ddl.cpp: the hint given wherever an index on a memopt table is refused.
const char *memopt_index_hint(void);

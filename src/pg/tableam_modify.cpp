// tableam_modify.cpp - table AM write paths: INSERT, COPY (multi_insert),
// UPDATE and DELETE. Row locks are in row_locks.cpp.
//
// Every write becomes a new version (or a claimed end field) in the engine
// and an entry in the transaction's write set at the current savepoint level.
// Writes never wait for writes: a row another running transaction has
// changed fails at once with SQLSTATE 40001, and so does one changed by a
// transaction that committed after our snapshot, except under READ COMMITTED,
// where the executor re-checks the row's newest version (update_chain.cpp).
// A row another running transaction has locked (SELECT ... FOR UPDATE) is
// waited for, as PostgreSQL waits, and then tried again.
#include "memopt_pg.h"

extern "C" {
#include "access/xact.h"
#include "pgstat.h"
}

#include "tableam_internal.h"

namespace {

memopt::Version *InsertOne(memopt::Transaction *txn, memopt::Table *table, Relation rel,
                           TupleTableSlot *slot, CommandId cid, int level) {
  memopt::Version *version = memopt_form_version(txn, table, rel, slot);
  memopt::Status status = txn->Insert(table, version, cid, level);
  if (status != memopt::Status::kOk) {
    txn->DiscardVersion(table, version);
    memopt_report_status(status, rel);
  }
  slot->tts_tableOid = RelationGetRelid(rel);
  memopt_slot_to_tid(version->slot, &slot->tts_tid);
  return version;
}

// The version a DELETE or UPDATE names, or an error for a TID that names
// nothing (which the executor never passes for a row it just read).
memopt::Version *VersionToChange(memopt::Table *table, Relation rel, ItemPointer tid) {
  uint64_t slot;
  memopt::Version *version =
      memopt_tid_to_slot(tid, &slot) ? table->directory().Get(slot) : nullptr;
  if (version == nullptr)
    ereport(ERROR, (errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
                    errmsg("could not serialize access to table \"%s\" due to concurrent update",
                           RelationGetRelationName(rel)),
                    errdetail("The row version to change no longer exists."),
                    errhint("The transaction might succeed if retried.")));
  return version;
}

TM_Result SelfModified(memopt::Version *version, ItemPointer tid, TM_FailureData *tmfd) {
  tmfd->ctid = *tid;
  tmfd->xmax = GetTopTransactionIdIfAny();
  tmfd->cmax = version->cmax;
  tmfd->traversed = false;
  return TM_SelfModified;
}

// What an UPDATE or DELETE of `version` that the engine refused with
// `status` returns: TM_SelfModified, READ COMMITTED's TM_Updated or
// TM_Deleted (update_chain.cpp), or else it raises the status's error.
TM_Result RefusedWrite(memopt::Status status, Relation rel, memopt::Version *version,
                       ItemPointer tid, TM_FailureData *tmfd) {
  if (status == memopt::Status::kSelfModified) return SelfModified(version, tid, tmfd);
  if (status == memopt::Status::kWriteConflict && memopt_follows_updates(version))
    return memopt_report_changed_row(version, tmfd);
  memopt_report_status(status, rel);
}

}  // namespace

memopt::Version *memopt_insert_row(Relation rel, TupleTableSlot *slot, CommandId cid) {
  memopt_prepare_write();
  memopt::Transaction *txn = memopt_txn();
  memopt::Version *version =
      InsertOne(txn, memopt_table_for(rel), rel, slot, cid, memopt_write_level());
  pgstat_count_heap_insert(rel, 1);
  return version;
}

void memopt_tuple_insert(Relation rel, TupleTableSlot *slot, CommandId cid, int options,
                         struct BulkInsertStateData *bistate) {
  (void)options;
  (void)bistate;
  memopt_insert_row(rel, slot, cid);
}

void memopt_multi_insert(Relation rel, TupleTableSlot **slots, int nslots, CommandId cid,
                         int options, struct BulkInsertStateData *bistate) {
  (void)options;
  (void)bistate;
  memopt_prepare_write();
  memopt::Transaction *txn = memopt_txn();
  memopt::Table *table = memopt_table_for(rel);
  int level = memopt_write_level();
  for (int i = 0; i < nslots; ++i) InsertOne(txn, table, rel, slots[i], cid, level);
  pgstat_count_heap_insert(rel, nslots);
}

// INSERT ... ON CONFLICT (on_conflict.cpp): the row goes in like any other;
// if an arbiter index then reports a conflict, the executor asks to take it
// back, and it is the transaction's latest write.
void memopt_tuple_insert_speculative(Relation rel, TupleTableSlot *slot, CommandId cid, int options,
                                     struct BulkInsertStateData *bistate, uint32 spec_token) {
  (void)spec_token;
  memopt_tuple_insert(rel, slot, cid, options, bistate);
}

void memopt_tuple_complete_speculative(Relation rel, TupleTableSlot *slot, uint32 spec_token,
                                       bool succeeded) {
  (void)spec_token;
  if (succeeded) return;
  memopt::Table *table = memopt_table_for(rel);
  uint64_t position;
  memopt::Version *version =
      memopt_tid_to_slot(&slot->tts_tid, &position) ? table->directory().Get(position) : nullptr;
  if (version == nullptr || memopt_txn()->UndoLatestInsert(version) != memopt::Status::kOk)
    elog(ERROR, "memopt: speculative insert into \"%s\" is not the latest write",
         RelationGetRelationName(rel));
}

TM_Result memopt_tuple_delete(Relation rel, ItemPointer tid, CommandId cid, Snapshot snapshot,
                              Snapshot crosscheck, bool wait, TM_FailureData *tmfd,
                              bool changing_part) {
  (void)snapshot;
  (void)crosscheck;
  (void)changing_part;
  memopt_prepare_write();
  memopt::Transaction *txn = memopt_txn();
  memopt::Table *table = memopt_table_for(rel);
  memopt::Version *version = VersionToChange(table, rel, tid);
  memopt::Status status;
  while ((status = txn->Delete(table, version, cid, memopt_write_level())) ==
             memopt::Status::kRowLocked &&
         wait)
    memopt_wait_for_row_lock(rel, tid, txn->blocker(), XLTW_Delete);
  if (status != memopt::Status::kOk) return RefusedWrite(status, rel, version, tid, tmfd);
  pgstat_count_heap_delete(rel);
  return TM_Ok;
}

TM_Result memopt_tuple_update(Relation rel, ItemPointer otid, TupleTableSlot *slot, CommandId cid,
                              Snapshot snapshot, Snapshot crosscheck, bool wait,
                              TM_FailureData *tmfd, LockTupleMode *lockmode, bool *update_indexes) {
  (void)snapshot;
  (void)crosscheck;
  // Set first: after TM_Updated the executor locks the row's newest version
  // in this mode (update_chain.cpp).
  *lockmode = LockTupleExclusive;
  memopt_prepare_write();
  memopt::Transaction *txn = memopt_txn();
  memopt::Table *table = memopt_table_for(rel);
  memopt::Version *current = VersionToChange(table, rel, otid);
  memopt::Version *created = memopt_form_version(txn, table, rel, slot);
  memopt::Status status;
  while ((status = txn->Update(table, current, created, cid, memopt_write_level())) ==
             memopt::Status::kRowLocked &&
         wait)
    memopt_wait_for_row_lock(rel, otid, txn->blocker(), XLTW_Update);
  if (status != memopt::Status::kOk) {
    txn->DiscardVersion(table, created);
    return RefusedWrite(status, rel, current, otid, tmfd);
  }
  slot->tts_tableOid = RelationGetRelid(rel);
  memopt_slot_to_tid(created->slot, &slot->tts_tid);
  // Index entries name rows, not versions: a row whose indexed columns did
  // not change is already under the right key in every index.
  *update_indexes = memopt_indexed_columns_changed(rel, current, created);
  // A changed key breaks key-share locks (foreign key checks); the error
  // aborts the (sub)transaction, which undoes the update.
  status = txn->CheckKeyShareLocks(table, current->row);
  if (status != memopt::Status::kOk && memopt_key_columns_changed(rel, current, created))
    memopt_report_status(status, rel);
  pgstat_count_heap_update(rel, false);
  return TM_Ok;
}

void memopt_finish_bulk_insert(Relation rel, int options) {
  (void)rel;
  (void)options;
}

// validation.cpp - the glue of commit-time validation: recording what a
// transaction reads and scans, running Transaction::Prepare at PRE_COMMIT,
// waiting for commit dependencies, and reporting failures as 40001 errors.
//
// What is recorded, and where (each read path calls in after storing a
// version in a slot, under an MVCC snapshot only):
//   memopt_note_read        every version a query reads: the read set. The
//                           custom scans record a row once it passed the
//                           node's quals; PostgreSQL's own scans (sequential,
//                           TID, index) record every version they hand to the
//                           executor, before its Filter (conservative)
//   memopt_note_table_scan  sequential scans (table AM and MemoptSeqScan)
//   memopt_note_hash_probe  memopt_hash probes and MemoptLookup on them
//   memopt_note_range_scan  memopt_range scans and lookups, with the bounds
//                           in the index's own key encoding (a scan with
//                           cross-type bounds records the whole index)
// The engine keeps the records only at the levels that validate them
// (isolation.h).
//
// Order at PRE_COMMIT (xact.cpp): validate, then wait for dependencies, then
// write the WAL. A transaction is Preparing from its validation until its
// XACT_EVENT_COMMIT or ABORT callback, which PostgreSQL runs before it
// releases the lock on its xid; so waiting for a dependency is waiting for
// the owner's xid lock (XactLockTableWait): cancellable, seen by the
// deadlock detector and by pg_locks (and isolation tests). Dependencies only
// point to transactions with earlier commit timestamps, so the waits of
// memopt transactions among themselves cannot form a cycle.
#include "memopt_pg.h"

#include <sched.h>

extern "C" {
#include "access/genam.h"
#include "access/xact.h"
#include "storage/lmgr.h"
#include "access/relation.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/relcache.h"
#include "utils/relfilenodemap.h"
#include "utils/wait_event.h"
}

#include "guc.h"
#include "index_internal.h"

namespace {

memopt::Transaction *TrackingTransaction(bool scans) {
  memopt::Transaction *txn = memopt_txn();
  return (scans ? txn->tracks_scans() : txn->tracks_reads()) ? txn : nullptr;
}

void Check(memopt::Status status, Relation rel) {
  if (status != memopt::Status::kOk) memopt_report_status(status, rel);
}

// The indexes validation opened to compare keys, closed after it.
struct OpenedIndex {
  Relation relation;
  MemoptCompareContext *compare;
};

struct HookState {
  List *opened;  // of OpenedIndex *
};

// Called from inside the engine: must not raise errors. Comparisons that
// fail are caught by the comparator (MemoptCompareContext::error).
bool RangeComparator(void *context, const memopt::Index *index, memopt::KeyComparator *out) {
  auto *state = static_cast<HookState *>(context);
  ListCell *cell;
  foreach (cell, state->opened) {
    auto *opened = static_cast<OpenedIndex *>(lfirst(cell));
    if (RelationGetRelid(opened->relation) == index->object_id()) {
      *out = memopt_comparator(opened->compare);
      return true;
    }
  }
  return false;  // not opened (dropped meanwhile): the scan fails validation
}

// Opens the range indexes the transaction scanned, before validation runs
// (opening may raise errors, which must not cross the engine's frames).
void OpenScannedIndexes(const memopt::Transaction *txn, HookState *state) {
  for (const memopt::ScanRecord &scan : txn->scans()) {
    if (scan.kind != memopt::ScanRecord::Kind::kRange) continue;
    Oid oid = scan.index->object_id();
    bool known = false;
    ListCell *cell;
    foreach (cell, state->opened)
      known |= RelationGetRelid(static_cast<OpenedIndex *>(lfirst(cell))->relation) == oid;
    if (known) continue;
    // The transaction scanned the index, so it holds a lock on it.
    Relation relation = try_relation_open(oid, NoLock);
    if (relation == nullptr) continue;
    auto *opened = static_cast<OpenedIndex *>(palloc(sizeof(OpenedIndex)));
    opened->relation = relation;
    opened->compare = static_cast<MemoptCompareContext *>(palloc0(sizeof(MemoptCompareContext)));
    opened->compare->info = memopt_index_info(relation);
    state->opened = lappend(state->opened, opened);
  }
}

void CloseOpened(HookState *state) {
  ListCell *cell;
  foreach (cell, state->opened)
    relation_close(static_cast<OpenedIndex *>(lfirst(cell))->relation, NoLock);
  list_free_deep(state->opened);
  state->opened = NIL;
}

// The relation behind an engine table, opened (NoLock: the transaction read
// it, so it holds a lock), or nullptr.
Relation OpenTableOf(const memopt::Table *table) {
  if (table == nullptr || table->key().database != MyDatabaseId) return nullptr;
  Oid relid = RelidByRelfilenode(table->key().space, table->key().relation);
  return OidIsValid(relid) ? try_relation_open(relid, NoLock) : nullptr;
}

// "Key (id)=(7)" for `version` by the table's primary key, or nullptr.
char *DescribeKey(Relation rel, const memopt::Version *version) {
  if (version == nullptr) return nullptr;
  Oid pk = RelationGetPrimaryKeyIndex(rel);
  if (!OidIsValid(pk)) return nullptr;
  Relation index = index_open(pk, AccessShareLock);
  MemoptKeyReader *reader = memopt_key_reader_acquire(rel, index);
  Datum values[INDEX_MAX_KEYS];
  bool isnull[INDEX_MAX_KEYS];
  char *description = nullptr;
  if (memopt_version_key(reader, const_cast<memopt::Version *>(version), values, isnull))
    description = BuildIndexValueDescription(index, values, isnull);
  memopt_key_reader_release(index, reader);
  index_close(index, AccessShareLock);
  return description;
}

void ReportFailure(const memopt::ValidationFailure &failure) {
  Relation rel = OpenTableOf(failure.table);
  const char *name = rel != nullptr ? RelationGetRelationName(rel) : nullptr;
  char *key = rel != nullptr ? DescribeKey(rel, failure.version) : nullptr;
  if (rel != nullptr) relation_close(rel, NoLock);
  switch (failure.status) {
    case memopt::Status::kReadValidationFailed:
      ereport(ERROR,
              (errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
               name ? errmsg("repeatable read validation failure on table \"%s\"", name)
                    : errmsg("repeatable read validation failure"),
               key ? errdetail("The row with key %s, which this transaction read, was updated or "
                               "deleted by a concurrent transaction that committed first.",
                               key)
                   : errdetail("A row this transaction read was updated or deleted by a "
                               "concurrent transaction that committed first."),
               errhint("The transaction might succeed if retried.")));
      break;
    case memopt::Status::kPhantomValidationFailed:
      ereport(ERROR,
              (errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
               name ? errmsg("serializable validation failure on table \"%s\"", name)
                    : errmsg("serializable validation failure"),
               key ? errdetail("A concurrent transaction that committed first added or changed "
                               "the row with key %s, which a scan of this transaction would now "
                               "return.",
                               key)
                   : errdetail("A concurrent transaction that committed first added or changed "
                               "a row that a scan of this transaction would now return."),
               errhint("The transaction might succeed if retried.")));
      break;
    default:
      ereport(ERROR,
              (errcode(ERRCODE_T_R_SERIALIZATION_FAILURE), errmsg("commit dependency failure"),
               errdetail("This transaction read changes of a concurrent transaction that "
                         "was committing, and that transaction aborted."),
               errhint("The transaction might succeed if retried.")));
  }
}

// The host xid of memopt transaction `owner` while it is still Preparing,
// else InvalidTransactionId.
TransactionId PreparingHostXid(uint64_t owner) {
  const memopt::TxnSlot &slot = memopt_engine()->slots()[memopt::TxnIdSlot(owner)];
  TransactionId xid = slot.host_xid.load(std::memory_order_acquire);
  memopt::TxnOutcome outcome = memopt::ResolveTxn(memopt_engine()->slots(), owner);
  return outcome.state == memopt::TxnState::kPreparing ? xid : InvalidTransactionId;
}

void AwaitDependencies(memopt::Transaction *txn) {
  memopt::ValidationFailure failure;
  for (;;) {
    uint64_t pending = 0;
    memopt::Status status = txn->CheckDependencies(&failure, &pending);
    if (status == memopt::Status::kOk) return;
    if (status != memopt::Status::kPending) ReportFailure(failure);
    CHECK_FOR_INTERRUPTS();
    TransactionId xid = pending != 0 ? PreparingHostXid(pending) : InvalidTransactionId;
    if (TransactionIdIsValid(xid) && xid != GetTopTransactionIdIfAny())
      XactLockTableWait(xid, nullptr, nullptr, XLTW_None);
    else
      sched_yield();  // finishing right now
  }
}

}  // namespace

bool memopt_xact_tracks_reads = false;
bool memopt_xact_tracks_scans = false;

void memopt_note_read_slow(Relation rel, memopt::Table *table, memopt::Version *version) {
  memopt::Transaction *txn = TrackingTransaction(false);
  if (txn == nullptr) return;
  if (table == nullptr) table = memopt_table_for(rel);
  Check(txn->NoteRead(table, version), rel);
}

void memopt_note_table_scan(Relation rel, memopt::Table *table, memopt::ScanFilter filter) {
  if (!memopt_xact_tracks_scans) return;
  memopt::Transaction *txn = TrackingTransaction(true);
  if (txn == nullptr) return;
  memopt::Status status;
  try {
    status = txn->NoteTableScan(table, std::move(filter));
  } catch (const std::bad_alloc &) {
    status = memopt::Status::kOutOfMemory;
  }
  Check(status, rel);
}

void memopt_note_hash_probe(Relation rel, const memopt::Index *index, uint64 hash) {
  if (!memopt_xact_tracks_scans) return;
  memopt::Transaction *txn = TrackingTransaction(true);
  if (txn == nullptr) return;
  Check(txn->NoteHashProbe(memopt_table_for(rel), index, hash), rel);
}

void memopt_note_range_scan(Relation rel, const memopt::Index *index, const memopt::RangeBound &low,
                            const memopt::RangeBound &high) {
  if (!memopt_xact_tracks_scans) return;
  memopt::Transaction *txn = TrackingTransaction(true);
  if (txn == nullptr) return;
  Check(txn->NoteRangeScan(memopt_table_for(rel), index, low, high), rel);
}

void memopt_validate_commit(memopt::Transaction *txn) {
  HookState state{NIL};
  memopt::ValidationHooks hooks;
  hooks.range_comparator = RangeComparator;
  hooks.context = &state;
  memopt::ValidationFailure failure;
  if (txn->tracks_scans() && txn->write_count() > 0) OpenScannedIndexes(txn, &state);
  memopt::Status status = txn->Prepare(hooks, &failure);
  ListCell *cell;
  foreach (cell, state.opened) {  // a comparison raised an error: that error wins
    MemoptCompareContext *compare = static_cast<OpenedIndex *>(lfirst(cell))->compare;
    if (compare->error != nullptr) memopt_rethrow_comparison_error(compare);
  }
  CloseOpened(&state);
  if (status != memopt::Status::kOk) ReportFailure(failure);
  if (memopt_debug_prepared_lock != 0 && txn->write_count() > 0) {
    LOCKTAG tag;
    SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, 0, static_cast<uint32>(memopt_debug_prepared_lock), 1);
    (void)LockAcquire(&tag, ExclusiveLock, false, false);
  }
  AwaitDependencies(txn);
}

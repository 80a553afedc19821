// index_insert.cpp - adding entries (aminsert of both memopt index AMs, and
// the build) and checking uniqueness.
//
// An entry is (key, row): an update that keeps the key finds its pair
// present and adds nothing. Uniqueness is checked after the entry is in, so
// of two transactions inserting one key at the same time at least the later
// checker sees the other's entry (DESIGN.md, "Indexes"); a range index's
// insert says whether it saw an equal key beside the new entry, and when it
// saw none there is nothing to search. For every other row
// under the key, the check walks the row's versions from the newest:
//  - a current version (committed, not ended by a committed transaction, or
//    our own) with an equal key is a duplicate: 23505;
//  - an equal key written, or being replaced, by a transaction still running
//    is a conflict: 40001, since memopt transactions never wait;
//  - older versions, undone versions and versions ended by a committed
//    transaction do not count.
// Commit-time re-validation of uniqueness belongs to the isolation work.
#include "index_internal.h"

extern "C" {
#include "access/genam.h"
#include "common/hashfn.h"
#include "storage/lwlock.h"
#include "utils/rel.h"
}

namespace {

enum class Writer { kGone, kMine, kRunning, kCommitted };

Writer WriterOf(uint64_t stamp, uint64_t my_id) {
  if (memopt::IsOpenEnd(stamp)) return Writer::kGone;  // in an end field: not ended
  if (!memopt::IsTxnId(stamp)) return Writer::kCommitted;
  if (stamp == my_id) return Writer::kMine;
  memopt::TxnOutcome outcome = memopt::ResolveTxn(memopt_engine()->slots(), stamp);
  if (outcome.state == memopt::TxnState::kCommitted) return Writer::kCommitted;
  if (memopt::IsRunning(outcome.state)) return Writer::kRunning;
  return Writer::kGone;  // aborted
}

struct CheckState {
  Relation heap;
  Relation index;
  const MemoptIndexInfo *info;
  MemoptKeyReader *reader;
  MemoptCompareContext *compare;
  Datum *values;
  bool *isnull;
  memopt::KeyRef key;  // range indexes
  bool building;
};

bool SameKey(CheckState *state, memopt::Version *version) {
  Datum values[INDEX_MAX_KEYS];
  bool isnull[INDEX_MAX_KEYS];
  if (!memopt_version_key(state->reader, version, values, isnull)) return false;
  if (state->info->kind == memopt::IndexKind::kHash)
    return memopt_key_values_equal(state->info, state->values, state->isnull, values, isnull);
  if (memopt_key_has_null(state->info, isnull) && !state->info->nulls_not_distinct) return false;
  memopt::KeyRef other =
      memopt_key_encode(state->info, nullptr, state->info->natts, values, isnull);
  bool same = memopt_key_compare(state->compare, state->key, other) == 0;
  pfree(const_cast<void *>(other.data));
  return same;
}

void ReportDuplicate(CheckState *state) {
  char *description = BuildIndexValueDescription(state->index, state->values, state->isnull);
  if (state->building)
    ereport(ERROR,
            (errcode(ERRCODE_UNIQUE_VIOLATION),
             errmsg("could not create unique index \"%s\"", RelationGetRelationName(state->index)),
             description ? errdetail("Key %s is duplicated.", description)
                         : errdetail("Duplicate keys exist."),
             errtableconstraint(state->heap, RelationGetRelationName(state->index))));
  ereport(ERROR, (errcode(ERRCODE_UNIQUE_VIOLATION),
                  errmsg("duplicate key value violates unique constraint \"%s\"",
                         RelationGetRelationName(state->index)),
                  description ? errdetail("Key %s already exists.", description) : 0,
                  errtableconstraint(state->heap, RelationGetRelationName(state->index))));
}

void ReportConflict(CheckState *state) {
  memopt_engine()->stats().unique_conflicts.fetch_add(1, std::memory_order_relaxed);
  char *description = BuildIndexValueDescription(state->index, state->values, state->isnull);
  ereport(ERROR, (errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
                  errmsg("could not serialize access to table \"%s\" due to a concurrent write "
                         "of the same key",
                         RelationGetRelationName(state->heap)),
                  description ? errdetail("Key %s of unique index \"%s\" is being written by a "
                                          "transaction that has not committed.",
                                          description, RelationGetRelationName(state->index))
                              : 0,
                  errhint("The transaction might succeed if retried.")));
}

// Looks at one other row under the key (see the file comment): true if it
// is a duplicate; raises 40001 for a conflict with a running transaction.
bool IsDuplicate(CheckState *state, memopt::Row *row, uint64_t my_id) {
  for (memopt::Version *version = row->newest.load(std::memory_order_acquire); version != nullptr;
       version = version->older.load(std::memory_order_acquire)) {
    Writer begin = WriterOf(version->begin.load(std::memory_order_acquire), my_id);
    if (begin == Writer::kGone) continue;
    Writer end = WriterOf(version->end.load(std::memory_order_acquire), my_id);
    if (end == Writer::kCommitted || end == Writer::kMine) return false;  // not current
    if (!SameKey(state, version)) {
      if (begin == Writer::kCommitted) return false;
      continue;  // an uncommitted new image; the one below may still hold the key
    }
    if (begin == Writer::kRunning || end == Writer::kRunning) ReportConflict(state);
    return true;
  }
  return false;
}

// A hash of the key under which equal keys (by the index's "=") collide:
// the columns' default hash opclasses (memopt_hash uses those already;
// index_keys.cpp looks them up once for range indexes too).
uint64 EqualityHash(const MemoptIndexInfo *info, const Datum *values, const bool *isnull) {
  if (!info->equality_hash) return 0;  // one lock for all keys
  uint64 hash = 0;
  for (int i = 0; i < info->natts; ++i) {
    uint64 column = 0x9e3779b97f4a7c15ULL;
    if (!isnull[i])
      column = DatumGetUInt64(FunctionCall2Coll(const_cast<FmgrInfo *>(&info->columns[i].hash),
                                                info->columns[i].collation, values[i],
                                                UInt64GetDatum(0)));
    hash = hash_combine64(hash, column);
  }
  return hash;
}

}  // namespace

bool memopt_index_add_entry(Relation heap, Relation index, memopt::Index *engine_index,
                            MemoptKeyReader *reader, memopt::Version *version, Datum *values,
                            bool *isnull, bool check, bool building, bool report) {
  const MemoptIndexInfo *info = memopt_index_info(index);
  MemoptCompareContext compare{info, nullptr, nullptr};
  memopt::Row *row = version->row;
  memopt::KeyRef key{nullptr, 0};
  uint64 hash = 0;
  memopt::Status status;
  bool failed = false;
  auto equal_keys = memopt::RangeIndex::EqualKeys::kUnknown;
  if (info->kind == memopt::IndexKind::kHash)
    hash = memopt_key_hash(info, nullptr, values, isnull);
  else
    key = memopt_key_encode(info, nullptr, info->natts, values, isnull);
  bool checking = check && (info->nulls_not_distinct || !memopt_key_has_null(info, isnull));
  LWLock *check_lock = nullptr;
  if (checking && !building) {
    uint64 lock_hash =
        info->kind == memopt::IndexKind::kHash ? hash : EqualityHash(info, values, isnull);
    check_lock = memopt_unique_check_lock(lock_hash ^ RelationGetRelid(index));
    LWLockAcquire(check_lock, LW_EXCLUSIVE);
  }
  // Nothing between lock and unlock can raise an error (index.h, RowIndexLock).
  memopt::RowIndexLock::LockShared(row);
  if (info->kind == memopt::IndexKind::kHash)
    status = engine_index->hash()->Insert(hash, row);
  else
    status =
        engine_index->range()->Insert(key, row, memopt_comparator(&compare), &failed, &equal_keys);
  memopt::RowIndexLock::UnlockShared(row);
  if (failed) memopt_rethrow_comparison_error(&compare);
  if (status != memopt::Status::kOk) memopt_report_status(status, heap);
  bool unique = true;
  // The insert itself saw no other entry with the key: nothing to check.
  if (equal_keys == memopt::RangeIndex::EqualKeys::kNone) checking = false;
  if (check_lock != nullptr && !checking) LWLockRelease(check_lock);
  if (checking) {
    // Other rows' keys are read only now that there are rows to look at.
    MemoptKeyReader *own_reader = nullptr;
    if (reader == nullptr) reader = own_reader = memopt_key_reader_acquire(heap, index);
    CheckState state{heap, index, info, reader, &compare, values, isnull, key, building};
    MemoptRowList candidates{nullptr, 0, 0};
    memopt_rows_under_key(engine_index, hash, key, &compare, &candidates);
    uint64_t my_id = memopt_txn()->id();
    for (int i = 0; i < candidates.count && unique; ++i)
      unique = candidates.rows[i] == row || !IsDuplicate(&state, candidates.rows[i], my_id);
    pfree(candidates.rows);
    if (own_reader != nullptr) memopt_key_reader_release(index, own_reader);
    if (check_lock != nullptr) LWLockRelease(check_lock);
    if (!unique && report) ReportDuplicate(&state);
  }
  if (key.data != nullptr) pfree(const_cast<void *>(key.data));
  return unique;
}

bool memopt_index_insert(Relation index, Datum *values, bool *isnull, ItemPointer heap_tid,
                         Relation heap, IndexUniqueCheck check_unique, bool index_unchanged,
                         IndexInfo *index_info) {
  (void)index_unchanged;
  (void)index_info;
  // UNIQUE_CHECK_PARTIAL comes from INSERT ... ON CONFLICT (and deferrable
  // constraints, which memopt indexes cannot be): report a duplicate by
  // returning false. UNIQUE_CHECK_EXISTING is the deferred re-check.
  if (check_unique == UNIQUE_CHECK_EXISTING)
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("deferred uniqueness checks are not supported by memopt indexes")));
  memopt::Table *table = memopt_table_for(heap);
  uint64_t slot;
  memopt::Version *version =
      memopt_tid_to_slot(heap_tid, &slot) ? table->directory().Get(slot) : nullptr;
  if (version == nullptr) elog(ERROR, "memopt index insert: no version at the new row's TID");
  memopt::Index *engine_index = memopt_index_for(heap, index);
  bool check = check_unique == UNIQUE_CHECK_YES || check_unique == UNIQUE_CHECK_PARTIAL;
  return memopt_index_add_entry(heap, index, engine_index, nullptr, version, values, isnull, check,
                                false, check_unique == UNIQUE_CHECK_YES);
}

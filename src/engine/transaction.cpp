// transaction.cpp - write set, savepoints, commit and abort (see transaction.h).
//
// Order of stores matters to concurrent readers (see txn_slot.h):
//  - Begin stores txn_id before status, so a reader never pairs the new id
//    with the previous transaction's outcome.
//  - Prepare stores Committing, takes the timestamp, stores Preparing(ts);
//    Commit stores Committed(ts) and only then stamps the versions; readers
//    resolve the id meanwhile.
//  - Abort stores Aborted before undoing, so readers stop relying on a
//    Preparing owner as early as possible.
//  - ClaimEnd re-reads the claimed version's begin after the CAS: a version
//    whose creator has not committed may not be replaced (its creator could
//    still undo it and restore Row::newest under us).
//  - Undo of an update restores Row::newest before reopening the old
//    version's end, since reopening lets another writer claim it at once.
//  - Row locks are released after the undo (Abort, RollbackToLevel) or the
//    publish (Commit) of every write, so a lock word never replaces a claim.
#include "memopt/transaction.h"

#include <algorithm>
#include <new>

namespace memopt {

namespace {

// A session frees retired memory every this many transactions, and at the
// end of any transaction once retired memory exceeds 1/kReclaimFraction of
// the arena (short sessions that drop big tables never reach the count).
constexpr uint32_t kReclaimEvery = 16;
constexpr uint64_t kReclaimFraction = 64;

}  // namespace

Transaction::~Transaction() {
  if (active_) Abort();
  engine_->arena()->Flush(&arena_counts_);
  if (slot_ != nullptr) engine_->ReleaseSlot(slot_);
}

Status Transaction::Attach(int32_t process_id) {
  if (slot_ != nullptr) return Status::kOk;
  slot_ = engine_->ClaimSlot(process_id);
  return slot_ != nullptr ? Status::kOk : Status::kNotFound;
}

void Transaction::Begin() {
  uint32_t index = static_cast<uint32_t>(slot_ - engine_->slots());
  txn_id_ = MakeTxnId(++slot_->sequence, index);
  slot_->txn_id.store(txn_id_, std::memory_order_seq_cst);
  slot_->status.store(MakeTxnStatus(TxnState::kActive, 0), std::memory_order_seq_cst);
  slot_->read_ts.store(kStarting, std::memory_order_seq_cst);
  first_read_ts_ = engine_->Now();
  slot_->read_ts.store(first_read_ts_, std::memory_order_seq_cst);
  validation_read_ts_ = first_read_ts_;
  commit_ts_ = 0;
  SetIsolation(Isolation::kReadCommitted);
  active_ = true;
}

void Transaction::SetIsolation(Isolation level) {
  isolation_ = level;
  slot_->isolation.store(static_cast<uint8_t>(level), std::memory_order_relaxed);
}

void Transaction::SetHostTransactionId(uint32_t xid) {
  slot_->host_xid.store(xid, std::memory_order_relaxed);
}

void *Transaction::Allocate(size_t bytes, MemoryKind kind) {
  void *memory = engine_->arena()->Allocate(bytes, kind, &arena_counts_);
  if (memory == nullptr && engine_->ReclaimMemory() > 0)
    memory = engine_->arena()->Allocate(bytes, kind, &arena_counts_);
  return memory;
}

Version *Transaction::NewVersion(Table *table, size_t payload_bytes) {
  (void)table;
  void *memory = Allocate(sizeof(Version) + payload_bytes, MemoryKind::kVersion);
  if (memory == nullptr) return nullptr;
  Version *version = static_cast<Version *>(memory);
  version->begin.store(kInfinity, std::memory_order_relaxed);
  version->end.store(kInfinity, std::memory_order_relaxed);
  version->older.store(nullptr, std::memory_order_relaxed);
  version->row = nullptr;
  version->slot = UINT32_MAX;
  version->cmin = version->cmax = 0;
  version->payload_bytes = static_cast<uint32_t>(payload_bytes);
  return version;
}

void Transaction::DiscardVersion(Table *table, Version *version) {
  (void)table;
  engine_->arena()->Free(version);
}

Status Transaction::Record(const WriteEntry &entry) {
  try {
    if (writes_.size() == writes_.capacity())
      writes_.reserve(std::max<size_t>(64, writes_.size() * 2));
  } catch (const std::bad_alloc &) {
    return Status::kOutOfMemory;
  }
  writes_.push_back(entry);  // cannot throw: capacity reserved above
  slot_->write_count.store(static_cast<uint32_t>(writes_.size()), std::memory_order_relaxed);
  return Status::kOk;
}

Status Transaction::ClaimEnd(Version *current, uint32_t command_id, bool *over_lock) {
  const uint64_t my_lock = MakeLockWord(txn_id_);
  for (;;) {
    uint64_t expected = current->end.load(std::memory_order_seq_cst);
    if (expected == txn_id_) return Status::kSelfModified;
    if (!IsTxnId(expected) && expected != kInfinity) return Status::kWriteConflict;  // ended
    if (IsTxnId(expected) && expected != my_lock) {
      bool lock = IsLockWord(expected);
      uint64_t owner_id = lock ? LockOwner(expected) : expected;
      TxnOutcome owner = ResolveTxn(engine_->slots(), owner_id);
      if (lock && IsRunning(owner.state)) {
        blocker_ = owner_id;
        return Status::kRowLocked;
      }
      // A claim whose owner aborted is about to be reopened, and one whose
      // owner finished has been re-stamped: look again. A lock whose owner
      // has ended is free: take it over.
      if (!lock && owner.state != TxnState::kAborted && owner.state != TxnState::kIdle)
        return Status::kWriteConflict;
      if (!lock) continue;
    }
    // seq_cst: a key-share locker's check of this field pairs with our
    // read of its count (key_share_lock.cpp).
    uint64_t seen = expected;
    if (!current->end.compare_exchange_strong(expected, txn_id_, std::memory_order_seq_cst))
      continue;
    *over_lock = seen == my_lock;
    if (!CreatorCommitted(engine_->slots(), current, txn_id_)) {
      current->end.store(ReopenedEnd(*over_lock), std::memory_order_release);
      return Status::kWriteConflict;
    }
    current->cmax = command_id;
    return Status::kOk;
  }
}

Status Transaction::Insert(Table *table, Version *created, uint32_t command_id, int level) {
  Arena *arena = engine_->arena();
  Row *row = static_cast<Row *>(Allocate(sizeof(Row), MemoryKind::kRow));
  if (row == nullptr) return Status::kOutOfMemory;
  row->newest.store(created, std::memory_order_relaxed);
  row->gc_next.store(nullptr, std::memory_order_relaxed);
  row->gc_state.store(kRowIdle, std::memory_order_relaxed);
  row->key_share_lockers.store(0, std::memory_order_relaxed);
  row->durable_chain = 0;
  row->index_lock.store(0, std::memory_order_relaxed);
  row->durable_id = 0;
  uint64_t slot;
  Status status = table->directory().Acquire(arena, &slot);
  if (status != Status::kOk) {
    arena->Free(row);
    return status;
  }
  status = Record({WriteKind::kInsert, false, level, table, created, nullptr});
  if (status != Status::kOk) {
    table->directory().Release(slot);
    arena->Free(row);
    return status;
  }
  created->row = row;
  created->slot = static_cast<uint32_t>(slot);
  created->cmin = command_id;
  created->begin.store(txn_id_, std::memory_order_release);
  table->directory().Set(slot, created);
  table->AddVersions(1);
  table->AddBytes(Arena::BlockBytes(created) + Arena::BlockBytes(row));
  return Status::kOk;
}

Status Transaction::Update(Table *table, Version *current, Version *created, uint32_t command_id,
                           int level) {
  uint64_t slot;
  Status status = table->directory().Acquire(engine_->arena(), &slot);
  if (status != Status::kOk) return status;
  status = Record({WriteKind::kUpdate, false, level, table, created, current});
  if (status == Status::kOk) {
    status = ClaimEnd(current, command_id, &writes_.back().over_lock);
    if (status != Status::kOk) writes_.pop_back();
    if (status == Status::kWriteConflict)
      engine_->stats().write_conflicts.fetch_add(1, std::memory_order_relaxed);
  }
  if (status != Status::kOk) {
    table->directory().Release(slot);
    return status;
  }
  created->row = current->row;
  created->older.store(current, std::memory_order_relaxed);
  created->slot = static_cast<uint32_t>(slot);
  created->cmin = command_id;
  created->begin.store(txn_id_, std::memory_order_release);
  table->directory().Set(slot, created);
  current->row->newest.store(created, std::memory_order_release);
  table->AddVersions(1);
  table->AddBytes(Arena::BlockBytes(created));
  return Status::kOk;
}

Status Transaction::Delete(Table *table, Version *current, uint32_t command_id, int level) {
  Status status = Record({WriteKind::kDelete, false, level, table, nullptr, current});
  if (status != Status::kOk) return status;
  bool over_lock = false;
  status = ClaimEnd(current, command_id, &over_lock);
  if (status == Status::kOk) {
    writes_.back().over_lock = over_lock;
    status = CheckKeyShareLocks(table, current->row);
    if (status != Status::kOk)
      current->end.store(ReopenedEnd(over_lock), std::memory_order_release);
  }
  if (status != Status::kOk) writes_.pop_back();
  if (status == Status::kWriteConflict || status == Status::kKeyShareLocked)
    engine_->stats().write_conflicts.fetch_add(1, std::memory_order_relaxed);
  return status;
}

void Transaction::Undo(const WriteEntry &entry) {
  Arena *arena = engine_->arena();
  Version *created = entry.created;
  if (entry.kind == WriteKind::kUpdate)
    created->row->newest.store(entry.replaced, std::memory_order_release);
  if (entry.replaced != nullptr)
    entry.replaced->end.store(ReopenedEnd(entry.over_lock), std::memory_order_release);
  if (created == nullptr) return;
  retired_memory_ = true;
  created->begin.store(kInfinity, std::memory_order_release);
  entry.table->directory().Release(created->slot);
  if (entry.kind == WriteKind::kInsert)
    created->row->newest.store(nullptr, std::memory_order_release);
  // Read after the version became unreachable (from its row and its slot):
  // readers that start later cannot hold it.
  Timestamp now = engine_->Now();
  entry.table->AddVersions(-1);
  entry.table->AddBytes(-static_cast<int64_t>(Arena::BlockBytes(created)));
  if (entry.kind == WriteKind::kInsert) RetireOrParkRow(arena, entry.table, created->row, now);
  arena->Retire(created, now);
}

Status Transaction::UndoLatestInsert(Version *created) {
  if (writes_.empty() || writes_.back().kind != WriteKind::kInsert ||
      writes_.back().created != created)
    return Status::kNotFound;
  Undo(writes_.back());
  writes_.pop_back();
  return Status::kOk;
}

// The newest version older than this transaction's versions of the row: the
// committed one its first write replaced, or nullptr if it inserted the row.
const Version *Transaction::CommittedBase(const Version *newest) const {
  const Version *base = newest->older.load(std::memory_order_acquire);
  while (base != nullptr && base->begin.load(std::memory_order_acquire) == txn_id_)
    base = base->older.load(std::memory_order_acquire);
  return base;
}

size_t Transaction::CollectDurableChanges(RowChange *changes) const {
  size_t count = 0;
  for (size_t i = 0; i < writes_.size(); ++i) {
    PrefetchWrite(i, false);
    const WriteEntry &entry = writes_[i];
    if (!entry.table->durable()) continue;
    // We hold the row (its newest version is ours, or its end is claimed
    // by us), so nobody else changes what we read here. A row written
    // several times is reported once, by the write that made its newest
    // state: the entry whose version we did not end again (only we can
    // end a version we created), or the delete that ended it. Only the
    // version is read for inserts and updates: a large commit's rows are
    // not cached.
    if (entry.created != nullptr) {
      const Version *created = entry.created;
      if (created->end.load(std::memory_order_acquire) != txn_id_ &&
          created->begin.load(std::memory_order_acquire) == txn_id_)
        changes[count++] = RowChange{entry.table, created->row, created, CommittedBase(created)};
      continue;
    }
    Row *row = entry.replaced->row;
    if (entry.kind == WriteKind::kDelete && row->durable_id != 0)
      changes[count++] = RowChange{entry.table, row, nullptr, nullptr};
  }
  auto by_table = [](const RowChange &a, const RowChange &b) { return a.table < b.table; };
  // stable_sort takes its buffer with nothrow new and sorts in place
  // without one.
  if (!std::is_sorted(changes, changes + count, by_table))
    std::stable_sort(changes, changes + count, by_table);
  return count;
}

// Commit-time loops walk the write set once over versions and rows written
// long ago; a large transaction's are no longer cached. Fetch the versions
// of the entry kWriteLookahead ahead and, if the loop reads rows, the rows
// of the one half as far, whose version an earlier call has fetched.
void Transaction::PrefetchWrite(size_t i, bool fetch_rows) const {
  constexpr size_t kWriteLookahead = 48;
  if (i + kWriteLookahead < writes_.size()) {
    const WriteEntry &ahead = writes_[i + kWriteLookahead];
    if (ahead.created != nullptr) __builtin_prefetch(ahead.created);
    if (ahead.replaced != nullptr) __builtin_prefetch(ahead.replaced);
  }
  if (fetch_rows && i + kWriteLookahead / 2 < writes_.size()) {
    const WriteEntry &near = writes_[i + kWriteLookahead / 2];
    const Version *version = near.created != nullptr ? near.created : near.replaced;
    if (version != nullptr) __builtin_prefetch(version->row);
  }
}

void Transaction::RollbackToLevel(int level) {
  while (!writes_.empty() && writes_.back().level >= level) {
    Undo(writes_.back());
    writes_.pop_back();
  }
  ReleaseRowLocks(level);  // after the undo, which may have put our locks back
}

void Transaction::ReleaseLevel(int level, int parent_level) {
  for (auto it = writes_.rbegin(); it != writes_.rend() && it->level >= level; ++it)
    it->level = parent_level;
  for (auto it = row_locks_.rbegin(); it != row_locks_.rend() && it->level >= level; ++it)
    it->level = parent_level;
}

void Transaction::ForgetTable(const Table *table) {
  writes_.erase(std::remove_if(writes_.begin(), writes_.end(),
                               [table](const WriteEntry &entry) { return entry.table == table; }),
                writes_.end());
  ForgetKeyShareLocks(table);
  ForgetRowLocks(table);
}

void Transaction::Publish(Timestamp commit_ts) {
  // Live-row counts are added once per run of writes to one table, not once
  // per row: each is an atomic add on a line other committers share.
  Table *counted = nullptr;
  int64_t live_rows = 0;
  for (size_t i = 0; i < writes_.size(); ++i) {
    PrefetchWrite(i, true);
    const WriteEntry &entry = writes_[i];
    if (entry.created != nullptr) entry.created->begin.store(commit_ts, std::memory_order_release);
    if (entry.replaced != nullptr) {
      entry.replaced->end.store(commit_ts, std::memory_order_release);
      entry.table->QueueForGc(entry.replaced->row);
    }
    if (entry.table != counted) {
      if (live_rows != 0) counted->AddLiveRows(live_rows);
      counted = entry.table;
      live_rows = 0;
    }
    if (entry.kind == WriteKind::kInsert) live_rows += 1;
    if (entry.kind == WriteKind::kDelete) live_rows -= 1;
  }
  if (live_rows != 0) counted->AddLiveRows(live_rows);
}

void Transaction::CollectTouchedTables() {
  touched_.clear();
  for (const WriteEntry &entry : writes_)
    if (touched_.empty() || touched_.back() != entry.table) {
      if (std::find(touched_.begin(), touched_.end(), entry.table) == touched_.end())
        touched_.push_back(entry.table);
    }
}

void Transaction::TakeCommitTimestamp() {
  slot_->status.store(MakeTxnStatus(TxnState::kCommitting, 0), std::memory_order_seq_cst);
  commit_ts_ = engine_->NextCommitTimestamp();
  slot_->status.store(MakeTxnStatus(TxnState::kPreparing, commit_ts_), std::memory_order_seq_cst);
}

Timestamp Transaction::Commit() {
  engine_->stats().commits.fetch_add(1, std::memory_order_relaxed);
  if (writes_.empty()) {
    ReleaseKeyShareLocks(true);
    ReleaseRowLocks(0);
    Finish(TxnState::kCommitted, 0);
    return 0;
  }
  if (commit_ts_ == 0) TakeCommitTimestamp();
  Timestamp commit_ts = commit_ts_;
  slot_->status.store(MakeTxnStatus(TxnState::kCommitted, commit_ts), std::memory_order_seq_cst);
  Publish(commit_ts);
  slot_->publishing_tag.store(0, std::memory_order_seq_cst);
  // After publishing, so a writer that sees the release sees our rows; before
  // collecting garbage, which may free rows we locked and deleted.
  ReleaseKeyShareLocks(true);
  ReleaseRowLocks(0);
  // Collect garbage with a read timestamp after our commit, so the versions
  // this transaction replaced can go at once if nobody older is reading.
  slot_->read_ts.store(kStarting, std::memory_order_seq_cst);
  slot_->read_ts.store(engine_->Now(), std::memory_order_seq_cst);
  try {
    CollectTouchedTables();
  } catch (...) {
    touched_.clear();  // garbage stays queued for the next committer
  }
  for (Table *table : touched_) engine_->CollectGarbage(table);
  Finish(TxnState::kCommitted, commit_ts);
  return commit_ts;
}

void Transaction::Abort() {
  engine_->stats().aborts.fetch_add(1, std::memory_order_relaxed);
  slot_->status.store(MakeTxnStatus(TxnState::kAborted, 0), std::memory_order_seq_cst);
  RollbackToLevel(0);
  ReleaseKeyShareLocks(false);
  Finish(TxnState::kAborted, 0);
}

void Transaction::AnnouncePublishing(uint64_t tag) {
  slot_->publishing_tag.store(tag, std::memory_order_seq_cst);
}

void Transaction::Finish(TxnState final_state, Timestamp ts) {
  slot_->status.store(MakeTxnStatus(final_state, ts), std::memory_order_seq_cst);
  slot_->publishing_tag.store(0, std::memory_order_seq_cst);
  // Versions this transaction undid carry a retire time of at most the clock
  // now; advancing the clock makes every transaction that starts from here on
  // newer than them, so the memory can be reused as soon as older readers are
  // gone. (Garbage collected at commit is covered by CollectGarbage, which
  // advances the clock itself.)
  if (retired_memory_) engine_->NextCommitTimestamp();
  retired_memory_ = false;
  engine_->arena()->Flush(&arena_counts_);
  writes_.clear();
  touched_.clear();
  reads_.clear();
  scans_.clear();
  dependencies_.clear();
  dependencies_lost_ = false;
  slot_->host_xid.store(0, std::memory_order_relaxed);
  slot_->read_count.store(0, std::memory_order_relaxed);
  slot_->scan_count.store(0, std::memory_order_relaxed);
  slot_->write_count.store(0, std::memory_order_relaxed);
  slot_->dependency_count.store(0, std::memory_order_relaxed);
  slot_->read_ts.store(kInfinity, std::memory_order_seq_cst);
  active_ = false;
  Arena *arena = engine_->arena();
  if (slot_->sequence % kReclaimEvery == 0 ||
      arena->retired_bytes() > arena->total_bytes() / kReclaimFraction)
    engine_->ReclaimMemory();
}

}  // namespace memopt

// transaction.h - a session's transaction: its write set, savepoints, commit
// and abort.
//
// A Transaction is process-local (it lives in the backend, or a test thread)
// and is reused for every transaction of its session. It owns one TxnSlot in
// shared memory, through which other sessions learn its state.
//
// Writes never wait for writes: Update and Delete claim the version's end
// field by CAS and fail at once with kWriteConflict if another transaction
// holds it or has already committed a newer version. Every write is recorded
// in the write set with the savepoint level it was made at; RollbackToLevel
// undoes exactly the writes of that level and deeper, newest first.
//
// Row locks: LockRow is PostgreSQL's FOR UPDATE, FOR NO KEY UPDATE and FOR
// SHARE. It stores a lock word (timestamp.h) in the version's end field, so
// readers still see the version while writers cannot claim it. Update and
// Delete of a version another running transaction has locked fail with
// kRowLocked, and so does LockRow of a version another running transaction
// has locked or claimed; blocker() then names that transaction, and the host
// may wait for it to end and try again (it is the one place where memopt
// waits: the user asked for it). A lock held by a transaction that has ended
// is free: the next claimant takes it over by CAS. The holder's own Update
// or Delete turns its lock into a claim, and undoing that write restores the
// lock. Locks are released at Commit after publishing and at Abort after the
// undo, and by RollbackToLevel for the levels it undoes.
//
// Ending a transaction (isolation.h has the levels):
//   Prepare            takes the commit timestamp (state Preparing) and
//                      validates the read set and scan set; may fail
//   CheckDependencies  kPending until every transaction whose uncommitted
//                      changes this one read has finished; may fail
//   Commit             stamps the timestamp into every version written and
//                      never fails (it prepares first if Prepare was not
//                      called, without validation)
//   Abort              undoes all, from any state
//
// Key-share locks: LockKeyShare is PostgreSQL's FOR KEY SHARE, which its
// foreign key checks take on the referenced row so that the row keeps its
// key until the referencing row is committed. Lockers never wait and never
// block each other; Delete, and the host before an update that changes a
// key (CheckKeyShareLocks), fail with kKeyShareLocked while another
// transaction holds a lock on the row. A transaction at kSnapshot or above
// also fails if a lock on the row was released by a commit after its read
// timestamp: the row that commit made refer to ours may be invisible to it,
// so a check for referencing rows could not find it. Locks are released at
// Commit (after the host's commit is visible: the host calls Commit then)
// and at Abort; a savepoint's rollback keeps them.
//
// Thread safety: a Transaction is used by one thread at a time.
#pragma once

#include <cstdint>
#include <unordered_set>
#include <vector>

#include "memopt/engine.h"
#include "memopt/isolation.h"
#include "memopt/read_set.h"
#include "memopt/status.h"
#include "memopt/visibility.h"

namespace memopt {

class Transaction final : private DependencySink {
 public:
  explicit Transaction(Engine *engine) : engine_(engine) {}
  ~Transaction();
  Transaction(const Transaction &) = delete;
  Transaction &operator=(const Transaction &) = delete;

  // Claims a slot for this session. kNotFound when every slot is taken.
  Status Attach(int32_t process_id);
  bool attached() const { return slot_ != nullptr; }

  // Starts a transaction: takes its first read timestamp.
  void Begin();
  bool active() const { return active_; }
  uint64_t id() const { return txn_id_; }
  Timestamp first_read_ts() const { return first_read_ts_; }
  // A read timestamp for a new statement (READ COMMITTED).
  Timestamp NewReadTimestamp() const { return engine_->Now(); }
  ReadView View(Timestamp read_ts, uint32_t command_id) {
    return ReadView{read_ts, txn_id_, command_id, this};
  }

  // The isolation level; set before the first read (Begin resets it to
  // kReadCommitted).
  void SetIsolation(Isolation level);
  Isolation isolation() const { return isolation_; }
  // The read timestamp the transaction's reads use (kSnapshot and above);
  // validation compares against it. Defaults to first_read_ts().
  void SetReadTimestamp(Timestamp read_ts) { validation_read_ts_ = read_ts; }
  bool tracks_reads() const { return isolation_ >= Isolation::kRepeatableRead; }
  bool tracks_scans() const { return isolation_ == Isolation::kSerializable; }

  // The read set and scan set (read_set.h); callers record only when
  // tracks_reads() / tracks_scans(). kOutOfMemory when the process heap is
  // exhausted.
  Status NoteRead(Table *table, const Version *version);
  Status NoteTableScan(Table *table, ScanFilter filter = ScanFilter{});
  Status NoteHashProbe(Table *table, const Index *index, uint64_t hash);
  Status NoteRangeScan(Table *table, const Index *index, const RangeBound &low,
                       const RangeBound &high);

  // Takes the commit timestamp and validates (see the class comment). On a
  // validation failure returns its status and fills *failure; the caller
  // then aborts. A transaction that wrote nothing takes no timestamp.
  Status Prepare(const ValidationHooks &hooks, ValidationFailure *failure);
  // kOk when every commit dependency committed, kPending (and *pending, the
  // txn id of one owner still Preparing) while one has not finished,
  // kDependencyFailed (and *failure) when one aborted.
  Status CheckDependencies(ValidationFailure *failure, uint64_t *pending);
  size_t dependency_count() const { return dependencies_.size(); }
  size_t read_count() const { return reads_.size(); }
  size_t scan_count() const { return scans_.size(); }
  const std::vector<ScanRecord> &scans() const { return scans_; }
  Timestamp commit_ts() const { return commit_ts_; }
  // The host's transaction id, shown in views.
  void SetHostTransactionId(uint32_t xid);

  // Allocates a version for `table` with room for `payload_bytes`; nullptr
  // when the arena is full. The caller fills the payload, then passes it to
  // Insert or Update, or gives it back with DiscardVersion.
  Version *NewVersion(Table *table, size_t payload_bytes);
  void DiscardVersion(Table *table, Version *version);

  Status Insert(Table *table, Version *created, uint32_t command_id, int level);
  Status Update(Table *table, Version *current, Version *created, uint32_t command_id, int level);
  Status Delete(Table *table, Version *current, uint32_t command_id, int level);

  // Key-share locks (see the class comment). LockKeyShare fails with
  // kWriteConflict when the version is not the row's newest committed one
  // (or this transaction's own change), and with kOutOfMemory.
  Status LockKeyShare(Table *table, Version *version);
  Status CheckKeyShareLocks(const Table *table, const Row *row) const;
  size_t key_share_lock_count() const { return key_locks_.size(); }

  // Row locks (see the class comment). kOk when `version` is locked by this
  // transaction, or already its own (created, claimed or locked by it);
  // kWriteConflict when it has been ended by a committed transaction or its
  // creator has not committed; kRowLocked when another running transaction
  // holds it (see blocker()); kOutOfMemory.
  Status LockRow(Table *table, Version *version, int level);
  size_t row_lock_count() const { return row_locks_.size(); }
  // After kRowLocked: the txn id of the transaction that holds the version.
  uint64_t blocker() const { return blocker_; }

  // Undoes the insert that created `created`, which must be this
  // transaction's latest write (a speculative insert that met a conflict:
  // INSERT ... ON CONFLICT). kNotFound if it is not.
  Status UndoLatestInsert(Version *created);

  // Savepoints: undo writes made at `level` or deeper; or hand them to
  // `parent_level` when the subtransaction commits.
  void RollbackToLevel(int level);
  void ReleaseLevel(int level, int parent_level);

  // Announces that the host is about to commit this transaction (see
  // TxnSlot::publishing_tag); Commit and Abort withdraw it.
  void AnnouncePublishing(uint64_t tag);

  // Ends the transaction. Commit publishes and cannot fail.
  Timestamp Commit();
  void Abort();

  // Forgets writes to `table` without undoing them: the table is being
  // emptied or dropped by this transaction and its versions go with it.
  void ForgetTable(const Table *table);

  size_t write_count() const { return writes_.size(); }

  // What a commit must log for durable tables: the net effect of this
  // transaction on each row it wrote, once per row, grouped by table. `image`
  // is the row's new version, or nullptr when the transaction deleted a row
  // that an earlier commit logged. Rows it inserted and then deleted are
  // left out. `changes` must have room for write_count() entries; returns
  // how many it filled. Never allocates (the host gives it memory it frees
  // on error) and prefetches ahead: a large commit's rows are long out of
  // the cache.
  struct RowChange {
    Table *table;
    Row *row;
    const Version *image;  // the new image; nullptr: the row was deleted
    // The committed version this transaction replaced (nullptr if it
    // inserted the row): the image the row's previous batch logged.
    const Version *base;
  };
  size_t CollectDurableChanges(RowChange *changes) const;

 private:
  const Version *CommittedBase(const Version *newest) const;
  void PrefetchWrite(size_t i, bool fetch_rows) const;
  enum class WriteKind : uint8_t { kInsert, kUpdate, kDelete };
  struct WriteEntry {
    WriteKind kind;
    bool over_lock;  // update, delete: the replaced version was locked by us
    int level;
    Table *table;
    Version *created;   // insert, update
    Version *replaced;  // update, delete
  };

  // Allocates from the arena, freeing retired memory first if it is full.
  void *Allocate(size_t bytes, MemoryKind kind);
  Status Record(const WriteEntry &entry);
  Status ClaimEnd(Version *current, uint32_t command_id, bool *over_lock);
  // The end word that undoing a claim of `replaced` puts back.
  uint64_t ReopenedEnd(bool over_lock) const {
    return over_lock ? MakeLockWord(txn_id_) : kInfinity;
  }
  void Undo(const WriteEntry &entry);
  void ReleaseRowLocks(int level);
  void ForgetRowLocks(const Table *table);
  void ReleaseKeyShareLocks(bool committed);
  void ForgetKeyShareLocks(const Table *table);
  void Publish(Timestamp commit_ts);
  void Finish(TxnState final_state, Timestamp ts);
  void CollectTouchedTables();
  void TakeCommitTimestamp();
  void AddDependency(const Version *version, bool on_begin, uint64_t owner) override;
  Status AddScan(ScanRecord &&scan);
  // Validation (validation.cpp).
  Status ValidateReads(ValidationFailure *failure) const;
  Status ValidateScans(const ValidationHooks &hooks, ValidationFailure *failure) const;
  Status ValidateScan(const ScanRecord &scan, const ValidationHooks &hooks,
                      const Version **phantom) const;
  bool IsPhantom(const Version *version) const;
  bool RowHasPhantom(const Row *row) const;

  Engine *engine_;
  TxnSlot *slot_ = nullptr;
  bool active_ = false;
  uint64_t txn_id_ = 0;
  Timestamp first_read_ts_ = 0;
  bool retired_memory_ = false;  // Undo retired versions: advance the clock at Finish
  ArenaCounts arena_counts_;     // of Allocate, flushed at Finish
  std::vector<WriteEntry> writes_;
  std::vector<Table *> touched_;
  Isolation isolation_ = Isolation::kReadCommitted;
  Timestamp validation_read_ts_ = 0;
  Timestamp commit_ts_ = 0;  // nonzero once prepared
  std::vector<ReadEntry> reads_;
  std::vector<ScanRecord> scans_;
  struct KeyLock {
    Table *table;
    Row *row;
  };
  std::vector<KeyLock> key_locks_;
  struct RowLock {
    Table *table;
    Version *version;  // its end field holds our lock word (or our claim)
    int level;
  };
  std::vector<RowLock> row_locks_;
  uint64_t blocker_ = 0;
  std::unordered_set<const Row *> key_locked_rows_;
  std::vector<Dependency> dependencies_;
  bool dependencies_lost_ = false;  // out of memory recording one: fail at commit
};

}  // namespace memopt

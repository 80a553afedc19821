// session.cpp - this backend's memopt transaction and its read timestamps.
//
// A memopt transaction rides on the PostgreSQL transaction: it begins at the
// first memopt access and ends in the transaction callbacks (xact.cpp).
//
// Isolation level: memopt.isolation_level, or PostgreSQL's level mapped
// (READ COMMITTED -> read committed, REPEATABLE READ -> snapshot,
// SERIALIZABLE -> serializable), fixed when the memopt transaction begins.
//
// Read timestamps: every level but read committed reads at one timestamp,
// taken with the transaction's first snapshot. Read committed takes a fresh one per
// PostgreSQL snapshot state: snapshots with the same xmin, xmax and xcnt see
// the same set of finished xids (xmax is latestCompletedXid + 1, and for a
// given xmax the running xids below it can only finish, so the same count
// means the same set), so they share one read timestamp. Every memopt writer
// has an xid (memopt_prepare_write), so its commit changes the state of
// later snapshots. Copied snapshots (a portal's, with no completion count)
// are recognised the same way, so a statement's many scans and TID fetches
// take the timestamp once.
#include "memopt_pg.h"

#include "guc.h"

#include <new>

#include <sched.h>

extern "C" {
#include "access/parallel.h"
#include "access/xact.h"
#include "storage/ipc.h"
}

namespace {

struct ReadTsCacheEntry {
  bool used;
  TransactionId xmin;
  TransactionId xmax;
  uint32 xcnt;
  memopt::Timestamp read_ts;
};

constexpr int kReadTsCacheSize = 8;

memopt::Transaction *session_txn = nullptr;
ReadTsCacheEntry read_ts_cache[kReadTsCacheSize];
int read_ts_cache_next = 0;
// REPEATABLE READ / SERIALIZABLE: the one read timestamp of the transaction,
// taken with its first snapshot (never older than the slot's first_read_ts,
// which protects what it reads from the garbage collector).
bool xact_read_ts_taken = false;
memopt::Timestamp xact_read_ts = 0;

void ReleaseSessionAtExit(int code, Datum arg) {
  (void)code;
  (void)arg;
  delete session_txn;  // aborts a running transaction and frees the slot
  session_txn = nullptr;
}

void AttachSession(void) {
  memopt::Engine *engine = memopt_engine();
  memopt::Transaction *txn = new (std::nothrow) memopt::Transaction(engine);
  if (txn == nullptr) ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
  if (txn->Attach(MyProcPid) != memopt::Status::kOk) {
    delete txn;
    ereport(ERROR, (errcode(ERRCODE_TOO_MANY_CONNECTIONS), errmsg("no free memopt session slot"),
                    errdetail("All %d slots are in use.", MaxBackends)));
  }
  session_txn = txn;
  on_shmem_exit(ReleaseSessionAtExit, 0);
}

// A read timestamp that includes every memopt commit `snapshot` counts as
// committed: writers whose PostgreSQL commit is visible to the snapshot but
// who have not published in memopt yet (a few instructions' window) are
// waited for.
memopt::Timestamp FreshReadTs(memopt::Transaction *txn, Snapshot snapshot) {
  memopt::Engine *engine = memopt_engine();
  const memopt::TxnSlot *slots = engine->slots();
  for (uint32_t i = 0; i < engine->max_sessions(); ++i) {
    for (int spins = 0;; ++spins) {
      uint64_t tag = slots[i].publishing_tag.load(std::memory_order_seq_cst);
      TransactionId xid = static_cast<TransactionId>(tag);
      if (tag == 0 || XidInMVCCSnapshot(xid, snapshot)) break;
      if (spins > 64) sched_yield();
    }
  }
  return txn->NewReadTimestamp();
}

memopt::Timestamp ReadTsForSnapshot(memopt::Transaction *txn, Snapshot snapshot) {
  for (ReadTsCacheEntry &entry : read_ts_cache)
    if (entry.used && entry.xmin == snapshot->xmin && entry.xmax == snapshot->xmax &&
        entry.xcnt == snapshot->xcnt)
      return entry.read_ts;
  ReadTsCacheEntry &entry = read_ts_cache[read_ts_cache_next];
  read_ts_cache_next = (read_ts_cache_next + 1) % kReadTsCacheSize;
  entry = ReadTsCacheEntry{true, snapshot->xmin, snapshot->xmax, snapshot->xcnt,
                           FreshReadTs(txn, snapshot)};
  return entry.read_ts;
}

memopt::Isolation LevelForNewTransaction(void) {
  switch (memopt_isolation_level) {
    case MEMOPT_ISOLATION_READ_COMMITTED:
      return memopt::Isolation::kReadCommitted;
    case MEMOPT_ISOLATION_SNAPSHOT:
      return memopt::Isolation::kSnapshot;
    case MEMOPT_ISOLATION_REPEATABLE_READ:
      return memopt::Isolation::kRepeatableRead;
    case MEMOPT_ISOLATION_SERIALIZABLE:
      return memopt::Isolation::kSerializable;
    default:
      break;
  }
  if (IsolationIsSerializable()) return memopt::Isolation::kSerializable;
  if (IsolationUsesXactSnapshot()) return memopt::Isolation::kSnapshot;
  return memopt::Isolation::kReadCommitted;
}

}  // namespace

memopt::Transaction *memopt_txn(void) {
  if (IsParallelWorker())
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("memopt tables cannot be accessed by parallel workers")));
  if (session_txn == nullptr) AttachSession();
  if (!session_txn->active()) {
    session_txn->Begin();
    session_txn->SetIsolation(LevelForNewTransaction());
    memopt_xact_tracks_reads = session_txn->tracks_reads();
    memopt_xact_tracks_scans = session_txn->tracks_scans();
    for (ReadTsCacheEntry &entry : read_ts_cache) entry.used = false;
    xact_read_ts_taken = false;
  }
  return session_txn;
}

memopt::Transaction *memopt_txn_at_level(memopt::Isolation level) {
  bool began = session_txn == nullptr || !session_txn->active();
  memopt::Transaction *txn = memopt_txn();
  if (began && txn->isolation() != level) {
    txn->SetIsolation(level);
    memopt_xact_tracks_reads = txn->tracks_reads();
    memopt_xact_tracks_scans = txn->tracks_scans();
  }
  return txn;
}

memopt::Transaction *memopt_txn_if_active(void) {
  return session_txn != nullptr && session_txn->active() ? session_txn : nullptr;
}

memopt::ReadView memopt_view_for(Snapshot snapshot) {
  memopt::Transaction *txn = memopt_txn();
  switch (snapshot->snapshot_type) {
    case SNAPSHOT_MVCC: {
      memopt::Timestamp read_ts;
      if (txn->isolation() == memopt::Isolation::kReadCommitted) {
        read_ts = ReadTsForSnapshot(txn, snapshot);
      } else {
        if (!xact_read_ts_taken) {
          xact_read_ts = FreshReadTs(txn, snapshot);
          txn->SetReadTimestamp(xact_read_ts);
        }
        xact_read_ts_taken = true;
        read_ts = xact_read_ts;
      }
      return txn->View(read_ts, snapshot->curcid);
    }
    case SNAPSHOT_HISTORIC_MVCC:
      ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                      errmsg("memopt tables cannot be read during logical decoding")));
      break;
    default:
      break;
  }
  // SnapshotSelf, SnapshotDirty, SnapshotAny (callers filter it themselves),
  // SnapshotNonVacuumable, SnapshotToast: the newest committed state plus all
  // of this transaction's changes, including the current command's.
  return txn->View(txn->NewReadTimestamp(), InvalidCommandId);
}

void memopt_prepare_write(void) {
  TransactionId xid = GetTopTransactionId();
  memopt_txn()->SetHostTransactionId(xid);
}

int memopt_write_level(void) { return GetCurrentTransactionNestLevel(); }

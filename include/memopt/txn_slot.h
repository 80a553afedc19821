// txn_slot.h - the shared part of a transaction: one slot per session.
//
// A session (a PostgreSQL backend, or a thread in tests) owns one slot for its
// life and runs one transaction at a time in it. Other sessions read the slot
// to decide whether versions stamped with the owner's txn id are visible, and
// the garbage collector reads every slot's read timestamp.
//
// Field protocol (all fields written by the owner only):
//  - txn_id: the running or last transaction's id. Changed only at Begin,
//    after the previous transaction published or undid every version it
//    stamped, so a reader that finds another id in the slot than the one in a
//    version knows that version has since been re-stamped: it reloads it.
//  - status: state << 60 | commit timestamp. A committing transaction moves
//    Active -> Committing -> Preparing(ts) -> Committed(ts) or Aborted.
//    Committing lasts a few instructions (taking the timestamp), so readers
//    that see it spin until it is resolved. Preparing lasts through
//    validation, the WAL write and the host's commit: a reader whose read
//    timestamp is after ts reads the versions speculatively, as if the owner
//    committed, and takes a commit dependency on it (Hekaton; see
//    visibility.h). Aborting stores Aborted before the writes are undone.
//  - read_ts: the oldest read timestamp the transaction uses, kInfinity when
//    idle, kStarting while it takes its first one (so that the garbage
//    collector never frees what it is about to see).
//  - publishing_tag: nonzero (the host's transaction id: PostgreSQL's xid)
//    from just before the host commits until this transaction has published
//    its commit timestamp. A reader whose host snapshot already counts that
//    xid as committed waits for it before taking a read timestamp, so it
//    never reads memopt state older than its snapshot.
#pragma once

#include <atomic>
#include <cstdint>

#include "memopt/timestamp.h"

namespace memopt {

enum class TxnState : uint64_t {
  kIdle = 0,
  kActive = 1,
  kCommitting = 2,
  kCommitted = 3,
  kAborted = 4,
  kPreparing = 5,  // has its commit timestamp; validating, logging, committing
};

// Still able to commit or abort: its stamps are not final yet.
inline bool IsRunning(TxnState state) {
  return state == TxnState::kActive || state == TxnState::kPreparing;
}

inline uint64_t MakeTxnStatus(TxnState state, Timestamp ts) {
  return (static_cast<uint64_t>(state) << 60) | ts;
}
inline TxnState StatusState(uint64_t status) { return static_cast<TxnState>(status >> 60); }
inline Timestamp StatusTimestamp(uint64_t status) { return status & ((1ULL << 60) - 1); }

constexpr Timestamp kStarting = 0;

struct alignas(64) TxnSlot {
  std::atomic<uint64_t> txn_id;
  std::atomic<uint64_t> status;
  std::atomic<uint64_t> read_ts;
  std::atomic<uint32_t> in_use;     // claimed by a session (CAS 0 -> 1)
  std::atomic<int32_t> process_id;  // for views; 0 when unknown
  std::atomic<uint64_t> publishing_tag;
  uint64_t sequence;  // owner only: numbers its transactions
  // For views only (memopt.transactions); written by the owner with relaxed
  // stores, read without synchronization by anyone.
  std::atomic<uint32_t> host_xid;     // the host's transaction id, 0 if none
  std::atomic<uint8_t> isolation;     // memopt::Isolation
  std::atomic<uint32_t> read_count;   // versions in the read set
  std::atomic<uint32_t> scan_count;   // scans in the scan set
  std::atomic<uint32_t> write_count;  // entries in the write set
  std::atomic<uint32_t> dependency_count;
};

}  // namespace memopt

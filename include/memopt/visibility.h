// visibility.h - Hekaton's visibility rules for one version.
//
// A reader sees a version when the version's begin is a commit timestamp at
// or before the reader's read timestamp (or its own txn id, from an earlier
// command) and its end is after the read timestamp (or not yet committed by
// anyone, or its own txn id from a later command). Larson et al., VLDB 2011,
// Tables 1 and 2, with the erratum's fix: a version whose end holds the id of
// a transaction that is still active is visible to others.
#pragma once

#include <cstdint>

#include "memopt/timestamp.h"
#include "memopt/txn_slot.h"
#include "memopt/version.h"

namespace memopt {

// What a reader brings: its read timestamp, its own txn id (0 for none) and
// the PostgreSQL command id below which its own changes are visible.
struct ReadView {
  Timestamp read_ts;
  uint64_t txn_id;
  uint32_t command_id;
};

// The outcome of looking a txn id up in its slot.
struct TxnOutcome {
  TxnState state;  // kActive, kCommitted, kAborted; or kIdle when the slot moved on
  Timestamp commit_ts;
};

// Looks `txn_id` up; spins while the owner is taking its commit timestamp.
TxnOutcome ResolveTxn(const TxnSlot *slots, uint64_t txn_id);

// The general case: begin or end holds a transaction id.
bool IsVisibleSlow(const TxnSlot *slots, const Version *version, const ReadView &view);

// Inline for scans: most versions carry two timestamps (committed, and
// either never ended or ended by a committed transaction).
inline bool IsVisible(const TxnSlot *slots, const Version *version, const ReadView &view) {
  uint64_t begin = version->begin.load(std::memory_order_acquire);
  uint64_t end = version->end.load(std::memory_order_acquire);
  if (!IsTxnId(begin) && !IsTxnId(end)) return begin <= view.read_ts && view.read_ts < end;
  return IsVisibleSlow(slots, version, view);
}

// True if `version` is the newest committed image as of `view` or an
// uncommitted one of the reader itself: the version an update or delete may
// replace. Does not claim it.
bool EndIsOpen(const TxnSlot *slots, const Version *version);

}  // namespace memopt

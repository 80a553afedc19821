// visibility.h - Hekaton's visibility rules for one version.
//
// A reader sees a version when the version's begin is a commit timestamp at
// or before the reader's read timestamp (or its own txn id, from an earlier
// command) and its end is after the read timestamp (or not yet committed by
// anyone, or its own txn id from a later command). Larson et al., VLDB 2011,
// Tables 1 and 2, with the erratum's fix: a version whose end holds the id of
// a transaction that is still active is visible to others. A Preparing owner
// whose commit timestamp is after the read timestamp changes nothing for the
// reader; one whose timestamp is at or before it is taken as committed, and
// the reader records a commit dependency (section 2.7 of the paper).
#pragma once

#include <cstdint>

#include "memopt/timestamp.h"
#include "memopt/txn_slot.h"
#include "memopt/version.h"

namespace memopt {

// Where a reader's commit dependencies go. A reader that meets a version
// whose begin or end holds the id of a transaction that is Preparing with a
// commit timestamp at or before its read timestamp decides as if that
// transaction committed, and records here which word of which version it
// relied on (Transaction::CheckDependencies looks at them again).
class DependencySink {
 public:
  virtual void AddDependency(const Version *version, bool on_begin, uint64_t owner) = 0;

 protected:
  ~DependencySink() = default;
};

// What a reader brings: its read timestamp, its own txn id (0 for none), the
// PostgreSQL command id below which its own changes are visible, and where
// its commit dependencies go. Without a sink (nullptr) the reader waits for a
// Preparing owner to finish instead.
struct ReadView {
  Timestamp read_ts;
  uint64_t txn_id;
  uint32_t command_id;
  DependencySink *dependencies = nullptr;
};

// The outcome of looking a txn id up in its slot.
struct TxnOutcome {
  TxnState state;  // kActive, kCommitted, kAborted; or kIdle when the slot moved on
  Timestamp commit_ts;
};

// Looks `txn_id` up; spins while the owner is taking its commit timestamp.
// kPreparing comes with the owner's commit timestamp.
TxnOutcome ResolveTxn(const TxnSlot *slots, uint64_t txn_id);

// Waits (yielding) until `txn_id` is no longer Preparing.
TxnOutcome AwaitTxn(const TxnSlot *slots, uint64_t txn_id);

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

// Whether `version`'s creator has committed (or is `self`): only then may it
// be replaced or locked. A reader may see a version of a Preparing creator
// (speculatively), but claiming it would race with that creator's undo.
bool CreatorCommitted(const TxnSlot *slots, const Version *version, uint64_t self);

// True if no transaction has ended `version` (or one that did aborted): the
// newest committed image, possibly locked (IsLockWord). Does not claim it.
bool EndIsOpen(const TxnSlot *slots, const Version *version);

// True if a transaction that has committed ended `version`: the row has a
// newer committed version, or was deleted. (A lock word is not an end.)
bool EndCommitted(const TxnSlot *slots, const Version *version);

}  // namespace memopt

// visibility.cpp - Hekaton's visibility rules (see visibility.h).
//
// Reading a begin or end word that holds a txn id requires the owner's
// state; a lock word in an end field (timestamp.h) never does: it does not
// end the version. The slot may already belong to a later transaction of the same
// session; then the version has been re-stamped and we reload the word.
#include "memopt/visibility.h"

#include <sched.h>
#include <time.h>

namespace memopt {

namespace {

enum class Word { kTimestamp, kMine, kOther };

// Resolves `word` (a begin or end field) for `view`. For kOther the
// outcome says what the owning transaction did; a kIdle outcome means the
// word was re-stamped meanwhile and must be reloaded.
Word Classify(const TxnSlot *slots, uint64_t word, const ReadView &view, TxnOutcome *outcome) {
  if (!IsTxnId(word)) return Word::kTimestamp;
  if (word == view.txn_id) return Word::kMine;
  *outcome = ResolveTxn(slots, word);
  return Word::kOther;
}

// Does the begin word let `view` see the version? Reloads through `field`
// when the owner has moved on.
bool BeginVisible(const TxnSlot *slots, const Version *version, const ReadView &view) {
  for (;;) {
    uint64_t word = version->begin.load(std::memory_order_acquire);
    TxnOutcome outcome;
    switch (Classify(slots, word, view, &outcome)) {
      case Word::kTimestamp:
        return word <= view.read_ts;
      case Word::kMine:
        return version->cmin < view.command_id;
      case Word::kOther:
        if (outcome.state == TxnState::kIdle) continue;
        if (outcome.state == TxnState::kPreparing && outcome.commit_ts <= view.read_ts) {
          if (view.dependencies == nullptr) {
            AwaitTxn(slots, word);
            continue;
          }
          view.dependencies->AddDependency(version, true, word);
          return true;
        }
        return outcome.state == TxnState::kCommitted && outcome.commit_ts <= view.read_ts;
    }
  }
}

bool EndVisible(const TxnSlot *slots, const Version *version, const ReadView &view) {
  for (;;) {
    uint64_t word = version->end.load(std::memory_order_acquire);
    if (IsLockWord(word)) return true;  // locked, not ended
    TxnOutcome outcome;
    switch (Classify(slots, word, view, &outcome)) {
      case Word::kTimestamp:
        return view.read_ts < word;  // kInfinity: not ended
      case Word::kMine:
        return version->cmax >= view.command_id;
      case Word::kOther:
        if (outcome.state == TxnState::kIdle) continue;
        if (outcome.state == TxnState::kPreparing && outcome.commit_ts <= view.read_ts) {
          if (view.dependencies == nullptr) {
            AwaitTxn(slots, word);
            continue;
          }
          view.dependencies->AddDependency(version, false, word);
          return false;
        }
        if (outcome.state == TxnState::kCommitted || outcome.state == TxnState::kPreparing)
          return view.read_ts < outcome.commit_ts;
        return true;
    }
  }
}

}  // namespace

TxnOutcome ResolveTxn(const TxnSlot *slots, uint64_t txn_id) {
  const TxnSlot &slot = slots[TxnIdSlot(txn_id)];
  for (int spins = 0;; ++spins) {
    uint64_t status = slot.status.load(std::memory_order_seq_cst);
    if (slot.txn_id.load(std::memory_order_seq_cst) != txn_id)
      return TxnOutcome{TxnState::kIdle, 0};
    TxnState state = StatusState(status);
    if (state != TxnState::kCommitting) return TxnOutcome{state, StatusTimestamp(status)};
    // The owner is between taking its timestamp and storing it: a few
    // instructions, unless it was descheduled.
    if (spins > 64) sched_yield();
  }
}

TxnOutcome AwaitTxn(const TxnSlot *slots, uint64_t txn_id) {
  for (int spins = 0;; ++spins) {
    TxnOutcome outcome = ResolveTxn(slots, txn_id);
    if (outcome.state != TxnState::kPreparing) return outcome;
    if (spins < 64) continue;
    if (spins < 1024) {
      sched_yield();
      continue;
    }
    struct timespec pause = {0, 50 * 1000};  // the owner may be flushing WAL
    nanosleep(&pause, nullptr);
  }
}

bool IsVisibleSlow(const TxnSlot *slots, const Version *version, const ReadView &view) {
  return BeginVisible(slots, version, view) && EndVisible(slots, version, view);
}

bool CreatorCommitted(const TxnSlot *slots, const Version *version, uint64_t self) {
  for (;;) {
    uint64_t begin = version->begin.load(std::memory_order_acquire);
    if (!IsTxnId(begin)) return begin != kInfinity;
    if (begin == self) return true;
    TxnOutcome creator = ResolveTxn(slots, begin);
    if (creator.state == TxnState::kIdle) continue;  // re-stamped meanwhile
    return creator.state == TxnState::kCommitted;
  }
}

namespace {

// Who ended a version: nobody (never ended, only locked, or ended by a
// transaction that aborted), a transaction that committed, or one that is
// still running or preparing.
enum class EndOwner { kNobody, kCommitted, kRunning };

EndOwner ResolveEnd(const TxnSlot *slots, const Version *version) {
  for (;;) {
    uint64_t word = version->end.load(std::memory_order_acquire);
    if (IsOpenEnd(word)) return EndOwner::kNobody;
    if (!IsTxnId(word)) return EndOwner::kCommitted;
    TxnOutcome outcome = ResolveTxn(slots, word);
    if (outcome.state == TxnState::kIdle) continue;  // re-stamped meanwhile
    if (outcome.state == TxnState::kAborted) return EndOwner::kNobody;
    return outcome.state == TxnState::kCommitted ? EndOwner::kCommitted : EndOwner::kRunning;
  }
}

}  // namespace

bool EndIsOpen(const TxnSlot *slots, const Version *version) {
  return ResolveEnd(slots, version) == EndOwner::kNobody;
}

bool EndCommitted(const TxnSlot *slots, const Version *version) {
  return ResolveEnd(slots, version) == EndOwner::kCommitted;
}

}  // namespace memopt

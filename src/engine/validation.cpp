// validation.cpp - the read set, the scan set, commit dependencies and the
// commit-time validation of Transaction::Prepare (see isolation.h and
// read_set.h).
//
// Validation runs after the commit timestamp Tc is taken (state Preparing),
// so every transaction that could invalidate a read either already has a
// timestamp (then it is Preparing or Committed and its words say when) or
// will take a later one (then it serializes after us and does not matter).
// A Preparing transaction with a timestamp before Tc is counted as
// committed: Hekaton would take a commit dependency on it; we fail at once,
// which costs at most a retry and never waits during validation.
//
//  - Read validation: each version read must still be current at Tc: its
//    end is open, held by a transaction that is still active, aborted, or
//    ended at a timestamp after Tc (or by ourselves).
//  - Phantom validation: each scan is repeated over the same table, hash
//    chain or index range, and no version may be visible at Tc that was not
//    visible at the read timestamp, other than our own. (The scan's
//    predicate is not re-evaluated: any such version counts, which is
//    conservative.)
//  - Commit dependencies are checked on the versions themselves, not on the
//    owner's slot, which may already run its next transaction: a begin word
//    that became a timestamp, or an end word that did, means the owner
//    committed; kInfinity (or another owner) means it aborted.
#include <new>

#include "memopt/index.h"
#include "memopt/table.h"
#include "memopt/transaction.h"

namespace memopt {

namespace {

// How a word stood at timestamp `ts` for a reader that is not its owner:
// kBefore if the owner committed (or is Preparing) at or before ts, kAfter if
// it committed (or is Preparing) after ts, kNever if it aborted or is still
// active (it will take a timestamp after ts), or kSelf.
enum class WordAt { kBefore, kAfter, kNever, kSelf };

WordAt ClassifyWord(const TxnSlot *slots, const std::atomic<uint64_t> &field, Timestamp ts,
                    uint64_t self) {
  for (;;) {
    uint64_t word = field.load(std::memory_order_acquire);
    if (IsOpenEnd(word)) return WordAt::kNever;  // never ended, or only locked
    if (!IsTxnId(word)) {
      return word <= ts ? WordAt::kBefore : WordAt::kAfter;
    }
    if (word == self) return WordAt::kSelf;
    TxnOutcome owner = ResolveTxn(slots, word);
    switch (owner.state) {
      case TxnState::kIdle:
        continue;  // re-stamped meanwhile: read the word again
      case TxnState::kCommitted:
      case TxnState::kPreparing:
        return owner.commit_ts <= ts ? WordAt::kBefore : WordAt::kAfter;
      default:
        return WordAt::kNever;
    }
  }
}

}  // namespace

Status Transaction::NoteRead(Table *table, const Version *version) {
  if (version == nullptr) return Status::kOk;
  try {
    reads_.push_back(ReadEntry{table, version});
  } catch (const std::bad_alloc &) {
    return Status::kOutOfMemory;
  }
  slot_->read_count.store(static_cast<uint32_t>(reads_.size()), std::memory_order_relaxed);
  return Status::kOk;
}

Status Transaction::AddScan(ScanRecord &&scan) {
  try {
    scans_.push_back(std::move(scan));
  } catch (const std::bad_alloc &) {
    return Status::kOutOfMemory;
  }
  slot_->scan_count.store(static_cast<uint32_t>(scans_.size()), std::memory_order_relaxed);
  return Status::kOk;
}

Status Transaction::NoteTableScan(Table *table, ScanFilter filter) {
  for (const ScanRecord &scan : scans_)
    if (scan.kind == ScanRecord::Kind::kTable && scan.table == table &&
        (scan.filter.accepts == nullptr ||
         (scan.filter.accepts == filter.accepts && scan.filter.state == filter.state)))
      return Status::kOk;  // an unfiltered scan of the table covers every other
  ScanRecord scan{};
  scan.kind = ScanRecord::Kind::kTable;
  scan.table = table;
  scan.filter = std::move(filter);
  return AddScan(std::move(scan));
}

Status Transaction::NoteHashProbe(Table *table, const Index *index, uint64_t hash) {
  ScanRecord scan{};
  scan.kind = ScanRecord::Kind::kHashProbe;
  scan.table = table;
  scan.index = index;
  scan.hash = hash;
  return AddScan(std::move(scan));
}

Status Transaction::NoteRangeScan(Table *table, const Index *index, const RangeBound &low,
                                  const RangeBound &high) {
  ScanRecord scan{};
  scan.kind = ScanRecord::Kind::kRange;
  scan.table = table;
  scan.index = index;
  scan.low_bounded = low.bounded;
  scan.low_strict = low.strict;
  scan.high_bounded = high.bounded;
  scan.high_strict = high.strict;
  try {
    if (low.bounded) scan.low.assign(static_cast<const char *>(low.key.data), low.key.size);
    if (high.bounded) scan.high.assign(static_cast<const char *>(high.key.data), high.key.size);
  } catch (const std::bad_alloc &) {
    return Status::kOutOfMemory;
  }
  return AddScan(std::move(scan));
}

void Transaction::AddDependency(const Version *version, bool on_begin, uint64_t owner) {
  for (const Dependency &known : dependencies_)
    if (known.version == version && known.on_begin == on_begin) return;
  try {
    dependencies_.push_back(Dependency{version, owner, on_begin});
  } catch (const std::bad_alloc &) {
    dependencies_lost_ = true;
    return;
  }
  engine_->stats().dependencies_taken.fetch_add(1, std::memory_order_relaxed);
  slot_->dependency_count.store(static_cast<uint32_t>(dependencies_.size()),
                                std::memory_order_relaxed);
}

Status Transaction::Prepare(const ValidationHooks &hooks, ValidationFailure *failure) {
  if (writes_.empty()) return Status::kOk;  // serialized at its read timestamp
  TakeCommitTimestamp();
  Status status = Status::kOk;
  if (tracks_reads()) status = ValidateReads(failure);
  if (status == Status::kOk && tracks_scans()) status = ValidateScans(hooks, failure);
  if (status == Status::kReadValidationFailed)
    engine_->stats().read_validation_failures.fetch_add(1, std::memory_order_relaxed);
  if (status == Status::kPhantomValidationFailed)
    engine_->stats().phantom_validation_failures.fetch_add(1, std::memory_order_relaxed);
  return status;
}

Status Transaction::ValidateReads(ValidationFailure *failure) const {
  for (const ReadEntry &read : reads_) {
    WordAt end = ClassifyWord(engine_->slots(), read.version->end, commit_ts_, txn_id_);
    if (end != WordAt::kBefore) continue;
    *failure = ValidationFailure{Status::kReadValidationFailed, read.table, read.version};
    return failure->status;
  }
  return Status::kOk;
}

// Visible at the commit timestamp (a Preparing owner counted as committed)
// but not at the read timestamp, and not ours.
bool Transaction::IsPhantom(const Version *version) const {
  const TxnSlot *slots = engine_->slots();
  WordAt begin = ClassifyWord(slots, version->begin, commit_ts_, txn_id_);
  if (begin != WordAt::kBefore) return false;
  if (ClassifyWord(slots, version->begin, validation_read_ts_, txn_id_) == WordAt::kBefore)
    return false;  // we could see it already
  WordAt end = ClassifyWord(slots, version->end, commit_ts_, txn_id_);
  return end == WordAt::kAfter || end == WordAt::kNever;
}

bool Transaction::RowHasPhantom(const Row *row) const {
  for (const Version *version = row->newest.load(std::memory_order_acquire); version != nullptr;
       version = version->older.load(std::memory_order_acquire))
    if (IsPhantom(version)) return true;
  return false;
}

Status Transaction::ValidateScan(const ScanRecord &scan, const ValidationHooks &hooks,
                                 const Version **phantom) const {
  const Row *found = nullptr;
  switch (scan.kind) {
    case ScanRecord::Kind::kTable: {
      const VersionDirectory &directory = scan.table->directory();
      uint64_t end = directory.high_water();
      for (uint64_t slot = 0; slot < end; ++slot) {
        Version *version = directory.Get(slot);
        if (version != nullptr && IsPhantom(version) &&
            (scan.filter.accepts == nullptr || scan.filter.accepts(scan.filter.state, version))) {
          *phantom = version;
          return Status::kPhantomValidationFailed;
        }
      }
      return Status::kOk;
    }
    case ScanRecord::Kind::kHashProbe:
      scan.index->hash()->Lookup(scan.hash, [&](Row *row) {
        if (RowHasPhantom(row)) found = row;
        return found == nullptr;
      });
      break;
    case ScanRecord::Kind::kRange: {
      KeyComparator cmp{};
      if (hooks.range_comparator == nullptr ||
          !hooks.range_comparator(hooks.context, scan.index, &cmp))
        return Status::kPhantomValidationFailed;
      RangeIndex::Iterator it(scan.index->range(), cmp);
      KeyRef low{scan.low.data(), static_cast<uint32_t>(scan.low.size())};
      KeyRef high{scan.high.data(), static_cast<uint32_t>(scan.high.size())};
      bool valid =
          !scan.low_bounded
              ? it.Seek(SeekMode::kFirst)
              : it.Seek(scan.low_strict ? SeekMode::kGreater : SeekMode::kGreaterOrEqual, low);
      for (; valid; valid = it.Next()) {
        if (scan.high_bounded) {
          bool failed = false;
          int order = cmp.compare(cmp.context, it.Key(), high, &failed);
          if (failed) return Status::kPhantomValidationFailed;
          if (order > 0 || (order == 0 && scan.high_strict)) break;
        }
        if (RowHasPhantom(it.GetRow())) {
          found = it.GetRow();
          break;
        }
      }
      if (it.comparator_failed()) return Status::kPhantomValidationFailed;
      break;
    }
  }
  if (found == nullptr) return Status::kOk;
  *phantom = found->newest.load(std::memory_order_acquire);
  return Status::kPhantomValidationFailed;
}

Status Transaction::ValidateScans(const ValidationHooks &hooks, ValidationFailure *failure) const {
  for (const ScanRecord &scan : scans_) {
    const Version *phantom = nullptr;
    if (ValidateScan(scan, hooks, &phantom) == Status::kOk) continue;
    *failure = ValidationFailure{Status::kPhantomValidationFailed, scan.table, phantom};
    return failure->status;
  }
  return Status::kOk;
}

Status Transaction::CheckDependencies(ValidationFailure *failure, uint64_t *pending) {
  const TxnSlot *slots = engine_->slots();
  Status result = Status::kOk;
  for (const Dependency &dependency : dependencies_) {
    const std::atomic<uint64_t> &field =
        dependency.on_begin ? dependency.version->begin : dependency.version->end;
    uint64_t word = field.load(std::memory_order_acquire);
    bool committed;
    if (word == dependency.owner) {
      TxnOutcome owner = ResolveTxn(slots, word);
      if (owner.state == TxnState::kPreparing) {
        result = Status::kPending;
        *pending = word;
        continue;
      }
      if (owner.state == TxnState::kIdle) {  // re-stamped meanwhile
        result = Status::kPending;
        *pending = 0;
        continue;
      }
      committed = owner.state == TxnState::kCommitted;
    } else {
      committed = !IsTxnId(word) && word != kInfinity;
    }
    if (!committed) {
      *failure = ValidationFailure{Status::kDependencyFailed, nullptr, dependency.version};
      engine_->stats().dependency_failures.fetch_add(1, std::memory_order_relaxed);
      return Status::kDependencyFailed;
    }
  }
  if (result == Status::kOk && dependencies_lost_) {
    *failure = ValidationFailure{Status::kDependencyFailed, nullptr, nullptr};
    engine_->stats().dependency_failures.fetch_add(1, std::memory_order_relaxed);
    return Status::kDependencyFailed;
  }
  return result;
}

}  // namespace memopt

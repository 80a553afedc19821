// garbage_collector.cpp - Engine::CollectGarbage: trims version chains.
//
// Rows reach the collector through their table's GC queue (queued when a
// transaction commits an update or delete of them). For each row, the first
// version (newest to oldest) whose begin is a commit timestamp at or before
// the oldest read timestamp in use is what every running and future reader
// sees at the oldest, so everything older than it is garbage: the chain is cut
// there and the tail retired. If that version is the newest and its delete is
// also older than every reader, the row itself is dead and is retired too.
//
// Locking: the caller holds no lock; the table's GC lock (a try-lock) makes
// this the only session cutting chains of the table. Writers only touch the
// head of a chain and the end field of the newest version, never `older`
// links below the head, so cutting needs no lock against them.
#include "memopt/engine.h"

namespace memopt {

namespace {

enum class TrimResult { kDone, kAgainLater, kRowFreed };

// Retires `version`, already unreachable: cut from its chain, slot released.
void RetireVersion(Arena *arena, Table *table, Version *version, Timestamp now) {
  table->AddVersions(-1);
  table->AddBytes(-static_cast<int64_t>(Arena::BlockBytes(version)));
  arena->Retire(version, now);
}

}  // namespace

// A dead row is retired at once unless an index may still point to it
// (table.h, "Indexes": the seq_cst store and load pair with AddIndex).
void RetireOrParkRow(Arena *arena, Table *table, Row *row, Timestamp now) {
  row->gc_state.store(kRowDead, std::memory_order_seq_cst);
  if (table->index_count() > 0) {
    table->ParkDeadRow(row);
    return;
  }
  table->AddBytes(-static_cast<int64_t>(Arena::BlockBytes(row)));
  arena->Retire(row, now);
}

namespace {

// Retire times are read after the memory is unlinked: a reader whose read
// timestamp is greater started after the unlink and cannot reach it.
TrimResult TrimRow(const Engine *engine, Arena *arena, Table *table, Row *row, Timestamp horizon) {
  Version *head = row->newest.load(std::memory_order_acquire);
  Version *oldest_needed = head;
  while (oldest_needed != nullptr) {
    uint64_t begin = oldest_needed->begin.load(std::memory_order_acquire);
    if (!IsTxnId(begin) && begin <= horizon) break;
    oldest_needed = oldest_needed->older.load(std::memory_order_acquire);
  }
  if (oldest_needed == nullptr) return TrimResult::kAgainLater;

  // Cut the chain, release the slots (the last ways to reach the versions),
  // then take the retire time and retire them.
  Version *garbage = oldest_needed->older.exchange(nullptr, std::memory_order_acq_rel);
  for (Version *version = garbage; version != nullptr;
       version = version->older.load(std::memory_order_acquire))
    table->directory().Release(version->slot);
  Timestamp now = engine->Now();
  while (garbage != nullptr) {
    Version *next = garbage->older.load(std::memory_order_acquire);
    RetireVersion(arena, table, garbage, now);
    garbage = next;
  }

  uint64_t end = oldest_needed->end.load(std::memory_order_acquire);
  if (oldest_needed == head && !IsTxnId(end) && end <= horizon) {
    table->directory().Release(head->slot);  // unreachable from here on
    row->newest.store(nullptr, std::memory_order_release);
    now = engine->Now();
    RetireVersion(arena, table, head, now);
    RetireOrParkRow(arena, table, row, now);
    return TrimResult::kRowFreed;
  }
  return oldest_needed != head || !IsOpenEnd(end) ? TrimResult::kAgainLater : TrimResult::kDone;
}

}  // namespace

bool Engine::CollectGarbage(Table *table) {
  if (table->gc_queue_empty() || !table->TryLockGc()) return false;
  Timestamp horizon = OldestReadTimestamp();
  Row *row = table->TakeGcQueue();
  while (row != nullptr) {
    Row *next = row->gc_next.load(std::memory_order_relaxed);
    Version *head_before = row->newest.load(std::memory_order_acquire);
    TrimResult result = TrimRow(this, arena_, table, row, horizon);
    if (result != TrimResult::kRowFreed) {
      row->gc_state.store(kRowIdle, std::memory_order_seq_cst);
      // An update or delete that committed while the row was queued could
      // not queue it again; look at the head once more (a new head, or a
      // head that has been ended) so its garbage is not forgotten.
      if (result == TrimResult::kAgainLater ||
          row->newest.load(std::memory_order_seq_cst) != head_before ||
          !IsOpenEnd(head_before->end.load(std::memory_order_seq_cst)))
        table->QueueForGc(row);
    }
    row = next;
  }
  table->UnlockGc();
  NextCommitTimestamp();  // see Transaction::Finish: later readers are newer than what we retired
  return true;
}

void Engine::RetireParkedRows(Table *table, Row *rows) {
  Timestamp now = Now();  // the caller removed the rows' last index entries before
  while (rows != nullptr) {
    Row *next = rows->gc_next.load(std::memory_order_relaxed);
    table->AddParked(-1);
    table->AddBytes(-static_cast<int64_t>(Arena::BlockBytes(rows)));
    arena_->Retire(rows, now);
    rows = next;
  }
  NextCommitTimestamp();  // later readers are newer than what we retired
}

}  // namespace memopt

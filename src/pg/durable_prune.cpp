// durable_prune.cpp - VACUUM (and autovacuum) removes dead entries from a
// durable table's pages, so that the file stays near the size of its live
// data under a steady update workload.
//
// An entry (an image, a piece of one, a delta or a delete) of row R from
// batch B is dead when a committed batch with a higher sequence number has a
// whole image or a delete of R: loading takes the highest batch per row, so
// it would never use this one. A delta is applied to the image before it, so
// the newest whole image and every delta after it stay. A delete is dead too when it is the only
// entry left for its row (row ids are never reused, so nothing older can come back). A copy of the
// newest entry in a later block than another is dead (merging left it). Whole fragments of batches
// whose transaction aborted are dead.
//
// Memory: pass 1 keeps about 72 bytes per row, so rows are judged in rounds
// of kRowsPerRound durable ids (each round reads the whole file twice).
// Merging only moves rows the last round judged, so tables of more rows are
// pruned (and their space reused) but rarely shortened.
//
// Then the tail is merged: while every fragment of the last page fits into
// free space of earlier pages (and none is a piece of a split image, whose
// order matters, or belongs to a running transaction), the fragments are
// copied there (WAL-logged appends, same batch and xid) and the emptied
// pages are truncated away.
//
// Pass 1 reads every page and notes, per row id, the highest and lowest
// committed (or frozen) batch, the highest with a whole image or delete, and
// the first block holding the newest entry. Batches still in progress
// are not counted, so they never make anything dead (and their own entries
// are kept). Pass 2 rewrites each page that has dead entries with only the
// live ones, in the same order, logs it whole (log_newpage_buffer) and
// records its free space in the free space map, where the next commit's
// batch looks first (durable_write.cpp).
//
// Why removing an entry is safe at any crash point: its newer entry belongs
// to a transaction that committed before pass 1 read it, so that commit
// record precedes our page image in the WAL; a crash that loses the commit
// loses the page image too. Pages are rewritten one at a time under the
// table's append lock, so appenders never see a page change under them.
#include "durable_format.h"
#include "memopt_pg.h"

extern "C" {
#include "access/transam.h"
#include "access/xloginsert.h"
#include "catalog/storage.h"
#include "storage/bufmgr.h"
#include "storage/freespace.h"
#include "storage/lwlock.h"
#include "storage/procarray.h"
#include "storage/smgr.h"
#include "utils/rel.h"
}

#include <new>
#include <unordered_map>

namespace {

enum class BatchState { kCommitted, kAborted, kRunning };

BatchState StateOf(TransactionId xid) {
  if (xid == FrozenTransactionId) return BatchState::kCommitted;
  if (!TransactionIdIsNormal(xid)) return BatchState::kAborted;  // marked by freezing
  if (TransactionIdIsInProgress(xid)) return BatchState::kRunning;
  return TransactionIdDidCommit(xid) ? BatchState::kCommitted : BatchState::kAborted;
}

struct RowEntries {
  uint64 newest_batch;     // highest committed batch with an entry for the row
  uint64 oldest_batch;     // lowest one
  uint64 newest_whole;     // highest with a whole image (or pieces) or delete; 0: none
  BlockNumber first_copy;  // first block holding the newest image or delete
  bool newest_split;       // the newest image is split into pieces
  bool whole_split;        // the newest_whole image is split into pieces
};
// The rows one round of pruning judges: durable ids in [low, high). Rows
// outside it are never dead in that round, so big tables are pruned in
// several rounds with bounded memory.
struct Liveness {
  uint64 low;
  uint64 high;
  std::unordered_map<uint64, RowEntries> rows;
  auto find(uint64 id) const { return rows.find(id); }
  auto end() const { return rows.end(); }
};

// Rows judged per round: about 72 bytes of memory each.
constexpr uint64 kRowsPerRound = uint64{4} << 20;

bool Dead(const Liveness &live, BlockNumber block, const memopt::FragmentHeader &header,
          const memopt::FragmentEntry &entry) {
  auto found = live.find(entry.durable_id);
  if (found == live.end()) return false;
  const RowEntries &row = found->second;
  if (header.batch_seq < row.newest_whole) return true;   // superseded
  if (header.batch_seq < row.newest_batch) return false;  // a later delta needs it
  if (header.batch_seq > row.newest_batch || entry.kind == memopt::EntryKind::kImagePart)
    return false;
  if (block > row.first_copy) return true;  // a copy the merge left behind
  // The only kind of entry left for a deleted row: nothing older to hide.
  return entry.kind == memopt::EntryKind::kDelete && row.oldest_batch == row.newest_batch;
}

// Pass 1's bookkeeping for one committed entry found in `block`.
void NoteEntry(Liveness *live, BlockNumber block, const memopt::FragmentHeader &header,
               const memopt::FragmentEntry &entry) {
  if (entry.durable_id < live->low || entry.durable_id >= live->high) return;
  auto inserted = live->rows.try_emplace(
      entry.durable_id,
      RowEntries{header.batch_seq, header.batch_seq, 0, InvalidBlockNumber, false, false});
  RowEntries &row = inserted.first->second;
  if (entry.kind != memopt::EntryKind::kImageDelta && header.batch_seq >= row.newest_whole) {
    if (header.batch_seq > row.newest_whole) row.whole_split = false;
    row.newest_whole = header.batch_seq;
    if (entry.kind == memopt::EntryKind::kImagePart) row.whole_split = true;
  }
  if (header.batch_seq > row.newest_batch) {
    row.newest_batch = header.batch_seq;
    row.first_copy = InvalidBlockNumber;
    row.newest_split = false;
  }
  if (header.batch_seq < row.oldest_batch) row.oldest_batch = header.batch_seq;
  if (header.batch_seq != row.newest_batch) return;
  if (entry.kind == memopt::EntryKind::kImagePart)
    row.newest_split = true;
  else if (block < row.first_copy)
    row.first_copy = block;
}

// Pass 1. False if memory ran out (nothing is pruned then).
bool CollectLiveness(Relation rel, BlockNumber blocks, BufferAccessStrategy strategy,
                     Liveness *live) {
  for (BlockNumber block = 0; block < blocks; ++block) {
    Buffer buffer = ReadBufferExtended(rel, MAIN_FORKNUM, block, RBM_NORMAL, strategy);
    LockBuffer(buffer, BUFFER_LOCK_SHARE);
    auto note_fragment = [&](OffsetNumber, const char *data, size_t bytes) {
      memopt::FragmentReader reader;
      if (!reader.Open(data, bytes) || StateOf(reader.header().xid) != BatchState::kCommitted)
        return true;
      memopt::FragmentEntry entry;
      try {
        while (reader.Next(&entry)) NoteEntry(live, block, reader.header(), entry);
      } catch (const std::bad_alloc &) {
        return false;
      }
      return true;
    };
    bool ok = memopt_for_each_fragment(BufferGetPage(buffer), note_fragment);
    UnlockReleaseBuffer(buffer);
    if (!ok) return false;
  }
  return true;
}

// Copies the live part of fragment `data` to `out` (BLCKSZ bytes), in the
// fragment's own encoding; returns its size (0: nothing live), or -1 when
// the fragment is not to be touched. Never longer than `data`: dropping an
// entry saves at least the byte or two a wider id delta may cost the next.
ssize_t LiveFragment(const Liveness &live, BlockNumber block, const char *data, size_t bytes,
                     char *out) {
  memopt::FragmentReader reader;
  if (!reader.Open(data, bytes)) return -1;  // damaged: leave it for loading to report
  const memopt::FragmentHeader &header = reader.header();
  BatchState state = StateOf(header.xid);
  if (state == BatchState::kRunning) return -1;
  if (state == BatchState::kAborted) return 0;
  memopt::FragmentWriter writer(out, BLCKSZ);
  writer.Begin(header.xid, header.batch_seq, header.flags);
  memopt::FragmentEntry entry;
  while (reader.Next(&entry)) {
    if (Dead(live, block, header, entry)) continue;
    if (!writer.Fits(entry.kind, entry.durable_id, entry.bytes)) return -1;
    writer.Add(entry.kind, entry.durable_id, entry.data, entry.bytes);
  }
  if (reader.damaged()) return -1;
  if (writer.entries() == 0) return 0;
  size_t kept = writer.Finish();
  return kept > bytes ? -1 : static_cast<ssize_t>(kept);
}

// Pass 2 for one page, under the append lock; returns the bytes freed.
size_t PrunePage(Relation rel, Buffer buffer, const Liveness &live, char *scratch, Page rebuilt) {
  BlockNumber block = BufferGetBlockNumber(buffer);
  Page page = BufferGetPage(buffer);
  if (PageIsNew(page) || !memopt_page_is_ours(page)) return 0;
  memopt_init_page(rebuilt);
  bool changed = false;
  memopt_for_each_fragment(page, [&](OffsetNumber, const char *data, size_t bytes) {
    ssize_t kept = LiveFragment(live, block, data, bytes, scratch);
    const char *copy = kept < 0 ? data : scratch;
    size_t copy_bytes = kept < 0 ? bytes : static_cast<size_t>(kept);
    if (kept >= 0 && static_cast<size_t>(kept) != bytes) changed = true;
    if (copy_bytes == 0) return true;
    if (PageAddItem(rebuilt, const_cast<char *>(copy), copy_bytes, InvalidOffsetNumber, false,
                    false) == InvalidOffsetNumber)
      elog(ERROR, "memopt could not rebuild a page while pruning");
    return true;
  });
  if (!changed) return 0;
  size_t freed = PageGetFreeSpace(rebuilt) - PageGetFreeSpace(page);
  START_CRIT_SECTION();
  memcpy(page, rebuilt, BLCKSZ);
  MarkBufferDirty(buffer);
  if (RelationNeedsWAL(rel)) log_newpage_buffer(buffer, true);
  END_CRIT_SECTION();
  return freed;
}

// --- Merging the tail -----------------------------------------------------

struct TailFragment {
  char *data;
  size_t bytes;
  BlockNumber destination;
};

// Whether every fragment of the locked page `block` can move to a page
// before it (by `room`, the free bytes of each page); fills `moves`.
bool PlanPageMove(const Liveness &live, Page page, BlockNumber block, Size *room, List **moves) {
  if (PageIsNew(page) || !memopt_page_is_ours(page)) return false;
  return memopt_for_each_fragment(page, [&](OffsetNumber, const char *data, size_t bytes) {
    memopt::FragmentReader reader;
    if (!reader.Open(data, bytes) || StateOf(reader.header().xid) == BatchState::kRunning)
      return false;
    // Split images stay where they are, pieces and last part alike: loading
    // needs them in stream order.
    bool split = false;
    memopt::FragmentEntry entry;
    while (!split && reader.Next(&entry)) {
      if (entry.kind == memopt::EntryKind::kImagePart) split = true;
      // A row pass 1 did not judge (another round's, or committed since)
      // may be a split image's last part.
      auto found = live.find(entry.durable_id);
      uint64 batch = reader.header().batch_seq;
      if (found == live.end() ||
          (found->second.newest_split && found->second.newest_batch == batch) ||
          (found->second.whole_split && found->second.newest_whole == batch))
        split = true;
    }
    if (split || reader.damaged()) return false;
    Size needed = MAXALIGN(bytes) + sizeof(ItemIdData);
    BlockNumber destination = 0;
    while (destination < block && room[destination] < needed) ++destination;
    if (destination == block) return false;
    room[destination] -= needed;
    auto *move = static_cast<TailFragment *>(palloc(sizeof(TailFragment)));
    move->data = static_cast<char *>(palloc(bytes));
    memcpy(move->data, data, bytes);
    move->bytes = bytes;
    move->destination = destination;
    *moves = lappend(*moves, move);
    return true;
  });
}

// Copies the planned fragments to their pages (WAL-logged appends).
void CarryOut(Relation rel, memopt::Table *table, List *moves, BufferAccessStrategy strategy) {
  ListCell *cell;
  foreach (cell, moves) {
    auto *move = static_cast<TailFragment *>(lfirst(cell));
    Buffer buffer = ReadBufferExtended(rel, MAIN_FORKNUM, move->destination, RBM_NORMAL, strategy);
    LockBuffer(buffer, BUFFER_LOCK_EXCLUSIVE);
    Page page = BufferGetPage(buffer);
    if (!memopt_page_is_ours(page) || PageGetFreeSpace(page) < MAXALIGN(move->bytes))
      elog(ERROR, "memopt: block %u has less free space than planned", move->destination);
    const char *fragment = move->data;
    memopt_add_fragments(1, &buffer, &fragment, &move->bytes);
    UnlockReleaseBuffer(buffer);
    if (move->destination < table->frozen_pages()) table->set_frozen_pages(move->destination);
  }
}

// Moves the fragments of the last pages into free space before them, as
// long as whole pages can be emptied, then truncates the emptied pages. The
// copies come first in the WAL; a crash before the truncation leaves
// duplicates, which loading takes once (same batch) and the next pruning
// removes (the copy in the later block goes).
BlockNumber MergeTail(Relation rel, memopt::Table *table, const Liveness &live, Size *room,
                      BlockNumber blocks, BufferAccessStrategy strategy) {
  BlockNumber end = blocks;
  while (end > 1) {
    BlockNumber block = end - 1;
    Buffer buffer = ReadBufferExtended(rel, MAIN_FORKNUM, block, RBM_NORMAL, strategy);
    LockBuffer(buffer, BUFFER_LOCK_SHARE);
    List *moves = NIL;
    bool movable = PlanPageMove(live, BufferGetPage(buffer), block, room, &moves);
    UnlockReleaseBuffer(buffer);
    if (!movable) break;  // room[] may be short by what was planned: no later use
    CarryOut(rel, table, moves, strategy);
    end = block;
  }
  if (end < blocks) {
    RelationTruncate(rel, end);
    // Pages appended from here on are new: freezing must see them (and the
    // last page is never counted as frozen).
    BlockNumber frozen_limit = end > 0 ? end - 1 : 0;
    if (table->frozen_pages() > frozen_limit) table->set_frozen_pages(frozen_limit);
  }
  return blocks - end;
}

// One round: pass 1 and pass 2 for the rows of `live`; fills room[].
uint64 PruneRound(Relation rel, memopt::Table *table, BlockNumber blocks,
                  BufferAccessStrategy strategy, Liveness *live, Size *room) {
  if (!CollectLiveness(rel, blocks, strategy, live)) {
    ereport(LOG, (errmsg("memopt: not enough memory to prune table \"%s\"; skipped",
                         RelationGetRelationName(rel))));
    return 0;
  }
  char *scratch = static_cast<char *>(palloc(BLCKSZ));
  Page rebuilt = static_cast<Page>(palloc(BLCKSZ));
  LWLock *lock = memopt_durable_table_lock(table->key());
  uint64 freed = 0;
  for (BlockNumber block = 0; block < blocks; ++block) {
    CHECK_FOR_INTERRUPTS();
    Buffer buffer = ReadBufferExtended(rel, MAIN_FORKNUM, block, RBM_NORMAL, strategy);
    LWLockAcquire(lock, LW_EXCLUSIVE);
    LockBuffer(buffer, BUFFER_LOCK_EXCLUSIVE);
    freed += PrunePage(rel, buffer, *live, scratch, rebuilt);
    Page page = BufferGetPage(buffer);
    room[block] = PageIsNew(page) || !memopt_page_is_ours(page) ? 0 : PageGetFreeSpace(page);
    UnlockReleaseBuffer(buffer);
    LWLockRelease(lock);
  }
  pfree(scratch);
  pfree(rebuilt);
  return freed;
}

}  // namespace

uint64 memopt_prune_batches(Relation rel, memopt::Table *table) {
  if (!table->durable()) return 0;
  BlockNumber blocks = smgrnblocks(RelationGetSmgr(rel), MAIN_FORKNUM);
  if (blocks == 0) return 0;
  BufferAccessStrategy strategy = GetAccessStrategy(BAS_VACUUM);
  Size *room = static_cast<Size *>(palloc0(sizeof(Size) * blocks));
  auto *live = new (std::nothrow) Liveness();
  uint64 freed = 0;
  if (live != nullptr) {
    uint64 limit = table->DurableIdLimit();
    for (uint64 low = 0; low < limit; low += kRowsPerRound) {
      live->low = low;
      live->high = low + kRowsPerRound;
      live->rows.clear();
      freed += PruneRound(rel, table, blocks, strategy, live, room);
    }
    // Merging needs the table to itself: no batch may be appended meanwhile.
    LWLock *lock = memopt_durable_table_lock(table->key());
    LWLockAcquire(lock, LW_EXCLUSIVE);
    BlockNumber truncated = 0;
    if (smgrnblocks(RelationGetSmgr(rel), MAIN_FORKNUM) == blocks)
      truncated = MergeTail(rel, table, *live, room, blocks, strategy);
    LWLockRelease(lock);
    for (BlockNumber block = 0; block < blocks - truncated; ++block)
      RecordPageWithFreeSpace(rel, block, room[block]);
    FreeSpaceMapVacuum(rel);
  }
  delete live;
  pfree(room);
  FreeAccessStrategy(strategy);
  return freed;
}

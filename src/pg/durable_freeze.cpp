// durable_freeze.cpp - VACUUM (and autovacuum, including its anti-wraparound
// runs) freezes the xids of a durable table's batches, so relfrozenxid can
// advance and clog can be truncated without loading ever asking about an
// xid whose status is gone.
//
// Every batch whose xid precedes the oldest xid any snapshot may consider
// running gets FrozenTransactionId if it committed, InvalidTransactionId if
// it did not (loading skips those). Each changed page is WAL-logged whole.
// Afterwards no batch older than that cutoff holds a normal xid, which makes
// the cutoff the table's relfrozenxid.
//
// Locking: the table's append lock (exclusive) for the whole pass, as
// appenders change the last page. Table::frozen_pages remembers how many
// leading pages are fully frozen (never the last one, which still grows),
// so later passes skip them.
#include "durable_format.h"
#include "memopt_pg.h"

extern "C" {
#include "access/transam.h"
#include "access/xloginsert.h"
#include "storage/bufmgr.h"
#include "storage/lwlock.h"
#include "storage/procarray.h"
#include "storage/smgr.h"
#include "utils/rel.h"
}

namespace {

// Freezes what it can on one locked page; returns whether a normal xid is left.
bool FreezePage(Relation rel, Buffer buffer, TransactionId cutoff) {
  Page page = BufferGetPage(buffer);
  if (PageIsNew(page) || !memopt_page_is_ours(page)) return false;
  OffsetNumber last = PageGetMaxOffsetNumber(page);
  TransactionId resolved[MaxOffsetNumber + 1];
  bool changed = false;
  bool unfrozen_left = false;
  for (OffsetNumber offset = FirstOffsetNumber; offset <= last; ++offset) {
    resolved[offset] = InvalidTransactionId;
    ItemId item = PageGetItemId(page, offset);
    if (!ItemIdIsNormal(item) || ItemIdGetLength(item) < memopt::kFragmentFixedBytes) continue;
    TransactionId xid;
    memcpy(&xid, static_cast<char *>(PageGetItem(page, item)) + memopt::kFragmentXidOffset,
           sizeof xid);
    if (!TransactionIdIsNormal(xid)) {
      resolved[offset] = xid;
      continue;
    }
    if (!TransactionIdPrecedes(xid, cutoff)) {
      resolved[offset] = xid;
      unfrozen_left = true;
      continue;
    }
    resolved[offset] = TransactionIdDidCommit(xid) ? FrozenTransactionId : InvalidTransactionId;
    changed = true;
  }
  if (!changed) return unfrozen_left;
  START_CRIT_SECTION();
  for (OffsetNumber offset = FirstOffsetNumber; offset <= last; ++offset) {
    ItemId item = PageGetItemId(page, offset);
    if (!ItemIdIsNormal(item) || ItemIdGetLength(item) < memopt::kFragmentFixedBytes) continue;
    memcpy(static_cast<char *>(PageGetItem(page, item)) + memopt::kFragmentXidOffset,
           &resolved[offset], sizeof(TransactionId));
  }
  MarkBufferDirty(buffer);
  if (RelationNeedsWAL(rel)) log_newpage_buffer(buffer, true);
  END_CRIT_SECTION();
  return unfrozen_left;
}

}  // namespace

TransactionId memopt_freeze_batches(Relation rel, memopt::Table *table) {
  if (!table->durable()) return InvalidTransactionId;
  TransactionId cutoff = GetOldestNonRemovableTransactionId(rel);
  LWLock *lock = memopt_durable_table_lock(table->key());
  LWLockAcquire(lock, LW_EXCLUSIVE);
  BlockNumber blocks = smgrnblocks(RelationGetSmgr(rel), MAIN_FORKNUM);
  BlockNumber block = static_cast<BlockNumber>(table->frozen_pages());
  bool prefix_frozen = true;
  BufferAccessStrategy strategy = GetAccessStrategy(BAS_VACUUM);
  for (; block < blocks; ++block) {
    Buffer buffer = ReadBufferExtended(rel, MAIN_FORKNUM, block, RBM_NORMAL, strategy);
    LockBuffer(buffer, BUFFER_LOCK_EXCLUSIVE);
    bool unfrozen_left = FreezePage(rel, buffer, cutoff);
    UnlockReleaseBuffer(buffer);
    if (unfrozen_left) prefix_frozen = false;
    if (prefix_frozen && block + 1 < blocks) table->set_frozen_pages(block + 1);
  }
  FreeAccessStrategy(strategy);
  LWLockRelease(lock);
  return cutoff;
}

// durable_write.cpp - at PRE_COMMIT, each durable table the transaction
// changed gets one batch appended to its pages: the new image of every row
// it inserted or updated and the id of every row it deleted. An updated row's
// image is logged as a delta of its previous one (the committed version the
// transaction replaced, which the row's previous batch logged) while the
// row's chain of deltas stays short and lighter than the image (FillBatch).
//
// Where a batch goes: its first fragment into a page the free space map
// offers (space VACUUM freed, durable_prune.cpp), else the last page or a new
// one; later fragments of the batch only onto the last page or new pages, so
// the pieces of a split image stay in stream order. A batch written into a
// page inside the table's frozen prefix shortens that prefix, so the next
// freezing pass looks at the page again.
//
// WAL: the last fragment of every batch (for OLTP transactions the only one)
// of up to kMemoptMaxFragmentsPerRecord tables goes into one
// XLOG_MEMOPT_FRAGMENTS record, so a transaction that changes four tables
// pays for one record header, not four. Earlier fragments of large batches
// are logged one per record as they fill.
//
// Locking: the tables' append locks (memopt_durable_table_lock, striped) are
// held exclusively for their whole batches, taken in address order, so
// batches never interleave, sequence numbers follow the order of the stream
// and two committers cannot deadlock. Buffer content locks are taken after
// them, only while fragments are added. Only committing transactions append, and
// only once, after their writes are final; a transaction that fails later
// (another PRE_COMMIT step, a failed commit record) leaves a batch whose xid
// never commits, and loading ignores it.
//
// The xid is the top-level one; memopt_prepare_write assigned it at the
// first write, so PostgreSQL writes (and, with synchronous_commit, flushes)
// a commit record that covers the batch.
#include "durable_format.h"
#include "memopt_pg.h"

extern "C" {
#include "access/xact.h"
#include "access/xloginsert.h"
#include "access/xlogutils.h"
#include "storage/freespace.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/lwlock.h"
#include "storage/smgr.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
}

#include <algorithm>
#include <new>
#include <vector>

namespace {

// Leave a page's tail unused rather than start a fragment smaller than this.
constexpr size_t kMinFragmentRoom = 256;
// Split an image only if this much of it fits; else start it on a new page.
// Only images too big for an empty page are split: a split image's pieces
// pin their pages (VACUUM's merge cannot move them), so an image that fits a
// page goes whole into a page with room for it.
constexpr size_t kMinImagePiece = 128;
// The most a fragment's header (its fixed bytes and a varint of up to 10)
// and one entry header take.
constexpr size_t kFragmentOverhead =
    memopt::kFragmentFixedBytes + 10 + memopt::kEntryHeaderMaxBytes;
// An update is logged as a delta of the row's previous image (kImageDelta)
// only for images up to this size, and only while the row's chain since its
// last whole image stays short (DeltaChain::kMaxDeltas) and its deltas'
// bytes stay within the image's: loading applies, and pruning keeps, the
// whole chain.
constexpr size_t kMaxDeltaImageBytes = 2048;

// What a fragment may use of a page's free bytes (items are MAXALIGNed).
size_t UsableRoom(size_t free_bytes) { return free_bytes / MAXIMUM_ALIGNOF * MAXIMUM_ALIGNOF; }

// The table's storage, kept open for the life of the backend. smgropen alone
// leaves the relation unowned, and PostgreSQL closes unowned ones at every
// transaction end: each commit would open, seek and close the table's data
// and free space map files again. An owner pointer in this map keeps it
// open; smgr invalidation (DROP, a new relfilenode) closes it and clears
// the pointer, and the next commit opens it again. A relation some
// relcache entry owns already is used as it is, not remembered here.
struct StorageOwner {
  RelFileNode node;  // hash key
  SMgrRelation smgr;
};

SMgrRelation OpenStorage(const RelFileNode &node) {
  static HTAB *owners = nullptr;
  if (owners == nullptr) {
    HASHCTL control;
    control.keysize = sizeof(RelFileNode);
    control.entrysize = sizeof(StorageOwner);
    control.hcxt = TopMemoryContext;
    owners =
        hash_create("memopt durable storage", 64, &control, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
  }
  bool found;
  auto *entry = static_cast<StorageOwner *>(hash_search(owners, &node, HASH_ENTER, &found));
  if (!found) entry->smgr = nullptr;
  if (entry->smgr != nullptr) return entry->smgr;
  SMgrRelation smgr = smgropen(node, InvalidBackendId);
  if (smgr->smgr_owner == nullptr) smgrsetowner(&entry->smgr, smgr);
  return smgr;
}

// Appends one batch to one table's pages, fragment by fragment.
class BatchAppender {
 public:
  BatchAppender(memopt::Table *table, const RelFileNode &node, TransactionId xid, uint64 seq)
      : table_(table), node_(node), xid_(xid), seq_(seq) {
    fragment_ = static_cast<char *>(palloc(kMemoptEmptyPageRoom));
    fake_rel_ = CreateFakeRelcacheEntry(node);
    fake_rel_->rd_smgr = OpenStorage(node);  // not the fake entry's: see OpenStorage
  }
  ~BatchAppender() {
    pfree(fragment_);
    if (delta_ != nullptr) pfree(delta_);
    FreeFakeRelcacheEntry(fake_rel_);
  }

  // `image` is the row's MinimalTuple.
  void AddImage(uint64 durable_id, const char *image, size_t bytes);
  // Logs `image` as a delta of `base` (the row's previous MinimalTuple) if
  // the delta and the `chain_bytes` of deltas before it together are no
  // larger than the image; returns the delta's size, 0 if it did not.
  size_t AddDelta(uint64 durable_id, const memopt::Version *base, const memopt::Version *image,
                  size_t chain_bytes);
  void AddDelete(uint64 durable_id);
  // Ends the batch. Its last fragment is left for the caller to log with
  // the other tables' (LockLastTarget, last_fragment, ReleaseTarget).
  void FinishButLast();
  bool has_last() const { return last_bytes_ > 0; }
  const char *last_fragment() const { return fragment_; }
  size_t last_bytes() const { return last_bytes_; }
  Buffer LockLastTarget() { return LockTarget(last_bytes_); }
  // After the fragment went in: unlocks `buffer`, updates the free space map.
  void ReleaseTarget(Buffer buffer);

 private:
  // `entry_bytes`: the data of the entry to add first, which the fragment
  // must have room for if a page can hold it (0: any page with some room).
  void Open(size_t entry_bytes);
  bool OpenInFreeSpace(size_t want);
  // Opens a fragment with room for the entry, flushing the current one if
  // it has none (deltas and deletes, which always fit an empty page).
  void MakeRoom(memopt::EntryKind kind, uint64 durable_id, size_t bytes);
  Buffer LockTarget(size_t bytes);
  void Flush();

  memopt::Table *table_;
  RelFileNode node_;
  Relation fake_rel_;  // for the free space map
  bool first_fragment_ = true;
  bool target_from_fsm_ = false;
  TransactionId xid_;
  uint64 seq_;
  char *fragment_;
  char *delta_ = nullptr;                      // room for one delta, allocated at the first
  memopt::FragmentWriter writer_{nullptr, 0};  // over fragment_ while open_
  bool open_ = false;
  bool next_on_new_page_ = false;
  BlockNumber target_ = InvalidBlockNumber;  // InvalidBlockNumber: extend
  size_t capacity_ = 0;
  size_t last_bytes_ = 0;  // of the pending last fragment, in fragment_
};

// The batch's first fragment: a page with free space from the free space
// map, if it has room (the map is a hint; a stale entry is corrected).
bool BatchAppender::OpenInFreeSpace(size_t want) {
  BlockNumber candidate = GetPageWithFreeSpace(fake_rel_, want);
  if (candidate == InvalidBlockNumber) return false;
  if (candidate >= smgrnblocks(OpenStorage(node_), MAIN_FORKNUM)) return false;
  Buffer buffer =
      ReadBufferWithoutRelcache(node_, MAIN_FORKNUM, candidate, RBM_NORMAL, nullptr, true);
  LockBuffer(buffer, BUFFER_LOCK_SHARE);
  Page page = BufferGetPage(buffer);
  size_t free_bytes = PageIsNew(page) || !memopt_page_is_ours(page) ? 0 : PageGetFreeSpace(page);
  UnlockReleaseBuffer(buffer);
  if (UsableRoom(free_bytes) < want) {
    RecordPageWithFreeSpace(fake_rel_, candidate, free_bytes);
    return false;
  }
  target_ = candidate;
  target_from_fsm_ = true;
  capacity_ = UsableRoom(free_bytes);
  if (candidate < table_->frozen_pages()) table_->set_frozen_pages(candidate);
  return true;
}

// Starts a fragment: see the file comment for where.
void BatchAppender::Open(size_t entry_bytes) {
  size_t want = entry_bytes + kFragmentOverhead <= kMemoptEmptyPageRoom
                    ? std::max(kMinFragmentRoom, entry_bytes + kFragmentOverhead)
                    : kMinFragmentRoom;
  BlockNumber blocks = smgrnblocks(OpenStorage(node_), MAIN_FORKNUM);
  target_ = InvalidBlockNumber;
  target_from_fsm_ = false;
  capacity_ = kMemoptEmptyPageRoom;
  bool first = first_fragment_;
  first_fragment_ = false;
  if (first && OpenInFreeSpace(want)) {
    writer_ = memopt::FragmentWriter(fragment_, capacity_);
    writer_.Begin(xid_, seq_, kMemoptFragmentFlags);
    open_ = true;
    return;
  }
  if (blocks > 0 && !next_on_new_page_) {
    Buffer buffer =
        ReadBufferWithoutRelcache(node_, MAIN_FORKNUM, blocks - 1, RBM_NORMAL, nullptr, true);
    LockBuffer(buffer, BUFFER_LOCK_SHARE);
    Page page = BufferGetPage(buffer);
    if (PageIsNew(page)) {  // extended, then a crash before its first record
      target_ = blocks - 1;
    } else {
      size_t free_bytes = PageGetFreeSpace(page);
      if (UsableRoom(free_bytes) >= want) {
        target_ = blocks - 1;
        capacity_ = UsableRoom(free_bytes);
      }
    }
    UnlockReleaseBuffer(buffer);
  }
  next_on_new_page_ = false;
  writer_ = memopt::FragmentWriter(fragment_, capacity_);
  writer_.Begin(xid_, seq_, kMemoptFragmentFlags);
  open_ = true;
}

void BatchAppender::AddImage(uint64 durable_id, const char *image, size_t bytes) {
  const char *data = image + kImageOmittedBytes;
  bytes -= kImageOmittedBytes;
  bool fits_a_page = bytes + kFragmentOverhead <= kMemoptEmptyPageRoom;
  for (;;) {
    if (!open_) Open(bytes);
    if (writer_.Fits(memopt::EntryKind::kImage, durable_id, bytes)) {
      writer_.Add(memopt::EntryKind::kImage, durable_id, data, bytes);
      return;
    }
    if (fits_a_page && writer_.entries() > 0) {  // whole into the next fragment
      Flush();
      continue;
    }
    // A piece takes what the fragment has left: less than the rest of the
    // image, as the whole did not fit.
    if (writer_.room() >= memopt::kEntryHeaderMaxBytes + kMinImagePiece) {
      size_t piece = writer_.room() - memopt::kEntryHeaderMaxBytes;
      writer_.Add(memopt::EntryKind::kImagePart, durable_id, data, piece);
      data += piece;
      bytes -= piece;
    }
    Flush();
    next_on_new_page_ = true;
  }
}

size_t BatchAppender::AddDelta(uint64 durable_id, const memopt::Version *base,
                               const memopt::Version *image, size_t chain_bytes) {
  size_t bytes = image->payload_bytes - kImageOmittedBytes;
  if (bytes > kMaxDeltaImageBytes || base->payload_bytes < kImageOmittedBytes ||
      chain_bytes >= bytes)
    return 0;
  if (delta_ == nullptr)
    delta_ = static_cast<char *>(palloc(memopt::ImageDeltaMaxBytes(kMaxDeltaImageBytes)));
  size_t delta_bytes = memopt::EncodeImageDelta(
      base->payload() + kImageOmittedBytes, base->payload_bytes - kImageOmittedBytes,
      image->payload() + kImageOmittedBytes, bytes, delta_);
  if (chain_bytes + delta_bytes > bytes) return 0;
  MakeRoom(memopt::EntryKind::kImageDelta, durable_id, delta_bytes);
  writer_.Add(memopt::EntryKind::kImageDelta, durable_id, delta_, delta_bytes);
  return delta_bytes;
}

void BatchAppender::MakeRoom(memopt::EntryKind kind, uint64 durable_id, size_t bytes) {
  if (!open_) Open(bytes);
  if (writer_.Fits(kind, durable_id, bytes)) return;
  Flush();
  Open(bytes);
}

void BatchAppender::AddDelete(uint64 durable_id) {
  MakeRoom(memopt::EntryKind::kDelete, durable_id, 0);
  writer_.Add(memopt::EntryKind::kDelete, durable_id, nullptr, 0);
}

// The target page of the open fragment, exclusively locked, with room for
// `bytes` (else the page changed behind the append lock: corruption).
Buffer BatchAppender::LockTarget(size_t bytes) {
  Buffer buffer;
  if (target_ == InvalidBlockNumber) {
    buffer =
        ReadBufferWithoutRelcache(node_, MAIN_FORKNUM, P_NEW, RBM_ZERO_AND_LOCK, nullptr, true);
  } else {
    buffer = ReadBufferWithoutRelcache(node_, MAIN_FORKNUM, target_, RBM_NORMAL, nullptr, true);
    LockBuffer(buffer, BUFFER_LOCK_EXCLUSIVE);
  }
  Page page = BufferGetPage(buffer);
  if (!PageIsNew(page) && (!memopt_page_is_ours(page) || PageGetFreeSpace(page) < bytes))
    ereport(ERROR,
            (errcode(ERRCODE_DATA_CORRUPTED),
             errmsg("memopt could not append to block %u of relation %u/%u/%u",
                    BufferGetBlockNumber(buffer), node_.spcNode, node_.dbNode, node_.relNode)));
  return buffer;
}

void BatchAppender::ReleaseTarget(Buffer buffer) {
  BlockNumber block = BufferGetBlockNumber(buffer);
  Size room = PageGetFreeSpace(BufferGetPage(buffer));
  UnlockReleaseBuffer(buffer);
  if (target_from_fsm_) RecordPageWithFreeSpace(fake_rel_, block, room);
}

// A fragment that is not the batch's last: added and WAL-logged on its own.
void BatchAppender::Flush() {
  if (!open_) return;
  open_ = false;
  if (writer_.entries() == 0) return;
  size_t bytes = writer_.Finish();
  Buffer buffer = LockTarget(bytes);
  const char *fragment = fragment_;
  memopt_add_fragments(1, &buffer, &fragment, &bytes);
  ReleaseTarget(buffer);
}

void BatchAppender::FinishButLast() {
  last_bytes_ = 0;
  if (!open_) return;
  open_ = false;
  if (writer_.entries() > 0) last_bytes_ = writer_.Finish();
}

RelFileNode NodeOf(const memopt::Table *table) {
  RelFileNode node;
  node.spcNode = table->key().space;
  node.dbNode = table->key().database;
  node.relNode = table->key().relation;
  return node;
}

// One table's part of the transaction's changes.
struct Batch {
  const memopt::Transaction::RowChange *changes;
  size_t count;
};

// How far ahead FillBatch fetches images and rows: a large batch's were
// written long ago and are no longer cached.
constexpr size_t kChangeLookahead = 16;

void FillBatch(BatchAppender *appender, memopt::Table *table, const Batch &batch) {
  for (size_t i = 0; i < batch.count; ++i) {
    if (i + kChangeLookahead < batch.count) {
      const memopt::Transaction::RowChange &ahead = batch.changes[i + kChangeLookahead];
      __builtin_prefetch(ahead.row);
      if (ahead.image != nullptr) __builtin_prefetch(ahead.image);
    }
    memopt::Row *row = batch.changes[i].row;
    const memopt::Version *image = batch.changes[i].image;
    if (image == nullptr) {
      appender->AddDelete(row->durable_id);
      continue;
    }
    const memopt::Version *base = batch.changes[i].base;
    uint16 chain = row->durable_chain;
    // A row with a durable id had its base logged (as every committed
    // version of a durable row is), so a delta of it can be replayed. If
    // this batch never commits, the chain is off by one delta: it only
    // bounds chains, so that is harmless.
    if (row->durable_id != 0 && base != nullptr &&
        memopt::DeltaChain::Deltas(chain) < memopt::DeltaChain::kMaxDeltas) {
      size_t logged =
          appender->AddDelta(row->durable_id, base, image, memopt::DeltaChain::Bytes(chain));
      if (logged > 0) {
        row->durable_chain = memopt::DeltaChain::Add(chain, logged);
        continue;
      }
    }
    if (row->durable_id == 0) row->durable_id = table->NextDurableId();
    row->durable_chain = 0;
    appender->AddImage(row->durable_id, image->payload(), image->payload_bytes);
  }
}

// The append locks of `count` tables, each once (tables share lock stripes),
// in address order so that two committers never wait for each other.
int LockStripes(const Batch *batches, int count, LWLock **locks) {
  int distinct = 0;
  for (int i = 0; i < count; ++i)
    locks[i] = memopt_durable_table_lock(batches[i].changes[0].table->key());
  std::sort(locks, locks + count);
  for (int i = 0; i < count; ++i)
    if (distinct == 0 || locks[distinct - 1] != locks[i]) locks[distinct++] = locks[i];
  for (int i = 0; i < distinct; ++i) LWLockAcquire(locks[i], LW_EXCLUSIVE);
  return distinct;
}

// Appends the batches of up to kMemoptMaxFragmentsPerRecord tables. Fragments
// before a batch's last are logged as they fill; the last fragments of all
// of them (for OLTP transactions, their only ones) share one WAL record.
// Buffer locks are taken after the append locks, as everywhere else.
void AppendBatches(const Batch *batches, int count, TransactionId xid) {
  LWLock *locks[kMemoptMaxFragmentsPerRecord];
  int lock_count = LockStripes(batches, count, locks);
  BatchAppender *appenders[kMemoptMaxFragmentsPerRecord];
  Buffer buffers[kMemoptMaxFragmentsPerRecord] = {};
  const char *fragments[kMemoptMaxFragmentsPerRecord] = {};
  size_t sizes[kMemoptMaxFragmentsPerRecord] = {};
  int fragment_count = 0;
  for (int i = 0; i < count; ++i) {
    memopt::Table *table = batches[i].changes[0].table;
    // palloc'd, so an error leaves nothing behind but memory of the context.
    appenders[i] = new (palloc(sizeof(BatchAppender)))
        BatchAppender(table, NodeOf(table), xid, table->NextBatchSeq());
    FillBatch(appenders[i], table, batches[i]);
    appenders[i]->FinishButLast();
  }
  for (int i = 0; i < count; ++i) {
    if (!appenders[i]->has_last()) continue;
    buffers[fragment_count] = appenders[i]->LockLastTarget();
    fragments[fragment_count] = appenders[i]->last_fragment();
    sizes[fragment_count] = appenders[i]->last_bytes();
    fragment_count += 1;
  }
  if (fragment_count > 0) memopt_add_fragments(fragment_count, buffers, fragments, sizes);
  for (int i = 0, next = 0; i < count; ++i) {
    if (appenders[i]->has_last()) appenders[i]->ReleaseTarget(buffers[next++]);
    appenders[i]->~BatchAppender();
    pfree(appenders[i]);
  }
  for (int i = 0; i < lock_count; ++i) LWLockRelease(locks[i]);
}

}  // namespace

void memopt_log_commit(memopt::Transaction *txn) {
  size_t room = txn->write_count();
  if (room == 0) return;
  auto *changes = static_cast<memopt::Transaction::RowChange *>(
      palloc_extended(room * sizeof(memopt::Transaction::RowChange), MCXT_ALLOC_HUGE));
  size_t count = txn->CollectDurableChanges(changes);
  if (count == 0) {
    pfree(changes);
    return;
  }
  TransactionId xid = GetTopTransactionId();
  Batch batches[kMemoptMaxFragmentsPerRecord];
  int batch_count = 0;
  for (size_t begin = 0; begin < count;) {
    size_t end = begin + 1;
    while (end < count && changes[end].table == changes[begin].table) ++end;
    batches[batch_count++] = Batch{changes + begin, end - begin};
    if (batch_count == kMemoptMaxFragmentsPerRecord) {
      AppendBatches(batches, batch_count, xid);
      batch_count = 0;
    }
    begin = end;
  }
  if (batch_count > 0) AppendBatches(batches, batch_count, xid);
  pfree(changes);
}

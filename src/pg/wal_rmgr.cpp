// wal_rmgr.cpp - memopt's custom WAL resource manager: redo of appended
// fragments, and the descriptions pg_walinspect and recovery logs show.
// Record types: durable_format.h.
//
// Redo runs in the startup process (crash recovery, archive recovery, every
// standby) without catalog access: it only replays page changes. Rows reach
// memory later, when a backend first opens the table (durable_load.cpp).
// The resource manager exists only where memopt is in
// shared_preload_libraries, which is why standbys and restore targets need it.
#include "durable_format.h"

extern "C" {
#include "access/bufmask.h"
#include "access/xlog_internal.h"
#include "access/xlogutils.h"
#include "lib/stringinfo.h"
#include "storage/bufmgr.h"
}

namespace {

// Adds the fragment of block `block_id` at `offset`, unless the page has it.
void RedoFragment(XLogReaderState *record, uint8 block_id, OffsetNumber offset, bool init) {
  Buffer buffer;
  XLogRedoAction action;
  if (init) {
    buffer = XLogInitBufferForRedo(record, block_id);
    memopt_init_page(BufferGetPage(buffer));
    action = BLK_NEEDS_REDO;
  } else {
    action = XLogReadBufferForRedo(record, block_id, &buffer);
  }
  if (action == BLK_NEEDS_REDO) {
    Page page = BufferGetPage(buffer);
    Size bytes;
    char *fragment = XLogRecGetBlockData(record, block_id, &bytes);
    if (PageAddItem(page, fragment, bytes, offset, false, false) != offset)
      elog(PANIC, "memopt redo: could not add fragment at offset %u", offset);
    PageSetLSN(page, record->EndRecPtr);
    MarkBufferDirty(buffer);
  }
  if (BufferIsValid(buffer)) UnlockReleaseBuffer(buffer);
}

// XLOG_MEMOPT_FRAGMENTS' main data: one offset word per block.
int FragmentCount(XLogReaderState *record) {
  return static_cast<int>(XLogRecGetDataLen(record) / sizeof(uint16));
}

uint16 OffsetWord(XLogReaderState *record, int block_id) {
  uint16 word;
  memcpy(&word, XLogRecGetData(record) + block_id * sizeof(uint16), sizeof word);
  return word;
}

void Redo(XLogReaderState *record) {
  uint8 info = XLogRecGetInfo(record) & ~XLR_INFO_MASK;
  if (info == XLOG_MEMOPT_FRAGMENTS) {
    for (int i = 0; i < FragmentCount(record); ++i) {
      uint16 word = OffsetWord(record, i);
      RedoFragment(record, static_cast<uint8>(i), word & ~kMemoptFragmentInitsPage,
                   (word & kMemoptFragmentInitsPage) != 0);
    }
    return;
  }
  if ((info & ~XLOG_MEMOPT_INIT_PAGE) == XLOG_MEMOPT_APPEND) {
    const auto *xlrec = reinterpret_cast<const xl_memopt_append *>(XLogRecGetData(record));
    RedoFragment(record, 0, xlrec->offnum, (info & XLOG_MEMOPT_INIT_PAGE) != 0);
    return;
  }
  elog(PANIC, "memopt redo: unknown record type %u", info);
}

// "xid X, batch B, offset O: N images, M deletes[, D deltas][, P image pieces]"
void DescribeFragment(StringInfo buf, XLogReaderState *record, uint8 block_id,
                      OffsetNumber offset) {
  Size bytes = 0;
  const char *fragment = XLogRecGetBlockData(record, block_id, &bytes);
  memopt::FragmentReader reader;
  if (fragment == nullptr || !reader.Open(fragment, bytes)) {
    appendStringInfo(buf, "offset %u", offset);
    return;
  }
  int images = 0, pieces = 0, deletes = 0, deltas = 0;
  memopt::FragmentEntry entry;
  while (reader.Next(&entry)) {
    if (entry.kind == memopt::EntryKind::kImage) images += 1;
    if (entry.kind == memopt::EntryKind::kImagePart) pieces += 1;
    if (entry.kind == memopt::EntryKind::kDelete) deletes += 1;
    if (entry.kind == memopt::EntryKind::kImageDelta) deltas += 1;
  }
  const memopt::FragmentHeader &header = reader.header();
  appendStringInfo(buf, "xid %u, batch %llu, offset %u: %d images, %d deletes", header.xid,
                   static_cast<unsigned long long>(header.batch_seq), offset, images, deletes);
  if (deltas > 0) appendStringInfo(buf, ", %d deltas", deltas);
  if (pieces > 0) appendStringInfo(buf, ", %d image pieces", pieces);
  if (reader.damaged()) appendStringInfoString(buf, ", damaged");
}

// One description per fragment, joined by "; " (walinspect's block_ref
// column says which relation and block each is).
void Describe(StringInfo buf, XLogReaderState *record) {
  uint8 info = XLogRecGetInfo(record) & ~XLR_INFO_MASK;
  if (info == XLOG_MEMOPT_FRAGMENTS) {
    for (int i = 0; i < FragmentCount(record); ++i) {
      if (i > 0) appendStringInfoString(buf, "; ");
      DescribeFragment(buf, record, static_cast<uint8>(i),
                       OffsetWord(record, i) & ~kMemoptFragmentInitsPage);
    }
    return;
  }
  if ((info & ~XLOG_MEMOPT_INIT_PAGE) == XLOG_MEMOPT_APPEND) {
    const auto *xlrec = reinterpret_cast<const xl_memopt_append *>(XLogRecGetData(record));
    DescribeFragment(buf, record, 0, xlrec->offnum);
  }
}

const char *Identify(uint8 info) {
  switch (info & ~XLR_INFO_MASK) {
    case XLOG_MEMOPT_APPEND:
      return "APPEND";
    case XLOG_MEMOPT_APPEND | XLOG_MEMOPT_INIT_PAGE:
      return "APPEND+INIT";
    case XLOG_MEMOPT_FRAGMENTS:
      return "FRAGMENTS";
    default:
      return nullptr;
  }
}

// wal_consistency_checking: only the LSN, checksum and the free hole differ.
void Mask(char *page, BlockNumber block) {
  (void)block;
  mask_page_lsn_and_checksum(page);
  mask_unused_space(page);
}

RmgrData memopt_rmgr = {
    kMemoptRmgrName, Redo, Describe, Identify, nullptr, nullptr, Mask, nullptr,
};

}  // namespace

void memopt_register_wal_rmgr(void) { RegisterCustomRmgr(kMemoptRmgrId, &memopt_rmgr); }

// wal_rmgr.cpp - memopt's custom WAL resource manager: redo of appended
// fragments, and the descriptions pg_walinspect and recovery logs show.
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

void RedoAppend(XLogReaderState *record) {
  const auto *xlrec = reinterpret_cast<const xl_memopt_append *>(XLogRecGetData(record));
  bool init = (XLogRecGetInfo(record) & XLOG_MEMOPT_INIT_PAGE) != 0;
  Buffer buffer;
  XLogRedoAction action;
  if (init) {
    buffer = XLogInitBufferForRedo(record, 0);
    memopt_init_page(BufferGetPage(buffer));
    action = BLK_NEEDS_REDO;
  } else {
    action = XLogReadBufferForRedo(record, 0, &buffer);
  }
  if (action == BLK_NEEDS_REDO) {
    Page page = BufferGetPage(buffer);
    Size bytes;
    char *fragment = XLogRecGetBlockData(record, 0, &bytes);
    if (PageAddItem(page, fragment, bytes, xlrec->offnum, false, false) != xlrec->offnum)
      elog(PANIC, "memopt redo: could not add fragment at offset %u", xlrec->offnum);
    PageSetLSN(page, record->EndRecPtr);
    MarkBufferDirty(buffer);
  }
  if (BufferIsValid(buffer)) UnlockReleaseBuffer(buffer);
}

void Redo(XLogReaderState *record) {
  uint8 info = XLogRecGetInfo(record) & ~XLR_INFO_MASK & ~XLOG_MEMOPT_INIT_PAGE;
  if (info == XLOG_MEMOPT_APPEND)
    RedoAppend(record);
  else
    elog(PANIC, "memopt redo: unknown record type %u", info);
}

void Describe(StringInfo buf, XLogReaderState *record) {
  uint8 info = XLogRecGetInfo(record) & ~XLR_INFO_MASK & ~XLOG_MEMOPT_INIT_PAGE;
  if (info != XLOG_MEMOPT_APPEND) return;
  const auto *xlrec = reinterpret_cast<const xl_memopt_append *>(XLogRecGetData(record));
  Size bytes = 0;
  const char *fragment = XLogRecGetBlockData(record, 0, &bytes);
  memopt::FragmentReader reader;
  if (fragment == nullptr || !reader.Open(fragment, bytes)) {
    appendStringInfo(buf, "offset %u", xlrec->offnum);
    return;
  }
  int images = 0, pieces = 0, deletes = 0;
  memopt::FragmentEntry entry;
  while (reader.Next(&entry)) {
    if (entry.kind == memopt::EntryKind::kImage) images += 1;
    if (entry.kind == memopt::EntryKind::kImagePart) pieces += 1;
    if (entry.kind == memopt::EntryKind::kDelete) deletes += 1;
  }
  const memopt::FragmentHeader &header = reader.header();
  appendStringInfo(buf, "xid %u, batch %llu, offset %u: %d images, %d deletes", header.xid,
                   static_cast<unsigned long long>(header.batch_seq), xlrec->offnum, images,
                   deletes);
  if (pieces > 0) appendStringInfo(buf, ", %d image pieces", pieces);
  if (reader.damaged()) appendStringInfoString(buf, ", damaged");
}

const char *Identify(uint8 info) {
  switch (info & ~XLR_INFO_MASK) {
    case XLOG_MEMOPT_APPEND:
      return "APPEND";
    case XLOG_MEMOPT_APPEND | XLOG_MEMOPT_INIT_PAGE:
      return "APPEND+INIT";
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

// durable_page.cpp - formatting and recognizing the pages of a durable
// memopt table (durable_format.h).
#include "durable_format.h"

extern "C" {
#include "access/xloginsert.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/bufpage.h"
}

void memopt_init_page(Page page) {
  PageInit(page, BLCKSZ, sizeof(MemoptPageSpecial));
  auto *special = reinterpret_cast<MemoptPageSpecial *>(PageGetSpecialPointer(page));
  special->magic = kMemoptPageMagic;
  special->format_version = kMemoptFormatVersion;
}

void memopt_add_fragment(Buffer buffer, bool init, const char *fragment, size_t bytes) {
  Page page = BufferGetPage(buffer);
  xl_memopt_append xlrec;
  START_CRIT_SECTION();
  if (init) memopt_init_page(page);
  xlrec.offnum =
      PageAddItem(page, const_cast<char *>(fragment), bytes, InvalidOffsetNumber, false, false);
  if (xlrec.offnum == InvalidOffsetNumber) elog(PANIC, "memopt could not add a fragment");
  MarkBufferDirty(buffer);
  XLogBeginInsert();
  XLogRegisterData(reinterpret_cast<char *>(&xlrec), sizeof xlrec);
  XLogRegisterBuffer(0, buffer, REGBUF_STANDARD | REGBUF_KEEP_DATA | (init ? REGBUF_WILL_INIT : 0));
  XLogRegisterBufData(0, const_cast<char *>(fragment), bytes);
  XLogRecPtr lsn =
      XLogInsert(kMemoptRmgrId, XLOG_MEMOPT_APPEND | (init ? XLOG_MEMOPT_INIT_PAGE : 0));
  PageSetLSN(page, lsn);
  END_CRIT_SECTION();
}

bool memopt_page_is_ours(Page page) {
  if (PageIsNew(page) || PageGetSpecialSize(page) != MAXALIGN(sizeof(MemoptPageSpecial)))
    return false;
  auto *special = reinterpret_cast<MemoptPageSpecial *>(PageGetSpecialPointer(page));
  return special->magic == kMemoptPageMagic && special->format_version == kMemoptFormatVersion;
}

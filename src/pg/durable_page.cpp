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

void memopt_add_fragments(int count, const Buffer *buffers, const char *const *fragments,
                          const size_t *sizes) {
  Assert(count > 0 && count <= kMemoptMaxFragmentsPerRecord);
  uint16 offsets[kMemoptMaxFragmentsPerRecord];
  // Outside the critical section: it may allocate.
  if (count > XLR_NORMAL_MAX_BLOCK_ID + 1) XLogEnsureRecordSpace(count - 1, count + 1);
  START_CRIT_SECTION();
  for (int i = 0; i < count; ++i) {
    Page page = BufferGetPage(buffers[i]);
    bool init = PageIsNew(page);
    if (init) memopt_init_page(page);
    OffsetNumber offset = PageAddItem(page, const_cast<char *>(fragments[i]), sizes[i],
                                      InvalidOffsetNumber, false, false);
    if (offset == InvalidOffsetNumber) elog(PANIC, "memopt could not add a fragment");
    offsets[i] = offset | (init ? kMemoptFragmentInitsPage : 0);
    MarkBufferDirty(buffers[i]);
  }
  XLogBeginInsert();
  XLogRegisterData(reinterpret_cast<char *>(offsets), sizeof(uint16) * count);
  for (int i = 0; i < count; ++i) {
    bool init = (offsets[i] & kMemoptFragmentInitsPage) != 0;
    XLogRegisterBuffer(i, buffers[i],
                       REGBUF_STANDARD | REGBUF_KEEP_DATA | (init ? REGBUF_WILL_INIT : 0));
    XLogRegisterBufData(i, const_cast<char *>(fragments[i]), sizes[i]);
  }
  XLogRecPtr lsn = XLogInsert(kMemoptRmgrId, XLOG_MEMOPT_FRAGMENTS);
  for (int i = 0; i < count; ++i) PageSetLSN(BufferGetPage(buffers[i]), lsn);
  END_CRIT_SECTION();
}

bool memopt_page_is_ours(Page page) {
  if (PageIsNew(page) || PageGetSpecialSize(page) != MAXALIGN(sizeof(MemoptPageSpecial)))
    return false;
  auto *special = reinterpret_cast<MemoptPageSpecial *>(PageGetSpecialPointer(page));
  return special->magic == kMemoptPageMagic && special->format_version == kMemoptFormatVersion;
}

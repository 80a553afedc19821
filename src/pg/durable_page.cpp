// durable_page.cpp - formatting and recognizing the pages of a durable
// memopt table (durable_format.h).
#include "durable_format.h"

extern "C" {
#include "storage/bufpage.h"
}

void memopt_init_page(Page page) {
  PageInit(page, BLCKSZ, sizeof(MemoptPageSpecial));
  auto *special = reinterpret_cast<MemoptPageSpecial *>(PageGetSpecialPointer(page));
  special->magic = kMemoptPageMagic;
  special->format_version = kMemoptFormatVersion;
}

bool memopt_page_is_ours(Page page) {
  if (PageIsNew(page) || PageGetSpecialSize(page) != MAXALIGN(sizeof(MemoptPageSpecial)))
    return false;
  auto *special = reinterpret_cast<MemoptPageSpecial *>(PageGetSpecialPointer(page));
  return special->magic == kMemoptPageMagic && special->format_version == kMemoptFormatVersion;
}

// durable_format.h - the on-disk format of durable memopt tables and of
// memopt's WAL records.
//
// A durable table's main fork is an append-only stream of standard
// PostgreSQL pages (page header, line pointers, special space with a magic
// number), so checksums, full-page writes and pageinspect work as for heap.
// Each item is a *fragment* of one commit's batch for the table, encoded as
// include/memopt/batch_format.h describes: the xid of the committing
// transaction (FrozenTransactionId once VACUUM froze it, InvalidTransactionId
// once it found the transaction aborted), the batch's sequence number and
// its entries.
//
// Entry kinds: kImage (the row's whole new image), kImagePart (a leading
// piece of an image too big for the page; the pieces follow in order and the
// last one is a kImage), kDelete (no bytes). An image is the row's flattened
// MinimalTuple. Fragments in the compact encoding (all written since format
// 2 of the fragments; pages hold both kinds) leave out the tuple's first
// MINIMAL_TUPLE_DATA_OFFSET bytes, its length word and padding: loading puts
// them back (kImageOmittedBytes).
// A batch larger than a page spans several fragments, each appended and
// WAL-logged on its own; all carry the batch's xid and sequence number, so
// loading takes all of them or, if the transaction did not commit, none.
//
// WAL: XLOG_MEMOPT_FRAGMENTS adds one fragment to each of up to
// kMemoptMaxFragmentsPerRecord pages (a commit's last fragments of several
// tables go into one record): each page is a registered block, its fragment
// the block data; the main data gives each block's item offset, with
// kMemoptFragmentInitsPage when the fragment starts a new page. Freezing and
// pruning log whole pages (log_newpage_buffer). XLOG_MEMOPT_APPEND, one
// fragment per record, is what earlier versions wrote; redo still replays it.
#pragma once

#include "pg_includes.h"

extern "C" {
#include "access/htup_details.h"
#include "access/xlogreader.h"
#include "storage/buf.h"
#include "storage/bufpage.h"
#include "storage/off.h"
}

#include "memopt/batch_format.h"

// memopt's custom WAL resource manager (PostgreSQL reserves 128-255 for
// extensions; 128 is RM_EXPERIMENTAL_ID).
constexpr RmgrId kMemoptRmgrId = 157;
constexpr const char *kMemoptRmgrName = "memopt";

constexpr uint8 XLOG_MEMOPT_APPEND = 0x10;     // legacy: one fragment
constexpr uint8 XLOG_MEMOPT_INIT_PAGE = 0x80;  // legacy: XLOG_MEMOPT_APPEND starts a page
constexpr uint8 XLOG_MEMOPT_FRAGMENTS = 0x20;

// XLOG_MEMOPT_FRAGMENTS' main data: a uint16 per block, the fragment's item
// offset, ORed with this bit when the page is new (offsets stay below 2^13).
constexpr uint16 kMemoptFragmentInitsPage = 0x8000;
// Blocks per XLOG_MEMOPT_FRAGMENTS record (XLR_MAX_BLOCK_ID allows 33).
constexpr int kMemoptMaxFragmentsPerRecord = 16;

constexpr uint32 kMemoptPageMagic = 0x4d4f5054;  // "MOPT"
constexpr uint32 kMemoptFormatVersion = 1;

struct MemoptPageSpecial {
  uint32 magic;
  uint32 format_version;
};

// The encoding every new fragment gets.
constexpr uint16 kMemoptFragmentFlags = memopt::kFragmentCompact;
// Leading bytes of a MinimalTuple that compact fragments do not store.
constexpr size_t kImageOmittedBytes = MINIMAL_TUPLE_DATA_OFFSET;

// Main data of the legacy XLOG_MEMOPT_APPEND: where the fragment goes. In
// both record types the fragment is the block data, kept even when the
// record carries a full-page image (REGBUF_KEEP_DATA) so that rm_desc can
// always describe it.
struct xl_memopt_append {
  OffsetNumber offnum;
};

// Bytes a fragment may take on an empty page.
constexpr size_t kMemoptEmptyPageRoom =
    ((BLCKSZ - SizeOfPageHeaderData - MAXALIGN(sizeof(MemoptPageSpecial)) - sizeof(ItemIdData)) /
     MAXIMUM_ALIGNOF) *
    MAXIMUM_ALIGNOF;

void memopt_init_page(Page page);
// Adds fragments[i] (sizes[i] bytes) as a new item of the exclusively
// locked buffers[i] (formatting the page if it is new), for `count` of them,
// and WAL-logs them all in one XLOG_MEMOPT_FRAGMENTS record. The caller has
// checked that each fits; count is at most kMemoptMaxFragmentsPerRecord.
void memopt_add_fragments(int count, const Buffer *buffers, const char *const *fragments,
                          const size_t *sizes);
// Whether `page` is a formatted memopt page (a zeroed page is not).
bool memopt_page_is_ours(Page page);

// Calls fn(offset, data, bytes) for each fragment (normal item) of a memopt
// page, in item order, while fn returns true; false if fn stopped the walk.
// Pages that are new or not memopt's have no fragments.
template <typename Fn>
bool memopt_for_each_fragment(Page page, Fn &&fn) {
  if (PageIsNew(page) || !memopt_page_is_ours(page)) return true;
  OffsetNumber last = PageGetMaxOffsetNumber(page);
  for (OffsetNumber offset = FirstOffsetNumber; offset <= last; ++offset) {
    ItemId item = PageGetItemId(page, offset);
    if (!ItemIdIsNormal(item)) continue;
    if (!fn(offset, static_cast<const char *>(PageGetItem(page, item)),
            static_cast<size_t>(ItemIdGetLength(item))))
      return false;
  }
  return true;
}

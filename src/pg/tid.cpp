// tid.cpp - a version's directory slot as a TID, and back.
//
// block = slot / 291, offset = slot % 291 + 1: offsets stay within
// MaxHeapTuplesPerPage so tidbitmaps and TID scans accept them. A TID typed
// by a user is only decoded here; the directory bounds-checks the slot.
#include "memopt_pg.h"

namespace {
constexpr uint64_t kSlotsPerBlock = kMemoptSlotsPerBlock;
}

bool memopt_tid_to_slot(ItemPointer tid, uint64_t *slot) {
  if (tid == nullptr || !ItemPointerIsValid(tid)) return false;
  OffsetNumber offset = ItemPointerGetOffsetNumberNoCheck(tid);
  if (offset < 1 || offset > kSlotsPerBlock) return false;
  *slot =
      static_cast<uint64_t>(ItemPointerGetBlockNumberNoCheck(tid)) * kSlotsPerBlock + offset - 1;
  return true;
}

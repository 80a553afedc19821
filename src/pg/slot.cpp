// slot.cpp - the tuple slot type of memopt tables.
//
// A MinimalTuple slot that also remembers the version it was filled from,
// so system columns (xmin, xmax, cmin, cmax) can be answered: PostgreSQL's
// foreign-key triggers read xmin to learn whether a row was inserted by the
// current transaction. memopt versions carry commit timestamps, not xids, so
//   xmin = this transaction's xid for its own uncommitted rows, else
//          FrozenTransactionId ("committed before anyone can tell");
//   xmax = this transaction's xid if it deleted or updated the row, else 0;
//   cmin / cmax = this transaction's command ids for its own changes.
//
// Every operation but getsysattr, clear and copyslot is the MinimalTuple
// slot's own. ExecStoreMinimalTuple insists on TTSOpsMinimalTuple, so
// memopt_store_version stores the way tts_minimal_store_tuple does.
#include "memopt_pg.h"

extern "C" {
#include "access/htup_details.h"
#include "access/transam.h"
#include "access/xact.h"
#include "executor/tuptable.h"
}

namespace {

struct MemoptSlot {
  MinimalTupleTableSlot minimal;
  memopt::Version *version;  // where the tuple came from; nullptr if built here
};

TupleTableSlotOps memopt_ops;

MemoptSlot *AsMemopt(TupleTableSlot *slot) { return reinterpret_cast<MemoptSlot *>(slot); }

void Init(TupleTableSlot *slot) {
  TTSOpsMinimalTuple.init(slot);
  AsMemopt(slot)->version = nullptr;
}

void Clear(TupleTableSlot *slot) {
  TTSOpsMinimalTuple.clear(slot);
  AsMemopt(slot)->version = nullptr;
}

// Stores `tuple` without ExecStoreMinimalTuple's slot-type check.
void StoreMinimal(TupleTableSlot *slot, MinimalTuple tuple, bool should_free) {
  MinimalTupleTableSlot *minimal = &AsMemopt(slot)->minimal;
  slot->tts_ops->clear(slot);
  slot->tts_flags &= ~TTS_FLAG_EMPTY;
  slot->tts_nvalid = 0;
  minimal->off = 0;
  minimal->mintuple = tuple;
  minimal->tuple = &minimal->minhdr;
  minimal->minhdr.t_len = tuple->t_len + MINIMAL_TUPLE_OFFSET;
  minimal->minhdr.t_data =
      reinterpret_cast<HeapTupleHeader>(reinterpret_cast<char *>(tuple) - MINIMAL_TUPLE_OFFSET);
  if (should_free) slot->tts_flags |= TTS_FLAG_SHOULDFREE;
}

void CopySlot(TupleTableSlot *destination, TupleTableSlot *source) {
  MemoryContext old = MemoryContextSwitchTo(destination->tts_mcxt);
  MinimalTuple tuple = ExecCopySlotMinimalTuple(source);
  MemoryContextSwitchTo(old);
  StoreMinimal(destination, tuple, true);
}

bool IsMine(uint64_t word) {
  memopt::Transaction *txn = memopt_txn_if_active();
  return txn != nullptr && word == txn->id();
}

Datum GetSysAttr(TupleTableSlot *slot, int attnum, bool *isnull) {
  memopt::Version *version = AsMemopt(slot)->version;
  if (version == nullptr)
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("cannot retrieve a system column in this context")));
  *isnull = false;
  bool created_by_me = IsMine(version->begin.load());
  bool ended_by_me = IsMine(version->end.load());
  switch (attnum) {
    case MinTransactionIdAttributeNumber:
      return TransactionIdGetDatum(created_by_me ? GetTopTransactionId() : FrozenTransactionId);
    case MaxTransactionIdAttributeNumber:
      return TransactionIdGetDatum(ended_by_me ? GetTopTransactionId() : InvalidTransactionId);
    case MinCommandIdAttributeNumber:
      return CommandIdGetDatum(created_by_me ? version->cmin : FirstCommandId);
    case MaxCommandIdAttributeNumber:
      return CommandIdGetDatum(ended_by_me ? version->cmax : FirstCommandId);
    default:
      ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                      errmsg("memopt tables have no system column %d", attnum)));
  }
  pg_unreachable();
}

TupleTableSlotOps MakeOps() {
  TupleTableSlotOps ops = TTSOpsMinimalTuple;
  ops.base_slot_size = sizeof(MemoptSlot);
  ops.init = Init;
  ops.clear = Clear;
  ops.getsysattr = GetSysAttr;
  ops.copyslot = CopySlot;
  return ops;
}

}  // namespace

const TupleTableSlotOps *memopt_slot_ops(void) {
  if (memopt_ops.base_slot_size == 0) memopt_ops = MakeOps();
  return &memopt_ops;
}

void memopt_store_version(memopt::Version *version, Relation rel, TupleTableSlot *slot) {
  if (slot->tts_ops == &TTSOpsMinimalTuple) {
    ExecStoreMinimalTuple(reinterpret_cast<MinimalTuple>(version->payload()), slot, false);
  } else if (slot->tts_ops == memopt_slot_ops()) {
    StoreMinimal(slot, reinterpret_cast<MinimalTuple>(version->payload()), false);
    AsMemopt(slot)->version = version;
  } else {
    ExecForceStoreMinimalTuple(reinterpret_cast<MinimalTuple>(version->payload()), slot, false);
  }
  slot->tts_tableOid = RelationGetRelid(rel);
  memopt_slot_to_tid(version->slot, &slot->tts_tid);
}

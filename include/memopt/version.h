// version.h - rows and their versions, as laid out in the arena.
//
// A Version is one image of a row: a header plus an opaque payload (the glue
// stores a flattened PostgreSQL MinimalTuple there; the engine never looks
// inside). A Row is the stable identity of a record: it points to its newest
// version, and versions chain newest to oldest through `older`.
//
// Who writes what:
//  - begin: the creating transaction stores its txn id at creation, then its
//    commit timestamp at publish, or kInfinity when it undoes the version.
//  - end: kInfinity until a transaction claims the version for update/delete
//    by CAS (kInfinity -> its txn id); then the commit timestamp at publish, or
//    back to kInfinity when that transaction undoes its change.
//  - cmin/cmax: written only by the transaction whose id is in begin/end, and
//    read only by that same transaction (command-level visibility).
//  - older: set at creation; cut (set to nullptr) only by the garbage
//    collector, which holds the table's GC lock.
//  - Row::newest: changed only by the transaction that holds the newest
//    version's end field (update, or its undo).
//  - Row::durable_id: see the field.
//  - Row::index_lock: adding an index entry for the row holds it shared,
//    removing a stale entry of a live row holds it exclusive (index.h).
//  - Row::key_share_lockers: see Transaction::LockKeyShare.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "memopt/timestamp.h"

namespace memopt {

struct Row;

struct Version {
  std::atomic<uint64_t> begin;
  std::atomic<uint64_t> end;
  std::atomic<Version *> older;
  Row *row;
  uint32_t slot;  // index in the table's VersionDirectory (the TID)
  uint32_t cmin;  // command that created it, meaningful while begin is a txn id
  uint32_t cmax;  // command that ended it, meaningful while end is a txn id
  uint32_t payload_bytes;

  char *payload() { return reinterpret_cast<char *>(this + 1); }
  const char *payload() const { return reinterpret_cast<const char *>(this + 1); }
};
static_assert(sizeof(Version) == 48, "payload must stay 8-byte aligned; keep the header small");

// GC states of a row (Row::gc_state).
enum RowGcState : uint8_t { kRowIdle = 0, kRowQueued = 1, kRowDead = 2 };

struct Row {
  std::atomic<Version *> newest;
  std::atomic<Row *> gc_next;     // link in the table's GC queue
  std::atomic<uint8_t> gc_state;  // RowGcState
  // How many running transactions hold a key-share lock on the row (SELECT
  // ... FOR KEY SHARE; foreign key checks take one on the row they find).
  // Each locker increments it before it checks that the row's newest
  // version is still open and decrements it when it ends; a transaction that
  // deletes the row or changes its key reads it after claiming the end
  // field (both seq_cst), so one of the two always sees the other.
  std::atomic<uint8_t> key_share_lockers;
  // The deltas (kImageDelta, batch_format.h) among the row's durable entries
  // since its last whole image, as DeltaChain packs them: how many and how
  // many bytes. The host logs a whole image again before the chain gets
  // long or outweighs the image, so loading and pruning follow short chains
  // and a row's live entries stay under twice its image. Same writers and
  // readers as durable_id.
  uint16_t durable_chain;
  std::atomic<uint32_t> index_lock;  // see RowIndexLock in index.h
  // The row's name in its table's durable page stream: 0 until a commit
  // first logs an image of it, then fixed. Written only by the transaction
  // that logs it (it holds the row: it inserted it or claimed its newest
  // version), before it publishes; later loggers read it after that.
  uint64_t durable_id;
};
static_assert(sizeof(Row) == 32, "a row header per row: keep it small");

// Whether the garbage collector found the row dead: no transaction can see
// any of its versions. Its memory stays, parked, until VACUUM has swept the
// table's indexes (index.h), so an index entry of it may still be met.
inline bool IsDead(const Row *row) {
  return row->gc_state.load(std::memory_order_acquire) == kRowDead;
}

// Row::durable_chain: the count of deltas in the low 3 bits (at most 7), their
// bytes above (saturating at 8191; deltas are only taken for images of at
// most a few kB).
struct DeltaChain {
  static constexpr unsigned kMaxDeltas = 7;
  static constexpr size_t kMaxBytes = 8191;
  static unsigned Deltas(uint16_t chain) { return chain & 7u; }
  static size_t Bytes(uint16_t chain) { return chain >> 3; }
  // The chain after one more delta of `bytes`.
  static uint16_t Add(uint16_t chain, size_t bytes) {
    unsigned deltas = Deltas(chain) < kMaxDeltas ? Deltas(chain) + 1 : kMaxDeltas;
    size_t total = Bytes(chain) + bytes < kMaxBytes ? Bytes(chain) + bytes : kMaxBytes;
    return static_cast<uint16_t>(total << 3 | deltas);
  }
};

}  // namespace memopt

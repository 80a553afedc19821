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
#pragma once

#include <atomic>
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
enum RowGcState : uint32_t { kRowIdle = 0, kRowQueued = 1, kRowDead = 2 };

struct Row {
  std::atomic<Version *> newest;
  std::atomic<Row *> gc_next;        // link in the table's GC queue
  std::atomic<uint32_t> gc_state;    // RowGcState
  std::atomic<uint32_t> index_lock;  // see RowIndexLock in index.h
  // The row's name in its table's durable page stream: 0 until a commit
  // first logs an image of it, then fixed. Written only by the transaction
  // that logs it (it holds the row: it inserted it or claimed its newest
  // version), before it publishes; later loggers read it after that.
  uint64_t durable_id;
};

}  // namespace memopt

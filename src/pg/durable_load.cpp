// durable_load.cpp - the first use of a memopt table since the server
// started makes its engine table: empty for schema-only tables, read back
// from its pages for durable ones, with every index rebuilt, before any
// query can see it.
//
// Locking: the loader holds the table's append lock (exclusive) from the
// registry check to publication, so one backend loads and the others wait,
// then find the table. Index relations are locked (AccessShareLock) before
// the LWLock is taken: no heavyweight lock waits while it is held. The table
// stays out of the engine's registry until it is complete; if loading fails
// it is discarded and the next use tries again.
//
// Which batches count: those whose xid committed (or was frozen). Nothing
// else can be in progress: only a backend that has the engine table appends.
//
// Deltas (kImageDelta) are kept aside until every page is read, then applied
// per row in batch order to the newest whole image: VACUUM moves fragments
// to earlier pages, so a delta may come before its base in the file.
#include "durable_format.h"
#include "index_internal.h"
#include "memopt_pg.h"

extern "C" {
#include "access/transam.h"
#include "access/xlog.h"
#include "catalog/pg_class.h"
#include "portability/instr_time.h"
#include "storage/bufmgr.h"
#include "storage/lwlock.h"
#include "storage/smgr.h"
#include "utils/rel.h"
}

#include <algorithm>
#include <map>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "memopt/table_loader.h"

namespace {

// Tables from this many pages on report their progress in the server log.
constexpr BlockNumber kLogProgressFrom = 16384;  // 128 MB

memopt::Table *loading = nullptr;  // the table this backend is loading

struct LoadState {
  explicit LoadState(memopt::Table *table) : loader(memopt_engine(), table) {}
  memopt::TableLoader loader;
  // Pieces of images split across fragments, by (durable id, batch): one
  // image's pieces come in stream order, but since VACUUM frees space in
  // earlier pages, other batches' fragments may come between them.
  std::map<std::pair<uint64, uint64>, std::string> pending;
  std::string image;  // an image with its omitted header bytes restored
  // Deltas of committed batches, applied after the last page: 24 bytes each
  // plus their data (a few bytes) while the table loads.
  struct Delta {
    uint64 durable_id;
    uint64 seq;
    uint32 offset;  // in delta_bytes
    uint32 bytes;
  };
  std::vector<Delta> deltas;
  std::string delta_bytes;
  TransactionId last_xid = InvalidTransactionId;
  bool last_committed = false;
  uint64 bytes = 0;
};

bool Committed(LoadState *state, TransactionId xid) {
  if (xid == FrozenTransactionId) return true;
  if (!TransactionIdIsNormal(xid)) return false;  // marked aborted by VACUUM
  if (xid != state->last_xid) {
    state->last_xid = xid;
    state->last_committed = TransactionIdDidCommit(xid);
  }
  return state->last_committed;
}

void Corrupt(Relation rel, BlockNumber block, const char *what) pg_attribute_noreturn();
void Corrupt(Relation rel, BlockNumber block, const char *what) {
  ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
                  errmsg("memopt table \"%s\" has a damaged page at block %u: %s",
                         RelationGetRelationName(rel), block, what)));
}

// Appends bytes to a std::string, reporting memory exhaustion as PostgreSQL
// errors (outside the handler: no longjmp out of a catch).
void AppendOrReport(Relation rel, std::string *to, const char *data, size_t bytes) {
  bool stored = true;
  try {
    to->append(data, bytes);
  } catch (const std::bad_alloc &) {
    stored = false;
  }
  if (!stored) memopt_report_status(memopt::Status::kOutOfMemory, rel);
}

// Makes state->image a MinimalTuple of `bytes` stored bytes: the header
// bytes a compact fragment leaves out, then room for the stored ones, which
// the caller fills through the pointer returned.
char *StartImage(Relation rel, LoadState *state, size_t bytes) {
  bool sized = true;
  try {
    state->image.resize(kImageOmittedBytes + bytes);
  } catch (const std::bad_alloc &) {
    sized = false;
  }
  if (!sized) memopt_report_status(memopt::Status::kOutOfMemory, rel);
  MinimalTupleData omitted{};
  omitted.t_len = static_cast<uint32>(bytes + kImageOmittedBytes);
  memcpy(&state->image[0], &omitted, kImageOmittedBytes);
  return &state->image[kImageOmittedBytes];
}

// Puts a stored image (pieces assembled) into the loader, first restoring
// the MinimalTuple header bytes a compact fragment leaves out.
memopt::Status PutImage(Relation rel, LoadState *state, const memopt::FragmentHeader &header,
                        uint64 durable_id, const char *data, size_t bytes) {
  state->bytes += bytes;
  if (!(header.flags & memopt::kFragmentCompact))
    return state->loader.Put(durable_id, header.batch_seq, data, bytes);
  memcpy(StartImage(rel, state, bytes), data, bytes);
  return state->loader.Put(durable_id, header.batch_seq, state->image.data(), state->image.size());
}

void KeepDelta(Relation rel, LoadState *state, const memopt::FragmentHeader &header,
               const memopt::FragmentEntry &entry) {
  if (state->delta_bytes.size() + entry.bytes > PG_UINT32_MAX)
    ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                    errmsg("memopt table \"%s\" has more than 4 GB of update deltas to load",
                           RelationGetRelationName(rel)),
                    errhint("VACUUM FULL the table to rewrite its rows whole.")));
  bool kept = true;
  try {
    state->deltas.push_back(LoadState::Delta{entry.durable_id, header.batch_seq,
                                             static_cast<uint32>(state->delta_bytes.size()),
                                             static_cast<uint32>(entry.bytes)});
  } catch (const std::bad_alloc &) {
    kept = false;
  }
  if (!kept) memopt_report_status(memopt::Status::kOutOfMemory, rel);
  AppendOrReport(rel, &state->delta_bytes, entry.data, entry.bytes);
}

void DamagedDelta(Relation rel, const LoadState::Delta &delta, const char *what)
    pg_attribute_noreturn();
void DamagedDelta(Relation rel, const LoadState::Delta &delta, const char *what) {
  ereport(ERROR,
          (errcode(ERRCODE_DATA_CORRUPTED),
           errmsg("memopt table \"%s\" is damaged: the delta of row %llu in batch %llu %s",
                  RelationGetRelationName(rel), static_cast<unsigned long long>(delta.durable_id),
                  static_cast<unsigned long long>(delta.seq), what)));
}

// Applies the kept deltas, each row's in batch order, to the images loaded.
// A delta older than the row's newest whole image or delete is superseded;
// one with no image before it is damage.
void ApplyDeltas(Relation rel, LoadState *state) {
  std::sort(state->deltas.begin(), state->deltas.end(),
            [](const LoadState::Delta &a, const LoadState::Delta &b) {
              return a.durable_id != b.durable_id ? a.durable_id < b.durable_id : a.seq < b.seq;
            });
  for (const LoadState::Delta &delta : state->deltas) {
    uint64 seq;
    const char *base;
    size_t base_bytes;
    bool found = state->loader.Current(delta.durable_id, &seq, &base, &base_bytes);
    if (seq >= delta.seq) continue;  // superseded (or a copy VACUUM's merge left)
    if (!found || base_bytes < kImageOmittedBytes)
      DamagedDelta(rel, delta, "has no image before it");
    const char *data = state->delta_bytes.data() + delta.offset;
    size_t bytes;
    if (!memopt::ImageDeltaResultBytes(data, delta.bytes, base_bytes - kImageOmittedBytes, &bytes))
      DamagedDelta(rel, delta, "does not fit the image before it");
    CHECK_FOR_INTERRUPTS();
    memopt::ApplyImageDelta(base + kImageOmittedBytes, base_bytes - kImageOmittedBytes, data,
                            delta.bytes, StartImage(rel, state, bytes));
    state->bytes += delta.bytes;
    memopt::Status status = state->loader.Put(delta.durable_id, delta.seq, state->image.data(),
                                              state->image.size(), delta.bytes);
    if (status != memopt::Status::kOk) memopt_report_status(status, rel);
  }
}

void ApplyFragment(Relation rel, BlockNumber block, LoadState *state, const char *data,
                   size_t bytes) {
  memopt::FragmentReader reader;
  if (!reader.Open(data, bytes)) Corrupt(rel, block, "fragment header damaged");
  const memopt::FragmentHeader &header = reader.header();
  if (!Committed(state, header.xid)) return;
  memopt::FragmentEntry entry;
  while (reader.Next(&entry)) {
    memopt::Status status = memopt::Status::kOk;
    std::pair<uint64, uint64> key{entry.durable_id, header.batch_seq};
    switch (entry.kind) {
      case memopt::EntryKind::kImagePart: {
        std::string *pieces = nullptr;
        try {
          pieces = &state->pending[key];
        } catch (const std::bad_alloc &) {
        }
        if (pieces == nullptr) memopt_report_status(memopt::Status::kOutOfMemory, rel);
        AppendOrReport(rel, pieces, entry.data, entry.bytes);
        break;
      }
      case memopt::EntryKind::kImage: {
        auto pieces = state->pending.find(key);
        if (pieces == state->pending.end()) {
          status = PutImage(rel, state, header, entry.durable_id, entry.data, entry.bytes);
          break;
        }
        AppendOrReport(rel, &pieces->second, entry.data, entry.bytes);
        status = PutImage(rel, state, header, entry.durable_id, pieces->second.data(),
                          pieces->second.size());
        state->pending.erase(pieces);
        break;
      }
      case memopt::EntryKind::kDelete:
        status = state->loader.Remove(entry.durable_id, header.batch_seq);
        break;
      case memopt::EntryKind::kImageDelta:
        KeepDelta(rel, state, header, entry);
        break;
    }
    if (status != memopt::Status::kOk) memopt_report_status(status, rel);
  }
  if (reader.damaged()) Corrupt(rel, block, "damaged entry");
}

void ReadPages(Relation rel, LoadState *state) {
  BlockNumber blocks = smgrnblocks(RelationGetSmgr(rel), MAIN_FORKNUM);
  bool log_progress = blocks >= kLogProgressFrom;
  instr_time start;
  INSTR_TIME_SET_CURRENT(start);
  if (log_progress)
    ereport(LOG, (errmsg("memopt: loading table \"%s\" (%u pages)", RelationGetRelationName(rel),
                         blocks)));
  BufferAccessStrategy strategy = GetAccessStrategy(BAS_BULKREAD);
  for (BlockNumber block = 0; block < blocks; ++block) {
    CHECK_FOR_INTERRUPTS();
    Buffer buffer = ReadBufferExtended(rel, MAIN_FORKNUM, block, RBM_NORMAL, strategy);
    LockBuffer(buffer, BUFFER_LOCK_SHARE);
    Page page = BufferGetPage(buffer);
    // A zeroed page was extended, then the server crashed before its record.
    if (!PageIsNew(page) && !memopt_page_is_ours(page)) Corrupt(rel, block, "not a memopt page");
    memopt_for_each_fragment(page, [&](OffsetNumber, const char *data, size_t bytes) {
      ApplyFragment(rel, block, state, data, bytes);
      return true;
    });
    UnlockReleaseBuffer(buffer);
    if (log_progress && (block + 1) % (blocks / 10 + 1) == 0)
      ereport(LOG, (errmsg("memopt: loading table \"%s\": %u of %u pages",
                           RelationGetRelationName(rel), block + 1, blocks)));
  }
  FreeAccessStrategy(strategy);
  if (log_progress) {
    instr_time elapsed;
    INSTR_TIME_SET_CURRENT(elapsed);
    INSTR_TIME_SUBTRACT(elapsed, start);
    ereport(LOG, (errmsg("memopt: loaded table \"%s\": %llu rows, %llu MB of images in %.1f s",
                         RelationGetRelationName(rel),
                         static_cast<unsigned long long>(state->loader.live_rows()),
                         static_cast<unsigned long long>(state->bytes >> 20),
                         INSTR_TIME_GET_DOUBLE(elapsed))));
  }
}

// Builds the table from its pages and its indexes from the table; publishes it.
memopt::Table *LoadLocked(Relation rel, const memopt::TableKey &key, List *indexes) {
  memopt::Engine *engine = memopt_engine();
  memopt::Table *table = nullptr;
  memopt::Status status = engine->NewTable(key, true, &table);
  if (status != memopt::Status::kOk) memopt_report_status(status, rel);
  LoadState *volatile state = new (std::nothrow) LoadState(table);
  if (state == nullptr) {
    engine->DiscardTable(table);
    memopt_report_status(memopt::Status::kOutOfMemory, rel);
  }
  loading = table;
  PG_TRY();
  {
    ReadPages(rel, state);
    ApplyDeltas(rel, state);
    state->loader.Finish();
    ListCell *cell;
    foreach (cell, indexes)
      memopt_index_build_at_load(rel, static_cast<Relation>(lfirst(cell)), table);
  }
  PG_CATCH();
  {
    loading = nullptr;
    delete state;
    engine->DiscardTable(table);
    PG_RE_THROW();
  }
  PG_END_TRY();
  loading = nullptr;
  delete state;
  memopt::Table *published = engine->PublishTable(table);
  if (published != table) engine->DiscardTable(table);  // cannot happen under the lock
  return published;
}

}  // namespace

memopt::Table *memopt_table_being_loaded(const memopt::TableKey &key) {
  return loading != nullptr && loading->key() == key ? loading : nullptr;
}

memopt::Table *memopt_open_table(Relation rel) {
  memopt::TableKey key = memopt_key_for_node(rel->rd_node);
  memopt::Engine *engine = memopt_engine();
  memopt::Table *table = engine->FindTable(key);
  if (table != nullptr) return table;
  if (rel->rd_rel->relpersistence != RELPERSISTENCE_PERMANENT) {
    memopt::Status status = engine->OpenTable(key, &table, false);
    if (status != memopt::Status::kOk) memopt_report_status(status, rel);
    return table;
  }
  if (RecoveryInProgress())
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("cannot read memopt table \"%s\" during recovery",
                           RelationGetRelationName(rel)),
                    errdetail("A standby replays the table's pages but loads its rows into memory "
                              "only when it is promoted.")));
  LWLock *lock = memopt_durable_table_lock(key);
  if (LWLockHeldByMe(lock))
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("cannot load memopt table \"%s\" while loading another memopt table",
                           RelationGetRelationName(rel)),
                    errhint("An index expression or predicate must not read memopt tables.")));
  List *indexes = NIL;
  List *index_oids = RelationGetIndexList(rel);
  ListCell *cell;
  foreach (cell, index_oids)
    indexes = lappend(indexes, index_open(lfirst_oid(cell), AccessShareLock));
  list_free(index_oids);
  LWLockAcquire(lock, LW_EXCLUSIVE);
  table = engine->FindTable(key);
  if (table == nullptr) table = LoadLocked(rel, key, indexes);
  LWLockRelease(lock);
  foreach (cell, indexes) index_close(static_cast<Relation>(lfirst(cell)), NoLock);
  list_free(indexes);
  return table;
}

// hash_am.cpp - the memopt_hash index access method: handler, options and
// scans.
//
// An index is the engine's HashIndex (hash_index.h): 64-bit hashes of the
// whole key (index_keys.cpp) to rows. `WITH (bucket_count = N)` sets the
// starting number of buckets; the table doubles as it fills, so a low guess
// costs a few cheap splits, never long chains.
//
// A scan needs "=" on every key column ("= ANY (array)" probes once per
// element, array_keys.cpp). It collects the rows under the hash, and
// returns for each the TID of the version the scan's snapshot sees,
// if that version's key hashes the same (the row may have entries for other
// keys of older or newer versions). Hash collisions are left to the
// executor's recheck of the original quals (xs_recheck).
#include "index_internal.h"

extern "C" {
#include "utils/lsyscache.h"
}

namespace {

// One (hash, row) pair found by a scan.
struct Candidate {
  uint64 hash;
  memopt::Row *row;
};

struct HashScan {
  MemoptKeyReader *reader;
  memopt::ReadView view;
  bool prepared;
  Candidate *candidates;
  int capacity;
  int count;
  int next;
  MemoptSearchColumn search[INDEX_MAX_KEYS];
  bool hashable[INDEX_MAX_KEYS];  // the column's key can be hashed
  MemoptArrayKeys arrays;
};

// Collects into `out` (capacity `capacity`); returns how many there are,
// which may exceed `capacity` (then the caller retries with more room).
// Nothing inside the engine walk can raise an error.
int CollectHash(memopt::HashIndex *index, uint64 hash, Candidate *out, int capacity) {
  int found = 0;
  memopt_hash_live_rows(index, hash, [&](memopt::Row *row) {
    if (found < capacity) out[found] = Candidate{hash, row};
    ++found;
  });
  return found;
}

int CollectAll(memopt::HashIndex *index, Candidate *out, int capacity) {
  int found = 0;
  index->ForEach([&](uint64_t hash, memopt::Row *row) {
    if (found < capacity) out[found] = Candidate{hash, row};
    ++found;
  });
  return found;
}

// Chooses each key column's hash function: the opfamily's for the key's
// type when it differs from the column's (cross-type "="). Once per scan:
// array keys change their arguments, never their types.
void ResolveSearchColumns(IndexScanDesc scan, HashScan *state, ScanKey keys) {
  const MemoptIndexInfo *info = memopt_index_info(scan->indexRelation);
  for (int i = 0; i < scan->numberOfKeys; ++i) {
    ScanKey key = &keys[i];
    const MemoptIndexColumn &column_info = info->columns[key->sk_attno - 1];
    MemoptSearchColumn &search = state->search[key->sk_attno - 1];
    search.cross = OidIsValid(key->sk_subtype) && key->sk_subtype != column_info.type;
    state->hashable[key->sk_attno - 1] = true;
    if (!search.cross) continue;
    Oid function = get_opfamily_proc(column_info.opfamily, key->sk_subtype, key->sk_subtype, 1);
    // No hash function for that type: leave the key to the walk.
    state->hashable[key->sk_attno - 1] = OidIsValid(function);
    if (OidIsValid(function)) fmgr_info(function, &search.hash);
  }
}

// Fills `values` from the scan keys; false if some key column has no usable
// "=" key (the scan then walks every entry). *impossible: a key compares
// with NULL.
bool KeysCoverEveryColumn(IndexScanDesc scan, HashScan *state, ScanKey keys, Datum *values,
                          bool *isnull, bool *impossible) {
  const MemoptIndexInfo *info = memopt_index_info(scan->indexRelation);
  bool covered[INDEX_MAX_KEYS] = {false};
  *impossible = false;
  for (int i = 0; i < scan->numberOfKeys; ++i) {
    ScanKey key = &keys[i];
    if (key->sk_flags & SK_ISNULL) {
      *impossible = true;
      return false;
    }
    int column = key->sk_attno - 1;
    if (!state->hashable[column]) continue;
    values[column] = key->sk_argument;
    isnull[column] = false;
    covered[column] = true;
  }
  for (int i = 0; i < info->natts; ++i)
    if (!covered[i]) return false;
  return true;
}

// Appends the rows under `hash` (probe) or every entry to the candidates.
void Collect(HashScan *state, memopt::Index *engine_index, bool probe, uint64 hash) {
  int room = probe ? 16 : static_cast<int>(engine_index->entry_count()) + 64;
  for (;;) {
    if (state->count + room > state->capacity) {
      int capacity = state->count + room;
      state->candidates = static_cast<Candidate *>(
          state->candidates == nullptr ? palloc(sizeof(Candidate) * capacity)
                                       : repalloc(state->candidates, sizeof(Candidate) * capacity));
      state->capacity = capacity;
    }
    Candidate *out = state->candidates + state->count;
    int found = probe ? CollectHash(engine_index->hash(), hash, out, room)
                      : CollectAll(engine_index->hash(), out, room);
    if (found <= room) {
      state->count += found;
      return;
    }
    room = found * 2;
  }
}

int CompareCandidates(const void *a, const void *b) {
  const auto *x = static_cast<const Candidate *>(a);
  const auto *y = static_cast<const Candidate *>(b);
  if (x->hash != y->hash) return x->hash < y->hash ? -1 : 1;
  return x->row < y->row ? -1 : x->row > y->row ? 1 : 0;
}

// Array elements equal under "=" hash alike: a row found twice is found
// under one hash.
void RemoveDuplicates(HashScan *state) {
  if (state->count < 2) return;
  qsort(state->candidates, state->count, sizeof(Candidate), CompareCandidates);
  int kept = 1;
  for (int i = 1; i < state->count; ++i)
    if (CompareCandidates(&state->candidates[kept - 1], &state->candidates[i]) != 0)
      state->candidates[kept++] = state->candidates[i];
  state->count = kept;
}

// Collects the candidates of every combination of the keys' array elements
// ("= ANY (array)"; one combination without arrays).
void Prepare(IndexScanDesc scan, HashScan *state) {
  state->prepared = true;
  state->count = 0;
  state->next = 0;
  const MemoptIndexInfo *info = memopt_index_info(scan->indexRelation);
  bool arrays = memopt_array_keys_setup(&state->arrays, info, scan->keyData, scan->numberOfKeys,
                                        /*ordered=*/false);
  memopt::Index *engine_index = memopt_index_for(scan->heapRelation, scan->indexRelation);
  state->view = memopt_view_for(scan->xs_snapshot);
  bool mvcc = scan->xs_snapshot->snapshot_type == SNAPSHOT_MVCC;
  ResolveSearchColumns(scan, state, state->arrays.keys);
  do {
    Datum values[INDEX_MAX_KEYS];
    bool isnull[INDEX_MAX_KEYS];
    bool impossible;
    bool probe = KeysCoverEveryColumn(scan, state, state->arrays.keys, values, isnull, &impossible);
    if (impossible) return;  // the same for every combination
    uint64 hash = probe ? memopt_key_hash(info, state->search, values, isnull) : 0;
    if (mvcc && probe) memopt_note_hash_probe(scan->heapRelation, engine_index, hash);
    if (mvcc && !probe)
      memopt_note_table_scan(scan->heapRelation, memopt_table_for(scan->heapRelation));
    Collect(state, engine_index, probe, hash);
    if (!probe) break;  // every entry is in already
  } while (memopt_array_keys_step(&state->arrays, false));
  if (arrays) RemoveDuplicates(state);
}

bool HashGetTuple(IndexScanDesc scan, ScanDirection direction) {
  (void)direction;  // forward only (amcanbackward = false)
  auto *state = static_cast<HashScan *>(scan->opaque);
  if (!state->prepared) Prepare(scan, state);
  if (state->reader == nullptr)
    state->reader = memopt_key_reader_acquire(scan->heapRelation, scan->indexRelation);
  const MemoptIndexInfo *info = memopt_index_info(scan->indexRelation);
  Datum values[INDEX_MAX_KEYS];
  bool isnull[INDEX_MAX_KEYS];
  while (state->next < state->count) {
    const Candidate &candidate = state->candidates[state->next++];
    memopt::Version *version = memopt_visible_version(candidate.row, state->view);
    if (version == nullptr) continue;
    if (!memopt_version_key(state->reader, version, values, isnull)) continue;
    if (memopt_key_hash(info, nullptr, values, isnull) != candidate.hash) continue;
    memopt_index_return_key(scan, values, isnull);
    memopt_slot_to_tid(version->slot, &scan->xs_heaptid);
    scan->xs_recheck = true;
    return true;
  }
  return false;
}

IndexScanDesc HashBeginScan(Relation index, int nkeys, int norderbys) {
  IndexScanDesc scan = RelationGetIndexScan(index, nkeys, norderbys);
  scan->opaque = palloc0(sizeof(HashScan));
  return scan;
}

void HashRescan(IndexScanDesc scan, ScanKey keys, int nkeys, ScanKey orderbys, int norderbys) {
  (void)orderbys;
  (void)norderbys;
  if (keys != nullptr && nkeys > 0) memmove(scan->keyData, keys, nkeys * sizeof(ScanKeyData));
  auto *state = static_cast<HashScan *>(scan->opaque);
  state->prepared = false;
}

void HashEndScan(IndexScanDesc scan) {
  auto *state = static_cast<HashScan *>(scan->opaque);
  if (state->reader != nullptr) memopt_key_reader_release(scan->indexRelation, state->reader);
  if (state->candidates != nullptr) pfree(state->candidates);
  memopt_array_keys_free(&state->arrays);
  pfree(state);
}

IndexAmRoutine MakeRoutine() {
  IndexAmRoutine routine = memopt_index_routine_base();
  routine.amstrategies = 1;      // "="; support function 1: the 64-bit extended hash
  routine.amsearcharray = true;  // "= ANY (array)": a probe per element
  routine.amoptions = memopt_hash_options;
  routine.ambeginscan = HashBeginScan;
  routine.amrescan = HashRescan;
  routine.amgettuple = HashGetTuple;
  routine.amendscan = HashEndScan;
  return routine;
}

const IndexAmRoutine hash_routine = MakeRoutine();

}  // namespace

extern "C" {
PG_FUNCTION_INFO_V1(memopt_hash_handler);
Datum memopt_hash_handler(PG_FUNCTION_ARGS) {
  (void)fcinfo;
  auto *routine = makeNode(IndexAmRoutine);
  *routine = hash_routine;
  PG_RETURN_POINTER(routine);
}
}

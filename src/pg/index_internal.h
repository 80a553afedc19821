// index_internal.h - what the files of memopt's two index access methods
// share: per-index key information, key encoding, hashing and comparison
// (index_keys.cpp), reading a version's key (index_keys.cpp), the engine
// index behind a relation (index_map.cpp), building (index_build.cpp),
// inserting and uniqueness (index_insert.cpp), cost estimates
// (index_cost.cpp) and VACUUM's sweep (index_vacuum.cpp). The AM handlers and
// scans are hash_am.cpp and range_am.cpp.
#pragma once

#include "memopt_pg.h"

extern "C" {
#include "access/amapi.h"
#include "access/genam.h"
#include "access/relscan.h"
#include "executor/executor.h"
#include "nodes/execnodes.h"
#include "nodes/extensible.h"
#include "nodes/pathnodes.h"
}

#include "memopt/index.h"

// Per column of an index, from its opclass (cached in rd_amcache).
struct MemoptIndexColumn {
  Oid type;  // opcintype (for enums: the column's own enum type's storage is the same)
  int16 typlen;
  bool typbyval;
  char typalign;
  Oid collation;
  Oid opfamily;
  FmgrInfo compare;  // range: btree comparison support function (type, type)
  FmgrInfo hash;     // 64-bit extended hash: hash support function (hash), or the type's
                     // default one (range; valid when info->equality_hash)
  FmgrInfo equal;    // hash: the "=" operator's function (uniqueness checks)
  bool guarded;      // compare may raise an error: call it under PG_TRY
  bool descending;   // range: the column's values in descending order (DESC)
  bool nulls_first;  // range: NULL before every value (NULLS FIRST)
};

struct MemoptKeyReader;

struct MemoptIndexInfo {
  memopt::IndexKind kind;
  MemoptKeyReader *reader;           // cached (index_keys.cpp); lives in rd_indexcxt
  LocalTransactionId reader_in_use;  // the local xact using it, or InvalidLocalTransactionId
  int natts;
  bool unique;
  bool nulls_not_distinct;
  // Every column has a hash under which keys equal by "=" collide
  // (index_insert.cpp serializes uniqueness checks by it).
  bool equality_hash;
  // Range indexes, chosen at load by the first column's comparison and
  // collation (index_keys.cpp): a direct comparison of a single fixed-size
  // column, and the first column's prefix (abbreviated key); nullptr when
  // the type has none.
  memopt::KeyComparator::Compare direct_compare;
  memopt::KeyComparator::Prefix prefix;
  MemoptIndexColumn columns[INDEX_MAX_KEYS];
};

// How a scan key's argument compares with the column when its type differs
// (a cross-type operator such as int4 = int8).
struct MemoptSearchColumn {
  bool cross;  // the argument has type `type`, compared with `compare`
  Oid type;
  int16 typlen;
  bool typbyval;
  char typalign;
  FmgrInfo compare;  // range: comparison support function (column type, argument type)
  FmgrInfo hash;     // hash: extended hash function of the argument type
};

// The context behind a KeyComparator: entries compare with `info`; a search
// key (KeyFlags::kSearch) compares through `search` where a column is cross.
// A comparison that raises an error is caught and kept in `error`.
struct MemoptCompareContext {
  const MemoptIndexInfo *info;
  const MemoptSearchColumn *search;  // nullptr: search keys have the column types
  ErrorData *error;
};

// index_keys.cpp
const MemoptIndexInfo *memopt_index_info(Relation index);
// Encoded keys: [ncols][flags][null bitmap][values aligned as in a tuple].
// `search` is non-null for a scan key (values of search[i].type where cross).
// The encoding is palloc'd (8-byte aligned).
memopt::KeyRef memopt_key_encode(const MemoptIndexInfo *info, const MemoptSearchColumn *search,
                                 int ncols, const Datum *values, const bool *isnull);
memopt::KeyComparator memopt_comparator(MemoptCompareContext *context);
// Re-raises an error a comparison caught (after an engine call reported it).
void memopt_rethrow_comparison_error(MemoptCompareContext *context) pg_attribute_noreturn();
// Compares two encoded keys outside the engine (errors propagate).
int memopt_key_compare(MemoptCompareContext *context, memopt::KeyRef a, memopt::KeyRef b);
// The values of an encoded key (pointers into it); returns its column count.
int memopt_key_decode(const MemoptIndexInfo *info, const MemoptSearchColumn *search,
                      memopt::KeyRef key, Datum *values, bool *isnull);
// Compares an encoded entry with unencoded key values (which may be toasted).
int memopt_key_compare_values(const MemoptIndexInfo *info, memopt::KeyRef entry,
                              const Datum *values, const bool *isnull);
// 64-bit hash of a key (hash indexes). `search` as for memopt_key_encode.
uint64 memopt_key_hash(const MemoptIndexInfo *info, const MemoptSearchColumn *search,
                       const Datum *values, const bool *isnull);
// True if every column is equal by the opclass's "=" (hash) or comparison
// function (range) (NULL equals NULL only with NULLS NOT DISTINCT). The
// functions may raise errors: not for use under an engine latch.
bool memopt_key_values_equal(const MemoptIndexInfo *info, const Datum *a, const bool *a_null,
                             const Datum *b, const bool *b_null);
bool memopt_key_has_null(const MemoptIndexInfo *info, const bool *isnull);

// Computes index keys of versions: deforms into a slot, evaluates the
// index's expressions and predicate. Setting one up costs catalog work, so
// each index keeps one in its relcache entry and lends it out; a user that
// finds it lent (a nested scan of the same index) gets a private one. A
// reader lent in a transaction that failed counts as free again in the next.
struct MemoptKeyReader {
  Relation heap;
  IndexInfo *index_info;
  TupleTableSlot *slot;
  EState *estate;
  ExprState *predicate;
  bool cached;
};
MemoptKeyReader *memopt_key_reader_acquire(Relation heap, Relation index);
void memopt_key_reader_release(Relation index, MemoptKeyReader *reader);
// False when the version does not satisfy a partial index's predicate (it
// has no entry). Values live until the next call.
bool memopt_version_key(MemoptKeyReader *reader, memopt::Version *version, Datum *values,
                        bool *isnull);

// index_map.cpp: the engine index of `index` (an index of memopt table
// `heap`), created empty when the engine has none (after a restart).
memopt::Index *memopt_index_for(Relation heap, Relation index);
// ambuild: a new, empty engine index for the index's new relfilenode,
// dropped if the transaction aborts; the index's earlier relfilenode (REINDEX)
// is dropped if it commits.
memopt::Index *memopt_index_create(Relation heap, Relation index);

// index_options.cpp: WITH (...) of the two AMs (memopt_hash: bucket_count;
// memopt_range: none), registered at _PG_init.
int64 memopt_hash_bucket_option(Relation index);
bytea *memopt_hash_options(Datum reloptions, bool validate);
bytea *memopt_range_options(Datum reloptions, bool validate);

// index_rows.cpp: the rows with an entry under `hash` (memopt_hash) or equal
// to the encoded `key` (memopt_range, compared with `compare`), into `list`
// (zeroed by the caller the first time; its array is reused and grown).
struct MemoptRowList {
  memopt::Row **rows;
  int count;
  int capacity;
};
void memopt_rows_under_key(memopt::Index *engine_index, uint64 hash, memopt::KeyRef key,
                           MemoptCompareContext *compare, MemoptRowList *list);
// Calls fn(row) for each row with an entry under `hash` whose row is not
// dead, and takes out the entries of dead rows it meets (see index_rows.cpp).
// fn runs inside the engine's walk: it must not raise an error or allocate.
template <typename Fn>
void memopt_hash_live_rows(memopt::HashIndex *index, uint64 hash, Fn &&fn) {
  index->Lookup(hash, [&](memopt::Row *row) {
    if (memopt::IsDead(row))
      (void)index->Remove(hash, row);
    else
      fn(row);
    return true;
  });
}

// index_build.cpp: builds `index` from every version of `heap`.
IndexBuildResult *memopt_index_build(Relation heap, Relation index, IndexInfo *index_info);
void memopt_index_build_empty(Relation index);

// index_insert.cpp: aminsert of both AMs.
bool memopt_index_insert(Relation index, Datum *values, bool *isnull, ItemPointer heap_tid,
                         Relation heap, IndexUniqueCheck check_unique, bool index_unchanged,
                         IndexInfo *index_info);
// index_build.cpp: builds the engine index of `index` on a table being loaded.
void memopt_index_build_at_load(Relation heap, Relation index, memopt::Table *table);

// Adds the entry of `version` (with key values) to `engine_index`, and checks
// uniqueness if `check`: a duplicate raises 23505 if `report`, else the
// result is false. Shared by the build and direct_insert.cpp. `reader` reads
// other rows' keys; nullptr: acquired here if a check needs one.
bool memopt_index_add_entry(Relation heap, Relation index, memopt::Index *engine_index,
                            MemoptKeyReader *reader, memopt::Version *version, Datum *values,
                            bool *isnull, bool check, bool building, bool report);

// index_cost.cpp
void memopt_index_cost_estimate(struct PlannerInfo *root, struct IndexPath *path, double loop_count,
                                Cost *startup_cost, Cost *total_cost, Selectivity *selectivity,
                                double *correlation, double *pages);

// index_vacuum.cpp: VACUUM's sweep of a table's indexes (from the table AM).
void memopt_sweep_indexes(Relation heap, memopt::Table *table);
IndexBulkDeleteResult *memopt_index_bulk_delete(IndexVacuumInfo *info, IndexBulkDeleteResult *stats,
                                                IndexBulkDeleteCallback callback,
                                                void *callback_state);
IndexBulkDeleteResult *memopt_index_vacuum_cleanup(IndexVacuumInfo *info,
                                                   IndexBulkDeleteResult *stats);
bool memopt_index_validate(Oid opclass);

// Index-only scans: the index tuple for the key values of the version a scan
// returns (replacing the previous one), when the executor asked for it.
void memopt_index_return_key(IndexScanDesc scan, const Datum *values, const bool *isnull);
bool memopt_index_can_return(Relation index, int attno);

// on_conflict.cpp: refuses INSERT ... ON CONFLICT that memopt cannot run
// (called from the planner hook).
void memopt_check_on_conflict(Query *parse);

// range_cursor.cpp: an ordered walk of a memopt_range index under scan keys
// (btree semantics), yielding the visible version of each row whose entry
// matches, in key order. Used by the index AM and the MemoptRange scan.
// array_keys.cpp: "column op ANY (array)" scan keys (SK_SEARCHARRAY) run as
// a sequence of scalar key sets, for range indexes in key order.
struct MemoptArrayKeys {
  MemoryContext context;  // owns keys and digits; reset at every setup
  ScanKey keys;           // the caller's keys, each array key holding one element
  int nkeys;
  struct Digit {
    int key;  // index into keys
    Datum *elements;
    int count;
    int current;
    int marked;
  } * digits;  // equality array keys, the lowest column first (changes slowest)
  int ndigits;
};
// Points arrays->keys at `keys`, or at a copy with array keys made scalar
// (first combination) when some key has SK_SEARCHARRAY; true in that case.
// `ordered`: elements in the column's order, without duplicates (range).
bool memopt_array_keys_setup(MemoptArrayKeys *arrays, const MemoptIndexInfo *info, ScanKey keys,
                             int nkeys, bool ordered);
void memopt_array_keys_first(MemoptArrayKeys *arrays, bool backward);  // first or last combination
// Moves to the next combination in the direction; false (unchanged) past the end.
bool memopt_array_keys_step(MemoptArrayKeys *arrays, bool backward);
void memopt_array_keys_mark(MemoptArrayKeys *arrays);
bool memopt_array_keys_restore(MemoptArrayKeys *arrays);  // true if the combination changed
void memopt_array_keys_free(MemoptArrayKeys *arrays);

struct MemoptRangeCursor {
  Relation heap;
  Relation index;
  ScanKey keys;  // the caller's (must live as long as the cursor runs), or arrays.keys
  int nkeys;
  Snapshot snapshot;
  MemoptKeyReader *reader;
  MemoptCompareContext compare;
  MemoptSearchColumn search[INDEX_MAX_KEYS];
  memopt::ReadView view;
  memopt::Index *engine_index;
  bool prepared;
  bool impossible;  // a key compares with NULL: nothing matches
  bool started;
  memopt::KeyRef lower, upper;  // search prefixes; data == nullptr: unbounded
  bool lower_strict, upper_strict;
  uint64 bound_keys;  // bit i: keys[i] is one of the bounds (holds by position)
  alignas(memopt::RangeIndex::Iterator) char iterator[sizeof(memopt::RangeIndex::Iterator)];
  alignas(memopt::RangeIndex::Iterator) char mark[sizeof(memopt::RangeIndex::Iterator)];
  bool marked_started;
  MemoptArrayKeys arrays;  // keys holds arrays.keys: the caller's, or scalar copies
  bool arrays_positioned;  // the first combination suits the first call's direction
};
// (Re)starts the walk for new key values; the cursor must be zeroed or reset.
void memopt_range_cursor_start(MemoptRangeCursor *cursor, Relation heap, Relation index,
                               ScanKey keys, int nkeys, Snapshot snapshot);
// The next version in `backward` or forward order, its key in values/isnull;
// nullptr at the end (a later call in the other direction turns back).
memopt::Version *memopt_range_cursor_next(MemoptRangeCursor *cursor, bool backward, Datum *values,
                                          bool *isnull);
void memopt_range_cursor_reset(MemoptRangeCursor *cursor);  // before a restart
void memopt_range_cursor_end(MemoptRangeCursor *cursor);
void memopt_range_cursor_mark(MemoptRangeCursor *cursor);
void memopt_range_cursor_restore(MemoptRangeCursor *cursor);

// custom_lookup.cpp: adds MemoptLookup paths next to memopt index scans
// (called from the planner hook for memopt relations); what custom scans
// share: the kind of a memopt index AM (an IndexKind, 0 for others), and
// the memopt scan slot with quals and projection compiled for it.
void memopt_add_lookup_paths(PlannerInfo *root, RelOptInfo *rel);
int memopt_index_am_kind(Oid am);
TupleTableSlot *memopt_custom_scan_slot(CustomScanState *node, EState *estate);
// The node's own custom_exprs (memopt_custom_scan_plan appends the quals).
List *memopt_custom_scan_exprs(const CustomScan *scan);
// ExecInitExpr of the first `count` custom_exprs, without copying the list
// (each execution of a cached plan pays for what BeginCustomScan does).
List *memopt_init_custom_scan_exprs(const CustomScan *scan, int count, PlanState *parent);
// EXPLAIN's "Filter" and "Rows Removed by Filter" for those quals: the
// first thing each node's ExplainCustomScan prints.
void memopt_explain_custom_scan_quals(CustomScanState *node, List *ancestors,
                                      struct ExplainState *es);
// ExecScan for a memopt custom scan whose `next` stores each version it puts
// into the slot in *last_version: the version of a returned row passed every
// qual, so it joins the transaction's read set (once; a slot ExecScan took
// from EvalPlanQual leaves *last_version nullptr). `table` may be nullptr.
TupleTableSlot *memopt_exec_custom_scan(CustomScanState *node, ExecScanAccessMtd next,
                                        ExecScanRecheckMtd recheck, memopt::Table *table,
                                        memopt::Version **last_version);
// A CustomScan of `rel` whose quals are all of `clauses` (custom scans test
// every clause on the versions they return), kept as the last element of
// custom_exprs rather than in plan.qual: see memopt_custom_scan_slot.
CustomScan *memopt_custom_scan_plan(RelOptInfo *rel, CustomPath *path, List *tlist, List *clauses,
                                    List *custom_private, List *custom_exprs,
                                    const CustomScanMethods *methods);
// A custom path with `path`'s parameterization, rows and pathkeys, and its
// costs times `cost_factor`.
CustomPath *memopt_custom_path_like(RelOptInfo *rel, Path *path, double cost_factor, uint32 flags,
                                    List *custom_private, const CustomPathMethods *methods);
// custom_range.cpp: MemoptRange paths for memopt_range index scans.
void memopt_add_range_paths(struct PlannerInfo *root, struct RelOptInfo *rel);
void memopt_register_range_scan(void);
// custom_seqscan.cpp: MemoptSeqScan, a sequential scan with simple quals
// tested on the stored tuples.
void memopt_add_seq_path(struct PlannerInfo *root, struct RelOptInfo *rel);
void memopt_register_seq_scan(void);

// What memopt_hash and memopt_range share: properties, and the callbacks
// for building, inserting, VACUUM, costs, index-only scans and validation.
inline IndexAmRoutine memopt_index_routine_base() {
  IndexAmRoutine routine;
  memset(&routine, 0, sizeof routine);
  routine.type = T_IndexAmRoutine;
  routine.amsupport = 1;
  routine.amcanunique = true;
  routine.amcanmulticol = true;
  routine.amkeytype = InvalidOid;
  routine.ambuild = memopt_index_build;
  routine.ambuildempty = memopt_index_build_empty;
  routine.aminsert = memopt_index_insert;
  routine.ambulkdelete = memopt_index_bulk_delete;
  routine.amvacuumcleanup = memopt_index_vacuum_cleanup;
  routine.amcanreturn = memopt_index_can_return;
  routine.amcostestimate = memopt_index_cost_estimate;
  routine.amvalidate = memopt_index_validate;
  return routine;
}

// The version of `row` that `view` sees, or nullptr.
inline memopt::Version *memopt_visible_version(memopt::Row *row, const memopt::ReadView &view) {
  const memopt::TxnSlot *slots = memopt_engine()->slots();
  for (memopt::Version *version = row->newest.load(std::memory_order_acquire); version != nullptr;
       version = version->older.load(std::memory_order_acquire))
    if (memopt::IsVisible(slots, version, view)) return version;
  return nullptr;
}

// index_rows.cpp - the rows an engine index holds under one key: what a
// uniqueness check (index_insert.cpp) and an equality lookup
// (custom_lookup.cpp) both start from.
//
// The engine's walks take no locks and must not be left by longjmp, so the
// rows are collected into the caller's array without allocating inside the
// walk; when the array is too small the walk is done again with room for
// all it counted.
//
// A hash walk takes out the entries of dead rows it meets, as range scans do
// (range_cursor.cpp): the garbage collector parks such a row with its entries
// until VACUUM sweeps the indexes (index.h), and a key deleted and inserted
// again and again (a session table) would otherwise make every lookup of it
// walk one entry per deleted row. VACUUM still retires the row.
#include "index_internal.h"

void memopt_rows_under_key(memopt::Index *engine_index, uint64 hash, memopt::KeyRef key,
                           MemoptCompareContext *compare, MemoptRowList *list) {
  if (list->rows == nullptr) {
    list->capacity = 16;
    list->rows = static_cast<memopt::Row **>(palloc(sizeof(memopt::Row *) * list->capacity));
  }
  for (;;) {
    int found = 0;
    int capacity = list->capacity;
    memopt::Row **rows = list->rows;
    if (engine_index->kind() == memopt::IndexKind::kHash) {
      memopt_hash_live_rows(engine_index->hash(), hash, [&](memopt::Row *row) {
        if (found < capacity) rows[found] = row;
        ++found;
      });
    } else {
      memopt::KeyComparator cmp = memopt_comparator(compare);
      memopt::RangeIndex::Iterator it(engine_index->range(), cmp);
      for (bool valid = it.Seek(memopt::SeekMode::kGreaterOrEqual, key); valid; valid = it.Next()) {
        bool failed = false;
        if (cmp.compare(cmp.context, it.Key(), key, &failed) != 0 || failed) break;
        if (found < capacity) rows[found] = it.GetRow();
        ++found;
      }
      if (compare->error != nullptr || it.comparator_failed())
        memopt_rethrow_comparison_error(compare);
    }
    if (found <= capacity) {
      list->count = found;
      return;
    }
    list->capacity = found * 2;
    list->rows =
        static_cast<memopt::Row **>(repalloc(list->rows, sizeof(memopt::Row *) * list->capacity));
  }
}

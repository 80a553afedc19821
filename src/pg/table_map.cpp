// table_map.cpp - which engine table holds a relation's rows.
//
// Engine tables are keyed by the relation's physical identity (tablespace,
// database, relfilenode), so TRUNCATE and rewrites, which assign a new
// relfilenode, get a new engine table and can be undone by dropping it.
// A table is made on first access (durable_load.cpp): empty for schema-only
// tables, read back from its pages for durable ones.
#include "memopt_pg.h"

extern "C" {
#include "commands/defrem.h"
}

memopt::TableKey memopt_key_for_node(const RelFileNode &node) {
  return memopt::TableKey{node.spcNode, node.dbNode, node.relNode};
}

namespace {

// Tables looked up in the current memopt transaction. Valid until it ends:
// the relation lock the caller holds keeps other sessions from dropping the
// table, and this session's drops happen only at transaction end.
struct CachedTable {
  uint64_t txn_id;
  memopt::TableKey key;
  memopt::Table *table;
};
constexpr int kCacheSize = 4;
CachedTable cache[kCacheSize];
int cache_next = 0;

}  // namespace

memopt::Table *memopt_table_for(Relation rel) {
  memopt::Transaction *txn = memopt_txn();  // the registry is only walked inside one
  memopt::TableKey key = memopt_key_for_node(rel->rd_node);
  for (const CachedTable &entry : cache)
    if (entry.txn_id == txn->id() && entry.key == key) return entry.table;
  memopt::Table *table = memopt_table_being_loaded(key);
  if (table != nullptr) return table;  // not cached: it may yet be discarded
  table = memopt_open_table(rel);
  cache[cache_next] = CachedTable{txn->id(), key, table};
  cache_next = (cache_next + 1) % kCacheSize;
  return table;
}

void memopt_forget_cached_tables(void) {
  for (CachedTable &entry : cache) entry.txn_id = 0;
}

Oid memopt_am_oid(void) { return get_table_am_oid("memopt", true); }

bool memopt_is_memopt_table(Oid relid) {
  Relation relation = RelationIdGetRelation(relid);
  if (relation == nullptr) return false;
  bool memopt = relation->rd_tableam == memopt_table_am_routine();
  RelationClose(relation);
  return memopt;
}

// table_lifecycle.cpp - engine tables follow PostgreSQL's transactional DDL.
//
// CREATE, TRUNCATE and rewrites give a relation a new relfilenode; DROP
// removes one. Index builds (CREATE INDEX, REINDEX, and the rebuilds of
// TRUNCATE) make an engine index for the index's new relfilenode, and DROP
// INDEX removes one. The engine table or index of a new relfilenode must go if the
// (sub)transaction that made it aborts; the one of a replaced or dropped
// relfilenode must go when the transaction commits. This is PostgreSQL's
// pendingDeletes (catalog/storage.c) for memory: a list of pending drops,
// each tagged with the nesting level that registered it.
//
// The list lives in TopMemoryContext and is emptied at every transaction end.
// Only this backend touches it.
#include "memopt_pg.h"

extern "C" {
#include "access/xact.h"
#include "utils/memutils.h"
}

namespace {

struct PendingDrop {
  memopt::TableKey key;
  uint32_t index_relation;  // 0: the table itself; else the index with this relfilenode
  Oid whole_database;       // InvalidOid, or every table of this database
  bool at_commit;           // drop at commit; else drop at abort
  int nest_level;
  PendingDrop *next;
};

PendingDrop *pending = nullptr;

void Register(const memopt::TableKey &key, uint32_t index_relation, Oid database, bool at_commit) {
  auto *entry =
      static_cast<PendingDrop *>(MemoryContextAlloc(TopMemoryContext, sizeof(PendingDrop)));
  entry->key = key;
  entry->index_relation = index_relation;
  entry->whole_database = database;
  entry->at_commit = at_commit;
  entry->nest_level = GetCurrentTransactionNestLevel();
  entry->next = pending;
  pending = entry;
}

// Drops every engine table of `database`, one at a time (the registry lock
// is held only while looking).
void DropDatabaseTables(memopt::Engine *engine, Oid database) {
  for (;;) {
    memopt::Table *victim = nullptr;
    engine->ForEachTable([&](memopt::Table *table) {
      if (victim == nullptr && table->key().database == database) victim = table;
    });
    if (victim == nullptr) return;
    engine->DropTable(victim);
  }
}

// Runs in commit/abort callbacks: must not ereport.
void Execute(const PendingDrop *entry) {
  memopt::Engine *engine = memopt_engine();
  memopt_forget_cached_tables();
  if (entry->whole_database != InvalidOid) {
    DropDatabaseTables(engine, entry->whole_database);
    return;
  }
  memopt::Table *table = engine->FindTable(entry->key);
  if (table == nullptr) return;
  if (entry->index_relation == 0) {
    engine->DropTable(table);
    return;
  }
  memopt::Index *index = table->FindIndex(entry->index_relation);
  if (index != nullptr) engine->DropIndex(table, index);
}

}  // namespace

void memopt_drop_at_commit(const memopt::TableKey &key) { Register(key, 0, InvalidOid, true); }

void memopt_drop_at_abort(const memopt::TableKey &key) { Register(key, 0, InvalidOid, false); }

void memopt_drop_index_at_commit(const memopt::TableKey &table, uint32_t index_relation) {
  Register(table, index_relation, InvalidOid, true);
}

void memopt_drop_index_at_abort(const memopt::TableKey &table, uint32_t index_relation) {
  Register(table, index_relation, InvalidOid, false);
}

void memopt_drop_database_at_commit(Oid database) {
  Register(memopt::TableKey{0, database, 0}, 0, database, true);
}

bool memopt_lifecycle_pending(void) { return pending != nullptr; }

void memopt_lifecycle_at_end(bool commit) {
  bool dropped = false;
  while (pending != nullptr) {
    PendingDrop *entry = pending;
    pending = entry->next;
    if (entry->at_commit == commit) {
      Execute(entry);
      dropped = true;
    }
    pfree(entry);
  }
  // The transaction has ended: nothing of ours holds the dropped memory.
  if (dropped) memopt_engine()->ReclaimMemory();
}

void memopt_lifecycle_at_subxact_end(bool commit, int nest_level) {
  PendingDrop **link = &pending;
  while (*link != nullptr) {
    PendingDrop *entry = *link;
    if (entry->nest_level < nest_level) {
      link = &entry->next;
      continue;
    }
    if (commit) {
      entry->nest_level = nest_level - 1;
      link = &entry->next;
      continue;
    }
    if (!entry->at_commit) Execute(entry);
    *link = entry->next;
    pfree(entry);
  }
}

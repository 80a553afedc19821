// index_map.cpp - which engine index holds a memopt index's entries, and the
// transactional life of engine indexes.
//
// An engine index lives in its table's list, named by the index's
// relfilenode (so REINDEX and the rebuild after TRUNCATE get a new, empty one
// that an abort can throw away). ambuild creates it; after a restart, loading
// a durable table builds all its indexes (durable_load.cpp), and the first
// use of a schema-only table's index recreates it empty, like its table.
#include "index_internal.h"

extern "C" {
#include "access/reloptions.h"
#include "catalog/pg_am.h"
#include "utils/lsyscache.h"
}

namespace {

memopt::Index *OpenOrCreate(Relation heap, Relation index, bool create_new) {
  const MemoptIndexInfo *info = memopt_index_info(index);
  memopt::Table *table = memopt_table_for(heap);
  memopt::Engine *engine = memopt_engine();
  uint64_t buckets = info->kind == memopt::IndexKind::kHash ? memopt_hash_bucket_option(index) : 0;
  memopt::Index *engine_index = nullptr;
  memopt::Status status = create_new
                              ? engine->CreateIndex(table, info->kind, index->rd_node.relNode,
                                                    RelationGetRelid(index), buckets, &engine_index)
                              : engine->OpenIndex(table, info->kind, index->rd_node.relNode,
                                                  RelationGetRelid(index), buckets, &engine_index);
  if (status != memopt::Status::kOk) memopt_report_status(status, heap);
  return engine_index;
}

}  // namespace

memopt::Index *memopt_index_for(Relation heap, Relation index) {
  memopt::Table *table = memopt_table_for(heap);
  memopt::Index *engine_index = table->FindIndex(index->rd_node.relNode);
  if (engine_index != nullptr) return engine_index;
  return OpenOrCreate(heap, index, false);
}

memopt::Index *memopt_index_create(Relation heap, Relation index) {
  memopt::Table *table = memopt_table_for(heap);
  memopt::TableKey table_key = table->key();
  // REINDEX: the entries of the index's earlier relfilenode go at commit.
  for (memopt::Index *old = table->first_index(); old != nullptr;
       old = old->next.load(std::memory_order_acquire))
    if (old->object_id() == RelationGetRelid(index) && old->relation() != index->rd_node.relNode)
      memopt_drop_index_at_commit(table_key, old->relation());
  memopt::Index *existing = table->FindIndex(index->rd_node.relNode);
  if (existing != nullptr) memopt_engine()->DropIndex(table, existing);  // a stale leftover
  memopt_drop_index_at_abort(table_key, index->rd_node.relNode);
  return OpenOrCreate(heap, index, true);
}

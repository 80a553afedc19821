// object_access.cpp - DROP TABLE and DROP DATABASE free memopt memory; DROP
// FUNCTION / PROCEDURE removes a natively compiled routine's code.
//
// PostgreSQL has no table AM callback for drops. The object access hook sees
// each relation and database being dropped while its catalog row still
// exists; the engine tables are dropped when the transaction commits
// (table_lifecycle.cpp), so a rolled-back DROP keeps the data.
#include "memopt_pg.h"

extern "C" {
#include "access/htup_details.h"
#include "catalog/objectaccess.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "commands/defrem.h"
#include "catalog/pg_database.h"
#include "catalog/pg_proc.h"
#include "miscadmin.h"
#include "utils/syscache.h"
}

#include "hooks.h"

namespace {

object_access_hook_type previous_object_access = nullptr;

// The engine index of a memopt index goes with the transaction's commit.
void MemoptIndexDropped(Oid index_relid, RelFileNode index_node) {
  HeapTuple index_tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(index_relid));
  if (!HeapTupleIsValid(index_tuple)) return;
  Oid heap_relid = reinterpret_cast<Form_pg_index>(GETSTRUCT(index_tuple))->indrelid;
  ReleaseSysCache(index_tuple);
  HeapTuple heap_tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(heap_relid));
  if (!HeapTupleIsValid(heap_tuple)) return;
  Form_pg_class heap = reinterpret_cast<Form_pg_class>(GETSTRUCT(heap_tuple));
  RelFileNode heap_node;
  heap_node.spcNode = OidIsValid(heap->reltablespace) ? heap->reltablespace : MyDatabaseTableSpace;
  heap_node.dbNode = MyDatabaseId;
  heap_node.relNode = heap->relfilenode;
  ReleaseSysCache(heap_tuple);
  memopt_drop_index_at_commit(memopt_key_for_node(heap_node), index_node.relNode);
}

bool IsMemoptIndexAm(Oid am) {
  return OidIsValid(am) && (am == get_index_am_oid("memopt_range", true) ||
                            am == get_index_am_oid("memopt_hash", true));
}

void RelationDropped(Oid relid) {
  HeapTuple tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
  if (!HeapTupleIsValid(tuple)) return;
  Form_pg_class form = reinterpret_cast<Form_pg_class>(GETSTRUCT(tuple));
  bool memopt_table = RELKIND_HAS_TABLE_AM(form->relkind) && OidIsValid(form->relam) &&
                      form->relam == memopt_am_oid() && OidIsValid(form->relfilenode);
  RelFileNode node;
  node.spcNode = OidIsValid(form->reltablespace) ? form->reltablespace : MyDatabaseTableSpace;
  node.dbNode = MyDatabaseId;
  node.relNode = form->relfilenode;
  bool memopt_index = form->relkind == RELKIND_INDEX && IsMemoptIndexAm(form->relam);
  ReleaseSysCache(tuple);
  if (memopt_table) memopt_drop_at_commit(memopt_key_for_node(node));
  if (memopt_index) MemoptIndexDropped(relid, node);
}

void OnObjectAccess(ObjectAccessType access, Oid class_id, Oid object_id, int sub_id, void *arg) {
  if (previous_object_access != nullptr)
    previous_object_access(access, class_id, object_id, sub_id, arg);
  if (access != OAT_DROP) return;
  if (class_id == RelationRelationId && sub_id == 0) RelationDropped(object_id);
  if (class_id == DatabaseRelationId) memopt_drop_database_at_commit(object_id);
  if (class_id == ProcedureRelationId) memopt_native_routine_dropped(object_id);
}

}  // namespace

void memopt_install_object_access_hook(void) {
  previous_object_access = object_access_hook;
  object_access_hook = OnObjectAccess;
}

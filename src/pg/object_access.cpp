// object_access.cpp - DROP TABLE and DROP DATABASE free memopt memory.
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
#include "catalog/pg_database.h"
#include "miscadmin.h"
#include "utils/syscache.h"
}

#include "hooks.h"

namespace {

object_access_hook_type previous_object_access = nullptr;

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
  ReleaseSysCache(tuple);
  if (memopt_table) memopt_drop_at_commit(memopt_key_for_node(node));
}

void OnObjectAccess(ObjectAccessType access, Oid class_id, Oid object_id, int sub_id, void *arg) {
  if (previous_object_access != nullptr)
    previous_object_access(access, class_id, object_id, sub_id, arg);
  if (access != OAT_DROP) return;
  if (class_id == RelationRelationId && sub_id == 0) RelationDropped(object_id);
  if (class_id == DatabaseRelationId) memopt_drop_database_at_commit(object_id);
}

}  // namespace

void memopt_install_object_access_hook(void) {
  previous_object_access = object_access_hook;
  object_access_hook = OnObjectAccess;
}

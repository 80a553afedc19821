// access_method_change.cpp - ALTER TABLE ... SET ACCESS METHOD between heap
// (or any other table AM) and memopt, with the table's indexes.
//
// PostgreSQL rewrites the table into the new AM and then rebuilds every
// index with the index's own AM. memopt tables take only memopt_range and
// memopt_hash indexes, and those work only on memopt tables, so before
// PostgreSQL runs the statement (from the utility hook) each index changes
// its AM in the catalog: btree <-> memopt_range, memopt_hash -> btree. Its
// operator classes move to the class of the same name for the new AM (the
// extension script names memopt's after btree's and hash's), or else to the
// type's default class; the pg_depend entries on the classes follow. The
// index keeps its OID, name, columns, predicate and constraint; its
// AM-specific options (fillfactor, deduplicate_items, bucket_count) are
// dropped, since the other AM does not know them. Everything happens in the ALTER's
// transaction, so an error anywhere leaves the catalog as it was.
//
// Refused, before anything changes: indexes of other AMs (hash, GiST,
// GIN, ...) when the table moves to memopt, and a move to memopt while a foreign key
// references the table (foreign_key.cpp makes such keys; a move does not
// remake them).
// DESC, NULLS FIRST and INCLUDE columns move along: memopt_range has them.
#include "memopt_pg.h"

extern "C" {
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/dependency.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_index.h"
#include "catalog/pg_namespace.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_opclass.h"
#include "commands/defrem.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
}

namespace {

Oid RelationAm(Oid relid) {
  HeapTuple tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
  if (!HeapTupleIsValid(tuple)) elog(ERROR, "cache lookup failed for relation %u", relid);
  Oid am = reinterpret_cast<Form_pg_class>(GETSTRUCT(tuple))->relam;
  ReleaseSysCache(tuple);
  return am;
}

// The index AM an index of `am` must have on a table of the new AM, or
// InvalidOid when it has no counterpart. Only AMs whose index columns have
// the indexed columns' types qualify, so the index's own pg_attribute rows
// stay right: PostgreSQL's hash stores int4 hash codes (amkeytype) and is
// refused; memopt_hash leaves as a btree, which answers all it did.
Oid CounterpartAm(Oid am, bool to_memopt) {
  Oid btree = get_index_am_oid("btree", false);
  Oid range = get_index_am_oid("memopt_range", false);
  Oid memopt_hash = get_index_am_oid("memopt_hash", false);
  if (am == btree || am == range) return to_memopt ? range : btree;
  if (am == memopt_hash) return to_memopt ? memopt_hash : btree;
  return InvalidOid;
}

// The operator class for `target_am` standing in for `opclass`: the one of
// the same name and input type in memopt's schema or pg_catalog, else the
// type's default class.
Oid CounterpartOpclass(Oid opclass, Oid target_am, const char *index_name) {
  HeapTuple tuple = SearchSysCache1(CLAOID, ObjectIdGetDatum(opclass));
  if (!HeapTupleIsValid(tuple)) elog(ERROR, "cache lookup failed for operator class %u", opclass);
  auto *form = reinterpret_cast<Form_pg_opclass>(GETSTRUCT(tuple));
  NameData name = form->opcname;
  Oid input_type = form->opcintype;
  ReleaseSysCache(tuple);
  Oid namespaces[] = {get_namespace_oid("memopt", true), PG_CATALOG_NAMESPACE};
  for (Oid space : namespaces) {
    if (!OidIsValid(space)) continue;
    HeapTuple found = SearchSysCache3(CLAAMNAMENSP, ObjectIdGetDatum(target_am),
                                      NameGetDatum(&name), ObjectIdGetDatum(space));
    if (!HeapTupleIsValid(found)) continue;
    auto *match = reinterpret_cast<Form_pg_opclass>(GETSTRUCT(found));
    Oid oid = match->opcintype == input_type ? match->oid : InvalidOid;
    ReleaseSysCache(found);
    if (OidIsValid(oid)) return oid;
  }
  Oid fallback = GetDefaultOpClass(input_type, target_am);
  if (!OidIsValid(fallback))
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("index \"%s\" cannot move to access method \"%s\"", index_name,
                           get_am_name(target_am)),
                    errdetail("Operator class \"%s\" has no counterpart for that access method.",
                              NameStr(name)),
                    errhint("Drop the index before changing the table's access method.")));
  return fallback;
}

// Gives index `index_oid` the AM `target_am` and matching operator classes.
void ConvertIndex(Oid index_oid, Oid target_am) {
  const char *index_name = get_rel_name(index_oid);
  Relation pg_index = table_open(IndexRelationId, RowExclusiveLock);
  HeapTuple index_tuple = SearchSysCacheCopy1(INDEXRELID, ObjectIdGetDatum(index_oid));
  if (!HeapTupleIsValid(index_tuple)) elog(ERROR, "cache lookup failed for index %u", index_oid);
  auto *index_form = reinterpret_cast<Form_pg_index>(GETSTRUCT(index_tuple));
  bool isnull;
  Datum classes = SysCacheGetAttr(INDEXRELID, index_tuple, Anum_pg_index_indclass, &isnull);
  auto *old_classes = reinterpret_cast<oidvector *>(DatumGetPointer(classes));
  int count = old_classes->dim1;
  Oid *new_classes = static_cast<Oid *>(palloc(sizeof(Oid) * count));
  for (int i = 0; i < count; ++i) {
    Oid old_class = old_classes->values[i];
    new_classes[i] = i < index_form->indnkeyatts && OidIsValid(old_class)
                         ? CounterpartOpclass(old_class, target_am, index_name)
                         : old_class;
  }
  // Once per distinct class, as index_create records them. Built-in classes
  // are pinned and have no entries: changeDependencyFor then adds one for a
  // class that is not pinned, or drops the entry of one that was not.
  for (int i = 0; i < count; ++i) {
    bool seen = false;
    for (int j = 0; j < i; ++j) seen |= old_classes->values[j] == old_classes->values[i];
    if (!seen && new_classes[i] != old_classes->values[i])
      changeDependencyFor(RelationRelationId, index_oid, OperatorClassRelationId,
                          old_classes->values[i], new_classes[i]);
  }
  Datum values[Natts_pg_index] = {0};
  bool nulls[Natts_pg_index] = {false};
  bool replace[Natts_pg_index] = {false};
  values[Anum_pg_index_indclass - 1] = PointerGetDatum(buildoidvector(new_classes, count));
  replace[Anum_pg_index_indclass - 1] = true;
  HeapTuple updated =
      heap_modify_tuple(index_tuple, RelationGetDescr(pg_index), values, nulls, replace);
  CatalogTupleUpdate(pg_index, &updated->t_self, updated);
  table_close(pg_index, RowExclusiveLock);

  Relation pg_class = table_open(RelationRelationId, RowExclusiveLock);
  HeapTuple class_tuple = SearchSysCacheCopy1(RELOID, ObjectIdGetDatum(index_oid));
  if (!HeapTupleIsValid(class_tuple)) elog(ERROR, "cache lookup failed for relation %u", index_oid);
  Datum class_values[Natts_pg_class] = {0};
  bool class_nulls[Natts_pg_class] = {false};
  bool class_replace[Natts_pg_class] = {false};
  class_values[Anum_pg_class_relam - 1] = ObjectIdGetDatum(target_am);
  class_replace[Anum_pg_class_relam - 1] = true;
  class_nulls[Anum_pg_class_reloptions - 1] = true;  // options of the old AM
  class_replace[Anum_pg_class_reloptions - 1] = true;
  HeapTuple class_updated = heap_modify_tuple(class_tuple, RelationGetDescr(pg_class), class_values,
                                              class_nulls, class_replace);
  CatalogTupleUpdate(pg_class, &class_updated->t_self, class_updated);
  table_close(pg_class, RowExclusiveLock);
}

void RefuseReferencedTable(Oid relid) {
  Relation pg_constraint = table_open(ConstraintRelationId, AccessShareLock);
  SysScanDesc scan = systable_beginscan(pg_constraint, InvalidOid, false, nullptr, 0, nullptr);
  HeapTuple tuple;
  while (HeapTupleIsValid(tuple = systable_getnext(scan))) {
    auto *form = reinterpret_cast<Form_pg_constraint>(GETSTRUCT(tuple));
    if (form->contype != CONSTRAINT_FOREIGN || form->confrelid != relid) continue;
    ereport(ERROR,
            (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
             errmsg("table \"%s\" cannot move to memopt while foreign key \"%s\" references it",
                    get_rel_name(relid), NameStr(form->conname)),
             errdetail("memopt does not move the key's index and triggers with the table."),
             errhint("Drop the foreign key, move the table, then add the foreign key again.")));
  }
  systable_endscan(scan);
  table_close(pg_constraint, AccessShareLock);
}

// Converts the indexes of `relid` for a move to (`to_memopt`) or from memopt.
void ConvertIndexes(Oid relid, bool to_memopt) {
  Relation rel = table_open(relid, AccessExclusiveLock);
  List *indexes = RelationGetIndexList(rel);
  table_close(rel, NoLock);
  if (to_memopt) RefuseReferencedTable(relid);
  ListCell *cell;
  foreach (cell, indexes) {  // check them all before changing any
    Oid index_oid = lfirst_oid(cell);
    Oid am = RelationAm(index_oid);
    if (!OidIsValid(CounterpartAm(am, to_memopt)))
      ereport(ERROR,
              (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
               errmsg("index \"%s\" uses access method \"%s\", which memopt tables cannot use",
                      get_rel_name(index_oid), get_am_name(am)),
               errhint("Drop the index, change the access method, and create the index again "
                       "USING memopt_range or memopt_hash.")));
  }
  foreach (cell, indexes) {
    Oid index_oid = lfirst_oid(cell);
    Oid am = RelationAm(index_oid);
    Oid target = CounterpartAm(am, to_memopt);
    if (target != am) ConvertIndex(index_oid, target);
  }
  CommandCounterIncrement();
}

}  // namespace

void memopt_convert_indexes_for_am_change(AlterTableStmt *stmt) {
  const char *new_am = nullptr;
  ListCell *cell;
  foreach (cell, stmt->cmds) {
    AlterTableCmd *cmd = lfirst_node(AlterTableCmd, cell);
    if (cmd->subtype == AT_SetAccessMethod) new_am = cmd->name;
  }
  if (new_am == nullptr || stmt->objtype != OBJECT_TABLE) return;
  Oid relid = RangeVarGetRelidExtended(stmt->relation, AccessExclusiveLock,
                                       stmt->missing_ok ? RVR_MISSING_OK : 0, nullptr, nullptr);
  if (!OidIsValid(relid) || get_rel_relkind(relid) != RELKIND_RELATION) return;
  Oid memopt_am = get_table_am_oid("memopt", false);
  bool from_memopt = RelationAm(relid) == memopt_am;
  bool to_memopt = get_table_am_oid(new_am, false) == memopt_am;
  if (from_memopt == to_memopt) return;
  if (!pg_class_ownercheck(relid, GetUserId()))
    aclcheck_error(ACLCHECK_NOT_OWNER, get_relkind_objtype(RELKIND_RELATION), get_rel_name(relid));
  ConvertIndexes(relid, to_memopt);
}

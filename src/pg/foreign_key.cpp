// foreign_key.cpp - foreign keys that reference memopt tables.
//
// PostgreSQL 15 builds a foreign key only on a btree unique index of the
// referenced table (tablecmds.c, ATAddForeignKeyConstraint), and memopt
// tables have memopt_range and memopt_hash indexes. So the utility hook takes
// every FOREIGN KEY whose referenced table is a memopt table out of its ALTER
// TABLE (CREATE TABLE hands its foreign keys to an ALTER TABLE subcommand;
// ALTER TABLE ... ADD CONSTRAINT and ADD COLUMN ... REFERENCES come as they
// are), lets PostgreSQL run the rest, and then makes here what tablecmds.c
// would have made:
//  - the pg_constraint row: contype 'f', conindid the referenced memopt
//    unique index (so DROP of that index or constraint needs CASCADE), and
//    the equality operators of each key type's default btree operator family
//    (the ones memopt's operator classes index);
//  - the RI triggers: RI_FKey_check_ins/upd on the referencing table, the
//    ON DELETE / ON UPDATE action on the referenced one;
//  - the check of existing rows, by PostgreSQL's own ALTER TABLE ... VALIDATE
//    CONSTRAINT (skipped for a new table and for NOT VALID).
// From then on ri_triggers.c enforces the key as for any table. Its queries
// lock the referenced row FOR KEY SHARE: a key-share lock in the engine
// (tableam_modify.cpp), so a concurrent delete of that row, or a change of
// its key, fails with 40001 instead of leaving an orphan.
//
// Not handled (refused with a clear error): a partitioned referencing table,
// and ALTER COLUMN TYPE of a column in such a key (PostgreSQL would rebuild
// the key through tablecmds.c).
#include "memopt_pg.h"

extern "C" {
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/catalog.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_am.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_index.h"
#include "catalog/pg_trigger.h"
#include "commands/defrem.h"
#include "commands/trigger.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_coerce.h"
#include "parser/parser.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
}

#include "hooks.h"

namespace {

struct KeyColumns {
  int count = 0;
  int16 attnums[INDEX_MAX_KEYS];
  Oid types[INDEX_MAX_KEYS];
};

bool ReferencesMemopt(Node *node) {
  if (node == nullptr || !IsA(node, Constraint)) return false;
  auto *constraint = reinterpret_cast<Constraint *>(node);
  if (constraint->contype != CONSTR_FOREIGN || constraint->pktable == nullptr) return false;
  Oid pkrelid = RangeVarGetRelid(constraint->pktable, NoLock, true);
  return OidIsValid(pkrelid) && memopt_is_memopt_table(pkrelid);
}

KeyColumns ResolveColumns(Relation rel, List *names) {
  KeyColumns columns;
  ListCell *cell;
  foreach (cell, names) {
    const char *name = strVal(lfirst(cell));
    if (columns.count >= INDEX_MAX_KEYS)
      ereport(ERROR, (errcode(ERRCODE_TOO_MANY_COLUMNS),
                      errmsg("cannot have more than %d keys in a foreign key", INDEX_MAX_KEYS)));
    HeapTuple tuple = SearchSysCacheAttName(RelationGetRelid(rel), name);
    if (!HeapTupleIsValid(tuple))
      ereport(ERROR,
              (errcode(ERRCODE_UNDEFINED_COLUMN),
               errmsg("column \"%s\" referenced in foreign key constraint does not exist", name)));
    auto *attr = reinterpret_cast<Form_pg_attribute>(GETSTRUCT(tuple));
    if (attr->attnum < 0)
      ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                      errmsg("system columns cannot be used in foreign keys")));
    columns.attnums[columns.count] = attr->attnum;
    columns.types[columns.count] = attr->atttypid;
    columns.count++;
    ReleaseSysCache(tuple);
  }
  return columns;
}

KeyColumns IndexKeyColumns(Relation pkrel, Form_pg_index index) {
  KeyColumns columns;
  for (int i = 0; i < index->indnkeyatts; i++) {
    columns.attnums[i] = index->indkey.values[i];
    columns.types[i] =
        TupleDescAttr(RelationGetDescr(pkrel), index->indkey.values[i] - 1)->atttypid;
  }
  columns.count = index->indnkeyatts;
  return columns;
}

bool UsableUniqueIndex(HeapTuple tuple) {
  auto *index = reinterpret_cast<Form_pg_index>(GETSTRUCT(tuple));
  return index->indisunique && index->indimmediate && index->indisvalid &&
         heap_attisnull(tuple, Anum_pg_index_indpred, nullptr) &&
         heap_attisnull(tuple, Anum_pg_index_indexprs, nullptr);
}

// The referenced columns' unique index; fills *pk (from the primary key when
// the constraint names no columns) and each column's operator class.
Oid FindReferencedIndex(Relation pkrel, Constraint *fk, KeyColumns *pk, Oid *opclasses) {
  bool primary = fk->pk_attrs == NIL;
  if (!primary) {
    *pk = ResolveColumns(pkrel, fk->pk_attrs);
    for (int i = 0; i < pk->count; i++)
      for (int j = 0; j < i; j++)
        if (pk->attnums[i] == pk->attnums[j])
          ereport(ERROR,
                  (errcode(ERRCODE_INVALID_FOREIGN_KEY),
                   errmsg("foreign key referenced-columns list must not contain duplicates")));
  }
  Oid found = InvalidOid;
  List *indexes = RelationGetIndexList(pkrel);
  ListCell *cell;
  foreach (cell, indexes) {
    Oid index_oid = lfirst_oid(cell);
    HeapTuple tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(index_oid));
    if (!HeapTupleIsValid(tuple)) elog(ERROR, "cache lookup failed for index %u", index_oid);
    auto *index = reinterpret_cast<Form_pg_index>(GETSTRUCT(tuple));
    bool matches;
    if (primary) {
      matches = index->indisprimary;
      if (matches && !index->indimmediate)
        ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                        errmsg("cannot use a deferrable primary key for referenced table \"%s\"",
                               RelationGetRelationName(pkrel))));
      if (matches) *pk = IndexKeyColumns(pkrel, index);
    } else {
      matches = UsableUniqueIndex(tuple) && index->indnkeyatts == pk->count;
      for (int i = 0; matches && i < pk->count; i++) {
        bool in_index = false;
        for (int j = 0; j < index->indnkeyatts; j++)
          in_index |= index->indkey.values[j] == pk->attnums[i];
        matches = in_index;
      }
    }
    if (matches) {
      bool isnull;
      Datum datum = SysCacheGetAttr(INDEXRELID, tuple, Anum_pg_index_indclass, &isnull);
      auto *indclass = reinterpret_cast<oidvector *>(DatumGetPointer(datum));
      for (int i = 0; i < pk->count; i++)
        for (int j = 0; j < index->indnkeyatts; j++)
          if (index->indkey.values[j] == pk->attnums[i]) opclasses[i] = indclass->values[j];
      found = index_oid;
    }
    ReleaseSysCache(tuple);
    if (OidIsValid(found)) break;
  }
  list_free(indexes);
  if (!OidIsValid(found) && primary)
    ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT),
                    errmsg("there is no primary key for referenced table \"%s\"",
                           RelationGetRelationName(pkrel))));
  if (!OidIsValid(found))
    ereport(ERROR, (errcode(ERRCODE_INVALID_FOREIGN_KEY),
                    errmsg("there is no unique constraint matching given keys for referenced "
                           "table \"%s\"",
                           RelationGetRelationName(pkrel))));
  return found;
}

struct KeyOperators {
  Oid pf[INDEX_MAX_KEYS];  // referenced = referencing
  Oid pp[INDEX_MAX_KEYS];  // referenced = referenced
  Oid ff[INDEX_MAX_KEYS];  // referencing = referencing
};

// The equality operators of one key column, chosen as tablecmds.c chooses
// them, from the btree operator family of the referenced column's type.
void ChooseOperators(const char *conname, Relation rel, Relation pkrel, const KeyColumns &fk,
                     const KeyColumns &pk, int i, Oid opclass, KeyOperators *ops) {
  Oid pktype = get_opclass_input_type(opclass);
  Oid btree_class = GetDefaultOpClass(pktype, BTREE_AM_OID);
  Oid family = OidIsValid(btree_class) ? get_opclass_family(btree_class) : InvalidOid;
  Oid fktype = getBaseType(fk.types[i]);
  Oid pf = InvalidOid, pp = InvalidOid, ff = InvalidOid;
  if (OidIsValid(family)) {
    pp = get_opfamily_member(family, pktype, pktype, BTEqualStrategyNumber);
    pf = get_opfamily_member(family, pktype, fktype, BTEqualStrategyNumber);
    ff = get_opfamily_member(family, fktype, fktype, BTEqualStrategyNumber);
  }
  if (!OidIsValid(pf) || !OidIsValid(ff)) {
    Oid inputs[2] = {pk.types[i], fk.types[i]};
    Oid targets[2] = {pktype, pktype};
    if (OidIsValid(pp) && can_coerce_type(2, inputs, targets, COERCION_IMPLICIT)) {
      pf = ff = pp;
    } else {
      pf = InvalidOid;
    }
  }
  if (!OidIsValid(pf))
    ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
                    errmsg("foreign key constraint \"%s\" cannot be implemented", conname),
                    errdetail("Key columns \"%s\" and \"%s\" are of incompatible types: %s and %s.",
                              get_attname(RelationGetRelid(rel), fk.attnums[i], false),
                              get_attname(RelationGetRelid(pkrel), pk.attnums[i], false),
                              format_type_be(fk.types[i]), format_type_be(pk.types[i]))));
  ops->pf[i] = pf;
  ops->pp[i] = pp;
  ops->ff[i] = ff;
}

void CheckPersistence(Relation rel, Relation pkrel) {
  char referencing = rel->rd_rel->relpersistence;
  char referenced = pkrel->rd_rel->relpersistence;
  if (referencing == RELPERSISTENCE_PERMANENT && referenced != RELPERSISTENCE_PERMANENT)
    ereport(ERROR, (errcode(ERRCODE_INVALID_TABLE_DEFINITION),
                    errmsg("constraints on permanent tables may reference only permanent tables"),
                    errhint("A memopt table with durability = schema_only is unlogged.")));
  if (referencing == RELPERSISTENCE_UNLOGGED && referenced == RELPERSISTENCE_TEMP)
    ereport(ERROR, (errcode(ERRCODE_INVALID_TABLE_DEFINITION),
                    errmsg("constraints on unlogged tables may reference only permanent or "
                           "unlogged tables")));
  if ((referencing == RELPERSISTENCE_TEMP) != (referenced == RELPERSISTENCE_TEMP))
    ereport(ERROR, (errcode(ERRCODE_INVALID_TABLE_DEFINITION),
                    errmsg("constraints on temporary tables may reference only temporary tables")));
}

void CheckReferencesPrivilege(Relation rel, const KeyColumns &columns) {
  Oid relid = RelationGetRelid(rel);
  if (pg_class_aclcheck(relid, GetUserId(), ACL_REFERENCES) == ACLCHECK_OK) return;
  for (int i = 0; i < columns.count; i++) {
    AclResult result =
        pg_attribute_aclcheck(relid, columns.attnums[i], GetUserId(), ACL_REFERENCES);
    if (result != ACLCHECK_OK)
      aclcheck_error(result, get_relkind_objtype(rel->rd_rel->relkind),
                     RelationGetRelationName(rel));
  }
}

char *ConstraintName(Relation rel, Constraint *fk) {
  Oid namespace_oid = RelationGetNamespace(rel);
  if (fk->conname != nullptr) {
    if (ConstraintNameIsUsed(CONSTRAINT_RELATION, RelationGetRelid(rel), fk->conname))
      ereport(ERROR, (errcode(ERRCODE_DUPLICATE_OBJECT),
                      errmsg("constraint \"%s\" for relation \"%s\" already exists", fk->conname,
                             RelationGetRelationName(rel))));
    return fk->conname;
  }
  // As PostgreSQL names them: table_col1_col2_fkey.
  StringInfoData columns;
  initStringInfo(&columns);
  ListCell *cell;
  foreach (cell, fk->fk_attrs) {
    if (columns.len > 0) appendStringInfoChar(&columns, '_');
    appendStringInfoString(&columns, strVal(lfirst(cell)));
    if (columns.len >= NAMEDATALEN) break;
  }
  return ChooseConstraintName(RelationGetRelationName(rel), columns.data, "fkey", namespace_oid,
                              NIL);
}

int DeleteSetColumns(Constraint *fk, const KeyColumns &fk_columns, Relation rel, int16 *attnums) {
  if (fk->fk_del_set_cols == NIL) return 0;
  KeyColumns set = ResolveColumns(rel, fk->fk_del_set_cols);
  for (int i = 0; i < set.count; i++) {
    bool in_key = false;
    for (int j = 0; j < fk_columns.count; j++) in_key |= fk_columns.attnums[j] == set.attnums[i];
    if (!in_key)
      ereport(ERROR, (errcode(ERRCODE_INVALID_COLUMN_REFERENCE),
                      errmsg("column \"%s\" referenced in ON DELETE SET action must be part of "
                             "foreign key",
                             get_attname(RelationGetRelid(rel), set.attnums[i], false))));
    attnums[i] = set.attnums[i];
  }
  return set.count;
}

const char *ActionFunction(char action, bool on_delete) {
  switch (action) {
    case FKCONSTR_ACTION_RESTRICT:
      return on_delete ? "RI_FKey_restrict_del" : "RI_FKey_restrict_upd";
    case FKCONSTR_ACTION_CASCADE:
      return on_delete ? "RI_FKey_cascade_del" : "RI_FKey_cascade_upd";
    case FKCONSTR_ACTION_SETNULL:
      return on_delete ? "RI_FKey_setnull_del" : "RI_FKey_setnull_upd";
    case FKCONSTR_ACTION_SETDEFAULT:
      return on_delete ? "RI_FKey_setdefault_del" : "RI_FKey_setdefault_upd";
    default:
      return on_delete ? "RI_FKey_noaction_del" : "RI_FKey_noaction_upd";
  }
}

// One internal constraint trigger, as tablecmds.c makes them.
void MakeTrigger(Oid relid, Oid other_relid, Oid constraint_oid, Oid index_oid, int16 event,
                 const char *function, bool deferrable, bool initdeferred, bool on_referenced) {
  CreateTrigStmt *trigger = makeNode(CreateTrigStmt);
  trigger->replace = false;
  trigger->isconstraint = true;
  trigger->trigname = pstrdup(on_referenced ? "RI_ConstraintTrigger_a" : "RI_ConstraintTrigger_c");
  trigger->relation = nullptr;
  trigger->funcname = SystemFuncName(pstrdup(function));
  trigger->args = NIL;
  trigger->row = true;
  trigger->timing = TRIGGER_TYPE_AFTER;
  trigger->events = event;
  trigger->columns = NIL;
  trigger->whenClause = nullptr;
  trigger->transitionRels = NIL;
  trigger->deferrable = deferrable;
  trigger->initdeferred = initdeferred;
  trigger->constrrel = nullptr;
  CreateTrigger(trigger, nullptr, relid, other_relid, constraint_oid, index_oid, InvalidOid,
                InvalidOid, nullptr, true, false);
  CommandCounterIncrement();
}

void MakeTriggers(Relation rel, Relation pkrel, Constraint *fk, Oid constraint_oid, Oid index_oid) {
  Oid relid = RelationGetRelid(rel), pkrelid = RelationGetRelid(pkrel);
  bool no_action_del = fk->fk_del_action == FKCONSTR_ACTION_NOACTION;
  bool no_action_upd = fk->fk_upd_action == FKCONSTR_ACTION_NOACTION;
  MakeTrigger(pkrelid, relid, constraint_oid, index_oid, TRIGGER_TYPE_DELETE,
              ActionFunction(fk->fk_del_action, true), no_action_del && fk->deferrable,
              no_action_del && fk->initdeferred, true);
  MakeTrigger(pkrelid, relid, constraint_oid, index_oid, TRIGGER_TYPE_UPDATE,
              ActionFunction(fk->fk_upd_action, false), no_action_upd && fk->deferrable,
              no_action_upd && fk->initdeferred, true);
  MakeTrigger(relid, pkrelid, constraint_oid, index_oid, TRIGGER_TYPE_INSERT, "RI_FKey_check_ins",
              fk->deferrable, fk->initdeferred, false);
  MakeTrigger(relid, pkrelid, constraint_oid, index_oid, TRIGGER_TYPE_UPDATE, "RI_FKey_check_upd",
              fk->deferrable, fk->initdeferred, false);
}

// Checks the rows already there with PostgreSQL's ALTER TABLE ... VALIDATE
// CONSTRAINT, which marks the constraint valid.
void ValidateExistingRows(char *nspname, char *relname, const char *conname,
                          const char *query_string) {
  AlterTableCmd *cmd = makeNode(AlterTableCmd);
  cmd->subtype = AT_ValidateConstraint;
  cmd->name = pstrdup(conname);
  AlterTableStmt *stmt = makeNode(AlterTableStmt);
  stmt->relation = makeRangeVar(nspname, relname, -1);
  stmt->relation->inh = false;
  stmt->cmds = list_make1(cmd);
  stmt->objtype = OBJECT_TABLE;
  PlannedStmt *wrapper = makeNode(PlannedStmt);
  wrapper->commandType = CMD_UTILITY;
  wrapper->canSetTag = false;
  wrapper->utilityStmt = reinterpret_cast<Node *>(stmt);
  wrapper->stmt_location = -1;
  wrapper->stmt_len = 0;
  ProcessUtility(wrapper, query_string, false, PROCESS_UTILITY_SUBCOMMAND, nullptr, nullptr,
                 None_Receiver, nullptr);
}

void AddForeignKey(Oid relid, Constraint *fk, const char *query_string) {
  Relation rel = table_open(relid, ShareRowExclusiveLock);
  Relation pkrel = table_openrv(fk->pktable, ShareRowExclusiveLock);
  // PostgreSQL's ALTER TABLE checks this when the statement has other
  // commands; when it had only these, it did not run.
  if (!pg_class_ownercheck(relid, GetUserId()))
    aclcheck_error(ACLCHECK_NOT_OWNER, get_relkind_objtype(rel->rd_rel->relkind),
                   RelationGetRelationName(rel));
  if (rel->rd_rel->relkind == RELKIND_PARTITIONED_TABLE)
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("foreign keys from partitioned table \"%s\" to memopt table \"%s\" are "
                           "not supported",
                           RelationGetRelationName(rel), RelationGetRelationName(pkrel)),
                    errhint("Add the foreign key to each partition.")));
  if (rel->rd_rel->relkind != RELKIND_RELATION)
    ereport(ERROR,
            (errcode(ERRCODE_WRONG_OBJECT_TYPE),
             errmsg("referencing relation \"%s\" is not a table", RelationGetRelationName(rel))));
  CheckPersistence(rel, pkrel);
  KeyColumns fk_columns = ResolveColumns(rel, fk->fk_attrs);
  KeyColumns pk_columns;
  Oid opclasses[INDEX_MAX_KEYS];
  Oid index_oid = FindReferencedIndex(pkrel, fk, &pk_columns, opclasses);
  if (fk_columns.count != pk_columns.count)
    ereport(ERROR, (errcode(ERRCODE_INVALID_FOREIGN_KEY),
                    errmsg("number of referencing and referenced columns for foreign key "
                           "disagree")));
  CheckReferencesPrivilege(pkrel, pk_columns);
  CheckReferencesPrivilege(rel, fk_columns);
  char *conname = ConstraintName(rel, fk);
  KeyOperators ops;
  for (int i = 0; i < fk_columns.count; i++)
    ChooseOperators(conname, rel, pkrel, fk_columns, pk_columns, i, opclasses[i], &ops);
  int16 set_columns[INDEX_MAX_KEYS];
  int set_count = DeleteSetColumns(fk, fk_columns, rel, set_columns);
  bool validate = !fk->skip_validation;
  Oid constraint_oid = CreateConstraintEntry(
      conname, RelationGetNamespace(rel), CONSTRAINT_FOREIGN, fk->deferrable, fk->initdeferred,
      fk->initially_valid && !validate, InvalidOid, relid, fk_columns.attnums, fk_columns.count,
      fk_columns.count, InvalidOid, index_oid, RelationGetRelid(pkrel), pk_columns.attnums, ops.pf,
      ops.pp, ops.ff, fk_columns.count, fk->fk_upd_action, fk->fk_del_action, set_columns,
      set_count, fk->fk_matchtype, nullptr, nullptr, nullptr, true, 0, true, false);
  CommandCounterIncrement();
  MakeTriggers(rel, pkrel, fk, constraint_oid, index_oid);
  table_close(pkrel, NoLock);
  // ALTER TABLE refuses a table this session has open: close it first (the
  // lock stays until the transaction ends).
  char *relname = pstrdup(RelationGetRelationName(rel));
  char *nspname = get_namespace_name(RelationGetNamespace(rel));
  table_close(rel, NoLock);
  if (validate) ValidateExistingRows(nspname, relname, conname, query_string);
}

// Takes out of `constraints` (a column's) the foreign keys that reference
// memopt tables, as table constraints on `column`.
List *TakeColumnReferences(ColumnDef *column) {
  List *taken = NIL, *kept = NIL;
  ListCell *cell;
  foreach (cell, column->constraints) {
    Node *node = static_cast<Node *>(lfirst(cell));
    if (!ReferencesMemopt(node)) {
      kept = lappend(kept, node);
      continue;
    }
    auto *fk = reinterpret_cast<Constraint *>(node);
    fk->fk_attrs = list_make1(makeString(pstrdup(column->colname)));
    taken = lappend(taken, fk);
  }
  column->constraints = kept;
  return taken;
}

}  // namespace

List *memopt_take_memopt_references(AlterTableStmt *stmt) {
  List *taken = NIL, *kept = NIL;
  ListCell *cell;
  foreach (cell, stmt->cmds) {
    AlterTableCmd *cmd = lfirst_node(AlterTableCmd, cell);
    if (cmd->subtype == AT_AddConstraint && ReferencesMemopt(cmd->def)) {
      taken = lappend(taken, cmd->def);
      continue;
    }
    if (cmd->subtype == AT_AddColumn && cmd->def != nullptr && IsA(cmd->def, ColumnDef))
      taken = list_concat(taken, TakeColumnReferences(reinterpret_cast<ColumnDef *>(cmd->def)));
    kept = lappend(kept, cmd);
  }
  stmt->cmds = kept;
  return taken;
}

void memopt_add_memopt_references(AlterTableStmt *stmt, List *constraints,
                                  const char *query_string) {
  if (constraints == NIL) return;
  Oid relid = RangeVarGetRelidExtended(stmt->relation, ShareRowExclusiveLock,
                                       stmt->missing_ok ? RVR_MISSING_OK : 0, nullptr, nullptr);
  if (!OidIsValid(relid)) return;
  ListCell *cell;
  foreach (cell, constraints) AddForeignKey(relid, lfirst_node(Constraint, cell), query_string);
}

namespace {

// Whether column `attnum` is among the columns `key` (conkey or confkey) of
// the pg_constraint row `tuple`.
bool KeyHasColumn(HeapTuple tuple, TupleDesc desc, AttrNumber key, AttrNumber attnum) {
  bool isnull;
  Datum keys = heap_getattr(tuple, key, desc, &isnull);
  if (isnull) return false;
  ArrayType *array = DatumGetArrayTypeP(keys);
  auto *attnums = reinterpret_cast<int16 *>(ARR_DATA_PTR(array));
  for (int i = 0; i < ARR_DIMS(array)[0]; i++)
    if (attnums[i] == attnum) return true;
  return false;
}

// Refuses a type change of `relid`'s column if a foreign key that references
// a memopt table uses it, on either side (both, for a self reference).
void RefuseKeyColumnTypeChange(Oid relid, const char *column) {
  AttrNumber attnum = get_attnum(relid, column);
  if (attnum == InvalidAttrNumber) return;
  Relation constraints = table_open(ConstraintRelationId, AccessShareLock);
  TupleDesc desc = RelationGetDescr(constraints);
  SysScanDesc scan = systable_beginscan(constraints, InvalidOid, false, nullptr, 0, nullptr);
  HeapTuple tuple;
  while (HeapTupleIsValid(tuple = systable_getnext(scan))) {
    auto *con = reinterpret_cast<Form_pg_constraint>(GETSTRUCT(tuple));
    if (con->contype != CONSTRAINT_FOREIGN) continue;
    bool uses =
        (con->conrelid == relid && KeyHasColumn(tuple, desc, Anum_pg_constraint_conkey, attnum)) ||
        (con->confrelid == relid && KeyHasColumn(tuple, desc, Anum_pg_constraint_confkey, attnum));
    if (uses && memopt_is_memopt_table(con->confrelid))
      ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                      errmsg("cannot alter type of column \"%s\" used by foreign key \"%s\"",
                             column, NameStr(con->conname)),
                      errdetail("The foreign key references memopt table \"%s\".",
                                get_rel_name(con->confrelid)),
                      errhint("Drop the foreign key, alter the column, then add the foreign key "
                              "again.")));
  }
  systable_endscan(scan);
  table_close(constraints, AccessShareLock);
}

}  // namespace

// ALTER COLUMN TYPE of a column in a foreign key that references a memopt
// table would make PostgreSQL rebuild the key through tablecmds.c, which
// then fails on the memopt index: say so first.
void memopt_check_column_type_change(AlterTableStmt *stmt) {
  Oid relid = InvalidOid;
  ListCell *cell;
  foreach (cell, stmt->cmds) {
    AlterTableCmd *cmd = lfirst_node(AlterTableCmd, cell);
    if (cmd->subtype != AT_AlterColumnType) continue;
    if (!OidIsValid(relid)) relid = RangeVarGetRelid(stmt->relation, NoLock, true);
    if (!OidIsValid(relid)) return;
    RefuseKeyColumnTypeChange(relid, cmd->name);
  }
}

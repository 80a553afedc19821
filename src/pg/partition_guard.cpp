// partition_guard.cpp - partitioned tables whose indexes cannot reach their
// memopt partitions.
//
// PostgreSQL clones a partitioned table's indexes onto every partition with
// the partitioned index's own access method, and enforces a primary key or
// unique constraint across partitions only through btree (or hash). memopt
// tables take only memopt_range and memopt_hash indexes, and those indexes
// work only on memopt tables. So a memopt table cannot be a partition of a
// table whose partitioned indexes use another AM, a table of another AM
// cannot be one under a memopt index, and a partitioned table with memopt
// partitions cannot get a primary key or unique constraint. PostgreSQL would
// fail later in these cases, with messages about the clone ("index ... must
// use a memopt index access method", "multiple primary keys") that name
// nothing the user wrote; the utility hook calls this file first (before
// PostgreSQL runs the statement) to say what is wrong and what to do
// instead.
#include "index_internal.h"

extern "C" {
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "commands/defrem.h"
#include "nodes/parsenodes.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
}

#include "hooks.h"

namespace {

const char *const kUniquenessDetail =
    "PostgreSQL 15 enforces uniqueness across partitions only with btree or hash indexes, which "
    "memopt tables cannot have.";
const char *const kUniquenessHint = "Create the primary key or unique index on each partition.";

void RefusePartition(const char *partition, const char *parent, bool memopt, const char *detail,
                     const char *hint) pg_attribute_noreturn();
void RefusePartition(const char *partition, const char *parent, bool memopt, const char *detail,
                     const char *hint) {
  if (memopt)
    ereport(ERROR,
            (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
             errmsg("memopt table \"%s\" cannot be a partition of \"%s\"", partition, parent),
             errdetail_internal("%s", detail), errhint("%s", hint)));
  ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                  errmsg("table \"%s\" cannot be a partition of \"%s\"", partition, parent),
                  errdetail_internal("%s", detail), errhint("%s", hint)));
}

// Refuses `partition` as a partition of `parent` when one of the parent's
// partitioned indexes could not be cloned onto it: one of another AM for a
// memopt table, a memopt one for a table of another AM (those work only on
// memopt tables).
void RefuseUnclonableIndexes(Oid parent, const char *partition, bool memopt) {
  Relation relation = RelationIdGetRelation(parent);
  if (relation == nullptr) return;  // PostgreSQL reports it
  List *indexes = RelationGetIndexList(relation);
  const char *parent_name = pstrdup(RelationGetRelationName(relation));
  RelationClose(relation);
  ListCell *cell;
  foreach (cell, indexes) {
    Relation index = RelationIdGetRelation(lfirst_oid(cell));
    if (index == nullptr) continue;
    const char *index_name = pstrdup(RelationGetRelationName(index));
    const char *am = get_am_name(index->rd_rel->relam);
    bool memopt_index = memopt_index_am_kind(index->rd_rel->relam) != 0;
    bool unique = index->rd_index->indisunique;
    RelationClose(index);
    if (memopt_index == memopt) continue;
    if (!memopt)
      RefusePartition(partition, parent_name, false,
                      psprintf("Index \"%s\" of \"%s\" uses access method \"%s\", which works "
                               "only on memopt tables.",
                               index_name, parent_name, am),
                      "Make the partition a memopt table, or create that index on each partition "
                      "instead.");
    if (unique)
      RefusePartition(partition, parent_name, true,
                      psprintf("\"%s\" has the unique index \"%s\". %s", parent_name, index_name,
                               kUniquenessDetail),
                      "Drop that index and create it on each partition instead.");
    RefusePartition(partition, parent_name, true,
                    psprintf("Index \"%s\" of \"%s\" uses access method \"%s\", which memopt "
                             "tables cannot have.",
                             index_name, parent_name, am),
                    "Create that index on each partition instead, or with USING memopt_range when "
                    "every partition is a memopt table.");
  }
}

// CREATE TABLE ... PARTITION OF parent (a partitioned partition takes any
// partitioned index: it stores nothing).
void CheckNewPartition(CreateStmt *stmt) {
  if (stmt->partbound == nullptr || stmt->partspec != nullptr ||
      list_length(stmt->inhRelations) != 1)
    return;
  const char *am = stmt->accessMethod != nullptr ? stmt->accessMethod : default_table_access_method;
  bool memopt = am != nullptr && strcmp(am, "memopt") == 0;
  Oid parent = RangeVarGetRelid(linitial_node(RangeVar, stmt->inhRelations), NoLock, true);
  if (OidIsValid(parent)) RefuseUnclonableIndexes(parent, stmt->relation->relname, memopt);
}

bool AddsUniqueConstraint(AlterTableCmd *cmd) {
  Node *def = cmd->def;
  if (cmd->subtype == AT_AddConstraint && def != nullptr && IsA(def, Constraint))
    return reinterpret_cast<Constraint *>(def)->contype == CONSTR_PRIMARY ||
           reinterpret_cast<Constraint *>(def)->contype == CONSTR_UNIQUE;
  if (cmd->subtype != AT_AddColumn || def == nullptr || !IsA(def, ColumnDef)) return false;
  ListCell *cell;
  foreach (cell, reinterpret_cast<ColumnDef *>(def)->constraints) {
    auto *constraint = lfirst_node(Constraint, cell);
    if (constraint->contype == CONSTR_PRIMARY || constraint->contype == CONSTR_UNIQUE) return true;
  }
  return false;
}

// ALTER TABLE parent ATTACH PARTITION memopt_table, and ALTER TABLE
// parent ADD PRIMARY KEY / UNIQUE when a partition is a memopt table.
void CheckAlterPartitioned(AlterTableStmt *stmt) {
  Oid relid = RangeVarGetRelid(stmt->relation, NoLock, true);
  if (!OidIsValid(relid) || get_rel_relkind(relid) != RELKIND_PARTITIONED_TABLE) return;
  ListCell *cell;
  foreach (cell, stmt->cmds) {
    auto *cmd = lfirst_node(AlterTableCmd, cell);
    if (cmd->subtype == AT_AttachPartition) {
      RangeVar *partition = castNode(PartitionCmd, cmd->def)->name;
      Oid partition_oid = RangeVarGetRelid(partition, NoLock, true);
      if (OidIsValid(partition_oid) && get_rel_relkind(partition_oid) != RELKIND_PARTITIONED_TABLE)
        RefuseUnclonableIndexes(relid, partition->relname, memopt_is_memopt_table(partition_oid));
    }
    if (AddsUniqueConstraint(cmd) && memopt_has_memopt_partition(relid))
      memopt_refuse_partitioned_unique(stmt->relation->relname);
  }
}

}  // namespace

bool memopt_has_memopt_partition(Oid relid) {
  List *children = find_inheritance_children(relid, NoLock);
  bool memopt = false;
  ListCell *cell;
  foreach (cell, children) memopt = memopt || memopt_is_memopt_table(lfirst_oid(cell));
  list_free(children);
  return memopt;
}

void memopt_refuse_partitioned_unique(const char *relname) {
  ereport(ERROR,
          (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
           errmsg("unique index on partitioned table \"%s\" cannot be built on memopt partitions",
                  relname),
           errdetail("%s", kUniquenessDetail), errhint("%s", kUniquenessHint)));
}

void memopt_check_partition_statement(Node *stmt) {
  if (IsA(stmt, CreateStmt))
    CheckNewPartition(reinterpret_cast<CreateStmt *>(stmt));
  else if (IsA(stmt, AlterTableStmt))
    CheckAlterPartitioned(reinterpret_cast<AlterTableStmt *>(stmt));
}

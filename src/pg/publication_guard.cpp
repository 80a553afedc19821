// publication_guard.cpp - keeps memopt tables out of logical replication.
//
// Logical decoding reads heap's WAL records; memopt's own records have no
// rm_decode, so a subscriber of a publication that holds a memopt table
// would receive its initial data and then none of its changes, silently.
// So, after the statement that made it so:
//
// - a memopt table named in a publication (CREATE/ALTER PUBLICATION ...
//   TABLE, directly or through a published partitioned parent) is an error,
//   and so is making a published table a memopt table (CREATE TABLE ...
//   PARTITION OF, ALTER TABLE ... SET ACCESS METHOD or ATTACH PARTITION);
//   the error rolls the statement back;
// - a memopt table that a publication takes in without naming it (FOR ALL
//   TABLES, TABLES IN SCHEMA), which PostgreSQL 15 cannot exclude, gets a
//   WARNING naming the tables.
//
// schema_only tables are UNLOGGED, which PostgreSQL never publishes.
#include "memopt_pg.h"

extern "C" {
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "catalog/pg_publication.h"
#include "lib/stringinfo.h"
#include "nodes/parsenodes.h"
#include "utils/lsyscache.h"
}

namespace {

constexpr int kNamesInDetail = 10;

const char *const kWhy =
    "Logical decoding does not decode memopt's WAL records, so subscribers would receive no "
    "changes of memopt tables.";

// The relation and its partition ancestors.
List *SelfAndAncestors(Oid relid) {
  List *relids = list_make1_oid(relid);
  if (get_rel_relispartition(relid)) relids = list_concat(relids, get_partition_ancestors(relid));
  return relids;
}

void RefuseNamedMember(Oid relid, Oid pubid, const char *hint) {
  ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                  errmsg("memopt table \"%s\" cannot be published", get_rel_name(relid)),
                  errdetail("It would be part of publication \"%s\". %s",
                            get_publication_name(pubid, false), kWhy),
                  errhint("%s", hint)));
}

int CompareNames(const ListCell *a, const ListCell *b) {
  return strcmp(static_cast<const char *>(lfirst(a)), static_cast<const char *>(lfirst(b)));
}

// "a", "b", and 3 more: the tables' names in order, at most kNamesInDetail.
char *NameList(List *relids) {
  List *names = NIL;
  ListCell *cell;
  foreach (cell, relids) names = lappend(names, get_rel_name(lfirst_oid(cell)));
  list_sort(names, CompareNames);
  StringInfoData text;
  initStringInfo(&text);
  foreach (cell, names) {
    int listed = foreach_current_index(cell);
    if (listed == kNamesInDetail) {
      appendStringInfo(&text, ", and %d more", list_length(names) - listed);
      break;
    }
    appendStringInfo(&text, "%s\"%s\"", listed == 0 ? "" : ", ", static_cast<char *>(lfirst(cell)));
  }
  return text.data;
}

void WarnUnnamedMembers(Oid pubid, List *memopt_relids) {
  int count = list_length(memopt_relids);
  if (count == 0) return;
  ereport(WARNING,
          (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
           errmsg_plural("publication \"%s\" includes %d memopt table, whose changes it will not "
                         "send",
                         "publication \"%s\" includes %d memopt tables, whose changes it will not "
                         "send",
                         count, get_publication_name(pubid, false), count),
           errdetail_plural("The table is %s. %s", "The tables are %s. %s", count,
                            NameList(memopt_relids), kWhy)));
}

// The memopt tables among `relids`, each once: GetSchemaPublicationRelations
// lists a partition twice when the catalog scan meets its parent first.
List *MemoptOnly(List *relids) {
  List *memopt = NIL;
  ListCell *cell;
  foreach (cell, relids)
    if (memopt_is_memopt_table(lfirst_oid(cell)))
      memopt = list_append_unique_oid(memopt, lfirst_oid(cell));
  return memopt;
}

// After CREATE PUBLICATION or ALTER PUBLICATION.
void CheckPublication(const char *name) {
  Publication *publication = GetPublicationByName(name, true);
  if (publication == nullptr) return;  // ALTER PUBLICATION ... RENAME, or dropped meanwhile
  List *named = MemoptOnly(GetPublicationRelations(publication->oid, PUBLICATION_PART_LEAF));
  if (named != NIL)
    RefuseNamedMember(linitial_oid(named), publication->oid,
                      "Leave memopt tables out of the publication's table list.");
  List *unnamed = publication->alltables
                      ? GetAllTablesPublicationRelations(false)
                      : GetAllSchemaPublicationRelations(publication->oid, PUBLICATION_PART_LEAF);
  WarnUnnamedMembers(publication->oid, MemoptOnly(unnamed));
}

// After a statement that may have made `relid` a memopt table.
void CheckTable(Oid relid) {
  if (!OidIsValid(relid) || get_rel_persistence(relid) != RELPERSISTENCE_PERMANENT ||
      !memopt_is_memopt_table(relid))
    return;
  List *relids = SelfAndAncestors(relid);
  ListCell *cell;
  foreach (cell, relids) {
    List *publications = GetRelationPublications(lfirst_oid(cell));
    if (publications != NIL)
      RefuseNamedMember(relid, linitial_oid(publications),
                        "Remove the table, or its partitioned parent, from the publication first.");
  }
  List *unnamed = GetAllTablesPublications();
  foreach (cell, relids)
    unnamed =
        list_concat_unique_oid(unnamed, GetSchemaPublications(get_rel_namespace(lfirst_oid(cell))));
  foreach (cell, unnamed) WarnUnnamedMembers(lfirst_oid(cell), list_make1_oid(relid));
}

Oid RelidOf(RangeVar *relation) {
  return relation == nullptr ? InvalidOid : RangeVarGetRelid(relation, NoLock, true);
}

void CheckAlterTable(AlterTableStmt *stmt) {
  ListCell *cell;
  foreach (cell, stmt->cmds) {
    auto *cmd = lfirst_node(AlterTableCmd, cell);
    if (cmd->subtype == AT_SetAccessMethod) CheckTable(RelidOf(stmt->relation));
    if (cmd->subtype == AT_AttachPartition)
      CheckTable(RelidOf(castNode(PartitionCmd, cmd->def)->name));
  }
}

}  // namespace

void memopt_check_publications_after(Node *stmt) {
  switch (nodeTag(stmt)) {
    case T_CreatePublicationStmt:
    case T_AlterPublicationStmt:
    case T_CreateStmt:
    case T_CreateTableAsStmt:
    case T_AlterTableStmt:
      break;
    default:
      return;
  }
  CommandCounterIncrement();  // see what the statement wrote
  if (IsA(stmt, CreatePublicationStmt))
    CheckPublication(castNode(CreatePublicationStmt, stmt)->pubname);
  else if (IsA(stmt, AlterPublicationStmt))
    CheckPublication(castNode(AlterPublicationStmt, stmt)->pubname);
  else if (IsA(stmt, CreateStmt))
    CheckTable(RelidOf(castNode(CreateStmt, stmt)->relation));
  else if (IsA(stmt, CreateTableAsStmt)) {
    IntoClause *into = castNode(CreateTableAsStmt, stmt)->into;
    if (into != nullptr) CheckTable(RelidOf(into->rel));
  } else
    CheckAlterTable(castNode(AlterTableStmt, stmt));
}

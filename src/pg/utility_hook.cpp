// utility_hook.cpp - statements memopt must see before PostgreSQL runs them.
//
// CREATE INDEX on a memopt table (including the indexes behind PRIMARY KEY
// and UNIQUE, which arrive here as subcommands) is routed to memopt's own
// index AMs, or refused for an AM the user named (RouteIndexOnMemopt); ALTER
// TABLE ... ADD PRIMARY KEY / UNIQUE gets its AM in the constraint; ALTER
// TABLE ... SET ACCESS METHOD to or from memopt first moves the table's
// indexes to the matching index AMs (access_method_change.cpp).
//
// WITH (durability = ...) on a memopt table is taken out of CREATE TABLE
// (and CREATE TABLE AS) before PostgreSQL validates the options, since a
// table AM cannot declare its own reloptions in PostgreSQL 15. It is kept as
// the table's persistence: schema_only makes the table UNLOGGED (never
// logged, empty after every restart, as CREATE UNLOGGED TABLE says), and
// schema_and_data, the default, a permanent table. pg_dump then writes
// CREATE UNLOGGED TABLE, which restores the same durability.
#include "memopt_pg.h"

extern "C" {
#include "access/tableam.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "nodes/makefuncs.h"
#include "commands/defrem.h"
#include "nodes/parsenodes.h"
#include "tcop/utility.h"
#include "utils/lsyscache.h"
}

#include "hooks.h"

namespace {

ProcessUtility_hook_type previous_utility = nullptr;

bool IsMemoptRelation(RangeVar *relation) {
  Oid relid = RangeVarGetRelid(relation, NoLock, true);
  // PostgreSQL reports a missing table itself.
  return OidIsValid(relid) && memopt_is_memopt_table(relid);
}

bool IsMemoptIndexAm(const char *name) {
  return name != nullptr && (strcmp(name, "memopt_range") == 0 || strcmp(name, "memopt_hash") == 0);
}

bool HasBucketCount(List *options) {
  ListCell *cell;
  foreach (cell, options) {
    DefElem *option = lfirst_node(DefElem, cell);
    if (option->defnamespace == nullptr && strcmp(option->defname, "bucket_count") == 0)
      return true;
  }
  return false;
}

// memopt_hash when the options say how many buckets, else memopt_range.
char *MemoptAmFor(List *options) {
  return pstrdup(HasBucketCount(options) ? "memopt_hash" : "memopt_range");
}

// Whether the statement's text names an access method (USING ...). The
// parser fills in btree when it does not, and a user who wrote no AM
// expects the index to work.
bool StatementSaysUsing(PlannedStmt *pstmt, const char *query_string) {
  if (query_string == nullptr || pstmt->stmt_location < 0) return true;
  const char *text = query_string + pstmt->stmt_location;
  size_t length = pstmt->stmt_len > 0 ? pstmt->stmt_len : strlen(text);
  for (size_t i = 0; i + 5 <= length; ++i) {
    bool word_start =
        i == 0 || !(isalnum(static_cast<unsigned char>(text[i - 1])) || text[i - 1] == '_');
    bool word_end = i + 5 == length ||
                    !(isalnum(static_cast<unsigned char>(text[i + 5])) || text[i + 5] == '_');
    if (word_start && word_end && pg_strncasecmp(text + i, "using", 5) == 0) return true;
  }
  return false;
}

// CREATE INDEX on a memopt table: memopt's AMs are used as they are; the
// parser's default (btree) becomes memopt_range, or memopt_hash with
// WITH (bucket_count = N), for constraints (PRIMARY KEY, UNIQUE), LIKE ...
// INCLUDING INDEXES and statements that name no AM. Any AM the user named is
// refused: its entries would hold TIDs, which memopt reuses.
bool CreatesMemoptTable(const char *access_method) {
  const char *am = access_method != nullptr ? access_method : default_table_access_method;
  return am != nullptr && strcmp(am, "memopt") == 0;
}

// A partitioned table whose indexes will be built on memopt partitions:
// some partition is memopt, or new ones will be (default_table_access_method).
bool IsMemoptPartitioned(RangeVar *relation) {
  Oid relid = RangeVarGetRelid(relation, NoLock, true);
  if (!OidIsValid(relid) || get_rel_relkind(relid) != RELKIND_PARTITIONED_TABLE) return false;
  return CreatesMemoptTable(nullptr) || memopt_has_memopt_partition(relid);
}

// memopt_hash indexes always record their bucket_count, so that pg_dump's
// output (which names no AM for constraints) routes them back to memopt_hash.
void RecordBucketCount(IndexStmt *stmt) {
  if (strcmp(stmt->accessMethod, "memopt_hash") != 0 || HasBucketCount(stmt->options)) return;
  stmt->options = lappend(
      stmt->options, makeDefElem(pstrdup("bucket_count"),
                                 reinterpret_cast<Node *>(makeInteger(kMemoptDefaultBuckets)), -1));
}

void RouteIndexOnMemopt(IndexStmt *stmt, PlannedStmt *pstmt, const char *query_string,
                        ProcessUtilityContext context) {
  bool partitioned = !IsMemoptRelation(stmt->relation);
  if (partitioned && !IsMemoptPartitioned(stmt->relation)) {
    RecordBucketCount(stmt);
    return;
  }
  if (stmt->concurrent)
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("CREATE INDEX CONCURRENTLY is not supported on memopt tables"),
                    errhint("memopt builds indexes in memory; leave out CONCURRENTLY.")));
  if (IsMemoptIndexAm(stmt->accessMethod)) {
    RecordBucketCount(stmt);
    return;
  }
  bool implicit = strcmp(stmt->accessMethod, DEFAULT_INDEX_TYPE) == 0 &&
                  (stmt->isconstraint || context == PROCESS_UTILITY_SUBCOMMAND ||
                   !StatementSaysUsing(pstmt, query_string));
  if (implicit && partitioned && stmt->unique)
    memopt_refuse_partitioned_unique(stmt->relation->relname);
  if (implicit) {
    stmt->accessMethod = MemoptAmFor(stmt->options);
    return;
  }
  if (partitioned) return;  // each memopt partition's build refuses the AM
  ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                  errmsg("access method \"%s\" does not support memopt table \"%s\"",
                         stmt->accessMethod, stmt->relation->relname),
                  errdetail("Its index entries would store row locations, which memopt reuses."),
                  errhint("%s", memopt_index_hint())));
}

// REINDEX ... CONCURRENTLY of a memopt table or index fails only after it
// has made its new index: refuse it before anything happens.
void RefuseConcurrentReindex(ReindexStmt *stmt) {
  bool concurrently = false;
  ListCell *cell;
  foreach (cell, stmt->params) {
    DefElem *option = lfirst_node(DefElem, cell);
    if (strcmp(option->defname, "concurrently") == 0) concurrently = defGetBoolean(option);
  }
  if (!concurrently || stmt->relation == nullptr) return;
  Oid relid = RangeVarGetRelid(stmt->relation, NoLock, true);
  if (!OidIsValid(relid)) return;
  if (stmt->kind == REINDEX_OBJECT_INDEX) relid = IndexGetRelation(relid, true);
  if (OidIsValid(relid) && memopt_is_memopt_table(relid))
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("REINDEX CONCURRENTLY is not supported on memopt tables"),
                    errhint("memopt rebuilds indexes in memory; leave out CONCURRENTLY.")));
}

void RouteConstraint(Node *node) {
  if (node == nullptr || !IsA(node, Constraint)) return;
  auto *constraint = reinterpret_cast<Constraint *>(node);
  if (constraint->contype != CONSTR_PRIMARY && constraint->contype != CONSTR_UNIQUE) return;
  if (constraint->access_method == nullptr)
    constraint->access_method = MemoptAmFor(constraint->options);
}

// ALTER TABLE ... ADD PRIMARY KEY / UNIQUE (and ADD COLUMN ... PRIMARY KEY)
// builds its index without passing through this hook: name the AM in the
// constraint itself.
void RouteAlterTableConstraints(AlterTableStmt *stmt) {
  ListCell *cell;
  if (!IsMemoptRelation(stmt->relation)) return;
  foreach (cell, stmt->cmds) {
    AlterTableCmd *cmd = lfirst_node(AlterTableCmd, cell);
    if (cmd->subtype == AT_AddConstraint) RouteConstraint(cmd->def);
    if (cmd->subtype == AT_AddColumn && cmd->def != nullptr && IsA(cmd->def, ColumnDef)) {
      ListCell *inner;
      foreach (inner, reinterpret_cast<ColumnDef *>(cmd->def)->constraints)
        RouteConstraint(static_cast<Node *>(lfirst(inner)));
    }
  }
}

// Applies a durability option to `relation`'s persistence.
void ApplyDurability(const char *value, RangeVar *relation) {
  bool schema_only = strcmp(value, "schema_only") == 0;
  if (!schema_only && strcmp(value, "schema_and_data") != 0)
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                    errmsg("invalid value for memopt option \"durability\": \"%s\"", value),
                    errhint("Valid values are \"schema_only\" and \"schema_and_data\".")));
  char &persistence = relation->relpersistence;
  if (schema_only) {
    if (persistence == RELPERSISTENCE_PERMANENT) persistence = RELPERSISTENCE_UNLOGGED;
    return;
  }
  if (persistence == RELPERSISTENCE_UNLOGGED)
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                    errmsg("an unlogged memopt table cannot have durability = schema_and_data"),
                    errhint("Leave out UNLOGGED, or use durability = schema_only.")));
  if (persistence == RELPERSISTENCE_TEMP)
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                    errmsg("a temporary memopt table cannot have durability = schema_and_data"),
                    errdetail("Temporary tables end with their session.")));
}

// Validates and removes a durability option, applying it to `relation`;
// returns the remaining options.
List *TakeDurabilityOption(List *options, RangeVar *relation) {
  List *rest = NIL;
  ListCell *cell;
  foreach (cell, options) {
    DefElem *option = lfirst_node(DefElem, cell);
    if (option->defnamespace != nullptr || strcmp(option->defname, "durability") != 0) {
      rest = lappend(rest, option);
      continue;
    }
    ApplyDurability(defGetString(option), relation);
  }
  return rest;
}

bool HasDurabilityOption(List *options) {
  ListCell *cell;
  foreach (cell, options) {
    DefElem *option = lfirst_node(DefElem, cell);
    if (option->defnamespace == nullptr && strcmp(option->defname, "durability") == 0) return true;
  }
  return false;
}

// Takes WITH (durability = ...) out of a CREATE TABLE [AS] of a memopt
// table. Returns the statement to run (a copy when the tree is read-only).
PlannedStmt *StripDurability(PlannedStmt *pstmt, bool read_only_tree) {
  Node *stmt = pstmt->utilityStmt;
  List **options = nullptr;
  const char *access_method = nullptr;
  RangeVar *relation = nullptr;
  if (IsA(stmt, CreateStmt)) {
    options = &reinterpret_cast<CreateStmt *>(stmt)->options;
    access_method = reinterpret_cast<CreateStmt *>(stmt)->accessMethod;
    relation = reinterpret_cast<CreateStmt *>(stmt)->relation;
  } else if (IsA(stmt, CreateTableAsStmt) && reinterpret_cast<CreateTableAsStmt *>(stmt)->into) {
    IntoClause *into = reinterpret_cast<CreateTableAsStmt *>(stmt)->into;
    options = &into->options;
    access_method = into->accessMethod;
    relation = into->rel;
  }
  if (options == nullptr || !HasDurabilityOption(*options) || !CreatesMemoptTable(access_method))
    return pstmt;
  if (read_only_tree)  // copyObject uses typeof, which C++ lacks
    return StripDurability(static_cast<PlannedStmt *>(copyObjectImpl(pstmt)), false);
  *options = TakeDurabilityOption(*options, relation);
  return pstmt;
}

void MemoptProcessUtility(PlannedStmt *pstmt, const char *query_string, bool read_only_tree,
                          ProcessUtilityContext context, ParamListInfo params,
                          QueryEnvironment *query_env, DestReceiver *dest, QueryCompletion *qc) {
  Node *stmt = pstmt->utilityStmt;
  if ((IsA(stmt, IndexStmt) || IsA(stmt, AlterTableStmt)) && read_only_tree) {
    pstmt = static_cast<PlannedStmt *>(copyObjectImpl(pstmt));  // we may rewrite it
    read_only_tree = false;
    stmt = pstmt->utilityStmt;
  }
  memopt_check_partition_statement(stmt);
  if (IsA(stmt, IndexStmt))
    RouteIndexOnMemopt(reinterpret_cast<IndexStmt *>(stmt), pstmt, query_string, context);
  AlterTableStmt *alter =
      IsA(stmt, AlterTableStmt) ? reinterpret_cast<AlterTableStmt *>(stmt) : nullptr;
  List *memopt_references = NIL;
  if (alter != nullptr) {
    memopt_check_column_type_change(alter);
    memopt_references = memopt_take_memopt_references(alter);
    RouteAlterTableConstraints(alter);
    memopt_convert_indexes_for_am_change(alter);
  }
  if (IsA(stmt, ReindexStmt)) RefuseConcurrentReindex(reinterpret_cast<ReindexStmt *>(stmt));
  PlannedStmt *stripped = StripDurability(pstmt, read_only_tree);
  if (stripped != pstmt) read_only_tree = false;
  pstmt = stripped;
  // An ALTER TABLE that only added such foreign keys has nothing left to run.
  bool run = alter == nullptr || alter->cmds != NIL || memopt_references == NIL;
  if (run && previous_utility != nullptr)
    previous_utility(pstmt, query_string, read_only_tree, context, params, query_env, dest, qc);
  else if (run)
    standard_ProcessUtility(pstmt, query_string, read_only_tree, context, params, query_env, dest,
                            qc);
  if (alter != nullptr) memopt_add_memopt_references(alter, memopt_references, query_string);
  memopt_check_publications_after(pstmt->utilityStmt);
}

}  // namespace

void memopt_install_utility_hook(void) {
  previous_utility = ProcessUtility_hook;
  ProcessUtility_hook = MemoptProcessUtility;
}

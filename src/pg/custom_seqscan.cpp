// custom_seqscan.cpp - the MemoptSeqScan custom scan: a sequential scan of
// a memopt table that tests simple quals on the stored tuple bytes, inside
// the scan loop, before a version goes into a slot.
//
// A "simple" qual compares a column of an integer-like type (int2, int4,
// int8, oid, date, time, timestamp, timestamptz) with a constant or a
// query parameter ($1 of a generic plan, read when the scan starts) of the
// same type using one of btree's five operators for it. For such a column at a
// fixed offset (every column before it has a fixed width) in a version that
// has the column and no NULL up to it, the value is read at that offset and
// compared directly; a version that fails is skipped without touching the
// executor. Versions that do not fit (NULLs, the column added after them)
// go to the executor, which tests every original clause on every returned
// version anyway, so the engine test only ever removes rows the quals would
// have removed.
//
// Planner: a MemoptSeqScan path at 90% of the sequential scan's cost is
// added whenever the scan has a filter, also when no clause can be tested in
// the engine: the node records a row in the transaction's read set only once
// it passed every qual (validation.cpp), where PostgreSQL's own Seq Scan would
// record every row it hands to its Filter.
#include "index_internal.h"

#include <new>

extern "C" {
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/tupmacs.h"
#include "catalog/pg_am.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "commands/explain.h"
#include "executor/executor.h"
#include "nodes/extensible.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "nodes/pathnodes.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/restrictinfo.h"
#include "parser/parsetree.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/ruleutils.h"
#include "utils/typcache.h"
}

#include "guc.h"
#include "memopt/table_scan.h"

namespace {

constexpr const char *kName = "MemoptSeqScan";
constexpr double kCostFactor = 0.9;

// One qual tested in the engine: column <strategy> constant.
struct EngineQual {
  AttrNumber attno;  // 1-based
  int offset;        // byte offset in the tuple data, or -1 (not fixed)
  int16 typlen;
  bool is_unsigned;
  StrategyNumber strategy;
  int64 constant;
  ExprState *parameter;  // a Param to evaluate at scan start, or nullptr
};

struct SeqState {
  CustomScanState base;
  memopt::Table *table;
  memopt::Version *last_version;  // in the slot last handed to ExecScan
  alignas(memopt::TableScan) char scan_storage[sizeof(memopt::TableScan)];
  memopt::TableScan *scan;
  bool started;
  bool impossible;  // a parameter is NULL: no row can pass
  int nquals;
  EngineQual *quals;
  TupleTableSlot *slot;
  uint64 removed_in_engine;
};

bool IsIntegerLike(Oid type, bool *is_unsigned) {
  *is_unsigned = type == OIDOID;
  switch (type) {
    case INT2OID:
    case INT4OID:
    case INT8OID:
    case OIDOID:
    case DATEOID:
    case TIMEOID:
    case TIMESTAMPOID:
    case TIMESTAMPTZOID:
      return true;
    default:
      return false;
  }
}

// The btree strategy of `opno` for `type`'s default btree operator class,
// or 0 (the type cache has the family, no catalog scan).
int BtreeStrategy(Oid opno, Oid type) {
  TypeCacheEntry *entry = lookup_type_cache(type, TYPECACHE_BTREE_OPFAMILY);
  Oid family = entry->btree_opf;
  if (!OidIsValid(family) || !op_in_opfamily(opno, family)) return 0;
  Oid left, right;
  int strategy;
  get_op_opfamily_properties(opno, family, false, &strategy, &left, &right);
  return left == type && right == type ? strategy : 0;
}

// The byte offset of column `attno` when every column before it has a fixed
// width (and the tuple has no NULLs), else -1.
int FixedOffset(TupleDesc descriptor, AttrNumber attno) {
  int offset = 0;
  for (int i = 0; i < attno; ++i) {
    Form_pg_attribute attribute = TupleDescAttr(descriptor, i);
    if (attribute->attlen <= 0) return -1;
    offset = att_align_nominal(offset, attribute->attalign);
    if (i == attno - 1) return offset;
    offset += attribute->attlen;
  }
  return -1;
}

// Whether column `attno` of relation `relid` sits at a fixed offset.
bool AtFixedOffset(Oid relid, AttrNumber attno) {
  Relation relation = RelationIdGetRelation(relid);
  if (relation == nullptr) return false;
  bool fixed = FixedOffset(RelationGetDescr(relation), attno) >= 0;
  RelationClose(relation);
  return fixed;
}

bool IsConstantOrParameter(Node *node) {
  return IsA(node, Const) ||
         (IsA(node, Param) && reinterpret_cast<Param *>(node)->paramkind == PARAM_EXTERN);
}

Oid ValueType(Node *node) {
  return IsA(node, Const) ? reinterpret_cast<Const *>(node)->consttype
                          : reinterpret_cast<Param *>(node)->paramtype;
}

// Column, strategy and value (a Const or an external Param) of a pushable
// clause; false if it is not one.
bool PushableClause(Expr *clause, Index relid, AttrNumber *attno, int *strategy, Expr **value) {
  if (!IsA(clause, OpExpr)) return false;
  auto *op = reinterpret_cast<OpExpr *>(clause);
  if (list_length(op->args) != 2) return false;
  Node *left = static_cast<Node *>(linitial(op->args));
  Node *right = static_cast<Node *>(lsecond(op->args));
  Oid opno = op->opno;
  if (IsConstantOrParameter(left) && IsA(right, Var)) {  // 5 > k  ->  k < 5
    opno = get_commutator(opno);
    std::swap(left, right);
  }
  if (!OidIsValid(opno) || !IsA(left, Var) || !IsConstantOrParameter(right)) return false;
  auto *var = reinterpret_cast<Var *>(left);
  bool is_unsigned;
  if (var->varno != static_cast<int>(relid) || var->varattno <= 0 || var->varlevelsup != 0 ||
      (IsA(right, Const) && reinterpret_cast<Const *>(right)->constisnull) ||
      var->vartype != ValueType(right) || !IsIntegerLike(var->vartype, &is_unsigned))
    return false;
  *strategy = BtreeStrategy(opno, var->vartype);
  if (*strategy < BTLessStrategyNumber || *strategy > BTGreaterStrategyNumber) return false;
  *attno = var->varattno;
  *value = reinterpret_cast<Expr *>(right);
  return true;
}

Plan *PlanSeq(PlannerInfo *root, RelOptInfo *rel, CustomPath *path, List *tlist, List *clauses,
              List *custom_plans);
const CustomPathMethods path_methods = {kName, PlanSeq, nullptr};
Node *CreateSeqState(CustomScan *scan);
const CustomScanMethods scan_methods = {kName, CreateSeqState};

Plan *PlanSeq(PlannerInfo *root, RelOptInfo *rel, CustomPath *path, List *tlist, List *clauses,
              List *custom_plans) {
  (void)custom_plans;
  Oid relid = planner_rt_fetch(rel->relid, root)->relid;
  // The clauses the engine tests: (column, strategy, constant) for the
  // executor in custom_private, the clauses themselves for EXPLAIN.
  List *pushed = NIL, *tests = NIL;
  ListCell *cell;
  foreach (cell, extract_actual_clauses(clauses, false)) {
    AttrNumber attno;
    int strategy;
    Expr *value;
    if (!PushableClause(static_cast<Expr *>(lfirst(cell)), rel->relid, &attno, &strategy, &value) ||
        !AtFixedOffset(relid, attno))
      continue;
    pushed = lappend(pushed, lfirst(cell));
    tests = lappend(tests,
                    list_make3(makeInteger(attno), makeInteger(strategy), copyObjectImpl(value)));
  }
  CustomScan *scan = memopt_custom_scan_plan(
      rel, path, tlist, clauses, tests, static_cast<List *>(copyObjectImpl(pushed)), &scan_methods);
  return &scan->scan.plan;
}

// --- Executor ------------------------------------------------------------------

int64 ReadInteger(const char *pointer, int16 typlen, bool is_unsigned) {
  switch (typlen) {
    case 2: {
      int16 v;
      memcpy(&v, pointer, 2);
      return v;
    }
    case 4: {
      if (is_unsigned) {
        uint32 v;
        memcpy(&v, pointer, 4);
        return v;
      }
      int32 v;
      memcpy(&v, pointer, 4);
      return v;
    }
    default: {
      int64 v;
      memcpy(&v, pointer, 8);
      return v;
    }
  }
}

int64 AsInteger(const EngineQual &qual, Datum value) {
  if (qual.typlen == 2) return DatumGetInt16(value);
  if (qual.typlen == 4)
    return qual.is_unsigned ? static_cast<int64>(DatumGetUInt32(value)) : DatumGetInt32(value);
  return DatumGetInt64(value);
}

// Reads the parameters of the quals that have them (at each scan start).
void EvaluateParameters(SeqState *state) {
  state->impossible = false;
  ExprContext *econtext = state->base.ss.ps.ps_ExprContext;
  for (int i = 0; i < state->nquals; ++i) {
    EngineQual &qual = state->quals[i];
    if (qual.parameter == nullptr) continue;
    bool isnull;
    Datum value = ExecEvalExprSwitchContext(qual.parameter, econtext, &isnull);
    if (isnull)
      state->impossible = true;  // "k < NULL" is never true
    else
      qual.constant = AsInteger(qual, value);
  }
}

void BeginSeq(CustomScanState *node, EState *estate, int eflags) {
  (void)eflags;
  auto *state = reinterpret_cast<SeqState *>(node);
  auto *scan = reinterpret_cast<CustomScan *>(node->ss.ps.plan);
  Relation heap = node->ss.ss_currentRelation;
  TupleDesc descriptor = RelationGetDescr(heap);
  state->nquals = list_length(scan->custom_private);
  state->quals = static_cast<EngineQual *>(palloc0(sizeof(EngineQual) * Max(state->nquals, 1)));
  int i = 0;
  ListCell *cell;
  foreach (cell, scan->custom_private) {
    List *test = static_cast<List *>(lfirst(cell));
    auto attno = static_cast<AttrNumber>(intVal(linitial(test)));
    auto *value = static_cast<Expr *>(lthird(test));
    EngineQual &qual = state->quals[i++];
    Form_pg_attribute attribute = TupleDescAttr(descriptor, attno - 1);
    qual.attno = attno;
    qual.offset = FixedOffset(descriptor, attno);
    qual.typlen = attribute->attlen;
    IsIntegerLike(attribute->atttypid, &qual.is_unsigned);
    qual.strategy = static_cast<StrategyNumber>(intVal(lsecond(test)));
    qual.parameter = nullptr;
    if (IsA(value, Const))
      qual.constant = AsInteger(qual, reinterpret_cast<Const *>(value)->constvalue);
    else
      qual.parameter = ExecInitExpr(value, &node->ss.ps);
  }
  state->slot = memopt_custom_scan_slot(node, estate);
  state->table = memopt_table_for(heap);
}

// Whether attributes 1..attno of the tuple are all non-null (then a fixed
// offset computed for a tuple without nulls holds).
bool NoNullsThrough(MinimalTuple tuple, AttrNumber attno) {
  if (!(tuple->t_infomask & HEAP_HASNULL)) return true;
  for (int i = 0; i < attno; ++i)
    if (att_isnull(i, tuple->t_bits)) return false;
  return true;
}

// False when the version certainly fails a qual; true when it passes them
// all or cannot be tested here (the executor decides).
bool PassesQuals(const EngineQual *quals, int nquals, const memopt::Version *version) {
  auto tuple = reinterpret_cast<MinimalTuple>(const_cast<char *>(version->payload()));
  int natts = tuple->t_infomask2 & HEAP_NATTS_MASK;
  const char *data = reinterpret_cast<const char *>(tuple) + tuple->t_hoff - MINIMAL_TUPLE_OFFSET;
  for (int i = 0; i < nquals; ++i) {
    const EngineQual &qual = quals[i];
    if (qual.offset < 0 || qual.attno > natts || !NoNullsThrough(tuple, qual.attno)) continue;
    int64 value = ReadInteger(data + qual.offset, qual.typlen, qual.is_unsigned);
    bool pass;
    switch (qual.strategy) {
      case BTLessStrategyNumber:
        pass = value < qual.constant;
        break;
      case BTLessEqualStrategyNumber:
        pass = value <= qual.constant;
        break;
      case BTEqualStrategyNumber:
        pass = value == qual.constant;
        break;
      case BTGreaterEqualStrategyNumber:
        pass = value >= qual.constant;
        break;
      default:
        pass = value > qual.constant;
        break;
    }
    if (!pass) return false;
  }
  return true;
}

// Serializable validation repeats the scan with the same engine quals: the
// filter's state is a copy of them, parameters resolved.
bool FilterAccepts(const std::string &state, const memopt::Version *version) {
  return PassesQuals(reinterpret_cast<const EngineQual *>(state.data()),
                     static_cast<int>(state.size() / sizeof(EngineQual)), version);
}

void NoteScan(SeqState *state) {
  if (state->impossible || !memopt_xact_tracks_scans) return;  // nothing can match
  memopt::ScanFilter filter;
  if (state->nquals > 0) {
    filter.accepts = FilterAccepts;
    try {
      filter.state.assign(reinterpret_cast<const char *>(state->quals),
                          sizeof(EngineQual) * state->nquals);
    } catch (const std::bad_alloc &) {
      ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
    }
  }
  memopt_note_table_scan(state->base.ss.ss_currentRelation, state->table, std::move(filter));
}

TupleTableSlot *SeqNext(ScanState *node) {
  auto *state = reinterpret_cast<SeqState *>(node);
  if (!state->started) {
    memopt::ReadView view = memopt_view_for(node->ps.state->es_snapshot);
    state->scan = new (state->scan_storage) memopt::TableScan(memopt_engine(), state->table, view);
    state->started = true;
    EvaluateParameters(state);
    NoteScan(state);
  }
  if (state->impossible) return ExecClearTuple(state->slot);
  for (memopt::Version *version = state->scan->Next(); version != nullptr;
       version = state->scan->Next()) {
    if (!PassesQuals(state->quals, state->nquals, version)) {
      state->removed_in_engine++;
      continue;
    }
    memopt_store_version(version, node->ss_currentRelation, state->slot);
    state->last_version = version;
    return state->slot;
  }
  return ExecClearTuple(state->slot);
}

bool SeqRecheck(ScanState *node, TupleTableSlot *slot) {
  (void)node;
  (void)slot;
  return true;
}

TupleTableSlot *ExecSeq(CustomScanState *node) {
  auto *state = reinterpret_cast<SeqState *>(node);
  return memopt_exec_custom_scan(node, SeqNext, SeqRecheck, state->table, &state->last_version);
}

void EndSeq(CustomScanState *node) { (void)node; }

void RescanSeq(CustomScanState *node) { reinterpret_cast<SeqState *>(node)->started = false; }

void ExplainSeq(CustomScanState *node, List *ancestors, ExplainState *es) {
  auto *state = reinterpret_cast<SeqState *>(node);
  auto *scan = reinterpret_cast<CustomScan *>(node->ss.ps.plan);
  memopt_explain_custom_scan_quals(node, ancestors, es);
  List *exprs = memopt_custom_scan_exprs(scan);
  if (exprs == NIL) return;  // nothing tested in the engine
  List *context = set_deparse_context_plan(es->deparse_cxt, node->ss.ps.plan, ancestors);
  Node *pushed = reinterpret_cast<Node *>(make_ands_explicit(exprs));
  ExplainPropertyText("Engine Filter", deparse_expression(pushed, context, es->verbose, false), es);
  if (es->analyze)
    ExplainPropertyInteger("Rows Removed in Engine", nullptr,
                           static_cast<int64>(state->removed_in_engine), es);
}

const CustomExecMethods exec_methods = {kName,   BeginSeq, ExecSeq,   EndSeq,  RescanSeq,
                                        nullptr, nullptr,  nullptr,   nullptr, nullptr,
                                        nullptr, nullptr,  ExplainSeq};

Node *CreateSeqState(CustomScan *scan) {
  (void)scan;
  auto *state = static_cast<SeqState *>(palloc0(sizeof(SeqState)));
  NodeSetTag(state, T_CustomScanState);
  state->base.methods = &exec_methods;
  return reinterpret_cast<Node *>(state);
}

}  // namespace

void memopt_register_seq_scan(void) { RegisterCustomScanMethods(&scan_methods); }

void memopt_add_seq_path(PlannerInfo *root, RelOptInfo *rel) {
  (void)root;
  if (!memopt_enable_custom_scans || rel->baserestrictinfo == NIL) return;
  ListCell *cell;
  Path *seq = nullptr;
  foreach (cell, rel->pathlist) {
    Path *path = static_cast<Path *>(lfirst(cell));
    if (path->pathtype == T_SeqScan && path->param_info == nullptr) seq = path;
  }
  if (seq == nullptr) return;
  CustomPath *custom = memopt_custom_path_like(rel, seq, kCostFactor, CUSTOMPATH_SUPPORT_PROJECTION,
                                               NIL, &path_methods);
  custom->path.startup_cost = seq->startup_cost;
  add_path(rel, &custom->path);
}

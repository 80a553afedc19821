// native_triggers.cpp - the triggers of the tables a natively compiled
// routine writes: BEFORE and AFTER, row and statement level, constraint
// triggers (which is how PostgreSQL enforces foreign keys) and transition
// tables, fired through trigger.c as the executor's ModifyTable fires them.
//
// Each INSERT, UPDATE or DELETE statement of a routine on a table with
// triggers is one trigger "query": AfterTriggerBeginQuery, then the BEFORE
// STATEMENT triggers, the row triggers around each row, and at the
// statement's end the AFTER STATEMENT triggers and AfterTriggerEndQuery,
// which fires the queued AFTER events (deferred ones wait for the commit).
// native_runtime.cpp opens the query at the statement's first row, or at
// its end when it wrote none, so tables without triggers pay one test per
// row. An error in between needs nothing from us: the (sub)transaction's
// abort resets trigger.c's query stack.
//
// BEFORE ROW triggers of UPDATE and DELETE lock the row through the table
// AM (memopt_tuple_lock), which follows a row to a newer version only at
// memopt's read committed level (update_chain.cpp), never at a native
// routine's (snapshot or above: a row changed since the snapshot is a 40001
// there), so trigger.c's EvalPlanQual path is never taken: the EPQState it
// asks for has no plan.
#include "native_internal.h"

extern "C" {
#include "access/sysattr.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "nodes/bitmapset.h"
}

// UPDATE OF column triggers, and the modified columns AFTER UPDATE events
// record, come from the range table entry's updatedCols.
static void SetUpdatedColumns(EState *estate, ResultRelInfo *target,
                              const std::vector<int> &columns) {
  RangeTblEntry *entry = exec_rt_fetch(target->ri_RangeTableIndex, estate);
  bms_free(entry->updatedCols);  // the previous UPDATE statement's; only we set it
  entry->updatedCols = nullptr;
  for (int column : columns)
    entry->updatedCols =
        bms_add_member(entry->updatedCols, column + 1 - FirstLowInvalidHeapAttributeNumber);
}

void memopt_native_triggers_begin(EState *estate, ResultRelInfo *target, CmdType command,
                                  const std::vector<int> &updated_columns,
                                  MemoptNativeTriggers *statement) {
  if (!statement->epq_ready) {
    EvalPlanQualInit(&statement->epq, estate, nullptr, NIL, 0);
    statement->epq_ready = true;
  }
  AfterTriggerBeginQuery();
  statement->target = target;
  statement->command = command;
  if (command == CMD_UPDATE) SetUpdatedColumns(estate, target, updated_columns);
  statement->transitions = MakeTransitionCaptureState(
      target->ri_TrigDesc, RelationGetRelid(target->ri_RelationDesc), command);
  estate->es_output_cid = GetCurrentCommandId(true);
  switch (command) {
    case CMD_INSERT:
      ExecBSInsertTriggers(estate, target);
      break;
    case CMD_UPDATE:
      ExecBSUpdateTriggers(estate, target);
      break;
    default:
      ExecBSDeleteTriggers(estate, target);
      break;
  }
}

void memopt_native_triggers_end(EState *estate, MemoptNativeTriggers *statement) {
  ResultRelInfo *target = statement->target;
  switch (statement->command) {
    case CMD_INSERT:
      ExecASInsertTriggers(estate, target, statement->transitions);
      break;
    case CMD_UPDATE:
      ExecASUpdateTriggers(estate, target, statement->transitions);
      break;
    default:
      ExecASDeleteTriggers(estate, target, statement->transitions);
      break;
  }
  AfterTriggerEndQuery(estate);
  if (statement->transitions != nullptr) pfree(statement->transitions);
  statement->target = nullptr;
  statement->transitions = nullptr;
}

bool memopt_native_before_insert(EState *estate, MemoptNativeTriggers *statement,
                                 TupleTableSlot *slot) {
  TriggerDesc *triggers = statement->target->ri_TrigDesc;
  if (!triggers->trig_insert_before_row) return true;
  return ExecBRInsertTriggers(estate, statement->target, slot);
}

void memopt_native_after_insert(EState *estate, MemoptNativeTriggers *statement,
                                TupleTableSlot *slot) {
  ExecARInsertTriggers(estate, statement->target, slot, NIL, statement->transitions);
}

bool memopt_native_before_update(EState *estate, MemoptNativeTriggers *statement, ItemPointer tid,
                                 TupleTableSlot *slot) {
  TriggerDesc *triggers = statement->target->ri_TrigDesc;
  if (!triggers->trig_update_before_row) return true;
  estate->es_output_cid = GetCurrentCommandId(true);
  TM_FailureData failure;
  return ExecBRUpdateTriggers(estate, &statement->epq, statement->target, tid, nullptr, slot,
                              &failure);
}

void memopt_native_after_update(EState *estate, MemoptNativeTriggers *statement,
                                ItemPointer old_tid, TupleTableSlot *slot) {
  ExecARUpdateTriggers(estate, statement->target, nullptr, nullptr, old_tid, nullptr, slot, NIL,
                       statement->transitions, false);
}

bool memopt_native_before_delete(EState *estate, MemoptNativeTriggers *statement, ItemPointer tid) {
  TriggerDesc *triggers = statement->target->ri_TrigDesc;
  if (!triggers->trig_delete_before_row) return true;
  estate->es_output_cid = GetCurrentCommandId(true);
  return ExecBRDeleteTriggers(estate, &statement->epq, statement->target, tid, nullptr, nullptr);
}

void memopt_native_after_delete(EState *estate, MemoptNativeTriggers *statement, ItemPointer tid) {
  ExecARDeleteTriggers(estate, statement->target, tid, nullptr, statement->transitions, false);
}

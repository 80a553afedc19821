// native_block.cpp - BEGIN ... EXCEPTION ... END blocks of natively compiled
// routines: the subtransaction each run of such a block's body is, and the
// error a handler caught (runtime_api.h memopt_rt_block_*; the generated
// side is src/jit/codegen_block.cpp).
//
// Protocol, as PL/pgSQL's exec_stmt_block: generated code calls
// sigsetjmp(buffer) and, when it returns 0, block_begin, which remembers the
// error handler, error context, memory context and resource owner in place,
// starts a subtransaction and makes `buffer` where errors jump to. The body
// ends with block_end (release the subtransaction, restore all four). An
// error inside it jumps back to sigsetjmp, which now returns nonzero, and
// generated code calls block_catch: it restores the four, keeps a copy of the
// error, closes what the body's statements left open, rolls the
// subtransaction back (memopt's xact.cpp undoes the body's writes at the
// subtransaction's level) and picks the handler, or raises the error again
// towards the enclosing block or the caller. The handler's statements run in
// the enclosing (sub)transaction; block_done forgets the error after them.
//
// Resources that live for the whole call (indexes, trigger relations,
// result rows) are taken under the call's resource owner, never a block's
// (native_runtime.cpp), since a subtransaction's end releases what its
// owner holds.
#include "native_internal.h"

extern "C" {
#include "access/xact.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
}

// What block_begin found in place, by block depth (Stmt::block_depth).
struct MemoptNativeBlockFrame {
  sigjmp_buf *exception_stack;
  ErrorContextCallback *context_stack;
  MemoryContext memory;
  ResourceOwner owner;
  ErrorData *error;  // the caught error while a handler runs, else nullptr
};

namespace {

MemoptNativeBlockFrame *FrameOf(MemoptNativeCall *call, int32_t depth) {
  return &memopt_native_call_blocks(call)[depth];
}

// Puts back the error handler, error context, memory context and owner.
void RestoreFrame(const MemoptNativeBlockFrame *frame) {
  PG_exception_stack = frame->exception_stack;
  error_context_stack = frame->context_stack;
  MemoryContextSwitchTo(frame->memory);
  CurrentResourceOwner = frame->owner;
}

// As PL/pgSQL: a category code matches every code of its class, OTHERS
// (0) every error but a cancel and a failed assertion.
bool Matches(int32_t condition, int error) {
  if (condition == 0) return error != ERRCODE_QUERY_CANCELED && error != ERRCODE_ASSERT_FAILURE;
  if (condition == error) return true;
  return ERRCODE_IS_CATEGORY(condition) && ERRCODE_TO_CATEGORY(error) == condition;
}

}  // namespace

MemoptNativeBlockFrame *memopt_native_blocks_begin(int depth, MemoryContext context) {
  return static_cast<MemoptNativeBlockFrame *>(
      MemoryContextAllocZero(context, sizeof(MemoptNativeBlockFrame) * (depth + 1)));
}

extern "C" {

void memopt_rt_block_begin(MemoptNativeCall *call, int32_t depth, void *jump_buffer) {
  MemoptNativeBlockFrame *frame = FrameOf(call, depth);
  frame->exception_stack = PG_exception_stack;
  frame->context_stack = error_context_stack;
  frame->memory = CurrentMemoryContext;
  frame->owner = CurrentResourceOwner;
  frame->error = nullptr;
  BeginInternalSubTransaction(nullptr);
  MemoryContextSwitchTo(frame->memory);
  PG_exception_stack = static_cast<sigjmp_buf *>(jump_buffer);
}

void memopt_rt_block_end(MemoptNativeCall *call, int32_t depth, const int32_t *statements) {
  // An EXIT out of a FOR loop inside the body leaves its query open.
  memopt_native_call_close_statements(call, statements[0], statements[1]);
  ReleaseCurrentSubTransaction();
  RestoreFrame(FrameOf(call, depth));
}

int32_t memopt_rt_block_catch(MemoptNativeCall *call, int32_t depth, const int32_t *conditions,
                              int32_t count, const int32_t *statements) {
  MemoptNativeBlockFrame *frame = FrameOf(call, depth);
  RestoreFrame(frame);  // from here on, errors go to the enclosing block or the caller
  ErrorData *error = CopyErrorData();
  FlushErrorState();
  // The body's scans registered their snapshots with the subtransaction's
  // owner, which is not the frame's (nor, after an error, always current).
  CurrentResourceOwner = CurTransactionResourceOwner;
  memopt_native_call_close_statements(call, statements[0], statements[1]);
  RollbackAndReleaseCurrentSubTransaction();
  RestoreFrame(frame);
  for (int32_t i = 0; i < count; ++i)
    if (Matches(conditions[2 * i + 1], error->sqlerrcode)) {
      frame->error = error;
      return conditions[2 * i];
    }
  ReThrowError(error);
}

uint64_t memopt_rt_block_error(MemoptNativeCall *call, int32_t depth, int32_t field) {
  const ErrorData *error = FrameOf(call, depth)->error;
  // By MemoptNativeErrorField.
  const char *const fields[] = {
      unpack_sql_state(error->sqlerrcode),
      error->message,
      error->detail,
      error->hint,
      error->context,
      error->schema_name,
      error->table_name,
      error->column_name,
      error->datatype_name,
      error->constraint_name,
  };
  static_assert(sizeof(fields) / sizeof(fields[0]) == MEMOPT_ERROR_CONSTRAINT + 1,
                "one entry per MemoptNativeErrorField");
  const char *text = fields[field];
  MemoryContext old = MemoryContextSwitchTo(memopt_native_call_scratch(call));
  Datum datum = CStringGetTextDatum(text != nullptr ? text : "");
  MemoryContextSwitchTo(old);
  return static_cast<uint64_t>(datum);
}

void memopt_rt_block_reraise(MemoptNativeCall *call, int32_t depth) {
  ReThrowError(FrameOf(call, depth)->error);
}

void memopt_rt_block_done(MemoptNativeCall *call, int32_t depth) {
  MemoptNativeBlockFrame *frame = FrameOf(call, depth);
  if (frame->error != nullptr) FreeErrorData(frame->error);
  frame->error = nullptr;
}

}  // extern "C"

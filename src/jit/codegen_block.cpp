// codegen_block.cpp - nested BEGIN ... [EXCEPTION WHEN ... THEN ...] END
// blocks (runtime_api.h memopt_rt_block_*).
//
// A block with handlers runs its body in a subtransaction, as PL/pgSQL's
// does: an error rolls back what the body did and runs the first handler
// whose conditions match, or goes on to the enclosing handler. The error
// comes back by longjmp to a sigsetjmp the routine's own function made
// (a helper's frame would be gone by then), so:
//   - while such a block exists, every load and store of a variable is
//     volatile: a value assigned in the body must survive the jump, as C's
//     setjmp rules require of locals (KeepVariablesInMemory);
//   - code that leaves a body or handler early (EXIT, CONTINUE, RETURN)
//     ends the blocks it leaves first (LeaveBlocks), so the runtime's
//     stack of caught errors and subtransactions matches the code's.
#include "codegen_internal.h"

#include <llvm/IR/Instructions.h>

#include <algorithm>

namespace memopt {
namespace native {
namespace codegen_detail {

namespace {

// PostgreSQL's MAKE_SQLSTATE packing (utils/elog.h): six bits a character.
int32_t PackSqlState(const std::string &code) {
  int32_t packed = 0;
  for (int i = 0; i < 5; ++i) packed += ((code[i] - '0') & 0x3F) << (6 * i);
  return packed;
}

}  // namespace

// (handler, packed SQLSTATE) pairs of the block's conditions, 0 for OTHERS.
llvm::Value *Generator::ConditionArray(const Stmt *stmt, int32_t *count) {
  std::vector<llvm::Constant *> items;
  for (size_t h = 0; h < stmt->handlers.size(); ++h)
    for (const ExceptionCondition &condition : stmt->handlers[h]) {
      std::vector<int32_t> codes;
      if (condition.name == "others") codes.push_back(0);
      for (const std::string &code : condition.sqlstates) codes.push_back(PackSqlState(code));
      for (int32_t code : codes) {
        items.push_back(b_.getInt32(static_cast<int32_t>(h)));
        items.push_back(b_.getInt32(code));
      }
    }
  *count = static_cast<int32_t>(items.size() / 2);
  auto *type = llvm::ArrayType::get(i32_, items.size());
  auto *array = new llvm::GlobalVariable(module_, type, true, llvm::GlobalValue::PrivateLinkage,
                                         llvm::ConstantArray::get(type, items), "conditions");
  return b_.CreateConstInBoundsGEP2_32(type, array, 0, 0);
}

// A block: a labeled one is a target of EXIT label (past its end), as a
// loop is; one with handlers runs its body in a subtransaction.
void Generator::GenBlock(const Stmt *stmt) {
  current_line_ = -1;
  BasicBlock *labeled_exit = nullptr;
  if (!stmt->label.empty()) {
    labeled_exit = NewBlock("block_exit");
    loops_.push_back(LoopTargets{labeled_exit, nullptr, stmt->label, false, true});
  }
  if (stmt->handlers.empty())
    GenList(stmt->body);
  else
    GenHandledBlock(stmt);
  if (labeled_exit != nullptr) {
    loops_.pop_back();
    BranchIfOpen(labeled_exit);
    b_.SetInsertPoint(labeled_exit);
  }
  current_line_ = -1;
}

void Generator::GenHandledBlock(const Stmt *stmt) {
  const int32_t depth = stmt->block_depth;
  llvm::Value *buffer = EntryAlloca(llvm::ArrayType::get(i8_, options_.jump_buffer_size));
  llvm::cast<llvm::AllocaInst>(buffer)->setAlignment(llvm::Align(16));
  llvm::Value *jump_buffer = b_.CreateBitCast(buffer, ptr_);
  llvm::FunctionCallee setjmp = module_.getOrInsertFunction(
      "__sigsetjmp", llvm::FunctionType::get(i32_, {ptr_, i32_}, false));
  llvm::cast<llvm::Function>(setjmp.getCallee())->addFnAttr(llvm::Attribute::ReturnsTwice);
  llvm::CallInst *jumped = b_.CreateCall(setjmp, {jump_buffer, b_.getInt32(0)});
  jumped->addFnAttr(llvm::Attribute::ReturnsTwice);
  BasicBlock *body = NewBlock("block_body");
  BasicBlock *caught = NewBlock("block_caught");
  BasicBlock *done = NewBlock("block_done");
  b_.CreateCondBr(b_.CreateICmpEQ(jumped, b_.getInt32(0)), body, caught);

  b_.SetInsertPoint(body);
  b_.CreateCall(Runtime("memopt_rt_block_begin", b_.getVoidTy(), {i32_, ptr_}),
                {call_, b_.getInt32(depth), jump_buffer});
  // The numbers of the body's statements, known once it is generated; EXIT
  // and RETURN inside it pass them to memopt_rt_block_end before that.
  auto *range_type = llvm::ArrayType::get(i32_, 2);
  auto *range = new llvm::GlobalVariable(module_, range_type, true,
                                         llvm::GlobalValue::PrivateLinkage, nullptr, "statements");
  llvm::Value *statement_range = b_.CreateConstInBoundsGEP2_32(range_type, range, 0, 0);
  int32_t first_stmt = static_cast<int32_t>(statements.size());
  OpenBlock running{depth, loops_.size(), false, statement_range};
  open_blocks_.push_back(running);
  GenList(stmt->body);
  open_blocks_.pop_back();
  int32_t end_stmt = static_cast<int32_t>(statements.size());
  range->setInitializer(
      llvm::ConstantArray::get(range_type, {b_.getInt32(first_stmt), b_.getInt32(end_stmt)}));
  if (b_.GetInsertBlock()->getTerminator() == nullptr) {
    EndBlock(running);
    b_.CreateBr(done);
  }

  b_.SetInsertPoint(caught);
  int32_t count = 0;
  llvm::Value *conditions = ConditionArray(stmt, &count);
  llvm::Value *handler =
      b_.CreateCall(Runtime("memopt_rt_block_catch", i32_,
                            {i32_, i32_->getPointerTo(), i32_, i32_->getPointerTo()}),
                    {call_, b_.getInt32(depth), conditions, b_.getInt32(count), statement_range});
  BasicBlock *no_handler = NewBlock("no_handler");  // the runtime raised the error again
  llvm::SwitchInst *dispatch = b_.CreateSwitch(handler, no_handler, stmt->handlers.size());
  b_.SetInsertPoint(no_handler);
  b_.CreateUnreachable();
  for (size_t h = 0; h < stmt->handlers.size(); ++h) {
    BasicBlock *run = NewBlock("handler");
    dispatch->addCase(b_.getInt32(static_cast<int32_t>(h)), run);
    b_.SetInsertPoint(run);
    current_line_ = -1;
    StoreVariable(stmt->sqlstate_variables[h], ErrorField(depth, MEMOPT_ERROR_SQLSTATE));
    StoreVariable(stmt->sqlerrm_variables[h], ErrorField(depth, MEMOPT_ERROR_MESSAGE));
    OpenBlock handling{depth, loops_.size(), true, nullptr};
    open_blocks_.push_back(handling);
    GenList(stmt->branches[h]);
    open_blocks_.pop_back();
    if (b_.GetInsertBlock()->getTerminator() == nullptr) {
      EndBlock(handling);
      b_.CreateBr(done);
    }
  }
  b_.SetInsertPoint(done);
  current_line_ = -1;
}

// A field of the error the handler of the block `depth` deep caught, as
// text (never NULL).
Value Generator::ErrorField(int32_t depth, int32_t field) {
  return Value{b_.CreateCall(Runtime("memopt_rt_block_error", i64_, {i32_, i32_}),
                             {call_, b_.getInt32(depth), b_.getInt32(field)}),
               b_.getFalse()};
}

// Before a jump to loops_[loops_kept - 1]'s exit or next (or, with 0, a
// return): ends each open block that lies inside that loop, innermost first.
void Generator::LeaveBlocks(size_t loops_kept) {
  for (auto it = open_blocks_.rbegin(); it != open_blocks_.rend() && it->loops >= loops_kept; ++it)
    EndBlock(*it);
}

// The end of a body (memopt_rt_block_end) or of a handler (_done).
void Generator::EndBlock(const OpenBlock &block) {
  if (block.in_handler) {
    b_.CreateCall(Runtime("memopt_rt_block_done", b_.getVoidTy(), {i32_}),
                  {call_, b_.getInt32(block.depth)});
  } else {
    b_.CreateCall(Runtime("memopt_rt_block_end", b_.getVoidTy(), {i32_, i32_->getPointerTo()}),
                  {call_, b_.getInt32(block.depth), block.statements});
  }
}

// Makes every access to a variable's slots volatile (see the file comment).
void Generator::KeepVariablesInMemory() {
  std::vector<llvm::Value *> slot_pointers;
  for (const VariableSlot &slot : slots_) {
    slot_pointers.push_back(slot.value);
    slot_pointers.push_back(slot.null);
  }
  std::sort(slot_pointers.begin(), slot_pointers.end());
  auto is_slot = [&slot_pointers](llvm::Value *pointer) {
    return std::binary_search(slot_pointers.begin(), slot_pointers.end(), pointer);
  };
  for (BasicBlock &block : *fn_)
    for (llvm::Instruction &instruction : block) {
      if (auto *load = llvm::dyn_cast<llvm::LoadInst>(&instruction)) {
        if (is_slot(load->getPointerOperand())) load->setVolatile(true);
      } else if (auto *store = llvm::dyn_cast<llvm::StoreInst>(&instruction)) {
        if (is_slot(store->getPointerOperand())) store->setVolatile(true);
      }
    }
}

}  // namespace codegen_detail
}  // namespace native
}  // namespace memopt

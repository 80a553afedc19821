// codegen.h - a bound routine -> machine code, with LLVM 14's ORC JIT.
//
// The generated function is `void routine(MemoptNativeCall *call)`
// (runtime_api.h). Values live in LLVM registers as their natural machine
// types with a separate null flag; integer arithmetic uses LLVM's overflow
// intrinsics and raises PostgreSQL's errors through memopt_rt_error; loops
// test PostgreSQL's InterruptPending on every iteration.
//
// Thread-safety: LLVM state is per CompiledRoutine; a backend compiles one
// routine at a time. Nothing here calls PostgreSQL.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "binder.h"
#include "runtime_api.h"

namespace memopt {
namespace native {

struct CodegenOptions {
  // Address of every runtime_api.h function, by name.
  std::map<std::string, void *> runtime_symbols;
  // When set, every function the code calls that runtime_symbols lacks
  // resolves to this address (the fuzzer's stub, which is never called);
  // otherwise such a call fails to link.
  void *missing_symbol_stub = nullptr;
  // PostgreSQL's InterruptPending (a volatile int).
  const volatile int *interrupt_pending = nullptr;
  // sizeof(sigjmp_buf), and runtime_symbols holds "__sigsetjmp": blocks with
  // EXCEPTION handlers need both (0: such blocks fail to compile).
  size_t jump_buffer_size = 0;
  bool optimize = true;
  // An object file this function produced before for the same bound
  // routine (CompiledRoutine::object()): loaded instead of generating code.
  const std::string *prebuilt_object = nullptr;
};

// Machine code of one routine; freeing it frees the code.
class CompiledRoutine {
 public:
  virtual ~CompiledRoutine() = default;
  using EntryPoint = void (*)(MemoptNativeCall *call);
  virtual EntryPoint entry() const = 0;
  // Statements the runtime is told about, by number (INSERT, UPDATE, DELETE,
  // SELECT INTO, RAISE), pointing into the Routine's tree.
  virtual const std::vector<const Stmt *> &statements() const = 0;
  // The object file the machine code was linked from.
  virtual const std::string &object() const = 0;
};

// Compiles a bound routine. Returns nullptr and sets `error` on failure.
std::unique_ptr<CompiledRoutine> Compile(const Routine &routine, const CodegenOptions &options,
                                         std::string *error);

// A fingerprint of everything the generated code depends on: the body, the
// signature and the tables' columns and indexes as bound. An object file is
// only reused for a routine with the same fingerprint.
uint64_t Fingerprint(const std::string &source, const Routine &routine);

}  // namespace native
}  // namespace memopt

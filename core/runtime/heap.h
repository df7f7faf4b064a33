// The process heap's policy: keep freed memory for reuse while work runs, give it back when a
// piece of interactive work ends (docs/reliability.md §6, docs/benchmarks.md).
#pragma once

namespace cdrl {

// glibc keeps freed blocks (up to 32 MiB each) on the heap and never trims it, with `arenas`
// arenas; called once by configureRuntime.
void keepFreedMemory(int arenas);

// Returns the heap's free memory to the system (malloc_trim): for the end of a studio run, so the
// app's resident memory between runs is what it holds, not what its largest run needed.
void returnFreedMemory();

}  // namespace cdrl

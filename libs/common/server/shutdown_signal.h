#pragma once

namespace chainsync {

// BlockShutdownSignals blocks SIGTERM and SIGINT in the calling thread and in
// every thread it starts afterwards, so that the signals wait for
// WaitForShutdownSignal instead of killing the process in the middle of a
// batch. Call it first thing in main, before any thread exists.
void BlockShutdownSignals();

// WaitForShutdownSignal blocks until SIGTERM or SIGINT arrives and returns
// the signal number.
int WaitForShutdownSignal();

}  // namespace chainsync

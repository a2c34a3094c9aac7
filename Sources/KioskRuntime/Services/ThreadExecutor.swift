import Foundation
import Synchronization

/// A task executor with one thread of its own, for work that blocks: SQLite commits with an
/// fsync, a sync page of thousands of tickets. Tasks that prefer it
/// (`withTaskExecutorPreference`) run their non-isolated code here, so Swift's cooperative
/// threads (two on the box) stay free for the door's async side and the HTTP server.
public final class ThreadExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked: `jobs` and `running` are only touched under `condition`.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var head = 0
    private var running = true

    public init(name: String) {
        // The thread holds the executor until `shutdown()` lets its loop return.
        let worker = Thread { [self] in self.loop() }
        worker.name = name
        worker.start()
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        condition.lock()
        jobs.append(unowned)
        condition.signal()
        condition.unlock()
    }

    /// Ends the thread once the queued jobs have run. Jobs enqueued afterwards never run: call it
    /// when no task prefers this executor any more.
    public func shutdown() {
        condition.lock()
        running = false
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while head == jobs.count && running { condition.wait() }
            if head == jobs.count {
                condition.unlock()
                return
            }
            let job = jobs[head]
            head += 1
            // Compact now and then so the array does not grow with every job ever run.
            if head > 1_024 && head * 2 > jobs.count {
                jobs.removeFirst(head)
                head = 0
            }
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}

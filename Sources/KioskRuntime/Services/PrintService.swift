import CafeProtocol
import Foundation
import KioskCore
import Logging
import ServiceLifecycle

/// Prints the passes sold at the counter (`[printer]`), every `interval`, on a thread of its own:
/// a printer's status read or write waits at most its timeout, and never on a cooperative thread.
/// A printer problem (off, out of paper, silent) is logged when it starts and when it ends, not
/// every round, and shown in `status` and STATUS=; jobs sent but not confirmed are shown as
/// uncertain for staff.
public final class PrintService: Service, Sendable {
    let queue: PrintQueue
    let interval: Duration
    let state: DoorState
    let executor: ThreadExecutor
    let startup: StartupGate
    let logger: Logger

    public init(queue: PrintQueue, interval: Duration, state: DoorState, executor: ThreadExecutor, startup: StartupGate, logger: Logger) {
        self.queue = queue
        self.interval = interval
        self.state = state
        self.executor = executor
        self.startup = startup
        self.logger = logger
    }

    public func run() async throws {
        startup.arrived("print")
        let uncertain = (try? queue.database.uncertainPrintJobs()) ?? []
        if !uncertain.isEmpty {
            logger.warning("\(uncertain.count) receipt(s) may not have printed (the daemon stopped while printing): staff should check and reprint if needed",
                           metadata: ["print.jobs": "\(uncertain.map { $0.jobID.uuidString.lowercased() }.joined(separator: ","))"])
        }
        state.update { $0.printJobsUncertain = uncertain.count; $0.printer = self.queue.printer.name }
        // Stopping cancels the wait between rounds; a round in progress finishes its receipt.
        await cancelWhenGracefulShutdown { await self.rounds() }
    }

    private func rounds() async {
        var problem: String?
        while !Task.isCancelled {
            let (queue, logger) = (self.queue, self.logger)
            let report: PrintQueue.Report? = await withTaskExecutorPreference(executor) {
                do { return try queue.printWaiting() } catch {
                    logger.error("print queue: the cache could not be read or written", metadata: ["print.error": "\(error)"])
                    return nil
                }
            }
            if let report {
                for job in report.printed {
                    logger.info("printed a pass sold at the counter", metadata: ["print.job": "\(job.uuidString.lowercased())", "print.printer": "\(queue.printer.name)"])
                }
                for job in report.dropped {
                    logger.notice("not printing a pass refunded or revoked since it was sold", metadata: ["print.job": "\(job.uuidString.lowercased())"])
                }
                for job in report.unconfirmed {
                    logger.warning("a receipt was sent but the printer did not confirm it: marked uncertain for staff",
                                   metadata: ["print.job": "\(job.uuidString.lowercased())"])
                }
                let now = report.problem.map { "\($0)" }
                if now != problem {
                    if let now {
                        logger.warning("printing paused: \(now); the passes wait in the queue", metadata: ["print.printer": "\(queue.printer.name)"])
                    } else {
                        logger.notice("the printer is back", metadata: ["print.printer": "\(queue.printer.name)"])
                    }
                    problem = now
                }
                let uncertainCount = (try? queue.database.uncertainPrintJobs().count) ?? 0
                state.update { $0.printerProblem = now; $0.printJobsUncertain = uncertainCount }
            }
            try? await Task.sleep(for: interval)
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// A step that could not be started.
public struct ProcessError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Stage: String, Sendable {
        case openOutput = "open the output file"
        case workingDirectory = "enter the working directory"
        case spawn = "start /bin/sh"
        case supervisor = "start the step supervisor"
    }

    public var stage: Stage
    public var errno: Int32
    public var path: String

    public init(stage: Stage, errno: Int32, path: String) {
        self.stage = stage
        self.errno = errno
        self.path = path
    }

    public var description: String {
        let reason = String(cString: strerror(errno))
        switch stage {
        case .workingDirectory:
            return "cannot \(stage.rawValue) \(path): \(reason); check the job's workspace"
        case .openOutput:
            return "cannot \(stage.rawValue) \(path): \(reason); check the artifacts folder"
        case .spawn:
            return "cannot \(stage.rawValue): \(reason)"
        case .supervisor:
            return "cannot \(stage.rawValue) \(path): \(reason); see the step's stderr file"
        }
    }
}

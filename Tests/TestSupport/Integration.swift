import Testing

/// Every integration test starts real `agent-runner` processes. They run one at a time: on a 2-core
/// machine, parallel worker fleets would turn lease and grace timings into noise.
///
/// Defined once here and extended (`extension Integration { @Suite struct X {…} }`) by WorkerTests,
/// AgentRunTests and APITests: Swift Testing places a suite declared in an extension under the extended type,
/// whatever module the extension is in, so all of them are children of this one serialized suite in the
/// one test process `swift test` runs, and never run at the same time as each other.
@Suite(.serialized, .ownThread) public enum Integration {}

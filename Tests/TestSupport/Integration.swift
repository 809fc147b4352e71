import Testing
import TestSupport

/// Every integration test starts real `agent-runner` processes. They run one at a time: on a 2-core
/// machine, parallel worker fleets would turn lease and grace timings into noise.
@Suite(.serialized, .ownThread) enum Integration {}

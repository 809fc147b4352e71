public enum ProcessRunnerPlaceholder {}

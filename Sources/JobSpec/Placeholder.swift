public enum JobSpecPlaceholder {}

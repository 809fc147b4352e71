public enum SpoolCorePlaceholder {}

import CYAML

/// The linked libyaml version, for `agent-runner version` and bug reports.
public enum YAMLLibrary {
    public static var version: String { String(cString: yaml_get_version_string()) }
}

import GitKit
import HTTPClient
import YAMLCore
print("libgit2 \(GitLibrary.shared.version), libcurl \(CurlLibrary.shared.version), libyaml \(YAMLLibrary.version)")
